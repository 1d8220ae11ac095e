"""The round trip over the whole bank: every key answer is right everywhere, every declared
mistake is wrong.

For SEEDS instances of each problem (a practice plan's page variants), every graded field is
typed

  (a) as key.csv writes it (`value_text`),
  (b) rounded to the exam's precision (`rounded_to_precision`: every decimal entry rounded
      to the default 3 significant digits),
  (c) as a student writes it: fractions (1/4), the key's exact form (sqrt(2)/2), a Unicode
      minus, thousands commas, `lambda` for `lam`, `^` for `**`, lists with spaces, words for bools,

and must be right in `grade` (the library, through a responses CSV), in the Moodle answer
strings (unescaped as Moodle's qtype_multianswer does, then compared: NUMERICAL by its
tolerance, MULTICHOICE by the marked option, SHORTANSWER by Moodle's text rule, for the key's
text only: Moodle cannot compare formulas), and on the practice page (Chromium, BROWSER_SEEDS
variants). Each accepted alternative (another convention) is right with its convention named.
Each declared mistake's value (`mistake_answers`) is wrong and named by `grade` and by the page.

Expected values are the key's; the forms in (c) are written here, independently of the
registry's printers.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from generator import bank
from generator.answers.base import cloze_answer_read, flatten
from generator.exports.csv import value_text
from generator.exports.key import key_document
from generator.exports.moodle import _field_html
from generator.grade import grade, parse_responses
from generator.instance import mistake_answers
from generator.practice import practice_plan, practice_variants
from generator.precision import DEFAULT as DEFAULT_PRECISION
from generator.precision import rounded
from tests.conftest import BUILTIN

SEEDS = 20
BROWSER_SEEDS = 3
SEED = 13

# (b): a function (answer type name, key value, the key's exact form or None) -> the text of
# the value rounded as the exam's instructions ask (the default precision, 3 significant
# digits: these keys are built without a `precision:`), or None for a field without decimals.
def rounded_to_precision(kind: str, value: Any, exact: Any) -> str | None:
    if kind not in ("real", "vector", "matrix", "matrices"):
        return None
    return value_text(rounded(value, DEFAULT_PRECISION), kind)


# ---------------------------------------------------------------- the forms

def _student_number(value: float | int, exact: Any = None) -> str:
    if isinstance(exact, str) and exact != str(value) and re.search(r"[a-z(]", exact):
        return exact                                   # sqrt(2)/3, log(2), ...
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 1000 else str(value)
    fraction = Fraction(value).limit_denominator(100)
    if fraction.denominator > 1 and abs(float(fraction) - value) <= 1e-12 * max(1.0, abs(value)):
        return f"{fraction.numerator}/{fraction.denominator}"
    return ("\u2212" + repr(-value)) if value < 0 else repr(value)


def _entries(value: Any, exact: Any, depth: int) -> str:
    if depth == 0:
        return _student_number(value, exact)
    exact = exact if isinstance(exact, list) else [None] * len(value)
    inner = [_entries(v, e, depth - 1) for v, e in zip(value, exact, strict=True)]
    return ("( " if depth == 1 else "[") + " ,  ".join(inner) + (" )" if depth == 1 else "]")


def student_text(kind: str, value: Any, exact: Any) -> str:
    """How a student types the key's value (the test's own knowledge, not the registry's)."""
    if kind in ("int", "real"):
        return f" {_student_number(value, exact)} "
    if kind == "shape":
        return ", ".join(str(v) for v in value)
    if kind in ("vector", "matrix", "matrices"):
        return _entries(value, exact, {"vector": 1, "matrix": 2, "matrices": 3}[kind])
    if kind == "bools":
        return " ".join("true" if v else "false" for v in value)
    if kind == "bool":
        return "True" if value else "FALSE"
    if kind == "choice":
        return f" {str(value).upper()} "
    if kind == "expr":
        text = re.sub(r"\blam\b", "lambda", value).replace("**", "^")
        return re.sub(r"(?<=\w)\*(?=\w)", " * ", text)
    raise AssertionError(f"no student form for {kind}")


