"""probability/kl-cross-entropy: a hand-computed instance, the check catching wrong answers,
and pinned parameters that are not distributions being refused."""

import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.params import check_params
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# Two inputs, two classes. Model 1 is right on x_2 and off on x_1; model 2 is uniform on x_1
# and has the classes swapped on x_2.
PARAMS = {
    "p_x": [0.5, 0.5],
    "p_true": [[0.5, 0.5], [0.75, 0.25]],
    "p_model1": [[0.25, 0.75], [0.75, 0.25]],
    "p_model2": [[0.5, 0.5], [0.25, 0.75]],
}


def test_hand_computed_instance():
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, PARAMS, "test")
    instance = make_instance(PROBLEM, PARAMS)
    ln = math.log
    h1, h2 = ln(2), -(0.75 * ln(0.75) + 0.25 * ln(0.25))           # entropies of the rows of p*
    ce1 = 0.5 * -(0.5 * ln(0.25) + 0.5 * ln(0.75)) + 0.5 * h2       # model 1 equals p* on x_2
    ce2 = 0.5 * ln(2) + 0.5 * -(0.75 * ln(0.25) + 0.25 * ln(0.75))
    H = 0.5 * h1 + 0.5 * h2
    assert instance.answers["conditional_entropy"] == pytest.approx(H)           # 0.627741
    assert instance.answers["expected_ce"] == pytest.approx([ce1, ce2])          # 0.699662, 0.902395
    assert instance.answers["expected_kl"] == pytest.approx([ce1 - H, ce2 - H])  # 0.071921, 0.274653
    assert instance.answers["expected_kl"][0] == pytest.approx(0.071921, abs=1e-6)
    assert instance.answers["better_model"] == "1"
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_wrong_answers():
    instance = make_instance(PROBLEM, PARAMS)
    answers = {**instance.answers, "expected_kl": [0.0719, 0.2747], "better_model": "2"}
    wrong = type(instance)(instance.problem_id, instance.params, answers, instance.exact, instance.values)
    messages = check_instance(PROBLEM, wrong)
    assert any(m.startswith("expected_kl") for m in messages)
    assert any(m.startswith("better_model") for m in messages)


def test_pinned_rows_must_be_distributions():
    bad = {**PARAMS, "p_model2": [[0.5, 0.5], [0.3, 0.75]]}
    with pytest.raises(ExamgenError, match="sum to 1"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, bad, "test")
    zero = {**PARAMS, "p_model1": [[0.0, 1.0], [0.75, 0.25]]}
    with pytest.raises(ExamgenError, match=r"\(0, 1\]"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, zero, "test")


def test_near_tie_is_refused():
    # Model 2 uniform everywhere: expected KLs 0.0719 and 0.0654 are too close to call by hand.
    tie = {**PARAMS, "p_model2": [[0.5, 0.5], [0.5, 0.5]]}
    instance = draw_instance(PROBLEM, Sampler(0, PROBLEM.id), tie)
    assert any("near a tie" in w and "pedagogical" in w for w in instance.warnings)


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


def test_two_classes_listed_in_full():
    text = question_tex(PARAMS)
    assert r"y \in \{1, 2\}" in text
    assert r"1, \dots, 2" not in text
