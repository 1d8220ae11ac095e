"""One step of an LSTM cell: the four gates, the new cell state and the new hidden state.

The gates act on the concatenation [h_prev; x]: z = W [h_prev; x] + b with W stacking the
input, forget, output gate and candidate rows in that order (n_h rows each), i, f, o = sigma,
g = tanh, c = f * c_prev + i * g and h = o * tanh(c), elementwise. sigma and tanh need a
calculator: the tolerances (CALC) allow for its rounding in each step.
"""

import math

from generator.authoring import (
    Answer,
    Choice,
    Constraint,
    Mistake,
    Part,
    SizedMatrix,
    SizedVector,
)

TITLE = "One step of an LSTM cell"
SOURCE = "problem catalog, part 2 (sequence/lstm-cell-step)"

PARTS = (
    Part("gates", points=5, answers=("i", "f", "o", "g"), space="8cm"),
    Part("state", points=3, answers=("c", "h"), space="4cm"),
    Part("params", points=2, answers=("params",), space="2.5cm"),
)

GATES = ("i", "f", "o", "g")

# The hidden and input sizes set every shape: structure.
STRUCTURE = ("n_h", "n_x")

SIZES = (1, 2)


PARAMS = (
    Choice("n_h", SIZES),
    Choice("n_x", SIZES),
    SizedVector("x", length="n_x", low=-1, high=1, step=0.5, nonzero=True, lengths=SIZES),
    SizedVector("h_prev", length="n_h", low=-0.5, high=0.5, step=0.25, nonzero=True, lengths=SIZES),
    SizedVector("c_prev", length="n_h", low=-1, high=1, step=0.5, nonzero=True, lengths=SIZES),
    SizedMatrix("W", rows=lambda p: 4 * p["n_h"], cols=lambda p: p["n_h"] + p["n_x"], low=-1, high=1, step=0.5,
                row_sizes=(4, 8), col_sizes=(2, 3, 4)),
    SizedVector("b", length=lambda p: 4 * p["n_h"], low=-0.5, high=0.5, step=0.5, lengths=(4, 8)),
)


def _consistent(p) -> bool:
    n_h, n_x = p["n_h"], p["n_x"]
    return (len(p["x"]) == n_x and len(p["h_prev"]) == len(p["c_prev"]) == n_h
            and len(p["W"]) == len(p["b"]) == 4 * n_h and len(p["W"][0]) == n_h + n_x)


# Beyond |z| = 2.5 a gate is saturated (sigma' < 0.07): the step teaches little by hand.
MAX_ABS_PREACT = 2.5
MIN_ABS_C = 0.05
# At most 24 weights to multiply by hand: n_h = n_x = 2 would make W 8 x 4.
MAX_SIZES = 3


def _sigmoid(v: float) -> float:
    return 1.0 / (1.0 + math.exp(-v))


def _preacts(p):
    """z = W [h_prev; x] + b, one entry per row of W."""
    inputs = list(p["h_prev"]) + list(p["x"])
    return [sum(w * v for w, v in zip(row, inputs, strict=True)) + bias
            for row, bias in zip(p["W"], p["b"], strict=True)]


def _step(p, candidate=math.tanh, input_gate=True, output_tanh=True):
    """Gates, c and h; the keywords let the mistakes reuse it."""
    n = len(p["h_prev"])
    z = _preacts(p)
    i = [_sigmoid(v) for v in z[0:n]]
    f = [_sigmoid(v) for v in z[n:2 * n]]
    o = [_sigmoid(v) for v in z[2 * n:3 * n]]
    g = [candidate(v) for v in z[3 * n:4 * n]]
    c = [fk * ck + (ik if input_gate else 1.0) * gk for fk, ck, ik, gk in zip(f, p["c_prev"], i, g, strict=True)]
    h = [ok * (math.tanh(ck) if output_tanh else ck) for ok, ck in zip(o, c, strict=True)]
    return {"z": z, "i": i, "f": f, "o": o, "g": g, "c": c, "h": h}


CONSTRAINTS = (
    Constraint("x has n_x entries; h_prev, c_prev n_h; W 4 n_h rows of n_h + n_x; b 4 n_h", _consistent),
    Constraint(f"n_h + n_x <= {MAX_SIZES} (W has at most 24 weights)", lambda p: p["n_h"] + p["n_x"] <= MAX_SIZES),
    Constraint(f"|z| <= {MAX_ABS_PREACT} for every gate pre-activation (no saturated gate)",
               lambda p: _consistent(p) and all(abs(v) <= MAX_ABS_PREACT for v in _preacts(p))),
    Constraint(f"|c_k| >= {MIN_ABS_C} for every unit (tanh(c) not lost in rounding)",
               lambda p: _consistent(p) and all(abs(v) >= MIN_ABS_C for v in _step(p)["c"])),
)

CALC = {"rtol": 0.005, "atol": 0.002}

