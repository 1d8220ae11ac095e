"""Question pools (`one_of`) and per-variant order (`shuffle: problems | parts`): drawn per
variant, reproducible from the spec, recorded in the key, and graded by printed slot number."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.bank import load
from generator.errors import ExamgenError
from generator.exports.key import key_document
from generator.plan import make_plan
from generator.spec import load_spec
from generator.variants import make_variant
from tests.conftest import run_cli

POOL = ["cnn/conv-layer-cost", "cnn/receptive-field", "mlp/dropout-scaling"]
SPEC = f"""\
title: Pools
seed: 11
variants: 12
problems:
  - one_of: [{", ".join(POOL)}]
    points: 9
  - id: probability/entropy-perplexity
"""


def plan_of(write_spec, text: str, variants: int | None = None, name: str = "spec.yaml"):
    path = write_spec(text, name)
    spec, where = load_spec(path)
    return make_plan(spec, where, path, variants=variants)


def key_of(plan) -> dict:
    return key_document(plan, [make_variant(plan, k) for k in plan.variant_keys])


def test_one_of_draws_vary_are_reproducible_and_recorded(write_spec):
    plan = plan_of(write_spec, SPEC)
    first, again = key_of(plan), key_of(plan_of(write_spec, SPEC, name="again.yaml"))
    assert first["variants"] == again["variants"]
    drawn = [v["problems"][0]["id"] for v in first["variants"]]
    assert set(drawn) <= set(POOL) and len(set(drawn)) >= 2          # 12 draws of 3: not all one problem
    for variant in first["variants"]:
        pool_slot, other = variant["problems"]
        assert pool_slot["pool"] == POOL and "pool" not in other
        assert pool_slot["points"] == 9                              # the entry's points, whichever is drawn
        assert sum(p["points"] for p in pool_slot["parts"].values()) == 9
        # the parts recorded are the drawn problem's own parts
        assert list(pool_slot["parts"]) == [p.name for p in load(pool_slot["id"]).parts]
        problem = load(pool_slot["id"])
        assert set(pool_slot["answers"]) == {f for p in problem.parts for f in p.answers if problem.answer(f).graded}


def test_adding_variants_changes_no_existing_draw(write_spec):
    small = key_of(plan_of(write_spec, SPEC, variants=5))
    large = key_of(plan_of(write_spec, SPEC, variants=12))
    assert large["variants"][:5] == small["variants"]


def test_a_pool_problem_keeps_one_structure_per_slot(write_spec):
    key = key_of(plan_of(write_spec, SPEC))
    by_problem: dict[str, set[str]] = {}
    for variant in key["variants"]:
        entry = variant["problems"][0]
        structure = {n: entry["params"][n] for n in load(entry["id"]).structure}
        by_problem.setdefault(entry["id"], set()).add(json.dumps(structure, sort_keys=True))
    assert all(len(kinds) == 1 for kinds in by_problem.values()), by_problem


SHUFFLED = """\
title: Shuffled
seed: 5
variants: 8
shuffle: [problems, parts]
problems:
  - id: cnn/conv-layer-cost
    points: 10
  - id: mlp/dropout-scaling
  - id: attention/transformer-cost
  - id: probability/entropy-perplexity
