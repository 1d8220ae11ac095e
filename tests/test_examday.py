"""Exam day: the cover page, print-ready padding, the variant code instead of the seed, the QR
code of every exam page, `examgen lookup`, layout control (space, newpage, statement kept with
its first part) and a roster build's pages.

Two small PDF builds (module fixtures) serve every PDF test: a numbered build with a cover,
rules and a declaration (pad_to 2), and a roster build with 25 questions (pad_to 4).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import shutil
import subprocess

import pytest

from generator.errors import ExamgenError
from generator.plan import make_plan, scaled_space
from generator.spec import ExamSpec
from generator.variantcode import find_variant, variant_code
from tests.conftest import run_cli

needs_pdf = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None
                               or shutil.which("pdftoppm") is None,
                               reason="TeX Live and poppler-utils are installed by 'make test'")

SEED = 731
COVER_SPEC = f"""\
title: Exam day check
course: DL 300
date: 2026-12-14
duration: 90 minutes
instructions: Show your work.
rules:
  - No phones on the desk.
  - Raise your hand to leave the room.
declaration: I answer this exam on my own.
seed: {SEED}
variants: 2
problems:
  - id: cnn/receptive-field              # its statement holds a table: a list before question 1's first item
    parts: [final]
  - id: cnn/conv-layer-cost
    parts: [shape, ops]
  - id: regularization/weight-decay-step
    parts: [gradient, update]
