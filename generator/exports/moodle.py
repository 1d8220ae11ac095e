"""Moodle XML (`moodle.xml`): every variant of every slot, for Moodle's question bank.

As R/exams' exams2moodle does, each slot gets its own category holding one question per
variant, so that a quiz can draw a random question per slot:

    $course$/top/<exam title>/<NN> <problem title>            one question per variant

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
its fields (`Slot.field_points`) and a field's over its entries, then scaled to whole numbers.

A slot with `proof` parts exports each variant as ONE `essay` question instead: Moodle's cloze
has no essay blank, and a quiz draws its random questions per category independently, so a
cloze and an essay of the same variant in two categories could reach a student mismatched
(the numbers of one variant, the proof of another). The essay holds the whole problem, every
part is answered in it, its grade is the slot's points, and the grader's information lists
the key's values of every graded field next to the worked solutions.

Moodle sizes a text blank to its longest answer (`strlen`, plus up to 15% at random), which
tells a student how many characters the answer has. So every NUMERICAL and SHORTANSWER blank
of a slot gets one more answer, worth 0%, as long as the slot's longest answer (`BLANK_WIDTH`
at least): the blanks of a slot are all of one width. Labels in plain text ("(h)",
"sqrt(h)") sit in `<span class="nolink">`, which Moodle's text filters leave alone (the
emoticon filter, on by default, would turn "(h)" into a heart).

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

from generator import i18n
from generator.answers import Answer
from generator.answers import base as answers_base
from generator.answers.choice import asked
from generator.exports import Export, Exporter
from generator.exports.html import Converter, Html, ProblemHtml, slot_htmls
from generator.plan import Plan, Slot
from generator.precision import DEFAULT as DEFAULT_PRECISION
from generator.precision import Precision
from generator.problem import title_in
from generator.render import num
from generator.variants import Variant

PLUGINFILE = "@@PLUGINFILE@@/"
MAX_SCALE = 1000


def _number(value: float | int) -> str:
    """A number as Moodle reads it: plain decimal, never exponent notation."""
    return answers_base.moodle_number(value)


# ---------------------------------------------------------------- weights

def entry_weights(problem, slot: Slot, answers: dict[str, Any],
                  choices: Mapping[str, Any] | None = None) -> dict[str, list[Fraction]]:
    """Points per entry of each graded field: the field's points (`Slot.field_points`) split
    equally over its entries (a proof field and a field asked as a choice are one entry)."""
    out: dict[str, list[Fraction]] = {}
    for name, share in slot.field_points(lambda part: problem.part(part).answers).items():
        answer, value = asked(problem.answer(name), answers.get(name), (choices or {}).get(name))
        entries = answer.kind.entries(value) if answer.graded else [None]
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


def _label(text: str) -> str:
    """Plain text that Moodle's filters must leave as it is (the emoticon filter reads "(h)" as a heart)."""
    return answers_base.moodle_label(text)


def _category(root: ET.Element, path: str, info: str) -> None:
    question = ET.SubElement(root, "question", {"type": "category"})
    category = ET.SubElement(question, "category")
    ET.SubElement(category, "text").text = path
    _text(question, "info", info)


def _category_name(text: str) -> str:
    """A category name: no '/' (Moodle's path separator)."""
    return " ".join(text.replace("/", "-").split())


def _part_head(part) -> str:
    return f"<strong>{_label(f'({part.label})')}</strong>"


def _solution_pieces(problem_html: ProblemHtml, keys: dict[str, str] | None = None) -> list[Html]:
    """The worked solution per part (after the key's values, for the grader), then the general one."""
    pieces: list[Html] = []
    for part in problem_html.parts:
        key = (keys or {}).get(part.name, "")
        if key or not part.solution.empty:
            pieces += [_fragment(f"<p>{_part_head(part)}</p>{key}"), part.solution]
    if not problem_html.general.empty:
        pieces.append(problem_html.general)
    return pieces


def _statement_pieces(problem_html: ProblemHtml, title: str, fields_html: dict[str, str],
                      language: str = i18n.DEFAULT) -> list[Html]:
    _ = i18n.gettext(language)
    pieces = [_fragment(f"<h4>{html.escape(title)}</h4>"), problem_html.intro]
    for part in problem_html.parts:
        pieces.append(_fragment(f'<div class="examgen-part"><p>{_part_head(part)} '
                                f"[{i18n.decimal_text(num(part.points), language)} {_('pt')}]</p>"))
        pieces.append(part.text)
        if part.name in fields_html:
            pieces.append(_fragment(fields_html[part.name]))
        pieces.append(_fragment("</div>"))
    pieces.append(problem_html.outro)
    return pieces


