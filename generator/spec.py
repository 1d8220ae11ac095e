"""Exam specs: YAML files validated into a frozen model, errors naming file, line and field.

    title: Deep learning, midterm        # required
    course: DL 2026
    date: 2026-12-01
    instructions: |
      Write your name on every page. ...
    precision: 3 significant digits       # the default; or "4 decimals" (one rule per exam)
    seed: 2026                            # required: the exam seed
    variants: 4                           # numbered variants 001, 002, ...
    problems:
      - id: cnn/conv-layer-cost           # or the bare name: conv-layer-cost
        points: 10                        # default: the problem's own part points
        params: {stride: 1}               # optional pins, by the catalog's names
        parts: [shape, counts]            # optional: a subset, or {shape: 4, counts: 6}
        slot: conv                        # optional: a stable name for this slot's random stream
        space: {ops: 5cm}                 # optional: answer space per part (default: the
                                          # problem's space scaled by the part's points)
        newpage: true                     # optional: the problem starts on a new page
    cover: true                           # exams open with a cover page (the default)
    duration: 90 minutes                  # printed on the cover
    rules: [No notes or phones., ...]     # the cover's list of rules
    declaration: I worked alone.          # optional: printed with a signature line
    print: {pad_to: 2}                    # pad every variant to a multiple of 2 (or 4) pages
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from generator.errors import ExamgenError, closest
from generator.precision import DEFAULT as DEFAULT_PRECISION
from generator.precision import parse as parse_precision
from generator.userfiles import read_user_text

MAX_VARIANTS = 5000
TEX_LENGTH = re.compile(r"\d+(\.\d+)?(cm|mm|in|pt|bp|em|ex)")   # an answer space: 5cm, 2.5in


class ProblemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    points: float | None = Field(default=None, gt=0, le=1000)
    params: dict[str, Any] = Field(default_factory=dict)
    parts: list[str] | dict[str, float] | None = None
    slot: str | None = Field(default=None, min_length=1)
    space: dict[str, str] | None = None
    newpage: bool = False

    @field_validator("space")
    @classmethod
    def _space(cls, value):
        for part, length in (value or {}).items():
            if not isinstance(length, str) or not TEX_LENGTH.fullmatch(length.strip()):
                raise ValueError(f"space of part '{part}' must be a length such as 5cm (got {length!r})")
        return {part: length.strip() for part, length in value.items()} if value else value

    @field_validator("parts")
    @classmethod
    def _parts(cls, value):
        if value is None:
            return value
        if not value:
            raise ValueError("must name at least one part")
        if isinstance(value, dict) and any(p <= 0 for p in value.values()):
            raise ValueError("part points must be > 0")
        if isinstance(value, list) and len(set(value)) != len(value):
            raise ValueError("names a part twice")
        return value


class PrintSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    pad_to: Literal[1, 2, 4] = 2      # every variant's page count becomes a multiple of this


class ExamSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1)
    course: str = ""
    date: str = ""
    instructions: str = ""
    precision: str = DEFAULT_PRECISION.text
    seed: int = Field(ge=0, lt=2**63)
    variants: int = Field(default=1, gt=0, le=MAX_VARIANTS)
    problems: list[ProblemSpec] = Field(min_length=1)
    cover: bool = True
    duration: str = ""
    rules: list[str] = Field(default_factory=list)
    declaration: str = ""
    print: PrintSpec = Field(default_factory=PrintSpec)

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value):
        return value.isoformat() if isinstance(value, dt.date) else value

    @field_validator("precision", mode="before")
    @classmethod
    def _precision(cls, value):
        return parse_precision(value).text

    @field_validator("seed", "variants", mode="before")
    @classmethod
    def _whole(cls, value):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("must be a whole number")
        return value


FIELD_HINTS = {
    "title": "give the exam's title as text",
    "seed": "give a whole number >= 0, e.g. seed: 2026",
    "variants": f"give a whole number from 1 to {MAX_VARIANTS}",
    "problems": "list at least one problem: problems: [{id: cnn/conv-layer-cost, points: 10}]",
    "points": "give a positive number of points",
    "id": "give a problem id from 'examgen list'",
    "parts": "give a list of part names or a map of part names to points",
    "params": "give a map of parameter names to values",
    "precision": "write e.g. precision: 3 significant digits, or precision: 4 decimals",
    "space": "give a map of part names to lengths, e.g. space: {ops: 5cm}",
    "pad_to": "write print: {pad_to: 2} or print: {pad_to: 4} (1: no padding)",
    "rules": "give a list of lines, e.g. rules: [No notes., No phones.]",
}


def _node_at(root: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """The YAML node a pydantic error location points at (the deepest one that exists)."""
    node = root
    for step in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == step:
                    node = value
                    break
            else:
                return node
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
        else:
            return node
    return node


def _key_node(root: yaml.Node | None, loc: tuple[Any, ...]) -> yaml.Node | None:
    """For an unknown key, the node of the key itself (so the line is the typo's line)."""
    parent = _node_at(root, loc[:-1])
    if isinstance(parent, yaml.MappingNode):
        for key, _ in parent.value:
            if key.value == loc[-1]:
                return key
    return parent


def field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def location(path: str, node: yaml.Node | None) -> str:
    return f"{path}:{node.start_mark.line + 1}" if node is not None else path


def load_spec(path: str | Path) -> tuple[ExamSpec, dict[str, str]]:
    """Load and validate a spec; also return where each problem entry is (file:line)."""
    path = Path(path)
    shown = str(path)
    text = read_user_text(path, "exam spec")
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ExamgenError(f"YAML does not parse: {problem}", where,
                           "check indentation, colons and quotes on that line") from None
    if not isinstance(data, dict):
        raise ExamgenError("an exam spec must be a YAML mapping (title:, seed:, problems: ...)", shown,
                           "see the spec format in the README")
    try:
        spec = ExamSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first["loc"])
        kind = first["type"]
        if kind == "extra_forbidden":
            node = _key_node(root, loc)
            model = ProblemSpec if "problems" in loc else ExamSpec
            hint = closest(str(loc[-1]), model.model_fields)
            raise ExamgenError(f"unknown field '{loc[-1]}'", f"{location(shown, node)}: {field_path(loc)}",
                               hint or f"known fields: {', '.join(model.model_fields)}") from None
        node = _node_at(root, loc)
        if kind == "missing":
            raise ExamgenError(f"field '{loc[-1]}' is missing", f"{location(shown, node)}: {field_path(loc)}",
                               FIELD_HINTS.get(str(loc[-1]), "add it")) from None
        message = first["msg"].replace("Value error, ", "")
        field = next((str(s) for s in reversed(loc) if isinstance(s, str) and s in FIELD_HINTS), "")
        got = first.get("input")
        got_text = f" (got {got!r})" if not isinstance(got, dict | list) else ""
        raise ExamgenError(f"{message}{got_text}", f"{location(shown, node)}: {field_path(loc)}",
                           FIELD_HINTS.get(field, "see the spec format in the README")) from None
    where = {}
    problems_node = _node_at(root, ("problems",))
    for i in range(len(spec.problems)):
        node = _node_at(problems_node, (i,)) if problems_node is not None else None
        where[str(i)] = f"{location(shown, node)}: problems[{i}]"
    return spec, where
