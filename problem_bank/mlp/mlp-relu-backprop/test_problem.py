"""mlp/mlp-relu-backprop: an instance worked by hand, check against solve, snapshot."""

import dataclasses

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# z = W1 x + b1 = (1 - 1 + 0.5, -0.5 - 1 + 0.5) = (0.5, -1): unit 1 active, unit 2 not.
# yhat = 2 * 0.5 + (-1) * 0 + 0.5 = 1.5, delta = yhat - t = 0.5, L = 0.125.
HAND = {"d": 2, "m": 2, "W1": [[1, -0.5], [-0.5, -0.5]], "b1": [0.5, 0.5], "w2": [2, -1], "b2": 0.5,
        "x": [1, 2], "t": 1}


def test_one_active_unit_by_hand():
    a = make_instance(PROBLEM, HAND).answers
    assert a["h"] == [0.5, 0]
    assert a["yhat"] == 1.5
    assert a["loss"] == 0.125
    assert a["dL_dw2"] == [0.25, 0]             # delta h
    assert a["dL_db2"] == 0.5
    # dL/dh = delta w2 = (1, -0.5); the mask (1, 0) stops the second unit
    assert a["dL_db1"] == [1, 0]
    assert a["dL_dW1"] == [[1, 2], [0, 0]]      # (1, 0)^T (1, 2)
    assert a["dL_dx"] == [1, -0.5]              # W1^T (1, 0) = first row of W1
    assert check_instance(PROBLEM, make_instance(PROBLEM, HAND)) == []


def test_no_negative_zeros_in_the_key():
    a = make_instance(PROBLEM, HAND).answers
    for value in [*a["dL_dw2"], *a["dL_db1"], *(v for row in a["dL_dW1"] for v in row)]:
        assert str(value) != "-0.0"


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, seeds=range(200))


@pytest.mark.parametrize("field, value", [
    ("dL_db1", [1, -0.5]),                      # gradient through the inactive unit
    ("dL_dW1", [[2, 4], [0, 0]]),               # twice the right one (no 1/2)
    ("dL_dx", [0.5, 1]),
    ("loss", 0.25),
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, HAND)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_mistakes_by_hand():
    wrong = {m.name: m.wrong(HAND) for m in PROBLEM.mistakes}
    assert wrong["no-relu-mask"]["dL_db1"] == [1, -0.5]
    assert wrong["no-half"]["loss"] == 0.25 and wrong["no-half"]["dL_db2"] == 1
    assert wrong["relu-prime-is-h"]["dL_db1"] == [0.5, 0]     # (1, -0.5) * h = (1, -0.5) * (0.5, 0)


def test_pinned_kink_is_an_error():
    with pytest.raises(ExamgenError, match="kink"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {**HAND, "b1": [0, 0.5]})


def test_structure_pin_alone():
    instance = draw_instance(PROBLEM, Sampler(3, PROBLEM.id), {"d": 3, "m": 2})
    assert len(instance.params["W1"]) == 2 and len(instance.params["W1"][0]) == 3
    assert check_instance(PROBLEM, instance) == []


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)


def test_arrays_pinned_without_their_sizes():
    pins = {k: v for k, v in HAND.items() if k not in ("d", "m")}
    instance = draw_instance(PROBLEM, Sampler(1, PROBLEM.id), pins)
    assert (instance.params["d"], instance.params["m"]) == (2, 2)
    assert instance.answers["dL_dx"] == [1, -0.5]


def test_arrays_against_pinned_sizes_are_an_error():
    with pytest.raises(ExamgenError, match="W1 is m x d"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {**HAND, "d": 3})
