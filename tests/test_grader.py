"""The grader's copy (grader.pdf), the formula sheet (spec `appendix:`) and the precision
rule's sentence on exact forms.

One small PDF build (a module fixture, 2 variants, a pool and shuffles, an appendix of two
snippets) serves the PDF tests; the expected key values are recomputed here from the key's
parameters (the convolution's output size formula), the rubric points from the declared shares.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest

from generator.bank import builtin
from generator.grader import FIELDS_PER_TABLE, grader_context, value_tex
from generator.plan import make_plan
from generator.precision import DEFAULT, parse, short_exact
from generator.spec import load_spec
from generator.variants import make_variant
from tests.conftest import ROOT, run_cli

needs_pdf = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="TeX Live and poppler-utils are installed by 'make test'")

SPEC = """\
title: Grader check
seed: 4242
variants: 2
appendix: [convolution, optimizers]
shuffle: [problems, parts]
problems:
  - id: cnn/conv-layer-cost
    points: 10
  - one_of: [receptive-field, depthwise-separable-cost]
    points: 8
"""


def pdftotext(path: Path, *pages: int) -> str:
    args = ["pdftotext", "-layout"] + (["-f", str(pages[0]), "-l", str(pages[-1])] if pages else [])
    return subprocess.run([*args, str(path), "-"], capture_output=True, text=True, check=True).stdout


def page_count(path: Path) -> int:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("grader")
    spec = folder / "grader.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    out = folder / "out"
    result = run_cli("build", str(spec), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


@needs_pdf
def test_grader_pdf_is_written_and_listed(built):
    assert (built / "grader.pdf").is_file() and (built / "grader.tex").is_file()
    manifest = json.loads((built / ".examgen" / "manifest.json").read_text(encoding="utf-8"))
    assert "grader.pdf" in manifest["files"] and "grader.tex" in manifest["files"]


@needs_pdf
def test_grader_copy_holds_every_variants_key_values_and_the_rubric(built):
    key = json.loads((built / "key.json").read_text(encoding="utf-8"))
    text = pdftotext(built / "grader.pdf")
    flat = " ".join(text.split())
    assert "Grader's copy" in text.replace("\u2019", "'")
    for variant in key["variants"]:
        assert variant["code"] in text
        conv = next(p for p in variant["problems"] if p["slot_key"] == "cnn/conv-layer-cost")
        p = conv["params"]
        # the output size recomputed here: (H + 2 pad - k) / stride + 1, depth = the filters
        h = (p["H"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1
        w = (p["W"] + 2 * p["pad"] - p["k"]) // p["stride"] + 1
        assert f"({h}, {w}, {p['C_out']})" in flat, (h, w, p)
        # the pool's problem drawn by this variant has its section, its statement and its rubric
        drawn = next(q for q in variant["problems"] if q["slot_key"] != "cnn/conv-layer-cost")
        assert builtin().load(drawn["id"]).title.split(":")[0] in flat
    # the rubric at the slot's points: part `shape` gets 3 of 10 points, its first step 2/3 of them
    problem = builtin().load("cnn/conv-layer-cost")
    conv = next(p for p in key["variants"][0]["problems"] if p["slot_key"] == "cnn/conv-layer-cost")
    shape_points = Fraction(str(conv["parts"]["shape"]["points"]))
    first = problem.rubric["shape"][0]
    expected = shape_points * Fraction(str(first.share))
    assert shape_points == 3 and expected == 2
    line = next(line for line in text.splitlines() if first.text[:30] in line)
    assert line.split()[-1] == "2"


@needs_pdf
def test_appendix_closes_every_exam_and_keeps_the_padding_even(built):
    for variant in ("001", "002"):
        exam = built / "variants" / variant / "exam.pdf"
        pages = page_count(exam)
        assert pages % 2 == 0
        # the formula sheet is on the last page that is not a blank pad page
        texts = [pdftotext(exam, n) for n in range(1, pages + 1)]
        last = max(n for n, t in enumerate(texts) if "intentionally left blank" not in t)
        assert "Formula sheet" in texts[last]
        assert "Convolution layers" in texts[last] and "Optimisers" in texts[last]
        assert not any("Formula sheet" in t for t in texts[:last])
    # not on the solutions
    assert "Formula sheet" not in pdftotext(built / "variants" / "001" / "solutions.pdf")


def _plan(path: Path):
    spec, where = load_spec(path)
    return make_plan(spec, where, path)


def test_grader_false_writes_no_grader_copy(tmp_path):
    spec = tmp_path / "g.yaml"
    spec.write_text("title: T\nseed: 1\ngrader: false\nproblems:\n  - id: cnn/conv-layer-cost\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", str(spec), "--out", str(out), "--no-pdf")
    assert result.returncode == 0, result.stderr
    assert not (out / "grader.tex").exists()
    spec.write_text("title: T\nseed: 1\nproblems:\n  - id: cnn/conv-layer-cost\n", encoding="utf-8")
    result = run_cli("build", str(spec), "--out", str(out), "--no-pdf")
    assert result.returncode == 0, result.stderr
    assert (out / "grader.tex").is_file()


def test_many_fields_wrap_into_tables_of_a_few_columns(tmp_path):
    spec = tmp_path / "g.yaml"
    spec.write_text("title: T\nseed: 3\nvariants: 3\nproblems:\n  - id: backprop/backprop-two-layer-sigmoid\n",
                    encoding="utf-8")
    plan = _plan(spec)
    variants = [make_variant(plan, key) for key in plan.variant_keys]
    [section] = grader_context(plan, variants)["variants"][0]["slots"]
    graded = [a for a in builtin().load("backprop/backprop-two-layer-sigmoid").answers if a.graded]
    assert len(graded) > FIELDS_PER_TABLE
    assert len(section["tables"]) == -(-len(graded) // FIELDS_PER_TABLE)
    assert all(len(t["heads"]) <= FIELDS_PER_TABLE for t in section["tables"])
    assert sum(len(t["heads"]) for t in section["tables"]) == len(graded)
    assert all(len(t["rows"]) == 3 for t in section["tables"])


@needs_pdf
def test_a_long_key_table_breaks_across_pages(tmp_path):
    from generator.build import Document, compile_document

    spec = tmp_path / "g.yaml"
    spec.write_text("title: T\nseed: 5\nvariants: 60\nproblems:\n  - id: cnn/conv-layer-cost\n", encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("build", str(spec), "--out", str(out), "--no-pdf").returncode == 0
    tex = (out / "grader.tex").read_text(encoding="utf-8")
    pdf = compile_document(Document("grader", tex, ()), tmp_path / "latex")
    assert page_count(pdf) >= 3
    text = pdftotext(pdf)
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert all(v["code"] in text for v in key["variants"])
    assert text.count("Variant") >= 4     # the head repeats on every page of the table


def test_cells_show_the_exact_form_only_when_it_is_short():
    assert value_tex(0.3333333333333333, "1/3", DEFAULT) == r"\texttt{1/3} $\approx$ $0.333$"
    long = "5306627/12194500"
    assert not short_exact(long) and short_exact("sqrt(2)/2")
    assert value_tex(5306627 / 12194500, long, DEFAULT) == "$0.435$"
    assert value_tex([1, 2.5], None, DEFAULT) == "($1$, $2.5$)"
    assert value_tex([[1, 0], [0, 1]], None, DEFAULT) == "[$1$, $0$; $0$, $1$]"
    assert value_tex(True, None, DEFAULT) == "true"
    assert value_tex(2 / 3, "2/3", parse("2 decimals")) == r"\texttt{2/3} $\approx$ $0.67$"
    assert value_tex(7, None, DEFAULT) == "$7$"
    assert value_tex(0.25, "1/4", DEFAULT) == "$0.25$"          # the decimal says it all
    # entry by entry for lists, the exact forms shaped as the value
    assert value_tex([0.5, 1 / 3], ["1/2", "1/3"], DEFAULT) == r"($0.5$, \texttt{1/3} $\approx$ $0.333$)"
    assert value_tex([[1 / 3, 1.0]], [["1/3", "1"]], DEFAULT) == r"[\texttt{1/3} $\approx$ $0.333$, $1$]"


def test_printed_precision_rule_asks_for_short_exact_forms_only(tmp_path):
    assert "short exact form" in DEFAULT.instructions()
    assert DEFAULT.instructions().startswith(DEFAULT.sentence())
    spec = tmp_path / "p.yaml"
    spec.write_text("title: T\nseed: 1\ninstructions: Work alone.\nproblems:\n  - id: cnn/conv-layer-cost\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("build", str(spec), "--out", str(out), "--no-pdf").returncode == 0
    exam = (out / "variants" / "001" / "exam.tex").read_text(encoding="utf-8")
    assert "Give decimal answers to 3 significant digits. Where an answer has a short exact form" in exam
    # no shipped spec still asks for every exact value, however long
    for path in sorted((ROOT / "exams").glob("*.yaml")):
        spec_text = " ".join(load_spec(path)[0].instructions.split()).lower()
        assert "keep exact values" not in spec_text, path.name


@pytest.mark.parametrize("appendix, message", [
    ("missing.tex", "the appendix file missing.tex was not found"),
    ("[backprop, no-such-formula]", "unknown formula 'no-such-formula'"),
    ("whole.tex", "is a whole LaTeX document"),
    ("[]", "must list at least one formula name"),
])
def test_bad_appendix_is_one_line(tmp_path, appendix, message):
    (tmp_path / "whole.tex").write_text("\\documentclass{article}\n\\begin{document}x\\end{document}\n",
                                        encoding="utf-8")
    spec = tmp_path / "a.yaml"
    spec.write_text(f"title: T\nseed: 1\nappendix: {appendix}\nproblems:\n  - id: cnn/conv-layer-cost\n",
                    encoding="utf-8")
    result = run_cli("build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "a.yaml:3" in lines[0]
    if "unknown formula" in message:
        # the known names are listed, so the fix is in the line
        assert "backprop" in lines[0] and "convolution" in lines[0] and "proximal" in lines[0]
    assert not (tmp_path / "out").exists()


def test_appendix_file_relative_to_the_spec_reaches_every_exam(tmp_path):
    (tmp_path / "sheet").mkdir()
    (tmp_path / "sheet" / "mine.tex").write_text("Our own formula: $e^{i\\pi} + 1 = 0$.\n", encoding="utf-8")
    spec = tmp_path / "a.yaml"
    spec.write_text("title: T\nseed: 1\nvariants: 2\nappendix: sheet/mine.tex\nproblems:\n  - id: cnn/conv-layer-cost\n",
                    encoding="utf-8")
    out = tmp_path / "out"
    assert run_cli("build", str(spec), "--out", str(out), "--no-pdf").returncode == 0
    for variant in ("001", "002"):
        exam = (out / "variants" / variant / "exam.tex").read_text(encoding="utf-8")
        assert exam.index("Our own formula") > exam.index(r"\end{questions}")
        assert "Formula sheet" in exam
        assert "Our own formula" not in (out / "variants" / variant / "solutions.tex").read_text(encoding="utf-8")
