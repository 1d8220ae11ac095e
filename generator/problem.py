"""The problem contract: what a problem folder's `problem.py` declares.

A problem module defines, at module level:

    TITLE       = "..."                      a short title (a string literal: `examgen list` reads it without importing)
    TITLES      = {"de": "..."}              optional: the title in other languages (a literal too), by language
                                             code (generator.i18n); a language without one prints TITLE
    SOURCE      = "..."                      the source sheet and exercise it comes from (a literal too)
    PARTS       = (Part(...), ...)           the parts a student answers, with default points
    PARAMS      = (Int(...), Vector(...), ...)   parameters in drawing order, named as in the catalog
    CONSTRAINTS = (Constraint(...), ...)     what makes an instance non-degenerate
    ANSWERS     = (Answer(...), ...)         answer fields named as in the catalog, with tolerances
    MISTAKES    = (Mistake(...), ...)        optional: common wrong answers, for feedback
    STRUCTURE   = ("h", "K", ...)            optional: the parameters that are structure (sizes, norm,
                                             schedule, number of steps): an exam draws them once per slot
    WORKLOAD    = lambda params: number      optional: the work an instance asks (e.g. multiplications)
    SHUFFLE_PARTS = True                     optional: the parts are independent, so `shuffle: parts` may reorder them
    DISTRACTORS = {"field": lambda params: [value, ...]}   optional: plausible wrong values of a field
                                             asked as a choice, besides its mistakes' (generator.options)
    RUBRIC      = {"part": (Step(...), ...)}  what a grader awards in each part: steps whose shares of the
                                             part's points add up to exactly 1 (`examgen verify` asks for it)
    def sample(rng) -> params                optional: constructive drawing when declarations do not suffice
    def solve(params) -> dict                the reference solver: every answer field, plus what the solution shows
    def check(params, answers) -> dict       an independent second method: field -> independently computed value

and, beside it, `question.tex.j2` and `solution.tex.j2`. This module turns such a module
into a frozen `Problem`; `generator` never imports a specific problem by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Any

from generator.answers import Alternative, Answer, Approx
from generator.params import Choice, Constraint, Custom, Decimal, Int, Matrix, Param, Vector

__all__ = [
    "Alternative", "Answer", "Approx", "Choice", "Constraint", "Custom", "Decimal", "Int", "Matrix", "Mistake",
    "Param", "Part", "Problem", "Step", "Vector", "load_module", "title_in",
]


@dataclass(frozen=True)
class Part:
    """A part of a problem as printed: `\\part[points]`, the answer fields it asks for, and
    the writing space left under it on the exam sheet."""

    name: str
    points: float
    answers: tuple[str, ...] = ()
    space: str = "3cm"


@dataclass(frozen=True)
class Step:
    """One thing a grader awards in a part (`RUBRIC`): what to look for, and its share of the
    part's points, a fraction such as 0.5 or "1/3". Shares rather than points, so that the
    rubric follows whatever points an exam gives the part; a part's shares add up to exactly 1."""

    text: str
    share: float | str

    @property
    def fraction(self) -> Fraction:
        """The share as an exact fraction (0.1 is 1/10, not the float's binary value)."""
        return Fraction(str(self.share))

    def points(self, part_points: float) -> float:
        """The points this step is worth when its part is worth `part_points`."""
        return float(self.fraction * Fraction(str(part_points)))


