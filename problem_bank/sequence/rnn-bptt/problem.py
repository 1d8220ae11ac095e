"""Backpropagation through time in a scalar RNN h_t = tanh(w h_{t-1} + u x_t + b), t = 1..T,
with the loss L = (h_T - target)^2 / 2 on the last state.

The parameters w, u, b are shared by all steps, so each gradient sums one contribution per
step; the factor dh_t/dh_{t-1} = w (1 - h_t^2) carries the error backwards, and the product of
these Jacobians is dh_T/dh_0. tanh needs a calculator: the tolerances (CALC) allow for its
rounding in each step.
"""

import math
from dataclasses import dataclass, replace

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Decimal,
    Mistake,
    Part,
    Vector,
    central_gradient,
)

TITLE = "Backpropagation through time in a scalar RNN"
SOURCE = "problem catalog, part 2 (sequence/rnn-bptt)"

PARTS = (
    Part("forward", points=3, answers=("h", "loss"), space="6cm"),
    Part("backward", points=5, answers=("dL_dw", "dL_du", "dL_db"), space="8cm"),
    Part("jacobian", points=2, answers=("jacobian_product",), space="4cm"),
)

# The sequence length sets the number of steps of every part and of the figure.
STRUCTURE = ("T",)

LENGTHS = (2, 3)


@dataclass(frozen=True)
class Sequence(Vector):
    """The input sequence: drawn with T entries, but a pinned sequence may have any length in
    LENGTHS, so that pinning x alone works (the constraint `len(x) == T` then redraws T)."""

    def problem_with(self, value, params):
        return Vector.problem_with(replace(self, length=LENGTHS), value, params)


PARAMS = (
    Choice("T", LENGTHS),
    Decimal("w", -1.5, 1.5, 0.5, nonzero=True),
    Decimal("u", -1, 1, 0.5, nonzero=True),
    Decimal("b", -0.5, 0.5, 0.25),
    Decimal("h0", -0.5, 0.5, 0.5),
    Sequence("x", length="T", low=-1, high=1, step=0.5, nonzero=True),
    Decimal("target", -1, 1, 0.5),
)

# Beyond |a| = 2, tanh'(a) < 0.08: the gradient vanishes into rounding noise by hand.
MAX_ABS_PREACT = 2.0
MIN_RESIDUAL = 0.2
MIN_GRADIENT = 0.01


def _forward(p):
    """Pre-activations a_1..a_T and states h_0..h_T (h_0 first)."""
    a, h = [], [p["h0"]]
    for x_t in p["x"]:
        a.append(p["w"] * h[-1] + p["u"] * x_t + p["b"])
        h.append(math.tanh(a[-1]))
    return a, h


def _backward(p, tanh_factor=True, steps=None):
    """BPTT: per step t (last first) dL/dh_t, dL/da_t and the contributions to w, u, b.
    `tanh_factor=False` and `steps` (how many steps back) let the mistakes reuse it."""
    a, h = _forward(p)
    T = len(p["x"])
    delta = h[T] - p["target"]                       # dL/dh_T
    rows, grads = [], {"w": 0.0, "u": 0.0, "b": 0.0}
    for t in range(T, 0, -1):
        if steps is not None and T - t >= steps:
            break
        factor = 1 - h[t] ** 2 if tanh_factor else 1.0
        da = delta * factor
        rows.append({"t": t, "dh": delta, "factor": factor, "da": da, "h_prev": h[t - 1], "x": p["x"][t - 1],
                     "cw": da * h[t - 1], "cu": da * p["x"][t - 1], "cb": da, "dh_prev": da * p["w"]})
        grads["w"] += da * h[t - 1]
        grads["u"] += da * p["x"][t - 1]
        grads["b"] += da
        delta = da * p["w"]                          # dL/dh_{t-1}
    return rows, grads


def _jacobians(p):
    _, h = _forward(p)
    return [p["w"] * (1 - h[t] ** 2) for t in range(1, len(h))]


CONSTRAINTS = (
    Constraint("x has T entries", lambda p: len(p["x"]) == p["T"]),
    Constraint(f"|a_t| <= {MAX_ABS_PREACT} for every step (tanh not saturated)",
               lambda p: all(abs(v) <= MAX_ABS_PREACT for v in _forward(p)[0])),
    Constraint(f"|h_T - target| >= {MIN_RESIDUAL}", lambda p: abs(_forward(p)[1][-1] - p["target"]) >= MIN_RESIDUAL),
    Constraint(f"|dL/dw|, |dL/du|, |dL/db| >= {MIN_GRADIENT} (no gradient lost in rounding)",
               lambda p: all(abs(v) >= MIN_GRADIENT for v in _backward(p)[1].values())),
    Constraint(f"the steps before T contribute at least {MIN_GRADIENT} to dL/du (time matters)",
               lambda p: abs(sum(row["cu"] for row in _backward(p)[0][1:])) >= MIN_GRADIENT),
    # A state h_t = 0 before the last step (a_t = 0) drops step t+1's term of dL/dw, so a
    # student who forgets that term is not caught.
    Constraint(f"|a_t| >= {MIN_GRADIENT} for every step before T (each step's w-term counts)",
               lambda p: all(abs(v) >= MIN_GRADIENT for v in _forward(p)[0][:-1]), pedagogical=True),
)

