"""The KL divergence of a diagonal Gaussian q = N(mu, diag(exp(logvar))) from a second diagonal
Gaussian p, the VAE's KL term, and its gradient in mu and in logvar = log sigma^2.

With prior "standard", p = N(0, I) (the VAE's usual prior: mu2 = logvar2 = 0); with prior
"gaussian", p = N(mu2, diag(exp(logvar2))), e.g. a learned prior. Per coordinate

    KL_j = 1/2 (logvar2_j - logvar_j + (exp(logvar_j) + (mu_j - mu2_j)^2) / exp(logvar2_j) - 1),

dKL/dmu_j = (mu_j - mu2_j) / exp(logvar2_j), dKL/dlogvar_j = 1/2 (exp(logvar_j - logvar2_j) - 1).
"""

import math

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Mistake,
    Part,
    SizedVector,
    central_gradient,
)

TITLE = "The KL term of a VAE: two diagonal Gaussians"
SOURCE = "problem catalog, part 2 (generative/gaussian-kl)"

PARTS = (
    Part("kl", points=4, answers=("kl",), space="6cm"),
    Part("grad_mu", points=2, answers=("dkl_dmu",), space="3cm"),
    Part("grad_logvar", points=3, answers=("dkl_dlogvar",), space="4cm"),
)

DIMS = (2, 3)
PRIORS = ("standard", "gaussian")


# The dimension and the kind of second Gaussian are structure: every variant of a slot has
# the same number of coordinates and the same prior.
STRUCTURE = ("D", "prior")

PARAMS = (
    Choice("D", DIMS),
    Choice("prior", PRIORS),
    SizedVector("mu", length="D", low=-2, high=2, step=0.5, lengths=DIMS),
    SizedVector("logvar", length="D", low=-2, high=2, step=0.5, lengths=DIMS),
    SizedVector("mu2", length="D", low=-2, high=2, step=0.5, lengths=DIMS),
    SizedVector("logvar2", length="D", low=-2, high=2, step=0.5, lengths=DIMS),
)


def sample(rng):
    D = rng.choice(DIMS)
    prior = rng.choice(PRIORS)

    def vector():
        return [rng.decimal(-2, 2, 0.5) for _ in range(D)]

    params = {"D": D, "prior": prior, "mu": vector(), "logvar": vector()}
    if prior == "standard":
        params.update(mu2=[0.0] * D, logvar2=[0.0] * D)
    else:
        params.update(mu2=vector(), logvar2=vector())
    return params


def _terms(p):
    """Per-coordinate KL(q || p) (used by the constraints)."""
    return [0.5 * (v2 - v + (math.exp(v) + (m - m2) ** 2) / math.exp(v2) - 1)
            for m, v, m2, v2 in zip(p["mu"], p["logvar"], p["mu2"], p["logvar2"], strict=True)]


CONSTRAINTS = (
    Constraint("mu, logvar, mu2 and logvar2 have D entries",
               lambda p: all(len(p[name]) == p["D"] for name in ("mu", "logvar", "mu2", "logvar2"))),
    Constraint("with prior standard, mu2 = 0 and logvar2 = 0 (p = N(0, I))",
               lambda p: p["prior"] != "standard" or not any(p["mu2"]) and not any(p["logvar2"])),
    Constraint("with prior gaussian, the second Gaussian is not N(0, I) (else use prior standard)",
               lambda p: p["prior"] != "gaussian" or any(p["mu2"]) or any(p["logvar2"])),
    # Gradients that are the zero vector would make a part trivial.
    Constraint("mu differs from mu2 in some coordinate", lambda p: p["mu"] != p["mu2"]),
    Constraint("logvar differs from logvar2 in some coordinate", lambda p: p["logvar"] != p["logvar2"]),
    Constraint("the KL divergence is between 0.1 and 6 nats (by hand)", lambda p: 0.1 <= sum(_terms(p)) <= 6),
)

ANSWERS = (
    Answer("kl", "real", "D_KL(q || p) in nats", atol=0.002, rtol=0.005),
    Answer("dkl_dmu", "vector", "the gradient dD_KL/dmu", atol=0.002, rtol=0.005),
    Answer("dkl_dlogvar", "vector", "the gradient dD_KL/dl with respect to the log-variances l",
           atol=0.002, rtol=0.005),
)


# ---------------------------------------------------------------- reference solver

def solve(p):
    rows = []
    for j, (m, v, m2, v2) in enumerate(zip(p["mu"], p["logvar"], p["mu2"], p["logvar2"], strict=True)):
        var, var2 = math.exp(v), math.exp(v2)
        diff = m - m2
        term = 0.5 * (v2 - v + (var + diff * diff) / var2 - 1)
        rows.append({"j": j + 1, "mu": m, "logvar": v, "mu2": m2, "logvar2": v2, "var": var, "var2": var2,
                     "diff": diff, "diff2": diff * diff, "dlv": v2 - v, "ratio": var / var2, "term": term,
                     "dmu": diff / var2, "dlogvar": 0.5 * (var / var2 - 1)})
    return {
        "kl": math.fsum(r["term"] for r in rows),
        "dkl_dmu": [r["dmu"] for r in rows],
        "dkl_dlogvar": [r["dlogvar"] for r in rows],
        "rows": rows,
        "standard": p["prior"] == "standard",
        "figure": _figure(rows[0]),
    }


FIG_W, FIG_H, FIG_POINTS = 9.0, 3.0, 61


