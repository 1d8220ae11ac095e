"""`examgen preview`: a save rebuilds the PDF and the HTML view, an error keeps the last good one.

The preview runs as a user runs it (`python -m generator preview`, in its own process) on a
copy of cnn/conv-layer-cost in a temporary bank, serving on a free port of 127.0.0.1. Every
wait is bounded.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT, run_cli

SOURCE = "cnn/conv-layer-cost"       # copied into a course bank under its own id
PROBLEM = "course/conv-layer-cost"
BUILD_TIMEOUT = 90.0     # seconds for one build on a busy machine (the first one loads sympy and TeX)

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None
                               or shutil.which("pandoc") is None, reason="needs pdflatex, pdftotext and pandoc")


def copy_bank(tmp_path: Path) -> Path:
    bank = tmp_path / "bank"
    shutil.copytree(ROOT / "problem_bank" / SOURCE, bank / PROBLEM)
    return bank


class PreviewProcess:
    """A preview process, its output lines, and the page it serves."""

    def __init__(self, bank: Path, out: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "generator", "preview", PROBLEM, "--bank", str(bank), "--out", str(out),
             "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: list[str] = []
        self.pumps = [threading.Thread(target=self._pump, args=(self.process.stdout, self.stdout.put), daemon=True),
                      threading.Thread(target=self._pump, args=(self.process.stderr, self.stderr.append), daemon=True)]
        for pump in self.pumps:
            pump.start()
        first = self.stdout.get(timeout=60)
        match = re.search(r"http://127\.0\.0\.1:(\d+)/", first)
        assert match, first
        self.url = match.group(0)

    @staticmethod
    def _pump(stream, put: Callable[[str], None]) -> None:
        for line in stream:
            put(line.rstrip("\n"))

    def get(self, path: str) -> bytes:
        with urllib.request.urlopen(self.url + path, timeout=10) as response:
            return response.read()

    def status(self) -> dict:
        return json.loads(self.get("status.json"))

    def wait(self, condition: Callable[[dict], bool], what: str, timeout: float = BUILD_TIMEOUT) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.status()
            if condition(status):
                return status
            assert self.process.poll() is None, f"the preview exited: {self.stderr}"
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; last status {status}")

    def settled(self, after: int, what: str) -> dict:
        """The status once a build later than `after` has finished (PDF and HTML, or an error)."""
        return self.wait(lambda s: s["build"] > after and not s["building"]
                         and (s["error"] or s["html_version"] == s["build"]), what)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        for pump in self.pumps:
            pump.join(timeout=10)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "served.pdf"
    path.write_bytes(data)
    result = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, timeout=30,
                            check=True)
    return " ".join(result.stdout.split())


def processes_in(folder: Path) -> list[str]:
    """Processes whose working folder is inside `folder` (pdflatex runs in the preview's)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cwd = Path(os.readlink(entry / "cwd"))
            except OSError:
                continue
            if cwd == folder or folder in cwd.parents:
                found.append(entry.name)
    return found


@needs_tex
def test_save_rebuilds_and_an_error_keeps_the_last_good_version(tmp_path):
    bank = copy_bank(tmp_path)
    question = bank / PROBLEM / "question.tex.j2"
    problem_py = bank / PROBLEM / "problem.py"
    original_question = question.read_text(encoding="utf-8")
    original_problem = problem_py.read_text(encoding="utf-8")
    out = tmp_path / "out"
    preview = PreviewProcess(bank, out)
    try:
        first = preview.settled(0, "the first build")
        assert first["error"] is None and first["pdf_version"] == 1
        page = preview.get("").decode()
        assert "status.json" in page and "preview.pdf" in page   # the page polls and embeds the PDF
        text = pdf_text(preview.get(f"preview.pdf?v={first['pdf_version']}"), tmp_path)
        # seed 1's instance, as `examgen show course/conv-layer-cost --seed 1` prints it
        shown = json.loads(run_cli("show", PROBLEM, "--seed", "1", "--json", "--bank", str(bank)).stdout)["params"]
        assert "What are the shapes of Z and Y" in text and f"({shown['H']}, {shown['W']}, {shown['C_in']})" in text
        assert "Zebrafish" not in text

        # A saved word appears in the new PDF and in the new HTML view.
        question.write_text(original_question.replace("What are the shapes", "Zebrafish: what are the shapes"),
                            encoding="utf-8")
        edited = preview.settled(first["build"], "the build after the edit")
        assert edited["error"] is None and edited["pdf_version"] > first["pdf_version"]
        good_pdf = preview.get("preview.pdf?v=2")
        assert "Zebrafish: what are the shapes of Z and Y" in pdf_text(good_pdf, tmp_path)
        assert edited["pdf_sha256"] == hashlib.sha256(good_pdf).hexdigest()
        assert (out / "preview.pdf").read_bytes() == good_pdf
        assert "Zebrafish: what are the shapes" in preview.get("view.html").decode()

        # An undefined name: the page says the one-line error, the last good PDF stays served.
        broken = original_question.replace(r"\VAR{p.H}", r"\VAR{p.undefined_name}", 1)
        line = next(n for n, text in enumerate(broken.splitlines(), start=1) if "undefined_name" in text)
        question.write_text(broken, encoding="utf-8")
        failed = preview.settled(edited["build"], "the failing build")
        assert failed["error"] is not None, failed
        assert "\n" not in failed["error"]
        assert f"question.tex.j2:{line}: template error" in failed["error"]
        assert "undefined_name" in failed["error"]
        assert failed["pdf_version"] == edited["pdf_version"] and failed["html_version"] == edited["html_version"]
        assert preview.get("preview.pdf") == good_pdf
        assert "Zebrafish" in preview.get("view.html").decode()

        # Restored: it recovers.
        question.write_text(original_question, encoding="utf-8")
        restored = preview.settled(failed["build"], "the build after the fix")
        assert restored["error"] is None and restored["pdf_version"] == restored["build"]
        text = pdf_text(preview.get("preview.pdf"), tmp_path)
        assert "What are the shapes of Z and Y" in text and "Zebrafish" not in text

        # A solver error is one line naming problem.py and its line; problem.py is read anew.
        target = '    outputs = H_out * W_out * p["C_out"]\n'
        assert target in original_problem
        line = original_problem.splitlines(keepends=True).index(target) + 1
        problem_py.write_text(original_problem.replace(target, target.rstrip("\n") + " // 0\n"), encoding="utf-8")
        crashed = preview.settled(restored["build"], "the build with a failing solver")
        assert f"problem.py:{line}: ZeroDivisionError" in crashed["error"], crashed
        assert crashed["pdf_version"] == restored["pdf_version"]
        problem_py.write_text(original_problem.replace("Cost of a convolutional layer", "Cost of one conv layer"),
                              encoding="utf-8")
        renamed = preview.settled(crashed["build"], "the build after fixing the solver")
        assert renamed["error"] is None
        assert "Cost of one conv layer" in pdf_text(preview.get("preview.pdf"), tmp_path)

        # Ctrl-C while pdflatex runs: the command ends at once, with its server and that pdflatex
        # (a TeX loop keeps this one busy for seconds, longer than the command takes to stop).
        question.write_text(original_question + "\n\\count255=0 \\loop\\advance\\count255 by1 "
                            "\\ifnum\\count255<3000000 \\repeat\n", encoding="utf-8")
        deadline = time.monotonic() + BUILD_TIMEOUT
        while not processes_in(out) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert processes_in(out), "no pdflatex was seen running for the last save"
        preview.process.send_signal(signal.SIGINT)
        assert preview.process.wait(timeout=30) == 0
        assert processes_in(tmp_path) == []
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", int(preview.url.split(":")[2][:-1])),
                                                              timeout=5):
            pass
    finally:
        preview.stop()
    errors = [line for line in preview.stderr if line.startswith("error: ")]
    assert len(errors) == 2 and "undefined_name" in errors[0] and "ZeroDivisionError" in errors[1], preview.stderr
    assert "preview stopped" in list(preview.stdout.queue)


