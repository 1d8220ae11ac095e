"""Cost of a convolutional layer: output shape, channels, operation counts, parameters.

A model problem folder: declarations first, then solve (the reference) and check (an
independent second method). `examgen new TOPIC/NAME` starts a new problem from the smaller
exemplar of the same shape in generator/scaffold/problem/.
"""

from generator.authoring import Alternative, Answer, Choice, Constraint, Int, Mistake, Part

TITLE = "Cost of a convolutional layer"
TITLES = {"de": "Kosten einer Faltungsschicht"}
SOURCE = "exam-weight-decay-backprop-conv.md, question 2"

PARTS = (
    Part("shape", points=3, answers=("out_shape",), space="3cm"),
    Part("channels", points=1, answers=("in_channels", "out_channels"), space="1.5cm"),
    Part("ops", points=4, answers=("mults", "adds"), space="4cm"),
    Part("params", points=2, answers=("params",), space="2.5cm"),
)

# Drawing order matters: k is drawn before the constraints that compare it with H and W.
PARAMS = (
    Int("H", 8, 64, domain=(1, 4096)),
    Int("W", 8, 64, domain=(1, 4096)),
    Int("C_in", 1, 16, domain=(1, 4096)),
    Choice("k", (1, 3, 5, 7), domain=(1, 64)),
    Int("C_out", 2, 64, domain=(1, 4096)),
    Choice("stride", (1, 2), domain=(1, 16)),
    Choice("pad", (0, 1, 2), domain=(0, 32)),
)

# The kernel, stride and padding shape the computation (a 1x1 kernel is another exercise);
# H, W and the channels are numbers put into the same formulas. No WORKLOAD: the work by hand
# is the same four formulas whatever the sizes.
STRUCTURE = ("k", "stride", "pad")
SHUFFLE_PARTS = True   # each part is answerable from the statement alone

CONSTRAINTS = (
    Constraint("k <= min(H, W)", lambda p: p["k"] <= min(p["H"], p["W"])),
    Constraint("pad < k", lambda p: p["pad"] < p["k"], pedagogical=True),
    # An 8 x 59 image is no image a network sees: sides within a factor 2 of each other.
    Constraint("max(H, W) <= 2 min(H, W) (an image-like aspect ratio)",
               lambda p: max(p["H"], p["W"]) <= 2 * min(p["H"], p["W"]), pedagogical=True),
    Constraint("stride divides H + 2 pad - k", lambda p: (p["H"] + 2 * p["pad"] - p["k"]) % p["stride"] == 0),
    Constraint("stride divides W + 2 pad - k", lambda p: (p["W"] + 2 * p["pad"] - p["k"]) % p["stride"] == 0),
)

ANSWERS = (
    Answer("out_shape", "shape", "shape of Z and of Y (height, width, channels)"),
    Answer("in_channels", "int", "number of input channels"),
    Answer("out_channels", "int", "number of output channels"),
    Answer("mults", "int", "multiplications in one forward pass"),
    # Three conventions for the additions are accepted (the solution states them): ours, one
    # bias addition per output value; the source sheet's, mults + C_out; and the sum's
    # additions with the bias counted once per output channel.
    Answer("adds", "int", "additions in one forward pass, bias included",
           alternatives=(Alternative("adds_sheet", "the source sheet's count, multiplications + C_out"),
                         Alternative("adds_bias_per_channel",
                                     "k*k*C_in - 1 additions per output value, the bias counted once per "
                                     "output channel"))),
    Answer("params", "int", "trainable parameters (weights and biases)"),
)


def _out_size(size: int, k: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - k) // stride + 1


