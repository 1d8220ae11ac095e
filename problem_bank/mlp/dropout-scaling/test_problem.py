"""mlp/dropout-scaling: instances worked by hand, a Monte Carlo estimate of the moments,
check against solve, snapshot."""

import dataclasses

import numpy as np
import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# q = 0.8: scale 1.25; unit 2 has a = 2, so its output is 2.5 w.p. 0.8 and 0 w.p. 0.2:
# mean 0.8 * 2.5 = 2, second moment 0.8 * 6.25 = 5, variance 5 - 4 = 1 (= 4 * 0.2 / 0.8).
HAND = {"n": 4, "a": [1, 2, -0.5, 3], "q": 0.8, "mask": [1, 1, 0, 0], "i": 2}


def test_keep_080_by_hand():
    a = make_instance(PROBLEM, HAND).answers
    assert a["scale"] == 1.25
    assert a["out"] == [1.25, 2.5, 0, 0]
    assert a["mean_unit"] == 2
    assert a["var_unit"] == 1
    assert check_instance(PROBLEM, make_instance(PROBLEM, HAND)) == []


def test_keep_060_exact_forms():
    # q = 0.6 = 3/5: scale 5/3; a_1 = 1.5: variance 2.25 * 0.4 / 0.6 = 1.5
    params = {"n": 4, "a": [1.5, -1, 2, 0.5], "q": 0.6, "mask": [0, 1, 1, 0], "i": 1}
    instance = make_instance(PROBLEM, params)
    assert instance.exact["scale"] == "5/3"
    assert instance.answers["scale"] == pytest.approx(5 / 3)
    assert instance.answers["out"] == pytest.approx([0, -5 / 3, 10 / 3, 0])
    assert instance.answers["var_unit"] == pytest.approx(1.5)


def test_monte_carlo_moments():
    # 400 000 masks per instance, 5 standard errors allowed for the mean and the variance.
    rng = np.random.default_rng(1)
    for seed in range(10):
        instance = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id))
        p, a = instance.params, instance.answers
        a_i, q = p["a"][p["i"] - 1], p["q"]
        samples = (rng.random(400_000) < q) * a_i / q
        se_mean = np.sqrt(a["var_unit"] / samples.size)
        assert abs(samples.mean() - a["mean_unit"]) <= 5 * se_mean
        # the sample variance of a two-point variable (0 or c = a_i / q) is c^2 f (1 - f) for
        # the kept fraction f, whose standard error is sqrt(q (1 - q) / N): at most c^2 times
        # that (|1 - 2q| <= 1), plus c^2 / N for the second-order term
        c2 = (a_i / q) ** 2
        se_var = c2 * np.sqrt(q * (1 - q) / samples.size) + c2 / samples.size
        assert abs(samples.var() - a["var_unit"]) <= 5 * se_var


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, seeds=range(300))


@pytest.mark.parametrize("field, value", [
    ("scale", 0.8),
    ("out", [1, 2, 0, 0]),                  # no rescaling
    ("var_unit", 0.64),                     # q (1 - q) a_i^2
    ("mean_unit", 1.6),
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, HAND)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_mistakes_by_hand():
    wrong = {m.name: m.wrong(HAND) for m in PROBLEM.mistakes}
    assert wrong["no-rescale"]["mean_unit"] == pytest.approx(1.6)
    assert wrong["scale-by-q"]["out"] == pytest.approx([0.8, 1.6, 0, 0])
    assert wrong["bernoulli-variance"]["var_unit"] == pytest.approx(0.64)


def test_pinned_mask_without_a_drop_is_an_error():
    with pytest.raises(ExamgenError, match="drops at least one"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {**HAND, "mask": [1, 1, 1, 1]})


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)


def test_activations_pinned_without_n():
    pins = {k: v for k, v in HAND.items() if k != "n"}
    instance = draw_instance(PROBLEM, Sampler(6, PROBLEM.id), pins)
    assert instance.params["n"] == 4 and instance.answers["var_unit"] == 1
    with pytest.raises(ExamgenError, match="a and mask have n entries"):
        draw_instance(PROBLEM, Sampler(6, PROBLEM.id), {**HAND, "n": 5})
