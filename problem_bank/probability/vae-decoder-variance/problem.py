"""The ELBO-optimal variance of a Gaussian VAE decoder p(x|z) = N(x; mu(z), sigma^2 I).

For a fixed encoder only the reconstruction term of the ELBO depends on sigma; setting its
derivative -d/sigma + ||x - mu||^2/sigma^3 (in expectation) to zero gives
sigma^2 = E ||x - mu(z)||^2 / d. The expectation over p_d(x) q(z|x) is taken here as the
average over N given pairs (x_i, mu_i = mu(z_i)), z_i drawn from the encoder.
"""

from fractions import Fraction
from functools import cache

from generator.authoring import Answer, Approx, Constraint, Int, Matrix, Mistake, Part, rational

TITLE = "Optimal decoder variance of a Gaussian VAE"
TITLES = {"de": "Optimale Decoder-Varianz eines Gaußschen VAE"}
SOURCE = "dl-assignments-with-solutions.md, assignment 10"

PARTS = (
    Part("derivative", points=3, answers=("dloglik_dsigma",), space="4cm"),
    Part("optimum", points=3, answers=("sigma2_formula",), space="5cm"),
    Part("estimate", points=2, answers=("sigma2_opt",), space="4cm"),
    Part("loglik", points=2, answers=("recon_loglik",), space="3cm"),
)

PARAMS = (
    Int("N", 3, 5, domain=(1, 50)),          # samples
    Int("d", 2, 3, domain=(1, 20)),          # dimensions of x
    Matrix("x", rows="N", cols="d", low=-2, high=2, step=0.5, domain=(-100, 100)),
    Matrix("mu", rows="N", cols="d", low=-2, high=2, step=0.5, domain=(-100, 100)),
)

STRUCTURE = ("N", "d")


def WORKLOAD(p):
    """Squared differences summed by hand."""
    return p["N"] * p["d"]


def _squared_errors(p) -> list[float]:
    return [sum((a - b) ** 2 for a, b in zip(xi, mi, strict=True)) for xi, mi in zip(p["x"], p["mu"], strict=True)]


CONSTRAINTS = (
    # Every sample contributes to the sum (and sigma^2 = 0, a degenerate decoder, is excluded).
    Constraint("no sample is reconstructed exactly (||x_i - mu_i|| > 0)", lambda p: min(_squared_errors(p)) > 0),
    Constraint("squared errors small enough to sum by hand (each ||x - mu||^2 <= 12)",
               lambda p: max(_squared_errors(p)) <= 12, pedagogical=True),
)

ANSWERS = (
    Answer("dloglik_dsigma", "expr", "d/dsigma log p(x|z) in terms of sigma, d and r",
           symbols=("sigma", "d", "r")),
    Answer("sigma2_formula", "proof", "why the given sigma^2 maximises the ELBO over sigma"),
    Answer("sigma2_opt", "real", "the optimal sigma^2 for the given pairs", atol=0.002, rtol=0.002),
    Answer("recon_loglik", "real", "the average reconstruction log-likelihood at the optimal sigma^2",
           atol=0.005, rtol=0.002),
)


# ---------------------------------------------------------------- reference solver

def _exact(v: Fraction):
    """An exact rational for the key and the templates: an int, or an Exact p/q."""
    return rational(v, decimals=False)


def solve(p):
    import sympy

    N, d = len(p["x"]), len(p["x"][0])
    # Exact arithmetic on the decimals as written (a pinned 0.3 stays 3/10); the table
    # prints residuals and squared norms as the decimals they are.
    residuals = [[Fraction(str(a)) - Fraction(str(b)) for a, b in zip(xi, mi, strict=True)]
                 for xi, mi in zip(p["x"], p["mu"], strict=True)]
    squared = [sum(r * r for r in row) for row in residuals]
    total = sum(squared)
    sigma2 = total / (d * N)
    # At sigma^2 = S/(dN): (1/N) sum_i [-(d/2) log(2 pi sigma^2) - ||r_i||^2 / (2 sigma^2)]
    # = -(d/2) log(2 pi sigma^2) - d/2, a closed form in sympy.
    log_term = sympy.log(2 * sympy.pi * sympy.Rational(sigma2.numerator, sigma2.denominator))
    recon = -sympy.Rational(d, 2) * (log_term + 1)
    return {
        "dloglik_dsigma": "-d/sigma + r**2/sigma**3",
        "sigma2_opt": _exact(sigma2),
        "recon_loglik": recon,
        "N": N,
        "d": d,
        "residuals": [[float(r) for r in row] for row in residuals],
        "squared": [float(v) for v in squared],
        "total": float(total),
        "mean_squared": _exact(total / N),
        "sigma_opt": float(sigma2) ** 0.5,
        "log_term": log_term,
        "half_d": _exact(Fraction(d, 2)),
    }


