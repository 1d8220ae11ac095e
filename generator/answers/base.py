"""The answer-type seam: the `AnswerType` base class, the registry, and the declarations
problems make (`Answer`, `Alternative`, `Approx`, `Exact`).

Every behaviour that depends on an answer's type lives in one `AnswerType` subclass (one
per type, in the modules of this package): reading a student's text, the key's JSON, the
comparison with its tolerance, how the value prints in key.csv, in feedback and in a Moodle
cloze, the "how to write it" help, and the data the practice page checks it with. Other
modules ask `answer.kind` (or `answer_type(name)`); none compares a type name.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

from generator.i18n import Text

# Reference solver against independent check: both are exact or float64 computations, so
# they must agree to rounding. A check whose method is approximate (Monte Carlo, finite
# differences) says so explicitly with `Approx`.
CHECK_RTOL = 1e-7
CHECK_ATOL = 1e-9

# Inclusive grading bounds: a response exactly at the tolerance's edge is right, whatever
# binary floating point does to the last bit (0.1 + 0.2 style surprises). The page gets
# this value in its checks JSON (`slack`), so there is one definition.
EDGE_SLACK = 1e-9


class Unreadable(ValueError):
    """A response that is not a value of its field's type (the message says why)."""


REGISTRY: dict[str, AnswerType] = {}


def register(cls: type[AnswerType]) -> type[AnswerType]:
    """Class decorator: one instance of each answer type, under its name."""
    REGISTRY[cls.name] = cls()
    return cls


def answer_type(name: str) -> AnswerType:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown answer type {name!r}; use one of {', '.join(REGISTRY)}") from None


@dataclass(frozen=True)
class Alternative:
    """Another accepted value of an answer, right under another stated convention.

    `solve` returns the value under `name`, and `check` must confirm it under the same name
    by an independent count, as for every answer. The key records it with the convention;
    grade, Moodle and the page give it full credit and name the convention.
    """

    name: str
    convention: str


@dataclass(frozen=True)
class Answer:
    """One answer field: its catalog name, type, grading tolerance and a short label.

    `atol`/`rtol` govern grading (a response r is right when |r - v| <= atol + rtol |v|);
    ints, shapes, choices and bools are compared exactly.
    """

    name: str
    type: str
    label: str = ""
    atol: float = 0.0
    rtol: float = 0.0
    options: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    alternatives: tuple[Alternative, ...] = ()

    def __post_init__(self) -> None:
        if self.type not in REGISTRY:
            raise ValueError(f"answer {self.name}: unknown type {self.type!r}; use one of {', '.join(REGISTRY)}")
        if self.kind.default_tolerance and self.atol == 0 and self.rtol == 0:
            # Hand computation with a few decimals: 0.5% relative, 0.005 absolute near 0.
            object.__setattr__(self, "rtol", 0.005)
            object.__setattr__(self, "atol", 0.005)

    @property
    def kind(self) -> AnswerType:
        return REGISTRY[self.type]

    @property
    def graded(self) -> bool:
        return self.kind.graded

    def tolerance(self) -> dict[str, float]:
        return {"atol": self.atol, "rtol": self.rtol}


@dataclass(frozen=True)
class Approx:
    """An independent value whose method is approximate, with the accuracy that method has."""

    value: Any
    atol: float = 0.0
    rtol: float = 0.0


@dataclass(frozen=True)
class Exact:
    """A closed-form value for templates: sympy text, its LaTeX and its decimal value.

    `latex` may be None: it is then made from `text` only when a template prints it, since
    sympy's LaTeX printer costs about a millisecond per value and most values are never shown.
    """

    text: str
    latex: str | None
    value: float

    def __float__(self) -> float:
        return self.value

    def tex(self) -> str:
        return self.latex if self.latex is not None else _latex_of(self.text)


@lru_cache(maxsize=4096)
def _latex_of(text: str) -> str:
    import sympy

    return sympy.latex(sympy.sympify(text, locals={"sigmoid": sympy.Function("sigmoid"),
                                                   "logit": sympy.Function("logit")}))


def _is_sympy(value: Any) -> bool:
    return (type(value).__module__ or "").startswith("sympy")


def plain(value: Any) -> Any:
    """Solver output made plain: numpy and sympy numbers become Python numbers (or Exact)."""
    if isinstance(value, bool | str | Exact) or value is None:
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value
    if _is_sympy(value):
        import sympy

        if isinstance(value, sympy.Integer):
            return int(value)
        if isinstance(value, sympy.Float):
            return float(value)
        if isinstance(value, sympy.logic.boolalg.BooleanAtom):
            return bool(value)
        if isinstance(value, sympy.MatrixBase):
            return [[plain(x) for x in value.row(i)] for i in range(value.rows)]
        if value.is_number:
            return Exact(str(value), None, float(value))
        return Exact(str(value), None, math.nan)
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return plain(value.tolist())
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    raise TypeError(f"cannot make {type(value).__name__} plain data")


