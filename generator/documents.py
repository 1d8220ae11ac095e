"""From variants to LaTeX documents: the exam sheet and the solutions sheet.

One document holds any number of variants (each on fresh pages), so the same code writes
a variant's own `exam.tex` and the combined `all-exams.tex` that is compiled once and split.
Problems reach the templates as data (`RenderedProblem`); the `layout` macro of
`templates/problem.tex.j2` puts them into the exam class's markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from generator import i18n, markers, usertext
from generator.instance import Instance
from generator.plan import Plan, Slot
from generator.problem import title_in
from generator.render import (
    RenderedProblem,
    bilingual,
    environment,
    render_problem,
    render_template,
    template_name,
    untranslated,
)
from generator.variantcode import variant_code
from generator.variants import Variant

SHEETS = ("exam", "solutions")
TABLE_COLUMNS = 10          # questions per row of the points table: 10 columns fit an A4 text width


def render_slot(plan: Plan, slot: Slot, instance: Instance) -> RenderedProblem:
    """A slot's instance rendered to parts, for the sheets and for every export: its problem
    from the plan's bank, numbers printed at (at least) the exam's precision, answer spaces as
    the plan resolved them."""
    problem = plan.bank.load(slot.problem_id)
    spaces = {p.name: p.space for p in problem.parts} | dict(slot.space)   # the plan's, where it set them
    # One rendering per language of the exam, of the same instance (a bilingual exam prints all);
    # a language the problem has no templates in adds no second copy of the English.
    templates = {code: tuple(template_name(slot.problem_id, kind, code, plan.bank) for kind in ("question", "solution"))
                 for code in plan.language}
    languages = [code for i, code in enumerate(plan.language) if templates[code] not in
                 [templates[other] for other in plan.language[:i]]]
    rendered = bilingual([render_problem(slot.problem_id, instance.params, instance.values, dict(slot.parts),
                                         spaces, plan.bank, precision=plan.precision, language=code)
                          for code in languages])
    # the parts as the slot asks them (its order is drawn under `shuffle: parts`), labels (a), (b) in that order
    order = [name for name, _ in slot.parts]
    parts = tuple(sorted(rendered.parts, key=lambda part: order.index(part.name)))
    if instance.choices:
        parts = tuple(replace(part, choices=choice_views(problem, part.name, instance.choices, plan.language[0]))
                      for part in parts)
    return replace(rendered, parts=parts)


INLINE_CHARS = 60     # options whose LaTeX is this short in all fit on one line


def choice_views(problem: Any, part: str, choices: Mapping[str, Any],
                 language: str = i18n.DEFAULT) -> tuple[dict[str, Any], ...]:
    """The choice fields of a part as the sheets print them: each option's letter, its LaTeX
    (text mode; numbers with the language's decimal separator), whether it is right, and the
    mistake (or slip) behind a wrong one."""
    from generator.answers.choice import letter

    views = []
    for name in problem.part(part).answers:
        record = choices.get(name)
        if record is None:
            continue
        texs = [i18n.decimal_tex(tex if record["multi"] else f"${tex}$", language) for tex in record["tex"]]
        notes = {**record.get("distractors", {}), **record.get("mistakes", {})}
        views.append({
            "field": name, "label": problem.answer(name).label or name, "multi": record["multi"],
            "inline": sum(len(t) for t in texs) <= INLINE_CHARS and not any("matrix" in t for t in texs),
            "options": [{"letter": letter(i), "tex": tex, "right": i in record["right"],
                       "mistake": i not in record["right"] and str(i) in record.get("mistakes", {}),
                       "note": notes.get(str(i), "")} for i, tex in enumerate(texs)],
        })
    return tuple(views)


def translation_warnings(plan: Plan) -> list[str]:
    """One warning per problem of the plan (pool problems too) that has no statement or solution
    template in one of the exam's languages: it prints from its English ones."""
    problem_ids = dict.fromkeys(option.problem_id for slot in plan.slots for option in (slot, *slot.options))
    return [warning for problem_id in problem_ids for warning in untranslated(problem_id, plan.language, plan.bank)]


def points_rows(slots: Sequence[Mapping[str, Any]], total: float) -> list[dict[str, Any]]:
    """The cover's points table cut into rows of at most TABLE_COLUMNS questions (any number of
    questions stays inside the page); the total closes the last row."""
    cells = [{"number": s["number"], "points": s["points"]} for s in slots]
    chunks = [cells[i:i + TABLE_COLUMNS] for i in range(0, len(cells), TABLE_COLUMNS)] or [[]]
    return [{"cells": chunk, "total": total if i == len(chunks) - 1 else None} for i, chunk in enumerate(chunks)]


def render_variant(plan: Plan, variant: Variant) -> tuple[RenderedProblem, ...]:
    return tuple(render_slot(plan, slot, instance) for slot, instance in variant.slots)


def variant_contexts(plan: Plan, variant: Variant) -> dict[str, dict[str, Any]]:
    """The template context of a variant for every sheet; each problem is rendered once."""
    slots = []
    for (slot, _), rendered in zip(variant.slots, render_variant(plan, variant), strict=True):
        slots.append({
            "number": slot.number,
            "problem_id": slot.problem_id,
            "title": title_in(plan.bank.load(slot.problem_id), plan.language),
            "points": slot.points,
            "newpage": slot.newpage,
            "problem": rendered,
        })
    student = plan.students.get(variant.key)
    common = {
        "key": variant.key,
        "code": variant_code(plan.seed, variant.key),
        "seed": variant.seed,
        "fingerprint": variant.fingerprint,
        "student": {"name": student.name, "id": student.key,
                    "extra_time": i18n.extra_time_text(student.extra_time, plan.language[0]),
                    "has_extra_time": "extra-time" in student.accommodations} if student else None,
        # a name pdflatex cannot print: this variant's sheets go to lualatex (templates/fonts-unicode.tex.j2)
        "unicode_fonts": bool(student) and usertext.needs_unicode_fonts(student.name),
        "total": plan.total_points,
        "slots": slots,
        "points_rows": points_rows(slots, plan.total_points),
    }
    return {sheet: dict(common) for sheet in SHEETS}


def rendered_problems(contexts: dict[str, dict[str, Any]]) -> tuple[RenderedProblem, ...]:
    """The rendered problems held by a variant's contexts (see `variant_contexts`), in slot order."""
    return tuple(slot["problem"] for slot in contexts[SHEETS[0]]["slots"])


def exam_context(plan: Plan) -> dict[str, Any]:
    language = plan.language[0]
    return {"title": plan.title, "course": plan.course, "date": i18n.format_date(plan.date, language),
            "instructions": plan.instructions, "seed": plan.seed, "language": language,
            "babel": i18n.language(language).babel_option,
            "precision": i18n.precision_sentence(plan.precision, language), "cover": plan.cover, "duration": plan.duration,
            "rules": list(plan.rules), "declaration": plan.declaration, "pad_to": plan.pad_to,
            "appendix": [{"title": title, "tex": tex} for title, tex in plan.appendix]}


def sheet_context(plan: Plan, contexts: Sequence[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """What every sheet template sees: the exam, the variants, and the names the build reads;
    `unicode_fonts` when a variant's name needs the lualatex set-up, `large_print` (set by the
    large-print build) for 16.5 pt type."""
    return {"exam": exam_context(plan), "variants": list(contexts), "names": markers.context(),
            "unicode_fonts": any(c.get("unicode_fonts") for c in contexts), **extra}


def engine(tex: str) -> str:
    """The TeX engine a sheet's LaTeX needs: lualatex for the Unicode fonts' set-up, else pdflatex."""
    return "lualatex" if UNICODE_MARK in tex.partition("\\begin{document}")[0] else "pdflatex"


UNICODE_MARK = "% examgen-fonts: unicode"   # first line of templates/fonts-unicode.tex.j2


def render_sheet(plan: Plan, contexts: Sequence[dict[str, Any]], sheet: str, **extra: Any) -> str:
    """One LaTeX document holding the given variants' contexts (see `variant_contexts`)."""
    return render_template(f"{sheet}.tex.j2", sheet_context(plan, contexts, **extra), language=plan.language[0])


def problem_tex(rendered: RenderedProblem, with_solutions: bool) -> str:
    """A rendered problem's body as the sheets lay it out (for tests and snapshots)."""
    layout = environment().get_template("problem.tex.j2").module.layout  # type: ignore[attr-defined]
    return str(layout(rendered, with_solutions, markers.context()))
