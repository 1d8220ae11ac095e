"""probability/mle-gaussian-bernoulli: hand-computed instances of both models, the check
agreeing with the solver over many seeds, refused pins, and the seed snapshot."""

import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance
from generator.params import check_params
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

BERNOULLI = {"model": "bernoulli", "n": 4, "x": [1, 0, 1, 1]}
GAUSSIAN = {"model": "gaussian", "n": 4, "x": [1, 3, 5, 7]}


def test_bernoulli_by_hand():
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, BERNOULLI, "test")
    instance = make_instance(PROBLEM, BERNOULLI)
    a = instance.answers
    assert a["theta_mle"] == pytest.approx(0.75) and a["mu_mle"] == pytest.approx(0.75)   # 3 successes of 4
    assert a["var_mle"] == pytest.approx(0.1875)                    # 0.75 * 0.25
    assert a["var_unbiased"] == pytest.approx(0.25)                 # 0.1875 * 4/3
    assert a["loglik"] == pytest.approx(-2.249340, abs=1e-6)        # 3 ln 0.75 + ln 0.25
    assert check_instance(PROBLEM, instance) == []


def test_gaussian_by_hand():
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, GAUSSIAN, "test")
    instance = make_instance(PROBLEM, GAUSSIAN)
    a = instance.answers
    assert a["theta_mle"] == pytest.approx(4) and a["mu_mle"] == pytest.approx(4)
    assert a["var_mle"] == pytest.approx(5)                          # (9 + 1 + 1 + 9) / 4
    assert a["var_unbiased"] == pytest.approx(20 / 3)
    assert a["loglik"] == pytest.approx(-2 * (math.log(10 * math.pi) + 1))   # -8.894630 (ln 31.4159 = 3.447315)
    assert a["loglik"] == pytest.approx(-8.894630, abs=1e-6)
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, GAUSSIAN)
    wrong = type(instance)(instance.problem_id, instance.params,
                           {**instance.answers, "var_mle": 20 / 3, "loglik": -2.2224},
                           instance.exact, instance.values)
    messages = check_instance(PROBLEM, wrong)
    assert any(m.startswith("var_mle") for m in messages)
    assert any(m.startswith("loglik") for m in messages)


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, range(200))


def test_degenerate_samples_are_refused():
    with pytest.raises(ExamgenError, match="both outcomes"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**BERNOULLI, "x": [1, 1, 1, 1]}, "test")
    with pytest.raises(ExamgenError, match="0 or 1"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**BERNOULLI, "x": [1, 0, 2, 1]}, "test")
    with pytest.raises(ExamgenError, match="not all equal"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**GAUSSIAN, "x": [3, 3, 3, 3]}, "test")


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
