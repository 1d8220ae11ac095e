"""The grader's copy: one document per build for the people who mark the exams.

For every slot of the plan (and, in a `one_of` pool, for every problem the variants drew) it
holds the statement as one variant has it, a table of every variant's key values side by side
(variant key and code in the rows, the answer fields in the columns, cut into column groups so
that any number of fields fits the page, the rows breaking across pages), and the problem's
rubric (`RUBRIC`) with the points each step is worth at the slot's points. Everything the
template prints is prepared here, as plain strings and lists: `templates/grader.tex.j2`
computes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from generator import i18n, markers, usertext
from generator.documents import exam_context, render_slot
from generator.plan import Plan, Slot
from generator.precision import Precision, short_exact
from generator.problem import title_in
from generator.render import is_rounded, num, render_template, text
from generator.variantcode import variant_code
from generator.variants import Variant

FIELDS_PER_TABLE = 4       # answer-field columns per table beside the variant column: wider values wrap
VARIANT_WIDTH = 0.16       # the variant column's share of the line
LABEL = "grader"           # the document's name and its single "variant" key in the sheet frame


def value_tex(value: Any, exact: Any, precision: Precision, language: str = i18n.DEFAULT) -> str:
    """A key value as a table cell (LaTeX, text mode, breakable between entries): numbers at the
    exam's precision with the language's decimal separator, lists as (a, b, c), matrices as rows
    separated by semicolons (in a language whose lists separate entries by `;`, as German's:
    (a; b; c) and [[a; b]; [c; d]], the way `grade` reads them), text as typewriter; an entry's
    exact form (the key's `exact`: a string, or lists of them shaped as the value) before its
    decimal only when it is short (`short_exact`)."""
    if isinstance(value, list) and isinstance(exact, list) and len(exact) == len(value):
        cells = [value_tex(v, e, precision, language) for v, e in zip(value, exact, strict=True)]
        if value and all(isinstance(row, list) for row in value):
            return _rows(cells, language)
        return "(" + i18n.language(language).list_separator.join(cells) + ")"
    shown = _cell(value, precision, language)
    # the exact form only where it says more than the printed decimal, and is short
    if (isinstance(exact, str) and short_exact(exact) and isinstance(value, int | float)
            and not isinstance(value, bool) and is_rounded(value, precision, precision)):
        return rf"\texttt{{{text(exact)}}} $\approx$ {shown}"
    return shown


def _rows(rows: Sequence[str], language: str) -> str:
    """A matrix's rows, each printed as a vector `(a, b)`: [a, b; c, d], or where `;` separates
    entries, [[a; b]; [c; d]]."""
    separator = i18n.language(language).list_separator
    if separator.strip() == ";":
        return "[" + separator.join("[" + row[1:-1] + "]" for row in rows) + "]"
    return "[" + "; ".join(row[1:-1] for row in rows) + "]"


def _cell(value: Any, precision: Precision, language: str = i18n.DEFAULT) -> str:
    if value is None:
        return "---"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return rf"\texttt{{{text(value)}}}"
    if isinstance(value, int | float):
        return f"${i18n.decimal_tex(num(value, precision, precision), language)}$"
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        return _rows([_cell(row, precision, language) for row in value], language)
    if isinstance(value, list):
        return "(" + i18n.language(language).list_separator.join(_cell(v, precision, language) for v in value) + ")"
    return text(str(value))


def _canonical(slot: Slot, problem_id: str) -> Slot:
    """The plan's slot for the problem drawn (a pool's option), parts in the problem's order."""
    for option in slot.options:
        if option.problem_id == problem_id:
            return replace(option, number=slot.number, pool=slot.pool)
    return slot


def _head(label: str, name: str) -> str:
    """A column head: the part label and the field name, breakable after each underscore."""
    return f"({label}) " + text(name).replace(r"\_", r"\_\allowbreak{}")


