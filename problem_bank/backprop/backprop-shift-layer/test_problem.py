"""backprop/backprop-shift-layer: hand-computed instances (m = 2 as on the sheet, and m = 3
with an input that feeds no output), pinned-value errors, wrong answers caught by check."""

import dataclasses

import pytest

from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# The sheet's shift m = 2 with N = 6. By hand: pair sums x_i + x_{i+2} = 4, -2, 5, -1.
SHEET_SHIFT = {"N": 6, "m": 2, "a": 2, "b": -1, "x": [1, -2, 3, 0, 2, -1], "g": [1, 2, -1, 3]}


def test_sheet_shift_by_hand():
    instance = make_instance(PROBLEM, SHEET_SHIFT)
    assert instance.answers["y"] == [7, -5, 9, -3]                 # 2 * (4, -2, 5, -1) - 1
    assert instance.answers["dL_db"] == 5                          # 1 + 2 - 1 + 3
    assert instance.answers["dL_da"] == -8                         # 4 - 4 - 5 - 3
    # j = 1, 2: a g_j;  j = 3, 4: a (g_j + g_{j-2});  j = 5, 6: a g_{j-2}.
    # (The sheet's eq. (6) lets j = 2 and j = N - 2 fall into two cases at once.)
    assert instance.answers["dL_dx"] == [2, 4, 0, 10, -2, 6]
    assert check_instance(PROBLEM, instance) == []


def test_input_feeding_no_output_by_hand():
    # N = 5, m = 3: y_1 = a (x_1 + x_4) + b, y_2 = a (x_2 + x_5) + b; x_3 enters neither.
    params = {"N": 5, "m": 3, "a": -1.5, "b": 0.5, "x": [1, 2, 3, 4, 5], "g": [2, -1]}
    instance = make_instance(PROBLEM, params)
    assert instance.answers["y"] == [-7, -10]                      # -1.5 * 5 + 0.5, -1.5 * 7 + 0.5
    assert instance.answers["dL_db"] == 1
    assert instance.answers["dL_da"] == 3                          # 2 * 5 - 1 * 7
    assert instance.answers["dL_dx"] == [-3, 1.5, 0, -3, 1.5]
    assert check_instance(PROBLEM, instance) == []
    # It can also be drawn with these pins: no declared mistake coincides with the answer.
    drawn = draw_instance(PROBLEM, Sampler(1, PROBLEM.id), params)
    assert drawn.answers == instance.answers


@pytest.mark.parametrize("field, value", [
    ("dL_dx", [2, 4, -2, 10, -2, 6]),      # j = 3 given only a g_3 (one term instead of two)
    ("dL_da", -6),                          # sum g_i x_i, the pair's second half forgotten
    ("y", [7, -5, 9, -2]),
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, SHEET_SHIFT)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_declared_mistakes_differ_from_the_answer():
    for mistake in PROBLEM.mistakes:
        wrong = mistake.wrong(SHEET_SHIFT)
        assert wrong, mistake.name
        right = make_instance(PROBLEM, SHEET_SHIFT).answers
        assert all(wrong[name] != right[name] for name in wrong), mistake.name


def test_pinned_degenerate_gradient_is_a_warning():
    # g = 0 is degenerate (every gradient 0) but solvable: taken, with the constraint named.
    instance = draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {"N": 5, "m": 2, "g": [0, 0, 0]})
    assert instance.answers["dL_dx"] == [0, 0, 0, 0, 0] and instance.answers["dL_db"] == 0
    assert any("pedagogical constraint 'g is not all zero'" in w for w in instance.warnings)


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
