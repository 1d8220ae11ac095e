"""Exam specs: valid ones plan correctly; each kind of bad spec gives one clear line and exit 1."""

from __future__ import annotations

import pytest

from generator.errors import ExamgenError
from generator.plan import distribute, make_plan
from generator.spec import load_spec

GOOD = """\
title: Quiz
seed: 3
variants: 2
problems:
  - id: conv-layer-cost
    points: 5
    params: {stride: 1}
"""


def _load(write_spec, text):
    path = write_spec(text)
    spec, where = load_spec(path)
    return make_plan(spec, where, path)


def test_good_spec_plans_slots_and_points(write_spec):
    plan = _load(write_spec, GOOD)
    assert plan.variant_keys == ("001", "002")
    (slot,) = plan.slots
    assert slot.problem_id == "cnn/conv-layer-cost" and slot.key == "cnn/conv-layer-cost"
    assert slot.points == 5
    # default part points 3:1:4:2 scaled to 5 in half points: 1.5, 0.5, 2, 1
    assert dict(slot.parts) == {"shape": 1.5, "channels": 0.5, "ops": 2.0, "params": 1.0}
    assert slot.pins == {"stride": 1}


def test_parts_subset_and_explicit_points(write_spec):
    plan = _load(write_spec, GOOD.replace("points: 5", "parts: {ops: 6, shape: 2}"))
    assert plan.slots[0].parts == (("shape", 2.0), ("ops", 6.0))  # sheet order is the problem's
    plan = _load(write_spec, GOOD.replace("points: 5", "parts: [params, shape]"))
    assert plan.slots[0].parts == (("shape", 3.0), ("params", 2.0))


def test_repeated_problem_gets_distinct_slot_keys(write_spec):
    text = GOOD + "  - id: cnn/conv-layer-cost\n  - id: cnn/conv-layer-cost\n    slot: extra\n"
    plan = _load(write_spec, text)
    assert [s.key for s in plan.slots] == ["cnn/conv-layer-cost", "cnn/conv-layer-cost#2", "extra"]


def test_distribute_sums_exactly():
    assert distribute(10, [3, 1, 4, 2]) == [3, 1, 4, 2]
    assert sum(distribute(7, [1, 1, 1])) == 7
    assert distribute(7, [1, 1, 1]) == [2.5, 2.5, 2.0]


@pytest.mark.parametrize("text, where, what", [
    ("title: [unclosed\n", "spec.yaml:2", "YAML does not parse"),
    (GOOD.replace("title: Quiz\n", ""), "spec.yaml:1: title", "field 'title' is missing"),
    (GOOD.replace("variants: 2", "variant: 2"), "spec.yaml:3: variant", "unknown field 'variant'"),
    (GOOD.replace("variants: 2", "variants: 0"), "spec.yaml:3: variants", "greater than 0"),
    (GOOD.replace("variants: 2", "variants: 1000000"), "spec.yaml:3: variants", "less than or equal to 5000"),
    (GOOD.replace("variants: 2", "variants: two"), "spec.yaml:3: variants", "valid integer"),
    (GOOD.replace("seed: 3", "seed: 1.5"), "spec.yaml:2: seed", "whole number"),
    (GOOD.replace("points: 5", "points: 0"), "spec.yaml:6: problems[0].points", "greater than 0"),
    (GOOD.replace("points: 5", "points: -2"), "spec.yaml:6: problems[0].points", "greater than 0"),
    (GOOD.replace("points: 5", "pionts: 5"), "spec.yaml:6: problems[0].pionts", "unknown field 'pionts'"),
    (GOOD.replace("conv-layer-cost", "conv-layer-costs"), "spec.yaml:5: problems[0].id", "unknown problem"),
    (GOOD.replace("{stride: 1}", "{strides: 1}"), "spec.yaml:5: problems[0]", "has no parameter 'strides'"),
    ("- just a list\n", "spec.yaml", "must be a YAML mapping"),
    (GOOD.replace("    points: 5\n", "    parts: [shape, nope]\n"), "problems[0].parts", "has no part 'nope'"),
])
def test_bad_specs_name_file_line_and_field(write_spec, text, where, what):
    path = write_spec(text)
    with pytest.raises(ExamgenError) as caught:
        spec, at = load_spec(path)
        make_plan(spec, at, path)
    line = str(caught.value)
    assert where in line, line
    assert what in line, line
    assert "\n" not in line


def test_unknown_field_suggests_the_right_one(write_spec):
    path = write_spec(GOOD.replace("variants: 2", "variant: 2"))
    with pytest.raises(ExamgenError, match="did you mean 'variants'"):
        load_spec(path)


def test_unknown_problem_suggests_close_ids(write_spec):
    path = write_spec(GOOD.replace("conv-layer-cost", "cnn/conv-layer-costs"))
    with pytest.raises(ExamgenError, match="did you mean 'cnn/conv-layer-cost'"):
        make_plan(*load_spec(path), path)


def test_bad_pins_are_errors_not_resamples(write_spec):
    from generator.variants import make_variant

    # k = 4 is outside the sampled kernels but inside the domain (solve handles it): accepted;
    # k = 100 is outside the domain: an error.
    assert make_variant(_load(write_spec, GOOD.replace("{stride: 1}", "{k: 4}")), "001").slots[0][1].params["k"] == 4
    out_of_range = _load(write_spec, GOOD.replace("{stride: 1}", "{k: 100}"))
    with pytest.raises(ExamgenError, match=r"parameter 'k' must be one of 1, 3, 5, 7, or a number in \[1, 64\], got 100"):
        make_variant(out_of_range, "001")
    wrong_type = _load(write_spec, GOOD.replace("{stride: 1}", "{H: 'big'}"))
    with pytest.raises(ExamgenError, match="must be an integer"):
        make_variant(wrong_type, "001")
    degenerate = _load(write_spec, GOOD.replace("{stride: 1}", "{k: 7, H: 5}"))
    with pytest.raises(ExamgenError, match=r"break the constraint 'k <= min\(H, W\)'"):
        make_variant(degenerate, "001")


def test_cli_bad_spec_is_one_line_exit_1(cli, write_spec, tmp_path):
    path = write_spec(GOOD.replace("variants: 2", "variant: 2"))
    result = cli("build", str(path), "--no-pdf", "--out", str(tmp_path / "out"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: ") and "variant" in result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_wrong_command_line_is_exit_2(cli):
    result = cli("build")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    result = cli("build", "x.yaml", "--variants", "0")
    assert result.returncode == 2 and "must be > 0" in result.stderr


def test_cli_debug_shows_the_traceback(cli, write_spec):
    path = write_spec(GOOD.replace("variants: 2", "variant: 2"))
    result = cli("--debug", "build", str(path), "--no-pdf")
    assert result.returncode == 1 and "Traceback" in result.stderr
