"""Parameters, attention FLOPs and KV-cache memory of one transformer block.

The block: multi-head self-attention with h heads on model width d (per-head width d_h = d/h;
query, key, value and output projections, each d x d in total), an MLP d -> r d -> d, and two
LayerNorms with a gain and a shift each. `bias` says whether the projections and the MLP have
biases. FLOPs count one multiply-add as 2 FLOPs; flops_attention_scores counts the two
products of attention proper, Q K^T and A V, for the whole batch of sequences of length n.
The KV cache keeps keys and values of every position for every sequence of the batch.
"""

import math

from generator.authoring import Answer, Choice, Constraint, Mistake, Part

TITLE = "Parameters, FLOPs and KV cache of a transformer block"
SOURCE = "problem catalog, part 2 (attention/transformer-cost)"

PARTS = (
    Part("attention", points=3, answers=("params_attention",), space="4cm"),
    Part("mlp", points=2, answers=("params_mlp", "params_block"), space="4cm"),
    Part("flops", points=3, answers=("flops_attention_scores",), space="4cm"),
    Part("cache", points=2, answers=("kv_cache_bytes",), space="3cm"),
)

# Whether the layers have biases changes the formulas the solution shows: structure. The sizes
# are numbers in those formulas and vary between variants.
STRUCTURE = ("bias",)
SHUFFLE_PARTS = True   # each part is answerable from the statement alone

PARAMS = (
    Choice("d", (64, 128, 256, 512, 768, 1024)),
    Choice("h", (2, 4, 8, 12, 16)),
    Choice("r", (2, 4)),
    Choice("n", (128, 256, 512, 1024, 2048)),
    Choice("batch", (1, 2, 4, 8, 16, 32)),
    Choice("bytes_per_value", (2, 4)),
    Choice("bias", (False, True)),
)

