"""optimization/adam-steps: an instance worked by hand, check against solve, snapshot."""

import dataclasses
import math

import numpy as np
import pytest

from generator.instance import check_instance, make_instance, mistake_answers
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

BY_HAND = {"T": 2, "grads": [[2, -1], [-1, 3]], "w0": [1, -1], "lr": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 0.01}


def test_two_steps_by_hand():
    # m1 = 0.5 (2, -1) = (1, -0.5); v1 = 0.1 (4, 1) = (0.4, 0.1).
    # m2 = 0.5 (1, -0.5) + 0.5 (-1, 3) = (0, 1.25); v2 = 0.9 (0.4, 0.1) + 0.1 (1, 9) = (0.46, 0.99).
    # m_hat = m / (0.5, 0.75): (2, -1), (0, 5/3); v_hat = v / (0.1, 0.19): (4, 1), (46/19, 99/19).
    # w1 = (1, -1) - 0.1 (2 / 2.01, -1 / 1.01); w2 = w1 - 0.1 (0, (5/3) / (sqrt(99/19) + 0.01)).
    instance = make_instance(PROBLEM, BY_HAND)
    answers = {name: np.array(value, dtype=float) for name, value in instance.answers.items()}
    assert answers["m"] == pytest.approx(np.array([[1, -0.5], [0, 1.25]]))
    assert answers["v"] == pytest.approx(np.array([[0.4, 0.1], [0.46, 0.99]]))
    assert answers["m_hat"] == pytest.approx(np.array([[2, -1], [0, 5 / 3]]))
    assert answers["v_hat"] == pytest.approx(np.array([[4, 1], [46 / 19, 99 / 19]]))
    w1 = [1 - 0.2 / 2.01, -1 + 0.1 / 1.01]
    w2 = [w1[0], w1[1] - 0.1 * (5 / 3) / (math.sqrt(99 / 19) + 0.01)]
    assert answers["w"] == pytest.approx(np.array([w1, w2]), rel=1e-12)
    assert instance.exact["v_hat"][1] == ["46/19", "99/19"]
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_by_hand():
    # No bias correction: w1 = (1, -1) - 0.1 (1 / (sqrt(0.4) + 0.01), -0.5 / (sqrt(0.1) + 0.01)).
    wrong = mistake_answers(PROBLEM, next(m for m in PROBLEM.mistakes if m.name == "no-bias-correction"), BY_HAND)
    assert wrong["w"][0] == pytest.approx([1 - 0.1 / (math.sqrt(0.4) + 0.01), -1 + 0.05 / (math.sqrt(0.1) + 0.01)])
    # No square root: w1 = (1, -1) - 0.1 (2 / 4.01, -1 / 1.01).
    wrong = mistake_answers(PROBLEM, next(m for m in PROBLEM.mistakes if m.name == "no-sqrt"), BY_HAND)
    assert wrong["w"][0] == pytest.approx([1 - 0.2 / 4.01, -1 + 0.1 / 1.01])


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, BY_HAND)
    for field, value in (("m", [[1, -0.5], [0, 1.2]]), ("v", [[0.4, 0.1], [0.46, 0.9]]),
                         ("m_hat", [[1, -0.5], [0, 1.25]]), ("v_hat", [[0.4, 0.1], [0.46, 0.99]]),
                         ("w", [[0.9, -0.9], [0.9, -0.97]])):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, range(300))


def test_check_agrees_at_eps_zero():
    # With eps = 0 the folded step size is exactly Adam's step; no eps scaling is involved.
    params = {**BY_HAND, "eps": 0}
    answers = PROBLEM.solve(params)
    independent = PROBLEM.check(params, answers)
    assert np.array(independent["w"]) == pytest.approx(np.array(answers["w"]), rel=1e-12)
    assert answers["w"][0] == pytest.approx([0.9, -0.9])


def test_snapshot():
    check_snapshot(PROBLEM)
