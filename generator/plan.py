"""From a validated spec to a plan: the slots of the exam and the variant keys.

A slot is one position on the sheet: a problem, its points per part, its pins, and the
stable key its random stream is derived from (the spec's `slot:` name, else the problem
id, with `#2`, `#3` for repeats), so that reordering slots changes no instance.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from generator.appendix import appendix_snippets
from generator.bank import Bank, builtin
from generator.errors import ExamgenError, closest
from generator.params import validate_pins
from generator.precision import DEFAULT as DEFAULT_PRECISION
from generator.precision import Precision
from generator.precision import parse as parse_precision
from generator.spec import FORMS, ExamSpec


@dataclass(frozen=True)
class Slot:
    number: int                               # 1-based position on the sheet
    key: str                                  # seeds this slot's stream
    problem_id: str
    parts: tuple[tuple[str, float], ...]      # the parts asked, in order, with points
    pins: Mapping[str, Any]
    where: str                                # file:line of the spec entry, for errors
    space: tuple[tuple[str, str], ...] = ()   # answer space per part (TeX lengths); the bank's where absent
    newpage: bool = False                     # the problem starts on a new page
    vary: str = "numbers"                     # "numbers": one structure for the slot; "all": per variant
    pool: tuple[str, ...] = ()                # `one_of`: the problems drawn from per variant (empty: none)
    options: tuple[Slot, ...] = ()            # the slot as each pool problem would fill it, in pool order
    shuffle_parts: bool = False               # the parts' order is drawn per variant (spec and problem allow it)
    choice: tuple[str, ...] = ()              # the answer fields asked as a choice (form: choice)
    choice_options: int = 5                   # options per choice field (spec `options:`)
    scoring: str = "all-or-nothing"           # how a choice response scores (generator.answers.choice)

    @property
    def points(self) -> float:
        return sum(p for _, p in self.parts)

    def field_points(self, fields_of: Callable[[str], Sequence[str]]) -> dict[str, Fraction]:
        """Points per answer field, in sheet order: each part's points split equally over its
        fields (`fields_of(part name)`). The one rule for the key, grading and every export."""
        out: dict[str, Fraction] = {}
        for part, points in self.parts:
            fields = fields_of(part)
            for name in fields:
                out[name] = Fraction(points).limit_denominator(1000) / len(fields)
        return out


@dataclass(frozen=True)
class Student:
    key: str
    name: str
    extra: Mapping[str, str] = field(default_factory=dict)
    accommodations: tuple[str, ...] = ()      # roster column `accommodations`: large-print, html, extra-time
    extra_time: str = ""                      # '30 minutes', '25%' (empty: none, or not stated)


@dataclass(frozen=True)
class Plan:
    title: str
    course: str
    date: str
    instructions: str
    seed: int
    spec_name: str
    slots: tuple[Slot, ...]
    variant_keys: tuple[str, ...]
    students: Mapping[str, Student] = field(default_factory=dict)
    precision: Precision = DEFAULT_PRECISION      # one rounding rule for every decimal answer
    bank: Bank = field(default_factory=builtin)   # where the slots' problems come from
    cover: bool = False                           # a cover page before problem 1 (exams: the spec's default on)
    duration: str = ""
    rules: tuple[str, ...] = ()
    declaration: str = ""
    pad_to: int = 1                               # each variant's pages are padded to a multiple of this
    shuffle_problems: bool = False                # the slots' order is drawn per variant
    grader: bool = False                          # a build writes the grader's copy (exams: the spec's default on)
    appendix: tuple[tuple[str, str], ...] = ()    # the formula sheet: (name, LaTeX) per snippet, after each exam
    language: tuple[str, ...] = ("en",)           # the sheets' languages; the first is the sheet's own

    @property
    def total_points(self) -> float:
        return sum(s.points for s in self.slots)

    @property
    def slug(self) -> str:
        return self.spec_name


def numbered_keys(count: int) -> tuple[str, ...]:
    width = max(3, len(str(count)))
    return tuple(str(i).zfill(width) for i in range(1, count + 1))


def distribute(total: float, weights: list[float]) -> list[float]:
    """Split `total` points over parts in proportion to `weights`, in half points, summing exactly
    (largest remainder)."""
    halves = round(total * 2)
    if abs(halves - total * 2) > 1e-9:
        return [total * w / sum(weights) for w in weights]
    raw = [halves * w / sum(weights) for w in weights]
    floors = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (floors[i] - raw[i], i))
    for i in order[: halves - sum(floors)]:
        floors[i] += 1
    return [f / 2 for f in floors]


SPACE_SCALE = (0.5, 2.0)    # answer spaces scale with the points, within these factors of the problem's


def scaled_space(declared: str, factor: float) -> str:
    """A TeX length (`3cm`, `2.5in`) times `factor`, clamped to SPACE_SCALE."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)([a-z]+)", declared.strip())
    if match is None:
        return declared
    low, high = SPACE_SCALE
    return f"{round(float(match.group(1)) * min(high, max(low, factor)), 2):g}{match.group(2)}"


