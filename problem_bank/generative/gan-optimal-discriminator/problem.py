"""The optimal GAN discriminator for two discrete distributions, the value of the game at it,
and the Jensen-Shannon divergence.

For a fixed generator with distribution p_g, the discriminator maximises
V(D) = sum_x p_data(x) ln D(x) + p_g(x) ln(1 - D(x)); each point is a separate concave problem
in D(x) with maximiser p_data / (p_data + p_g). At that discriminator V = -ln 4 + 2 JSD.
"""

import math
from fractions import Fraction

from generator.authoring import Answer, Approx, Choice, Constraint, Custom, Mistake, Part

TITLE = "The optimal discriminator of a GAN"
SOURCE = "problem catalog, part 2 (generative/gan-optimal-discriminator)"

PARTS = (
    Part("discriminator", points=3, answers=("d_star",), space="5cm"),
    Part("value", points=3, answers=("value",), space="4cm"),
    Part("jsd", points=3, answers=("jsd",), space="5cm"),
)

UNITS = 20          # probabilities are multiples of 1/UNITS = 0.05
MIN_UNITS = 2       # every point has probability at least 0.1 under both distributions
SUM_TOL = 1e-9


def _probability_problem(value, params, name):
    """Why `value` is not a probability vector with K positive entries (None when it is)."""
    if not isinstance(value, list) or not value:
        return f"{name} must be a non-empty list of probabilities, got {value!r}"
    K = params.get("K")
    if isinstance(K, int) and len(value) != K:
        return f"{name} must have K = {K} entries, got {len(value)}"
    for v in value:
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v < 1:
            return f"{name} entries must be numbers in (0, 1), got {v!r}"
    if abs(sum(value) - 1) > SUM_TOL:
        return f"{name} must sum to 1, got {sum(value)!r}"
    return None


# The number of points is structure: every variant of a slot has the same table's width.
STRUCTURE = ("K",)

PARAMS = (
    Choice("K", (3, 4)),
    Custom("p_data", lambda v, p: _probability_problem(v, p, "p_data"),
           "a probability vector with K entries in (0, 1)"),
    Custom("p_g", lambda v, p: _probability_problem(v, p, "p_g"), "a probability vector with K entries in (0, 1)"),
)


def sample(rng):
    K = rng.choice((3, 4))
    return {"K": K, "p_data": rng.probability_vector(K, UNITS, MIN_UNITS),
            "p_g": rng.probability_vector(K, UNITS, MIN_UNITS)}


def _jsd(p) -> float:
    m = [(a + b) / 2 for a, b in zip(p["p_data"], p["p_g"], strict=True)]
    return 0.5 * math.fsum(a * math.log(a / c) for a, c in zip(p["p_data"], m, strict=True)) \
        + 0.5 * math.fsum(b * math.log(b / c) for b, c in zip(p["p_g"], m, strict=True))


CONSTRAINTS = (
    # With p_g = p_data the game is over (D* = 1/2 everywhere, JSD = 0): nothing to compute.
    Constraint("the generator differs from the data (JSD >= 0.02 nats)", lambda p: _jsd(p) >= 0.02),
    # D*(x) = 1/2 at every point but one would make most of the table trivial.
    Constraint("at most one point has p_data = p_g",
               lambda p: sum(a == b for a, b in zip(p["p_data"], p["p_g"], strict=True)) <= 1),
)

ANSWERS = (
    Answer("d_star", "vector", "the optimal discriminator D*(x) at each point", atol=0.002, rtol=0.005),
    Answer("value", "real", "the value V(D*) of the game at the optimal discriminator (nats)",
           atol=0.002, rtol=0.005),
    Answer("jsd", "real", "the Jensen-Shannon divergence JSD(p_data || p_g) in nats", atol=0.002, rtol=0.005),
)


# ---------------------------------------------------------------- reference solver

