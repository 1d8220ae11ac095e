"""Parameter kinds, constraints and the rejection sampler.

A problem declares its parameters in order; each kind knows how to draw a value from a
`Sampler`, how to validate a value an instructor pinned, and how to describe itself in an
error. Sizes may depend on earlier parameters: a dimension is an int, a tuple of ints to
choose from, the name of an earlier int parameter, `"W.rows"` / `"W.cols"` / `"g"` (the
length of an earlier vector), or a function of the parameters drawn so far.

All values are plain JSON: ints, floats, strings, lists, lists of rows.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from generator.errors import ExamgenError, closest, shown
from generator.seeds import Sampler

Params = dict[str, Any]
Dim = int | tuple[int, ...] | str | Callable[[Mapping[str, Any]], int]

MAX_TRIES = 2000


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return (isinstance(value, int | float)) and not isinstance(value, bool)


def _number_problem(value: Any, low: float, high: float, nonzero: bool, integral: bool,
                    subject: str = "") -> str | None:
    """Why `value` is not a number of the declared kind and range (None when it is)."""
    lead = f"{subject} must" if subject else "must"
    if not (_is_int(value) if integral else _is_real(value)):
        kind = ("integers" if integral else "numbers") if subject else ("an integer" if integral else "a number")
        return f"{lead} be {kind}, got {shown(value)}"
    if not low <= value <= high:
        return f"{lead} be in [{low}, {high}], got {shown(value)}"
    if nonzero and value == 0:
        return f"{lead} not be 0"
    return None


def resolve_dim(dim: Dim, params: Mapping[str, Any], rng: Sampler | None) -> int:
    """The size a dimension stands for, given the parameters drawn so far."""
    if callable(dim):
        return int(dim(params))
    if isinstance(dim, int):
        return dim
    if isinstance(dim, tuple):
        if rng is None:
            raise ValueError("a choice of sizes needs a sampler")
        return rng.choice(dim)
    name, _, axis = dim.partition(".")
    value = params[name]
    if axis == "rows":
        return len(value)
    if axis == "cols":
        return len(value[0])
    return value if _is_int(value) else len(value)


@dataclass(frozen=True)
class Param:
    """Base of every parameter kind."""

    name: str

    def draw(self, rng: Sampler, params: Mapping[str, Any]) -> Any:
        raise NotImplementedError(f"{type(self).__name__} is drawn by the problem's own sample()")

    def problem_with(self, value: Any, params: Mapping[str, Any]) -> str | None:
        """Why `value` is not a valid value of this parameter, or None when it is."""
        return None

    def describe(self) -> str:
        return "a value"

    def canonical(self, value: Any) -> Any:
        """A valid pinned value as the key stores it (a Choice's own option, 3 for 3.0)."""
        return value


@dataclass(frozen=True)
class Int(Param):
    """An integer in [low, high]."""

    low: int = 0
    high: int = 1
    nonzero: bool = False
    # What solve and check handle (a pin may leave the sampling range for it); None: the range.
    domain: tuple[int, int] | None = None
    # The value other pins imply (a size from a pinned list the problem draws itself), or None.
    implied: Callable[[Mapping[str, Any]], Any] | None = None

    def draw(self, rng, params):
        return rng.nonzero_integer(self.low, self.high) if self.nonzero else rng.integer(self.low, self.high)

    def problem_with(self, value, params):
        low, high = self.domain or (self.low, self.high)
        return _number_problem(value, low, high, self.nonzero, integral=True)

    def describe(self):
        low, high = self.domain or (self.low, self.high)
        return f"an integer in [{low}, {high}]"


@dataclass(frozen=True)
class Index(Param):
    """A 1-based index drawn from 1..size, where `size` names an earlier parameter (a class
    label among K classes, a unit among n). A pin is checked against `largest` only: the
    problem's constraint `index <= size` rejects a drawn size that is too small, so pinning
    the index alone still works. `noun` names it in messages ("class label", "unit index")."""

    size: str = "n"
    largest: int = 1
    noun: str = "index"

    def draw(self, rng, params):
        return rng.integer(1, params[self.size])

    def problem_with(self, value, params):
        if not isinstance(value, int) or isinstance(value, bool):
            return f"must be an integer {self.noun}, got {value!r}"
        if not 1 <= value <= self.largest:
            return f"must be a {self.noun} from 1 to {self.largest}, got {value}"
        return None

    def describe(self):
        return f"a {self.noun} from 1 to {self.size} (1-based)"


@dataclass(frozen=True)
class Choice(Param):
    """One of a fixed list of values (numbers or strings)."""

    options: tuple[Any, ...] = ()
    # Numbers a pin may give besides the options (solve and check handle them): [low, high].
    domain: tuple[float, float] | None = None
    # The value other pins imply (a size from a pinned list the problem draws itself), or None.
    implied: Callable[[Mapping[str, Any]], Any] | None = None

    def draw(self, rng, params):
        return rng.choice(self.options)

    def _in_domain(self, value: Any) -> bool:
        integral = all(_is_int(o) for o in self.options)   # sizes and counts stay whole numbers
        return (self.domain is not None and (_is_int(value) if integral else _is_real(value))
                and math.isfinite(value) and self.domain[0] <= value <= self.domain[1])

    def _match(self, value: Any) -> tuple[bool, Any]:
        """(found, option): the option `value` stands for. 3.0 stands for the int option 3 (a YAML
        or JSON writer's float), but True never for 1 (a bool only for a bool option), nor 1 for "1"."""
        if not isinstance(value, str | int | float):
            return False, None
        for option in self.options:
            if isinstance(option, bool) != isinstance(value, bool) or isinstance(option, str) != isinstance(value, str):
                continue
            if option == value:
                return True, option
        return False, None

    def problem_with(self, value, params):
        if not self._match(value)[0] and not self._in_domain(value):
            return f"must be {self.describe()}, got {shown(value)}"
        return None

    def canonical(self, value):
        found, option = self._match(value)
        return option if found else value

    def describe(self):
        options = "one of " + ", ".join(repr(o) for o in self.options)
        return options + (f", or a number in [{self.domain[0]}, {self.domain[1]}]" if self.domain else "")


@dataclass(frozen=True)
class Decimal(Param):
    """A short decimal on the grid low, low + step, ..., high (a pinned value may be off the grid)."""

    low: float = 0.0
    high: float = 1.0
    step: float = 0.1
    nonzero: bool = False
    # What solve and check handle (a pin may leave the sampling range for it); None: the range.
    domain: tuple[float, float] | None = None

    def draw(self, rng, params):
        while True:
            value = rng.decimal(self.low, self.high, self.step)
            if not (self.nonzero and value == 0):
                return value

    def problem_with(self, value, params):
        low, high = self.domain or (self.low, self.high)
        return _number_problem(value, low, high, self.nonzero, integral=False)

    def describe(self):
        low, high = self.domain or (self.low, self.high)
        return f"a number in [{low}, {high}]"


@dataclass(frozen=True)
class Vector(Param):
    """A list of integers (step 1) or short decimals (step < 1) in [low, high]."""

    length: Dim = 3
    low: float = -5
    high: float = 5
    step: float = 1
    nonzero: bool = False
    # The entries solve and check handle (a pin may leave the sampling range for it); None: the range.
    domain: tuple[float, float] | None = None

    def _entry(self, rng: Sampler) -> Any:
        while True:
            if self.step == 1 and float(self.low).is_integer():
                value: Any = rng.integer(int(self.low), int(self.high))
            else:
                value = rng.decimal(self.low, self.high, self.step)
            if not (self.nonzero and value == 0):
                return value

    def draw(self, rng, params):
        return [self._entry(rng) for _ in range(resolve_dim(self.length, params, rng))]

    def _entry_problem(self, value: Any) -> str | None:
        integral = self.step == 1 and float(self.low).is_integer()
        low, high = self.domain or (self.low, self.high)
        return _number_problem(value, low, high, self.nonzero, integral, subject="entries")

    def _length_problem(self, value: Any, params: Mapping[str, Any]) -> str | None:
        if not isinstance(value, list):
            return f"must be a list of numbers, got {shown(value)}"
        expected = _expected_size(self.length, params)
        if expected is not None and len(value) not in expected:
            return f"must have {' or '.join(map(str, expected))} entries, got {len(value)}"
        return None

    def problem_with(self, value, params):
        problem = self._length_problem(value, params)
        if problem:
            return problem
        for entry in value:
            problem = self._entry_problem(entry)
            if problem:
                return problem
        return None

    def describe(self):
        low, high = self.domain or (self.low, self.high)
        return f"a list of numbers in [{low}, {high}]"


@dataclass(frozen=True)
class Matrix(Vector):
    """A list of rows, each a list of integers or short decimals in [low, high]."""

    rows: Dim = 2
    cols: Dim = 2

    def draw(self, rng, params):
        rows = resolve_dim(self.rows, params, rng)
        cols = resolve_dim(self.cols, params, rng)
        return [[self._entry(rng) for _ in range(cols)] for _ in range(rows)]

    def problem_with(self, value, params):
        if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
            return f"must be a non-empty list of rows (lists of numbers), got {shown(value)}"
        if not all(value):
            return "rows must not be empty"
        rows = _expected_size(self.rows, params)
        cols = _expected_size(self.cols, params)
        if rows is not None and len(value) not in rows:
            return f"must have {' or '.join(map(str, rows))} rows, got {len(value)}"
        widths = {len(r) for r in value}
        if len(widths) != 1:
            return "rows must all have the same length"
        if cols is not None and widths.pop() not in cols:
            return f"rows must have {' or '.join(map(str, cols))} entries"
        for row in value:
            for entry in row:
                problem = self._entry_problem(entry)
                if problem:
                    return problem
        return None

    def describe(self):
        low, high = self.domain or (self.low, self.high)
        return f"a matrix (list of rows) of numbers in [{low}, {high}]"


@dataclass(frozen=True)
class SizedVector(Vector):
    """A vector whose length an earlier (structure) parameter sets, that can be pinned without
    that parameter: a pinned value may have any of `lengths` entries; a constraint tying the
    length to the size parameter (or the size the pin implies) makes the two agree."""

    lengths: tuple[int, ...] = ()

    def problem_with(self, value, params):
        return Vector.problem_with(replace(self, length=self.lengths), value, params)


@dataclass(frozen=True)
class SizedMatrix(Matrix):
    """As SizedVector, for a matrix: a pinned value may have any of `row_sizes` rows and any
    of `col_sizes` columns."""

    row_sizes: tuple[int, ...] = ()
    col_sizes: tuple[int, ...] = ()

    def problem_with(self, value, params):
        return Matrix.problem_with(replace(self, rows=self.row_sizes, cols=self.col_sizes), value, params)


@dataclass(frozen=True)
class Custom(Param):
    """A parameter that the problem's own `sample(rng)` draws; `check` validates a pinned value."""

    check: Callable[[Any, Mapping[str, Any]], str | None] = field(default=lambda v, p: None)
    description: str = "a value"

    def problem_with(self, value, params):
        try:
            return self.check(value, params)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError, RecursionError):
            # The problem's validator met a shape it did not foresee: the value is not of its kind.
            return f"must be {self.description}, got {shown(value)}"

    def describe(self):
        return self.description


