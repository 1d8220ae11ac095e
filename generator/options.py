"""The options of a field asked as a choice: pure functions, the random generator passed in.

The options are, in this order of preference:

1. the right value;
2. the values of the problem's declared mistakes for the field (`MISTAKES`), in their order;
3. the problem's own plausible wrong values (`DISTRACTORS = {field: lambda params: [value, ...]}`,
   optional);
4. the slips the answer type declares (`AnswerType.distractors`: a sign flipped, a factor 2,
   off by one, a transpose, a swapped operator), of the right value and then of each mistake's.

A candidate is kept when, printed in the set's one format (`AnswerType.option_print`: the same
decimals for every number, one form), it is distinct from every option kept so far beyond the
field's key tolerance, both ways (formulas: not equal under the registry's comparison); so no
option is right but the right one, and no two options are the same answer. The kept options are
shuffled with the passed `Sampler`; the record (see `generator.answers.choice`) names, for each
wrong option, the declared mistake that gives it (or the slip that made it).

A field of `statements` (multiple answers) has its statements as the options: every statement,
shuffled, the true ones right; a false statement that a declared mistake marks true names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from generator.answers import Answer, matches, to_key
from generator.errors import ExamgenError
from generator.precision import Precision
from generator.problem import Problem
from generator.seeds import Sampler

DEFAULT_OPTIONS = 5


def declared_mistakes(problem: Problem, params: Mapping[str, Any]) -> dict[str, list[tuple[Any, str]]]:
    """field -> (key value, description) of every declared mistake that gives the field a value.
    A mistake that fails to evaluate is skipped (verify reports it)."""
    from generator.instance import mistake_answers

    out: dict[str, list[tuple[Any, str]]] = {}
    for mistake in problem.mistakes:
        try:
            wrong = mistake_answers(problem, mistake, params)
        except Exception:  # a broken mistake is verify's to report; the options go on without it
            continue
        for name, value in wrong.items():
            out.setdefault(name, []).append((value, mistake.description))
    return out


def _same(answer: Answer, a: Any, b: Any, tolerance: Mapping[str, float]) -> bool:
    """Whether two printed values are one answer under the field's tolerance (either way round)."""
    atol, rtol = float(tolerance["atol"]), float(tolerance["rtol"])
    try:
        if answer.kind.exact:   # compared exactly (or as formulas): one way round is enough
            return matches(answer, a, b, atol, rtol)
        return matches(answer, a, b, atol, rtol) or matches(answer, b, a, atol, rtol)
    except (TypeError, ValueError, ArithmeticError, IndexError, KeyError):
        return False   # values of another structure (a transposed non-square matrix) are no match


def _printable(answer: Answer, values: Sequence[Any], precision: Precision) -> list[tuple[Any, str, str]] | None:
    try:
        return answer.kind.option_print(answer, values, precision)
    except (TypeError, ValueError, ArithmeticError, OverflowError):
        return None


def _distinct(answer: Answer, printed: Sequence[tuple[Any, str, str]], tolerance: Mapping[str, float],
              checked: Sequence[tuple[Any, str, str]] = ()) -> bool:
    """Whether the printed options are pairwise distinct. `checked` is a set known distinct:
    when the trial prints it unchanged, only the new option needs comparing."""
    texts = [text for _, text, _ in printed]
    if len(set(texts)) != len(texts):
        return False
    known = len(checked) if [p[:2] for p in printed[:len(checked)]] == [c[:2] for c in checked] else 0
    return not any(_same(answer, printed[i][0], printed[j][0], tolerance)
                   for i in range(max(known, 1), len(printed)) for j in range(i))


def candidates(problem: Problem, answer: Answer, right: Any, params: Mapping[str, Any],
               mistakes: Sequence[tuple[Any, str]]) -> list[tuple[Any, str, str]]:
    """(value, mistake text, slip text) of every wrong option worth offering, best first."""
    out: list[tuple[Any, str, str]] = [(value, text, "") for value, text in mistakes]
    declared: Callable[[Mapping[str, Any]], Sequence[Any]] | None = problem.distractors.get(answer.name)
    if declared is not None:
        out += [(to_key(answer, value)[0], "", "a plausible wrong value") for value in declared(params)]
    slips = [(value, "", why) for base in [right, *(value for value, _ in mistakes)]
             for value, why in answer.kind.distractors(answer, base)]
    # A slip whose signs no known value has (a negative entropy when the right value and every
    # mistake's are positive) is ruled out by an estimate: it comes after the others.
    known = {_signs(right), *(_signs(value) for value, _ in mistakes)}
    return out + [s for s in slips if _signs(s[0]) in known] + [s for s in slips if _signs(s[0]) not in known]


def _signs(value: Any) -> tuple[int, ...] | None:
    """The signs of a numeric value's entries (None for anything else: formulas, words)."""
    entries = value if isinstance(value, list) else [value]
    flat: list[Any] = []
    while entries:
        head, *entries = entries
        if isinstance(head, list):
            entries = [*head, *entries]
        else:
            flat.append(head)
    if not all(isinstance(e, int | float) and not isinstance(e, bool) for e in flat):
        return None
    return tuple((e > 0) - (e < 0) for e in flat)


