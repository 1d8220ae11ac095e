"""Output size of a transposed or a dilated convolution, the effective size of a dilated kernel,
and the layer's parameter count.

Square inputs of side `size`, square k x k kernels, the same stride, padding and dilation along
both axes. With the effective kernel size k_eff = dilation (k - 1) + 1:

    dilated (forward) convolution:  out = (size + 2 pad - k_eff) / stride + 1
    transposed convolution:         out = (size - 1) stride - 2 pad + k_eff + output_pad

(the conventions of PyTorch's Conv2d and ConvTranspose2d: the transposed convolution scatters
each input pixel, scaled by the kernel, into a full output of side (size - 1) stride + k_eff,
crops `pad` from each side and keeps `output_pad` more rows and columns at the far end).
"""

from dataclasses import dataclass

from generator.authoring import Answer, Choice, Constraint, Int, Mistake, Part

TITLE = "Transposed and dilated convolutions"
SOURCE = "problem catalog, part 2 (deep-learning course: CNNs)"

PARTS = (
    Part("size", points=3, answers=("out_size",), space="5cm"),
    Part("kernel", points=1, answers=("effective_k",), space="2cm"),
    Part("params", points=2, answers=("params",), space="2.5cm"),
)

@dataclass(frozen=True)
class ChoiceByOp(Choice):
    """A choice whose drawn options depend on the operation (`op`, drawn before); any of `options`
    may be pinned, and the constraints say which combinations are meaningful."""

    by_op: tuple[tuple[str, tuple[int, ...]], ...] = ()

    def draw(self, rng, params):
        return rng.choice(dict(self.by_op)[params["op"]])


PARAMS = (
    Choice("op", ("transposed", "dilated")),
    Int("size", 4, 12),
    Choice("k", (2, 3, 4, 5)),
    ChoiceByOp("stride", (1, 2, 3), by_op=(("transposed", (1, 2, 3)), ("dilated", (1, 2)))),
    Choice("pad", (0, 1, 2)),
    # Drawn >= 2 so that the effective kernel is not trivially k; an undilated transposed
    # convolution (dilation 1) can still be pinned.
    ChoiceByOp("dilation", (1, 2, 3), by_op=(("transposed", (2, 3)), ("dilated", (2, 3)))),
    ChoiceByOp("output_pad", (0, 1, 2), by_op=(("transposed", (0, 1, 2)), ("dilated", (0,)))),
    Int("C_in", 1, 64),
    Int("C_out", 1, 64),
)

STRUCTURE = ("op",)


def _effective(p) -> int:
    return p["dilation"] * (p["k"] - 1) + 1


def _dilated(p) -> bool:
    return p["op"] == "dilated"


CONSTRAINTS = (
    Constraint("a dilated convolution has dilation >= 2", lambda p: not _dilated(p) or p["dilation"] >= 2),
    Constraint("output_pad is 0 for a dilated (forward) convolution", lambda p: not _dilated(p) or p["output_pad"] == 0),
    Constraint("output_pad < stride or output_pad < dilation (else the extra rows are outside every window)",
               lambda p: p["output_pad"] < max(p["stride"], p["dilation"])),
    Constraint("the dilated kernel fits the padded input (k_eff <= size + 2 pad)",
               lambda p: not _dilated(p) or _effective(p) <= p["size"] + 2 * p["pad"]),
    Constraint("stride divides size + 2 pad - k_eff (no rows left over)",
               lambda p: not _dilated(p) or (p["size"] + 2 * p["pad"] - _effective(p)) % p["stride"] == 0),
    Constraint("the transposed convolution crops at most what the kernel adds (pad <= dilation (k - 1))",
               lambda p: _dilated(p) or p["pad"] <= p["dilation"] * (p["k"] - 1)),
    Constraint("the output has at least 2 rows", lambda p: _out_size(p) >= 2),
)

ANSWERS = (
    Answer("out_size", "int", "side of the (square) output"),
    Answer("effective_k", "int", "effective side of the dilated kernel"),
    Answer("params", "int", "trainable parameters (weights and biases)"),
)


def _out_size(p) -> int:
    if _dilated(p):
        return (p["size"] + 2 * p["pad"] - _effective(p)) // p["stride"] + 1
    return (p["size"] - 1) * p["stride"] - 2 * p["pad"] + _effective(p) + p["output_pad"]


# The figure: one row of the input above one row of the output (a 1-D slice), cells in cm.
FIGURE_WIDTH = 11.0


def _figure(p) -> dict:
    """Cells and arrows in cell units (the picture's x unit is `cell` cm)."""
    s, d, k, pad = p["stride"], p["dilation"], p["k"], p["pad"]
    if _dilated(p):
        top_n = p["size"] + 2 * pad                      # the padded input
        top = [{"x": i, "grey": i < pad or i >= top_n - pad} for i in range(top_n)]
        bottom = [{"x": j * s, "grey": False} for j in range(_out_size(p))]
        # output cells 0 and 1 and the input cells their windows read (arrows point up, to the input)
        links = [{"from": j * s + 0.5, "to": j * s + i * d + 0.5, "color": color}
                 for j, color in ((0, "blue!70!black"), (1, "red!80!black")) for i in range(k)]
        width = top_n
    else:
        full = (p["size"] - 1) * s + _effective(p) + p["output_pad"]
        top = [{"x": j * s, "grey": False} for j in range(p["size"])]
        bottom = [{"x": i, "grey": i < pad or i >= full - pad} for i in range(full)]
        # input cells 0 and 1 and the full-output cells they are scattered to (arrows point down)
        links = [{"from": j * s + 0.5, "to": j * s + i * d + 0.5, "color": color}
                 for j, color in ((0, "blue!70!black"), (1, "red!80!black")) for i in range(k)]
        width = full
    return {"cell": round(min(0.55, FIGURE_WIDTH / width), 4), "top": top, "bottom": bottom, "links": links}


