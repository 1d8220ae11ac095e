"""The answer key: its format, and its answers confirmed by an independent re-computation."""

from __future__ import annotations

import json

import pytest

from generator import bank
from generator.instance import check_instance, make_instance

THREE = """\
title: Three problems
course: DL
date: 2026-12-01
seed: 11
variants: 40
problems:
  - id: cnn/conv-layer-cost
    points: 10
  - id: cnn/receptive-field
    points: 8
  - id: optimization/trust-region
    points: 6
"""


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    from tests.conftest import run_cli

    folder = tmp_path_factory.mktemp("key")
    (folder / "three.yaml").write_text(THREE, encoding="utf-8")
    result = run_cli("build", str(folder / "three.yaml"), "--no-pdf", "--out", str(folder / "out"))
    assert result.returncode == 0, result.stderr
    assert "built 40 variants" in result.stdout
    return json.loads((folder / "out" / "key.json").read_text(encoding="utf-8")), folder / "out"


def test_key_format(key):
    document, out = key
    assert document["exam"] == {"title": "Three problems", "course": "DL", "date": "2026-12-01", "seed": 11,
                                "spec": "three", "precision": "3 significant digits",  # the default
                                "generator": document["exam"]["generator"], "total_points": 24.0,
                                "language": ["en"]}
    assert document["exam"]["generator"].startswith("examgen ")
    assert [v["key"] for v in document["variants"]] == [f"{i:03d}" for i in range(1, 41)]
    for variant in document["variants"]:
        assert isinstance(variant["seed"], int) and 0 <= variant["seed"] < 2**52
        assert len(variant["fingerprint"]) == 10
        assert [p["slot"] for p in variant["problems"]] == [1, 2, 3]
        assert [p["id"] for p in variant["problems"]] == ["cnn/conv-layer-cost", "cnn/receptive-field",
                                                         "optimization/trust-region"]
        for entry in variant["problems"]:
            problem = bank.load(entry["id"])
            graded = [a.name for a in problem.answers if a.graded]
            assert sorted(entry["answers"]) == sorted(graded)
            assert sorted(entry["tolerances"]) == sorted(graded)
            assert sorted(entry["params"]) == sorted(p.name for p in problem.params)
            assert sum(part["points"] for part in entry["parts"].values()) == entry["points"]
        assert (out / "variants" / variant["key"] / "exam.tex").is_file()
        assert (out / "variants" / variant["key"] / "solutions.tex").is_file()
    assert len({v["fingerprint"] for v in document["variants"]}) == 40


def test_conv_answers_recomputed_from_the_formulas(key):
    # An independent re-computation, written here from the layer's definition.
    document, _ = key
    for variant in document["variants"]:
        entry = variant["problems"][0]
        p, a = entry["params"], entry["answers"]
        h = (p["H"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1
        w = (p["W"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1
        assert (p["H"] + 2 * p["pad"] - p["k"]) % p["stride"] == 0
        assert a["out_shape"] == [h, w, p["C_out"]]
        assert a["mults"] == p["k"] ** 2 * p["C_in"] * h * w * p["C_out"]
        assert a["params"] == (p["k"] ** 2 * p["C_in"] + 1) * p["C_out"]


def test_every_key_answer_confirmed_by_the_independent_check(key):
    document, _ = key
    for variant in document["variants"]:
        for entry in variant["problems"]:
            problem = bank.load(entry["id"])
            instance = make_instance(problem, entry["params"])
            assert instance.answers == entry["answers"], "the key must be what the solver gives for its params"
            assert check_instance(problem, instance) == [], (variant["key"], entry["id"])


def test_key_is_the_same_for_the_same_spec(key, tmp_path):
    from tests.conftest import run_cli

    document, out = key
    spec = tmp_path / "three.yaml"
    spec.write_text(THREE, encoding="utf-8")
    result = run_cli("build", str(spec), "--no-pdf", "--out", str(tmp_path / "again"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "again" / "key.json").read_bytes() == (out / "key.json").read_bytes()
