"""mlp/batchnorm-forward-backward: instances worked by hand, identities, check against solve, snapshot."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# x = (-1, 0, 1): mu = 0, var = 2/3, sigma = sqrt(2/3) with eps = 0; xhat = (-1, 0, 1) * sqrt(3/2).
HAND = {"N": 3, "x": [-1, 0, 1], "gamma": 2, "beta": 0.5, "eps": 0, "g": [1, 0.5, -1]}


def test_symmetric_batch_by_hand():
    a = make_instance(PROBLEM, HAND).answers
    r = math.sqrt(1.5)                                            # 1 / sigma = 1.2247449
    assert a["mu"] == 0
    assert a["var"] == pytest.approx(2 / 3)
    assert a["xhat"] == pytest.approx([-r, 0, r])
    assert a["y"] == pytest.approx([0.5 - 2 * r, 0.5, 0.5 + 2 * r])
    assert a["dL_dbeta"] == 0.5                                  # 1 + 0.5 - 1
    assert a["dL_dgamma"] == pytest.approx(-2 * r)               # 1 (-r) + 0 + (-1) r
    # d = gamma g = (2, 1, -2); mean(d) = 1/3; mean(d xhat) = (-2r - 2r)/3 = -4r/3;
    # dL/dx_j = r (d_j - 1/3 + xhat_j 4r/3) with xhat_j r = (-1.5, 0, 1.5)
    assert a["dL_dx"] == pytest.approx([r * (2 - 1 / 3 - 2), r * (1 - 1 / 3), r * (-2 - 1 / 3 + 2)])
    assert check_instance(PROBLEM, make_instance(PROBLEM, HAND)) == []


def test_eps_by_hand():
    # x = (0, 2, 2, 4): mu = 2, var = (4 + 0 + 0 + 4)/4 = 2; with eps = 0.01, sigma = sqrt(2.01).
    params = {"N": 4, "x": [0, 2, 2, 4], "gamma": 1, "beta": 0, "eps": 0.01, "g": [1, 1, -1, 0.5]}
    a = make_instance(PROBLEM, params).answers
    assert (a["mu"], a["var"]) == (2, 2)
    s = math.sqrt(2.01)                                           # 1.4177447
    assert a["xhat"] == pytest.approx([-2 / s, 0, 0, 2 / s])
    assert a["dL_dgamma"] == pytest.approx(-2 / s + 1 / s)
    assert a["dL_dbeta"] == 1.5


def test_identities_over_many_seeds():
    for seed in range(200):
        a = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)).answers
        assert sum(a["dL_dx"]) == pytest.approx(0, abs=1e-12)    # invariance to a shift of x
        assert sum(a["xhat"]) == pytest.approx(0, abs=1e-12)
        n = len(a["xhat"])
        params = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)).params
        # mean(xhat^2) = var / (var + eps)
        assert sum(v * v for v in a["xhat"]) / n == pytest.approx(a["var"] / (a["var"] + params["eps"]))


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, seeds=range(200))


@pytest.mark.parametrize("field, value", [
    ("var", 1.0),                                                 # unbiased: 2 / (3 - 1)
    ("dL_dx", [0, 0.8164966, -0.8164966]),
    ("dL_dgamma", 2.4494897),
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, HAND)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_mistakes_by_hand():
    wrong = {m.name: m.wrong(HAND) for m in PROBLEM.mistakes}
    assert wrong["unbiased-variance"]["var"] == 1
    assert wrong["unbiased-variance"]["xhat"] == [-1, 0, 1]
    r = math.sqrt(1.5)
    # without the mean path the 1/3 is missing: r (d_j + xhat_j 4r/3)
    assert wrong["mean-constant"]["dL_dx"] == pytest.approx([r * (2 - 2), r * 1, r * (-2 + 2)])
    # without the variance path only d - mean(d) remains
    assert wrong["var-constant"]["dL_dx"] == pytest.approx([r * (2 - 1 / 3), r * (1 - 1 / 3), r * (-2 - 1 / 3)])


def test_pinned_constant_batch_is_an_error():
    with pytest.raises(ExamgenError, match="var >= 0.5"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {**HAND, "x": [1, 1, 1]})


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)


def test_batch_pinned_without_n():
    pins = {k: v for k, v in HAND.items() if k != "N"}
    instance = draw_instance(PROBLEM, Sampler(4, PROBLEM.id), pins)
    assert instance.params["N"] == 3 and instance.answers["dL_dbeta"] == 0.5
    with pytest.raises(ExamgenError, match="x and g have N entries"):
        draw_instance(PROBLEM, Sampler(4, PROBLEM.id), {**HAND, "N": 4})
