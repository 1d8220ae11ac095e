"""Certification across many seeds: sample, solve, check independently, render both templates.

For seed n, a problem's instance is the one `examgen show ID --seed n` prints, so every
failure can be reproduced from the line that reports it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from generator.bank import Bank, builtin
from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, mistake_answers, mistake_clashes
from generator.render import render_problem
from generator.seeds import Sampler


@dataclass
class Report:
    problem_id: str
    runs: int = 0
    tries: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)

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
    try:
        render_problem(problem.id, instance.params, instance.values,
                       {p.name: p.points for p in problem.parts}, {p.name: p.space for p in problem.parts}, bank)
    except ExamgenError as error:
        return instance.tries, f"render: {error}"
    return instance.tries, None


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
    return [reports[pid] for pid in problem_ids]
