"""The opaque variant code printed on exam pages, and the QR code that carries it per page.

A student's sheet must not reveal the exam seed: with the spec (often public) the seed
regenerates the whole key. Exam pages therefore print only `variant_code(seed, key)`, a keyed
digest (HMAC-SHA256 with the exam seed as the key, over the variant key) cut to 8 base32
characters: the instructor maps it back through key.json (`examgen lookup CODE KEY.json`),
while the code cannot be inverted to the seed. Solutions sheets keep the seed.

Every exam page also carries a QR code with `EXAMGEN:<code>:<page>`. The QR codes are drawn
after pdflatex, into the compiled PDF (segno computes the modules, pikepdf adds them as one
form per page): TeX's own qrcode package costs about 0.2 s of CPU per code, which for 300
students of 10 pages each would be ten minutes a build.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from generator.errors import ExamgenError

CODE_LENGTH = 8
PREFIX = "EXAMGEN"

# Where the QR code goes on an exam page, in PDF points from the page's bottom left corner: the
# right end of the footer, where templates/exam.tex.j2 leaves the footer empty for it.
QR_SIZE = 40.0          # 1.4 cm: about 3 px per module at 150 dpi for a 25-module code
QR_RIGHT = 36.0         # gap to the page's right edge
QR_BOTTOM = 12.0        # gap to the page's bottom edge: below the footer rule
QR_RESOURCE = "/ExamgenQR"
QR_LAYOUT = f"qr3 mask7 {PREFIX} {QR_SIZE} {QR_RIGHT} {QR_BOTTOM}"   # in the build's document hash: a change recompiles


def variant_code(exam_seed: int, variant_key: str) -> str:
    """The code of a variant: the same seed and key always give the same 8 characters."""
    digest = hmac.new(str(exam_seed).encode(), variant_key.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode()[:CODE_LENGTH]


def variant_codes(exam_seed: int, variant_keys: Sequence[str]) -> dict[str, str]:
    """Every variant's code (key -> code); two variants with one code (40 bits: about one exam
    in 7 billion at 300 variants) would make lookups ambiguous, so that is an error."""
    codes = {key: variant_code(exam_seed, key) for key in variant_keys}
    if len(set(codes.values())) != len(codes):
        raise ExamgenError("two variants got the same variant code", "seed",
                           "choose another exam seed (--seed or seed: in the spec)")
    return codes


def qr_payload(code: str, page: int) -> str:
    """What the QR code of a page encodes."""
    return f"{PREFIX}:{code}:{page}"


def find_variant(key_document: Mapping[str, Any], code: str) -> Mapping[str, Any] | None:
    """The variant of key.json with this code (upper or lower case; a QR payload works too)."""
    wanted = code.strip().upper()
    if wanted.startswith(PREFIX + ":"):
        wanted = wanted.split(":")[1]
    for variant in key_document.get("variants", []):
        if str(variant.get("code", "")).upper() == wanted:
            return variant
    return None


def qr_form(pdf: Any, payload: str) -> Any:
    """A form XObject of side 1 (scaled where it is placed) drawing the QR code of `payload`."""
    import pikepdf
    import segno

    # A fixed mask: choosing the best of the eight is 6 times the work (4.6 ms against 0.8 ms a
    # code, i.e. 14 s against 2 s for 300 exams of 10 pages), and OpenCV decoded 600 random codes
    # of ours as well with mask 7 as with the chosen one (one miss each, from the detector).
    matrix = [list(row) for row in segno.make_qr(payload, error="m", boost_error=False, mask=7).matrix]
    modules = len(matrix)
    quiet = 2                      # white margin in modules, painted so text never touches it
    side = modules + 2 * quiet
    ops = [f"1 g 0 0 {side} {side} re f 0 g"]
    for r, row in enumerate(matrix):
        c = 0
        while c < modules:
            if row[c]:
                start = c
                while c < modules and row[c]:
                    c += 1
                ops.append(f"{start + quiet} {side - quiet - r - 1} {c - start} 1 re")
            else:
                c += 1
    ops.append("f")
    scale = 1.0 / side
    content = f"q {scale:.6f} 0 0 {scale:.6f} 0 0 cm " + " ".join(ops) + " Q"
    return pikepdf.Stream(pdf, content.encode(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form,
                          BBox=pikepdf.Array([0, 0, 1, 1]))


def stamp_qr_codes(pdf_path: Path, counts: Sequence[int], codes: Sequence[str]) -> None:
    """Draw each page's QR code onto a compiled exam document holding consecutive variants of
    `counts` pages each (in place: the file is replaced whole)."""
    def place(box: Any) -> tuple[float, float, float]:
        return float(box[2]) - QR_RIGHT - QR_SIZE, float(box[1]) + QR_BOTTOM, QR_SIZE

    stamp_pages(pdf_path, counts, codes, place, qr_payload, QR_RESOURCE, "variants")


def stamp_pages(pdf_path: Path, counts: Sequence[int], codes: Sequence[str],
                place: Callable[[Any], tuple[float, float, float]], payload: Callable[[str, int], str],
                resource: str, what: str) -> None:
    """Draw a QR code on every page of a compiled document holding consecutive variants of
    `counts` pages each: page n of the variant with code c gets `payload(c, n)`, its lower left
    corner and side in PDF points from `place(mediabox)`. In place: the file is replaced whole."""
    import pikepdf

    if len(counts) != len(codes):
        raise ValueError("one page count per variant code")
    tmp = pdf_path.with_name(pdf_path.name + ".qr")
    with pikepdf.open(pdf_path) as pdf:
        if sum(counts) != len(pdf.pages):
            raise ExamgenError(f"{pdf_path.name}: {len(pdf.pages)} pages, but the {what} add up to {sum(counts)}")
        index = 0
        for count, code in zip(counts, codes, strict=True):
            for number in range(1, count + 1):
                page = pdf.pages[index]
                index += 1
                x, y, size = place(page.mediabox)
                # A fixed resource name (add_overlay draws a random one): the same build, the same bytes.
                name = page.add_resource(qr_form(pdf, payload(code, number)), pikepdf.Name.XObject,
                                         name=pikepdf.Name(resource), replace_existing=True)
                page.contents_add(pikepdf.Stream(pdf, b"q"), prepend=True)
                page.contents_add(pikepdf.Stream(pdf, f"Q q {size:g} 0 0 {size:g} {x:.3f} {y:.3f} cm "
                                                      f"{name} Do Q".encode()))
        pdf.save(tmp, deterministic_id=True)
    tmp.replace(pdf_path)
