"""One precision rule per exam: the spec's text, the tolerance rule, the printed digits, and the
round trip of key values rounded at the exam's precision through `grade`.

Expected roundings come from Python's own formatting (`format(v, ".2e")`, `format(v, ".3f")`),
and expected bounds from the definition of a correct rounding written out here, not from
`generator.precision`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pytest

from generator import bank, grade
from generator.answers import close
from generator.documents import render_sheet, variant_contexts
from generator.exports.key import key_document
from generator.instance import draw_instance
from generator.plan import make_plan
from generator.precision import (
    DECIMALS,
    DEFAULT,
    SIGNIFICANT,
    Precision,
    key_tolerance,
    parse,
    rounded,
)
from generator.render import approx, num
from generator.render import render_problem as render
from generator.seeds import Sampler
from generator.spec import ExamSpec
from generator.variants import make_variant
from generator.verify import check_precision, solution_digits, verify_seed
from tests.conftest import BUILTIN, ROOT, run_cli

# ---------------------------------------------------------------- the spec's text


@pytest.mark.parametrize(("text", "digits", "unit", "canonical"), [
    ("3 significant digits", 3, SIGNIFICANT, "3 significant digits"),
    ("1 significant digit", 1, SIGNIFICANT, "1 significant digit"),
    ("  5 Significant Figures ", 5, SIGNIFICANT, "5 significant digits"),
    ("4 decimals", 4, DECIMALS, "4 decimals"),
    ("2 decimal places", 2, DECIMALS, "2 decimals"),
    ("1 decimal", 1, DECIMALS, "1 decimal"),
    ("0 decimals", 0, DECIMALS, "0 decimals"),
])
def test_parse_good(text, digits, unit, canonical):
    precision = parse(text)
    assert (precision.digits, precision.unit, precision.text) == (digits, unit, canonical)
    assert parse(precision.text) == precision


@pytest.mark.parametrize("text", ["three significant digits", "3", "3 digits", "significant digits", "3 sig",
                                  "0 significant digits", "13 decimals", "-1 decimals", "3 decimals 4", 3, None])
def test_parse_bad(text):
    with pytest.raises(ValueError):
        parse(text)


def test_default_and_sentences():
    assert Precision(3, SIGNIFICANT) == DEFAULT
    assert ExamSpec.model_validate({"title": "t", "seed": 1, "problems": [{"id": "x"}]}).precision \
        == "3 significant digits"
    assert DEFAULT.sentence() == "Give decimal answers to 3 significant digits."
    assert parse("4 decimals").sentence() == "Give decimal answers to 4 decimal places."
    assert parse("1 decimal").sentence() == "Give decimal answers to 1 decimal place."


def test_bad_precision_in_a_spec_is_one_line_naming_the_field(write_spec):
    spec = write_spec("title: T\nseed: 1\nprecision: three digits\nproblems: [{id: conv-layer-cost}]\n")
    result = run_cli("build", str(spec), "--no-pdf", "--out", str(spec.parent / "out"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert f"{spec}:3: precision" in lines[0] and "'three digits'" in lines[0] and "4 decimals" in lines[0]
    assert not (spec.parent / "out").exists()


# ---------------------------------------------------------------- the tolerance rule

EDGE_VALUES = [0.0012345, -0.0012345, 99950.0, -99950.0, 1e-6, 0.0, 9.9996, 1.0005, 2 / 3, 123456.789, 0.05]
PRECISIONS = [Precision(3, SIGNIFICANT), Precision(1, SIGNIFICANT), Precision(4, SIGNIFICANT),
              Precision(4, DECIMALS), Precision(3, DECIMALS), Precision(0, DECIMALS)]


def python_rounding(value: float, precision: Precision) -> float:
    if precision.unit == SIGNIFICANT:
        return float(format(value, f".{precision.digits - 1}e"))
    return float(format(value, f".{precision.digits}f"))


def definition_bound(value: float, precision: Precision) -> float:
    """The largest error of a correctly rounded value, from the definition."""
    if precision.unit == DECIMALS:
        return 0.5 * 10.0 ** -precision.digits
    if value == 0:
        return 0.0
    return 0.5 * 10.0 ** (math.floor(math.log10(abs(value))) - precision.digits + 1)


@pytest.mark.parametrize("precision", PRECISIONS, ids=lambda p: p.text)
@pytest.mark.parametrize("value", EDGE_VALUES)
def test_tolerance_accepts_every_correct_rounding_and_little_more(value, precision):
    declared = {"atol": 0.0, "rtol": 0.0}          # the tightest a problem can declare
    tolerance = key_tolerance(declared, value, precision)
    bound = definition_bound(value, precision)
    assert precision.bound(value) == pytest.approx(bound, rel=1e-12, abs=0)
    r = python_rounding(value, precision)
    assert abs(r - value) <= bound * (1 + 1e-9)        # the rounding is a correct one
    assert rounded(value, precision) == pytest.approx(r, rel=1e-15, abs=0) or \
        abs(rounded(value, precision) - value) <= bound * (1 + 1e-9)   # a half-way value may round either way
    for given in (r, value + bound, value - bound):     # the rounding and the farthest correct roundings
        assert close(value, given, tolerance["atol"], tolerance["rtol"]), (given, tolerance)
    if bound > 1e-8 * max(1.0, abs(value)):
        # Not much wider than needed: an error of 1.5 rounding half-units is wrong (where the
        # comparison's edge slack, 1e-9 max(1, |v|), is small against the bound).
        assert not close(value, value + 1.5 * bound, tolerance["atol"], tolerance["rtol"]), tolerance
    if value == 0 and precision.unit == SIGNIFICANT:
        assert tolerance == declared                    # 0 rounds to 0: nothing to widen


def test_key_tolerance_keeps_the_wider_declared_one_and_leaves_exact_fields_alone():
    declared = {"atol": 0.01, "rtol": 0.02}
    assert key_tolerance(declared, 0.5, DEFAULT) == declared            # already wider than 0.0005 / 0.5
    assert key_tolerance(declared, [0.5, 1.25], parse("4 decimals")) == declared
    tight = {"atol": 0.0, "rtol": 0.0}
    for value in (3, [46, 62, 20], "forward", True, [True, False], None, "2*lam*w"):
        assert key_tolerance(tight, value, DEFAULT) == tight
    # A vector: the one pair covers the entry that needs most (here the smallest, 0.0012345:
    # bound 5e-6, so rtol 5e-6 / 0.0012345 = 0.00405..., rounded up to 0.0041).
    assert key_tolerance(tight, [0.0012345, 5.0, 0.75], DEFAULT) == {"atol": 0.0, "rtol": 0.0041}
    # Decimals: the atol; a declared rtol already covers part of the bound of large entries.
    assert key_tolerance(tight, [1.0, -2.5], parse("3 decimals")) == {"atol": 0.0005, "rtol": 0.0}


def test_solution_numbers_keep_the_precision():
    three_sig = DEFAULT
    four_dec = parse("4 decimals")
    assert num(0.0012345, 4) == "0.0012"                 # as given, without an exam precision
    assert num(0.0012345, 4, three_sig) == "0.00123"     # raised to 3 significant digits
    assert num(2 / 3, 4, three_sig) == "0.6667"          # already more than 3 significant digits
    assert num(0.99001, 4) == "0.9900"                   # trailing zeros kept when rounded
    assert num(0.5, 4, four_dec) == "0.5"                # exact: printed as it is
    assert num(123.456, three_sig) == "123"              # digits = the precision itself
    assert num(0.000123456, four_dec) == "0.0001"
    assert approx(1 / 3, three_sig) == r"\approx 0.333"
    assert approx(0.25, three_sig) == "= 0.25"
    assert num(-0.00001, four_dec) == "0.0000"           # no negative zero


# ---------------------------------------------------------------- no problem states its own precision

PRECISION_WORDS = re.compile(r"significant (digits|figures)|decimal places|to (one|two|three|four|five|\d) "
                             r"(places|decimals)|decimals to", re.IGNORECASE)


def test_no_problem_template_or_shipped_spec_states_a_precision():
    templates = sorted((ROOT / "problem_bank").glob("*/*/*.tex.j2"))
    assert len(templates) >= 38
    stating = [str(t.relative_to(ROOT)) for t in templates if PRECISION_WORDS.search(t.read_text(encoding="utf-8"))]
    assert stating == []
    import yaml

    for spec in sorted((ROOT / "exams").glob("*.yaml")):
        data = yaml.safe_load(spec.read_text(encoding="utf-8"))
        assert not PRECISION_WORDS.search(data.get("instructions", "")), spec.name
        parse(data.get("precision", DEFAULT.text))


def test_the_exam_instructions_print_the_precision(tmp_path):
    spec = ExamSpec.model_validate({"title": "T", "seed": 3, "instructions": "Work alone.",
                                    "precision": "2 decimal places", "problems": [{"id": "trust-region"}]})
    plan = make_plan(spec, {}, tmp_path / "t.yaml")
    assert plan.precision == Precision(2, DECIMALS)
    variant = make_variant(plan, plan.variant_keys[0])
    tex = render_sheet(plan, [variant_contexts(plan, variant)["exam"]], "exam")
    assert r"\textbf{Instructions.} Work alone. Give decimal answers to 2 decimal places." in tex
    assert key_document(plan, [variant])["exam"]["precision"] == "2 decimals"


# ---------------------------------------------------------------- verify's check can fail


def test_verify_precision_checks_find_what_they_look_for(monkeypatch):
    problem = bank.load("regularization/weight-decay-step")
    # grad_d = (2/3) X^T r with thirds in it: printed to 3 decimals without the exam's precision.
    instance = draw_instance(problem, Sampler(0, problem.id), {
        "c": 1, "lam": 0.35, "alpha": 0.05, "w": [1, -2], "X": [[2, 1], [2, -2], [1, -1]], "t": [2, 3, -2]})
    points = {p.name: p.points for p in problem.parts}
    space = {p.name: p.space for p in problem.parts}
    four = parse("4 decimals")
    # Rendered without the exam's precision, the solution prints grad_d with 3 decimals.
    old = render(problem.id, instance.params, instance.values, points, space, precision=None)
    assert any("grad_d" in f and "fewer than the 4 of 4 decimals" in f
               for f in solution_digits(problem, instance, old, four))
    new = render(problem.id, instance.params, instance.values, points, space, precision=four)
    assert solution_digits(problem, instance, new, four) == []
    assert check_precision(problem, instance, four) == []
    # With the declared tolerances only, values rounded at 3 significant digits are wrong somewhere.
    monkeypatch.setattr("generator.instance.key_tolerance", lambda declared, value, precision: dict(declared))
    sigmoid = bank.load("backprop/backprop-two-layer-sigmoid")
    failures = [f for seed in range(20)
                for f in check_precision(sigmoid, draw_instance(sigmoid, Sampler(seed, sigmoid.id)), DEFAULT)]
    assert failures


@pytest.mark.parametrize("problem_id", ["optimization/mirror-descent-box", "probability/prior-shift"])
def test_verify_passes_where_the_solutions_used_to_print_too_few_digits(problem_id):
    for seed in range(8):
        assert verify_seed(problem_id, seed)[1] is None


# ---------------------------------------------------------------- the round trip, item (b)

SEEDS = 20


def _decimal_fields(entry, problem):
    """The graded fields of a key entry with a decimal (float) entry: the decimal answers."""
    def has_float(value):
        return any(has_float(v) for v in value) if isinstance(value, list) else isinstance(value, float)
    return [a.name for a in problem.answers if a.graded and has_float(entry["answers"][a.name])]


def _round_all(value, precision: Precision):
    if isinstance(value, list):
        return [_round_all(v, precision) for v in value]
    return python_rounding(value, precision) if isinstance(value, float) else value


def _key(precision_text: str, tmp_path) -> dict:
    """The key of 20 variants of a spec with every built-in problem, built by the library (no PDFs)."""
    ids = bank.ids()
    assert sorted(ids) == BUILTIN
    spec = ExamSpec.model_validate({"title": "Round trip", "seed": 2026, "variants": SEEDS,
                                    "precision": precision_text, "problems": [{"id": pid} for pid in ids]})
    plan = make_plan(spec, {}, tmp_path / "round-trip.yaml")
    return json.loads(json.dumps(key_document(plan, [make_variant(plan, k) for k in plan.variant_keys])))


def _responses(document: dict, precision: Precision) -> tuple[str, int]:
    """Long-form responses: every decimal field's key value rounded at `precision`."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", "slot", "field", "value"])
    count = 0
    for variant in document["variants"]:
        for entry in variant["problems"]:
            for name in _decimal_fields(entry, bank.load(entry["id"])):
                writer.writerow([variant["key"], entry["slot"], name,
                                 json.dumps(_round_all(entry["answers"][name], precision))])
                count += 1
    return out.getvalue(), count


def _not_right(document: dict, text: str) -> list[str]:
    grades = grade.grade(document, grade.parse_responses(text, "responses.csv"))
    assert grades.warnings == []
    return [f"{s.key} {slot.problem_id}.{f.field}: {f.given} for {f.expected} ({f.status})"
            for s in grades.students for slot in s.slots for part in slot.parts for f in part.fields
            if f.given and f.status != "right"]


@pytest.mark.parametrize("precision_text", ["3 significant digits", "3 decimals"])
def test_round_trip_key_values_rounded_at_the_exam_precision_are_right(precision_text, tmp_path):
    document = _key(precision_text, tmp_path)
    assert document["exam"]["precision"] == precision_text
    text, count = _responses(document, parse(precision_text))
    # Every decimal field of the bank, in each of the 20 variants (one instance per problem).
    assert count > 1000
    assert _not_right(document, text) == []
    # The same responses against the problems' declared tolerances alone: some are wrong,
    # so the round trip above tests what the precision adds to the key.
    for variant in document["variants"]:
        for entry in variant["problems"]:
            problem = bank.load(entry["id"])
            entry["tolerances"] = {a.name: a.tolerance() for a in problem.answers if a.graded}
    assert _not_right(document, text)
