"""Gradient descent on a separable quadratic: which statement about the iterates is true, and
the largest stable step size.

f(w) = 1/2 sum_i lambda_i w_i^2 with distinct curvatures lambda_i > 0; gradient descent with step
alpha multiplies coordinate i by 1 - alpha lambda_i every step. The regime is set by alpha lambda_max:
below 1 the iterates shrink without changing sign, between 1 and 2 the stiffest coordinate flips sign
while shrinking, above 2 it grows. alpha lambda_i stays at least 0.1 away from 1 and 2.
"""

from fractions import Fraction

from generator.authoring import Answer, Constraint, Custom, Mistake, Part, rational

TITLE = "Step size and the behaviour of gradient descent"
SOURCE = "problem catalog, conceptual questions (concepts/step-size-regimes)"

LETTERS = ("A", "B", "C", "D")
STATEMENTS = ("monotone", "oscillating", "diverging", "bounded", "nonzero")
CURVATURES = (0.5, 1, 2, 3, 4, 5, 8, 10)
STEPS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.6)
MARGIN = 0.1    # |alpha lambda_i - 1| and |alpha lambda_i - 2| at least this

PARTS = (
    Part("which", points=2, answers=("regime",), space="3cm"),
    Part("largest", points=2, answers=("alpha_max",), space="3cm"),
)


def _curvatures_problem(lam, params) -> str | None:
    if (not isinstance(lam, list) or not 2 <= len(lam) <= 3 or len(set(lam)) != len(lam)
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 100 for v in lam)):
        return f"must be a list of 2 or 3 distinct curvatures in (0, 100], got {lam!r}"
    return None


def _start_problem(w0, params) -> str | None:
    lam = params.get("lam") or []
    if not isinstance(w0, list) or len(w0) != len(lam) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v != 0 for v in w0):
        return f"must be a list of {len(lam)} non-zero numbers (one per curvature), got {w0!r}"
    return None


def _options_problem(options, params) -> str | None:
    if not isinstance(options, list) or len(options) != len(LETTERS) or len(set(options)) != len(options) \
            or not set(options) <= set(STATEMENTS):
        return f"must be {len(LETTERS)} distinct statements of {', '.join(STATEMENTS)}, got {options!r}"
    return None


PARAMS = (
    Custom("lam", check=_curvatures_problem, description="2 or 3 distinct curvatures lambda_i"),
    Custom("alpha", check=lambda v, p: None if isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 10
           else f"must be a step size in (0, 10], got {v!r}", description="a step size in (0, 10]"),
    Custom("w0", check=_start_problem, description="the start, one non-zero entry per curvature"),
    Custom("options", check=_options_problem, description=f"the printed statements, {len(LETTERS)} of {', '.join(STATEMENTS)}"),
)


def regime(product) -> str:
    """The behaviour of a coordinate multiplied by 1 - product each step (product > 0)."""
    if product < 1:
        return "monotone"
    if product < 2:
        return "oscillating"
    return "diverging" if product > 2 else "bounded"


def _products(p):
    return [Fraction(str(p["alpha"])) * Fraction(str(v)) for v in p["lam"]]


def _targets(p) -> list[str]:
    """The statements the two mistakes pick (where they differ from the right one)."""
    products = _products(p)
    right = regime(max(products))
    out = []
    for wrong in (regime(min(products)), "diverging" if max(products) > 1 else None):
        if wrong is not None and wrong != right and wrong not in out:
            out.append(wrong)
    return out


def sample(rng):
    lam = sorted(rng.sample_without_replacement(CURVATURES, rng.integer(2, 3)))
    alpha = rng.choice(STEPS)
    w0 = [rng.choice((-2, -1, 1, 2, 3)) for _ in lam]
    p = {"lam": lam, "alpha": alpha, "w0": w0}
    right = regime(max(_products(p)))
    chosen = [right, *_targets(p)]
    rest = [s for s in STATEMENTS if s not in chosen]
    chosen += rng.sample_without_replacement(rest, len(LETTERS) - len(chosen))
    return {**p, "options": rng.shuffle(chosen)}


