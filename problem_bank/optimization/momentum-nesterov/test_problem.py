"""optimization/momentum-nesterov: an instance worked by hand, check against solve, snapshot."""

import dataclasses

import numpy as np
import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance, mistake_answers
from generator.params import check_params
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

BY_HAND = {"A": [[2, 1], [1, 3]], "b": [1, -1], "w0": [2, 1], "lr": 0.2, "beta": 0.5, "T": 2, "method": "both"}


def test_two_steps_by_hand():
    # grad f(w0) = A (2, 1) - b = (4, 6); v1 = (4, 6); w1 = (2, 1) - 0.2 (4, 6) = (1.2, -0.2) for both.
    # heavy ball: grad f(w1) = (1.2, 1.6); v2 = 0.5 (4, 6) + (1.2, 1.6) = (3.2, 4.6);
    #   w2 = (1.2, -0.2) - 0.2 (3.2, 4.6) = (0.56, -1.12).
    # Nesterov: look-ahead w1 - 0.1 (4, 6) = (0.8, -0.8); grad there = (-0.2, -0.6);
    #   v2 = (2, 3) + (-0.2, -0.6) = (1.8, 2.4); w2 = (1.2, -0.2) - 0.2 (1.8, 2.4) = (0.84, -0.68).
    # f(0.56, -1.12): A w = (0, -2.8), w.Aw/2 = 1.568, b.w = 1.68 -> -0.112.
    # f(0.84, -0.68): A w = (1, -1.2), w.Aw/2 = 0.828, b.w = 1.52 -> -0.692.
    instance = make_instance(PROBLEM, BY_HAND)
    assert np.array(instance.answers["w_momentum"]) == pytest.approx(np.array([[2, 1], [1.2, -0.2], [0.56, -1.12]]))
    assert np.array(instance.answers["w_nesterov"]) == pytest.approx(np.array([[2, 1], [1.2, -0.2], [0.84, -0.68]]))
    assert instance.answers["f_final"] == pytest.approx([-0.112, -0.692])
    assert instance.exact["w_nesterov"][2] == ["21/25", "-17/25"]
    assert check_instance(PROBLEM, instance) == []


def test_method_names_the_final_values():
    for method, expected in (("momentum", [-0.112]), ("nesterov", [-0.692])):
        instance = make_instance(PROBLEM, {**BY_HAND, "method": method})
        assert instance.answers["f_final"] == pytest.approx(expected)
        assert check_instance(PROBLEM, instance) == []


def test_mistakes_by_hand():
    # without the look-ahead Nesterov is heavy ball; without momentum w2 = w1 - 0.2 (1.2, 1.6) = (0.96, -0.52).
    wrong = mistake_answers(PROBLEM, next(m for m in PROBLEM.mistakes if m.name == "no-lookahead"), BY_HAND)
    assert np.array(wrong["w_nesterov"]) == pytest.approx(np.array([[2, 1], [1.2, -0.2], [0.56, -1.12]]))
    wrong = mistake_answers(PROBLEM, next(m for m in PROBLEM.mistakes if m.name == "no-momentum"), BY_HAND)
    assert np.array(wrong["w_momentum"])[2] == pytest.approx([0.96, -0.52])


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, BY_HAND)
    for field, value in (("w_momentum", [[2, 1], [1.2, -0.2], [0.56, -1.1]]),
                         ("w_nesterov", [[2, 1], [1.2, -0.2], [0.56, -1.12]]),
                         ("f_final", [-0.112, -0.69])):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, range(300))


def test_a_pinned_asymmetric_matrix_is_one_clear_error():
    with pytest.raises(ExamgenError, match="symmetric"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**BY_HAND, "A": [[2, 1], [0, 3]]}, "spec")


def test_snapshot():
    check_snapshot(PROBLEM)
