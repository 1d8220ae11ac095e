"""A roster student's accessible versions (roster column `accommodations`).

- `large-print`: `variants/<id>/exam-large.pdf`, the student's exam sheet (same instance, same
  key) set on a page of 144 x 204 mm and scaled by 1.46 onto A4 (templates/large-print.tex.j2):
  16 pt type, every answer space 1.46 times as large, still A4 for the printer.
- `html`: `variants/<id>/exam.html`, one self-contained page (inline CSS, maths as MathML, figures
  as inline SVG with their alt text, no script, no web font): h1 the exam, h2 per question, h3
  per part, a labelled input per answer entry and a labelled text area per part for the
  working. The problems are converted with their solutions emptied first, so no worked
  solution or answer can reach the page.
- `extra-time`: printed on the cover by templates/exam.tex.j2 (nothing to build here).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from markupsafe import Markup

from generator import i18n
from generator.build import Document, compile_all
from generator.documents import engine, render_sheet
from generator.errors import ExamgenError
from generator.plan import Plan
from generator.problem import title_in
from generator.render import RenderedProblem, num
from generator.variantcode import stamp_qr_codes, variant_code
from generator.variants import Variant

LARGE_PRINT, HTML = "large-print", "html"

A4 = (595.276, 841.89)                # points

def students_with(plan: Plan, accommodation: str, keys: Sequence[str]) -> list[str]:
    """The variant keys (in `keys` order) whose student has `accommodation`."""
    return [key for key in keys if key in plan.students and accommodation in plan.students[key].accommodations]

# ---------------------------------------------------------------- large print

def large_print_documents(plan: Plan, prepared: Sequence[tuple[Variant, dict[str, Any]]]) -> list[Document]:
    """One document per large-print student: the exam sheet of the same variant context."""
    wanted = set(students_with(plan, LARGE_PRINT, [v.key for v, _ in prepared]))
    out = []
    for variant, contexts in prepared:
        if variant.key in wanted:
            tex = render_sheet(plan, [contexts["exam"]], "exam", large_print=True)
            out.append(Document(f"large-{len(out) + 1}", tex, (variant.key,), engine(tex)))
    return out

def scale_to_a4(source: Path, target: Path) -> int:
    """Every page of `source` (140 x 198 mm) drawn 1.5 times as large on an A4 page; the page count."""
    import pikepdf

    with pikepdf.open(source) as small, pikepdf.new() as large:
        for page in small.pages:
            box = [float(v) for v in page.mediabox]
            factor = min(A4[0] / (box[2] - box[0]), A4[1] / (box[3] - box[1]))
            form = large.copy_foreign(page.as_form_xobject())
            blank = large.add_blank_page(page_size=A4)
            name = blank.add_resource(form, pikepdf.Name.XObject, name=pikepdf.Name("/ExamgenPage"))
            blank.contents_add(pikepdf.Stream(large, f"q {factor:.6f} 0 0 {factor:.6f} 0 0 cm {name} Do Q".encode()))
        count = len(large.pages)
        large.save(target, deterministic_id=True)
    return count

def build_large_print(plan: Plan, prepared: Sequence[tuple[Variant, dict[str, Any]]], staging: Path,
                      jobs: int, notes: list[str]) -> list[str]:
    """Compile, scale and QR-stamp the large-print exams into staging; the files written."""
    documents = large_print_documents(plan, prepared)
    if not documents:
        return []
    workdir = staging / ".latex-large"
    pdfs = compile_all(documents, workdir, jobs, warnings=notes)
    written = []
    for document in documents:
        key = document.variant_keys[0]
        relative = f"variants/{key}/exam-large.pdf"
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        pages = scale_to_a4(pdfs[document.name], target)
        stamp_qr_codes(target, [pages], [variant_code(plan.seed, key)])
        written.append(relative)
    shutil.rmtree(workdir)
    return written

# ---------------------------------------------------------------- the accessible HTML exam

def without_solutions(rendered: RenderedProblem) -> RenderedProblem:
    """The problem as the exam shows it: its worked solutions emptied before any conversion."""
    return replace(rendered, general="", parts=tuple(replace(part, solution="") for part in rendered.parts))

def exam_view(plan: Plan, variant: Variant, problems: Sequence[Any]) -> dict[str, Any]:
    """What templates/exam.html.j2 shows of one variant (problems: its slots' ProblemHtml)."""
    def points(value: float) -> str:          # with the exam language's decimal separator
        return i18n.decimal_text(num(value), plan.language[0])

    student = plan.students.get(variant.key)
    questions = []
    for (slot, instance), html in zip(variant.slots, problems, strict=True):
        problem = plan.bank.load(slot.problem_id)
        qdom = f"q{slot.number}"
        shares = slot.field_points(lambda part, p=problem: p.part(part).answers)
        parts = []
        for part in html.parts:
            fields = []
            for name in problem.part(part.name).answers:
                answer = problem.answer(name)
                # The view only (the entries' ids and labels); the check, which holds the key value, is dropped.
                view, _ = answer.kind.page_view(answer, instance.answers.get(name), f"{qdom}-{name}")
                view["points"] = points(float(shares[name]))
                fields.append(view)
            parts.append({"label": part.label, "points": points(part.points), "text": Markup(part.text.inline()),
                          "fields": fields, "dom": f"{qdom}-{part.name}"})
        questions.append({"number": slot.number, "title": title_in(problem, plan.language), "points": points(slot.points), "dom": qdom,
                          "intro": Markup(html.intro.inline()), "outro": Markup(html.outro.inline()),
                          "parts": parts})
    return {"key": variant.key, "code": variant_code(plan.seed, variant.key), "questions": questions,
            "student": {"name": student.name, "id": student.key,
                        "extra_time": i18n.extra_time_text(student.extra_time, plan.language[0]),
                        "has_extra_time": "extra-time" in student.accommodations} if student else None}

def exam_page(plan: Plan, view: Mapping[str, Any]) -> str:
    import jinja2

    from generator.practice import html_environment
    from generator.render import TEMPLATES

    language = plan.language[0]
    context = {"exam": {"title": plan.title, "course": plan.course, "date": i18n.format_date(plan.date, language),
                        "duration": plan.duration, "instructions": plan.instructions,
                        "precision": i18n.precision_sentence(plan.precision, language),
                        "rules": list(plan.rules), "total": i18n.decimal_text(num(plan.total_points), language)},
               "language": language, "v": view,
               "style": Markup((TEMPLATES / "practice.css").read_text(encoding="utf-8"))}
    try:
        return html_environment(language).get_template("exam.html.j2").render(**context)
    except jinja2.TemplateError as error:
        raise ExamgenError(f"template error: {error}", "templates/exam.html.j2", "fix the template") from error

def html_exams(plan: Plan, prepared: Sequence[tuple[Variant, dict[str, Any]]]) -> dict[str, str]:
    """variant key -> its accessible exam page, for every student with the `html` accommodation."""
    from generator.documents import rendered_problems
    from generator.exports.html import Converter, slot_htmls

    wanted = set(students_with(plan, HTML, [v.key for v, _ in prepared]))
    chosen = [(v, c) for v, c in prepared if v.key in wanted]
    if not chosen:
        return {}
    rendered = [[without_solutions(r) for r in rendered_problems(c)] for _, c in chosen]
    htmls = slot_htmls(Converter("mathml"), rendered)
    return {variant.key: exam_page(plan, exam_view(plan, variant, problems))
            for (variant, _), problems in zip(chosen, htmls, strict=True)}