"""

ROSTER_SEED = 9151
ROSTER_SPEC = f"""\
title: Twenty-five questions
course: DL 300
seed: {ROSTER_SEED}
print: {{pad_to: 4}}
problems:
""" + "".join("  - {id: cnn/conv-layer-cost, parts: [channels]}\n" for _ in range(25))
STUDENTS = [("s01", "Zoë Łukasiewicz"), ("s02", "Jean-Luc Picard")]


def pdftext(path, *args: str) -> str:
    return subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def page_texts(path) -> list[str]:
    return pdftext(path, "-layout").split("\f")[:-1]


def page_count(path) -> int:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


@pytest.fixture(scope="module")
def covered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examday")
    (folder / "day.yaml").write_text(COVER_SPEC, encoding="utf-8")
    result = run_cli("build", str(folder / "day.yaml"), "--out", str(folder / "out"))
    assert result.returncode == 0, result.stderr
    return folder / "out"


@pytest.fixture(scope="module")
def rostered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("examday-roster")
    (folder / "many.yaml").write_text(ROSTER_SPEC, encoding="utf-8")
    (folder / "class.csv").write_text("id,name\n" + "".join(f"{k},{n}\n" for k, n in STUDENTS), encoding="utf-8")
    result = run_cli("build", str(folder / "many.yaml"), "--roster", str(folder / "class.csv"),
                     "--out", str(folder / "out"))
    assert result.returncode == 0, result.stderr
    return folder / "out"


def key_of(out) -> dict:
    return json.loads((out / "key.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the variant code (no PDF)

def test_variant_code_is_the_keyed_digest_of_seed_and_key():
    # recomputed here from the definition: HMAC-SHA256, key = the exam seed, message = the variant key
    expected = base64.b32encode(hmac.new(b"2026", b"001", hashlib.sha256).digest()).decode()[:8]
    assert variant_code(2026, "001") == expected
    assert re.fullmatch(r"[A-Z2-7]{8}", expected)
    assert variant_code(2026, "002") != expected and variant_code(2027, "001") != expected


def test_find_variant_takes_any_case_and_the_qr_text():
    document = {"variants": [{"key": "001", "code": "ABCDEFGH"}, {"key": "002", "code": "QRSTUVWX"}]}
    assert find_variant(document, "qrstuvwx")["key"] == "002"
    assert find_variant(document, "EXAMGEN:ABCDEFGH:3")["key"] == "001"
    assert find_variant(document, "ZZZZZZZZ") is None


# ---------------------------------------------------------------- spec fields and the plan (no PDF)

def plan_of(tmp_path, **fields):
    data = {"title": "T", "seed": 3, "problems": [{"id": "cnn/conv-layer-cost"}], **fields}
    return make_plan(ExamSpec.model_validate(data), {}, tmp_path / "t.yaml")


def test_cover_and_padding_defaults(tmp_path):
    plan = plan_of(tmp_path)
    assert plan.cover is True and plan.pad_to == 2
    plan = plan_of(tmp_path, cover=False, print={"pad_to": 4}, rules=["a", "b"], duration="1 h")
    assert (plan.cover, plan.pad_to, plan.rules, plan.duration) == (False, 4, ("a", "b"), "1 h")


@pytest.mark.parametrize("text, message", [
    ("print: {pad_to: 3}", "print.pad_to"),
    ("problems: [{id: cnn/conv-layer-cost, space: {ops: lots}}]", "must be a length such as 5cm"),
    ("problems: [{id: cnn/conv-layer-cost, space: {opz: 5cm}}]", "space is set for part 'opz'"),
])
def test_bad_exam_day_fields_are_one_line(write_spec, text, message):
    spec = write_spec("title: T\nseed: 1\n" + (text if text.startswith("problems") else
                                              text + "\nproblems: [{id: cnn/conv-layer-cost}]") + "\n")
    result = run_cli("build", str(spec), "--no-pdf", "--out", str(spec.parent / "o"))
    assert result.returncode == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_answer_space_scales_with_points_relative_to_the_exam(tmp_path):
    # conv-layer-cost declares shape 3 points / 3cm, ops 4 points / 4cm (problem.py)
    assert scaled_space("3cm", 2.0) == "6cm" and scaled_space("3cm", 9.0) == "6cm" and scaled_space("4cm", 0.1) == "2cm"
    plan = plan_of(tmp_path, problems=[{"id": "cnn/conv-layer-cost", "parts": {"shape": 6, "ops": 4}}])
    # 10 points for 7 declared: usual share 10/7; shape has 6/3 = 2 -> factor 1.4, ops 1 -> 0.7
    assert dict(plan.slots[0].space) == {"shape": "4.2cm", "ops": "2.8cm"}
    doubled = plan_of(tmp_path, problems=[{"id": "cnn/conv-layer-cost", "parts": {"shape": 6, "ops": 8}}])
    assert dict(doubled.slots[0].space) == {"shape": "3cm", "ops": "4cm"}    # all doubled: the bank's spaces
    pinned = plan_of(tmp_path, problems=[{"id": "cnn/conv-layer-cost", "parts": {"shape": 6, "ops": 4},
                                          "space": {"ops": "7.5cm"}, "newpage": True}])
    assert dict(pinned.slots[0].space)["ops"] == "7.5cm" and pinned.slots[0].newpage


def test_space_and_newpage_reach_the_exam_tex(write_spec):
    spec = write_spec("title: T\nseed: 1\nproblems:\n  - {id: cnn/conv-layer-cost, parts: [shape]}\n"
                      "  - {id: cnn/conv-layer-cost, parts: [shape, ops], space: {ops: 7.5cm}, newpage: true}\n")
    out = spec.parent / "o"
    result = run_cli("build", str(spec), "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stderr
    tex = (out / "variants" / "001" / "exam.tex").read_text(encoding="utf-8")
    assert r"\answerspace{7.5cm}" in tex
    second = tex.index("slot=2 problem=cnn/conv-layer-cost")
    assert tex[second:].split("\n", 2)[1] == r"\clearpage"
    assert r"\clearpage" not in tex[tex.index("slot=1 problem"):second]


def test_page_count_warning_names_the_spread():
    from generator.pipeline import page_count_warnings

    cache = {"exam-1": {"pages": [6, 6, 8]}, "exam-2": {"pages": [6]}, "solutions": {"pages": [4, 6, 4, 4]}}
    warnings = page_count_warnings(cache)
    assert len(warnings) == 1 and "exam sheets differ in page count (3 with 6, 1 with 8 pages)" in warnings[0]
    assert page_count_warnings({"exam": {"pages": [4, 4]}}) == []


# ---------------------------------------------------------------- the cover page

@needs_pdf
def test_cover_page_holds_the_front_matter_and_no_problem(covered):
    pages = page_texts(covered / "variants" / "001" / "exam.pdf")
    cover = pages[0]
    squeezed = " ".join(cover.split())
    for text in ("Exam day check", "DL 300", "2026-12-14", "Duration: 90 minutes", "Show your work.",
                 "No phones on the desk.", "Raise your hand to leave the room.", "I answer this exam on my own.",
                 "Signature:", "Name:", "Student ID:", "Do not turn over until told to.", "significant digits"):
        assert text in squeezed, text
    assert "Receptive fields in a CNN" not in squeezed               # problem 1 starts on page 2
    assert "Receptive fields in a CNN" in pages[1]
    assert re.search(r"Total", squeezed) and "Question" in squeezed


@needs_pdf
def test_statement_stays_with_its_first_part(covered):
    for key in ("001", "002"):
        for page in page_texts(covered / "variants" / key / "exam.pdf"):
            for title in ("Receptive fields in a CNN", "Cost of a convolutional layer",
                          "Weight decay: one regularised gradient step"):
                if title in page:
                    assert "(a)" in page.split(title, 1)[1], (key, title)


# ---------------------------------------------------------------- print-ready

def check_padding(out, pad_to: int, keys) -> int:
    """Every variant of both sheets a multiple of pad_to pages, the print file their sum, blank
    pages only at a variant's end and fewer than pad_to; returns how many blank pages there were."""
    blanks = 0
    for sheet, combined in (("exam", "all-exams.pdf"), ("solutions", "all-solutions.pdf")):
        counts = [page_count(out / "variants" / key / f"{sheet}.pdf") for key in keys]
        assert all(n % pad_to == 0 for n in counts), (sheet, counts)
        assert sum(counts) == page_count(out / combined)
        for key in keys:
            texts = page_texts(out / "variants" / key / f"{sheet}.pdf")
            marked = [i for i, t in enumerate(texts) if "intentionally left blank" in t]
            assert marked == list(range(len(texts) - len(marked), len(texts))) and len(marked) < pad_to
            blanks += len(marked)
    return blanks


