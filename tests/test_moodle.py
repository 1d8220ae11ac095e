"""moodle.xml: the structure Moodle's importer expects, checked against key.json.

Expected tolerances, weights and right options are computed here from key.json (values,
atol/rtol, part points and fields), not taken from the exporter.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from generator import bank
from generator.answers import Answer
from generator.exports.csv import value_text
from generator.exports.moodle import _longest_answer, _pad_blanks, _subquestion
from generator.pipeline import build
from generator.plan import make_plan
from generator.spec import load_spec
from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is installed by 'make test'")

CLOZE_RE = re.compile(r"\{(\d+):(NUMERICAL|MULTICHOICE|SHORTANSWER):((?:\\.|[^\\}])*)\}")


def parse_xml(path: Path) -> list[ET.Element]:
    root = ET.parse(path).getroot()
    assert root.tag == "quiz"
    return list(root)


def unescape_cloze(text: str, wildcard: bool = False) -> str:
    """What Moodle reads: entities decoded, then only \\} and \\# unescaped (qtype_multianswer);
    SHORTANSWER (`wildcard`) reads \\* as a literal star."""
    text = html.unescape(text).replace("\\}", "}").replace("\\#", "#")
    return text.replace("\\*", "*") if wildcard else text


def subquestions(question_html: str) -> list[tuple[int, str, str]]:
    found = CLOZE_RE.findall(question_html)
    # Nothing that looks like a sub-question was left unparsed.
    assert len(found) == len(re.findall(r"\{\d+:[A-Z]+:", question_html))
    return [(int(w), kind, body) for w, kind, body in found]


def flat(value):
    return [x for v in value for x in flat(v)] if isinstance(value, list) else [value]


def expected_entries(problem_entry: dict) -> list[tuple[str, object, float, dict]]:
    """(field, value, points share, tolerance) per graded entry, in sheet order, from the key."""
    out = []
    for part in problem_entry["parts"].values():
        share = part["points"] / len(part["fields"])
        for field in part["fields"]:
            if field not in problem_entry["answers"]:
                continue  # proof: no value in the key, graded by hand
            values = flat(problem_entry["answers"][field])
            for value in values:
                out.append((field, value, share / len(values), problem_entry["tolerances"][field]))
    return out


PAD_RE = {"NUMERICAL": re.compile(r"~%0%(9+):0"), "SHORTANSWER": re.compile(r"~%0%(_+)")}


def split_pad(body: str, kind: str) -> tuple[str, str]:
    """A text blank's answers without its trailing 0% pad (which must be there), and the pad."""
    match = PAD_RE[kind].search(body)
    assert match and match.end() == len(body), body
    return body[: match.start()], match.group(1)


def stored_length(body: str, kind: str) -> int:
    """The length Moodle gives the right answer of a blank (strlen of the unescaped answer)."""
    answer = re.split(r"(?<!\\)~", body)[0][1:]          # the first (right) answer
    answer = re.split(r"(?<!\\)#", answer)[0]             # without its feedback
    if kind == "NUMERICAL":
        answer = answer.rsplit(":", 1)[0]
    return len(unescape_cloze(answer))


def check_question_against_key(question: ET.Element, problem_entry: dict) -> None:
    problem = bank.load(problem_entry["id"])
    text = question.find("questiontext/text").text
    subs = subquestions(text)
    entries = expected_entries(problem_entry)
    assert len(subs) == len(entries), problem_entry["id"]
    total_weight = sum(w for w, _, _ in subs)
    total_share = sum(share for _, _, share, _ in entries)
    for (weight, kind, body), (field, value, share, tolerance) in zip(subs, entries, strict=True):
        assert weight >= 1
        # Weights in the ratio of the points (a part's points over its fields, a field's over its entries).
        assert weight / total_weight == pytest.approx(share / total_share, rel=1e-9), (field, weight)
        answer_type = problem.answer(field).type
        if kind in PAD_RE:
            body, _ = split_pad(body, kind)
        if answer_type in ("int", "shape", "real", "vector", "matrix", "matrices"):
            assert kind == "NUMERICAL"
            match = re.fullmatch(r"=(-?[0-9.]+):([0-9.]+)((~=-?[0-9.]+:[0-9.]+#[^~]*)*)", body)
            assert match, body
            assert float(match.group(1)) == value
            # Accepted alternatives (another convention): more full-credit answers, named in the feedback.
            others = [(float(v), c) for v, c in re.findall(r"~=(-?[0-9.]+):[0-9.]+#([^~]*)", match.group(3))]
            key_others = [(a["value"], a["convention"]) for a in problem_entry.get("alternatives", {}).get(field, [])]
            assert [v for v, _ in others] == [v for v, _ in key_others]
            assert all(unescape_cloze(c).endswith(k) for (_, c), (_, k) in zip(others, key_others, strict=True))
            tol = float(match.group(2))
            if answer_type in ("int", "shape"):
                assert tol == 0
            else:
                bound = tolerance["atol"] + tolerance["rtol"] * abs(value)
                assert bound <= tol <= bound + 1e-8 * max(1.0, abs(value)), (field, value, tol, bound)
        elif answer_type in ("choice", "bool", "bools"):
            options = problem.answer(field).options if answer_type == "choice" else ("true", "false")
            if answer_type == "choice" and not options:
                assert kind == "SHORTANSWER" and unescape_cloze(body, wildcard=True) == f"={value}"
                continue
            assert kind == "MULTICHOICE"
            alternatives = body.split("~")
            assert [a.lstrip("=") for a in alternatives] == [str(o) for o in options]
            right = [a[1:] for a in alternatives if a.startswith("=")]
            expected = ("true" if value else "false") if answer_type != "choice" else str(value)
            assert right == [expected]
        elif answer_type == "expr":
            assert kind == "SHORTANSWER"
            # The key's text first, then its other spellings (^ for **, no spaces), all full credit.
            spellings = [a.removeprefix("=") for a in unescape_cloze(body, wildcard=True).split("~")]
            assert spellings[0] == value and all(a.startswith("=") for a in body.split("~"))
            assert all(problem.answer(field).kind.matches(problem.answer(field), value, s) for s in spellings)
            assert "\\/" not in body and '\\"' not in body and "\\\\" not in body
        else:
            pytest.fail(f"unexpected answer type {answer_type}")