def moodle_xml(plan: Plan, variants: Sequence[Variant],
               problems: Sequence[Sequence[ProblemHtml]] | None = None) -> str:
    """The Moodle XML of a build: a category per slot, a question per variant and slot.

    `problems[v][s]` is slot s of variant v as HTML in MathJax mode (`html.slot_htmls`);
    converted here when not given."""
    if problems is None:
        from generator.documents import render_variant

        problems = slot_htmls(Converter("mathjax"), [render_variant(plan, v) for v in variants])
    root = ET.Element("quiz")
    base = f"$course$/top/{_category_name(plan.title)}"
    width = max(2, len(str(len(plan.slots))))
    for slot in plan.slots:
        problem = plan.bank.load(slot.problem_id)
        written = any(not plan.bank.load(o.problem_id).answer(f).graded
                      for o in (slot.options or (slot,)) for name, _ in o.parts for f in plan.bank.load(o.problem_id).part(name).answers)
        title = f"{str(slot.number).zfill(width)} {title_in(problem, plan.language)}"
        info = (f"examgen slot {slot.number} ({html.escape(slot.key)}): problem {html.escape(slot.problem_id)}, "
                f"{len(variants)} variants of exam seed {plan.seed}; draw one random question per quiz slot."
                + (" Graded by hand: the essay holds the whole problem." if written else ""))
        _category(root, f"{base}/{_category_name(title)}", info)
        # each variant's own slot (a pool's drawn problem, the parts' drawn order) at its printed position
        pairs = [(variant, variant.slot_for(slot), variant.instance_for(slot), htmls[variant.position(slot)])
                 for variant, htmls in zip(variants, problems, strict=True)]
        if written:
            for variant, own, instance, problem_html in pairs:
                _essay(root, plan, own, variant, plan.bank.load(own.problem_id), instance, problem_html)
        else:
            fields = [_fields_html(own, plan.bank.load(own.problem_id), instance, plan.precision)
                      for _, own, instance, _ in pairs]
            blank = max([BLANK_WIDTH] + [_longest_answer(text) for f in fields for text in f.values()])
            for (variant, own, _, problem_html), field_html in zip(pairs, fields, strict=True):
                padded = {part: _pad_blanks(text, blank) for part, text in field_html.items()}
                _cloze(root, plan, own, variant, plan.bank.load(own.problem_id), problem_html, padded)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _name(plan: Plan, slot: Slot, variant: Variant, suffix: str = "") -> str:
    return f"{plan.spec_name} slot {slot.number} {slot.problem_id} variant {variant.key}{suffix}"


def _fields_html(slot: Slot, problem, instance, precision: Precision = DEFAULT_PRECISION) -> dict[str, str]:
    """Part name -> the cloze blanks of its graded fields."""
    shares = entry_weights(problem, slot, instance.answers, instance.choices)
    order = [name for part, _ in slot.parts for name in problem.part(part).answers]
    whole = iter(whole_weights([w for name in order for w in shares[name]]))
    out: dict[str, str] = {}
    tolerances = instance.key_entry(problem, precision)["tolerances"]      # the key's, as grade uses them
    for part, _ in slot.parts:
        lines = []
        for name in problem.part(part).answers:
            weights = [next(whole) for _ in shares[name]]
            others = [(x["value"], x["convention"]) for x in instance.alternatives.get(name, [])]
            # a field asked as a choice is its options, each with the mistake behind it as feedback
            answer, value = asked(problem.answer(name), instance.answers[name], instance.choices.get(name))
            lines.append(_field_html(answer, value, weights, [] if name in instance.choices else others,
                                     tolerances.get(name)))
        out[part] = "".join(lines)
    return out


# ---------------------------------------------------------------- blank widths

BLANK_WIDTH = 10                 # characters at least in every text blank
MOODLE_MAX_WIDTH = 60            # Moodle caps a blank's size here
_TEXT_BLANKS = ("NUMERICAL", "SHORTANSWER")


def _blanks(text: str) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each `{weight:KIND:answers}` sub-question in a cloze text; the
    answers' `\\}` escapes do not end it."""
    out, i = [], 0
    while (start := text.find("{", i)) >= 0:
        head, colon = text[start + 1:].partition(":")[0], text.find(":", start)
        kind = text[colon + 1:].partition(":")[0] if head.isdigit() else ""
        if not kind.isalpha() or not kind.isupper():
            i = start + 1
            continue
        j = colon + len(kind) + 2
        while text[j] != "}":
            j += 2 if text[j] == "\\" else 1
        out.append((start, j + 1, kind))
        i = j + 1
    return out