def _expected_size(dim: Dim, params: Mapping[str, Any]) -> tuple[int, ...] | None:
    """The sizes a dimension allows, or None when they cannot be known yet."""
    if isinstance(dim, tuple):
        return dim
    try:
        return (resolve_dim(dim, params, None),)
    except (KeyError, TypeError, IndexError, ValueError):
        return None


@dataclass(frozen=True)
class Constraint:
    """A condition every instance must satisfy; `text` is how errors and the docs name it.

    A `pedagogical` constraint keeps drawn instances good to teach with (no degenerate case,
    no give-away), but solve and check handle instances that break it: a pin that breaks it
    is taken, with a warning naming the constraint, instead of refused."""

    text: str
    holds: Callable[[Mapping[str, Any]], bool]
    pedagogical: bool = False


@dataclass(frozen=True)
class Sampled:
    params: Params
    tries: int
    warnings: tuple[str, ...] = ()


# With pins under which only pedagogical constraints fail, this many draws look for a better
# instance before the pinned one is taken with a warning.
PEDAGOGICAL_PATIENCE = 200


def infer_sizes(declared: Sequence[Param], pins: Mapping[str, Any]) -> dict[str, Any]:
    """`pins` plus the size parameters a pinned vector or matrix implies: a pinned W1 with 3
    rows, whose rows are the int parameter `h`, pins h = 3 when h itself is not pinned (so a
    full instance can be given by its numbers alone); a parameter's own `implied` does the
    same for sizes of values the problem draws itself."""
    out = dict(pins)
    kinds = {p.name: p for p in declared}
    for param in declared:
        implied = getattr(param, "implied", None)
        if implied is not None and param.name not in out:
            try:
                value = implied(pins)
            except (TypeError, KeyError, IndexError, ValueError, AttributeError):
                value = None   # the pinned value is malformed: its own check says how
            if value is not None and param.problem_with(value, out) is None:
                out[param.name] = value
    for param in declared:
        value = pins.get(param.name)
        if not isinstance(value, list) or not isinstance(param, Vector):
            continue
        dims: list[tuple[Dim, Any]] = []
        if isinstance(param, Matrix):
            dims = [(param.rows, len(value))]
            if value and isinstance(value[0], list):
                dims.append((param.cols, len(value[0])))
        else:
            dims = [(param.length, len(value))]
        for dim, size in dims:
            # Only a size its parameter accepts: else the pinned value's own check names it.
            if (isinstance(dim, str) and "." not in dim and dim not in out
                    and isinstance(kinds.get(dim), Int | Choice) and kinds[dim].problem_with(size, out) is None):
                out[dim] = size
    return out


