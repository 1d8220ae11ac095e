"""QTI exports: Canvas' QTI 1.2 zip and the QTI 2.1 content package.

The QTI 2.1 items validate against the official IMS schemas in `../shared/qti` (beside the
checkout; its catalog keeps everything offline); the Canvas package has the structure Canvas'
importer reads (the layout text2qti and R/exams write), checked field by field per question
type. Both packages' own response processing is evaluated here by a small interpreter of the
rules they use (QTI 2.1 match / equal with tolerance / mapResponse / sum; QTI 1.2 varequal,
vargte/varlte, and/or, setvar), and must give the key's values, taken from key.json, full
marks, and each declared mistake's wrong entries nothing.
"""

from __future__ import annotations

import contextlib
import json
import math
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from generator.answers.base import close, flatten
from generator.bank import Bank, builtin
from generator.instance import mistake_answers
from tests.conftest import ROOT, run_cli

QTI_DIR = ROOT.parent / "shared" / "qti"     # CI keeps a copy of shared/ beside the checkout

QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
Q12 = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
SPECS = sorted((ROOT / "exams").glob("*.yaml"))
FIXTURES = Path(__file__).parent / "qti_fixtures"
# One slot per kind of Canvas question the shipped specs do not all produce: a choice alone
# (multiple choice), a whole number alone and a real alone (numerical), shapes and bools (blanks).
TYPES_SPEC = """\
title: "QTI question types"
seed: 7
variants: 2
problems:
  - id: probability/kl-cross-entropy
    points: 1
    parts: {better: 1}
  - id: cnn/conv-layer-cost
    points: 2
    parts: {params: 2}
  - id: probability/prior-shift
    points: 3
    parts: {decisions: 3}
  - id: optimization/bn-weight-decay
    points: 3
    parts: {threshold: 3}
  - id: attention/transformer-cost         # a field asked as options, alone: multiple choice
    points: 2
    parts: {flops: 2}
    form: choice
    options: 4
    scoring: negative
"""
NAMES = [s.stem for s in SPECS] + ["types"]


def _build(spec: Path, out: Path, variants: int = 2) -> Path:
    result = run_cli("build", str(spec), "--out", str(out), "--no-pdf", "--variants", str(variants),
                     "--format", "canvas", "--format", "qti21")
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    root = tmp_path_factory.mktemp("qti")
    types = root / "types.yaml"
    types.write_text(TYPES_SPEC, encoding="utf-8")
    return {spec.stem: _build(spec, root / spec.stem) for spec in [*SPECS, types]}


def _key(out: Path) -> dict:
    return json.loads((out / "key.json").read_text(encoding="utf-8"))


