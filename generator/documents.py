"""From variants to LaTeX documents: the exam sheet and the solutions sheet.

One document holds any number of variants (each on fresh pages), so the same code writes
a variant's own `exam.tex` and the combined `all-exams.tex` that is compiled once and split.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from generator.plan import Plan
from generator.render import render_problem, render_template
from generator.variants import Variant

SHEETS = ("exam", "solutions")


def variant_contexts(plan: Plan, variant: Variant) -> dict[str, dict[str, Any]]:
    """The template context of a variant for every sheet; each problem is rendered once."""
    slots: dict[str, list[dict[str, Any]]] = {sheet: [] for sheet in SHEETS}
    for slot, instance in variant.slots:
        problem = plan.bank.load(slot.problem_id)
        rendered = render_problem(
            slot.problem_id, instance.params, instance.values, dict(slot.parts),
            {p.name: p.space for p in problem.parts}, plan.bank,
        )
        for sheet in SHEETS:
            slots[sheet].append({
                "number": slot.number,
                "problem_id": slot.problem_id,
                "title": problem.title,
                "points": slot.points,
                "question": rendered.stem if sheet == "exam" else rendered.stem_with_solutions,
                "general": rendered.general_solution,
            })
    student = plan.students.get(variant.key)
    common = {
        "key": variant.key,
        "seed": variant.seed,
        "fingerprint": variant.fingerprint,
        "student": {"name": student.name, "id": student.key} if student else None,
        "total": plan.total_points,
    }
    return {sheet: {**common, "slots": slots[sheet]} for sheet in SHEETS}


def variant_context(plan: Plan, variant: Variant, sheet: str) -> dict[str, Any]:
    """The context of one sheet of a variant (see `variant_contexts`)."""
    return variant_contexts(plan, variant)[sheet]


def exam_context(plan: Plan) -> dict[str, Any]:
    return {"title": plan.title, "course": plan.course, "date": plan.date,
            "instructions": plan.instructions, "seed": plan.seed}


def render_sheet(plan: Plan, contexts: Sequence[dict[str, Any]], sheet: str) -> str:
    """One LaTeX document holding the given variants' contexts (see `variant_context`)."""
    return render_template(f"{sheet}.tex.j2", {"exam": exam_context(plan), "variants": list(contexts)})