@needs_pdf
def test_every_variant_has_an_even_page_count(covered, rostered):
    blanks = check_padding(covered, 2, ["001", "002"])
    blanks += check_padding(rostered, 4, [k for k, _ in STUDENTS])
    assert blanks > 0      # the padding was needed somewhere, so the check above could fail


@needs_pdf
def test_no_seed_on_any_exam_page(covered):
    key = key_of(covered)
    text = pdftext(covered / "all-exams.pdf")
    digits = set(re.findall(r"\d+", text))
    assert str(SEED) not in digits
    for variant in key["variants"]:
        assert str(variant["seed"]) not in text
        assert f"variant code {variant['code']}" in text
    assert "seed" not in text.lower()
    solutions = pdftext(covered / "all-solutions.pdf")
    assert f"Exam seed {SEED}" in solutions                          # the solutions keep it


@needs_pdf
def test_qr_code_of_every_exam_page_gives_variant_and_page(covered, tmp_path):
    import cv2

    key = key_of(covered)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(covered / "all-exams.pdf"), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p-*.png"))
    expected = []
    for variant in key["variants"]:
        count = page_count(covered / "variants" / variant["key"] / "exam.pdf")
        expected += [f"EXAMGEN:{variant['code']}:{page}" for page in range(1, count + 1)]
    assert len(images) == len(expected)
    detector = cv2.QRCodeDetector()
    decoded = [detector.detectAndDecode(cv2.imread(str(image)))[0] for image in images]
    assert decoded == expected


