"""Answer declarations, conversion of solver values to the key's JSON, and comparison.

JSON conventions (the catalog's): reals are numbers, vectors lists, matrices lists of rows,
shapes lists of ints, `expr` a string in sympy syntax, `choice` a string, `bool` true/false,
`matrices` a list of matrices, `bools` a list of true/false; `proof` fields have no value in the key. An answer with a
closed form that is not a plain number (sqrt(2)/3, ...) also gets its exact form, as a
sympy string, in the key's `exact` map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

TYPES = ("int", "real", "vector", "matrix", "matrices", "shape", "choice", "expr", "bool", "bools", "proof")
NUMERIC = ("real", "vector", "matrix", "matrices")

# Reference solver against independent check: both are exact or float64 computations, so
# they must agree to rounding. A check whose method is approximate (Monte Carlo, finite
# differences) says so explicitly with `Approx`.
CHECK_RTOL = 1e-7
CHECK_ATOL = 1e-9

# Inclusive grading bounds: a response exactly at the tolerance's edge is right, whatever
# binary floating point does to the last bit (0.1 + 0.2 style surprises).
EDGE_SLACK = 1e-9


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

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"answer {self.name}: unknown type {self.type!r}; use one of {', '.join(TYPES)}")
        if self.type in NUMERIC and self.atol == 0 and self.rtol == 0:
            # Hand computation with a few decimals: 0.5% relative, 0.005 absolute near 0.
            object.__setattr__(self, "rtol", 0.005)
            object.__setattr__(self, "atol", 0.005)

    @property
    def graded(self) -> bool:
        return self.type != "proof"

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


def to_key(answer: Answer, value: Any) -> tuple[Any, Any]:
    """(JSON value, exact sympy text or None) of a solver value for the answer key."""
    value = plain(value)
    kind = answer.type
    if kind == "proof":
        return None, None
    if kind == "expr":
        text = value.text if isinstance(value, Exact) else str(value)
        return text, None
    if kind == "choice":
        text = str(value)
        if answer.options and text not in answer.options:
            raise ValueError(f"{answer.name}: {text!r} is not one of {answer.options}")
        return text, None
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError(f"{answer.name}: expected a bool, got {value!r}")
        return value, None
    if kind == "bools":
        if not isinstance(value, list) or not all(isinstance(v, bool) for v in value):
            raise ValueError(f"{answer.name}: expected a list of bools, got {value!r}")
        return value, None
    if kind in ("int", "shape"):
        number = _number(value)
        ints = [int(v) for v in number] if kind == "shape" else int(number)
        if ints != number:
            raise ValueError(f"{answer.name}: expected integers, got {number!r}")
        return ints, None
    number = _number(value)
    _check_shape(answer, number)
    return _floats(number, kind), _exact_text(value)


def _floats(value: Any, kind: str) -> Any:
    if isinstance(value, list):
        return [_floats(v, kind) for v in value]
    if isinstance(value, int):
        return value  # ints stay ints: 3, not 3.0, in a vector of counts
    return float(value)


def _check_shape(answer: Answer, value: Any) -> None:
    depth = {"real": 0, "vector": 1, "matrix": 2, "matrices": 3}[answer.type]
    probe = value
    for _ in range(depth):
        if not isinstance(probe, list):
            raise ValueError(f"{answer.name}: expected a {answer.type}, got {value!r}")
        probe = probe[0] if probe else 0
    if isinstance(probe, list):
        raise ValueError(f"{answer.name}: expected a {answer.type}, got {value!r}")


def _flatten(value: Any) -> list[Any]:
    if isinstance(value, list):
        out: list[Any] = []
        for v in value:
            out.extend(_flatten(v))
        return out
    return [value]


def _structure(value: Any) -> Any:
    if isinstance(value, list):
        return [_structure(v) for v in value]
    return None


def close(expected: float, given: float, atol: float, rtol: float, slack: float = EDGE_SLACK) -> bool:
    """|given - expected| <= atol + rtol |expected|, bounds inclusive."""
    if not (math.isfinite(expected) and math.isfinite(given)):
        return expected == given
    bound = atol + rtol * abs(expected)
    return abs(given - expected) <= bound + slack * max(1.0, bound, abs(expected))


def matches(answer: Answer, expected: Any, given: Any, atol: float | None = None,
            rtol: float | None = None, slack: float = EDGE_SLACK) -> bool:
    """Whether `given` is right for `expected` under the answer's (or the given) tolerance."""
    atol = answer.atol if atol is None else atol
    rtol = answer.rtol if rtol is None else rtol
    kind = answer.type
    if kind == "proof":
        return True
    if kind == "expr":
        return expressions_equal(str(expected), str(given), answer.symbols)
    if kind == "choice":
        return str(given).strip().lower() == str(expected).strip().lower()
    if kind == "bool":
        return isinstance(given, bool) and given == expected
    if kind == "bools":
        given = plain(given)
        return (isinstance(given, list) and len(given) == len(expected)
                and all(isinstance(g, bool) and g == e for g, e in zip(given, expected, strict=True)))
    if kind in ("int", "shape"):
        return _flatten(plain(given)) == _flatten(expected) and _structure(plain(given)) == _structure(expected)
    given = _number(plain(given))
    if _structure(given) != _structure(expected):
        return False
    return all(
        isinstance(g, int | float) and not isinstance(g, bool) and close(float(e), float(g), atol, rtol, slack)
        for e, g in zip(_flatten(expected), _flatten(given), strict=True)
    )


def expressions_equal(expected: str, given: str, symbols: Sequence[str] = ()) -> bool:
    """Symbolic equivalence of two sympy-syntax expressions (simplify(a - b) == 0)."""
    if "".join(str(expected).split()) == "".join(str(given).split()):
        return True  # the same text: no need to parse (sympy takes milliseconds per expression)
    import sympy

    local = {name: sympy.Symbol(name) for name in symbols}
    local.update({"sigmoid": sympy.Function("sigmoid"), "logit": sympy.Function("logit"),
                  "O": sympy.Function("O")})
    try:
        a = sympy.sympify(_keywords(expected), locals=local)
        b = sympy.sympify(_keywords(given), locals=local)
    except (sympy.SympifyError, SyntaxError, TypeError):
        return False
    if a == b:
        return True
    try:
        return sympy.simplify(a - b) == 0
    except (TypeError, ValueError):
        return False


def _keywords(text: str) -> str:
    """`lambda` is a Python keyword that sympy cannot parse: students (and keys) may write it
    for the regularisation weight, which the bank's parameters call `lam`."""
    import re

    return re.sub(r"\blambda\b", "lam", str(text))