def solve(p):
    H_out = _out_size(p["H"], p["k"], p["stride"], p["pad"])
    W_out = _out_size(p["W"], p["k"], p["stride"], p["pad"])
    per_output = p["k"] * p["k"] * p["C_in"]      # products summed for one output value
    outputs = H_out * W_out * p["C_out"]
    weights = p["k"] * p["k"] * p["C_in"] * p["C_out"]
    return {
        "out_shape": [H_out, W_out, p["C_out"]],
        "in_channels": p["C_in"],
        "out_channels": p["C_out"],
        "mults": per_output * outputs,
        # per output: per_output - 1 additions to sum the products, 1 to add the bias
        "adds": per_output * outputs,
        "adds_sheet": per_output * outputs + p["C_out"],
        "adds_bias_per_channel": (per_output - 1) * outputs + p["C_out"],
        "params": weights + p["C_out"],
        "H_out": H_out,
        "W_out": W_out,
        "per_output": per_output,
        "outputs": outputs,
        "weights": weights,
        "spatial": H_out * W_out,
    }


def check(p, answers):
    """Run the layer for real (numpy) and count what it does."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    rng = np.random.default_rng(0)
    k, s, pad = p["k"], p["stride"], p["pad"]
    X = rng.standard_normal((p["H"], p["W"], p["C_in"]))
    kernel = rng.standard_normal((k, k, p["C_in"], p["C_out"]))
    bias = rng.standard_normal(p["C_out"])

    padded = np.pad(X, ((pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(padded, (k, k), axis=(0, 1))[::s, ::s]  # (H_out, W_out, C_in, k, k)
    # The full layer costs up to 10^8 products, so the convolution runs on one output
    # channel; the other channels only repeat it with other weights.
    Z0 = np.einsum("hwnij,ijn->hw", windows, kernel[:, :, :, 0]) + bias[0]
    Y_shape = [Z0.shape[0], Z0.shape[1], kernel.shape[3]]

    # An instrumented direct loop for one output value, compared with the convolution.
    i, j = Z0.shape[0] - 1, Z0.shape[1] - 1
    total, mults, adds = 0.0, 0, 0
    for k1 in range(k):
        for k2 in range(k):
            for n in range(p["C_in"]):
                product = kernel[k1, k2, n, 0] * padded[s * i + k1, s * j + k2, n]
                mults += 1
                if mults > 1:
                    adds += 1
                total += product
    sum_adds = adds                    # the additions that sum the products of one output value
    total += bias[0]
    adds += 1
    assert np.isclose(total, Z0[i, j]), "direct loop disagrees with the convolution"
    outputs = Y_shape[0] * Y_shape[1] * Y_shape[2]
    # The sheet adds the bias vector once per output channel: count the bias entries the layer
    # holds, from the array, not from C_out.
    return {
        "out_shape": Y_shape,
        "in_channels": X.shape[2],
        "out_channels": kernel.shape[3],
        "mults": mults * outputs,
        "adds": adds * outputs,
        "adds_sheet": mults * outputs + bias.size,
        "adds_bias_per_channel": sum_adds * outputs + bias.size,
        "params": kernel.size + bias.size,
    }


MISTAKES = (
    Mistake("no-bias", "counted the weights but forgot the C_out biases",
            lambda p: {"params": p["k"] ** 2 * p["C_in"] * p["C_out"]}),
    Mistake("no-plus-one", "used (H + 2p - k)/s for the output size, without the + 1",
            lambda p: {"out_shape": [(p["H"] + 2 * p["pad"] - p["k"]) // p["stride"],
                                     (p["W"] + 2 * p["pad"] - p["k"]) // p["stride"], p["C_out"]]}),
    Mistake("no-channels-in", "left out the input channels in the multiplication count",
            lambda p: {"mults": p["k"] ** 2 * p["C_out"]
                       * ((p["H"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1)
                       * ((p["W"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1)}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "shape": (
        Step("output size formula floor((H + 2p - k)/s) + 1 per side", "2/3"),
        Step("the output shape with the number of filters as depth", "1/3"),
    ),
    "channels": (
        Step("input and output channels read off", 1),
    ),
    "ops": (
        Step("multiplications: output entries x k x k x C_in", 0.5),
        Step("additions counted with the statement's convention (bias included or not)", 0.5),
    ),
    "params": (
        Step("weights k x k x C_in per filter, times the filters", 0.5),
        Step("plus one bias per filter", 0.5),
    ),
}
