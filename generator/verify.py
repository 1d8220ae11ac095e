"""Certification across many seeds: sample, solve, check independently, render both templates,
and check the precision rule: at each of `PRECISIONS`, every real field's key value rounded at
that precision is right by the key's tolerance, and the worked solution prints it with at
least that precision's digits.

For seed n, a problem's instance is the one `examgen show ID --seed n` prints, so every
failure can be reproduced from the line that reports it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from generator.answers import matches
from generator.bank import Bank, builtin
from generator.errors import ExamgenError
from generator.figures import missing_alt
from generator.instance import (
    Instance,
    check_instance,
    draw_instance,
    mistake_answers,
    mistake_clashes,
)
from generator.markers import QUESTION_TEMPLATE, SOLUTION_TEMPLATE
from generator.precision import DECIMALS, DEFAULT, Precision, rounded
from generator.render import RenderedProblem, render_problem
from generator.seeds import Sampler

# The precisions every real field is checked at: the default, and a fixed number of decimals
# (the two kinds of rule a spec can state).
PRECISIONS = (DEFAULT, Precision(4, DECIMALS))


@dataclass
class Report:
    problem_id: str
    runs: int = 0
    tries: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)   # about the problem itself, not one seed

    @property
    def acceptance(self) -> float:
        return self.runs / self.tries if self.tries else 1.0

    def merge(self, other: Report) -> None:
        self.runs += other.runs
        self.tries += other.tries
        self.failures.extend(other.failures)


def verify_seed(problem_id: str, seed: int, bank: Bank | None = None) -> tuple[int, str | None]:
    """(sampler tries, failure message or None) for one seed."""
    problem = (bank or builtin()).load(problem_id)
    try:
        instance = draw_instance(problem, Sampler(seed, problem.id))
    except ExamgenError as error:
        return 1, f"sampling: {error}"
    except Exception as error:
        return 1, f"solve: {type(error).__name__}: {error}"
    problems = check_instance(problem, instance) + check_mistakes(problem, instance)
    if problems:
        return instance.tries, "; ".join(problems)
    for precision in PRECISIONS:
        try:
            rendered = render_problem(problem.id, instance.params, instance.values,
                                      {p.name: p.points for p in problem.parts},
                                      {p.name: p.space for p in problem.parts}, bank, precision=precision)
        except ExamgenError as error:
            return instance.tries, f"render: {error}"
        problems = check_precision(problem, instance, precision) + solution_digits(problem, instance, rendered,
                                                                                   precision)
        problems += figures_without_alt(rendered)
        if problems:
            return instance.tries, f"precision {precision.text}: " + "; ".join(problems)
    return instance.tries, None


def figures_without_alt(rendered: RenderedProblem) -> list[str]:
    """One line per template whose rendered text holds a TikZ picture without alt text."""
    pieces = {QUESTION_TEMPLATE: [rendered.intro, rendered.outro, *(p.text for p in rendered.parts)],
              SOLUTION_TEMPLATE: [rendered.general, *(p.solution for p in rendered.parts)]}
    out = []
    for template, texts in pieces.items():
        count = sum(len(missing_alt(text)) for text in texts)
        if count:
            out.append(f"{template}: {count} figure(s) without alt text (write a line '% alt: what the figure "
                       f"shows, with its numbers' inside each tikzpicture)")
    return out


def _shifted(value: Any, precision: Precision, sign: int) -> Any:
    """Every decimal entry moved by the full rounding bound: the farthest correct roundings."""
    if isinstance(value, list):
        return [_shifted(v, precision, sign) for v in value]
    if isinstance(value, float):
        return value + sign * precision.bound(value)
    return value


def check_precision(problem, instance: Instance, precision: Precision) -> list[str]:
    """Fields whose key tolerance rejects a value rounded correctly at `precision` (the key
    value rounded, and every entry moved by the whole rounding bound, both ways), and declared
    mistakes whose value that tolerance accepts."""
    tolerances = instance.key_entry(problem, precision)["tolerances"]
    problems = []
    for answer in problem.answers:
        if not answer.graded:
            continue
        value = instance.answers[answer.name]
        tolerance = tolerances[answer.name]
        for given in (rounded(value, precision), _shifted(value, precision, 1), _shifted(value, precision, -1)):
            if not matches(answer, value, given, tolerance["atol"], tolerance["rtol"]):
                problems.append(f"{answer.name}: {given!r}, correct at {precision.text}, is wrong by the key's"
                                f" tolerance {tolerance} for {value!r}")
                break
    for mistake in problem.mistakes:
        try:
            wrong = mistake_answers(problem, mistake, instance.params)
        except Exception:  # reported by check_mistakes
            continue
        for name, value in wrong.items():
            tolerance = tolerances[name]
            if matches(problem.answer(name), instance.answers[name], value, tolerance["atol"], tolerance["rtol"]):
                problems.append(f"mistake {mistake.name}: gives {value!r}, right for {name} by the key's tolerance"
                                f" {tolerance} at {precision.text}")
    return problems


# A number as the filters print it (thin spaces between digit groups removed first).
_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])")


def printed_numbers(tex: str) -> list[tuple[float, int]]:
    """(value, decimal places) of every number printed in LaTeX text."""
    tex = re.sub(r"(?<=\d)\\,(?=\d)", "", tex)
    out = []
    for match in _NUMBER.finditer(tex):
        text = match.group()
        out.append((float(text), len(text.split(".")[1]) if "." in text else 0))
    return out


def _decimals(value: Any) -> list[float]:
    if isinstance(value, list):
        return [e for v in value for e in _decimals(v)]
    return [value] if isinstance(value, float) and math.isfinite(value) else []


def solution_digits(problem, instance: Instance, rendered: RenderedProblem, precision: Precision) -> list[str]:
    """Decimal answers that the worked solution prints with fewer places than `precision`
    asks for. A number printed in the solution of the answer's part stands for a key entry
    when it is that entry rounded to the number's own places; an entry the solution shows
    only in exact form (no such number) cannot be checked here and is left out."""
    problems = []
    for part in problem.parts:
        text = rendered.solutions.get(part.name, "") + "\n" + rendered.general
        numbers = printed_numbers(text)
        for name in part.answers:
            for entry in _decimals(instance.answers.get(name)):
                shown = [d for n, d in numbers if abs(n - entry) <= 0.5 * 10.0 ** -d * (1 + 1e-9) + 1e-12]
                if not shown or any(n == entry for n, _ in numbers):
                    continue
                need = precision.places(entry)
                if max(shown) < need:
                    problems.append(f"{name}: the solution prints {entry!r} with {max(shown)} decimal"
                                    f"{'s' if max(shown) != 1 else ''}, fewer than the {need} of {precision.text}")
                    break
    return problems


def check_mistakes(problem, instance) -> list[str]:
    """Declared mistakes that fail to evaluate, name unknown fields, or give the right answer
    (the sampler redraws such instances, so the last should never be reported)."""
    problems = []
    for mistake in problem.mistakes:
        try:
            mistake_answers(problem, mistake, instance.params)
        except KeyError as error:
            problems.append(f"mistake {mistake.name}: returns {error}, which is not an answer field")
        except Exception as error:
            problems.append(f"mistake {mistake.name}: raised {type(error).__name__}: {error}")
    for name, answer in mistake_clashes(problem, instance):
        problems.append(f"mistake {name}: gives the right {answer}")
    return problems


def verify_chunk(problem_id: str, seeds: Sequence[int], bank: Bank | None = None) -> Report:
    report = Report(problem_id)
    for seed in seeds:
        tries, failure = verify_seed(problem_id, seed, bank)
        report.runs += 1
        report.tries += tries
        if failure:
            report.failures.append((seed, failure))
    return report


def verify(problem_ids: Sequence[str], seeds: int, jobs: int = 2, first_seed: int = 0,
           done: Callable[[str, int], None] | None = None, bank: Bank | None = None) -> list[Report]:
    """Run every problem over `seeds` seeds, in `jobs` processes; one report per problem.
    The workers get `bank` (plain data) to find problems of added bank folders."""
    bank = bank or builtin()
    chunk = max(1, min(100, seeds // max(1, jobs * 2) or 1))
    work = [(pid, list(range(s, min(first_seed + seeds, s + chunk))))
            for pid in problem_ids for s in range(first_seed, first_seed + seeds, chunk)]
    reports = {pid: Report(pid) for pid in problem_ids}
    if jobs <= 1:
        results = (verify_chunk(pid, chunk_seeds, bank) for pid, chunk_seeds in work)
        for result in results:
            reports[result.problem_id].merge(result)
            if done:
                done(result.problem_id, result.runs)
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futures = [pool.submit(verify_chunk, pid, chunk_seeds, bank) for pid, chunk_seeds in work]
            for future in futures:
                result = future.result()
                reports[result.problem_id].merge(result)
                if done:
                    done(result.problem_id, result.runs)
    for report in reports.values():
        report.failures.sort()
        if not bank.load(report.problem_id).rubric:
            report.findings.append("declares no RUBRIC: give each part its steps, Step(\"what a grader"
                                   " looks for\", share), the shares adding up to 1")
    return [reports[pid] for pid in problem_ids]
