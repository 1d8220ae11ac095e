"""probability/entropy-perplexity: a hand-computed instance in powers of 2, the check agreeing
with the solver over many seeds, refused pins, and the seed snapshot."""

import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance
from generator.params import check_params
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

PARAMS = {"V": 3, "p_true": [0.5, 0.25, 0.25], "q_model": [0.25, 0.5, 0.25], "tokens": [1, 2, 1, 3]}


def test_hand_computed_instance():
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, PARAMS, "test")
    instance = make_instance(PROBLEM, PARAMS)
    ln2 = math.log(2)
    # H(p) = 0.5 ln 2 + 2 * 0.25 ln 4 = 1.5 ln 2
    assert instance.answers["entropy"] == pytest.approx(1.5 * ln2)                    # 1.039721
    # H(p, q) = 0.5 ln 4 + 0.25 ln 2 + 0.25 ln 4 = 1.75 ln 2, i.e. 1.75 bits
    assert instance.answers["cross_entropy"] == pytest.approx(1.75 * ln2)             # 1.213008
    assert instance.answers["bits"] == pytest.approx(1.75)
    # KL = 0.5 ln(0.5/0.25) + 0.25 ln(0.25/0.5) + 0 = 0.25 ln 2
    assert instance.answers["kl"] == pytest.approx(0.25 * ln2)                        # 0.173287
    # q of the tokens: 1/4, 1/2, 1/4, 1/4, product 1/128, so PPL = 128^(1/4) = 2^(7/4)
    assert instance.answers["perplexity"] == pytest.approx(2 ** 1.75)                 # 3.363586
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, PARAMS)
    wrong = type(instance)(instance.problem_id, instance.params,
                           {**instance.answers, "cross_entropy": 1.75, "perplexity": 2 ** 7},
                           instance.exact, instance.values)
    messages = check_instance(PROBLEM, wrong)
    assert any(m.startswith("cross_entropy") for m in messages)
    assert any(m.startswith("perplexity") for m in messages)


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, range(300))


def test_pins_that_are_not_valid_are_refused():
    with pytest.raises(ExamgenError, match="from 1 to V = 3"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**PARAMS, "tokens": [1, 2, 4, 3]}, "test")
    with pytest.raises(ExamgenError, match="sum to 1"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints,
                     {**PARAMS, "q_model": [0.25, 0.5, 0.5]}, "test")
    with pytest.raises(ExamgenError, match="differs from the truth"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints,
                     {**PARAMS, "q_model": [0.5, 0.25, 0.25]}, "test")


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
