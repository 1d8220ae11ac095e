"""The one error type the command line turns into a single clear line.

Every bad input (spec, roster, parameters, responses, templates) raises `ExamgenError`
with what is wrong, where (file, line or field) and how to fix it. The command layer
prints `str(error)` and exits 1; the traceback is shown only with `--debug`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ExamgenError(Exception):
    """A user-facing error: what is wrong, where, and how to fix it."""

    def __init__(self, what: str, where: str | None = None, fix: str | None = None):
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(self.line())

    def line(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        if self.fix:
            text += f"; {self.fix}"
        return text


class CompileError(ExamgenError):
    """pdflatex failed on a document; `where` names the variant, problem and template."""


def closest(name: str, known: Iterable[str], n: int = 3) -> str:
    """A 'did you mean ...' hint for a misspelt name, or '' when nothing is close."""
    known = list(known)
    matches = difflib.get_close_matches(name, known, n=n, cutoff=0.5)
    if not matches:
        # Short names (a topic, an id's tail) are better matched on their suffix.
        matches = [k for k in known if k.endswith("/" + name) or name in k][:n]
    if not matches:
        return ""
    return "did you mean " + " or ".join(f"'{m}'" for m in matches) + "?"
