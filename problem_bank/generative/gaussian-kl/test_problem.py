"""generative/gaussian-kl: hand-computed instances for both priors, the check agreeing with the
solver over many seeds, refused pins, and the seed snapshot."""

import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance
from generator.params import check_params
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

STANDARD = {"D": 2, "prior": "standard", "mu": [1, -0.5], "logvar": [0, 1], "mu2": [0, 0], "logvar2": [0, 0]}
LEARNED = {"D": 2, "prior": "gaussian", "mu": [1, 2], "logvar": [0, 0], "mu2": [0, 1], "logvar2": [1, 0]}


def test_standard_prior_by_hand():
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, STANDARD, "test")
    instance = make_instance(PROBLEM, STANDARD)
    # 1/2 (sigma^2 + mu^2 - 1 - logvar): 1/2 (1 + 1 - 1 - 0) + 1/2 (e + 0.25 - 1 - 1) = (e - 0.75) / 2
    assert instance.answers["kl"] == pytest.approx((math.e - 0.75) / 2)            # 0.984141
    assert instance.answers["dkl_dmu"] == pytest.approx([1, -0.5])
    assert instance.answers["dkl_dlogvar"] == pytest.approx([0, (math.e - 1) / 2])   # 0, 0.859141
    assert check_instance(PROBLEM, instance) == []


def test_learned_prior_by_hand():
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, LEARNED, "test")
    instance = make_instance(PROBLEM, LEARNED)
    # coordinate 1: 1/2 (1 - 0 + (1 + 1)/e - 1) = 1/e; coordinate 2: 1/2 (0 + (1 + 1)/1 - 1) = 1/2
    assert instance.answers["kl"] == pytest.approx(1 / math.e + 0.5)               # 0.867879
    assert instance.answers["dkl_dmu"] == pytest.approx([1 / math.e, 1])
    assert instance.answers["dkl_dlogvar"] == pytest.approx([(1 / math.e - 1) / 2, 0])
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, STANDARD)
    wrong = type(instance)(instance.problem_id, instance.params,
                           {**instance.answers, "kl": 1.97, "dkl_dlogvar": [0, math.e - 1]},
                           instance.exact, instance.values)
    messages = check_instance(PROBLEM, wrong)
    assert any(m.startswith("kl") for m in messages)
    assert any(m.startswith("dkl_dlogvar") for m in messages)


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, range(200))


def test_pins_that_break_the_prior_are_refused():
    with pytest.raises(ExamgenError, match="prior standard"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**STANDARD, "mu2": [0, 1]}, "test")
    with pytest.raises(ExamgenError, match="D entries"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**STANDARD, "mu": [1, 0, 0]}, "test")


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
