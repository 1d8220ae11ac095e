"""Numbers and lists of numbers: int, shape (exact) and real, vector, matrix, matrices (tolerance)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from generator.answers import reading
from generator.answers.base import (
    EDGE_SLACK,
    Answer,
    AnswerType,
    Exact,
    QtiGap,
    Unreadable,
    close,
    flatten,
    moodle_label,
    moodle_number,
    moodle_tolerance,
    number_spellings,
    plain,
    register,
    structure,
    tolerance_text,
)
from generator.i18n import Text


def _number(value: Any) -> Any:
    if isinstance(value, Exact):
        return value.value
    if isinstance(value, list):
        return [_number(v) for v in value]
    return value


def _exact_text(value: Any) -> Any:
    """The sympy text of a value that has a non-trivial closed form, else None."""
    if isinstance(value, Exact):
        return value.text
    if isinstance(value, list):
        texts = [_exact_text(v) for v in value]
        if any(t is not None for t in texts):
            return [t if t is not None else _plain_text(v) for t, v in zip(texts, value, strict=True)]
    return None


def _plain_text(value: Any) -> Any:
    if isinstance(value, list):
        return [_plain_text(v) for v in value]
    return str(value)


def _floats(value: Any) -> Any:
    if isinstance(value, list):
        return [_floats(v) for v in value]
    if isinstance(value, int):
        return value  # ints stay ints: 3, not 3.0, in a vector of counts
    return float(value)


def _tolerances(answer: Answer, tolerance: Mapping[str, float] | None) -> tuple[float, float]:
    """(atol, rtol): the key's when given (the exam's precision may set them), else the answer's."""
    if tolerance is None:
        return answer.atol, answer.rtol
    return float(tolerance["atol"]), float(tolerance["rtol"])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Numbers(AnswerType):
    """Shared by every numeric type: `depth` 0 is a scalar, 1 a list, 2 a matrix, 3 matrices."""

    depth: ClassVar[int] = 0
    whole: ClassVar[bool] = False
    example: ClassVar[str] = ""

    @property
    def how_to_write(self) -> str:  # type: ignore[override]
        return self.example

    def _read_entry(self, text: str) -> float | int:
        return reading.read_number(text, whole=self.whole)

    def parse(self, answer: Answer, text: str) -> Any:
        if self.depth == 0:
            return self._read_entry(text)
        return reading.read_list(text, self.depth, self._read_entry)

    def _shape_ok(self, value: Any) -> bool:
        probe = value
        for _ in range(self.depth):
            if not isinstance(probe, list):
                return False
            probe = probe[0] if probe else 0
        return not isinstance(probe, list)

    def entries(self, value: Any) -> list[Any]:
        return flatten(value)

    def count_note(self, expected: Any, given: Any) -> str:
        if self.depth == 0 or not isinstance(expected, list):
            return ""
        try:
            value = reading.read_list(str(given), 1, lambda text: text)
        except Unreadable:
            return ""
        if len(value) != len(expected):
            return Text(" (the key has %(key)s entries, your answer %(yours)s)", key=len(expected), yours=len(value))
        return ""

    # -- Moodle: one NUMERICAL blank per entry
    def _blank_tolerance(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None) -> str:
        atol, rtol = _tolerances(answer, tolerance)
        return tolerance_text(moodle_tolerance(float(value), atol, rtol))

    def moodle_subquestion(self, answer: Answer, value: Any, weight: int,
                           alternatives: Sequence[tuple[Any, str]] = (),
                           tolerance: Mapping[str, float] | None = None) -> str:
        options = [f"={moodle_number(value)}:{self._blank_tolerance(answer, value, tolerance)}"]
        for other, convention in alternatives:
            feedback = reading_feedback(convention)
            options.append(f"={moodle_number(other)}:{self._blank_tolerance(answer, other, tolerance)}#{feedback}")
        return f"{{{weight}:NUMERICAL:{'~'.join(options)}}}"

    def moodle_field(self, answer: Answer, value: Any, weights: Sequence[int],
                     alternatives: Sequence[tuple[Any, str]] = (),
                     tolerance: Mapping[str, float] | None = None) -> str:
        if self.depth == 0:
            return super().moodle_field(answer, value, weights, alternatives, tolerance)
        label = moodle_label(answer.label or answer.name)
        flat_alternatives = [(flatten(v), c) for v, c in alternatives]

        def blank(index: int, entry: Any) -> str:
            others = [(v[index], c) for v, c in flat_alternatives if v[index] != entry]
            return self.moodle_subquestion(answer, entry, weights[index], others, tolerance)

        if self.depth == 1:
            cells = [blank(i, v) for i, v in enumerate(value)]
            return f'<p class="examgen-field">{label}: ({", ".join(cells)})</p>'
        matrices = value if self.depth == 3 else [value]
        tables, index = [], 0
        for matrix in matrices:
            rows = []
            for row in matrix:
                cells = []
                for v in row:
                    cells.append(f"<td>{blank(index, v)}</td>")
                    index += 1
                rows.append("<tr>" + "".join(cells) + "</tr>")
            tables.append('<table class="examgen-matrix">' + "".join(rows) + "</table>")
        return f'<div class="examgen-field"><p>{label}:</p>{"".join(tables)}</div>'

    # -- QTI: one numeric gap per entry
    def _gap_tolerance(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None) -> float:
        atol, rtol = _tolerances(answer, tolerance)
        return moodle_tolerance(float(value), atol, rtol)

    def _entry_labels(self, value: Any) -> list[str]:
        if self.depth == 0:
            return [""]
        if self.depth == 1:
            return [f"entry {j + 1}" for j in range(len(value))]
        matrices = value if self.depth == 3 else [value]
        return [(f"matrix {k + 1}, " if self.depth == 3 else "") + f"row {i + 1}, column {j + 1}"
                for k, matrix in enumerate(matrices) for i, row in enumerate(matrix) for j in range(len(row))]

    def qti_entries(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None = None,
                    alternatives: Sequence[tuple[Any, str]] = ()) -> list[QtiGap]:
        flat_others = [flatten(v) for v, _ in alternatives]
        out = []
        for index, (entry, label) in enumerate(zip(flatten(value), self._entry_labels(value), strict=True)):
            bound = self._gap_tolerance(answer, entry, tolerance)
            others = tuple(dict.fromkeys((o[index], self._gap_tolerance(answer, o[index], tolerance))
                                         for o in flat_others if o[index] != entry))
            texts = [t for v, b in ((entry, bound), *others) for t in number_spellings(v, b)]
            out.append(QtiGap("numeric", entry, bound, texts=tuple(dict.fromkeys(texts)), alternatives=others,
                              label=label, whole=self.whole))
        return out

    # -- the page
    @property
    def page_layout(self) -> str:  # type: ignore[override]
        return ("scalar", "vector", "matrix", "matrix")[self.depth]

    def page_grids(self, answer: Answer, value: Any) -> list[tuple[int, int, str]]:
        if self.depth == 0:
            return [(1, 1, "")]
        if self.depth == 1:
            return [(1, len(value), "")]
        if self.depth == 2:
            return [(len(value), len(value[0]) if value else 0, "")]
        return [(len(m), len(m[0]) if m else 0, f", matrix {k + 1}") for k, m in enumerate(value)]

    # -- asked as a choice: the slips of a number or list (see `_number_slips`, `_list_slips`)
    choosable = True

    def distractors(self, answer: Answer, value: Any) -> list[tuple[Any, str]]:
        slips = _number_slips(value, self.whole) if self.depth == 0 else _list_slips(value, self.depth, self.whole)
        return [(v, why) for v, why in slips if v is not None]


