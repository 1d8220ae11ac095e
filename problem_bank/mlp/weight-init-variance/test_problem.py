"""mlp/weight-init-variance: instances worked by hand, a pinned odd width, round draws,
check against solve, snapshot."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

HE = {"scheme": "he", "n_in": 512, "n_out": 500, "v": 1.5}
XAVIER = {"scheme": "xavier", "n_in": 100, "n_out": 400, "v": 1.75}


def test_he_by_hand():
    # 2/512 = 1/256 = 0.00390625 = 0.0625^2; r = sqrt(3) * 0.0625; Var z = 512 * 2/512 * 1.5 = 3
    a = make_instance(PROBLEM, HE).answers
    assert a["var_w"] == 0.00390625
    assert a["std_w"] == pytest.approx(0.0625)
    assert a["uniform_bound"] == pytest.approx(0.1082532, abs=1e-7)
    assert a["var_preact"] == 3
    assert check_instance(PROBLEM, make_instance(PROBLEM, HE)) == []


def test_xavier_by_hand():
    # 2/(100 + 400) = 0.004; sqrt(0.004) = 0.0632456; sqrt(0.012) = 0.1095445; 100 * 0.004 * 1.75 = 0.7
    a = make_instance(PROBLEM, XAVIER).answers
    assert a["var_w"] == 0.004
    assert a["std_w"] == pytest.approx(0.0632456, abs=1e-7)
    assert a["uniform_bound"] == pytest.approx(0.1095445, abs=1e-7)
    assert a["var_preact"] == pytest.approx(0.7)
    assert check_instance(PROBLEM, make_instance(PROBLEM, XAVIER)) == []


def test_pinned_odd_width_has_an_exact_form():
    instance = make_instance(PROBLEM, {"scheme": "he", "n_in": 300, "n_out": 17, "v": 1})
    assert instance.exact["var_w"] == "1/150"
    assert instance.answers["var_w"] == pytest.approx(1 / 150)
    assert instance.answers["uniform_bound"] == pytest.approx(math.sqrt(0.02))
    assert check_instance(PROBLEM, instance) == []


def test_drawn_variances_are_short_decimals():
    for seed in range(200):
        instance = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id))
        p = instance.params
        fan = p["n_in"] + p["n_out"] if p["scheme"] == "xavier" else p["n_in"]
        assert "var_w" not in instance.exact, (seed, fan)       # 2/fan terminates
        assert round(instance.answers["var_w"] * fan, 12) == 2


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, seeds=range(100))


@pytest.mark.parametrize("field, value", [
    ("var_w", 0.001953125),                 # 1/512: the 2 forgotten
    ("uniform_bound", 0.0625),              # the standard deviation
    ("var_preact", 0.005859375),            # var_w v, without n_in
    ("std_w", 0.00390625),                  # the variance
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, HE)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_mistakes_by_hand():
    wrong = {m.name: m.wrong(XAVIER) for m in PROBLEM.mistakes}
    assert wrong["no-factor-2"]["var_w"] == 0.002
    assert wrong["bound-is-std"]["uniform_bound"] == pytest.approx(0.0632456, abs=1e-7)
    assert wrong["no-fan-in"]["var_preact"] == pytest.approx(0.007)


def test_pinned_width_out_of_range_is_an_error():
    with pytest.raises(ExamgenError, match="n_in"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {"n_in": 8})


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
