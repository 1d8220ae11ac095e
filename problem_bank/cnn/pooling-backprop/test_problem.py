"""cnn/pooling-backprop: max and average pooling worked by hand, check against solve over many
seeds, wrong answers caught, pinned ties rejected, the snapshot."""

import dataclasses

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance, mistake_answers
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

X = [[1, 5, -2, 0],
     [3, -4, 7, 6],
     [-1, -3, 2, 9],
     [-8, 4, -5, 8]]
G = [[2, -1], [3, -2]]


def test_max_pooling_by_hand():
    # Windows: {1, 5, 3, -4} max 5 at (1, 2); {-2, 0, 7, 6} max 7 at (2, 3);
    # {-1, -3, -8, 4} max 4 at (4, 2); {2, 9, -5, 8} max 9 at (3, 4).
    instance = make_instance(PROBLEM, {"op": "max", "X": X, "G": G})
    assert instance.answers["Y"] == [[5, 7], [4, 9]]
    assert instance.answers["dL_dX"] == [[0, 2, 0, 0],
                                         [0, 0, -1, 0],
                                         [0, 0, 0, -2],
                                         [0, 3, 0, 0]]
    assert check_instance(PROBLEM, instance) == []


def test_average_pooling_by_hand():
    # Sums 5, 11, -8, 14 over four entries; every entry gets G_ab / 4.
    instance = make_instance(PROBLEM, {"op": "avg", "X": X, "G": G})
    assert instance.answers["Y"] == [[1.25, 2.75], [-2, 3.5]]
    assert instance.answers["dL_dX"] == [[0.5, 0.5, -0.25, -0.25],
                                         [0.5, 0.5, -0.25, -0.25],
                                         [0.75, 0.75, -0.5, -0.5],
                                         [0.75, 0.75, -0.5, -0.5]]
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_by_hand():
    mistakes = {m.name: m for m in PROBLEM.mistakes}
    params = {"op": "max", "X": X, "G": G}
    spread = mistake_answers(PROBLEM, mistakes["kinds-confused"], params)["dL_dX"]
    assert spread[0] == [0.5, 0.5, -0.25, -0.25]
    copied = mistake_answers(PROBLEM, mistakes["copied-to-window"], params)["dL_dX"]
    assert copied[3] == [3, 3, -2, -2]
    assert mistake_answers(PROBLEM, mistakes["sum-not-mean"], {**params, "op": "avg"})["Y"] == [[5, 11], [-8, 14]]
    assert mistake_answers(PROBLEM, mistakes["sum-not-mean"], params) == {}


@pytest.mark.parametrize("field, value", [
    ("Y", [[5, 7], [4, 8]]),
    ("dL_dX", [[0, 2, 0, 0], [0, 0, -1, 0], [0, 0, 0, -2], [3, 0, 0, 0]]),   # routed to the wrong cell
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, {"op": "max", "X": X, "G": G})
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_pinned_tie_is_an_error():
    tied = [row[:] for row in X]
    tied[0][0] = 5                       # ties the maximum 5 of the first window
    with pytest.raises(ExamgenError, match="no tie"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {"op": "max", "X": tied, "G": G})
    # average pooling has no maximum to tie
    assert draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {"op": "avg", "X": tied, "G": G}).answers["Y"][0][0] == 2.25


def test_check_agrees_over_seeds():
    check_agrees(PROBLEM, range(300))


def test_both_kinds_are_drawn():
    kinds = {draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)).params["op"] for seed in range(20)}
    assert kinds == {"max", "avg"}


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
