"""Grading: students' responses against an answer key, into points per slot and feedback.

Responses are a CSV file (UTF-8) in one of two forms, told apart by the header:

- long: columns `student,slot,field,value`, one row per answer;
- wide: a column `student` and one column per `slot.field` (e.g. `1.out_shape`), one row
  per student. A `name` column is allowed (and ignored) in both forms.

`student` is the variant key (the student id for a roster build, the variant number
otherwise: `7` and `007` both name variant 007). `slot` is the slot number as printed on
the sheet (or the slot's key). Values are read by their answer type (generator.answers):
vectors, matrices and shapes as lists (`[46, 62, 20]`, `(46, 62, 20)`, `46, 62, 20`), numbers
by one rule shared with the practice page (`1e-3`, `1/3`, `sqrt(2)/2`, `5,133,600`; `1,5` and
`2 3` are refused: see `generator.answers.reading`).

Points: each part's points (as the key gives them) are split equally over the part's
answer fields. A field scores its share when the answer is right under the key's
tolerance (`|r - v| <= atol + rtol |v|`, inclusive; ints and shapes exactly), or equals one
of the field's accepted alternatives (another convention, named in the feedback), else 0.
A `proof` field cannot be graded automatically: its share is "to be graded by hand",
scores 0 here, and the feedback and `scores.csv` (column `by_hand`) say so.

Bad input: a key or responses file that cannot be read, or a responses file without the
columns of either form, is an `ExamgenError`. Every other problem (an unknown student,
slot or field, a long-form row with an empty value, text where a number belongs, an
answer given twice) is one warning line (file:line, what, what happens) and that entry is
counted as unanswered or wrong, so grading always completes. A blank cell of the wide
form is a question not answered: no points, no warning.

Everything here is pure (text in, data and text out) but `write_results`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import bank
from generator.answers import Answer, Unreadable, answer_type, matches, reading
from generator.errors import ExamgenError, closest
from generator.instance import mistake_answers
from generator.problem import Problem
from generator.roster import csv_rows, read_csv_text
from generator.userfiles import read_user_text

LONG = ("student", "slot", "field", "value")
IGNORED = ("name",)
Loader = Callable[[str], Problem]


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


@dataclass(frozen=True)
class ResponseFile:
    path: str
    form: str                           # "long" or "wide"
    responses: tuple[Response, ...]
    notes: tuple[tuple[int, str], ...] = ()   # (line, warning) found while reading: columns, duplicate rows
    header_line: int = 1


def load_key(path: str | Path) -> dict[str, Any]:
    """A `key.json` written by `examgen build`; anything else is one clear error."""
    path = Path(path)
    shown = str(path)
    text = read_user_text(path, "answer key")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ExamgenError(f"the answer key is not JSON ({error.msg})", f"{shown}:{error.lineno}",
                           "give the key.json that 'examgen build' wrote, unedited") from None
    ok = (isinstance(document, dict) and isinstance(document.get("variants"), list)
          and all(isinstance(v, dict) and "key" in v and isinstance(v.get("problems"), list)
                  for v in document["variants"]))
    if not ok:
        raise ExamgenError("this is not an examgen answer key (no 'variants' with 'problems')", shown,
                           "give the key.json that 'examgen build' wrote")
    return document


def parse_responses(text: str, path: str = "responses.csv") -> ResponseFile:
    """Responses in long or wide form (see the module docstring)."""
    try:
        rows = csv_rows(text)
    except ExamgenError as error:
        raise ExamgenError(error.what, f"{path}:{error.where.removeprefix('line ')}", error.fix) from None
    rows = [(line, fields) for line, fields in rows if any(f.strip() for f in fields)]
    if not rows:
        raise ExamgenError("the responses file is empty", path,
                           "write a header 'student,slot,field,value' and one row per answer")
    header_line, header = rows[0]
    columns = [c.strip() for c in header]
    lowered = [c.lower() for c in columns]
    for i, name in enumerate(lowered):
        if name and lowered.index(name) != i:
            raise ExamgenError(f"the header names the column '{columns[i]}' twice", f"{path}:{header_line}",
                               "give every column its own name")
    wide_columns = [i for i, c in enumerate(columns) if "." in c and c.lower() not in LONG]
    if "student" not in lowered:
        raise ExamgenError(f"the responses have no 'student' column (columns: {', '.join(columns) or 'none'})",
                           f"{path}:{header_line}",
                           "the first line must be 'student,slot,field,value' (one row per answer) or "
                           "'student,1.out_shape,1.mults,...' (one row per student)")
    student_col = lowered.index("student")
    if not wide_columns or any(c in lowered for c in ("slot", "field", "value")):
        missing = [c for c in LONG if c not in lowered]
        if missing:
            raise ExamgenError(f"the responses have no column{'s' if len(missing) > 1 else ''} "
                               f"{', '.join(repr(m) for m in missing)} (columns: {', '.join(columns)})",
                               f"{path}:{header_line}",
                               "the first line must be 'student,slot,field,value' (one row per answer), or "
                               "'student' and a column per slot.field such as '1.out_shape' (one row per student)")
        return _long(rows[1:], lowered, path, header_line)
    return _wide(rows[1:], columns, student_col, wide_columns, header_line, path)


def _cell(fields: Sequence[str], index: int) -> str:
    return fields[index].strip() if index < len(fields) else ""


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
        responses.append(Response(_cell(fields, at["student"]), _cell(fields, at["slot"]),
                                  _cell(fields, at["field"]), value, line))
    return ResponseFile(path, "long", tuple(responses), tuple(notes), header_line)


def _wide(rows, columns: list[str], student_col: int, wide_columns: list[int], header_line: int,
          path: str) -> ResponseFile:
    notes = []
    for i, name in enumerate(columns):
        if i != student_col and i not in wide_columns and name.lower() not in IGNORED:
            notes.append((header_line, f"{path}:{header_line}: column '{name or i + 1}' is not 'slot.field' "
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
            responses.append(Response(student, slot.strip(), name.strip(), _cell(fields, i), line, columns[i]))
    return ResponseFile(path, "wide", tuple(responses), tuple(notes), header_line)


def read_responses(path: str | Path) -> ResponseFile:
    path = Path(path)
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


def parse_value(answer: Answer, text: str) -> Any:
    """The response text as a value of the answer's type, or `Unreadable`."""
    return answer.kind.parse(answer, text)


