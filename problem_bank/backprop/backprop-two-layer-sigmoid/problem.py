"""Forward and backward pass of y_hat = W2 sigma(W1 x) with L = ||y_hat - y||^2 (no biases).

The sigmoid is not hand-computable exactly, so the statement allows a calculator and the
answers that depend on it are graded to about four significant digits. The cost part counts
scalar multiplications under a convention that the statement spells out.
"""

import math

from generator.authoring import (
    Answer,
    Approx,
    Constraint,
    Int,
    Matrix,
    Mistake,
    Part,
    Vector,
    central_gradient,
)

TITLE = "Backpropagation in a two-layer sigmoid network"
TITLES = {"de": "Backpropagation in einem zweischichtigen Sigmoid-Netz"}
SOURCE = "exam-weight-decay-backprop-conv.md, question 1"

PARTS = (
    Part("forward", points=4, answers=("z", "u", "y_hat", "loss"), space="6cm"),
    Part("backward_output", points=2, answers=("dL_dyhat", "dL_dW2"), space="3.5cm"),
    Part("backward_hidden", points=3, answers=("dL_dz", "dL_dW1"), space="5cm"),
    Part("cost", points=3, answers=("costlier_pass", "forward_mults", "backward_mults"), space="4cm"),
)

# Sizes (structure: an exam gives every variant the same network): d inputs, h hidden
# units, o outputs; W1 is h x d, W2 is o x h. Entries are drawn small; solve and check take
# any numbers in the domains (a textbook's network).
PARAMS = (
    Int("d", 2, 3, domain=(1, 8)),
    Int("h", 2, 3, domain=(1, 8)),
    Int("o", 1, 2, domain=(1, 8)),
    Matrix("W1", rows="h", cols="d", low=-1, high=1, step=0.25, domain=(-10, 10)),
    Matrix("W2", rows="o", cols="h", low=-2, high=2, step=0.5, nonzero=True, domain=(-10, 10)),
    Vector("x", length="d", low=-2, high=2, nonzero=True, domain=(-10, 10)),
    Vector("y", length="o", low=-2, high=2, step=0.5, domain=(-10, 10)),
)

STRUCTURE = ("d", "h", "o")


def WORKLOAD(p):
    """Scalar multiplications of both passes, under the statement's convention (see solve)."""
    d, h, o = p["d"], p["h"], p["o"]
    return (h * d + o * h + o) + (o + 2 * o * h + 2 * h + h * d)

# Pre-activations beyond this saturate the sigmoid: gradients too small to grade by hand.
MAX_ABS_Z = 2.5
# Smallest residual |y_hat - y| and smallest backpropagated signal per hidden unit.
MIN_RESIDUAL = 0.1
MIN_HIDDEN_SIGNAL = 0.1


def _sigmoid(value: float) -> float:
    return 1.0 / (1.0 + math.exp(-value))


def _forward(p):
    """(z, u, y_hat) in plain floats, z exact from decimal strings (no 0.1 + 0.2 noise)."""
    from fractions import Fraction

    z = [float(sum(Fraction(str(w)) * xj for w, xj in zip(row, p["x"], strict=True))) for row in p["W1"]]
    u = [_sigmoid(v) for v in z]
    y_hat = [sum(w * uk for w, uk in zip(row, u, strict=True)) for row in p["W2"]]
    return z, u, y_hat


def _hidden_signal(p):
    """W2^T dL/dy_hat, the gradient arriving at u."""
    _, _, y_hat = _forward(p)
    delta = [2 * (a - t) for a, t in zip(y_hat, p["y"], strict=True)]
    return [sum(p["W2"][o][k] * delta[o] for o in range(len(delta))) for k in range(len(p["W1"]))]


CONSTRAINTS = (
    # dL/dW1 = (hidden signal) x^T: equal entries of x give identical columns, half the work.
    Constraint("the entries of x differ (no two identical columns of dL/dW1)",
               lambda p: len(set(p["x"])) == len(p["x"]), pedagogical=True),
    Constraint(f"|z_k| <= {MAX_ABS_Z} (sigmoid not saturated)",
               lambda p: all(abs(v) <= MAX_ABS_Z for v in _forward(p)[0]), pedagogical=True),
    Constraint(f"|y_hat_k - y_k| >= {MIN_RESIDUAL} for every output",
               lambda p: all(abs(a - t) >= MIN_RESIDUAL for a, t in zip(_forward(p)[2], p["y"], strict=True)),
               pedagogical=True),
    Constraint(f"|(W2^T dL/dy_hat)_k| >= {MIN_HIDDEN_SIGNAL} for every hidden unit",
               lambda p: all(abs(v) >= MIN_HIDDEN_SIGNAL for v in _hidden_signal(p)), pedagogical=True),
)

# Sigmoid values come from a calculator: about four significant digits.
CALC = {"rtol": 0.002, "atol": 0.001}