def choose(problem: Problem, answer: Answer, right: Any, params: Mapping[str, Any],
           tolerance: Mapping[str, float], precision: Precision, count: int, scoring: str,
           rng: Sampler, mistakes: Sequence[tuple[Any, str]] = (), accepted: Sequence[Any] = ()) -> dict[str, Any]:
    """The choice record of one field (see `generator.answers.choice`): `count` options (fewer
    when the rules give fewer distinct ones, never fewer than 2), shuffled with `rng`.
    `accepted` are the field's other accepted values (alternatives): no wrong option is one."""
    if answer.kind.multi:
        return _statements(answer, right, scoring, rng, mistakes)
    kept: list[tuple[Any, str, str]] = [(right, "", "")]
    printed = _printable(answer, [right], precision)
    if printed is None:
        raise ValueError(f"{answer.name}: the right value {right!r} cannot be printed as an option")
    for value, mistake, slip in candidates(problem, answer, right, params, mistakes):
        if len(kept) >= count:
            break
        # (a mistake whose value an option already offers is named there by `_mistake_names`)
        trial = _printable(answer, [v for v, _, _ in kept] + [value], precision)
        if trial is None:
            continue
        if any(_same(answer, trial[-1][0], other, tolerance) for other in accepted):
            continue   # right under another accepted convention: no wrong option
        if _distinct(answer, trial, tolerance, printed):
            kept.append((value, mistake, slip))
            printed = trial
    if len(kept) < 2:
        raise ValueError(f"{answer.name}: no wrong option distinct from the right value {right!r}")
    order = rng.shuffle(range(len(kept)))
    names = _mistake_names(answer, printed, mistakes, tolerance)
    record: dict[str, Any] = {
        "options": [printed[i][1] for i in order],
        "tex": [printed[i][2] for i in order],
        "right": [order.index(0)],
        "multi": False,
        "mistakes": {str(k): names[i] for k, i in enumerate(order) if i in names},
        "distractors": {str(k): kept[i][2] for k, i in enumerate(order) if i not in names and kept[i][2]},
        "scoring": scoring,
    }
    return record


def _mistake_names(answer: Answer, printed: Sequence[tuple[Any, str, str]], mistakes: Sequence[tuple[Any, str]],
                   tolerance: Mapping[str, float]) -> dict[int, str]:
    """Kept-option index -> the declared mistakes whose value that option is (joined by "; ")."""
    out: dict[int, list[str]] = {}
    for value, text in mistakes:
        for i, (shown, _, _) in enumerate(printed):
            if i and _same(answer, value, shown, tolerance):
                if text not in out.setdefault(i, []):
                    out[i].append(text)
                break
    return {i: "; ".join(texts) for i, texts in out.items()}


def _statements(answer: Answer, value: Mapping[str, bool], scoring: str, rng: Sampler,
                mistakes: Sequence[tuple[Any, str]]) -> dict[str, Any]:
    """Every statement an option, shuffled; the true ones right; a false statement a declared
    mistake holds true is named by it."""
    statements = list(value)
    printed = answer.kind.option_print(answer, statements, None)
    order = rng.shuffle(range(len(statements)))
    named: dict[int, list[str]] = {}
    for wrong, text in mistakes:
        for i, statement in enumerate(statements):
            if not value[statement] and isinstance(wrong, Mapping) and wrong.get(statement):
                named.setdefault(i, []).append(text)
    return {
        "options": [printed[i][1] for i in order],
        "tex": [printed[i][2] for i in order],
        "right": [k for k, i in enumerate(order) if value[statements[i]]],
        "multi": True,
        "mistakes": {str(k): "; ".join(named[i]) for k, i in enumerate(order) if i in named},
        "distractors": {},
        "scoring": scoring,
    }


def instance_choices(problem: Problem, fields: Sequence[str], params: Mapping[str, Any],
                     answers: Mapping[str, Any], tolerances: Mapping[str, Mapping[str, float]],
                     precision: Precision, count: int, scoring: str, seed: int, stream: str,
                     where: str = "", alternatives: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
                     ) -> dict[str, dict[str, Any]]:
    """The choice record of each of `fields` of one instance. Each field draws its order from
    its own stream (`stream|field`), so asking another field as a choice changes no order."""
    mistakes = declared_mistakes(problem, params) if fields else {}
    out = {}
    for name in fields:
        answer = problem.answer(name)
        try:
            out[name] = choose(problem, answer, answers[name], params, tolerances[name], precision, count, scoring,
                               Sampler(seed, f"{stream}|{name}"), mistakes.get(name, ()),
                               [a["value"] for a in (alternatives or {}).get(name, ())])
        except ValueError as error:
            raise ExamgenError(f"{problem.id}: the field '{name}' cannot be asked as a choice here ({error})",
                               where or problem.id, "ask it typed (form: typed) or give the problem DISTRACTORS") from None
    return out
