"""Batch normalisation of one feature over a mini-batch: the forward pass and the backward
pass for a given upstream gradient g = dL/dy.

mu and the biased variance are exact (integers x whose mean is a multiple of 1/2); the square
root needs a calculator. The backward pass has three paths from x to xhat (directly, through
mu, through the variance); the common mistakes drop one of them.
"""

import math

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Decimal,
    Mistake,
    Part,
    SizedVector,
    central_gradient,
)

TITLE = "Batch normalisation: forward and backward pass"
SOURCE = "problem catalog, part 2 (mlp/batchnorm-forward-backward)"

PARTS = (
    Part("forward", points=4, answers=("mu", "var", "xhat", "y"), space="6cm"),
    Part("param_grads", points=2, answers=("dL_dgamma", "dL_dbeta"), space="3cm"),
    Part("input_grad", points=4, answers=("dL_dx",), space="7cm"),
)

# N (the batch size) and eps (with or without the stabiliser) are structure.
STRUCTURE = ("N", "eps")

PARAMS = (
    Choice("N", (3, 4)),
    SizedVector("x", length="N", low=-4, high=4, lengths=(3, 4)),
    Decimal("gamma", 0.5, 2, 0.5),
    Decimal("beta", -1, 1, 0.5),
    Choice("eps", (0, 0.01)),
    SizedVector("g", length="N", low=-1, high=1, step=0.5, nonzero=True, lengths=(3, 4)),
)

MIN_VAR = 0.5          # a batch with (almost) no spread divides by (almost) 0
MIN_GRAD = 0.05        # smallest |dL/dgamma| and largest |dL/dx_i| kept


def _stats(x, ddof=0):
    mu = sum(x) / len(x)
    return mu, sum((v - mu) ** 2 for v in x) / (len(x) - ddof)


def _normalised(p, ddof=0):
    mu, var = _stats(p["x"], ddof)
    sigma = math.sqrt(var + p["eps"])
    return [(v - mu) / sigma for v in p["x"]], sigma


def _input_gradient(p, mean_path=True, var_path=True):
    """dL/dx from dL/dxhat = gamma g; the flags drop the path through mu or through var."""
    xhat, sigma = _normalised(p)
    n = len(xhat)
    d_xhat = [p["gamma"] * v for v in p["g"]]
    mean_d = sum(d_xhat) / n if mean_path else 0.0
    mean_dx = sum(a * b for a, b in zip(d_xhat, xhat, strict=True)) / n if var_path else 0.0
    return [(a - mean_d - b * mean_dx) / sigma for a, b in zip(d_xhat, xhat, strict=True)]


def _gamma_grad(p):
    return sum(a * b for a, b in zip(p["g"], _normalised(p)[0], strict=True))


CONSTRAINTS = (
    Constraint("x and g have N entries", lambda p: len(p["x"]) == len(p["g"]) == p["N"]),
    Constraint("the mean is a multiple of 1/2 (deviations and their squares stay short)",
               lambda p: (sum(p["x"]) * 2) % len(p["x"]) == 0),
    Constraint(f"var >= {MIN_VAR}", lambda p: _stats(p["x"])[1] >= MIN_VAR),
    Constraint("sum(g) != 0 (dL/dbeta not 0)", lambda p: sum(p["g"]) != 0),
    Constraint(f"|dL/dgamma| >= {MIN_GRAD}", lambda p: abs(_gamma_grad(p)) >= MIN_GRAD),
    Constraint(f"max |dL/dx_i| >= {MIN_GRAD} (g is not in the span of 1 and xhat)",
               lambda p: max(abs(v) for v in _input_gradient(p)) >= MIN_GRAD),
)

# sqrt from a calculator: the default tolerance (0.5 %, 0.005 near 0); mu and var are exact.
ANSWERS = (
    Answer("mu", "real", "batch mean mu"),
    Answer("var", "real", "batch variance sigma^2"),
    Answer("xhat", "vector", "normalised values x_hat"),
    Answer("y", "vector", "outputs y"),
    Answer("dL_dgamma", "real", "dL/dgamma"),
    Answer("dL_dbeta", "real", "dL/dbeta"),
    Answer("dL_dx", "vector", "dL/dx"),
)


