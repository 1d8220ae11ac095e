"""Entropy, cross-entropy, KL divergence and perplexity of a language model's next-token
distribution over a small vocabulary, and the perplexity on a few observed tokens.

The true next-token distribution p and the model's q are probability vectors over V tokens;
`tokens` is a short sequence of observed tokens (1-based), drawn from p. The perplexity on the
sequence is exp of the average negative log-likelihood of its tokens under q, the sample
estimate of exp H(p, q).
"""

import math
from fractions import Fraction

from generator.authoring import Answer, Approx, Choice, Constraint, Custom, Mistake, Part

TITLE = "Entropy, cross-entropy and perplexity of a language model"
SOURCE = "problem catalog, part 2 (probability/entropy-perplexity)"

PARTS = (
    Part("entropy", points=2, answers=("entropy",), space="3cm"),
    Part("cross_entropy", points=2, answers=("cross_entropy", "bits"), space="4cm"),
    Part("kl", points=2, answers=("kl",), space="3cm"),
    Part("perplexity", points=3, answers=("perplexity",), space="4cm"),
)

UNITS = 20          # probabilities are multiples of 0.05
SUM_TOL = 1e-9
LENGTHS = (4, 5, 6)


def _probability_problem(value, params, name):
    """Why `value` is not a probability vector with V positive entries (None when it is)."""
    if not isinstance(value, list) or not value:
        return f"{name} must be a non-empty list of probabilities, got {value!r}"
    V = params.get("V")
    if isinstance(V, int) and len(value) != V:
        return f"{name} must have V = {V} entries, got {len(value)}"
    for v in value:
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v < 1:
            return f"{name} entries must be numbers in (0, 1), got {v!r}"
    if abs(sum(value) - 1) > SUM_TOL:
        return f"{name} must sum to 1, got {sum(value)!r}"
    return None


def _tokens_problem(value, params):
    if not isinstance(value, list) or len(value) not in LENGTHS:
        return f"tokens must be a list of {', '.join(map(str, LENGTHS))} token numbers, got {value!r}"
    V = params.get("V") if isinstance(params.get("V"), int) else 4
    for t in value:
        if not isinstance(t, int) or isinstance(t, bool) or not 1 <= t <= V:
            return f"tokens must be integers from 1 to V = {V}, got {t!r}"
    return None


# The vocabulary size is structure (the tables' width).
STRUCTURE = ("V",)

PARAMS = (
    Choice("V", (3, 4)),
    Custom("p_true", lambda v, p: _probability_problem(v, p, "p_true"), "a probability vector with V entries in (0, 1)"),
    Custom("q_model", lambda v, p: _probability_problem(v, p, "q_model"),
           "a probability vector with V entries in (0, 1)"),
    Custom("tokens", _tokens_problem, "a list of 4 to 6 token numbers from 1 to V"),
)


def sample(rng):
    V = rng.choice((3, 4))
    p_true = rng.probability_vector(V, UNITS, 1)
    q_model = rng.probability_vector(V, UNITS, 1)
    # Tokens drawn from p_true: a uniform unit of the 0.05 grid, mapped to the token owning it.
    owners = [t + 1 for t, v in enumerate(p_true) for _ in range(round(v * UNITS))]
    tokens = [rng.choice(owners) for _ in range(rng.choice(LENGTHS))]
    return {"V": V, "p_true": p_true, "q_model": q_model, "tokens": tokens}


def _kl(p) -> float:
    return math.fsum(a * math.log(a / b) for a, b in zip(p["p_true"], p["q_model"], strict=True))


CONSTRAINTS = (
    Constraint("the model differs from the truth (KL >= 0.02 nats)", lambda p: _kl(p) >= 0.02),
    # One repeated token makes the perplexity just 1 / q(t).
    Constraint("the tokens are not all the same", lambda p: len(set(p["tokens"])) >= 2),
)

ANSWERS = (
    Answer("entropy", "real", "entropy H(p) of the true distribution (nats)", atol=0.002, rtol=0.005),
    Answer("cross_entropy", "real", "cross-entropy H(p, q) of the model (nats)", atol=0.002, rtol=0.005),
    Answer("kl", "real", "KL divergence D_KL(p || q) (nats)", atol=0.002, rtol=0.005),
    Answer("perplexity", "real", "perplexity of the model on the token sequence", atol=0.002, rtol=0.005),
    Answer("bits", "real", "cross-entropy H(p, q) in bits", atol=0.002, rtol=0.005),
)


# ---------------------------------------------------------------- reference solver

