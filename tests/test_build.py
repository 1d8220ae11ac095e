"""End to end with real PDFs, LaTeX errors traced to their template, atomic output."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from generator.build import Document, compile_document, trace_line
from generator.errors import CompileError, ExamgenError

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                                reason="TeX Live and poppler-utils are installed by 'make test'")

SPEC = """\
title: "Two variants & a test"
course: "DL 101"
date: 2026-12-01
instructions: "Show your work. 100% of the points need the steps."
seed: 5
variants: 2
problems:
  - id: cnn/conv-layer-cost
    points: 10
"""


def pdftext(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pages(path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from tests.conftest import run_cli

    folder = tmp_path_factory.mktemp("e2e")
    (folder / "two.yaml").write_text(SPEC, encoding="utf-8")
    result = run_cli("build", str(folder / "two.yaml"), "--out", str(folder / "out"))
    assert result.returncode == 0, result.stderr
    return folder / "out"


def test_build_writes_every_file(built):
    for name in ("key.json", "all-exams.pdf", "all-solutions.pdf"):
        assert (built / name).is_file()
    for key in ("001", "002"):
        for name in ("exam.tex", "exam.pdf", "solutions.tex", "solutions.pdf"):
            assert (built / "variants" / key / name).stat().st_size > 0
    assert not [p for p in built.parent.iterdir() if ".partial-" in p.name]
    assert not (built / ".latex").exists()


def test_split_pdfs_add_up_to_the_combined_file(built):
    for sheet, combined in (("exam", "all-exams.pdf"), ("solutions", "all-solutions.pdf")):
        per_variant = [pages(built / "variants" / k / f"{sheet}.pdf") for k in ("001", "002")]
        assert sum(per_variant) == pages(built / combined)
        codes = {v["key"]: v["code"] for v in json.loads((built / "key.json").read_text(encoding="utf-8"))["variants"]}
        for key, count in zip(("001", "002"), per_variant, strict=True):
            text = pdftext(built / "variants" / key / f"{sheet}.pdf")
            # exam pages name the variant by its code only; solutions by key, seed and code
            assert f"variant code {codes[key]}" in text if sheet == "exam" else f"variant {key} (code {codes[key]})" in text
            assert f"Page {count} of {count}" in text


def test_exam_pdf_has_header_fields_and_no_solutions(built):
    text = pdftext(built / "variants" / "001" / "exam.pdf")
    assert "Two variants & a test" in text and "DL 101" in text and "2026-12-01" in text
    assert "Name:" in text and "Student ID:" in text
    assert "100% of the points" in text
    assert "seed" not in text.lower()   # the seed regenerates the key: solutions only
    assert "Solution" not in text


def test_solution_pdf_contains_the_keys_numbers(built):
    key = json.loads((built / "key.json").read_text(encoding="utf-8"))
    for variant in key["variants"]:
        text = pdftext(built / "variants" / variant["key"] / "solutions.pdf")
        squeezed = re.sub(r"\s+", "", text)
        answers = variant["problems"][0]["answers"]
        for field in ("mults", "adds", "params", "in_channels", "out_channels"):
            assert str(answers[field]) in squeezed, field
        assert "({},{},{})".format(*answers["out_shape"]) in squeezed
        assert variant["fingerprint"] in text


def test_latex_error_names_variant_problem_and_template(tmp_path):
    tex = "\n".join([
        r"\documentclass{article}", r"\begin{document}",
        "% examgen: variant=007",
        "% examgen: variant=007 slot=2 problem=cnn/conv-layer-cost template=question.tex.j2",
        "fine", "% examgen: template=solution.tex.j2", r"\undefinedmacro", r"\end{document}",
    ])
    with pytest.raises(CompileError) as caught:
        compile_document(Document("broken", tex, ("007",)), tmp_path)
    line = str(caught.value)
    assert "Undefined control sequence" in line
    assert "broken.tex:7" in line
    assert "variant 007, slot 2, problem_bank/cnn/conv-layer-cost/solution.tex.j2" in line
    assert not (tmp_path / "broken.pdf").exists()


def test_trace_line_falls_back_to_the_document_template():
    tex = "a\n% examgen: variant=001\nb\nc\n"
    assert trace_line(tex, 4) == "variant 001, document template"
    assert trace_line("x\ny\n", 2) == "document template"


def test_failed_build_keeps_the_previous_output(tmp_path, monkeypatch):
    from generator import pipeline
    from generator.plan import make_plan
    from generator.spec import load_spec

    spec_path = tmp_path / "two.yaml"
    spec_path.write_text(SPEC, encoding="utf-8")
    plan = make_plan(*load_spec(spec_path), spec_path)
    out = tmp_path / "out"
    pipeline.build(plan, out, pdf=False)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}

    def fail(*args, **kwargs):
        raise CompileError("LaTeX error: boom", "all-exams.tex:1")

    monkeypatch.setattr(pipeline, "compile_all", fail)
    with pytest.raises(ExamgenError):
        pipeline.build(plan, out, pdf=True)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_overfull_boxes_are_read_from_the_log():
    from generator.pdfcheck import overfull_boxes

    log = ("Overfull \\hbox (23.4pt too wide) in paragraph at lines 12--14\n"
           "Overfull \\hbox (1.2pt too wide) detected at line 40\n"
           "Overfull \\vbox (26.0pt too high) has occurred while \\output is active\n"
           "Underfull \\hbox (badness 10000) in paragraph at lines 3--4\n")
    found = overfull_boxes(log)
    assert len(found) == 2
    assert found[0].startswith("Overfull \\hbox (23.4pt") and found[1].startswith("Overfull \\vbox (26.0pt")


def test_figures_are_typeset_once_and_errors_keep_their_lines(tmp_path):
    from generator.figures import include_pages

    picture = "\\begin{tikzpicture}\n\\draw (0,0) -- (1,1) node {N%d};\n\\end{tikzpicture}"
    body = "\n".join(picture % i for i in range(1, 6))
    tex = ("\\documentclass{article}\n\\usepackage{graphicx}\n\\usepackage{tikz}\n\\begin{document}\n"
           + body + "\n\\end{document}\n")
    pdf = compile_document(Document("figs", tex, ("001",)), tmp_path)
    assert pages(tmp_path / "figures.pdf") == 5  # one page per picture, typeset once
    text = pdftext(pdf)
    assert all(f"N{i}" in text for i in range(1, 6))
    replaced = include_pages(tex)
    assert replaced.count("\n") == tex.count("\n")  # error line numbers still map
    assert "\\includegraphics[page=5]{figures.pdf}" in replaced
    # A broken picture: the document draws its figures itself and the error names the line.
    broken = tex.replace("node {N3}", "node {N3} \\undefinedmacro")
    with pytest.raises(CompileError, match=r"figs2\.tex:\d+"):
        compile_document(Document("figs2", broken, ("001",)), tmp_path / "b")


def test_a_failed_compile_names_a_log_that_is_still_there():
    # The build's work folder goes with a failed build; the log an error names is kept elsewhere.
    from generator.build import Document, keep_log, log_error

    log = "This is pdfTeX\nno error line here, the run just stopped\n"
    kept = keep_log("exam", log)
    try:
        error = log_error(Document("exam", "", ("001",)), log, kept)
        assert kept is not None and str(kept) in str(error) and "without an error line" in str(error)
        assert kept.read_text(encoding="utf-8") == log
    finally:
        if kept is not None:
            kept.unlink()
