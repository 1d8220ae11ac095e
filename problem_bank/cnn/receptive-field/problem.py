"""Receptive field size and stride through a stack of convolution and pooling layers.

One spatial dimension, no padding (padding shifts receptive fields but changes neither
their size nor their stride). Layer 0 is the input; a neuron of layer l sees a window of
k_l neurons of layer l - 1, and neighbouring neurons' windows are s_l apart.
"""

from generator.authoring import Answer, Constraint, Custom, Mistake, Part

TITLE = "Receptive fields in a CNN"
TITLES = {"de": "Rezeptive Felder in einem CNN"}
SOURCE = "dl-ss2023-seminar5.md, assignment 1"

PARTS = (
    Part("recurrence", points=4, answers=("recurrence",), space="5cm"),
    Part("per_layer", points=4, answers=("rf_size", "rf_stride"), space="5cm"),
    Part("final", points=2, answers=("final_size", "final_stride"), space="2.5cm"),
)

# The catalog's layer kinds: kernel sizes and strides a student meets in practice.
KERNELS = {"conv": (1, 3, 5, 7), "pool": (2, 3)}
STRIDES = {"conv": (1, 2), "pool": (2, 3)}
MIN_LAYERS, MAX_LAYERS = 3, 6
# The figure draws the input row over S_L + T_L cells (both top neurons' fields).
MAX_DRAWN_CELLS = 40


def _layers_problem(layers, params) -> str | None:
    """Why a pinned `layers` value is invalid (naming the layer), or None."""
    if not isinstance(layers, list):
        return f"must be a list of layers, got {layers!r}"
    if not MIN_LAYERS <= len(layers) <= MAX_LAYERS:
        return f"must have {MIN_LAYERS} to {MAX_LAYERS} layers, got {len(layers)}"
    for number, layer in enumerate(layers, start=1):
        where = f"layer {number} (bottom first)"
        if not isinstance(layer, dict) or set(layer) != {"type", "k", "s"}:
            return f"{where} must be an object with exactly the keys type, k, s; got {layer!r}"
        kind = layer["type"]
        if kind not in KERNELS:
            return f"{where}: type must be 'conv' or 'pool', got {kind!r}"
        for key, allowed in (("k", KERNELS[kind]), ("s", STRIDES[kind])):
            value = layer[key]
            if isinstance(value, bool) or not isinstance(value, int) or value not in allowed:
                options = ", ".join(map(str, allowed))
                return f"{where}: a {kind} layer's {key} must be one of {options}, got {value!r}"
    return None


PARAMS = (
    Custom("layers", check=_layers_problem,
           description="a list of 3 to 6 layers {\"type\": \"conv\" | \"pool\", \"k\": int, \"s\": int}, bottom first;"
                       " conv k in {1, 3, 5, 7}, s in {1, 2}; pool k in {2, 3}, s in {2, 3}"),
)

STRUCTURE = ()   # the layer stack is drawn whole by sample(); no size is pinned alone


def sample(rng):
    layers = []
    for _ in range(rng.integer(MIN_LAYERS, MAX_LAYERS)):
        # Two convolutions per pooling on average, as in real stacks (and fewer rejections).
        kind = rng.choice(("conv", "conv", "pool"))
        layers.append({"type": kind, "k": rng.choice(KERNELS[kind]), "s": rng.choice(STRIDES[kind])})
    return {"layers": layers}


def _longest_strided_run(layers) -> int:
    run = longest = 0
    for layer in layers:
        run = run + 1 if layer["s"] > 1 else 0
        longest = max(longest, run)
    return longest


def _top_size_and_stride(layers) -> tuple[int, int]:
    size = stride = 1
    for layer in layers:
        size, stride = size + (layer["k"] - 1) * stride, stride * layer["s"]
    return size, stride


CONSTRAINTS = (
    Constraint("at most two consecutive layers with stride > 1", lambda p: _longest_strided_run(p["layers"]) <= 2, pedagogical=True),
    Constraint("some layer has stride > 1 (else every stride T_l is 1)",
               lambda p: any(layer["s"] > 1 for layer in p["layers"]), pedagogical=True),
    Constraint(f"S_L + T_L <= {MAX_DRAWN_CELLS} (hand computation and figure stay small)",
               lambda p: sum(_top_size_and_stride(p["layers"])) <= MAX_DRAWN_CELLS, pedagogical=True),
)

ANSWERS = (
    Answer("recurrence", "proof", "S_{l+1} and T_{l+1} from S_l, T_l, k and s"),
    # Integers: any response off by more than float noise is wrong.
    Answer("rf_size", "vector", "receptive field sizes S_1, ..., S_L", atol=1e-6),
    Answer("rf_stride", "vector", "receptive field strides T_1, ..., T_L", atol=1e-6),
    Answer("final_size", "int", "receptive field size S_L of a top neuron"),
    Answer("final_stride", "int", "receptive field stride T_L of the top layer"),
)


