"""Rosters: one variant per student, names printed exactly, stable under roster edits, bad rosters."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from generator.errors import ExamgenError
from generator.plan import Student
from generator.roster import load_roster
from tests.conftest import run_cli

AWKWARD = "O'Brien & Co. \\textbf{x} 50%"
POLISH = "Zoë Łukasiewicz"

SPEC = """\
title: Roster quiz
course: DL
seed: 41
problems:
  - id: cnn/conv-layer-cost
    points: 10
"""

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="TeX Live and poppler-utils are installed by 'make test'")


def write(tmp_path, name: str, text: str, encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def roster_text(students: list[tuple[str, str]], extra: str = "") -> str:
    lines = ["id,name" + (",email" if extra else "")]
    for key, name in students:
        quoted = '"' + name.replace('"', '""') + '"'
        lines.append(f"{key},{quoted}" + (f",{key}@{extra}" if extra else ""))
    return "\n".join(lines) + "\n"


def build(tmp_path, roster, out: str, *more: str):
    spec = write(tmp_path, "quiz.yaml", SPEC)
    return run_cli("build", str(spec), "--roster", str(roster), "--out", str(tmp_path / out), *more)


# ---------------------------------------------------------------- loading


def test_roster_keeps_order_names_and_other_columns(tmp_path):
    # BOM (as spreadsheets write it), header in other case with spaces, a blank line, quoted fields
    text = "\ufeff ID , Name ,Email,group\ns01,Ada Lovelace,ada@x.org,A\n\n" \
           f's02,"{AWKWARD}",ob@x.org,B\ns-03.b,"Lovelace, Ada",,A\n'
    students = load_roster(write(tmp_path, "r.csv", text))
    assert list(students) == ["s01", "s02", "s-03.b"]
    assert students["s01"] == Student("s01", "Ada Lovelace", {"Email": "ada@x.org", "group": "A"})
    assert students["s02"].name == AWKWARD
    assert students["s-03.b"] == Student("s-03.b", "Lovelace, Ada", {"Email": "", "group": "A"})


def test_semicolon_roster_from_a_spreadsheet(tmp_path):
    students = load_roster(write(tmp_path, "r.csv", "id;name\n1001;Zoë Łukasiewicz\n1002;Bo\n"))
    assert students == {"1001": Student("1001", POLISH, {}), "1002": Student("1002", "Bo", {})}


BAD = [
    ("no id column", "student,name\n1,Ada\n", r"r.csv:1: the roster has no 'id' column (its columns: student, name)"),
    ("no name column", "id,email\n1,a@b\n", "r.csv:1: the roster has no 'name' column"),
    ("duplicate ids", "id,name\ns1,Ada\ns2,Bo\ns1,Cy\n", "r.csv:4: student id 's1' appears twice, on lines 2 and 4"),
    ("case duplicates", "id,name\nAb1,Ada\nab1,Bo\n",
     "r.csv:3: student ids 'Ab1' (line 2) and 'ab1' (line 3) differ only in case"),
    ("trailing dot", "id,name\nabc,Ada\nABC.,Bo\n",
     "r.csv:3: student ids 'abc' (line 2) and 'ABC.' (line 3) differ only in case or a trailing dot"),
    ("empty id", "id,name\ns1,Ada\n,Bo\n", "r.csv:3: this student has no id"),
    ("empty name", "id,name\ns1,\n", "r.csv:2: student 's1' has no name"),
    ("slash", "id,name\na/b,Ada\n", "r.csv:2: student id 'a/b' contains '/', which cannot be part of a folder name"),
    ("dot dot", "id,name\n..,Ada\n", "r.csv:2: student id '..' must start with a letter or a digit"),
    ("traversal", "id,name\n../../etc,Ada\n", "r.csv:2: student id '../../etc' contains '/'"),
    ("space", "id,name\nab 12,Ada\n", "r.csv:2: student id 'ab 12' contains ' '"),
    ("device name", "id,name\ncon,Ada\n", "r.csv:2: student id 'con' is a device name reserved by Windows"),
    ("too many fields", "id,name\ns1,Lovelace, Ada\n", "r.csv:2: this line has 3 fields, the header 2"),
    ("empty file", "\n\n", "r.csv: the roster is empty"),
    ("header only", "id,name\n", "r.csv: the roster has a header but no students"),
    ("duplicate column", "id,name,ID\n1,a,2\n", "r.csv:1: the header names the column 'ID' twice"),
    # Vietnamese, Greek, Cyrillic, CJK and Arabic names print (tests/test_access.py); Devanagari has no font here
    ("unprintable name", "id,name\ns1,Ada\ns2,राम\n",
     "r.csv:3: the name of student 's2' has the character U+0930 'र' (DEVANAGARI LETTER RA), which the sheet's "
     "fonts cannot print; write the name in Latin letters"),
]


@pytest.mark.parametrize("text, message", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_roster_is_one_clear_error(tmp_path, text, message):
    with pytest.raises(ExamgenError) as caught:
        load_roster(write(tmp_path, "r.csv", text))
    line = str(caught.value)
    assert message in line
    assert "\n" not in line
    assert caught.value.fix  # every error says how to fix it


def test_roster_in_latin1_says_how_to_convert(tmp_path):
    path = write(tmp_path, "r.csv", "id,name\ns1,Zoë\n", encoding="latin-1")
    with pytest.raises(ExamgenError) as caught:
        load_roster(path)
    line = str(caught.value)
    assert "r.csv: the roster is not UTF-8 text (byte 0xeb on line 2)" in line
    assert "iconv -f WINDOWS-1252 -t UTF-8 r.csv > r-utf8.csv" in line


def test_roster_in_utf16_says_how_to_convert(tmp_path):
    path = write(tmp_path, "r.csv", "id,name\ns1,Zoë\n", encoding="utf-16")
    with pytest.raises(ExamgenError) as caught:
        load_roster(path)
    assert "not UTF-8" in str(caught.value) or "NUL" in str(caught.value)
    assert "iconv" in str(caught.value)


def test_missing_roster_file(tmp_path):
    with pytest.raises(ExamgenError, match="roster not found"):
        load_roster(tmp_path / "nope.csv")


def test_bad_roster_on_the_command_line_is_one_line_and_exit_1(tmp_path):
    roster = write(tmp_path, "r.csv", "id,name\ns1,Ada\ns1,Bo\n")
    result = build(tmp_path, roster, "out", "--no-pdf")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("error: ") and "appears twice" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_roster_and_variants_exclude_each_other(tmp_path):
    roster = write(tmp_path, "r.csv", "id,name\ns1,Ada\n")
    result = build(tmp_path, roster, "out", "--no-pdf", "--variants", "3")
    assert result.returncode == 2
    assert "--roster and --variants exclude each other" in result.stderr


# ---------------------------------------------------------------- stability


def key_by_student(out) -> dict[str, dict]:
    document = json.loads((out / "key.json").read_text(encoding="utf-8"))
    return {v["key"]: v for v in document["variants"]}


def test_adding_removing_reordering_students_changes_no_one_else(tmp_path):
    first = [(f"s{i:02d}", f"Student {i}") for i in range(1, 11)]
    # s03 and s07 leave, two students join (one in the middle), the rest are reordered
    second = [first[9], ("x99", "New One"), *first[3:6], first[0], ("a00", "New Two"), first[1], first[7], first[8]]
    one = build(tmp_path, write(tmp_path, "one.csv", roster_text(first)), "one", "--no-pdf")
    two = build(tmp_path, write(tmp_path, "two.csv", roster_text(second)), "two", "--no-pdf")
    assert one.returncode == 0, one.stderr
    assert two.returncode == 0, two.stderr
    before, after = key_by_student(tmp_path / "one"), key_by_student(tmp_path / "two")
    assert list(after) == [key for key, _ in second]  # the key follows the roster's order
    common = set(before) & set(after)
    assert common == {f"s{i:02d}" for i in (1, 2, 4, 5, 6, 8, 9, 10)}
    for key in common:
        assert before[key] == after[key], key  # seed, fingerprint, params, answers: all the same
        tex = f"variants/{key}/exam.tex"
        assert (tmp_path / "one" / tex).read_text() == (tmp_path / "two" / tex).read_text()
    # and students do get their own instances
    assert len({v["fingerprint"] for v in before.values()}) == len(before)


def test_identical_instances_are_warned(tmp_path):
    # All but pad pinned: k = 3 leaves pad in {0, 1, 2}, so 8 students share 3 instances at most.
    spec = write(tmp_path, "pinned.yaml", SPEC + "    params: {H: 12, W: 12, C_in: 2, k: 3, C_out: 4, stride: 1}\n")
    roster = write(tmp_path, "r.csv", roster_text([(f"s{i}", f"N{i}") for i in range(1, 9)]))
    result = run_cli("build", str(spec), "--roster", str(roster), "--out", str(tmp_path / "out"), "--no-pdf")
    assert result.returncode == 0, result.stderr
    groups: dict[int, list[str]] = {}
    for key, variant in key_by_student(tmp_path / "out").items():
        groups.setdefault(variant["problems"][0]["params"]["pad"], []).append(key)
    shared = [keys for keys in groups.values() if len(keys) > 1]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1  # one line for the slot
    line = warnings[0]
    count = sum(len(keys) for keys in shared)
    assert f"slot 1 (cnn/conv-layer-cost): {count} students share an instance with another" in line
    for keys in shared:
        assert " = ".join(keys) in line


def test_all_pinned_slot_is_not_warned(tmp_path):
    spec = write(tmp_path, "pinned.yaml",
                 SPEC + "    params: {H: 12, W: 12, C_in: 2, k: 3, C_out: 4, stride: 1, pad: 0}\n")
    roster = write(tmp_path, "r.csv", roster_text([("s1", "A"), ("s2", "B")]))
    result = run_cli("build", str(spec), "--roster", str(roster), "--out", str(tmp_path / "out"), "--no-pdf")
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr


# ---------------------------------------------------------------- names on the PDFs


def pdftext(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


@needs_tex
def test_thirty_students_every_name_printed_exactly(tmp_path):
    names = [AWKWARD, POLISH, "Jean-Luc Picard", "Ana María Núñez", "Søren Kierkegaard", "Gödel-Čapek",
             "Ada_Lovelace #1", "Bob $5 {x}", "Chloé d’Arcy", "Émile Zola"]
    names += [f"Student Number {i}" for i in range(len(names) + 1, 31)]
    students = [(f"s{i:02d}", name) for i, name in enumerate(names, start=1)]
    assert len(students) == 30
    roster = write(tmp_path, "class.csv", roster_text(students, extra="uni.example"))
    result = build(tmp_path, roster, "out")
    assert result.returncode == 0, result.stderr
    out = tmp_path / "out"
    key = key_by_student(out)
    assert list(key) == [k for k, _ in students]
    assert key["s01"]["student"] == {"id": "s01", "name": AWKWARD, "email": "s01@uni.example"}
    failures = []
    for student_id, name in students:
        exam = pdftext(out / "variants" / student_id / "exam.pdf")
        if f"Name: {name}" not in exam or f"Student ID: {student_id}" not in exam:
            header = next((line for line in exam.splitlines() if "Name:" in line), "")
            failures.append(f"{student_id}: expected {name!r}, the sheet prints {header!r}")
        solutions = pdftext(out / "variants" / student_id / "solutions.pdf")
        assert key[student_id]["fingerprint"] in solutions
    assert not failures, "\n".join(failures)
    assert "textbf" in pdftext(out / "variants" / "s01" / "exam.pdf")  # printed, not run: no bold x
