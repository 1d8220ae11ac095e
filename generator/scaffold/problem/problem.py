"""Cost of a dense layer: output shape, parameters, multiplications. (Made by `examgen new`.)

A problem folder holds problem.py (declarations, then solve: the reference, and check: an
independent second method), question.tex.j2, solution.tex.j2, test_problem.py and
snapshots/. Edit it in place: `examgen verify TOPIC/NAME` checks solve against check over
many seeds; `examgen show TOPIC/NAME --pdf` shows one instance as PDF.
"""

from generator.authoring import Answer, Choice, Constraint, Int, Mistake, Part, Step

TITLE = "Cost of a dense layer"          # a string literal: `examgen list` reads it without importing
SOURCE = "exemplar problem (examgen new)"   # where the exercise comes from

PARTS = (
    Part("shape", points=2, answers=("out_shape",), space="2cm"),
    Part("params", points=3, answers=("params",), space="3cm"),
    Part("mults", points=3, answers=("mults",), space="3cm"),
)

# Parameters are drawn in this order; the constraints reject an instance and draw again.
PARAMS = (
    Int("batch", 2, 64),
    Int("n_in", 2, 512),
    Int("n_out", 2, 256),
    Choice("bias", (True, False)),
)

CONSTRAINTS = (
    Constraint("a layer that changes the width", lambda p: p["n_in"] != p["n_out"]),
)

ANSWERS = (
    Answer("out_shape", "shape", "shape (batch, n_out) of the output Y"),
    Answer("params", "int", "trainable parameters (weights and biases)"),
    Answer("mults", "int", "multiplications in one forward pass of the batch"),
)


def solve(p):
    """The reference: every answer field, plus the numbers the solution shows."""
    weights = p["n_in"] * p["n_out"]
    biases = p["n_out"] if p["bias"] else 0
    return {
        "out_shape": [p["batch"], p["n_out"]],
        "params": weights + biases,
        "mults": p["batch"] * weights,
        "weights": weights,
        "biases": biases,
    }


def check(p, answers):
    """An independent second method: run the layer with numpy and count what it does."""
    import numpy as np

    X = np.ones((p["batch"], p["n_in"]))
    W = np.ones((p["n_in"], p["n_out"]))
    b = np.zeros(p["n_out"]) if p["bias"] else np.zeros(0)
    Y = X @ W + (b if p["bias"] else 0)
    # every entry of X @ W sums n_in products of ones, so it equals n_in multiplications
    return {"out_shape": list(Y.shape), "params": W.size + b.size, "mults": int(Y.sum())}


MISTAKES = (
    Mistake("no-bias", "counted the weights but forgot the biases",
            lambda p: {"params": p["n_in"] * p["n_out"]} if p["bias"] else {}),
    Mistake("one-example", "counted the multiplications for one example, not the batch",
            lambda p: {"mults": p["n_in"] * p["n_out"]}),
)

# What a grader awards in each part: steps with their share of the part's points (0.5, "1/3"),
# adding up to exactly 1 per part, so the rubric follows the points an exam gives the part.
RUBRIC = {
    "shape": (Step("batch size kept, width n_out", 1),),
    "params": (Step("weights n_in x n_out", "2/3"), Step("biases, when the layer has them", "1/3")),
    "mults": (Step("n_in x n_out per example", 0.5), Step("times the batch", 0.5)),
}