ANSWERS = (
    Answer("z", "vector", "pre-activation z"),
    Answer("u", "vector", "hidden activation u", **CALC),
    Answer("y_hat", "vector", "network output y_hat", **CALC),
    Answer("loss", "real", "loss L", **CALC),
    Answer("dL_dyhat", "vector", "dL/dy_hat", **CALC),
    Answer("dL_dW2", "matrix", "dL/dW2", **CALC),
    Answer("dL_dz", "vector", "dL/dz", **CALC),
    Answer("dL_dW1", "matrix", "dL/dW1", **CALC),
    Answer("costlier_pass", "choice", "the more expensive pass", options=("forward", "backward", "equal")),
    Answer("forward_mults", "int", "scalar multiplications in the forward pass"),
    Answer("backward_mults", "int", "scalar multiplications in the backward pass"),
)


def _four_digits(value: float) -> tuple[str, str]:
    """(relation, text): `value` with the decimals the other results get (4), but never fewer
    than four significant digits, trailing zeros kept (0.9900, 0.01235, not 0.99, 0.0123), and
    `\\approx`; an exact value as it is (0.25), with `=`."""
    from decimal import Decimal

    if value == 0:
        return "=", "0"
    places = max(4, 3 - Decimal(repr(value)).adjusted())
    text = f"{value:.{places}f}"
    if float(text) == value:                 # exact: no padding zeros (L = 0.25)
        text = format(Decimal(repr(value)), "f")
        return "=", text.rstrip("0").rstrip(".") if "." in text else text
    return r"\approx", text


def solve(p):
    W1, W2, x, y = p["W1"], p["W2"], p["x"], p["y"]
    h, d, o = len(W1), len(x), len(W2)
    z, u, y_hat = _forward(p)
    residual = [a - t for a, t in zip(y_hat, y, strict=True)]
    loss = sum(e * e for e in residual)
    dL_dyhat = [2 * e for e in residual]
    dL_dW2 = [[delta * uk for uk in u] for delta in dL_dyhat]            # outer product dL/dy_hat u^T
    dL_du = [sum(W2[i][k] * dL_dyhat[i] for i in range(o)) for k in range(h)]   # W2^T dL/dy_hat
    sig_prime = [uk * (1 - uk) for uk in u]                               # sigma'(z) = u (1 - u)
    dL_dz = [g * s for g, s in zip(dL_du, sig_prime, strict=True)]
    dL_dW1 = [[delta * xj for xj in x] for delta in dL_dz]                # outer product dL/dz x^T

    # Convention: every scalar product in the matrix-vector products, outer products,
    # elementwise products, squares and the scaling by 2; sigma itself is not a product.
    forward_counts = {"W1x": h * d, "W2u": o * h, "squares": o}
    backward_counts = {"times2": o, "outer2": o * h, "W2T": o * h, "sigprime": h, "hadamard": h, "outer1": h * d}
    forward_mults = sum(forward_counts.values())
    backward_mults = sum(backward_counts.values())
    costlier = ("backward" if backward_mults > forward_mults
                else "forward" if forward_mults > backward_mults else "equal")
    return {
        "z": z, "u": u, "y_hat": y_hat, "loss": loss,
        "dL_dyhat": dL_dyhat, "dL_dW2": dL_dW2, "dL_dz": dL_dz, "dL_dW1": dL_dW1,
        "costlier_pass": costlier, "forward_mults": forward_mults, "backward_mults": backward_mults,
        "h": h, "d": d, "o": o,
        "residual": residual, "dL_du": dL_du, "sig_prime": sig_prime,
        "z_rows": [[{"w": w, "x": xj} for w, xj in zip(row, x, strict=True)] for row in W1],
        "yhat_rows": [[{"w": w, "u": uk} for w, uk in zip(row, u, strict=True)] for row in W2],
        "dL_du_terms": [[{"w": W2[i][k], "g": dL_dyhat[i]} for i in range(o)] for k in range(h)],
        "forward_counts": forward_counts, "backward_counts": backward_counts,
        "u_row": [u], "x_row": [x],   # u^T and x^T as 1-row matrices for the outer products
        # L to at least the four significant digits the statement asks for (num() drops trailing 0s)
        "loss_rel": _four_digits(loss)[0],
        "ratio": backward_mults / forward_mults,
        "extra": backward_mults - forward_mults,
    }


