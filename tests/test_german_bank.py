"""The German bank: a German build of every problem with German templates prints its German
title (heading, points table, grader's copy) and prints no number with a decimal point (in the
maths of the exam, solutions and grader's copy; TikZ pictures keep their points, which TikZ
needs); the contract checks `TITLES`; `title_in` falls back to `TITLE`.

Fast: `--no-pdf`, the test reads the .tex.
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path
from types import ModuleType

import pytest

from generator.grader import value_tex
from generator.precision import DEFAULT
from generator.problem import ContractError, Part, load_module, title_in
from generator.render import text
from tests.conftest import ROOT, run_cli

BANK = ROOT / "problem_bank"
GERMAN = sorted(f"{p.parent.parent.name}/{p.parent.name}" for p in BANK.glob("*/*/question.de.tex.j2"))

_PICTURE = re.compile(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", re.S)
# Maths as the sheets write it: $...$, \[...\], \(...\) and the display environments.
# A `\\[4mm]` line break is no display maths.
_MATHS = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|(?<!\\)\\\[.*?\\\]|(?<!\\)\\\(.*?\\\)"
                    r"|\\begin\{(align|equation|gather|multline)\*?\}.*?\\end\{\1\*?\}", re.S)
_POINT_NUMBER = re.compile(r"\d+\.\d+")


def _declared(problem_id: str) -> dict[str, object]:
    """TITLE and TITLES as problem.py writes them (read from the source, not through the loader)."""
    tree = ast.parse((BANK / problem_id / "problem.py").read_text(encoding="utf-8"))
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id in ("TITLE", "TITLES")}


def numbers_with_points(tex: str) -> list[str]:
    """Every number with a decimal point in the maths of a document's body, outside TikZ
    pictures, marked <<so>> in a little context."""
    body = tex.split("\\begin{document}", 1)[-1]
    body = re.sub(r"(?<!\\)%.*", "", body).replace(r"\$", "")   # comments, escaped dollars
    body = _PICTURE.sub("", body)
    found = []
    for maths in _MATHS.finditer(body):
        piece = maths.group(0)
        found += [piece[max(0, m.start() - 30):m.start()] + f"<<{m.group(0)}>>" + piece[m.end():m.end() + 10]
                  for m in _POINT_NUMBER.finditer(piece)]
    return found


@pytest.fixture(scope="module")
def german_build(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("german")
    spec = folder / "german.yaml"
    spec.write_text("title: Deutsch\ncourse: DL\ndate: 2026-12-14\nseed: 7\nlanguage: de\nproblems:\n"
                    + "".join(f"  - id: {pid}\n" for pid in GERMAN), encoding="utf-8")
    result = run_cli("build", str(spec), "--variants", "3", "--no-pdf", "--format", "moodle", "--out", str(folder / "out"))
    assert result.returncode == 0, result.stderr
    return folder / "out"


def test_the_source_sheet_problems_have_german_templates():
    assert len(GERMAN) == 19


def test_german_titles_print_in_a_german_build(german_build):
    exam = (german_build / "variants" / "001" / "exam.tex").read_text(encoding="utf-8")
    solutions = (german_build / "variants" / "002" / "solutions.tex").read_text(encoding="utf-8")
    grader = (german_build / "grader.tex").read_text(encoding="utf-8")
    moodle = html.unescape((german_build / "moodle.xml").read_text(encoding="utf-8"))
    for pid in GERMAN:
        declared = _declared(pid)
        german = declared.get("TITLES", {}).get("de")
        assert german and german != declared["TITLE"], pid
        for document in (exam, solutions, grader):
            assert f"\\textbf{{{text(german)}}}" in document, pid
            assert text(declared["TITLE"]) not in document, pid
        # Moodle: each slot's category is named by number and title, each statement heads with it
        assert f"/{GERMAN.index(pid) + 1:02d} {german}</text>" in moodle, pid
        assert moodle.count(f"<h4>{german}</h4>") == 3, pid
        assert declared["TITLE"] not in moodle, pid


def test_no_number_prints_with_a_decimal_point(german_build):
    documents = [*sorted((german_build / "variants").glob("*/*.tex")), german_build / "grader.tex"]
    assert len(documents) == 7
    for path in documents:
        tex = path.read_text(encoding="utf-8")
        assert "{,}" in tex, path                      # the decimal comma is there to see
        assert numbers_with_points(tex) == [], path


def test_the_scan_sees_points_in_maths_only_outside_pictures():
    tex = (r"\usepackage{x}\def\a{$1.5$}\begin{document}\vspace{0.5cm} $x = 0.25$ % 3.5 $"
           "\n" r"costs \$4.5 \\[1.5mm] \[ y = 1{,}5 + 2.75 \] "
           r"\begin{tikzpicture}\draw (0.5, 1.5) -- (1, 2); \node at (0,0) {$0.5$};\end{tikzpicture}")
    assert [re.search("<<(.*)>>", hit).group(1) for hit in numbers_with_points(tex)] == ["0.25", "2.75"]


def test_grader_cells_in_german_and_english():
    # English as before: (a, b) and [a, b; c, d]; German: the decimal comma and `;` between
    # entries, rows in brackets, as `grade` reads a German answer ([[0,5; 1]; [2; 3,25]])
    assert value_tex([0.5, 1], None, DEFAULT) == "($0.5$, $1$)"
    assert value_tex([[0.5, 1], [2, 3.25]], None, DEFAULT) == "[$0.5$, $1$; $2$, $3.25$]"
    assert value_tex([0.5, 1], None, DEFAULT, "de") == "($0{,}5$; $1$)"
    assert value_tex([[0.5, 1], [2, 3.25]], None, DEFAULT, "de") == "[[$0{,}5$; $1$]; [$2$; $3{,}25$]]"
    assert value_tex(-2.5, None, DEFAULT, "de") == "$-2{,}5$"


def _module(tmp_path: Path, titles) -> tuple[ModuleType, Path]:
    from generator.authoring import Answer

    module = ModuleType("fake")
    module.TITLE, module.SOURCE = "Cost of a layer", "S"
    module.PARTS = (Part("one", 2, ("x",)),)
    module.PARAMS = ()
    module.ANSWERS = (Answer("x", "real", "x"),)
    module.solve = lambda p: {}
    module.check = lambda p, a: {}
    if titles is not None:
        module.TITLES = titles
    for name in ("question.tex.j2", "solution.tex.j2"):
        (tmp_path / name).write_text("", encoding="utf-8")
    return module, tmp_path


@pytest.mark.parametrize("titles, message", [
    ({"fr": "Coût"}, "TITLES names 'fr', which is not a language examgen prints (known: en, de)"),
    ({"de": "  "}, "TITLES['de'] must be a non-empty string"),
    ({"de": 3}, "TITLES['de'] must be a non-empty string"),
    (["de", "Kosten"], "TITLES must map language codes to titles"),
])
def test_the_contract_refuses_bad_titles(tmp_path, titles, message):
    module, folder = _module(tmp_path, titles)
    with pytest.raises(ContractError, match=re.escape(message)):
        load_module(module, "topic/fake", folder)


def test_title_in_falls_back_to_the_title(tmp_path):
    module, folder = _module(tmp_path, {"de": "Kosten einer Schicht"})
    problem = load_module(module, "topic/fake", folder)
    assert title_in(problem, "de") == "Kosten einer Schicht"
    assert title_in(problem, ("de", "en")) == "Kosten einer Schicht"   # a bilingual sheet: its first language
    assert title_in(problem, "en") == "Cost of a layer"
    module, folder = _module(tmp_path, None)
    plain = load_module(module, "topic/fake", folder)
    assert title_in(plain, "de") == "Cost of a layer"


def test_choice_options_print_the_decimal_comma(tmp_path):
    # the shipped choice spec in German: the options on the sheets are numbers too
    source = (ROOT / "exams" / "demo-choice.yaml").read_text(encoding="utf-8")
    spec = tmp_path / "choice.yaml"
    spec.write_text("\n".join(line for line in source.splitlines() if not line.startswith("language:"))
                    + "\nlanguage: de\n", encoding="utf-8")
    result = run_cli("build", str(spec), "--variants", "1", "--no-pdf", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    exam = (tmp_path / "out" / "variants" / "001" / "exam.tex").read_text(encoding="utf-8")
    options = re.findall(r"\$\\square\$\\,\(A\)~\$([^$]*)\$", exam)
    assert options and any("{,}" in option for option in options)
    assert numbers_with_points(exam) == []