def solve(p):
    truth, model, tokens = p["p_true"], p["q_model"], p["tokens"]
    entropy_terms = [-a * math.log(a) for a in truth]
    ce_terms = [-a * math.log(b) for a, b in zip(truth, model, strict=True)]
    entropy = math.fsum(entropy_terms)
    cross_entropy = math.fsum(ce_terms)
    kl_terms = [a * math.log(a / b) for a, b in zip(truth, model, strict=True)]
    kl = math.fsum(kl_terms)
    token_q = [model[t - 1] for t in tokens]
    token_nll = [-math.log(q) for q in token_q]
    nll = math.fsum(token_nll) / len(tokens)
    return {
        "entropy": entropy,
        "cross_entropy": cross_entropy,
        "kl": kl,
        "perplexity": math.exp(nll),
        "bits": cross_entropy / math.log(2),
        "entropy_terms": entropy_terms,
        "ce_terms": ce_terms,
        "kl_terms": kl_terms,
        "token_q": token_q,
        "token_nll": token_nll,
        "nll_sum": math.fsum(token_nll),
        "nll": nll,
        "N": len(tokens),
        "ln2": math.log(2),
        "ratios": [float(Fraction(str(a)) / Fraction(str(b))) for a, b in zip(truth, model, strict=True)],
        "exp_ce": math.exp(cross_entropy),
        "figure": _figure(truth, model),
    }


def _figure(truth, model):
    """Bars of p and q for each token (cm)."""
    height = 4.0
    bars = []
    for j, (a, b) in enumerate(zip(truth, model, strict=True)):
        x = 1.6 * j + 0.8
        bars.append({"x_p0": round(x - 0.45, 3), "x_p1": round(x - 0.05, 3),
                     "x_q0": round(x + 0.05, 3), "x_q1": round(x + 0.45, 3),
                     "y_p": round(height * a, 3), "y_q": round(height * b, 3), "x": round(x, 3),
                     "label": j + 1})
    return {"bars": bars, "width": round(1.6 * len(truth) + 0.2, 3), "height": height}


# ---------------------------------------------------------------- independent check

MC_SAMPLES = 10_000_000
MC_SIGMAS = 6        # the Monte Carlo estimate is within 6 standard errors (p < 2e-9)


def check(p, answers):
    """scipy's entropy and KL; the cross-entropy by Monte Carlo over tokens drawn from p (with
    its standard error as the accuracy), and in bits through the identity H(p, q) = H(p) + KL."""
    import numpy as np
    from scipy.stats import entropy

    truth = np.array(p["p_true"], dtype=float)
    model = np.array(p["q_model"], dtype=float)
    # Monte Carlo: how often each token occurs among MC_SAMPLES draws from p (one multinomial
    # draw is the same as drawing the tokens one by one), then the average of -ln q(token).
    counts = np.random.default_rng(20261201).multinomial(MC_SAMPLES, truth)
    losses = -np.log(model)
    mean = float(counts @ losses) / MC_SAMPLES
    spread = float(counts @ (losses - mean) ** 2) / (MC_SAMPLES - 1)
    standard_error = math.sqrt(spread / MC_SAMPLES)
    # The perplexity as the geometric mean of the inverse probabilities, from the product.
    product = math.prod(p["q_model"][t - 1] for t in p["tokens"])
    return {
        "entropy": float(entropy(truth)),
        "cross_entropy": Approx(mean, atol=MC_SIGMAS * standard_error),
        "kl": float(entropy(truth, model)),
        "perplexity": product ** (-1 / len(p["tokens"])),
        "bits": float(entropy(truth, base=2) + entropy(truth, model, base=2)),
    }


# ---------------------------------------------------------------- common mistakes

def _log2(p):
    s = solve(p)
    return {"entropy": s["entropy"] / math.log(2), "cross_entropy": s["cross_entropy"] / math.log(2),
            "kl": s["kl"] / math.log(2)}


MISTAKES = (
    Mistake("log2", "used base-2 logarithms (bits) where nats are asked", _log2),
    Mistake("reversed-kl", "computed KL(q || p) instead of KL(p || q)",
            lambda p: {"kl": math.fsum(b * math.log(b / a) for a, b in zip(p["p_true"], p["q_model"], strict=True))}),
    Mistake("swapped-ce", "swapped the distributions in the cross-entropy: -sum q ln p",
            lambda p: {"cross_entropy": -math.fsum(b * math.log(a)
                                                   for a, b in zip(p["p_true"], p["q_model"], strict=True))}),
    Mistake("no-average", "did not average over the tokens: exp of the total negative log-likelihood",
            lambda p: {"perplexity": math.exp(-math.fsum(math.log(p["q_model"][t - 1]) for t in p["tokens"]))}),
    Mistake("bits-unconverted", "gave the cross-entropy in nats where bits are asked",
            lambda p: {"bits": solve(p)["cross_entropy"]}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "entropy": (
        Step("H(p) = -sum p log p", 0.5),
        Step("the number", 0.5),
    ),
    "cross_entropy": (
        Step("cross-entropy -sum p log q in nats", 0.5),
        Step("converted to bits", 0.5),
    ),
    "kl": (
        Step("KL = cross-entropy - entropy (or the direct sum)", 1),
    ),
    "perplexity": (
        Step("perplexity as exp of the average negative log-likelihood", "2/3"),
        Step("the number", "1/3"),
    ),
}
