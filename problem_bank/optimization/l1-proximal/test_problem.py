"""optimization/l1-proximal: instances worked by hand, check against solve, snapshot."""

import dataclasses

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance, mistake_answers
from generator.params import check_params
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

BY_HAND = {"theta": [1.2, -0.3, 0.5, -1.4], "g": [2, -1, 3, 1], "eps": 0.2, "lam": 1}


def test_by_hand():
    # a = theta - 0.2 g = (0.8, -0.1, -0.1, -1.6); threshold 0.2 * 1 = 0.2:
    # 0.8 -> 0.6, |-0.1| < 0.2 -> 0 (twice), -1.6 -> -1.4.
    instance = make_instance(PROBLEM, BY_HAND)
    assert instance.answers["a"] == pytest.approx([0.8, -0.1, -0.1, -1.6])
    assert instance.answers["theta_next"] == pytest.approx([0.6, 0, 0, -1.4])
    assert instance.answers["zeroed"] == [False, True, True, False]
    assert check_instance(PROBLEM, instance) == []


def test_quarter_steps_by_hand():
    # eps = 0.25, lam = 1: a = (0.6 - 0.25, -0.4 + 0.75, 1 - 0.5, 0.2 - 0.25) = (0.35, 0.35, 0.5, -0.05);
    # threshold 0.25: (0.1, 0.1, 0.25, 0).
    instance = make_instance(PROBLEM, {"theta": [0.6, -0.4, 1.0, 0.2], "g": [1, -3, 2, 1], "eps": 0.25, "lam": 1})
    assert instance.answers["a"] == pytest.approx([0.35, 0.35, 0.5, -0.05])
    assert instance.answers["theta_next"] == pytest.approx([0.1, 0.1, 0.25, 0])
    assert instance.answers["zeroed"] == [False, False, False, True]
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_by_hand():
    def wrong(name):
        return mistake_answers(PROBLEM, next(m for m in PROBLEM.mistakes if m.name == name), BY_HAND)

    assert wrong("subgradient-step")["theta_next"] == pytest.approx([0.6, 0.1, 0.1, -1.4])
    assert wrong("subgradient-step")["zeroed"] == [False] * 4
    assert wrong("no-sign")["theta_next"] == pytest.approx([0.6, 0, 0, 1.4])
    assert wrong("threshold-lam")["theta_next"] == pytest.approx([0, 0, 0, -0.6])


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, BY_HAND)
    for field, value in (("a", [0.8, -0.1, -0.1, -1.5]), ("theta_next", [0.6, 0.1, 0, -1.4]),
                         ("zeroed", [False, True, False, False])):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_a_pinned_kink_is_one_clear_error():
    # theta_2 = -0.2 and g_2 = 0: a_2 = -0.2 = -eps lam, on the kink.
    with pytest.raises(ExamgenError, match="kink"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints,
                     {**BY_HAND, "theta": [1.2, -0.2, 0.5, -1.4], "g": [2, 0, 3, 1]}, "spec")


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, range(300))


def test_snapshot():
    check_snapshot(PROBLEM)