def check(p, answers):
    """Forward pass in numpy with sigma written as (1 + tanh(z/2))/2; gradients by central
    finite differences of the loss; multiplications counted in explicit loops."""
    import numpy as np

    W1 = np.array(p["W1"], dtype=float)
    W2 = np.array(p["W2"], dtype=float)
    x = np.array(p["x"], dtype=float)
    y = np.array(p["y"], dtype=float)

    def sigma(z):
        return 0.5 * (1.0 + np.tanh(0.5 * z))

    def loss_from_yhat(y_hat):
        return float(np.sum((y_hat - y) ** 2))

    def loss_from_z(z, W2=W2):
        return loss_from_yhat(W2 @ sigma(z))

    def loss_from_weights(W1, W2):
        return loss_from_z(W1 @ x, W2)

    z = W1 @ x
    u = sigma(z)
    y_hat = W2 @ u
    fd = {"atol": 1e-6, "rtol": 1e-6}  # truncation ~h^2, rounding ~1e-16 L / h ~ 1e-9
    counts = _counted_passes(p["W1"], p["W2"], p["x"], p["y"])
    return {
        "z": z, "u": u, "y_hat": y_hat, "loss": loss_from_yhat(y_hat),
        "dL_dyhat": Approx(central_gradient(loss_from_yhat, y_hat).tolist(), **fd),
        "dL_dz": Approx(central_gradient(loss_from_z, z).tolist(), **fd),
        "dL_dW1": Approx(central_gradient(lambda A: loss_from_weights(A, W2), W1).tolist(), **fd),
        "dL_dW2": Approx(central_gradient(lambda B: loss_from_weights(W1, B), W2).tolist(), **fd),
        "forward_mults": counts["forward"],
        "backward_mults": counts["backward"],
        "costlier_pass": max(("forward", "backward"), key=counts.__getitem__)
        if counts["forward"] != counts["backward"] else "equal",
    }


def _counted_passes(W1, W2, x, y):
    """Run both passes as explicit scalar loops and count every multiplication."""
    count = {"n": 0}

    def mul(a, b):
        count["n"] += 1
        return a * b

    h, d, o = len(W1), len(x), len(W2)
    z = [0.0] * h
    for k in range(h):
        for j in range(d):
            z[k] += mul(W1[k][j], x[j])
    u = [math.tanh(v / 2) / 2 + 0.5 for v in z]   # sigma: a function evaluation, not counted
    y_hat = [0.0] * o
    for i in range(o):
        for k in range(h):
            y_hat[i] += mul(W2[i][k], u[k])
    loss = 0.0
    for i in range(o):
        loss += mul(y_hat[i] - y[i], y_hat[i] - y[i])
    forward = count["n"]

    count["n"] = 0
    g_yhat = [mul(2.0, y_hat[i] - y[i]) for i in range(o)]
    g_W2 = [[mul(g_yhat[i], u[k]) for k in range(h)] for i in range(o)]
    g_u = [0.0] * h
    for k in range(h):
        for i in range(o):
            g_u[k] += mul(W2[i][k], g_yhat[i])
    g_z = [mul(g_u[k], mul(u[k], 1.0 - u[k])) for k in range(h)]
    g_W1 = [[mul(g_z[k], x[j]) for j in range(d)] for k in range(h)]
    del loss, g_W2, g_W1  # computed only to be counted
    return {"forward": forward, "backward": count["n"]}


def _with(p, scale=1.0, sigma_prime=None):
    """Backward pass variants for the mistakes: dL/dy_hat scaled, or another sigma'."""
    z, u, y_hat = _forward(p)
    delta = [scale * 2 * (a - t) for a, t in zip(y_hat, p["y"], strict=True)]
    h = len(u)
    g_u = [sum(p["W2"][i][k] * delta[i] for i in range(len(delta))) for k in range(h)]
    prime = sigma_prime(u) if sigma_prime else [v * (1 - v) for v in u]
    g_z = [a * b for a, b in zip(g_u, prime, strict=True)]
    return {
        "dL_dyhat": delta,
        "dL_dW2": [[dv * uk for uk in u] for dv in delta],
        "dL_dz": g_z,
        "dL_dW1": [[gz * xj for xj in p["x"]] for gz in g_z],
    }


MISTAKES = (
    Mistake("no-factor-2", "dropped the 2 in the derivative of the square (dL/dy_hat = y_hat - y)",
            lambda p: _with(p, scale=0.5)),
    Mistake("sigma-prime-is-sigma", "used sigma'(z) = sigma(z) instead of sigma(z)(1 - sigma(z))",
            lambda p: {k: v for k, v in _with(p, sigma_prime=lambda u: list(u)).items()
                       if k in ("dL_dz", "dL_dW1")}),
    Mistake("forward-costlier", "judged the forward pass the more expensive one",
            lambda p: {"costlier_pass": "forward"}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "forward": (
        Step("forward values z, u of the hidden layer", 0.5),
        Step("output y_hat and the loss", 0.5),
    ),
    "backward_output": (
        Step("dL/dy_hat from the loss", 0.5),
        Step("dL/dW2 as dL/dy_hat times the hidden activations", 0.5),
    ),
    "backward_hidden": (
        Step("back through W2 to the hidden units", "1/3"),
        Step("chain rule through the sigmoid: u (1 - u)", "1/3"),
        Step("dL/dW1 as the outer product with x", "1/3"),
    ),
    "cost": (
        Step("the costlier pass named, with the reason", "1/3"),
        Step("forward multiplications counted", "1/3"),
        Step("backward multiplications counted", "1/3"),
    ),
}
