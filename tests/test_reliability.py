"""Same input, same bytes (whatever --jobs, PYTHONHASHSEED, TZ, LANG and the working folder);
rebuilds compile nothing; failures and interrupts lose nothing."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.build import Document, compile_document
from generator.errors import CompileError
from tests.conftest import ROOT, run_cli

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="TeX Live is installed by 'make test'")

SPEC = """\
title: "Reliability & bytes"
course: DL
date: 2026-12-01
instructions: Work alone.
seed: 99
variants: 41
problems:
  - id: cnn/conv-layer-cost
    points: 10
  - id: cnn/conv-layer-cost
    parts: [shape, params]
  - id: cnn/receptive-field
    parts: [final]
"""


def digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def env_with(**extra) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


@needs_tex
def test_same_spec_same_bytes_across_folders_processes_jobs_and_locales(tmp_path):
    spec = tmp_path / "r.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    one = run_cli("build", str(spec), "--out", str(tmp_path / "a"), "--jobs", "1",
                  env=env_with(PYTHONHASHSEED="1", TZ="UTC", LANG="C", LC_ALL="C"))
    (tmp_path / "elsewhere").mkdir()
    two = run_cli("build", "../r.yaml", "--out", str(tmp_path / "deeper" / "b"), "--jobs", "2",
                  cwd=tmp_path / "elsewhere",
                  env=env_with(PYTHONHASHSEED="2", TZ="Pacific/Kiritimati", LANG="de_DE.UTF-8", LC_ALL="de_DE.UTF-8"))
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    a, b = digests(tmp_path / "a"), digests(tmp_path / "deeper" / "b")
    assert a == b
    # per variant, combined, cached batches, and the grader's copy (grader.pdf and its cached document)
    assert len([f for f in a if f.endswith(".pdf")]) == 2 * 41 + 2 + 4 + 2

    # No absolute path of the build leaks into a PDF.
    for name in ("all-exams.pdf", "variants/001/solutions.pdf"):
        assert str(tmp_path).encode() not in (tmp_path / "a" / name).read_bytes()


@needs_tex
def test_rebuild_compiles_only_what_changed(tmp_path):
    from generator import pipeline
    from generator.plan import make_plan
    from generator.spec import load_spec

    spec = tmp_path / "r.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    out = tmp_path / "out"
    first = pipeline.build(make_plan(*load_spec(spec), spec), out)
    assert first.compiled == 5 and not first.up_to_date       # 2 exam and 2 solutions batches, the grader's copy
    before = digests(out)
    again = pipeline.build(make_plan(*load_spec(spec), spec), out)
    assert again.up_to_date and again.compiled == 0
    assert digests(out) == before
    # The instructions are printed on the exam sheets only: the solutions batches are reused.
    spec.write_text(SPEC.replace("Work alone.", "Work alone, quietly."), encoding="utf-8")
    changed = pipeline.build(make_plan(*load_spec(spec), spec), out)
    assert not changed.up_to_date and changed.compiled == 2
    after = digests(out)
    assert after["variants/007/solutions.pdf"] == before["variants/007/solutions.pdf"]
    assert after["variants/007/exam.pdf"] != before["variants/007/exam.pdf"]


def test_tex_missing_is_one_line_that_says_how_to_install(tmp_path, write_spec):
    spec = write_spec(SPEC)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python").symlink_to(sys.executable)
    result = run_cli("build", str(spec), "--out", str(tmp_path / "out"), env=env_with(PATH=str(bin_dir)))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "pdflatex was not found" in result.stderr and "apt-get install" in result.stderr
    assert "--no-pdf" in result.stderr
    assert not (tmp_path / "out").exists()
    ok = run_cli("build", str(spec), "--out", str(tmp_path / "out"), "--no-pdf", env=env_with(PATH=str(bin_dir)))
    assert ok.returncode == 0, ok.stderr


@needs_tex
def test_a_hanging_compile_is_stopped(tmp_path):
    tex = "\\documentclass{article}\\begin{document}\n\\loop\\iftrue\\repeat\n\\end{document}\n"
    started = time.monotonic()
    with pytest.raises(CompileError, match="took longer than 2 s"):
        compile_document(Document("hang", tex, ("001",)), tmp_path, timeout=2)
    assert time.monotonic() - started < 20
    assert not (tmp_path / "hang.pdf").exists()


@needs_tex
def test_latex_cannot_read_outside_its_folder(tmp_path):
    secret = tmp_path.parent / f"{tmp_path.name}-secret.tex"
    secret.write_text("SECRET", encoding="utf-8")
    tex = f"\\documentclass{{article}}\\begin{{document}}\n\\input{{{secret}}}\n\\end{{document}}\n"
    with pytest.raises(CompileError, match="not found"):
        compile_document(Document("paranoid", tex, ("001",)), tmp_path / "work")
    tex = "\\documentclass{article}\\begin{document}\n\\input{/etc/hostname}\n\\end{document}\n"
    with pytest.raises(CompileError):
        compile_document(Document("paranoid2", tex, ("001",)), tmp_path / "work2")


def test_unwritable_output_folder_is_one_line(tmp_path, write_spec):
    spec = write_spec(SPEC)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = run_cli("build", str(spec), "--no-pdf", "--out", str(blocker / "out"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot write the output folder" in result.stderr and str(blocker / "out") in result.stderr


@needs_tex
def test_interrupt_leaves_previous_output_and_no_partial_files(tmp_path):
    spec = tmp_path / "r.yaml"
    spec.write_text(SPEC.replace("variants: 41", "variants: 150"), encoding="utf-8")
    out = tmp_path / "out"
    first = run_cli("build", str(spec), "--no-pdf", "--out", str(out))
    assert first.returncode == 0, first.stderr
    before = digests(out)
    process = subprocess.Popen([sys.executable, "-m", "generator", "build", str(spec), "--out", str(out)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until pdflatex is running inside the staging folder
        if any(tmp_path.glob(".out.partial-*/.latex/*/*.log")):
            break
        time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("the build never reached pdflatex")
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert digests(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert leftover.stdout == "", "pdflatex processes were left running"
