"""key.csv: one row per variant, slot and answer field, values checked against a hand solution."""

from __future__ import annotations

import csv
import io
import json

from generator.exports.csv import COLUMNS, key_csv
from tests.conftest import run_cli
from tests.test_grade import conv_by_hand, load, toy_key

SPEC = """\
title: CSV quiz
seed: 12
variants: 3
problems:
  - id: cnn/conv-layer-cost
    parts: {shape: 4, channels: 2, ops: 6}
  - id: cnn/conv-layer-cost
    slot: second
    points: 5
"""

# Points per field by hand. Slot 1: the parts as given, each split over its fields.
# Slot 2: the default 3:1:4:2 scaled to 5 points is 1.5, 0.5, 2, 1 (half points).
FIELD_POINTS = {
    1: {"out_shape": ("4", "4"), "in_channels": ("2", "1"), "out_channels": ("2", "1"),
        "mults": ("6", "3"), "adds": ("6", "3")},
    2: {"out_shape": ("1.5", "1.5"), "in_channels": ("0.5", "0.25"), "out_channels": ("0.5", "0.25"),
        "mults": ("2", "1"), "adds": ("2", "1"), "params": ("1", "1")},
}


def build(tmp_path, out: str, *more: str):
    spec = tmp_path / "csvquiz.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = run_cli("build", str(spec), "--no-pdf", "--out", str(tmp_path / out), *more)
    assert result.returncode == 0, result.stderr
    return tmp_path / out


def read(path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode()) and b"\r" not in raw
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_key_csv_rows_match_a_hand_solution(tmp_path):
    out = build(tmp_path, "out")
    rows = read(out / "key.csv")
    assert list(rows[0]) == list(COLUMNS)
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    variants = {v["key"]: v for v in key["variants"]}
    assert len(rows) == 3 * (5 + 6)
    assert [r["variant"] for r in rows] == [k for k in ("001", "002", "003") for _ in range(11)]
    for row in rows:
        entry = variants[row["variant"]]["problems"][int(row["slot"]) - 1]
        by_hand = conv_by_hand(entry["params"])
        assert row["problem"] == "cnn/conv-layer-cost" and row["student"] == ""
        assert json.loads(row["value"]) == by_hand[row["field"]], row
        assert (row["points"], row["field_points"]) == FIELD_POINTS[int(row["slot"])][row["field"]], row
        assert (row["atol"], row["rtol"]) == ("0", "0")
        assert row["type"] == ("shape" if row["field"] == "out_shape" else "int")
    shapes = [r["value"] for r in rows if r["field"] == "out_shape"]
    assert all(s.startswith("[") and s.count(",") == 2 for s in shapes)
    # the same build gives the same bytes
    again = build(tmp_path, "again")
    assert (again / "key.csv").read_bytes() == (out / "key.csv").read_bytes()


def test_key_csv_has_student_names_of_a_roster(tmp_path):
    roster = tmp_path / "class.csv"
    roster.write_text('id,name\ns1,"Lovelace, Ada ""the first"""\ns2,Zoë Łukasiewicz\n', encoding="utf-8")
    spec = tmp_path / "csvquiz.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    result = run_cli("build", str(spec), "--no-pdf", "--roster", str(roster), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    rows = read(tmp_path / "out" / "key.csv")
    names = {(r["variant"], r["student"]) for r in rows}
    assert names == {("s1", 'Lovelace, Ada "the first"'), ("s2", "Zoë Łukasiewicz")}


def test_key_csv_formats_reals_vectors_and_proofs():
    text = key_csv(toy_key(("001",)), load=load)
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    toy = {r[5]: r for r in rows[1:] if r[2] == "1"}
    # variant, student, slot, problem, part, field, type, value, atol, rtol, points, field_points
    assert toy["x"] == ["001", "", "1", "test/toy", "a", "x", "real", "0.3", "0.01", "0", "4", "2"]
    assert toy["v"] == ["001", "", "1", "test/toy", "a", "v", "vector", "[2.0, -4.0]", "0", "0.1", "4", "2"]
    assert toy["n"][6:] == ["int", "7", "0", "0", "3", "3"]
    assert toy["why"] == ["001", "", "1", "test/toy", "c", "why", "proof", "", "", "", "2", "1"]
    assert list(toy) == ["x", "v", "n", "s", "why"]
    assert key_csv(toy_key(("001",)), load=load) == text
