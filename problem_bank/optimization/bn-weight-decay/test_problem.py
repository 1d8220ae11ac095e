"""optimization/bn-weight-decay: instances computed by hand."""

import dataclasses
import math

import pytest

from generator.answers import expressions_equal
from generator.instance import check_instance, draw_instance, make_instance
from generator.params import check_params
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def _instance(params):
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, params, "test")
    return make_instance(PROBLEM, params)


def test_norm_decreases_by_hand():
    # 1 - alpha lam = 1 - 0.2 = 0.8, alpha a = 0.4: ||w_1||^2 = 0.64 + 0.16 = 0.8, ||w_1|| = 2/sqrt(5).
    # Threshold 2 lam / (lam^2 + a^2) = 1 / 1.25 = 0.8 > alpha = 0.4.
    instance = _instance({"lam": 0.5, "a": 1.0, "alpha": 0.4, "phi": 0})
    assert instance.answers["norm_after_step"] == pytest.approx(2 / math.sqrt(5))
    assert instance.exact["norm_after_step"] == "2*sqrt(5)/5"
    assert instance.answers["norm_decreases"] is True
    assert instance.answers["alpha_threshold"] == pytest.approx(0.8)
    assert expressions_equal(instance.answers["grad_R"], "w*lam", ("lam", "w"))
    assert check_instance(PROBLEM, instance) == []


def test_norm_increases_by_hand():
    # 1 - 0.5 * 0.2 = 0.9, 0.5 * 1.5 = 0.75: ||w_1||^2 = 0.81 + 0.5625 = 1.3725 > 1.
    # Threshold 0.4 / (0.04 + 2.25) = 40/229 < 0.5.
    instance = _instance({"lam": 0.2, "a": 1.5, "alpha": 0.5, "phi": 135})
    assert instance.answers["norm_after_step"] == pytest.approx(math.sqrt(1.3725))
    assert instance.answers["norm_decreases"] is False
    assert instance.answers["alpha_threshold"] == pytest.approx(40 / 229)
    assert instance.exact["alpha_threshold"] == "40/229"
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    instance = _instance({"lam": 0.5, "a": 1.0, "alpha": 0.4, "phi": 0})
    for field, wrong_value in (("norm_decreases", False), ("alpha_threshold", 1.0), ("norm_after_step", 0.8),
                               ("grad_R", "lam*w/2")):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: wrong_value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_step_at_the_threshold_is_a_warning():
    # alpha = 2 lam / (lam^2 + a^2) = 0.8 exactly: ||w_1|| = 1, neither a decrease nor an increase.
    instance = draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {"lam": 0.5, "a": 1.0, "alpha": 0.8, "phi": 0})
    assert instance.answers["norm_after_step"] == pytest.approx(1.0)
    assert any("threshold" in w and "pedagogical" in w for w in instance.warnings)


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
