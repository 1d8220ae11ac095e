"""Backpropagation through a shift-and-add layer y_i = a (x_i + x_{i+m}) + b.

Each input x_j feeds at most two outputs (y_j and y_{j-m}), so its gradient collects at
most two terms; which ones depends on where j sits relative to m and N - m. The source
sheet's case split for m = 2 overlaps; here the two indicator terms are kept apart.
"""

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Decimal,
    Int,
    Mistake,
    Part,
    Vector,
)

TITLE = "Backpropagation through a shift layer"
TITLES = {"de": "Backpropagation durch eine Verschiebungsschicht"}
SOURCE = "dl-assignments-with-solutions.md, assignment 2 (shift 2 generalised to shift m)"

PARTS = (
    Part("forward", points=2, answers=("y",), space="3cm"),
    Part("grad_b", points=2, answers=("dL_db",), space="2.5cm"),
    Part("grad_a", points=2, answers=("dL_da",), space="3cm"),
    Part("grad_x", points=4, answers=("dL_dx",), space="5cm"),
)

# N and m first: the lengths of x (N) and g (N - m) are derived from them.
PARAMS = (
    Int("N", 5, 8, domain=(3, 20)),
    Choice("m", (1, 2, 3), domain=(1, 18)),
    Decimal("a", -3, 3, 0.5, nonzero=True, domain=(-100, 100)),
    Decimal("b", -3, 3, 0.5, nonzero=True, domain=(-100, 100)),
    Vector("x", length="N", low=-5, high=5, domain=(-100, 100)),
    Vector("g", length=lambda p: p["N"] - p["m"], low=-5, high=5, domain=(-100, 100)),
)

STRUCTURE = ("N", "m")


def WORKLOAD(p):
    """Multiplications of the three gradients and the output: about N - m each."""
    return 4 * (p["N"] - p["m"])


def _pairs(p):
    """x_i + x_{i+m} for i = 1..N-m (0-based lists)."""
    x, m = p["x"], p["m"]
    return [x[i] + x[i + m] for i in range(len(x) - m)]


CONSTRAINTS = (
    Constraint("m <= N - 2", lambda p: p["m"] <= p["N"] - 2),
    Constraint("g is not all zero", lambda p: any(v != 0 for v in p["g"]), pedagogical=True),
    # The two scalar gradients should not come out as a trivial 0.
    Constraint("sum of g is not 0", lambda p: sum(p["g"]) != 0, pedagogical=True),
    Constraint("sum_i g_i (x_i + x_{i+m}) is not 0",
               lambda p: sum(gi * si for gi, si in zip(p["g"], _pairs(p), strict=True)) != 0, pedagogical=True),
)

ANSWERS = (
    Answer("y", "vector", "layer output y"),
    Answer("dL_db", "real", "dL/db"),
    Answer("dL_da", "real", "dL/da"),
    Answer("dL_dx", "vector", "dL/dx, one entry per x_j"),
)


def _number(value):
    """A Fraction as the plainest number: an int when whole, else a float (halves are exact)."""
    return int(value) if value.denominator == 1 else float(value)


def solve(p):
    from fractions import Fraction

    N, m, x, g = p["N"], p["m"], p["x"], p["g"]
    a, b = Fraction(str(p["a"])), Fraction(str(p["b"]))
    outputs = N - m
    pair_sums = [x[i] + x[i + m] for i in range(outputs)]
    y = [a * s + b for s in pair_sums]
    dL_db = sum(g)
    dL_da = sum(gi * si for gi, si in zip(g, pair_sums, strict=True))

    # g padded to length N in two ways: g_j sits at position j (from y_j), g_{j-m} at
    # position j (from y_{j-m}). dL/dx = a (head + tail).
    head = list(g) + [0] * m
    tail = [0] * m + list(g)
    dL_dx = [a * (h + t) for h, t in zip(head, tail, strict=True)]

    # Per component, which of the two terms exist (1-based j), for the case table.
    components = []
    for j in range(1, N + 1):
        first = j <= outputs          # x_j enters y_j
        second = j > m                # x_j enters y_{j-m}
        components.append({
            "j": j,
            "first": first,
            "second": second,
            "jm": j - m,
            "g_first": g[j - 1] if first else 0,
            "g_second": g[j - m - 1] if second else 0,
            "inner": head[j - 1] + tail[j - 1],
            "value": _number(dL_dx[j - 1]),
        })
    rows = [{"i": i + 1, "x_i": x[i], "x_im": x[i + m], "im": i + 1 + m, "s": pair_sums[i],
             "g": g[i], "y": _number(y[i])} for i in range(outputs)]
    return {
        "y": [_number(v) for v in y],
        "dL_db": dL_db,
        "dL_da": dL_da,
        "dL_dx": [_number(v) for v in dL_dx],
        "outputs": outputs,
        "pair_sums": pair_sums,
        "rows": rows,
        # the terms g_i (x_i + x_{i+m}) of dL/da, four to a printed line
        "a_lines": [rows[k:k + 4] for k in range(0, len(rows), 4)],
        "components": components,
        "head": head,
        "tail": tail,
        # Which j get which terms, for the case split in words (1-based).
        "j_only_first": [c["j"] for c in components if c["first"] and not c["second"]],
        "j_only_second": [c["j"] for c in components if c["second"] and not c["first"]],
        "j_both": [c["j"] for c in components if c["first"] and c["second"]],
        "j_none": [c["j"] for c in components if not (c["first"] or c["second"])],
    }


