"""generative/gan-optimal-discriminator: a hand-computed instance, the check agreeing with the
solver over many seeds, refused pins, and the seed snapshot."""

import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance
from generator.params import check_params
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# Mirror-image distributions: D* = (2/3, 1/2, 1/3), m = (3/8, 1/4, 3/8), and both KLs to m equal.
PARAMS = {"K": 3, "p_data": [0.5, 0.25, 0.25], "p_g": [0.25, 0.25, 0.5]}


def test_hand_computed_instance():
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, PARAMS, "test")
    instance = make_instance(PROBLEM, PARAMS)
    assert instance.answers["d_star"] == pytest.approx([2 / 3, 1 / 2, 1 / 3])
    # KL(p_data || m) = 0.5 ln(4/3) + 0.25 ln(2/3) = 0.143841 - 0.101366 = 0.042475 (= KL(p_g || m))
    assert instance.answers["jsd"] == pytest.approx(0.042475, abs=1e-6)
    # V = 2 * 0.5 ln(2/3) + 2 * 0.25 ln(1/2) + 2 * 0.25 ln(1/3) = -0.405465 - 0.346574 - 0.549306
    assert instance.answers["value"] == pytest.approx(-1.301345, abs=1e-6)
    assert instance.answers["value"] == pytest.approx(-math.log(4) + 2 * 0.042475, abs=1e-5)
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, PARAMS)
    wrong = type(instance)(instance.problem_id, instance.params,
                           {**instance.answers, "d_star": [1 / 3, 1 / 2, 2 / 3], "jsd": 0.085},
                           instance.exact, instance.values)
    messages = check_instance(PROBLEM, wrong)
    assert any(m.startswith("d_star") for m in messages)
    assert any(m.startswith("jsd") for m in messages)


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, range(300))


def test_pins_that_are_not_valid_are_refused():
    with pytest.raises(ExamgenError, match="sum to 1"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints,
                     {**PARAMS, "p_g": [0.3, 0.3, 0.3]}, "test")
    with pytest.raises(ExamgenError, match="K = 3 entries"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints,
                     {**PARAMS, "p_g": [0.25, 0.25, 0.25, 0.25]}, "test")
    with pytest.raises(ExamgenError, match="differs from the data"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints,
                     {**PARAMS, "p_g": [0.5, 0.25, 0.25]}, "test")


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