"""


def test_shuffle_problems_order_in_key_matches_the_tex(tmp_path, write_spec):
    path = write_spec(SHUFFLED)
    result = run_cli("build", str(path), "--no-pdf", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    key = json.loads((tmp_path / "out" / "key.json").read_text(encoding="utf-8"))
    orders = set()
    for variant in key["variants"]:
        problems = variant["problems"]
        assert [p["slot"] for p in problems] == [1, 2, 3, 4]
        assert sorted(p["slot_key"] for p in problems) == sorted(
            ["cnn/conv-layer-cost", "mlp/dropout-scaling", "attention/transformer-cost", "probability/entropy-perplexity"])
        orders.add(tuple(p["slot_key"] for p in problems))
        tex = (tmp_path / "out" / "variants" / variant["key"] / "exam.tex").read_text(encoding="utf-8")
        titles = [re.sub(r"[{}]", "", t) for t in re.findall(r"\\question \\textbf\{(.*?)\}\\hfill", tex)]
        assert titles == [load(p["id"]).title for p in problems]
        conv = next(p for p in problems if p["id"] == "cnn/conv-layer-cost")
        assert conv["points"] == 10                                   # points follow the slot, not the position
    assert len(orders) >= 3                                           # 8 variants, 24 orders


def part_texts(tex: str, title: str) -> list[str]:
    """The `\\part` lines of the problem titled `title`, in printed order."""
    start = tex.index(title)
    end = tex.find("\\question", start)
    return re.findall(r"\\part\[[^]]*\] ?(.*)", tex[start:end if end > 0 else None])


def test_shuffle_parts_only_where_the_problem_allows(write_spec, tmp_path):
    path = write_spec(SHUFFLED)
    result = run_cli("build", str(path), "--no-pdf", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    key = json.loads((tmp_path / "out" / "key.json").read_text(encoding="utf-8"))
    conv_orders, dropout_orders = set(), set()
    for variant in key["variants"]:
        by_id = {p["id"]: p for p in variant["problems"]}
        conv, dropout = by_id["cnn/conv-layer-cost"], by_id["mlp/dropout-scaling"]
        conv_orders.add(tuple(conv["parts"]))
        dropout_orders.add(tuple(dropout["parts"]))
        assert sorted(conv["parts"]) == ["channels", "ops", "params", "shape"]
        # the printed parts follow the key's order (the labels (a), (b), ... are the exam class's, in that order)
        tex = (tmp_path / "out" / "variants" / variant["key"] / "exam.tex").read_text(encoding="utf-8")
        printed = part_texts(tex, load("cnn/conv-layer-cost").title)
        first_words = {"shape": "What are the shapes", "channels": "How many input channels",
                       "ops": "How many multiplications", "params": "How many trainable parameters"}
        assert [next(n for n, w in first_words.items() if line.startswith(w)) for line in printed] == list(conv["parts"])
    assert len(conv_orders) >= 3                  # conv-layer-cost declares SHUFFLE_PARTS
    assert dropout_orders == {("scale", "output", "moments")}    # dropout-scaling does not: its parts build on each other


def test_shuffle_parts_needs_the_spec(write_spec):
    key = key_of(plan_of(write_spec, SHUFFLED.replace("shuffle: [problems, parts]", "shuffle: problems")))
    conv = [next(p for p in v["problems"] if p["id"] == "cnn/conv-layer-cost") for v in key["variants"]]
    assert {tuple(p["parts"]) for p in conv} == {("shape", "channels", "ops", "params")}


def conv_by_hand(p: dict) -> dict:
    h = (p["H"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1
    w = (p["W"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1
    per = p["k"] ** 2 * p["C_in"]
    return {"out_shape": [h, w, p["C_out"]], "in_channels": p["C_in"], "out_channels": p["C_out"],
            "mults": per * h * w * p["C_out"], "adds": per * h * w * p["C_out"], "params": per * p["C_out"] + p["C_out"]}


def test_a_shuffled_build_grades_by_printed_slot_number(write_spec, tmp_path):
    # three conv slots with different points: answers computed by hand from each printed slot's
    # numbers score the slot's points; a grader that mixed up slots would score them 0
    path = write_spec("title: Quiz\nseed: 9\nvariants: 4\nshuffle: [problems, parts]\nproblems:\n"
                      "  - {id: conv-layer-cost, points: 10, slot: a}\n"
                      "  - {id: conv-layer-cost, points: 6, slot: b}\n"
                      "  - {id: conv-layer-cost, points: 4, slot: c}\n")
    out = tmp_path / "out"
    result = run_cli("build", str(path), "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stderr
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert len({tuple(p["slot_key"] for p in v["problems"]) for v in key["variants"]}) >= 2
    rows, expected = [], []
    for variant in key["variants"]:
        points = []
        for entry in variant["problems"]:
            for name, value in conv_by_hand(entry["params"]).items():
                rows.append(f'{variant["key"]},{entry["slot"]},{name},"{json.dumps(value)}"\n')
            points.append({"a": 10, "b": 6, "c": 4}[entry["slot_key"]])
        expected.append(f'{variant["key"]},,{",".join(map(str, points))},20\n')
    (tmp_path / "answers.csv").write_text("student,slot,field,value\n" + "".join(rows), encoding="utf-8")
    result = run_cli("grade", str(out / "key.json"), str(tmp_path / "answers.csv"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    scores = (tmp_path / "answers-graded" / "scores.csv").read_text(encoding="utf-8-sig")
    assert scores == "student,name,slot 1,slot 2,slot 3,total\n" + "".join(expected)


def test_a_shuffled_pool_key_graded_with_its_own_values_scores_full_marks(write_spec, tmp_path):
    path = write_spec(SPEC.replace("problems:\n", "shuffle: [problems, parts]\nproblems:\n"))
    out = tmp_path / "out"
    result = run_cli("build", str(path), "--no-pdf", "--out", str(out), "--variants", "4")
    assert result.returncode == 0, result.stderr
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    rows = [f'{v["key"]},{p["slot"]},{f},"{json.dumps(value).replace(chr(34), chr(34) * 2)}"\n'
            for v in key["variants"] for p in v["problems"] for f, value in p["answers"].items()
            if load(p["id"]).answer(f).graded]
    (tmp_path / "answers.csv").write_text("student,slot,field,value\n" + "".join(rows), encoding="utf-8")
    result = run_cli("grade", str(out / "key.json"), str(tmp_path / "answers.csv"))
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr
    header, *lines = (tmp_path / "answers-graded" / "scores.csv").read_text(encoding="utf-8-sig").splitlines()
    assert header == "student,name,slot 1,slot 2,total,by_hand"
    # every automatically graded point scored; what is left is the proof parts, to be graded by hand
    scored = {line.split(",")[0]: float(line.split(",")[-2]) + float(line.split(",")[-1]) for line in lines}
    total = key["exam"]["total_points"]
    assert total == 9 + sum(p.points for p in load("probability/entropy-perplexity").parts)
    assert scored == {v["key"]: total for v in key["variants"]}


@pytest.mark.parametrize(("entry", "where", "what"), [
    ("  - id: conv-layer-cost\n    one_of: [receptive-field]\n", "problems[0]", "exactly one of 'id'"),
    ("  - points: 3\n", "problems[0]", "exactly one of 'id'"),
    ("  - one_of: []\n", "problems[0].one_of", "at least one problem id"),
    ("  - one_of: [conv-layer-cost, receptive-feld]\n", "problems[0].one_of[1]", "unknown problem 'receptive-feld'"),
    ("  - one_of: [conv-layer-cost, cnn/conv-layer-cost]\n", "problems[0].one_of", "names a problem twice"),
    ("  - one_of: [conv-layer-cost, receptive-field]\n    params: {k: 3}\n", "problems[0]", "cannot be given with 'one_of'"),
    ("  - one_of: [conv-layer-cost, receptive-field]\n    parts: [shape]\n", "problems[0]", "cannot be given with 'one_of'"),
])
def test_bad_pools_are_one_line(write_spec, entry, where, what):
    path = write_spec(f"title: Q\nseed: 1\nproblems:\n{entry}")
    with pytest.raises(ExamgenError) as caught:
        make_plan(*load_spec(path), path)
    line = str(caught.value)
    assert where in line and what in line and "\n" not in line, line
    assert str(Path(path).name) in line


def test_bad_shuffle_is_one_line(write_spec):
    path = write_spec("title: Q\nseed: 1\nshuffle: questions\nproblems:\n  - id: conv-layer-cost\n")
    with pytest.raises(ExamgenError) as caught:
        load_spec(path)
    line = str(caught.value)
    assert "spec.yaml:3: shuffle" in line and "shuffle: problems" in line and "\n" not in line, line


def test_moodle_groups_a_shuffled_pool_by_slot_with_each_variants_drawn_problem(write_spec, tmp_path):
    path = write_spec(SPEC.replace("problems:\n", "shuffle: problems\nproblems:\n"))
    out = tmp_path / "out"
    result = run_cli("build", str(path), "--no-pdf", "--out", str(out), "--variants", "4", "--format", "moodle")
    assert result.returncode == 0, result.stderr
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    xml = (out / "moodle.xml").read_text(encoding="utf-8")
    named = set(re.findall(r"<text>\S+ slot (\d) (\S+) variant (\d+)", xml))
    assert any(v["problems"][1]["slot_key"].startswith("pool:") for v in key["variants"])   # printed second somewhere
    assert len({v["problems"][0]["id"] for v in key["variants"]} | {v["problems"][1]["id"] for v in key["variants"]}) >= 3
    # the spec's slot 1 is the pool, wherever each variant printed it
    expected = {("1" if p["slot_key"].startswith("pool:") else "2", p["id"], v["key"])
                for v in key["variants"] for p in v["problems"]}
    assert named == expected
