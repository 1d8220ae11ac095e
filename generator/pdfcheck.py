"""Compile the instances that `verify` checks: every seed's statement and solution through
pdflatex, so a template that breaks LaTeX for some parameters is found before an exam does.

Seed n of a problem is variant `n` of that problem's combined documents; a LaTeX error
names the problem, the seed and the template (`examgen show ID --seed n --pdf` reproduces it).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from generator.bank import Bank, builtin
from generator.build import compile_all
from generator.documents import variant_contexts
from generator.instance import draw_instance
from generator.pipeline import documents
from generator.plan import Plan, Slot
from generator.seeds import Sampler
from generator.variants import Variant


def problem_plan(problem_id: str, seeds: Sequence[int], bank: Bank | None = None) -> tuple[Plan, list]:
    bank = bank or builtin()
    problem = bank.load(problem_id)
    slot = Slot(1, problem.id, problem.id, tuple((p.name, p.points) for p in problem.parts), {}, problem.id)
    plan = Plan(title=f"{problem.id}: PDF check", course="examgen verify", date="", instructions="", seed=0,
                spec_name=problem.id.replace("/", "-"), slots=(slot,), variant_keys=tuple(str(s) for s in seeds), bank=bank)
    prepared = []
    for seed in seeds:
        instance = draw_instance(problem, Sampler(seed, problem.id))
        variant = Variant(str(seed), seed, ((slot, instance),))
        prepared.append((variant, variant_contexts(plan, variant)))
    return plan, prepared


OVERFULL_PT = 5.0   # smaller overruns are invisible in print


def overfull_boxes(log: str, minimum: float = OVERFULL_PT) -> list[str]:
    """The 'Overfull' warnings of a pdflatex log that overrun by more than `minimum` points."""
    found = []
    for match in re.finditer(r"^Overfull \\[hv]box \(([\d.]+)pt too (?:wide|high)\)[^\n]*", log, re.M):
        if float(match.group(1)) > minimum:
            found.append(match.group(0))
    return found


def compile_check(problem_ids: Sequence[str], seeds: int, jobs: int = 2,
                  done: Callable[[str], None] | None = None, bank: Bank | None = None) -> dict[str, list[str]]:
    """Compile seeds 0..seeds-1 of every problem; raise CompileError on the first LaTeX error.

    Returns, per problem, the overfull boxes (text or a frame running off the page) that the
    logs report, so layout problems show up as well as errors.
    """
    overfull: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="examgen-pdfcheck-") as folder:
        for problem_id in problem_ids:
            plan, prepared = problem_plan(problem_id, range(seeds), bank)
            docs = [d for _, d in documents(plan, prepared)]
            workdir = Path(folder) / problem_id.replace("/", "-")
            compile_all(docs, workdir, jobs)
            overfull[problem_id] = [
                f"{d.name}: {line}" for d in docs
                for line in overfull_boxes((workdir / d.name / f"{d.name}.log").read_text(errors="replace"))
            ]
            if done:
                done(problem_id)
    return overfull
