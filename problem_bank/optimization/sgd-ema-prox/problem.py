"""SGD with exponentially smoothed gradients and weight decay: explicit step against proximal step.

Stochastic gradients g^1..g^T are smoothed by g~^t = (1 - q) g~^{t-1} + q g^t (g~^0 = 0). With
the penalty lambda/2 ||theta||^2, step t either linearises the penalty too (explicit step)

    theta^t = theta^{t-1} - eps (g~^t + lambda theta^{t-1})

or keeps it exact in the proximal problem (proximal step)

    theta^t = argmin <g~^t, theta - theta^{t-1}> + lambda/2 ||theta||^2 + 1/(2 eps) ||theta - theta^{t-1}||^2
            = (theta^{t-1} - eps g~^t) / (1 + eps lambda).

Both use the same eps, so the trajectories differ; the proximal step with eps' = eps / (1 - lambda eps)
reproduces the explicit one.
"""

from fractions import Fraction

from generator.authoring import (
    Answer,
    Approx,
    Constraint,
    Decimal,
    Int,
    Matrix,
    Mistake,
    Part,
    Vector,
)

TITLE = "SGD with gradient smoothing: explicit and proximal weight decay"
TITLES = {"de": "SGD mit geglättetem Gradienten: expliziter und proximaler Weight Decay"}
SOURCE = "dl-assignments-with-solutions.md, assignment 3 (a) and (b)"

PARTS = (
    Part("smooth", points=2, answers=("g_smoothed",), space="4cm"),
    Part("explicit", points=3, answers=("theta_explicit",), space="5cm"),
    Part("prox", points=3, answers=("theta_prox",), space="6cm"),
    Part("equivalent", points=2, answers=("eps_prime_equivalent",), space="4cm"),
)

PARAMS = (
    Decimal("q", 0.1, 0.9, 0.1, domain=(0.001, 1)),
    Decimal("eps", 0.1, 0.4, 0.1, domain=(0.001, 100)),
    Decimal("lam", 0.5, 2.0, 0.5, domain=(0.001, 100)),
    Int("T", 2, 3, domain=(1, 10)),          # steps: one stochastic gradient each
    Vector("theta0", length=2, low=-3, high=3, nonzero=True, domain=(-100, 100)),
    Matrix("grads", rows="T", cols=2, low=-4, high=4, nonzero=True, domain=(-100, 100)),
)

STRUCTURE = ("T",)


def WORKLOAD(p):
    """Steps computed, each for the two updates."""
    return 2 * p["T"]


def _rational(x) -> Fraction:
    """A short decimal as an exact fraction (0.1 -> 1/10, not the binary float)."""
    return Fraction(str(x))


def _sympy(value: Fraction):
    """Exact values leave solve as sympy Rationals, so the key gets their exact form."""
    import sympy

    return sympy.Rational(value.numerator, value.denominator)


CONSTRAINTS = (
    Constraint("lambda eps < 1 (the explicit step keeps the sign of theta; eps' = eps/(1 - lambda eps) exists)",
               lambda p: _rational(p["lam"]) * _rational(p["eps"]) < 1),
    Constraint("the first regularised gradient g~^1 + lambda theta^0 is not 0 (the first step moves)",
               lambda p: any(_rational(p["q"]) * gi + _rational(p["lam"]) * ti != 0
                             for gi, ti in zip(p["grads"][0], p["theta0"], strict=True)), pedagogical=True),
)

ANSWERS = (
    Answer("g_smoothed", "matrix", "smoothed gradients tilde g^t, one row per step t"),
    Answer("theta_explicit", "matrix", "theta^t of the explicit step, one row per step t"),
    Answer("theta_prox", "matrix", "theta^t of the proximal step, one row per step t"),
    Answer("eps_prime_equivalent", "real", "step eps' of the proximal update that reproduces the explicit one",
           atol=0.0005, rtol=0.005),
)


def _trajectories(q, eps, lam, theta0, grads):
    """Smoothed gradients and both trajectories; exact with Fractions, float64 with floats."""
    smoothed, explicit, prox, prox_numerators = [], [], [], []
    g_tilde = [0 * q, 0 * q]
    theta_e, theta_p = list(theta0), list(theta0)
    for row in grads:
        g_tilde = [(1 - q) * a + q * b for a, b in zip(g_tilde, row, strict=True)]
        theta_e = [(1 - eps * lam) * t - eps * a for t, a in zip(theta_e, g_tilde, strict=True)]
        numerator = [t - eps * a for t, a in zip(theta_p, g_tilde, strict=True)]
        theta_p = [u / (1 + eps * lam) for u in numerator]
        smoothed.append(g_tilde)
        explicit.append(theta_e)
        prox_numerators.append(numerator)
        prox.append(theta_p)
    return smoothed, explicit, prox, prox_numerators