@needs_pdf
def test_lookup_finds_the_variant_of_a_code(covered):
    key = key_of(covered)
    second = key["variants"][1]
    result = run_cli("lookup", second["code"].lower(), str(covered / "key.json"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{second['code']}: variant 002, seed {second['seed']}"
    bad = run_cli("lookup", "AAAAAAAA", str(covered / "key.json"))
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("error: ") and len(bad.stderr.splitlines()) == 1
    assert "key.json: no variant has the code 'AAAAAAAA'" in bad.stderr


def test_lookup_of_a_missing_key_is_one_line(tmp_path):
    result = run_cli("lookup", "AAAAAAAA", str(tmp_path / "nope.json"))
    assert result.returncode == 1 and len(result.stderr.splitlines()) == 1 and "not found" in result.stderr


# ---------------------------------------------------------------- the roster build, 25 questions

@needs_pdf
def test_points_table_of_25_questions_stays_inside_the_page(rostered):
    bbox = pdftext(rostered / "variants" / "s01" / "exam.pdf", "-bbox", "-f", "1", "-l", "1")
    width = float(re.search(r'<page width="([\d.]+)"', bbox).group(1))
    words = re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', bbox)
    assert all(float(x0) >= 0 and float(x1) <= width - 36 for x0, x1, _ in words)   # inside the margins
    seen = {w for _, _, w in words}
    assert {str(n) for n in range(1, 26)} <= seen and "Total" in seen and "25" in seen


@needs_pdf
def test_roster_sheets_print_the_name_on_every_page_and_ask_for_none(rostered):
    key = key_of(rostered)
    for variant in key["variants"]:
        name = variant["student"]["name"]
        texts = page_texts(rostered / "variants" / variant["key"] / "exam.pdf")
        assert len(texts) >= 4
        for number, page in enumerate(texts, start=1):
            assert name in page, (variant["key"], number)
        assert "write your name" not in " ".join(texts).lower()
        assert f"Name: {name}" in texts[0]
    first = key["variants"][0]
    looked = run_cli("lookup", f"EXAMGEN:{first['code']}:2", str(rostered / "key.json"))
    assert looked.stdout.strip() == (f"{first['code']}: variant s01, student {STUDENTS[0][1]} (s01), "
                                     f"seed {first['seed']}")


def test_the_shipped_specs_ask_for_no_name_above_the_printed_one():
    from tests.conftest import ROOT

    for spec in sorted((ROOT / "exams").glob("*.yaml")):
        assert "name and student id above" not in spec.read_text(encoding="utf-8").lower(), spec.name


def test_colliding_codes_are_an_error(monkeypatch):
    from generator import variantcode

    monkeypatch.setattr(variantcode, "variant_code", lambda seed, key: "SAMECODE")
    with pytest.raises(ExamgenError, match="same variant code"):
        variantcode.variant_codes(1, ["001", "002"])


def test_no_figure_of_the_bank_lets_its_caption_go_to_the_next_page():
    # a blank line after a picture is a legal page break between the figure and its caption
    from tests.conftest import ROOT

    parted = [str(path.relative_to(ROOT)) for path in sorted((ROOT / "problem_bank").rglob("*.tex.j2"))
              if re.search(r"\\end\{tikzpicture\}\n[ \t]*\n", path.read_text(encoding="utf-8"))]
    assert parted == []


def test_cover_false_puts_the_front_matter_above_problem_one(write_spec):
    spec = write_spec("title: T\nseed: 1\ncover: false\nprint: {pad_to: 4}\nrules: [Quiet.]\n"
                      "problems: [{id: cnn/conv-layer-cost, parts: [shape]}]\n")
    out = spec.parent / "o"
    assert run_cli("build", str(spec), "--no-pdf", "--out", str(out)).returncode == 0
    tex = (out / "variants" / "001" / "exam.tex").read_text(encoding="utf-8")
    front = tex[tex.index(r"\begin{document}"):tex.index("slot=1 problem")]
    assert "Do not turn over" not in front and r"\clearpage" not in front and "Quiet." not in front
    assert r"\textbf{Instructions.}" in front and "Question" in front
    assert r"\examgenpad{4}" in tex and r"\examgenpad{1}" not in tex
    practice = run_cli("practice", "cnn/conv-layer-cost", "--seed", "4", "--no-pdf", "--out", str(spec.parent / "p"))
    assert practice.returncode == 0, practice.stderr
    sheet = next((spec.parent / "p").glob("*.tex")).read_text(encoding="utf-8")
    assert "Do not turn over" not in sheet and r"\examgenpad{1}" in sheet        # practice: no cover, no padding
