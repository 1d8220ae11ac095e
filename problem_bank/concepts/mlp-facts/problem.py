"""Which statements about an MLP's parameters, shapes and costs are true? Four statements drawn
from a pool of kinds (parameter count of the network or of one layer, the shape of a weight matrix
or of a layer's batch output, the multiplications of a forward pass, the activations stored for
backpropagation, the size of a bias gradient), each claiming either the right value or the value
of a common mistake.

Convention of the statement: the batch is the rows, H_l = phi(H_{l-1} W_l + 1 b_l^T), H_0 = X.
"""

from generator.authoring import Answer, Constraint, Custom, Mistake, Part

TITLE = "True or false: parameters, shapes and costs of an MLP"
SOURCE = "problem catalog, conceptual questions (concepts/mlp-facts)"

SHOWN = 4
KINDS = ("total", "layer", "w_shape", "h_shape", "mults", "stored", "bias_grad")
WIDTHS = (3, 4, 5, 6, 8, 10)
BATCHES = (4, 8, 16, 32)

PARTS = (Part("which", points=4, answers=("true",), space="5cm"),)


def _widths_problem(widths, params) -> str | None:
    if not isinstance(widths, list) or not 3 <= len(widths) <= 4 or not all(
            isinstance(d, int) and not isinstance(d, bool) and 1 <= d <= 64 for d in widths):
        return f"must be a list of 3 or 4 widths d_0, ..., d_L from 1 to 64, got {widths!r}"
    return None


def _statements_problem(statements, params) -> str | None:
    L = len(params.get("widths") or []) - 1
    if not isinstance(statements, list) or len(statements) != SHOWN:
        return f"must be a list of {SHOWN} statements, got {statements!r}"
    for number, st in enumerate(statements, start=1):
        if not isinstance(st, dict) or set(st) != {"kind", "layer", "claim"}:
            return f"statement {number} must have exactly the keys kind, layer, claim; got {st!r}"
        if st["kind"] not in KINDS:
            return f"statement {number}: kind must be one of {', '.join(KINDS)}, got {st['kind']!r}"
        if not isinstance(st["layer"], int) or not 1 <= st["layer"] <= max(L, 1):
            return f"statement {number}: layer must be 1 to {L}, got {st['layer']!r}"
        shaped = st["kind"] in ("w_shape", "h_shape")
        if shaped != (isinstance(st["claim"], list) and len(st["claim"]) == 2):
            return f"statement {number}: a {st['kind']} claim must be {'[rows, columns]' if shaped else 'a number'}"
    return None


PARAMS = (
    Custom("widths", check=_widths_problem, description="the widths [d_0, ..., d_L] (L = 2 or 3)"),
    Custom("B", check=lambda v, p: None if isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 256
           else f"must be a batch size from 1 to 256, got {v!r}", description="the batch size, 1 to 256"),
    Custom("statements", check=_statements_problem,
           description=f"a list of {SHOWN} statements {{\"kind\": one of {', '.join(KINDS)}, \"layer\": l, \"claim\": value}}"),
)


def right_value(kind, layer, d, B):
    """The true value of a statement's quantity, by the formulas of the solution."""
    n, m = d[layer - 1], d[layer]
    pairs = list(zip(d[:-1], d[1:], strict=True))
    return {
        "total": sum((a + 1) * b for a, b in pairs),
        "layer": (n + 1) * m,
        "w_shape": [n, m],
        "h_shape": [B, m],
        "mults": B * sum(a * b for a, b in pairs),
        "stored": B * sum(d[1:]),
        "bias_grad": m,
    }[kind]


# What a student with each misconception computes (None: the misconception does not touch the kind).
def no_biases(kind, layer, d, B):
    pairs = list(zip(d[:-1], d[1:], strict=True))
    return {"total": sum(a * b for a, b in pairs), "layer": d[layer - 1] * d[layer]}.get(kind)


def transposed(kind, layer, d, B):
    return {"w_shape": [d[layer], d[layer - 1]], "h_shape": [d[layer], B]}.get(kind)


def per_example(kind, layer, d, B):
    pairs = list(zip(d[:-1], d[1:], strict=True))
    return {"mults": sum(a * b for a, b in pairs), "stored": sum(d[1:])}.get(kind)


def batch_in_gradient(kind, layer, d, B):
    return {"bias_grad": B * d[layer]}.get(kind)


def bias_per_input(kind, layer, d, B):
    pairs = list(zip(d[:-1], d[1:], strict=True))
    return {"total": sum(a * (b + 1) for a, b in pairs), "layer": d[layer - 1] * (d[layer] + 1),
            "h_shape": [B, d[layer - 1]]}.get(kind)


MISCONCEPTIONS = (no_biases, transposed, per_example, batch_in_gradient, bias_per_input)