def _figure(layers, sizes, strides):
    """Cells and lines of the TikZ figure: every layer as a row of cells, the receptive
    field of top neuron 0 shaded and that of top neuron 1 outlined, in each layer."""
    L = len(layers)
    # Fields of the two top neurons in every layer, top-down: neuron j sees j*s .. j*s + k - 1.
    fields = [[{0}, {1}]]
    for layer in reversed(layers):
        fields.append([{j * layer["s"] + t for j in field for t in range(layer["k"])} for field in fields[-1]])
    fields.reverse()  # fields[l] = (field of top neuron 0, field of top neuron 1) in layer l

    width = sizes[-1] + strides[-1]
    unit = round(min(0.45, 9.0 / width), 3)  # cm per cell: the input row stays within 9 cm
    row_height, row_gap = 0.45, 0.4
    bottoms = [round(level * (row_height + row_gap), 2) for level in range(L + 1)]
    tops = [round(bottom + row_height, 2) for bottom in bottoms]
    plain, outlined = [], []  # outlined cells are drawn last, so that their red borders stay visible
    for level, (field0, field1) in enumerate(fields):
        for j in range(max(field1) + 1):
            style = ("topcell" if level == L else "rfcell") if j in field0 else "cell"
            cell = {"x0": j, "x1": j + 1, "y0": bottoms[level], "y1": tops[level], "style": style}
            if j in field1:
                outlined.append({**cell, "style": style + ",nbcell"})
            else:
                plain.append(cell)
    # Dashed lines from the edges of neuron 0's field in each layer to its edges one layer down.
    lines = []
    for level in range(L, 0, -1):
        upper, lower = fields[level][0], fields[level - 1][0]
        for upper_x, lower_x in ((min(upper), min(lower)), (max(upper) + 1, max(lower) + 1)):
            lines.append({"x0": upper_x, "y0": bottoms[level], "x1": lower_x, "y1": tops[level - 1]})
    middles = [round(bottom + row_height / 2, 3) for bottom in bottoms]
    labels = [{"y": middles[0], "text": r"input ($\ell = 0$)", "dots_x": max(fields[0][1]) + 1.5}]
    for level, layer in enumerate(layers, start=1):
        labels.append({"y": middles[level],
                       "text": rf"$\ell = {level}$: {layer['type']}, $k{{=}}{layer['k']}$, $s{{=}}{layer['s']}$",
                       "dots_x": max(fields[level][1]) + 1.5})
    return {"unit": unit, "cells": plain + outlined, "lines": lines, "labels": labels,
            "size_y": -0.3, "stride_y": -0.8, "size_end": sizes[-1], "stride_end": strides[-1]}


def solve(p):
    layers = p["layers"]
    sizes, strides, rows = [], [], []
    size = stride = 1  # S_0 = T_0 = 1: an input position sees itself; neighbours are 1 apart
    for number, layer in enumerate(layers, start=1):
        k, s = layer["k"], layer["s"]
        new_size, new_stride = size + (k - 1) * stride, stride * s
        rows.append({"l": number, "type": layer["type"], "k": k, "s": s, "S_prev": size, "T_prev": stride,
                     "k_minus_1": k - 1, "S": new_size, "T": new_stride})
        size, stride = new_size, new_stride
        sizes.append(size)
        strides.append(stride)
    return {
        "rf_size": sizes,
        "rf_stride": strides,
        "final_size": sizes[-1],
        "final_stride": strides[-1],
        "L": len(layers),
        "rows": rows,
        # Layers whose stride exceeds their kernel skip inputs: receptive fields get holes.
        "skipping_layers": [row["l"] for row in rows if row["k"] < row["s"]],
        "figure": _figure(layers, sizes, strides),
    }


def check(p, answers):
    """Simulate the index maps: push top neurons 0 and 1 of every layer l down to the input
    through each layer's window and measure the bounding boxes of the input positions they reach."""
    layers = p["layers"]
    sizes, strides = [], []
    for top in range(1, len(layers) + 1):
        reached = []
        for neuron in (0, 1):
            positions = {neuron}
            for layer in reversed(layers[:top]):
                positions = {j * layer["s"] + t for j in positions for t in range(layer["k"])}
            reached.append(positions)
        sizes.append(max(reached[0]) - min(reached[0]) + 1)
        strides.append(min(reached[1]) - min(reached[0]))
    return {"rf_size": sizes, "rf_stride": strides, "final_size": sizes[-1], "final_stride": strides[-1]}


def _sizes(layers, grow):
    """Receptive field sizes under a (possibly wrong) update rule grow(S, T, k, s) -> S'."""
    size, stride, out = 1, 1, []
    for layer in layers:
        size = grow(size, stride, layer["k"], layer["s"])
        stride *= layer["s"]
        out.append(size)
    return out


def _mistake(grow):
    def wrong(p):
        sizes = _sizes(p["layers"], grow)
        return {"rf_size": sizes, "final_size": sizes[-1]}
    return wrong


MISTAKES = (
    Mistake("no-stride-factor", "grew the field by k - 1 per layer, forgetting to scale by the stride T_l below",
            _mistake(lambda S, T, k, s: S + (k - 1))),
    Mistake("new-stride", "scaled k - 1 by the stride T_{l+1} = s T_l of the new layer instead of T_l",
            _mistake(lambda S, T, k, s: S + (k - 1) * T * s)),
    Mistake("k-not-k-minus-1", "grew the field by k T_l instead of (k - 1) T_l",
            _mistake(lambda S, T, k, s: S + k * T)),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "recurrence": (
        Step("the induction: an interval of S_l positions, neighbours T_l apart", "1/4"),
        Step("S_l = S_{l-1} + (k_l - 1) T_{l-1}", "1/2"),
        Step("T_l = T_{l-1} s_l", "1/4"),
    ),
    "per_layer": (
        Step("receptive field size after each layer", 0.5),
        Step("cumulative stride after each layer", 0.5),
    ),
    "final": (
        Step("final receptive field size", 0.5),
        Step("final stride", 0.5),
    ),
}
