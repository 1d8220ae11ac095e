"""A proximal gradient step for an L1 penalty: gradient step, then soft thresholding.

For the objective L(theta) + lam ||theta||_1, the step from theta with the gradient g = grad L(theta)
and step size eps is

    theta' = argmin_x  <g, x - theta> + 1/(2 eps) ||x - theta||^2 + lam ||x||_1
           = S(a),  a = theta - eps g,  S(a)_i = sign(a_i) max(|a_i| - eps lam, 0),

coordinate by coordinate. Entries with |a_i| <= eps lam become exactly 0: that is how the L1
penalty makes weights sparse, which a subgradient step never does.
"""

from fractions import Fraction

from generator.authoring import Answer, Approx, Choice, Constraint, Mistake, Part, Vector

TITLE = "Proximal step for an L1 penalty (soft thresholding)"
SOURCE = "problem catalog, part 2 (deep-learning course: optimisation)"

PARTS = (
    Part("gradient", points=1, answers=("a",), space="2.5cm"),
    Part("prox", points=4, answers=("theta_next",), space="7cm"),
    Part("sparsity", points=1, answers=("zeroed",), space="2cm"),
)

PARAMS = (
    Vector("theta", length=4, low=-1.5, high=1.5, step=0.1),
    Vector("g", length=4, low=-3, high=3),
    Choice("eps", (0.1, 0.2, 0.25, 0.5)),
    Choice("lam", (1, 2, 4)),
)

# One vector length for every variant; nothing else is structure.
STRUCTURE = ()


def _fr(x) -> Fraction:
    """A short decimal as an exact fraction (0.1 -> 1/10), so |a_i| = eps lam is tested exactly."""
    return Fraction(str(x))


def _a_exact(p) -> list[Fraction]:
    return [_fr(t) - _fr(p["eps"]) * gi for t, gi in zip(p["theta"], p["g"], strict=True)]


def _tau_exact(p) -> Fraction:
    return _fr(p["eps"]) * _fr(p["lam"])


CONSTRAINTS = (
    Constraint("no |a_i| equals eps lam (the kink of the soft threshold)",
               lambda p: all(abs(a) != _tau_exact(p) for a in _a_exact(p))),
    Constraint("no a_i is 0 (its sign decides the shrink)", lambda p: all(a != 0 for a in _a_exact(p))),
    Constraint("at least one entry is set to 0 and at least one survives",
               lambda p: 0 < sum(abs(a) < _tau_exact(p) for a in _a_exact(p)) < 4),
)

ANSWERS = (
    Answer("a", "vector", "the point a"),
    Answer("theta_next", "vector", "theta' after the proximal step"),
    Answer("zeroed", "bools", "for each entry of theta': whether it is exactly 0"),
)


def _soft(a, tau):
    return [(1 if x > 0 else -1) * max(abs(x) - tau, 0) for x in a]


def solve(p):
    a = _a_exact(p)
    tau = _tau_exact(p)
    nxt = [(1 if x > 0 else -1) * max(abs(x) - tau, Fraction(0)) for x in a]
    rows = [{"i": i + 1, "a": float(a[i]), "abs": float(abs(a[i])), "survives": abs(a[i]) > tau,
             "next": float(nxt[i])}
            for i in range(len(a))]
    return {
        "a": [float(x) for x in a],
        "theta_next": [float(x) for x in nxt],
        "zeroed": [x == 0 for x in nxt],
        # shown in the worked solution
        "tau": float(tau),
        "rows": rows,
        "zeroed_indices": [i + 1 for i, x in enumerate(nxt) if x == 0],
        "figure": _figure([float(x) for x in a], float(tau)),
    }


def _figure(a, tau):
    """The soft-threshold function S on [-R, R] and the points (a_i, S(a_i)), in cm."""
    R = max(abs(x) for x in a) + 0.5
    unit = 3.2 / R  # half the width of the plot
    return {
        "unit": round(unit, 4), "R": R, "tau": tau,
        # labels alternate above and below, so that neighbouring points keep them apart
        "points": [{"i": i + 1, "x": x, "y": y, "anchor": "above" if i % 2 == 0 else "below"}
                   for i, (x, y) in enumerate(zip(a, _soft(a, tau), strict=True))],
        "low": -R + tau, "high": R - tau,
    }


def check(p, answers):
    """Minimise each coordinate's proximal objective numerically (bounded Brent), once without the
    penalty (the gradient step) and once with it; the zeroed entries are those whose minimiser is 0."""
    from scipy.optimize import minimize_scalar

    eps, lam = float(p["eps"]), float(p["lam"])
    grad_step, prox = [], []
    for theta_i, g_i in zip(p["theta"], p["g"], strict=True):
        def objective(x, penalty, theta_i=float(theta_i), g_i=float(g_i)):
            return g_i * (x - theta_i) + (x - theta_i) ** 2 / (2 * eps) + penalty * abs(x)

        for penalty, out in ((0.0, grad_step), (lam, prox)):
            result = minimize_scalar(objective, bounds=(-5, 5), args=(penalty,), method="bounded",
                                     options={"xatol": 1e-10})
            out.append(result.x)
    # Bounded Brent stops within a few 1e-9 of the minimiser (measured: at most 2e-9 over the
    # verified seeds, the kink at 0 included); 1e-6 is far inside the 0.005 of a hand answer.
    return {"a": Approx(grad_step, atol=1e-6), "theta_next": Approx(prox, atol=1e-6),
            "zeroed": [abs(x) < 1e-6 for x in prox]}


def _a(p):
    return [float(t) - float(p["eps"]) * gi for t, gi in zip(p["theta"], p["g"], strict=True)]


def _subgradient(p):
    """Took a subgradient step a - eps lam sign(a): shrinks every entry, sets none to 0."""
    tau = float(p["eps"]) * float(p["lam"])
    return {"theta_next": [x - tau * (1 if x > 0 else -1) for x in _a(p)], "zeroed": [False] * len(p["theta"])}


def _no_sign(p):
    """Dropped the sign: max(|a_i| - eps lam, 0) for every entry."""
    tau = float(p["eps"]) * float(p["lam"])
    return {"theta_next": [max(abs(x) - tau, 0) for x in _a(p)]}


def _threshold_lam(p):
    """Thresholded at lam instead of eps lam."""
    return {"theta_next": _soft(_a(p), float(p["lam"]))}


MISTAKES = (
    Mistake("subgradient-step", "took a subgradient step a - eps lam sign(a), which sets no entry to 0", _subgradient),
    Mistake("no-sign", "dropped the sign: max(|a_i| - eps lam, 0)", _no_sign),
    Mistake("threshold-lam", "thresholded at lam instead of eps lam", _threshold_lam),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "gradient": (
        Step("completing the square: the gradient step a = theta - eps g", 1),
    ),
    "prox": (
        Step("coordinate-wise minimisation: soft thresholding sign(a) max(|a| - eps lambda, 0)", 0.5),
        Step("applied entry by entry", 0.5),
    ),
    "sparsity": (
        Step("the entries with |a_i| < eps lambda: set exactly to zero", 1),
    ),
}