# ---------------------------------------------------------------- independent check

@cache
def _symbolic_derivative():
    """d/dsigma of log N(x; mu, sigma^2 I) from the density written out in d dimensions, as
    text and as a numpy function of (sigma, d, r). Computed once per process: it does not
    depend on the instance."""
    import sympy

    sigma, d, r = sympy.symbols("sigma d r", positive=True)
    density = (2 * sympy.pi * sigma ** 2) ** (-d / 2) * sympy.exp(-r ** 2 / (2 * sigma ** 2))
    log_density = sympy.expand_log(sympy.log(density), force=True)
    derivative = sympy.expand(sympy.diff(log_density, sigma))
    return str(derivative), sympy.lambdify((sigma, d, r), derivative, "numpy")


def check(p, answers):
    """Maximise the average log-likelihood over sigma numerically (scipy minimize_scalar on
    log-densities from scipy.stats.norm); confirm the symbolic derivative by central differences."""
    import numpy as np
    from scipy.optimize import minimize_scalar
    from scipy.stats import norm

    x = np.array(p["x"], dtype=float)
    mu = np.array(p["mu"], dtype=float)
    N, d = x.shape

    def average_loglik(sigma: float) -> float:
        # log N(x; mu, sigma^2 I) is the sum of d one-dimensional normal log-densities.
        return float(norm.logpdf(x, loc=mu, scale=sigma).sum() / N)

    result = minimize_scalar(lambda s: -average_loglik(s), bounds=(1e-3, 10.0), method="bounded",
                             options={"xatol": 1e-10})
    sigma = float(result.x)

    # The derivative expression, evaluated sample by sample and averaged, against central
    # differences of the numerical average log-likelihood at a point away from the optimum.
    derivative, formula = _symbolic_derivative()
    r = np.linalg.norm(x - mu, axis=1)
    probe, h = 0.7 * sigma + 0.3, 1e-5
    by_formula = float(np.mean(formula(probe, d, r)))
    by_differences = (average_loglik(probe + h) - average_loglik(probe - h)) / (2 * h)
    agrees = abs(by_formula - by_differences) <= 1e-6 * max(1.0, abs(by_formula))
    return {
        "dloglik_dsigma": derivative if agrees else "derivative disagrees with finite differences",
        # Bounded Brent with xatol 1e-10 stops within ~1e-8 relative of the optimal sigma.
        "sigma2_opt": Approx(sigma ** 2, atol=1e-7, rtol=1e-7),
        # The optimum is flat: an error e in sigma changes the value by O(e^2) only.
        "recon_loglik": Approx(average_loglik(sigma), atol=1e-9, rtol=1e-9),
    }


# ---------------------------------------------------------------- common mistakes

def _forgot_d(p):
    import math

    N, d = len(p["x"]), len(p["x"][0])
    sigma2 = sum(_squared_errors(p)) / N            # forgot to divide by the dimension
    return {"sigma2_opt": sigma2,
            "recon_loglik": -d / 2 * math.log(2 * math.pi * sigma2) - sum(_squared_errors(p)) / (2 * N * sigma2)}


def _sheet_constant(p):
    import math

    N, d = len(p["x"]), len(p["x"][0])
    sigma2 = sum(_squared_errors(p)) / (d * N)
    # the slip -(d/2) d log(2 pi) for the constant instead of -(d/2) log(2 pi)
    return {"recon_loglik": -d / 2 * d * math.log(2 * math.pi) - d / 2 * math.log(sigma2) - d / 2}


MISTAKES = (
    Mistake("forgot-d", "averaged ||x - mu||^2 over the samples but did not divide by the dimension d", _forgot_d),
    Mistake("constant-d-squared", "wrote the normalising constant as -(d/2) d log(2 pi) instead of -(d/2) log(2 pi)",
            _sheet_constant),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "derivative": (
        Step("Gaussian log-likelihood in sigma", 0.5),
        Step("its derivative with respect to sigma", 0.5),
    ),
    "optimum": (
        Step("derivative set to zero", 0.5),
        Step("sigma^2 as the mean squared reconstruction error", 0.5),
    ),
    "estimate": (
        Step("squared errors averaged", 1),
    ),
    "loglik": (
        Step("log-likelihood at the optimal sigma^2", 1),
    ),
}
