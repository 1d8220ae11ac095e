"""Backpropagation through a normalised linear layer y_i = (w_i . x + b_i) / ||w_i||.

Row i of W feeds only y_i, so dL/dw_i has a single term (the source sheet's eq. (24)
wrongly sums over i), and it has two parts: one through the numerator, one through the
norm in the denominator.
"""

from generator.authoring import (
    Answer,
    Approx,
    Constraint,
    Exact,
    Int,
    Matrix,
    Mistake,
    Part,
    Vector,
    central_gradient,
    square_free,
)

TITLE = "Backpropagation through a normalised linear layer"
TITLES = {"de": "Backpropagation durch eine normierte lineare Schicht"}
SOURCE = "dl-assignments-with-solutions.md, assignment 9"

PARTS = (
    Part("forward", points=2, answers=("y",), space="3.5cm"),
    Part("grad_b", points=2, answers=("dL_db",), space="2.5cm"),
    Part("grad_x", points=3, answers=("dL_dx",), space="4cm"),
    Part("grad_W", points=5, answers=("dL_dW",), space="6cm"),
)

# Rows with ||w_i||^2 <= 13 keep every norm a simple radical (1, sqrt 2, sqrt 3, 2, sqrt 5,
# ..., 3, sqrt 10, ..., sqrt 13) that a student can carry exactly; about a fifth of them
# have an integer norm, such as (1, 2, -2) with norm 3.
MAX_NORM_SQUARED = 13
ENTRY_RANGE = range(-3, 4)


def _nice_rows(n: int) -> list[list[int]]:
    rows = [[]]
    for _ in range(n):
        rows = [row + [v] for row in rows for v in ENTRY_RANGE]
    return [row for row in rows if 0 < sum(v * v for v in row) <= MAX_NORM_SQUARED]


NICE_ROWS = {n: _nice_rows(n) for n in (2, 3)}

PARAMS = (
    Int("m", 2, 3, domain=(1, 10)),          # outputs: W is m x n
    Int("n", 2, 3, domain=(1, 5)),           # inputs
    Matrix("W", rows="m", cols="n", low=-3, high=3, domain=(-100, 100)),
    Vector("b", length="m", low=-3, high=3, domain=(-100, 100)),
    Vector("x", length="n", low=-3, high=3, domain=(-100, 100)),
    Vector("g", length="m", low=-2, high=2, nonzero=True, domain=(-100, 100)),
)

STRUCTURE = ("m", "n")


def WORKLOAD(p):
    """Entries of dL/dW, the largest of the three gradients."""
    return p["m"] * p["n"]


def sample(rng, pins=None):
    """Sizes first (each of the four shapes equally likely; pinned ones kept), then W row by
    row from the rows with simple norms, so that no shape is starved by rejection."""
    pins = pins or {}
    m, n = rng.choice((2, 3)), rng.choice((2, 3))
    m, n = pins.get("m", m), pins.get("n", n)   # validated before sample() sees them
    rows = NICE_ROWS.get(n) or _nice_rows(n)
    return {"m": m, "n": n,
        "W": [list(rng.choice(rows)) for _ in range(m)],
        "b": [rng.integer(-3, 3) for _ in range(m)],
        "x": [rng.integer(-3, 3) for _ in range(n)],
        "g": [rng.nonzero_integer(-2, 2) for _ in range(m)],
    }


def _norms_squared(p):
    return [sum(v * v for v in row) for row in p["W"]]


def _grad_x(p):
    """sum_i g_i w_i / ||w_i|| in floats, for the non-degeneracy constraint."""
    import math

    cols = len(p["W"][0])
    return [sum(gi * row[j] / math.sqrt(k) for gi, row, k in zip(p["g"], p["W"], _norms_squared(p), strict=True))
            for j in range(cols)]


CONSTRAINTS = (
    Constraint("no zero row in W (||w_i|| > 0)", lambda p: all(k > 0 for k in _norms_squared(p))),
    Constraint(f"||w_i||^2 <= {MAX_NORM_SQUARED} for every row (simple radicals)",
               lambda p: all(k <= MAX_NORM_SQUARED for k in _norms_squared(p)), pedagogical=True),
    Constraint("x is not the zero vector", lambda p: any(v != 0 for v in p["x"]), pedagogical=True),
    Constraint("dL/dx is not the zero vector", lambda p: any(abs(v) > 1e-9 for v in _grad_x(p)), pedagogical=True),
)

ANSWERS = (
    Answer("y", "vector", "layer output y"),
    Answer("dL_db", "vector", "dL/db"),
    Answer("dL_dx", "vector", "dL/dx"),
    Answer("dL_dW", "matrix", "dL/dW (row i is dL/dw_i)"),
)