def section(plan: Plan, slot: Slot, group: Sequence[tuple[Variant, Slot, Any]]) -> dict[str, Any]:
    """The grader's section of one slot and one problem: statement, key table, rubric."""
    first_variant, _, first_instance = group[0]
    canonical = _canonical(slot, first_instance.problem_id)
    problem = plan.bank.load(canonical.problem_id)
    rendered = render_slot(plan, canonical, first_instance)
    # no answer space: the statement is there to read, not to write in
    rendered = replace(rendered, parts=tuple(replace(part, space="0pt") for part in rendered.parts))
    labels = {part.name: part.label for part in rendered.parts}
    fields = [(part, name) for part, _ in canonical.parts for name in problem.part(part).answers
              if problem.answer(name).graded]
    rows = []
    for variant, own, instance in group:
        order = "".join(labels[name] for name, _ in own.parts)
        rows.append({
            "key": variant.key,
            "code": variant_code(plan.seed, variant.key),
            "student": plan.students[variant.key].name if variant.key in plan.students else "",
            "number": own.number,
            "order": order if own.shuffle_parts else "",
            "cells": [value_tex(instance.answers[name], instance.exact.get(name), plan.precision, plan.language[0])
                      for _, name in fields],
        })
    tables = []
    for start in range(0, max(1, len(fields)), FIELDS_PER_TABLE):
        chosen = fields[start:start + FIELDS_PER_TABLE]
        tables.append({
            "width": round((1 - VARIANT_WIDTH) / max(1, len(chosen)), 4),
            "variant_width": VARIANT_WIDTH,
            "heads": [_head(labels[part], name) for part, name in chosen],
            "rows": [{**row, "cells": row["cells"][start:start + FIELDS_PER_TABLE]} for row in rows],
        })
    rubric = []
    for part, part_points in canonical.parts:
        steps = problem.rubric.get(part, ())
        rubric.append({"label": labels[part], "name": part, "points": part_points,
                       "steps": [{"text": step.text, "points": round(step.points(part_points), 2)} for step in steps]})
    return {
        "number": slot.number,
        "counter": slot.number - 1,       # the question counter before \question prints this number
        "problem_id": problem.id,
        "title": title_in(problem, plan.language),
        "points": canonical.points,
        "newpage": False,
        "pool": list(slot.pool),
        "problem": rendered,
        "statement_of": first_variant.key,
        "variants": len(group),
        "fields": [{"head": f"({labels[part]}) {text(name)}", "label": problem.answer(name).label}
                   for part, name in fields],
        "tables": tables if fields else [],
        "shuffled_parts": any(row["order"] for row in rows),
        "shuffled_problems": plan.shuffle_problems,
        "rubric": rubric,
        "has_rubric": bool(problem.rubric),
    }


def sections(plan: Plan, variants: Sequence[Variant]) -> list[dict[str, Any]]:
    """Every slot in plan order; a pool gives one section per problem drawn, in pool order."""
    out = []
    for slot in plan.slots:
        groups: dict[str, list[tuple[Variant, Slot, Any]]] = {}
        for variant in variants:
            own, instance = variant.slots[variant.position(slot)]
            groups.setdefault(instance.problem_id, []).append((variant, own, instance))
        order = list(slot.pool) or [slot.problem_id]
        for problem_id in sorted(groups, key=order.index):
            out.append(section(plan, slot, groups[problem_id]))
    for i, entry in enumerate(out):
        entry["newpage"] = i > 0
    return out


def grader_context(plan: Plan, variants: Sequence[Variant]) -> dict[str, Any]:
    """The template context: the sheet frame's one "variant" holds the sections as its slots."""
    body = sections(plan, variants)
    page: Mapping[str, Any] = {"key": LABEL, "slots": body, "seed": plan.seed, "total": plan.total_points,
                               "count": len(variants)}
    # A roster name in another script (the variants' rows name their students) needs the
    # lualatex font set-up, as that student's own sheets do.
    unicode = any(usertext.needs_unicode_fonts(student.name) for student in plan.students.values())
    return {"exam": exam_context(plan), "variants": [page], "names": markers.context(), "unicode_fonts": unicode}


def render_grader(plan: Plan, variants: Sequence[Variant]) -> str:
    """The grader's copy as one LaTeX document."""
    return render_template("grader.tex.j2", grader_context(plan, variants), language=plan.language[0])