CONSTRAINTS = (
    Constraint("h divides d", lambda p: p["d"] % p["h"] == 0),
    Constraint("heads at least 16 wide (d / h >= 16)", lambda p: p["d"] // p["h"] >= 16),
)

ANSWERS = (
    Answer("params_attention", "int", "parameters of the multi-head attention (projections W_Q, W_K, W_V, W_O)"),
    Answer("params_mlp", "int", "parameters of the MLP d -> r d -> d"),
    Answer("params_block", "int", "parameters of the whole block (attention, MLP, two LayerNorms)"),
    Answer("flops_attention_scores", "int", "FLOPs of Q K^T and A V for the batch (a multiply-add is 2 FLOPs)"),
    Answer("kv_cache_bytes", "int", "bytes of the KV cache for the batch at length n"),
)


# ---------------------------------------------------------------- reference solver

def solve(p):
    d, h, r, n, batch, b = p["d"], p["h"], p["r"], p["n"], p["batch"], p["bytes_per_value"]
    bias = 1 if p["bias"] else 0
    d_h = d // h
    attention_weights = 4 * d * d
    attention_biases = 4 * d * bias
    mlp_weights = 2 * r * d * d
    mlp_biases = (r * d + d) * bias
    layernorm = 2 * 2 * d
    params_attention = attention_weights + attention_biases
    params_mlp = mlp_weights + mlp_biases
    per_product = 2 * batch * h * n * n * d_h          # FLOPs of Q K^T, and equally of A V
    return {
        "params_attention": params_attention,
        "params_mlp": params_mlp,
        "params_block": params_attention + params_mlp + layernorm,
        "flops_attention_scores": 2 * per_product,
        "kv_cache_bytes": 2 * batch * n * d * b,
        "d_h": d_h,
        "d2": d * d,
        "rd": r * d,
        "attention_weights": attention_weights,
        "attention_biases": attention_biases,
        "mlp_weights": mlp_weights,
        "mlp_biases": mlp_biases,
        "layernorm": layernorm,
        "per_product": per_product,
        "n2": n * n,
        "cache_values": 2 * batch * n * d,
        "kv_mib": 2 * batch * n * d * b / 2**20,
        "bias_on": bool(bias),
    }


# ---------------------------------------------------------------- independent check

def _contract(spec: str, *shapes: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """The output shape of an einsum contraction and its FLOPs: every combination of all its
    indices is one multiply-add, 2 FLOPs. Shapes only, so it runs at any size."""
    inputs, output = spec.split("->")
    sizes: dict[str, int] = {}
    for letters, shape in zip(inputs.split(","), shapes, strict=True):
        for letter, size in zip(letters, shape, strict=True):
            if sizes.setdefault(letter, size) != size:
                raise ValueError(f"{spec}: index {letter} has sizes {sizes[letter]} and {size}")
    return tuple(sizes[c] for c in output), 2 * math.prod(sizes.values())


# The attention of one block as einsum contractions: (name, spec, operands); an operand is
# the name of an earlier result or of an input.
ATTENTION = (
    ("Q", "bnd,hde->bhne", ("X", "Wq")),
    ("K", "bnd,hde->bhne", ("X", "Wk")),
    ("V", "bnd,hde->bhne", ("X", "Wv")),
    ("S", "bhqe,bhke->bhqk", ("Q", "K")),
    ("O", "bhqk,bhke->bhqe", ("A", "V")),
)
SCORES = ("S", "O")   # the two products of attention proper


def _forward(inputs: dict, run) -> dict:
    """Run the attention's contractions with `run(spec, *operands)`; A = softmax(S / sqrt(d_h))."""
    values = dict(inputs)
    for name, spec, operands in ATTENTION:
        if name == "O":
            values["A"] = run("softmax", values["S"])
        values[name] = run(spec, *(values[o] for o in operands))
    return values


def check(p, answers):
    """Count the parameters from weight arrays built head by head, the FLOPs from the shapes of
    the attention's contractions at the instance's sizes (the same contractions computed for
    real on a small instance and compared with a loop), and the cache from arrays of the dtype."""
    import numpy as np

    d, h, r, n, batch = p["d"], p["h"], p["r"], p["n"], p["batch"]
    d_h = d // h

    def empty(*shape):
        return np.broadcast_to(np.float32(0), shape)    # a shape, no memory

    heads = [dict(Wq=empty(d, d_h), Wk=empty(d, d_h), Wv=empty(d, d_h)) for _ in range(h)]
    weights = [w for head in heads for w in head.values()] + [empty(d, d)]          # + W_O
    if p["bias"]:
        weights += [empty(d_h) for _ in range(3 * h)] + [empty(d)]
    mlp = [empty(d, r * d), empty(r * d, d)] + ([empty(r * d), empty(d)] if p["bias"] else [])
    layernorms = [empty(d) for _ in range(4)]                                         # 2 x (gain, shift)
    attention_count = sum(w.size for w in weights)
    mlp_count = sum(w.size for w in mlp)

    # FLOPs from the shapes, at the real sizes.
    flops = {}

    def count(spec, *operands):
        if spec == "softmax":
            return operands[0]
        shape, cost = _contract(spec, *(o if isinstance(o, tuple) else o.shape for o in operands))
        flops[spec] = flops.get(spec, 0) + cost
        return shape

    shapes = {"X": (batch, n, d), "Wq": (h, d, d_h), "Wk": (h, d, d_h), "Wv": (h, d, d_h)}
    flops_by_name = {}
    values = dict(shapes)
    for name, spec, operands in ATTENTION:
        before = sum(flops.values())
        if name == "O":
            values["A"] = values["S"]
        values[name] = count(spec, *(values[o] for o in operands))
        flops_by_name[name] = sum(flops.values()) - before
    score_flops = sum(flops_by_name[name] for name in SCORES)

    # The same contractions for real on a small instance, against a loop over heads and queries.
    rng = np.random.default_rng(0)
    small = {"X": rng.standard_normal((2, 3, 4)), "Wq": rng.standard_normal((2, 4, 2)),
             "Wk": rng.standard_normal((2, 4, 2)), "Wv": rng.standard_normal((2, 4, 2))}

    def compute(spec, *operands):
        if spec == "softmax":
            scores = operands[0] / math.sqrt(2)
            e = np.exp(scores - scores.max(axis=-1, keepdims=True))
            return e / e.sum(axis=-1, keepdims=True)
        return np.einsum(spec, *operands)

    out = _forward(small, compute)["O"]
    for b in range(2):
        for head in range(2):
            q, k, v = (small["X"][b] @ small[w][head] for w in ("Wq", "Wk", "Wv"))
            for i in range(3):
                logits = [float(q[i] @ k[j]) / math.sqrt(2) for j in range(3)]
                top = max(logits)
                weights_i = [math.exp(x - top) for x in logits]
                row = sum(w * v[j] for j, w in enumerate(weights_i)) / sum(weights_i)
                assert np.allclose(out[b, head, i], row), "the attention contractions are wrong"

    dtype = np.float16 if p["bytes_per_value"] == 2 else np.float32
    cache = [np.broadcast_to(dtype(0), (batch, h, n, d_h)) for _ in ("keys", "values")]
    return {
        "params_attention": attention_count,
        "params_mlp": mlp_count,
        "params_block": attention_count + mlp_count + sum(w.size for w in layernorms),
        "flops_attention_scores": score_flops,
        "kv_cache_bytes": sum(c.nbytes for c in cache),
    }


# ---------------------------------------------------------------- common mistakes

MISTAKES = (
    Mistake("no-output-projection", "forgot the output projection W_O (and its bias)",
            lambda p: {"params_attention": 3 * p["d"] ** 2 + (3 * p["d"] if p["bias"] else 0)}),
    Mistake("full-width-heads", "gave every head its own d x d query, key and value matrices",
            lambda p: {"params_attention": (3 * p["h"] + 1) * p["d"] ** 2
                       + ((3 * p["h"] + 1) * p["d"] if p["bias"] else 0)}),
    Mistake("macs-not-flops", "counted multiply-adds instead of FLOPs (half the FLOPs)",
            lambda p: {"flops_attention_scores": 2 * p["batch"] * p["n"] ** 2 * p["d"]}),
    Mistake("keys-only", "cached the keys but not the values",
            lambda p: {"kv_cache_bytes": p["batch"] * p["n"] * p["d"] * p["bytes_per_value"]}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "attention": (
        Step("four d x d projections: 4 d^2 weights (independent of the number of heads)", "2/3"),
        Step("the 4d biases counted as the statement says", "1/3"),
    ),
    "mlp": (
        Step("the MLP's two matrices and biases", 0.5),
        Step("the block total: attention, MLP and the two LayerNorms", 0.5),
    ),
    "flops": (
        Step("per head n n d_h multiply-adds for Q K^T and again for A V", "2/3"),
        Step("summed over the heads (h d_h = d) with the statement's convention", "1/3"),
    ),
    "cache": (
        Step("a key and a value of width d per position and sequence: 2 B n d values", "2/3"),
        Step("times the bytes per value", "1/3"),
    ),
}
