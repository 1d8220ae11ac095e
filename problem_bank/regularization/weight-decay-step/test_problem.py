"""regularization/weight-decay-step: instances computed by hand."""

import dataclasses
import math

import pytest
import sympy

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance
from generator.params import check_params
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def _instance(params):
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, params, "test")  # a valid pinned instance
    return make_instance(PROBLEM, params)


def test_orthogonal_data_by_hand():
    # X w = (2, 0), r = (1, -2), X^T r = (-1, 3), grad d = (2/2)(-1, 3).
    # decay 1 - 2*0.1*0.1 = 0.98; w_next = 0.98 (1, 1) - 0.1 (-1, 3) = (1.08, 0.68).
    # X^T X = 2 I, H = (2/2) 2 I: mu_max = 2; alpha_max = 2/(2 + 0.2) = 10/11; no flip below 1/0.2 = 5.
    params = {"c": 1, "lam": 0.1, "alpha": 0.1, "w": [1, 1], "X": [[1, 1], [1, -1]], "t": [1, 2]}
    instance = _instance(params)
    assert instance.answers["grad_d"] == [-1, 3]
    assert instance.answers["decay_factor"] == pytest.approx(0.98)
    assert instance.answers["w_next"] == pytest.approx([1.08, 0.68])
    assert instance.answers["alpha_max_stable"] == pytest.approx(10 / 11)
    assert instance.answers["alpha_max_no_sign_flip"] == 5
    assert instance.values["alpha_is_stable"] is True
    assert check_instance(PROBLEM, instance) == []


def test_half_convention_wide_data_by_hand():
    # c = 1/2, m = 2 < n = 3. X w = (-1, -3), r = (-1, -4), X^T r = (-1, -6, 4) = grad d (2/m = 1).
    # decay 1 - 0.5*0.05 = 0.975; w_next = 0.975 (1, -1, 2) - 0.05 (-1, -6, 4) = (1.025, -0.675, 1.75).
    # X X^T = [[5, 2], [2, 2]] has eigenvalues 6 and 1: mu_max = 6, alpha_max = 2/6.5 = 4/13; 1/lam = 2.
    params = {"c": 0.5, "lam": 0.5, "alpha": 0.05, "w": [1, -1, 2], "X": [[1, 2, 0], [0, 1, -1]], "t": [0, 1]}
    instance = _instance(params)
    assert instance.answers["grad_d"] == [-1, -6, 4]
    assert instance.answers["decay_factor"] == pytest.approx(0.975)
    assert instance.answers["w_next"] == pytest.approx([1.025, -0.675, 1.75])
    assert instance.answers["alpha_max_stable"] == pytest.approx(4 / 13)
    assert instance.exact["alpha_max_stable"] == "4/13"
    assert instance.answers["alpha_max_no_sign_flip"] == 2
    assert check_instance(PROBLEM, instance) == []


def test_irrational_threshold_exact_form():
    # X^T X = [[12, -6], [-6, 5]]: trace 17, det 24, eigenvalues (17 +- sqrt(193))/2, mu_max = (17 + sqrt(193))/3.
    # alpha_max = 2/((17 + sqrt(193))/3 + 1/2) = 12/(37 + 2 sqrt(193)) = (148 - 8 sqrt(193))/199.
    # grad d = (2/3) X^T (X w - t) with r = (7, -6, -7): X^T r = (40, -21), so grad d = (80/3, -14).
    params = {"c": 1, "lam": 0.25, "alpha": 0.05, "w": [2, -1], "X": [[2, -1], [-2, 0], [-2, 2]], "t": [-2, 2, 1]}
    instance = _instance(params)
    assert instance.answers["grad_d"] == pytest.approx([80 / 3, -14])
    assert instance.exact["grad_d"] == ["80/3", "-14"]
    assert instance.answers["alpha_max_stable"] == pytest.approx((148 - 8 * math.sqrt(193)) / 199)
    exact = sympy.sympify(instance.exact["alpha_max_stable"])
    assert sympy.simplify(exact - (148 - 8 * sympy.sqrt(193)) / 199) == 0
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    params = {"c": 1, "lam": 0.1, "alpha": 0.1, "w": [1, 1], "X": [[1, 1], [1, -1]], "t": [1, 2]}
    instance = _instance(params)
    for field, wrong_value in (("w_next", [1.08, 0.58]), ("alpha_max_stable", 1.0), ("decay_factor", 0.99)):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: wrong_value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_cubic_eigenvalue_instances_are_rejected():
    params = {"c": 1, "lam": 0.1, "alpha": 0.1, "w": [1, 1, 1], "X": [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
              "t": [0, 0, 0]}
    with pytest.raises(ExamgenError, match="2 x 2"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, params, "test")


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