def _figure(row):
    """The two densities of coordinate 1, q (blue) and p (red), on a FIG_W x FIG_H cm box."""
    s, s2 = math.sqrt(row["var"]), math.sqrt(row["var2"])
    low = min(row["mu"] - 3 * s, row["mu2"] - 3 * s2)
    high = max(row["mu"] + 3 * s, row["mu2"] + 3 * s2)
    top = max(1 / (s * math.sqrt(2 * math.pi)), 1 / (s2 * math.sqrt(2 * math.pi)))

    def density(x, m, sd):
        return math.exp(-0.5 * ((x - m) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))

    def curve(m, sd):
        points = []
        for i in range(FIG_POINTS):
            x = low + (high - low) * i / (FIG_POINTS - 1)
            points.append((round(FIG_W * (x - low) / (high - low), 3), round(FIG_H * density(x, m, sd) / top, 3)))
        return points

    def at(x):
        return round(FIG_W * (x - low) / (high - low), 3)

    return {"q": curve(row["mu"], s), "p": curve(row["mu2"], s2), "width": FIG_W, "height": FIG_H,
            "x_mu": at(row["mu"]), "x_mu2": at(row["mu2"]), "zero": at(0.0) if low < 0 < high else None}


# ---------------------------------------------------------------- independent check

def check(p, answers):
    """KL by numerical integration of q ln(q/p) per coordinate (scipy quad on +-12 standard
    deviations, a neglected mass below 1e-30); the gradients by central finite differences of
    the KL written in matrix form, 1/2 [tr(S2^-1 S) + d^T S2^-1 d - D + ln(det S2 / det S)]."""
    import numpy as np
    from scipy.integrate import quad

    def log_density(x, mean, logvar):
        return -0.5 * (x - mean) ** 2 / math.exp(logvar) - 0.5 * logvar - 0.5 * math.log(2 * math.pi)

    total = 0.0
    for m, v, m2, v2 in zip(p["mu"], p["logvar"], p["mu2"], p["logvar2"], strict=True):
        def integrand(x, m=m, v=v, m2=m2, v2=v2):
            log_q = log_density(x, m, v)
            return math.exp(log_q) * (log_q - log_density(x, m2, v2))

        width = 12 * math.exp(v / 2)
        value, _ = quad(integrand, m - width, m + width, epsabs=1e-12, epsrel=1e-12, limit=200)
        total += value

    mu2, S2 = np.array(p["mu2"], dtype=float), np.diag(np.exp(np.array(p["logvar2"], dtype=float)))
    S2_inv = np.linalg.inv(S2)

    def kl_matrix(mu, logvar):
        S = np.diag(np.exp(logvar))
        d = mu2 - mu
        return 0.5 * (np.trace(S2_inv @ S) + d @ S2_inv @ d - len(mu)
                      + np.log(np.linalg.det(S2) / np.linalg.det(S)))

    mu, logvar = np.array(p["mu"], dtype=float), np.array(p["logvar"], dtype=float)
    d_mu = central_gradient(lambda x: kl_matrix(x, logvar), mu)
    d_logvar = central_gradient(lambda x: kl_matrix(mu, x), logvar)
    # quad reaches about 1e-10 here; central differences with h = 1e-6 about 1e-8.
    return {
        "kl": Approx(total, atol=1e-8),
        "dkl_dmu": Approx([float(x) for x in d_mu], atol=1e-6),
        "dkl_dlogvar": Approx([float(x) for x in d_logvar], atol=1e-6),
    }


# ---------------------------------------------------------------- common mistakes

def _reversed(p):
    """KL(p || q) instead of KL(q || p)."""
    return {"kl": math.fsum(0.5 * (v - v2 + (math.exp(v2) + (m - m2) ** 2) / math.exp(v) - 1)
                            for m, v, m2, v2 in zip(p["mu"], p["logvar"], p["mu2"], p["logvar2"], strict=True))}


def _logstd(p):
    """logvar read as log sigma: variances exp(2 logvar)."""
    return {"kl": math.fsum(0.5 * (2 * v2 - 2 * v + (math.exp(2 * v) + (m - m2) ** 2) / math.exp(2 * v2) - 1)
                            for m, v, m2, v2 in zip(p["mu"], p["logvar"], p["mu2"], p["logvar2"], strict=True))}


MISTAKES = (
    Mistake("no-half", "dropped the factor 1/2 of the Gaussian KL",
            lambda p: {"kl": 2 * solve(p)["kl"], "dkl_dlogvar": [2 * g for g in solve(p)["dkl_dlogvar"]]}),
    Mistake("reversed-kl", "computed KL(p || q) instead of KL(q || p)", _reversed),
    Mistake("logvar-as-logstd", "read logvar as log sigma (variance exp(2 logvar))", _logstd),
    Mistake("wrt-variance", "differentiated with respect to sigma^2 instead of log sigma^2",
            lambda p: {"dkl_dlogvar": [0.5 * (math.exp(-v2) - math.exp(-v))
                                       for v, v2 in zip(p["logvar"], p["logvar2"], strict=True)]}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "kl": (
        Step("KL of two Gaussians in closed form (log ratio of variances, variance ratio, mean term)", 0.5),
        Step("summed over the dimensions", 0.25),
        Step("the number", 0.25),
    ),
    "grad_mu": (
        Step("only the mean term depends on mu: (mu - mu_2) / sigma_2^2", 1),
    ),
    "grad_logvar": (
        Step("chain rule through sigma^2 = exp(log sigma^2)", 0.5),
        Step("the derivative (e^l / sigma_2^2 - 1) / 2, evaluated", 0.5),
    ),
}