ANSWERS = (
    Answer("i", "vector", "input gate i", **CALC),
    Answer("f", "vector", "forget gate f", **CALC),
    Answer("o", "vector", "output gate o", **CALC),
    Answer("g", "vector", "candidate g", **CALC),
    Answer("c", "vector", "new cell state c", **CALC),
    Answer("h", "vector", "new hidden state h", **CALC),
    Answer("params", "int", "trainable parameters of the cell (weights and biases)"),
)


def solve(p):
    n_h, n_x = len(p["h_prev"]), len(p["x"])
    step = _step(p)
    inputs = list(p["h_prev"]) + list(p["x"])
    names = [f"{gate}_{k + 1}" if n_h > 1 else gate for gate in GATES for k in range(n_h)]
    kinds = [gate for gate in GATES for _ in range(n_h)]
    values = [v for gate in GATES for v in step[gate]]
    rows = [{"name": name, "gate": gate, "terms": [{"w": w, "v": v} for w, v in zip(row, inputs, strict=True)],
             "bias": bias, "z": z, "value": value, "fn": r"\tanh" if gate == "g" else r"\sigma"}
            for name, gate, row, bias, z, value in zip(names, kinds, p["W"], p["b"], step["z"], values, strict=True)]
    gate_rows = [rows[k * n_h:(k + 1) * n_h] for k in range(len(GATES))]   # one line per gate
    weights = 4 * n_h * (n_h + n_x)
    tanh_c = [math.tanh(v) for v in step["c"]]
    units = [{"k": k + 1, "f": step["f"][k], "c_prev": p["c_prev"][k], "i": step["i"][k], "g": step["g"][k],
              "c": step["c"][k], "tanh_c": tanh_c[k], "o": step["o"][k], "h": step["h"][k]} for k in range(n_h)]
    return {
        **{gate: step[gate] for gate in GATES},
        "c": step["c"], "h": step["h"],
        "params": weights + 4 * n_h,
        "n_h": n_h, "n_x": n_x, "rows": rows, "gate_rows": gate_rows, "units": units, "inputs": inputs,
        "weights": weights, "biases": 4 * n_h, "W_rows": 4 * n_h, "W_cols": n_h + n_x,
        "single": n_h == 1,
    }


def check(p, answers):
    """The gates one by one from the unstacked weights (numpy): each gate has its own
    recurrent block U (n_h x n_h), input block V (n_h x n_x) and bias; sigma written as
    (1 + tanh(z/2))/2. The parameter count is the size of those arrays."""
    import numpy as np

    n_h = len(p["h_prev"])
    W = np.array(p["W"], dtype=float)
    b = np.array(p["b"], dtype=float)
    h_prev = np.array(p["h_prev"], dtype=float)
    c_prev = np.array(p["c_prev"], dtype=float)
    x = np.array(p["x"], dtype=float)
    blocks = {}
    for number, gate in enumerate(GATES):
        rows = slice(number * n_h, (number + 1) * n_h)
        blocks[gate] = (W[rows, :n_h], W[rows, n_h:], b[rows])

    def sigma(v):
        return 0.5 * (1.0 + np.tanh(0.5 * v))

    def preact(gate):
        U, V, bias = blocks[gate]
        return U @ h_prev + V @ x + bias

    i, f, o = (sigma(preact(gate)) for gate in ("i", "f", "o"))
    g = np.tanh(preact("g"))
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    count = sum(U.size + V.size + bias.size for U, V, bias in blocks.values())
    return {"i": i, "f": f, "o": o, "g": g, "c": c, "h": h, "params": count}


def _only(step, names):
    return {name: step[name] for name in names}


def _sigmoid_candidate(p):
    return _only(_step(p, candidate=_sigmoid), ("g", "c", "h"))


MISTAKES = (
    Mistake("no-biases", "counted the weights of W but not the biases",
            lambda p: {"params": 4 * len(p["h_prev"]) * (len(p["h_prev"]) + len(p["x"]))}),
    Mistake("h-without-tanh", "took h = o * c, without tanh of the cell state",
            lambda p: _only(_step(p, output_tanh=False), ("h",))),
    Mistake("no-input-gate", "added the candidate to the cell state without the input gate (c = f c_prev + g)",
            lambda p: _only(_step(p, input_gate=False), ("c", "h"))),
    Mistake("sigmoid-candidate", "squashed the candidate g with sigma instead of tanh", _sigmoid_candidate),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "gates": (
        Step("pre-activations W [h_prev; x] + b", 0.4),
        Step("sigmoid for the gates i, f, o", 0.4),
        Step("tanh for the candidate g", 0.2),
    ),
    "state": (
        Step("cell state c = f * c_prev + i * g", 0.5),
        Step("hidden state h = o * tanh(c)", 0.5),
    ),
    "params": (
        Step("four blocks of n_h (n_h + n_x) weights and n_h biases", 1),
    ),
}
