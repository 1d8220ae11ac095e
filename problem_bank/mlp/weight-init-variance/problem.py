"""Xavier (Glorot) and He initialisation of a dense layer n_in -> n_out: the weight variance,
its standard deviation, the bound of the uniform distribution with that variance, and the
variance of a pre-activation for inputs of variance v.

Drawn sizes are "round" (16, 50, 64, 100, ...) and, for Xavier, n_in + n_out has only the
factors 2 and 5, so the variance is a short decimal; a pinned size may be any integer in
16..1024 (the key then holds the exact fraction). Square roots need a calculator.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Decimal,
    Int,
    Mistake,
    Part,
    rational,
    sqrt_rational,
)

TITLE = "Weight initialisation: Xavier and He variances"
SOURCE = "problem catalog, part 2 (mlp/weight-init-variance)"

PARTS = (
    Part("variance", points=3, answers=("var_w", "std_w"), space="3.5cm"),
    Part("uniform", points=2, answers=("uniform_bound",), space="3cm"),
    Part("preactivation", points=3, answers=("var_preact",), space="4cm"),
)

ROUND_SIZES = (16, 32, 50, 64, 100, 128, 200, 250, 256, 400, 500, 512, 1000, 1024)


def _short(n: int) -> bool:
    """Whether 2/n has a finite decimal expansion (n = 2^a 5^b)."""
    for prime in (2, 5):
        while n % prime == 0:
            n //= prime
    return n == 1


@dataclass(frozen=True)
class LayerSize(Int):
    """A layer width: any integer in [low, high] when pinned; drawn from ROUND_SIZES. For the
    Xavier scheme the output width is drawn so that n_in + n_out = 2^a 5^b (a short decimal
    variance); the declaration order puts scheme and n_in first."""

    pairs_with: str = ""

    def draw(self, rng, params):
        if self.pairs_with and params.get("scheme") == "xavier":
            fitting = [n for n in ROUND_SIZES if _short(params[self.pairs_with] + n)]
            if fitting:
                return rng.choice(fitting)
        return rng.choice(ROUND_SIZES)


# The scheme is structure; the widths and v are the numbers of the instance (each width is
# a number in one formula here, not a size of the work).
STRUCTURE = ("scheme",)

PARAMS = (
    Choice("scheme", ("xavier", "he")),
    LayerSize("n_in", 16, 1024),
    LayerSize("n_out", 16, 1024, pairs_with="n_in"),
    Decimal("v", 0.25, 4, 0.25),
)

CONSTRAINTS = ()   # every width in 16..1024 and every v > 0 gives a sound instance

# The values are small (1e-3 .. 0.3): relative tolerances, an absolute one far below them.
SMALL = {"rtol": 0.005, "atol": 1e-6}

ANSWERS = (
    Answer("var_w", "real", "the weight variance Var(W_ji) of the scheme", **SMALL),
    Answer("uniform_bound", "real", "the bound r of U(-r, r)", **SMALL),
    Answer("var_preact", "real", "Var(z_j)", **SMALL),
    Answer("std_w", "real", "the weight standard deviation", **SMALL),
)


def _var_w(p, gain=2) -> Fraction:
    fan = p["n_in"] + p["n_out"] if p["scheme"] == "xavier" else p["n_in"]
    return Fraction(gain, fan)


def solve(p):
    var_w = _var_w(p)
    v = Fraction(str(p["v"]))
    var_preact = p["n_in"] * var_w * v
    return {
        "var_w": rational(var_w),
        "std_w": sqrt_rational(var_w),
        "uniform_bound": sqrt_rational(3 * var_w),
        "var_preact": rational(var_preact),
        "fan": p["n_in"] + p["n_out"] if p["scheme"] == "xavier" else p["n_in"],
        "three_var": rational(3 * var_w),
        "in_times_var": rational(p["n_in"] * var_w),
    }


def check(p, answers):
    """var_w from each scheme's defining condition, with the ReLU's halving of the second
    moment integrated numerically (He) ; the uniform bound by solving Var U(-r, r) = var_w
    with the variance integrated numerically; std_w and var_preact by Monte Carlo."""
    import numpy as np
    from scipy import integrate, optimize

    n_in, n_out = p["n_in"], p["n_out"]
    if p["scheme"] == "xavier":
        # Var preserved forwards needs n_in var = 1, backwards n_out var = 1: the compromise
        # takes the average fan, var = 1 / ((n_in + n_out) / 2).
        var_w = 1 / ((n_in + n_out) / 2)
    else:
        # ReLU keeps E[relu(z)^2] / Var z of the second moment of a centred Gaussian z.
        density = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)   # noqa: E731
        kept = integrate.quad(lambda z: z * z * density(z), 0, math.inf)[0]
        var_w = 1 / (n_in * kept)

    def uniform_var(r):
        return integrate.quad(lambda w: w * w / (2 * r), -r, r)[0]

    bound = optimize.brentq(lambda r: uniform_var(r) - var_w, 1e-6, 10, xtol=1e-14, rtol=1e-13)

    rng = np.random.default_rng(n_in * 7919 + n_out)
    # std of 400 000 uniform draws: relative standard error sqrt(0.8 / 4e5) / 2 = 0.07 %
    draws = rng.uniform(-bound, bound, 400_000)
    # 4 000 pre-activations z = w . x: the relative standard error of their variance is
    # sqrt((kurtosis - 1) / 4000) <= sqrt(2.15 / 4000) = 2.3 % (kurtosis <= 3.15 for n_in >= 16)
    samples = 4_000
    z = np.empty(samples)
    chunk = max(1, 2_000_000 // n_in)
    for start in range(0, samples, chunk):
        stop = min(samples, start + chunk)
        w = rng.uniform(-bound, bound, (stop - start, n_in))
        x = rng.normal(0.0, math.sqrt(p["v"]), (stop - start, n_in))
        z[start:stop] = np.sum(w * x, axis=1)
    return {
        "var_w": Approx(var_w, rtol=1e-9),                 # quad is accurate to ~1e-12
        "uniform_bound": Approx(bound, rtol=1e-8),
        "std_w": Approx(float(np.std(draws)), rtol=0.005),  # 7 standard errors
        "var_preact": Approx(float(np.mean(z * z)), rtol=0.12),  # 5 standard errors
    }


def _with(var_w, p):
    return {"var_w": float(var_w), "std_w": math.sqrt(var_w), "uniform_bound": math.sqrt(3 * var_w),
            "var_preact": float(p["n_in"] * var_w * Fraction(str(p["v"])))}


MISTAKES = (
    Mistake("no-factor-2", "left out the 2 of the scheme (1/(n_in + n_out) or 1/n_in)",
            lambda p: _with(_var_w(p, gain=1), p)),
    Mistake("bound-is-std", "took the standard deviation as the uniform bound (r = sqrt(var_w))",
            lambda p: {"uniform_bound": math.sqrt(_var_w(p))}),
    Mistake("no-fan-in", "forgot that z sums n_in products (Var z = var_w v)",
            lambda p: {"var_preact": float(_var_w(p) * Fraction(str(p["v"])))}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "variance": (
        Step("the variance the initialisation asks for (fan-in, fan-out or their average)", "2/3"),
        Step("the standard deviation", "1/3"),
    ),
    "uniform": (
        Step("variance r^2 / 3 of U(-r, r) set equal: r = sqrt(3 Var W)", 1),
    ),
    "preactivation": (
        Step("each product W x has variance Var(W) E[x^2]; n_in independent terms add", 0.5),
        Step("the number", 0.5),
    ),
}
