"""regularization/gradient-norm-bounds: instances computed by hand."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance
from generator.params import check_params
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def _instance(params):
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, params, "test")  # a valid pinned instance
    return make_instance(PROBLEM, params)


def test_small_network_by_hand():
    # z = W^T x + b = (1 + 3 + 0, -2 + 1 - 2) = (4, -3): only unit 1 is active, f = 4, df/dx = W[:, 1] = (1, 3).
    # ||W||_F^2 = 1 + 4 + 9 + 1 = 15; row l1 norms (3, 4): ||W||_Mix = 5; sqrt(2) ||W||_F = sqrt(30).
    params = {"W": [[1, -2], [3, 1]], "b": [0, -2], "x": [1, 1], "gamma": 0.05}
    instance = _instance(params)
    assert instance.answers["f"] == 4
    assert instance.answers["grad_x"] == [1, 3]
    assert instance.answers["grad_norm"] == pytest.approx(math.sqrt(10))
    assert instance.answers["fro"] == pytest.approx(math.sqrt(15))
    assert instance.answers["bound_fro"] == pytest.approx(math.sqrt(30))
    assert instance.answers["mix"] == 5
    assert instance.answers["grad_mix_sq"] == [[6, -6], [8, 8]]
    assert instance.answers["weight_decay_lr"] == pytest.approx(0.025)
    assert instance.exact["fro"] == "sqrt(15)"
    assert check_instance(PROBLEM, instance) == []


def test_three_by_three_by_hand():
    # z = (6 + 2 - 0 - 2, -2 - 3 + 0 + 0, 4 + 2 + 0 - 3) = (6, -5, 3): f = 9, df/dx = W[:, 1] + W[:, 3] = (5, 4, -1).
    # ||df/dx||^2 = 42; ||W||_F^2 = 48 = 16 * 3; sqrt(3 * 48) = 12; row l1 norms (6, 7, 7): Mix^2 = 134.
    params = {"W": [[3, -1, 2], [2, -3, 2], [-3, 2, 2]], "b": [-2, 0, -3], "x": [2, 1, 0], "gamma": 0.03}
    instance = _instance(params)
    assert instance.answers["f"] == 9
    assert instance.answers["grad_x"] == [5, 4, -1]
    assert instance.exact["grad_norm"] == "sqrt(42)"
    assert instance.exact["fro"] == "4*sqrt(3)"
    assert instance.answers["bound_fro"] == 12
    assert instance.answers["mix"] == pytest.approx(math.sqrt(134))
    assert instance.answers["grad_mix_sq"] == [[12, -12, 12], [14, -14, 14], [-14, 14, 14]]
    assert instance.answers["weight_decay_lr"] == pytest.approx(0.015)
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    params = {"W": [[1, -2], [3, 1]], "b": [0, -2], "x": [1, 1], "gamma": 0.05}
    instance = _instance(params)
    for field, wrong_value in (("grad_x", [-1, 4]), ("grad_mix_sq", [[6, 6], [8, 8]]), ("mix", 5.5),
                               ("weight_decay_lr", 0.05)):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: wrong_value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_kink_is_rejected():
    # z_2 = -2 + 1 + 1 = 0: x sits on the kink of unit 2.
    params = {"W": [[1, -2], [3, 1]], "b": [0, 1], "x": [1, 1], "gamma": 0.05}
    with pytest.raises(ExamgenError, match="kink"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, params, "test")


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
