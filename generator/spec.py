"""Exam specs: YAML files validated into a frozen model, errors naming file, line and field.

    title: Deep learning, midterm        # required
    course: DL 2026
    date: 2026-12-01
    instructions: |
      Write your name on every page. ...
    precision: 3 significant digits       # the default; or "4 decimals" (one rule per exam)
    seed: 2026                            # required: the exam seed
    variants: 4                           # numbered variants 001, 002, ...
    banks: [../problems]                  # bank folders besides the built-in one, relative to the spec
    shuffle: [problems, parts]            # optional: per-variant order of the slots, and of the
                                          # parts of problems that allow it (SHUFFLE_PARTS)
    problems:
      - id: cnn/conv-layer-cost           # or the bare name: conv-layer-cost
                                          # or a pool: one_of: [conv-layer-cost, ...] drawn per variant
        points: 10                        # default: the problem's own part points
        params: {stride: 1}               # optional pins, by the catalog's names
        parts: [shape, counts]            # optional: a subset, or {shape: 4, counts: 6}
        slot: conv                        # optional: a stable name for this slot's random stream
        space: {ops: 5cm}                 # optional: answer space per part (default: the
                                          # problem's space scaled by the part's points)
        newpage: true                     # optional: the problem starts on a new page
        form: choice                      # optional: every field that can be is asked as a choice
                                          # (options (A), (B), ... answered by letters); or per part
                                          # or field: form: {shape: choice, mults: typed}
        options: 5                        # options per choice field (2 to 26; default 5)
        scoring: negative                 # all-or-nothing (the default), partial or negative
                                          # (a wrong letter costs 1/(options - 1): generator.answers.choice)
    cover: true                           # exams open with a cover page (the default)
    duration: 90 minutes                  # printed on the cover
    rules: [No notes or phones., ...]     # the cover's list of rules
    declaration: I worked alone.          # optional: printed with a signature line
    print: {pad_to: 2}                    # pad every variant to a multiple of 2 (or 4) pages
    language: de                          # the sheets' language (default en); [de, en]: bilingual
        vary: numbers                     # the default: one structure (sizes, norm, ...) for every
                                          # variant, numbers per variant; `all`: structure per variant too

Every field is checked where it is read, each failure one line naming file, line and field:
`date` is a real date (YYYY-MM-DD); points are numbers (not true/false), greater than 0, at
most 1000 and whole hundredths; seeds are whole numbers below 2**63; title (200 characters),
course (200) and instructions (20,000) must be printable by the sheets (`generator.usertext`).
The YAML itself is bounded: at most 1 MB, 32 levels of nesting, 30 digits in a number, no
NaN or infinity, no key twice in one mapping (YAML would keep the last silently). Floats
written with an exponent but no dot (1e3) are numbers, as in YAML 1.2.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from generator import i18n, usertext
from generator.errors import ExamgenError, closest, shown
from generator.precision import DEFAULT as DEFAULT_PRECISION
from generator.precision import parse as parse_precision
from generator.userfiles import read_user_text

MAX_VARIANTS = 5000
MAX_POINTS = 1000
POINTS_STEP = 0.01            # points are whole hundredths: 1e-300 points is no slot
MAX_SPEC_BYTES = 2**20        # a spec of 19 problems is 2 KB; 1 MB is no spec
MAX_DEPTH = 32                # a spec nests 7 levels (problems, params, a matrix's rows)
MAX_VALUES = 100_000          # values after YAML aliases are expanded (a "billion laughs" spec)
MAX_DIGITS = 30               # seeds are below 2**63 (19 digits)
# Lengths of the printed text fields: the title is one line on the sheet.
TEXT_LIMITS = {"title": 200, "course": 200, "instructions": 20_000, "duration": 100, "declaration": 2_000,
               "rules": 500}


def _points_problem(value: Any) -> str | None:
    """Why `value` is not a number of points (None when it is)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, got {shown(value)}"
    if not math.isfinite(value) or not 0 < value <= MAX_POINTS:
        return f"must be greater than 0 and at most {MAX_POINTS}, got {shown(value)}"
    if round(value / POINTS_STEP) < 1 or abs(value / POINTS_STEP - round(value / POINTS_STEP)) > 1e-6:
        return f"must be a whole number of hundredths (0.01), got {shown(value)}"
    return None


def _points(value: Any) -> Any:
    problem = _points_problem(value)
    if problem:
        raise ValueError(problem)
    return value


Points = Annotated[float, BeforeValidator(_points)]
FORMS = ("typed", "choice")       # how a field is asked: typed in, or as options answered by letters
SCORING = ("all-or-nothing", "partial", "negative")
MAX_OPTIONS = 26                  # one letter each
TEX_LENGTH = re.compile(r"\d+(\.\d+)?(cm|mm|in|pt|bp|em|ex)")   # an answer space: 5cm, 2.5in


class ProblemSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, min_length=1, max_length=200)
    one_of: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = None   # a pool, drawn per variant
    points: Points | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    parts: list[str] | dict[str, float] | None = None
    slot: str | None = Field(default=None, min_length=1, max_length=100)
    space: dict[str, str] | None = None
    newpage: bool = False
    form: str | dict[str, str] | None = None        # FORMS, for the whole slot or per part/field name
    options: int = Field(default=5, ge=2, le=MAX_OPTIONS)
    scoring: Literal["all-or-nothing", "partial", "negative"] = "all-or-nothing"

    @field_validator("form", mode="before")
    @classmethod
    def _form(cls, value):
        forms = " or ".join(FORMS)
        if isinstance(value, dict):
            if not value:
                raise ValueError("must name at least one part or field")
            for name, form in value.items():
                if form not in FORMS:
                    raise ValueError(f"the form of '{name}' must be {forms} (got {shown(form)})")
        elif value is not None and value not in FORMS:
            raise ValueError(f"must be {forms}, or a map of part or field names to them (got {shown(value)})")
        return value

    @field_validator("options", mode="before")
    @classmethod
    def _options(cls, value):
        if isinstance(value, bool) or not isinstance(value, int) or not 2 <= value <= MAX_OPTIONS:
            raise ValueError(f"must be a whole number of options from 2 to {MAX_OPTIONS} (got {shown(value)})")
        return value

    @field_validator("space")
    @classmethod
    def _space(cls, value):
        for part, length in (value or {}).items():
            if not isinstance(length, str) or not TEX_LENGTH.fullmatch(length.strip()):
                raise ValueError(f"space of part '{part}' must be a length such as 5cm (got {length!r})")
        return {part: length.strip() for part, length in value.items()} if value else value
    vary: Literal["numbers", "all"] = "numbers"

    @field_validator("one_of", mode="before")
    @classmethod
    def _one_of(cls, value):
        if isinstance(value, list) and not value:
            raise ValueError("must list at least one problem id")
        if isinstance(value, list) and len(set(map(repr, value))) != len(value):
            raise ValueError("names a problem twice")
        return value

    @model_validator(mode="after")
    def _id_or_pool(self):
        if (self.id is None) == (self.one_of is None):
            raise ValueError("give exactly one of 'id' (one problem) and 'one_of' (a pool drawn per variant)")
        if self.one_of is not None and (self.params or self.parts is not None):
            raise ValueError("'params' and 'parts' cannot be given with 'one_of' (its problems differ in them)")
        if self.one_of is not None and isinstance(self.form, dict):
            raise ValueError("'form' must be one form for every problem of a 'one_of' pool (their parts differ)")
        return self

    @field_validator("parts", mode="before")
    @classmethod
    def _parts(cls, value):
        if value is None:
            return value
        if isinstance(value, list | dict) and not value:
            raise ValueError("must name at least one part")
        if isinstance(value, dict):
            for name, points in value.items():
                problem = _points_problem(points)
                if problem:
                    raise ValueError(f"the points of part '{name}' {problem}")
            if sum(value.values()) > MAX_POINTS:
                raise ValueError(f"the parts' points sum to {sum(value.values()):g}, more than {MAX_POINTS}")
        if isinstance(value, list) and len(set(map(repr, value))) != len(value):
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
    banks: list[str] = Field(default_factory=list)   # problem folders besides the built-in bank
    cover: bool = True
    duration: str = ""
    rules: list[str] = Field(default_factory=list)
    declaration: str = ""
    print: PrintSpec = Field(default_factory=PrintSpec)
    shuffle: list[Literal["parts", "problems"]] = Field(default_factory=list)   # per-variant order
    grader: bool = True                   # the build writes grader.pdf: statements, key values, rubrics
    appendix: str | list[Annotated[str, Field(min_length=1, max_length=100)]] | None = None   # formula sheet

    @field_validator("appendix", mode="before")
    @classmethod
    def _appendix(cls, value):
        if isinstance(value, str) and not value.strip():
            raise ValueError("must name a .tex file or list formula names")
        if isinstance(value, list) and not value:
            raise ValueError("must list at least one formula name")
        return value
    language: tuple[str, ...] = (i18n.DEFAULT,)   # the sheets' language(s): de, or [de, en] (bilingual)

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value):
        return i18n.validate(value)

    @field_validator("shuffle", mode="before")
    @classmethod
    def _shuffle(cls, value):
        return [value] if isinstance(value, str) else value

    @field_validator("date", mode="before")
    @classmethod
    def _date(cls, value):
        if isinstance(value, dt.datetime):
            raise ValueError("must be a date without a time, e.g. 2026-12-14")
        if isinstance(value, dt.date):
            return value.isoformat()
        if value == "":
            return value
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise ValueError(f"must be a date written YYYY-MM-DD, e.g. 2026-12-14, got {shown(value)}")
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError as error:
            raise ValueError(f"{value.strip()} is not a real date ({error})") from None

    @field_validator("title", "course", "instructions", "duration", "declaration", mode="after")
    @classmethod
    def _printable(cls, value: str, info):
        text = usertext.check(value, multiline=info.field_name in ("instructions", "declaration"),
                              limit=TEXT_LIMITS[info.field_name])
        if info.field_name == "title" and not text.strip():
            raise ValueError("must not be empty")
        return text

    @field_validator("rules", mode="after")
    @classmethod
    def _printable_rules(cls, value: list[str]):
        return [usertext.check(rule, limit=TEXT_LIMITS["rules"]) for rule in value]

    @field_validator("precision", mode="before")
    @classmethod
    def _precision(cls, value):
        try:
            return parse_precision(value).text
        except ValueError as error:
            raise ValueError(f"{error} (got {shown(value)})") from None

    @field_validator("seed", "variants", mode="before")
    @classmethod
    def _whole(cls, value):
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError("must be a whole number")
        return value


