"""optimization/proximal-l2: instances computed by hand, one per convention of the two sheets."""

import dataclasses
from fractions import Fraction

import pytest

from generator.answers import expressions_equal
from generator.instance import check_instance, make_instance
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)
SYMBOLS = ("theta_t", "g", "lam", "eps")
NUMBERS = {"lam": 0.5, "eps": 0.2, "theta": [1, -2, 3], "g": [2, 1, -1]}


def test_assignments_sheet_convention_by_hand():
    # lambda/2 ||theta||^2 + 1/(2 eps) ||theta - theta_t||^2 (dl-assignments, eq. (12)):
    # theta_{t+1} = (theta_t - eps g)/(1 + lambda eps) = ((1, -2, 3) - 0.2 (2, 1, -1))/1.1
    #             = (0.6, -2.2, 3.2)/1.1 = (6/11, -2, 32/11); eps' = eps/(1 + lambda eps) = 0.2/1.1 = 2/11.
    instance = make_instance(PROBLEM, {"c_r": "lambda/2", "c_p": "1/(2eps)", **NUMBERS})
    assert instance.answers["theta_next"] == pytest.approx([6 / 11, -2, 32 / 11])
    assert instance.exact["theta_next"] == ["6/11", "-2", "32/11"]
    assert instance.answers["eps_equivalent"] == pytest.approx(2 / 11)
    assert expressions_equal(instance.answers["update_rule"], "(theta_t - eps*g)/(1 + lam*eps)", SYMBOLS)
    assert check_instance(PROBLEM, instance) == []


def test_seminar_convention_by_hand():
    # lambda ||theta||^2 + 1/eps ||theta - theta_t||^2 (seminar 5, eq. (1)): stationarity
    # g + 2 lambda theta + (2/eps)(theta - theta_t) = 0, so theta = (theta_t - (eps/2) g)/(1 + lambda eps)
    # = ((1, -2, 3) - 0.1 (2, 1, -1))/1.1 = (8/11, -21/11, 31/11); eps' = 1/(2 lambda + 2/eps) = 1/11.
    instance = make_instance(PROBLEM, {"c_r": "lambda", "c_p": "1/eps", **NUMBERS})
    assert instance.answers["theta_next"] == pytest.approx([8 / 11, -21 / 11, 31 / 11])
    assert instance.answers["eps_equivalent"] == pytest.approx(1 / 11)
    assert expressions_equal(instance.answers["update_rule"], "(theta_t - eps*g/2)/(1 + lam*eps)", SYMBOLS)
    assert check_instance(PROBLEM, instance) == []


@pytest.mark.parametrize(("c_r", "c_p", "rule", "eps_prime"), [
    # lambda ||.||^2 with 1/(2 eps): (2 theta/(2 eps) - g)/(2 lambda + 1/eps) = (theta - eps g)/(1 + 2 lambda eps);
    # eps' = 1/(2 lambda + 1/eps) = 1/(1 + 5) = 1/6.
    ("lambda", "1/(2eps)", "(theta_t - eps*g)/(1 + 2*lam*eps)", Fraction(1, 6)),
    # lambda/2 ||.||^2 with 1/eps: (2 theta/eps - g)/(lambda + 2/eps) = (theta - eps g/2)/(1 + lambda eps/2);
    # eps' = 1/(lambda + 2/eps) = 1/(0.5 + 10) = 2/21.
    ("lambda/2", "1/eps", "(theta_t - eps*g/2)/(1 + lam*eps/2)", Fraction(2, 21)),
])
def test_mixed_conventions_by_hand(c_r, c_p, rule, eps_prime):
    instance = make_instance(PROBLEM, {"c_r": c_r, "c_p": c_p, **NUMBERS})
    assert expressions_equal(instance.answers["update_rule"], rule, SYMBOLS)
    assert instance.answers["eps_equivalent"] == pytest.approx(float(eps_prime))
    # The plain SGD step with eps' lands on the proximal minimiser.
    c_r_value = {"lambda": 0.5, "lambda/2": 0.25}[c_r]
    sgd = [t - float(eps_prime) * (g + 2 * c_r_value * t) for t, g in zip(NUMBERS["theta"], NUMBERS["g"], strict=True)]
    assert instance.answers["theta_next"] == pytest.approx(sgd)
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, {"c_r": "lambda/2", "c_p": "1/(2eps)", **NUMBERS})
    for field, wrong_value in (("theta_next", [0.6, -2.2, 3.2]), ("eps_equivalent", 0.2),
                               ("update_rule", "(theta_t - eps*g)/(1 + 2*lam*eps)")):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: wrong_value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
