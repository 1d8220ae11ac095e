"""Maximum-likelihood estimates from a small sample, for a Bernoulli or a Gaussian model.

theta is the model's mean parameter: the success probability of the Bernoulli model, the mean
of the Gaussian model N(theta, sigma^2); in both the MLE is the sample mean. mu_mle and var_mle
are the mean and the variance of the fitted distribution (by the invariance of maximum
likelihood, theta_hat (1 - theta_hat) for the Bernoulli model, the MLE of sigma^2 for the
Gaussian), and in both models var_mle is the biased sample variance; var_unbiased divides by
n - 1. loglik is the log-likelihood at the MLE.
"""

import math
from fractions import Fraction

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Mistake,
    Part,
    SizedVector,
    rational,
)

TITLE = "Maximum likelihood for a Bernoulli or a Gaussian sample"
SOURCE = "problem catalog, part 2 (probability/mle-gaussian-bernoulli)"

PARTS = (
    Part("estimate", points=3, answers=("theta_mle",), space="5cm"),
    Part("moments", points=3, answers=("mu_mle", "var_mle", "var_unbiased"), space="5cm"),
    Part("loglik", points=2, answers=("loglik",), space="3cm"),
)

SIZES = (4, 5, 6)
MODELS = ("bernoulli", "gaussian")


# The model and the sample size are structure: every variant of a slot fits the same family
# to as many values.
STRUCTURE = ("model", "n")

PARAMS = (
    Choice("model", MODELS),
    Choice("n", SIZES),
    SizedVector("x", length="n", low=-2, high=8, lengths=SIZES),
)


def sample(rng):
    model, n = rng.choice(MODELS), rng.choice(SIZES)
    if model == "bernoulli":
        x = [rng.integer(0, 1) for _ in range(n)]
    else:
        x = [rng.integer(-2, 8) for _ in range(n)]
    return {"model": model, "n": n, "x": x}


def _moments(x):
    mean = Fraction(sum(Fraction(str(v)) for v in x), len(x))
    return mean, sum((Fraction(str(v)) - mean) ** 2 for v in x) / len(x)


CONSTRAINTS = (
    Constraint("x has n entries", lambda p: len(p["x"]) == p["n"]),
    Constraint("Bernoulli data are 0 or 1", lambda p: p["model"] != "bernoulli" or set(p["x"]) <= {0, 1}),
    # All zeros or all ones put the MLE on the boundary, where the log-likelihood has no maximum inside (0, 1).
    Constraint("Bernoulli data hold both outcomes (0 < sum x < n)",
               lambda p: p["model"] != "bernoulli" or 0 < sum(p["x"]) < len(p["x"])),
    Constraint("Gaussian data are not all equal (sigma^2 > 0)",
               lambda p: p["model"] != "gaussian" or len(set(p["x"])) > 1),
    Constraint("the Gaussian sample mean has at most two decimals",
               lambda p: p["model"] != "gaussian" or (_moments(p["x"])[0] * 100).denominator == 1),
    Constraint("the Gaussian MLE of sigma^2 is between 0.5 and 12 (by hand)",
               lambda p: p["model"] != "gaussian" or Fraction(1, 2) <= _moments(p["x"])[1] <= 12),
)

ANSWERS = (
    Answer("theta_mle", "real", "the maximum-likelihood estimate theta_hat",
           atol=0.002, rtol=0.005),
    Answer("mu_mle", "real", "the mean mu_hat of the fitted distribution", atol=0.002, rtol=0.005),
    Answer("var_mle", "real", "the variance sigma_hat^2 of the fitted distribution",
           atol=0.002, rtol=0.005),
    Answer("var_unbiased", "real", "the unbiased sample variance s^2", atol=0.002, rtol=0.005),
    Answer("loglik", "real", "the log-likelihood at the MLE (nats)", atol=0.002, rtol=0.005),
)


# ---------------------------------------------------------------- reference solver

def solve(p):
    x, n = p["x"], len(p["x"])
    mean, var = _moments(x)
    unbiased = var * n / (n - 1)
    values = {"n_minus_1": n - 1, "sum_x": sum(x), "bernoulli": p["model"] == "bernoulli"}
    if p["model"] == "bernoulli":
        k = sum(x)
        theta = float(mean)
        loglik = k * math.log(theta) + (n - k) * math.log(1 - theta)
        values.update(k=k, n_minus_k=n - k, one_minus_theta=rational(1 - mean),
                      figure=_loglik_figure(k, n, theta, loglik))
    else:
        deviations = [Fraction(str(v)) - mean for v in x]
        sq_sum = sum(d * d for d in deviations)
        loglik = -n / 2 * math.log(2 * math.pi * float(var)) - n / 2
        values.update(deviations=[float(d) for d in deviations], squares=[float(d * d) for d in deviations],
                      sq_sum=rational(sq_sum), two_pi_var=2 * math.pi * float(var),
                      log_two_pi_var=math.log(2 * math.pi * float(var)), half_n=rational(Fraction(n, 2)), log_plus_one=math.log(2 * math.pi * float(var)) + 1,
                      figure=_density_figure(x, float(mean), float(var)))
    return {
        "theta_mle": rational(mean),
        "mu_mle": rational(mean),
        "var_mle": rational(var),
        "var_unbiased": rational(unbiased),
        "loglik": loglik,
        **values,
    }


