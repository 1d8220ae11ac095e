"""The one error type the command line turns into a single clear line.

Every bad input (spec, roster, parameters, responses, templates) raises `ExamgenError`
with what is wrong, where (file, line or field) and how to fix it. The command layer
prints `str(error)` and exits 1; the traceback is shown only with `--debug`.

A message never echoes a user's text whole: `shown()` cuts a value put into a message,
and every part of an error is bounded as a last resort (a 300 KB title must not become a
300 KB error line). `grouped()` folds repeated warnings into a few lines.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Hashable, Iterable
from typing import Any

# How much of a user's value a message quotes, and how long one part of an error may be.
SHOWN_CHARS = 60
MAX_PART_CHARS = 500


def cut(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text` cut to `limit` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def shown(value: Any, limit: int = SHOWN_CHARS) -> str:
    """A user's value as a message quotes it: its repr, cut to `limit` characters.

    Huge ints are described, not converted (Python refuses to print ints of more than
    4300 digits, and the digits would not help the reader)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"a number of about {int(value.bit_length() * 0.30103)} digits"
    try:
        text = repr(value)
    except (ValueError, RecursionError):
        return f"a {type(value).__name__} too large to show"
    return cut(text, limit)


class ExamgenError(Exception):
    """A user-facing error: what is wrong, where, and how to fix it."""

    def __init__(self, what: str, where: str | None = None, fix: str | None = None):
        self.what = cut(what, MAX_PART_CHARS)
        self.where = cut(where, MAX_PART_CHARS) if where else where
        self.fix = cut(fix, MAX_PART_CHARS) if fix else fix
        super().__init__(self.line())

    def line(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text += f"; {self.fix}"
        # One line, whatever user text got into it.
        return text.replace("\r", " ").replace("\n", " ")


class CompileError(ExamgenError):
    """pdflatex failed on a document; `where` names the variant, problem and template."""


def closest(name: str, known: Iterable[str], n: int = 3) -> str:
    """A 'did you mean ...' hint for a misspelt name, or '' when nothing is close."""
    known = list(known)
    name = cut(name, 200)  # difflib is quadratic: a huge typo is matched by its start
    matches = difflib.get_close_matches(name, known, n=n, cutoff=0.5)
    if not matches:
        # Short names (a topic, an id's tail) are better matched on their suffix.
        matches = [k for k in known if k.endswith("/" + name) or name in k][:n]
    if not matches:
        return ""
    return "did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"


_VARIABLE = re.compile(r"'[^']*'|\"[^\"]*\"|\d+(?:\.\d+)?")


def _shape(warning: str) -> str:
    """A warning with its quoted names and numbers blanked: warnings of one kind share it."""
    return _VARIABLE.sub("_", warning)


def grouped(warnings: Iterable[str], shown_per_kind: int = 3,
            kind: Callable[[str], Hashable] = _shape) -> list[str]:
    """Warnings with repeats folded: the first `shown_per_kind` of each kind, in order, then
    one line '… and 5,000 more like this' where the rest of that kind would have been.

    Two warnings are of one kind when `kind` maps them to the same value; by default when they
    differ only in quoted names and numbers ("unknown student 's1'" / "... 's2'")."""
    items = list(warnings)
    counts: dict[Hashable, int] = {}
    kinds = [kind(w) for w in items]
    for k in kinds:
        counts[k] = counts.get(k, 0) + 1
    out: list[str] = []
    seen: dict[Hashable, int] = {}
    for warning, k in zip(items, kinds, strict=True):
        seen[k] = seen.get(k, 0) + 1
        if seen[k] <= shown_per_kind:
            out.append(warning)
        elif seen[k] == shown_per_kind + 1:
            out.append(f"… and {counts[k] - shown_per_kind:,} more like this")
    return out
