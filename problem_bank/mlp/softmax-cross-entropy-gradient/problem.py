"""Softmax and cross-entropy for one example: probabilities, loss and the gradient in the logits.

p = softmax(z), L = -log p_y; the gradient dL/dz = p - onehot(y) is the result every
classifier's backward pass starts from. The exponentials need a calculator; everything else
is a few additions and one division per class.
"""

import math

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Index,
    Mistake,
    Part,
    SizedVector,
    central_gradient,
)

TITLE = "Softmax, cross-entropy and its gradient"
SOURCE = "problem catalog, part 2 (mlp/softmax-cross-entropy-gradient)"

PARTS = (
    Part("forward", points=3, answers=("p", "loss"), space="5cm"),
    Part("gradient", points=3, answers=("dL_dz",), space="5cm"),
)


# K (the number of classes) is structure: it sets the length of z and of every answer.
STRUCTURE = ("K",)

PARAMS = (
    Choice("K", (3, 4)),
    SizedVector("z", length="K", low=-2, high=2, step=0.5, lengths=(3, 4)),
    Index("y", size="K", largest=4, noun="class label"),
)

CONSTRAINTS = (
    Constraint("z has K entries", lambda p: len(p["z"]) == p["K"]),
    Constraint("y <= K", lambda p: p["y"] <= p["K"]),
    Constraint("the logits are not all equal (p not uniform)", lambda p: len(set(p["z"])) > 1),
)

# exp() comes from a calculator: the default tolerance (0.5 %, 0.005 near 0).
ANSWERS = (
    Answer("p", "vector", "probabilities p"),
    Answer("loss", "real", "loss L (natural log)"),
    Answer("dL_dz", "vector", "gradient dL/dz"),
)


def solve(p):
    z, y = p["z"], p["y"]
    exps = [math.exp(v) for v in z]
    total = sum(exps)
    probs = [e / total for e in exps]
    onehot = [1 if k == y else 0 for k in range(1, len(z) + 1)]
    loss = -math.log(probs[y - 1])
    return {
        "p": probs,
        "loss": loss,
        "dL_dz": [pk - ek for pk, ek in zip(probs, onehot, strict=True)],
        "K": len(z),
        "exps": exps,
        "total": total,
        "onehot": onehot,
        "z_y": z[y - 1],
        "p_y": probs[y - 1],
        "log_total": math.log(total),
    }


def check(p, answers):
    """Softmax through a log-sum-exp written from the max (no solve helper); the gradient by
    central finite differences of the loss as a function of the logits."""
    import numpy as np

    z = np.array(p["z"], dtype=float)
    label = p["y"] - 1

    def log_softmax(logits):
        top = np.max(logits)
        return logits - (top + np.log(np.sum(np.exp(logits - top))))

    def loss(logits):
        return float(-log_softmax(logits)[label])

    return {
        "p": np.exp(log_softmax(z)),
        "loss": loss(z),
        # truncation ~h^2 |L'''| and rounding ~1e-16 / h: about 1e-9
        "dL_dz": Approx(central_gradient(loss, z), atol=1e-7, rtol=1e-7),
    }


def _softmax(z):
    exps = [math.exp(v) for v in z]
    return [e / sum(exps) for e in exps]


def _onehot(p):
    return [1 if k == p["y"] else 0 for k in range(1, len(p["z"]) + 1)]


MISTAKES = (
    Mistake("no-minus", "forgot the minus sign of the cross-entropy (L = log p_y)",
            lambda p: {"loss": math.log(_softmax(p["z"])[p["y"] - 1])}),
    Mistake("onehot-minus-p", "took the gradient as onehot(y) - p (the descent direction, not the gradient)",
            lambda p: {"dL_dz": [e - q for e, q in zip(_onehot(p), _softmax(p["z"]), strict=True)]}),
    Mistake("z-for-p", "used the logits z in place of the probabilities p (dL/dz = z - onehot(y))",
            lambda p: {"dL_dz": [v - e for v, e in zip(p["z"], _onehot(p), strict=True)]}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "forward": (
        Step("softmax probabilities (exponentials normalised)", 0.5),
        Step("cross-entropy loss -log p_y", 0.5),
    ),
    "gradient": (
        Step("dL/dz = p - onehot(y)", "2/3"),
        Step("the numbers", "1/3"),
    ),
}