def solve(p):
    q, eps, lam = _rational(p["q"]), _rational(p["eps"]), _rational(p["lam"])
    theta0 = [Fraction(t) for t in p["theta0"]]
    grads = [[Fraction(v) for v in row] for row in p["grads"]]
    smoothed, explicit, prox, prox_numerators = _trajectories(q, eps, lam, theta0, grads)

    def exact(rows):
        return [[_sympy(v) for v in row] for row in rows]

    return {
        "g_smoothed": exact(smoothed),
        "theta_explicit": exact(explicit),
        "theta_prox": exact(prox),
        "eps_prime_equivalent": _sympy(eps / (1 - lam * eps)),
        # shown in the worked solution (decimals only: the fractions grow long)
        "T": len(grads),
        "one_minus_q": float(1 - q),
        "decay": float(1 - eps * lam),          # the explicit step multiplies theta by this
        "denominator": float(1 + eps * lam),    # the proximal step divides by this
        "eps_lam": float(eps * lam),
        "prox_numerators": [[float(v) for v in row] for row in prox_numerators],
        # theta before each step, for the step-by-step lines
        "explicit_before": [[float(v) for v in row] for row in [theta0] + explicit[:-1]],
        "prox_before": [[float(v) for v in row] for row in [theta0] + prox[:-1]],
        "gap": [[float(r - e) for e, r in zip(er, pr, strict=True)] for er, pr in zip(explicit, prox, strict=True)],
    }


def check(p, answers):
    """Closed-form sums for the smoothing, a float64 loop for the explicit step, scipy for each
    proximal problem, and eps' read off the explicit trajectory."""
    import numpy as np
    from scipy.optimize import minimize

    q, eps, lam = float(p["q"]), float(p["eps"]), float(p["lam"])
    grads = np.array(p["grads"], dtype=float)
    T = len(grads)
    # Unrolled EMA: g~^t = sum_{s <= t} q (1 - q)^(t - s) g^s.
    smoothed = np.array([sum(q * (1 - q) ** (t - s) * grads[s] for s in range(t + 1)) for t in range(T)])

    explicit, theta = [], np.array(p["theta0"], dtype=float)
    for g_tilde in smoothed:
        theta = theta - eps * (g_tilde + lam * theta)
        explicit.append(theta)

    prox, theta = [], np.array(p["theta0"], dtype=float)
    for g_tilde in smoothed:
        anchor = theta

        def objective(x, g_tilde=g_tilde, anchor=anchor):
            return g_tilde @ (x - anchor) + lam / 2 * x @ x + (x - anchor) @ (x - anchor) / (2 * eps)

        def gradient(x, g_tilde=g_tilde, anchor=anchor):
            return g_tilde + lam * x + (x - anchor) / eps

        theta = minimize(objective, anchor, jac=gradient, method="BFGS", options={"gtol": 1e-12}).x
        prox.append(theta)

    # The proximal step with step e lands on the explicit theta^t exactly when
    # e (lambda theta^t + g~^t) = theta^{t-1} - theta^t; least squares over all steps and components.
    before = np.vstack([np.array(p["theta0"], dtype=float), explicit[:-1]])
    moved = before - np.array(explicit)
    direction = lam * np.array(explicit) + smoothed
    eps_prime = float(np.sum(moved * direction) / np.sum(direction * direction))
    return {
        "g_smoothed": smoothed,
        "theta_explicit": np.array(explicit),
        # BFGS stops at gradient norm 1e-12 with curvature >= 1/eps: far inside 1e-8.
        "theta_prox": Approx(np.array(prox), atol=1e-8),
        "eps_prime_equivalent": eps_prime,
    }


def _float_run(p, q=None):
    q = float(p["q"]) if q is None else q
    return _trajectories(q, float(p["eps"]), float(p["lam"]), [float(t) for t in p["theta0"]],
                         [[float(v) for v in row] for row in p["grads"]])


def _unsmoothed(p):
    """Forgot the smoothing: used g^t itself (as if q = 1) in both updates."""
    smoothed, explicit, prox, _ = _float_run(p, q=1.0)
    return {"g_smoothed": smoothed, "theta_explicit": explicit, "theta_prox": prox}


def _dropped_penalty_in_prox(p):
    """Left lambda out of the proximal stationarity condition: theta^{t-1} - eps g~^t, no shrink."""
    smoothed = _float_run(p)[0]
    eps = float(p["eps"])
    theta, rows = [float(t) for t in p["theta0"]], []
    for g_tilde in smoothed:
        theta = [t - eps * a for t, a in zip(theta, g_tilde, strict=True)]
        rows.append(theta)
    return {"theta_prox": rows}


def _plus_sign_equivalent(p):
    """Matched the coefficients with a sign slip: eps' = eps / (1 + lambda eps)."""
    eps, lam = float(p["eps"]), float(p["lam"])
    return {"eps_prime_equivalent": eps / (1 + lam * eps)}


MISTAKES = (
    Mistake("no-smoothing", "used the raw gradients g^t instead of the smoothed g~^t", _unsmoothed),
    Mistake("no-shrink", "dropped lambda from the proximal step: theta^{t-1} - eps g~^t without the shrink",
            _dropped_penalty_in_prox),
    Mistake("plus-sign", "slipped a sign matching the coefficients: eps' = eps / (1 + lambda eps)",
            _plus_sign_equivalent),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "smooth": (
        Step("the exponential moving average from g~^0 = 0, step by step", 1),
    ),
    "explicit": (
        Step("SGD step with the smoothed gradient plus lambda theta", 0.5),
        Step("the numbers", 0.5),
    ),
    "prox": (
        Step("stationary point of the proximal objective: theta = (theta^{t-1} - eps g) / (1 + eps lambda)", 0.5),
        Step("the numbers", 0.5),
    ),
    "equivalent": (
        Step("coefficients of the two updates matched: the explicit step length", 1),
    ),
}
