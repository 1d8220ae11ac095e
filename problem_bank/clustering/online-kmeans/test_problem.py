"""clustering/online-kmeans: one data set run by hand under each schedule, and the check
catching wrong answers."""

import pytest

from generator.answers import expressions_equal
from generator.instance import check_instance, make_instance
from generator.params import check_params
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)
DATA = {"centers0": [[0, 0], [6, 6]], "points": [[2, 0], [6, 4], [0, 2]], "alpha": 0.5}


def solved(schedule):
    params = {**DATA, "schedule": schedule}
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, params, "test")
    return make_instance(PROBLEM, params)


def test_running_means_by_hand():
    # x_1 -> y_1 (4 < 52): y_1 = (2, 0); x_2 -> y_2 (4 < 32): y_2 = (6, 4);
    # x_3 -> y_1 (8 < 40), n_1 = 2: y_1 = (2, 0) + 1/2 (-2, 2) = (1, 1), the mean of x_1 and x_3.
    instance = solved("1/n_k")
    assert instance.answers["assignments"] == [1, 2, 1]
    assert instance.answers["centers_history"] == [[[2, 0], [6, 6]], [[2, 0], [6, 4]], [[1, 1], [6, 4]]]
    assert instance.answers["centers"] == [[1, 1], [6, 4]]
    assert check_instance(PROBLEM, instance) == []


def test_one_over_t_by_hand():
    # alpha = 1, 1/2, 1/3: y_1 = (2, 0); y_2 = (6, 6) + 1/2 (0, -2) = (6, 5);
    # x_3 -> y_1 (8 < 45): y_1 = (2, 0) + 1/3 (-2, 2) = (4/3, 2/3).
    instance = solved("1/t")
    assert instance.answers["assignments"] == [1, 2, 1]
    for row, hand in zip(instance.answers["centers"], [[4 / 3, 2 / 3], [6, 5]], strict=True):
        assert row == pytest.approx(hand)
    assert instance.exact["centers"] == [["4/3", "2/3"], ["6", "5"]]
    assert check_instance(PROBLEM, instance) == []


def test_constant_rate_by_hand():
    # alpha = 0.5: y_1 = (1, 0); x_2 -> y_2 (4 < 41): y_2 = (6, 5); x_3 -> y_1 (5 < 45): y_1 = (0.5, 1).
    instance = solved("const")
    assert instance.answers["centers_history"] == [[[1, 0], [6, 6]], [[1, 0], [6, 5]], [[0.5, 1], [6, 5]]]
    assert check_instance(PROBLEM, instance) == []


def test_epoch_cost_is_graded_symbolically():
    instance = solved("1/n_k")
    answer = PROBLEM.answer("epoch_cost")
    assert expressions_equal(instance.answers["epoch_cost"], "O(K*m*n)", answer.symbols)
    assert not expressions_equal(instance.answers["epoch_cost"], "O(m*K)", answer.symbols)


def test_check_catches_wrong_answers():
    instance = solved("1/n_k")
    answers = {**instance.answers, "assignments": [1, 2, 2], "centers": [[2, 0], [6, 4]],
               "epoch_cost": "O(n*m**2*K)"}
    wrong = type(instance)(instance.problem_id, instance.params, answers, instance.exact, instance.values)
    fields = {m.split(":")[0] for m in check_instance(PROBLEM, wrong)}
    assert fields == {"assignments", "centers", "epoch_cost"}


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
