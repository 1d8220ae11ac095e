"""attention/transformer-cost: hand-computed instances with and without biases, the check
agreeing with the solver over many seeds, refused pins, and the seed snapshot."""

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance
from generator.params import check_params
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

PARAMS = {"d": 64, "h": 4, "r": 4, "n": 128, "batch": 2, "bytes_per_value": 2, "bias": True}


def test_small_block_by_hand():
    check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, PARAMS, "test")
    instance = make_instance(PROBLEM, PARAMS)
    a = instance.answers
    assert a["params_attention"] == 16_640          # 4 * 64^2 + 4 * 64 = 16384 + 256
    assert a["params_mlp"] == 33_088                # 2 * 4 * 64^2 + (256 + 64) = 32768 + 320
    assert a["params_block"] == 49_984              # + 2 LayerNorms of 2 * 64
    assert a["flops_attention_scores"] == 8_388_608  # 4 * 2 * 128^2 * 64
    assert a["kv_cache_bytes"] == 65_536            # 2 * 2 * 128 * 64 values of 2 bytes
    assert check_instance(PROBLEM, instance) == []


def test_without_biases_by_hand():
    instance = make_instance(PROBLEM, {**PARAMS, "bias": False, "bytes_per_value": 4})
    a = instance.answers
    assert (a["params_attention"], a["params_mlp"], a["params_block"]) == (16_384, 32_768, 49_408)
    assert a["kv_cache_bytes"] == 131_072
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, PARAMS)
    wrong = type(instance)(instance.problem_id, instance.params,
                           {**instance.answers, "params_attention": 12_480, "flops_attention_scores": 4_194_304},
                           instance.exact, instance.values)
    messages = check_instance(PROBLEM, wrong)
    assert any(m.startswith("params_attention") for m in messages)
    assert any(m.startswith("flops_attention_scores") for m in messages)


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, range(300))


def test_heads_must_divide_the_width():
    with pytest.raises(ExamgenError, match="h divides d"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**PARAMS, "h": 12}, "test")


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
