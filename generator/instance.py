"""Instances: one problem with concrete parameters, solved, as plain data.

An instance is fully determined by (problem id, params): `make_instance` runs the reference
solver and keeps the key's JSON answers, their exact forms, and every value the solution
template shows. `check_instance` runs the independent method against it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from generator.answers import CHECK_ATOL, CHECK_RTOL, Answer, Approx, matches, plain, to_key
from generator.errors import ExamgenError
from generator.params import sample_params
from generator.precision import DEFAULT as DEFAULT_PRECISION
from generator.precision import Precision, key_tolerance
from generator.problem import Mistake, Problem
from generator.seeds import Sampler

# Redraws when a declared mistake gives the right answer (see `mistake_clashes`): each
# redraw runs the full rejection sampler again, so this bound is rarely approached.
MAX_MISTAKE_DRAWS = 100


@dataclass(frozen=True)
class Instance:
    problem_id: str
    params: Mapping[str, Any]
    answers: Mapping[str, Any]
    exact: Mapping[str, Any]
    values: Mapping[str, Any] = field(repr=False)
    tries: int = 1
    # field -> [{"value": key JSON, "convention": text}]: other values accepted in full
    alternatives: Mapping[str, Any] = field(default_factory=dict)
    # pedagogical constraints the pins break (the instance is valid, but worth a warning)
    warnings: tuple[str, ...] = ()
    # field -> choice record, for the fields asked as a choice (generator.options)
    choices: Mapping[str, Any] = field(default_factory=dict)

    def key_entry(self, problem: Problem, precision: Precision = DEFAULT_PRECISION) -> dict[str, Any]:
        """The instance as the answer key stores it (without slot and points); tolerances
        accept every value rounded correctly at the exam's `precision`."""
        entry: dict[str, Any] = {
            "id": self.problem_id,
            "params": dict(self.params),
            "answers": dict(self.answers),
            "tolerances": {a.name: key_tolerance(a.tolerance(), self.answers[a.name], precision)
                           for a in problem.answers if a.graded},
        }
        if self.exact:
            entry["exact"] = dict(self.exact)
        if self.alternatives:
            entry["alternatives"] = {name: list(values) for name, values in self.alternatives.items()}
        if self.choices:
            entry["choices"] = {name: dict(record) for name, record in self.choices.items()}
        return entry


def make_instance(problem: Problem, params: Mapping[str, Any], tries: int = 1) -> Instance:
    """Solve `params` with the reference solver and package the result."""
    raw = problem.solve(params)
    values = {name: plain(value) for name, value in raw.items()}
    answers: dict[str, Any] = {}
    exact: dict[str, Any] = {}
    alternatives: dict[str, list[dict[str, Any]]] = {}
    for answer in problem.answers:
        if not answer.graded:
            continue
        if answer.name not in raw:
            raise RuntimeError(f"{problem.id}: solve() did not return '{answer.name}'")
        value, exact_text = to_key(answer, raw[answer.name])
        answers[answer.name] = value
        if exact_text is not None:
            exact[answer.name] = exact_text
        for alternative in answer.alternatives:
            if alternative.name not in raw:
                raise RuntimeError(f"{problem.id}: solve() did not return '{alternative.name}' (an alternative"
                                   f" of '{answer.name}')")
            other = to_key(answer, raw[alternative.name])[0]
            if other != value:
                alternatives.setdefault(answer.name, []).append(
                    {"value": other, "convention": alternative.convention})
    return Instance(problem.id, dict(params), answers, exact, values, tries, alternatives)


