"""Answer declarations and answer types: one registry, one class per type.

`Answer("adds", "int", ...)` declares a field; `answer.kind` is its `AnswerType`, which owns
everything the type decides (see `generator.answers.base`). The modules: `base` (the seam,
`Answer`, `Alternative`, `Approx`, `Exact`, `close`, Moodle cloze text), `reading` (the
number, list and formula rules shared with the practice page), `numeric` (int, shape, real,
vector, matrix, matrices), `logical` (bool, bools, choice), `formula` (expr), `proof`, `choice`
(single, multiple: a field asked as options and answered by letters; statements).

JSON conventions (the catalog's): reals are numbers, vectors lists, matrices lists of rows,
shapes lists of ints, `expr` a string in sympy syntax, `choice` a string, `bool` true/false,
`matrices` a list of matrices, `bools` a list of true/false; `proof` fields have no value in
the key. An answer with a closed form that is not a plain number (sqrt(2)/3, ...) also gets
its exact form, as a sympy string, in the key's `exact` map.
"""

from __future__ import annotations

from typing import Any

from generator.answers import choice, formula, logical, numeric, proof  # noqa: F401  (they register the types)
from generator.answers.base import (
    CHECK_ATOL,
    CHECK_RTOL,
    EDGE_SLACK,
    REGISTRY,
    Alternative,
    Answer,
    AnswerType,
    Approx,
    Exact,
    Unreadable,
    answer_type,
    close,
    plain,
)
from generator.answers.reading import formulas_equal

TYPES = tuple(REGISTRY)

__all__ = ["CHECK_ATOL", "CHECK_RTOL", "EDGE_SLACK", "REGISTRY", "TYPES", "Alternative", "Answer", "AnswerType",
           "Approx", "Exact", "Unreadable", "answer_type", "close", "expressions_equal", "matches", "plain",
           "to_key"]


def to_key(answer: Answer, value: Any) -> tuple[Any, Any]:
    """(JSON value, exact sympy text or None) of a solver value for the answer key."""
    return answer.kind.to_key(answer, value)


def matches(answer: Answer, expected: Any, given: Any, atol: float | None = None,
            rtol: float | None = None, slack: float = EDGE_SLACK) -> bool:
    """Whether `given` is right for `expected` under the answer's (or the given) tolerance."""
    atol = answer.atol if atol is None else atol
    rtol = answer.rtol if rtol is None else rtol
    return answer.kind.matches(answer, expected, given, atol, rtol, slack)


def expressions_equal(expected: str, given: str, symbols: tuple[str, ...] | list[str] = ()) -> bool:
    """Whether two formulas are equal (numerically, at a few points: `reading.formulas_equal`)."""
    try:
        return formulas_equal(str(expected), str(given), symbols)
    except Unreadable:
        return False
