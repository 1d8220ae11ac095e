"""Formulas (`expr`): sympy-syntax text in the key, compared numerically (see `reading`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
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

    # -- asked as a choice: a swapped operator or sign, one at a time, as a student slips
    choosable = True

    def distractors(self, answer: Answer, value: Any) -> list[tuple[Any, str]]:
        text = str(value)
        out: list[tuple[Any, str]] = []
        swaps = {"+": ("-", "a + written as -"), "-": ("+", "a - written as +"),
                 "*": ("/", "a product written as a quotient"), "/": ("*", "a quotient written as a product")}
        sums = {"*": ("+", "a product written as a sum")}
        for i, char in enumerate(text):
            if char not in swaps or text[i:i + 2] == "**" or text[i - 1:i + 1] == "**":
                continue
            if char == "-" and (i == 0 or text[:i].rstrip()[-1:] in "(*/+-,"):
                out.append((text[:i] + text[i + 1:], "a sign dropped"))  # a unary minus
                continue
            for other, why in (swaps[char], *([sums[char]] if char in sums else [])):
                out.append((text[:i] + other + text[i + 1:], why))
        out += [(f"-({text})", "the sign flipped"), (f"2*({text})", "a factor 2 too large"),
                (f"({text})/2", "a factor 2 too small")]
        good = []
        for formula, why in out:
            try:
                reading.parse_formula(formula)
            except reading.Unreadable:
                continue
            good.append((formula, why))
        return good

    def option_print(self, answer: Answer, values: Sequence[Any], precision: Any) -> list[tuple[Any, str, str]]:
        """Every option through one printer: the normalised text, and its LaTeX by sympy."""
        out = []
        for value in values:
            text = reading.normalise(str(value)).replace("^", "**")
            out.append((text, text, _option_tex(text)))
        return out


@lru_cache(maxsize=4096)
def _option_tex(text: str) -> str:
    """A formula option's LaTeX (sympy's printer costs a millisecond: each text printed once)."""
    from generator.render import sym

    try:
        return sym(text)
    except Exception:  # sympy cannot read every formula our reader takes: shown as typed
        return r"\texttt{" + text.replace("_", r"\_") + "}"
