"""cnn/depthwise-separable-cost: hand-computed instances, check against solve, a wrong answer
caught, the declared mistakes, the snapshot."""

import dataclasses

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance, mistake_answers
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# 8 x 8 x 16 -> 32 channels with 3 x 3 kernels, worked by hand:
# standard: 64 positions * 32 channels * (9 * 16) products = 2048 * 144 = 294 912;
# depthwise 64 * 16 * 9 = 9216, pointwise 64 * 32 * 16 = 32 768, together 41 984;
# parameters 9*16*32 + 32 = 4640 and (144 + 16) + (512 + 32) = 704; ratio 1/32 + 1/9.
BY_HAND = {"H": 8, "W": 8, "C_in": 16, "C_out": 32, "k": 3}


def test_instance_by_hand():
    instance = make_instance(PROBLEM, BY_HAND)
    a = instance.answers
    assert a["mults_standard"] == 294_912
    assert a["mults_separable"] == 41_984
    assert a["params_standard"] == 4_640
    assert a["params_separable"] == 704
    assert a["ratio"] == pytest.approx(41 / 288)          # 1/32 + 1/9 = (9 + 32) / 288
    assert check_instance(PROBLEM, instance) == []


def test_rectangular_map_by_hand():
    # 7 x 14 x 3 -> 16 channels, k = 5: 98 positions.
    instance = make_instance(PROBLEM, {"H": 7, "W": 14, "C_in": 3, "C_out": 16, "k": 5})
    a = instance.answers
    assert a["mults_standard"] == 98 * 16 * 25 * 3          # 117 600
    assert a["mults_separable"] == 98 * 3 * 25 + 98 * 16 * 3  # 7350 + 4704
    assert a["params_separable"] == 75 + 3 + 48 + 16
    assert check_instance(PROBLEM, instance) == []


def test_pinned_sizes_off_the_usual_lists():
    # 10 x 12 x 5 -> 7 channels, k = 3: 120 positions; 120*7*45 = 37 800 and 120*5*(9 + 7) = 9600;
    # parameters 315 + 7 = 322 and (45 + 5) + (35 + 7) = 92.
    instance = make_instance(PROBLEM, {"H": 10, "W": 12, "C_in": 5, "C_out": 7, "k": 3})
    assert [instance.answers[k] for k in ("mults_standard", "mults_separable", "params_standard",
                                          "params_separable")] == [37_800, 9_600, 322, 92]
    assert check_instance(PROBLEM, instance) == []


def test_pinned_kernel_larger_than_the_map_is_an_error():
    with pytest.raises(ExamgenError, match="kernel fits"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {"H": 3, "W": 12, "C_in": 5, "C_out": 7, "k": 5})


@pytest.mark.parametrize("field, value", [
    ("mults_separable", 9216),          # depthwise only
    ("params_standard", 4608),          # no biases
    ("ratio", 288 / 41),                # inverted
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, BY_HAND)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_mistakes_by_hand():
    mistakes = {m.name: m for m in PROBLEM.mistakes}
    assert mistake_answers(PROBLEM, mistakes["no-pointwise"], BY_HAND)["mults_separable"] == 9216
    assert mistake_answers(PROBLEM, mistakes["no-biases"], BY_HAND)["params_separable"] == 144 + 512
    assert mistake_answers(PROBLEM, mistakes["inverted-ratio"], BY_HAND)["ratio"] == pytest.approx(288 / 41)


def test_check_agrees_over_seeds():
    check_agrees(PROBLEM, range(200))


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
