"""Rosters: a CSV of students, one variant per student, keyed by the student id.

    id,name,email
    s1001,Ada Lovelace,ada@example.org
    s1002,"O'Brien & Co., Pat",pat@example.org

Columns `id` and `name` are required (matched without regard to case or surrounding
spaces); other columns are kept and go to the student's record in `key.json`. The file is
UTF-8 (a byte-order mark, as spreadsheets write it, is fine); the delimiter is a comma,
or a semicolon or tab when the header line uses that instead. Blank lines are skipped.

The id becomes the variant key, which names the folder `variants/<id>/` and seeds the
student's variant, so it must be unique and path-safe: letters, digits and `. _ - + @`,
starting with a letter or digit. Ids that differ only in case or a trailing dot (`abc`,
`ABC`, `abc.`) are rejected too, since they would share a folder on Windows. Names must be
printable by the sheets (`generator.usertext`, the rule the spec's text follows too, with the
scripts of `usertext.UNICODE_NAMES` besides); a name a spreadsheet would run as a formula
(`=HYPERLINK(...)`) is printed as typed, and the CSV writers neutralise it.

An optional column `accommodations` lists what a student gets besides the exam, separated
by `;`: `large-print` (variants/<id>/exam-large.pdf), `html` (variants/<id>/exam.html, the
accessible exam) and `extra-time`, `extra-time=30` (minutes, also `30 min`) or
`extra-time=25%`, noted on the student's cover page.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from pathlib import Path

from generator import usertext
from generator.errors import ExamgenError, closest, cut
from generator.plan import Plan, Student
from generator.spec import MAX_VARIANTS
from generator.userfiles import read_user_text
from generator.variants import Variant

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+@-]*")
MAX_ID_LENGTH = 64
# Device names Windows reserves in any folder: a variant folder must not be called so.
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}

MAX_NAME_LENGTH = 200
ACCOMMODATIONS = ("large-print", "html", "extra-time")
_EXTRA_TIME = re.compile(r"extra-time(?:\s*=\s*(\d{1,3})\s*(%|min|minutes)?)?")


def parse_accommodations(text: str, key: str, where: str) -> tuple[tuple[str, ...], str]:
    """(accommodations, extra time as the cover prints it, e.g. '30 minutes' or '25%') of a
    roster cell such as 'large-print; extra-time=25%'."""
    found: list[str] = []
    extra = ""
    allowed = "large-print, html, extra-time, extra-time=30 (minutes) or extra-time=25%"
    for raw in text.split(";"):
        value = raw.strip().lower()
        if not value:
            continue
        match = _EXTRA_TIME.fullmatch(value)
        if match:
            number, unit = match.groups()
            extra = "" if number is None else f"{int(number)}%" if unit == "%" else f"{int(number)} minutes"
            value = "extra-time"
        elif value not in ACCOMMODATIONS:
            hint = closest(value, ACCOMMODATIONS)
            raise ExamgenError(f"student '{key}' has the unknown accommodation '{raw.strip()}'", where,
                               (hint + " " if hint else "") + f"the allowed values, separated by ';': {allowed}")
        if value in found:
            raise ExamgenError(f"student '{key}' has the accommodation '{value}' twice", where, "name it once")
        found.append(value)
    return tuple(found), extra


def _plain_letters(text: str) -> str:
    """The text with accents dropped where that makes it printable: Nguyễn -> Nguyen."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _folded(key: str) -> str:
    """The folder Windows would make of an id: case-insensitive, trailing dots and spaces dropped."""
    return key.lower().rstrip(". ")


def read_csv_text(path: Path, what: str) -> str:
    """The text of a CSV file (UTF-8, with or without a byte-order mark); errors name the file."""
    return read_user_text(path, what, f"'CSV UTF-8' from a spreadsheet, or iconv -f WINDOWS-1252 -t UTF-8 "
                                      f"{path.name} > {path.stem}-utf8.csv")


def csv_rows(text: str) -> list[tuple[int, list[str]]]:
    """(line number, fields) of every record; the delimiter is taken from the header line."""
    first = text.lstrip("\r\n").split("\n", 1)[0]
    delimiter = ","
    if "," not in first:
        for candidate in (";", "\t"):
            if candidate in first:
                delimiter = candidate
                break
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    start = 1
    try:
        for fields in reader:
            rows.append((start, fields))
            start = reader.line_num + 1
    except csv.Error as error:
        raise ExamgenError(f"CSV does not parse ({error})", f"line {reader.line_num}",
                           "check the quotes on that line: a field with a comma or a quote is written "
                           'in double quotes, a quote inside it doubled ("")') from None
    return rows


def _blank(fields: list[str]) -> bool:
    return all(not f.strip() for f in fields)


def _id_problem(key: str) -> str | None:
    if len(key) > MAX_ID_LENGTH:
        return f"is longer than {MAX_ID_LENGTH} characters"
    if not SAFE_ID.fullmatch(key):
        bad = sorted({c for c in key if not re.fullmatch(r"[A-Za-z0-9._+@-]", c)})
        if bad:
            shown = " ".join(repr(c) for c in bad)
            return f"contains {shown}, which cannot be part of a folder name"
        return "must start with a letter or a digit"
    if key.split(".")[0].lower() in RESERVED:
        return "is a device name reserved by Windows"
    return None