def validate_pins(problem_id: str, declared: Sequence[Param], pins: Mapping[str, Any], where: str) -> None:
    """Unknown names and values of the wrong kind are errors before any drawing."""
    names = [p.name for p in declared]
    for name in pins:
        if name not in names:
            hint = closest(name, names)
            raise ExamgenError(
                f"{problem_id} has no parameter '{name}'",
                where,
                (hint + " " if hint else "") + f"its parameters are {', '.join(names)}",
            )


def _first_problem(declared: Sequence[Param], params: Mapping[str, Any]) -> tuple[Param, str] | None:
    for param in declared:
        if param.name not in params:
            return param, "is missing"
        problem = param.problem_with(params[param.name], params)
        if problem:
            return param, problem
    return None


def sample_params(
    problem_id: str,
    declared: Sequence[Param],
    constraints: Sequence[Constraint],
    rng: Sampler,
    pins: Mapping[str, Any] | None = None,
    custom_sample: Callable[..., Params] | None = None,
    where: str | None = None,
    max_tries: int = MAX_TRIES,
) -> Sampled:
    """Draw parameters until every constraint holds; pinned values are kept as given.

    A pinned value outside its parameter's domain is an error at once; pins under which no
    draw satisfies the constraints are an error naming the constraint that failed most,
    unless only pedagogical constraints fail: then the instance is taken with a warning.
    A `custom_sample` taking two arguments gets the pins too (to draw the rest around them).
    """
    where = where or problem_id
    validate_pins(problem_id, declared, pins or {}, where)
    kinds = {p.name: p for p in declared}
    pins = {name: kinds[name].canonical(value) for name, value in infer_sizes(declared, pins or {}).items()}
    failures: Counter[str] = Counter()
    pedagogical = {c.text for c in constraints if c.pedagogical}
    fallback: tuple[Params, list[str]] | None = None
    wants_pins = custom_sample is not None and _arity(custom_sample) >= 2
    if wants_pins:
        # The problem's sample() draws around the pins: they must be valid before it sees them.
        for name, value in pins.items():
            problem = kinds[name].problem_with(value, pins)
            if problem:
                raise ExamgenError(f"parameter '{name}' {problem}", f"{where}.params.{name}",
                                   f"give {kinds[name].describe()}")
    tries = 0
    for tries in range(1, max_tries + 1):
        if custom_sample is not None:
            params = dict(custom_sample(rng, dict(pins)) if wants_pins else custom_sample(rng))
            params.update(pins)
        else:
            params = {}
            for param in declared:
                if param.name in pins:
                    # Checked before the next parameter is drawn: its size may come from this one.
                    problem = param.problem_with(pins[param.name], params)
                    if problem:
                        raise ExamgenError(f"parameter '{param.name}' {problem}", f"{where}.params.{param.name}",
                                           f"give {param.describe()}")
                    params[param.name] = pins[param.name]
                else:
                    params[param.name] = param.draw(rng, params)
        bad = _first_problem(declared, params)
        if bad is not None:
            param, problem = bad
            if param.name in pins or custom_sample is None:
                raise ExamgenError(
                    f"parameter '{param.name}' {problem}",
                    f"{where}.params.{param.name}" if param.name in pins else where,
                    f"give {param.describe()}",
                )
            failures[f"{param.name} {problem}"] += 1
            continue
        failed = _failed(constraints, params)
        if not failed:
            return Sampled(params={p.name: params[p.name] for p in declared}, tries=tries)
        failures.update(failed)
        if pins and set(failed) <= pedagogical and fallback is None:
            fallback = ({p.name: params[p.name] for p in declared}, failed)
        everything = bool(pins) and len(pins) == len(declared)
        if fallback is not None and (everything or tries >= PEDAGOGICAL_PATIENCE):
            break
        if everything:
            break  # everything pinned: another try cannot change anything
    if fallback is not None:
        chosen, failed = fallback
        return Sampled(params=chosen, tries=tries, warnings=tuple(
            f"the pinned parameters {sorted(pins)} break the pedagogical constraint '{text}'"
            for text in failed))
    worst, count = failures.most_common(1)[0]
    if pins:
        raise ExamgenError(
            f"the pinned parameters {sorted(pins)} break the constraint '{worst}'"
            f" (it failed in {count} of {tries} tries)",
            f"{where}.params",
            "change or remove those pins",
        )
    raise ExamgenError(
        f"no valid instance of {problem_id} in {tries} tries: constraint '{worst}' failed {count} times",
        where,
        "the problem's parameter ranges or constraints need fixing",
    )


