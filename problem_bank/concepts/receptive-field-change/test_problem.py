"""concepts/receptive-field-change: a network worked by hand, every mistake on it, check against
solve over many seeds, snapshot."""

import dataclasses
from collections import Counter

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def conv(k, s, d, p, c):
    return {"type": "conv", "k": k, "s": s, "d": d, "p": p, "c": c}


POOL = {"type": "pool", "k": 2, "s": 2, "d": 1, "p": 0, "c": 32}
LAYERS = [conv(3, 1, 1, 1, 16), conv(3, 2, 2, 2, 32), POOL]
# S_3 = 1 + (3-1)*1*1 + (3-1)*2*1 + (2-1)*1*(1*2) = 9. With s_1 = 2 the jumps become 1, 2, 4:
# 1 + 2 + 2*2*2 + 1*1*4 = 15 (changes). Padding, channels and the top stride leave 9.
HAND = {"layers": LAYERS, "changes": [
    {"layer": 1, "key": "p", "to": 0},
    {"layer": 3, "key": "s", "to": 1},
    {"layer": 1, "key": "s", "to": 2},
    {"layer": 2, "key": "c", "to": 64},
]}


def test_hand_network():
    instance = make_instance(PROBLEM, HAND)
    assert instance.answers["changed"] == "C"
    assert instance.values["S_L"] == 9
    assert [o["size"] for o in instance.values["options"]] == [9, 9, 15, 9]
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_on_the_hand_network():
    wrong = {m.name: m.wrong(HAND) for m in PROBLEM.mistakes}
    assert wrong["padding-widens"] == {"changed": "A"}
    assert wrong["own-stride"] == {"changed": "B"}
    assert wrong["channels-see-more"] == {"changed": "D"}
    assert wrong["dilation-always"] == {}          # no 1x1 convolution is offered


def test_dilation_of_a_one_by_one_kernel_changes_nothing():
    layers = [conv(1, 1, 1, 0, 16), conv(5, 1, 1, 2, 32), POOL]       # S = 1 + 0 + 4 + 1 = 6
    params = {"layers": layers, "changes": [
        {"layer": 1, "key": "d", "to": 2},            # stays 6
        {"layer": 2, "key": "d", "to": 2},            # 1 + 0 + 8 + 1 = 10
        {"layer": 3, "key": "s", "to": 3},            # stays 6
        {"layer": 2, "key": "p", "to": 0},            # stays 6
    ]}
    assert make_instance(PROBLEM, params).answers["changed"] == "B"
    assert next(m for m in PROBLEM.mistakes if m.name == "dilation-always").wrong(params) == {"changed": "A"}


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, HAND)
    wrong = dataclasses.replace(instance, answers={"changed": "B"})
    assert check_instance(PROBLEM, wrong) == ["changed: solve gives 'B', check gives 'C'"]


def test_two_altering_changes_are_refused():
    params = {**HAND, "changes": [*HAND["changes"][:3], {"layer": 2, "key": "k", "to": 5}]}
    with pytest.raises(ExamgenError, match="exactly one change alters"):
        draw_instance(PROBLEM, Sampler(1, PROBLEM.id), params)


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, seeds=range(300))


def test_every_letter_and_every_kind_of_right_change_occurs():
    letters, kinds = Counter(), Counter()
    for seed in range(200):
        instance = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id))
        letters[instance.answers["changed"]] += 1
        kinds.update(o["kind"] for o in instance.values["options"] if o["alters"])
    assert set(letters) == {"A", "B", "C", "D"} and min(letters.values()) >= 25
    assert set(kinds) == {"kernel", "dilation-wide", "stride-below"}


def test_snapshot():
    check_snapshot(PROBLEM)
