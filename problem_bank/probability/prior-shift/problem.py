"""Prior shift: reusing a trained classifier when the class priors change at deployment.

A network trained on data with class priors p(y) outputs p(y|x). If at deployment the
priors are p*(y) while the class-conditional densities p(x|y) stay the same, Bayes' rule
gives p*(y|x) proportional to p*(y)/p(y) p(y|x): reweight the softmax outputs, renormalise,
and decide for the largest (the Bayes decision under the 0/1 loss).
"""

from generator.authoring import Answer, Choice, Constraint, Custom, Mistake, Part

TITLE = "Shift of the class prior"
TITLES = {"de": "Verschiebung der A-priori-Verteilung der Klassen"}
SOURCE = "dl-assignments-with-solutions.md, assignment 7"

PARTS = (
    Part("reweighting_rule", points=3, answers=("reweighting_rule",), space="5cm"),
    Part("posteriors", points=4, answers=("posteriors_shifted",), space="6cm"),
    Part("decisions", points=3, answers=("decisions_before", "decisions_after", "changed"), space="3cm"),
)

GRID = 20          # probabilities are multiples of 1/GRID = 0.05
SUM_TOL = 1e-9     # a pinned distribution must sum to 1 up to float rounding
INPUTS = 3         # rows of `outputs`
MARGIN = 0.03      # the winning shifted posterior must beat the runner-up by this much


# ---------------------------------------------------------------- parameters

def _distribution_problem(row, what: str) -> str | None:
    if not isinstance(row, list) or len(row) not in (2, 3):
        return f"{what} must be a list of 2 or 3 probabilities (one per class), got {row!r}"
    for v in row:
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0 < v <= 1:
            return f"{what} entries must be numbers in (0, 1], got {v!r}"
    if abs(sum(row) - 1) > SUM_TOL:
        return f"{what} must sum to 1, got {sum(row)!r}"
    return None


def _check_prior(name: str):
    def check_prior(value, params):
        problem = _distribution_problem(value, name)
        if problem is None and name == "prior_deploy" and isinstance(params.get("prior_train"), list) \
                and len(value) != len(params["prior_train"]):
            return "prior_deploy must have as many classes as prior_train"
        return problem
    return check_prior


def _check_outputs(value, params):
    if not isinstance(value, list) or len(value) != INPUTS:
        return f"outputs must be a list of {INPUTS} rows (one softmax output per input), got {value!r}"
    for i, row in enumerate(value, start=1):
        problem = _distribution_problem(row, f"outputs row {i}")
        if problem:
            return problem
        if isinstance(params.get("prior_train"), list) and len(row) != len(params["prior_train"]):
            return f"outputs row {i} must have one entry per class ({len(params['prior_train'])})"
    return None


PARAMS = (
    Choice("K", (2, 3), implied=lambda pins: len(pins["prior_train"]) if "prior_train" in pins else None),
    Custom("prior_train", _check_prior("prior_train"), "a list of 2 or 3 positive class priors summing to 1"),
    Custom("prior_deploy", _check_prior("prior_deploy"), "a list of positive class priors summing to 1"),
    Custom("outputs", _check_outputs, f"{INPUTS} rows of positive softmax outputs, each summing to 1"),
)

STRUCTURE = ("K",)


def sample(rng, pins=None):
    """K first (pinned, or implied by pinned priors: see PARAMS), then the distributions."""
    pins = pins or {}
    K = rng.choice((2, 3))
    K = pins.get("K", K)
    return {"K": K,
        "prior_train": rng.probability_vector(K, GRID, 2),
        "prior_deploy": rng.probability_vector(K, GRID, 2),
        "outputs": [rng.probability_vector(K, GRID, 1) for _ in range(INPUTS)],
    }


def _shifted(p) -> list[list[float]]:
    """Reweighted, renormalised outputs in floats (for the constraints only)."""
    rows = []
    for row in p["outputs"]:
        raw = [o * d / t for o, d, t in zip(row, p["prior_deploy"], p["prior_train"], strict=True)]
        rows.append([v / sum(raw) for v in raw])
    return rows


def _margin(row) -> float:
    top, second = sorted(row, reverse=True)[:2]
    return top - second


def _argmax(row) -> int:
    return max(range(len(row)), key=row.__getitem__)


CONSTRAINTS = (
    Constraint("K is the number of classes of prior_train", lambda p: p["K"] == len(p["prior_train"])),
    Constraint("the three inputs have different outputs",
               lambda p: len({tuple(row) for row in p["outputs"]}) == INPUTS, pedagogical=True),
    Constraint("every output row has a unique largest entry", lambda p: min(map(_margin, p["outputs"])) > 1e-9),
    Constraint(f"after reweighting, every input's top class beats the runner-up by >= {MARGIN}",
               lambda p: min(map(_margin, _shifted(p))) >= MARGIN, pedagogical=True),
    Constraint("at least one decision changes",
               lambda p: any(_argmax(a) != _argmax(b) for a, b in zip(p["outputs"], _shifted(p), strict=True)), pedagogical=True),
)

ANSWERS = (
    Answer("reweighting_rule", "proof", "p*(y|x) in terms of p(y|x), p(y) and p*(y)"),
    Answer("posteriors_shifted", "matrix", "deployment posteriors p*(y|x_j), one row per input",
           atol=0.003, rtol=0.005),
    Answer("decisions_before", "shape", "1-based class decided for each input with the training prior"),
    Answer("decisions_after", "shape", "1-based class decided for each input with the deployment prior"),
    # A list of true/false. The catalog wants JSON booleans, and "vector" is the only answer
    # type whose key keeps them (shape would store 0/1); the tiny atol makes it exact.
    Answer("changed", "bools", "for each input x_j: whether its decision changes"),
)


