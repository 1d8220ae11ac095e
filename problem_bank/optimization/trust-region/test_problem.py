"""optimization/trust-region: hand-computed steps on the ball and on the box, a wrong answer caught."""

import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def close(values, expected, tol=1e-12):
    return all(math.isclose(v, e, rel_tol=tol, abs_tol=tol) for v, e in zip(values, expected, strict=True))


def test_ball_with_integer_norm_by_hand():
    # ||(2, -3, 6)||_2 = sqrt(4 + 9 + 36) = 7, so Delta = -(0.7/7) g = -0.1 g.
    params = {"norm": "l2", "g": [2, -3, 6], "theta": [1, 0, -1], "eps": 0.7}
    instance = make_instance(PROBLEM, params)
    assert close(instance.answers["delta"], [-0.2, 0.3, -0.6])
    assert close(instance.answers["theta_next"], [0.8, 0.3, -1.6])
    assert math.isclose(instance.answers["model_decrease"], 4.9)   # 0.7 * 7
    assert instance.exact["model_decrease"] == "49/10"
    assert check_instance(PROBLEM, instance) == []


def test_ball_with_a_radical_norm_by_hand():
    # ||(3, -1, 2)||_2 = sqrt(14); Delta = -(0.5/sqrt(14)) g, decrease 0.5 sqrt(14) = sqrt(14)/2.
    params = {"norm": "l2", "g": [3, -1, 2], "theta": [0.5, 1, -1], "eps": 0.5}
    instance = make_instance(PROBLEM, params)
    root = math.sqrt(14)
    assert close(instance.answers["delta"], [-1.5 / root, 0.5 / root, -1 / root])
    assert close(instance.answers["theta_next"], [0.5 - 1.5 / root, 1 + 0.5 / root, -1 - 1 / root])
    assert math.isclose(instance.answers["model_decrease"], root / 2)
    assert instance.exact["model_decrease"] == "sqrt(14)/2"
    assert instance.exact["delta"] == ["-3*sqrt(14)/28", "sqrt(14)/28", "-sqrt(14)/14"]
    assert instance.values["decrease_tex"] == r"\frac{\sqrt{14}}{2}"
    assert instance.values["ratio_tex"] == r"\frac{\sqrt{14}}{28}"   # 0.5/sqrt(14)
    assert check_instance(PROBLEM, instance) == []


def test_ball_allows_a_zero_gradient_component():
    # ||(0, 3, 4)||_2 = 5: Delta = -(0.5/5)(0, 3, 4) = (0, -0.3, -0.4).
    params = {"norm": "l2", "g": [0, 3, 4], "theta": [0, 0, 0], "eps": 0.5}
    instance = make_instance(PROBLEM, params)
    assert close(instance.answers["delta"], [0, -0.3, -0.4])
    assert math.isclose(instance.answers["model_decrease"], 2.5)
    assert check_instance(PROBLEM, instance) == []


def test_box_by_hand():
    # Delta = -0.3 sign(g); decrease 0.3 (0.5 + 2 + 1.5 + 0.5) = 0.3 * 4.5 = 1.35.
    params = {"norm": "linf", "g": [0.5, -2, 1.5, -0.5], "theta": [1, 1, 1, 1], "eps": 0.3}
    instance = make_instance(PROBLEM, params)
    assert close(instance.answers["delta"], [-0.3, 0.3, -0.3, 0.3])
    assert close(instance.answers["theta_next"], [0.7, 1.3, 0.7, 1.3])
    assert math.isclose(instance.answers["model_decrease"], 1.35)
    assert instance.values["multipliers"] == [0.5 / 0.6, 2 / 0.6, 1.5 / 0.6, 0.5 / 0.6]
    assert check_instance(PROBLEM, instance) == []


@pytest.mark.parametrize("norm", ["l2", "linf"])
def test_check_catches_a_wrong_answer(norm):
    params = {"norm": norm, "g": [2, -3, 6], "theta": [1, 0, -1], "eps": 0.7}
    instance = make_instance(PROBLEM, params)
    # The plain gradient step -eps g instead of the normalised (or sign) step.
    wrong_delta = [-1.4, 2.1, -4.2]
    wrong = type(instance)(instance.problem_id, instance.params, {**instance.answers, "delta": wrong_delta},
                           instance.exact, instance.values)
    assert any(m.startswith("delta") for m in check_instance(PROBLEM, wrong))
    # A step of the right direction but off by 1e-4 (well inside grading, far outside the check's tolerance).
    nudged = [x + 1e-4 for x in instance.answers["delta"]]
    wrong = type(instance)(instance.problem_id, instance.params, {**instance.answers, "delta": nudged},
                           instance.exact, instance.values)
    assert any(m.startswith("delta") for m in check_instance(PROBLEM, wrong))


def test_box_with_a_zero_gradient_component_is_a_clear_error():
    pins = {"norm": "linf", "g": [1, 0, -2], "theta": [0, 0, 0], "eps": 0.5}
    with pytest.raises(ExamgenError, match="no component of g is 0"):
        draw_instance(PROBLEM, Sampler(1, PROBLEM.id), pins)


def test_sampled_ball_gradients_have_integer_norms():
    for seed in range(60):
        instance = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id), {"norm": "l2"})
        g = instance.params["g"]
        assert len(g) in (3, 4) and all(x != 0 for x in g)
        assert math.isqrt(sum(x * x for x in g)) ** 2 == sum(x * x for x in g)


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


def test_statement_opens_with_the_region_and_lists_short_ranges():
    # Two slots of one sheet share TITLE (a literal): the first words tell the variants apart.
    ball = question_tex({"norm": "l2", "g": [2, -3, 6], "theta": [1, 0, -1], "eps": 0.7})
    box = question_tex({"norm": "linf", "g": [2, -3, 6], "theta": [1, 0, -1], "eps": 0.7})
    assert ball.lstrip().startswith(r"\textbf{Region: the Euclidean ball ($L_2$ norm).}")
    assert box.lstrip().startswith(r"\textbf{Region: the box ($L_\infty$ norm).}")
    assert r"i = 1, 2, 3" in box and r"\dots" not in box