def how_to_write(answer: Answer) -> str:
    return answer.kind.how_to_write


# ---------------------------------------------------------------- scoring

@dataclass
class FieldResult:
    field: str
    label: str
    kind: str
    status: str              # right, wrong, unreadable, unanswered, by hand
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


class _Warnings:
    """Warning lines `file:line: what; what happens`. One problem met on several lines (an
    unknown student has many answers) is one line naming all of them."""

    def __init__(self, path: str):
        self.path = path
        self.single: list[tuple[int, str]] = []
        self.grouped: dict[str, list[int]] = {}

    def add(self, line: int, text: str, column: str = "") -> None:
        where = f"{self.path}:{line}" + (f" (column {column})" if column else "")
        self.single.append((line, f"{where}: {text}"))

    def add_grouped(self, line: int, text: str) -> None:
        lines = self.grouped.setdefault(text, [])
        if line not in lines:
            lines.append(line)

    def lines(self) -> list[str]:
        out = list(self.single)
        for text, lines in self.grouped.items():
            shown = ", ".join(map(str, lines[:8])) + (f" and {len(lines) - 8} more" if len(lines) > 8 else "")
            out.append((lines[0], f"{self.path}:{shown}: {text}"))
        return [text for _, text in sorted(out, key=lambda item: item[0])]


def _variant_index(document: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(v["key"]): v for v in document["variants"]}


def _resolve_student(name: str, variants: Mapping[str, Any]) -> str | None:
    if name in variants:
        return name
    if name.isdigit():
        for key in variants:
            if key.isdigit() and int(key) == int(name):
                return key
    return None