def close(expected: float, given: float, atol: float, rtol: float, slack: float = EDGE_SLACK) -> bool:
    """|given - expected| <= atol + rtol |expected|, bounds inclusive."""
    if not (math.isfinite(expected) and math.isfinite(given)):
        return expected == given
    bound = atol + rtol * abs(expected)
    return abs(given - expected) <= bound + slack * max(1.0, bound, abs(expected))


def flatten(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [x for v in value for x in flatten(v)]
    return [value]


def structure(value: Any) -> Any:
    if isinstance(value, list):
        return [structure(v) for v in value]
    return None


# ---------------------------------------------------------------- Moodle cloze text

def cloze_text(text: str, wildcard: bool = False) -> str:
    """Text inside a cloze answer as Moodle's multianswer importer reads it back.

    qtype_multianswer decodes HTML entities and then unescapes only `\\}` and `\\#`; `~`
    separates answers and cannot be escaped, so it is written as the entity `&#126;`.
    SHORTANSWER (`wildcard`) then reads an unescaped `*` as "anything": `\\*` is a literal star.
    """
    out = []
    for char in str(text):
        if char in "}#":
            out.append("\\" + char)
        elif char == "~":
            out.append("&#126;")
        elif char == "*" and wildcard:
            out.append("\\*")
        else:
            out.append(html.escape(char, quote=False))
    return "".join(out)


def cloze_answer_read(text: str, wildcard: bool = False) -> str:
    """What Moodle makes of a cloze answer string (the inverse of `cloze_text`): for tests
    and checks, following qtype_multianswer (entities, then `\\}` and `\\#`) and, for
    SHORTANSWER, the literal star `\\*`."""
    text = html.unescape(text).replace("\\}", "}").replace("\\#", "#")
    return text.replace("\\*", "*") if wildcard else text


def _positional(value: float) -> str:
    from generator.render import _positional as positional

    return positional(value)


def moodle_label(text: str) -> str:
    """A field's label in Moodle HTML: escaped, inside a span Moodle's text filters leave alone
    (the emoticon filter, on by default, turns a label such as "(h)" into a heart)."""
    return f'<span class="nolink">{html.escape(text)}</span>'


def moodle_number(value: float | int) -> str:
    """A number as Moodle reads it: plain decimal, never exponent notation."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _positional(value)


def moodle_tolerance(value: float, atol: float, rtol: float) -> float:
    """Moodle's absolute tolerance for key value `value`: the key's rule with its edge slack."""
    bound = atol + rtol * abs(value)
    return bound + EDGE_SLACK * max(1.0, bound, abs(value))


def tolerance_text(value: float) -> str:
    """A tolerance as a short decimal that is never below `value` (at most 1e-10 relative above)."""
    for digits in range(1, 18):
        text = f"{value:.{digits}g}"
        if value <= float(text) <= value * (1 + 1e-10):
            return _positional(float(text))
    return _positional(value)


# ---------------------------------------------------------------- QTI gaps

@dataclass(frozen=True)
class QtiGap:
    """One gap of a QTI item (Canvas, QTI 2.1), as the answer's type wants it graded; the
    exporters write it in their flavour. `kind` is the kind of interaction, not a type name:
    "numeric" (a number within the absolute `tolerance`, which includes the key's edge slack),
    "option" (one of `options`, the right one `value`), "letters" (a field asked as options: the
    labelled `options` in the key's order, `value` the tuple of right indices, `multi` whether
    several are marked, `scoring` the spec's rule, `feedback` what each option tells the student
    who marks it) or "text" (one of `texts`, compared as text, case-insensitively). `texts` are also a numeric gap's accepted spellings, for an LMS
    that compares a gap as text (Canvas' multiple blanks); `alternatives` are (value,
    tolerance) pairs accepted in full; `label` says where the entry sits ("entry 2")."""

    kind: str
    value: Any
    tolerance: float = 0.0
    options: tuple[str, ...] = ()
    texts: tuple[str, ...] = ()
    alternatives: tuple[tuple[Any, float], ...] = ()
    label: str = ""
    whole: bool = False
    feedback: tuple[str, ...] = ()
    multi: bool = False
    scoring: str = ""


def number_spellings(value: float | int, bound: float, most: int = 4) -> tuple[str, ...]:
    """Plain decimal spellings of `value` that are within `bound` of it: the shortest roundings
    first (what a student writes at the exam's precision), then the full value."""
    full = moodle_number(value)
    out: list[str] = []
    if not isinstance(value, int):
        for digits in range(1, 18):
            text = _positional(float(f"{float(value):.{digits}g}"))
            if abs(float(text) - float(value)) <= bound and text not in out:
                out.append(text)
            if len(out) >= most:
                break
    return tuple(dict.fromkeys(out + [full]))


# ---------------------------------------------------------------- the base class

class AnswerType:
    """What one answer type does everywhere. Subclasses set `name` and override as needed."""

    name: ClassVar[str] = ""
    graded: ClassVar[bool] = True
    exact: ClassVar[bool] = False            # compared exactly, whatever tolerance a check gives
    default_tolerance: ClassVar[bool] = False  # gets 0.5% / 0.005 when none is declared
    how_to_write: ClassVar[str] = "see the answer format"
    page_layout: ClassVar[str] = "scalar"    # "scalar", "vector" or "matrix" boxes
    page_options: ClassVar[tuple[str, ...]] = ()
    page_numeric: ClassVar[bool] = True      # boxes styled as number inputs
    page_preview: ClassVar[bool] = False     # the page previews the typed text as maths
    # A value of several entries scored entry by entry (vector, matrix, list of bools): the
    # field's share times (entries right / entries). Any other type scores its share or 0.
    partial: ClassVar[bool] = False

    # -- the key
    def to_key(self, answer: Answer, value: Any) -> tuple[Any, Any]:
        """(JSON value, exact sympy text or None) of a solver value for the answer key."""
        raise NotImplementedError

    # -- reading and comparing
    def parse(self, answer: Answer, text: str) -> Any:
        """A student's text as a value of this type, or `Unreadable`."""
        return text.strip()

    def matches(self, answer: Answer, expected: Any, given: Any, atol: float, rtol: float,
                slack: float = EDGE_SLACK) -> bool:
        raise NotImplementedError

    def entry_marks(self, answer: Answer, expected: Any, given: Any, atol: float, rtol: float,
                    slack: float = EDGE_SLACK) -> list[bool]:
        """Which entries of `given` are right, one mark per entry of `expected` (in the order of
        `entries`). A type scored as a whole has one mark, `matches`; a type scored entry by entry
        compares entry with entry, and a response of another shape has every mark False (its
        entries cannot be paired with the key's)."""
        if not self.partial:
            return [self.matches(answer, expected, given, atol, rtol, slack)]
        wanted = self.entries(expected)
        if structure(plain(given)) != structure(expected):
            return [False] * len(wanted)
        return [self.entry_matches(answer, e, g, atol, rtol, slack)
                for e, g in zip(wanted, self.entries(plain(given)), strict=True)]

    def entry_matches(self, answer: Answer, expected: Any, given: Any, atol: float, rtol: float,
                      slack: float = EDGE_SLACK) -> bool:
        """Whether one entry is right (a type scored entry by entry; `matches` by default)."""
        return self.matches(answer, expected, given, atol, rtol, slack)

    def credit(self, answer: Answer, expected: Any, given: Any, tolerance: Mapping[str, float] | None = None,
               slack: float = EDGE_SLACK) -> float:
        """The share of the field's points `given` earns, in [0, 1]: entries right / entries for
        a type scored entry by entry, else 1 or 0. `tolerance` ({"atol", "rtol"}, the key's)
        overrides the answer's."""
        tolerance = tolerance or answer.tolerance()
        marks = self.entry_marks(answer, expected, given, float(tolerance["atol"]), float(tolerance["rtol"]), slack)
        return sum(marks) / len(marks) if marks else 0.0

    # -- printing
    def csv_text(self, value: Any) -> str:
        """A key value as one key.csv cell: numbers plain, lists as JSON, strings as they are."""
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    def show(self, value: Any) -> str:
        """A value in the feedback text."""
        if isinstance(value, float):
            return f"{value:.10g}"
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, list):
            return "[" + ", ".join(self.show(v) for v in value) + "]"
        return str(value)

    def count_note(self, expected: Any, given: Any) -> str:
        """A note on a list answer of the wrong length ("" when there is nothing to say)."""
        return ""

    def tolerance_text(self, expected: Any, tolerance: dict[str, float] | None) -> str:
        return Text("must match exactly")

    # -- Moodle
    def entries(self, value: Any) -> list[Any]:
        """The entries that get one blank (and one weight) each in Moodle and on the page."""
        return [value]

    def moodle_subquestion(self, answer: Answer, value: Any, weight: int,
                           alternatives: Sequence[tuple[Any, str]] = (),
                           tolerance: Mapping[str, float] | None = None) -> str:
        """One cloze blank. `tolerance` ({"atol", "rtol"}, the key's) overrides the answer's."""
        raise NotImplementedError

    def moodle_field(self, answer: Answer, value: Any, weights: Sequence[int],
                     alternatives: Sequence[tuple[Any, str]] = (),
                     tolerance: Mapping[str, float] | None = None) -> str:
        """The field's HTML in a cloze question: its label and blanks. `alternatives` are
        (value, convention) pairs accepted with full credit; `tolerance` the key's."""
        label = moodle_label(answer.label or answer.name)
        body = self.moodle_subquestion(answer, value, weights[0], alternatives, tolerance)
        return f'<p class="examgen-field">{label}: {body}</p>'

    # -- QTI (Canvas, QTI 2.1)
    def qti_entries(self, answer: Answer, value: Any, tolerance: Mapping[str, float] | None = None,
                    alternatives: Sequence[tuple[Any, str]] = ()) -> list[QtiGap]:
        """The gaps of the field in a QTI item, one per entry; a field graded by hand has none.
        `tolerance` ({"atol", "rtol"}, the key's) overrides the answer's; `alternatives` are
        (value, convention) pairs accepted with full credit."""
        raise NotImplementedError

    # -- the practice page
    def page_grids(self, answer: Answer, value: Any) -> list[tuple[int, int, str]]:
        """(rows, columns, matrix suffix) of each grid of boxes."""
        return [(1, 1, "")]

    def page_choices(self, answer: Answer) -> list[str]:
        """The options of a drop-down box (empty: a text box)."""
        return list(self.page_options)

    def page_check(self, answer: Answer, tolerance: Mapping[str, float] | None = None) -> dict[str, Any]:
        """What practice.js needs to compare one entry: `compare` names its method; `tolerance`
        ({"atol", "rtol"}, the key's) overrides the answer's."""
        raise NotImplementedError

    # -- asked as a choice (generator.options)
    choosable: ClassVar[bool] = False      # the type has a rule for plausible wrong values
    always_choice: ClassVar[bool] = False  # asked as a choice whatever the spec says (a pool of statements)
    multi: ClassVar[bool] = False          # its options are statements, any number of them true

    def chooses(self, answer: Answer) -> bool:
        """Whether this field can be asked as a choice (`form: choice`)."""
        return self.choosable or self.always_choice

    def distractors(self, answer: Answer, value: Any) -> list[tuple[Any, str]]:
        """Plausible wrong values of a key value, (value, the slip that gives it), most
        plausible first: what a student who slips gets (a sign, a factor 2, an index), never
        random noise. Values equal to the right one are dropped by the caller."""
        return []

    def option_print(self, answer: Answer, values: Sequence[Any], precision: Any) -> list[tuple[Any, str, str]]:
        """A set of options printed in ONE format (same decimals, same form): for each key
        value, (the value as printed, its plain text, its LaTeX)."""
        raise NotImplementedError

    def score(self, expected: Any, given: Any) -> float | None:
        """The share of a field's points a response earns, for types with scoring rules (choice
        letters); None: right or wrong by `matches`."""
        return None

    def named_mistakes(self, expected: Any, given: Any) -> list[str]:
        """The declared mistakes a response shows by itself (a marked option's mistake)."""
        return []

    def page_view(self, answer: Answer, value: Any, dom: str, alternatives: Sequence[tuple[Any, str]] = (),
                  tolerance: Mapping[str, float] | None = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """(what the page template shows for the field, what practice.js checks it with)."""
        view: dict[str, Any] = {"name": answer.name, "type": self.name, "label": answer.label or answer.name,
                                "dom": dom, "grids": [], "options": [], "graded": self.graded,
                                "numeric": self.page_numeric, "layout": self.page_layout,
                                "preview": self.page_preview}
        if not self.graded:
            return view, None
        first = 1
        for rows, cols, suffix in self.page_grids(answer, value):
            view["grids"].append(_grid(answer.name, rows, cols, dom, first, suffix))
            first += rows * cols
        view["options"] = self.page_choices(answer)
        check = {**self.page_check(answer, tolerance), "expected": self.entries(value), "partial": self.partial,
                 "entries": [entry["id"] for grid in view["grids"] for row in grid for entry in row],
                 "alternatives": [{"expected": self.entries(v), "convention": c} for v, c in alternatives]}
        return view, check


def _grid(name: str, rows: int, cols: int, dom: str, first: int, matrix: str = "") -> list[list[dict[str, str]]]:
    """Input entries (dom id, accessible label) of one vector or matrix, numbered from `first`."""
    grid = []
    for i in range(rows):
        row = []
        for j in range(cols):
            if rows == 1 and cols == 1 and not matrix:
                aria = name
            elif rows == 1 and not matrix:
                aria = f"{name}, entry {j + 1}"
            else:
                aria = f"{name}{matrix}, row {i + 1}, column {j + 1}"
            row.append({"id": f"{dom}-{first + i * cols + j}", "aria": aria})
        grid.append(row)
    return grid
