"""Expected KL divergence and expected cross-entropy of two conditional models.

A generator p*(x, y) = p*(x) p*(y|x) over m inputs and K classes, and two models
p(y|x; theta_1), p(y|x; theta_2). Minimising the expected KL divergence and minimising the
expected cross-entropy pick the same model, because they differ by the conditional entropy
H(Y|X) of the data, which does not depend on the model.
"""

import math

from generator.authoring import Answer, Choice, Constraint, Custom, Mistake, Part

TITLE = "KL divergence and cross-entropy of a conditional model"
TITLES = {"de": "KL-Divergenz und Kreuzentropie eines bedingten Modells"}
SOURCE = "dl-assignments-with-solutions.md, assignment 5"

PARTS = (
    Part("decomposition", points=3, answers=("kl_decomposition",), space="5cm"),
    Part("entropy", points=2, answers=("conditional_entropy",), space="4cm"),
    Part("cross_entropy", points=2, answers=("expected_ce",), space="4cm"),
    Part("kl", points=2, answers=("expected_kl",), space="3cm"),
    Part("better", points=1, answers=("better_model",), space="2cm"),
)

GRID = 20          # probabilities are multiples of 1/GRID = 0.05
SUM_TOL = 1e-9     # a pinned row must sum to 1 up to float rounding


# ---------------------------------------------------------------- parameters

def _row_problem(row, what: str) -> str | None:
    """Why `row` is not a probability vector with no zero entry (a log needs every entry)."""
    if not isinstance(row, list) or not row:
        return f"{what} must be a non-empty list of probabilities, got {row!r}"
    for v in row:
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v <= 1:
            return f"{what} entries must be numbers in (0, 1], got {v!r}"
    if abs(sum(row) - 1) > SUM_TOL:
        return f"{what} must sum to 1, got {sum(row)!r}"
    return None


def _check_p_x(value, params):
    problem = _row_problem(value, "p_x")
    if problem is None and len(value) not in (2, 3):
        return f"p_x must have 2 or 3 entries (inputs), got {len(value)}"
    return problem


def _conditional_check(name: str):
    def check_matrix(value, params):
        if not isinstance(value, list) or not all(isinstance(r, list) for r in value):
            return f"{name} must be a list of rows, got {value!r}"
        m = len(params["p_x"]) if isinstance(params.get("p_x"), list) else None
        if m is not None and len(value) != m:
            return f"{name} must have one row per input ({m} rows), got {len(value)}"
        widths = {len(r) for r in value}
        if len(widths) != 1 or widths.pop() not in (2, 3):
            return f"{name} rows must all have 2 or 3 entries (classes)"
        if name != "p_true" and isinstance(params.get("p_true"), list) and params["p_true"] \
                and len(value[0]) != len(params["p_true"][0]):
            return f"{name} must have as many classes as p_true"
        for i, row in enumerate(value, start=1):
            problem = _row_problem(row, f"{name} row {i}")
            if problem:
                return problem
        return None
    return check_matrix


PARAMS = (
    Choice("m", (2, 3), implied=lambda pins: len(pins["p_x"]) if "p_x" in pins else None),        # inputs
    Choice("K", (2, 3), implied=lambda pins: len(pins["p_true"][0]) if "p_true" in pins else None),  # classes
    Custom("p_x", _check_p_x, "a probability vector with 2 or 3 positive entries"),
    Custom("p_true", _conditional_check("p_true"),
           "an m x K matrix (K in {2, 3}) of positive rows summing to 1"),
    Custom("p_model1", _conditional_check("p_model1"), "an m x K matrix of positive rows summing to 1"),
    Custom("p_model2", _conditional_check("p_model2"), "an m x K matrix of positive rows summing to 1"),
)

STRUCTURE = ("m", "K")


