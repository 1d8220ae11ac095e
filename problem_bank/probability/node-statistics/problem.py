"""Statistics of a linear neuron's output at initialisation: mean, variance, variance-preserving init.

y = sum_i w_i x_i with x_i i.i.d. (mean 0, variance var_x) and w_i i.i.d. (mean 0, variance
var_w), weights independent of inputs. Then E[y] = 0 and Var[y] = n var_w var_x, so the
weight variance that keeps Var[y] = Var[x_i] is 1/n.

The source sheet states Var[XY] = Var[X] Var[Y] "for any pair of independent X, Y"; that holds
only when both means are 0 (in general Var[XY] = Var X Var Y + Var X (E Y)^2 + Var Y (E X)^2).
The statement and the model answer say so.
"""

from generator.authoring import Answer, Approx, Choice, Constraint, Mistake, Part

TITLE = "Node statistics of a linear neuron"
TITLES = {"de": "Knotenstatistik eines linearen Neurons"}
SOURCE = "dl-assignments-with-solutions.md, assignment 1"

PARTS = (
    Part("mean", points=1, answers=("mean_y",), space="2cm"),
    Part("rules", points=3, answers=("variance_derivation",), space="5cm"),
    Part("variance", points=1, answers=("var_y",), space="2cm"),
    Part("preserving", points=2, answers=("sigma_w2_preserving",), space="3cm"),
)

# Short decimals only: the variance is a product of three numbers a student multiplies by hand.
VAR_X_OPTIONS = (0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4)
VAR_W_OPTIONS = (0.001, 0.002, 0.004, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.125, 0.2, 0.25, 0.5)

PARAMS = (
    Choice("n", (16, 32, 64, 100, 128, 256, 512), domain=(1, 100_000)),
    Choice("var_x", VAR_X_OPTIONS, domain=(1e-6, 1e6)),
    Choice("var_w", VAR_W_OPTIONS, domain=(1e-9, 1e6)),
)

STRUCTURE = ()   # n, var_x and var_w enter one product: numbers, the same work for every value

CONSTRAINTS = (
    # n var_w is the factor by which the layer scales the variance: keep it within a
    # plausible range of initialisations (neither ~0 nor exploding).
    Constraint("1/10 <= n var_w <= 10", lambda p: 0.1 <= p["n"] * p["var_w"] <= 10, pedagogical=True),
    # Otherwise the last part would be answered by the statement itself.
    Constraint("var_w differs from 1/n", lambda p: abs(p["n"] * p["var_w"] - 1) > 1e-12, pedagogical=True),
)

ANSWERS = (
    Answer("mean_y", "real", "E[y]", atol=0.005),
    Answer("variance_derivation", "proof", "why the variances multiply and add"),
    Answer("var_y", "real", "V[y]", rtol=0.005, atol=1e-4),
    Answer("sigma_w2_preserving", "real", "weight variance sigma_w^2 with V[y] = V[x_i]", rtol=0.005, atol=1e-5),
)


def _rational(value):
    import sympy

    return sympy.Rational(str(value))


def solve(p):
    import sympy

    n = sympy.Integer(p["n"])
    var_x, var_w = _rational(p["var_x"]), _rational(p["var_w"])
    var_term = var_w * var_x           # Var[w_i x_i] for zero-mean independent factors
    var_y = n * var_term
    return {
        "mean_y": sympy.Integer(0),
        "var_y": var_y,
        "sigma_w2_preserving": 1 / n,
        "var_term": var_term,
        "gain": n * var_w,              # Var[y] / Var[x_i] for the given initialisation
        "gain_grows": bool(n * var_w > 1),
    }


# Monte Carlo size: 20k draws of 2n sign bits cost ~1 ms; the 5-standard-error
# tolerance is computed from the same draws, so fewer draws only make the check looser, honestly.
DRAWS = 20_000
SEED = 20_240_601


