"""Test and benchmark helpers for answer sheets: a key with choice items, pen-like marks drawn
onto rasterised sheets, and the damage a scanner or a photocopier does.

`add_choices` is a FIXTURE: it writes `choices` entries (the key.json contract of choice
items) into the key of a real build, for builds made while the bank has no choice items of
its own. Everything else here only draws: positions come from generator.answersheet's
layout (in mm), turned into pixels at the rasterising resolution.
"""

from __future__ import annotations

import json
import random
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from generator import answersheet

SPEC = Path(__file__).resolve().parent.parent / "benchmarks" / "three.yaml"


def add_choices(key_path: Path, seed: int = 0) -> dict[str, Any]:
    """FIXTURE: give every answer field of the key a `choices` entry (2 to 6 options, one or,
    for some fields, several right), as the choice items' contract describes. The options
    are placeholders: scanning and grading read the letters, not the texts."""
    rng = random.Random(seed)
    document = json.loads(key_path.read_text(encoding="utf-8"))
    for variant in document["variants"]:
        for entry in variant["problems"]:
            choices = {}
            for part in entry["parts"].values():
                for name in part["fields"]:
                    count = rng.randint(2, 6)
                    multi = count >= 4 and rng.random() < 0.3
                    right = sorted(rng.sample(range(count), 2)) if multi else [rng.randrange(count)]
                    choices[name] = {"options": [f"option {i + 1} of {name}" for i in range(count)],
                                     "right": right, "multi": multi, "mistakes": {},
                                     "scoring": "all-or-nothing"}
            entry["choices"] = choices
    key_path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return document


def rasterise(pdf: Path, dpi: int, folder: Path) -> list[np.ndarray]:
    """The PDF's pages as grey images at `dpi` (pdftoppm, as a scanner's driver would see them)."""
    prefix = folder / f"page-{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), str(prefix)], check=True)
    return [cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in sorted(folder.glob(f"page-{dpi}-*.pgm"))]


def _px(mm: float, dpi: int) -> float:
    return mm * dpi / 25.4


def cross(image: np.ndarray, box: answersheet.Box, dpi: int, rng: random.Random) -> None:
    """A hand-drawn cross: two strokes corner to corner, ends off by up to 0.6 mm, a pen 0.3
    to 0.6 mm wide and not quite black."""
    ink = rng.randint(10, 70)
    width = max(1, round(_px(rng.uniform(0.3, 0.6), dpi)))
    for (x0, y0), (x1, y1) in (((0, 0), (1, 1)), ((1, 0), (0, 1))):
        start = (box.x + x0 * box.size + rng.uniform(-0.6, 0.6), box.y + y0 * box.size + rng.uniform(-0.6, 0.6))
        end = (box.x + x1 * box.size + rng.uniform(-0.6, 0.6), box.y + y1 * box.size + rng.uniform(-0.6, 0.6))
        cv2.line(image, (round(_px(start[0], dpi)), round(_px(start[1], dpi))),
                 (round(_px(end[0], dpi)), round(_px(end[1], dpi))), ink, width, cv2.LINE_AA)


def fill(image: np.ndarray, box: answersheet.Box, dpi: int, rng: random.Random) -> None:
    """A box filled in by hand (the sheet's way to undo a cross): an uneven blot over most of
    the box, a little over or short of its edges."""
    corners = [(box.x, box.y), (box.x + box.size, box.y), (box.x + box.size, box.y + box.size),
               (box.x, box.y + box.size)]
    points = np.array([(round(_px(x + rng.uniform(-0.4, 0.3), dpi)), round(_px(y + rng.uniform(-0.4, 0.3), dpi)))
                       for x, y in corners], dtype=np.int32)
    cv2.fillPoly(image, [points], rng.randint(10, 60))


