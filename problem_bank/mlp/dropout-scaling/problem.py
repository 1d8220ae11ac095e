"""Inverted dropout: the scale factor 1/q, one mask's output, and the mean and variance of one
unit's output over the random mask.

All values are exact rationals (a_i and q short decimals); the key holds their exact forms
(5/3 for 1/0.6) beside the decimals.
"""

from fractions import Fraction

from generator.authoring import (
    Answer,
    Choice,
    Constraint,
    Index,
    Mistake,
    Part,
    SizedVector,
    rational,
)

TITLE = "Inverted dropout: scaling, output, mean and variance"
SOURCE = "problem catalog, part 2 (mlp/dropout-scaling)"

PARTS = (
    Part("scale", points=2, answers=("scale",), space="3cm"),
    Part("output", points=2, answers=("out",), space="3cm"),
    Part("moments", points=3, answers=("mean_unit", "var_unit"), space="5cm"),
)


# n (the number of units) is structure; q is a number of the instance.
STRUCTURE = ("n",)

PARAMS = (
    Choice("n", (4, 5, 6)),
    SizedVector("a", length="n", low=-2, high=3, step=0.5, nonzero=True, lengths=(4, 5, 6)),
    Choice("q", (0.5, 0.6, 0.75, 0.8, 0.9)),
    SizedVector("mask", length="n", low=0, high=1, lengths=(4, 5, 6)),
    Index("i", size="n", largest=6, noun="unit index"),
)

CONSTRAINTS = (
    Constraint("a and mask have n entries", lambda p: len(p["a"]) == len(p["mask"]) == p["n"]),
    Constraint("i <= n", lambda p: p["i"] <= p["n"]),
    Constraint("the mask keeps at least one unit and drops at least one",
               lambda p: 0 in p["mask"] and 1 in p["mask"]),
)

ANSWERS = (
    Answer("scale", "real", "the factor applied to kept units during training"),
    Answer("out", "vector", "the training output tilde a for the given mask m"),
    Answer("mean_unit", "real", "E[tilde a_i] over the mask, for the unit i asked about"),
    Answer("var_unit", "real", "Var[tilde a_i] over the mask, for the unit i asked about"),
)


def _exact(value) -> Fraction:
    return Fraction(str(value))


def solve(p):
    q = _exact(p["q"])
    a = [_exact(v) for v in p["a"]]
    a_i = a[p["i"] - 1]
    scale = 1 / q
    out = [m * v * scale for m, v in zip(p["mask"], a, strict=True)]
    var = a_i * a_i * (1 - q) / q
    return {
        "scale": rational(scale),
        "out": [rational(v) for v in out],
        "mean_unit": rational(a_i),
        "var_unit": rational(var),
        "n": len(a),
        "a_i": rational(a_i),
        "kept_value": rational(a_i * scale),           # unit i's output when it is kept
        "second_moment": rational(q * (a_i * scale) ** 2),
        "a_i_sq": rational(a_i * a_i),
        "drop": rational(1 - q),
        "odds": rational((1 - q) / q),
        "units": [{"a": rational(v), "m": m, "out": rational(o)}
                  for v, m, o in zip(a, p["mask"], out, strict=True)],
        "kept": [k + 1 for k, m in enumerate(p["mask"]) if m == 1],
        "dropped": [k + 1 for k, m in enumerate(p["mask"]) if m == 0],
    }


def check(p, answers):
    """Enumerate the two outcomes of unit i's Bernoulli mask (kept with probability q) with
    exact fractions: the scale is the factor that makes the expected output equal the input,
    the mean and variance are sums over the outcomes; the output applies the mask elementwise
    in numpy."""
    import numpy as np

    q = Fraction(str(p["q"]))
    a_i = Fraction(str(p["a"][p["i"] - 1]))
    outcomes = ((q, 1), (1 - q, 0))                    # (probability, mask value)
    unscaled_mean = sum(prob * m * a_i for prob, m in outcomes)
    scale = a_i / unscaled_mean
    values = [(prob, m * a_i * scale) for prob, m in outcomes]
    mean = sum(prob * v for prob, v in values)
    var = sum(prob * (v - mean) ** 2 for prob, v in values)
    a = np.array(p["a"], dtype=float)
    out = np.where(np.array(p["mask"]) == 1, a * float(scale), 0.0)
    return {"scale": float(scale), "out": out, "mean_unit": float(mean), "var_unit": float(var)}


def _q_a(p):
    return Fraction(str(p["q"])), Fraction(str(p["a"][p["i"] - 1]))


MISTAKES = (
    Mistake("no-rescale", "applied the mask without the 1/q (standard dropout at training time)",
            lambda p: {"scale": 1, "out": [m * v for m, v in zip(p["mask"], p["a"], strict=True)],
                       "mean_unit": float(_q_a(p)[0] * _q_a(p)[1])}),
    Mistake("scale-by-q", "multiplied the kept units by q instead of dividing",
            lambda p: {"scale": p["q"], "out": [m * v * p["q"] for m, v in zip(p["mask"], p["a"], strict=True)]}),
    Mistake("bernoulli-variance", "took q (1 - q) a_i^2, the variance without the 1/q scale",
            lambda p: {"var_unit": float(_q_a(p)[0] * (1 - _q_a(p)[0]) * _q_a(p)[1] ** 2)}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "scale": (
        Step("inverted dropout scales kept units by 1/q (q the keep probability)", 1),
    ),
    "output": (
        Step("mask applied and the kept units scaled", 1),
    ),
    "moments": (
        Step("expected value of a unit kept at a", 0.5),
        Step("its variance a^2 (1 - q)/q", 0.5),
    ),
}
