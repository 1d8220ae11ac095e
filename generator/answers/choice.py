"""Choice questions: a field asked as options (A), (B), ... and answered by letters.

Any field whose type has a rule for plausible wrong values can be asked as a choice (spec
`form: choice`, see `generator.options`); its key entry then gets a choice record,

    {"options": [printed text, ...], "tex": [LaTeX, ...], "right": [0-based indices],
     "multi": false, "mistakes": {"<index>": mistake text}, "distractors": {"<index>": slip},
     "scoring": "all-or-nothing" | "partial" | "negative"}

and the field is graded by the type `single` (one right option) or `multiple` (a pool of
statements, any number of them true), whose value is that record. A response is the letters
marked: `C`, `ac`, `A,C`, `A C` (case, spaces and commas do not matter).

Scoring (a share of the field's points; n options, R the right ones, W the wrong ones, a
response marking the set M; an empty response is unanswered and scores 0 under every rule):

- single choice: 1 when M is exactly the right option. Otherwise 0 under `all-or-nothing`
  and `partial`; under `negative`, -1/(n-1): guessing at random then scores 0 on average.
- multiple answers: `all-or-nothing` 1 when M = R, else 0; `partial`
  max(0, |M & R|/|R| - |M & W|/|W|); `negative` the same without the floor at 0 (down to -1).

`statements` is the type of a field whose value is such a pool: a map from each statement
(LaTeX text, as printed) to whether it is true; it is always asked as a choice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from generator.answers.base import (
    EDGE_SLACK,
    Answer,
    AnswerType,
    QtiGap,
    Unreadable,
    cloze_text,
    plain,
    register,
)

SCORING = ("all-or-nothing", "partial", "negative")
MAX_OPTIONS = 26          # one letter each


def letter(index: int) -> str:
    return chr(ord("A") + index)


def letters(indices: Sequence[int]) -> str:
    return "".join(letter(i) for i in sorted(indices))


def read_letters(text: str, count: int) -> tuple[int, ...]:
    """The options a response marks, as sorted 0-based indices: `C`, `ac`, `A,C`, `(A) (C)`."""
    cleaned = re.sub(r"[\s,;/()]+", "", text)
    if not cleaned or not re.fullmatch(r"[A-Za-z]+", cleaned):
        raise Unreadable(f"is not option letters (A to {letter(count - 1)}), such as C or AC")
    indices = sorted({ord(c.upper()) - ord("A") for c in cleaned})
    beyond = [i for i in indices if i >= count]
    if beyond:
        raise Unreadable(f"marks option {letter(beyond[0])}, but the options are A to {letter(count - 1)}")
    return tuple(indices)


def score(record: Mapping[str, Any], marked: Sequence[int]) -> float:
    """The share of the points that marking `marked` earns (see the module docstring)."""
    marked_set = set(marked)
    if not marked_set:
        return 0.0
    count = len(record["options"])
    right = set(record["right"])
    wrong = set(range(count)) - right
    rule = record.get("scoring", "all-or-nothing")
    if marked_set == right:
        return 1.0
    if not record.get("multi"):
        return -1.0 / (count - 1) if rule == "negative" and count > 1 else 0.0
    if rule == "all-or-nothing":
        return 0.0
    value = len(marked_set & right) / len(right) - (len(marked_set & wrong) / len(wrong) if wrong else 0.0)
    return max(0.0, value) if rule == "partial" else max(-1.0, value)


def record_problem(record: Any) -> str | None:
    """Why a key's choice record cannot be graded (None when it can): for a hand-edited key."""
    if not isinstance(record, Mapping):
        return "expected a choice record {options, right, multi, mistakes, scoring}"
    options, right = record.get("options"), record.get("right")
    if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS \
            or not all(isinstance(o, str) for o in options):
        return f"options: expected a list of 2 to {MAX_OPTIONS} texts"
    if not isinstance(right, list) or not right or not all(type(i) is int and 0 <= i < len(options) for i in right) \
            or len(set(right)) != len(right):
        return f"right: expected a list of distinct option indices from 0 to {len(options) - 1}"
    if not isinstance(record.get("multi", False), bool) or (not record.get("multi") and len(right) != 1):
        return "multi: expected false with one right option, or true"
    if record.get("scoring", "all-or-nothing") not in SCORING:
        return f"scoring: expected one of {', '.join(SCORING)}"
    mistakes = record.get("mistakes", {})
    if not isinstance(mistakes, Mapping) or not all(isinstance(v, str) for v in mistakes.values()):
        return "mistakes: expected a map of option indices to texts"
    return None