def solve(p):
    k_eff = _effective(p)
    weights = p["k"] * p["k"] * p["C_in"] * p["C_out"]
    full = (p["size"] - 1) * p["stride"] + k_eff
    return {
        "out_size": _out_size(p),
        "effective_k": k_eff,
        "params": weights + p["C_out"],
        # shown in the worked solution
        "k_minus_1": p["k"] - 1,
        "size_minus_1": p["size"] - 1,
        "k_eff_minus_1": k_eff - 1,
        "last_row": (p["size"] - 1) * p["stride"] + k_eff - 1,
        "offsets": p["size"] + 2 * p["pad"] - k_eff + 1,
        "full": full,
        "padded": p["size"] + 2 * p["pad"],
        "span": p["size"] + 2 * p["pad"] - k_eff,
        "weights": weights,
        "figure": _figure(p),
    }


def check(p, answers):
    """Run the operation on real arrays (numpy) and read the shapes: a scatter-add for the transposed
    convolution (confirmed to be the adjoint of the strided dilated convolution), a strided, dilated
    sliding window for the forward one. The kernel's extent is measured from the scatter of a single
    pixel; the parameters are the sizes of the layer's weight and bias arrays."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    rng = np.random.default_rng(0)
    k, s, d, pad, extra = p["k"], p["stride"], p["dilation"], p["pad"], p["output_pad"]
    n = p["size"]
    X = rng.standard_normal((n, n))
    K = rng.standard_normal((k, k))

    def scatter(x, kernel, length):
        out = np.zeros((length, length))
        m = x.shape[0]
        for i in range(kernel.shape[0]):
            for j in range(kernel.shape[1]):
                out[i * d:i * d + (m - 1) * s + 1:s, j * d:j * d + (m - 1) * s + 1:s] += kernel[i, j] * x
        return out

    # extent of the dilated kernel: where one input pixel lands, in a buffer that is surely large enough
    one = scatter(np.ones((1, 1)), np.ones((k, k)), k * d + 4)
    rows = np.flatnonzero(one.any(axis=1))
    effective_k = int(rows[-1] - rows[0] + 1)

    if p["op"] == "transposed":
        length = (n - 1) * s + (k - 1) * d + 1 + extra          # every index the scatter can reach, plus the extra
        full = scatter(X, K, length + k * d)[:length, :length]  # (oversized buffer, cut back: nothing lands beyond)
        Y = full[pad:length - pad, pad:length - pad]
        # adjoint test: <scatter-crop(X), R> = <X, conv(zero-padded R)>
        R = rng.standard_normal(Y.shape)
        R_full = np.zeros((length, length))
        R_full[pad:length - pad, pad:length - pad] = R
        windows = sliding_window_view(R_full, (effective_k, effective_k))[::s, ::s][:n, :n, ::d, ::d]
        assert np.isclose(np.sum(Y * R), np.sum(X * np.einsum("abij,ij->ab", windows, K))), "scatter is not the adjoint"
        weight = np.empty((p["C_in"], p["C_out"], k, k))
    else:
        padded = np.pad(X, pad)
        windows = sliding_window_view(padded, (effective_k, effective_k))[::s, ::s, ::d, ::d]
        Y = np.einsum("abij,ij->ab", windows, K)
        weight = np.empty((p["C_out"], p["C_in"], k, k))
    bias = np.empty(p["C_out"])
    assert Y.shape[0] == Y.shape[1]
    return {"out_size": Y.shape[0], "effective_k": effective_k, "params": weight.size + bias.size}


def _no_bias(p):
    """Counted the weights but not the C_out biases."""
    return {"params": p["k"] * p["k"] * p["C_in"] * p["C_out"]}


def _undilated(p):
    """Ignored the dilation: kernel side k instead of d (k - 1) + 1 (no effect when d = 1)."""
    if p["dilation"] == 1:
        return {}
    if _dilated(p):
        out = (p["size"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1
    else:
        out = (p["size"] - 1) * p["stride"] - 2 * p["pad"] + p["k"] + p["output_pad"]
    return {"effective_k": p["k"], "out_size": out}


def _size_slip(p):
    """Transposed: added the padding instead of cropping it (no effect when pad = 0).
    Dilated: left out the + 1 of the output-size formula."""
    if _dilated(p):
        return {"out_size": (p["size"] + 2 * p["pad"] - _effective(p)) // p["stride"]}
    if p["pad"] == 0:
        return {}
    return {"out_size": (p["size"] - 1) * p["stride"] + 2 * p["pad"] + _effective(p) + p["output_pad"]}


def _dilation_times_k(p):
    """Took d k for the dilated kernel's side (no effect when d = 1)."""
    return {} if p["dilation"] == 1 else {"effective_k": p["dilation"] * p["k"]}


MISTAKES = (
    Mistake("no-bias", "counted the weights but forgot the C_out biases", _no_bias),
    Mistake("undilated", "ignored the dilation: used k for the kernel's side", _undilated),
    Mistake("size-slip", "transposed: added the padding instead of cropping it; dilated: forgot the + 1",
            _size_slip),
    Mistake("d-times-k", "took d k instead of d (k - 1) + 1 for the dilated kernel's side", _dilation_times_k),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "size": (
        Step("where the last input pixel lands with the dilated kernel: (n - 1) s + d (k - 1) + 1", 0.5),
        Step("the padding cropped, the number", 0.5),
    ),
    "kernel": (
        Step("effective kernel size d (k - 1) + 1", 1),
    ),
    "params": (
        Step("weights k x k x C_in x C_out (dilation adds none)", 0.5),
        Step("biases counted", 0.5),
    ),
}