def sample(rng, pins=None):
    """Sizes first (pinned, or implied by pinned distributions), then the distributions."""
    pins = pins or {}
    m = rng.choice((2, 3))
    K = rng.choice((2, 3))
    m, K = pins.get("m", m), pins.get("K", K)   # pinned, or implied by pinned distributions
    return {"m": m, "K": K,
        "p_x": rng.probability_vector(m, GRID, 2),
        "p_true": [rng.probability_vector(K, GRID, 1) for _ in range(m)],
        "p_model1": [rng.probability_vector(K, GRID, 1) for _ in range(m)],
        "p_model2": [rng.probability_vector(K, GRID, 1) for _ in range(m)],
    }


def _kl(p) -> list[float]:
    """Expected KL divergence of each model (used by the constraints)."""
    return [sum(px * sum(t * math.log(t / q) for t, q in zip(tr, qr, strict=True))
                for px, tr, qr in zip(p["p_x"], p["p_true"], model, strict=True))
            for model in (p["p_model1"], p["p_model2"])]


CONSTRAINTS = (
    Constraint("m is the number of inputs and K of classes (p_x, p_true)",
               lambda p: p["m"] == len(p["p_x"]) and p["K"] == len(p["p_true"][0])),
    # A model equal to the generator would give a trivial 0.
    Constraint("each model differs from p* (expected KL >= 0.01)", lambda p: min(_kl(p)) >= 0.01, pedagogical=True),
    # Hand computation with 3-4 digit logs must still tell the models apart.
    Constraint("the two models are not near a tie (expected KLs differ by >= 0.03)",
               lambda p: abs(_kl(p)[0] - _kl(p)[1]) >= 0.03, pedagogical=True),
)

ANSWERS = (
    Answer("kl_decomposition", "proof", "why minimising the expected KL is minimising the expected cross-entropy"),
    Answer("conditional_entropy", "real", "conditional entropy H(Y|X) in nats", atol=0.002, rtol=0.005),
    Answer("expected_ce", "vector", "expected cross-entropy of model 1 and model 2 in nats",
           atol=0.002, rtol=0.005),
    Answer("expected_kl", "vector", "expected KL divergence of model 1 and model 2 in nats",
           atol=0.002, rtol=0.005),
    Answer("better_model", "choice", "the model with the smaller expected KL (and CE)", options=("1", "2")),
)


# ---------------------------------------------------------------- reference solver

def solve(p):
    import numpy as np

    p_x = np.array(p["p_x"], dtype=float)
    truth = np.array(p["p_true"], dtype=float)
    models = [np.array(p["p_model1"], dtype=float), np.array(p["p_model2"], dtype=float)]

    # Per input x: H(p*(.|x)), CE(p*(.|x), p_i(.|x)) and KL(p*(.|x) || p_i(.|x)), each from
    # its own definition (KL is not taken as CE - H, so the printed identity is a real check).
    entropy_rows = -(truth * np.log(truth)).sum(axis=1)
    ce_rows = [-(truth * np.log(q)).sum(axis=1) for q in models]
    kl_rows = [(truth * np.log(truth / q)).sum(axis=1) for q in models]

    # Expectations over x as correctly rounded sums (math.fsum), not `p_x @ rows`: a BLAS dot
    # product's last bits depend on the processor, and the key's bytes must not.
    def expect(rows) -> float:
        return math.fsum(float(w) * float(v) for w, v in zip(p_x, rows, strict=True))

    conditional_entropy = expect(entropy_rows)
    expected_ce = [expect(rows) for rows in ce_rows]
    expected_kl = [expect(rows) for rows in kl_rows]
    better = 1 if expected_kl[0] < expected_kl[1] else 2
    return {
        "conditional_entropy": conditional_entropy,
        "expected_ce": expected_ce,
        "expected_kl": expected_kl,
        "better_model": str(better),
        "best_kl": expected_kl[better - 1], "worst_kl": expected_kl[2 - better],
        "best_ce": expected_ce[better - 1], "worst_ce": expected_ce[2 - better],
        "kl_gap": abs(expected_kl[0] - expected_kl[1]),
        "m": len(p["p_x"]),
        "K": len(p["p_true"][0]),
        "entropy_rows": entropy_rows.tolist(),
        "ce_rows": [rows.tolist() for rows in ce_rows],
        "kl_rows": [rows.tolist() for rows in kl_rows],
        # Both models' matrices, for the template's loop over models.
        "models": [p["p_model1"], p["p_model2"]],
    }