def check(p, answers):
    """Simulate the neuron: Monte Carlo with a fixed seed, tolerances of 5 standard errors.

    Model distribution (any zero-mean law with the given variances is allowed): x_i = +-sigma
    and w_i = +-sigma_w with independent fair signs, drawn as random bits, n bits per draw
    for the weights and n for the inputs. The product w_i x_i is -sigma_w sigma where the two
    sign bits differ (their XOR is 1) and +sigma_w sigma otherwise, so
    y = sigma_w sigma (n - 2 * popcount(w_bits XOR x_bits)).
    """
    import math

    import numpy as np
    from scipy.optimize import brentq

    n, var_x, var_w = p["n"], p["var_x"], p["var_w"]
    rng = np.random.default_rng(SEED)
    words = -(-n // 64)                                  # 64 sign bits per word
    weight_bits = rng.bit_generator.random_raw((DRAWS, words))
    input_bits = rng.bit_generator.random_raw((DRAWS, words))
    negative = weight_bits ^ input_bits
    used = n - 64 * (words - 1)                          # bits used in the last word
    if used < 64:
        negative[:, -1] &= np.uint64((1 << used) - 1)
    if hasattr(np, "bitwise_count"):                     # numpy >= 2.0
        negatives = np.bitwise_count(negative).sum(axis=1, dtype=np.int64)
    else:                                                # numpy 1.26: count the unpacked bits
        negatives = np.unpackbits(negative.view(np.uint8), axis=1).sum(axis=1, dtype=np.int64)
    signs_sum = (n - 2 * negatives).astype(float)        # sum of the n product signs
    scale = math.sqrt(var_w) * math.sqrt(var_x)          # y = scale * signs_sum

    # Sample moments of the sign sums (elementwise products only: a BLAS dot product on
    # 20k numbers can stall on a busy machine), then scaled to y.
    sign_mean = float(signs_sum.mean())
    squares = (signs_sum - sign_mean) * (signs_sum - sign_mean)
    sign_var = float(squares.sum()) / (DRAWS - 1)
    sign_fourth = float(np.mean(squares * squares))
    mean, var = scale * sign_mean, scale * scale * sign_var
    se_mean = math.sqrt(var / DRAWS)
    se_var = scale * scale * math.sqrt(max(sign_fourth - sign_var * sign_var, 0.0) / DRAWS)

    # The preserving weight variance s: with w_i = +-sqrt(s) the simulated Var[y] is
    # s * var_x * (sample variance of the sign sums); find where it equals Var[x_i] = var_x.
    preserving = brentq(lambda s: s * var_x * sign_var - var_x, 1e-9, 10.0, xtol=1e-15, rtol=1e-14)
    se_preserving = preserving * se_var / var   # delta method: relative error of the variance

    return {
        "mean_y": Approx(mean, atol=5 * se_mean),
        "var_y": Approx(var, atol=5 * se_var),
        "sigma_w2_preserving": Approx(preserving, atol=5 * se_preserving),
    }


MISTAKES = (
    Mistake("forgot-n", "took the variance of one term w_i x_i, not of the sum of n terms",
            lambda p: {"var_y": p["var_w"] * p["var_x"]}),
    Mistake("added-variances", "added the variances of w_i and x_i instead of multiplying them",
            lambda p: {"var_y": p["n"] * (p["var_w"] + p["var_x"])}),
    Mistake("std-not-variance", "answered 1/sqrt(n) (the standard deviation) for the weight variance",
            lambda p: {"sigma_w2_preserving": p["n"] ** -0.5}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "mean": (
        Step("mean of y from linearity and zero-mean weights", 1),
    ),
    "rules": (
        Step("variance of a sum of independent terms", 0.5),
        Step("variance of a product of independent zero-mean factors", 0.5),
    ),
    "variance": (
        Step("Var y = n sigma_w^2 times the second moment of x", 1),
    ),
    "preserving": (
        Step("sigma_w^2 that keeps the variance", 1),
    ),
}