def draw_instance(problem: Problem, rng: Sampler, pins: Mapping[str, Any] | None = None,
                  where: str | None = None, precision: Precision = DEFAULT_PRECISION) -> Instance:
    """Sample non-degenerate parameters (keeping pins) and solve them.

    An instance in which a declared mistake gives the right answer is degenerate too (the
    grader could not tell that mistake from a right answer): it is drawn again, and the
    redraw counts in `tries` like a failed constraint. "Right" is judged with the key's
    tolerance at the exam's `precision`, as grading will judge it. Pins under which it cannot
    be avoided, like pins that break a pedagogical constraint, give the instance with a
    warning: solve and check handle it, the grader cannot tell that mistake apart.
    """
    tries = 0
    clashes: Counter[tuple[str, str]] = Counter()
    all_pinned = bool(pins) and {p.name for p in problem.params} <= set(pins or {})
    first: Instance | None = None
    for _ in range(MAX_MISTAKE_DRAWS):
        sampled = sample_params(problem.id, problem.params, problem.constraints, rng, pins,
                                problem.sample, where)
        tries += sampled.tries
        instance = make_instance(problem, sampled.params, tries)
        found = mistake_clashes(problem, instance, precision)
        if not found:
            return replace(instance, warnings=sampled.warnings)
        first = first or replace(instance, warnings=sampled.warnings)
        clashes.update(found)
        if all_pinned:
            break  # everything pinned: another draw cannot change anything
    (name, answer), count = clashes.most_common(1)[0]
    mistake = next(m for m in problem.mistakes if m.name == name)
    share = "" if all_pinned else f" (in {count} of {MAX_MISTAKE_DRAWS} draws)"
    what = (f"the declared mistake '{name}' ({mistake.description}) gives the right {answer}{share},"
            f" so grading could not tell it from a right answer")
    if pins and first is not None:
        return replace(first, tries=tries, warnings=(
            *first.warnings, f"with the pinned parameters {sorted(pins)}, {what} (pedagogical constraint"
                             f" 'no declared mistake gives the right answer')"))
    raise ExamgenError(f"no usable instance of {problem.id}: {what}", where or problem.id,
                       "the problem's parameter ranges, constraints or MISTAKES need fixing")


def mistake_answers(problem: Problem, mistake: Mistake, params: Mapping[str, Any]) -> dict[str, Any]:
    """The graded answers a declared mistake gives for `params`, as key values (JSON).

    Raises what the mistake raises, and KeyError for a field that is not an answer: a bug
    in the bank, which `examgen verify` reports.
    """
    out = {}
    for name, value in mistake.wrong(params).items():
        answer = problem.answer(name)
        if answer.graded:
            out[name] = to_key(answer, value)[0]
    return out


def mistake_clashes(problem: Problem, instance: Instance,
                    precision: Precision = DEFAULT_PRECISION) -> list[tuple[str, str]]:
    """(mistake, answer) pairs whose wrong value is right (or an accepted alternative), within
    the key's tolerance at `precision`, for this instance. A mistake that fails to evaluate is
    skipped here (verify reports it)."""
    tolerances = instance.key_entry(problem, precision)["tolerances"]
    clashes = []
    for mistake in problem.mistakes:
        try:
            wrong = mistake_answers(problem, mistake, instance.params)
        except Exception:  # a broken mistake must not break a build; verify names it
            continue
        for name, value in wrong.items():
            answer = problem.answer(name)
            accepted = [instance.answers[name], *(a["value"] for a in instance.alternatives.get(name, []))]
            atol, rtol = tolerances[name]["atol"], tolerances[name]["rtol"]
            if any(matches(answer, right, value, atol, rtol) or matches(answer, value, right, atol, rtol)
                   for right in accepted):
                clashes.append((mistake.name, name))
    return clashes


def check_instance(problem: Problem, instance: Instance) -> list[str]:
    """Disagreements between the reference answers and the independent method (empty: agreed).

    Every graded answer must be confirmed by `check`; an answer the check does not return
    is itself reported, so a problem cannot skip its independent verification.
    """
    try:
        independent = problem.check(instance.params, instance.answers)
    except Exception as error:  # a crash in the check is a failure of this instance, reported
        return [f"check raised {type(error).__name__}: {error}"]
    problems = []
    for answer in problem.answers:
        if not answer.graded:
            continue
        if answer.name not in independent:
            problems.append(f"{answer.name}: not confirmed by check()")
            continue
        problems += _confirmed(answer, answer.name, instance.answers[answer.name], independent[answer.name])
        # Every accepted alternative is confirmed too, under its own name, by the same check.
        values = {a["convention"]: a["value"] for a in instance.alternatives.get(answer.name, [])}
        for alternative in answer.alternatives:
            if alternative.name not in independent:
                problems.append(f"{alternative.name} (alternative of {answer.name}): not confirmed by check()")
            elif alternative.convention in values:
                problems += _confirmed(answer, alternative.name, values[alternative.convention],
                                       independent[alternative.name])
    return problems


def _confirmed(answer: Answer, name: str, value: Any, other: Any) -> list[str]:
    """[] when the check's `other` confirms the solver's `value`, else the disagreement."""
    atol, rtol = CHECK_ATOL, CHECK_RTOL
    if isinstance(other, Approx):
        atol, rtol, other = other.atol, other.rtol, other.value
    if answer.kind.exact:
        atol = rtol = None  # exact types compare exactly whatever the check says
    if matches(answer, value, plain(other), atol, rtol, slack=0.0):
        return []
    return [f"{name}: solve gives {value!r}, check gives {plain(other)!r}"]