def _resolve_slot(name: str, entries: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for entry in entries:
        if name == str(entry["slot"]) or name == entry.get("slot_key") or (name.isdigit() and int(name) == entry["slot"]):
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
    variants = _variant_index(document)
    warn = _Warnings(responses.path)
    warn.single.extend(responses.notes)
    given: dict[str, dict[tuple[int, str], Response]] = {}
    order: list[str] = []
    for response in responses.responses:
        column = response.column
        what = f"{response.student or '?'} {response.slot}.{response.field}"
        if not response.student:
            if response.value:
                warn.add_grouped(response.line, "a row without a student; it is not graded: "
                                 "fill in the 'student' column with the variant key")
            continue
        key = _resolve_student(response.student, variants)
        if key is None:
            hint = closest(response.student, variants)
            warn.add_grouped(response.line, f"unknown student '{response.student}' (no such variant in "
                             f"{key_path}); not graded: use the variant key printed on the sheet (the student "
                             "id for a roster build)" + (f"; {hint}" if hint else ""))
            continue
        entries = variants[key]["problems"]
        entry = _resolve_slot(response.slot, entries)
        if entry is None:
            slots = ", ".join(str(e["slot"]) for e in entries)
            warn.add_grouped(response.line, f"no slot '{response.slot}' on this exam (its slots: {slots}); "
                             "not graded: give the question number as printed on the sheet")
            continue
        if response.field not in _fields(entry):
            hint = closest(response.field, _fields(entry))
            warn.add_grouped(response.line, f"slot {entry['slot']} ({entry['id']}) has no answer field "
                             f"'{response.field}'; not graded: its fields are {', '.join(_fields(entry))}"
                             + (f"; {hint}" if hint else ""))
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
    for key in sorted(order, key=list(variants).index):  # the key's order (a roster's order)
        variant = variants[key]
        slots = []
        for entry in variant["problems"]:
            where = f"{key_path}: variant {key}, slot {entry['slot']}"
            problem = _load(load, entry["id"], where)
            labels = [f"({chr(ord('a') + i)})" for i in range(len(entry["parts"]))]
            parts = []
            for label, (part_name, part) in zip(labels, entry["parts"].items(), strict=True):
                share = part["points"] / len(part["fields"]) if part["fields"] else 0.0
                results = [_score(problem, entry, name, share, given[key].get((int(entry["slot"]), name)), warn, key)
                           for name in part["fields"]]
                parts.append(PartResult(part_name, label, float(part["points"]), results))
            slots.append(SlotResult(int(entry["slot"]), entry["id"], problem.title, float(entry["points"]), parts))
        students.append(StudentResult(key, (variant.get("student") or {}).get("name", ""),
                                      str(variant.get("fingerprint", "")), slots))
    first = document["variants"][0]["problems"] if document["variants"] else []
    exam = document.get("exam", {})
    return Grades(title=str(exam.get("title", "")), seed=exam.get("seed"),
                  slots=[(int(e["slot"]), e["id"], float(e["points"])) for e in first],
                  students=students, warnings=warn.lines(),
                  absent=[k for k in variants if k not in given])


def _score(problem: Problem, entry: Mapping[str, Any], name: str, share: float, response: Response | None,
           warn: _Warnings, student: str) -> FieldResult:
    try:
        answer = problem.answer(name)
    except KeyError:
        raise ExamgenError(f"the key has the field '{name}' of {problem.id}, which the bank's problem lacks",
                           f"slot {entry['slot']}", "grade with the problem bank the exam was built from") from None
    result = FieldResult(name, answer.label, answer.type, "unanswered", 0.0, share,
                         expected=entry["answers"].get(name), exact=entry.get("exact", {}).get(name),
                         tolerance=entry["tolerances"].get(name),
                         alternatives=list(entry.get("alternatives", {}).get(name, [])))
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
        value = parse_value(answer, response.value)
    except Unreadable as error:
        shown = response.value if len(response.value) <= 40 else response.value[:37] + "..."
        warn.add(response.line, f"{what}: {shown!r} {error}; counted as wrong: "
                 f"{how_to_write(answer)}", response.column)
        result.status = "unreadable"
        result.note = str(error)
        return result
    tolerance = result.tolerance or answer.tolerance()
    atol, rtol = float(tolerance["atol"]), float(tolerance["rtol"])
    if matches(answer, result.expected, value, atol, rtol):
        result.status, result.points = "right", share
        return result
    for alternative in entry.get("alternatives", {}).get(name, []):
        if matches(answer, alternative["value"], value, atol, rtol):  # another accepted convention
            result.status, result.points, result.convention = "right", share, alternative["convention"]
            return result
    result.status = "wrong"
    for mistake in problem.mistakes:
        try:
            wrong = mistake_answers(problem, mistake, entry["params"])
        except Exception:  # a broken mistake is verify's to report; grading goes on
            continue
        if name in wrong and matches(answer, wrong[name], value, atol, rtol):
            result.mistakes.append(mistake.description)
    return result


# ---------------------------------------------------------------- outputs

def points_text(value: float) -> str:
    """Points with at most two decimals: 7.5, 10, 0.33."""
    text = f"{round(value + 0.0, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def points_word(value: float) -> str:
    return f"{points_text(value)} point{'' if points_text(value) == '1' else 's'}"


def scores_csv(grades: Grades) -> str:
    """`scores.csv`: student, name, points per slot, total, and points left to grade by hand."""
    hand = any(s.by_hand for s in grades.students)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "name", *(f"slot {n}" for n, _, _ in grades.slots), "total",
                     *(["by_hand"] if hand else [])])
    for student in grades.students:
        writer.writerow([student.key, student.name, *(points_text(s.points) for s in student.slots),
                         points_text(student.points), *([points_text(student.by_hand)] if hand else [])])
    return "\ufeff" + out.getvalue()


