"""Which regulariser produced this update? One step from w with the loss gradient g is shown;
the options are plain gradient descent, L2 weight decay, the L1 subgradient step, the elastic
net and a max-norm projection after the plain step.

Entries of w are non-zero (the L1 subgradient sign(w_i) is then the gradient), and the shown
step is rounded to 3 decimals; the five candidate steps differ by at least 0.02 in some entry,
so exactly one of them rounds to the shown step.
"""

from fractions import Fraction

from generator.authoring import Answer, Choice, Constraint, Custom, Mistake, Part, Vector

TITLE = "Which regulariser gives this update?"
SOURCE = "problem catalog, conceptual questions (concepts/regulariser-update)"

RULES = ("none", "l2", "l1", "elastic", "maxnorm")
LETTERS = ("A", "B", "C", "D", "E")
SHOWN_PLACES = 3
MIN_GAP = 0.02   # the smallest largest-entry difference between two candidate steps

PARTS = (Part("which", points=3, answers=("rule",), space="5cm"),)


def _order_problem(order, params) -> str | None:
    if not isinstance(order, list) or sorted(order) != sorted(RULES):
        return f"must be the five rules {', '.join(RULES)} in some order, got {order!r}"
    return None


def _step_problem(step, params) -> str | None:
    if not isinstance(step, list) or len(step) != 3 or not all(isinstance(v, int | float) and not isinstance(v, bool)
                                                                for v in step):
        return f"must be a list of 3 numbers, got {step!r}"
    return None


PARAMS = (
    Vector("w", length=3, low=-2, high=2, step=0.5, nonzero=True),
    Vector("g", length=3, low=-1, high=1, step=0.5),
    Choice("eta", (0.1, 0.25, 0.5)),
    Choice("lam", (0.2, 0.5, 1.0)),
    Choice("c", (0.5, 1.0, 1.5)),
    Custom("order", check=_order_problem, description="the five rules none, l2, l1, elastic, maxnorm in printed order"),
    Custom("w_new", check=_step_problem, description="the shown step, a list of 3 numbers"),
)


def _sign(v) -> int:
    return (v > 0) - (v < 0)


def candidates(p) -> dict[str, list[float]]:
    """Each rule's step by its closed form (exact fractions but for the projection)."""
    w = [Fraction(str(v)) for v in p["w"]]
    g = [Fraction(str(v)) for v in p["g"]]
    eta, lam = Fraction(str(p["eta"])), Fraction(str(p["lam"]))
    plain = [wi - eta * gi for wi, gi in zip(w, g, strict=True)]
    norm = sum(float(v) ** 2 for v in plain) ** 0.5
    scale = min(1.0, p["c"] / norm) if norm else 1.0
    return {
        "none": [float(v) for v in plain],
        "l2": [float(wi - eta * (gi + lam * wi)) for wi, gi in zip(w, g, strict=True)],
        "l1": [float(wi - eta * (gi + lam * _sign(wi))) for wi, gi in zip(w, g, strict=True)],
        "elastic": [float(wi - eta * (gi + lam * _sign(wi) + lam * wi)) for wi, gi in zip(w, g, strict=True)],
        "maxnorm": [float(v) * scale for v in plain],
    }


def _plain_norm(p) -> float:
    return sum((w - p["eta"] * g) ** 2 for w, g in zip(p["w"], p["g"], strict=True)) ** 0.5


def _gap(p) -> float:
    steps = list(candidates(p).values())
    return min(max(abs(a - b) for a, b in zip(x, y, strict=True)) for i, x in enumerate(steps) for y in steps[i + 1:])


def _matching(p) -> list[str]:
    return [rule for rule, step in candidates(p).items()
            if all(abs(a - b) <= 0.5 * 10 ** -SHOWN_PLACES + 1e-9 for a, b in zip(step, p["w_new"], strict=True))]


def sample(rng, pins):
    params = {param.name: pins[param.name] if param.name in pins else param.draw(rng, {}) for param in PARAMS[:5]}
    params["order"] = pins.get("order") or rng.shuffle(RULES)
    if "w_new" in pins:
        params["w_new"] = pins["w_new"]
    else:
        step = candidates(params)[rng.choice(RULES)]
        params["w_new"] = [round(v, SHOWN_PLACES) + 0.0 for v in step]
    return params


