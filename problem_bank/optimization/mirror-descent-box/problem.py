"""Mirror descent on the box (0, 1)^n: proximal steps with the Bernoulli KL divergence.

x^{t+1} = argmin_x <grad f(x^t), x - x^t> + (1/eps) D(x, x^t),
D(x, y) = sum_i x_i log(x_i / y_i) + (1 - x_i) log((1 - x_i) / (1 - y_i)),
solved coordinate-wise by x^{t+1} = sigmoid(logit(x^t) - eps grad f(x^t)); in the natural
parameters eta = logit(x) the iteration is plain gradient descent eta^{t+1} = eta^t - eps g^t.

f is "linear" (c . x) or "quadratic" (||x - target||^2). Both catalog parameters `c` and
`target` exist; the one that f does not use is null (None), so the key never carries a
number that plays no part, and pinning the unused one is an error (a constraint) rather
than silently ignored.
"""

from functools import cache

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Custom,
    Decimal,
    Int,
    Mistake,
    Part,
    Vector,
)

TITLE = "Mirror descent on the unit box"
TITLES = {"de": "Mirror Descent auf dem Einheitswürfel"}
SOURCE = "dl-ss2023-seminar5.md, assignment 4; dl-assignments-with-solutions.md, assignment 11"

PARTS = (
    Part("derivation", points=3, answers=("derivation",), space="5cm"),
    Part("closed_form", points=1, answers=("closed_form",), space="2cm"),
    Part("iterates", points=4, answers=("eta", "x"), space="5cm"),
)


def _numbers(low, high, open_interval=False):
    """Validator of an optional list of numbers (None: the parameter is not used by f)."""
    def check(value, params):
        if value is None:
            return None
        if not isinstance(value, list) or not value:
            return f"must be a list of numbers (or null when f does not use it), got {value!r}"
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int | float):
                return f"entries must be numbers, got {v!r}"
            inside = low < v < high if open_interval else low <= v <= high
            if not inside:
                bounds = f"({low}, {high})" if open_interval else f"[{low}, {high}]"
                return f"entries must be in {bounds}, got {v}"
        return None
    return check


PARAMS = (
    Choice("f", ("linear", "quadratic")),
    Custom("c", check=_numbers(-5, 5),
           description="a list of numbers in [-5, 5] when f = 'linear', else null"),
    Custom("target", check=_numbers(0, 1, open_interval=True),
           description="a list of numbers in (0, 1) when f = 'quadratic', else null"),
    Int("n", 1, 2, domain=(1, 10)),          # coordinates of x
    Vector("x0", length="n", low=0.01, high=0.99, step=0.01),
    Decimal("eps", 0.05, 2, 0.05, nonzero=True, domain=(0.001, 100)),
    Choice("T", (1, 2, 3), domain=(1, 10)),
)

# The function, the dimension and the number of steps are structure.
STRUCTURE = ("f", "n", "T")


def WORKLOAD(p):
    """Sigmoid evaluations: one per coordinate and step."""
    return p["n"] * p["T"]

# Iterates are kept inside [X_MIN, 1 - X_MIN]: a student evaluates exp/log by calculator,
# and the check's accuracy in eta = logit(x) degrades like 1/(x(1 - x)) at the edges.
X_MIN = 0.02


def _coefficients(p):
    return p["c"] if p["f"] == "linear" else p["target"]


def _grad(p, x):
    """grad f at x (floats), as the constraints need it before solve runs."""
    if p["f"] == "linear":
        return list(p["c"])
    return [2 * (xi - ti) for xi, ti in zip(x, p["target"], strict=True)]


def _float_iterates(p):
    import math

    x = list(p["x0"])
    eta = [math.log(v / (1 - v)) for v in x]
    xs = [x]
    for _ in range(p["T"]):
        g = _grad(p, x)
        eta = [e - p["eps"] * gi for e, gi in zip(eta, g, strict=True)]
        x = [1 / (1 + math.exp(-e)) for e in eta]
        xs.append(x)
    return xs


CONSTRAINTS = (
    Constraint("c is given (a list) exactly when f = 'linear'", lambda p: (p["c"] is not None) == (p["f"] == "linear")),
    Constraint("target is given (a list) exactly when f = 'quadratic'",
               lambda p: (p["target"] is not None) == (p["f"] == "quadratic")),
    Constraint("c or target has as many components as x0", lambda p: len(_coefficients(p)) == len(p["x0"])),
    # A zero gradient component leaves that coordinate where it is: nothing to compute.
    Constraint("no gradient component is 0 at x0 (c_i != 0, target_i != x0_i)",
               lambda p: all(abs(v) > 1e-12 for v in _grad(p, p["x0"]))),
    Constraint(f"every iterate stays in [{X_MIN}, {1 - X_MIN}]",
               lambda p: all(X_MIN <= v <= 1 - X_MIN for x in _float_iterates(p) for v in x)),
)