def answer_spaces(slots: Sequence[Slot], bank: Bank) -> list[Slot]:
    """Every slot with each part's answer space resolved: the spec's `space:` where given, else the
    problem's space scaled by how many points the part has against the problem's own points for
    it, relative to the exam as a whole (an exam that doubles every part's points keeps the bank's
    spaces; a part given twice the exam's usual share gets twice the room)."""
    declared = {(s.number, n): bank.load(s.problem_id).part(n).points for s in slots for n, _ in s.parts}
    given = sum(p for s in slots for _, p in s.parts)
    usual = given / sum(declared.values()) if sum(declared.values()) > 0 else 1.0
    out = []
    for s in slots:
        problem = bank.load(s.problem_id)
        set_in_spec = dict(s.space)
        space = tuple((name, set_in_spec.get(name) or scaled_space(
            problem.part(name).space, points / declared[(s.number, name)] / usual if declared[(s.number, name)] > 0 else 1.0))
            for name, points in s.parts)
        options = tuple(answer_spaces_scaled(o, bank, usual) for o in s.options)
        out.append(replace(s, space=space, options=options))
    return out


def answer_spaces_scaled(s: Slot, bank: Bank, usual: float) -> Slot:
    """One pool option's answer spaces, at the exam's usual points per bank point (see `answer_spaces`)."""
    problem = bank.load(s.problem_id)
    set_in_spec = dict(s.space)
    space = tuple((name, set_in_spec.get(name) or scaled_space(
        problem.part(name).space, points / problem.part(name).points / usual if problem.part(name).points > 0 else 1.0))
        for name, points in s.parts)
    return replace(s, space=space)


def make_plan(spec: ExamSpec, where: Mapping[str, str], spec_path: str | Path,
              variants: int | None = None, seed: int | None = None,
              students: Mapping[str, Student] | None = None, bank: Bank | None = None) -> Plan:
    """`bank` holds the built-in bank and any --bank folders; the spec's `banks:` (relative
    to the spec file) are added to it."""
    bank = (bank or builtin()).adding([Path(spec_path).parent / folder for folder in spec.banks],
                                      [where.get(f"banks[{i}]", f"banks[{i}]") for i in range(len(spec.banks))])
    slots = []
    seen: Counter[str] = Counter()
    for i, entry in enumerate(spec.problems):
        at = where.get(str(i), f"problems[{i}]")
        if entry.one_of is not None:
            options = [_pool_option(bank, entry, name, f"{at}.one_of[{j}]") for j, name in enumerate(entry.one_of)]
            pool = tuple(o.problem_id for o in options)
            if len(set(pool)) != len(pool):
                raise ExamgenError("one_of names a problem twice", f"{at}.one_of", "list each problem once")
            base = entry.slot or "pool:" + "+".join(pool)
            seen[base] += 1
            key = base if seen[base] == 1 else f"{base}#{seen[base]}"
            options = [replace(o, number=i + 1, key=key, where=at, newpage=entry.newpage, vary=entry.vary,
                               shuffle_parts=o.shuffle_parts and "parts" in spec.shuffle) for o in options]
            slots.append(replace(options[0], pool=pool, options=tuple(options)))
            continue
        problem_id = bank.resolve_id(entry.id, f"{at}.id")
        problem = bank.load(problem_id, f"{at}.id")
        validate_pins(problem_id, problem.params, entry.params, at)
        names = [p.name for p in problem.parts]
        if entry.parts is None:
            chosen = names
        else:
            chosen = list(entry.parts)
            for name in chosen:
                if name not in names:
                    hint = closest(name, names)
                    raise ExamgenError(f"{problem_id} has no part '{name}'", f"{at}.parts",
                                       (hint + " " if hint else "") + f"its parts are {', '.join(names)}")
            chosen = [n for n in names if n in chosen]  # sheet order is the problem's order
        if isinstance(entry.parts, dict):
            part_points = [float(entry.parts[n]) for n in chosen]
            if entry.points is not None and abs(sum(part_points) - entry.points) > 1e-9:
                raise ExamgenError(f"points {entry.points:g} differ from the parts' sum {sum(part_points):g}",
                                   f"{at}.points", "drop 'points' or make it the sum of the parts")
        else:
            weights = [problem.part(n).points for n in chosen]
            total = entry.points if entry.points is not None else sum(weights)
            part_points = distribute(total, weights)
        for name in entry.space or {}:
            if name not in chosen:
                hint = closest(name, chosen)
                raise ExamgenError(f"space is set for part '{name}', which this slot does not ask",
                                   f"{at}.space", (hint + " " if hint else "") + f"its parts are {', '.join(chosen)}")
        base = entry.slot or problem_id
        seen[base] += 1
        key = base if seen[base] == 1 else f"{base}#{seen[base]}"
        slots.append(Slot(i + 1, key, problem_id, tuple(zip(chosen, part_points, strict=True)),
                          dict(entry.params), at, space=tuple((entry.space or {}).items()),
                          newpage=entry.newpage, vary=entry.vary,
                          shuffle_parts="parts" in spec.shuffle and problem.shuffle_parts,
                          choice=choice_fields(problem, chosen, entry.form, f"{at}.form"),
                          choice_options=entry.options, scoring=entry.scoring))
    slots = answer_spaces(slots, bank)
    keys = tuple(students) if students else numbered_keys(variants or spec.variants)
    return Plan(
        title=spec.title, course=spec.course, date=spec.date, instructions=spec.instructions,
        seed=spec.seed if seed is None else seed, spec_name=Path(spec_path).stem,
        slots=tuple(slots), variant_keys=keys, students=dict(students or {}),
        precision=parse_precision(spec.precision), bank=bank,
        cover=spec.cover, duration=spec.duration, rules=tuple(spec.rules), declaration=spec.declaration,
        pad_to=spec.print.pad_to, shuffle_problems="problems" in spec.shuffle, language=spec.language,
        grader=spec.grader, appendix=appendix_snippets(spec.appendix, spec_path, bank, where.get("appendix", "appendix")),
    )


