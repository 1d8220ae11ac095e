"""concepts/mlp-facts: statements about a network judged by hand, every mistake on them, check
against solve over many seeds, snapshot."""

import dataclasses

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

# widths 4 -> 5 -> 3, batch 8. Layer 1: W_1 is 4 x 5, (4+1)*5 = 25 parameters; layer 2: (5+1)*3 = 18;
# total 43 (without biases 20 + 15 = 35). Multiplications: 8 * (20 + 15) = 280. Stored: 8 * (5 + 3) = 64.
# dE/db_2 has 3 entries.
HAND = {"widths": [4, 5, 3], "B": 8, "statements": [
    {"kind": "total", "layer": 1, "claim": 35},           # false: no biases
    {"kind": "w_shape", "layer": 1, "claim": [4, 5]},     # true
    {"kind": "mults", "layer": 1, "claim": 280},          # true
    {"kind": "bias_grad", "layer": 2, "claim": 24},       # false: 8 * 3, a batch dimension
]}


def test_hand_statements():
    instance = make_instance(PROBLEM, HAND)
    assert instance.answers["true"] == [False, True, True, False]
    assert instance.values["total"] == 43
    assert instance.values["stored"] == 64
    assert [item["right"] for item in instance.values["statements_shown"]] == [43, [4, 5], 280, 3]
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_on_the_hand_statements():
    wrong = {m.name: m.wrong(HAND) for m in PROBLEM.mistakes}
    assert wrong["no-biases"] == {"true": [True, True, True, False]}
    assert wrong["transposed"] == {"true": [False, False, True, False]}
    assert wrong["per-example"] == {"true": [False, True, False, False]}      # they expect 35
    assert wrong["batch-in-gradient"] == {"true": [False, True, True, True]}
    assert wrong["bias-per-input"] == {}                                       # they expect 4*6 + 5*4 = 44: also false


def test_three_layers_by_hand():
    # widths 3 -> 4 -> 6 -> 2, batch 4: layer 3 has (6+1)*2 = 14; H_2 is 4 x 6; stored 4 * 12 = 48;
    # total 16 + 30 + 14 = 60.
    params = {"widths": [3, 4, 6, 2], "B": 4, "statements": [
        {"kind": "layer", "layer": 3, "claim": 14}, {"kind": "h_shape", "layer": 2, "claim": [6, 4]},
        {"kind": "stored", "layer": 1, "claim": 48}, {"kind": "total", "layer": 1, "claim": 60}]}
    instance = make_instance(PROBLEM, params)
    assert instance.answers["true"] == [True, False, True, True]
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, HAND)
    wrong = dataclasses.replace(instance, answers={"true": [True, True, True, False]})
    assert check_instance(PROBLEM, wrong) != []


def test_a_layer_beyond_the_network_is_refused():
    statements = [*HAND["statements"][:3], {"kind": "layer", "layer": 3, "claim": 10}]
    with pytest.raises(ExamgenError, match="layer must be 1 to 2"):
        draw_instance(PROBLEM, Sampler(1, PROBLEM.id), {**HAND, "statements": statements})


def test_false_claims_are_mistakes_values():
    # every false claim drawn is the value of one of the declared misconceptions
    module_misconceptions = PROBLEM.solve.__globals__["MISCONCEPTIONS"]
    for seed in range(100):
        p = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)).params
        for st in p["statements"]:
            values = [f(st["kind"], st["layer"], p["widths"], p["B"]) for f in module_misconceptions]
            right = PROBLEM.solve.__globals__["right_value"](st["kind"], st["layer"], p["widths"], p["B"])
            assert st["claim"] == right or st["claim"] in values


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, seeds=range(300))


def test_snapshot():
    check_snapshot(PROBLEM)
