"""optimization/prox-norm-regularizer: hand-computed instances for each rho, edge cases."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def solved(params):
    instance = make_instance(PROBLEM, params)
    assert check_instance(PROBLEM, instance) == []
    return instance


def test_l2sq_by_hand():
    # a = (3.5, 4.5) - 0.5 (1, 1) = (3, 4), ||a|| = 5, l = 5 / (1 + 0.5 * 1) = 10/3,
    # theta = (10/3) / 5 * (3, 4) = (2, 8/3).
    instance = solved({"rho": "l2sq", "theta": [3.5, 4.5], "g": [1, 1], "eps": 0.5, "lam": 1})
    assert instance.answers["a"] == [3.0, 4.0]
    assert instance.answers["a_norm"] == 5.0
    assert instance.answers["l"] == pytest.approx(10 / 3)
    assert instance.exact["l"] == "10/3"
    assert instance.answers["theta_next"] == pytest.approx([2, 8 / 3])


def test_norm_by_hand():
    # a = (1.1, 2.2, 1.8) - 0.1 (1, 2, -2) = (1, 2, 2), ||a|| = 3, l = 3 - 0.1 * 5 = 2.5,
    # theta = 2.5/3 (1, 2, 2) = (5/6, 5/3, 5/3).
    instance = solved({"rho": "norm", "theta": [1.1, 2.2, 1.8], "g": [1, 2, -2], "eps": 0.1, "lam": 5})
    assert instance.answers["a"] == pytest.approx([1, 2, 2])
    assert instance.answers["a_norm"] == 3.0
    assert instance.answers["l"] == 2.5
    assert instance.answers["theta_next"] == pytest.approx([5 / 6, 5 / 3, 5 / 3])


def test_quartic_by_hand():
    # a = (6, 8), ||a|| = 10; eps lam = 1: l + l^3 = 10 has the root l = 2 (2 + 8 = 10);
    # theta = 2/10 (6, 8) = (1.2, 1.6).
    instance = solved({"rho": "quartic", "theta": [6.5, 8.5], "g": [1, 1], "eps": 0.5, "lam": 2})
    assert instance.answers["a_norm"] == 10.0
    assert instance.answers["l"] == 2.0
    assert instance.answers["theta_next"] == pytest.approx([1.2, 1.6])
    assert instance.values["numeric_root"] is False


def test_norm_thresholds_to_zero():
    # ||a|| = ||(0.3, 0.4)|| = 0.5 <= eps lam = 0.6: the whole step is removed.
    instance = solved({"rho": "norm", "theta": [0.3, 0.4], "g": [0, 0], "eps": 0.1, "lam": 6})
    assert instance.answers["l"] == 0
    assert instance.answers["theta_next"] == [0, 0]
    assert instance.values["zero_step"] is True


def test_quartic_without_rational_root():
    # a = (1, 2, 1.5), ||a|| = sqrt(7.25) = sqrt(29)/2; l + 0.5 l^3 = ||a|| has no rational root.
    instance = solved({"rho": "quartic", "theta": [1, 2, 2], "g": [0, 0, 1], "eps": 0.5, "lam": 1})
    assert instance.exact["a_norm"] == "sqrt(29)/2"
    radius = instance.answers["l"]
    assert radius + 0.5 * radius ** 3 == pytest.approx(math.sqrt(7.25), abs=1e-12)
    assert instance.values["numeric_root"] is True
    assert math.hypot(*instance.answers["theta_next"]) == pytest.approx(radius)


def test_check_catches_a_wrong_answer():
    instance = solved({"rho": "l2sq", "theta": [3.5, 4.5], "g": [1, 1], "eps": 0.5, "lam": 1})
    for field, value in (("theta_next", [2.0, 2.7]), ("l", 3.3), ("a", [3.0, 4.5])):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
        assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_zero_sgd_step_is_rejected():
    with pytest.raises(ExamgenError, match="zero vector"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), pins={
            "rho": "l2sq", "theta": [0.5, 1], "g": [1, 2], "eps": 0.5, "lam": 1})


def test_sampled_quartic_roots_are_exact():
    for seed in range(40):
        instance = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id))
        if instance.params["rho"] == "quartic":
            assert instance.values["numeric_root"] is False
        assert instance.answers["l"] > 0


def test_ascent_mistake_that_lands_on_the_origin():
    # Found by `make stress` (seed 953): theta + eps g = (-2 + 0.5*4, -1.5 + 0.5*3) = (0, 0),
    # so the mistaken step has no direction; its proximal point is the origin.
    from generator import bank
    from generator.instance import mistake_answers

    problem = bank.load("optimization/prox-norm-regularizer")
    params = {"rho": "norm", "theta": [-2.0, -1.5], "g": [4, 3], "eps": 0.5, "lam": 2.0}
    ascent = next(m for m in problem.mistakes if m.name == "ascent")
    wrong = mistake_answers(problem, ascent, params)
    assert wrong["a"] == [0.0, 0.0]
    assert wrong["theta_next"] == [0.0, 0.0]


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)


def question_tex(params):
    """The exam sheet's text of the instance (no solutions): what a student reads on paper."""
    from generator.documents import problem_tex
    from generator.render import render_problem

    instance = make_instance(PROBLEM, params)
    rendered = render_problem(PROBLEM.id, instance.params, instance.values,
                              {p.name: p.points for p in PROBLEM.parts}, {p.name: p.space for p in PROBLEM.parts})
    return problem_tex(rendered, False)


def test_statement_does_not_give_away_the_radius():
    # Part (c) asks for l; part (a) must not state l = max(0, ||a|| - eps lambda).
    text = question_tex({"rho": "norm", "theta": [1.1, 2.2, 1.8], "g": [1, 2, -2], "eps": 0.1, "lam": 5})
    assert r"\max" not in text
    assert "find $l$" in text
    assert r"Compute $l = \|\theta^{t+1}\|$." in text
