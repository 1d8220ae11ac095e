"""Which of these functions are convex in w? Four functions drawn from a pool of families,
each with numbers; whether a family is convex depends on its numbers for some of them (a w^2 + b|w|,
(w^2 - a)^2, w^2 + a cos w, w_1^2 + a w_1 w_2 + w_2^2, a piecewise-linear ReLU sum).

solve decides by the families' second derivatives and kinks; check by the midpoint
inequality f((x + y)/2) <= (f(x) + f(y))/2 over every pair of points of a grid.
"""


from generator.authoring import Answer, Constraint, Custom, Mistake, Part

TITLE = "Is this function convex in w?"
SOURCE = "problem catalog, conceptual questions (concepts/convexity)"

SHOWN = 4

PARTS = (Part("which", points=4, answers=("convex",), space="5cm"),)

# family -> the values its numbers a and b are drawn from (b unused where the pool says None).
POOL = {
    "quadratic": ((-2, -1, 1, 2), (-3, -1, 2)),        # a w^2 + b w
    "quad-abs": ((-1, 1), (-2, -1, 1, 2)),             # a w^2 + b |w|
    "logistic": ((-2, -1, 1, 2), (-1, 0, 1)),          # log(1 + exp(a w + b))
    "hinge": ((-2, -1, 1, 2), (-1, 1)),                # max(0, a w + b)
    "abs-sum": ((1, 2), (1, 3)),                       # |w - a| + |w + b|
    "sigmoid": ((-2, -1, 1, 2), None),                 # sigma(a w)
    "cubic": ((-1, 1, 2), None),                       # w^3 + a w
    "double-well": ((-1, 1, 2), None),                 # (w^2 - a)^2
    "cos": ((1, 3), None),                             # w^2 + a cos w
    "relu-sum": ((-2, -0.5, 0.5, 2), None),            # max(0, w) + a max(0, -w)
    "bilinear": ((1, 2), None),                        # (w_1 w_2 - a)^2
    "quad-form": ((-3, -1, 1, 3), None),               # w_1^2 + a w_1 w_2 + w_2^2
}
TWO_D = ("bilinear", "quad-form")
KINKED = ("quad-abs", "hinge", "abs-sum", "relu-sum")    # not differentiable at some point
MONOTONE = ("sigmoid", "cubic")
SQUARES = ("double-well", "bilinear")


def _functions_problem(functions, params) -> str | None:
    if not isinstance(functions, list) or len(functions) != SHOWN:
        return f"must be a list of {SHOWN} functions, got {functions!r}"
    for number, f in enumerate(functions, start=1):
        if not isinstance(f, dict) or set(f) != {"family", "a", "b"}:
            return f"function {number} must have exactly the keys family, a, b; got {f!r}"
        if f["family"] not in POOL:
            return f"function {number}: family must be one of {', '.join(POOL)}, got {f['family']!r}"
        a_values, b_values = POOL[f["family"]]
        if f["a"] not in a_values:
            return f"function {number}: a must be one of {a_values}, got {f['a']!r}"
        if (b_values is None and f["b"] != 0) or (b_values is not None and f["b"] not in b_values):
            return f"function {number}: b must be {'0' if b_values is None else f'one of {b_values}'}, got {f['b']!r}"
    if len({f["family"] for f in functions}) != SHOWN:
        return "must draw each family at most once"
    return None


PARAMS = (
    Custom("functions", check=_functions_problem,
           description=f"a list of {SHOWN} functions {{\"family\": ..., \"a\": number, \"b\": number}} of distinct families"),
)


def sample(rng):
    functions = []
    for family in rng.sample_without_replacement(sorted(POOL), SHOWN):
        a_values, b_values = POOL[family]
        functions.append({"family": family, "a": rng.choice(a_values),
                          "b": 0 if b_values is None else rng.choice(b_values)})
    return {"functions": functions}


