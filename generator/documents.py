"""From variants to LaTeX documents: the exam sheet and the solutions sheet.

One document holds any number of variants (each on fresh pages), so the same code writes
a variant's own `exam.tex` and the combined `all-exams.tex` that is compiled once and split.
Problems reach the templates as data (`RenderedProblem`); the `layout` macro of
`templates/problem.tex.j2` puts them into the exam class's markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator import markers
from generator.instance import Instance
from generator.plan import Plan, Slot
from generator.render import RenderedProblem, environment, render_problem, render_template
from generator.variants import Variant

SHEETS = ("exam", "solutions")


def render_slot(plan: Plan, slot: Slot, instance: Instance) -> RenderedProblem:
    """A slot's instance rendered to parts, for the sheets and for every export: its problem
    from the plan's bank, numbers printed at (at least) the exam's precision."""
    problem = plan.bank.load(slot.problem_id)
    return render_problem(slot.problem_id, instance.params, instance.values, dict(slot.parts),
                          {p.name: p.space for p in problem.parts}, plan.bank, precision=plan.precision)


def render_variant(plan: Plan, variant: Variant) -> tuple[RenderedProblem, ...]:
    return tuple(render_slot(plan, slot, instance) for slot, instance in variant.slots)


def variant_contexts(plan: Plan, variant: Variant) -> dict[str, dict[str, Any]]:
    """The template context of a variant for every sheet; each problem is rendered once."""
    slots = []
    for (slot, _), rendered in zip(variant.slots, render_variant(plan, variant), strict=True):
        slots.append({
            "number": slot.number,
            "problem_id": slot.problem_id,
            "title": plan.bank.load(slot.problem_id).title,
            "points": slot.points,
            "problem": rendered,
        })
    student = plan.students.get(variant.key)
    common = {
        "key": variant.key,
        "seed": variant.seed,
        "fingerprint": variant.fingerprint,
        "student": {"name": student.name, "id": student.key} if student else None,
        "total": plan.total_points,
        "slots": slots,
    }
    return {sheet: dict(common) for sheet in SHEETS}


def rendered_problems(contexts: dict[str, dict[str, Any]]) -> tuple[RenderedProblem, ...]:
    """The rendered problems held by a variant's contexts (see `variant_contexts`), in slot order."""
    return tuple(slot["problem"] for slot in contexts[SHEETS[0]]["slots"])


def exam_context(plan: Plan) -> dict[str, Any]:
    return {"title": plan.title, "course": plan.course, "date": plan.date,
            "instructions": plan.instructions, "seed": plan.seed,
            "precision": plan.precision.sentence()}


def sheet_context(plan: Plan, contexts: Sequence[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """What every sheet template sees: the exam, the variants, and the names the build reads."""
    return {"exam": exam_context(plan), "variants": list(contexts), "names": markers.context(), **extra}


def render_sheet(plan: Plan, contexts: Sequence[dict[str, Any]], sheet: str) -> str:
    """One LaTeX document holding the given variants' contexts (see `variant_contexts`)."""
    return render_template(f"{sheet}.tex.j2", sheet_context(plan, contexts))


def problem_tex(rendered: RenderedProblem, with_solutions: bool) -> str:
    """A rendered problem's body as the sheets lay it out (for tests and snapshots)."""
    layout = environment().get_template("problem.tex.j2").module.layout  # type: ignore[attr-defined]
    return str(layout(rendered, with_solutions, markers.context()))
