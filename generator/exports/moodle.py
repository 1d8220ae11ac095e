"""Moodle XML (`moodle.xml`): every variant of every slot, for Moodle's question bank.

As R/exams' exams2moodle does, each slot gets its own category holding one question per
variant, so that a quiz can draw a random question per slot:

    $course$/top/<exam title>/<NN> <problem title>            cloze questions, one per variant
    $course$/top/<exam title>/<NN> <problem title> (written)  essay questions, when the problem has proof parts

A variant's graded fields form one `cloze` (multianswer) question: reals, vectors and matrices
are NUMERICAL sub-answers, one per entry, with the absolute tolerance Moodle wants,
atol + rtol |v| (plus the key's inclusive-edge slack, 1e-9 max(1, bound, |v|)); ints and
shapes are NUMERICAL with tolerance 0; choices, bools and each entry of a list of bools are
MULTICHOICE (the right option marked `=`, 100%); `expr` fields are SHORTANSWER holding the sympy string, which Moodle
compares as text (case-insensitively), not symbolically: a correct but differently written
formula is marked wrong there and needs a manual regrade. Answer strings are escaped as
Moodle's importer unescapes them (`\\}`, `\\#`; `~` as `&#126;`; `\\*` in SHORTANSWER), and an
accepted alternative of a field is one more full-credit answer of its blank, its feedback
naming the convention (`generator.answers` writes both). Sub-answer weights are whole
numbers (Moodle's rule) in the ratio of the points: a part's points are split equally over
its fields and a field's over its entries, then scaled to whole numbers.

`proof` parts cannot sit in a cloze question; they become an essay question of the same
variant (the whole statement, the proof parts asked, the model answer as the grader's
information), in the slot's "(written)" category.

Statements and solutions are HTML from pandoc with the maths kept as `\\( ... \\)` and
`\\[ ... \\]` for Moodle's MathJax filter; the worked solution is the general feedback; TikZ
figures are SVG files embedded in the XML (`@@PLUGINFILE@@/figure-<hash>.svg`).
"""

from __future__ import annotations

import html
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from generator import bank
from generator.answers import Answer
from generator.answers import base as answers_base
from generator.exports.html import Converter, Html, ProblemHtml, problems_to_html
from generator.plan import Plan, Slot
from generator.render import num, render_problem
from generator.variants import Variant

PLUGINFILE = "@@PLUGINFILE@@/"
MAX_SCALE = 1000


def _number(value: float | int) -> str:
    """A number as Moodle reads it: plain decimal, never exponent notation."""
    return answers_base.moodle_number(value)


# ---------------------------------------------------------------- weights

def entry_weights(problem, slot: Slot, answers: dict[str, Any]) -> dict[str, list[Fraction]]:
    """Points per entry of each graded field: a part's points equally over its fields, a field's
    equally over its entries (proof fields keep their share for the essay question)."""
    out: dict[str, list[Fraction]] = {}
    for part_name, points in slot.parts:
        fields = problem.part(part_name).answers
        share = Fraction(points).limit_denominator(1000) / len(fields)
        for name in fields:
            answer = problem.answer(name)
            if not answer.graded:
                out[name] = [share]
                continue
            entries = answer.kind.entries(answers[name])
            out[name] = [share / len(entries)] * len(entries)
    return out


def whole_weights(weights: Sequence[Fraction]) -> list[int]:
    """Fractions of points as whole numbers in the same ratio (smallest scale; rounded past 1000)."""
    scale = 1
    for weight in weights:
        scale = scale * weight.denominator // math.gcd(scale, weight.denominator)
    if scale > MAX_SCALE:
        return [max(1, round(float(w) * MAX_SCALE)) for w in weights]
    return [int(w * scale) for w in weights]


# ---------------------------------------------------------------- sub-questions

def _subquestion(answer: Answer, value: Any, weight: int, alternatives: Sequence[tuple[Any, str]] = (),
                 tolerance: Mapping[str, float] | None = None) -> str:
    """One blank of a cloze question, as the answer's type writes it."""
    return answer.kind.moodle_subquestion(answer, value, weight, alternatives, tolerance)