def has_proof(problem, entry: dict) -> bool:
    return any(not problem.answer(f).graded for part in entry["parts"].values() for f in part["fields"])


def check_structure(questions: list[ET.Element], key: dict) -> None:
    """One category per slot, then exactly one question per variant: an essay holding the whole
    problem (proof and numbers together) when the slot has proof parts, else a cloze."""
    variants = key["variants"]
    names = []
    index = 0
    slot_count = len(variants[0]["problems"])
    seen_slots = []
    while index < len(questions):
        category = questions[index]
        assert category.get("type") == "category"
        path = category.find("category/text").text
        assert path.startswith("$course$/top/") and "(written)" not in path
        index += 1
        slot_number = int(path.rsplit("/", 1)[1].split(" ", 1)[0])
        seen_slots.append(slot_number)
        for variant in variants:
            question = questions[index]
            index += 1
            entry = variant["problems"][slot_number - 1]
            problem = bank.load(entry["id"])
            written = has_proof(problem, entry)
            assert question.get("type") == ("essay" if written else "cloze")
            name = question.find("name/text").text
            assert name and variant["key"] in name and entry["id"] in name
            names.append(name)
            text = question.find("questiontext/text").text
            assert text and "\\(" in text and "$" not in text.replace("$course$", "")
            # Every part asked is in the question, its label safe from the emoticon filter.
            for label in "abcdefghij"[: len(entry["parts"])]:
                assert f'<span class="nolink">({label})</span>' in text, (name, label)
            feedback = question.find("generalfeedback/text").text
            assert feedback and len(feedback) > 50      # the worked solution
            for image in re.findall(r'@@PLUGINFILE@@/([^"]+)', text + feedback):
                files = {f.get("name"): f for f in question.iter("file")}
                assert image in files and files[image].get("encoding") == "base64"
                assert base64.b64decode(files[image].text).lstrip().startswith(b"<svg")
            if written:
                assert not subquestions(text)   # numbers and proof are answered in the same essay
                assert float(question.find("defaultgrade").text) == pytest.approx(entry["points"])
                info = question.find("graderinfo/text").text
                assert len(info) > 50   # the model answer
                asked = [f for part in entry["parts"].values() for f in part["fields"] if f in entry["answers"]]
                for field in asked:   # and the numbers it must agree with
                    value = entry["answers"][field]
                    label = html.escape(problem.answer(field).label or field)
                    assert f'<span class="nolink">{label}</span>' in info, (name, field)
                    assert html.escape(value_text(value)) in info, (name, field)
                assert question.find("responseformat").text == "editor"
            else:
                check_question_against_key(question, entry)
    assert len(names) == len(set(names)), "question names must be unique"
    assert sorted(seen_slots) == list(range(1, slot_count + 1)), "one category per slot"
    assert index == len(questions) == slot_count * (len(variants) + 1)


def blank_widths(questions: list[ET.Element]) -> dict[str, set[int]]:
    """Per category, the length of every text blank's longest answer (what Moodle sizes it by)."""
    out: dict[str, set[int]] = {}
    category = ""
    for question in questions:
        if question.get("type") == "category":
            category = question.find("category/text").text
            continue
        for _, kind, body in subquestions(question.find("questiontext/text").text):
            if kind in PAD_RE:
                body, pad = split_pad(body, kind)
                out.setdefault(category, set()).add(max(len(pad), stored_length(body, kind)))
    return out


