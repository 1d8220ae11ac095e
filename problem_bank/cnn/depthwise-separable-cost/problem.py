"""Cost of a depthwise-separable convolution against a standard one.

Both layers map an H x W x C_in input to H x W x C_out (stride 1, same padding, so the
spatial size is kept). The standard layer has one k x k x C_in kernel per output channel;
the separable one filters every input channel with its own k x k kernel (depthwise) and then
mixes the channels with C_out kernels of size 1 x 1 x C_in (pointwise). Every convolution has
a bias per output channel. Multiplications are counted per output value, as the products of
its sum; the ratio compares multiplications.
"""

from dataclasses import dataclass

from generator.authoring import Answer, Choice, Constraint, Int, Mistake, Part

TITLE = "Depthwise-separable convolution: cost and parameters"
SOURCE = "problem catalog, part 2 (cnn/depthwise-separable-cost)"

PARTS = (
    Part("standard", points=2, answers=("mults_standard", "params_standard"), space="3.5cm"),
    Part("separable", points=4, answers=("mults_separable", "params_separable"), space="5cm"),
    Part("ratio", points=2, answers=("ratio",), space="3cm"),
)

# Every parameter is a number in the same formulas: none changes the form of the statement
# or of the solution, so none is structure.
STRUCTURE = ()

@dataclass(frozen=True)
class Size(Int):
    """An integer in [low, high] that is drawn from `usual`, the sizes real networks use (a
    pinned value may be any integer of the range)."""

    usual: tuple[int, ...] = ()

    def draw(self, rng, params):
        return rng.choice(self.usual)


# Feature-map sizes and channel counts of real small networks; the drawn products stay within
# what a student multiplies by hand (at most 32 * 32 * 64 * 128 * 49, about 4.5e8).
PARAMS = (
    Size("H", 1, 64, usual=(7, 8, 14, 16, 28, 32)),
    Size("W", 1, 64, usual=(7, 8, 14, 16, 28, 32)),
    Size("C_in", 1, 128, usual=(3, 8, 16, 24, 32, 64)),
    Size("C_out", 1, 256, usual=(16, 32, 64, 128)),
    Choice("k", (3, 5, 7)),          # odd, so that same padding is symmetric
)

CONSTRAINTS = (
    Constraint("k <= min(H, W) (the kernel fits the feature map)", lambda p: p["k"] <= min(p["H"], p["W"])),
)

ANSWERS = (
    Answer("mults_standard", "int", "multiplications of the standard k x k convolution"),
    Answer("mults_separable", "int", "multiplications of depthwise k x k plus pointwise 1 x 1"),
    Answer("params_standard", "int", "parameters (weights and biases) of the standard convolution"),
    Answer("params_separable", "int", "parameters (weights and biases) of the separable convolution"),
    Answer("ratio", "real", "ratio of the separable to the standard multiplications", rtol=0.002, atol=0.0005),
)


def solve(p):
    H, W, C_in, C_out, k = p["H"], p["W"], p["C_in"], p["C_out"], p["k"]
    kk = k * k
    spatial = H * W
    standard_per_output = kk * C_in
    standard_outputs = spatial * C_out
    depthwise_outputs = spatial * C_in            # one output channel per input channel
    pointwise_outputs = spatial * C_out
    mults_depthwise = kk * depthwise_outputs      # each depthwise output sums k*k products
    mults_pointwise = C_in * pointwise_outputs    # each pointwise output sums C_in products
    weights_standard = kk * C_in * C_out
    weights_depthwise = kk * C_in
    weights_pointwise = C_in * C_out
    mults_standard = standard_per_output * standard_outputs
    mults_separable = mults_depthwise + mults_pointwise
    return {
        "mults_standard": mults_standard,
        "mults_separable": mults_separable,
        "params_standard": weights_standard + C_out,
        "params_separable": weights_depthwise + C_in + weights_pointwise + C_out,
        "ratio": mults_separable / mults_standard,
        "kk": kk, "spatial": spatial, "pad": (k - 1) // 2,
        "standard_per_output": standard_per_output, "standard_outputs": standard_outputs,
        "depthwise_outputs": depthwise_outputs, "pointwise_outputs": pointwise_outputs,
        "mults_depthwise": mults_depthwise, "mults_pointwise": mults_pointwise,
        "weights_standard": weights_standard, "weights_depthwise": weights_depthwise,
        "weights_pointwise": weights_pointwise,
        "params_depthwise": weights_depthwise + C_in, "params_pointwise": weights_pointwise + C_out,
        "inv_C_out": 1 / C_out, "inv_kk": 1 / kk,
        "speedup": mults_standard / mults_separable,
    }


