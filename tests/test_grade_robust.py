"""Grading against careless and hostile input: a hand-edited key.json, oversized or deeply
nested responses, spreadsheet formulas in names, ids that look alike, floods of unknown
students, and the key's own values for every problem of the bank.

The key here is written by hand for cnn/conv-layer-cost with H=10, W=12, C_in=3, k=3,
C_out=4, stride 1, pad 0 (see tests/test_grade.py): out_shape [8, 10, 4], mults = adds =
27*320 = 8640, params = 27*4 + 4 = 112; 10 points: shape 3, channels 1 (two fields),
ops 4 (two fields, 2 each), params 2.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.cli import main
from generator.errors import ExamgenError
from generator.exports.csv import key_csv, spreadsheet_safe
from generator.grade import grade, parse_responses, scores_csv
from tests.conftest import run_cli

CONV = "cnn/conv-layer-cost"
RIGHT = {"out_shape": "[8, 10, 4]", "in_channels": "3", "out_channels": "4", "mults": "8640", "adds": "8640",
         "params": "112"}


def conv_entry() -> dict:
    exact = {"atol": 0.0, "rtol": 0.0}
    return {"slot": 1, "slot_key": CONV, "id": CONV, "points": 10.0,
            "parts": {"shape": {"points": 3.0, "fields": ["out_shape"]},
                      "channels": {"points": 1.0, "fields": ["in_channels", "out_channels"]},
                      "ops": {"points": 4.0, "fields": ["mults", "adds"]},
                      "params": {"points": 2.0, "fields": ["params"]}},
            "params": {"H": 10, "W": 12, "C_in": 3, "k": 3, "C_out": 4, "stride": 1, "pad": 0},
            "answers": {"out_shape": [8, 10, 4], "in_channels": 3, "out_channels": 4, "mults": 8640,
                        "adds": 8640, "params": 112},
            "tolerances": {f: dict(exact) for f in RIGHT}}


def conv_key(keys=("001", "002"), names: dict[str, str] | None = None) -> dict:
    variants = []
    for key in keys:
        variant = {"key": key, "seed": 1, "fingerprint": f"fp{key}", "problems": [conv_entry()]}
        if names is not None:
            variant["student"] = {"id": key, "name": names.get(key, "")}
        variants.append(variant)
    return {"exam": {"title": "Quiz", "seed": 5, "total_points": 10.0}, "variants": variants}


def responses(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "slot", "field", "value"])
    writer.writerows(rows)
    return out.getvalue()


def run_grade(tmp_path: Path, key_text: str, answers: str, capsys) -> tuple[int, str, str]:
    """`examgen grade` in this process (an exception other than the one-line error would
    escape and fail the test); the exit code, stdout and stderr."""
    (tmp_path / "key.json").write_text(key_text, encoding="utf-8")
    (tmp_path / "r.csv").write_text(answers, encoding="utf-8")
    capsys.readouterr()
    code = main(["grade", str(tmp_path / "key.json"), str(tmp_path / "r.csv"), "--out", str(tmp_path / "graded")])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# ---------------------------------------------------------------- a hand-edited key.json

def edit(change: Callable[[dict], object]) -> str:
    document = conv_key()
    change(document)
    return json.dumps(document)


def entry(d: dict) -> dict:
    return d["variants"][0]["problems"][0]


P = "variants[0].problems[0]"
KEY_CASES = [
    # (case, key.json text, field path, message)
    ("not JSON", '{"variants": [', "key.json:1", "the answer key is not JSON"),
    ("a list", "[1, 2]", "key.json", "this is not an examgen answer key"),
    ("no variants", "{}", "key.json", "this is not an examgen answer key"),
    ("too many variants", edit(lambda d: d.update(variants=d["variants"] * 2501)), "key.json: variants",
     "must list at most 5000 entries, got 5002"),
    ("variants not a list", edit(lambda d: d.update(variants={"001": {}})), "key.json: variants",
     "expected a list [...], got an object"),
    ("no variant at all", edit(lambda d: d.update(variants=[])), "key.json: variants",
     "must list at least 1 entry, got an empty one"),
    ("a variant not an object", edit(lambda d: d["variants"].__setitem__(1, "002")), "key.json: variants[1]",
     "expected an object {...}, got '002'"),
    ("key missing", edit(lambda d: d["variants"][1].pop("key")), "key.json: variants[1].key",
     "field 'key' is missing"),
    ("key a number", edit(lambda d: d["variants"][1].update(key=2)), "key.json: variants[1].key",
     "expected text in double quotes, got 2"),
    ("problems missing", edit(lambda d: d["variants"][0].pop("problems")), "key.json: variants[0].problems",
     "field 'problems' is missing"),
    ("problems not a list", edit(lambda d: d["variants"][0].update(problems=conv_entry())),
     "key.json: variants[0].problems", "expected a list [...], got an object"),
    ("slot missing", edit(lambda d: entry(d).pop("slot")), f"key.json: {P}.slot", "field 'slot' is missing"),
    ("slot as text", edit(lambda d: entry(d).update(slot="1")), f"key.json: {P}.slot",
     "expected a whole number, got '1'"),
    ("slot a fraction", edit(lambda d: entry(d).update(slot=1.5)), f"key.json: {P}.slot",
     "expected a whole number, got 1.5"),
    ("id missing", edit(lambda d: entry(d).pop("id")), f"key.json: {P}.id", "field 'id' is missing"),
    ("id a number", edit(lambda d: entry(d).update(id=7)), f"key.json: {P}.id", "expected text in double quotes"),
    ("unknown problem id", edit(lambda d: entry(d).update(id="cnn/no-such-problem")), f"key.json: {P}.id",
     "the problem 'cnn/no-such-problem' cannot be loaded from the bank"),
    ("points as text", edit(lambda d: entry(d).update(points="10")), f"key.json: {P}.points",
     "expected a number, got '10'"),
    ("points true", edit(lambda d: entry(d).update(points=True)), f"key.json: {P}.points",
     "expected a number, got true"),
    ("parts missing", edit(lambda d: entry(d).pop("parts")), f"key.json: {P}.parts", "field 'parts' is missing"),
    ("parts a list", edit(lambda d: entry(d).update(parts=["shape"])), f"key.json: {P}.parts",
     "expected an object {...}, got a list"),
    ("part points as text", edit(lambda d: entry(d)["parts"]["shape"].update(points="3")),
     f"key.json: {P}.parts.shape.points", "expected a number, got '3'"),
    ("part fields not a list", edit(lambda d: entry(d)["parts"]["shape"].update(fields="out_shape")),
     f"key.json: {P}.parts.shape.fields", "expected a list [...], got 'out_shape'"),
    ("part field misspelt", edit(lambda d: entry(d)["parts"]["ops"].update(fields=["mults", "add"])),
     f"key.json: {P}.parts.ops.fields[1]", "cnn/conv-layer-cost has no answer field 'add'"),
    ("answers missing", edit(lambda d: entry(d).pop("answers")), f"key.json: {P}.answers",
     "field 'answers' is missing"),
    ("answers a list", edit(lambda d: entry(d).update(answers=[8640])), f"key.json: {P}.answers",
     "expected an object {...}, got a list"),
    ("an answer missing", edit(lambda d: entry(d)["answers"].pop("mults")), f"key.json: {P}.answers",
     "field 'mults' is missing"),
    ("an answer null", edit(lambda d: entry(d)["answers"].update(mults=None)), f"key.json: {P}.answers.mults",
     "expected the key's value, got null"),
    ("tolerances missing", edit(lambda d: entry(d).pop("tolerances")), f"key.json: {P}.tolerances",
     "field 'tolerances' is missing"),
    ("a tolerance not an object", edit(lambda d: entry(d)["tolerances"].update(out_shape=0)),
     f"key.json: {P}.tolerances.out_shape", "expected an object {...}, got 0"),
    ("atol missing", edit(lambda d: entry(d)["tolerances"]["out_shape"].pop("atol")),
     f"key.json: {P}.tolerances.out_shape.atol", "field 'atol' is missing"),
    ("atol as text", edit(lambda d: entry(d)["tolerances"]["out_shape"].update(atol="x")),
     f"key.json: {P}.tolerances.out_shape.atol", "expected a number, got 'x'"),
    ("atol negative", edit(lambda d: entry(d)["tolerances"]["mults"].update(atol=-1)),
     f"key.json: {P}.tolerances.mults.atol", "greater than or equal to 0, got -1"),
    ("rtol NaN", edit(lambda d: entry(d)["tolerances"]["mults"].update(rtol=float("nan"))), "key.json",
     "the answer key has NaN, which is not a JSON number"),
    ("params a list", edit(lambda d: entry(d).update(params=[])), f"key.json: {P}.params",
     "expected an object {...}, got a list"),
    ("student not an object", edit(lambda d: d["variants"][0].update(student="Ada")), "key.json: variants[0].student",
     "expected an object {...}, got 'Ada'"),
    ("student name a number", edit(lambda d: d["variants"][0].update(student={"name": 3})),
     "key.json: variants[0].student.name", "expected text in double quotes, got 3"),
    ("exam a list", edit(lambda d: d.update(exam=[])), "key.json: exam", "expected an object {...}, got a list"),
    ("a variant key twice", edit(lambda d: d["variants"][1].update(key="001")), "key.json: variants[1].key",
     "the variant key '001' is also the key of variants[0]"),
    ("a slot twice", edit(lambda d: d["variants"][1]["problems"].append(conv_entry())),
     "key.json: variants[1].problems[1].slot", "the slot 1 is also the slot of problems[0]"),
    ("a field in two parts", edit(lambda d: entry(d)["parts"]["params"]["fields"].append("mults")),
     f"key.json: {P}", "the field 'mults' is in two parts"),
    ("a field named twice", '{"variants": [], "variants": []}', "key.json", "names the field 'variants' twice"),
    ("nested 3000 levels", '{"variants": ' + "[" * 3000 + "]" * 3000 + "}", "key.json",
     "the answer key nests more than 64 levels deep"),
]


@pytest.mark.parametrize("text, where, message", [c[1:] for c in KEY_CASES], ids=[c[0] for c in KEY_CASES])
def test_a_malformed_key_is_one_line_naming_the_field(tmp_path, capsys, text, where, message):
    code, out, err = run_grade(tmp_path, text, responses([("001", 1, "mults", "8640")]), capsys)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: {tmp_path / where}: ") or err.startswith(f"error: {tmp_path / where} ")
    assert message in err
    assert not (tmp_path / "graded").exists()


@pytest.mark.parametrize("value", ["lots", {"a": 1}, ""])
def test_a_key_value_that_cannot_be_compared_is_one_line(value):
    from tests.test_grade import load, toy_key

    key = toy_key(("001", "002"))
    key["variants"][1]["problems"][0]["answers"]["x"] = value
    text = responses([("001", 1, "x", "0.3"), ("002", 1, "x", "0.3")])
    with pytest.raises(ExamgenError) as caught:
        grade(key, parse_responses(text, "r.csv"), load=load, key_path="key.json")
    assert str(caught.value).startswith("key.json: variants[1].problems[0].answers.x: expected a value of the "
                                        "field's type (real), got ")


def test_a_key_or_responses_file_beyond_the_size_bound_is_refused_unread(tmp_path, monkeypatch):
    from generator import grade as grading
    from generator import keyfile

    (tmp_path / "key.json").write_text(json.dumps(conv_key()), encoding="utf-8")
    (tmp_path / "r.csv").write_text(responses([("001", 1, "mults", "8640")] * 100), encoding="utf-8")
    monkeypatch.setattr(keyfile, "MAX_KEY_BYTES", 1000)  # a real bound of 512 MB is too big for a test file
    monkeypatch.setattr(grading, "MAX_RESPONSES_BYTES", 1000)
    with pytest.raises(ExamgenError) as caught:
        keyfile.load_key(tmp_path / "key.json")
    assert str(caught.value).startswith(f"{tmp_path / 'key.json'}: the answer key is 0 MB, more than a key can be")
    with pytest.raises(ExamgenError) as caught:
        grading.read_responses(tmp_path / "r.csv")
    assert str(caught.value).startswith(f"{tmp_path / 'r.csv'}: the responses file is 0 MB, more than responses")


def test_the_unedited_key_grades(tmp_path, capsys):
    # the control for the table above: the same key, unedited, grades 001's one right answer
    code, out, err = run_grade(tmp_path, json.dumps(conv_key()), responses([("001", 1, "mults", "8640")]), capsys)
    assert (code, err) == (0, "")
    scores = (tmp_path / "graded" / "scores.csv").read_text(encoding="utf-8-sig")
    assert scores == "student,name,slot 1,total\n001,,2,2\n"


def test_a_malformed_key_through_the_command_line(tmp_path):
    (tmp_path / "key.json").write_text(edit(lambda d: entry(d)["tolerances"]["out_shape"].update(atol="x")),
                                       encoding="utf-8")
    (tmp_path / "r.csv").write_text(responses([("001", 1, "mults", "8640")]), encoding="utf-8")
    result = run_cli("grade", str(tmp_path / "key.json"), str(tmp_path / "r.csv"))
    assert result.returncode == 1
    assert result.stderr == (f"error: {tmp_path / 'key.json'}: {P}.tolerances.out_shape.atol: expected a number, "
                             "got 'x'; correct that field, or give the key.json that 'examgen build' wrote\n")


# ---------------------------------------------------------------- responses beyond any answer's size

BAD_VALUES = [
    ("mults", "9" * 5000, "is 5,000 characters long"),
    ("adds", "9" * 400, "has a number of 400 digits"),
    ("params", "1" * 999, "has a number of 999 digits"),
    ("out_shape", "[" * 1000 + "]" * 1000, "is 2,000 characters long"),
    ("in_channels", "[" * 400 + "3" + "]" * 400, "nests 400 levels of brackets"),
    ("out_channels", "(" * 50 + "4" + ")" * 50, "nests 50 levels of brackets"),
]


@pytest.mark.parametrize("form", ["long", "wide"])
def test_oversized_responses_are_refused_one_warning_each(tmp_path, capsys, form):
    # 001 gives every bad value; 002 answers everything right, so grading has to go on after them
    if form == "long":
        text = responses([("001", 1, f, v) for f, v, _ in BAD_VALUES] + [("002", 1, f, v) for f, v in RIGHT.items()])
    else:
        columns = [f for f, _, _ in BAD_VALUES]
        bad = {f: v for f, v, _ in BAD_VALUES}
        text = responses([]).replace("slot,field,value", ",".join(f"1.{c}" for c in columns))
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([["001", *(bad[c] for c in columns)],
                                                        ["002", *(RIGHT[c] for c in columns)]])
        text += out.getvalue()
    code, out, err = run_grade(tmp_path, json.dumps(conv_key()), text, capsys)
    assert code == 0 and "Traceback" not in err
    warnings = err.splitlines()
    assert len(warnings) == len(BAD_VALUES)
    for field, _, reason in BAD_VALUES:
        [line] = [w for w in warnings if f"001 1.{field}: " in w]
        assert reason in line and "counted as wrong" in line
        assert len(line) < 400  # the value is cut, never echoed whole
    assert "graded 2 students" in out
    rows = list(csv.reader(io.StringIO((tmp_path / "graded" / "scores.csv").read_text(encoding="utf-8-sig"))))
    assert rows[1:] == [["001", "", "0", "0"], ["002", "", "10", "10"]]
    feedback = (tmp_path / "graded" / "feedback" / "001.txt").read_text(encoding="utf-8")
    assert "mults: could not be read (is 5,000 characters long" in feedback


def test_a_cell_beyond_the_csv_modules_limit_is_one_line():
    with pytest.raises(ExamgenError) as caught:
        parse_responses(responses([("001", 1, "mults", "9" * 200_000)]), "r.csv")
    assert str(caught.value).startswith("r.csv:2: a cell is longer than 131,072 characters (an answer has at most "
                                        "1,000); check that this is the responses file")


def test_a_bound_is_not_a_guess_at_right_answers():
    # just inside every bound: a 40-digit number is read (and wrong), a 10-deep list too
    text = responses([("001", 1, "mults", "1" * 40), ("001", 1, "out_shape", "[" * 10 + "8" + "]" * 10),
                      ("001", 1, "params", "112")])
    grades = grade(conv_key(("001",)), parse_responses(text, "r.csv"))
    fields = {f.field: f for part in grades.students[0].slots[0].parts for f in part.fields}
    assert fields["mults"].status == "wrong"          # read, and not 8640
    assert fields["out_shape"].status in ("wrong", "unreadable")
    assert "levels of brackets" not in fields["out_shape"].note
    assert fields["params"].status == "right" and grades.students[0].points == 2


def test_every_key_value_of_the_bank_is_inside_the_response_bounds():
    # the bounds refuse nothing a right answer needs: the key's own values (as key.csv
    # writes them) for every problem and seeds 0-4 pass them, by a wide margin
    from generator import bank
    from generator.exports.csv import value_text
    from generator.grade import MAX_RESPONSE_CHARS, _answer_cell
    from generator.instance import draw_instance
    from generator.seeds import Sampler

    longest = 0
    for problem_id in bank.ids():
        problem = bank.load(problem_id)
        for seed in range(5):
            answers = draw_instance(problem, Sampler(seed, problem_id)).key_entry(problem)["answers"]
            for name, value in answers.items():
                text = value_text(value)
                assert _answer_cell(spreadsheet_safe(text)) == (text, ""), (problem_id, seed, name)
                longest = max(longest, len(text))
    assert 100 < longest < MAX_RESPONSE_CHARS / 2


# ---------------------------------------------------------------- formulas in CSV cells

HOSTILE = {"s1": '=HYPERLINK("http://example.com/x","click")', "s2": "+cmd|' /C calc'!A0", "s3": "@SUM(A1:A2)",
           "s4": "-2+3", "s5": "\tTAB", "s6": "Ada Lovelace"}


def read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_scores_csv_neutralises_formulas_and_keeps_numbers():
    key = conv_key(tuple(HOSTILE), HOSTILE)
    text = responses([(k, 1, f, v) for k in HOSTILE for f, v in RIGHT.items()])
    rows = read_csv(scores_csv(grade(key, parse_responses(text, "r.csv"))))
    by_key = {row["student"]: row for row in rows}
    assert by_key["s1"]["name"] == "'" + HOSTILE["s1"]
    assert by_key["s2"]["name"] == "'" + HOSTILE["s2"]
    assert by_key["s3"]["name"] == "'@SUM(A1:A2)"
    assert by_key["s4"]["name"] == "'-2+3"
    assert by_key["s5"]["name"] == "'\tTAB"
    assert by_key["s6"]["name"] == "Ada Lovelace"      # plain text is left alone
    assert all(row["total"] == "10" and row["slot 1"] == "10" for row in rows)


def test_a_student_id_that_is_a_formula_is_neutralised_too():
    key = conv_key(("=1+1", "-3"), {"=1+1": "Eve", "-3": "Mallory"})
    text = responses([("=1+1", 1, "params", "112"), ("-3", 1, "params", "112")])
    rows = read_csv(scores_csv(grade(key, parse_responses(text, "r.csv"))))
    assert [row["student"] for row in rows] == ["'=1+1", "-3"]  # -3 is a number, no formula


def test_key_csv_neutralises_formulas_and_keeps_negative_numbers():
    key = conv_key(("s1", "s2", "s6"), HOSTILE)
    for variant in key["variants"]:
        # a negative tolerance is impossible, so put negative numbers where key.csv prints key values
        variant["problems"][0]["answers"]["mults"] = -0.25
        variant["problems"][0]["answers"]["adds"] = -8640
    rows = read_csv(key_csv(key))
    names = {row["variant"]: row["student"] for row in rows}
    assert names == {"s1": "'" + HOSTILE["s1"], "s2": "'" + HOSTILE["s2"], "s6": "Ada Lovelace"}
    values = {(row["variant"], row["field"]): row["value"] for row in rows}
    assert values[("s1", "mults")] == "-0.25" and float(values[("s1", "mults")]) == -0.25
    assert values[("s1", "adds")] == "-8640" and int(values[("s1", "adds")]) == -8640
    assert values[("s1", "out_shape")] == "[8, 10, 4]"


def test_formulas_in_roster_names_are_inert_in_key_csv_and_scores_csv(tmp_path):
    names = {"s1": '=HYPERLINK("http://example.com/x","click")', "s2": "+cmd|' /C calc'!A0", "s3": "@SUM(1+1)",
             "s4": "Ada Lovelace"}
    (tmp_path / "quiz.yaml").write_text("title: Quiz\nseed: 3\nproblems:\n  - id: cnn/conv-layer-cost\n"
                                        "    points: 10\n", encoding="utf-8")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([["id", "name"], *names.items()])
    (tmp_path / "class.csv").write_text(out.getvalue(), encoding="utf-8")
    result = run_cli("build", str(tmp_path / "quiz.yaml"), "--roster", str(tmp_path / "class.csv"),
                     "--out", str(tmp_path / "out"), "--no-pdf")
    assert result.returncode == 0, result.stderr
    key_rows = read_csv((tmp_path / "out" / "key.csv").read_text(encoding="utf-8"))
    assert {row["variant"]: row["student"] for row in key_rows} == {
        "s1": "'" + names["s1"], "s2": "'" + names["s2"], "s3": "'" + names["s3"], "s4": "Ada Lovelace"}
    right = [(row["variant"], row["slot"], row["field"], row["value"]) for row in key_rows]
    (tmp_path / "answers.csv").write_text(responses(right), encoding="utf-8")
    result = run_cli("grade", str(tmp_path / "out" / "key.json"), str(tmp_path / "answers.csv"),
                     "--out", str(tmp_path / "graded"))
    assert result.returncode == 0, result.stderr
    scores = read_csv((tmp_path / "graded" / "scores.csv").read_text(encoding="utf-8"))
    assert {row["student"]: row["name"] for row in scores} == {
        "s1": "'" + names["s1"], "s2": "'" + names["s2"], "s3": "'" + names["s3"], "s4": "Ada Lovelace"}
    assert all(row["total"] == "10" for row in scores)  # the key's own values of conv-layer-cost


@pytest.mark.parametrize("text, safe", [
    ("-0.25", "-0.25"), ("-3", "-3"), ("1e-05", "1e-05"), ("-1.5e+300", "-1.5e+300"), ("0.5", "0.5"),
    ("-x + 1", "'-x + 1"), ("=1", "'=1"), ("+1", "'+1"), ("@x", "'@x"), ("\rX", "'\rX"), (" =1", "' =1"),
    ("-", "'-"), ("--1", "'--1"), ("-1-1", "'-1-1"), ("", ""), ("x=1", "x=1"), ("[-1, 2]", "[-1, 2]"),
])
def test_spreadsheet_safe(text, safe):
    assert spreadsheet_safe(text) == safe


def test_an_expression_from_key_csv_is_read_back_without_the_quote():
    # key.csv writes an expression such as -d/sigma + ... as '-d/sigma + ...; the grader
    # reads a response given so as the expression itself (and a plain '-3 as -3)
    text = responses([("001", 1, "mults", "'-8640"), ("001", 1, "params", "'112")])
    grades = grade(conv_key(("001",)), parse_responses(text, "r.csv"))
    given = {f.field: f.given for p in grades.students[0].slots[0].parts for f in p.fields}
    assert given["mults"] == "-8640"
    assert given["params"] == "'112"  # a quote before a digit is no spreadsheet's protection: left as it is


# ---------------------------------------------------------------- student ids match exactly

def test_roster_ids_match_exactly():
    key = conv_key(("1", "01", "001"), {"1": "One", "01": "Zero One", "001": "Zero Zero One"})
    text = responses([("0001", 1, "params", "112"), ("01", 1, "mults", "8640")])
    grades = grade(key, parse_responses(text, "r.csv"), key_path="key.json")
    assert [(s.key, s.points) for s in grades.students] == [("01", 2)]
    assert len(grades.warnings) == 1
    assert grades.warnings[0].startswith("r.csv:2: unknown student '0001' (no such variant in key.json); not graded")
    assert sorted(grades.absent) == ["001", "1"]


def test_numbered_variants_match_their_number_only_when_it_is_one_variant():
    # without a roster, 7 names variant 007 (as printed on the sheet); a hand-edited key
    # with both 1 and 001 leaves 0001 to no one
    grades = grade(conv_key(("001", "007")), parse_responses(responses([("7", 1, "params", "112")]), "r.csv"))
    assert [(s.key, s.points) for s in grades.students] == [("007", 2)] and grades.warnings == []
    grades = grade(conv_key(("1", "001")), parse_responses(responses([("0001", 1, "params", "112")]), "r.csv"))
    assert grades.students == [] and "unknown student '0001'" in grades.warnings[0]


def test_a_roster_id_is_never_matched_by_its_number():
    grades = grade(conv_key(("007",), {"007": "Bond"}), parse_responses(responses([("7", 1, "params", "112")]), "r.csv"))
    assert grades.students == [] and "unknown student '7'" in grades.warnings[0]


# ---------------------------------------------------------------- a flood of warnings

def test_twenty_thousand_unknown_students_are_a_few_lines(tmp_path, capsys):
    rows = [("001", 1, "params", "112")] + [(f"x{i:05d}", 1, "mults", "8640") for i in range(20_000)]
    code, out, err = run_grade(tmp_path, json.dumps(conv_key()), responses(rows), capsys)
    assert code == 0
    assert len(err.encode()) < 4000, len(err.encode())
    lines = err.splitlines()
    assert len(lines) == 6
    for i, line in enumerate(lines[:5]):
        assert f"r.csv:{i + 3}: unknown student 'x{i:05d}'" in line
    assert lines[5] == f"warning: {tmp_path / 'r.csv'}:8: ... and 19,995 more rows for 19,995 other students not in " \
                       f"{tmp_path / 'key.json'}, not graded"
    assert "graded 1 student" in out


def test_many_rows_of_one_unknown_student_are_one_line():
    rows = [("x", 1, "mults", str(i)) for i in range(100)]
    grades = grade(conv_key(("001",)), parse_responses(responses(rows), "r.csv"))
    assert grades.warnings == ["r.csv:2, 3, 4, 5, 6, 7, 8, 9 and 92 more: unknown student 'x' (no such variant in "
                               "key.json); not graded: use the variant key printed on the sheet (the student id "
                               "for a roster build)"]


def test_many_unreadable_answers_are_capped():
    key = conv_key(tuple(f"{i:03d}" for i in range(1, 501)))
    rows = [(f"{i:03d}", 1, "mults", "lots") for i in range(1, 501)]
    grades = grade(key, parse_responses(responses(rows), "r.csv"))
    assert len(grades.warnings) == 201
    assert all("'lots' is not a number" in w for w in grades.warnings[:200])
    assert grades.warnings[200] == ("r.csv:202: ... and 300 more warnings like the ones above, from this line on; "
                                    "fix those and grade again to see them")
    assert len(grades.students) == 500 and all(s.points == 0 for s in grades.students)


def test_long_ids_slots_and_fields_are_cut_in_warnings():
    rows = [("y" * 5000, 1, "mults", "1"), ("001", "9" * 5000, "mults", "1"), ("001", 1, "m" * 5000, "1")]
    grades = grade(conv_key(("001",)), parse_responses(responses(rows), "r.csv"))
    assert len(grades.warnings) == 3
    assert all(len(w) < 400 for w in grades.warnings)


# ---------------------------------------------------------------- the whole bank, answered with key.csv

def test_every_problem_answered_with_key_csv_grades_without_a_traceback(tmp_path):
    listing = run_cli("list")
    ids = [line.split()[0] for line in listing.stdout.splitlines() if line.startswith("  ")]
    assert len(ids) >= 19
    spec = "title: Every problem\nseed: 11\nvariants: 2\nproblems:\n" + "".join(f"  - id: {i}\n" for i in ids)
    (tmp_path / "all.yaml").write_text(spec, encoding="utf-8")
    result = run_cli("build", str(tmp_path / "all.yaml"), "--out", str(tmp_path / "out"), "--no-pdf")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "key.csv").read_text(encoding="utf-8-sig"))))
    assert {row["problem"] for row in rows} == set(ids)
    answers = [(row["variant"], row["slot"], row["field"], row["value"]) for row in rows if row["type"] != "proof"]
    quoted = [(student, field) for student, _, field, value in answers if value.startswith("'-")]
    assert ("001", "dloglik_dsigma") in quoted  # an expression -d/sigma + ..., protected from spreadsheets
    (tmp_path / "answers.csv").write_text(responses(answers), encoding="utf-8")
    result = run_cli("grade", str(tmp_path / "out" / "key.json"), str(tmp_path / "answers.csv"),
                     "--out", str(tmp_path / "graded"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "error:" not in result.stderr
    assert "graded 2 students (long form)" in result.stdout
    scores = list(csv.DictReader(io.StringIO((tmp_path / "graded" / "scores.csv").read_text(encoding="utf-8-sig"))))
    assert [s["student"] for s in scores] == ["001", "002"]
    assert all(float(s["total"]) > 0 for s in scores)  # not the score itself: that is the answer types' to fix
    feedback = (tmp_path / "graded" / "feedback" / "001.txt").read_text(encoding="utf-8")
    assert "    dloglik_dsigma: right" in feedback  # read without the quote key.csv put before it
    # the same values in the wide form, one row per student
    columns = sorted({(int(slot), field) for _, slot, field, _ in answers})
    given = {(student, int(slot), field): value for student, slot, field, value in answers}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *(f"{slot}.{field}" for slot, field in columns)])
    writer.writerows([student, *(given[(student, slot, field)] for slot, field in columns)] for student in ("001", "002"))
    (tmp_path / "wide.csv").write_text(out.getvalue(), encoding="utf-8")
    result = run_cli("grade", str(tmp_path / "out" / "key.json"), str(tmp_path / "wide.csv"),
                     "--out", str(tmp_path / "graded-wide"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "graded 2 students (wide form)" in result.stdout
    wide = (tmp_path / "graded-wide" / "scores.csv").read_text(encoding="utf-8-sig")
    assert wide == (tmp_path / "graded" / "scores.csv").read_text(encoding="utf-8-sig")  # both forms agree