CONSTRAINTS = (
    Constraint("the max-norm projection is active: ||w - eta g|| >= 1.1 c", lambda p: _plain_norm(p) >= 1.1 * p["c"]),
    Constraint(f"the five candidate steps differ by at least {MIN_GAP} in some entry", lambda p: _gap(p) >= MIN_GAP),
    Constraint("the shown step rounds exactly one rule's step", lambda p: len(_matching(p)) == 1),
)

ANSWERS = (
    Answer("rule", "choice", "the letter (A to E) of the rule that gives w_new", options=LETTERS),
)


def solve(p):
    steps = candidates(p)
    right = _matching(p)[0]
    letters = dict(zip(p["order"], LETTERS, strict=True))
    eta, lam = Fraction(str(p["eta"])), Fraction(str(p["lam"]))
    return {
        "rule": letters[right],
        "right_rule": right,
        "options": [{"letter": letters[rule], "rule": rule, "step": steps[rule], "matches": rule == right}
                    for rule in p["order"]],
        "eta_lam": float(eta * lam),
        "plain_norm": _plain_norm(p),
        "scale": p["c"] / _plain_norm(p),
    }


def check(p, answers):
    """Each penalised rule as a gradient step on loss + penalty, with the penalty's gradient
    by central differences (w has no zero entry, so |w_i| is smooth there); the projection by
    bisection on the multiplier mu of min ||u - v||^2 s.t. ||u|| <= c (u = v / (1 + mu)).
    Then which rule's step rounds to the shown one."""
    import numpy as np

    from generator.authoring import central_gradient

    w, g = np.array(p["w"], dtype=float), np.array(p["g"], dtype=float)
    eta, lam, c = p["eta"], p["lam"], p["c"]
    penalties = {
        "none": lambda v: 0.0,
        "l2": lambda v: lam / 2 * float(v @ v),
        "l1": lambda v: lam * float(np.abs(v).sum()),
        "elastic": lambda v: lam * (float(np.abs(v).sum()) + float(v @ v) / 2),
    }
    h = min(1e-6, float(np.abs(w).min()) / 10)
    steps = {rule: w - eta * (g + central_gradient(penalty, w, h)) for rule, penalty in penalties.items()}
    v = w - eta * g
    low, high = 0.0, float(np.linalg.norm(v) / c)
    for _ in range(200):
        mu = (low + high) / 2
        low, high = (mu, high) if np.linalg.norm(v / (1 + mu)) > c else (low, mu)
    steps["maxnorm"] = v / (1 + high)
    shown = np.array(p["w_new"], dtype=float)
    found = [rule for rule, step in steps.items() if np.abs(step - shown).max() <= 0.5 * 10 ** -SHOWN_PLACES + 1e-6]
    letters = dict(zip(p["order"], LETTERS, strict=True))
    return {"rule": letters[found[0]] if len(found) == 1 else "none or several"}


def _confuse(pairs):
    """A student who takes the rule `pairs[right]` for the right one."""
    def wrong(p):
        right = _matching(p)[0]
        return {"rule": dict(zip(p["order"], LETTERS, strict=True))[pairs[right]]} if right in pairs else {}
    return wrong


MISTAKES = (
    Mistake("l1-l2-swap", "confused the L1 step (every entry moved eta lambda towards 0) with the L2 step "
                          "(every entry shrunk in proportion to w_i)", _confuse({"l1": "l2", "l2": "l1"})),
    Mistake("projection-as-decay", "took the max-norm rescaling (all entries of w - eta g scaled by one factor) "
                                   "for L2 weight decay", _confuse({"maxnorm": "l2"})),
    Mistake("elastic-as-l2", "saw the shrinkage in proportion to w and missed the L1 part of the elastic net",
            _confuse({"elastic": "l2"})),
    Mistake("decay-as-projection", "took the proportional shrinkage of weight decay for a max-norm projection",
            _confuse({"l2": "maxnorm"})),
    Mistake("projection-inactive", "did not compare ||w - eta g|| with c and took the plain step for the max-norm "
                                   "rule (here the projection is active)", _confuse({"none": "maxnorm"})),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "which": (
        Step("the regulariser whose step gives the shown update chosen", "2/3"),
        Step("the step of that regulariser applied to the numbers, matching the update", "1/3"),
    ),
}
