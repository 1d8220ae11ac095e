"""`key.csv`: the answer key flat, for graders who work in a spreadsheet.

One row per variant, slot and answer field, in the key's order:

    variant,student,slot,problem,part,field,type,value,atol,rtol,points,field_points

- `variant` is the variant key (the student id for a roster build), `student` the
  student's name (empty without a roster);
- `value` is the key's value: a number, or JSON for vectors, matrices and shapes
  (`[46, 62, 20]`), text for choices and expressions; empty for `proof` fields, which are
  graded by hand;
- a response r is right for v when |r - v| <= atol + rtol |v|; ints and shapes exactly;
- `points` are the points of the part the field belongs to, `field_points` this field's
  share of them (the part's points split equally over its fields, as `examgen grade` does).

The file is UTF-8 with a byte-order mark (so spreadsheet programs read names such as
"Zoë" right) and `\\n` line ends; the same key gives the same bytes. A text cell that a
spreadsheet would run as a formula (one starting with `=`, `+`, `-`, `@`, a tab or a
carriage return, such as a roster name `=HYPERLINK(...)` or an expression `-x + 1`) is
written with a leading `'`, as OWASP recommends; numbers (`-0.25`) stay numbers.
`examgen grade` reads such a value without the quote.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping
from typing import Any

from generator import bank
from generator.answers import answer_type
from generator.problem import Problem

# What a spreadsheet program starts a formula (or a DDE command) with.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")

COLUMNS = ("variant", "student", "slot", "problem", "part", "field", "type", "value", "atol", "rtol",
           "points", "field_points")


def spreadsheet_safe(text: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula: text starting with a formula
    character (after any spaces) gets a leading `'` (OWASP's advice for CSV injection);
    a plain number such as -0.25 or 1e-05 is left as it is, so it stays a number."""
    if text.lstrip(" ")[:1] in FORMULA_STARTS and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def number_text(value: float) -> str:
    """A number as the shortest text that reads back to it: 3, 0.5, 0.3333333333333333."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def value_text(value: Any, kind: str = "real") -> str:
    """A key value as one CSV cell, as its answer type prints it: numbers plain, lists as JSON,
    strings as they are."""
    return answer_type(kind).csv_text(value)


def key_rows(document: Mapping[str, Any],
             load: Callable[[str], Problem] = bank.load) -> list[list[str]]:
    rows = []
    for variant in document["variants"]:
        name = (variant.get("student") or {}).get("name", "")
        for entry in variant["problems"]:
            problem = load(entry["id"])
            for part_name, part in entry["parts"].items():
                fields = part["fields"]
                share = part["points"] / len(fields) if fields else 0.0
                for field in fields:
                    answer = problem.answer(field)
                    tolerance = entry["tolerances"].get(field)
                    rows.append([
                        variant["key"], name, str(entry["slot"]), entry["id"], part_name, field, answer.type,
                        value_text(entry["answers"].get(field), answer.type),
                        number_text(tolerance["atol"]) if tolerance else "",
                        number_text(tolerance["rtol"]) if tolerance else "",
                        number_text(part["points"]), number_text(round(share, 10)),
                    ])
    return rows


def key_csv(document: Mapping[str, Any], load: Callable[[str], Problem] = bank.load) -> str:
    """The text of `key.csv` for a key document (see `generator.exports.key`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows([spreadsheet_safe(cell) for cell in row] for row in key_rows(document, load))
    return "\ufeff" + out.getvalue()
