"""Scaled dot-product attention for n = 2 or 3 queries and keys of dimension d = 2:
scores S = Q K^T / sqrt(d), weights A = softmax of each row of S (under a causal mask, query i
sees only the keys j <= i), output A V.

The scores are small integers divided by sqrt(2); the exponentials need a calculator, whose
rounding the tolerances (CALC) allow for. `scores` is the unmasked S; the mask
shows in `weights` as exact zeros.
"""

import math
from dataclasses import dataclass, replace

from generator.authoring import Answer, Approx, Choice, Constraint, Matrix, Mistake, Part

TITLE = "Scaled dot-product attention"
SOURCE = "problem catalog, part 2 (attention/scaled-dot-product)"

PARTS = (
    Part("scores", points=2, answers=("scores",), space="4cm"),
    Part("weights", points=4, answers=("weights",), space="6cm"),
    Part("out", points=3, answers=("out",), space="4cm"),
)

D = 2            # query and key dimension

# The number of tokens and the mask change every shape and the solution's form: structure.
STRUCTURE = ("n", "causal")

# |q . k| <= 4 keeps every score within 4 / sqrt(2) ~ 2.83: no weight rounds to 0 or 1.
MAX_ABS_DOT = 4


def _dots(p):
    return [[sum(a * b for a, b in zip(q, k, strict=True)) for k in p["K"]] for q in p["Q"]]


def _visible(p, i, j):
    return not p["causal"] or j <= i


def _softmax_rows(scores, p, by_column=False):
    """Row-wise softmax over the visible entries (masked entries get weight 0); with
    `by_column`, each column normalised instead (a mistake)."""
    n = len(scores)
    weights = [[0.0] * n for _ in range(n)]
    lines = [[(j, i) for j in range(n)] for i in range(n)] if by_column else [[(i, j) for j in range(n)] for i in range(n)]
    for line in lines:
        cells = [(i, j) for i, j in line if _visible(p, i, j)]
        exps = {cell: math.exp(scores[cell[0]][cell[1]]) for cell in cells}
        total = sum(exps.values())
        for (i, j), e in exps.items():
            weights[i][j] = e / total
    return weights


def _attend(p, scale=None, by_column=False, masked=True):
    """(scores, weights, out) for a scaling of the dot products; the keywords serve the mistakes."""
    scale = math.sqrt(D) if scale is None else scale
    scores = [[v / scale for v in row] for row in _dots(p)]
    q = p if masked else {**p, "causal": False}
    weights = _softmax_rows(scores, q, by_column)
    out = [[sum(weights[i][j] * p["V"][j][c] for j in range(len(p["V"]))) for c in range(D)]
           for i in range(len(weights))]
    return scores, weights, out


def _rows_not_uniform(p):
    dots = _dots(p)
    n = len(dots)
    for i in range(n):
        visible = [dots[i][j] for j in range(n) if _visible(p, i, j)]
        if len(visible) > 1 and len(set(visible)) == 1:
            return False
    return True


def _unique_top(p):
    dots = _dots(p)
    n = len(dots)
    for i in range(n):
        visible = sorted((dots[i][j] for j in range(n) if _visible(p, i, j)), reverse=True)
        if len(visible) > 1 and visible[0] == visible[1]:
            return False
    return True


def _scores_ok(p) -> bool:
    return (all(abs(v) <= MAX_ABS_DOT for row in _dots(p) for v in row)
            and _rows_not_uniform(p) and _unique_top(p))


KEY_DRAWS = 20
COUNTS = (2, 3)


@dataclass(frozen=True)
class Tokens(Matrix):
    """Drawn with n rows; a pinned value may have any of COUNTS rows, so that pinning Q, K, V
    alone works (the constraint that they have n rows then redraws n)."""

    def problem_with(self, value, params):
        return Matrix.problem_with(replace(self, rows=COUNTS), value, params)


def _consistent(p) -> bool:
    return len(p["Q"]) == len(p["K"]) == len(p["V"]) == p["n"]


@dataclass(frozen=True)
class Keys(Tokens):
    """The key matrix, drawn again (up to KEY_DRAWS times) until the scores with the queries
    already drawn satisfy the score constraints: rejecting whole instances instead would
    reject three tokens far more often than two, and skew the structure drawn. A pinned K is
    validated as any matrix; the constraints judge it."""

    def draw(self, rng, params):
        for _ in range(KEY_DRAWS):
            K = super().draw(rng, params)
            if _scores_ok({**params, "K": K}):
                return K
        return K   # the constraints reject it, and the whole instance is drawn again

PARAMS = (
    Choice("n", COUNTS),
    Choice("causal", (False, True)),
    Tokens("Q", rows="n", cols=D, low=-2, high=2),
    Keys("K", rows="n", cols=D, low=-2, high=2),
    Tokens("V", rows="n", cols=D, low=-3, high=3),
)