def _show(value: Any, kind: str = "real") -> str:
    return answer_type(kind).show(value)


def _tolerance_text(result: FieldResult) -> str:
    return answer_type(result.kind).tolerance_text(result.expected, result.tolerance)


def _count(expected: Any, given: Any, kind: str = "vector") -> str:
    return answer_type(kind).count_note(expected, given)


def feedback_text(grades: Grades, student: StudentResult) -> str:
    """A student's feedback: every field with its points; for each wrong one the expected value,
    the tolerance and, when the answer matches a known mistake, that mistake."""
    lines = [f"{grades.title}: feedback", f"Student: {student.key}" + (f"  {student.name}" if student.name else ""),
             f"Variant {student.key}, exam seed {grades.seed}, fingerprint {student.fingerprint}", ""]
    total = f"Score: {points_text(student.points)} of {points_text(student.max_points)} points"
    if student.by_hand:
        total += f" graded automatically; {points_word(student.by_hand)} more to be graded by hand"
    lines += [total, ""]
    for slot in student.slots:
        lines.append(f"Question {slot.number}. {slot.title} ({slot.problem_id}): "
                     f"{points_text(slot.points)} of {points_text(slot.max_points)} points")
        for part in slot.parts:
            lines.append(f"  {part.label} {part.name}: {points_text(part.points)} of {points_text(part.max_points)}")
            for result in part.fields:
                share = f"{points_text(result.points)} of {points_text(result.max_points)}"
                if result.status == "by hand":
                    lines.append(f"    {result.field}: to be graded by hand ({points_word(result.max_points)}, "
                                 "not included in the score above)")
                    continue
                if result.status == "right":
                    lines.append(f"    {result.field}: right, {share}"
                                 + (f" (accepted convention: {result.convention})" if result.convention else ""))
                    continue
                status = {"wrong": "wrong", "unanswered": "no answer",
                          "unreadable": f"could not be read ({result.note}), counted as wrong"}[result.status]
                lines.append(f"    {result.field}: {status}, {share}")
                if result.status != "unanswered":
                    lines.append(f"      your answer: {result.given}{_count(result.expected, result.given, result.kind)}")
                exact = f"  (exact: {_show(result.exact, result.kind)})" if result.exact is not None else ""
                lines.append(f"      expected:    {_show(result.expected, result.kind)}{exact}")
                for alternative in result.alternatives:
                    lines.append(f"      also right:  {_show(alternative['value'], result.kind)}"
                                 f"  ({alternative['convention']})")
                lines.append(f"      tolerance:   {_tolerance_text(result)}")
                for description in result.mistakes:
                    lines.append(f"      likely mistake: {description}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def feedback_name(key: str, taken: set[str]) -> str:
    """A file name for a student's feedback: the key where it is path-safe, else a safe spelling."""
    safe = re.sub(r"[^A-Za-z0-9._+@-]", "_", key).lstrip(".") or "student"
    name, n = safe, 2
    while name.lower() in taken:
        name, n = f"{safe}-{n}", n + 1
    taken.add(name.lower())
    return f"{name}.txt"


def write_results(grades: Grades, out: str | Path) -> list[Path]:
    """Write `scores.csv` and `feedback/<student>.txt` into `out`; the paths written."""
    out = Path(out)
    try:
        (out / "feedback").mkdir(parents=True, exist_ok=True)
        written = [out / "scores.csv"]
        written[0].write_text(scores_csv(grades), encoding="utf-8")
        taken: set[str] = set()
        for student in grades.students:
            path = out / "feedback" / feedback_name(student.key, taken)
            path.write_text(feedback_text(grades, student), encoding="utf-8")
            written.append(path)
    except OSError as error:
        raise ExamgenError(f"cannot write the grades ({error.strerror})", str(out),
                           "choose another folder with --out or fix its permissions") from None
    return written
