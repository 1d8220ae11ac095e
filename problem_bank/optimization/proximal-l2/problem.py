"""Proximal step with an L2 regulariser: minimise the linearised loss plus the exact penalty.

    theta_{t+1} = argmin_theta <g, theta - theta_t> + c_r ||theta||^2 + c_p ||theta - theta_t||^2

The two source sheets scale the penalty and the proximity term differently (c_r in
{lambda, lambda/2}, c_p in {1/eps, 1/(2 eps)}); every combination is a variant. Setting the
gradient to zero gives theta_{t+1} = (2 c_p theta_t - g) / (2 c_r + 2 c_p), which reads as a
plain gradient step of size 1/(2 c_p) followed by a shrink by 1 / (1 + c_r/c_p), and equals
one SGD step on the regularised loss with the step eps' = 1 / (2 c_r + 2 c_p).
"""

from functools import cache

from generator.authoring import Answer, Approx, Choice, Constraint, Decimal, Mistake, Part, Vector

TITLE = "Proximal step with L2 regularisation"
TITLES = {"de": "Proximaler Schritt mit L2-Regularisierung"}
SOURCE = "dl-ss2021-seminar5.md, assignment 3; dl-assignments-with-solutions.md, assignment 3(b)"

PARTS = (
    Part("derive", points=4, answers=("update_rule",), space="6cm"),
    Part("step", points=3, answers=("theta_next",), space="4cm"),
    Part("equivalent", points=3, answers=("eps_equivalent",), space="4cm"),
)

PARAMS = (
    Choice("c_r", ("lambda", "lambda/2")),
    Choice("c_p", ("1/eps", "1/(2eps)")),
    Decimal("lam", 0.5, 2.0, 0.5, domain=(0.001, 100)),
    Decimal("eps", 0.1, 0.5, 0.1, domain=(0.001, 100)),
    Vector("theta", length=3, low=-3, high=3, domain=(-100, 100)),
    Vector("g", length=3, low=-3, high=3, nonzero=True, domain=(-100, 100)),
)

STRUCTURE = ("c_r", "c_p")

# sympy names of the expression answer. `lambda` is a Python keyword that sympify cannot
# parse, so the regularisation strength is written `lam` (as the parameter is named).
SYMBOLS = ("theta_t", "g", "lam", "eps")
TEX_NAMES = {"theta_t": r"\theta_t", "g": "g", "lam": r"\lambda", "eps": r"\varepsilon"}


def _coefficients(p, lam, eps):
    """(c_r, c_p) for the variant's conventions, from lam and eps (numbers or symbols)."""
    c_r = lam if p["c_r"] == "lambda" else lam / 2
    c_p = 1 / eps if p["c_p"] == "1/eps" else 1 / (2 * eps)
    return c_r, c_p


def _exact_coefficients(p):
    import sympy

    return _coefficients(p, sympy.Rational(str(p["lam"])), sympy.Rational(str(p["eps"])))


CONSTRAINTS = (
    Constraint("theta_t is not the zero vector (else the shrinkage is invisible)",
               lambda p: any(t != 0 for t in p["theta"]), pedagogical=True),
    Constraint("no component of theta_{t+1} is 0: 2 c_p theta_i != g_i",
               lambda p: all(2 * _exact_coefficients(p)[1] * t != gi for t, gi in zip(p["theta"], p["g"], strict=True)), pedagogical=True),
)

ANSWERS = (
    Answer("update_rule", "expr", "theta_{t+1} as an expression in theta_t, g, lam (lambda), eps",
           symbols=SYMBOLS),
    Answer("theta_next", "vector", "theta_{t+1} for the given numbers", atol=0.005, rtol=0.005),
    Answer("eps_equivalent", "real", "step eps' of the equivalent plain SGD step on the regularised loss",
           atol=0.0005, rtol=0.005),
)