CONSTRAINTS = (
    Constraint("Q, K and V have n rows", _consistent),
    Constraint(f"|q_i . k_j| <= {MAX_ABS_DOT} (scores within about 2.83)",
               lambda p: all(abs(v) <= MAX_ABS_DOT for row in _dots(p) for v in row)),
    Constraint("no query sees only equal scores (its weights would be uniform)",
               lambda p: _consistent(p) and _rows_not_uniform(p)),
    Constraint("every query has one largest visible score (the key it mostly reads is clear)",
               lambda p: _consistent(p) and _unique_top(p)),
    Constraint("the value rows are distinct", lambda p: len({tuple(v) for v in p["V"]}) == len(p["V"])),
)

CALC = {"rtol": 0.005, "atol": 0.002}

ANSWERS = (
    Answer("scores", "matrix", "score matrix S, before any mask", **CALC),
    Answer("weights", "matrix", "attention weights A (masked entries 0)", **CALC),
    Answer("out", "matrix", "output A V (one row per query)", **CALC),
)


def solve(p):
    n = len(p["Q"])
    scores, weights, out = _attend(p)
    dots = _dots(p)
    rows = []
    for i in range(n):
        visible = [j for j in range(n) if _visible(p, i, j)]
        exps = [math.exp(scores[i][j]) for j in visible]
        rows.append({
            "i": i + 1,
            "terms": [{"j": j + 1, "s": scores[i][j], "e": e, "w": weights[i][j]} for j, e in zip(visible, exps, strict=True)],
            "total": sum(exps),
            "hidden": [j + 1 for j in range(n) if j not in visible],
            "exp_cells": [math.exp(scores[i][j]) if j in visible else None for j in range(n)],
            "out_terms": [{"c": c + 1, "terms": [{"w": weights[i][j], "v": p["V"][j][c]} for j in visible],
                           "value": out[i][c]} for c in range(D)],
            "out": out[i],
            "single": len(visible) == 1,
            "top": max(visible, key=lambda j: weights[i][j]) + 1,
            "top_w": max(weights[i][j] for j in visible),
        })
    # Cells of the weight grid: query i is row i from the top, key j column j.
    cells = [{"x": j, "y": n - 1 - i, "w": weights[i][j], "masked": not _visible(p, i, j),
              "shade": round(70 * weights[i][j])} for i in range(n) for j in range(n)]
    return {
        "scores": scores, "weights": weights, "out": out,
        "n": n, "dots": dots, "rows": rows, "cells": cells,
        "masked_scores": [[scores[i][j] if _visible(p, i, j) else None for j in range(n)] for i in range(n)],
        "row_sums": [sum(row) for row in weights],
        "labels": [{"k": k + 1, "x": k + 0.5, "y": n - 1 - k + 0.5} for k in range(n)],
    }


def check(p, answers):
    """Each output row as a weighted average of the value rows, with explicit loops: the scores
    as sums of products divided by sqrt(d), a softmax written with the log-sum-exp shift, and
    the rows of the weights confirmed to sum to 1."""
    import numpy as np

    Q = np.array(p["Q"], dtype=float)
    K = np.array(p["K"], dtype=float)
    V = np.array(p["V"], dtype=float)
    n, d = Q.shape
    scores = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            scores[i, j] = sum(Q[i, c] * K[j, c] for c in range(d)) / np.sqrt(d)
    weights = np.zeros((n, n))
    out = np.zeros((n, V.shape[1]))
    for i in range(n):
        keys = range(i + 1) if p["causal"] else range(n)
        shift = max(scores[i, j] for j in keys)
        log_total = shift + np.log(sum(np.exp(scores[i, j] - shift) for j in keys))
        for j in keys:
            weights[i, j] = np.exp(scores[i, j] - log_total)
        out[i] = sum(weights[i, j] * V[j] for j in keys)
    assert np.allclose(weights.sum(axis=1), 1.0), "attention weights must sum to 1 in every row"
    return {"scores": scores, "weights": Approx(weights.tolist(), atol=1e-12, rtol=1e-9), "out": out}


def _fields(result, names=("scores", "weights", "out")):
    """The named fields of an (scores, weights, out) triple."""
    return {name: value for name, value in zip(("scores", "weights", "out"), result, strict=True) if name in names}


MISTAKES = (
    Mistake("no-scaling", "left out the division by sqrt(d) (softmax of Q K^T)",
            lambda p: _fields(_attend(p, scale=1.0))),
    Mistake("divided-by-d", "divided the scores by d instead of sqrt(d)",
            lambda p: _fields(_attend(p, scale=float(D)))),
    Mistake("column-softmax", "normalised each column (over the queries) instead of each row",
            lambda p: _fields(_attend(p, by_column=True), names=("weights", "out"))),
    Mistake("mask-ignored", "ignored the causal mask (every query attends to every key)",
            lambda p: _fields(_attend(p, masked=False), names=("weights", "out")) if p["causal"] else {}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "scores": (
        Step("the dot products Q K^T", 0.5),
        Step("scaled by 1/sqrt(d_k), masked entries where the statement masks", 0.5),
    ),
    "weights": (
        Step("row-wise exponentials of the scaled scores", 0.5),
        Step("each row normalised to sum to 1 (softmax over the keys)", 0.5),
    ),
    "out": (
        Step("output as the attention weights times V", "2/3"),
        Step("the numbers of every output row (a masked query copies what it sees)", "1/3"),
    ),
}
