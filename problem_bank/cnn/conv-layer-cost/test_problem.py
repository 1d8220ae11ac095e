"""cnn/conv-layer-cost: the source sheet's own instance and hand-computed ones."""


from generator.instance import check_instance, make_instance
from generator.testing import problem_here

PROBLEM = problem_here(__file__)


def test_sheet_instance():
    # exam-weight-decay-backprop-conv.md, question 2: X (48, 64, 10), W (3, 3, 10, 20).
    params = {"H": 48, "W": 64, "C_in": 10, "k": 3, "C_out": 20, "stride": 1, "pad": 0}
    instance = make_instance(PROBLEM, params)
    assert instance.answers["out_shape"] == [46, 62, 20]
    assert instance.answers["in_channels"] == 10
    assert instance.answers["out_channels"] == 20
    assert instance.answers["mults"] == 5_133_600
    assert instance.answers["params"] == 1_820
    # Our convention: k*k*C_in additions per output value (the bias included).
    assert instance.answers["adds"] == 5_133_600
    assert check_instance(PROBLEM, instance) == []


def test_stride_and_padding_by_hand():
    # (32 + 2*2 - 5)/2 + 1 = 16.5 -> excluded; (31 + 4 - 5)/2 + 1 = 16.
    params = {"H": 31, "W": 15, "C_in": 3, "k": 5, "C_out": 8, "stride": 2, "pad": 2}
    instance = make_instance(PROBLEM, params)
    assert instance.answers["out_shape"] == [16, 8, 8]
    assert instance.answers["mults"] == 5 * 5 * 3 * 16 * 8 * 8
    assert instance.answers["params"] == 5 * 5 * 3 * 8 + 8


def test_check_catches_a_wrong_answer():
    params = {"H": 48, "W": 64, "C_in": 10, "k": 3, "C_out": 20, "stride": 1, "pad": 0}
    instance = make_instance(PROBLEM, params)
    wrong = type(instance)(instance.problem_id, instance.params, {**instance.answers, "params": 1800},
                           instance.exact, instance.values)
    assert any("params" in message for message in check_instance(PROBLEM, wrong))