@cache
def _symbolic_rule(c_r_name: str, c_p_name: str) -> dict[str, str]:
    """The closed form for one convention, as key text and LaTeX (computed once per convention)."""
    import sympy

    theta_t, g, lam, eps = sympy.symbols(SYMBOLS)
    c_r, c_p = _coefficients({"c_r": c_r_name, "c_p": c_p_name}, lam, eps)
    # Stationarity: g + 2 c_r theta + 2 c_p (theta - theta_t) = 0. Dividing by 2 c_p shows
    # the structure: a gradient step of size 1/(2 c_p), then a shrink by 1/(1 + c_r/c_p).
    step = sympy.cancel(1 / (2 * c_p))
    shrink = sympy.cancel(c_r / c_p)
    rule = (theta_t - step * g) / (1 + shrink)
    eps_prime = sympy.cancel(step / (1 + shrink))       # = 1 / (2 c_r + 2 c_p)

    def tex(expr):
        return sympy.latex(expr, symbol_names={s: TEX_NAMES[s.name] for s in (theta_t, g, lam, eps)})

    return {
        # cancel(): one canonical form of a rational function (p/q, both expanded), so the
        # key's text is the same whichever way the rule was derived.
        "update_rule": str(sympy.cancel(rule)),
        "c_r_tex": tex(c_r),
        "c_p_tex": tex(c_p),
        "two_c_r_tex": tex(2 * c_r),
        "two_c_p_tex": tex(2 * c_p),
        "step_tex": tex(step),
        "shrink_tex": tex(shrink),
        "rule_tex": r"\frac{\theta_t - " + tex(step) + r"\, g}{1 + " + tex(shrink) + "}",
        "eps_prime_tex": tex(eps_prime),
    }


def solve(p):
    import sympy

    c_r, c_p = _exact_coefficients(p)
    step = 1 / (2 * c_p)                 # the plain gradient step on the loss
    shrink = c_r / c_p                   # then divide by 1 + shrink
    eps_prime = step / (1 + shrink)      # = 1 / (2 c_r + 2 c_p)
    plain_step = [sympy.Integer(t) - step * gi for t, gi in zip(p["theta"], p["g"], strict=True)]
    return {
        **_symbolic_rule(p["c_r"], p["c_p"]),
        "theta_next": [u / (1 + shrink) for u in plain_step],
        "eps_equivalent": eps_prime,
        # shown in the worked solution
        "two_c_r_v": 2 * c_r,
        "two_c_p_v": 2 * c_p,
        "step_v": step,
        "shrink_v": shrink,
        "denominator_v": 1 + shrink,
        "plain_step": plain_step,
        "sgd_check": [sympy.Integer(t) - eps_prime * (gi + 2 * c_r * t) for t, gi in zip(p["theta"], p["g"], strict=True)],
    }


@cache
def _symbolic_by_stationarity(c_r_name: str, c_p_name: str):
    """(theta_{t+1}, eps') from sympy solving the optimality conditions, once per convention."""
    import sympy

    theta, theta_t, g, lam, eps, eps_prime = sympy.symbols("theta theta_t g lam eps eps_prime")
    c_r = {"lambda": lam, "lambda/2": lam / 2}[c_r_name]
    c_p = {"1/eps": 1 / eps, "1/(2eps)": 1 / (2 * eps)}[c_p_name]
    # The objective separates over the components, so one scalar component suffices.
    objective = g * (theta - theta_t) + c_r * theta**2 + c_p * (theta - theta_t) ** 2
    (minimiser,) = sympy.solve(sympy.diff(objective, theta), theta)
    # eps' such that the SGD step on the regularised loss lands on the minimiser for every
    # theta_t and g: the gap is linear in (theta_t, g), so both of its coefficients must vanish.
    sgd_step = theta_t - eps_prime * (g + sympy.diff(c_r * theta_t**2, theta_t))
    gap = sgd_step - minimiser
    equations = [sympy.together(sympy.diff(gap, v)) for v in (theta_t, g)]
    (solution,) = sympy.solve(equations, eps_prime, dict=True)
    # eps' as a function of (lam, eps) that keeps exact Rationals exact.
    return str(sympy.cancel(minimiser)), sympy.lambdify((lam, eps), solution[eps_prime], modules="sympy")


