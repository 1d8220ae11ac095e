"""optimization/mirror-descent-box: hand-computed iterations, the c/target contract, check's teeth."""

import dataclasses
import math

import pytest

from generator.answers import expressions_equal
from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def flat(matrix):
    return [v for row in matrix for v in row]


def test_linear_by_hand():
    # x0 = 0.5: eta0 = logit(0.5) = 0; c = 1, eps = 1: eta = 0, -1, -2; x = 1/2, 1/(1+e), 1/(1+e^2).
    instance = make_instance(PROBLEM, {"f": "linear", "c": [1], "target": None, "x0": [0.5], "eps": 1, "T": 2})
    assert flat(instance.answers["eta"]) == pytest.approx(flat([[0], [-1], [-2]]))
    assert flat(instance.answers["x"]) == pytest.approx(flat([[0.5], [1 / (1 + math.e)], [1 / (1 + math.e ** 2)]]))
    assert expressions_equal(instance.answers["closed_form"], "sigmoid(logit(x0) - eps*g)", ("x0", "g", "eps"))
    assert check_instance(PROBLEM, instance) == []


def test_quadratic_by_hand():
    # target 0.75, x0 = 0.5, eps = 1: g0 = 2 (0.5 - 0.75) = -0.5, eta1 = 0 + 0.5 = 0.5,
    # x1 = sigmoid(0.5); g1 = 2 (x1 - 0.75), eta2 = 0.5 - g1, x2 = sigmoid(eta2).
    params = {"f": "quadratic", "c": None, "target": [0.75], "x0": [0.5], "eps": 1, "T": 2}
    instance = make_instance(PROBLEM, params)
    x1 = sigmoid(0.5)
    eta2 = 0.5 - 2 * (x1 - 0.75)
    assert x1 == pytest.approx(0.6224593, abs=1e-7)
    assert flat(instance.answers["eta"]) == pytest.approx(flat([[0], [0.5], [eta2]]))
    assert flat(instance.answers["x"]) == pytest.approx(flat([[0.5], [x1], [sigmoid(eta2)]]))
    assert check_instance(PROBLEM, instance) == []


def test_two_coordinates_by_hand():
    # logit(0.2) = -log 4, logit(0.75) = log 3; c = (2, -1), eps = 0.5, one step.
    params = {"f": "linear", "c": [2, -1], "target": None, "x0": [0.2, 0.75], "eps": 0.5, "T": 1}
    instance = make_instance(PROBLEM, params)
    eta1 = [-math.log(4) - 1, math.log(3) + 0.5]
    assert flat(instance.answers["eta"]) == pytest.approx(flat([[-math.log(4), math.log(3)], eta1]))
    assert flat(instance.answers["x"]) == pytest.approx(flat([[0.2, 0.75], [sigmoid(e) for e in eta1]]))
    assert check_instance(PROBLEM, instance) == []


@pytest.mark.parametrize("field, value", [
    ("closed_form", "sigmoid(logit(x0) + eps*g)"),
    ("closed_form", "x0 - eps*g"),
    ("x", [[0.5], [0.27], [0.12]]),
    ("eta", [[0], [-1], [-2.01]]),
])
def test_check_catches_wrong_answers(field, value):
    instance = make_instance(PROBLEM, {"f": "linear", "c": [1], "target": None, "x0": [0.5], "eps": 1, "T": 2})
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_unused_coefficients_must_be_null():
    with pytest.raises(ExamgenError, match="target is given"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), pins={
            "f": "linear", "c": [1], "target": [0.5], "x0": [0.5], "eps": 1, "T": 2})


def test_pinning_c_draws_a_linear_instance():
    instance = draw_instance(PROBLEM, Sampler(3, PROBLEM.id), pins={"c": [1, -1]})
    assert instance.params["f"] == "linear" and instance.params["target"] is None
    assert len(instance.params["x0"]) == 2


def test_saturating_iterates_are_rejected():
    # eta = 0 - 3 * 3 = -9 after 3 steps: x ~ 1e-4, outside [0.02, 0.98].
    with pytest.raises(ExamgenError, match="iterate"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), pins={
            "f": "linear", "c": [3], "target": None, "x0": [0.5], "eps": 1, "T": 3})


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


@pytest.mark.parametrize("params", [
    {"f": "linear", "c": [1], "target": None, "x0": [0.5], "eps": 1, "T": 2},
    {"f": "quadratic", "c": None, "target": [0.3, 0.6], "x0": [0.5, 0.5], "eps": 0.5, "T": 1},
])
def test_paper_statement_has_no_typing_hint(params):
    # The names x0, g, eps for typed answers belong to the online forms (the answer's symbols),
    # not to the printed sheet.
    text = question_tex(params)
    assert "typed" not in text
    assert r"\texttt{x0}" not in text and r"\texttt{eps}" not in text
    assert r"the step size $\varepsilon$." in text