def sample(rng):
    d = [rng.choice(WIDTHS) for _ in range(rng.integer(3, 4))]
    B = rng.choice(BATCHES)
    L = len(d) - 1
    statements = []
    for kind in rng.sample_without_replacement(KINDS, SHOWN):
        layer = rng.integer(1, L)
        right = right_value(kind, layer, d, B)
        wrong = [v for v in (f(kind, layer, d, B) for f in MISCONCEPTIONS) if v is not None and v != right]
        claim = rng.choice(wrong) if wrong and rng.integer(0, 1) else right
        statements.append({"kind": kind, "layer": layer, "claim": claim})
    return {"widths": d, "B": B, "statements": statements}


def _truth(p):
    return [st["claim"] == right_value(st["kind"], st["layer"], p["widths"], p["B"]) for st in p["statements"]]


CONSTRAINTS = (
    Constraint("every statement's layer exists", lambda p: all(st["layer"] <= len(p["widths"]) - 1 for st in p["statements"])),
    Constraint("at least one statement is true and at least one false", lambda p: 0 < sum(_truth(p)) < SHOWN,
               pedagogical=True),
)

ANSWERS = (
    Answer("true", "bools", "for each statement (1) to (4): whether it is true"),
)


def solve(p):
    d, B = p["widths"], p["B"]
    items = []
    for number, st in enumerate(p["statements"], start=1):
        layer = st["layer"]
        right = right_value(st["kind"], layer, d, B)
        items.append({**st, "number": number, "right": right, "true": st["claim"] == right,
                      "n": d[layer - 1], "m": d[layer], "below": layer - 1})
    pairs = list(zip(d[:-1], d[1:], strict=True))
    return {
        "true": [item["true"] for item in items],
        "statements_shown": items,
        "L": len(d) - 1,
        "per_layer": [{"l": number, "n": a, "m": b, "params": (a + 1) * b, "mults": a * b}
                      for number, (a, b) in enumerate(pairs, start=1)],
        "total": right_value("total", 1, d, B),
        "mults_example": sum(a * b for a, b in pairs),
        "mults": right_value("mults", 1, d, B),
        "width_sum": sum(d[1:]),
        "stored": right_value("stored", 1, d, B),
    }


def check(p, answers):
    """Build the network in numpy (zero weights of the shapes the convention forces), run a batch
    forward and backward (loss: the sum of the outputs, ReLU units), and read every quantity off
    the arrays: sizes and shapes of the parameters, outputs and gradients; multiplications by
    products of all-ones matrices (entry (i, j) of 1 @ 1 counts the products it sums)."""
    import numpy as np

    d, B = p["widths"], p["B"]
    X = np.ones((B, d[0]))
    weights = [np.zeros((a, b)) for a, b in zip(d[:-1], d[1:], strict=True)]
    biases = [np.zeros(b) for b in d[1:]]
    outputs, inputs, H, mults = [], [], X, 0
    for W, b in zip(weights, biases, strict=True):
        mults += int((np.ones_like(H) @ np.ones_like(W)).sum())
        inputs.append(H)
        H = np.maximum(H @ W + b, 0)
        outputs.append(H)
    grad_b = []
    upstream = np.ones_like(outputs[-1])                  # d(sum of outputs)/dH_L
    for W, Z in zip(reversed(weights), reversed(outputs), strict=True):
        local = upstream * (Z > 0)
        grad_b.append(local.sum(axis=0))                  # the bias is shared by the rows of the batch
        upstream = local @ W.T
    grad_b.reverse()
    measured = {
        "total": sum(W.size + b.size for W, b in zip(weights, biases, strict=True)),
        "mults": mults,
        "stored": sum(H.size for H in outputs),
    }
    verdicts = []
    for st in p["statements"]:
        i = st["layer"] - 1
        value = {"layer": weights[i].size + biases[i].size, "w_shape": list(weights[i].shape),
                 "h_shape": list(outputs[i].shape), "bias_grad": grad_b[i].size}.get(st["kind"], measured.get(st["kind"]))
        verdicts.append(st["claim"] == value)
    return {"true": verdicts}


def _believes(misconception):
    """A student who judges every claim against the value `misconception` gives (where it gives one)."""
    def wrong(p):
        d, B = p["widths"], p["B"]
        said = []
        for st in p["statements"]:
            theirs = misconception(st["kind"], st["layer"], d, B)
            said.append(st["claim"] == right_value(st["kind"], st["layer"], d, B) if theirs is None
                        else st["claim"] == theirs)
        return {"true": said} if said != _truth(p) else {}
    return wrong


MISTAKES = (
    Mistake("no-biases", "counted the weights but not the biases", _believes(no_biases)),
    Mistake("transposed", "took W_l as d_l x d_{l-1} and H_l as d_l x B (the column convention W h, not the rows "
                          "convention H W of the statement)", _believes(transposed)),
    Mistake("per-example", "counted multiplications and stored activations for one example, not the batch",
            _believes(per_example)),
    Mistake("batch-in-gradient", "gave the bias gradient a batch dimension (it is summed over the batch)",
            _believes(batch_in_gradient)),
    Mistake("bias-per-input", "counted one bias per input unit instead of per output unit", _believes(bias_per_input)),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "which": (
        Step("each claim judged true or false (the share split over the shown claims)", "3/4"),
        Step("the counts or shapes behind each judgement, from the layer sizes", "1/4"),
    ),
}
