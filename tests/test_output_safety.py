"""A build never deletes what it did not write: output folders, locks, kills, caches, full disks."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="TeX Live is installed by 'make test'")

SPEC = """\
title: "Safety"
course: DL
date: 2026-12-01
seed: 3
variants: 3
problems:
  - id: cnn/conv-layer-cost
    points: 10
"""

# Enough pdflatex work (41 variants, 3 slots) to be caught while it runs.
SLOW_SPEC = """\
title: "Signals"
course: DL
date: 2026-12-01
seed: 5
variants: 41
problems:
  - id: cnn/conv-layer-cost
    points: 10
  - id: cnn/conv-layer-cost
    parts: [shape, params]
  - id: cnn/receptive-field
    parts: [final]
"""


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under `folder` (dot files too): file bytes' digest, link target, or folder."""
    out = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink():
            out[name] = "-> " + os.readlink(path)
        elif path.is_dir():
            out[name] = "<dir>"
        else:
            out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def file_digests(folder: Path) -> dict[str, str]:
    return {k: v for k, v in snapshot(folder).items() if v != "<dir>"}


def assert_one_line(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr


def env_with(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    return env


@pytest.fixture
def spec(tmp_path) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def build(spec: Path, out: Path, *more: str, **kwargs) -> subprocess.CompletedProcess:
    return run_cli("build", str(spec), "--no-pdf", "--out", str(out), *more, **kwargs)


def responses(key_path: Path, students: list[str]) -> str:
    """A long-form response file: each student answers `in_channels` with the key's value."""
    key = json.loads(key_path.read_text(encoding="utf-8"))
    values = {v["key"]: v["problems"][0]["answers"]["in_channels"] for v in key["variants"]}
    return "student,slot,field,value\n" + "".join(f"{s},1,in_channels,{values[s]}\n" for s in students)


# ---------------------------------------------------------------- folders examgen may not write

def _user_folder(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    folder = tmp_path / "thesis"
    (folder / "chapters").mkdir(parents=True)
    (folder / "main.tex").write_text("\\documentclass{book}\n", encoding="utf-8")
    (folder / "chapters" / "one.tex").write_text("Once.\n", encoding="utf-8")
    return ["build", str(spec), "--no-pdf", "--out", str(folder)], ROOT, "examgen did not create"


def _working_folder(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    return ["build", spec.name, "--no-pdf", "--out", "."], tmp_path, "the working folder"


def _empty_working_folder(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    (tmp_path / "empty").mkdir()
    return ["build", str(spec), "--no-pdf", "--out", "."], tmp_path / "empty", "the working folder"


def _above_working_folder(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    (tmp_path / "deep").mkdir()
    return ["build", str(spec), "--no-pdf", "--out", ".."], tmp_path / "deep", "holds the working folder"


def _spec_folder(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    return ["build", str(spec), "--no-pdf", "--out", str(tmp_path)], ROOT, "holds the input"


def _root(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    return ["build", str(spec), "--no-pdf", "--out", "/"], ROOT, "root folder"


def _a_file(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    return ["build", str(spec), "--no-pdf", "--out", str(tmp_path / "notes.txt")], ROOT, "is a file"


def _spec_inside_own_output(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    inner = out / "inner.yaml"
    inner.write_text(SPEC, encoding="utf-8")
    return ["build", str(inner), "--no-pdf", "--out", str(out)], ROOT, "holds the input"


def _roster_inside_output(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    (out / "class.csv").write_text("id,name\nada,Ada\n", encoding="utf-8")
    return ["build", str(spec), "--no-pdf", "--roster", str(out / "class.csv"), "--out", str(out)], ROOT, \
        "holds the input"


def _dotdot_spec(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    (tmp_path / "output" / "other").mkdir(parents=True)
    (tmp_path / "output" / "other" / "key.json").write_text("{}\n", encoding="utf-8")
    (tmp_path / "..yaml").write_text(SPEC, encoding="utf-8")
    return ["build", "..yaml", "--no-pdf"], tmp_path, "gives no output folder"


def _show_into_user_folder(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    (tmp_path / "figs").mkdir()
    (tmp_path / "figs" / "plot.png").write_bytes(b"\x89PNG not really")
    return ["show", "cnn/conv-layer-cost", "--pdf", "--out", str(tmp_path / "figs")], ROOT, "examgen did not create"


def _practice_into_user_folder(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<p>my page</p>\n", encoding="utf-8")
    return ["practice", "cnn/conv-layer-cost", "--no-pdf", "--seed", "1", "--out", str(tmp_path / "site")], ROOT, \
        "examgen did not create"


def _practice_spec_inside(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    (tmp_path / "p").mkdir()
    inner = tmp_path / "p" / "quiz.yaml"
    inner.write_text(SPEC, encoding="utf-8")
    return ["practice", str(inner), "--no-pdf", "--seed", "1", "--out", str(tmp_path / "p")], ROOT, "holds the input"


def _grade_into_user_folder(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    (tmp_path / "answers.csv").write_text(responses(out / "key.json", ["001"]), encoding="utf-8")
    (tmp_path / "marks").mkdir()
    (tmp_path / "marks" / "by-hand.ods").write_bytes(b"spreadsheet")
    return ["grade", str(out / "key.json"), str(tmp_path / "answers.csv"), "--out", str(tmp_path / "marks")], ROOT, \
        "examgen did not create"


def _home(tmp_path: Path, spec: Path) -> tuple[list[str], Path, str]:
    return ["build", str(spec), "--no-pdf", "--out", str(tmp_path / "home")], ROOT, "home folder"


REFUSED = {
    "user folder": _user_folder,
    "working folder": _working_folder,
    "empty working folder": _empty_working_folder,
    "above the working folder": _above_working_folder,
    "folder holding the spec": _spec_folder,
    "root": _root,
    "regular file": _a_file,
    "spec inside its own output": _spec_inside_own_output,
    "roster inside the output": _roster_inside_output,
    "spec named ..yaml": _dotdot_spec,
    "show --pdf into a user folder": _show_into_user_folder,
    "practice into a user folder": _practice_into_user_folder,
    "practice spec inside its output": _practice_spec_inside,
    "grade into a user folder": _grade_into_user_folder,
    "home folder": _home,
}


@pytest.mark.parametrize("case", REFUSED, ids=list(REFUSED))
def test_folders_examgen_may_not_write_are_refused_untouched(tmp_path, spec, case):
    args, cwd, needle = REFUSED[case](tmp_path, spec)
    env = None
    if case == "home folder":
        (tmp_path / "home").mkdir()
        (tmp_path / "home" / ".bashrc").write_text("# mine\n", encoding="utf-8")
        env = env_with(HOME=str(tmp_path / "home"))
    before = snapshot(tmp_path)
    result = run_cli(*args, cwd=cwd, env=env)
    assert_one_line(result, needle)
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------- folders examgen may write

def test_empty_folder_and_symlink_are_written_through(tmp_path, spec):
    (tmp_path / "empty").mkdir()
    assert build(spec, tmp_path / "empty").returncode == 0
    assert (tmp_path / "empty" / "key.json").is_file()
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    result = build(spec, tmp_path / "link")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "link").is_symlink() and os.readlink(tmp_path / "link") == str(tmp_path / "real")
    assert file_digests(tmp_path / "real") == file_digests(tmp_path / "empty")
    # Rebuilding through the link again works: the folder it points to is examgen's now.
    again = build(spec, tmp_path / "link", "--seed", "8")
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "link").is_symlink()
    assert json.loads((tmp_path / "real" / "key.json").read_text(encoding="utf-8"))["exam"]["seed"] == 8


def test_rebuild_replaces_only_what_the_build_writes(tmp_path, spec):
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    (out / "notes.txt").write_text("room 101\n", encoding="utf-8")
    (out / "variants" / "002" / "scan.pdf").write_bytes(b"%PDF-1.4 a scan")
    result = build(spec, out, "--seed", "4", "--variants", "2")
    assert result.returncode == 0, result.stderr
    assert (out / "notes.txt").read_text(encoding="utf-8") == "room 101\n"
    assert (out / "variants" / "002" / "scan.pdf").read_bytes() == b"%PDF-1.4 a scan"
    assert not (out / "variants" / "003").exists()   # written by the first build only
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert key["exam"]["seed"] == 4 and [v["key"] for v in key["variants"]] == ["001", "002"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_grading_results_in_a_build_folder_survive_the_next_build(tmp_path, spec):
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    (tmp_path / "answers.csv").write_text(responses(out / "key.json", ["001", "002", "003"]), encoding="utf-8")
    graded = run_cli("grade", str(out / "key.json"), str(tmp_path / "answers.csv"), "--out", str(out))
    assert graded.returncode == 0, graded.stderr
    build_files = {k: v for k, v in file_digests(out).items() if not k.startswith((".examgen", "feedback", "scores"))}
    assert (out / "scores.csv").is_file() and len(list((out / "feedback").iterdir())) == 3
    grading = {k: v for k, v in file_digests(out).items() if k.startswith(("feedback", "scores"))}
    rebuilt = build(spec, out, "--seed", "11")
    assert rebuilt.returncode == 0, rebuilt.stderr
    after = file_digests(out)
    assert {k: v for k, v in after.items() if k.startswith(("feedback", "scores"))} == grading
    assert after["key.json"] != build_files["key.json"]
    # Grading again with fewer students: the stale feedback goes, the build's files stay.
    (tmp_path / "answers.csv").write_text(responses(out / "key.json", ["002"]), encoding="utf-8")
    again = run_cli("grade", str(out / "key.json"), str(tmp_path / "answers.csv"), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["002.txt"]
    final = file_digests(out)
    assert {k: final[k] for k in after if k.startswith(("key", "variants"))} == \
        {k: v for k, v in after.items() if k.startswith(("key", "variants"))}


def test_grading_twice_into_its_own_folder_drops_stale_feedback(tmp_path, spec):
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    answers = tmp_path / "answers.csv"
    answers.write_text(responses(out / "key.json", ["001", "003"]), encoding="utf-8")
    first = run_cli("grade", str(out / "key.json"), str(answers))
    assert first.returncode == 0, first.stderr
    graded = tmp_path / "answers-graded"
    assert sorted(p.name for p in (graded / "feedback").iterdir()) == ["001.txt", "003.txt"]
    answers.write_text(responses(out / "key.json", ["003"]), encoding="utf-8")
    second = run_cli("grade", str(out / "key.json"), str(answers))
    assert second.returncode == 0, second.stderr
    assert sorted(p.name for p in (graded / "feedback").iterdir()) == ["003.txt"]
    assert "001" not in (graded / "scores.csv").read_text(encoding="utf-8-sig")


# ---------------------------------------------------------------- one writer at a time

@pytest.mark.parametrize("command", ["build", "practice", "grade"])
def test_a_second_writer_is_refused_while_one_holds_the_lock(tmp_path, spec, command):
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    (tmp_path / "answers.csv").write_text(responses(out / "key.json", ["001"]), encoding="utf-8")
    before = snapshot(tmp_path)
    with open(tmp_path / ".out.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write("4242\n")
        held.flush()
        before = snapshot(tmp_path)
        args = {"build": ["build", str(spec), "--no-pdf", "--out", str(out), "--seed", "9"],
                "practice": ["practice", "cnn/conv-layer-cost", "--no-pdf", "--seed", "1", "--out", str(out)],
                "grade": ["grade", str(out / "key.json"), str(tmp_path / "answers.csv"), "--out", str(out)]}[command]
        result = run_cli(*args)
        assert_one_line(result, "another examgen is writing this folder now (process 4242)", str(out))
        assert snapshot(tmp_path) == before


@needs_tex
def test_reused_pdfs_are_checked_against_their_recorded_digest(tmp_path, spec):
    from generator import pipeline
    from generator.plan import make_plan
    from generator.spec import load_spec

    clean, out = tmp_path / "clean", tmp_path / "out"
    first = pipeline.build(make_plan(*load_spec(spec), spec), out)
    assert first.compiled == 3              # the exams, the solutions, the grader's copy
    shutil.copytree(out, clean, symlinks=True)
    # Another build's PDF (a different seed) where this build keeps its combined exam PDF, and
    # one variant PDF changed so that the rebuild is not "up to date".
    other = pipeline.build(make_plan(*load_spec(spec), spec, seed=77), tmp_path / "other")
    assert other.compiled == 3
    shutil.copyfile(tmp_path / "other" / ".examgen" / "pdf" / "exam.pdf", out / ".examgen" / "pdf" / "exam.pdf")
    (out / "variants" / "001" / "solutions.pdf").write_bytes(b"edited")
    again = pipeline.build(make_plan(*load_spec(spec), spec), out)
    assert not again.up_to_date and again.compiled == 1   # the exam recompiled, the solutions reused
    assert file_digests(out) == file_digests(clean)


# ---------------------------------------------------------------- leftovers of killed runs

def test_the_swap_without_renameat2_keeps_other_files(tmp_path, spec, monkeypatch):
    """Where the one-step exchange is missing: set the old folder aside, rename, remove."""
    from generator import outdir, pipeline
    from generator.plan import make_plan
    from generator.spec import load_spec

    monkeypatch.setattr(outdir, "_exchange", lambda a, b: False)
    out = tmp_path / "out"
    pipeline.build(make_plan(*load_spec(spec), spec), out, pdf=False)
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    again = pipeline.build(make_plan(*load_spec(spec), spec, seed=12), out, pdf=False)
    assert not again.up_to_date
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert json.loads((out / "key.json").read_text(encoding="utf-8"))["exam"]["seed"] == 12
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_leftovers_of_dead_runs_are_removed_and_an_output_left_aside_is_restored(tmp_path, spec):
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    (out / "notes.txt").write_text("keep me\n", encoding="utf-8")
    dead = _dead_pid()
    # A kill between the two renames of a swap: the output is aside, the target missing.
    os.rename(out, tmp_path / f".out.old-{dead}-abcd")
    (tmp_path / f".out.partial-{dead}-x1").mkdir()
    (tmp_path / f".out.partial-{dead}-x1" / "key.json").write_text("half", encoding="utf-8")
    alive = tmp_path / f".out.partial-{os.getpid()}-x2"   # a running build's staging stays
    alive.mkdir()
    (tmp_path / ".other.partial-1-x").mkdir()              # another folder's leftovers are not ours
    result = build(spec, out, "--seed", "5")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [".other.partial-1-x", alive.name]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me\n"
    assert json.loads((out / "key.json").read_text(encoding="utf-8"))["exam"]["seed"] == 5


def _unprivileged() -> list[str]:
    """A command prefix that drops root (root writes into read-only folders anyway)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to drop root")
    # The unprivileged user must reach the checkout (a clone under `mktemp -d` is mode 0700).
    if any(not folder.stat().st_mode & 0o001 for folder in (ROOT, *ROOT.parents)):
        pytest.skip("the checkout is not reachable by an unprivileged user (a folder above it lacks o+x)")
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_read_only_previous_output_leaves_nothing_aside():
    user = _unprivileged()
    folder = Path(tempfile.mkdtemp(prefix="examgen-readonly-"))
    try:
        folder.chmod(0o777)
        spec = folder / "s.yaml"
        spec.write_text(SPEC, encoding="utf-8")
        spec.chmod(0o644)
        out = folder / "out"

        def run(*args: str) -> subprocess.CompletedProcess:
            return subprocess.run([*user, sys.executable, "-m", "generator", *args], cwd=ROOT, capture_output=True,
                                  text=True, env=env_with(PYTHONDONTWRITEBYTECODE="1", HOME=str(folder)), timeout=300)

        assert run("build", str(spec), "--no-pdf", "--out", str(out)).returncode == 0
        for path in [out, *[p for p in out.rglob("*") if p.is_dir()]]:
            path.chmod(0o555)
        result = run("build", str(spec), "--no-pdf", "--out", str(out), "--seed", "6")
        assert result.returncode == 0, result.stderr
        assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []
        assert json.loads((out / "key.json").read_text(encoding="utf-8"))["exam"]["seed"] == 6
    finally:
        for path in folder.rglob("*"):
            if path.is_dir():
                path.chmod(0o755)
        shutil.rmtree(folder)


def _pdflatex_under(folder: Path) -> list[int]:
    """Pids of pdflatex processes whose working folder is inside `folder` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "pdflatex" and \
                    os.readlink(entry / "cwd").startswith(str(folder)):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def _gone(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                alive.append(pid)
        if not alive:
            return True
        time.sleep(0.05)
    return False


def _start_and_wait_for_pdflatex(spec: Path, out: Path, tmp_path: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "generator", "build", str(spec), "--out", str(out)],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if _pdflatex_under(tmp_path) and any(tmp_path.glob(".out.partial-*/.latex/*/*.log")):
            return process
        time.sleep(0.05)
    process.kill()
    pytest.fail("the build never reached pdflatex")


@needs_tex
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT], ids=["TERM", "HUP", "INT"])
def test_signals_clean_up_and_end_pdflatex(tmp_path, signum):
    spec = tmp_path / "slow.yaml"
    spec.write_text(SLOW_SPEC, encoding="utf-8")
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    before = snapshot(out)
    process = _start_and_wait_for_pdflatex(spec, out, tmp_path)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    assert snapshot(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert _gone(_pdflatex_under(tmp_path), 5)


@needs_tex
def test_a_second_build_while_one_compiles_is_refused_and_the_first_ships_its_own_pdfs(tmp_path):
    spec = tmp_path / "slow.yaml"
    spec.write_text(SLOW_SPEC, encoding="utf-8")
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    first = _start_and_wait_for_pdflatex(spec, out, tmp_path)
    second = build(spec, out, "--seed", "2")
    _, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert_one_line(second, "another examgen is writing this folder now", str(out))
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert key["exam"]["seed"] == 5
    # The solutions print the exam seed; the exam prints the variant's code, which the key maps.
    text = subprocess.run(["pdftotext", str(out / "variants" / "001" / "solutions.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Exam seed 5, variant 001" in text and "Exam seed 2" not in text
    exam = subprocess.run(["pdftotext", str(out / "variants" / "001" / "exam.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert key["variants"][0]["key"] == "001" and key["variants"][0]["code"] in exam


@needs_tex
def test_after_sigkill_no_pdflatex_lives_and_the_next_build_cleans_up(tmp_path):
    spec = tmp_path / "slow.yaml"
    spec.write_text(SLOW_SPEC, encoding="utf-8")
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    before = snapshot(out)
    process = _start_and_wait_for_pdflatex(spec, out, tmp_path)
    running = _pdflatex_under(tmp_path)
    process.kill()
    process.wait()
    assert _gone(running, 5), "pdflatex outlived a killed examgen"
    assert _gone(_pdflatex_under(tmp_path), 5)
    assert snapshot(out) == before                       # the old output, whole
    assert list(tmp_path.glob(".out.partial-*"))         # what the kill left behind ...
    again = build(spec, out)
    assert again.returncode == 0, again.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []   # ... the next build removed


def test_after_sigkill_no_worker_process_lives(tmp_path):
    spec = tmp_path / "many.yaml"
    spec.write_text(SPEC.replace("variants: 3", "variants: 4000"), encoding="utf-8")
    process = subprocess.Popen([sys.executable, "-m", "generator", "build", str(spec), "--no-pdf", "--jobs", "2",
                                "--out", str(tmp_path / "out")], cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while time.monotonic() < deadline and len(workers) < 2 and process.poll() is None:
        workers = _children(process.pid)
        time.sleep(0.01)
    if len(workers) < 2:
        process.kill()
        pytest.fail("the build never started its worker processes")
    process.kill()
    process.wait()
    assert _gone(workers, 10), "worker processes outlived a killed examgen"


# ---------------------------------------------------------------- full disks

@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300k", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("mounting a small tmpfs is not permitted here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_one_line_and_keeps_the_previous_output(tmp_path, spec, small_disk):
    out = small_disk / "out"
    assert build(spec, out).returncode == 0
    before = snapshot(small_disk)
    big = tmp_path / "big.yaml"
    big.write_text(SPEC.replace("variants: 3", "variants: 400"), encoding="utf-8")
    result = build(big, out)
    assert_one_line(result, "cannot write the output folder (No space left on device)", str(out))
    assert snapshot(small_disk) == before


def test_grading_on_a_full_disk_keeps_the_previous_grading(tmp_path, spec, small_disk):
    out = tmp_path / "out"
    assert build(spec, out).returncode == 0
    answers = tmp_path / "answers.csv"
    answers.write_text(responses(out / "key.json", ["001"]), encoding="utf-8")
    graded = small_disk / "graded"
    assert run_cli("grade", str(out / "key.json"), str(answers), "--out", str(graded)).returncode == 0
    filler = small_disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)   # leave less room than one grading needs
    try:
        while True:
            os.write(fd, b"x" * 1024)
    except OSError:
        pass
    finally:
        os.close(fd)
    before = snapshot(small_disk)
    answers.write_text(responses(out / "key.json", ["001", "002", "003"]), encoding="utf-8")
    result = run_cli("grade", str(out / "key.json"), str(answers), "--out", str(graded))
    assert_one_line(result, "No space left on device", str(graded))
    assert snapshot(small_disk) == before


# ---------------------------------------------------------------- caches never change the bytes

@needs_tex
def test_pdf_bytes_do_not_depend_on_the_format_cache(tmp_path, spec):
    """Empty cache, warm cache, a cache that cannot be written, a damaged cache entry."""
    cache = tmp_path / "cache"
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache would be\n", encoding="utf-8")
    runs = {}
    for name, home in (("empty", cache), ("warm", cache), ("unwritable", blocked)):
        result = run_cli("build", str(spec), "--out", str(tmp_path / name), env=env_with(XDG_CACHE_HOME=str(home)))
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr and "warning" not in result.stderr
        runs[name] = file_digests(tmp_path / name)
    formats = sorted((cache / "examgen" / "formats").glob("*/*.fmt"))
    assert formats, "the first build caches its format"
    for fmt in formats:
        fmt.write_bytes(fmt.read_bytes()[:5000])       # truncated: as after a full disk
    damaged = run_cli("build", str(spec), "--out", str(tmp_path / "damaged"), env=env_with(XDG_CACHE_HOME=str(cache)))
    assert damaged.returncode == 0, damaged.stderr
    assert "Traceback" not in damaged.stderr
    # one warning per damaged format: the sheets' and the grader's copy's (its own preamble)
    assert damaged.stderr.count("warning: the cached TeX format") == len(formats) == 2 and "was damaged" in damaged.stderr
    runs["damaged"] = file_digests(tmp_path / "damaged")
    # per variant exam and solutions, the two print files, grader.pdf, and the three compiled documents kept
    assert len([f for f in runs["empty"] if f.endswith(".pdf")]) == 2 * 3 + 2 + 1 + 3
    for name, digests in runs.items():
        assert digests == runs["empty"], name
    # Built again, the entry is whole: no warning the next time.
    healed = run_cli("build", str(spec), "--out", str(tmp_path / "healed"), env=env_with(XDG_CACHE_HOME=str(cache)))
    assert healed.returncode == 0 and "warning" not in healed.stderr


# ---------------------------------------------------------------- same bytes whatever the machine's state

def test_key_and_tex_bytes_do_not_depend_on_jobs_hashseed_tz_lang_or_folder(tmp_path):
    spec = tmp_path / "many.yaml"
    spec.write_text(SPEC.replace("variants: 3", "variants: 60"), encoding="utf-8")
    first = build(spec, tmp_path / "a", "--jobs", "1",
                  env=env_with(PYTHONHASHSEED="1", TZ="UTC", LANG="C", LC_ALL="C"))
    (tmp_path / "elsewhere").mkdir()
    second = run_cli("build", "../many.yaml", "--no-pdf", "--jobs", "2", "--out", str(tmp_path / "deeper" / "b"),
                     cwd=tmp_path / "elsewhere",
                     env=env_with(PYTHONHASHSEED="77", TZ="Pacific/Kiritimati", LANG="de_DE.UTF-8",
                                  LC_ALL="de_DE.UTF-8"))
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    a, b = file_digests(tmp_path / "a"), file_digests(tmp_path / "deeper" / "b")
    assert len(a) == 2 + 2 * 60 + 2 + 1 and a == b      # + grader.tex