# ---------------------------------------------------------------- independent check

def check(p, answers):
    """scipy.stats.entropy on every conditional, then averaged over p*(x) by hand."""
    from scipy.stats import entropy

    weights = p["p_x"]
    h = [entropy(row) for row in p["p_true"]]                      # natural log by default
    conditional_entropy = sum(w * v for w, v in zip(weights, h, strict=True))
    kls = []
    for model in (p["p_model1"], p["p_model2"]):
        kl = [entropy(t, q) for t, q in zip(p["p_true"], model, strict=True)]
        kls.append(sum(w * v for w, v in zip(weights, kl, strict=True)))
    # Cross-entropy from its own definition, as the log-loss of the joint p*(x, y):
    # -sum_{x,y} p*(x, y) log p(y|x).
    ces = [-sum(w * t * math.log(q) for w, tr, qr in zip(weights, p["p_true"], model, strict=True)
                for t, q in zip(tr, qr, strict=True))
           for model in (p["p_model1"], p["p_model2"])]
    by_ce = 1 if ces[0] < ces[1] else 2
    by_kl = 1 if kls[0] < kls[1] else 2
    return {
        "conditional_entropy": conditional_entropy,
        "expected_ce": ces,
        "expected_kl": kls,
        # Both criteria must agree; if they did not, no valid choice exists.
        "better_model": str(by_kl) if by_ce == by_kl else "criteria disagree",
    }


# ---------------------------------------------------------------- common mistakes

def _log2_answers(p):
    s = solve(p)
    return {"conditional_entropy": s["conditional_entropy"] / math.log(2),
            "expected_ce": [v / math.log(2) for v in s["expected_ce"]],
            "expected_kl": [v / math.log(2) for v in s["expected_kl"]]}


def _reversed_kl(p):
    return {"expected_kl": [sum(px * sum(q * math.log(q / t) for t, q in zip(tr, qr, strict=True))
                                for px, tr, qr in zip(p["p_x"], p["p_true"], model, strict=True))
                            for model in (p["p_model1"], p["p_model2"])]}


def _unweighted(p):
    s = solve(p)
    m = len(p["p_x"])
    return {"conditional_entropy": sum(s["entropy_rows"]) / m,
            "expected_ce": [sum(rows) / m for rows in s["ce_rows"]],
            "expected_kl": [sum(rows) / m for rows in s["kl_rows"]]}


MISTAKES = (
    Mistake("log2", "used base-2 logarithms (bits) instead of natural logarithms (nats)", _log2_answers),
    Mistake("reversed-kl", "computed KL(p_model || p*) instead of KL(p* || p_model)", _reversed_kl),
    Mistake("unweighted", "averaged over the inputs uniformly instead of weighting by p*(x)", _unweighted),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "decomposition": (
        Step("log of the ratio split: KL = CE - H per input", 0.5),
        Step("expectation over x; H(Y|X) does not depend on theta", 0.5),
    ),
    "entropy": (
        Step("entropy of each conditional row", 0.5),
        Step("averaged with p*(x)", 0.5),
    ),
    "cross_entropy": (
        Step("cross-entropy of each model per input", 0.5),
        Step("averaged with p*(x)", 0.5),
    ),
    "kl": (
        Step("expected KL as expected CE minus H(Y|X)", 1),
    ),
    "better": (
        Step("the model with the smaller expected KL (equivalently CE)", 1),
    ),
}