def check(p, answers):
    """Numerical Jacobians by central differences, multiplied by g (the layer is linear in
    x, a and b, so the differences are exact up to rounding)."""
    import numpy as np

    m = p["m"]
    x0 = np.array(p["x"], dtype=float)
    g = np.array(p["g"], dtype=float)

    def layer(x, a, b):
        # The definition, written as a slice sum.
        return a * (x[:-m] + x[m:]) + b

    a0, b0, h = float(p["a"]), float(p["b"]), 1e-3
    jac_x = np.empty((len(g), len(x0)))
    for j in range(len(x0)):
        step = np.zeros_like(x0)
        step[j] = h
        jac_x[:, j] = (layer(x0 + step, a0, b0) - layer(x0 - step, a0, b0)) / (2 * h)
    jac_a = (layer(x0, a0 + h, b0) - layer(x0, a0 - h, b0)) / (2 * h)
    jac_b = (layer(x0, a0, b0 + h) - layer(x0, a0, b0 - h)) / (2 * h)
    rounding = 1e-9 * (1 + np.abs(x0).sum())
    return {
        "y": layer(x0, a0, b0),
        "dL_db": Approx(float(g @ jac_b), atol=rounding),
        "dL_da": Approx(float(g @ jac_a), atol=rounding),
        "dL_dx": Approx((g @ jac_x).tolist(), atol=rounding),
    }


def _single_term(p):
    """dL/dx_j with only one of the two terms: g_j where it exists, else g_{j-m} (what an
    overlapping case split such as the sheet's gives). When N <= 2m no x_j feeds two
    outputs, so the mistake cannot show and gives no wrong value."""
    N, m, a, g = p["N"], p["m"], p["a"], p["g"]
    if 2 * m >= N:
        return {}
    return {"dL_dx": [a * (g[j - 1] if j <= N - m else g[j - m - 1] if j > m else 0) for j in range(1, N + 1)]}


def _wrong_direction(p):
    """dL/dx_j = a (g_j + g_{j+m}): the second output that x_j feeds taken as y_{j+m}."""
    N, m, a, g = p["N"], p["m"], p["a"], p["g"]
    outputs = N - m
    return [a * ((g[j - 1] if j <= outputs else 0) + (g[j + m - 1] if j + m <= outputs else 0))
            for j in range(1, N + 1)]


MISTAKES = (
    Mistake("one-term-only", "let each x_j collect only one of g_j and g_{j-m}, not both", _single_term),
    Mistake("wrong-direction", "took x_j to feed y_{j+m} instead of y_{j-m}: dL/dx_j = a (g_j + g_{j+m})",
            lambda p: {"dL_dx": _wrong_direction(p)}),
    Mistake("half-pair", "used only x_i instead of x_i + x_{i+m} in dL/da",
            lambda p: {"dL_da": sum(gi * xi for gi, xi in zip(p["g"], p["x"], strict=False))}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "forward": (
        Step("each output y_i = a (x_i + x_{i+m}) + b", 0.5),
        Step("the numbers", 0.5),
    ),
    "grad_b": (
        Step("dL/dy from the loss", 0.5),
        Step("dL/db as the sum of dL/dy_i", 0.5),
    ),
    "grad_a": (
        Step("dL/da as the sum of dL/dy_i (x_i + x_{i+m})", 0.5),
        Step("the number", 0.5),
    ),
    "grad_x": (
        Step("each x_j feeds up to two outputs: sum over the outputs it reaches", 0.5),
        Step("a times the matching dL/dy entries, zero where it feeds none", 0.25),
        Step("the numbers", 0.25),
    ),
}