def blot(image: np.ndarray, box: answersheet.Box, dpi: int, share: float) -> None:
    """Ink over the left `share` of a box's inside: neither a cross nor filled when about 0.6."""
    from generator.scan import BOX_INSET

    inside = box.size - 2 * BOX_INSET
    x0, y0 = box.x + BOX_INSET, box.y + BOX_INSET
    cv2.rectangle(image, (round(_px(box.x + 0.3, dpi)), round(_px(box.y + 0.3, dpi))),
                  (round(_px(box.x + box.size - 0.3, dpi)), round(_px(box.y + box.size - 0.3, dpi))), 255, -1)
    cv2.rectangle(image, (round(_px(x0 - 1, dpi)), round(_px(y0 - 1, dpi))),
                  (round(_px(x0 + share * inside, dpi)), round(_px(y0 + inside + 1, dpi))), 30, -1)


def mark_sheet(image: np.ndarray, page: answersheet.Page, dpi: int, rng: random.Random,
               student_id: str | None = None) -> dict[tuple[int, str], str]:
    """Mark a random choice on every item of `page` (some left blank, some with a cross
    filled in again, some with several crosses); returns the letters that count as marked
    per (slot, field)."""
    expected: dict[tuple[int, str], str] = {}
    for item in page.rows:
        marked = ""
        roll = rng.random()
        if roll < 0.1:
            continue                              # not answered
        chosen = rng.sample(item.boxes, 2 if (item.multi or roll > 0.9) and len(item.boxes) > 2 else 1)
        for box in sorted(chosen, key=lambda b: b.mark):
            cross(image, box, dpi, rng)
            marked += box.mark
        if rng.random() < 0.25:                   # a change of mind: another box crossed, then filled
            others = [b for b in item.boxes if b not in chosen]
            if others:
                undone = rng.choice(others)
                cross(image, undone, dpi, rng)
                fill(image, undone, dpi, rng)
        if marked:
            expected[(item.slot, item.field)] = "".join(sorted(marked))
    if student_id is not None:
        for column, digit in zip(page.id_grid, student_id, strict=False):
            cross(image, column[int(digit)], dpi, rng)
    return expected


def degrade(image: np.ndarray, rng: random.Random, upside_down: bool = False) -> np.ndarray:
    """A scan of a photocopy: turned by up to 3 degrees, scaled 97 to 103 %, blurred, darker
    and lower in contrast, with noise; upside down when asked."""
    height, width = image.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), rng.uniform(-3, 3), rng.uniform(0.97, 1.03))
    out = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)
    out = cv2.GaussianBlur(out, (5, 5), rng.uniform(0.6, 1.2))
    grey = rng.uniform(0.7, 0.8)                  # paper comes out grey, ink not quite black
    out = out.astype(np.float32) * grey + rng.uniform(20, 40)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(5, 10), out.shape)
    out = np.clip(out + noise, 0, 255).astype(np.uint8)
    return cv2.rotate(out, cv2.ROTATE_180) if upside_down else out


def blank_qr(image: np.ndarray, dpi: int) -> None:
    """Paint the QR code over white (a sticker, a torn corner)."""
    x, y, size = answersheet.QR_LEFT, answersheet.QR_TOP, answersheet.QR_SIZE
    cv2.rectangle(image, (round(_px(x, dpi)), round(_px(y, dpi))),
                  (round(_px(x + size, dpi)), round(_px(y + size, dpi))), 255, -1)


def image_pdf(images: Sequence[np.ndarray], dpi: int, target: Path) -> None:
    """A PDF as a scanner writes it: each page one JPEG image at `dpi`."""
    import pikepdf

    with pikepdf.new() as pdf:
        for image in images:
            ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 85])
            assert ok
            height, width = image.shape
            stream = pikepdf.Stream(pdf, jpeg.tobytes(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image,
                                    Width=width, Height=height, ColorSpace=pikepdf.Name.DeviceGray,
                                    BitsPerComponent=8, Filter=pikepdf.Name.DCTDecode)
            w, h = width * 72 / dpi, height * 72 / dpi
            page = pdf.add_blank_page(page_size=(w, h))
            page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream))
            page.Contents = pdf.make_stream(f"q {w:.3f} 0 0 {h:.3f} 0 0 cm /Im0 Do Q".encode())
        pdf.save(target)


def sheets_of(document: Mapping[str, Any]) -> list[answersheet.Sheet]:
    return list(answersheet.sheets(document).values())