def solve(p):
    x, g, gamma = p["x"], p["g"], p["gamma"]
    n = len(x)
    mu, var = _stats(x)
    xhat, sigma = _normalised(p)
    d_xhat = [gamma * v for v in g]
    return {
        "mu": mu, "var": var, "xhat": xhat,
        "y": [gamma * v + p["beta"] for v in xhat],
        "dL_dgamma": _gamma_grad(p),
        "dL_dbeta": float(sum(g)),
        "dL_dx": _input_gradient(p),
        "N": n, "sum_x": sum(x), "dev": [v - mu for v in x], "sq_dev": [(v - mu) ** 2 for v in x],
        "sum_sq": sum((v - mu) ** 2 for v in x), "sigma": sigma, "var_eps": var + p["eps"],
        "d_xhat": d_xhat,
        "mean_d": sum(d_xhat) / n,
        "mean_dx": sum(a * b for a, b in zip(d_xhat, xhat, strict=True)) / n,
        "g_xhat": [a * b for a, b in zip(g, xhat, strict=True)],
    }


def check(p, answers):
    """The whole normalisation in numpy (np.mean, np.var); every gradient by central finite
    differences of L = sum(g * y), which has dL/dy = g; the key's dL/dx must also sum to 0
    (normalisation is invariant to shifting x)."""
    import numpy as np

    x = np.array(p["x"], dtype=float)
    g = np.array(p["g"], dtype=float)

    def outputs(x=x, gamma=float(p["gamma"]), beta=float(p["beta"])):
        return gamma * (x - np.mean(x)) / np.sqrt(np.var(x) + p["eps"]) + beta

    def loss(**kw):
        return float(np.sum(g * outputs(**kw)))

    if abs(sum(answers["dL_dx"])) > 1e-9:
        raise ValueError(f"the key's dL_dx sums to {sum(answers['dL_dx'])}, not 0")
    fd = {"atol": 1e-6, "rtol": 1e-6}
    return {
        "mu": float(np.mean(x)), "var": float(np.var(x)),
        "xhat": (x - np.mean(x)) / np.sqrt(np.var(x) + p["eps"]),
        "y": outputs(),
        "dL_dgamma": Approx(float(central_gradient(lambda v: loss(gamma=float(v[0])), np.array([p["gamma"]]))[0]), **fd),
        "dL_dbeta": Approx(float(central_gradient(lambda v: loss(beta=float(v[0])), np.array([p["beta"]]))[0]), **fd),
        "dL_dx": Approx(central_gradient(lambda v: loss(x=v), x), **fd),
    }


def _unbiased(p):
    xhat, _ = _normalised(p, ddof=1)
    return {
        "var": _stats(p["x"], ddof=1)[1],
        "xhat": xhat,
        "y": [p["gamma"] * v + p["beta"] for v in xhat],
        "dL_dgamma": sum(a * b for a, b in zip(p["g"], xhat, strict=True)),
    }


MISTAKES = (
    Mistake("unbiased-variance", "normalised with the unbiased variance (divided by N - 1)", _unbiased),
    Mistake("mean-constant", "treated the batch mean as a constant in the backward pass",
            lambda p: {"dL_dx": _input_gradient(p, mean_path=False)}),
    Mistake("var-constant", "treated the batch variance as a constant in the backward pass",
            lambda p: {"dL_dx": _input_gradient(p, var_path=False)}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "forward": (
        Step("batch mean and (biased) variance", 0.5),
        Step("normalised x_hat and the output gamma x_hat + beta", 0.5),
    ),
    "param_grads": (
        Step("dL/dgamma as the sum of dL/dy x_hat", 0.5),
        Step("dL/dbeta as the sum of dL/dy", 0.5),
    ),
    "input_grad": (
        Step("gradient through x_hat, the mean and the variance (three terms)", 0.5),
        Step("the compact form gamma / (N sigma) (N g - sum g - x_hat sum g x_hat)", 0.25),
        Step("the numbers", 0.25),
    ),
}
