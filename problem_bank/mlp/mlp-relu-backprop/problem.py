"""Forward and backward pass of a two-layer ReLU network with one output and the halved
squared error: h = ReLU(W1 x + b1), yhat = w2^T h + b2, L = (yhat - t)^2 / 2.

Every number is a multiple of 1/4 or 1/2, so the whole computation is exact by hand. Each
instance has at least one active and one inactive hidden unit, so that the ReLU's 0/1
derivative matters, and no pre-activation on the kink at 0.
"""


from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Decimal,
    Mistake,
    Part,
    SizedMatrix,
    SizedVector,
    central_gradient,
)

TITLE = "Backpropagation in a two-layer ReLU network"
SOURCE = "problem catalog, part 2 (mlp/mlp-relu-backprop)"

PARTS = (
    Part("forward", points=3, answers=("h", "yhat", "loss"), space="5.5cm"),
    Part("output_layer", points=2, answers=("dL_dw2", "dL_db2"), space="3cm"),
    Part("hidden_layer", points=4, answers=("dL_db1", "dL_dW1"), space="5cm"),
    Part("input", points=2, answers=("dL_dx",), space="3cm"),
)

# d (input size) and m (hidden size) are structure: they set every shape of the problem.
STRUCTURE = ("d", "m")

PARAMS = (
    Choice("d", (2, 3)),
    Choice("m", (2, 3)),
    SizedMatrix("W1", rows="m", cols="d", low=-1, high=1, step=0.5, nonzero=True, row_sizes=(2, 3),
                col_sizes=(2, 3)),
    SizedVector("b1", length="m", low=-1, high=1, step=0.5, lengths=(2, 3)),
    SizedVector("w2", length="m", low=-2, high=2, step=0.5, nonzero=True, lengths=(2, 3)),
    Decimal("b2", -1, 1, 0.5),
    SizedVector("x", length="d", low=-2, high=2, nonzero=True, lengths=(2, 3)),
    Decimal("t", -2, 2, 0.5),
)

# The residual yhat - t is a multiple of 1/4; beyond this size the numbers stop being small.
MAX_RESIDUAL = 4


def _preactivation(p):
    return [sum(w * v for w, v in zip(row, p["x"], strict=True)) + b for row, b in zip(p["W1"], p["b1"], strict=True)]


def _output(p):
    hidden = [max(0.0, v) for v in _preactivation(p)]
    return sum(w * v for w, v in zip(p["w2"], hidden, strict=True)) + p["b2"]


CONSTRAINTS = (
    Constraint("W1 is m x d, b1 and w2 have m entries, x has d",
               lambda p: len(p["W1"]) == len(p["b1"]) == len(p["w2"]) == p["m"]
               and len(p["W1"][0]) == len(p["x"]) == p["d"]),
    Constraint("no pre-activation exactly 0 (the ReLU kink)", lambda p: all(v != 0 for v in _preactivation(p))),
    Constraint("at least one hidden unit active and one inactive",
               lambda p: any(v > 0 for v in _preactivation(p)) and any(v < 0 for v in _preactivation(p))),
    Constraint(f"0.5 <= |yhat - t| <= {MAX_RESIDUAL}", lambda p: 0.5 <= abs(_output(p) - p["t"]) <= MAX_RESIDUAL),
)

ANSWERS = (
    Answer("h", "vector", "hidden activations h"),
    Answer("yhat", "real", "network output y_hat"),
    Answer("loss", "real", "loss L"),
    Answer("dL_dw2", "vector", "dL/dw2"),
    Answer("dL_db2", "real", "dL/db2"),
    Answer("dL_dW1", "matrix", "dL/dW1"),
    Answer("dL_db1", "vector", "dL/db1"),
    Answer("dL_dx", "vector", "dL/dx"),
)


def _backward(p, delta_scale=1.0, relu_grad=None):
    """The backward pass; `delta_scale` and `relu_grad` (the factor used for ReLU's
    derivative) let the mistakes reuse it."""
    z = _preactivation(p)
    h = [max(0.0, v) for v in z]
    delta = delta_scale * (_output(p) - p["t"])
    mask = [1 if v > 0 else 0 for v in z]
    factor = relu_grad(z, h) if relu_grad else mask
    dL_dh = [delta * w for w in p["w2"]]
    dL_dz = [g * f for g, f in zip(dL_dh, factor, strict=True)]
    d = len(p["x"])
    return {
        "dL_dw2": [delta * v for v in h],
        "dL_db2": delta,
        "dL_db1": dL_dz,
        "dL_dW1": [[g * v for v in p["x"]] for g in dL_dz],
        "dL_dx": [sum(p["W1"][k][j] * dL_dz[k] for k in range(len(z))) for j in range(d)],
        "delta": delta, "mask": mask, "dL_dh": dL_dh, "dL_dz": dL_dz,
    }


