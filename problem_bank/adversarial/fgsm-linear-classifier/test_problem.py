"""adversarial/fgsm-linear-classifier: an instance computed by hand."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.params import check_params
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# Two classes with opposite rows: z = (x1 - x2, x2 - x1), so p_1 = sigmoid(2 (x1 - x2)).
HAND = {"W": [[1, -1], [-1, 1]], "b": [0, 0], "x": [0.5, 0], "y": 1, "eps": 0.2}


def sigmoid(t):
    return 1 / (1 + math.exp(-t))


def test_two_class_instance_by_hand():
    # z = (0.5, -0.5): p_1 = sigmoid(1), p_2 = 1 - sigmoid(1), class 1 = y predicted.
    # grad = W_1 - p_1 W_1 - p_2 W_2 = p_2 (W_1 - W_2) = p_2 (2, -2); sign (1, -1).
    # x_adv = (0.5 - 0.2, 0 + 0.2) = (0.3, 0.2): z_adv = (0.1, -0.1), p_1 = sigmoid(0.2), still class 1.
    # linear change -0.2 * 4 p_2; actual log sigmoid(0.2) - log sigmoid(1).
    p2 = 1 - sigmoid(1)
    instance = make_instance(PROBLEM, HAND)
    answers = instance.answers
    assert answers["probs"] == pytest.approx([sigmoid(1), p2])
    assert answers["pred_before"] == 1
    assert answers["grad"] == pytest.approx([2 * p2, -2 * p2])
    assert answers["x_adv"] == [0.3, 0.2]
    assert answers["linear_change"] == pytest.approx(-0.2 * 4 * p2)
    assert answers["probs_adv"] == pytest.approx([sigmoid(0.2), 1 - sigmoid(0.2)])
    assert answers["pred_after"] == 1
    assert answers["actual_change"] == pytest.approx(math.log(sigmoid(0.2)) - math.log(sigmoid(1)))
    # log-softmax is concave in x: the attack does at least the predicted damage.
    assert answers["actual_change"] <= answers["linear_change"]
    assert check_instance(PROBLEM, instance) == []


def test_attack_that_flips_the_prediction():
    # Same classifier, x = (0.5, 0.25): z = (0.25, -0.25); eps = 0.25 gives x_adv = (0.25, 0.5),
    # z_adv = (-0.25, 0.25): the prediction moves to class 2.
    instance = make_instance(PROBLEM, {**HAND, "x": [0.5, 0.25], "eps": 0.25})
    assert instance.answers["pred_before"] == 1
    assert instance.answers["x_adv"] == [0.25, 0.5]
    assert instance.answers["pred_after"] == 2
    assert instance.answers["probs_adv"] == pytest.approx([1 - sigmoid(0.5), sigmoid(0.5)])
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, HAND)
    for field, wrong_value in (("grad", [0.5, -0.5]), ("x_adv", [0.7, -0.2]), ("linear_change", -0.3),
                               ("actual_change", -0.2), ("pred_after", 2)):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: wrong_value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_degenerate_instances_are_rejected():
    # Label 3 with two classes.
    with pytest.raises(ExamgenError, match="class label"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**HAND, "y": 3}, "test")
    # Equal rows: the gradient is 0 and sign() is undefined.
    with pytest.raises(ExamgenError):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**HAND, "W": [[1, -1], [1, -1]]}, "test")
    # x = (0.5, 0) with eps = 0.25 lands on x_adv = (0.25, 0.25): a tie between the two classes.
    # (a tie is pedagogical: pinned, it is taken with a warning naming it)
    instance = draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {**HAND, "x": [0.5, 0], "eps": 0.25})
    assert any("tie" in w and "pedagogical" in w for w in instance.warnings)


def test_mistakes_differ_from_the_right_answers():
    instance = make_instance(PROBLEM, HAND)
    for mistake in PROBLEM.mistakes:
        for field, value in mistake.wrong(HAND).items():
            assert value != pytest.approx(instance.answers[field], abs=0.01), (mistake.name, field)


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
