"""cnn/receptive-field: hand-computed stacks, pinned-value errors, a wrong answer caught."""

import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def conv(k, s):
    return {"type": "conv", "k": k, "s": s}


def pool(k, s):
    return {"type": "pool", "k": k, "s": s}


def test_vgg_like_stack_by_hand():
    # S: 1+2*1=3, 3+2*1=5, 5+1*1=6, 6+2*2=10, 10+2*2=14, 14+1*2=16; T: 1, 1, 2, 2, 2, 4.
    layers = [conv(3, 1), conv(3, 1), pool(2, 2), conv(3, 1), conv(3, 1), pool(2, 2)]
    instance = make_instance(PROBLEM, {"layers": layers})
    assert instance.answers["rf_size"] == [3, 5, 6, 10, 14, 16]
    assert instance.answers["rf_stride"] == [1, 1, 2, 2, 2, 4]
    assert instance.answers["final_size"] == 16
    assert instance.answers["final_stride"] == 4
    assert check_instance(PROBLEM, instance) == []


def test_stride_larger_than_kernel_by_hand():
    # A 1x1 convolution with stride 2 skips inputs; the bounding box still follows the recurrence:
    # S: 1+0*1=1, 1+2*2=5, 5+6*4=29; T: 2, 4, 4.
    layers = [conv(1, 2), pool(3, 2), conv(7, 1)]
    instance = make_instance(PROBLEM, {"layers": layers})
    assert instance.answers["rf_size"] == [1, 5, 29]
    assert instance.answers["rf_stride"] == [2, 4, 4]
    assert (instance.answers["final_size"], instance.answers["final_stride"]) == (29, 4)
    assert check_instance(PROBLEM, instance) == []


def test_check_catches_a_wrong_answer():
    layers = [conv(3, 1), conv(3, 1), pool(2, 2), conv(3, 1), conv(3, 1), pool(2, 2)]
    instance = make_instance(PROBLEM, {"layers": layers})
    # The "forgot the stride factor" answer: 3, 5, 6, 8, 10, 11.
    wrong_sizes = [3, 5, 6, 8, 10, 11]
    wrong = type(instance)(instance.problem_id, instance.params,
                           {**instance.answers, "rf_size": wrong_sizes, "final_size": 11},
                           instance.exact, instance.values)
    messages = check_instance(PROBLEM, wrong)
    assert any(m.startswith("rf_size") for m in messages)
    assert any(m.startswith("final_size") for m in messages)
    mistake = next(m for m in PROBLEM.mistakes if m.name == "no-stride-factor")
    assert mistake.wrong({"layers": layers}) == {"rf_size": wrong_sizes, "final_size": 11}


@pytest.mark.parametrize(("layers", "message"), [
    ([conv(3, 1), pool(5, 2), conv(3, 1)], "layer 2"),
    ([conv(3, 1), {"type": "dense", "k": 3, "s": 1}, conv(3, 1)], "layer 2"),
    ([conv(3, 1), conv(3, 1), {"k": 3, "s": 1}], "layer 3"),
    ([conv(3, 1), conv(3, 1)], "3 to 6 layers"),
])
def test_pinned_layers_that_are_invalid_are_clear_errors(layers, message):
    with pytest.raises(ExamgenError, match=message):
        draw_instance(PROBLEM, Sampler(1, PROBLEM.id), {"layers": layers})


def test_three_strided_layers_in_a_row_are_a_warning():
    # Pedagogical only: the recurrence handles any stack.
    layers = [conv(3, 2), pool(2, 2), pool(2, 2), conv(3, 1)]
    instance = draw_instance(PROBLEM, Sampler(1, PROBLEM.id), {"layers": layers})
    # S_l = S_{l-1} + (k - 1) T_{l-1}, T_l = T_{l-1} s: S = 1+2, 3+1*2, 5+1*4, 9+2*8 and T = 2, 4, 8, 8.
    assert instance.answers["rf_size"] == [3, 5, 9, 25]
    assert instance.answers["rf_stride"] == [2, 4, 8, 8]
    assert any("consecutive layers with stride > 1" in w for w in instance.warnings)


def test_sampled_stacks_respect_the_catalog():
    for seed in range(40):
        layers = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)).params["layers"]
        assert 3 <= len(layers) <= 6
        for layer in layers:
            if layer["type"] == "conv":
                assert layer["k"] in (1, 3, 5, 7) and layer["s"] in (1, 2)
            else:
                assert layer["k"] in (2, 3) and layer["s"] in (2, 3)


def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)
