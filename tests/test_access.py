"""Names in any script and the accessible versions (roster column `accommodations`).

One build with PDFs serves every test here: a roster with names in five scripts besides Latin,
a large-print and an HTML copy, extra time. The expected names are the roster's; the key values
the page must not hold come from the build's key.csv; the type size is measured in the PDFs.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import statistics
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator.errors import ExamgenError
from generator.figures import alt_text
from generator.render import RenderedPart, RenderedProblem, name
from generator.roster import load_roster
from generator.verify import figures_without_alt
from tests.conftest import ROOT, run_cli

REQUIRED = bool(os.environ.get("MAKELEVEL") or os.environ.get("CI"))
AXE = Path(os.environ.get("EXAMGEN_AXE", ROOT / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"))
CHROMIUM = os.environ.get("EXAMGEN_CHROMIUM", "/usr/bin/chromium")

NAMES = {
    "s1": "Ada Lovelace",
    "s2": "Nguyễn Thị Minh Khai",
    "s3": "Αλέξανδρος Παπαδόπουλος",
    "s4": "Иван Петров",
    "s5": "王小明",
    "s6": "佐藤 花子",
    "s7": "محمد علي",
}
ACCOMMODATIONS = {"s1": "large-print; extra-time=25%", "s6": "extra-time=30", "s7": "html;large-print"}
SPEC = """title: Accessible exam
seed: 11
duration: 60 minutes
problems:
  - id: cnn/conv-layer-cost
    points: 12
    parts: {shape: 4, ops: 5, params: 3}
  - id: attention/transformer-cost
    points: 10
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def roster_text() -> str:
    rows = ["id,name,accommodations"] + [f'{k},{v},"{ACCOMMODATIONS.get(k, "")}"' for k, v in NAMES.items()]
    return "\n".join(rows) + "\n"


def pdftotext(pdf: Path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


# ---------------------------------------------------------------- without TeX

def test_accommodations_are_read_and_checked(tmp_path):
    students = load_roster(write(tmp_path / "r.csv", roster_text()))
    assert students["s1"].accommodations == ("large-print", "extra-time")
    assert students["s1"].extra_time == "25%"
    assert students["s6"].extra_time == "30 minutes"
    assert students["s7"].accommodations == ("html", "large-print")
    assert students["s2"].accommodations == ()
    with pytest.raises(ExamgenError) as caught:
        load_roster(write(tmp_path / "bad.csv", "id,name,accommodations\ns1,Ada,html\ns2,Bo,large print; html\n"))
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"{tmp_path / 'bad.csv'}:3: student 's2' has the unknown accommodation 'large print'")
    assert "large-print, html, extra-time" in line


def test_five_scripts_are_accepted_and_unprinted_scripts_refused(tmp_path):
    students = load_roster(write(tmp_path / "r.csv", roster_text()))
    assert {k: s.name for k, s in students.items()} == NAMES
    with pytest.raises(ExamgenError) as caught:     # Devanagari: no installed font of the sheets
        load_roster(write(tmp_path / "hi.csv", "id,name\ns1,राम\n"))
    assert "U+0930" in str(caught.value) and "cannot print" in str(caught.value)


def test_right_to_left_runs_are_marked_and_latin_names_unchanged():
    assert name("محمد علي") == r"\examgenrtl{محمد علي}"
    assert name("Ada (محمد علي) Lovelace") == r"Ada (\examgenrtl{محمد علي}) Lovelace"
    assert name("O'Brien") == r"O\textquotesingle{}Brien"


