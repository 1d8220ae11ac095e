"""Grading: students' responses against an answer key, into points per slot and feedback.

Responses are a CSV file (UTF-8) in one of two forms, told apart by the header:

- long: columns `student,slot,field,value`, one row per answer;
- wide: a column `student` and one column per `slot.field` (e.g. `1.out_shape`), one row
  per student. A `name` column is allowed (and ignored) in both forms.

`student` is the variant key: the student id for a roster build, matched exactly (`1`
never names `001`), or the variant number otherwise (`7` and `007` both name variant
007, when no other variant has that number). `slot` is the slot number as printed on
the sheet (or the slot's key). Values are read by their answer type (generator.answers):
vectors, matrices and shapes as lists (`[46, 62, 20]`, `(46, 62, 20)`, `46, 62, 20`), numbers
by one rule shared with the practice page (`1e-3`, `1/3`, `sqrt(2)/2`, `5,133,600`; `1,5` and
`2 3` are refused: see `generator.answers.reading`).

Points: each part's points (as the key gives them) are split equally over the part's
answer fields. A field scores its share when the answer is right under the key's
tolerance (`|r - v| <= atol + rtol |v|`, inclusive; ints and shapes exactly), or equals one
of the field's accepted alternatives (another convention, named in the feedback). A field
of several entries (vector, matrix, list of bools: the answer type's `partial`) scores its
share times (entries right / entries), each entry under the tolerance (a response of another
shape: 0); any other field scores its share or 0 (`AnswerType.credit`). An alternative counts
in full only. A `proof` field cannot be graded automatically: its share is "to be graded by
hand", scores 0 here, and the feedback and `scores.csv` (column `by_hand`) say so.

Results: `answers.csv` and `results.json` hold one row per student x slot x field (points,
status, the declared mistakes matched, the response, a choice field's letters and options);
`examgen report` (generator.report) reads `results.json`.

Bad input: a key or responses file that cannot be read, or a responses file without the
columns of either form, is an `ExamgenError`. Every other problem (an unknown student,
slot or field, a long-form row with an empty value, text where a number belongs, an
answer given twice) is one warning line (file:line, what, what happens) and that entry is
counted as unanswered or wrong, so grading always completes. A blank cell of the wide
form is a question not answered: no points, no warning. Answers beyond any field's size
(`MAX_RESPONSE_CHARS`, `MAX_RESPONSE_DIGITS`, `MAX_RESPONSE_DEPTH`) are refused as they are
read, before a parser sees them; a value protected by a spreadsheet's leading `'` is read
without it. The key is checked field by field by `generator.keyfile`.

Everything here is pure (text in, data and text out) but `write_results`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any

from generator import bank, i18n, keyfile
from generator.answers import Answer, Unreadable, answer_type, matches, reading
from generator.answers.choice import asked
from generator.errors import ExamgenError, closest
from generator.exports.csv import FORMULA_STARTS, spreadsheet_safe
from generator.instance import mistake_answers
from generator.problem import Problem, title_in
from generator.roster import csv_rows, read_csv_text

LONG = ("student", "slot", "field", "value")
IGNORED = ("name",)
Loader = Callable[[str], Problem]
# The longest answer any field needs is a few hundred characters (a matrix of a dozen
# rows); the deepest a list of matrices, 3 levels. A response beyond these bounds is
# refused as it is read, before any parser sees it: one warning, counted as wrong.
MAX_RESPONSE_CHARS = 1000
MAX_RESPONSE_DEPTH = 10
# A float has 17 significant digits; a run of more digits than this is no answer (and 400
# of them overflow a float).
MAX_RESPONSE_DIGITS = 40
# 5000 students x 200 answers x 100 characters; a larger file is refused unread.
MAX_RESPONSES_BYTES = 256 * 1024 * 1024
# Warnings of one kind (unknown students, ...) beyond this many are one summary line.
SHOWN_WARNINGS = 5
MAX_SINGLE_WARNINGS = 200


# ---------------------------------------------------------------- reading

@dataclass(frozen=True)
class Response:
    """One answer as written: who, which slot and field, the text, and where it stands."""

    student: str
    slot: str
    field: str
    value: str
    line: int
    column: str = ""          # the wide form's column header
    refused: str = ""         # why the value was refused as it was read (too long, too deep)


@dataclass(frozen=True)
class ResponseFile:
    path: str
    form: str                           # "long" or "wide"
    responses: tuple[Response, ...]
    notes: tuple[tuple[int, str], ...] = ()   # (line, warning) found while reading: columns, duplicate rows
    header_line: int = 1


def load_key(path: str | Path) -> dict[str, Any]:
    """A `key.json` written by `examgen build`, every field checked (`generator.keyfile`);
    anything else is one clear error naming the field."""
    return keyfile.load_key(path)


def parse_responses(text: str, path: str = "responses.csv") -> ResponseFile:
    """Responses in long or wide form (see the module docstring)."""
    try:
        rows = csv_rows(text)
    except ExamgenError as error:
        where = f"{path}:{(error.where or '').removeprefix('line ')}"
        if "field limit" in error.what:  # the csv module's own bound on a cell, far beyond any answer
            raise ExamgenError(f"a cell is longer than {csv.field_size_limit():,} characters (an answer has at most "
                               f"{MAX_RESPONSE_CHARS:,})", where,
                               "check that this is the responses file, and the quotes before that line") from None
        raise ExamgenError(error.what, where, error.fix) from None
    rows = [(line, fields) for line, fields in rows if any(f.strip() for f in fields)]
    if not rows:
        raise ExamgenError("the responses file is empty", path,
                           "write a header 'student,slot,field,value' and one row per answer")
    header_line, header = rows[0]
    columns = [c.strip() for c in header]
    lowered = [c.lower() for c in columns]
    for i, name in enumerate(lowered):
        if name and lowered.index(name) != i:
            raise ExamgenError(f"the header names the column '{_cut(columns[i])}' twice", f"{path}:{header_line}",
                               "give every column its own name")
    wide_columns = [i for i, c in enumerate(columns) if "." in c and c.lower() not in LONG]
    if "student" not in lowered:
        raise ExamgenError(f"the responses have no 'student' column (columns: {_cut(', '.join(columns), 200) or 'none'})",
                           f"{path}:{header_line}",
                           "the first line must be 'student,slot,field,value' (one row per answer) or "
                           "'student,1.out_shape,1.mults,...' (one row per student)")
    student_col = lowered.index("student")
    if not wide_columns or any(c in lowered for c in ("slot", "field", "value")):
        missing = [c for c in LONG if c not in lowered]
        if missing:
            raise ExamgenError(f"the responses have no column{'s' if len(missing) > 1 else ''} "
                               f"{', '.join(repr(m) for m in missing)} (columns: {_cut(', '.join(columns), 200)})",
                               f"{path}:{header_line}",
                               "the first line must be 'student,slot,field,value' (one row per answer), or "
                               "'student' and a column per slot.field such as '1.out_shape' (one row per student)")
        return _long(rows[1:], lowered, path, header_line)
    return _wide(rows[1:], columns, student_col, wide_columns, header_line, path)


def _cell(fields: Sequence[str], index: int) -> str:
    return fields[index].strip() if index < len(fields) else ""


def _answer_cell(text: str) -> tuple[str, str]:
    """A response value and why it is refused ('' when it is not). A value that a
    spreadsheet export protected with a leading quote ('-x + 1, as key.csv writes it)
    is read without the quote."""
    if len(text) > MAX_RESPONSE_CHARS:
        return text, f"is {len(text):,} characters long (an answer has at most {MAX_RESPONSE_CHARS:,})"
    if text[:1] == "'" and text[1:2] in FORMULA_STARTS:
        text = text[1:]
    depth = max(accumulate(1 if c in "[(" else -1 if c in "])" else 0 for c in text), default=0)
    if depth > MAX_RESPONSE_DEPTH:
        return text, f"nests {depth} levels of brackets (an answer has at most {MAX_RESPONSE_DEPTH})"
    digits = max(map(len, re.findall(r"\d+", text)), default=0)
    if digits > MAX_RESPONSE_DIGITS:
        return text, f"has a number of {digits} digits (an answer's numbers have at most {MAX_RESPONSE_DIGITS})"
    return text, ""


def _cut(text: str, limit: int = 40) -> str:
    """User text as a message shows it: never more than `limit` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _long(rows, lowered: list[str], path: str, header_line: int) -> ResponseFile:
    at = {name: lowered.index(name) for name in LONG}
    responses = []
    notes = []
    for line, fields in rows:
        value = _cell(fields, at["value"])
        if len(fields) > len(lowered) and any(f.strip() for f in fields[len(lowered):]):
            if at["value"] == len(lowered) - 1:
                # an unquoted list in the last column, [46, 62, 20], was split at its commas
                value = ",".join(fields[at["value"]:]).strip()
            else:
                notes.append((line, f"{path}:{line}: this row has {len(fields)} fields, the header "
                              f"{len(lowered)}; the extra fields are ignored: put a value with commas in "
                              'double quotes, "[1, 2, 3]"'))
        value, refused = _answer_cell(value)
        responses.append(Response(_cell(fields, at["student"]), _cell(fields, at["slot"]),
                                  _cell(fields, at["field"]), value, line, refused=refused))
    return ResponseFile(path, "long", tuple(responses), tuple(notes), header_line)


def _wide(rows, columns: list[str], student_col: int, wide_columns: list[int], header_line: int,
          path: str) -> ResponseFile:
    notes = []
    for i, name in enumerate(columns):
        if i != student_col and i not in wide_columns and name.lower() not in IGNORED:
            notes.append((header_line, f"{path}:{header_line}: column '{_cut(name) or i + 1}' is not 'slot.field' "
                                       "(such as '1.out_shape'); it is ignored"))
    responses = []
    seen: dict[str, int] = {}
    for line, fields in rows:
        student = _cell(fields, student_col)
        if student and student in seen:
            notes.append((line, f"{path}:{line}: student '{student}' has a second row (the first is on line "
                                f"{seen[student]}); this row is not graded: merge the rows"))
            continue
        if len(fields) > len(columns) and any(f.strip() for f in fields[len(columns):]):
            notes.append((line, f"{path}:{line}: this row has {len(fields)} fields, the header {len(columns)}, "
                                "so its answers have shifted columns: put every list in double quotes, "
                                '"[1, 2, 3]"'))
        seen.setdefault(student, line)
        for i in wide_columns:
            slot, _, name = columns[i].rpartition(".")
            value, refused = _answer_cell(_cell(fields, i))
            responses.append(Response(student, slot.strip(), name.strip(), value, line, columns[i], refused))
    return ResponseFile(path, "wide", tuple(responses), tuple(notes), header_line)


def read_responses(path: str | Path) -> ResponseFile:
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_csv_text says what is wrong
    if size > MAX_RESPONSES_BYTES:
        raise ExamgenError(f"the responses file is {size / 2**20:,.0f} MB, more than responses can be "
                           f"({MAX_RESPONSES_BYTES // 2**20} MB)", str(path), "give the responses CSV file")
    return parse_responses(read_csv_text(path, "responses file"), str(path))


# ---------------------------------------------------------------- values

# Reading a response is the answer type's job (generator.answers): one rule for numbers,
# lists and formulas, shared with the practice page.


def parse_number(text: str, whole: bool = False) -> float | int:
    """A number as a student writes it (the rule of `generator.answers.reading`)."""
    return reading.read_number(text, whole)


def parse_expression(text: str, answer: Answer) -> str:
    """A formula of the answer's symbols and the known functions, bounded in size."""
    return answer.kind.parse(answer, text)


def parse_value(answer: Answer, text: str, decimal: str = ".") -> Any:
    """The response text as a value of the answer's type, or `Unreadable`; `decimal` is the
    exam language's decimal separator (a German exam reads 0,25)."""
    return answer.kind.parse(answer, reading.delocalise(text, decimal))


def how_to_write(answer: Answer) -> str:
    return answer.kind.how_to_write


# ---------------------------------------------------------------- scoring

@dataclass
class FieldResult:
    field: str
    label: str
    kind: str
    status: str              # right, partial, wrong, unreadable, unanswered, by hand
    points: float
    max_points: float
    expected: Any = None
    exact: Any = None
    tolerance: Mapping[str, float] | None = None
    given: str = ""
    note: str = ""           # why a response could not be read
    convention: str = ""     # the accepted alternative convention a right answer follows
    alternatives: list[Any] = field(default_factory=list)   # the key's other accepted values
    mistakes: list[str] = field(default_factory=list)
    mistake_names: list[str] = field(default_factory=list)   # the declared mistakes' names, as `mistakes`
    entries: int = 1         # the entries of the key's value a partly right answer is scored over
    right_entries: list[int] = field(default_factory=list)   # which of them are right (1-based)
    choices: Mapping[str, Any] | None = None                   # the key's `choices` entry of a choice field


@dataclass
class PartResult:
    name: str
    label: str               # (a), (b), ... as on the sheet
    max_points: float
    fields: list[FieldResult]

    @property
    def points(self) -> float:
        return sum(f.points for f in self.fields)


@dataclass
class SlotResult:
    number: int
    problem_id: str
    title: str
    max_points: float
    parts: list[PartResult]

    @property
    def points(self) -> float:
        return sum(p.points for p in self.parts)

    @property
    def by_hand(self) -> float:
        return sum(f.max_points for p in self.parts for f in p.fields if f.status == "by hand")


@dataclass
class StudentResult:
    key: str
    name: str
    fingerprint: str
    slots: list[SlotResult]

    @property
    def points(self) -> float:
        return sum(s.points for s in self.slots)

    @property
    def max_points(self) -> float:
        return sum(s.max_points for s in self.slots)

    @property
    def by_hand(self) -> float:
        return sum(s.by_hand for s in self.slots)


@dataclass
class Grades:
    title: str
    seed: Any
    slots: list[tuple[int, str, float]]          # (number, problem id, points) of the exam's slots
    students: list[StudentResult]
    warnings: list[str]
    absent: list[str]                            # variants of the key without any response
    # Every problem of the key (all variants, pools too): id -> {"title", "mistakes": [{"name",
    # "text"}]}, its declared mistakes, so a report can count the ones nobody made.
    problems: dict[str, Any] = field(default_factory=dict)
    language: str = "en"                         # the exam's language: the feedback's


class _Warnings:
    """Warning lines `file:line: what; what happens`. One problem met on several lines (an
    unknown student has many answers) is one line naming all of them; problems of one
    family (unknown students, ...) beyond the first few are one summary line, and so are
    single warnings beyond the first couple of hundred, so a long file never floods the
    terminal."""

    def __init__(self, path: str):
        self.path = path
        self.single: list[tuple[int, str]] = []
        self.grouped: dict[str, list[int]] = {}
        self.family: dict[str, str] = {}       # text -> what its family is called in the summary

    def add(self, line: int, text: str, column: str = "") -> None:
        where = f"{self.path}:{line}" + (f" (column {_cut(column)})" if column else "")
        self.single.append((line, f"{where}: {text}"))

    def add_grouped(self, line: int, text: str, family: str = "") -> None:
        """`family` (e.g. "students not in key.json") groups different texts of one kind."""
        lines = self.grouped.setdefault(text, [])
        if line not in lines:
            lines.append(line)
        if family:
            self.family[text] = family

    def lines(self) -> list[str]:
        single = sorted(self.single, key=lambda item: item[0])
        out = single[:MAX_SINGLE_WARNINGS]
        if len(single) > MAX_SINGLE_WARNINGS:
            rest = single[MAX_SINGLE_WARNINGS:]
            out.append((rest[0][0], f"{self.path}:{rest[0][0]}: ... and {len(rest):,} more warnings like the ones "
                                    "above, from this line on; fix those and grade again to see them"))
        members: dict[str, list[str]] = {}
        for text, lines in self.grouped.items():
            family = self.family.get(text, "")
            if family:
                members.setdefault(family, []).append(text)
                if len(members[family]) > SHOWN_WARNINGS:
                    continue
            shown = ", ".join(map(str, lines[:8])) + (f" and {len(lines) - 8} more" if len(lines) > 8 else "")
            out.append((lines[0], f"{self.path}:{shown}: {text}"))
        for family, texts in members.items():
            rest = texts[SHOWN_WARNINGS:]
            if rest:
                rows = sum(len(self.grouped[t]) for t in rest)
                first = min(self.grouped[t][0] for t in rest)
                out.append((first, f"{self.path}:{first}: ... and {rows:,} more row{'s' if rows != 1 else ''} "
                                   f"for {len(rest):,} other {family}, not graded"))
        return [text for _, text in sorted(out, key=lambda item: item[0])]


def _variant_index(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(v["key"]): v for v in document["variants"]}


def _resolve_student(name: str, variants: Mapping[str, Any]) -> str | None:
    """The variant a response's `student` names: its key exactly. Only a numbered variant
    (a build without a roster) is also named by its number without the zeros (7 for 007),
    and only when that number names one variant; a student id never matches another id."""
    if name in variants:
        return name
    if name.isascii() and name.isdigit():
        number = name.lstrip("0")
        matching = [key for key, variant in variants.items()
                    if not variant.get("student") and key.isascii() and key.isdigit() and key.lstrip("0") == number]
        if len(matching) == 1:
            return matching[0]
    return None


def _resolve_slot(name: str, entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for entry in entries:
        if name == str(entry["slot"]) or name == entry.get("slot_key") or (name.isascii() and name.isdigit() and name.lstrip("0") == str(entry["slot"])):
            return entry
    matching = [e for e in entries if e["id"] == name or e["id"].split("/", 1)[-1] == name]
    return matching[0] if len(matching) == 1 else None


def _fields(entry: Mapping[str, Any]) -> list[str]:
    return [f for part in entry["parts"].values() for f in part["fields"]]


def _load(load: Loader, problem_id: str, where: str) -> Problem:
    try:
        return load(problem_id)
    except ExamgenError as error:
        raise ExamgenError(f"the key names the problem {problem_id}, which the bank cannot load ({error.what})",
                           where, "grade with the problem bank the exam was built from") from None


def grade(document: Mapping[str, Any], responses: ResponseFile, load: Loader = bank.load,
          key_path: str = "key.json") -> Grades:
    """Score every student who has responses; per-entry problems become warnings."""
    keyfile.check_against_bank(document, load, key_path)
    variants = _variant_index(document)
    warn = _Warnings(responses.path)
    unknown: set[str] = set()
    warn.single.extend(responses.notes)
    given: dict[str, dict[tuple[int, str], Response]] = {}
    order: list[str] = []
    for response in responses.responses:
        column = response.column
        what = f"{_cut(response.student) or '?'} {_cut(response.slot)}.{_cut(response.field)}"
        if not response.student:
            if response.value:
                warn.add_grouped(response.line, "a row without a student; it is not graded: "
                                 "fill in the 'student' column with the variant key")
            continue
        key = _resolve_student(response.student, variants)
        if key is None:
            unknown.add(response.student)
            # only the first few are shown (see _Warnings), so only they need a hint
            hint = closest(response.student, variants) if len(unknown) <= SHOWN_WARNINGS else ""
            warn.add_grouped(response.line, f"unknown student '{_cut(response.student)}' (no such variant in "
                             f"{key_path}); not graded: use the variant key printed on the sheet (the student "
                             "id for a roster build)" + (f"; {hint}" if hint else ""),
                             family=f"students not in {key_path}")
            continue
        entries = variants[key]["problems"]
        entry = _resolve_slot(response.slot, entries)
        if entry is None:
            slots = ", ".join(str(e["slot"]) for e in entries)
            warn.add_grouped(response.line, f"no slot '{_cut(response.slot)}' on this exam (its slots: {slots}); "
                             "not graded: give the question number as printed on the sheet",
                             family="slots not on this exam")
            continue
        if response.field not in _fields(entry):
            hint = closest(response.field, _fields(entry)) if len(response.field) <= 100 else ""
            warn.add_grouped(response.line, f"slot {entry['slot']} ({entry['id']}) has no answer field "
                             f"'{_cut(response.field)}'; not graded: its fields are {', '.join(_fields(entry))}"
                             + (f"; {hint}" if hint else ""), family="answer fields these slots do not have")
            continue
        slot_field = (int(entry["slot"]), response.field)
        answers = given.setdefault(key, {})
        if key not in order:
            order.append(key)
        if slot_field in answers:
            first = answers[slot_field]
            warn.add(response.line, f"{what} is answered twice (first on line {first.line}); the first answer "
                     "is graded: delete one of the rows", column)
            continue
        answers[slot_field] = response

    if responses.form == "wide" and document["variants"] and responses.responses:
        entries = document["variants"][0]["problems"]
        present = set()
        for response in responses.responses:
            entry = _resolve_slot(response.slot, entries)
            if entry is not None:
                present.add((int(entry["slot"]), response.field))
        line = responses.header_line
        for entry in entries:
            problem = _load(load, entry["id"], f"{key_path}: slot {entry['slot']}")
            for name in _fields(entry):
                if (int(entry["slot"]), name) not in present and problem.answer(name).graded:
                    warn.add_grouped(line, f"no column {entry['slot']}.{name}: every student's "
                                     f"{entry['slot']}.{name} counts as unanswered; add the column")

    students = []
    language = document.get("exam", {}).get("language", [i18n.DEFAULT])[0]
    decimal = i18n.language(language).decimal
    position = {key: i for i, key in enumerate(variants)}
    for key in sorted(order, key=position.__getitem__):  # the key's order (a roster's order)
        variant = variants[key]
        slots = []
        for j, entry in enumerate(variant["problems"]):
            where = f"{key_path}: variant {key}, slot {entry['slot']}"
            problem = _load(load, entry["id"], where)
            labels = [f"({chr(ord('a') + i)})" for i in range(len(entry["parts"]))]
            parts = []
            for label, (part_name, part) in zip(labels, entry["parts"].items(), strict=True):
                share = part["points"] / len(part["fields"]) if part["fields"] else 0.0
                try:
                    results = [_score(problem, entry, name, share, given[key].get((int(entry["slot"]), name)), warn,
                                      key, decimal) for name in part["fields"]]
                except _BadKeyValue as bad:
                    raise ExamgenError(f"expected a value of the field's type ({bad.kind}), got "
                                       f"{keyfile.shown_value(bad.value)}",
                                       f"{key_path}: variants[{position[key]}].problems[{j}].answers.{bad.field}",
                                       keyfile.FIX) from None
                parts.append(PartResult(part_name, label, float(part["points"]), results))
            slots.append(SlotResult(int(entry["slot"]), entry["id"], title_in(problem, language), float(entry["points"]), parts))
        students.append(StudentResult(key, (variant.get("student") or {}).get("name", ""),
                                      str(variant.get("fingerprint", "")), slots))
    first = document["variants"][0]["problems"] if document["variants"] else []
    exam = document.get("exam", {})
    problems = {}
    for variant in document["variants"]:
        for entry in variant["problems"]:
            if entry["id"] not in problems:
                problem = _load(load, entry["id"], f"{key_path}: slot {entry['slot']}")
                problems[entry["id"]] = {"title": title_in(problem, language), "mistakes": [
                    {"name": m.name, "text": m.description} for m in problem.mistakes]}
    return Grades(title=str(exam.get("title", "")), seed=exam.get("seed"),
                  slots=[(int(e["slot"]), e["id"], float(e["points"])) for e in first],
                  students=students, warnings=warn.lines(),
                  absent=[k for k in variants if k not in given], problems=problems, language=language)


class _BadKeyValue(Exception):
    """The key's value of a field cannot be compared with any answer (a hand-edited key)."""

    def __init__(self, field: str, value: Any, kind: str):
        super().__init__(field)
        self.field, self.value, self.kind = field, value, kind


_COMPARE_ERRORS = (TypeError, ValueError, ArithmeticError, IndexError, KeyError, AttributeError)


def _matches(answer: Answer, expected: Any, given: Any, atol: float, rtol: float) -> bool:
    """`matches`, but a key value it cannot compare is `_BadKeyValue` (one line naming the
    key's field), and a response it cannot compare with a sound key value is wrong."""
    try:
        return matches(answer, expected, given, atol, rtol)
    except _COMPARE_ERRORS:
        _sound(answer, expected)
        return False


def _sound(answer: Answer, expected: Any) -> None:
    """`_BadKeyValue` unless the key's value is right for itself (a response that cannot be
    compared with a sound key value is simply wrong)."""
    try:
        sound = matches(answer, expected, expected, 0.0, 0.0)
    except _COMPARE_ERRORS:
        sound = False
    if not sound:
        raise _BadKeyValue(answer.name, expected, answer.type) from None


def _credit(answer: Answer, expected: Any, given: Any, atol: float, rtol: float) -> tuple[float, list[bool]]:
    """(the share of the points, which entries are right) of a response, by the answer type's
    rule (`AnswerType.credit`: entries right / entries for a vector, matrix or list of bools,
    else all or nothing); errors as `_matches`."""
    kind = answer.kind
    tolerance = {"atol": atol, "rtol": rtol}
    try:
        return kind.credit(answer, expected, given, tolerance), kind.entry_marks(answer, expected, given, atol, rtol)
    except _COMPARE_ERRORS:
        _sound(answer, expected)
        return 0.0, [False]


def _score(problem: Problem, entry: Mapping[str, Any], name: str, share: float, response: Response | None,
           warn: _Warnings, student: str, decimal: str = ".") -> FieldResult:
    try:
        answer = problem.answer(name)
    except KeyError:
        raise ExamgenError(f"the key has the field '{name}' of {problem.id}, which the bank's problem lacks",
                           f"slot {entry['slot']}", "grade with the problem bank the exam was built from") from None
    # a field asked as a choice is graded by its letters (the key's choice record)
    answer, expected = asked(answer, entry["answers"].get(name), entry.get("choices", {}).get(name))
    result = FieldResult(name, answer.label, answer.type, "unanswered", 0.0, share,
                         expected=expected, exact=None if name in entry.get("choices", {}) else entry.get("exact", {}).get(name),
                         tolerance=entry["tolerances"].get(name),
                         alternatives=[] if name in entry.get("choices", {}) else
                         list(entry.get("alternatives", {}).get(name, [])),
                         choices=entry.get("choices", {}).get(name))
    if answer.kind.partial and isinstance(result.expected, list):
        result.entries = len(answer.kind.entries(result.expected))
    if not answer.graded:
        result.status = "by hand"
        result.given = response.value if response else ""
        return result
    if response is None:
        return result
    what = f"{student} {entry['slot']}.{name}"
    result.given = response.value
    if not response.value:
        if not response.column:  # a blank cell of the wide form is simply no answer; an empty row is odd
            warn.add(response.line, f"{what} has an empty value; counted as unanswered (0 points): "
                     "write the answer, or leave the row out", response.column)
        return result
    try:
        if response.refused:  # too long or too deep to parse: refused as it was read, shown cut
            result.given = _cut(response.value, 60)
            raise Unreadable(response.refused)
        value = parse_value(answer, response.value, decimal)
    except Unreadable as error:
        shown = response.value if len(response.value) <= 40 else response.value[:37] + "..."
        warn.add(response.line, f"{what}: {shown!r} {error}; counted as wrong: "
                 f"{how_to_write(answer)}", response.column)
        result.status = "unreadable"
        result.note = str(error)
        return result
    earned = answer.kind.score(result.expected, value)
    if earned is not None:  # choice letters: the spec's scoring rule, and the mistake behind each wrong letter
        result.status = "right" if earned == 1 else "partial" if earned > 0 else "wrong"
        result.points = share * earned
        result.mistakes = answer.kind.named_mistakes(result.expected, value)
        names = {mistake.description: mistake.name for mistake in problem.mistakes}
        result.mistake_names = [names.get(text, "") for text in result.mistakes]
        return result
    tolerance = result.tolerance or answer.tolerance()
    atol, rtol = float(tolerance["atol"]), float(tolerance["rtol"])
    # Partial credit is against the key's value; an accepted alternative (another convention)
    # counts in full only, and is named (the practice page does the same).
    credit, marks = _credit(answer, result.expected, value, atol, rtol)
    if credit >= 1.0:
        result.status, result.points = "right", share
        return result
    for alternative in entry.get("alternatives", {}).get(name, []):
        if _matches(answer, alternative["value"], value, atol, rtol):
            result.status, result.points, result.convention = "right", share, alternative["convention"]
            return result
    result.points = share * credit
    result.status = "partial" if credit > 0 else "wrong"
    if credit > 0:
        result.right_entries = [i + 1 for i, mark in enumerate(marks) if mark]
    for mistake in problem.mistakes:
        try:
            wrong = mistake_answers(problem, mistake, entry["params"])
        except Exception:  # a broken mistake is verify's to report; grading goes on
            continue
        if name in wrong and matches(answer, wrong[name], value, atol, rtol):
            result.mistakes.append(mistake.description)
            result.mistake_names.append(mistake.name)
    return result


# ---------------------------------------------------------------- outputs

def points_text(value: float) -> str:
    """Points with at most two decimals: 7.5, 10, 0.33."""
    text = f"{round(value + 0.0, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def points_word(value: float) -> str:
    return f"{points_text(value)} point{'' if points_text(value) == '1' else 's'}"


def scores_csv(grades: Grades) -> str:
    """`scores.csv`: student, name, points per slot, total, and points left to grade by hand.
    A cell a spreadsheet would run as a formula gets a leading `'` (see `exports.csv`)."""
    hand = any(s.by_hand for s in grades.students)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "name", *(f"slot {n}" for n, _, _ in grades.slots), "total",
                     *(["by_hand"] if hand else [])])
    for student in grades.students:
        row = [student.key, student.name, *(points_text(s.points) for s in student.slots),
               points_text(student.points), *([points_text(student.by_hand)] if hand else [])]
        writer.writerow([spreadsheet_safe(cell) for cell in row])  # ids and names are never formulas
    return "\ufeff" + out.getvalue()


