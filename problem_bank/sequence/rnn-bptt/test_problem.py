"""sequence/rnn-bptt: a two-step instance unrolled by hand, check against solve over many seeds,
wrong answers caught, the declared mistakes, the snapshot."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance, mistake_answers
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

TWO_STEPS = {"T": 2, "w": 0.5, "u": 1.0, "b": 0.25, "h0": 0.5, "x": [0.5, -1.0], "target": 0.5}


def test_two_steps_by_hand():
    # a1 = 0.5*0.5 + 0.5 + 0.25 = 1, h1 = tanh(1) = 0.7615942;
    # a2 = 0.5*h1 - 1 + 0.25 = -0.3692029, h2 = tanh(a2) = -0.3532943.
    h1 = math.tanh(1.0)
    h2 = math.tanh(0.5 * h1 - 0.75)
    assert h1 == pytest.approx(0.7615942, abs=1e-7)
    assert h2 == pytest.approx(-0.3532943, abs=1e-7)
    r = h2 - 0.5                                     # dL/dh2
    da2 = r * (1 - h2 ** 2)                          # dL/da2
    da1 = da2 * 0.5 * (1 - h1 ** 2)                  # through dh2/dh1 = w (1 - h2^2), then tanh'(a1)
    a = make_instance(PROBLEM, TWO_STEPS).answers
    assert a["h"] == pytest.approx([h1, h2], abs=1e-12)
    assert a["loss"] == pytest.approx(r * r / 2, abs=1e-12)
    assert a["dL_dw"] == pytest.approx(da2 * h1 + da1 * 0.5, abs=1e-12)
    assert a["dL_du"] == pytest.approx(da2 * -1 + da1 * 0.5, abs=1e-12)
    assert a["dL_db"] == pytest.approx(da2 + da1, abs=1e-12)
    assert a["jacobian_product"] == pytest.approx(0.25 * (1 - h1 ** 2) * (1 - h2 ** 2), abs=1e-12)
    # on a calculator: dL/db = -0.8533 * 0.8752 * (1 + 0.5 * 0.4200) = -0.9036
    assert a["dL_db"] == pytest.approx(-0.9036, abs=1e-4)
    assert check_instance(PROBLEM, make_instance(PROBLEM, TWO_STEPS)) == []


def test_mistakes_by_hand():
    mistakes = {m.name: m for m in PROBLEM.mistakes}
    h1 = math.tanh(1.0)
    h2 = math.tanh(0.5 * h1 - 0.75)
    da2 = (h2 - 0.5) * (1 - h2 ** 2)
    last = mistake_answers(PROBLEM, mistakes["last-step-only"], TWO_STEPS)
    assert last["dL_du"] == pytest.approx(-da2)
    assert last["dL_db"] == pytest.approx(da2)
    plain = mistake_answers(PROBLEM, mistakes["no-tanh-derivative"], TWO_STEPS)
    assert plain["jacobian_product"] == 0.25                    # w^T
    assert plain["dL_db"] == pytest.approx((h2 - 0.5) * 1.5)    # r (1 + w)


@pytest.mark.parametrize("field, value", [
    ("dL_dw", 0.0), ("dL_du", 0.3), ("jacobian_product", 0.25), ("h", [0.7616, 0.3532]),
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, TWO_STEPS)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_pinned_saturation_is_an_error():
    with pytest.raises(ExamgenError, match="tanh not saturated"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {**TWO_STEPS, "u": 1.0, "x": [1.0, 1.0], "w": 1.5, "b": 0.5})


def test_pinning_the_sequence_alone_sets_its_length():
    for seed in range(5):
        instance = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id), {"x": [0.5, -1.0]})
        assert instance.params["T"] == 2 and len(instance.answers["h"]) == 2
    with pytest.raises(ExamgenError, match="x has T entries"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {"x": [0.5, -1.0], "T": 3})


def test_check_agrees_over_seeds():
    check_agrees(PROBLEM, range(300))


def test_both_lengths_are_drawn():
    lengths = {len(draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)).params["x"]) for seed in range(20)}
    assert lengths == {2, 3}


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