FIG_W, FIG_H = 8.0, 3.0


def _loglik_figure(k, n, theta_hat, best):
    """The Bernoulli log-likelihood over theta in [0.05, 0.95], its maximum marked (cm)."""
    thetas = [0.05 + 0.9 * i / 60 for i in range(61)]
    values = [k * math.log(t) + (n - k) * math.log(1 - t) for t in thetas]
    low = min(values)
    points = [(round(FIG_W * t, 3), round(FIG_H * (v - low) / (best - low), 3)) for t, v in zip(thetas, values, strict=True)]
    return {"curve": points, "x_hat": round(FIG_W * theta_hat, 3), "width": FIG_W, "height": FIG_H,
            "ticks": [{"x": round(FIG_W * t, 3), "label": t} for t in (0.25, 0.5, 0.75, 1)]}


def _density_figure(x, mean, var):
    """The fitted Gaussian density with the sample as ticks on the axis (cm)."""
    sd = math.sqrt(var)
    low, high = min(min(x), mean - 3 * sd), max(max(x), mean + 3 * sd)

    def at(v):
        return round(FIG_W * (v - low) / (high - low), 3)

    points = [(at(low + (high - low) * i / 60),
               round(FIG_H * math.exp(-0.5 * ((low + (high - low) * i / 60 - mean) / sd) ** 2), 3)) for i in range(61)]
    return {"curve": points, "x_hat": at(mean), "width": FIG_W, "height": FIG_H,
            "samples": sorted({at(v) for v in x})}


# ---------------------------------------------------------------- independent check

def check(p, answers):
    """Maximise the log-likelihood numerically (scipy: bounded Brent for the Bernoulli
    parameter, BFGS over (mean, log sigma) for the Gaussian), with scipy.stats densities; the
    fitted distribution's mean and variance from scipy.stats; the unbiased variance by numpy."""
    import numpy as np
    from scipy.optimize import minimize, minimize_scalar
    from scipy.stats import bernoulli, norm

    x = np.array(p["x"], dtype=float)
    unbiased = float(np.var(x, ddof=1))
    if p["model"] == "bernoulli":
        result = minimize_scalar(lambda t: -float(bernoulli.logpmf(x, t).sum()), bounds=(1e-9, 1 - 1e-9),
                                 method="bounded", options={"xatol": 1e-12})
        fitted = bernoulli(float(result.x))
        theta = float(result.x)
    else:
        start = np.array([float(np.median(x)), 0.0])
        result = minimize(lambda z: -float(norm.logpdf(x, z[0], np.exp(z[1])).sum()), start, method="BFGS",
                          options={"gtol": 1e-10})
        fitted = norm(float(result.x[0]), float(np.exp(result.x[1])))
        theta = float(result.x[0])
    # The optimisers locate the maximiser to about 1e-7 (the log-likelihood is flat there, so
    # its maximum is accurate to about 1e-12).
    return {
        "theta_mle": Approx(theta, atol=1e-5),
        "mu_mle": Approx(float(fitted.mean()), atol=1e-5),
        "var_mle": Approx(float(fitted.var()), atol=1e-5),
        "var_unbiased": unbiased,
        "loglik": Approx(-float(result.fun), atol=1e-8),
    }


# ---------------------------------------------------------------- common mistakes

def _unbiased(p):
    n = len(p["x"])
    return float(_moments(p["x"])[1] * n / (n - 1))


MISTAKES = (
    Mistake("unbiased-as-mle", "divided by n - 1 for the maximum-likelihood variance",
            lambda p: {"var_mle": _unbiased(p)}),
    Mistake("mle-as-unbiased", "divided by n for the unbiased variance",
            lambda p: {"var_unbiased": float(_moments(p["x"])[1])}),
    Mistake("average-loglik", "gave the average log-likelihood per observation instead of the sum",
            lambda p: {"loglik": solve(p)["loglik"] / len(p["x"])}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "estimate": (
        Step("log-likelihood written and differentiated", 0.5),
        Step("the estimate k / n", 0.5),
    ),
    "moments": (
        Step("the mean by the invariance of maximum likelihood", "1/3"),
        Step("the maximum-likelihood variance", "1/3"),
        Step("the unbiased variance (n / (n - 1) times)", "1/3"),
    ),
    "loglik": (
        Step("log-likelihood at the estimate", 1),
    ),
}
