"""Reading `key.json` back (for grading): its size, nesting and every field checked, so a
hand-edited key with a missing or mistyped field is one line naming the field's path,
e.g. `key.json: variants[3].problems[1].tolerances.out_shape.atol: expected a number, got 'x'`.

The shape checked is the one `generator.exports.key` writes. Fields the grader does not
use may be added freely; the ones it uses must have the right JSON type. What only the
bank can tell (does the problem exist, does it have the named answer fields) is checked by
`check_against_bank`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from generator.answers.choice import record_problem
from generator.errors import ExamgenError
from generator.i18n import LANGUAGES
from generator.problem import Problem
from generator.spec import MAX_VARIANTS, field_path
from generator.userfiles import read_user_text

# A key of MAX_VARIANTS variants of a 19-problem exam is about 250 MB (about 48 KB a
# variant); a file beyond twice that is not a key, and is refused before it is read.
MAX_KEY_BYTES = 512 * 1024 * 1024
# key.json nests about 10 levels deep (variants, problems, answers, a list of matrices);
# pins of nested lists add a few. Deeper input is refused before the JSON parser sees it.
MAX_KEY_DEPTH = 64

FIX = "correct that field, or give the key.json that 'examgen build' wrote"


class _Model(BaseModel):
    # strict: "4" is not 4, true is not 1; extra fields are kept (and ignored by the grader)
    model_config = ConfigDict(strict=True, extra="allow", frozen=True)


class ToleranceKey(_Model):
    atol: float = Field(ge=0, allow_inf_nan=False)
    rtol: float = Field(ge=0, allow_inf_nan=False)


class PartKey(_Model):
    points: float = Field(ge=0, le=1000, allow_inf_nan=False)
    fields: list[str]


class SlotKey(_Model):
    slot: int = Field(ge=1, lt=10**6)
    slot_key: str | None = None
    id: str = Field(min_length=1)
    points: float = Field(ge=0, le=1000, allow_inf_nan=False)
    parts: dict[str, PartKey] = Field(min_length=1)
    params: dict[str, Any]
    answers: dict[str, Any]
    tolerances: dict[str, ToleranceKey]
    exact: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fields_once(self) -> SlotKey:
        seen: set[str] = set()
        for part in self.parts.values():
            for name in part.fields:
                if name in seen:
                    raise ValueError(f"the field '{name}' is in two parts")
                seen.add(name)
        return self


class StudentKey(_Model):
    name: str = ""


class VariantKey(_Model):
    key: str = Field(min_length=1)
    fingerprint: str = ""
    student: StudentKey | None = None
    problems: list[SlotKey] = Field(min_length=1)


class ExamKey(_Model):
    title: str = ""
    # The exam's languages (the first is the sheet's): grade reads numbers as it prints them.
    # A key without it is English.
    language: list[Literal[tuple(LANGUAGES)]] = Field(default_factory=lambda: ["en"], min_length=1)  # type: ignore[valid-type]


class KeyDocument(_Model):
    exam: ExamKey = Field(default_factory=ExamKey)
    variants: list[VariantKey] = Field(min_length=1, max_length=MAX_VARIANTS)


def _cut(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown_value(value: Any) -> str:
    """A value as an error shows it: short, in the terms of JSON (a list, 'text', 3)."""
    return _got(value)


def _got(value: Any) -> str:
    """A value as the error shows it: short, in the terms of JSON."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(_cut(value))
    return _cut(json.dumps(value))


_EXPECTED = {
    "dict_type": "an object {...}", "model_type": "an object {...}", "model_attributes_type": "an object {...}",
    "list_type": "a list [...]", "string_type": "text in double quotes", "int_type": "a whole number",
    "float_type": "a number", "bool_type": "true or false",
}


def _message(error: Mapping[str, Any]) -> str:
    kind, loc, value = error["type"], error["loc"], error.get("input")
    if kind == "missing":
        return f"field '{loc[-1]}' is missing"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_got(value)}"
    if kind == "too_short":
        need = error.get("ctx", {}).get("min_length", 1)
        return f"must list at least {need} entr{'y' if need == 1 else 'ies'}, got an empty one"
    if kind == "too_long":
        context = error.get("ctx", {})
        return f"must list at most {context.get('max_length')} entries, got {context.get('actual_length')}"
    if kind == "finite_number":
        return f"expected a finite number, got {_got(value)}"
    if kind == "union_type" or kind.startswith("is_instance"):
        return f"has the wrong type ({_got(value)})"
    message = str(error["msg"]).removeprefix("Value error, ")
    message = message.replace("Input should be", "must be").replace("String should", "must")
    message = message.replace("List should", "must").replace("Dictionary should", "must")
    return f"{message[0].lower()}{message[1:]}" + ("" if isinstance(value, dict | list) else f", got {_got(value)}")