def convex(f) -> bool:
    """By the family's second derivative (Hessian) and its kinks."""
    family, a, b = f["family"], f["a"], f["b"]
    if family == "quadratic":
        return a >= 0                          # f'' = 2a
    if family == "quad-abs":
        return a >= 0 and b >= 0               # f'' = 2a off 0; the kink at 0 turns up iff b >= 0
    if family in ("logistic", "hinge", "abs-sum"):
        return True                            # convex of affine; max of affine; sum of convex
    if family in ("sigmoid", "cubic"):
        return False                           # f'' changes sign at 0
    if family == "double-well":
        return a <= 0                          # f'' = 12 w^2 - 4a
    if family == "cos":
        return a <= 2                          # f'' = 2 - a cos w
    if family == "relu-sum":
        return -a <= 1                         # slopes -a (w < 0) then 1 (w > 0) must not decrease
    if family == "bilinear":
        return False                           # Hessian at 0 is [[0, -2a], [-2a, 0]]: indefinite
    if family == "quad-form":
        return abs(a) <= 2                     # Hessian [[2, a], [a, 2]] is PSD iff |a| <= 2
    raise ValueError(family)


CONSTRAINTS = (
    Constraint("at least one shown function is convex and at least one is not",
               lambda p: 0 < sum(map(convex, p["functions"])) < SHOWN, pedagogical=True),
)

ANSWERS = (
    Answer("convex", "bools", "for each of f_1, ..., f_4: whether it is convex in w"),
)


def _n(v) -> str:
    return str(int(v)) if float(v).is_integer() else str(v)


def _coef(v, term: str) -> str:
    """a term with its coefficient: 1 w^2 -> w^2, -1 w^2 -> -w^2, 2 w^2 -> 2 w^2."""
    return (term if v == 1 else "-" + term if v == -1 else _n(v) + " " + term)


def _signed(v, term: str) -> str:
    return (" - " if v < 0 else " + ") + _coef(abs(v), term)


def _const(v) -> str:
    return "" if v == 0 else (" - " if v < 0 else " + ") + _n(abs(v))


def tex(f) -> str:
    """The function as LaTeX maths."""
    family, a, b = f["family"], f["a"], f["b"]
    if family == "quadratic":
        return _coef(a, "w^2") + _signed(b, "w")
    if family == "quad-abs":
        return _coef(a, "w^2") + _signed(b, r"\lvert w \rvert")
    if family == "logistic":
        inner = _coef(a, "w") + _const(b)
        return r"\log\bigl(1 + e^{" + inner + r"}\bigr)"
    if family == "hinge":
        return r"\max(0,\ " + _coef(a, "w") + _const(b) + ")"
    if family == "abs-sum":
        return rf"\lvert w - {_n(a)} \rvert + \lvert w + {_n(b)} \rvert"
    if family == "sigmoid":
        return r"\sigma(" + _coef(a, "w") + r")"
    if family == "cubic":
        return "w^3" + _signed(a, "w")
    if family == "double-well":
        return r"(w^2" + (f" - {_n(a)}" if a > 0 else f" + {_n(-a)}") + ")^2"
    if family == "cos":
        return "w^2 + " + _coef(a, r"\cos w")
    if family == "relu-sum":
        return r"\max(0, w)" + _signed(a, r"\max(0, -w)")
    if family == "bilinear":
        return rf"(w_1 w_2 - {_n(a)})^2"
    if family == "quad-form":
        return "w_1^2" + _signed(a, "w_1 w_2") + " + w_2^2"
    raise ValueError(family)


def solve(p):
    items = []
    for number, f in enumerate(p["functions"], start=1):
        items.append({**f, "number": number, "tex": tex(f), "convex": convex(f), "two_d": f["family"] in TWO_D,
                      "minus_a": -f["a"], "minus_b": -f["b"], "abs_a": abs(f["a"]), "twice_a": 2 * f["a"],
                      "four_a": 4 * f["a"], "minus_four_a": -4 * f["a"]})
    return {"convex": [item["convex"] for item in items], "shown": items, "n_shown": len(items)}