def _pool_option(bank: Bank, entry: Any, name: str, at: str) -> Slot:
    """One problem of a `one_of` pool as a slot (number and key set by the caller): all its parts,
    the entry's points (if given) over them, spaces and pins as the entry has none of its own."""
    problem_id = bank.resolve_id(name, at)
    problem = bank.load(problem_id, at)
    names = [p.name for p in problem.parts]
    weights = [problem.part(n).points for n in names]
    points = distribute(entry.points if entry.points is not None else sum(weights), weights)
    for part in entry.space or {}:
        if part not in names:
            raise ExamgenError(f"space is set for part '{part}', which {problem_id} of the pool does not have",
                               f"{at}", "set space only for parts every problem of the pool has, or leave it out")
    return Slot(0, "", problem_id, tuple(zip(names, points, strict=True)), {}, at,
                space=tuple((entry.space or {}).items()), shuffle_parts=problem.shuffle_parts,
                choice=choice_fields(problem, names, entry.form, f"{at}.form"),
                choice_options=entry.options, scoring=entry.scoring)


def choice_fields(problem: Any, parts: Sequence[str], form: str | Mapping[str, str] | None,
                  at: str) -> tuple[str, ...]:
    """The answer fields of `parts` asked as a choice: under `form: choice` every field whose
    type can be one; under a map, the fields it names (or whose part it names) as `choice`;
    and always the fields that are choices by nature (a pool of statements). A name the map
    gives that is no part or field asked, or a field named `choice` whose type cannot be
    one, is an error naming the spec's line."""
    choice = FORMS[1]
    fields = [(part, name) for part in parts for name in problem.part(part).answers]
    named = dict(form) if isinstance(form, Mapping) else {}
    for name in named:
        if name not in parts and name not in {f for _, f in fields}:
            known = [*parts, *(f for _, f in fields)]
            hint = closest(name, known)
            raise ExamgenError(f"form is set for '{name}', which is no part or answer field this slot asks",
                               at, (hint + " " if hint else "") + f"its parts and fields are {', '.join(known)}")
    out = []
    for part, name in fields:
        answer = problem.answer(name)
        wanted = named.get(name, named.get(part)) if named else form
        if answer.kind.always_choice or (wanted == choice and answer.kind.chooses(answer)):
            out.append(name)
        elif wanted == choice and name in named:
            raise ExamgenError(f"the field '{name}' of {problem.id} cannot be asked as a choice (it has no rule "
                               "for plausible wrong values)", at, f"ask it typed, or leave '{name}' out of form")
    return tuple(out)
