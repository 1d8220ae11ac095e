"""optimization/sgd-ema-prox: instances computed by hand."""

import dataclasses

import numpy as np
import pytest

from generator.instance import check_instance, make_instance
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)

TWO_STEPS = {"q": 0.2, "eps": 0.4, "lam": 1.5, "theta0": [2, -2], "grads": [[-3, 1], [-1, 2]]}
THREE_STEPS = {"q": 0.5, "eps": 0.1, "lam": 1.0, "theta0": [1, -1], "grads": [[2, -2], [2, 2], [-2, 2]]}


def matrix(rows):
    """Rows as a float array, so that pytest.approx compares matrices element by element."""
    return np.array(rows, dtype=float)


def test_two_steps_by_hand():
    # g~1 = 0.2 (-3, 1) = (-0.6, 0.2); g~2 = 0.8 (-0.6, 0.2) + 0.2 (-1, 2) = (-0.68, 0.56).
    # explicit, 1 - eps lam = 0.4: theta1 = 0.4 (2, -2) - 0.4 (-0.6, 0.2) = (1.04, -0.88),
    #   theta2 = 0.4 (1.04, -0.88) - 0.4 (-0.68, 0.56) = (0.688, -0.576).
    # prox, 1 + eps lam = 1.6: theta1 = (2.24, -2.08)/1.6 = (1.4, -1.3),
    #   theta2 = ((1.4, -1.3) - 0.4 (-0.68, 0.56))/1.6 = (1.672, -1.524)/1.6 = (1.045, -0.9525).
    # eps' = 0.4/(1 - 0.6) = 1.
    instance = make_instance(PROBLEM, TWO_STEPS)
    assert matrix(instance.answers["g_smoothed"]) == pytest.approx(matrix([[-0.6, 0.2], [-0.68, 0.56]]))
    assert matrix(instance.answers["theta_explicit"]) == pytest.approx(matrix([[1.04, -0.88], [0.688, -0.576]]))
    assert matrix(instance.answers["theta_prox"]) == pytest.approx(matrix([[1.4, -1.3], [1.045, -0.9525]]))
    assert instance.exact["theta_prox"] == [["7/5", "-13/10"], ["209/200", "-381/400"]]
    assert instance.answers["eps_prime_equivalent"] == 1
    assert check_instance(PROBLEM, instance) == []


def test_three_steps_by_hand():
    # g~ = (1, -1), (1.5, 0.5), (-0.25, 1.25).
    # explicit, factor 0.9: (0.8, -0.8), (0.57, -0.77), (0.538, -0.818).
    # prox, divide by 1.1: (9/11, -9/11); (9/11 - 0.15, -9/11 - 0.05)/1.1 = (147/242, -191/242);
    #   (147/242 + 0.025, -191/242 - 0.125)/1.1 = (3061/5324, -4425/5324).
    # eps' = 0.1/0.9 = 1/9.
    instance = make_instance(PROBLEM, THREE_STEPS)
    assert matrix(instance.answers["g_smoothed"]) == pytest.approx(matrix([[1, -1], [1.5, 0.5], [-0.25, 1.25]]))
    assert matrix(instance.answers["theta_explicit"]) == pytest.approx(matrix([[0.8, -0.8], [0.57, -0.77], [0.538, -0.818]]))
    assert matrix(instance.answers["theta_prox"]) == pytest.approx(matrix(
        [[9 / 11, -9 / 11], [147 / 242, -191 / 242], [3061 / 5324, -4425 / 5324]]))
    assert instance.exact["theta_prox"][2] == ["3061/5324", "-4425/5324"]
    assert instance.answers["eps_prime_equivalent"] == pytest.approx(1 / 9)
    assert check_instance(PROBLEM, instance) == []


def test_prox_with_eps_prime_reproduces_the_explicit_step():
    # theta1 explicit = (0.8, -0.8); prox step with eps' = 1/9 from (1, -1) and g~1 = (1, -1):
    # ((1, -1) - (1/9)(1, -1))/(1 + 1/9) = (8/9)/(10/9) (1, -1) = (0.8, -0.8).
    instance = make_instance(PROBLEM, THREE_STEPS)
    eps_prime = instance.answers["eps_prime_equivalent"]
    prox_step = [(t - eps_prime * g) / (1 + eps_prime * 1.0) for t, g in zip([1, -1], [1, -1], strict=True)]
    assert prox_step == pytest.approx(instance.answers["theta_explicit"][0])


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, TWO_STEPS)
    for field, wrong_value in (("g_smoothed", [[-3, 1], [-1, 2]]),
                               ("theta_explicit", [[1.04, -0.88], [0.688, -0.5]]),
                               ("theta_prox", [[1.4, -1.3], [1.672, -1.524]]),
                               ("eps_prime_equivalent", 0.25)):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: wrong_value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