class _SpecError(yaml.YAMLError):
    """Valid YAML that a spec must not contain (a duplicate key, deep nesting, a huge number)."""

    def __init__(self, what: str, node: yaml.Node, fix: str):
        super().__init__(what)
        self.what, self.mark, self.fix = what, node.start_mark, fix


_FLOAT = yaml.constructor.SafeConstructor()  # converts one float scalar; holds no state between calls


def _number_problem(node: yaml.Node) -> tuple[str, str] | None:
    """(what, fix) when a YAML number is too long or not finite, before Python converts it."""
    if not isinstance(node, yaml.ScalarNode) or node.tag not in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
        return None
    if len(node.value) > MAX_DIGITS:
        return (f"a number with {len(node.value):,} digits (at most {MAX_DIGITS})",
                "give a shorter number (seeds are below 2**63)")
    if node.tag.endswith("float") and not math.isfinite(_FLOAT.construct_yaml_float(node)):
        return f"{node.value} is not a finite number", "give a finite number"
    return None


class _SpecLoader(yaml.SafeLoader):
    """PyYAML's safe loader, bounded: nesting depth, number digits; duplicate keys are errors,
    dates that are no dates stay text (for the date field to name), NaN and infinity refused.
    YAML 1.2 floats without a dot (1e3) are numbers, as everyone but YAML 1.1 reads them."""

    depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                event = self.peek_event()
                raise _SpecError(f"the spec nests more than {MAX_DEPTH} levels deep",
                                 yaml.ScalarNode("", "", event.start_mark), "a spec is a few levels of "
                                 "fields and lists; check the brackets")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, yaml.Node] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise _SpecError(f"the key '{shown(key_node.value)[1:-1]}' appears twice (first on line "
                                     f"{seen[key].start_mark.line + 1})", key_node,
                                     "keep one of them: YAML would silently use the last")
                seen[key] = key_node
                problem = _number_problem(value_node)
                if problem:
                    raise _SpecError(f"{shown(key_node.value)[1:-1]}: {problem[0]}", value_node, problem[1])
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        problem = _number_problem(node)
        if problem:
            raise _SpecError(*problem[:1], node, problem[1])
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node):
        problem = _number_problem(node)
        if problem:
            raise _SpecError(*problem[:1], node, problem[1])
        return super().construct_yaml_float(node)

    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)  # 2026-02-30: the field's validator names it


_SpecLoader.add_constructor("tag:yaml.org,2002:int", _SpecLoader.construct_yaml_int)
_SpecLoader.add_constructor("tag:yaml.org,2002:float", _SpecLoader.construct_yaml_float)
_SpecLoader.add_constructor("tag:yaml.org,2002:timestamp", _SpecLoader.construct_yaml_timestamp)
_SpecLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"))


def _too_many_values(data: Any) -> bool:
    """Whether `data` holds more than MAX_VALUES values, shared (aliased) ones counted each time."""
    stack, count = [data], 0
    while stack:
        value = stack.pop()
        count += 1
        if count > MAX_VALUES:
            return True
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