def _arity(function: Callable[..., Any]) -> int:
    import inspect

    try:
        return len(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        return 1


def _holds(constraint: Constraint, params: Mapping[str, Any]) -> bool:
    try:
        return bool(constraint.holds(params))
    except (ZeroDivisionError, ValueError, ArithmeticError):
        return False


def _failed(constraints: Sequence[Constraint], params: Mapping[str, Any]) -> list[str]:
    """The texts of the constraints that fail, in order. A constraint may rely on the ones
    before it (mirror descent's gradient needs c to be a list): once one has failed, a later
    one that cannot even be evaluated counts as failed too, instead of crashing."""
    failed: list[str] = []
    for constraint in constraints:
        try:
            holds = _holds(constraint, params)
        except (TypeError, KeyError, IndexError, AttributeError):
            if not failed:
                raise
            holds = False
        if not holds:
            failed.append(constraint.text)
    return failed


def check_params(problem_id: str, declared: Sequence[Param], constraints: Sequence[Constraint],
                 params: Mapping[str, Any], where: str) -> Params:
    """Validate a complete set of parameters (from --params or a key) without drawing; return
    them as the key stores them (a Choice's own option: 3 for 3.0)."""
    validate_pins(problem_id, declared, params, where)
    params = infer_sizes(declared, params)
    params = {p.name: p.canonical(params[p.name]) for p in declared if p.name in params}
    bad = _first_problem(declared, params)
    if bad is not None:
        param, problem = bad
        raise ExamgenError(f"parameter '{param.name}' {problem}", f"{where}.params.{param.name}",
                           f"give {param.describe()}")
    pedagogical = {c.text for c in constraints if c.pedagogical}
    failed = [text for text in _failed(constraints, params) if text not in pedagogical]
    if failed:
        raise ExamgenError(f"the parameters break the constraint '{failed[0]}'", f"{where}.params",
                           "change the parameters so that it holds")
    return params