ANSWERS = (
    Answer("derivation", "proof", "solution of the proximal step problem"),
    Answer("closed_form", "expr", "x^{t+1}, per coordinate, in x0 (the current x^t), g and eps",
           symbols=("x0", "g", "eps")),
    Answer("eta", "matrix", "eta^0..eta^T (rows: steps, columns: coordinates)", atol=0.005, rtol=0.005),
    Answer("x", "matrix", "x^0..x^T (rows: steps, columns: coordinates)", atol=0.003, rtol=0.0),
)


def sample(rng, pins=None):
    """Drawn around a pinned f and n (the slot's structure)."""
    pins = pins or {}
    f = rng.choice(("linear", "quadratic"))
    f = pins.get("f", f)
    n = rng.choice((1, 2))
    n = len(pins["x0"]) if isinstance(pins.get("x0"), list) else pins.get("n", n)
    x0 = [rng.decimal(0.1, 0.9, 0.05) for _ in range(n)]
    c = [rng.nonzero_integer(-3, 3) for _ in range(n)] if f == "linear" else None
    target = [rng.decimal(0.1, 0.9, 0.05) for _ in range(n)] if f == "quadratic" else None
    return {"f": f, "c": c, "target": target, "n": n, "x0": x0,
            "eps": rng.choice((0.1, 0.2, 0.25, 0.5, 1.0)), "T": rng.choice((1, 2, 3))}


# ------------------------------------------------------------------ reference solution

def _tidy(value):
    """Short terminating decimals as floats (0.2, not 1/5); other sympy numbers unchanged."""
    import sympy

    if isinstance(value, sympy.Rational) and sympy.Rational(value * 10 ** 6).is_integer:
        return float(value)
    return value


def solve(p):
    """The eta-recursion in floating point; the odds x0/(1 - x0) of eta^0 = log(odds) exactly.

    (Exact forms of later iterates, e.g. 1/(1 + 4 exp(11/20)), say no more than their
    decimals and cost milliseconds each to print, so the key keeps decimals.)
    """
    import math

    import sympy

    eps = p["eps"]
    x = [float(v) for v in p["x0"]]
    eta = [math.log(v / (1 - v)) for v in x]
    etas, xs, steps = [eta], [x], []
    for t in range(p["T"]):
        if p["f"] == "linear":
            g = [float(v) for v in p["c"]]
        else:
            g = [2 * (xi - ti) for xi, ti in zip(x, p["target"], strict=True)]
        eta = [e - eps * gi for e, gi in zip(eta, g, strict=True)]
        x = [1 / (1 + math.exp(-e)) for e in eta]
        etas.append(eta)
        xs.append(x)
        steps.append({"t": t, "grad": g, "eta": eta, "x": x})

    odds0 = [sympy.Rational(str(v)) / (1 - sympy.Rational(str(v))) for v in p["x0"]]
    return {
        # As text: generator.answers.plain() cannot take a sympy application of an undefined
        # Function (its class has no __module__); the grader parses sigmoid/logit by name.
        "closed_form": "sigmoid(logit(x0) - eps*g)",
        "eta": etas,
        "x": xs,
        "steps": steps,
        "n": len(x),
        "odds0": [_tidy(v) for v in odds0],
        "one_minus_x0": [_tidy(1 - sympy.Rational(str(v))) for v in p["x0"]],
    }


# ------------------------------------------------------------------ independent check

def _prox_minimiser(x_t, g, eps):
    """argmin over (0, 1) of g (x - x_t) + (1/eps) KL(x || x_t), by bounded Brent search."""
    import math

    from scipy.optimize import minimize_scalar

    def objective(v):
        return g * (v - x_t) + (v * math.log(v / x_t) + (1 - v) * math.log((1 - v) / (1 - x_t))) / eps

    tiny = 1e-12  # the objective's log terms need v strictly inside (0, 1)
    return minimize_scalar(objective, bounds=(tiny, 1 - tiny), method="bounded",
                           options={"xatol": 1e-12}).x


@cache
def _closed_form_function(text):
    """The answer's expression as a float function of (x0, g, eps), with sigmoid and logit defined."""
    import math

    import sympy

    names = {"x0": sympy.Symbol("x0"), "g": sympy.Symbol("g"), "eps": sympy.Symbol("eps"),
             "sigmoid": sympy.Function("sigmoid"), "logit": sympy.Function("logit")}
    expr = sympy.sympify(text, locals=names)
    functions = {"sigmoid": lambda z: 1 / (1 + math.exp(-z)), "logit": lambda q: math.log(q / (1 - q)),
                 "exp": math.exp, "log": math.log}
    return sympy.lambdify((names["x0"], names["g"], names["eps"]), expr, modules=[functions, "math"])