FIELD_HINTS = {
    "title": "give the exam's title as text",
    "seed": "give a whole number >= 0 and below 2**63, e.g. seed: 2026",
    "date": "write the date as YYYY-MM-DD, e.g. date: 2026-12-14, or leave it out",
    "variants": f"give a whole number from 1 to {MAX_VARIANTS}",
    "problems": "list at least one problem: problems: [{id: cnn/conv-layer-cost, points: 10}]",
    "points": f"give a number of points greater than 0 and at most {MAX_POINTS}, e.g. points: 10",
    "id": "give a problem id from 'examgen list'",
    "parts": "give a list of part names or a map of part names to points",
    "params": "give a map of parameter names to values",
    "precision": "write e.g. precision: 3 significant digits, or precision: 4 decimals",
    "slot": "give the slot a short name (text), or leave it out",
    "vary": "write vary: numbers (one structure for every variant, the default) or vary: all",
    "banks": "give a list of bank folders, relative to the spec file, e.g. banks: [../problems]",
    "space": "give a map of part names to lengths, e.g. space: {ops: 5cm}",
    "pad_to": "write print: {pad_to: 2} or print: {pad_to: 4} (1: no padding)",
    "rules": "give a list of lines, e.g. rules: [No notes., No phones.]",
    "one_of": "give a list of problem ids, e.g. one_of: [conv-layer-cost, receptive-field]",
    "shuffle": "write shuffle: problems, shuffle: parts, or shuffle: [problems, parts]",
    "form": "write form: choice (every field that can be), or form: {PART_OR_FIELD: choice, ...}",
    "options": f"give the number of options of a choice question, from 2 to {MAX_OPTIONS}, e.g. options: 5",
    "scoring": "write scoring: all-or-nothing, scoring: partial or scoring: negative",
    "grader": "write grader: true (the default: grader.pdf) or grader: false",
    "appendix": "give a .tex file relative to the spec (appendix: formulas.tex) or formula names "
                "(appendix: [backprop, softmax-cross-entropy])",
    "language": f"write language: de, or a list for a bilingual exam, language: [de, en] (known: {i18n.known()})",
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
    name = str(path)
    text = read_user_text(path, "exam spec", limit=MAX_SPEC_BYTES)
    loader = None
    try:
        loader = _SpecLoader(text)
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except _SpecError as error:
        raise ExamgenError(error.what, f"{name}:{error.mark.line + 1}", error.fix) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{name}:{mark.line + 1}" if mark else name
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ExamgenError(f"YAML does not parse: {problem}", where,
                           "check indentation, colons and quotes on that line") from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        raise ExamgenError("an exam spec must be a YAML mapping (title:, seed:, problems: ...)", name,
                           "see the spec format in the README")
    if _too_many_values(data):
        raise ExamgenError(f"the spec expands to more than {MAX_VALUES:,} values (YAML aliases repeating "
                           "each other?)", name, "write the values out; a spec needs few of them")
    try:
        spec = ExamSpec.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        # Without the names pydantic gives the branches of a union ("list[str]"): they are no field.
        loc = tuple(s for s in first["loc"] if not (isinstance(s, str) and "[" in s and s != "[key]"))
        kind = first["type"]
        if kind == "extra_forbidden":
            node = _key_node(root, loc)
            model = ProblemSpec if "problems" in loc else ExamSpec
            hint = closest(str(loc[-1]), model.model_fields)
            raise ExamgenError(f"unknown field '{shown(loc[-1])[1:-1]}'",
                               f"{location(name, node)}: {field_path(loc)}",
                               hint or f"known fields: {', '.join(model.model_fields)}") from None
        node = _node_at(root, loc)
        if kind == "missing":
            raise ExamgenError(f"field '{loc[-1]}' is missing", f"{location(name, node)}: {field_path(loc)}",
                               FIELD_HINTS.get(str(loc[-1]), "add it")) from None
        field = next((str(s) for s in reversed(loc) if isinstance(s, str) and s in FIELD_HINTS), "")
        fix = FIELD_HINTS.get(field, "see the spec format in the README")
        cause = first.get("ctx", {}).get("error")
        if isinstance(cause, usertext.UnprintableText):
            message, fix = cause.what, cause.fix
        elif kind == "value_error":
            message = first["msg"].replace("Value error, ", "")  # our own message says what it got
        else:
            got = first.get("input")
            message = first["msg"] + (f" (got {shown(got)})" if not isinstance(got, dict | list) else "")
        raise ExamgenError(message, f"{location(name, node)}: {field_path(loc)}", fix) from None
    where = {}
    problems_node = _node_at(root, ("problems",))
    for i in range(len(spec.problems)):
        node = _node_at(problems_node, (i,)) if problems_node is not None else None
        where[str(i)] = f"{location(name, node)}: problems[{i}]"
    appendix_node = _node_at(root, ("appendix",))
    if spec.appendix is not None:
        where["appendix"] = f"{location(name, appendix_node)}: appendix"
    banks_node = _node_at(root, ("banks",))
    for i in range(len(spec.banks)):
        node = _node_at(banks_node, (i,)) if banks_node is not None else None
        where[f"banks[{i}]"] = f"{location(name, node)}: banks[{i}]"
    return spec, where