def solve(p):
    z = _preactivation(p)
    h = [max(0.0, v) for v in z]
    yhat = _output(p)
    residual = yhat - p["t"]
    back = _backward(p)
    m, d = len(z), len(p["x"])
    back = {k: _unsigned_zeros(v) for k, v in back.items()}
    return {
        "h": h, "yhat": yhat, "loss": residual * residual / 2,
        **_fields(back),
        "d": d, "m": m, "z": z, "residual": residual,
        "mask": back["mask"], "dL_dh": back["dL_dh"], "dL_dz": back["dL_dz"],
        "active": [k + 1 for k in range(m) if z[k] > 0],
        "inactive": [k + 1 for k in range(m) if z[k] < 0],
        # the terms of every sum the solution writes out
        "z_rows": [[{"w": w, "x": v} for w, v in zip(row, p["x"], strict=True)] for row in p["W1"]],
        "yhat_terms": [{"w": w, "h": v} for w, v in zip(p["w2"], h, strict=True)],
        "dx_terms": [[{"w": p["W1"][k][j], "g": back["dL_dz"][k]} for k in range(m)] for j in range(d)],
        "x_row": [p["x"]],
    }


def check(p, answers):
    """The network in numpy (matrix products, np.maximum); every gradient by central finite
    differences of the loss in that argument, the others held fixed."""
    import numpy as np

    W1 = np.array(p["W1"], dtype=float)
    b1 = np.array(p["b1"], dtype=float)
    w2 = np.array(p["w2"], dtype=float)
    x = np.array(p["x"], dtype=float)

    def forward(W1=W1, b1=b1, w2=w2, b2=float(p["b2"]), x=x):
        h = np.maximum(W1 @ x + b1, 0.0)
        yhat = float(w2 @ h + b2)
        return h, yhat, 0.5 * (yhat - p["t"]) ** 2

    h, yhat, loss = forward()
    # |pre-activations| >= 0.25 here, far beyond the step 1e-6: L is a polynomial there
    fd = {"atol": 1e-6, "rtol": 1e-6}
    return {
        "h": h, "yhat": yhat, "loss": loss,
        "dL_dw2": Approx(central_gradient(lambda v: forward(w2=v)[2], w2), **fd),
        "dL_db2": Approx(float(central_gradient(lambda v: forward(b2=float(v[0]))[2], np.array([p["b2"]]))[0]), **fd),
        "dL_dW1": Approx(central_gradient(lambda A: forward(W1=A)[2], W1), **fd),
        "dL_db1": Approx(central_gradient(lambda v: forward(b1=v)[2], b1), **fd),
        "dL_dx": Approx(central_gradient(lambda v: forward(x=v)[2], x), **fd),
    }


def _fields(back):
    return {k: back[k] for k in ("dL_dw2", "dL_db2", "dL_dW1", "dL_db1", "dL_dx")}


def _unsigned_zeros(value):
    """-0.0 (a zero gradient times a negative number) printed and keyed as 0."""
    if isinstance(value, list):
        return [_unsigned_zeros(v) for v in value]
    return value + 0.0 if isinstance(value, float) else value


MISTAKES = (
    Mistake("no-relu-mask", "passed the gradient through the inactive units too (ReLU' taken as 1)",
            lambda p: {k: v for k, v in _fields(_backward(p, relu_grad=lambda z, h: [1] * len(z))).items()
                       if k in ("dL_db1", "dL_dW1", "dL_dx")}),
    Mistake("no-half", "used L = (yhat - t)^2, so every gradient is twice the right one",
            lambda p: {"loss": (_output(p) - p["t"]) ** 2, **_fields(_backward(p, delta_scale=2.0))}),
    Mistake("relu-prime-is-h", "used ReLU'(z) = ReLU(z) = h instead of the 0/1 indicator",
            lambda p: {k: v for k, v in _fields(_backward(p, relu_grad=lambda z, h: h)).items()
                       if k in ("dL_db1", "dL_dW1", "dL_dx")}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "forward": (
        Step("hidden pre-activations and ReLU", "1/3"),
        Step("output y_hat", "1/3"),
        Step("the loss", "1/3"),
    ),
    "output_layer": (
        Step("dL/dy_hat from the loss", 0.5),
        Step("dL/dw2 (times h) and dL/db2", 0.5),
    ),
    "hidden_layer": (
        Step("back through w2 to the hidden units", "1/3"),
        Step("ReLU derivative: zero for inactive units", "1/3"),
        Step("dL/db1 and dL/dW1 (outer product with x)", "1/3"),
    ),
    "input": (
        Step("dL/dx as W1^T times the hidden gradient", 1),
    ),
}