class Surd:
    """An exact sum of rational multiples of square roots, sum_r c_r sqrt(r) (r square-free).

    Every number in this problem has that form (ratios of integers and norms sqrt(k)).
    sympy would do the same arithmetic, but turning its values into text, LaTeX and floats
    costs ~1 ms each and an instance has ~40 of them; this class does it in microseconds
    and its output is checked against sympy in the problem's tests.
    """

    __slots__ = ("terms",)

    def __init__(self, terms):
        self.terms = {r: c for r, c in terms.items() if c != 0}

    @classmethod
    def rational(cls, value):
        from fractions import Fraction

        return cls({1: Fraction(value)})

    @classmethod
    def sqrt(cls, k: int):
        from fractions import Fraction

        outside, inside = square_free(k)
        return cls({inside: Fraction(outside)})

    def __add__(self, other):
        other = other if isinstance(other, Surd) else Surd.rational(other)
        terms = dict(self.terms)
        for r, c in other.terms.items():
            terms[r] = terms.get(r, 0) + c
        return Surd(terms)

    __radd__ = __add__

    def __neg__(self):
        return Surd({r: -c for r, c in self.terms.items()})

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        other = other if isinstance(other, Surd) else Surd.rational(other)
        out = Surd({})
        for r1, c1 in self.terms.items():
            for r2, c2 in other.terms.items():
                outside, inside = square_free(r1 * r2)
                out = out + Surd({inside: c1 * c2 * outside})
        return out

    __rmul__ = __mul__

    def __truediv__(self, other):
        """Division by a rational or by a single term c sqrt(r) (= sqrt(r) / (c r))."""
        other = other if isinstance(other, Surd) else Surd.rational(other)
        if len(other.terms) != 1:
            raise ZeroDivisionError("division by a sum of radicals is not needed here")
        (r, c), = other.terms.items()
        return self * Surd({r: 1 / (c * r)})

    def __rtruediv__(self, other):
        return Surd.rational(other) / self

    def __float__(self):
        import math

        return sum(float(c) * math.sqrt(r) for r, c in self.terms.items())

    def _ordered(self):
        return sorted(self.terms.items())  # the rational part (r = 1) first

    def _join(self, body) -> str:
        """The terms as `first + second - third`, each magnitude written by `body(r, |c|)`."""
        out = ""
        for r, c in self._ordered():
            if out:
                out += (" - " if c < 0 else " + ") + body(r, abs(c))
            else:
                out = ("-" if c < 0 else "") + body(r, abs(c))
        return out or "0"

    def text(self) -> str:
        """sympy syntax, e.g. 1 - 4*sqrt(10)/5."""
        def body(r, c):
            if r == 1:
                return str(c)
            top = ("" if c.numerator == 1 else f"{c.numerator}*") + f"sqrt({r})"
            return top if c.denominator == 1 else f"{top}/{c.denominator}"
        return self._join(body)

    def latex(self) -> str:
        """LaTeX, e.g. 1 - \\frac{4\\sqrt{10}}{5}."""
        def body(r, c):
            if r == 1:
                top = str(c.numerator)
            else:
                top = ("" if c.numerator == 1 else str(c.numerator)) + rf"\sqrt{{{r}}}"
            return top if c.denominator == 1 else rf"\frac{{{top}}}{{{c.denominator}}}"
        return self._join(body)

    def value(self):
        """For solve's dict: an int when the value is an integer, else an Exact."""
        if not self.terms:
            return 0
        if set(self.terms) == {1} and self.terms[1].denominator == 1:
            return int(self.terms[1])
        return Exact(self.text(), self.latex(), float(self))


def _lowest_terms(numerator: int, norm: Surd) -> bool:
    """Whether numerator / norm is an integer norm > 1 with a fraction that does not reduce."""
    import math

    if set(norm.terms) != {1}:
        return False
    q = int(norm.terms[1])
    return q > 1 and numerator != 0 and math.gcd(numerator, q) == 1