def _field_html(answer: Answer, value: Any, weights: list[int], alternatives: Sequence[tuple[Any, str]] = (),
                tolerance: Mapping[str, float] | None = None) -> str:
    """A field's label and blanks; `alternatives` (value, convention) get full credit too;
    `tolerance` ({"atol", "rtol"}, the key's) overrides the answer's declared one."""
    return answer.kind.moodle_field(answer, value, weights, alternatives, tolerance)


# ---------------------------------------------------------------- XML

def _text(parent: ET.Element, tag: str, text: str, fmt: str | None = "html",
          figures: Sequence[Any] = ()) -> ET.Element:
    element = ET.SubElement(parent, tag, {"format": fmt} if fmt else {})
    ET.SubElement(element, "text").text = text
    for figure in figures:
        file = ET.SubElement(element, "file", {"name": figure.name, "path": "/", "encoding": "base64"})
        file.text = figure.base64()
    return element


def _simple(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def _html(pieces: Sequence[Html]) -> tuple[str, list[Any]]:
    """Several fragments as Moodle HTML and the figures they use."""
    figures: dict[str, Any] = {}
    for piece in pieces:
        figures.update(piece.figures)
    return "".join(p.with_images(lambda f: PLUGINFILE + f.name) for p in pieces), list(figures.values())


def _fragment(text: str) -> Html:
    """Literal HTML as a fragment (headings, part labels, answer fields)."""
    return Html(text)


def _category(root: ET.Element, path: str, info: str) -> None:
    question = ET.SubElement(root, "question", {"type": "category"})
    category = ET.SubElement(question, "category")
    ET.SubElement(category, "text").text = path
    _text(question, "info", info)


def _category_name(text: str) -> str:
    """A category name: no '/' (Moodle's path separator)."""
    return " ".join(text.replace("/", "-").split())


def _solution_pieces(problem_html: ProblemHtml, names: Sequence[str]) -> list[Html]:
    pieces: list[Html] = []
    for part in problem_html.parts:
        if part.name in names and not part.solution.empty:
            pieces += [_fragment(f"<p><strong>({part.label})</strong></p>"), part.solution]
    if not problem_html.general.empty:
        pieces.append(problem_html.general)
    return pieces


def _statement_pieces(problem_html: ProblemHtml, title: str, fields_html: dict[str, str],
                      written: Sequence[str], note: str) -> list[Html]:
    pieces = [_fragment(f"<h4>{html.escape(title)}</h4>"), problem_html.intro]
    for part in problem_html.parts:
        pieces.append(_fragment(f'<div class="examgen-part"><p><strong>({part.label})</strong> '
                                f"[{num(part.points)} pt]</p>"))
        pieces.append(part.text)
        if part.name in written:
            pieces.append(_fragment(f"<p><em>{html.escape(note)}</em></p>"))
        if part.name in fields_html:
            pieces.append(_fragment(fields_html[part.name]))
        pieces.append(_fragment("</div>"))
    pieces.append(problem_html.outro)
    return pieces


def moodle_xml(plan: Plan, variants: Sequence[Variant], converter: Converter | None = None) -> str:
    """The Moodle XML of a build: categories per slot, a question per variant and slot."""
    converter = converter or Converter("mathjax")
    items = []
    for variant in variants:
        for slot, instance in variant.slots:
            problem = bank.load(slot.problem_id)
            points = {name: float(p) for name, p in slot.parts}
            rendered = render_problem(slot.problem_id, instance.params, instance.values, points,
                                      {p.name: p.space for p in problem.parts})
            items.append((slot.problem_id, rendered, points))
    converted = iter(problems_to_html(converter, items))
    by_variant = [[next(converted) for _ in variant.slots] for variant in variants]

    root = ET.Element("quiz")
    base = f"$course$/top/{_category_name(plan.title)}"
    width = max(2, len(str(len(plan.slots))))
    for index, slot in enumerate(plan.slots):
        problem = bank.load(slot.problem_id)
        asked = [name for name, _ in slot.parts]
        written = [name for name in asked if any(not problem.answer(f).graded for f in problem.part(name).answers)]
        graded = [name for name in asked if any(problem.answer(f).graded for f in problem.part(name).answers)]
        title = f"{str(slot.number).zfill(width)} {problem.title}"
        category = f"{base}/{_category_name(title)}"
        info = (f"examgen slot {slot.number} ({html.escape(slot.key)}): problem {html.escape(slot.problem_id)}, "
                f"{len(variants)} variants of exam seed {plan.seed}; draw one random question per quiz slot.")
        if graded:
            _category(root, category, info)
            for variant, problems in zip(variants, by_variant, strict=True):
                instance = variant.slots[index][1]
                _cloze(root, plan, slot, variant, problem, instance, problems[index], graded, written)
        if written:
            _category(root, f"{category} (written)", info + " Parts graded by hand.")
            for variant, problems in zip(variants, by_variant, strict=True):
                _essay(root, plan, slot, variant, problem, problems[index], written)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _name(plan: Plan, slot: Slot, variant: Variant, suffix: str = "") -> str:
    return f"{plan.spec_name} slot {slot.number} {slot.problem_id} variant {variant.key}{suffix}"


def _cloze(root, plan, slot, variant, problem, instance, problem_html: ProblemHtml, graded, written) -> None:
    shares = entry_weights(problem, slot, instance.answers)
    order = [name for part in graded for name in problem.part(part).answers if problem.answer(name).graded]
    flat = [w for name in order for w in shares[name]]
    whole = iter(whole_weights(flat))
    fields_html: dict[str, str] = {}
    tolerances = instance.key_entry(problem)["tolerances"]      # the key's, as grade uses them
    for part in graded:
        lines = []
        for name in problem.part(part).answers:
            answer = problem.answer(name)
            if not answer.graded:
                continue
            weights = [next(whole) for _ in shares[name]]
            others = [(a["value"], a["convention"]) for a in instance.alternatives.get(name, [])]
            lines.append(_field_html(answer, instance.answers[name], weights, others, tolerances.get(name)))
        fields_html[part] = "".join(lines)
    note = "Graded by hand in the written question of this slot." if written else ""
    statement, figures = _html(_statement_pieces(problem_html, problem.title, fields_html, written, note))
    feedback, feedback_figures = _html(_solution_pieces(problem_html, [name for name, _ in slot.parts]))
    question = ET.SubElement(root, "question", {"type": "cloze"})
    name = ET.SubElement(question, "name")
    ET.SubElement(name, "text").text = _name(plan, slot, variant)
    _text(question, "questiontext", statement, figures=figures)
    _text(question, "generalfeedback", feedback, figures=feedback_figures)
    _simple(question, "penalty", "0.3333333")
    _simple(question, "hidden", "0")


def _essay(root, plan, slot, variant, problem, problem_html: ProblemHtml, written) -> None:
    points = 0.0   # a part's points are split equally over its fields: the proof fields' share
    for name, part_points in slot.parts:
        fields = problem.part(name).answers
        points += float(part_points) * sum(not problem.answer(f).graded for f in fields) / len(fields)
    statement, figures = _html(_statement_pieces(problem_html, problem.title, {}, [], ""))
    asked = ", ".join(f"({part.label})" for part in problem_html.parts if part.name in written)
    statement += f"<p><strong>Answer part{'s' if len(written) > 1 else ''} {html.escape(asked)} here.</strong></p>"
    model, model_figures = _html(_solution_pieces(problem_html, written))
    feedback, feedback_figures = _html(_solution_pieces(problem_html, [name for name, _ in slot.parts]))
    question = ET.SubElement(root, "question", {"type": "essay"})
    name = ET.SubElement(question, "name")
    ET.SubElement(name, "text").text = _name(plan, slot, variant, " (written)")
    _text(question, "questiontext", statement, figures=figures)
    _text(question, "generalfeedback", feedback, figures=feedback_figures)
    _simple(question, "defaultgrade", _number(points))
    _simple(question, "penalty", "0")
    _simple(question, "hidden", "0")
    _simple(question, "responseformat", "editor")
    _simple(question, "responserequired", "1")
    _simple(question, "responsefieldlines", "15")
    _simple(question, "attachments", "0")
    _simple(question, "attachmentsrequired", "0")
    _text(question, "graderinfo", model, figures=model_figures)
    _text(question, "responsetemplate", "")
