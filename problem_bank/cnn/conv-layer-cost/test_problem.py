"""cnn/conv-layer-cost: the source sheet's own instance and hand-computed ones."""

import re

from generator.instance import check_instance, make_instance
from generator.testing import check_snapshot, problem_here

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



def test_snapshot():
    # parameters, answers and rendered LaTeX of fixed seeds, recorded in snapshots/
    check_snapshot(PROBLEM)


def test_the_sheets_addition_count_is_an_accepted_alternative():
    # exam-weight-decay-backprop-conv.md, question 2 c): (3*3*10)(62*46)*20 + 20 = 5,133,620 additions.
    params = {"H": 48, "W": 64, "C_in": 10, "k": 3, "C_out": 20, "stride": 1, "pad": 0}
    instance = make_instance(PROBLEM, params)
    accepted = {a["value"]: a["convention"] for a in instance.alternatives["adds"]}
    assert 5_133_620 in accepted and "sheet" in accepted[5_133_620]
    # The sums' 89 additions per output value, and the 20 biases added once per output channel.
    assert (3 * 3 * 10 - 1) * (46 * 62 * 20) + 20 in accepted
    assert len(accepted) == 2 and instance.answers["adds"] not in accepted
    entry = instance.key_entry(PROBLEM)
    assert entry["alternatives"]["adds"] == instance.alternatives["adds"]


def test_check_confirms_each_alternative():
    params = {"H": 48, "W": 64, "C_in": 10, "k": 3, "C_out": 20, "stride": 1, "pad": 0}
    instance = make_instance(PROBLEM, params)
    broken = [dict(a) for a in instance.alternatives["adds"]]
    broken[0]["value"] += 1
    wrong = type(instance)(instance.problem_id, instance.params, instance.answers, instance.exact,
                           instance.values, alternatives={"adds": broken})
    assert any("adds_sheet" in message for message in check_instance(PROBLEM, wrong))


def test_solution_names_the_accepted_conventions():
    from generator.render import render_problem

    params = {"H": 48, "W": 64, "C_in": 10, "k": 3, "C_out": 20, "stride": 1, "pad": 0}
    instance = make_instance(PROBLEM, params)
    points = {p.name: float(p.points) for p in PROBLEM.parts}
    rendered = render_problem(PROBLEM.id, instance.params, instance.values, points,
                              {p.name: p.space for p in PROBLEM.parts})
    text = re.sub(r"\\+,", "", str(rendered))       # 5\,133\,620 -> 5133620, whatever the structure
    for value in ("5133620", "5076580", "5133600"):
        assert value in text
    assert "any stated convention" not in text


def test_drawn_images_have_an_image_like_aspect_ratio():
    from generator.instance import draw_instance
    from generator.seeds import Sampler

    shapes = set()
    for seed in range(300):
        params = draw_instance(PROBLEM, Sampler(seed, PROBLEM.id)).params
        assert max(params["H"], params["W"]) <= 2 * min(params["H"], params["W"]), params
        shapes.add((params["H"], params["W"]))
    assert len(shapes) > 50          # the sizes still vary
