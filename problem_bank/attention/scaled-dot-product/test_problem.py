"""attention/scaled-dot-product: instances worked by hand, with and without the causal mask,
check against solve over many seeds, wrong answers caught, the declared mistakes, the snapshot."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance, mistake_answers
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# Q K^T = [[2, 0], [0, -2]]: the scores are sqrt(2) * [[1, 0], [0, -1]].
TWO = {"n": 2, "causal": False, "Q": [[1, 1], [1, -1]], "K": [[1, 1], [-1, 1]], "V": [[1, 0], [0, 2]]}
R2 = math.sqrt(2)


def same_rows(got, expected):
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert row == pytest.approx(want)


def test_two_tokens_by_hand():
    a = make_instance(PROBLEM, TWO).answers
    same_rows(a["scores"], [[R2, 0], [0, -R2]])
    # row 1: e^{sqrt 2} / (e^{sqrt 2} + 1) = 1 / (1 + e^{-sqrt 2}) = 0.804429...
    w11 = 1 / (1 + math.exp(-R2))
    assert w11 == pytest.approx(0.8044, abs=1e-4)
    same_rows(a["weights"], [[w11, 1 - w11], [w11, 1 - w11]])   # row 2: the same scores, in reverse order
    # out row = w11 * (1, 0) + (1 - w11) * (0, 2)
    same_rows(a["out"], [[w11, 2 * (1 - w11)], [w11, 2 * (1 - w11)]])
    assert check_instance(PROBLEM, make_instance(PROBLEM, TWO)) == []


def test_causal_mask_by_hand():
    # Q K^T = [[1, 2, 0], [-1, 0, 2], [-1, 2, 4]]: query 1 sees key 1 only, query 2 keys 1-2.
    params = {"n": 3, "causal": True, "Q": [[1, 0], [0, 1], [1, 2]], "K": [[1, -1], [2, 0], [0, 2]],
              "V": [[2, 0], [0, -2], [1, 1]]}
    a = make_instance(PROBLEM, params).answers
    dots = [[1, 2, 0], [-1, 0, 2], [-1, 2, 4]]
    same_rows(a["scores"], [[v / R2 for v in row] for row in dots])
    assert a["weights"][0] == [1, 0, 0]
    w = 1 / (1 + math.exp(1 / R2))                  # e^{-1/sqrt2} / (e^{-1/sqrt2} + e^0)
    assert a["weights"][1] == pytest.approx([w, 1 - w, 0])
    assert a["weights"][1][2] == 0
    e = [math.exp(-1 / R2), math.exp(R2), math.exp(2 * R2)]
    assert a["weights"][2] == pytest.approx([v / sum(e) for v in e])
    assert a["out"][0] == pytest.approx([2, 0])
    assert a["out"][1] == pytest.approx([2 * w, -2 * (1 - w)])
    assert check_instance(PROBLEM, make_instance(PROBLEM, params)) == []


def test_mistakes_by_hand():
    mistakes = {m.name: m for m in PROBLEM.mistakes}
    unscaled = mistake_answers(PROBLEM, mistakes["no-scaling"], TWO)
    assert unscaled["weights"][0] == pytest.approx([1 / (1 + math.exp(-2)), 1 / (1 + math.exp(2))])
    halved = mistake_answers(PROBLEM, mistakes["divided-by-d"], TWO)
    assert halved["scores"] == [[1, 0], [0, -1]]
    # columns normalised: column 1 holds e^{sqrt2}, e^0; column 2 e^0, e^{-sqrt2}
    by_column = mistake_answers(PROBLEM, mistakes["column-softmax"], TWO)
    assert by_column["weights"][0] == pytest.approx([1 / (1 + math.exp(-R2)), 1 / (1 + math.exp(-R2))])
    assert mistake_answers(PROBLEM, mistakes["mask-ignored"], TWO) == {}


@pytest.mark.parametrize("field, value", [
    ("scores", [[2, 0], [0, -2]]),
    ("weights", [[0.8044, 0.1956], [0.1956, 0.8044]]),
    ("out", [[0.8044, 0.3912], [0.8044, 0.4]]),
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, TWO)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_pinning_the_matrices_alone_sets_n():
    arrays = {k: v for k, v in TWO.items() if k != "n"}
    for seed in range(5):
        assert draw_instance(PROBLEM, Sampler(seed, PROBLEM.id), arrays).params["n"] == 2
    with pytest.raises(ExamgenError, match="n rows"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {**TWO, "n": 3})


def test_check_agrees_over_seeds():
    check_agrees(PROBLEM, range(300))


def test_every_structure_is_drawn():
    drawn = {(i.params["n"], i.params["causal"])
             for i in (draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)) for seed in range(40))}
    assert drawn == {(2, False), (2, True), (3, False), (3, True)}


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