def _show(value: Any, kind: str = "real") -> str:
    return answer_type(kind).show(value)


def _tolerance_text(result: FieldResult, language: str = "en") -> str:
    return i18n.translate(answer_type(result.kind).tolerance_text(result.expected, result.tolerance), language)


def _count(expected: Any, given: Any, kind: str = "vector", language: str = "en") -> str:
    return i18n.translate(answer_type(kind).count_note(expected, given), language)


def feedback_text(grades: Grades, student: StudentResult) -> str:
    """A student's feedback: every field with its points; for each wrong one the expected value,
    the tolerance and, when the answer matches a known mistake, that mistake."""
    # Fixed texts in the exam's language (the catalog's); numbers with its decimal separator.
    _, ngettext = i18n.gettext(grades.language), i18n.translations(grades.language).ngettext

    def pts(value: float) -> str:
        return i18n.decimal_text(points_text(value), grades.language)

    def of(got: float, most: float) -> str:
        return _("%(got)s of %(most)s") % {"got": pts(got), "most": pts(most)}

    def word(value: float) -> str:
        count = 1 if points_text(value) == "1" else 2   # "1 point", "0.5 points"
        return ngettext("%(n)s point", "%(n)s points", count) % {"n": pts(value)}

    def value(shown: str) -> str:
        return i18n.decimal_text(shown, grades.language)

    lines = [grades.title + ": " + _("feedback"), _("Student:") + f" {student.key}" + (f"  {student.name}" if student.name else ""),
             _("Variant %(key)s, exam seed %(seed)s, fingerprint %(fingerprint)s") % {
                 "key": student.key, "seed": grades.seed, "fingerprint": student.fingerprint}, ""]
    total = _("Score: %(score)s points") % {"score": of(student.points, student.max_points)}
    if student.by_hand:
        total += " " + _("graded automatically; %(points)s more to be graded by hand") % {"points": word(student.by_hand)}
    lines += [total, ""]
    for slot in student.slots:
        lines.append(_("Question") + f" {slot.number}. {slot.title} ({slot.problem_id}): "
                     + _("%(score)s points") % {"score": of(slot.points, slot.max_points)})
        for part in slot.parts:
            lines.append(f"  {part.label} {part.name}: {of(part.points, part.max_points)}")
            for result in part.fields:
                share = of(result.points, result.max_points)
                if result.status == "by hand":
                    lines.append(f"    {result.field}: " + _("to be graded by hand (%(points)s, not included in the "
                                                           "score above)") % {"points": word(result.max_points)})
                    continue
                if result.status == "right":
                    lines.append(f"    {result.field}: " + _("right") + f", {share}"
                                 + (" (" + _("accepted convention:") + f" {result.convention})" if result.convention else ""))
                    continue
                if result.status == "partial":
                    right = result.right_entries
                    lines.append(f"    {result.field}: "
                                 + ngettext("%(right)d of %(count)d entries right (entry %(which)s), %(points)s points",
                                            "%(right)d of %(count)d entries right (entries %(which)s), %(points)s points",
                                            len(right))
                                 % {"right": len(right), "count": result.entries,
                                    "which": ", ".join(map(str, right)), "points": share})
                else:
                    status = {"wrong": _("wrong"), "unanswered": _("no answer"),
                              "unreadable": _("could not be read (%(why)s), counted as wrong") % {"why": result.note}
                              }[result.status]
                    lines.append(f"    {result.field}: {status}, {share}")
                if result.status != "unanswered":
                    lines.append("      " + _("your answer:") + f" {result.given}{_count(result.expected, result.given, result.kind, grades.language)}")
                exact = "  (" + _("exact:") + f" {_show(result.exact, result.kind)})" if result.exact is not None else ""
                lines.append("      " + _("expected:   ") + f" {value(_show(result.expected, result.kind))}{exact}")
                for alternative in result.alternatives:
                    lines.append("      " + _("also right: ") + f" {value(_show(alternative['value'], result.kind))}"
                                 f"  ({alternative['convention']})")
                lines.append("      " + _("tolerance:  ") + f" {value(_tolerance_text(result, grades.language))}")
                for description in result.mistakes:
                    lines.append("      " + _("likely mistake:") + f" {description}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# ---------------------------------------------------------------- the results table

RESULT_COLUMNS = ("student", "name", "slot", "problem", "part", "field", "type", "status", "points", "max_points",
                  "entries", "entries_right", "mistake", "mistake_text", "response", "chosen", "chosen_mistake")
RESULTS_FORMAT = "examgen-results"
RESULTS_VERSION = 1


def _letters(text: str, count: int) -> list[int]:
    """The 0-based options a choice response marks: its letters (`AC`, `a, c`), in order, once
    each; letters beyond the options and other characters are not marks."""
    marked = [ord(c) - ord("A") for c in text.upper() if "A" <= c <= "Z"]
    return [i for i in dict.fromkeys(marked) if i < count]


def _choice_view(result: FieldResult, problem: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a choice field's response chose, read with the key's `choices` entry: the letters,
    and each option's role (the right one, a declared mistake's value, another value)."""
    choices = result.choices
    if not choices:
        return None
    texts = {m["text"]: m["name"] for m in problem.get("mistakes", [])}
    right = {int(i) for i in choices.get("right", [])}
    mistakes = {int(i): str(t) for i, t in (choices.get("mistakes") or {}).items()}
    chosen = _letters(result.given, len(choices.get("options", [])))
    options = []
    for index, text in enumerate(choices.get("options", [])):
        mistake = mistakes.get(index, "")
        options.append({"letter": chr(ord("A") + index), "text": str(text),
                        "role": "right" if index in right else "mistake" if mistake else "other",
                        "mistake": texts.get(mistake, ""), "mistake_text": mistake, "chosen": index in chosen})
    return {"chosen": "".join(chr(ord("A") + i) for i in chosen), "options": options}


def result_rows(grades: Grades) -> list[dict[str, Any]]:
    """One row per student x slot x answer field: the points, the status (right, partial, wrong,
    unreadable, unanswered, by hand), the declared mistakes the answer matches (typed, or the
    chosen option's), the response and, for a choice field, what was chosen."""
    rows = []
    for student in grades.students:
        for slot in student.slots:
            problem = grades.problems.get(slot.problem_id, {})
            names = {m["text"]: m["name"] for m in problem.get("mistakes", [])}
            for part in slot.parts:
                for result in part.fields:
                    choice = _choice_view(result, problem)
                    mistakes = dict(zip(result.mistakes, result.mistake_names, strict=True))
                    for option in (choice or {}).get("options", []):
                        if option["chosen"] and option["mistake_text"]:
                            mistakes.setdefault(option["mistake_text"], names.get(option["mistake_text"], ""))
                    rows.append({
                        "student": student.key, "name": student.name, "slot": slot.number,
                        "problem": slot.problem_id, "part": part.name, "field": result.field, "type": result.kind,
                        "status": result.status, "points": result.points, "max_points": result.max_points,
                        "entries": result.entries,
                        "entries_right": (result.right_entries if result.status == "partial"
                                          else list(range(1, result.entries + 1)) if result.status == "right"
                                          else []),
                        "mistakes": [{"name": n, "text": t} for t, n in mistakes.items()],
                        "response": result.given, "choice": choice})
    return rows


def answers_csv(grades: Grades) -> str:
    """`answers.csv`: `result_rows` as a table (columns `RESULT_COLUMNS`); several mistakes of
    one answer are joined with "; ". Cells a spreadsheet would run get a leading `'`."""
    from generator.exports.csv import number_text

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(RESULT_COLUMNS)
    for row in result_rows(grades):
        choice = row["choice"] or {}
        chosen_mistakes = [o["mistake_text"] for o in choice.get("options", []) if o["chosen"] and o["mistake_text"]]
        cells = [row["student"], row["name"], str(row["slot"]), row["problem"], row["part"], row["field"],
                 row["type"], row["status"], number_text(row["points"]), number_text(row["max_points"]),
                 str(row["entries"]), " ".join(map(str, row["entries_right"])),
                 "; ".join(m["name"] for m in row["mistakes"]), "; ".join(m["text"] for m in row["mistakes"]),
                 row["response"], choice.get("chosen", ""), "; ".join(chosen_mistakes)]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return "\ufeff" + out.getvalue()


def results_document(grades: Grades) -> dict[str, Any]:
    """`results.json`: everything `examgen report` reads (the exam, its slots, every problem's
    declared mistakes, each graded student's totals and `result_rows`)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for row in result_rows(grades):
        rows.setdefault(row["student"], []).append(row)
    students = []
    for student in grades.students:
        students.append({"student": student.key, "name": student.name, "points": student.points,
                         "max_points": student.max_points, "by_hand": student.by_hand,
                         "slots": [{"slot": s.number, "problem": s.problem_id, "points": s.points,
                                    "max_points": s.max_points} for s in student.slots],
                         "answers": rows.get(student.key, [])})
    return {"format": RESULTS_FORMAT, "version": RESULTS_VERSION,
            "exam": {"title": grades.title, "seed": grades.seed},
            "slots": [{"slot": n, "problem": i, "points": p} for n, i, p in grades.slots],
            "problems": grades.problems, "students": students, "absent": list(grades.absent),
            "warnings": len(grades.warnings)}


def feedback_name(key: str, taken: set[str]) -> str:
    """A file name for a student's feedback: the key where it is path-safe, else a safe spelling."""
    safe = re.sub(r"[^A-Za-z0-9._+@-]", "_", key).lstrip(".") or "student"
    name, n = safe, 2
    while name.lower() in taken:
        name, n = f"{safe}-{n}", n + 1
    taken.add(name.lower())
    return f"{name}.txt"


def write_results(grades: Grades, out: str | Path) -> list[Path]:
    """Write `scores.csv`, `answers.csv`, `results.json` and `feedback/<student>.txt` into `out`, the whole grading at once (a
    staging folder swapped in, see generator.outdir): feedback of students no longer graded is
    gone, a full disk leaves the previous grading as it was. The paths written."""
    from generator.outdir import write_output

    out = Path(out)
    names: list[str] = []
    with write_output(out, "grade") as staging:
        (staging / "feedback").mkdir()
        (staging / "scores.csv").write_text(scores_csv(grades), encoding="utf-8")
        (staging / "answers.csv").write_text(answers_csv(grades), encoding="utf-8")
        (staging / "results.json").write_text(json.dumps(results_document(grades), ensure_ascii=False, indent=1),
                                              encoding="utf-8")
        taken: set[str] = set()
        for student in grades.students:
            name = feedback_name(student.key, taken)
            (staging / "feedback" / name).write_text(feedback_text(grades, student), encoding="utf-8")
            names.append(name)
    return [out / "scores.csv", out / "answers.csv", out / "results.json"] + [out / "feedback" / name
                                                                             for name in names]