def test_load_fresh_reads_the_new_text_even_with_the_same_size_and_time(tmp_path):
    from generator.preview import load_fresh

    bank = copy_bank(tmp_path)
    path = bank / PROBLEM / "problem.py"
    stat = path.stat()
    assert load_fresh(PROBLEM, path.parent).title == "Cost of a convolutional layer"
    # Same size, same modification time: a bytecode cache would take this for the old file.
    path.write_text(path.read_text(encoding="utf-8").replace("Cost of a convolutional", "Cost of a convolutionaX"),
                    encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size
    assert load_fresh(PROBLEM, path.parent).title == "Cost of a convolutionaX layer"


def test_bad_starts_are_one_line_and_exit_1(tmp_path):
    bank = copy_bank(tmp_path)
    result = run_cli("preview", "cnn/no-such-problem", "--bank", str(bank), "--port", "0", timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "unknown problem 'cnn/no-such-problem'" in result.stderr

    result = run_cli("preview", PROBLEM, "--bank", str(tmp_path / "missing"), "--port", "0", timeout=60)
    assert result.returncode == 1 and "does not exist" in result.stderr and "Traceback" not in result.stderr

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("preview", PROBLEM, "--bank", str(bank), "--out", str(tmp_path / "out"),
                         "--port", str(port), timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and f"127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr


CHROMIUM = os.environ.get("EXAMGEN_CHROMIUM", "/usr/bin/chromium")
BROWSER_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-default-apps", "--mute-audio"]


def _no_browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed ({CHROMIUM}); 'make test' installs Debian's chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing; 'make test' installs the test extras"
    return None


@needs_tex
def test_the_page_follows_the_builds_in_a_browser(tmp_path):
    """The page itself (its polling script) in Chromium: new versions replace the frames, an
    error shows above the last good ones, and a stopped preview is said so."""
    missing = _no_browser()
    if missing:
        if os.environ.get("MAKELEVEL") or os.environ.get("CI"):
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    bank = copy_bank(tmp_path)
    question = bank / PROBLEM / "question.tex.j2"
    original = question.read_text(encoding="utf-8")
    preview = PreviewProcess(bank, tmp_path / "out")
    try:
        first = preview.settled(0, "the first build")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_FLAGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                errors: list[str] = []
                page.on("pageerror", lambda error: errors.append(str(error)))
                page.goto(preview.url)

                def frames_at(version: int) -> None:
                    page.wait_for_function(
                        "v => document.getElementById('pdf').getAttribute('src') === 'preview.pdf?v=' + v"
                        " && document.getElementById('html').getAttribute('src') === 'view.html?v=' + v",
                        arg=version, timeout=BUILD_TIMEOUT * 1000)

                frames_at(first["pdf_version"])
                view = page.frame_locator("#html").locator("body")
                assert "What are the shapes" in view.inner_text(timeout=10_000)
                assert page.locator("#error").is_hidden()

                question.write_text(original.replace("What are the shapes", "Zebrafish: what are the shapes"),
                                    encoding="utf-8")
                edited = preview.settled(first["build"], "the build after the edit")
                frames_at(edited["pdf_version"])
                page.wait_for_function("() => document.getElementById('html').contentDocument.body"
                                       " && document.getElementById('html').contentDocument.body.innerText"
                                       ".includes('Zebrafish')", timeout=10_000)

                question.write_text(original.replace(r"\VAR{p.H}", r"\VAR{p.undefined_name}", 1), encoding="utf-8")
                failed = preview.settled(edited["build"], "the failing build")
                page.wait_for_function("() => !document.getElementById('error').hidden", timeout=10_000)
                assert page.locator("#error").inner_text() == failed["error"]
                assert "undefined_name" in failed["error"]
                assert "last good version" in page.locator("#state").inner_text()
                frames_at(edited["pdf_version"])       # the last good version stays in both frames
                assert "Zebrafish" in view.inner_text()

                question.write_text(original, encoding="utf-8")
                restored = preview.settled(failed["build"], "the build after the fix")
                frames_at(restored["pdf_version"])
                page.wait_for_function("() => document.getElementById('error').hidden", timeout=10_000)
                page.screenshot(path=str(tmp_path / "preview.png"))

                preview.process.send_signal(signal.SIGINT)
                assert preview.process.wait(timeout=30) == 0
                page.wait_for_function("() => document.getElementById('state').textContent.includes('stopped')",
                                       timeout=10_000)
                assert errors == []
            finally:
                browser.close()
    finally:
        preview.stop()
