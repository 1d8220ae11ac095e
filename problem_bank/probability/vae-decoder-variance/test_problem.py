"""probability/vae-decoder-variance: a hand-computed instance (with the right normalising
constant, not the sheet's slip), symbolic grading of the derivative, and the check catching
wrong answers."""

import math

import pytest

from generator.answers import expressions_equal
from generator.instance import check_instance, make_instance
from generator.params import check_params
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# Residuals (1, 0), (0, 1), (1, 1): squared norms 1, 1, 2, S = 4, N = 3, d = 2.
PARAMS = {"x": [[1, 0], [0, 1], [1, 1]], "mu": [[0, 0], [0, 0], [0, 0]]}


def test_hand_computed_instance():
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, PARAMS, "test")
    instance = make_instance(PROBLEM, PARAMS)
    sigma2 = 4 / (2 * 3)
    assert instance.answers["sigma2_opt"] == pytest.approx(2 / 3)
    assert instance.exact["sigma2_opt"] == "2/3"
    # (1/N) sum_i [-(d/2) log(2 pi) - d log sigma - r_i^2 / (2 sigma^2)] with d = 2:
    by_hand = -math.log(2 * math.pi) - math.log(sigma2) - (4 / 3) / (2 * sigma2)
    assert instance.answers["recon_loglik"] == pytest.approx(by_hand)
    assert instance.answers["recon_loglik"] == pytest.approx(-(math.log(4 * math.pi / 3) + 1))  # -2.432411
    # The sheet's slip, -(d/2) d log(2 pi), would give a different value for d = 2.
    assert instance.answers["recon_loglik"] != pytest.approx(by_hand - math.log(2 * math.pi))
    assert check_instance(PROBLEM, instance) == []


def test_derivative_is_graded_symbolically():
    instance = make_instance(PROBLEM, PARAMS)
    answer = PROBLEM.answer("dloglik_dsigma")
    key = instance.answers["dloglik_dsigma"]
    assert expressions_equal(key, "(r**2 - d*sigma**2)/sigma**3", answer.symbols)
    assert not expressions_equal(key, "-d/sigma - r**2/sigma**3", answer.symbols)


def test_check_catches_wrong_answers():
    instance = make_instance(PROBLEM, PARAMS)
    answers = {**instance.answers, "sigma2_opt": 4 / 3, "recon_loglik": -2.4324 - 2 * math.log(2 * math.pi)}
    wrong = type(instance)(instance.problem_id, instance.params, answers, instance.exact, instance.values)
    fields = {m.split(":")[0] for m in check_instance(PROBLEM, wrong)}
    assert fields == {"sigma2_opt", "recon_loglik"}


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
