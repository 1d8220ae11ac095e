"""cnn/conv-transpose-dilated: instances worked by hand, check against solve, snapshot."""

import dataclasses

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, make_instance, mistake_answers
from generator.params import check_params
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)

UPSAMPLE = {"op": "transposed", "size": 5, "k": 3, "stride": 2, "pad": 1, "dilation": 1, "output_pad": 1,
            "C_in": 4, "C_out": 8}
SAME = {"op": "dilated", "size": 10, "k": 3, "stride": 1, "pad": 2, "dilation": 2, "output_pad": 0, "C_in": 3, "C_out": 16}


def test_transposed_upsampling_by_two():
    # The usual 2x upsampling layer: full output (5 - 1) 2 + 3 = 11, cropped by 1 on each side, + 1: 10.
    # Parameters 3 * 3 * 4 * 8 + 8 = 296.
    instance = make_instance(PROBLEM, UPSAMPLE)
    assert instance.answers == {"out_size": 10, "effective_k": 3, "params": 296}
    assert check_instance(PROBLEM, instance) == []


def test_dilated_transposed_by_hand():
    # k_eff = 2 * 2 + 1 = 5; full output (4 - 1) 2 + 5 = 11, nothing cropped.
    instance = make_instance(PROBLEM, {**UPSAMPLE, "size": 4, "pad": 0, "dilation": 2, "output_pad": 0})
    assert instance.answers["out_size"] == 11
    assert instance.answers["effective_k"] == 5
    assert check_instance(PROBLEM, instance) == []


def test_dilated_same_padding_by_hand():
    # k_eff = 5 and pad 2 keep the size: (10 + 4 - 5)/1 + 1 = 10; parameters 27 * 16 + 16 = 448.
    instance = make_instance(PROBLEM, SAME)
    assert instance.answers == {"out_size": 10, "effective_k": 5, "params": 448}
    assert check_instance(PROBLEM, instance) == []


def test_dilated_with_stride_by_hand():
    # k_eff = 3 * 2 + 1 = 7; (11 - 7)/2 + 1 = 3.
    instance = make_instance(PROBLEM, {**SAME, "size": 11, "stride": 2, "pad": 0, "dilation": 3})
    assert instance.answers["out_size"] == 3
    assert instance.answers["effective_k"] == 7
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_by_hand():
    def wrong(name, params):
        return mistake_answers(PROBLEM, next(m for m in PROBLEM.mistakes if m.name == name), params)

    assert wrong("no-bias", SAME) == {"params": 432}
    assert wrong("undilated", SAME) == {"effective_k": 3, "out_size": 12}       # (10 + 4 - 3) + 1
    assert wrong("d-times-k", SAME) == {"effective_k": 6}
    assert wrong("size-slip", UPSAMPLE) == {"out_size": 14}                      # 8 + 2 + 3 + 1
    assert wrong("undilated", UPSAMPLE) == {}                                    # dilation 1: no effect


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, SAME)
    for field, value in (("out_size", 12), ("effective_k", 6), ("params", 432)):
        wrong = dataclasses.replace(instance, answers={**instance.answers, field: value})
        assert any(field in message for message in check_instance(PROBLEM, wrong)), field


def test_output_padding_of_a_forward_convolution_is_one_clear_error():
    with pytest.raises(ExamgenError, match="output_pad is 0"):
        check_params(PROBLEM.id, PROBLEM.params, PROBLEM.constraints, {**SAME, "output_pad": 1}, "spec")


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, range(300))


def test_snapshot():
    check_snapshot(PROBLEM)
