"""probability/prior-shift: a hand-computed instance and the check catching wrong answers."""

import pytest

from generator.instance import check_instance, draw_instance, make_instance
from generator.params import check_params
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# Weights p*(y)/p(y) = (0.4/0.8, 0.6/0.2) = (1/2, 3).
#   x_1: (0.35, 0.9)/1.25 = (7/25, 18/25): class 1 -> 2
#   x_2: (0.45, 0.3)/0.75 = (3/5, 2/5):    class 1 -> 1
#   x_3: (0.2, 1.8)/2     = (1/10, 9/10):  class 2 -> 2
PARAMS = {
    "prior_train": [0.8, 0.2],
    "prior_deploy": [0.4, 0.6],
    "outputs": [[0.7, 0.3], [0.9, 0.1], [0.4, 0.6]],
}


def test_hand_computed_instance():
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, PARAMS, "test")
    instance = make_instance(PROBLEM, PARAMS)
    expected = [[0.28, 0.72], [0.6, 0.4], [0.1, 0.9]]
    for row, hand in zip(instance.answers["posteriors_shifted"], expected, strict=True):
        assert row == pytest.approx(hand)
    assert instance.exact["posteriors_shifted"] == [["7/25", "18/25"], ["3/5", "2/5"], ["1/10", "9/10"]]
    assert instance.answers["decisions_before"] == [1, 1, 2]
    assert instance.answers["decisions_after"] == [2, 1, 2]
    assert instance.answers["changed"] == [True, False, False]      # JSON booleans in the key
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_wrong_answers():
    instance = make_instance(PROBLEM, PARAMS)
    answers = {**instance.answers, "changed": [False, False, False], "decisions_after": [1, 1, 2],
               "posteriors_shifted": [[0.7, 0.3], [0.9, 0.1], [0.4, 0.6]]}
    wrong = type(instance)(instance.problem_id, instance.params, answers, instance.exact, instance.values)
    fields = {m.split(":")[0] for m in check_instance(PROBLEM, wrong)}
    assert fields == {"changed", "decisions_after", "posteriors_shifted"}


def test_an_unchanged_instance_is_refused():
    # A milder shift, weights (7/8, 3/2), moves no decision: x_1 (0.6125, 0.45) stays class 1,
    # x_2 (0.7875, 0.15) class 1, x_3 (0.35, 0.9) class 2.
    mild = {**PARAMS, "prior_deploy": [0.7, 0.3]}
    instance = draw_instance(PROBLEM, Sampler(0, PROBLEM.id), mild)
    assert instance.answers["decisions_after"] == [1, 1, 2]
    assert any("at least one decision changes" in w and "pedagogical" in w for w in instance.warnings)


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
