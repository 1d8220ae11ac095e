"""backprop/backprop-two-layer-sigmoid: hand-computed instances (z = 0, where sigma = 1/2,
and z = +-1, where sigma(1) + sigma(-1) = 1), counts, wrong answers caught by check."""

import dataclasses
import math

import pytest

from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# z = W1 x = (0, 0), so u = (1/2, 1/2) and sigma'(z) = 1/4 exactly.
HALVES = {"W1": [[0.5, -0.5], [-1, 1]], "W2": [[1, -2]], "x": [1, 1], "y": [0.5]}


def test_zero_preactivation_by_hand():
    a = make_instance(PROBLEM, HALVES).answers
    assert a["z"] == [0, 0]
    assert a["u"] == [0.5, 0.5]
    assert a["y_hat"] == [-0.5]                      # 0.5 - 2 * 0.5
    assert a["loss"] == 1                            # (-0.5 - 0.5)^2
    assert a["dL_dyhat"] == [-2]
    assert a["dL_dW2"] == [[-1, -1]]                 # -2 * (0.5, 0.5)
    assert a["dL_dz"] == [-0.5, 1]                   # W2^T (-2) = (-2, 4), times 1/4
    assert a["dL_dW1"] == [[-0.5, -0.5], [1, 1]]
    # d = h = 2, o = 1. Forward: W1 x 4, W2 u 2, square 1. Backward: 2(.) 1, outer 2,
    # W2^T 2, u(1 - u) 2, elementwise 2, outer 4.
    assert (a["forward_mults"], a["backward_mults"], a["costlier_pass"]) == (7, 13, "backward")
    assert check_instance(PROBLEM, make_instance(PROBLEM, HALVES)) == []


def test_symmetric_preactivations_by_hand():
    # z = (1, -1); sigma(1) = 0.7310586 (calculator), sigma(-1) = 1 - sigma(1), so y_hat = 1.
    params = {"W1": [[1, 0], [0, -1]], "W2": [[1, 1]], "x": [1, 1], "y": [0.5]}
    s1 = 1 / (1 + math.exp(-1))
    a = make_instance(PROBLEM, params).answers
    assert a["u"] == pytest.approx([0.7310586, 0.2689414], abs=1e-7)
    assert a["y_hat"] == pytest.approx([1.0])
    assert a["loss"] == pytest.approx(0.25)
    assert a["dL_dyhat"] == pytest.approx([1.0])
    assert a["dL_dW2"][0] == pytest.approx([s1, 1 - s1])
    # W2^T dL/dy_hat = (1, 1); sigma'(1) = sigma'(-1) = s1 (1 - s1) = 0.1966119
    assert a["dL_dz"] == pytest.approx([0.1966119, 0.1966119], abs=1e-7)
    for row in a["dL_dW1"]:
        assert row == pytest.approx([0.1966119, 0.1966119], abs=1e-7)
    assert check_instance(PROBLEM, make_instance(PROBLEM, params)) == []


def test_largest_sizes_count():
    # d = h = 3, o = 2: forward 9 + 6 + 2 = 17; backward 2 + 6 + 6 + 3 + 3 + 9 = 29.
    params = {"W1": [[0.5, -0.25, 0.5], [0.75, 0.5, -0.5], [-1, 0.25, 0.5]],
              "W2": [[1.5, -0.5, 2], [-1, 0.5, 1]], "x": [1, -2, 2], "y": [0.5, -1]}
    instance = make_instance(PROBLEM, params)
    assert (instance.answers["forward_mults"], instance.answers["backward_mults"]) == (17, 29)
    assert check_instance(PROBLEM, instance) == []


@pytest.mark.parametrize("field, value", [
    ("dL_dW1", [[-0.25, -0.25], [0.5, 0.5]]),     # the 2 of the square forgotten
    ("dL_dz", [-1.0, 2.0]),                        # sigma'(z) taken as sigma(z) = 1/2
    ("backward_mults", 7),
    ("costlier_pass", "forward"),
    ("loss", 0.5),
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, HALVES)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_pinned_saturated_unit_is_a_warning():
    # z_1 = 1*2 + 1*2 = 4 > 2.5: the sigmoid saturates, still solvable: taken with a warning.
    instance = draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {**HALVES, "W1": [[1, 1], [0.5, 0]], "x": [2, 2]})
    assert instance.answers["z"] == [4, 1]
    assert any("sigmoid not saturated" in w and "pedagogical" in w for w in instance.warnings)


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)


def test_drawn_inputs_give_distinct_gradient_columns():
    # dL/dW1 = delta x^T: x = (2, 2) would make its two columns identical.
    for seed in range(300):
        instance = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id))
        x = instance.params["x"]
        assert len(set(x)) == len(x), x
        columns = list(zip(*instance.answers["dL_dW1"], strict=True))
        assert len(set(columns)) == len(columns)
