"""probability/node-statistics: hand-computed instances, the Monte Carlo check's teeth."""

import dataclasses

import pytest

from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def test_hand_computed_instance():
    # Var[y] = n var_w var_x = 128 * 0.01 * 2 = 2.56; preserving var_w = 1/128 = 0.0078125.
    instance = make_instance(PROBLEM, {"n": 128, "var_x": 2, "var_w": 0.01})
    assert instance.answers["mean_y"] == 0
    assert instance.answers["var_y"] == pytest.approx(2.56)
    assert instance.answers["sigma_w2_preserving"] == pytest.approx(0.0078125)
    assert instance.exact["sigma_w2_preserving"] == "1/128"
    assert float(instance.values["gain"]) == pytest.approx(1.28)   # n var_w: the variance grows
    assert check_instance(PROBLEM, instance) == []


def test_second_hand_instance():
    # 16 * 0.125 * 0.5 = 1; 1/16 = 0.0625.
    instance = make_instance(PROBLEM, {"n": 16, "var_x": 0.5, "var_w": 0.125})
    assert instance.answers["var_y"] == pytest.approx(1.0)
    assert instance.answers["sigma_w2_preserving"] == pytest.approx(0.0625)
    assert check_instance(PROBLEM, instance) == []


@pytest.mark.parametrize("field, value", [
    ("var_y", 2.56 * 1.1),        # 10% off: the 5-standard-error band is about 5% wide
    ("var_y", 0.02),              # forgot the factor n
    ("mean_y", 0.5),
    ("sigma_w2_preserving", 128 ** -0.5),
])
def test_check_catches_wrong_answers(field, value):
    instance = make_instance(PROBLEM, {"n": 128, "var_x": 2, "var_w": 0.01})
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_monte_carlo_tolerance_is_five_standard_errors():
    instance = make_instance(PROBLEM, {"n": 256, "var_x": 1, "var_w": 0.02})
    var = PROBLEM.check(instance.params, instance.answers)["var_y"]
    # For a sum of many +-1 products y is nearly Gaussian: SE(var) ~ var_y sqrt(2/N), N = 20000.
    expected_se = 5.12 * (2 / 20_000) ** 0.5
    assert 0.8 * 5 * expected_se < var.atol < 1.2 * 5 * expected_se
    assert abs(var.value - 5.12) <= var.atol


def test_preserving_initialisation_is_rejected():
    # var_w = 1/n would answer the last part in the statement.
    # A pin may ask for it (the sheet's own instance): taken, with the constraint named.
    instance = draw_instance(PROBLEM, Sampler(0, PROBLEM.id), pins={"n": 100, "var_x": 1, "var_w": 0.01})
    assert instance.answers["var_y"] == pytest.approx(1.0)          # n var_w var_x = 100 * 0.01 * 1
    assert any("pedagogical constraint 'var_w differs from 1/n'" in w for w in instance.warnings)


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
