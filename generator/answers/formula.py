"""Formulas (`expr`): sympy-syntax text in the key, compared numerically (see `reading`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from generator.answers import reading
from generator.answers.base import (
    EDGE_SLACK,
    Answer,
    AnswerType,
    Exact,
    QtiGap,
    cloze_text,
    plain,
    register,
)
from generator.i18n import Text


@register
class Expr(AnswerType):
    name = "expr"
    exact = True
    how_to_write = "write an expression such as 2*x + sqrt(y)"
    page_numeric = False
    page_preview = True

    def to_key(self, answer: Answer, value: Any) -> tuple[Any, Any]:
        value = plain(value)
        return (value.text if isinstance(value, Exact) else str(value)), None

    def parse(self, answer: Answer, text: str) -> str:
        """The text, checked to be a formula of the answer's symbols and the known functions;
        bounded in length and nesting (`reading.parse_formula`)."""
        tree = reading.parse_formula(text)
        unknown = sorted(reading.names(tree) - set(answer.symbols))
        if unknown:
            raise reading.Unreadable(f"uses the unknown name '{unknown[0]}' (use {', '.join(answer.symbols) or 'numbers only'})")
        if not reading.finite_somewhere(tree, answer.symbols):
            raise reading.Unreadable("has no finite value (a power too large?)")
        return reading.normalise(text).replace("^", "**")

    def matches(self, answer: Answer, expected: Any, given: Any, atol: float = 0.0, rtol: float = 0.0,
                slack: float = EDGE_SLACK) -> bool:
        try:
            return reading.formulas_equal(str(expected), str(given), answer.symbols)
        except reading.Unreadable:
            return False

    def tolerance_text(self, expected: Any, tolerance: dict[str, float] | None) -> str:
        return Text("any equivalent formula (compared at a few points)")

    def moodle_subquestion(self, answer: Answer, value: Any, weight: int,
                           alternatives: Sequence[tuple[Any, str]] = (),
                           tolerance: Mapping[str, float] | None = None) -> str:
        # Moodle compares SHORTANSWER text (case-insensitively), not formulas: a right formula
        # written differently needs a manual regrade there.
        # The key's text, and the spellings students use most: ^ for **, no spaces.
        spellings = dict.fromkeys([value, value.replace("**", "^"), "".join(value.split()),
                                   "".join(value.replace("**", "^").split())])
        options = [f"={cloze_text(text, wildcard=True)}" for text in spellings]
        options += [f"={cloze_text(v, wildcard=True)}#{cloze_text('right under the convention: ' + c)}"
                    for v, c in alternatives]
        return f"{{{weight}:SHORTANSWER:{'~'.join(options)}}}"

    def qti_entries(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None = None,
                    alternatives: Sequence[tuple[Any, str]] = ()) -> list[QtiGap]:
        # Compared as text by every QTI LMS (none compares formulas): the key's text and the
        # spellings students use most, as for Moodle; a right formula written otherwise needs
        # a manual regrade.
        spellings = [value, value.replace("**", "^"), "".join(value.split()), "".join(value.replace("**", "^").split())]
        spellings += [v for v, _ in alternatives]
        return [QtiGap("text", value, texts=tuple(dict.fromkeys(spellings)))]

    def page_check(self, answer: Answer, tolerance: Mapping[str, float] | None = None) -> dict[str, Any]:
        return {"compare": "formula", "symbols": list(answer.symbols)}