def load_roster(path: str | Path) -> dict[str, Student]:
    """The students of a roster CSV, by id, in file order; every bad input is one clear line."""
    path = Path(path)
    shown = str(path)
    text = read_csv_text(path, "roster")
    try:
        rows = csv_rows(text)
    except ExamgenError as error:
        raise ExamgenError(error.what, f"{shown}:{error.where.removeprefix('line ')}", error.fix) from None
    rows = [(line, fields) for line, fields in rows if not _blank(fields)]
    if not rows:
        raise ExamgenError("the roster is empty", shown, "write a header line 'id,name' and one line per student")
    header_line, header = rows[0]
    columns = [c.strip() for c in header]
    lowered = [c.lower() for c in columns]
    for i, name in enumerate(lowered):
        if not name:
            raise ExamgenError(f"column {i + 1} of the header has no name", f"{shown}:{header_line}",
                               "name every column, or delete the empty one")
        if lowered.index(name) != i:
            raise ExamgenError(f"the header names the column '{columns[i]}' twice", f"{shown}:{header_line}",
                               "give every column its own name")
    fixes = {"id": "the first line must name the columns, e.g. 'id,name', then one line per student",
             "name": "add a column 'name' with each student's name (header 'id,name')"}
    for required in ("id", "name"):
        if required not in lowered:
            hint = closest(required, columns)
            raise ExamgenError(f"the roster has no '{required}' column (its columns: {', '.join(columns)})",
                               f"{shown}:{header_line}", (hint + " " if hint else "") + fixes[required])
    id_col, name_col = lowered.index("id"), lowered.index("name")
    students: dict[str, Student] = {}
    first_line: dict[str, int] = {}
    folded: dict[str, str] = {}
    for line, fields in rows[1:]:
        where = f"{shown}:{line}"
        if len(fields) > len(columns):
            raise ExamgenError(f"this line has {len(fields)} fields, the header {len(columns)}", where,
                               'put a name or value that contains a comma in double quotes: "Lovelace, Ada"')
        fields = fields + [""] * (len(columns) - len(fields))
        key = fields[id_col].strip()
        name = fields[name_col].strip()
        if not key:
            raise ExamgenError("this student has no id", where, "fill in the 'id' column (ids must be unique)")
        problem = _id_problem(key)
        if problem:
            raise ExamgenError(f"student id '{key}' {problem}", where,
                               "use letters, digits and . _ - + @ only, starting with a letter or digit")
        if key in students:
            raise ExamgenError(f"student id '{key}' appears twice, on lines {first_line[key]} and {line}", where,
                               "give every student a unique id")
        if _folded(key) in folded:
            other = folded[_folded(key)]
            how = "only in case" if other.lower() == key.lower() else "only in case or a trailing dot"
            raise ExamgenError(f"student ids '{other}' (line {first_line[other]}) and '{key}' (line {line}) "
                               f"differ {how}", where, "ids name folders, which Windows (and other "
                               "case-insensitive file systems) would merge; make them differ in more than that")
        if not name:
            raise ExamgenError(f"student '{key}' has no name", where, "fill in the 'name' column")
        plain = _plain_letters(name)
        example = f" (e.g. '{cut(plain)}')" if plain != name and usertext.problem(plain) is None else ""
        try:
            name = usertext.check(name, limit=MAX_NAME_LENGTH, printable=usertext.NAME_PRINTABLE,
                                  latin_hint=f"write the name in Latin letters{example}; the id stays the same")
        except usertext.UnprintableText as error:
            raise ExamgenError(f"the name of student '{key}' {error.what}", where, error.fix) from None
        extra = {columns[i]: fields[i].strip() for i in range(len(columns)) if i not in (id_col, name_col)}
        needs, extra_time = (parse_accommodations(fields[lowered.index("accommodations")], key, where)
                             if "accommodations" in lowered else ((), ""))
        students[key] = Student(key, name, extra, needs, extra_time)
        first_line[key] = line
        folded[_folded(key)] = key
    if not students:
        raise ExamgenError("the roster has a header but no students", shown, "add one line per student: id,name")
    if len(students) > MAX_VARIANTS:
        raise ExamgenError(f"the roster has {len(students)} students, more than {MAX_VARIANTS}", shown,
                           "split it into several rosters and builds")
    return students


def shared_instances(plan: Plan, variants: Sequence[Variant], shown: int = 3) -> list[str]:
    """One warning line per slot in which two or more variants got the same instance.

    Applies to every build (students of a roster, or numbered variants). A slot whose
    parameters are all pinned gives everyone the same instance on purpose: not warned.
    """
    warnings = []
    noun = "students" if plan.students else "variants"
    for slot in plan.slots:
        declared = {p.name for p in plan.bank.load(slot.problem_id).params}
        if declared <= set(slot.pins):
            continue
        groups: dict[str, list[str]] = {}
        for variant in variants:
            instance = variant.instance_for(slot)
            blob = json.dumps([instance.problem_id, instance.params], sort_keys=True)
            groups.setdefault(blob, []).append(variant.key)
        shared = [keys for keys in groups.values() if len(keys) > 1]
        if not shared:
            continue
        text = "; ".join(" = ".join(keys) for keys in shared[:shown])
        if len(shared) > shown:
            text += f"; and {len(shared) - shown} more groups"
        count = sum(len(keys) for keys in shared)
        warnings.append(f"slot {slot.number} ({slot.problem_id}): {count} {noun} share an instance with another "
                        f"({text}); neighbours could copy: widen the problem's parameter ranges, "
                        f"unpin parameters or change the exam seed")
    return warnings