def asked(answer: Answer, value: Any, record: Mapping[str, Any] | None) -> tuple[Answer, Any]:
    """The field as it is asked: a field with a choice record in the key is graded by the
    letters types (its value the record); any other field as it is."""
    if not record:
        return answer, value
    kind = "multiple" if record.get("multi") else "single"
    return Answer(answer.name, kind, answer.label, options=tuple(record["options"])), dict(record)


def _percent(value: float) -> str:
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def option_feedback(record: Mapping[str, Any], index: int) -> str:
    """What an option tells the student who marked it: right, or the mistake behind it."""
    if index in record["right"]:
        return "Right."
    mistake = record.get("mistakes", {}).get(str(index))
    if mistake:
        return f"Likely mistake: {mistake}."
    slip = record.get("distractors", {}).get(str(index))
    return f"Wrong ({slip})." if slip else "Wrong."


class _Letters(AnswerType):
    """A field asked as options, answered by letters; its key value is the choice record."""

    exact = True
    page_numeric = False
    how_to_write = "write the letter of the option you choose, e.g. C"

    def to_key(self, answer: Answer, value: Any) -> tuple[Any, Any]:
        return dict(value), None

    def parse(self, answer: Answer, text: str) -> tuple[int, ...]:
        return read_letters(text, max(1, len(answer.options)))

    def matches(self, answer: Answer, expected: Any, given: Any, atol: float = 0.0, rtol: float = 0.0,
                slack: float = EDGE_SLACK) -> bool:
        return isinstance(given, tuple | list) and set(given) == set(expected["right"])

    def score(self, expected: Any, given: Any) -> float | None:
        return score(expected, given)

    def named_mistakes(self, expected: Any, given: Any) -> list[str]:
        mistakes = expected.get("mistakes", {})
        return [mistakes[str(i)] for i in given if str(i) in mistakes]

    def csv_text(self, value: Any) -> str:
        return letters(value["right"]) if isinstance(value, Mapping) else super().csv_text(value)

    def show(self, value: Any) -> str:
        if isinstance(value, Mapping):
            return ", ".join(f"{letter(i)} ({value['options'][i]})" for i in value["right"])
        if isinstance(value, tuple | list) and all(isinstance(i, int) for i in value):
            return letters(value)
        return super().show(value)

    def tolerance_text(self, expected: Any, tolerance: dict[str, float] | None) -> str:
        rule = expected.get("scoring", "all-or-nothing") if isinstance(expected, Mapping) else "all-or-nothing"
        count = len(expected["options"]) if isinstance(expected, Mapping) else 0
        if rule == "negative" and not self.multi:
            return f"the right letter; negative marking: a wrong letter costs 1/{max(1, count - 1)} of the points"
        if self.multi and rule != "all-or-nothing":
            return (f"every true statement; {rule} marking: each right letter earns its share, each wrong "
                    "one takes a share away" + (", down to 0" if rule == "partial" else ""))
        return "the right letter" + ("s, all of them and no other" if self.multi else "")

    # -- Moodle: options as radio buttons (single) or checkboxes (multiple), in the key's
    # order (Moodle must not shuffle them: the letters are the key's), each with its feedback.
    def _fractions(self, record: Mapping[str, Any]) -> list[str]:
        count, right = len(record["options"]), set(record["right"])
        rule = record.get("scoring", "all-or-nothing")
        wrong_count = count - len(right)
        out = []
        for i in range(count):
            if i in right:
                out.append("=" if not self.multi else f"%{_percent(100 / len(right))}%")
            elif self.multi:
                # Moodle floors a question at 0 and cannot ask for all-or-nothing: a wrong
                # mark then takes everything away, partial and negative take 1/|W| each.
                out.append(f"%-{_percent(100 if rule == 'all-or-nothing' else 100 / max(1, wrong_count))}%")
            elif rule == "negative" and count > 1:
                out.append(f"%-{_percent(100 / (count - 1))}%")
            else:
                out.append("")
        return out

    def moodle_subquestion(self, answer: Answer, value: Any, weight: int,
                           alternatives: Sequence[tuple[Any, str]] = (),
                           tolerance: Mapping[str, float] | None = None) -> str:
        kind = "MULTIRESPONSE" if self.multi else "MULTICHOICE_V"
        options = [f"{fraction}{cloze_text(f'({letter(i)}) {text}')}#{cloze_text(option_feedback(value, i))}"
                   for i, (fraction, text) in enumerate(zip(self._fractions(value), value["options"], strict=True))]
        return f"{{{weight}:{kind}:{'~'.join(options)}}}"

    def qti_entries(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None = None,
                    alternatives: Sequence[tuple[Any, str]] = ()) -> list[QtiGap]:
        if not isinstance(value, Mapping):      # no choice record: the letters typed
            return [QtiGap("text", str(value), texts=(str(value),))]
        count = len(value["options"])
        return [QtiGap("letters", tuple(value["right"]),
                       options=tuple(f"({letter(i)}) {text}" for i, text in enumerate(value["options"])),
                       texts=(letters(value["right"]),), multi=bool(self.multi),
                       scoring=value.get("scoring", "all-or-nothing"),
                       feedback=tuple(option_feedback(value, i) for i in range(count)))]

    def page_choices(self, answer: Answer) -> list[str]:
        return [] if self.multi else [letter(i) for i in range(len(answer.options))]

    def page_check(self, answer: Answer, tolerance: Mapping[str, float] | None = None) -> dict[str, Any]:
        return {"compare": "word"}

    def page_view(self, answer: Answer, value: Any, dom: str, alternatives: Sequence[tuple[Any, str]] = (),
                  tolerance: Mapping[str, float] | None = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The options as radio buttons (single) or checkboxes (multiple), labelled (A), (B), ...;
        each option's `tex` (LaTeX, text mode) is for the page to render as it renders maths.
        The check scores the marked set as `score` does and names the mistake (or slip) behind
        each wrong option marked; mistakes in the typed sense do not apply to letters."""
        if not isinstance(value, Mapping):      # no choice record: the letters typed
            return super().page_view(answer, value, dom, (), tolerance)
        view, _ = super().page_view(answer, "", dom, (), tolerance)
        ids = [f"{dom}-{letter(i)}" for i in range(len(value["options"]))]
        view.update(grids=[], options=[], numeric=False, preview=False, multi=bool(self.multi),
                    choices=[{"id": ids[i], "letter": letter(i), "text": text,
                              "tex": tex if self.multi else f"${tex}$"}
                             for i, (text, tex) in enumerate(zip(value["options"], value.get("tex", value["options"]),
                                                                 strict=True))])
        check = {"compare": "letters", "entries": ids, "right": list(value["right"]), "multi": bool(self.multi),
                 "scoring": value.get("scoring", "all-or-nothing"), "mistakes_at": dict(value.get("mistakes", {})),
                 "slips_at": dict(value.get("distractors", {})), "partial": False, "alternatives": []}
        return view, check


@register
class Single(_Letters):
    name = "single"


@register
class Multiple(_Letters):
    name = "multiple"
    multi = True
    how_to_write = "write the letters of every option you mark, e.g. AC"


@register
class Statements(AnswerType):
    """A pool of statements, each true or false: solve returns {statement: bool}, in the order
    the problem lists them; the key keeps that map. Always asked as a choice (`multiple`)."""

    name = "statements"
    exact = True
    always_choice = True
    multi = True
    page_numeric = False
    how_to_write = "write the letters of every true statement, e.g. AC"

    def to_key(self, answer: Answer, value: Any) -> tuple[Any, Any]:
        value = plain(value)
        if not isinstance(value, dict) or not value \
                or not all(isinstance(k, str) and isinstance(v, bool) for k, v in value.items()):
            raise ValueError(f"{answer.name}: expected a map of statements to true/false, got {value!r}")
        if not any(value.values()):
            raise ValueError(f"{answer.name}: no statement is true (a choice needs at least one right option)")
        return dict(value), None

    def parse(self, answer: Answer, text: str) -> Any:
        raise Unreadable("is asked as a choice: write the letters of the true statements")

    def matches(self, answer: Answer, expected: Any, given: Any, atol: float = 0.0, rtol: float = 0.0,
                slack: float = EDGE_SLACK) -> bool:
        given = plain(given)
        return isinstance(given, dict) and given == expected

    def option_print(self, answer: Answer, values: Sequence[Any], precision: Any) -> list[tuple[Any, str, str]]:
        return [(v, str(v), str(v)) for v in values]

    def moodle_subquestion(self, answer: Answer, value: Any, weight: int,
                           alternatives: Sequence[tuple[Any, str]] = (),
                           tolerance: Mapping[str, float] | None = None) -> str:
        record = {"options": list(value), "right": [i for i, v in enumerate(value.values()) if v], "multi": True,
                  "scoring": "partial"}
        return Multiple().moodle_subquestion(answer, record, weight)

    def qti_entries(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None = None,
                    alternatives: Sequence[tuple[Any, str]] = ()) -> list[QtiGap]:
        right = letters([i for i, v in enumerate(value.values()) if v])
        return [QtiGap("text", right, texts=(right,))]

    def page_check(self, answer: Answer, tolerance: Mapping[str, float] | None = None) -> dict[str, Any]:
        return {"compare": "word"}
