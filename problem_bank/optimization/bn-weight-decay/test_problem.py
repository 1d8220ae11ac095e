"""optimization/bn-weight-decay: instances computed by hand."""

import dataclasses
import math

import pytest

from generator.answers import expressions_equal
from generator.instance import check_instance, draw_instance, make_instance
from generator.params import check_params
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def _instance(params):
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, params, "test")
    return make_instance(PROBLEM, params)


def test_norm_decreases_by_hand():
    # 1 - alpha lam = 1 - 0.2 = 0.8, alpha a = 0.4: ||w_1||^2 = 0.64 + 0.16 = 0.8, ||w_1|| = 2/sqrt(5).
    # Threshold 2 lam / (lam^2 + a^2) = 1 / 1.25 = 0.8 > alpha = 0.4.
    instance = _instance({"lam": 0.5, "a": 1.0, "alpha": 0.4, "phi": 0})
    assert instance.answers["norm_after_step"] == pytest.approx(2 / math.sqrt(5))
    assert instance.exact["norm_after_step"] == "2*sqrt(5)/5"
    assert instance.answers["norm_decreases"] is True
    assert instance.answers["alpha_threshold"] == pytest.approx(0.8)
    assert expressions_equal(instance.answers["grad_R"], "w*lam", ("lam", "w"))
    assert check_instance(PROBLEM, instance) == []


def test_norm_increases_by_hand():
    # 1 - 0.5 * 0.2 = 0.9, 0.5 * 1.5 = 0.75: ||w_1||^2 = 0.81 + 0.5625 = 1.3725 > 1.
    # Threshold 0.4 / (0.04 + 2.25) = 40/229 < 0.5.
    instance = _instance({"lam": 0.2, "a": 1.5, "alpha": 0.5, "phi": 135})
    assert instance.answers["norm_after_step"] == pytest.approx(math.sqrt(1.3725))
    assert instance.answers["norm_decreases"] is False
    assert instance.answers["alpha_threshold"] == pytest.approx(40 / 229)
    assert instance.exact["alpha_threshold"] == "40/229"
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    instance = _instance({"lam": 0.5, "a": 1.0, "alpha": 0.4, "phi": 0})
    for field, wrong_value in (("norm_decreases", False), ("alpha_threshold", 1.0), ("norm_after_step", 0.8),
                               ("grad_R", "lam*w/2")):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: wrong_value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_step_at_the_threshold_is_a_warning():
    # alpha = 2 lam / (lam^2 + a^2) = 0.8 exactly: ||w_1|| = 1, neither a decrease nor an increase.
    instance = draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {"lam": 0.5, "a": 1.0, "alpha": 0.8, "phi": 0})
    assert instance.answers["norm_after_step"] == pytest.approx(1.0)
    assert any("threshold" in w and "pedagogical" in w for w in instance.warnings)


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


@pytest.mark.parametrize("phi, w0", [(0, r"(1, 0)"), (90, r"(0, 1)"), (180, r"(-1, 0)"), (270, r"(0, -1)")])
def test_w0_on_an_axis_is_printed_exactly(phi, w0):
    text = question_tex({"lam": 0.5, "a": 1.0, "alpha": 0.4, "phi": phi})
    assert rf"$w_0 = \left{w0[0]}{w0[1:-1]}\right{w0[-1]}$" in text
    assert r"\cos" not in text


def test_w0_off_the_axes_keeps_cos_and_sin():
    assert r"(\cos 135^\circ, \sin 135^\circ)" in question_tex({"lam": 0.5, "a": 1.0, "alpha": 0.4, "phi": 135})


def test_alpha_and_a_differ_in_every_draw():
    # alpha = a hides a swap of step length and gradient norm from the grader.
    for seed in range(300):
        params = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)).params
        assert params["alpha"] != params["a"]


def test_alpha_equal_to_a_can_still_be_pinned():
    # The constraint is pedagogical: a sheet's instance with alpha = a stays valid.
    params = check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints,
                          {"lam": 0.5, "a": 0.7, "alpha": 0.7, "phi": 0}, "test")
    assert params["alpha"] == params["a"] == 0.7
    assert any(c.pedagogical and "alpha != a" in c.text for c in PROBLEM.constraints)