CALC = {"rtol": 0.005, "atol": 0.001}

ANSWERS = (
    Answer("h", "vector", "hidden states h_t, one per step t", **CALC),
    Answer("loss", "real", "loss L", **CALC),
    Answer("dL_dw", "real", "dL/dw", **CALC),
    Answer("dL_du", "real", "dL/du", **CALC),
    Answer("dL_db", "real", "dL/db", **CALC),
    Answer("jacobian_product", "real", "product of the Jacobians: the derivative of the last state by h_0", **CALC),
)


def solve(p):
    a, h = _forward(p)
    T = len(p["x"])
    rows, grads = _backward(p)
    jac = _jacobians(p)
    product = math.prod(jac)
    residual = h[T] - p["target"]
    return {
        "h": h[1:], "loss": residual ** 2 / 2,
        "dL_dw": grads["w"], "dL_du": grads["u"], "dL_db": grads["b"],
        "jacobian_product": product,
        "T": T, "residual": residual,
        "steps": [{"t": t, "prev": t - 1, "h_prev": h[t - 1], "x": p["x"][t - 1], "a": a[t - 1], "h": h[t],
                   "dh": next(r["dh"] for r in rows if r["t"] == t)} for t in range(1, T + 1)],
        "rows": rows,                                # backward order: t = T first
        "jac": [{"t": t, "prev": t - 1, "h": h[t], "factor": 1 - h[t] ** 2, "J": jac[t - 1]} for t in range(1, T + 1)],
        "abs_w": abs(p["w"]),
    }


def check(p, answers):
    """The unrolled loss as a numpy function of (w, u, b) and of h0; gradients and dh_T/dh_0
    by central finite differences."""
    import numpy as np

    x = np.array(p["x"], dtype=float)

    def states(theta, h0):
        w, u, b = theta
        h = [h0]
        for x_t in x:
            h.append(np.tanh(w * h[-1] + u * x_t + b))
        return np.array(h[1:])

    theta = np.array([p["w"], p["u"], p["b"]], dtype=float)

    def loss(theta):
        return float(0.5 * (states(theta, p["h0"])[-1] - p["target"]) ** 2)

    grad = central_gradient(loss, theta)
    dhT_dh0 = central_gradient(lambda v: float(states(theta, v[0])[-1]), np.array([p["h0"]], dtype=float))[0]
    fd = {"atol": 1e-7, "rtol": 1e-6}     # truncation ~1e-12 |f'''|, rounding ~1e-10
    h = states(theta, p["h0"])
    return {
        "h": h, "loss": loss(theta),
        "dL_dw": Approx(float(grad[0]), **fd), "dL_du": Approx(float(grad[1]), **fd),
        "dL_db": Approx(float(grad[2]), **fd),
        "jacobian_product": Approx(float(dhT_dh0), **fd),
    }


def _grads(rows_and_grads):
    _, grads = rows_and_grads
    return {"dL_dw": grads["w"], "dL_du": grads["u"], "dL_db": grads["b"]}


MISTAKES = (
    Mistake("last-step-only", "kept only the last step's contribution (no backpropagation through time)",
            lambda p: _grads(_backward(p, steps=1))),
    Mistake("no-tanh-derivative", "left out the factors tanh'(a_t) = 1 - h_t^2",
            lambda p: {**_grads(_backward(p, tanh_factor=False)), "jacobian_product": p["w"] ** len(p["x"])}),
    Mistake("no-square-derivative", "took dL/dh_T = 1 (forgot the residual h_T - target)",
            lambda p: {k: v / (_forward(p)[1][-1] - p["target"]) for k, v in _grads(_backward(p)).items()}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "forward": (
        Step("hidden states step by step", 0.5),
        Step("the loss", 0.5),
    ),
    "backward": (
        Step("backpropagation through time: dL/da_t = dL/dh_t (1 - h_t^2), step by step", 0.4),
        Step("contributions to w, u, b summed over the steps", 0.4),
        Step("the numbers", 0.2),
    ),
    "jacobian": (
        Step("product of the step Jacobians w (1 - h_t^2)", 0.5),
        Step("its value (vanishing or exploding)", 0.5),
    ),
}