def _value(f, w1, w2):
    """f at points (w1 the scalar w; w2 used by the two-dimensional families), numpy arrays."""
    import numpy as np

    family, a, b = f["family"], f["a"], f["b"]
    table = {
        "quadratic": lambda: a * w1 ** 2 + b * w1,
        "quad-abs": lambda: a * w1 ** 2 + b * np.abs(w1),
        "logistic": lambda: np.logaddexp(0, a * w1 + b),
        "hinge": lambda: np.maximum(0, a * w1 + b),
        "abs-sum": lambda: np.abs(w1 - a) + np.abs(w1 + b),
        "sigmoid": lambda: 1 / (1 + np.exp(-a * w1)),
        "cubic": lambda: w1 ** 3 + a * w1,
        "double-well": lambda: (w1 ** 2 - a) ** 2,
        "cos": lambda: w1 ** 2 + a * np.cos(w1),
        "relu-sum": lambda: np.maximum(0, w1) + a * np.maximum(0, -w1),
        "bilinear": lambda: (w1 * w2 - a) ** 2,
        "quad-form": lambda: w1 ** 2 + a * w1 * w2 + w2 ** 2,
    }
    return table[family]()


def midpoint_violation(f) -> float:
    """The largest f((x + y)/2) - (f(x) + f(y))/2 over all pairs of grid points: [-4, 4] in
    steps of 0.05 for a function of one weight, [-2, 2]^2 in steps of 0.25 for two."""
    import numpy as np

    if f["family"] in TWO_D:
        axis = np.linspace(-2, 2, 17)
        x1, x2 = (v.ravel() for v in np.meshgrid(axis, axis))
    else:
        x1 = np.linspace(-4, 4, 161)
        x2 = np.zeros_like(x1)
    values = _value(f, x1, x2)
    middle = _value(f, (x1[:, None] + x1[None, :]) / 2, (x2[:, None] + x2[None, :]) / 2)
    return float((middle - (values[:, None] + values[None, :]) / 2).max())


def check(p, answers):
    """Convex iff no pair of grid points breaks the midpoint inequality beyond rounding
    (a non-convex family of the pool breaks it by far more: at least 1e-4 on these grids)."""
    return {"convex": [midpoint_violation(f) <= 1e-9 for f in p["functions"]]}


def _believes(verdict):
    """A student whose verdict for some families differs: verdict(f) -> bool or None (no opinion)."""
    def wrong(p):
        truth = [convex(f) for f in p["functions"]]
        said = [truth[i] if verdict(f) is None else verdict(f) for i, f in enumerate(p["functions"])]
        return {"convex": said} if said != truth else {}
    return wrong


MISTAKES = (
    Mistake("kinks-not-convex", "believed that a function with a kink (|w|, max(0, .)) cannot be convex",
            _believes(lambda f: False if f["family"] in KINKED and convex(f) else None)),
    Mistake("monotone-is-convex", "took a monotone function (sigma(a w), w^3 + a w) for a convex one",
            _believes(lambda f: True if f["family"] in MONOTONE and (f["family"] == "sigmoid" or f["a"] >= 0) else None)),
    Mistake("squares-are-convex", "believed that the square of any expression is convex",
            _believes(lambda f: True if f["family"] in SQUARES else None)),
    Mistake("diagonal-only", "judged the Hessian by its diagonal entries (or the leading w^2 term) and missed what the "
                             "cross term, the cosine or the kink adds",
            _believes(lambda f: True if f["family"] in ("quad-form", "cos") or (f["family"] == "quad-abs" and f["a"] > 0)
                      else None)),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "which": (
        Step("each function judged convex or not (the share split over the shown functions)", "3/4"),
        Step("a reason per function: a second derivative, a sum or maximum of convex functions, or a counterexample", "1/4"),
    ),
}
