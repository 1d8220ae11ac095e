"""Grading: right, wrong, edge-of-tolerance, declared-mistake and malformed answers, in both forms.

The key below is written by hand: slot 1 is a toy problem with a real, a vector, an int, a
shape and a proof field (tolerances chosen so the edges are easy to compute), slot 2 is
cnn/conv-layer-cost for H=10, W=12, C_in=3, k=3, C_out=4, stride 1, pad 0, solved by hand:
out_shape (10-3+1, 12-3+1, 4) = [8, 10, 4]; mults = adds = 3*3*3 * 8*10*4 = 27*320 = 8640;
params = 27*4 + 4 = 112.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from generator import bank
from generator.errors import ExamgenError
from generator.grade import feedback_text, grade, parse_responses, scores_csv, write_results
from generator.instance import draw_instance, mistake_clashes
from generator.params import sample_params
from generator.problem import Answer, Mistake, Part, Problem
from generator.seeds import Sampler
from generator.verify import check_mistakes
from tests.conftest import run_cli

CONV = "cnn/conv-layer-cost"


def toy_problem(mistakes=None) -> Problem:
    return Problem(
        id="test/toy", topic="test", folder=Path("."), title="A toy problem", source="tests",
        parts=(Part("a", 4, ("x", "v")), Part("b", 3, ("n",)), Part("c", 2, ("s", "why"))),
        params=(), constraints=(),
        answers=(Answer("x", "real", "x", atol=0.01), Answer("v", "vector", "v", rtol=0.1),
                 Answer("n", "int", "n"), Answer("s", "shape", "s"), Answer("why", "proof", "why")),
        mistakes=mistakes if mistakes is not None else (
            Mistake("half", "took half of x", lambda p: {"x": p["x"] / 2}),
            Mistake("neg", "flipped the sign of v", lambda p: {"v": [-a for a in p["v"]]})),
        solve=lambda p: {"x": p["x"], "v": p["v"], "n": 7, "s": [3, 4, 5]},
        check=lambda p, a: dict(a), sample=None)


TOY = toy_problem()


def load(problem_id: str) -> Problem:
    return TOY if problem_id == "test/toy" else bank.load(problem_id)


def toy_key(keys=("001", "002", "003", "004", "005")) -> dict:
    toy = {"slot": 1, "slot_key": "test/toy", "id": "test/toy", "points": 9.0,
           "parts": {"a": {"points": 4.0, "fields": ["x", "v"]}, "b": {"points": 3.0, "fields": ["n"]},
                     "c": {"points": 2.0, "fields": ["s", "why"]}},
           "params": {"x": 0.3, "v": [2.0, -4.0]},
           "answers": {"x": 0.3, "v": [2.0, -4.0], "n": 7, "s": [3, 4, 5]},
           "tolerances": {"x": {"atol": 0.01, "rtol": 0.0}, "v": {"atol": 0.0, "rtol": 0.1},
                          "n": {"atol": 0.0, "rtol": 0.0}, "s": {"atol": 0.0, "rtol": 0.0}}}
    exact = {"atol": 0.0, "rtol": 0.0}
    conv = {"slot": 2, "slot_key": CONV, "id": CONV, "points": 10.0,
            "parts": {"shape": {"points": 3.0, "fields": ["out_shape"]},
                      "channels": {"points": 1.0, "fields": ["in_channels", "out_channels"]},
                      "ops": {"points": 4.0, "fields": ["mults", "adds"]},
                      "params": {"points": 2.0, "fields": ["params"]}},
            "params": {"H": 10, "W": 12, "C_in": 3, "k": 3, "C_out": 4, "stride": 1, "pad": 0},
            "answers": {"out_shape": [8, 10, 4], "in_channels": 3, "out_channels": 4, "mults": 8640,
                        "adds": 8640, "params": 112},
            "tolerances": {f: exact for f in ("out_shape", "in_channels", "out_channels", "mults", "adds", "params")}}
    return {"exam": {"title": "Toy exam", "seed": 5, "total_points": 19.0},
            "variants": [{"key": k, "seed": 1, "fingerprint": f"fp{k}",
                          "problems": [json.loads(json.dumps(toy)), json.loads(json.dumps(conv))]} for k in keys]}


# Per student: (slot, field, value). 001 all right; 002 right in other spellings and exactly at
# the tolerance's edges; 003 just outside the edges and two conv mistakes; 004 declared
# mistakes; 005 malformed values; 099 is not in the key.
ANSWERS = {
    "001": [(1, "x", "0.3"), (1, "v", "[2, -4]"), (1, "n", "7"), (1, "s", "[3, 4, 5]"), (1, "why", "since..."),
            (2, "out_shape", "[8, 10, 4]"), (2, "in_channels", "3"), (2, "out_channels", "4"),
            (2, "mults", "8640"), (2, "adds", "8640"), (2, "params", "112")],
    "002": [(1, "x", "0.31"), (1, "v", "[2.2, -4.4]"), (1, "n", "7.0"), (1, "s", "(3, 4, 5)"),
            (2, "out_shape", "8, 10, 4"), (2, "in_channels", "3"), (2, "out_channels", "4"),
            (2, "mults", "8,640"), (2, "adds", "8640.0"), (2, "params", "112")],
    "003": [(1, "x", "0.2899"), (1, "v", "[2.2001, -4]"), (1, "n", "8"), (1, "s", "[3, 4]"),
            (2, "out_shape", "[7, 9, 4]"), (2, "in_channels", "3"), (2, "out_channels", "4"),
            (2, "mults", "8641"), (2, "adds", "8640"), (2, "params", "108")],
    "004": [(1, "x", "0.155"), (1, "v", "[-2, 4]"), (1, "n", "7"), (1, "s", "[3, 4, 6]"),
            (2, "mults", "2880")],
    "5": [(1, "x", "abc"), (1, "v", ""), (1, "n", "7.0"), (1, "s", "[3, 4, five]"), (2, "out_shape", "8x10x4")],
    "099": [(1, "x", "0.3"), (2, "mults", "8640")],
}

# Points by hand. Slot 1: x 2, v 2 (part a: 4 over 2 fields), n 3, s 1 (part c: 2 over s and
# the proof field, whose 1 point is graded by hand). Slot 2: 3, 0.5, 0.5, 2, 2, 2. 003's v,
# [2.2001, -4], has its second entry right: half of v's 2 points.
EXPECTED_SCORES = """\
student,name,slot 1,slot 2,total,by_hand
001,,8,10,18,1
002,,8,10,18,1
003,,1,3,4,1
004,,3,0,3,1
005,,3,0,3,1
"""


def long_form() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "slot", "field", "value"])
    for student, rows in ANSWERS.items():
        writer.writerows([student, slot, field, value] for slot, field, value in rows)
    return out.getvalue()


def wide_form() -> str:
    columns = [(1, f) for f in ("x", "v", "n", "s", "why")] + \
              [(2, f) for f in ("out_shape", "in_channels", "out_channels", "mults", "adds", "params")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "name", *(f"{s}.{f}" for s, f in columns)])
    for student, rows in ANSWERS.items():
        given = {(s, f): v for s, f, v in rows}
        writer.writerow([student, "", *(given.get(c, "") for c in columns)])
    return out.getvalue()


def line_of(text: str, student: str, value: str | None = None) -> int:
    """The 1-based line of the (first) row of `student` holding `value`."""
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if row and row[0] == student and (value is None or value in row):
            return number
    raise AssertionError((student, value))


@pytest.fixture(params=["long", "wide"])
def graded(request):
    text = long_form() if request.param == "long" else wide_form()
    responses = parse_responses(text, "answers.csv")
    assert responses.form == request.param
    return request.param, text, grade(toy_key(), responses, load=load, key_path="key.json")


def feedback(grades, key):
    return feedback_text(grades, next(s for s in grades.students if s.key == key))


def test_scores_are_what_a_careful_grader_gives(graded):
    _, _, grades = graded
    assert scores_csv(grades) == "\ufeff" + EXPECTED_SCORES
    assert grades.absent == []


def test_one_clear_line_per_malformed_entry(graded):
    form, text, grades = graded

    def where(student, value, column):
        return f"answers.csv:{line_of(text, student, value)}" + (f" (column {column})" if form == "wide" else "")

    expected = [
        f"{where('5', 'abc', '1.x')}: 005 1.x: 'abc' is not a number; counted as wrong: write a number with a "
        "decimal point, e.g. -0.25 or 1/3",
        f"{where('5', '[3, 4, five]', '1.s')}: 005 1.s: '[3, 4, five]' is not a list of numbers; counted as wrong:"
        " write a JSON list, e.g. [46, 62, 20]",
        f"{where('5', '8x10x4', '2.out_shape')}: 005 2.out_shape: '8x10x4' is not a list of numbers; counted as "
        "wrong: write a JSON list, e.g. [46, 62, 20]",
    ]
    if form == "long":  # an explicit row with no value; in the wide form a blank cell is just no answer
        expected.append(f"answers.csv:{line_of(text, '5', '')}: 005 1.v has an empty value; counted as "
                        "unanswered (0 points): write the answer, or leave the row out")
        unknown_lines = ", ".join(str(n) for n, row in enumerate(csv.reader(io.StringIO(text)), 1) if row[0] == "099")
    else:
        unknown_lines = str(line_of(text, "099"))
    expected.append(f"answers.csv:{unknown_lines}: unknown student '099' (no such variant in key.json); not graded:"
                    " use the variant key printed on the sheet (the student id for a roster build)")
    assert sorted(grades.warnings) == sorted(expected)
    assert all("\n" not in w for w in grades.warnings)


def test_feedback_for_right_answers(graded):
    _, _, grades = graded
    text = feedback(grades, "001")
    assert "Score: 18 of 19 points graded automatically; 1 point more to be graded by hand" in text
    assert "    x: right, 2 of 2" in text
    assert "    why: to be graded by hand (1 point, not included in the score above)" in text
    assert "expected" not in text


def test_feedback_at_and_beyond_the_tolerance_edge(graded):
    _, _, grades = graded
    inside = feedback(grades, "002")
    assert "wrong" not in inside and "    v: right, 2 of 2" in inside and "    mults: right, 2 of 2" in inside
    outside = feedback(grades, "003")
    assert ("    x: wrong, 0 of 2\n      your answer: 0.2899\n      expected:    0.3\n"
            "      tolerance:   right within +/- 0.01 (atol 0.01 + rtol 0 x |value|)") in outside
    assert ("    v: 1 of 2 entries right (entry 2), 1 of 2 points\n      your answer: [2.2001, -4]\n"
            "      expected:    [2, -4]\n"
            "      tolerance:   each entry right within atol 0 + rtol 0.1 x |entry|") in outside
    assert "    s: wrong, 0 of 1\n      your answer: [3, 4] (the key has 3 entries, your answer 2)" in outside
    assert ("    mults: wrong, 0 of 2\n      your answer: 8641\n      expected:    8640\n"
            "      tolerance:   must match exactly") in outside
    assert "    adds: right, 2 of 2" in outside


def test_feedback_names_declared_mistakes(graded):
    _, _, grades = graded
    text = feedback(grades, "003")
    # [7, 9, 4] = ((10-3)/1, (12-3)/1, 4): the size without the + 1; 108 = 27*4 weights without biases
    assert ("    out_shape: wrong, 0 of 3\n      your answer: [7, 9, 4]\n      expected:    [8, 10, 4]\n"
            "      tolerance:   must match exactly\n"
            "      likely mistake: used (H + 2p - k)/s for the output size, without the + 1") in text
    assert "      likely mistake: counted the weights but forgot the C_out biases" in text
    assert text.count("likely mistake") == 2
    text = feedback(grades, "004")
    assert "x: wrong, 0 of 2\n      your answer: 0.155\n      expected:    0.3\n" in text
    assert "likely mistake: took half of x" in text            # 0.155 is within 0.01 of 0.3 / 2
    assert "likely mistake: flipped the sign of v" in text
    # 2880 = 3*3 * 4 * 8*10: the count without the input channels
    assert "likely mistake: left out the input channels in the multiplication count" in text
    assert text.count("likely mistake") == 3                   # s = [3, 4, 6] matches no mistake
    assert "    adds: no answer, 0 of 2\n      expected:    8640" in text


def test_feedback_for_malformed_answers(graded):
    _, _, grades = graded
    text = feedback(grades, "005")
    assert "Student: 005" in text
    assert "    x: could not be read (is not a number), counted as wrong, 0 of 2\n      your answer: abc" in text
    assert "    v: no answer, 0 of 2" in text
    assert "    n: right, 3 of 3" in text                      # '7.0' for an int, and '5' for variant 005


def test_write_results(tmp_path, graded):
    _, _, grades = graded
    written = write_results(grades, tmp_path / "out")
    assert (tmp_path / "out" / "scores.csv").read_text(encoding="utf-8-sig") == EXPECTED_SCORES
    names = sorted(p.name for p in (tmp_path / "out" / "feedback").iterdir())
    assert names == ["001.txt", "002.txt", "003.txt", "004.txt", "005.txt"]
    assert len(written) == 8   # scores.csv, answers.csv, results.json and five feedback files


@pytest.mark.parametrize("field, value, right", [
    ("x", "0.31", True), ("x", "0.29", True), ("x", "0.3100001", False), ("x", "0.2899999", False),
    ("x", "31/100", True), ("x", "3.1e-1", True), ("x", "−0.3", False), ("x", "0,3", False),
    ("v", "[2.2, -4.4]", True), ("v", "[1.8, -3.6]", True), ("v", "[2.2000001, -4]", 0.5),
    ("v", "[2 -4]", True), ("v", "[2, -4, 0]", False), ("v", "[2.3, -4.5]", False), ("v", "[2]", False),
    ("n", "7", True), ("n", "8", False), ("n", "6.5", False), ("n", "7.0", True),
    ("s", "[3,4,5]", True), ("s", "[3, 5, 4]", False), ("s", "[[3, 4, 5]]", False),
])
def test_edges_of_tolerance(field, value, right):
    text = f"student,slot,field,value\n001,1,{field},\"{value}\"\n"
    grades = grade(toy_key(("001",)), parse_responses(text, "r.csv"), load=load)
    (student,) = grades.students
    points = {"x": 2, "v": 2, "n": 3, "s": 1}[field]
    assert student.slots[0].points == points * float(right)   # 0.5: one of v's two entries right


def test_numbered_variants_accept_the_number_without_zeros():
    grades = grade(toy_key(("001", "010")), parse_responses("student,slot,field,value\n10,1,n,7\n"), load=load)
    assert [s.key for s in grades.students] == ["010"]
    assert grades.students[0].points == 3


def test_duplicate_unknown_slot_and_field_are_warned():
    text = ("student,slot,field,value\n001,1,n,7\n001,1,n,8\n001,3,n,7\n001,1,nn,7\n"
            "001,test/toy,x,0.3\n")
    grades = grade(toy_key(("001",)), parse_responses(text, "r.csv"), load=load)
    assert grades.students[0].points == 3 + 2  # the first n (right) and x named by the slot's key
    assert grades.warnings == [
        "r.csv:3: 001 1.n is answered twice (first on line 2); the first answer is graded: delete one of the rows",
        "r.csv:4: no slot '3' on this exam (its slots: 1, 2); not graded: give the question number as printed on "
        "the sheet",
        "r.csv:5: slot 1 (test/toy) has no answer field 'nn'; not graded: its fields are x, v, n, s, why; "
        "did you mean 'n'?",
    ]


def test_unquoted_list_in_the_last_column_is_read_whole():
    text = "student,slot,field,value\n001,1,v,[2, -4]\n"
    grades = grade(toy_key(("001",)), parse_responses(text, "r.csv"), load=load)
    assert grades.students[0].points == 2 and grades.warnings == []


def test_wide_form_missing_column_and_stray_column_are_warned():
    text = "student,1.x,1.v,1.n,notes\n001,0.3,\"[2, -4]\",7,good\n"
    grades = grade(toy_key(("001",)), parse_responses(text, "w.csv"), load=load)
    assert grades.students[0].points == 7
    assert "w.csv:1: column 'notes' is not 'slot.field' (such as '1.out_shape'); it is ignored" in grades.warnings
    assert ("w.csv:1: no column 1.s: every student's 1.s counts as unanswered; add the column"
            in grades.warnings)
    assert any(w.startswith("w.csv:1: no column 2.mults") for w in grades.warnings)


@pytest.mark.parametrize("text, message", [
    ("", "answers.csv: the responses file is empty"),
    ("student,slot,value\n001,1,3\n", "answers.csv:1: the responses have no column 'field' (columns: student, "
                                      "slot, value)"),
    ("id,1.x\n001,0.3\n", "answers.csv:1: the responses have no 'student' column (columns: id, 1.x)"),
    ("who,what\n", "answers.csv:1: the responses have no 'student' column"),
])
def test_unusable_responses_file_is_a_fatal_error(text, message):
    with pytest.raises(ExamgenError) as caught:
        parse_responses(text, "answers.csv")
    assert message in str(caught.value)
    assert caught.value.fix


def test_expressions_from_students_are_never_run():
    from generator.grade import Unreadable, parse_value

    answer = Answer("f", "expr", "f", symbols=("x",))
    assert parse_value(answer, "2*x + sqrt(x)^2") == "2*x + sqrt(x)**2"
    for hostile in ("__import__('os')", "exit()", "x.__class__", "open(x)", "9**9**9**9", "9**999999", "lambda: 1"):
        with pytest.raises(Unreadable):
            parse_value(answer, hostile)


# ---------------------------------------------------------------- command line, on a real build


def conv_by_hand(p: dict) -> dict:
    h = (p["H"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1
    w = (p["W"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1
    per = p["k"] ** 2 * p["C_in"]
    return {"out_shape": [h, w, p["C_out"]], "in_channels": p["C_in"], "out_channels": p["C_out"],
            "mults": per * h * w * p["C_out"], "adds": per * h * w * p["C_out"], "params": per * p["C_out"] + p["C_out"]}


def test_grade_command_on_a_roster_build(tmp_path):
    (tmp_path / "quiz.yaml").write_text("title: Quiz\nseed: 3\nproblems:\n  - id: cnn/conv-layer-cost\n"
                                        "    points: 10\n", encoding="utf-8")
    (tmp_path / "class.csv").write_text("id,name\nada,Ada Lovelace\nzoe,Zoë Łukasiewicz\nbob,Bob\n", encoding="utf-8")
    result = run_cli("build", str(tmp_path / "quiz.yaml"), "--roster", str(tmp_path / "class.csv"),
                     "--out", str(tmp_path / "out"), "--no-pdf")
    assert result.returncode == 0, result.stderr
    key = json.loads((tmp_path / "out" / "key.json").read_text(encoding="utf-8"))
    params = {v["key"]: v["problems"][0]["params"] for v in key["variants"]}
    ada, zoe = conv_by_hand(params["ada"]), conv_by_hand(params["zoe"])
    p = params["zoe"]
    rows = [("ada", f, json.dumps(v)) for f, v in ada.items()]
    rows += [("zoe", "out_shape", json.dumps([zoe["out_shape"][0] - 1, zoe["out_shape"][1] - 1, p["C_out"]])),
             ("zoe", "params", str(p["k"] ** 2 * p["C_in"] * p["C_out"])),
             ("zoe", "mults", "lots"), ("zoe", "adds", str(zoe["adds"]))]
    rows += [("eve", "mults", "1")]
    text = "student,slot,field,value\n" + "".join(f'{s},1,{f},"{v}"\n' for s, f, v in rows)
    (tmp_path / "answers.csv").write_text(text, encoding="utf-8")
    result = run_cli("grade", str(tmp_path / "out" / "key.json"), str(tmp_path / "answers.csv"))
    assert result.returncode == 0, result.stderr
    assert "graded 2 students (long form); 1 variant of the key has no responses; 2 warnings above" in result.stdout
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 2
    assert warnings[0].startswith("warning: ") and "answers.csv:10: zoe 1.mults: 'lots' is not a number" in warnings[0]
    assert "answers.csv:12: unknown student 'eve'" in warnings[1]
    graded = tmp_path / "answers-graded"
    # zoe: shape wrong (no + 1), channels unanswered, mults unreadable, adds right (2), params no bias
    assert (graded / "scores.csv").read_text(encoding="utf-8-sig") == (
        "student,name,slot 1,total\nada,Ada Lovelace,10,10\nzoe,Zoë Łukasiewicz,2,2\n")
    feedback = (graded / "feedback" / "zoe.txt").read_text(encoding="utf-8")
    assert "Student: zoe  Zoë Łukasiewicz" in feedback
    assert "likely mistake: used (H + 2p - k)/s for the output size, without the + 1" in feedback
    assert "likely mistake: counted the weights but forgot the C_out biases" in feedback
    assert f"expected:    {zoe['params']}" in feedback
    assert sorted(p.name for p in (graded / "feedback").iterdir()) == ["ada.txt", "zoe.txt"]


def test_grade_command_fatal_errors(tmp_path):
    (tmp_path / "r.csv").write_text("student,slot,value\n1,1,2\n", encoding="utf-8")
    (tmp_path / "key.json").write_text(json.dumps(toy_key(("001",))), encoding="utf-8")
    result = run_cli("grade", str(tmp_path / "key.json"), str(tmp_path / "r.csv"))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and "no column 'field'" in result.stderr
    assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr
    result = run_cli("grade", str(tmp_path / "missing.json"), str(tmp_path / "r.csv"))
    assert result.returncode == 1 and "answer key not found" in result.stderr
    (tmp_path / "latin.csv").write_bytes("student,slot,field,value\n1,1,x,Zoë\n".encode("latin-1"))
    result = run_cli("grade", str(tmp_path / "key.json"), str(tmp_path / "latin.csv"))
    assert result.returncode == 1 and "the responses file is not UTF-8 text" in result.stderr
    (tmp_path / "notakey.json").write_text("[1, 2]", encoding="utf-8")
    result = run_cli("grade", str(tmp_path / "notakey.json"), str(tmp_path / "r.csv"))
    assert result.returncode == 1 and "not an examgen answer key" in result.stderr


# ---------------------------------------------------------------- declared mistakes and the sampler


def test_instances_where_a_mistake_gives_the_right_answer_are_redrawn():
    # Leaving out C_in in the multiplication count is right when C_in = 1: such instances
    # cannot tell the mistake from the answer, so the sampler must never return one.
    problem = bank.load(CONV)
    redrawn = 0
    for seed in range(200):
        first = sample_params(problem.id, problem.params, problem.constraints, Sampler(seed, problem.id))
        instance = draw_instance(problem, Sampler(seed, problem.id))
        assert instance.params["C_in"] != 1
        if first.params["C_in"] == 1:
            redrawn += 1
            assert instance.tries > first.tries  # the redraw counts against the acceptance rate
        else:
            assert instance.params == first.params  # other instances are unchanged
    assert redrawn > 0  # 200 seeds draw C_in = 1 (1 in 16) at least once


def test_pins_that_force_a_mistake_are_a_warning_naming_it():
    # Pinned, such an instance is built (solve and check handle it), with a warning naming the mistake.
    problem = bank.load(CONV)
    pinned = {"H": 10, "W": 12, "C_in": 1, "k": 3, "C_out": 4, "stride": 1, "pad": 0}
    for pins in (pinned, {"C_in": 1}):
        instance = draw_instance(problem, Sampler(1, problem.id), pins, "spec.yaml:4: problems[0]")
        assert instance.params["C_in"] == 1
        (warning,) = [w for w in instance.warnings if "no-channels-in" in w]
        assert warning.startswith("with the pinned parameters")
        assert "the declared mistake 'no-channels-in'" in warning and "gives the right mults" in warning
    # mults = k k C_in H_out W_out C_out = 3 * 3 * 1 * 8 * 10 * 4
    assert draw_instance(problem, Sampler(1, problem.id), pinned).answers["mults"] == 2880


def test_verify_reports_broken_or_coinciding_mistakes():
    problem = toy_problem(mistakes=(
        Mistake("same", "always right", lambda p: {"n": 7}),
        Mistake("typo", "names a field that does not exist", lambda p: {"nn": 1}),
        Mistake("crash", "divides by zero", lambda p: {"x": 1 / 0}),
        Mistake("fine", "a real mistake", lambda p: {"x": p["x"] + 1})))
    from generator.instance import make_instance

    instance = make_instance(problem, {"x": 0.3, "v": [2.0, -4.0]})
    assert mistake_clashes(problem, instance) == [("same", "n")]
    assert check_mistakes(problem, instance) == [
        "mistake typo: returns 'nn', which is not an answer field",
        "mistake crash: raised ZeroDivisionError: division by zero",
        "mistake same: gives the right n",
    ]


def test_at_least_eight_problems_declare_mistakes():
    with_mistakes = []
    for problem_id in bank.ids():
        try:
            problem = bank.load(problem_id)
        except Exception:  # a problem still being written does not count
            continue
        if problem.mistakes:
            with_mistakes.append(problem_id)
    assert len(with_mistakes) >= 8, with_mistakes


# ---------------------------------------------------------------- partial credit per entry

def grid_problem() -> Problem:
    """A 3x3 matrix and three bools in one part of 6 points: 3 points each."""
    return Problem(
        id="test/grid", topic="test", folder=Path("."), title="A grid", source="tests",
        parts=(Part("a", 6, ("m", "b")), Part("b", 2, ("s",))), params=(), constraints=(),
        answers=(Answer("m", "matrix", "M", atol=0.01), Answer("b", "bools", "b"), Answer("s", "shape", "s")),
        mistakes=(Mistake("transposed", "wrote the transpose of M", lambda p: {"m": [list(r) for r in zip(*M9, strict=True)]}),),
        solve=lambda p: {"m": M9, "b": [True, False, True], "s": [2, 3]}, check=lambda p, a: dict(a), sample=None)


M9 = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]
GRID = grid_problem()


def grid_grade(values: dict[str, str]):
    entry = {"slot": 1, "slot_key": "test/grid", "id": "test/grid", "points": 8.0,
             "parts": {"a": {"points": 6.0, "fields": ["m", "b"]}, "b": {"points": 2.0, "fields": ["s"]}},
             "params": {}, "answers": {"m": M9, "b": [True, False, True], "s": [2, 3]},
             "tolerances": {"m": {"atol": 0.01, "rtol": 0.0}, "b": {"atol": 0.0, "rtol": 0.0},
                            "s": {"atol": 0.0, "rtol": 0.0}}}
    key = {"exam": {"title": "Grid", "seed": 1, "total_points": 8.0},
           "variants": [{"key": "001", "seed": 1, "fingerprint": "f", "problems": [entry]}]}
    rows = "".join(f'001,1,{f},"{v}"\n' for f, v in values.items())
    grades = grade(key, parse_responses("student,slot,field,value\n" + rows, "r.csv"),
                   load=lambda i: GRID, key_path="key.json")
    (student,) = grades.students
    return grades, student, {f.field: f for p in student.slots[0].parts for f in p.fields}


def test_three_of_nine_matrix_entries_score_three_ninths_of_the_share():
    # entries 1, 5 and 9 (the diagonal) right within atol 0.01; the other six off by 1
    grades, student, fields = grid_grade({"m": "[[1.005, 3, 4], [5, 5, 7], [8, 9, 8.99]]"})
    m = fields["m"]
    assert (m.status, m.entries, m.right_entries) == ("partial", 9, [1, 5, 9])
    assert m.points == pytest.approx(3.0 * 3 / 9)
    assert student.points == pytest.approx(1.0)
    text = feedback_text(grades, student)
    assert "    m: 3 of 9 entries right (entries 1, 5, 9), 1 of 3 points\n" in text
    assert scores_csv(grades).splitlines()[1] == "001,,1,1"


def test_bools_entry_by_entry_and_shapes_as_a_whole():
    grades, student, fields = grid_grade({"b": "[true, true, true]", "s": "[2, 4]", "m": "[[1, 2], [4, 5]]"})
    assert (fields["b"].status, fields["b"].right_entries) == ("partial", [1, 3])
    assert fields["b"].points == pytest.approx(2.0)                  # 2 of 3 entries of 3 points
    assert "    b: 2 of 3 entries right (entries 1, 3), 2 of 3 points\n" in feedback_text(grades, student)
    assert (fields["s"].status, fields["s"].points) == ("wrong", 0.0)   # a shape is right or wrong as a whole
    assert (fields["m"].status, fields["m"].points) == ("wrong", 0.0)   # 2x2 for 3x3: no entry pairs up
    assert student.points == pytest.approx(2.0)
    assert scores_csv(grades).splitlines()[1] == "001,,2,2"


def test_a_partly_right_answer_still_names_a_declared_mistake():
    _, _, fields = grid_grade({"m": "[[1, 4, 7], [2, 5, 8], [3, 6, 9]]"})   # the transpose: diagonal right
    m = fields["m"]
    assert (m.status, m.right_entries, m.mistake_names) == ("partial", [1, 5, 9], ["transposed"])
    assert m.mistakes == ["wrote the transpose of M"]
    _, _, fields = grid_grade({"m": "[[1, 2, 3], [4, 5, 6], [7, 8, 9]]", "b": "true false true"})
    assert [(f.status, f.points) for f in fields.values()] == [("right", 3.0), ("right", 3.0), ("unanswered", 0.0)]