def reading_feedback(convention: str) -> str:
    from generator.answers.base import cloze_text

    return cloze_text(f"right under the convention: {convention}")


class _Exact(_Numbers):
    """Whole numbers compared exactly (46 and 46.0 are equal)."""

    exact = True
    whole = True

    def to_key(self, answer: Answer, value: Any) -> tuple[Any, Any]:
        number = _number(plain(value))
        try:
            ints = [int(v) for v in number] if self.depth else int(number)
        except (TypeError, ValueError):
            raise ValueError(f"{answer.name}: expected integers, got {number!r}") from None
        if ints != number:
            raise ValueError(f"{answer.name}: expected integers, got {number!r}")
        return ints, None

    def matches(self, answer: Answer, expected: Any, given: Any, atol: float = 0.0, rtol: float = 0.0,
                slack: float = EDGE_SLACK) -> bool:
        given = _number(plain(given))
        if structure(given) != structure(expected):
            return False
        return all(_is_number(g) and g == e for g, e in zip(flatten(given), flatten(expected), strict=True))

    def _blank_tolerance(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None) -> str:
        return "0"

    def _gap_tolerance(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None) -> float:
        return 0.0

    def page_check(self, answer: Answer, tolerance: Mapping[str, float] | None = None) -> dict[str, Any]:
        return {"compare": "whole"}

    def option_print(self, answer: Answer, values: Sequence[Any], precision: Any) -> list[tuple[Any, str, str]]:
        """Whole numbers print as they are: one form for every option."""
        from generator.render import _group

        out = []
        for value in values:
            text, _ = _layout(value, self.depth, str)
            _, tex = _layout(value, self.depth, lambda v: _group(str(v)))
            out.append((value, text, tex))
        return out