def _loads(text: str, shown: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            names = [name for name, _ in items]
            twice = next(name for name in names if names.count(name) > 1)
            raise ExamgenError(f"the answer key names the field '{_cut(twice)}' twice in one object", shown,
                               "delete one of them, or give the key.json that 'examgen build' wrote")
        return out

    def constant(name: str) -> Any:
        raise ExamgenError(f"the answer key has {name}, which is not a JSON number", shown,
                           "write a finite number, or give the key.json that 'examgen build' wrote")

    try:
        return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except json.JSONDecodeError as error:
        raise ExamgenError(f"the answer key is not JSON ({error.msg})", f"{shown}:{error.lineno}",
                           "give the key.json that 'examgen build' wrote, unedited") from None
    except RecursionError:  # the depth check below should have caught it
        raise ExamgenError("the answer key nests too deeply", shown, "give the key.json that 'examgen build' wrote") \
            from None


_KEEP = b'[]{}"\\'
_DROP = bytes(sorted(set(range(256)) - set(_KEEP)))
_STRINGS = re.compile(rb'"[^"]*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")


def nesting_depth(text: str, limit: int) -> int:
    """How deep the brackets of a JSON text nest (brackets in strings skipped), up to
    `limit` + 1, without parsing it, fast on large keys (all in C): escaped backslashes and
    quotes go first (left to right, as JSON reads them), then everything but brackets and
    quotes, then the strings; each pass then removes the innermost pairs."""
    data = text.encode("utf-8").replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _DROP)
    brackets = _STRINGS.sub(b"", data.replace(b"\\", b""))
    depth = 0
    while brackets and depth <= limit:
        brackets, removed = _INNERMOST.subn(b"", brackets)
        if not removed:  # unbalanced: the JSON parser says where
            break
        depth += 1
    return depth


def load_key(path: str | Path) -> dict[str, Any]:
    """A `key.json` written by `examgen build`, checked field by field; anything else is one
    clear error naming the field. The document is returned as read (plain JSON values)."""
    path = Path(path)
    shown = str(path)
    try:
        size = path.stat().st_size
    except OSError:
        size = 0  # read_user_text says what is wrong
    if size > MAX_KEY_BYTES:
        raise ExamgenError(f"the answer key is {size / 2**20:.0f} MB, more than a key can be "
                           f"({MAX_KEY_BYTES // 2**20} MB)", shown, "give the key.json that 'examgen build' wrote")
    text = read_user_text(path, "answer key")
    if len(text) > MAX_KEY_BYTES:
        raise ExamgenError("the answer key is larger than a key can be", shown,
                           "give the key.json that 'examgen build' wrote")
    if nesting_depth(text, MAX_KEY_DEPTH) > MAX_KEY_DEPTH:
        raise ExamgenError(f"the answer key nests more than {MAX_KEY_DEPTH} levels deep (a key nests about 10)", shown,
                           "give the key.json that 'examgen build' wrote")
    document = _loads(text, shown)
    if not isinstance(document, dict) or "variants" not in document:
        raise ExamgenError(f"this is not an examgen answer key (no 'variants' with 'problems'; got {_got(document)})",
                           shown, "give the key.json that 'examgen build' wrote")
    check_key(document, shown)
    return document


def check_key(document: Any, shown: str = "key.json") -> None:
    """Raise `ExamgenError` naming the first field of `document` that is missing or of the wrong type."""
    try:
        KeyDocument.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        where = f"{shown}: {field_path(loc)}" if loc else shown
        raise ExamgenError(_message(first), where, FIX) from None
    keys: dict[str, int] = {}
    for i, variant in enumerate(document["variants"]):
        if variant["key"] in keys:
            raise ExamgenError(f"the variant key '{_cut(variant['key'])}' is also the key of variants[{keys[variant['key']]}]",
                               f"{shown}: variants[{i}].key", "give every variant its own key")
        keys[variant["key"]] = i
        slots: dict[int, int] = {}
        for j, entry in enumerate(variant["problems"]):
            if entry["slot"] in slots:
                raise ExamgenError(f"the slot {entry['slot']} is also the slot of problems[{slots[entry['slot']]}]",
                                   f"{shown}: variants[{i}].problems[{j}].slot", "give every slot its own number")
            slots[entry["slot"]] = j


def check_against_bank(document: Mapping[str, Any], load: Callable[[str], Problem], shown: str = "key.json") -> None:
    """Every slot's problem loads, has the answer fields the key names, and has a key value
    for each of its graded fields; else one `ExamgenError` naming the field."""
    problems: dict[str, Problem] = {}
    for i, variant in enumerate(document["variants"]):
        for j, entry in enumerate(variant["problems"]):
            at = f"{shown}: variants[{i}].problems[{j}]"
            problem_id = entry["id"]
            if problem_id not in problems:
                try:
                    problems[problem_id] = load(problem_id)
                except ExamgenError as error:
                    raise ExamgenError(f"the problem '{_cut(problem_id)}' cannot be loaded from the bank "
                                       f"({error.what})", f"{at}.id",
                                       "grade with the problem bank the exam was built from") from None
            problem = problems[problem_id]
            known = [a.name for a in problem.answers]
            for part_name, part in entry["parts"].items():
                for k, name in enumerate(part["fields"]):
                    if name not in known:
                        raise ExamgenError(f"{problem_id} has no answer field '{_cut(name)}' (its fields: "
                                           f"{', '.join(known)})", f"{at}.parts.{part_name}.fields[{k}]", FIX)
                    if problem.answer(name).graded and name not in entry["answers"]:
                        raise ExamgenError(f"field '{name}' is missing (the key has no answer for it)",
                                           f"{at}.answers", FIX)
                    if entry["answers"].get(name, 0) is None and problem.answer(name).graded:
                        raise ExamgenError("expected the key's value, got null", f"{at}.answers.{name}", FIX)
                    choices = entry.get("choices", {})
                    if not isinstance(choices, dict):
                        raise ExamgenError("expected a map of answer fields to choice records", f"{at}.choices", FIX)
                    if name in choices:   # a field asked as a choice: its record
                        why = record_problem(choices[name])
                        if why:
                            raise ExamgenError(why, f"{at}.choices.{name}", FIX)

