"""Answers picked from a few values: bool, bools (a list of true/false) and choice."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from generator.answers import reading
from generator.answers.base import (
    EDGE_SLACK,
    Answer,
    AnswerType,
    QtiGap,
    Unreadable,
    cloze_text,
    moodle_label,
    plain,
    register,
)
from generator.i18n import Text


def _multichoice(weight: int, options: Sequence[str], right: str) -> str:
    marked = [("=" if option == right else "") + cloze_text(option) for option in options]
    return f"{{{weight}:MULTICHOICE:{'~'.join(marked)}}}"


def _word(value: bool) -> str:
    return "true" if value else "false"


@register
class Bool(AnswerType):
    name = "bool"
    exact = True
    how_to_write = "write true or false"
    page_options = ("true", "false")
    page_numeric = False

    def to_key(self, answer: Answer, value: Any) -> tuple[Any, Any]:
        value = plain(value)
        if not isinstance(value, bool):
            raise ValueError(f"{answer.name}: expected a bool, got {value!r}")
        return value, None

    def parse(self, answer: Answer, text: str) -> bool:
        return reading.read_bool(text)

    def matches(self, answer: Answer, expected: Any, given: Any, atol: float = 0.0, rtol: float = 0.0,
                slack: float = EDGE_SLACK) -> bool:
        given = plain(given)
        return isinstance(given, bool) and given == expected

    def moodle_subquestion(self, answer: Answer, value: Any, weight: int,
                           alternatives: Sequence[tuple[Any, str]] = (),
                           tolerance: Mapping[str, float] | None = None) -> str:
        return _multichoice(weight, self.page_options, _word(value))

    def qti_entries(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None = None,
                    alternatives: Sequence[tuple[Any, str]] = ()) -> list[QtiGap]:
        return [QtiGap("option", _word(value), options=self.page_options)]

    def page_check(self, answer: Answer, tolerance: Mapping[str, float] | None = None) -> dict[str, Any]:
        return {"compare": "word"}

    # -- asked as a choice: the other value; the options print as words
    choosable = True

    def distractors(self, answer: Answer, value: Any) -> list[tuple[Any, str]]:
        return [(not value, "the opposite")]

    def option_print(self, answer: Answer, values: Sequence[Any], precision: Any) -> list[tuple[Any, str, str]]:
        return [(v, self.csv_text(v), r"\text{" + self.csv_text(v) + "}") for v in values]


@register
class Bools(Bool):
    name = "bools"
    how_to_write = "write a list of true/false, e.g. [true, false, true] or true false true"
    page_layout = "vector"
    partial = True

    def entry_matches(self, answer: Answer, expected: Any, given: Any, atol: float = 0.0, rtol: float = 0.0,
                      slack: float = EDGE_SLACK) -> bool:
        return Bool.matches(self, answer, expected, given)

    def to_key(self, answer: Answer, value: Any) -> tuple[Any, Any]:
        value = plain(value)
        if not isinstance(value, list) or not all(isinstance(v, bool) for v in value):
            raise ValueError(f"{answer.name}: expected a list of bools, got {value!r}")
        return value, None

    def parse(self, answer: Answer, text: str) -> list[bool]:
        return reading.read_list(text, 1, reading.read_bool)

    def matches(self, answer: Answer, expected: Any, given: Any, atol: float = 0.0, rtol: float = 0.0,
                slack: float = EDGE_SLACK) -> bool:
        given = plain(given)
        return (isinstance(given, list) and len(given) == len(expected)
                and all(isinstance(g, bool) and g == e for g, e in zip(given, expected, strict=True)))

    def csv_text(self, value: Any) -> str:
        return "[" + ", ".join(_word(v) for v in value) + "]" if isinstance(value, list) else super().csv_text(value)

    def entries(self, value: Any) -> list[Any]:
        return list(value)

    def count_note(self, expected: Any, given: Any) -> str:
        try:
            value = reading.read_list(str(given), 1, lambda text: text)
        except Unreadable:
            return ""
        if isinstance(expected, list) and len(value) != len(expected):
            return Text(" (the key has %(key)s entries, your answer %(yours)s)", key=len(expected), yours=len(value))
        return ""

    def moodle_field(self, answer: Answer, value: Any, weights: Sequence[int],
                     alternatives: Sequence[tuple[Any, str]] = (),
                     tolerance: Mapping[str, float] | None = None) -> str:
        label = moodle_label(answer.label or answer.name)
        cells = [_multichoice(w, self.page_options, _word(v)) for v, w in zip(value, weights, strict=True)]
        return f'<p class="examgen-field">{label}: ({", ".join(cells)})</p>'

    def qti_entries(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None = None,
                    alternatives: Sequence[tuple[Any, str]] = ()) -> list[QtiGap]:
        return [QtiGap("option", _word(v), options=self.page_options, label=f"entry {j + 1}")
                for j, v in enumerate(value)]

    def page_grids(self, answer: Answer, value: Any) -> list[tuple[int, int, str]]:
        return [(1, len(value), "")]

    def distractors(self, answer: Answer, value: Any) -> list[tuple[Any, str]]:
        out = [([(not v) if j == i else v for j, v in enumerate(value)], f"entry {i + 1} the other way")
               for i in range(len(value))]
        return out + [([not v for v in value], "every entry the other way")]


@register
class Choice(AnswerType):
    name = "choice"
    exact = True
    how_to_write = "write one of the options"
    page_numeric = False

    def to_key(self, answer: Answer, value: Any) -> tuple[Any, Any]:
        text = str(plain(value))
        if answer.options and text not in answer.options:
            raise ValueError(f"{answer.name}: {text!r} is not one of {answer.options}")
        return text, None

    def parse(self, answer: Answer, text: str) -> str:
        value = text.strip()
        if answer.options and value.lower() not in (o.lower() for o in answer.options):
            raise Unreadable(f"is not one of the options {', '.join(answer.options)}")
        return value

    def matches(self, answer: Answer, expected: Any, given: Any, atol: float = 0.0, rtol: float = 0.0,
                slack: float = EDGE_SLACK) -> bool:
        return str(given).strip().lower() == str(expected).strip().lower()

    def moodle_subquestion(self, answer: Answer, value: Any, weight: int,
                           alternatives: Sequence[tuple[Any, str]] = (),
                           tolerance: Mapping[str, float] | None = None) -> str:
        if answer.options:
            return _multichoice(weight, answer.options, value)
        # Without listed options: the text, compared case-insensitively by Moodle.
        return f"{{{weight}:SHORTANSWER:={cloze_text(value, wildcard=True)}}}"

    def qti_entries(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None = None,
                    alternatives: Sequence[tuple[Any, str]] = ()) -> list[QtiGap]:
        if answer.options:
            return [QtiGap("option", value, options=tuple(answer.options))]
        return [QtiGap("text", value, texts=(value,))]

    def page_choices(self, answer: Answer) -> list[str]:
        return list(answer.options)

    def page_check(self, answer: Answer, tolerance: Mapping[str, float] | None = None) -> dict[str, Any]:
        return {"compare": "word"}

    # -- asked as a choice: the other declared options, printed as they are
    choosable = True

    def chooses(self, answer: Answer) -> bool:
        return bool(answer.options)  # free text has no other options to offer

    def distractors(self, answer: Answer, value: Any) -> list[tuple[Any, str]]:
        return [(o, "another of the options") for o in answer.options if o.lower() != str(value).lower()]

    def option_print(self, answer: Answer, values: Sequence[Any], precision: Any) -> list[tuple[Any, str, str]]:
        from generator.render import text

        return [(v, str(v), r"\text{" + text(str(v)) + "}") for v in values]