def solve(p):
    W, b, x, g = p["W"], p["b"], p["x"], p["g"]
    n = len(x)
    rows, raw = [], []
    for i, (w, bi, gi) in enumerate(zip(W, b, g, strict=True)):
        k = sum(v * v for v in w)                       # ||w_i||^2, an integer
        norm = Surd.sqrt(k)
        pre = sum(wj * xj for wj, xj in zip(w, x, strict=True)) + bi   # w_i . x + b_i
        coeff = gi / norm                               # g_i / ||w_i|| = dL/db_i
        ratio = Surd.rational(pre) / k                  # (w_i . x + b_i) / ||w_i||^2
        # dL/dw_i = g_i / ||w_i|| (x - (w_i . x + b_i) w_i / ||w_i||^2): the part of x
        # through the numerator minus the part through the norm.
        inner = [xj - ratio * wj for xj, wj in zip(x, w, strict=True)]
        grad_w = [coeff * v for v in inner]
        raw.append((coeff, grad_w, pre / norm))
        rows.append({
            "i": i + 1, "w": w, "b": bi, "g": gi, "g_abs": abs(gi), "k": k, "pre": pre, "pre_abs": abs(pre),
            "squares": [v * v for v in w],
            "products": [{"w": wj, "x": xj} for wj, xj in zip(w, x, strict=True)],
            "norm": norm.value(),
            # sqrt(8) is written 2 sqrt(2), sqrt(9) is 3: worth a second step in the solution.
            "norm_rewritten": norm.terms != {k: 1},
            "y": (pre / norm).value(),
            # p/q over an integer norm is already in lowest terms: no "= same" step to print.
            "y_step": not _lowest_terms(pre, norm),
            "coeff_step": not _lowest_terms(gi, norm),
            "coeff": coeff.value(),
            "inner": [v.value() for v in inner],
            "grad_w": [v.value() for v in grad_w],
            "x_term": [(coeff * wj).value() for wj in w],
            # w_i . dL/dw_i = -b_i g_i / ||w_i||: without the bias the row gradient would be
            # orthogonal to w_i (y_i would not change with the scale of w_i).
            "radial": (-bi * coeff).value(),
        })
    dL_dx = [sum((coeff * w[j] for (coeff, _, _), w in zip(raw, W, strict=True)), Surd({})) for j in range(n)]
    return {
        "y": [r["y"] for r in rows],
        "dL_db": [r["coeff"] for r in rows],
        "dL_dx": [v.value() for v in dL_dx],
        "dL_dW": [r["grad_w"] for r in rows],
        "rows": rows,
        "m": len(rows),
        "n": n,
    }


def check(p, answers):
    """Central finite differences of L = g . y(W, b, x), with y written out in numpy."""
    import numpy as np

    W0 = np.array(p["W"], dtype=float)
    b0 = np.array(p["b"], dtype=float)
    x0 = np.array(p["x"], dtype=float)
    g = np.array(p["g"], dtype=float)

    def layer(W, b, x):
        return (W @ x + b) / np.linalg.norm(W, axis=1)

    def loss(W, b, x):
        return float(g @ layer(W, b, x))

    # Truncation error ~h^2, rounding ~1e-16 |L| / h ~ 1e-9: 1e-6 is a safe bound.
    fd = {"atol": 1e-6, "rtol": 1e-6}
    return {
        "y": layer(W0, b0, x0),
        "dL_db": Approx(central_gradient(lambda b: loss(W0, b, x0), b0).tolist(), **fd),
        "dL_dx": Approx(central_gradient(lambda x: loss(W0, b0, x), x0).tolist(), **fd),
        "dL_dW": Approx(central_gradient(lambda W: loss(W, b0, x0), W0).tolist(), **fd),
    }


def _row_gradients(p):
    """dL/dw_i for each row, floats (for the mistakes)."""
    import numpy as np

    W = np.array(p["W"], dtype=float)
    x = np.array(p["x"], dtype=float)
    pre = W @ x + np.array(p["b"], dtype=float)
    norm = np.linalg.norm(W, axis=1)
    g = np.array(p["g"], dtype=float)
    return (g / norm)[:, None] * (x[None, :] - (pre / norm**2)[:, None] * W)


MISTAKES = (
    Mistake("summed-over-rows", "summed dL/dw_i over all rows i (every row gets the same gradient)",
            lambda p: {"dL_dW": [list(_row_gradients(p).sum(axis=0))] * len(p["W"])}),
    Mistake("norm-as-constant", "treated ||w_i|| as a constant: dL/dw_i = g_i x / ||w_i||",
            lambda p: {"dL_dW": [[gi * xj / sum(v * v for v in w) ** 0.5 for xj in p["x"]]
                                 for gi, w in zip(p["g"], p["W"], strict=True)]}),
    Mistake("bias-unscaled", "forgot the 1/||w_i|| in dL/db_i",
            lambda p: {"dL_db": list(p["g"])}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "forward": (
        Step("the norm of each weight row and the pre-activation w_i^T x + b_i", 0.5),
        Step("their quotient y_i", 0.5),
    ),
    "grad_b": (
        Step("dL/dy from the loss", 0.5),
        Step("dL/db_i = g_i / ||w_i|| (only y_i depends on b_i)", 0.5),
    ),
    "grad_x": (
        Step("the chain rule sums over all outputs: sum_i g_i w_i / ||w_i||", "2/3"),
        Step("the numbers", "1/3"),
    ),
    "grad_W": (
        Step("row w_i enters y_i only: one term, no sum", 0.2),
        Step("the quotient rule with the gradient w / ||w|| of the norm", 0.6),
        Step("the numbers of the gradient matrix", 0.2),
    ),
}
