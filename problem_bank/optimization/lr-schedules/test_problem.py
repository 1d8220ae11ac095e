"""optimization/lr-schedules: instances worked by hand, check against solve, snapshot."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance, mistake_answers
from generator.params import check_params
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

COSINE = {"schedule": "cosine", "lr_max": 0.1, "warmup": 10, "total": 200, "step_size": 50, "gamma": 0.5, "t": 105}
STEP = {"schedule": "step", "lr_max": 0.1, "warmup": 50, "total": 400, "step_size": 50, "gamma": 0.8, "t": 149}
INVERSE = {"schedule": "inverse-sqrt", "lr_max": 0.1, "warmup": 100, "total": 1000, "step_size": 50, "gamma": 0.5,
           "t": 99}


def test_cosine_by_hand():
    # (105 - 10)/190 = 1/2: cos(pi/2) = 0, lr = 0.05; t = 106: cos(pi/2 + pi/190) = -sin(pi/190).
    # Half the peak is first reached half way through the decay: 10 + 95 = 105.
    instance = make_instance(PROBLEM, COSINE)
    assert instance.answers["lr_t"] == pytest.approx(0.05)
    assert instance.answers["lr_next"] == pytest.approx(0.05 * (1 - math.sin(math.pi / 190)))
    assert instance.answers["steps_to_half"] == 105
    assert check_instance(PROBLEM, instance) == []


def test_step_decay_by_hand():
    # floor((149 - 50)/50) = 1: 0.1 * 0.8 = 0.08; floor(100/50) = 2: 0.1 * 0.64 = 0.064 (a drop between t and t + 1).
    # 0.8^3 = 0.512 > 1/2 >= 0.8^4 = 0.4096: after 4 drops, t = 50 + 4 * 50 = 250.
    instance = make_instance(PROBLEM, STEP)
    assert instance.answers["lr_t"] == pytest.approx(0.08)
    assert instance.answers["lr_next"] == pytest.approx(0.064)
    assert instance.answers["steps_to_half"] == 250
    assert check_instance(PROBLEM, instance) == []


def test_inverse_sqrt_by_hand():
    # t = 99 < W = 100: warmup, 0.1 * 99/100 = 0.099; t = 100 = W: the peak 0.1; sqrt(100/t) = 1/2 at t = 400.
    instance = make_instance(PROBLEM, INVERSE)
    assert instance.answers["lr_t"] == pytest.approx(0.099)
    assert instance.answers["lr_next"] == pytest.approx(0.1)
    assert instance.answers["steps_to_half"] == 400
    instance = make_instance(PROBLEM, {**INVERSE, "t": 400})
    assert instance.answers["lr_t"] == pytest.approx(0.05)
    assert instance.answers["lr_next"] == pytest.approx(0.1 * math.sqrt(100 / 401))
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_by_hand():
    # Decay from t = 0: 0.8^floor(149/50) -> 0.064 and 0.8^floor(150/50) -> 0.0512; halves at 4 * 50 = 200.
    wrong = mistake_answers(PROBLEM, next(m for m in PROBLEM.mistakes if m.name == "no-warmup-shift"), STEP)
    assert wrong["lr_t"] == pytest.approx(0.064)
    assert wrong["lr_next"] == pytest.approx(0.0512)
    assert wrong["steps_to_half"] == 200
    wrong = mistake_answers(PROBLEM, next(m for m in PROBLEM.mistakes if m.name == "half-from-peak"), COSINE)
    assert wrong == {"steps_to_half": 95}
    # in the warmup the decay's offset does not matter: only steps_to_half is wrong
    wrong = mistake_answers(PROBLEM, next(m for m in PROBLEM.mistakes if m.name == "no-warmup-shift"),
                            {**INVERSE, "t": 98})
    assert set(wrong) == {"steps_to_half"}


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, STEP)
    for field, value in (("lr_t", 0.064), ("lr_next", 0.08), ("steps_to_half", 200)):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_a_step_beyond_the_schedule_is_one_clear_error():
    with pytest.raises(ExamgenError, match=r"must be in \[1, 199\]"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**COSINE, "t": 250}, "spec")


def test_pins_of_the_hand_instances_are_valid():
    for params in (COSINE, STEP, INVERSE):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, params, "spec")


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, range(300))


def test_snapshot():
    check_snapshot(PROBLEM)