@register
class Int(_Exact):
    name = "int"
    example = "write a whole number, e.g. 42"


@register
class Shape(_Exact):
    name = "shape"
    depth = 1
    example = "write a JSON list, e.g. [46, 62, 20]"


class _Tolerant(_Numbers):
    default_tolerance = True

    def to_key(self, answer: Answer, value: Any) -> tuple[Any, Any]:
        value = plain(value)
        number = _number(value)
        if not self._shape_ok(number):
            raise ValueError(f"{answer.name}: expected a {self.name}, got {number!r}")
        return _floats(number), _exact_text(value)

    def matches(self, answer: Answer, expected: Any, given: Any, atol: float, rtol: float,
                slack: float = EDGE_SLACK) -> bool:
        given = _number(plain(given))
        if structure(given) != structure(expected):
            return False
        return all(_is_number(g) and close(float(e), float(g), atol, rtol, slack)
                   for e, g in zip(flatten(expected), flatten(given), strict=True))

    def tolerance_text(self, expected: Any, tolerance: dict[str, float] | None) -> str:
        tolerance = tolerance or {"atol": 0.0, "rtol": 0.0}
        atol, rtol = tolerance["atol"], tolerance["rtol"]
        if _is_number(expected):
            bound = atol + rtol * abs(expected)
            return Text("right within +/- %(bound)s (atol %(atol)s + rtol %(rtol)s x |value|)",
                        bound=format(bound, ".6g"), atol=format(atol, "g"), rtol=format(rtol, "g"))
        return Text("each entry right within atol %(atol)s + rtol %(rtol)s x |entry|", atol=format(atol, "g"),
                    rtol=format(rtol, "g"))

    def page_check(self, answer: Answer, tolerance: Mapping[str, float] | None = None) -> dict[str, Any]:
        atol, rtol = _tolerances(answer, tolerance)
        return {"compare": "close", "atol": atol, "rtol": rtol}

    def option_print(self, answer: Answer, values: Sequence[Any], precision: Any) -> list[tuple[Any, str, str]]:
        """Decimals print with one number of decimal places, enough for the exam's precision in
        every entry of every option (so the number of digits tells nothing)."""
        entries = [float(e) for v in values for e in flatten(v)]
        decimals = max((precision.places(e) for e in entries), default=0)

        def rounded(value: Any) -> Any:
            return [rounded(v) for v in value] if isinstance(value, list) else float(_fixed(float(value), decimals))

        out = []
        for value in values:
            shown = rounded(value)
            text, tex = _layout(shown, self.depth, lambda v: _fixed(v, decimals))
            out.append((shown, text, tex))
        return out


@register
class Real(_Tolerant):
    name = "real"
    example = "write a number with a decimal point, e.g. -0.25 or 1/3"


@register
class Vector(_Tolerant):
    name = "vector"
    partial = True
    depth = 1
    example = "write a JSON list, e.g. [0.5, -1, 2]"


@register
class Matrix(_Tolerant):
    name = "matrix"
    partial = True
    depth = 2
    example = "write a list of rows, e.g. [[1, 2], [3, 4]]"


@register
class Matrices(_Tolerant):
    name = "matrices"
    partial = True
    depth = 3
    example = "write a list of matrices, e.g. [[[1, 0], [0, 1]]]"


# ---------------------------------------------------------------- asked as a choice

def _scaled(value: Any, factor: float, whole: bool) -> Any:
    """Every entry times `factor`; None when a whole-number entry would stop being whole."""
    if isinstance(value, list):
        out = [_scaled(v, factor, whole) for v in value]
        return None if any(o is None for o in out) else out
    result = value * factor
    if whole:
        return int(result) if float(result).is_integer() else None
    return float(result)


def _shifted(value: Any, step: int | float, whole: bool) -> Any:
    return value + step if whole else float(value + step)


def _transposed(matrix: list[list[Any]]) -> list[list[Any]]:
    return [list(column) for column in zip(*matrix, strict=True)]