def solve(p):
    data, gen = p["p_data"], p["p_g"]
    d_star = [a / (a + b) for a, b in zip(data, gen, strict=True)]
    # The mixture exactly as the decimals it is (0.45, not 0.44999999999999996).
    mix = [float((Fraction(str(a)) + Fraction(str(b))) / 2) for a, b in zip(data, gen, strict=True)]
    # The value from its definition at D*, term by term (printed in the solution).
    real_terms = [a * math.log(d) for a, d in zip(data, d_star, strict=True)]
    fake_terms = [b * math.log(1 - d) for b, d in zip(gen, d_star, strict=True)]
    value = math.fsum(real_terms) + math.fsum(fake_terms)
    kl_data = math.fsum(a * math.log(a / m) for a, m in zip(data, mix, strict=True))
    kl_g = math.fsum(b * math.log(b / m) for b, m in zip(gen, mix, strict=True))
    jsd = (kl_data + kl_g) / 2
    return {
        "d_star": d_star,
        "value": value,
        "jsd": jsd,
        "mix": mix,
        "real_terms": real_terms,
        "fake_terms": fake_terms,
        "real_sum": math.fsum(real_terms),
        "fake_sum": math.fsum(fake_terms),
        "kl_data": kl_data,
        "kl_g": kl_g,
        "log4": math.log(4),
        "value_from_jsd": -math.log(4) + 2 * jsd,
        "one_minus_d": [1 - d for d in d_star],
        "figure": _figure(data, gen, d_star),
    }


def _figure(data, gen, d_star):
    """Bars of p_data and p_g at each point, D*(x) as a dot on the same [0, 1] axis (cm)."""
    height = 4.0
    bars = []
    for j, (a, b, d) in enumerate(zip(data, gen, d_star, strict=True)):
        x = 1.6 * j + 0.8
        bars.append({"x_data0": round(x - 0.45, 3), "x_data1": round(x - 0.05, 3),
                     "x_g0": round(x + 0.05, 3), "x_g1": round(x + 0.45, 3),
                     "y_data": round(height * a, 3), "y_g": round(height * b, 3),
                     "x": round(x, 3), "y_d": round(height * d, 3), "label": j + 1})
    return {"bars": bars, "width": round(1.6 * len(data) + 0.2, 3), "height": height,
            "half": round(height / 2, 3)}


# ---------------------------------------------------------------- independent check

def check(p, answers):
    """Maximise the discriminator's objective numerically at each point (scipy, bounded Brent)
    and take JSD from its definition with scipy's KL to the mixture."""
    import numpy as np
    from scipy.optimize import minimize_scalar
    from scipy.stats import entropy

    data, gen = np.array(p["p_data"], dtype=float), np.array(p["p_g"], dtype=float)
    d_opt, best = [], []
    for a, b in zip(data, gen, strict=True):
        result = minimize_scalar(lambda D, a=a, b=b: -(a * np.log(D) + b * np.log1p(-D)),
                                 bounds=(1e-12, 1 - 1e-12), method="bounded", options={"xatol": 1e-12})
        d_opt.append(float(result.x))
        best.append(-float(result.fun))
    mixture = (data + gen) / 2
    jsd = 0.5 * entropy(data, mixture) + 0.5 * entropy(gen, mixture)
    # Brent's bounded search locates the maximiser to about 1e-8; the maximum itself is
    # flat there, so the value is accurate to rounding.
    return {
        "d_star": Approx(d_opt, atol=1e-7),
        "value": Approx(sum(best), atol=1e-9),
        "jsd": float(jsd),
    }


# ---------------------------------------------------------------- common mistakes

MISTAKES = (
    Mistake("inverted", "swapped the roles: D*(x) = p_g / (p_data + p_g)",
            lambda p: {"d_star": [b / (a + b) for a, b in zip(p["p_data"], p["p_g"], strict=True)]}),
    Mistake("no-halves", "left out the 1/2 weights: JSD = KL(p_data || m) + KL(p_g || m)",
            lambda p: {"jsd": 2 * solve(p)["jsd"]}),
    Mistake("no-log4", "forgot the constant: V(D*) = 2 JSD instead of -ln 4 + 2 JSD",
            lambda p: {"value": 2 * solve(p)["jsd"]}),
    Mistake("bits", "used base-2 logarithms (bits) for the JSD", lambda p: {"jsd": solve(p)["jsd"] / math.log(2)}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "discriminator": (
        Step("pointwise maximisation of p log D + q log(1 - D)", 0.5),
        Step("D* = p_data / (p_data + p_g), evaluated", 0.5),
    ),
    "value": (
        Step("D* substituted into the value function", 0.5),
        Step("the number", 0.5),
    ),
    "jsd": (
        Step("V(D*) = 2 JSD - log 4", 0.5),
        Step("the Jensen-Shannon divergence evaluated", 0.5),
    ),
}
