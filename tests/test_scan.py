"""Answer sheets and `examgen scan`, end to end on sheets this project renders.

The reading tests' sheets are compiled from a real build's key.json given varied choice items
by the fixture `sheet_marks.add_choices` (2 to 6 options, some with several right answers);
the grading test's from a build of the shipped `exams/demo-choice.yaml`. Both are rasterised at
150, 200 and 300 dpi with pdftoppm, marked with pen-like crosses (random width, ends off, grey ink; some
crossed boxes filled in again, which counts as not marked), then degraded as a photocopy
and a scan do (turned, scaled, blurred, darker, noisy, one page upside down, pages shuffled).
What was marked is known from the drawing, never from the scanner: every mark must be read.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path

import cv2
import pytest

from generator import answersheet
from tests.conftest import ROOT, run_cli
from tests.sheet_marks import (
    SPEC,
    add_choices,
    blank_qr,
    blot,
    degrade,
    image_pdf,
    mark_sheet,
    rasterise,
    sheets_of,
)

pytestmark = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftoppm") is None,
                                reason="needs pdflatex and pdftoppm")


@pytest.fixture(scope="module")
def sheets_build(tmp_path_factory):
    """A 3-variant build (no roster: id grids) with choice items, and its answer sheets' PDF."""
    folder = tmp_path_factory.mktemp("sheets")
    out = folder / "build"
    result = run_cli("build", str(SPEC), "--variants", "3", "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stderr
    key = out / "key.json"
    document = add_choices(key, seed=5)
    pdf = folder / "sheets.pdf"
    answersheet.write_pdf(document, pdf)
    return folder, key, document, pdf


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as file:     # grade's CSVs start with a BOM (Excel)
        return list(csv.DictReader(file))


def _responses(out: Path) -> dict[tuple[str, int, str], str]:
    return {(r["student"], int(r["slot"]), r["field"]): r["value"] for r in _rows(out / "responses.csv")}


def _marked_pages(document, pdf, dpi, folder, seed):
    """Every sheet page rasterised and marked: (image, variant, expected letters, id marked)."""
    pages = rasterise(pdf, dpi, folder)
    rng = random.Random(seed)
    marked = []
    index = 0
    for sheet in sheets_of(document):
        for page in sheet.pages:
            student_id = "".join(rng.choice("0123456789") for _ in range(answersheet.ID_COLUMNS)) \
                if page.id_grid else None
            expected = mark_sheet(pages[index], page, dpi, rng, student_id)
            marked.append((pages[index], sheet.variant, expected, student_id))
            index += 1
    assert index == len(pages)
    return marked


def _expected(marked) -> dict[tuple[str, int, str], str]:
    return {(variant, slot, name): letters for _, variant, expected, _ in marked
            for (slot, name), letters in expected.items()}


def test_layout_fits_the_page_and_boxes_do_not_overlap():
    record = {"key": "007", "code": "ABCDEFGH", "problems": [
        {"slot": s, "parts": {"a": {"fields": [f"f{i}" for i in range(10)]}},
         "choices": {f"f{i}": {"options": ["x"] * (2 + i % 5), "right": [0], "multi": i == 3} for i in range(10)}}
        for s in range(1, 8)]}
    sheet = answersheet.sheet_layout(record)
    # 70 items in two columns: 13 rows below the id grid on page 1 (from 144 mm to 273 mm at
    # 9.5 mm a row), up to 22 rows below the header on page 2 (from 59 mm)
    assert sheet is not None and [len(p.rows) for p in sheet.pages] == [26, 44]
    assert sheet.pages[0].id_grid and not sheet.pages[1].id_grid
    boxes = [b for p in sheet.pages[:1] for item in p.rows for b in item.boxes]
    boxes += [b for column in sheet.pages[0].id_grid for b in column]
    (left, top), (right, _), (_, bottom), _ = answersheet.mark_centres()
    for box in boxes:
        assert left <= box.x and box.x + box.size <= right and box.y > answersheet.HEADER_BOTTOM \
            and box.y + box.size < bottom - answersheet.MARK_SIZE / 2
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a.x + a.size <= b.x or b.x + b.size <= a.x or a.y + a.size <= b.y or b.y + b.size <= a.y
    assert [b.mark for b in sheet.pages[0].rows[4].boxes] == ["A", "B", "C", "D", "E", "F"]
    assert sheet.pages[0].rows[3].multi and sheet.pages[0].rows[3].label == "1 f3"


@pytest.mark.parametrize("dpi", [150, 200, 300])
def test_every_mark_is_read_clean_and_degraded(sheets_build, tmp_path, dpi):
    _, key, document, pdf = sheets_build
    marked = _marked_pages(document, pdf, dpi, tmp_path, seed=dpi)
    expected = _expected(marked)
    assert len(expected) >= 20 and any(len(v) > 1 for v in expected.values())
    rng = random.Random(dpi + 1)
    clean, degraded = [], []
    for i, (image, *_rest) in enumerate(marked):
        path = tmp_path / f"clean-{i}.png"
        cv2.imwrite(str(path), image)
        clean.append(path)
        degraded.append(degrade(image, rng, upside_down=i == 1))
    rng.shuffle(degraded)
    if dpi == 200:     # as a scanner writes them: one PDF of JPEG pages
        scans = [tmp_path / "scanned.pdf"]
        image_pdf(degraded, dpi, scans[0])
    else:
        scans = []
        for i, image in enumerate(degraded):
            scans.append(tmp_path / f"scan-{i}.jpg")
            cv2.imwrite(str(scans[-1]), image, [cv2.IMWRITE_JPEG_QUALITY, 85])
    ids = {variant: student_id for _, variant, _, student_id in marked}
    for name, files in (("clean", clean), ("degraded", scans)):
        out = tmp_path / f"read-{name}"
        result = run_cli("scan", *map(str, files), "--key", str(key), "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert _responses(out) == expected, name
        assert _rows(out / "problems.csv") == [], name
        assert {r["variant"]: r["student_id"] for r in _rows(out / "ids.csv")} == ids
        assert len(list((out / "checked").glob("*.png"))) == len(marked)


def test_unreadable_sheets_ambiguous_mark_and_duplicate_are_reported(sheets_build, tmp_path):
    _, key, document, pdf = sheets_build
    marked = _marked_pages(document, pdf, 200, tmp_path, seed=11)
    sheets = sheets_of(document)
    blank_qr(marked[0][0], 200)                          # variant 1: no QR code
    item = sheets[1].pages[0].rows[2]                    # variant 2: one box neither crossed nor filled
    blot(marked[1][0], item.boxes[0], 200, 0.62)
    torn = marked[2][0].copy()                           # variant 3 again, a corner mark torn off
    (x, y), size = answersheet.geometry()["marks"][3], answersheet.MARK_SIZE
    cv2.rectangle(torn, (round(x * 200 / 25.4) - 5, round(y * 200 / 25.4) - 5),
                  (round((x + size) * 200 / 25.4) + 5, round((y + size) * 200 / 25.4) + 5), 255, -1)
    files = []
    for i, image in enumerate([m[0] for m in marked] + [marked[2][0], torn]):   # variant 3 scanned twice
        files.append(tmp_path / f"page-{i}.png")
        cv2.imwrite(str(files[-1]), image)
    out = tmp_path / "read"
    result = run_cli("scan", *map(str, files), "--key", str(key), "--out", str(out))
    assert result.returncode == 0, result.stderr
    problems = _rows(out / "problems.csv")
    reasons = [(p["file"], p["reason"]) for p in problems]
    assert {p["page"] for p in problems} == {"1"}
    assert any(f == "page-0.png" and "no QR code" in r for f, r in reasons), reasons
    assert any(f == "page-1.png" and f"question {item.label}:" in r and "box A" in r for f, r in reasons), reasons
    assert any(f == "page-3.png" and "scanned twice" in r and "read the same" in r for f, r in reasons), reasons
    assert any(f == "page-4.png" and "bottom right corner mark was not found" in r for f, r in reasons), reasons
    assert len(problems) == 4
    for p in problems:
        assert (out / p["picture"]).is_file()
    got = _responses(out)
    want = _expected(marked[1:])
    want.pop((sheets[1].variant, item.slot, item.field), None)       # not guessed
    assert got == want
    assert not any(student == sheets[0].variant for student, _, _ in got)


@pytest.fixture(scope="module")
def choice_build(tmp_path_factory):
    """A real build of the shipped choice spec (options from the problems' declared mistakes,
    one slot with negative marking, one with typed fields beside its choices) and its sheets."""
    folder = tmp_path_factory.mktemp("choice")
    out = folder / "build"
    result = run_cli("build", str(ROOT / "exams" / "demo-choice.yaml"), "--variants", "3", "--no-pdf",
                     "--out", str(out))
    assert result.returncode == 0, result.stderr
    key = out / "key.json"
    document = json.loads(key.read_text(encoding="utf-8"))
    pdf = folder / "sheets.pdf"
    answersheet.write_pdf(document, pdf)
    return key, document, pdf


def _share_earned(record: dict, letters: str) -> float:
    """The scoring rules as the README states them, worked out here: the right letters score 1;
    a wrong single choice -1/(n-1) under negative marking, else 0; nothing marked 0."""
    marked = {"ABCDEFGHIJKLMNOPQRSTUVWXYZ".index(c) for c in letters}
    if not marked:
        return 0.0
    if marked == set(record["right"]):
        return 1.0
    assert not record["multi"]          # the shipped spec asks single choices only
    return -1.0 / (len(record["options"]) - 1) if record["scoring"] == "negative" else 0.0


def test_scanned_responses_grade_to_the_expected_scores(choice_build, tmp_path):
    key, document, pdf = choice_build
    marked = _marked_pages(document, pdf, 200, tmp_path, seed=3)
    files = []
    for i, (image, *_rest) in enumerate(marked):
        files.append(tmp_path / f"p{i}.png")
        cv2.imwrite(str(files[-1]), image)
    out = tmp_path / "read"
    assert run_cli("scan", *map(str, files), "--key", str(key), "--out", str(out)).returncode == 0
    graded = tmp_path / "graded"
    result = run_cli("grade", str(key), str(out / "responses.csv"), "--out", str(graded))
    assert result.returncode == 0, result.stderr
    expected: dict[str, float] = {}
    given = _expected(marked)
    negative = 0
    for variant in document["variants"]:
        total = 0.0
        for entry in variant["problems"]:
            for part in entry["parts"].values():
                for name in part["fields"]:
                    record = entry.get("choices", {}).get(name)
                    if record is None:          # a typed field: not on the sheet, unanswered
                        continue
                    earned = _share_earned(record, given.get((variant["key"], entry["slot"], name), ""))
                    negative += earned < 0
                    total += part["points"] / len(part["fields"]) * earned
        expected[variant["key"]] = round(total, 2)
    scores = {r["student"]: float(r["total"]) for r in _rows(graded / "scores.csv")}
    assert scores == pytest.approx(expected, abs=0.006)
    assert negative > 0 and len(set(expected.values())) > 1


def test_bad_input_is_one_line(sheets_build, tmp_path):
    folder, key, document, pdf = sheets_build
    garbage = tmp_path / "scan.png"
    garbage.write_bytes(b"not an image at all")
    plain = tmp_path / "plain.json"
    stripped = json.loads(key.read_text(encoding="utf-8"))
    for variant in stripped["variants"]:
        for entry in variant["problems"]:
            entry.pop("choices")
    plain.write_text(json.dumps(stripped), encoding="utf-8")
    for args, words in (((str(garbage), "--key", str(key)), "image cannot be read"),
                        ((str(pdf), "--key", str(plain)), "no choice items"),
                        ((str(tmp_path / "missing.pdf"), "--key", str(key)), "does not exist"),
                        ((str(key), "--key", str(key)), "not a scan format")):
        result = run_cli("scan", *args, "--out", str(tmp_path / "out"))
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and words in lines[0] and "Traceback" not in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_build_appends_the_sheet_to_each_exam(tmp_path, monkeypatch):
    """A roster build with PDFs whose key has choice items (the fixture, patched into the key
    exporter): each exam ends with its sheet, the exam says where to mark, and a scan of the
    exams' print file reads the students under their ids."""
    from generator import cli
    from generator.exports import key as key_export

    def with_choices(plan, variants):
        document = real(plan, variants)
        path = tmp_path / "fixture.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        return add_choices(path, seed=1)

    real = key_export.key_document
    monkeypatch.setattr(key_export, "key_document", with_choices)
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name\ns1001,Ada Lovelace\ns1002,Alan Turing\n", encoding="utf-8")
    out = tmp_path / "build"
    monkeypatch.chdir(ROOT)
    assert cli.main(["build", str(SPEC), "--roster", str(roster), "--out", str(out)]) == 0
    import pikepdf

    for student in ("s1001", "s1002"):
        folder = out / "variants" / student
        with pikepdf.open(folder / "exam.pdf") as exam, pikepdf.open(folder / "answer-sheet.pdf") as sheet:
            assert len(sheet.pages) == 1 and len(exam.pages) % 2 == 0
            exam_only = json.loads((out / ".examgen" / "manifest.json").read_text())["documents"]["exam"]["pages"]
            assert len(exam.pages) == exam_only[0] + 2         # its pages, the sheet, a blank back
        assert (folder / "answer-sheet.tex").is_file()
    text = (out / "variants" / "s1001" / "exam.tex").read_text(encoding="utf-8")
    assert "Mark your answers to the choice questions on the answer sheet" in text
    scans = tmp_path / "print"
    scans.mkdir()
    files = []
    for image in rasterise(out / "all-exams.pdf", 150, scans):
        files.append(scans / f"{len(files)}.png")
        cv2.imwrite(str(files[-1]), image)
    read = tmp_path / "read"
    result = run_cli("scan", *map(str, files), "--key", str(out / "key.json"), "--out", str(read))
    assert result.returncode == 0, result.stderr
    problems = _rows(read / "problems.csv")
    # the exam pages and the blank backs are listed as not being sheets; both sheets are read
    assert all("corner mark" in p["reason"] for p in problems) and len(problems) == len(files) - 2
    assert "read 2 of" in result.stdout and "2 students" in result.stdout
    assert not (read / "ids.csv").exists()