def _typed(value) -> str:
    """A key value as a student types it: plain decimal, no exponent."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    return str(value)


def _slots(key: dict):
    """(variant key, slot entry) of every variant and slot in key.json."""
    for variant in key["variants"]:
        for problem in variant["problems"]:
            yield variant["key"], problem


def _letters(indices) -> str:
    return "".join(chr(65 + i) for i in sorted(indices))


def _key_entries(problem: dict) -> dict[str, object]:
    """The key's gap values of a slot: typed entries, and a choice field's right letters."""
    choices = problem.get("choices", {})
    out = _entries(problem, {n: v for n, v in problem["answers"].items() if n not in choices})
    out.update({f"{name}_1": _letters(record["right"]) for name, record in choices.items()})
    return out


def _choice_share(record: dict, index: int, negative: bool) -> float:
    """The share of a choice field's points marking option `index` earns, by the README's rule
    (`negative`: whether the format can take points away)."""
    if index in record["right"] and not record["multi"]:
        return 1.0
    if record["scoring"] == "negative" and not record["multi"] and negative:
        return -1.0 / (len(record["options"]) - 1)
    return 0.0


def _entries(problem: dict, answers: dict) -> dict[str, object]:
    """Gap name (`<field>_<entry>`) -> value, for the graded fields of a slot."""
    out = {}
    for part in problem["parts"].values():
        for name in part["fields"]:
            if name in answers and answers[name] is not None:
                for index, value in enumerate(flatten(answers[name])):
                    out[f"{name}_{index + 1}"] = value
    return out


# ---------------------------------------------------------------- QTI 2.1: schemas

class _Catalog(etree.Resolver):
    """The rewrite rules of `catalog.xml` (http://... -> the local copies), as a resolver:
    libxml2 reads XML_CATALOG_FILES only once per process, so the test does not rely on it."""

    def __init__(self, catalog: Path):
        super().__init__()
        ns = "{urn:oasis:names:tc:entity:xmlns:xml:catalog}"
        root = etree.parse(str(catalog)).getroot()
        self.rules = [(r.get("uriStartString"), catalog.parent / r.get("rewritePrefix"))
                      for r in root.iter(f"{ns}rewriteURI")]

    def resolve(self, url, pubid, context):
        for start, prefix in self.rules:
            if url.startswith(start):
                return self.resolve_filename(str(prefix / url[len(start):]), context)
        return None


def _schema(url: str) -> etree.XMLSchema:
    catalog = _Catalog(QTI_DIR / "catalog.xml")
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(catalog)
    start, prefix = catalog.rules[0]
    return etree.XMLSchema(etree.parse(str(prefix / url[len(start):]), parser))


@pytest.fixture(scope="module")
def qti_schema():
    if not (QTI_DIR / "catalog.xml").is_file():
        pytest.skip(f"the QTI schemas are not at {QTI_DIR} (a copy of shared/qti beside the checkout)")
    return _schema("http://www.imsglobal.org/xsd/imsqti_v2p1.xsd")


def _package(out: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(out / "qti21.zip") as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("spec", NAMES)
def test_every_qti21_item_and_the_test_validate(builds, qti_schema, spec):
    files = _package(builds[spec])
    xmls = [name for name in files if name.endswith(".xml") and name != "imsmanifest.xml"]
    assert "test.xml" in xmls and len(xmls) > 2
    for name in xmls:
        document = etree.fromstring(files[name])
        assert qti_schema.validate(etree.ElementTree(document)), (spec, name, str(qti_schema.error_log)[:2000])
    assert all(name.count(".") == 1 for name in files), "OpenOLAT takes file names with one period only"


def test_the_manifest_validates_or_lists_every_file(builds):
    files = _package(builds["demo"])
    manifest = etree.fromstring(files["imsmanifest.xml"])
    cp = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
    listed = {f.get("href") for f in manifest.iter(f"{cp}file")}
    assert listed == set(files) - {"imsmanifest.xml"}
    test = etree.fromstring(files["test.xml"])
    refs = [r.get("href") for r in test.iter(f"{QTI}assessmentItemRef")]
    assert sorted(refs) == sorted(n for n in files if n.startswith("s") and n.endswith(".xml"))
    sections = list(test.iter(f"{QTI}assessmentSection"))
    assert len(sections) == len(_key(builds["demo"])["variants"][0]["problems"])
    assert all(s.find(f"{QTI}selection").get("select") == "1" for s in sections)
    url = "http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd"
    schema = QTI_DIR / "schemas" / url[len("http://"):]
    if not schema.is_file():
        pytest.skip(f"the content-packaging schema is missing from {QTI_DIR} ({schema.name}): "
                    "the manifest was checked against the package's files above")
    cp_schema = _schema(url)
    assert cp_schema.validate(etree.ElementTree(manifest)), str(cp_schema.error_log)


def test_mathml_has_a_default_namespace_and_no_base64(builds):
    files = _package(builds["demo"])
    text = b"".join(files[n] for n in files if n.endswith(".xml")).decode("utf-8")
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML"' in text
    assert "<m:math" not in text and "base64" not in text
    assert any(n.endswith(".svg") for n in files) and 'src="figure-' in text


# ---------------------------------------------------------------- QTI 2.1: response processing

class Qti21Item:
    """A small interpreter of the response processing our items use."""

    def __init__(self, data: bytes):
        self.root = etree.fromstring(data)
        self.declarations = {d.get("identifier"): d for d in self.root.iter(f"{QTI}responseDeclaration")}
        self.max = float(next(o for o in self.root.iter(f"{QTI}outcomeDeclaration")
                              if o.get("identifier") == "MAXSCORE").find(f"{QTI}defaultValue/{QTI}value").text)

    def choice_id(self, name: str, text: str) -> str | None:
        for interaction in self.root.iter(f"{QTI}choiceInteraction"):
            if interaction.get("responseIdentifier") == name:
                for choice in interaction.iter(f"{QTI}simpleChoice"):
                    if choice.text.strip().lower() == text.lower():
                        return choice.get("identifier")
        return None

    def gaps(self) -> list[str]:
        return [name for name in self.declarations if name != "RESPONSE"]

    def _value(self, name: str, text: str | None):
        if text is None:
            return None
        base = self.declarations[name].get("baseType")
        if base in ("float", "integer"):
            try:
                number = float(text)
            except ValueError:
                return None
            if base == "integer" and not number.is_integer():
                return None
            return number
        if base == "identifier":
            if self.declarations[name].get("cardinality") == "multiple":   # the marked letters
                return frozenset(text.upper()) or None
            return self.choice_id(name, text) or (text if text in self._identifiers(name) else None)
        return text

    def _identifiers(self, name: str) -> set[str]:
        return {choice.get("identifier") for interaction in self.root.iter(f"{QTI}choiceInteraction")
                if interaction.get("responseIdentifier") == name for choice in interaction.iter(f"{QTI}simpleChoice")}

    def _correct(self, name: str):
        declaration = self.declarations[name]
        if declaration.get("cardinality") == "multiple":
            return frozenset(v.text for v in declaration.iter(f"{QTI}value") if v.getparent().tag.endswith("correctResponse"))
        text = declaration.find(f"{QTI}correctResponse/{QTI}value").text
        return float(text) if declaration.get("baseType") in ("float", "integer") else text

    def _eval(self, node, responses, outcomes):
        tag = node.tag[len(QTI):]
        children = list(node)
        if tag == "variable":
            name = node.get("identifier")
            return outcomes[name] if name in outcomes else responses.get(name)
        if tag == "baseValue":
            return float(node.text) if node.get("baseType") in ("float", "integer") else node.text
        if tag == "correct":
            return self._correct(node.get("identifier"))
        if tag == "sum":
            values = [self._eval(c, responses, outcomes) for c in children]
            return None if any(v is None for v in values) else sum(values)
        if tag == "match":
            a, b = (self._eval(c, responses, outcomes) for c in children)
            return None if a is None or b is None else a == b
        if tag == "equal":
            a, b = (self._eval(c, responses, outcomes) for c in children)
            if a is None or b is None:
                return None
            low, _, high = node.get("tolerance", "0").partition(" ")
            low, high = float(low), float(high or low)
            mode = node.get("toleranceMode", "exact")
            if mode == "exact":
                return a == b
            if mode == "relative":
                low, high = abs(b) * low / 100, abs(b) * high / 100
            # a within [b - low, b + high], bounds included as the item says
            lower = a >= b - low if node.get("includeLowerBound", "true") == "true" else a > b - low
            upper = a <= b + high if node.get("includeUpperBound", "true") == "true" else a < b + high
            return lower and upper
        if tag in ("or", "and"):
            values = [self._eval(c, responses, outcomes) for c in children]
            if tag == "or":
                return True if any(v is True for v in values) else (None if None in values else False)
            return False if any(v is False for v in values) else (None if None in values else True)
        if tag == "isNull":
            return self._eval(children[0], responses, outcomes) is None
        if tag == "not":
            value = self._eval(children[0], responses, outcomes)
            return None if value is None else not value
        if tag == "mapResponse":
            name = node.get("identifier")
            mapping = self.declarations[name].find(f"{QTI}mapping")
            given = responses.get(name)
            if isinstance(given, frozenset):   # marked options: their mapped values summed, within the bounds
                total = sum(float(e.get("mappedValue")) for e in mapping.iter(f"{QTI}mapEntry") if e.get("mapKey") in given)
                total = min(total, float(mapping.get("upperBound", "inf")))
                return max(total, float(mapping.get("lowerBound", "-inf")))
            for entry in mapping.iter(f"{QTI}mapEntry"):
                same = (entry.get("mapKey") == given if entry.get("caseSensitive") == "true"
                        else given is not None and entry.get("mapKey").lower() == given.lower())
                if same:
                    return float(entry.get("mappedValue"))
            return float(mapping.get("defaultValue", "0"))
        raise AssertionError(f"the evaluator does not know <{tag}>")

    def _run(self, rules, responses, outcomes) -> None:
        for rule in rules:
            tag = rule.tag[len(QTI):]
            if tag == "setOutcomeValue":
                outcomes[rule.get("identifier")] = self._eval(rule[0], responses, outcomes)
            elif tag == "responseCondition":
                for branch in rule:
                    branch_tag = branch.tag[len(QTI):]
                    if branch_tag == "responseElse" or self._eval(branch[0], responses, outcomes) is True:
                        self._run(list(branch)[0 if branch_tag == "responseElse" else 1:], responses, outcomes)
                        break
            else:
                raise AssertionError(f"the evaluator does not know <{tag}>")

    def score(self, typed: dict[str, str]) -> float:
        responses = {name: self._value(name, text) for name, text in typed.items()}
        outcomes = {"SCORE": 0.0, "FEEDBACK": None}
        processing = self.root.find(f"{QTI}responseProcessing")
        assert processing is not None and processing.get("template") is None
        self._run(list(processing), responses, outcomes)
        return outcomes["SCORE"]


def _mistakes(bank: Bank, problem: dict):
    """(field, its mistaken value) of every declared mistake of a slot's problem."""
    loaded = bank.load(problem["id"])
    for mistake in loaded.mistakes:
        try:
            wrong = mistake_answers(loaded, mistake, problem["params"])
        except Exception:      # a mistake that does not apply to these parameters
            continue
        yield from wrong.items()


def _same(value, other, tolerance) -> bool:
    if isinstance(value, bool) or isinstance(other, bool) or isinstance(value, str) or isinstance(other, str):
        return str(value).lower() == str(other).lower()
    return close(float(value), float(other), tolerance["atol"], tolerance["rtol"])


def _written(problem: dict) -> bool:
    """A slot with a field the key has no value for (a proof): one essay, graded by hand."""
    return any(problem["answers"].get(name) is None for part in problem["parts"].values() for name in part["fields"])


def _check_scores(score, gaps, key: dict, bank: Bank, agrees=None, negative: bool = True) -> None:
    """The key gives full marks; a mistake's wrong entries score 0; slots with a proof are essays.
    A field asked as a choice: its right letter gives its share, each declared mistake's option
    what the spec's scoring rule gives (0, or -1/(n-1) of the share under negative marking where
    the format has negative points).
    `agrees(ident, right, given, tolerance)`: whether the package must accept a mistake's entry
    (within the key's tolerance, by default). Returns how many choice options were scored."""
    scored = 0
    agrees = agrees or (lambda ident, right, given, tolerance: _same(right, given, tolerance))
    for variant, problem in _slots(key):
        ident, item_max, run = score(variant, problem)
        assert (ident is None) == _written(problem), (variant, problem["id"])
        if ident is None:
            continue
        names = gaps(ident)
        key_values = _key_entries(problem)
        assert set(names) == set(key_values), (ident, names, key_values)
        typed = {name: _typed(v) for name, v in key_values.items()}
        assert math.isclose(run(typed), item_max, rel_tol=1e-9), (ident, run(typed), item_max)
        assert run({}) == 0
        choices = problem.get("choices", {})
        for field, record in choices.items():
            gap = f"{field}_1"
            without = run({n: t for n, t in typed.items() if n != gap})
            share = item_max - without
            assert share > 0, (ident, field)
            assert record["mistakes"] or record.get("distractors"), (ident, field)
            for index, mistake in record["mistakes"].items():
                got = run({**typed, gap: _letters([int(index)])})
                expected = without + share * _choice_share(record, int(index), negative)
                assert math.isclose(got, expected, abs_tol=1e-9), (ident, field, mistake, got, expected)
                scored += 1
        for field, wrong in _mistakes(bank, problem):
            if field in choices:
                continue              # asked as options: checked above, option by option
            right = {n: v for n, v in _entries(problem, {field: problem["answers"][field]}).items()}
            given = _entries(problem, {field: wrong})
            if set(given) != set(right):
                assert run({n: _typed(v) for n, v in given.items() if n in right}) < run(
                    {n: _typed(v) for n, v in right.items()}) or not right
                continue
            tolerance = problem["tolerances"][field]
            agreeing = {n: _typed(right[n]) for n in right if agrees(ident, right[n], given[n], tolerance)}
            wrong_score = run({n: _typed(v) for n, v in given.items()})
            assert math.isclose(wrong_score, run(agreeing), abs_tol=1e-9), (ident, field, wrong)
            if len(agreeing) < len(right):
                assert wrong_score < run({n: _typed(v) for n, v in right.items()})
    return scored


@pytest.mark.parametrize("spec", NAMES)
def test_qti21_processing_gives_the_key_full_marks_and_mistakes_nothing(builds, spec):
    files = _package(builds[spec])
    key = _key(builds[spec])
    items = {}
    for name, data in files.items():
        if name.startswith("s") and name.endswith(".xml"):
            items[name[:-4]] = Qti21Item(data)
    width = max(2, len(str(len(key["variants"][0]["problems"]))))

    def score(variant, problem):
        ident = f"s{str(problem['slot']).zfill(width)}-v{variant}"
        item = items[ident]
        if not item.gaps():                # an essay, graded by hand
            assert item.root.find(f".//{QTI}extendedTextInteraction") is not None
            assert item.root.find(f".//{QTI}rubricBlock").get("view") == "scorer"
            return None, None, None
        return ident, item.max, item.score

    scored = _check_scores(score, lambda ident: items[ident].gaps(), key, builtin())
    assert (scored > 0) == any("choices" in problem for _, problem in _slots(key)), scored


# ---------------------------------------------------------------- Canvas: structure

def _canvas(out: Path) -> tuple[dict[str, bytes], etree._Element]:
    with zipfile.ZipFile(out / "canvas-qti.zip") as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = etree.fromstring(files["imsmanifest.xml"])
    cp = "{http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1}"
    resource = next(r for r in manifest.iter(f"{cp}resource") if r.get("type") == "imsqti_xmlv1p2")
    return files, etree.fromstring(files[resource.find(f"{cp}file").get("href")])


def _meta(item) -> dict[str, str]:
    return {f.find(f"{Q12}fieldlabel").text: f.find(f"{Q12}fieldentry").text
            for f in item.iter(f"{Q12}qtimetadatafield")}


def test_canvas_groups_one_question_per_variant_with_its_points(builds):
    files, root = _canvas(builds["demo"])
    key = _key(builds["demo"])
    top = root.find(f"{Q12}assessment/{Q12}section")
    assert top.get("ident") == "root_section"
    groups = top.findall(f"{Q12}section")
    slots = key["variants"][0]["problems"]
    assert len(groups) == len(slots)
    for group, slot in zip(groups, slots, strict=True):
        selection = group.find(f"{Q12}selection_ordering/{Q12}selection")
        assert selection.find(f"{Q12}selection_number").text == "1"
        assert float(selection.find(f"{Q12}selection_extension/{Q12}points_per_item").text) == slot["points"]
        questions = group.findall(f"{Q12}item")
        assert len(questions) == len(key["variants"]) > 1        # Canvas: more questions than picked
        assert all(float(_meta(q)["points_possible"]) == slot["points"] for q in questions)
    images = [n for n in files if n.startswith("images/")]
    text = files[next(n for n in files if n.count("/") == 1 and not n.endswith("meta.xml")
                      and not n.startswith("images/"))].decode("utf-8")
    assert images and all(f"$IMS-CC-FILEBASE$/{n}" in text for n in images) and "base64" not in text


def test_a_one_variant_canvas_build_has_no_groups(tmp_path):
    out = _build(ROOT / "exams" / "demo.yaml", tmp_path / "one", variants=1)
    _, root = _canvas(out)
    top = root.find(f"{Q12}assessment/{Q12}section")
    assert top.findall(f"{Q12}section") == []
    assert len(top.findall(f"{Q12}item")) == len(_key(out)["variants"][0]["problems"])


def _check_canvas_item(item) -> str:
    """The fields Canvas' importer reads, for the item's question type (as text2qti and
    R/exams' exams2canvas lay them out); returns the type."""
    kind = _meta(item)["question_type"]
    text = item.find(f"{Q12}presentation/{Q12}material/{Q12}mattext")
    assert text.get("texttype") == "text/html" and text.text
    decvar = item.find(f"{Q12}resprocessing/{Q12}outcomes/{Q12}decvar")
    assert (decvar.get("varname"), decvar.get("maxvalue"), decvar.get("vartype")) == ("SCORE", "100", "Decimal")
    presentation = item.find(f"{Q12}presentation")
    if kind == "numerical_question":
        fib = presentation.find(f"{Q12}response_str/{Q12}render_fib")
        assert fib.get("fibtype") == "Decimal" and fib.find(f"{Q12}response_label") is not None
        condition = item.find(f"{Q12}resprocessing/{Q12}respcondition[@continue='No']")
        assert condition.find(f"{Q12}conditionvar/{Q12}or/{Q12}varequal") is not None
        assert condition.find(f"{Q12}setvar").get("action") == "Set"
    elif kind == "multiple_choice_question":
        labels = presentation.findall(f"{Q12}response_lid/{Q12}render_choice/{Q12}response_label")
        assert len(labels) >= 2 and all(lb.find(f"{Q12}material/{Q12}mattext").text for lb in labels)
        right = item.find(f"{Q12}resprocessing/{Q12}respcondition[@continue='No']/{Q12}conditionvar/{Q12}varequal")
        assert right.text in {lb.get("ident") for lb in labels}
    elif kind in ("fill_in_multiple_blanks_question", "multiple_dropdowns_question"):
        for response in presentation.findall(f"{Q12}response_lid"):
            name = response.find(f"{Q12}material/{Q12}mattext").text
            assert response.get("ident") == f"response_{name}" and f"[{name}]" in text.text
            assert response.findall(f"{Q12}render_choice/{Q12}response_label")
    elif kind == "essay_question":
        assert presentation.find(f"{Q12}response_str/{Q12}render_fib/{Q12}response_label") is not None
        assert item.find(f"{Q12}itemfeedback[@ident='general_fb']//{Q12}mattext").text
    else:
        raise AssertionError(f"unexpected Canvas question type {kind}")
    return kind


def test_canvas_items_have_the_fields_of_their_type(builds):
    kinds = set()
    for spec in builds:
        _, root = _canvas(builds[spec])
        kinds |= {_check_canvas_item(item) for item in root.iter(f"{Q12}item")}
    assert {"fill_in_multiple_blanks_question", "essay_question"} <= kinds, kinds


# ---------------------------------------------------------------- Canvas: response processing

class CanvasItem:
    """A small interpreter of QTI 1.2 resprocessing as Canvas reads it: a blank's typed text is
    the response label with that text (case-insensitively)."""

    def __init__(self, item):
        self.item = item
        self.kind = _meta(item)["question_type"]

    def gaps(self) -> list[str]:
        if self.kind in ("fill_in_multiple_blanks_question", "multiple_dropdowns_question"):
            return [r.get("ident")[len("response_"):] for r in self.item.iter(f"{Q12}response_lid")]
        return []

    def _label(self, response, text: str) -> str | None:
        for label in response.iter(f"{Q12}response_label"):
            if label.find(f"{Q12}material/{Q12}mattext").text.strip().lower() == text.strip().lower():
                return label.get("ident")
        for label in response.iter(f"{Q12}response_label"):   # a field asked as options: (A) ...
            if label.find(f"{Q12}material/{Q12}mattext").text.startswith(f"({text.strip().upper()}) "):
                return label.get("ident")
        return None

    def _test(self, node, responses) -> bool:
        tag = node.tag[len(Q12):]
        if tag == "other":
            return True
        if tag in ("or", "and", "not"):
            values = [self._test(c, responses) for c in node]
            return any(values) if tag == "or" else all(values) if tag == "and" else not values[0]
        given = responses.get(node.get("respident"))
        if given is None:
            return False
        if tag == "varequal":
            if isinstance(given, frozenset):         # the options marked
                return node.text in given
            if isinstance(given, float):
                return given == float(node.text)
            return given == node.text
        if tag in ("vargte", "varlte"):
            return isinstance(given, float) and (given >= float(node.text) if tag == "vargte"
                                                 else given <= float(node.text))
        raise AssertionError(f"the evaluator does not know <{tag}>")

    def score(self, typed: dict[str, str], single: str | None = None) -> float:
        responses: dict[str, object] = {}
        for response in self.item.iter(f"{Q12}response_lid", f"{Q12}response_str"):
            ident = response.get("ident")
            text = single if ident == "response1" else typed.get(ident[len("response_"):])
            if text is None:
                continue
            if response.tag == f"{Q12}response_str":
                with contextlib.suppress(ValueError):        # a non-number is no answer
                    responses[ident] = float(text)
            elif response.get("rcardinality") == "Multiple":   # the letters marked
                responses[ident] = frozenset(self._label(response, c) for c in text)
            else:
                responses[ident] = self._label(response, text)
        score = 0.0
        for condition in self.item.iter(f"{Q12}respcondition"):
            if self._test(condition.find(f"{Q12}conditionvar")[0], responses):
                for setvar in condition.iter(f"{Q12}setvar"):
                    score = float(setvar.text) if setvar.get("action") == "Set" else score + float(setvar.text)
                if condition.get("continue") == "No":
                    break
        return score


@pytest.mark.parametrize("spec", NAMES)
def test_canvas_processing_gives_the_key_full_marks_and_mistakes_nothing(builds, spec):
    _, root = _canvas(builds[spec])
    key = _key(builds[spec])
    items = {item.get("ident"): CanvasItem(item) for item in root.iter(f"{Q12}item")}
    width = max(2, len(str(len(key["variants"][0]["problems"]))))

    def score(variant, problem):
        ident = f"s{str(problem['slot']).zfill(width)}-v{variant}"
        item = items[ident]
        if item.kind == "essay_question":
            return None, None, None
        if item.gaps():
            return ident, 100.0, item.score
        # one gap: numerical or multiple choice, answered in response1
        (name,) = _key_entries(problem)
        return ident, 100.0, lambda typed: item.score({}, typed.get(name))

    def gaps(ident):
        item = items[ident]
        return item.gaps() or [next(iter(_entries_of(ident)))]

    def _entries_of(ident):
        for variant, problem in _slots(key):
            if f"s{str(problem['slot']).zfill(width)}-v{variant}" == ident:
                return _key_entries(problem)
        return {}

    def agrees(ident, right, given, tolerance):
        # Canvas compares a blank as text: an entry within tolerance but written with other
        # digits than the listed spellings is not accepted there (the README says so)
        if items[ident].gaps():
            texts = {lb.find(f"{Q12}material/{Q12}mattext").text.lower()
                     for lb in items[ident].item.iter(f"{Q12}response_label")}
            return _typed(given).lower() in texts and _same(right, given, tolerance)
        return _same(right, given, tolerance)

    # Canvas has no negative points: a wrong option there scores 0 under every rule
    scored = _check_scores(score, gaps, key, builtin(), agrees, negative=False)
    assert (scored > 0) == any("choices" in problem for _, problem in _slots(key)), scored


def test_canvas_choice_comments_name_the_mistakes(builds):
    """A field asked as options alone (the types spec's last slot): each option's answer
    comment is the key's mistake behind it (or "Right." for the right one)."""
    _, root = _canvas(builds["types"])
    key = _key(builds["types"])
    checked = 0
    for variant, problem in _slots(key):
        if "choices" not in problem:
            continue
        (record,) = problem["choices"].values()
        item = next(i for i in root.iter(f"{Q12}item") if i.get("ident").endswith(f"-v{variant}")
                    and i.get("ident").startswith(f"s{str(problem['slot']).zfill(2)}"))
        assert _meta(item)["question_type"] == "multiple_choice_question"
        labels = list(item.iter(f"{Q12}response_label"))
        assert [lb.find(f"{Q12}material/{Q12}mattext").text for lb in labels] == \
            [f"({chr(65 + i)}) {text}" for i, text in enumerate(record["options"])]
        comments = {f.get("ident"): f.find(f".//{Q12}mattext").text for f in item.iter(f"{Q12}itemfeedback")}
        for index, mistake in record["mistakes"].items():
            assert mistake in comments[f"{labels[int(index)].get('ident')}_fb"]
            checked += 1
        assert comments[f"{labels[record['right'][0]].get('ident')}_fb"] == "Right."
    assert checked >= 2


# ---------------------------------------------------------------- Canvas: fixtures per question type

FIXED = ("texttype", "fibtype", "rcardinality", "action", "varname", "vartype", "maxvalue", "minvalue", "continue",
         "feedbacktype", "linkrefid", "rshuffle")


def _skeleton(item) -> set[tuple]:
    """(element path, its attribute names, its fixed attribute values) of every element; the
    question type's metadata entry is part of it, other texts and idents are not."""
    out = set()

    def walk(node, path):
        tag = etree.QName(node).localname
        here = f"{path}/{tag}"
        # an answer comment's link names its answer (`<ident>_fb`): one entry for all of them
        fixed = tuple(sorted((a, "ANSWER_fb" if a == "linkrefid" and node.get(a) != "general_fb" else node.get(a))
                             for a in FIXED if a in node.attrib))
        text = node.text if tag == "fieldlabel" else None
        out.add((here, tuple(sorted(node.attrib)), fixed, text))
        for child in node:
            if isinstance(child.tag, str):
                walk(child, here)

    walk(item, "")
    return out


@pytest.mark.parametrize("kind", ["numerical_question", "multiple_choice_question",
                                  "fill_in_multiple_blanks_question", "essay_question"])
def test_canvas_items_match_the_fixture_of_their_type(builds, kind):
    fixture = _skeleton(etree.parse(str(FIXTURES / f"{kind}.xml")).getroot())
    optional = {entry for entry in fixture if "/or/and" in entry[0]      # a range only with a tolerance
                or ("linkrefid", "ANSWER_fb") in entry[2]}              # answer comments only for options
    found = [item for spec in builds for item in _canvas(builds[spec])[1].iter(f"{Q12}item")
             if _meta(item)["question_type"] == kind]
    assert found, f"no {kind} in the builds"
    for item in found:
        mine = _skeleton(item)
        assert mine <= fixture, (item.get("ident"), sorted(mine - fixture))
        assert fixture - mine <= optional, (item.get("ident"), sorted(fixture - mine))
    if kind == "numerical_question":      # the real answer has a tolerance: its range is written
        assert any(optional <= _skeleton(item) for item in found)
    if kind == "multiple_choice_question":    # a field asked as options comments on its options
        assert any(optional & _skeleton(item) for item in found)


def test_the_schema_rejects_a_broken_item(builds, qti_schema):
    files = _package(builds["demo"])
    name = next(n for n in files if n.startswith("s") and n.endswith(".xml"))
    broken = files[name].replace(b"<textEntryInteraction ", b"<textEntryInteractio ", 1)
    assert broken != files[name]
    assert not qti_schema.validate(etree.ElementTree(etree.fromstring(broken)))


def test_choices_only_make_a_dropdowns_question_that_scores_the_right_options():
    """No shipped problem has a part of choices only: an item made by hand (two bools and a
    choice, 1 + 1 + 2 points) shows Canvas' drop-downs and their scores."""
    import xml.etree.ElementTree as ET

    from generator.answers import Answer
    from generator.exports import canvas
    from generator.exports.html import Html, PartHtml, ProblemHtml
    from generator.exports.qti import Gap, Item

    flags, pick = Answer("flags", "bools"), Answer("pick", "choice", options=("1", "2", "3"))
    gaps = [Gap("flags", "flags", g, 1.0, k) for k, g in enumerate(flags.kind.qti_entries(flags, [True, False]))]
    gaps += [Gap("pick", "pick", pick.kind.qti_entries(pick, "3")[0], 2.0, 0)]
    html = ProblemHtml(Html("<p>Intro</p>"), (PartHtml("a", "a", 4.0, Html("<p>Say.</p>"), Html("<p>So.</p>")),),
                       Html(""), Html(""))
    item = Item("s01-v001", "hand-made", None, "001", 4.0, False, tuple(gaps),
                {"a": (("flags", (0, 1)), ("pick", (2,)))}, html, "Hand-made", {"a": ""})
    section = ET.Element("section", {"xmlns": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"})
    canvas._item(section, item, {})
    element = etree.fromstring(ET.tostring(section)).find(f"{Q12}item")
    assert _meta(element)["question_type"] == "multiple_dropdowns_question"
    fixture = _skeleton(etree.parse(str(FIXTURES / "multiple_dropdowns_question.xml")).getroot())
    assert _skeleton(element) == fixture
    options = {r.get("ident"): [lb.find(f"{Q12}material/{Q12}mattext").text for lb in r.iter(f"{Q12}response_label")]
               for r in element.iter(f"{Q12}response_lid")}
    assert options == {"response_flags_1": ["true", "false"], "response_flags_2": ["true", "false"],
                       "response_pick_1": ["1", "2", "3"]}
    run = CanvasItem(element).score
    assert run({"flags_1": "true", "flags_2": "false", "pick_1": "3"}) == pytest.approx(100)
    assert run({"flags_1": "false", "flags_2": "false", "pick_1": "3"}) == pytest.approx(75)
    assert run({"flags_1": "true", "flags_2": "true", "pick_1": "1"}) == pytest.approx(25)
    assert run({}) == 0


def _qti21_choice_item(record: dict, points: float) -> Qti21Item:
    """A hand-made item of one field asked as options (the key's choice record), as QTI 2.1."""
    from generator.answers import Answer
    from generator.answers.choice import asked
    from generator.exports import qti21
    from generator.exports.html import Html, PartHtml, ProblemHtml
    from generator.exports.qti import Gap, Item

    answer, value = asked(Answer("pick", "statements" if record["multi"] else "int", "pick"), None, record)
    (gap,) = answer.kind.qti_entries(answer, value)
    html = ProblemHtml(Html("<p>Intro</p>"), (PartHtml("a", "a", points, Html("<p>Say.</p>"), Html("<p>So.</p>")),),
                       Html(""), Html(""))
    item = Item("s01-v001", "hand-made", None, "001", points, False, (Gap("pick", "pick", gap, points, 0),),
                {"a": (("pick", (0,)),)}, html, "Hand-made", {"a": ""})
    return Qti21Item(qti21.item_xml(item, {}))


@pytest.mark.parametrize("scoring", ["all-or-nothing", "partial", "negative"])
def test_qti21_multiple_answers_score_by_the_rule_and_name_the_mistake(qti_schema, scoring):
    """No shipped problem asks a pool of statements: a hand-made record of five statements, A
    and C true, (B) a declared mistake; marked sets scored against the README's formulas (4
    points, R = {A, C}, W = {B, D, E})."""
    record = {"options": ["s1", "s2", "s3", "s4", "s5"], "tex": ["s1", "s2", "s3", "s4", "s5"], "right": [0, 2],
              "multi": True, "mistakes": {"1": "took the mean for the median"}, "distractors": {}, "scoring": scoring}
    item = _qti21_choice_item(record, 4.0)
    assert qti_schema.validate(etree.ElementTree(item.root)), str(qti_schema.error_log)[:2000]
    interaction = item.root.find(f".//{QTI}choiceInteraction")
    assert interaction.get("maxChoices") == "5"
    assert [c.get("identifier") for c in interaction.iter(f"{QTI}simpleChoice")] == list("ABCDE")
    partial = {"AC": 4.0, "A": 2.0, "ABC": 4 * (1 - 1 / 3), "AB": 4 * (1 / 2 - 1 / 3), "BDE": -4.0, "B": -4 / 3}
    for marked, points in partial.items():
        expected = (4.0 if marked == "AC" else 0.0) if scoring == "all-or-nothing" else \
            max(0.0, points) if scoring == "partial" else points
        assert item.score({"pick_1": marked}) == pytest.approx(expected), (scoring, marked)
    assert item.score({}) == 0
    feedback = {f.get("identifier"): "".join(f.itertext()) for f in item.root.iter(f"{QTI}modalFeedback")
                if f.get("outcomeIdentifier") == "FB_pick_1"}
    assert "took the mean for the median" in feedback["B"] and "Right." in feedback["A"]


def test_qti21_single_choice_feedback_names_the_mistake(qti_schema):
    record = {"options": ["10", "20", "40", "5"], "tex": ["10", "20", "40", "5"], "right": [1], "multi": False,
              "mistakes": {"2": "counted both directions"}, "distractors": {"0": "a factor 2 too small"},
              "scoring": "negative"}
    item = _qti21_choice_item(record, 3.0)
    assert qti_schema.validate(etree.ElementTree(item.root)), str(qti_schema.error_log)[:2000]
    assert item.score({"pick_1": "B"}) == pytest.approx(3.0)
    assert item.score({"pick_1": "C"}) == pytest.approx(-1.0)       # -3/(4 - 1)
    assert item.score({}) == 0
    feedback = {f.get("identifier"): "".join(f.itertext()) for f in item.root.iter(f"{QTI}modalFeedback")
                if f.get("outcomeIdentifier") == "FB_pick_1"}
    assert "counted both directions" in feedback["C"] and "a factor 2 too small" in feedback["A"]


def test_canvas_multiple_answers_question():
    """A pool of statements alone: Canvas' multiple answers, right only with every true statement
    and no other marked (Canvas adds its own partial credit), each option's comment its mistake."""
    import xml.etree.ElementTree as ET

    from generator.answers import Answer
    from generator.answers.choice import asked
    from generator.exports import canvas
    from generator.exports.html import Html, PartHtml, ProblemHtml
    from generator.exports.qti import Gap, Item

    record = {"options": ["s1", "s2", "s3"], "tex": ["s1", "s2", "s3"], "right": [0, 2], "multi": True,
              "mistakes": {"1": "took the mean for the median"}, "distractors": {}, "scoring": "partial"}
    answer, value = asked(Answer("pick", "statements", "pick"), None, record)
    (gap,) = answer.kind.qti_entries(answer, value)
    html = ProblemHtml(Html("<p>Intro</p>"), (PartHtml("a", "a", 2.0, Html("<p>Say.</p>"), Html("<p>So.</p>")),),
                       Html(""), Html(""))
    item = Item("s01-v001", "hand-made", None, "001", 2.0, False, (Gap("pick", "pick", gap, 2.0, 0),),
                {"a": (("pick", (0,)),)}, html, "Hand-made", {"a": ""})
    section = ET.Element("section", {"xmlns": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"})
    canvas._item(section, item, {})
    element = etree.fromstring(ET.tostring(section)).find(f"{Q12}item")
    assert _meta(element)["question_type"] == "multiple_answers_question"
    assert element.find(f".//{Q12}response_lid").get("rcardinality") == "Multiple"
    run = CanvasItem(element).score
    assert run({}, "AC") == 100 and run({}, "A") == 0 and run({}, "ABC") == 0 and run({}) == 0
    comments = {f.get("ident"): f.find(f".//{Q12}mattext").text for f in element.iter(f"{Q12}itemfeedback")}
    assert "took the mean for the median" in comments["s01-v001-o2_fb"]