def test_demo_with_ten_variants(tmp_path):
    out = tmp_path / "demo"
    result = run_cli("build", str(ROOT / "exams" / "demo.yaml"), "--variants", "10", "--no-pdf",
                     "--format", "moodle", "--out", str(out))
    assert result.returncode == 0, result.stderr
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert len(key["variants"]) == 10
    questions = parse_xml(out / "moodle.xml")
    check_structure(questions, key)
    categories = [q for q in questions if q.get("type") == "category"]
    assert len(categories) == len(key["variants"][0]["problems"])
    # One width per slot: the pad is at least as long as every answer of the slot, all pads alike.
    widths = blank_widths(questions)
    assert widths and all(len(w) == 1 for w in widths.values()), widths


def test_every_problem_of_the_bank(tmp_path):
    ids = bank.ids()
    spec = tmp_path / "all.yaml"
    spec.write_text("title: \"Every problem\"\nseed: 11\nvariants: 2\nproblems:\n"
                    + "".join(f"  - id: {pid}\n" for pid in ids), encoding="utf-8")
    parsed, where = load_spec(spec)
    plan = make_plan(parsed, where, spec)
    build(plan, tmp_path / "out", pdf=False, options={"formats": ["moodle"]})
    key = json.loads((tmp_path / "out" / "key.json").read_text(encoding="utf-8"))
    questions = parse_xml(tmp_path / "out" / "moodle.xml")
    check_structure(questions, key)
    with_proof = {pid for pid in ids if any(not a.graded for a in bank.load(pid).answers)}
    essays = {q.find("name/text").text.split(" ")[3] for q in questions if q.get("type") == "essay"}
    clozes = {q.find("name/text").text.split(" ")[3] for q in questions if q.get("type") == "cloze"}
    assert essays == with_proof and not essays & clozes
    assert all(len(w) == 1 for w in blank_widths(questions).values())


def test_without_the_format_no_moodle_file(tmp_path):
    parsed, where = load_spec(ROOT / "exams" / "demo.yaml")
    build(make_plan(parsed, where, "demo.yaml", variants=1), tmp_path / "out", pdf=False)
    assert not (tmp_path / "out" / "moodle.xml").exists()


def test_subquestion_syntax_for_each_type():
    real = Answer("r", "real", atol=0.01, rtol=0.02)
    # 0.01 + 0.02 * 2.5, plus the edge slack 1e-9 * max(1, bound, 2.5)
    assert _subquestion(real, -2.5, 3) == "{3:NUMERICAL:=-2.5:0.0600000025}"
    assert _subquestion(Answer("n", "int"), 46, 1) == "{1:NUMERICAL:=46:0}"
    assert _subquestion(Answer("b", "bool"), False, 2) == "{2:MULTICHOICE:true~=false}"
    choice = Answer("c", "choice", options=("forward", "backward", "equal"))
    assert _subquestion(choice, "backward", 1) == "{1:MULTICHOICE:forward~=backward~equal}"
    # Only what Moodle unescapes is escaped: \} and \# (qtype_multianswer), ~ as an entity
    # (it separates answers), and * as \* because SHORTANSWER reads a bare * as a wildcard.
    expr = Answer("e", "expr", symbols=("lam", "w"))
    assert _subquestion(expr, "lam*w/2", 1) == r"{1:SHORTANSWER:=lam\*w/2}"
    assert _subquestion(Answer("t", "choice"), 'a}b#c~"d', 1) == r'{1:SHORTANSWER:=a\}b\#c&#126;"d}'


def test_tolerance_is_absolute_per_entry():
    vector = Answer("v", "vector", atol=0.0, rtol=0.01)
    small, large = _subquestion(vector, 1.0, 1), _subquestion(vector, 1000.0, 1)
    tol_small = float(small.rsplit(":", 1)[1].rstrip("}"))
    tol_large = float(large.rsplit(":", 1)[1].rstrip("}"))
    assert math.isclose(tol_small, 0.01, rel_tol=1e-6) and math.isclose(tol_large, 10.0, rel_tol=1e-6)


def test_pad_gives_every_text_blank_one_width_and_leaves_choices_alone():
    text = (r'<p>a: {2:NUMERICAL:=-2.5:0.01}</p><p>{1:SHORTANSWER:=lam\*w/2}</p>'
            r'<p>W_{i,:}: {1:MULTICHOICE:true~=false} {3:SHORTANSWER:=a\}b}</p>')
    # Moodle stores `lam\*w/2` as it is (it unescapes only \} and \#): 8 characters
    assert _longest_answer(text) == len(r"lam\*w/2")
    padded = _pad_blanks(text, 12)
    assert "{2:NUMERICAL:=-2.5:0.01~%0%999999999999:0}" in padded
    assert r"{1:SHORTANSWER:=lam\*w/2~%0%____________}" in padded
    assert r"{3:SHORTANSWER:=a\}b~%0%____________}" in padded          # an escaped brace does not end it
    assert "{1:MULTICHOICE:true~=false}" in padded and "W_{i,:}" in padded
    assert _longest_answer(padded) == 12