@dataclass(frozen=True)
class Mistake:
    """A common wrong way to solve a problem: `wrong(params)` returns the answers it gives."""

    name: str
    description: str
    wrong: Callable[[Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class Problem:
    """A loaded problem: its declarations and functions, plus where it lives."""

    id: str
    topic: str
    folder: Path
    title: str
    source: str
    parts: tuple[Part, ...]
    params: tuple[Param, ...]
    constraints: tuple[Constraint, ...]
    answers: tuple[Answer, ...]
    mistakes: tuple[Mistake, ...]
    solve: Callable[[Mapping[str, Any]], Mapping[str, Any]]
    check: Callable[[Mapping[str, Any], Mapping[str, Any]], Mapping[str, Any]]
    sample: Callable[..., dict[str, Any]] | None
    structure: tuple[str, ...] = ()
    workload: Callable[[Mapping[str, Any]], float] | None = None
    shuffle_parts: bool = False     # SHUFFLE_PARTS: no part depends on another, any order is fair
    distractors: Mapping[str, Callable[[Mapping[str, Any]], Any]] = field(default_factory=dict)  # DISTRACTORS
    rubric: Mapping[str, tuple[Step, ...]] = field(default_factory=dict)   # RUBRIC: part -> its steps
    titles: Mapping[str, str] = field(default_factory=dict)   # TITLES: language code -> title

    def answer(self, name: str) -> Answer:
        for answer in self.answers:
            if answer.name == name:
                return answer
        raise KeyError(name)

    def part(self, name: str) -> Part:
        for part in self.parts:
            if part.name == name:
                return part
        raise KeyError(name)

    @property
    def total_points(self) -> float:
        return sum(p.points for p in self.parts)

    @property
    def template_names(self) -> tuple[str, str]:
        """Template names relative to the bank root, for the jinja2 loader."""
        return f"{self.id}/question.tex.j2", f"{self.id}/solution.tex.j2"


def title_in(problem: Any, language: str | Sequence[str]) -> str:
    """A problem's title in a language (a sheet's languages: the first one's), from its TITLES,
    or its TITLE where it declares none for that language. `problem` is a `Problem` or a bank
    listing's `Entry`: both carry `title` and `titles`."""
    code = language if isinstance(language, str) else language[0]
    return problem.titles.get(code) or problem.title


def _titles(problem_id: str, declared: Any) -> dict[str, str]:
    """TITLES checked: known language codes, each with a non-empty title."""
    from generator import i18n

    if not isinstance(declared, Mapping):
        raise ContractError(f"{problem_id}: TITLES must map language codes to titles, e.g. {{\"de\": \"...\"}}")
    for code, title in declared.items():
        if code not in i18n.LANGUAGES:
            raise ContractError(f"{problem_id}: TITLES names '{code}', which is not a language examgen prints"
                                f" (known: {i18n.known()})")
        if not isinstance(title, str) or not title.strip():
            raise ContractError(f"{problem_id}: TITLES['{code}'] must be a non-empty string")
    return dict(declared)


class ContractError(Exception):
    """A problem module that does not follow the contract (a bug in the bank, not user input)."""


def load_module(module: ModuleType, problem_id: str, folder: Path) -> Problem:
    """Check a problem module against the contract and freeze it into a `Problem`."""

    def need(name: str) -> Any:
        if not hasattr(module, name):
            raise ContractError(f"{problem_id}: problem.py must define {name}")
        return getattr(module, name)

    answers = tuple(need("ANSWERS"))
    parts = tuple(need("PARTS"))
    params = tuple(need("PARAMS"))
    answer_names = [a.name for a in answers]
    if len(set(answer_names)) != len(answer_names):
        raise ContractError(f"{problem_id}: duplicate answer names")
    if len({p.name for p in params}) != len(params):
        raise ContractError(f"{problem_id}: duplicate parameter names")
    if not parts or len({p.name for p in parts}) != len(parts):
        raise ContractError(f"{problem_id}: PARTS must be non-empty with distinct names")
    in_parts = [name for part in parts for name in part.answers]
    for name in in_parts:
        if name not in answer_names:
            raise ContractError(f"{problem_id}: part answer '{name}' is not in ANSWERS")
    missing = sorted(set(answer_names) - set(in_parts))
    if missing:
        raise ContractError(f"{problem_id}: answers {missing} belong to no part")
    for part in parts:
        if part.points <= 0:
            raise ContractError(f"{problem_id}: part {part.name} needs positive points")
    structure = getattr(module, "STRUCTURE", ())
    if isinstance(structure, str) or not isinstance(structure, tuple | list) \
            or not all(isinstance(n, str) for n in structure):
        raise ContractError(f"{problem_id}: STRUCTURE must be a tuple of parameter names")
    param_names = [p.name for p in params]
    for name in structure:
        if name not in param_names:
            raise ContractError(f"{problem_id}: STRUCTURE names '{name}', which is not in PARAMS"
                                f" ({', '.join(param_names)})")
    if len(set(structure)) != len(structure):
        raise ContractError(f"{problem_id}: STRUCTURE names a parameter twice")
    workload = getattr(module, "WORKLOAD", None)
    if workload is not None and not callable(workload):
        raise ContractError(f"{problem_id}: WORKLOAD must be a function of the parameters")
    rubric = _rubric(problem_id, getattr(module, "RUBRIC", {}), parts)
    for path in ("question.tex.j2", "solution.tex.j2"):
        if not (folder / path).is_file():
            raise ContractError(f"{problem_id}: {path} is missing")
    return Problem(
        id=problem_id,
        topic=problem_id.split("/")[0],
        folder=folder,
        title=need("TITLE"),
        source=need("SOURCE"),
        parts=parts,
        params=params,
        constraints=tuple(getattr(module, "CONSTRAINTS", ())),
        answers=answers,
        mistakes=tuple(getattr(module, "MISTAKES", ())),
        solve=need("solve"),
        check=need("check"),
        sample=getattr(module, "sample", None),
        structure=tuple(structure),
        workload=workload,
        shuffle_parts=getattr(module, "SHUFFLE_PARTS", False) is True,
        distractors=_distractors(module, problem_id, answer_names),
        rubric=rubric,
        titles=_titles(problem_id, getattr(module, "TITLES", {})),
    )


def _distractors(module: ModuleType, problem_id: str, answer_names: list[str]) -> dict[str, Any]:
    declared = getattr(module, "DISTRACTORS", {})
    if not isinstance(declared, dict) or not all(callable(f) for f in declared.values()):
        raise ContractError(f"{problem_id}: DISTRACTORS must map answer fields to functions of the parameters")
    for name in declared:
        if name not in answer_names:
            raise ContractError(f"{problem_id}: DISTRACTORS names '{name}', which is not in ANSWERS")
    return dict(declared)


def _rubric(problem_id: str, declared: Any, parts: tuple[Part, ...]) -> dict[str, tuple[Step, ...]]:
    """RUBRIC checked: a step list for every part (or no RUBRIC at all, which `verify` reports),
    each step a `Step` with a positive share, the shares of a part adding up to exactly 1."""
    if not isinstance(declared, Mapping):
        raise ContractError(f"{problem_id}: RUBRIC must map each part name to its steps")
    if not declared:
        return {}
    names = [part.name for part in parts]
    unknown = [name for name in declared if name not in names]
    if unknown:
        raise ContractError(f"{problem_id}: RUBRIC names part '{unknown[0]}', which is not in PARTS"
                            f" ({', '.join(names)})")
    rubric = {}
    for name in names:
        steps = declared.get(name)
        if steps is None:
            raise ContractError(f"{problem_id}: RUBRIC has no steps for part '{name}'")
        if isinstance(steps, Step):
            steps = (steps,)
        if not isinstance(steps, tuple | list) or not steps or not all(isinstance(s, Step) for s in steps):
            raise ContractError(f"{problem_id}: RUBRIC['{name}'] must be a tuple of Step(text, share)")
        for step in steps:
            try:
                share = step.fraction
            except (ValueError, ZeroDivisionError):
                raise ContractError(f"{problem_id}: RUBRIC['{name}']: share {step.share!r} of"
                                    f" '{step.text}' is not a fraction such as 0.5 or \"1/3\"") from None
            if share <= 0 or not step.text.strip():
                raise ContractError(f"{problem_id}: RUBRIC['{name}']: every step needs a text and a positive share")
        total = sum((step.fraction for step in steps), Fraction(0))
        if total != 1:
            raise ContractError(f"{problem_id}: the steps of part '{name}' add up to {total} of its points,"
                                f" not 1")
        rubric[name] = tuple(steps)
    return rubric