# ---------------------------------------------------------------- reference solver

def solve(p):
    import sympy

    def exact(v):
        return sympy.Rational(str(v))

    train = [exact(v) for v in p["prior_train"]]
    deploy = [exact(v) for v in p["prior_deploy"]]
    weights = [d / t for d, t in zip(deploy, train, strict=True)]          # p*(y)/p(y)
    unnormalised, totals, shifted = [], [], []
    for row in p["outputs"]:
        raw = [w * exact(o) for w, o in zip(weights, row, strict=True)]
        total = sum(raw)
        unnormalised.append(raw)
        totals.append(total)
        shifted.append([v / total for v in raw])
    before = [_argmax(row) + 1 for row in p["outputs"]]
    after = [_argmax(row) + 1 for row in shifted]
    changed = [b != a for b, a in zip(before, after, strict=True)]
    return {
        "posteriors_shifted": shifted,
        "decisions_before": before,
        "decisions_after": after,
        "changed": changed,
        "K": len(train),
        "weights": weights,
        "unnormalised": unnormalised,
        "totals": totals,
        "n_changed": sum(changed),
        # What the solution prints: decimals where the products do not terminate early, and
        # the exact posteriors only where their fractions are short enough to help.
        "unnormalised_rounded": [any(round(float(v), 4) != v for v in row) for row in unnormalised],
        "readable": [max(v.q for v in row) <= 100 for row in shifted],
    }


# ---------------------------------------------------------------- independent check

def check(p, answers):
    """An explicit joint p(x, y) over the three inputs plus one 'every other input' x_0,
    consistent with the outputs and the training prior; then keep p(x|y), swap the prior,
    and apply Bayes' rule to the new joint. Exact rational arithmetic throughout."""
    from fractions import Fraction

    prior = [Fraction(str(v)) for v in p["prior_train"]]
    new_prior = [Fraction(str(v)) for v in p["prior_deploy"]]
    outputs = [[Fraction(str(v)) for v in row] for row in p["outputs"]]
    K, n = len(prior), len(outputs)

    # p(x_j) = eps for the listed inputs; x_0 takes the rest of the mass and whatever class
    # distribution makes the class marginal equal to the training prior.
    eps = min(prior) / (n + 1)
    rest = 1 - n * eps
    joint = [[eps * o for o in row] for row in outputs]
    joint.insert(0, [prior[y] - sum(joint[j][y] for j in range(n)) for y in range(K)])
    assert all(v > 0 for v in joint[0]) and sum(joint[0]) == rest
    assert [sum(joint[x][y] for x in range(n + 1)) for y in range(K)] == prior

    # Bayes' rule on this joint gives back the network's outputs for the listed inputs.
    train_posteriors = [[v / sum(row) for v in row] for row in joint[1:]]
    assert train_posteriors == outputs

    likelihood = [[joint[x][y] / prior[y] for y in range(K)] for x in range(n + 1)]   # p(x|y)
    new_joint = [[likelihood[x][y] * new_prior[y] for y in range(K)] for x in range(n + 1)]
    posteriors = [[v / sum(row) for v in row] for row in new_joint[1:]]

    def decide(row):
        best = max(row)
        return [y + 1 for y, v in enumerate(row) if v == best]    # all maximisers: a tie shows

    before = [decide(row) for row in train_posteriors]
    after = [decide(row) for row in posteriors]
    return {
        "posteriors_shifted": [[float(v) for v in row] for row in posteriors],
        "decisions_before": [d[0] if len(d) == 1 else 0 for d in before],
        "decisions_after": [d[0] if len(d) == 1 else 0 for d in after],
        "changed": [b != a for b, a in zip(before, after, strict=True)],
    }


# ---------------------------------------------------------------- common mistakes

def _posteriors_from(p, factor):
    """Renormalised outputs when each class is weighted by factor(y). Only the posteriors:
    the decisions and changes of a wrong weighting often coincide with the right ones."""
    shifted = []
    for row in p["outputs"]:
        raw = [o * factor(y) for y, o in enumerate(row)]
        shifted.append([v / sum(raw) for v in raw])
    return {"posteriors_shifted": shifted}


def _no_renormalise(p):
    return {"posteriors_shifted": [[o * d / t for o, d, t in zip(row, p["prior_deploy"], p["prior_train"], strict=True)]
                                   for row in p["outputs"]]}


MISTAKES = (
    Mistake("inverted-ratio", "weighted by p(y)/p*(y) instead of p*(y)/p(y)",
            lambda p: _posteriors_from(p, lambda y: p["prior_train"][y] / p["prior_deploy"][y])),
    Mistake("deploy-prior-only", "multiplied by the new prior p*(y) without dividing by the training prior p(y)",
            lambda p: _posteriors_from(p, lambda y: p["prior_deploy"][y])),
    Mistake("no-renormalise", "reweighted the outputs but did not renormalise them to sum to 1", _no_renormalise),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "reweighting_rule": (
        Step("Bayes' rule with the new priors", 0.5),
        Step("posterior times new/old prior ratio, renormalised", 0.5),
    ),
    "posteriors": (
        Step("reweighted scores of each example", 0.5),
        Step("normalised posteriors", 0.5),
    ),
    "decisions": (
        Step("decisions before", "1/3"),
        Step("decisions after", "1/3"),
        Step("which decisions changed", "1/3"),
    ),
}
