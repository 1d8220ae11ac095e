"""backprop/backprop-normalized-linear: a hand-computed instance, the exact radicals against
sympy, the row gradient without a sum over rows, wrong answers caught by check."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# By hand: ||w_1|| = 3, w_1.x + b_1 = 1 - 2 + 1 = 0; ||w_2|| = sqrt 2, w_2.x + b_2 = -1 + 2 = 1.
HAND = {"W": [[1, 2, 2], [0, -1, 1]], "b": [1, 2], "x": [1, 0, -1], "g": [1, -2]}
R2 = math.sqrt(2)


def test_hand_instance():
    instance = make_instance(PROBLEM, HAND)
    a = instance.answers
    assert a["y"] == pytest.approx([0, R2 / 2])                         # 0/3, 1/sqrt 2
    assert a["dL_db"] == pytest.approx([1 / 3, -R2])                    # 1/3, -2/sqrt 2
    # (1/3)(1, 2, 2) - sqrt 2 (0, -1, 1)
    assert a["dL_dx"] == pytest.approx([1 / 3, 2 / 3 + R2, 2 / 3 - R2])
    # Row 1: the norm term vanishes (pre-activation 0): (1/3) x.
    # Row 2: -sqrt 2 (x - (1/2) w_2) = -sqrt 2 (1, 1/2, -3/2).
    assert a["dL_dW"][0] == pytest.approx([1 / 3, 0, -1 / 3])
    assert a["dL_dW"][1] == pytest.approx([-R2, -R2 / 2, 3 * R2 / 2])
    assert instance.exact["y"] == ["0", "sqrt(2)/2"]
    assert instance.exact["dL_dx"] == ["1/3", "2/3 + sqrt(2)", "2/3 - sqrt(2)"]
    assert instance.exact["dL_dW"][1] == ["-sqrt(2)", "-sqrt(2)/2", "3*sqrt(2)/2"]
    assert check_instance(PROBLEM, instance) == []


def test_exact_forms_agree_with_sympy():
    """The problem's own radical arithmetic (fast) against sympy's, over drawn instances."""
    import sympy

    for seed in range(25):
        instance = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id))
        W, b, x, g = (instance.params[k] for k in ("W", "b", "x", "g"))
        norms = [sympy.sqrt(sum(v * v for v in row)) for row in W]
        pre = [sum(w * xj for w, xj in zip(row, x, strict=True)) + bi for row, bi in zip(W, b, strict=True)]
        expected = {
            "y": [sympy.Integer(s) / n for s, n in zip(pre, norms, strict=True)],
            "dL_db": [sympy.Integer(gi) / n for gi, n in zip(g, norms, strict=True)],
            "dL_dx": [sum(sympy.Integer(gi) * row[j] / n for gi, row, n in zip(g, W, norms, strict=True)) for j in range(len(x))],
            "dL_dW": [[gi * (xj / n - s * wj / n**3) for xj, wj in zip(x, row, strict=True)]
                      for gi, row, n, s in zip(g, W, norms, pre, strict=True)],
        }
        for field, values in expected.items():
            flat_exact = _flatten(instance.exact.get(field) or _flatten(instance.answers[field]))
            for text, value in zip(flat_exact, _flatten(values), strict=True):
                assert sympy.simplify(sympy.sympify(str(text)) - value) == 0, (seed, field, text, value)


def _flatten(value):
    if isinstance(value, list):
        return [v for item in value for v in _flatten(item)]
    return [value]


@pytest.mark.parametrize("field, value", [
    # eq. (24) of the sheet summed over i: every row gets the sum of both row gradients
    ("dL_dW", [[1 / 3 - R2, -R2 / 2, -1 / 3 + 3 * R2 / 2]] * 2),
    ("dL_db", [1, -2]),                      # the 1/||w_i|| forgotten
    ("dL_dx", [1 / 3, 2 / 3 - R2, 2 / 3 + R2]),
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, HAND)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_pinned_zero_row_is_an_error():
    with pytest.raises(ExamgenError, match="no zero row"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {**HAND, "W": [[1, 2, 2], [0, 0, 0]]})


def test_all_shapes_are_drawn():
    shapes = {(len(i.params["W"]), len(i.params["x"]))
              for i in (draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)) for seed in range(40))}
    assert shapes == {(2, 2), (2, 3), (3, 2), (3, 3)}


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