def _number_slips(value: Any, whole: bool) -> list[tuple[Any, str]]:
    """The slips of one number, most plausible first."""
    if whole:  # counts and sizes: a negative one is ruled out at a glance, so the sign comes last
        return [(value + 1, "one too many"), (value - 1, "one too few"),
                (_scaled(value, 2, whole), "a factor 2 too large"), (_scaled(value, 0.5, whole), "a factor 2 too small"),
                (value + 2, "off by two"), (value - 2, "off by two"), (_scaled(value, 10, whole), "a factor 10 too large"),
                (-value, "the sign flipped")]
    out: list[tuple[Any, str]] = [(_scaled(value, -1, whole), "the sign flipped")]
    if not whole:
        out += [(_scaled(value, 2, whole), "a factor 2 too large"), (_scaled(value, 0.5, whole), "a factor 2 too small"),
                (_scaled(value, 10, whole), "a decimal point slipped, 10 times too large"),
                (_scaled(value, 0.1, whole), "a decimal point slipped, 10 times too small"),
                (_shifted(value, 1, whole), "off by one"), (_shifted(value, -1, whole), "off by one")]
        if value != 0:
            out.append((1.0 / value, "the reciprocal"))
        else:  # a zero comes from terms that cancel: a slip leaves one of them
            out += [(0.5, "the terms not cancelling"), (-0.5, "the terms not cancelling"),
                    (2.0, "the terms not cancelling"), (-2.0, "the terms not cancelling")]
    return out


def _list_slips(value: list[Any], depth: int, whole: bool) -> list[tuple[Any, str]]:
    """The slips of a vector, matrix or list of matrices, most plausible first."""
    # sizes (whole lists) never flip sign: a negative size is no plausible answer
    # A transpose of a square matrix looks like any other answer; of another one it has the
    # wrong shape, which gives it away, so it comes last.
    square = all(m and len(m) == len(m[0]) for m in (value if depth == 3 else [value])) if depth >= 2 else False
    transposed: list[tuple[Any, str]] = []
    if depth == 2 and value and value[0]:
        transposed = [(_transposed(value), "transposed")]
    elif depth == 3 and all(m and m[0] for m in value):
        transposed = [([_transposed(m) for m in value], "each matrix transposed")]
    out: list[tuple[Any, str]] = transposed if square else []
    if depth == 1:
        out.append((list(reversed(value)), "the entries in reverse order"))
    out += [(_scaled(value, 2, whole), "a factor 2 too large"), (_scaled(value, 0.5, whole), "a factor 2 too small")]
    flat = flatten(value)

    def rebuild(entries: list[Any]) -> Any:
        it = iter(entries)

        def fill(shape: Any) -> Any:
            return [fill(s) for s in shape] if isinstance(shape, list) else next(it)
        return fill(value)

    for i, entry in enumerate(flat[:6]):
        if entry != 0 and not whole:
            out.append((rebuild([(_scaled(e, -1, whole) if j == i else e) for j, e in enumerate(flat)]),
                        f"the sign of entry {i + 1} flipped"))
        if whole:
            out.append((rebuild([(e + 1 if j == i else e) for j, e in enumerate(flat)]), f"entry {i + 1} off by one"))
    if not whole:
        out += [(_scaled(value, -1, whole), "every sign flipped"),
                (_scaled(value, 10, whole), "a decimal point slipped, 10 times too large"),
                (_scaled(value, 0.1, whole), "a decimal point slipped, 10 times too small")]
    return out + ([] if square else transposed)


def _fixed(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    return text.lstrip("-") if float(text) == 0 else text


def _layout(value: Any, depth: int, cell) -> tuple[str, str]:
    """(plain text, LaTeX) of a value whose entries print as `cell(entry)`."""
    if depth == 0:
        return cell(value), cell(value)
    if depth == 1:
        cells = [cell(v) for v in value]
        return "[" + ", ".join(cells) + "]", r"\left(" + ", ".join(cells) + r"\right)"

    def matrix(rows: list[list[Any]]) -> tuple[str, str]:
        text = "[" + ", ".join("[" + ", ".join(cell(v) for v in row) + "]" for row in rows) + "]"
        tex = r"\begin{bmatrix}" + r" \\ ".join(" & ".join(cell(v) for v in row) for row in rows) + r"\end{bmatrix}"
        return text, tex
    if depth == 2:
        return matrix(value)
    pieces = [matrix(m) for m in value]
    return "[" + ", ".join(t for t, _ in pieces) + "]", ", ".join(t for _, t in pieces)
