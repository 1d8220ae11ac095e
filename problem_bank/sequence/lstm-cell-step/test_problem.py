"""sequence/lstm-cell-step: a cell step worked by hand (pre-activations 0 and 1, where
sigma(0) = 1/2), the parameter count, check against solve over many seeds, wrong answers
caught, the declared mistakes, the snapshot."""

import dataclasses
import math

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance, mistake_answers
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# [h_prev; x] = (0.5, 1): z_i = 0.5 - 0.5 = 0, z_f = 0.5 + 0.5 = 1, z_o = -0.5 + 0.5 = 0,
# z_g = -0.5 - 1 + 0.5 = -1.
SCALAR = {"n_h": 1, "n_x": 1, "x": [1.0], "h_prev": [0.5], "c_prev": [1.0],
          "W": [[1.0, -0.5], [0.0, 0.5], [-1.0, 0.5], [-1.0, -1.0]], "b": [0.0, 0.5, 0.0, 0.5]}
SIGMA_1 = 0.7310585786       # 1 / (1 + e^-1)
TANH_1 = 0.7615941560


def test_scalar_cell_by_hand():
    a = make_instance(PROBLEM, SCALAR).answers
    assert a["i"] == [0.5]
    assert a["f"] == pytest.approx([SIGMA_1])
    assert a["o"] == [0.5]
    assert a["g"] == pytest.approx([-TANH_1])
    c = SIGMA_1 * 1.0 - 0.5 * TANH_1                 # 0.3502615006
    assert a["c"] == pytest.approx([c])
    assert a["h"] == pytest.approx([0.5 * math.tanh(c)])
    assert a["h"][0] == pytest.approx(0.1683, abs=1e-4)   # 0.5 * tanh(0.3503) = 0.5 * 0.3366
    assert a["params"] == 12                          # 4 * (1 * 2 + 1)
    assert check_instance(PROBLEM, make_instance(PROBLEM, SCALAR)) == []


def test_two_units_count_and_check():
    params = {"n_h": 2, "n_x": 1, "x": [0.5], "h_prev": [0.25, -0.5], "c_prev": [1.0, -0.5],
              "W": [[0.5, 0, 1], [-0.5, 1, 0], [0, 0.5, -1], [1, 0, 0.5],
                    [0.5, 0.5, 0.5], [-1, 0, 1], [0, -1, 0.5], [1, 1, 0]],
              "b": [0, 0.5, -0.5, 0, 0.5, 0, 0, 0.5]}
    instance = make_instance(PROBLEM, params)
    assert instance.answers["params"] == 32           # 4 * (2 * 3 + 2)
    # unit 2 of the forget gate: row 4, (1, 0, 0.5) . (0.25, -0.5, 0.5) + 0 = 0.5
    assert instance.answers["f"][1] == pytest.approx(1 / (1 + math.exp(-0.5)))
    # unit 1 of the candidate: row 7, (0, -1, 0.5) . (0.25, -0.5, 0.5) + 0 = 0.75
    assert instance.answers["g"][0] == pytest.approx(math.tanh(0.75))
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_by_hand():
    mistakes = {m.name: m for m in PROBLEM.mistakes}
    c = SIGMA_1 - 0.5 * TANH_1
    assert mistake_answers(PROBLEM, mistakes["no-biases"], SCALAR)["params"] == 8
    assert mistake_answers(PROBLEM, mistakes["h-without-tanh"], SCALAR)["h"] == pytest.approx([0.5 * c])
    no_input = mistake_answers(PROBLEM, mistakes["no-input-gate"], SCALAR)
    assert no_input["c"] == pytest.approx([SIGMA_1 - TANH_1])
    assert mistake_answers(PROBLEM, mistakes["sigmoid-candidate"], SCALAR)["g"] == pytest.approx([1 - SIGMA_1])


@pytest.mark.parametrize("field, value", [
    ("i", [0.6]), ("c", [1.4926]), ("h", [0.5559]), ("params", 8),
])
def test_check_catches_a_wrong_answer(field, value):
    instance = make_instance(PROBLEM, SCALAR)
    wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
    assert any(message.startswith(field) for message in check_instance(PROBLEM, wrong))


def test_pinned_saturated_gate_is_an_error():
    # n_x = 2, every weight 1 and every bias 0.5: z = 0.5 + 1 + 1 + 0.5 = 3 > 2.5
    saturated = {"n_h": 1, "n_x": 2, "x": [1.0, 1.0], "h_prev": [0.5], "c_prev": [1.0],
                 "W": [[1.0, 1.0, 1.0]] * 4, "b": [0.5] * 4}
    with pytest.raises(ExamgenError, match="no saturated gate"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), saturated)


def test_pinning_the_arrays_alone_sets_the_sizes():
    arrays = {k: v for k, v in SCALAR.items() if k not in ("n_h", "n_x")}
    for seed in range(5):
        instance = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id), arrays)
        assert (instance.params["n_h"], instance.params["n_x"]) == (1, 1)
        assert instance.answers["params"] == 12
    with pytest.raises(ExamgenError, match="4 n_h rows"):
        draw_instance(PROBLEM, Sampler(0, PROBLEM.id), {**SCALAR, "n_h": 2})


def test_check_agrees_over_seeds():
    check_agrees(PROBLEM, range(300))


def test_every_allowed_size_is_drawn():
    sizes = {(i.params["n_h"], i.params["n_x"])
             for i in (draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)) for seed in range(40))}
    assert sizes == {(1, 1), (1, 2), (2, 1)}


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
