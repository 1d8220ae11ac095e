"""Canvas Classic Quizzes (`canvas-qti.zip`): a QTI 1.2 package in Canvas' flavour.

The zip holds `imsmanifest.xml`, the assessment `<id>/<id>.xml` (QTI 1.2, with Canvas'
`question_type` metadata), Canvas' quiz settings `<id>/assessment_meta.xml` and the figures
as SVG files under `images/` (Canvas rejects base64 images), referenced through
`$IMS-CC-FILEBASE$/`. As for Moodle, each slot is one question group (a section with
`selection_number` 1) holding one question per variant, so a quiz draws one variant per
slot. Canvas wants a group to hold more questions than it picks: a build of ONE variant has
no groups, its questions sit directly in the quiz.

Each variant and slot is ONE question holding all its parts (the parts are never separable):
- a single numeric entry: `numerical_question`, a range answer of the key's tolerance (an
  exact answer for whole numbers); but Canvas keeps numbers to 4 decimals (a value or a
  tolerance below 1e-4 in magnitude becomes 0), so such an entry is a text blank instead;
- a single choice (bool, choice, a field asked as options): `multiple_choice_question`, each
  option with an answer comment naming the mistake behind it (a field asked as options is
  labelled (A), (B), ... in the key's order); multiple answers: `multiple_answers_question`
  (scored right when every right option and no other is marked; Canvas grants its own partial
  credit, and has no negative marking);
- several choices only: `multiple_dropdowns_question` (a field asked as options: a drop-down of
  its labelled options);
- anything else: `fill_in_multiple_blanks_question`, one blank per entry. Canvas compares a
  blank as text (case-insensitively), never as a number: a numeric blank accepts the key's
  value rounded to a few digits within the key's tolerance (0.123, 0.1235, ..., the full
  value) and a formula its common spellings (`^` or `**`, with or without spaces); other
  writings need a manual regrade. Canvas splits a question's points equally over its blanks;
- a slot with a `proof` part: one `essay_question` holding the whole problem, graded by
  hand; the key's values and the worked solutions are its general feedback (Canvas has no
  field for graders only: keep "let students see the correct answers" off until grading ends).

Statements are HTML with the maths as `\\( ... \\)` / `\\[ ... \\]`, which Canvas renders with
MathJax; the worked solution is each question's general feedback.
"""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET
from collections.abc import Sequence

from generator.exports import Export, Exporter
from generator.exports.html import Figure
from generator.exports.qti import Gap, Item, identifier, joined, number, slot_items, zip_bytes

QTI12 = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CANVAS_META = "http://canvas.instructure.com/xsd/cccv1p0"
CP = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
FILEBASE = "$IMS-CC-FILEBASE$/"
IMAGES = "images/"
SMALLEST = 1e-4        # Canvas keeps 4 decimals of a numeric answer: smaller magnitudes become 0


def _representable(x: float) -> bool:
    return x == 0 or abs(x) >= SMALLEST


def question_type(item: Item) -> str:
    """The Canvas question type of an item (see the module's docstring)."""
    if item.written:
        return "essay_question"
    kinds = [gap.gap.kind for gap in item.gaps]
    if len(item.gaps) == 1 and kinds[0] == "numeric" and _numerical(item.gaps[0]):
        return "numerical_question"
    if len(item.gaps) == 1 and kinds[0] == "letters":
        return "multiple_answers_question" if item.gaps[0].gap.multi else "multiple_choice_question"
    if len(item.gaps) == 1 and kinds[0] == "option":
        return "multiple_choice_question"
    if kinds and all(kind == "option" or (kind == "letters" and not gap.gap.multi)
                     for kind, gap in zip(kinds, item.gaps, strict=True)):
        return "multiple_dropdowns_question"
    return "fill_in_multiple_blanks_question"


def _numerical(gap: Gap) -> bool:
    values = [(gap.gap.value, gap.gap.tolerance), *gap.gap.alternatives]
    return all(_representable(float(v)) and _representable(t) for v, t in values)


def blank_name(gap: Gap) -> str:
    return gap.name


def _sub(parent: ET.Element, tag: str, attributes: dict[str, str] | None = None, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes or {})
    if text is not None:
        element.text = text
    return element


def _mattext(parent: ET.Element, text: str, texttype: str = "text/html") -> None:
    material = _sub(parent, "material")
    _sub(material, "mattext", {"texttype": texttype}, text)


def _metadata(item_element: ET.Element, fields: Sequence[tuple[str, str]]) -> None:
    meta = _sub(_sub(item_element, "itemmetadata"), "qtimetadata")
    for label, entry in fields:
        field = _sub(meta, "qtimetadatafield")
        _sub(field, "fieldlabel", text=label)
        _sub(field, "fieldentry", text=entry)


def _html(pieces, figures: dict[str, Figure]) -> str:
    text, used = joined(pieces, lambda f: FILEBASE + IMAGES + f.name)
    figures.update(used)
    return text


def _score(parent: ET.Element, value: float, action: str = "Add") -> None:
    _sub(parent, "setvar", {"varname": "SCORE", "action": action}, number(value))


