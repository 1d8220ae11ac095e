"""concepts/step-size-regimes: instances iterated by hand, the mistakes on them, check against
solve over many seeds, snapshot."""

import dataclasses
from collections import Counter

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# alpha lambda = (0.3, 1.2): factors 0.7 and -0.2. From w_0 = (1, 1): w_1 = (0.7, -0.2),
# w_2 = (0.49, 0.04): the second coordinate flips at every step and both shrink. alpha_max = 2/4.
HAND = {"lam": [1, 4], "alpha": 0.3, "w0": [1, 1], "options": ["monotone", "diverging", "oscillating", "bounded"]}


def test_oscillating_by_hand():
    instance = make_instance(PROBLEM, HAND)
    assert instance.answers["regime"] == "C"
    assert instance.answers["alpha_max"] == 0.5
    assert [c["factor"] for c in instance.values["coordinates"]] == [0.7, -0.2]
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_by_hand():
    wrong = {m.name: m.wrong(HAND) for m in PROBLEM.mistakes}
    assert wrong["smallest-curvature"] == {"regime": "A"}        # alpha lambda_min = 0.3: monotone
    assert wrong["flip-means-divergence"] == {"regime": "B"}
    assert wrong["alpha-max-from-smallest"] == {"alpha_max": 2}
    assert wrong["alpha-max-monotone"] == {"alpha_max": 0.25}


def test_diverging_and_monotone_by_hand():
    # alpha lambda = (0.3, 2.4): factors 0.7, -1.4; w_2 = (0.49, 1.96), growing: diverges.
    params = {"lam": [0.5, 4], "alpha": 0.6, "w0": [1, 1], "options": ["bounded", "monotone", "nonzero", "diverging"]}
    instance = make_instance(PROBLEM, params)
    assert instance.answers["regime"] == "D" and instance.answers["alpha_max"] == 0.5
    assert check_instance(PROBLEM, instance) == []
    # alpha lambda = (0.1, 0.4, 0.8): all factors in (0, 1): monotone.
    params = {"lam": [0.5, 2, 4], "alpha": 0.2, "w0": [2, -1, 3], "options": ["monotone", "oscillating", "diverging", "nonzero"]}
    instance = make_instance(PROBLEM, params)
    assert instance.answers["regime"] == "A"
    assert check_instance(PROBLEM, instance) == []


def test_a_step_at_the_edge_is_refused():
    with pytest.raises(ExamgenError, match="away from 1 and from 2"):
        draw_instance(PROBLEM, Sampler(1, PROBLEM.id), {**HAND, "alpha": 0.25})     # alpha lambda_2 = 1


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, HAND)
    wrong = dataclasses.replace(instance, answers={**instance.answers, "regime": "B"})
    assert check_instance(PROBLEM, wrong) == ["regime: solve gives 'B', check gives 'C'"]
    wrong = dataclasses.replace(instance, answers={**instance.answers, "alpha_max": 1.0})
    assert any(m.startswith("alpha_max") for m in check_instance(PROBLEM, wrong))


def test_every_regime_and_letter_occurs():
    draws = [draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)) for seed in range(200)]
    regimes = Counter(d.values["right_statement"] for d in draws)
    letters = Counter(d.answers["regime"] for d in draws)
    assert set(regimes) == {"monotone", "oscillating", "diverging"} and min(regimes.values()) >= 30
    assert set(letters) == {"A", "B", "C", "D"}


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, seeds=range(300))


def test_snapshot():
    check_snapshot(PROBLEM)
