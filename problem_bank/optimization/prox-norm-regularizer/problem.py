"""Composite proximal step with a regulariser of the parameter norm, rho(||theta||).

theta^{t+1} = argmin_theta <g, theta - theta_t> + rho(||theta||) + 1/(2 eps) ||theta - theta_t||^2
            = l a / ||a||,  a = theta_t - eps g,  l >= 0 with l + eps rho'(l) = ||a||

for rho(r) = lam/2 r^2 ("l2sq"), lam r ("norm", where l = max(0, ||a|| - eps lam)) and
lam/4 r^4 ("quartic", l the real root of l + eps lam l^3 = ||a||).

The sampler builds a from integer vectors with integer norms (3-4-5, 1-2-2-3, ...), so ||a||
is a short decimal, and for "quartic" picks (eps, lam) so that the cubic has a simple
rational root; pinned parameters may give irrational norms (kept exact) or a cubic without a
rational root (then l is the numeric root and the solution shows Newton's iteration).
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

TITLE = "Proximal step for a regulariser of the norm"
TITLES = {"de": "Proximaler Schritt für einen Regularisierer der Norm"}
SOURCE = "dl-assignments-with-solutions.md, assignment 6"

PARTS = (
    Part("derivation", points=4, answers=("derivation",), space="6cm"),
    Part("sgd_step", points=1, answers=("a", "a_norm"), space="2.5cm"),
    Part("radius", points=2, answers=("l",), space="3cm"),
    Part("update", points=1, answers=("theta_next",), space="2cm"),
)

PARAMS = (
    Choice("rho", ("l2sq", "norm", "quartic")),
    Int("n", 2, 3, domain=(1, 20)),          # dimension of theta and g
    Vector("theta", length="n", low=-20, high=20, step=0.01, domain=(-1000, 1000)),
    Vector("g", length="n", low=-20, high=20, step=0.01, domain=(-1000, 1000)),
    Decimal("eps", 0.01, 2, 0.01, nonzero=True, domain=(0.0001, 100)),
    Decimal("lam", 0.01, 20, 0.01, nonzero=True, domain=(0.0001, 1000)),
)

# The regulariser decides the equation for l (closed form, linear, cubic): structure.
STRUCTURE = ("rho", "n")


def _a(p):
    return [t - p["eps"] * gi for t, gi in zip(p["theta"], p["g"], strict=True)]


CONSTRAINTS = (
    # ||a|| = 0 leaves the direction a/||a|| undefined (the answer is then simply 0).
    Constraint("a = theta - eps g is not the zero vector", lambda p: any(abs(v) > 1e-9 for v in _a(p))),
)

ANSWERS = (
    Answer("derivation", "proof", "the form of the minimiser theta^{t+1} and the equation for l"),
    Answer("a", "vector", "the plain SGD step a"),
    Answer("a_norm", "real", "||a||"),
    Answer("l", "real", "norm l of the new parameters"),
    Answer("theta_next", "vector", "theta^{t+1}"),
)

# ------------------------------------------------------------------ sampling

# Integer vectors whose Euclidean norm is an integer; signs and order are randomised.
BASES = {
    2: ((3, 4), (6, 8), (5, 12)),
    3: ((1, 2, 2), (2, 3, 6), (1, 4, 8), (4, 4, 7), (2, 6, 9), (6, 6, 7), (3, 4, 12)),
}
EPS_OPTIONS = (0.1, 0.2, 0.25, 0.5, 1.0)
LAM_OPTIONS = (0.1, 0.2, 0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
# Candidate norms l for the quartic case, chosen so that the cubic's root is this number.
QUARTIC_ROOTS = ("0.5", "1", "1.5", "2", "2.5", "3", "4", "5", "6", "8", "10")


def _quartic_lams(norm_a, eps):
    """(l, lam) pairs with l + eps lam l^3 = ||a||, lam a 2-decimal number in [0.01, 10] and
    l between 0.2 and 0.95 of ||a|| (the regulariser neither negligible nor crushing)."""
    from fractions import Fraction

    out = []
    for text in QUARTIC_ROOTS:
        radius = Fraction(text)
        if not 0.2 * norm_a <= radius <= 0.95 * norm_a:
            continue
        lam = (norm_a - radius) / (radius ** 3 * Fraction(str(eps)))
        if (lam * 100).denominator == 1 and Fraction(1, 100) <= lam <= 10:
            out.append((radius, float(lam)))
    return out


def sample(rng, pins=None):
    """Drawn around a pinned rho (the slot's structure): lam and eps suit that rho."""
    import math
    from fractions import Fraction

    rho = rng.choice(("l2sq", "norm", "quartic"))
    rho = (pins or {}).get("rho", rho)
    while True:
        dim = rng.choice((2, 3))
        dim = (pins or {}).get("n", dim) if (pins or {}).get("n") in BASES else dim
        base = rng.shuffle(rng.choice(BASES[dim]))
        scale = Fraction(rng.choice((1, 2)), 2)
        a = [scale * v * rng.sign() for v in base]
        norm_a = scale * math.isqrt(sum(v * v for v in base))
        eps = rng.choice(EPS_OPTIONS)
        g = [rng.integer(-4, 4) for _ in range(dim)]
        if not any(g):
            continue
        theta = [float(ai + Fraction(str(eps)) * gi) for ai, gi in zip(a, g, strict=True)]
        if rho == "quartic":
            pairs = _quartic_lams(norm_a, eps)
            if not pairs:
                continue
            lam = rng.choice(pairs)[1]
        else:
            lams = [lam for lam in LAM_OPTIONS
                    if (rho == "l2sq" and eps * lam <= 4) or (rho == "norm" and eps * lam <= 0.8 * norm_a)]
            lam = rng.choice(lams)
        return {"rho": rho, "n": dim, "theta": theta, "g": g, "eps": eps, "lam": lam}


# ------------------------------------------------------------------ reference solution

def _tidy(value):
    """A sympy number as a float when it is a short terminating decimal (3.5, not 7/2), else as is."""
    import sympy

    if isinstance(value, sympy.Rational) and sympy.Rational(value * 10 ** 6).is_integer:
        return float(value)
    return value


def _tidy_vector(values):
    """All entries as floats when all are short decimals, else all exact (no mixed 2.0 and -2/3)."""
    tidy = [_tidy(v) for v in values]
    return tidy if all(isinstance(v, float) for v in tidy) else values


def _newton(coeff, target, start, steps=6):
    """Newton's iterates for l + coeff l^3 = target (as the solution shows them)."""
    iterates = [start]
    for _ in range(steps):
        radius = iterates[-1]
        iterates.append(radius - (radius + coeff * radius ** 3 - target) / (1 + 3 * coeff * radius ** 2))
    return iterates


def solve(p):
    import sympy

    R = sympy.Rational
    theta = [R(str(v)) for v in p["theta"]]
    g = [R(str(v)) for v in p["g"]]
    eps, lam = R(str(p["eps"])), R(str(p["lam"]))
    c = eps * lam
    a = [t - eps * gi for t, gi in zip(theta, g, strict=True)]
    a_sq = sum(v * v for v in a)
    a_norm = sympy.sqrt(a_sq)
    values = {"c": _tidy(c), "a_sq": _tidy(a_sq), "numeric_root": False, "zero_step": False,
              "newton": [], "one_plus_c": _tidy(1 + c)}

    if p["rho"] == "l2sq":
        radius = a_norm / (1 + c)
    elif p["rho"] == "norm":
        radius = sympy.Max(0, a_norm - c)
        values["zero_step"] = bool(radius == 0)
    else:
        # l + c l^3 - ||a|| is strictly increasing: exactly one real root. Newton from ||a||
        # converges to it monotonically; a small-denominator rational near it that satisfies
        # the cubic exactly is the exact root.
        radius = _newton(float(c), float(a_norm), float(a_norm), steps=60)[-1]
        guess = sympy.Rational(str(radius)).limit_denominator(1000)
        if guess > 0 and sympy.simplify(guess + c * guess ** 3 - a_norm) == 0:
            radius = guess
        else:
            values["numeric_root"] = True
            values["newton"] = _newton(float(c), float(a_norm), float(a_norm), steps=6)
        values["cubic_term"] = _tidy(c * radius ** 3) if not values["numeric_root"] else float(c) * radius ** 3

    factor = radius / a_norm
    theta_next = [factor * v if not values["numeric_root"] else float(factor) * float(v) for v in a]
    if values["numeric_root"]:
        factor = float(factor)
    else:
        factor = sympy.radsimp(factor)
        theta_next = [sympy.radsimp(v) for v in theta_next]
    values.update({
        "a": [_tidy(v) for v in a],
        "a_norm": _tidy(a_norm),
        "l": _tidy(radius) if not values["numeric_root"] else radius,
        "factor": _tidy(factor) if not values["numeric_root"] else factor,
        "theta_next": theta_next if values["numeric_root"] else _tidy_vector(theta_next),
        "eps_g": [_tidy(eps * gi) for gi in g],
    })
    # whether the exact entries need decimals beside them (never for a numeric root: decimals only)
    values["theta_next_exact"] = not values["numeric_root"] and any(
        not isinstance(v, float) for v in values["theta_next"])
    return values


# ------------------------------------------------------------------ independent check

def _rho(name, lam):
    """rho, rho' and rho'' on r >= 0."""
    if name == "l2sq":
        return (lambda r: lam / 2 * r * r), (lambda r: lam * r), (lambda r: lam)
    if name == "norm":
        return (lambda r: lam * r), (lambda r: lam), (lambda r: 0.0)
    return (lambda r: lam / 4 * r ** 4), (lambda r: lam * r ** 3), (lambda r: 3 * lam * r * r)


def check(p, answers):
    """Minimise the proximal objective numerically (Newton-CG from two starts, and the point 0).

    The objective F is (1/eps)-strongly convex (the quadratic term plus a convex rho(||.||)),
    so any point x has ||x - x*|| <= eps ||grad F(x)||: that a-posteriori bound, evaluated
    at the returned point, is the tolerance. For rho = lam r the objective is not
    differentiable at 0; Newton-CG only runs into that point when the minimiser is 0, so 0
    is compared as a candidate too, certified by its subdifferential instead.
    """
    import numpy as np
    from scipy.optimize import minimize

    theta = np.array(p["theta"], dtype=float)
    g = np.array(p["g"], dtype=float)
    eps, lam = float(p["eps"]), float(p["lam"])
    rho, drho, ddrho = _rho(p["rho"], lam)
    eye = np.eye(theta.size)

    # The plain step a: the minimiser of the objective without the regulariser, from its
    # stationarity condition (I/eps) x = theta/eps - g, a linear system (exact to rounding).
    a = np.linalg.solve(eye / eps, theta / eps - g)

    def objective(x):
        d = x - theta
        r = float(np.linalg.norm(x))
        value = g @ d + rho(r) + d @ d / (2 * eps)
        grad = g + d / eps + (drho(r) * x / r if r > 0 else 0.0)
        return value, grad

    def hessian(x):
        r = float(np.linalg.norm(x))
        if r == 0:
            return eye / eps
        u = np.outer(x, x) / (r * r)
        return eye / eps + ddrho(r) * u + drho(r) / r * (eye - u)

    # F is strictly convex, so one start would do; a second, random and far away, guards
    # against a run that stops early. (Each Newton-CG run costs about 1 ms.)
    rng = np.random.default_rng(7)
    starts = (theta, rng.standard_normal(theta.size) * (1 + np.abs(theta).max()))
    best = None
    for start in starts:
        res = minimize(objective, start, jac=True, hess=hessian, method="Newton-CG",
                       options={"xtol": 1e-14})
        if best is None or res.fun < best.fun:
            best = res
    x = best.x
    bound = eps * float(np.linalg.norm(objective(x)[1]))
    if objective(np.zeros_like(theta))[0] <= best.fun:
        x = np.zeros_like(theta)
        # distance from 0 to the subdifferential g - theta/eps + rho'(0) * (unit ball)
        bound = eps * max(0.0, float(np.linalg.norm(g - theta / eps)) - drho(0.0))
    bound += 1e-12
    return {
        "a": a,
        "a_norm": float(np.linalg.norm(a)),
        "l": Approx(float(np.linalg.norm(x)), atol=bound),
        "theta_next": Approx(x, atol=bound),
    }


# ------------------------------------------------------------------ common mistakes

def _wrong(p, a, c_used):
    """Answers for a given (possibly wrong) a and eps*lam."""
    import math

    norm_a = math.sqrt(sum(v * v for v in a))
    if p["rho"] == "l2sq":
        radius = norm_a / (1 + c_used)
    elif p["rho"] == "norm":
        radius = max(0.0, norm_a - c_used)
    else:
        radius = _newton(c_used, norm_a, norm_a, steps=60)[-1]
    # a = 0 (a wrong step can land exactly on the origin): the proximal point is 0 itself
    direction = [v / norm_a for v in a] if norm_a > 0 else [0.0 for _ in a]
    return {"a": a, "a_norm": norm_a, "l": radius, "theta_next": [radius * d for d in direction]}


def _differing(p, wrong):
    """The wrong answers that really differ from the right ones: where a slip makes no
    difference (eps = 1, ||a|| = 1, a step thresholded to 0 either way), it is no mistake."""
    import math

    right = _wrong(p, _a(p), p["eps"] * p["lam"])

    def same(u, v):
        if isinstance(u, list):
            return all(same(x, y) for x, y in zip(u, v, strict=True))
        return math.isclose(u, v, rel_tol=1e-12, abs_tol=1e-12)

    return {k: v for k, v in wrong.items() if not same(v, right[k])}


def _ascent(p):
    # Only a and theta_next: a sign flip can leave ||a|| (and so l) unchanged.
    wrong = _wrong(p, [t + p["eps"] * gi for t, gi in zip(p["theta"], p["g"], strict=True)], p["eps"] * p["lam"])
    return _differing(p, {"a": wrong["a"], "theta_next": wrong["theta_next"]})


def _forgot_eps(p):
    wrong = _wrong(p, _a(p), p["lam"])
    return _differing(p, {"l": wrong["l"], "theta_next": wrong["theta_next"]})


def _no_normalise(p):
    a = _a(p)
    radius = _wrong(p, a, p["eps"] * p["lam"])["l"]
    return _differing(p, {"theta_next": [radius * v for v in a]})


MISTAKES = (
    Mistake("ascent", "stepped along +g: a = theta_t + eps g", _ascent),
    Mistake("forgot-eps", "dropped eps in front of rho'(l): l + rho'(l) = ||a||", _forgot_eps),
    Mistake("no-normalise", "scaled a by l without dividing by ||a||: theta = l a", _no_normalise),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "derivation": (
        Step("completing the square: the prox of a = theta - eps g", "1/4"),
        Step("the minimiser keeps the direction of a and shrinks its norm", "1/2"),
        Step("the case that gives zero", "1/4"),
    ),
    "sgd_step": (
        Step("gradient step a and its norm", 1),
    ),
    "radius": (
        Step("the new norm l from the derived rule (with eps lambda)", 1),
    ),
    "update": (
        Step("theta_next = l a / ||a||", 1),
    ),
}