def check(p, answers):
    """scipy.optimize.minimize on the objective itself; sympy solving the optimality condition."""
    import numpy as np
    import sympy
    from scipy.optimize import minimize

    lam, eps = float(p["lam"]), float(p["eps"])
    c_r = {"lambda": lam, "lambda/2": lam / 2}[p["c_r"]]
    c_p = {"1/eps": 1 / eps, "1/(2eps)": 1 / (2 * eps)}[p["c_p"]]
    theta_t, g = np.array(p["theta"], dtype=float), np.array(p["g"], dtype=float)

    def objective(theta):
        return g @ (theta - theta_t) + c_r * theta @ theta + c_p * (theta - theta_t) @ (theta - theta_t)

    def gradient(theta):
        return g + 2 * c_r * theta + 2 * c_p * (theta - theta_t)

    result = minimize(objective, theta_t, jac=gradient, method="BFGS", options={"gtol": 1e-12})

    rule, eps_prime = _symbolic_by_stationarity(p["c_r"], p["c_p"])
    return {
        # BFGS stops once the gradient is below 1e-12; the curvature 2 c_r + 2 c_p > 2 makes that
        # a distance below 1e-12 from the minimiser, far inside this tolerance.
        "theta_next": Approx(result.x, atol=1e-8),
        "update_rule": rule,
        "eps_equivalent": eps_prime(sympy.Rational(str(p["lam"])), sympy.Rational(str(p["eps"]))),
    }


def _float_coefficients(p):
    lam, eps = float(p["lam"]), float(p["eps"])
    return _coefficients(p, lam, eps)


def _forgot_factor_two(p):
    """Differentiated c ||theta||^2 to c theta (dropped the 2) in both quadratic terms."""
    c_r, c_p = _float_coefficients(p)
    return {"theta_next": [(c_p * t - gi) / (c_r + c_p) for t, gi in zip(p["theta"], p["g"], strict=True)],
            "eps_equivalent": 1 / (c_r + c_p)}


def _linearised_regulariser(p):
    """Linearised the penalty as well: the plain SGD step theta_t - (g + 2 c_r theta_t) / (2 c_p)."""
    c_r, c_p = _float_coefficients(p)
    return {"theta_next": [t - (gi + 2 * c_r * t) / (2 * c_p) for t, gi in zip(p["theta"], p["g"], strict=True)],
            "eps_equivalent": 1 / (2 * c_p)}


def _dropped_penalty(p):
    """Left the penalty out of the stationarity condition: theta_t - g / (2 c_p)."""
    _, c_p = _float_coefficients(p)
    return {"theta_next": [t - gi / (2 * c_p) for t, gi in zip(p["theta"], p["g"], strict=True)]}


MISTAKES = (
    Mistake("no-factor-two", "differentiated c ||theta||^2 as c theta, dropping the factor 2",
            _forgot_factor_two),
    Mistake("linearised-penalty", "linearised the penalty too, giving the plain SGD step with eps' = 1/(2 c_p)",
            _linearised_regulariser),
    Mistake("dropped-penalty", "forgot the penalty's gradient in the stationarity condition (no shrinkage)",
            _dropped_penalty),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "derive": (
        Step("a strictly convex quadratic: the minimiser is the stationary point", "1/3"),
        Step("solved: the plain step shrunk by 1 / (1 + eps lambda)", "2/3"),
    ),
    "step": (
        Step("gradient step, then the proximal shrink", 0.5),
        Step("the numbers", 0.5),
    ),
    "equivalent": (
        Step("the explicit step with the regulariser's gradient written out", 0.5),
        Step("coefficients matched: the equivalent step length", 0.5),
    ),
}