CONSTRAINTS = (
    Constraint(f"every alpha lambda_i is at least {MARGIN} away from 1 and from 2",
               lambda p: all(abs(x - 1) >= MARGIN and abs(x - 2) >= MARGIN for x in _products(p))),
    Constraint("the right statement is among the options", lambda p: regime(max(_products(p))) in p["options"]),
)

ANSWERS = (
    Answer("regime", "choice", "the letter (A to D) of the true statement about w_t", options=LETTERS),
    Answer("alpha_max", "real", "largest step size alpha_max"),
)


def solve(p):
    products = _products(p)
    right = regime(max(products))
    letters = dict(zip(p["options"], LETTERS, strict=True))
    lam_max = Fraction(str(max(p["lam"])))
    return {
        "regime": letters[right],
        "alpha_max": rational(2 / lam_max),
        "right_statement": right,
        "n": len(p["lam"]),
        "lam_max": rational(lam_max),
        "coordinates": [{"i": i, "lam": v, "product": rational(x), "factor": rational(1 - x),
                         "behaviour": regime(x)} for i, (v, x) in enumerate(zip(p["lam"], products, strict=True), start=1)],
        "options_shown": [{"letter": letters[s], "statement": s, "true": s == right} for s in p["options"]],
        "top_product": rational(max(products)),
    }


def check(p, answers):
    """Run gradient descent (the gradient of f as the matrix diag(lambda) times w) until the norm
    has fallen below 1e-6 or grown above 1e6 times its start, and read the behaviour off the
    iterates: sign flips are looked for in every coordinate that has not underflowed to 0. alpha_max
    by bisection on the step size, with the spectral radius of the iteration matrix I - alpha H
    (numpy's eigenvalues)."""
    import numpy as np

    H = np.diag(np.array(p["lam"], dtype=float))
    w = np.array(p["w0"], dtype=float)
    start = float(np.linalg.norm(w))
    flips_every_step, flipped_ever, seen = np.ones(len(w), dtype=bool), False, "bounded"
    for _ in range(100_000):
        new = w - p["alpha"] * (H @ w)
        flips = np.sign(new) * np.sign(w) < 0
        flips_every_step &= flips | (new == 0)
        flipped_ever |= bool(flips.any())
        w = new
        norm = float(np.linalg.norm(w))
        if norm > 1e6 * start:
            seen = "diverging"
            break
        if norm < 1e-6 * start:
            seen = "oscillating" if flips_every_step.any() else "monotone" if not flipped_ever else "unclear"
            break
    letters = dict(zip(p["options"], LETTERS, strict=True))

    def stable(alpha):
        return float(np.abs(np.linalg.eigvals(np.eye(len(H)) - alpha * H)).max()) < 1

    low, high = 0.0, 10.0
    for _ in range(80):
        mid = (low + high) / 2
        low, high = (mid, high) if stable(mid) else (low, mid)
    return {"regime": letters.get(seen, seen), "alpha_max": low}


def _pick(statement_of):
    def wrong(p):
        statement = statement_of(p)
        if statement is None or statement not in p["options"] or statement == regime(max(_products(p))):
            return {}
        return {"regime": dict(zip(p["options"], LETTERS, strict=True))[statement]}
    return wrong


MISTAKES = (
    Mistake("smallest-curvature", "judged the step by the flattest direction lambda_min instead of the stiffest lambda_max",
            _pick(lambda p: regime(min(_products(p))))),
    Mistake("flip-means-divergence", "took a sign flip (alpha lambda > 1) for divergence; GD diverges only for alpha lambda > 2",
            _pick(lambda p: "diverging" if max(_products(p)) > 1 else None)),
    Mistake("alpha-max-from-smallest", "took alpha_max = 2 / lambda_min",
            lambda p: {"alpha_max": 2 / min(p["lam"])}),
    Mistake("alpha-max-monotone", "took alpha_max = 1 / lambda_max, the largest step without sign flips",
            lambda p: {"alpha_max": 1 / max(p["lam"])}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "which": (
        Step("the factors 1 - alpha lambda_i of the iteration", "1/2"),
        Step("the regime read from their magnitudes and signs", "1/2"),
    ),
    "largest": (
        Step("alpha_max = 2 / lambda_max, from |1 - alpha lambda_i| < 1 for every eigenvalue", "1/2"),
        Step("the value of alpha_max for this Hessian", "1/2"),
    ),
}
