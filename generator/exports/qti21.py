"""QTI 2.1 (`qti21.zip`): an IMS content package of assessment items and an assessment test.

The package holds `imsmanifest.xml`, one `assessmentItem` file per variant and slot
(`s01-vA.xml`), the test `test.xml` with one section per slot that selects one of its items,
and the figures as SVG files (`figure-<hash>.svg`; no base64, which Inspera rejects). Every
file name has one period only (OpenOLAT rejects names with several). Maths is MathML with a
default namespace (`<math xmlns=...>`), never a prefix (OpenOLAT reads no `m:math`).

Each variant and slot is ONE item holding all its parts (the parts are never separable):
- numeric entries (int, shape, real, vector, matrix, matrices): a `textEntryInteraction` gap
  each, baseType float (integer for whole numbers), scored by `equal` with toleranceMode
  absolute and the key's tolerance (atol + rtol |v|, with the key's edge slack, bounds
  included; `match` for whole numbers); an accepted alternative is one more `equal`;
- a field asked as a choice (spec `form: choice`): a `choiceInteraction` of its options
  labelled (A), (B), ..., the letters its identifiers, scored by the spec's rule (`match`;
  multiple answers under partial or negative marking by a mapping), and a `modalFeedback` per
  option naming the mistake behind it;
- choices and bools: a `choiceInteraction` each (one of the options), scored by `match`
  against the correct response (the match_correct rule, per gap);
- formulas (`expr`): a string `textEntryInteraction`, scored by `mapResponse` over the key's
  text and its common spellings (case-insensitive): no QTI LMS compares formulas, so a right
  formula written otherwise needs a manual regrade;
- a slot with a `proof` part: one `extendedTextInteraction` holding the whole problem, graded
  by hand; the key's values and worked solutions sit in a `rubricBlock` for scorers.
A gap scores its share of the slot's points (`qti.Item`); SCORE is their sum, MAXSCORE the
slot's points; the worked solution is a modal feedback shown after the attempt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lxml import etree

from generator.exports import Export, Exporter
from generator.exports.html import Figure
from generator.exports.qti import Gap, Item, identifier, joined, number, slot_items, zip_bytes

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
MATHML = "http://www.w3.org/1998/Math/MathML"
CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
QTI_XSD = "http://www.imsglobal.org/xsd/imsqti_v2p1.xsd"
CP_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd"
TEST_FILE = "test.xml"

# XHTML attributes QTI 2.1's body elements take; pandoc's others (style, role, aria-*) are dropped.
_ATTRIBUTES = {"class", "id", "label", "src", "alt", "width", "height", "href", "type", "colspan", "rowspan",
               "headers", "scope", "abbr", "axis", "summary", "longdesc", "cite", "data", "span", "start"}
# QTI 2.1's XHTML elements (the others in its namespace are interactions and our own blocks).
_XHTML = {"a", "abbr", "acronym", "address", "b", "big", "blockquote", "br", "caption", "cite", "code", "col",
          "colgroup", "dd", "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
          "kbd", "li", "object", "ol", "p", "param", "pre", "q", "samp", "small", "span", "strong", "sub", "sup",
          "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "ul", "var"} | {"figure", "figcaption",
          "section", "header", "footer", "s", "u", "mark", "del", "ins"}
# pandoc's HTML5 elements that QTI's XHTML lacks, as the nearest ones it has.
_RENAMES = {"figure": "div", "figcaption": "p", "section": "div", "header": "div", "footer": "div",
            "s": "span", "u": "span", "mark": "span", "del": "span", "ins": "span"}


def _q(tag: str) -> str:
    return f"{{{QTI}}}{tag}"


def _sub(parent: etree._Element, tag: str, attributes: dict[str, str] | None = None,
         text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, _q(tag), attributes or {})
    if text is not None:
        element.text = text
    return element


def response_id(gap: Gap) -> str:
    return gap.name


def _body(tag: str, text: str) -> etree._Element:
    """HTML (pandoc's, with interactions as QTI markup) as one QTI element `tag`, made XHTML
    that QTI 2.1 takes: its elements in the QTI namespace, MathML in its own."""
    try:
        element = etree.fromstring(f'<{tag} xmlns="{QTI}">{text}</{tag}>')
    except etree.XMLSyntaxError as error:
        raise ValueError(f"the statement is not well-formed XHTML: {error}") from None
    for node in list(element.iter(f"{{{MATHML}}}math")):
        _mathml2(node)
    for node in element.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{QTI}}}"):
            continue
        local = etree.QName(node).localname
        if local not in _XHTML:
            continue                    # an interaction, a choice, a rubric block: ours
        if local in _RENAMES:
            node.tag = _q(_RENAMES[local])
        for attribute in list(node.attrib):
            if attribute not in _ATTRIBUTES and not attribute.startswith("{"):
                del node.attrib[attribute]
        if "id" in node.attrib:
            del node.attrib["id"]       # pandoc's ids are not unique across the fragments joined
    return element


def _m(tag: str) -> str:
    return f"{{{MATHML}}}{tag}"


_LENGTHS = {"minsize", "maxsize", "lspace", "rspace", "width", "height", "depth"}
# Operator attributes that MathML 2 allows on `mo` only (pandoc may put them on an `mi`).
_MO_ONLY = {"minsize", "maxsize", "lspace", "rspace", "stretchy", "symmetric", "fence", "separator",
            "largeop", "movablelimits", "form"}
_BARE_NUMBER = re.compile(r"-?[0-9]*\.?[0-9]+")
# Scripts that take exactly (base, script...) children in MathML 2.
_SCRIPTS = {"msub": 2, "msup": 2, "munder": 2, "mover": 2, "msubsup": 3, "munderover": 3, "mfrac": 2, "mroot": 2}


def _mathml2(math: etree._Element) -> None:
    """pandoc's MathML made MathML 2, which QTI 2.1's schema imports: `semantics` there wants
    a content expression first, so the presentation markup replaces it (the TeX annotation
    goes); a script with one child too many (an upright name split into letters) gets its
    trailing children in one `mrow`."""
    for semantics in list(math.iter(_m("semantics"))):
        children = [c for c in semantics if etree.QName(c).localname not in ("annotation", "annotation-xml")]
        parent = semantics.getparent()
        row = etree.Element(_m("mrow"))
        row.extend(children)
        row.tail = semantics.tail
        parent.replace(semantics, row)
    for node in list(math.iter()):
        if not isinstance(node.tag, str):
            continue
        if etree.QName(node).localname != "mo":
            for attribute in _MO_ONLY & set(node.attrib):
                del node.attrib[attribute]         # MathML 3 allows these on any token; MathML 2 on mo only
        for attribute in _LENGTHS & set(node.attrib):
            if _BARE_NUMBER.fullmatch(node.attrib[attribute]):
                node.attrib[attribute] += "em"     # MathML 3's unitless size; MathML 2 wants a unit
        arity = _SCRIPTS.get(etree.QName(node).localname)
        if arity and len(node) > arity:
            extra = list(node)[arity - 1:]
            row = etree.Element(_m("mrow"))
            for child in extra:
                row.append(child)
            node.append(row)


def _interaction(index: int, gap: Gap) -> tuple[str, bool]:
    """The markup of one gap: (XML text, is a block)."""
    rid = response_id(gap)
    if gap.gap.kind == "letters":      # a field asked as options: the letters are the identifiers
        choices = "".join(f'<simpleChoice identifier="{_letter(k)}">{_escape(option)}</simpleChoice>'
                          for k, option in enumerate(gap.gap.options))
        most = len(gap.gap.options) if gap.gap.multi else 1
        return (f'<choiceInteraction responseIdentifier="{rid}" shuffle="false" maxChoices="{most}">'
                f"<prompt>{_escape(gap.label)}</prompt>{choices}</choiceInteraction>"), True
    if gap.gap.kind == "option":
        choices = "".join(f'<simpleChoice identifier="C{k + 1}">{_escape(option)}</simpleChoice>'
                          for k, option in enumerate(gap.gap.options))
        return (f'<choiceInteraction responseIdentifier="{rid}" shuffle="false" maxChoices="1">'
                f"<prompt>{_escape(gap.label)}</prompt>{choices}</choiceInteraction>"), True
    length = max([len(t) for t in gap.gap.texts] + [6]) + 2
    return f'<textEntryInteraction responseIdentifier="{rid}" expectedLength="{length}"/>', False


def _letter(index: int) -> str:
    from generator.answers.choice import letter

    return letter(index)


def _feedback_id(gap: Gap) -> str:
    """The outcome that holds the options a student marked in a choice gap (its feedback shows)."""
    return f"FB_{response_id(gap)}"


def _declare_choice(root: etree._Element, gap: Gap) -> None:
    """A choice gap's response (the marked letters) and its scoring, as grade scores it:
    single choice by `match` (negative marking: -1/(n-1) of the points when wrong), multiple
    answers by a mapping, +points/|R| per right option and -points/|W| per wrong one marked,
    floored at 0 (`partial`) or at -points (`negative`); all-or-nothing by `match`."""
    qti = gap.gap
    rid = response_id(gap)
    declaration = _sub(root, "responseDeclaration", {"identifier": rid,
                                                     "cardinality": "multiple" if qti.multi else "single",
                                                     "baseType": "identifier"})
    correct = _sub(declaration, "correctResponse")
    for index in qti.value:
        _sub(correct, "value", text=_letter(index))
    if qti.multi and qti.scoring != "all-or-nothing":
        count, right = len(qti.options), set(qti.value)
        mapping = _sub(declaration, "mapping", {"defaultValue": "0", "upperBound": number(gap.points),
                                                "lowerBound": number(0 if qti.scoring == "partial" else -gap.points)})
        for index in range(count):
            value = gap.points / len(right) if index in right else -gap.points / max(1, count - len(right))
            _sub(mapping, "mapEntry", {"mapKey": _letter(index), "mappedValue": number(value)})


def _escape(text: str) -> str:
    from html import escape

    return escape(str(text), quote=True)


def _declarations(root: etree._Element, item: Item) -> None:
    for gap in item.gaps:
        qti = gap.gap
        rid = response_id(gap)
        if qti.kind == "letters":
            _declare_choice(root, gap)
            continue
        if qti.kind == "numeric":
            base = "integer" if qti.whole else "float"
            declaration = _sub(root, "responseDeclaration", {"identifier": rid, "cardinality": "single",
                                                             "baseType": base})
            _sub(_sub(declaration, "correctResponse"), "value", text=number(qti.value))
        elif qti.kind == "option":
            declaration = _sub(root, "responseDeclaration", {"identifier": rid, "cardinality": "single",
                                                             "baseType": "identifier"})
            _sub(_sub(declaration, "correctResponse"), "value", text=f"C{qti.options.index(qti.value) + 1}")
        else:
            declaration = _sub(root, "responseDeclaration", {"identifier": rid, "cardinality": "single",
                                                             "baseType": "string"})
            _sub(_sub(declaration, "correctResponse"), "value", text=str(qti.value))
            mapping = _sub(declaration, "mapping", {"defaultValue": "0"})
            seen: set[str] = set()
            for text in qti.texts:
                if text.lower() not in seen:     # mapKeys compare case-insensitively: each once
                    seen.add(text.lower())
                    _sub(mapping, "mapEntry", {"mapKey": text, "mappedValue": number(gap.points),
                                               "caseSensitive": "false"})
    if item.written:
        _sub(root, "responseDeclaration", {"identifier": "RESPONSE", "cardinality": "single", "baseType": "string"})
    score = _sub(root, "outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single", "baseType": "float",
                                              "normalMaximum": number(item.points)})
    _sub(_sub(score, "defaultValue"), "value", text="0")
    maximum = _sub(root, "outcomeDeclaration", {"identifier": "MAXSCORE", "cardinality": "single",
                                                "baseType": "float"})
    _sub(_sub(maximum, "defaultValue"), "value", text=number(item.points))
    _sub(root, "outcomeDeclaration", {"identifier": "FEEDBACK", "cardinality": "single", "baseType": "identifier"})
    for gap in item.gaps:
        if gap.gap.kind == "letters":
            _sub(root, "outcomeDeclaration", {"identifier": _feedback_id(gap),
                                              "cardinality": "multiple" if gap.gap.multi else "single",
                                              "baseType": "identifier"})


def _add_score(parent: etree._Element, points: float) -> None:
    total = _sub(_sub(parent, "setOutcomeValue", {"identifier": "SCORE"}), "sum")
    _sub(total, "variable", {"identifier": "SCORE"})
    _sub(total, "baseValue", {"baseType": "float"}, number(points))


def _processing(root: etree._Element, item: Item) -> None:
    processing = _sub(root, "responseProcessing")
    for gap in item.gaps:
        qti, rid = gap.gap, response_id(gap)
        if qti.kind == "letters":
            _choice_processing(processing, gap)
            continue
        if qti.kind == "text":
            total = _sub(_sub(processing, "setOutcomeValue", {"identifier": "SCORE"}), "sum")
            _sub(total, "variable", {"identifier": "SCORE"})
            _sub(total, "mapResponse", {"identifier": rid})
            continue
        condition = _sub(_sub(processing, "responseCondition"), "responseIf")
        if qti.kind == "option" or qti.whole:
            test = _sub(condition, "match")
            _sub(test, "variable", {"identifier": rid})
            _sub(test, "correct", {"identifier": rid})
        else:
            test = _sub(condition, "or")
            for value, tolerance in [(None, qti.tolerance), *qti.alternatives]:
                bound = number(tolerance)
                equal = _sub(test, "equal", {"toleranceMode": "absolute", "tolerance": f"{bound} {bound}",
                                             "includeLowerBound": "true", "includeUpperBound": "true"})
                _sub(equal, "variable", {"identifier": rid})
                if value is None:
                    _sub(equal, "correct", {"identifier": rid})
                else:
                    _sub(equal, "baseValue", {"baseType": "float"}, number(value))
        _add_score(condition, gap.points)
    feedback = _sub(processing, "setOutcomeValue", {"identifier": "FEEDBACK"})
    _sub(feedback, "baseValue", {"baseType": "identifier"}, "SOLUTION")


def _choice_processing(processing: etree._Element, gap: Gap) -> None:
    qti, rid = gap.gap, response_id(gap)
    marked = _sub(processing, "setOutcomeValue", {"identifier": _feedback_id(gap)})
    _sub(marked, "variable", {"identifier": rid})
    if qti.multi and qti.scoring != "all-or-nothing":
        total = _sub(_sub(processing, "setOutcomeValue", {"identifier": "SCORE"}), "sum")
        _sub(total, "variable", {"identifier": "SCORE"})
        _sub(total, "mapResponse", {"identifier": rid})
        return
    condition = _sub(processing, "responseCondition")
    right = _sub(condition, "responseIf")
    test = _sub(right, "match")
    _sub(test, "variable", {"identifier": rid})
    _sub(test, "correct", {"identifier": rid})
    _add_score(right, gap.points)
    if qti.scoring == "negative" and not qti.multi and len(qti.options) > 1:
        wrong = _sub(condition, "responseElseIf")    # a wrong letter marked (an empty one scores 0)
        answered = _sub(wrong, "not")
        _sub(_sub(answered, "isNull"), "variable", {"identifier": rid})
        _add_score(wrong, -gap.points / (len(qti.options) - 1))


def _choice_feedback(root: etree._Element, item: Item) -> None:
    """Per option of a choice gap, the feedback shown to a student who marked it: right, or the
    mistake behind it."""
    for gap in item.gaps:
        if gap.gap.kind != "letters":
            continue
        for index, text in enumerate(gap.gap.feedback):
            feedback = _body("modalFeedback", f"<p>{_escape(gap.label)}, ({_letter(index)}): {_escape(text)}</p>")
            feedback.attrib.update({"outcomeIdentifier": _feedback_id(gap), "identifier": _letter(index),
                                    "showHide": "show"})
            root.append(feedback)


def item_xml(item: Item, figures: dict[str, Figure]) -> bytes:
    """One assessmentItem file."""
    def html(pieces) -> str:
        text, used = joined(pieces, lambda f: f.name)
        figures.update(used)
        return text

    root = etree.Element(_q("assessmentItem"), {"identifier": item.identifier, "title": item.title,
                                                "adaptive": "false", "timeDependent": "false",
                                                f"{{{XSI}}}schemaLocation": f"{QTI} {QTI_XSD}"},
                         nsmap={None: QTI, "xsi": XSI})
    _declarations(root, item)
    statement = html(item.statement(_interaction))
    if item.written:
        statement += ('<div class="examgen-answer"><extendedTextInteraction responseIdentifier="RESPONSE" '
                      'expectedLines="25"/></div>')
        statement += f'<rubricBlock view="scorer"><div>{html(item.model_answer())}</div></rubricBlock>'
    root.append(_body("itemBody", statement))
    _processing(root, item)
    _choice_feedback(root, item)
    solution = html(item.solution())
    if solution:
        feedback = _body("modalFeedback", solution)
        feedback.attrib.update({"outcomeIdentifier": "FEEDBACK", "identifier": "SOLUTION", "showHide": "show",
                                "title": "Solution"})
        root.append(feedback)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def test_xml(export: Export, slots: Sequence[Sequence[Item]]) -> bytes:
    plan = export.plan
    root = etree.Element(_q("assessmentTest"), {"identifier": identifier("examgen", plan.spec_name, str(plan.seed)),
                                                "title": plan.title,
                                                f"{{{XSI}}}schemaLocation": f"{QTI} {QTI_XSD}"},
                         nsmap={None: QTI, "xsi": XSI})
    _sub(root, "outcomeDeclaration", {"identifier": "SCORE", "cardinality": "single", "baseType": "float"})
    part = _sub(root, "testPart", {"identifier": "part1", "navigationMode": "nonlinear",
                                   "submissionMode": "simultaneous"})
    for items in slots:
        first = items[0]
        section = _sub(part, "assessmentSection", {"identifier": identifier("section", str(first.slot.number)),
                                                   "title": f"{first.slot.number} {first.problem_title}",
                                                   "visible": "true"})
        _sub(section, "selection", {"select": "1"})
        for item in items:
            _sub(section, "assessmentItemRef", {"identifier": item.identifier, "href": f"{item.identifier}.xml"})
    processing = _sub(root, "outcomeProcessing")
    total = _sub(_sub(processing, "setOutcomeValue", {"identifier": "SCORE"}), "sum")
    _sub(total, "testVariables", {"variableIdentifier": "SCORE"})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def manifest_xml(export: Export, slots: Sequence[Sequence[Item]], uses: dict[str, list[str]]) -> bytes:
    """The content package's manifest: the test, each item with the figures it uses."""
    plan = export.plan
    root = etree.Element(f"{{{CP}}}manifest", {"identifier": identifier("manifest", plan.spec_name, str(plan.seed)),
                                               f"{{{XSI}}}schemaLocation": f"{CP} {CP_XSD}"},
                         nsmap={None: CP, "xsi": XSI})

    def sub(parent, tag, attributes=None, text=None):
        element = etree.SubElement(parent, f"{{{CP}}}{tag}", attributes or {})
        if text is not None:
            element.text = text
        return element

    metadata = sub(root, "metadata")
    sub(metadata, "schema", text="QTIv2.1 Package")
    sub(metadata, "schemaversion", text="1.0.0")
    sub(root, "organizations")
    resources = sub(root, "resources")
    test = sub(resources, "resource", {"identifier": "test", "type": "imsqti_test_xmlv2p1", "href": TEST_FILE})
    sub(test, "file", {"href": TEST_FILE})
    for items in slots:
        for item in items:
            sub(test, "dependency", {"identifierref": identifier("item", item.identifier)})
    for items in slots:
        for item in items:
            resource = sub(resources, "resource", {"identifier": identifier("item", item.identifier),
                                                   "type": "imsqti_item_xmlv2p1", "href": f"{item.identifier}.xml"})
            sub(resource, "file", {"href": f"{item.identifier}.xml"})
            for name in uses[item.identifier]:
                sub(resource, "file", {"href": name})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def qti21_package(export: Export) -> bytes:
    slots = slot_items(export, "mathml")
    files: dict[str, str | bytes] = {}
    figures: dict[str, Figure] = {}
    uses: dict[str, list[str]] = {}
    for items in slots:
        for item in items:
            used: dict[str, Figure] = {}
            files[f"{item.identifier}.xml"] = item_xml(item, used)
            uses[item.identifier] = sorted(used)
            figures.update(used)
    head = {"imsmanifest.xml": manifest_xml(export, slots, uses), TEST_FILE: test_xml(export, slots)}
    for name in sorted(figures):
        files[name] = '<?xml version="1.0" encoding="UTF-8"?>\n' + figures[name].svg
    return zip_bytes({**head, **files})


class Qti21Package(Exporter):
    name = "qti21"
    filename = "qti21.zip"
    description = "QTI 2.1 content package (OpenOLAT, Inspera, ...): a section per slot, an item per variant"
    needs = frozenset({"html-mathml"})

    def write(self, export: Export) -> bytes:
        return qti21_package(export)
