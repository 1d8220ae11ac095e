"""mlp/softmax-cross-entropy-gradient: instances worked by hand, check against solve, snapshot."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# z = (1, 0, 0): S = e + 2 = 4.718281828, so p = (e, 1, 1) / S and L = log S - 1.
ONE_UP = {"K": 3, "z": [1, 0, 0], "y": 1}


def test_one_raised_logit_by_hand():
    a = make_instance(PROBLEM, ONE_UP).answers
    assert a["p"] == pytest.approx([0.5761169, 0.2119416, 0.2119416], abs=1e-7)
    assert a["loss"] == pytest.approx(0.5514447, abs=1e-7)            # log(4.7182818) - 1
    assert a["dL_dz"] == pytest.approx([-0.4238831, 0.2119416, 0.2119416], abs=1e-7)
    assert check_instance(PROBLEM, make_instance(PROBLEM, ONE_UP)) == []


def test_wrong_class_by_hand():
    # K = 4, z = (2, -2, 0.5, 0), y = 2: the true class has the smallest logit.
    params = {"K": 4, "z": [2, -2, 0.5, 0], "y": 2}
    total = math.e ** 2 + math.e ** -2 + math.e ** 0.5 + 1          # 7.389056 + 0.135335 + 1.648721 + 1
    assert total == pytest.approx(10.173112, abs=1e-6)
    a = make_instance(PROBLEM, params).answers
    assert a["loss"] == pytest.approx(math.log(10.173112) + 2, abs=1e-6)   # log S - z_y = 4.319716
    assert a["dL_dz"][1] == pytest.approx(0.135335 / 10.173112 - 1, abs=1e-6)
    assert sum(a["dL_dz"]) == pytest.approx(0, abs=1e-12)
    assert sum(a["p"]) == pytest.approx(1)


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, seeds=range(300))


@pytest.mark.parametrize("field, value", [
    ("loss", -0.5514447),                                  # the minus sign forgotten
    ("dL_dz", [0.4238831, -0.2119416, -0.2119416]),        # onehot - p
    ("p", [0.5, 0.25, 0.25]),
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, ONE_UP)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_mistakes_differ_from_the_answer():
    a = make_instance(PROBLEM, ONE_UP).answers
    wrong = {m.name: m.wrong(ONE_UP) for m in PROBLEM.mistakes}
    assert wrong["no-minus"]["loss"] == pytest.approx(-a["loss"])
    assert wrong["z-for-p"]["dL_dz"] == [0, 0, 0]           # z - e_1 = (0, 0, 0)
    assert wrong["onehot-minus-p"]["dL_dz"] == pytest.approx([-g for g in a["dL_dz"]])


def test_pinned_label_beyond_k_is_an_error():
    with pytest.raises(ExamgenError, match="y <= K"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {"K": 3, "y": 4})


def test_pinned_label_alone_draws_a_matching_k():
    instance = draw_instance(PROBLEM, Sampler(5, PROBLEM.id), {"y": 4})
    assert instance.params["K"] == 4 and len(instance.params["z"]) == 4


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)


def test_logits_pinned_without_k():
    instance = draw_instance(PROBLEM, Sampler(2, PROBLEM.id), {"z": [2, -2, 0.5, 0], "y": 2})
    assert instance.params["K"] == 4
    with pytest.raises(ExamgenError, match="z has K entries"):
        draw_instance(PROBLEM, Sampler(2, PROBLEM.id), {"K": 3, "z": [2, -2, 0.5, 0], "y": 2})