def test_a_figure_without_alt_text_is_a_verify_failure():
    with_alt = "\\begin{tikzpicture}\n% alt: A bar chart of 3 bars\n\\draw (0,0) -- (1,1);\n\\end{tikzpicture}"
    without = "\\begin{tikzpicture}\n\\draw (0,0) -- (1,1);\n\\end{tikzpicture}"
    assert alt_text(with_alt) == "A bar chart of 3 bars"
    assert alt_text(without) == ""
    part = RenderedPart("a", "a", 1.0, "1cm", "text", without)
    failures = figures_without_alt(RenderedProblem("x/y", with_alt, (part,), "", ""))
    assert len(failures) == 1 and failures[0].startswith("solution.tex.j2: 1 figure(s) without alt text")
    assert figures_without_alt(RenderedProblem("x/y", with_alt, (), "", with_alt)) == []


# ---------------------------------------------------------------- one build

@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("access")
    spec = write(folder / "spec.yaml", SPEC)
    roster = write(folder / "roster.csv", roster_text())
    out = folder / "out"
    result = run_cli("build", str(spec), "--roster", str(roster), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_every_name_prints_on_its_own_sheet(built):
    for key, student in NAMES.items():
        tex = (built / "variants" / key / "exam.tex").read_text(encoding="utf-8")
        # Latin names keep pdflatex's set-up; the others get lualatex and the Noto fonts
        assert ("\\usepackage{fontspec}" in tex) == (key != "s1"), key
        text = pdftotext(built / "variants" / key / "exam.pdf", "-l", "1")
        if key == "s7":   # Arabic: pdftotext may wrap the run in direction marks; every letter is there, in order
            letters = [c for c in student if c != " "]
            found = "".join(c for c in text if c in set(letters))
            assert "".join(letters) in found, text[:300]
        else:
            assert student in text, (key, text[:300])
    # the print file holds every variant, in roster order
    joined = pdftotext(built / "all-exams.pdf")
    positions = [joined.find(NAMES[k]) for k in ("s1", "s2", "s3", "s4", "s5", "s6")]
    assert positions == sorted(positions) and positions[0] >= 0


def test_extra_time_is_on_the_cover(built):
    assert "Extra time: 25%" in pdftotext(built / "variants" / "s1" / "exam.pdf", "-l", "1")
    assert "Extra time: 30 minutes" in pdftotext(built / "variants" / "s6" / "exam.pdf", "-l", "1")
    assert "Extra time" not in pdftotext(built / "variants" / "s2" / "exam.pdf", "-l", "1")


def _word_heights(pdf: Path) -> list[float]:
    bbox = pdftotext(pdf, "-bbox")
    return [float(y1) - float(y0) for y0, y1 in re.findall(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" '
                                                            r'yMax="([\d.]+)">', bbox)]


def _decimals(pdf: Path) -> list[str]:
    return sorted(re.findall(r"\d+\.\d+", pdftotext(pdf)))


def test_large_print_is_the_same_exam_on_a4_in_larger_type(built):
    for key in ("s1", "s7"):
        exam, large = built / "variants" / key / "exam.pdf", built / "variants" / key / "exam-large.pdf"
        info = subprocess.run(["pdfinfo", str(large)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info), info
        ratio = statistics.median(_word_heights(large)) / statistics.median(_word_heights(exam))
        assert 1.4 < ratio < 1.52, ratio             # 11 pt type at 16 pt
        assert set(_decimals(large)) == set(_decimals(exam))   # the same instance: the same numbers (a set: pdftotext reads matrices in varying order)
        text = " ".join(pdftotext(large).split())
        assert NAMES[key] in text or key == "s7"
    assert not (built / "variants" / "s2" / "exam-large.pdf").exists()
    key = json.loads((built / "key.json").read_text(encoding="utf-8"))
    assert [v["key"] for v in key["variants"]] == list(NAMES)     # one key entry per student, large print or not


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.controls: list[dict[str, str]] = []
        self.labels: set[str] = set()
        self.svgs: list[dict[str, str]] = []
        self.links: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        if tag in ("h1", "h2", "h3", "h4"):
            self.headings.append(tag)
        if tag in ("input", "textarea", "select"):
            self.controls.append(attrs)
        if tag == "label" and "for" in attrs:
            self.labels.add(attrs["for"])
        if tag == "svg":
            self.svgs.append(attrs)
        if tag == "script":
            self.scripts += 1
        for attribute in ("src", "href"):
            if attribute in attrs:
                self.links.append(attrs[attribute])


def test_accessible_html_has_structure_labels_alt_text_and_no_answers(built):
    page = (built / "variants" / "s7" / "exam.html").read_text(encoding="utf-8")
    assert not (built / "variants" / "s1" / "exam.html").exists()
    parsed = _Page()
    parsed.feed(page)
    # h1 the exam; h2 the instructions and each question; h3 each part (3 + 4 parts)
    assert parsed.headings.count("h1") == 1
    assert parsed.headings.count("h2") == 1 + 2
    assert parsed.headings.count("h3") == 3 + 4
    assert parsed.controls and all(c.get("aria-label") or c.get("id") in parsed.labels for c in parsed.controls)
    assert sum(1 for c in parsed.controls if "working" in c.get("id", "")) == 7
    # the transformer diagram, with its declared alt text and this instance's MLP width
    assert len(parsed.svgs) == 1 and parsed.svgs[0]["role"] == "img"
    assert parsed.svgs[0]["aria-label"].startswith("Block diagram of one transformer layer")
    assert "<math" in page and "\\frac" not in page
    # offline: no script, no file or address to load
    assert parsed.scripts == 0 and not [link for link in parsed.links if not link.startswith("#")]
    assert NAMES["s7"] in page
    # No answer: every key value of this variant that the printed exam does not show (the exam's
    # own numbers are the question's data) is absent from the page, and present in the solutions.
    exam_tex = (built / "variants" / "s7" / "exam.tex").read_text(encoding="utf-8").replace("\\,", "")
    solutions = (built / "variants" / "s7" / "solutions.tex").read_text(encoding="utf-8").replace("\\,", "")
    with open(built / "key.csv", encoding="utf-8-sig", newline="") as file:
        values = [row["value"] for row in csv.DictReader(file) if row["variant"] == "s7"]
    numbers = {n for value in values for n in re.findall(r"-?\d+(?:\.\d+)?", value)}
    hidden = {n for n in numbers if len(n) >= 3 and n not in exam_tex}
    assert len(hidden) >= 5, hidden
    assert all(n in solutions for n in hidden)
    leaked = sorted(n for n in hidden if n in page)
    assert leaked == []
    assert "Solution" not in page


def _browser_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed ({CHROMIUM}); 'make test' installs Debian's chromium"
    if not AXE.is_file():
        return f"axe-core is not installed ({AXE}); 'make test' installs it from npm"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing; 'make test' installs the test extras"
    return None


def test_accessible_html_passes_axe_wcag21_aa(built, tmp_path):
    missing = _browser_missing()
    if missing:
        if REQUIRED:
            pytest.fail(missing, pytrace=False)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    page_file = tmp_path / "exam.html"
    shutil.copyfile(built / "variants" / "s7" / "exam.html", page_file)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            for width in (1200, 390):      # a desktop and a phone: scrolling formulas must stay reachable
                page = browser.new_page(viewport={"width": width, "height": 900})
                requests: list[str] = []
                page.on("request", lambda request, seen=requests: seen.append(request.url))
                page.goto(page_file.as_uri())
                page.add_script_tag(path=str(AXE))
                result = page.evaluate("axe.run(document, {runOnly: {type: 'tag', values: "
                                       "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
                violations = [(v["id"], [n["html"][:120] for n in v["nodes"]]) for v in result["violations"]]
                assert violations == [], (width, violations)
                assert len(result["passes"]) > 10          # axe ran its rules
                assert [url for url in requests if not url.startswith("file:")] == []
                assert page.evaluate("document.documentElement.scrollWidth") <= width
                page.close()
        finally:
            browser.close()