def key_csv_text(kind: str, value: Any, exact: Any) -> str:
    return value_text(value, kind)


def rounded_text(kind: str, value: Any, exact: Any) -> str | None:
    return rounded_to_precision(kind, value, exact)


FORMS = {"key.csv": key_csv_text, "rounded": rounded_text, "student": student_text}


# ---------------------------------------------------------------- the bank, built once

@pytest.fixture(scope="module")
def bank_keys() -> dict[str, dict[str, Any]]:
    """Per problem: the key document of SEEDS page variants."""
    out = {}
    for problem_id in bank.ids():
        plan = practice_plan(problem_id, SEED, page_variants=SEEDS)
        out[problem_id] = key_document(plan, practice_variants(plan))
    assert sorted(out) == BUILTIN
    return out


def graded_fields(entry: dict[str, Any]):
    for part in entry["parts"].values():
        for name in part["fields"]:
            if name in entry["answers"]:
                yield name


def responses_csv(rows: list[tuple[str, int, str, str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "slot", "field", "value"])
    writer.writerows(rows)
    return out.getvalue()


def results(grades) -> dict[tuple[str, str], Any]:
    return {(student.key, f.field): f for student in grades.students for slot in student.slots
            for part in slot.parts for f in part.fields}


# ---------------------------------------------------------------- grade

@pytest.mark.parametrize("form", FORMS)
def test_every_key_answer_is_right_in_grade(bank_keys, form):
    typed_any = False
    wrong = []
    for problem_id, document in bank_keys.items():
        problem = bank.load(problem_id)
        rows, typed = [], {}
        for variant in document["variants"]:
            entry = variant["problems"][0]
            for name in graded_fields(entry):
                kind = problem.answer(name).type
                text = FORMS[form](kind, entry["answers"][name], entry.get("exact", {}).get(name))
                if text is None:
                    continue
                rows.append((variant["key"], entry["slot"], name, text))
                typed[(variant["key"], name)] = text
        if not rows:
            continue
        typed_any = True
        grades = grade(document, parse_responses(responses_csv(rows)))
        assert grades.warnings == [], (problem_id, grades.warnings[:3])
        for (key, name), result in results(grades).items():
            if (key, name) in typed and not (result.status == "right" and result.points == result.max_points):
                wrong.append((problem_id, key, name, typed[(key, name)], result.status, result.note))
    if not typed_any:
        pytest.skip(f"the form '{form}' has no texts yet (its hook is not set)")
    assert wrong == []


def test_every_alternative_is_right_and_named_in_grade(bank_keys):
    seen = 0
    for problem_id, document in bank_keys.items():
        problem = bank.load(problem_id)
        for variant in document["variants"]:
            entry = variant["problems"][0]
            for name, alternatives in entry.get("alternatives", {}).items():
                kind = problem.answer(name).type
                for alternative in alternatives:
                    rows = [(variant["key"], entry["slot"], name, value_text(alternative["value"], kind))]
                    grades = grade(document, parse_responses(responses_csv(rows)))
                    result = results(grades)[(variant["key"], name)]
                    assert result.status == "right" and result.convention == alternative["convention"]
                    assert f"accepted convention: {alternative['convention']}" in \
                        __import__("generator.grade", fromlist=["feedback_text"]).feedback_text(
                            grades, grades.students[0])
                    seen += 1
    assert seen >= 2 * SEEDS        # conv-layer-cost's adds: two conventions per instance


def test_every_declared_mistake_is_wrong_and_named_in_grade(bank_keys):
    checked, unnamed = 0, []
    for problem_id, document in bank_keys.items():
        problem = bank.load(problem_id)
        for mistake in problem.mistakes:
            rows, expected = [], {}
            for variant in document["variants"]:
                entry = variant["problems"][0]
                for name, value in mistake_answers(problem, mistake, entry["params"]).items():
                    rows.append((variant["key"], entry["slot"], name, value_text(value, problem.answer(name).type)))
                    expected[(variant["key"], name)] = value
            if not rows:
                continue
            grades = grade(document, parse_responses(responses_csv(rows)))
            for (key, name), result in results(grades).items():
                if (key, name) not in expected:
                    continue
                checked += 1
                # a mistake may leave some entries of a vector right: partly right, never in full
                if (result.status not in ("wrong", "partial") or result.points >= result.max_points
                        or mistake.description not in result.mistakes):
                    unnamed.append((problem_id, mistake.name, key, name, result.status, result.mistakes))
    assert checked > 200
    assert unnamed == []


# ---------------------------------------------------------------- Moodle

BLANK = re.compile(r"\{(\d+):(NUMERICAL|MULTICHOICE|SHORTANSWER):((?:\\.|[^\\}])*)\}")


def _moodle_answers(body: str) -> list[tuple[bool, str, str]]:
    """(full credit?, answer text, tolerance) of each answer of a blank, as Moodle reads them."""
    out = []
    for alternative in re.split(r"~", body):
        full = alternative.startswith("=") or alternative.startswith("%100%")
        alternative = re.sub(r"^(=|%\d+%)", "", alternative)
        alternative = re.split(r"(?<!\\)#", alternative)[0]          # the feedback
        answer, _, tolerance = alternative.partition(":") if re.match(r"^[-\d.]", alternative) else \
            (alternative, "", "")
        out.append((full, answer, tolerance))
    return out


def _moodle_right(kind_name: str, blank_kind: str, body: str, typed: Any) -> bool:
    """Whether Moodle gives full credit to the response `typed` (one entry, as text or number)."""
    for full, answer, tolerance in _moodle_answers(body):
        if not full:
            continue
        if blank_kind == "NUMERICAL":
            if abs(float(typed) - float(cloze_answer_read(answer))) <= float(tolerance or 0):
                return True
        elif blank_kind == "MULTICHOICE":
            if cloze_answer_read(answer) == typed:
                return True
        else:  # SHORTANSWER: text, case-insensitive, \* a literal star (every * is escaped)
            if cloze_answer_read(answer, wildcard=True).strip().lower() == str(typed).strip().lower():
                return True
    return False


def test_every_key_answer_is_right_in_the_moodle_answer_strings(bank_keys):
    wrong, blanks = [], 0
    for problem_id, document in bank_keys.items():
        problem = bank.load(problem_id)
        for variant in document["variants"]:
            entry = variant["problems"][0]
            for name in graded_fields(entry):
                answer = problem.answer(name)
                value = entry["answers"][name]
                alternatives = [(a["value"], a["convention"]) for a in entry.get("alternatives", {}).get(name, [])]
                entries = answer.kind.entries(value)
                tolerance = entry["tolerances"][name]          # the key's, as grade uses them
                found = BLANK.findall(_field_html(answer, value, [1] * len(entries), alternatives, tolerance))
                assert len(found) == len(entries), (problem_id, name)
                exact = entry.get("exact", {}).get(name)
                student = answer.kind.parse(answer, student_text(answer.type, value, exact))
                student_entries = answer.kind.entries(student)
                for k, (_, blank_kind, body) in enumerate(found):
                    blanks += 1
                    # The marked answer, read back as Moodle reads it, is the key's entry.
                    best = next(a for full, a, _ in _moodle_answers(body) if full)
                    text = cloze_answer_read(best, wildcard=blank_kind == "SHORTANSWER")
                    if not _entry_matches(answer, tolerance, entries[k], text, blank_kind):
                        wrong.append((problem_id, variant["key"], name, k, "marked answer", text))
                    shown = (("true" if entries[k] else "false") if isinstance(entries[k], bool)
                             else value_text(entries[k], answer.type))
                    typed = [("key.csv", shown)]
                    # SHORTANSWER compares formulas as text (the key's spellings only); MULTICHOICE is
                    # a drop-down of the options, so only NUMERICAL blanks take the student's forms.
                    if blank_kind == "NUMERICAL":
                        typed.append(("student", ("true" if student_entries[k] else "false")
                                      if isinstance(student_entries[k], bool) else student_entries[k]))
                    for form, response in typed:
                        if not _moodle_right(answer.type, blank_kind, body, response):
                            wrong.append((problem_id, variant["key"], name, k, form, response, body))
                for other, convention in alternatives:
                    for k, (_, blank_kind, body) in enumerate(found):
                        if not _moodle_right(answer.type, blank_kind, body, flatten(other)[k]):
                            wrong.append((problem_id, variant["key"], name, k, convention, body))
                        assert "convention" in body
    assert blanks > 4000
    assert wrong == []


def _entry_matches(answer, tolerance: dict[str, float], expected: Any, text: str, blank_kind: str) -> bool:
    """The marked answer of a blank, compared with the key's entry as the answer type would."""
    atol, rtol = (0.0, 0.0) if answer.kind.exact else (tolerance["atol"], tolerance["rtol"])
    if blank_kind == "NUMERICAL":
        bound = atol + rtol * abs(expected)
        return abs(float(text) - float(expected)) <= bound + 1e-9 * max(1.0, bound, abs(expected))
    if isinstance(expected, bool):
        return text == ("true" if expected else "false")
    return answer.kind.matches(answer, expected, text, atol, rtol)


# ---------------------------------------------------------------- the page (Chromium)

CHROMIUM = os.environ.get("EXAMGEN_CHROMIUM", "/usr/bin/chromium")
REQUIRED = bool(os.environ.get("MAKELEVEL") or os.environ.get("CI"))


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed ({CHROMIUM}); 'make test' installs Debian's chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing; 'make test' installs the test extras"
    if shutil.which("pandoc") is None:
        return "pandoc is missing; 'make test' installs it"
    return None


@pytest.fixture(scope="module")
def page_build(tmp_path_factory):
    missing = _browser_missing()
    if missing:
        if REQUIRED:
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    from generator.practice import build_practice

    folder = tmp_path_factory.mktemp("round-trip")
    spec = folder / "bank.yaml"
    spec.write_text('title: "Every problem"\nseed: 5\nproblems:\n'
                    + "".join(f"  - id: {pid}\n" for pid in bank.ids()), encoding="utf-8")
    result = build_practice(str(spec), 5, out=folder / "page", pdf=False, page_variants=BROWSER_SEEDS)
    key = json.loads((result.out / "key.json").read_text(encoding="utf-8"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox",
                                                                            "--disable-gpu"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((result.out / "index.html").as_uri())
        page.wait_for_selector("html.js")
        yield page, key
        assert errors == []
        browser.close()


def _fill_and_check(page, variant: dict[str, Any], values: dict[str, str], fields: list[tuple[str, str, str]]):
    """Fill the boxes (id -> text), check every problem of the variant, the verdicts of `fields`."""
    page.select_option("#variant-select", variant["key"])
    page.evaluate("""values => {
        document.querySelectorAll('.variant:not([hidden]) input, .variant:not([hidden]) select')
            .forEach(e => { e.value = ''; });
        Object.entries(values).forEach(([id, v]) => {
            const e = document.getElementById(id);
            if (e.tagName === 'SELECT' && ![...e.options].some(o => o.value === v)) { e.value = ''; }
            else { e.value = v; } });
        document.querySelectorAll('.variant:not([hidden]) button.check').forEach(b => b.click()); }""", values)
    return page.evaluate("ids => ids.map(id => document.getElementById(id).textContent)", [f[-1] for f in fields])


def _box_text(value: Any, kind: str, exact: Any, form: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if kind == "choice":
        return str(value)                      # a drop-down: the option itself
    if form == "student":
        return student_text("real", value, exact).strip() if kind != "expr" else student_text(kind, value, exact)
    return value_text(value, kind)


@pytest.mark.parametrize("form", ["key.csv", "student"])
def test_every_key_answer_is_right_on_the_page(page_build, form):
    page, key = page_build
    wrong = []
    for variant in key["variants"]:
        values, fields = {}, []
        for entry in variant["problems"]:
            problem = bank.load(entry["id"])
            dom = f"v{variant['key']}-q{entry['slot']}"
            for name in graded_fields(entry):
                kind = problem.answer(name).type
                fields.append((entry["id"], name, f"{dom}-{name}-verdict"))
                value = entry["answers"][name]
                exact = entry.get("exact", {}).get(name)
                flat_exact = flatten(exact) if isinstance(exact, list) else [exact] * len(flatten(value))
                entries = value if kind == "bools" else flatten(value) if isinstance(value, list) else [value]
                for index, (v, e) in enumerate(zip(entries, flat_exact, strict=True), start=1):
                    values[f"{dom}-{name}-{index}"] = _box_text(v, kind, e, form)
        shown = _fill_and_check(page, variant, values, fields)
        wrong += [(pid, name, text) for (pid, name, _), text in zip(fields, shown, strict=True)
                  if not text.startswith("\u2713")]
    assert wrong == []


def test_alternatives_are_right_and_named_on_the_page(page_build):
    page, key = page_build
    seen = 0
    for variant in key["variants"]:
        for entry in variant["problems"]:
            dom = f"v{variant['key']}-q{entry['slot']}"
            for name, alternatives in entry.get("alternatives", {}).items():
                for alternative in alternatives:
                    values = {f"{dom}-{name}-{i}": str(v) for i, v in enumerate(flatten(alternative["value"]), 1)}
                    [text] = _fill_and_check(page, variant, values, [(entry["id"], name, f"{dom}-{name}-verdict")])
                    assert text.startswith("\u2713") and alternative["convention"] in text
                    seen += 1
    assert seen >= 2 * BROWSER_SEEDS


def test_every_declared_mistake_is_wrong_and_named_on_the_page(page_build):
    """Round j fills every problem's j-th mistake at once (each problem is its own form)."""
    page, key = page_build
    right, checked = [], 0
    for variant in key["variants"]:
        rounds = max(len(bank.load(entry["id"]).mistakes) for entry in variant["problems"])
        for j in range(rounds):
            values, fields = {}, []
            for entry in variant["problems"]:
                problem = bank.load(entry["id"])
                if j >= len(problem.mistakes):
                    continue
                dom = f"v{variant['key']}-q{entry['slot']}"
                for name, value in mistake_answers(problem, problem.mistakes[j], entry["params"]).items():
                    kind = problem.answer(name).type
                    fields.append((entry["id"], f"{problem.mistakes[j].name}: {name}", problem.mistakes[j].description,
                                   f"{dom}-{name}-verdict"))
                    entries = value if kind == "bools" else flatten(value) if isinstance(value, list) else [value]
                    for index, v in enumerate(entries, start=1):
                        values[f"{dom}-{name}-{index}"] = _box_text(v, kind, None, "key.csv")
            shown = _fill_and_check(page, variant, values, fields)
            checked += len(fields)
            right += [(pid, what, text) for (pid, what, description, _), text in zip(fields, shown, strict=True)
                      if text.startswith("\u2713") or f"likely mistake: {description}" not in text]
    assert checked > 20
    assert right == []


@pytest.mark.parametrize(("problem_id", "field"), [("probability/prior-shift", "changed"),
                                                   ("clustering/online-kmeans", "epoch_cost")])
def test_regression_key_answers_graded_wrong_before(problem_id, field):
    """The review's finding 2: `changed` (bools) had no reading, `O(n*m*K)` an unknown name."""
    plan = practice_plan(problem_id, 3, page_variants=1)
    document = key_document(plan, practice_variants(plan))
    entry = document["variants"][0]["problems"][0]
    kind = bank.load(problem_id).answer(field).type
    text = value_text(entry["answers"][field], kind)
    assert text.startswith("[") if kind == "bools" else text == "O(n*m*K)"
    grades = grade(document, parse_responses(responses_csv([("1", entry["slot"], field, text)])))
    assert grades.warnings == []
    result = results(grades)[("1", field)]
    assert result.status == "right" and result.points == result.max_points > 0