# Points (x0, g, eps) where a candidate closed form is compared with the numeric minimiser,
# besides the steps of the instance itself.
PROBE_POINTS = ((0.3, 1.5, 0.5), (0.8, -2.0, 0.25), (0.5, 0.7, 1.0), (0.15, -3.0, 0.1))

# Bounded Brent search stops where the objective is flat to rounding: x to about 1e-8 per
# step (measured: max 1.1e-8 over 2000 random steps). Over at most 3 steps an error grows by
# at most the step map's Lipschitz factor (< 13 inside [0.02, 0.98]), hence 1e-6 for x; in
# eta = logit(x) it is scaled by 1/(x(1-x)).
X_ATOL = 1e-6


@cache
def _closed_form_confirmed(text):
    try:
        function = _closed_form_function(text)
        return all(abs(function(x0, g, eps) - _prox_minimiser(x0, g, eps)) <= X_ATOL
                   for x0, g, eps in PROBE_POINTS)
    except Exception:  # an unparsable or undefined expression is simply not confirmed
        return False


def check(p, answers):
    """Each step as its own optimisation problem: scipy minimize_scalar, coordinate by
    coordinate (the objective is a sum of one-coordinate terms), on the proximal objective
    with the gradient of f at the check's own previous iterate."""
    import math

    eps = float(p["eps"])
    x = [float(v) for v in p["x0"]]
    xs = [x]
    closed_ok = _closed_form_confirmed(str(answers["closed_form"]))
    function = _closed_form_function(str(answers["closed_form"])) if closed_ok else None
    for _ in range(p["T"]):
        if p["f"] == "linear":
            g = [float(v) for v in p["c"]]
        else:
            g = [2 * (xi - ti) for xi, ti in zip(x, p["target"], strict=True)]
        new = [_prox_minimiser(xi, gi, eps) for xi, gi in zip(x, g, strict=True)]
        if function is not None:
            closed_ok = closed_ok and all(abs(function(xi, gi, eps) - v) <= X_ATOL
                                          for xi, gi, v in zip(x, g, new, strict=True))
        x = new
        xs.append(x)
    eta = [[math.log(v / (1 - v)) for v in row] for row in xs]
    edge = min(v * (1 - v) for row in xs for v in row)
    return {
        # Confirmed: the answer's formula reproduces the numeric minimiser at every probe point
        # and at every step of this instance; otherwise a text that matches no expression.
        "closed_form": answers["closed_form"] if closed_ok else "closed form disagrees with the numeric minimiser",
        "eta": Approx(eta, atol=X_ATOL / edge),
        "x": Approx(xs, atol=X_ATOL),
    }


# ------------------------------------------------------------------ common mistakes

def _wrong_iterates(p, sign=1.0, frozen_gradient=False, euclidean=False):
    import math

    x = list(p["x0"])
    eta = [math.log(v / (1 - v)) for v in x]
    g0 = _grad(p, x)
    etas, xs = [eta], [x]
    for _ in range(p["T"]):
        g = g0 if frozen_gradient else _grad(p, x)
        if euclidean:
            x = [xi - p["eps"] * gi for xi, gi in zip(x, g, strict=True)]
            eta = [math.log(v / (1 - v)) if 0 < v < 1 else math.nan for v in x]
        else:
            eta = [e - sign * p["eps"] * gi for e, gi in zip(eta, g, strict=True)]
            x = [1 / (1 + math.exp(-e)) for e in eta]
        etas.append(eta)
        xs.append(x)
    return {"eta": etas, "x": xs}


MISTAKES = (
    Mistake("ascent", "moved eta along +eps g (gradient ascent in the natural parameters)",
            lambda p: _wrong_iterates(p, sign=-1.0)),
    # For a linear f, or a single step, the frozen gradient is the right one: no mistake then.
    Mistake("frozen-gradient", "kept the gradient at x^0 for every step",
            lambda p: _wrong_iterates(p, frozen_gradient=True) if p["f"] == "quadratic" and p["T"] > 1 else {}),
    Mistake("euclidean-step", "took plain gradient steps x - eps g, ignoring the divergence",
            lambda p: {"x": _wrong_iterates(p, euclidean=True)["x"]}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "derivation": (
        Step("the objective: linear term plus the Bregman (binary entropy) divergence over eps", 0.5),
        Step("stationarity: logit(x) = logit(x^t) - eps g", 0.5),
    ),
    "closed_form": (
        Step("x^{t+1} = sigma(logit(x^t) - eps g)", 1),
    ),
    "iterates": (
        Step("eta = logit(x): gradient descent in eta", "1/4"),
        Step("each iterate computed", "3/4"),
    ),
}
