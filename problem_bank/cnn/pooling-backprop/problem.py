"""Max or average pooling (2 x 2 windows, stride 2) on a 4 x 4 input: the forward output and
the gradient with respect to the input for a given upstream gradient G = dL/dY.

Max pooling routes each window's upstream gradient to the window's maximum; average pooling
spreads a quarter of it over the window. The inputs are small integers and G has no zero
entry, so every routed gradient is visible; under max pooling no window holds a tie (the
maximum would not be differentiable there).
"""

from dataclasses import dataclass

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Matrix,
    Mistake,
    Part,
    central_gradient,
)

TITLE = "Backpropagation through a pooling layer"
SOURCE = "problem catalog, part 2 (cnn/pooling-backprop)"

PARTS = (
    Part("forward", points=2, answers=("Y",), space="4cm"),
    Part("backward", points=4, answers=("dL_dX",), space="6cm"),
)

# The pooling kind changes the whole solution (routing vs. spreading): structure.
STRUCTURE = ("op",)

K = 2            # window size and stride
SIZE = 4         # the input is SIZE x SIZE
OUT = SIZE // K



@dataclass(frozen=True)
class WindowedInput(Matrix):
    """A SIZE x SIZE integer matrix drawn with distinct entries inside every K x K window, so
    that the no-tie constraint does not reject most draws (and with them most max-pooling
    instances). A pinned value is validated as any integer matrix; the constraint judges ties."""

    def draw(self, rng, params):
        X = [[0] * SIZE for _ in range(SIZE)]
        for a in range(OUT):
            for b in range(OUT):
                seen: set[int] = set()
                for i in range(K):
                    for j in range(K):
                        value = rng.integer(int(self.low), int(self.high))
                        while value in seen:
                            value = rng.integer(int(self.low), int(self.high))
                        seen.add(value)
                        X[K * a + i][K * b + j] = value
        return X


PARAMS = (
    Choice("op", ("max", "avg")),
    WindowedInput("X", rows=SIZE, cols=SIZE, low=-9, high=9),
    Matrix("G", rows=OUT, cols=OUT, low=-3, high=3, nonzero=True),
)


def _window(X, a, b):
    """The entries of window (a, b) (0-based) as ((row, col), value), row by row."""
    return [((K * a + i, K * b + j), X[K * a + i][K * b + j]) for i in range(K) for j in range(K)]


def _no_ties(p):
    if p["op"] != "max":
        return True
    return all(len({v for _, v in _window(p["X"], a, b)}) == K * K for a in range(OUT) for b in range(OUT))


CONSTRAINTS = (
    Constraint("max pooling: the four entries of every window are distinct (no tie for the maximum)", _no_ties),
    Constraint("the entries of G are not all equal (the windows get different gradients)",
               lambda p: len({v for row in p["G"] for v in row}) > 1),
)

ANSWERS = (
    Answer("Y", "matrix", "pooled output Y (2 x 2)"),
    Answer("dL_dX", "matrix", "gradient dL/dX (4 x 4)"),
)

# One light colour per window, in the figure.
COLOURS = ("blue!12", "red!12", "green!14", "orange!18")


def _forward_backward(X, G, op):
    Y = [[0.0] * OUT for _ in range(OUT)]
    dX = [[0.0] * SIZE for _ in range(SIZE)]
    argmax = {}
    for a in range(OUT):
        for b in range(OUT):
            cells = _window(X, a, b)
            if op == "max":
                (r, c), value = max(cells, key=lambda cell: cell[1])
                Y[a][b] = value
                dX[r][c] = G[a][b]
                argmax[(a, b)] = (r, c)
            else:
                Y[a][b] = sum(v for _, v in cells) / (K * K)
                for (r, c), _ in cells:
                    dX[r][c] = G[a][b] / (K * K)
    return Y, dX, argmax


def solve(p):
    X, G, op = p["X"], p["G"], p["op"]
    Y, dX, argmax = _forward_backward(X, G, op)
    windows = []
    for a in range(OUT):
        for b in range(OUT):
            cells = _window(X, a, b)
            windows.append({
                "a": a + 1, "b": b + 1, "entries": [v for _, v in cells], "sum": sum(v for _, v in cells),
                "y": Y[a][b], "g": G[a][b], "quarter": G[a][b] / (K * K),
                "where": [argmax[(a, b)][0] + 1, argmax[(a, b)][1] + 1] if op == "max" else None,
            })

    def grid(values, marked):
        """Cells of a 4 x 4 figure: position, window colour, value, whether it is marked."""
        return [{"x": c, "y": SIZE - 1 - r, "fill": COLOURS[(r // K) * OUT + c // K],
                 "value": values[r][c], "mark": (r, c) in marked}
                for r in range(SIZE) for c in range(SIZE)]

    marked = set(argmax.values())
    return {
        "Y": Y, "dL_dX": dX,
        "windows": windows,
        "x_cells": grid(X, marked), "dx_cells": grid(dX, marked),
        "y_cells": [{"x": b, "y": OUT - 1 - a, "fill": COLOURS[a * OUT + b], "value": Y[a][b]}
                    for a in range(OUT) for b in range(OUT)],
        "is_max": op == "max",
    }


def check(p, answers):
    """Pooling by reshaping X into its windows (numpy), and dL/dX by central finite
    differences of L(X) = sum(G * pool(X)): with no ties the maximum is locally linear, so
    the difference quotient is exact up to rounding."""
    import numpy as np

    G = np.array(p["G"], dtype=float)
    reduce = np.max if p["op"] == "max" else np.mean

    def pool(X):
        blocks = X.reshape(OUT, K, OUT, K)        # blocks[a, i, b, j] = X[K a + i, K b + j]
        return reduce(blocks, axis=(1, 3))

    X = np.array(p["X"], dtype=float)
    return {
        "Y": pool(X),
        # step 1e-3: far below the gap of 1 between distinct integers, exact for linear pieces
        "dL_dX": Approx(central_gradient(lambda A: float(np.sum(G * pool(A))), X, h=1e-3).tolist(),
                        atol=1e-9, rtol=1e-9),
    }


def _confused(p):
    """dL/dX of the other pooling kind (a max-pooling window's maximum taken as the first
    largest entry, ties included)."""
    other = "avg" if p["op"] == "max" else "max"
    return {"dL_dX": _forward_backward(p["X"], p["G"], other)[1]}


def _copied(p):
    """G copied into every cell of its window, unscaled."""
    return {"dL_dX": [[p["G"][r // K][c // K] for c in range(SIZE)] for r in range(SIZE)]}


def _sum_not_mean(p):
    if p["op"] != "avg":
        return {}
    return {"Y": [[sum(v for _, v in _window(p["X"], a, b)) for b in range(OUT)] for a in range(OUT)]}


MISTAKES = (
    Mistake("kinds-confused", "backpropagated the other pooling kind: spread G/4 over a max window, or sent all"
            " of G to the largest entry of an average window", _confused),
    Mistake("copied-to-window", "copied G into every cell of its window (no routing to the maximum, no 1/4)",
            _copied),
    Mistake("sum-not-mean", "average pooling: summed the window instead of averaging it", _sum_not_mean),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "forward": (
        Step("the pooling windows located", 0.5),
        Step("the maximum of each window", 0.5),
    ),
    "backward": (
        Step("each window's gradient goes to its maximum only (derivative 1 there, 0 elsewhere)", 0.5),
        Step("every other entry zero", 0.25),
        Step("the gradient matrix", 0.25),
    ),
}