def _item(section: ET.Element, item: Item, figures: dict[str, Figure]) -> None:
    kind = question_type(item)
    element = _sub(section, "item", {"ident": item.identifier, "title": item.title})
    _metadata(element, [("question_type", kind), ("points_possible", number(item.points)),
                        ("assessment_question_identifierref", identifier("q", item.identifier))])
    presentation = _sub(element, "presentation")
    blanks = kind in ("fill_in_multiple_blanks_question", "multiple_dropdowns_question")

    def mark(index: int, gap: Gap) -> tuple[str, bool]:
        return (f"[{blank_name(gap)}]" if blanks else ""), False

    _mattext(presentation, _html(item.statement(mark), figures))
    processing = _sub(element, "resprocessing")
    outcomes = _sub(processing, "outcomes")
    _sub(outcomes, "decvar", {"maxvalue": "100", "minvalue": "0", "varname": "SCORE", "vartype": "Decimal"})
    if kind == "essay_question":
        response = _sub(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"})
        _sub(_sub(response, "render_fib"), "response_label", {"ident": "answer1", "rshuffle": "No"})
        condition = _sub(processing, "respcondition", {"continue": "No"})
        _sub(_sub(condition, "conditionvar"), "other")
        model = _html(item.model_answer(), figures)
    elif kind == "numerical_question":
        gap = item.gaps[0].gap
        response = _sub(presentation, "response_str", {"ident": "response1", "rcardinality": "Single"})
        _sub(_sub(response, "render_fib", {"fibtype": "Decimal"}), "response_label", {"ident": "answer1"})
        for value, tolerance in [(gap.value, gap.tolerance), *gap.alternatives]:
            condition = _sub(processing, "respcondition", {"continue": "No"})
            test = _sub(_sub(condition, "conditionvar"), "or")
            _sub(test, "varequal", {"respident": "response1"}, number(value))
            if tolerance:
                bounds = _sub(test, "and")
                _sub(bounds, "vargte", {"respident": "response1"}, number(float(value) - tolerance))
                _sub(bounds, "varlte", {"respident": "response1"}, number(float(value) + tolerance))
            _score(condition, 100, "Set")
        model = ""
    elif kind in ("multiple_choice_question", "multiple_answers_question"):
        gap = item.gaps[0].gap
        multi = kind == "multiple_answers_question"
        response = _sub(presentation, "response_lid", {"ident": "response1",
                                                       "rcardinality": "Multiple" if multi else "Single"})
        choices = _sub(response, "render_choice")
        idents = [f"{item.identifier}-o{number_ + 1}" for number_ in range(len(gap.options))]
        for ident, option in zip(idents, gap.options, strict=True):
            label = _sub(choices, "response_label", {"ident": ident})
            _mattext(label, option, "text/plain")
        # a choice's options each say what marking them means (Canvas' answer comments)
        for ident, text in zip(idents, gap.feedback, strict=False):
            comment = _sub(processing, "respcondition", {"continue": "Yes"})
            _sub(_sub(comment, "conditionvar"), "varequal", {"respident": "response1"}, ident)
            _sub(comment, "displayfeedback", {"feedbacktype": "Response", "linkrefid": f"{ident}_fb"})
            _mattext(_sub(_sub(element, "itemfeedback", {"ident": f"{ident}_fb"}), "flow_mat"), html.escape(text))
        right = list(gap.value) if gap.kind == "letters" else [gap.options.index(gap.value)]
        condition = _sub(processing, "respcondition", {"continue": "No"})
        test = _sub(condition, "conditionvar")
        if multi:   # every right option marked and no other (Canvas applies its own partial credit)
            test = _sub(test, "and")
            for number_, ident in enumerate(idents):
                parent = test if number_ in right else _sub(test, "not")
                _sub(parent, "varequal", {"respident": "response1"}, ident)
        else:
            _sub(test, "varequal", {"respident": "response1"}, idents[right[0]])
        _score(condition, 100, "Set")
        model = ""
    else:
        total = sum(g.points for g in item.gaps) or 1.0
        for gap in item.gaps:
            name = blank_name(gap)
            response = _sub(presentation, "response_lid", {"ident": f"response_{name}"})
            _mattext(response, name, "text/plain")
            choices = _sub(response, "render_choice")
            # Canvas counts every listed text of a blank as right; a drop-down lists the options
            # (a choice: its labelled options as a drop-down, else its letters as a blank's text)
            texts = (gap.gap.options if kind == "multiple_dropdowns_question" else (gap.gap.value,)) \
                if gap.gap.kind == "option" else gap.gap.options \
                if gap.gap.kind == "letters" and kind == "multiple_dropdowns_question" else gap.gap.texts
            right = [gap.gap.value] if gap.gap.kind == "option" else [gap.gap.options[i] for i in gap.gap.value] \
                if gap.gap.kind == "letters" and kind == "multiple_dropdowns_question" else list(texts)
            for number_, text in enumerate(texts):
                label = _sub(choices, "response_label", {"ident": f"{item.identifier}-{name}-a{number_ + 1}"})
                _mattext(label, str(text), "text/plain")
            for number_, text in enumerate(texts):
                if text in right:
                    condition = _sub(processing, "respcondition")
                    _sub(_sub(condition, "conditionvar"), "varequal", {"respident": f"response_{name}"},
                         f"{item.identifier}-{name}-a{number_ + 1}")
                    _score(condition, 100 * gap.points / total)   # a blank's text matches one label only
        model = ""
    feedback = model or _html(item.solution(), figures)
    if feedback:
        # first, and continuing: a later condition with continue="No" must not skip it
        condition = ET.Element("respcondition", {"continue": "Yes"})
        _sub(_sub(condition, "conditionvar"), "other")
        _sub(condition, "displayfeedback", {"feedbacktype": "Response", "linkrefid": "general_fb"})
        processing.insert(1, condition)
        block = _sub(element, "itemfeedback", {"ident": "general_fb"})
        _mattext(_sub(block, "flow_mat"), feedback)


def assessment(export: Export) -> tuple[str, str, dict[str, Figure]]:
    """(assessment identifier, its QTI 1.2 XML, the figures it uses)."""
    plan = export.plan
    ident = identifier("examgen", plan.spec_name, str(plan.seed))
    root = ET.Element("questestinterop", {"xmlns": QTI12})
    test = _sub(root, "assessment", {"ident": ident, "title": plan.title})
    meta = _sub(test, "qtimetadata")
    field = _sub(meta, "qtimetadatafield")
    _sub(field, "fieldlabel", text="cc_maxattempts")
    _sub(field, "fieldentry", text="1")
    top = _sub(test, "section", {"ident": "root_section"})
    figures: dict[str, Figure] = {}
    grouped = len(export.variants) > 1          # a Canvas group must hold more than it picks
    for slot_items_ in slot_items(export, "mathjax"):
        first = slot_items_[0]
        if grouped:
            group = _sub(top, "section", {"ident": identifier("group", first.identifier.split("-")[0]),
                                          "title": f"{first.slot.number} {first.problem_title}"})
            selection = _sub(_sub(group, "selection_ordering"), "selection")
            _sub(selection, "selection_number", text="1")
            _sub(_sub(selection, "selection_extension"), "points_per_item", text=number(first.points))
        else:
            group = top
        for item in slot_items_:
            _item(group, item, figures)
    ET.indent(root, space="  ")
    return ident, '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n", figures


def _quiz_meta(export: Export, ident: str) -> str:
    plan = export.plan
    root = ET.Element("quiz", {"identifier": ident, "xmlns": CANVAS_META})
    points = sum(slot.points for slot in plan.slots)
    for tag, text in [("title", plan.title), ("description", ""), ("shuffle_answers", "false"),
                      ("scoring_policy", "keep_highest"), ("quiz_type", "assignment"),
                      ("points_possible", number(points)), ("show_correct_answers", "false"),
                      ("allowed_attempts", "1"), ("one_question_at_a_time", "false"),
                      ("cant_go_back", "false"), ("available", "false")]:
        _sub(root, tag, text=text)
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _manifest(ident: str, figures: Sequence[str]) -> str:
    root = ET.Element("manifest", {"identifier": identifier("manifest", ident), "xmlns": CP})
    metadata = _sub(root, "metadata")
    _sub(metadata, "schema", text="IMS Content")
    _sub(metadata, "schemaversion", text="1.1.3")
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    resource = _sub(resources, "resource", {"identifier": ident, "type": "imsqti_xmlv1p2"})
    _sub(resource, "file", {"href": f"{ident}/{ident}.xml"})
    _sub(resource, "dependency", {"identifierref": identifier(ident, "meta")})
    meta = _sub(resources, "resource", {"identifier": identifier(ident, "meta"),
                                        "type": "associatedcontent/imscc_xmlv1p1/learning-application-resource",
                                        "href": f"{ident}/assessment_meta.xml"})
    _sub(meta, "file", {"href": f"{ident}/assessment_meta.xml"})
    for name in figures:
        figure = _sub(resources, "resource", {"identifier": identifier("file", name.split(".")[0]),
                                              "type": "webcontent", "href": IMAGES + name})
        _sub(figure, "file", {"href": IMAGES + name})
    ET.indent(root, space="  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def canvas_package(export: Export) -> bytes:
    ident, text, figures = assessment(export)
    files: dict[str, str | bytes] = {"imsmanifest.xml": _manifest(ident, sorted(figures)),
                                     f"{ident}/{ident}.xml": text,
                                     f"{ident}/assessment_meta.xml": _quiz_meta(export, ident)}
    for name in sorted(figures):
        files[IMAGES + name] = '<?xml version="1.0" encoding="UTF-8"?>\n' + figures[name].svg
    return zip_bytes(files)


class CanvasQti(Exporter):
    name = "canvas"
    filename = "canvas-qti.zip"
    description = "Canvas Classic Quizzes (QTI 1.2 zip): a question group per slot, a question per variant"
    needs = frozenset({"html-mathjax"})

    def write(self, export: Export) -> bytes:
        return canvas_package(export)