def check(p, answers):
    """Run the three convolutions for real (numpy) on the full input, and count the products
    of one output value of each with an instrumented direct loop."""
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view

    rng = np.random.default_rng(0)
    H, W, C_in, C_out, k = p["H"], p["W"], p["C_in"], p["C_out"], p["k"]
    pad = (k - 1) // 2                                   # same padding for an odd k, stride 1
    X = rng.standard_normal((H, W, C_in))
    padded = np.pad(X, ((pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(padded, (k, k), axis=(0, 1))   # (H, W, C_in, k, k)

    standard = rng.standard_normal((k, k, C_in, C_out))
    standard_bias = rng.standard_normal(C_out)
    depthwise = rng.standard_normal((k, k, C_in))        # one k x k filter per input channel
    depthwise_bias = rng.standard_normal(C_in)
    pointwise = rng.standard_normal((C_in, C_out))       # 1 x 1 x C_in kernels
    pointwise_bias = rng.standard_normal(C_out)

    # The standard layer on one output channel only (the others repeat it with other
    # weights); its output shape has C_out channels, one per kernel slice.
    Z0 = np.einsum("hwnij,ijn->hw", windows, standard[:, :, :, 0]) + standard_bias[0]
    standard_shape = Z0.shape + (standard.shape[3],)
    D = np.einsum("hwnij,ijn->hwn", windows, depthwise) + depthwise_bias
    P = np.einsum("hwn,nm->hwm", D, pointwise) + pointwise_bias
    assert standard_shape == P.shape == (H, W, C_out), "the layers must keep the spatial size"

    def counted(products):
        """Sum the products one at a time, counting the multiplications."""
        total, mults = 0.0, 0
        for a, b in products:
            total += a * b
            mults += 1
        return total, mults

    i, j = H // 2, W // 2
    value, per_standard = counted((standard[a, b, n, 0], padded[i + a, j + b, n])
                                  for a in range(k) for b in range(k) for n in range(C_in))
    assert np.isclose(value + standard_bias[0], Z0[i, j]), "direct loop disagrees with the convolution"
    value, per_depthwise = counted((depthwise[a, b, 0], padded[i + a, j + b, 0])
                                   for a in range(k) for b in range(k))
    assert np.isclose(value + depthwise_bias[0], D[i, j, 0]), "direct loop disagrees with the depthwise layer"
    value, per_pointwise = counted((pointwise[n, 0], D[i, j, n]) for n in range(C_in))
    assert np.isclose(value + pointwise_bias[0], P[i, j, 0]), "direct loop disagrees with the pointwise layer"

    mults_standard = per_standard * int(np.prod(standard_shape))
    mults_separable = per_depthwise * D.size + per_pointwise * P.size
    return {
        "mults_standard": mults_standard,
        "mults_separable": mults_separable,
        "params_standard": standard.size + standard_bias.size,
        "params_separable": depthwise.size + depthwise_bias.size + pointwise.size + pointwise_bias.size,
        "ratio": mults_separable / mults_standard,
    }


def _spatial(p):
    return p["H"] * p["W"]


MISTAKES = (
    Mistake("depthwise-as-standard",
            "gave the depthwise step C_out full k x k x C_in kernels (the cost of a standard layer) before the 1 x 1",
            lambda p: {"mults_separable": _spatial(p) * p["C_out"] * (p["k"] ** 2 * p["C_in"] + p["C_in"]),
                       "params_separable": p["k"] ** 2 * p["C_in"] * p["C_out"] + p["C_out"]
                       + p["C_in"] * p["C_out"] + p["C_out"]}),
    Mistake("no-pointwise", "left out the pointwise 1 x 1 convolution",
            lambda p: {"mults_separable": _spatial(p) * p["k"] ** 2 * p["C_in"],
                       "params_separable": p["k"] ** 2 * p["C_in"] + p["C_in"],
                       "ratio": 1 / p["C_out"]}),
    Mistake("no-biases", "counted the weights but no biases",
            lambda p: {"params_standard": p["k"] ** 2 * p["C_in"] * p["C_out"],
                       "params_separable": p["k"] ** 2 * p["C_in"] + p["C_in"] * p["C_out"]}),
    Mistake("inverted-ratio", "gave standard / separable (the speed-up) instead of separable / standard",
            lambda p: {"ratio": 1 / (1 / p["C_out"] + 1 / p["k"] ** 2)}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "standard": (
        Step("multiplications of the standard convolution", 0.5),
        Step("its parameters", 0.5),
    ),
    "separable": (
        Step("depthwise part: one k x k filter per input channel", 0.5),
        Step("pointwise 1x1 part: C_in x C_out", 0.25),
        Step("sums for multiplications and parameters", 0.25),
    ),
    "ratio": (
        Step("ratio of the two counts", 0.5),
        Step("its closed form 1/C_out + 1/k^2", 0.5),
    ),
}
