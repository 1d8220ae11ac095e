"""concepts/regulariser-update: the five steps of one instance by hand, the mistakes, check
against solve over many seeds, snapshot."""

import dataclasses
from collections import Counter

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# eta lambda = 0.1; w - eta g = (0.75, -0.5, 2.5).
# L2: 0.9 w - eta g = (0.65, -0.45, 2.3); L1: (0.75, -0.5, 2.5) - 0.1 sign(w) = (0.65, -0.4, 2.4);
# elastic: L1 - 0.1 w = (0.55, -0.35, 2.2); max-norm: ||(0.75, -0.5, 2.5)|| = sqrt(7.0625) = 2.6575,
# scaled by 1/2.6575: (0.2822, -0.1881, 0.9407).
BASE = {"w": [1, -0.5, 2], "g": [0.5, 0, -1], "eta": 0.5, "lam": 0.2, "c": 1.0,
        "order": ["none", "l2", "l1", "elastic", "maxnorm"]}
BY_HAND = {"none": [0.75, -0.5, 2.5], "l2": [0.65, -0.45, 2.3], "l1": [0.65, -0.4, 2.4],
           "elastic": [0.55, -0.35, 2.2], "maxnorm": [0.282, -0.188, 0.941]}


@pytest.mark.parametrize(("rule", "letter"), [("none", "A"), ("l2", "B"), ("l1", "C"), ("elastic", "D"),
                                              ("maxnorm", "E")])
def test_each_rule_by_hand(rule, letter):
    instance = make_instance(PROBLEM, {**BASE, "w_new": BY_HAND[rule]})
    assert instance.answers["rule"] == letter
    steps = {o["rule"]: o["step"] for o in instance.values["options"]}
    for name, step in BY_HAND.items():
        assert steps[name] == pytest.approx(step, abs=5e-4)
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_by_hand():
    def wrong(rule):
        return {m.name: m.wrong({**BASE, "w_new": BY_HAND[rule]}) for m in PROBLEM.mistakes}
    assert wrong("l1")["l1-l2-swap"] == {"rule": "B"}
    assert wrong("l2")["l1-l2-swap"] == {"rule": "C"}
    assert wrong("l2")["decay-as-projection"] == {"rule": "E"}
    assert wrong("maxnorm")["projection-as-decay"] == {"rule": "B"}
    assert wrong("elastic")["elastic-as-l2"] == {"rule": "B"}
    assert wrong("none")["projection-inactive"] == {"rule": "E"}
    assert [name for name, value in wrong("none").items() if value] == ["projection-inactive"]


def test_a_step_no_rule_gives_is_refused():
    with pytest.raises(ExamgenError, match="exactly one rule"):
        draw_instance(PROBLEM, Sampler(1, PROBLEM.id), {**BASE, "w_new": [0.6, -0.4, 2.4]})


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, {**BASE, "w_new": BY_HAND["elastic"]})
    wrong = dataclasses.replace(instance, answers={"rule": "C"})
    assert check_instance(PROBLEM, wrong) == ["rule: solve gives 'C', check gives 'D'"]


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, seeds=range(300))


def test_every_rule_is_the_answer_sometimes():
    rules = Counter(draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)).values["right_rule"] for seed in range(200))
    assert set(rules) == {"none", "l2", "l1", "elastic", "maxnorm"} and min(rules.values()) >= 20


def test_snapshot():
    check_snapshot(PROBLEM)