def _answer_texts(blank: str, kind: str) -> list[str]:
    """The answers of one text blank as Moodle stores them (unescaped), for its `strlen`."""
    body = blank[blank.index(kind) + len(kind) + 1: -1]
    answers, current, i, feedback = [], "", 0, False
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            # Moodle's importer unescapes only \} and \#; any other backslash stays in the answer
            kept = body[i + 1] if body[i + 1] in "}#" else body[i:i + 2]
            current += "" if feedback else kept
            i += 2
            continue
        if body[i] == "~":
            answers.append(current)
            current, feedback = "", False
        elif body[i] == "#":
            feedback = True        # an answer's feedback, which does not size the blank
        elif not feedback:
            current += body[i]
        i += 1
    answers.append(current)
    out = []
    for answer in answers:
        answer = answer[1:] if answer.startswith("=") else answer.split("%", 2)[-1]
        if kind == "NUMERICAL":
            answer = answer.rsplit(":", 1)[0]
        out.append(html.unescape(answer).strip())
    return out


def _longest_answer(text: str) -> int:
    return max([len(a) for start, end, kind in _blanks(text) if kind in _TEXT_BLANKS
                for a in _answer_texts(text[start:end], kind)], default=0)


def _pad_blanks(text: str, width: int) -> str:
    """Every text blank given a 0% answer `width` characters long, so that Moodle sizes them alike.
    The pad is a number no one writes for NUMERICAL, and underscores for SHORTANSWER."""
    width = min(width, MOODLE_MAX_WIDTH)
    out, last = [], 0
    for _start, end, kind in _blanks(text):
        if kind not in _TEXT_BLANKS:
            continue
        pad = f"~%0%{'9' * width}:0" if kind == "NUMERICAL" else f"~%0%{'_' * width}"
        out += [text[last:end - 1], pad, "}"]
        last = end
    return "".join(out) + text[last:]


# ---------------------------------------------------------------- questions

def _cloze(root, plan, slot, variant, problem, problem_html: ProblemHtml, fields_html: dict[str, str]) -> None:
    statement, figures = _html(_statement_pieces(problem_html, title_in(problem, plan.language), fields_html, plan.language[0]))
    feedback, feedback_figures = _html(_solution_pieces(problem_html))
    question = ET.SubElement(root, "question", {"type": "cloze"})
    name = ET.SubElement(question, "name")
    ET.SubElement(name, "text").text = _name(plan, slot, variant)
    _text(question, "questiontext", statement, figures=figures)
    _text(question, "generalfeedback", feedback, figures=feedback_figures)
    _simple(question, "penalty", "0.3333333")
    _simple(question, "hidden", "0")


def _key_html(problem, part_name: str, answers: dict[str, Any]) -> str:
    """The key's values of a part's graded fields, for the grader."""
    from generator.exports.csv import value_text

    items = [f"<li>{_label(problem.answer(f).label or f)}: <code>{html.escape(value_text(answers[f]))}</code></li>"
             for f in problem.part(part_name).answers if problem.answer(f).graded]
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _essay(root, plan, slot, variant, problem, instance, problem_html: ProblemHtml) -> None:
    asked = {name: "; ".join(_label(problem.answer(f).label or f) for f in problem.part(name).answers
                             if problem.answer(f).graded) for name, _ in slot.parts}
    _ = i18n.gettext(plan.language[0])
    give, answer_here = _("Give:"), _("Answer every part here, each under its label.")
    fields = {name: f'<p class="examgen-field">{give} {labels}.</p>' for name, labels in asked.items() if labels}
    statement, figures = _html(_statement_pieces(problem_html, title_in(problem, plan.language), fields, plan.language[0]))
    statement += f"<p><strong>{answer_here}</strong></p>"
    keys = {name: _key_html(problem, name, instance.answers) for name, _ in slot.parts}
    model, model_figures = _html(_solution_pieces(problem_html, keys))
    feedback, feedback_figures = _html(_solution_pieces(problem_html))
    question = ET.SubElement(root, "question", {"type": "essay"})
    name = ET.SubElement(question, "name")
    ET.SubElement(name, "text").text = _name(plan, slot, variant)
    _text(question, "questiontext", statement, figures=figures)
    _text(question, "generalfeedback", feedback, figures=feedback_figures)
    _simple(question, "defaultgrade", _number(slot.points))
    _simple(question, "penalty", "0")
    _simple(question, "hidden", "0")
    _simple(question, "responseformat", "editor")
    _simple(question, "responserequired", "1")
    _simple(question, "responsefieldlines", "25")
    _simple(question, "attachments", "0")
    _simple(question, "attachmentsrequired", "0")
    _text(question, "graderinfo", model, figures=model_figures)
    _text(question, "responsetemplate", "")


class MoodleXml(Exporter):
    name = "moodle"
    filename = "moodle.xml"
    description = "Moodle XML for the question bank: a category per slot, a question per variant"
    needs = frozenset({"html-mathjax"})

    def write(self, export: Export) -> str:
        return moodle_xml(export.plan, export.variants, export.slot_html("mathjax"))
