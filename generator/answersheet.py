"""The paper answer sheet of a variant's choice items: one layout, read by the template and the scanner.

A variant whose key entries hold `choices` (see generator.exports.key) gets an answer sheet:
four corner marks (the scanner warps the page onto them), a QR code with the variant code and
the sheet page, the student id printed (roster builds) or an id grid to mark, and one row of
boxes per choice item. Every position is computed here, in millimetres from the page's top
left corner (y downwards), once: `templates/answersheet.tex.j2` draws the boxes where
`sheet_layout` puts them and `generator.scan` looks for the marks in the same places, so the
two can never disagree. The layout depends on the key's variant record only, so the scanner
rebuilds it from key.json.

The QR code is drawn after pdflatex (as on exam pages, see generator.variantcode): it
encodes `EXAMGEN:<code>:A<page>`, `A` telling a sheet page from an exam page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from generator.errors import ExamgenError
from generator.variantcode import PREFIX, stamp_pages

PAGE_WIDTH = 210.0           # A4, mm
PAGE_HEIGHT = 297.0
MARK_SIZE = 10.0             # corner marks: solid squares; larger than any box or QR finder
MARK_INSET = 10.0            # from the page edge to a mark's outer edge (printers leave ~5 mm)
QR_SIZE = 26.0               # with its 2-module quiet zone: ~0.9 mm a module, 5 px at 150 dpi
QR_LEFT = PAGE_WIDTH - MARK_INSET - QR_SIZE
QR_TOP = MARK_INSET + MARK_SIZE + 3.0
BOX = 6.0                    # a box's side: a pen cross covers 20-50 % of it, a fill 75-100 %
BOX_PITCH = 10.0             # from one box to the next in a row: its letter and a gap
ROW_PITCH = 9.5              # from one item row to the next
BOX_LEFT = 3.0               # room for the first box's letter
LABEL_WIDTH = 26.0           # an item's label (question, part, field) before its boxes
COLUMN_GAP = 6.0
MARGIN = MARK_INSET + MARK_SIZE / 2     # text and boxes stay between the marks' centres
ITEMS_BOTTOM = PAGE_HEIGHT - MARK_INSET - MARK_SIZE - 4.0
HEADER_BOTTOM = QR_TOP + QR_SIZE + 4.0  # below the title, name and QR code
ID_COLUMNS = 8               # digits of a student id in the grid (builds without a roster)
ID_PITCH = 7.5               # grid: from one digit's box to the next, across and down
ID_TOP = HEADER_BOTTOM + 12.0          # below the write-in boxes of the id
LETTERS = "ABCDEFGHIJKL"
SHEET_PAGE = "A"             # in the QR payload: `EXAMGEN:<code>:A1` is sheet page 1


@dataclass(frozen=True)
class Box:
    """A box to mark, its top left corner and side in mm; `mark` is what marking it means
    (an option's letter, or a digit of the id grid)."""

    x: float
    y: float
    size: float
    mark: str


@dataclass(frozen=True)
class Item:
    """One choice item's row: slot and field as the key names them, its printed label, and
    its boxes A, B, ... in printed order."""

    slot: int
    field: str
    label: str
    multi: bool
    x: float
    y: float
    boxes: tuple[Box, ...]


@dataclass(frozen=True)
class Page:
    number: int
    rows: tuple[Item, ...]           # the choice items, one row of boxes each
    id_grid: tuple[tuple[Box, ...], ...] = ()     # per id column, the boxes of the digits 0-9


@dataclass(frozen=True)
class Sheet:
    """A variant's whole answer sheet."""

    variant: str
    code: str
    student_id: str | None           # printed (roster builds); None: the id grid is marked
    student_name: str | None
    pages: tuple[Page, ...]


def mark_centres() -> tuple[tuple[float, float], ...]:
    """The corner marks' centres: top left, top right, bottom left, bottom right."""
    near, far_x, far_y = MARK_INSET + MARK_SIZE / 2, PAGE_WIDTH - MARK_INSET - MARK_SIZE / 2, \
        PAGE_HEIGHT - MARK_INSET - MARK_SIZE / 2
    return ((near, near), (far_x, near), (near, far_y), (far_x, far_y))


def qr_payload(code: str, page: int) -> str:
    return f"{PREFIX}:{code}:{SHEET_PAGE}{page}"


def parse_payload(text: str) -> tuple[str, int] | None:
    """(variant code, sheet page) of a sheet's QR text; None for anything else."""
    parts = text.strip().split(":")
    if len(parts) != 3 or parts[0] != PREFIX or not parts[2].startswith(SHEET_PAGE):
        return None
    number = parts[2][len(SHEET_PAGE):]
    return (parts[1], int(number)) if number.isdigit() else None


def choice_items(record: Mapping[str, Any]) -> list[tuple[int, str, str, int, bool]]:
    """(slot, field, label, options, multi) of a key variant's choice items, in printed order."""
    out = []
    for entry in record.get("problems", []):
        choices = entry.get("choices") or {}
        parts = list(entry.get("parts", {}).items())
        for index, (_, part) in enumerate(parts):
            for name in part.get("fields", []):
                if name not in choices:
                    continue
                letter = f" ({chr(ord('a') + index)})" if len(parts) > 1 else ""
                out.append((int(entry["slot"]), name, f"{entry['slot']}{letter} {name}",
                            len(choices[name]["options"]), bool(choices[name].get("multi"))))
    return out


def _row_width(options: int) -> float:
    """The width of an item's row: its label, the first letter, the boxes."""
    return LABEL_WIDTH + BOX_LEFT + (options - 1) * BOX_PITCH + BOX


def _id_grid() -> tuple[tuple[Box, ...], ...]:
    return tuple(tuple(Box(MARGIN + c * ID_PITCH, ID_TOP + d * ID_PITCH, BOX, str(d)) for d in range(10))
                 for c in range(ID_COLUMNS))


def id_write_in_top() -> float:
    """Where the boxes for writing the id digits by hand stand (above the grid)."""
    return ID_TOP - 9.0


def sheet_layout(record: Mapping[str, Any]) -> Sheet | None:
    """The answer sheet of a key.json variant record; None when it has no choice items."""
    items = choice_items(record)
    if not items:
        return None
    widest = max(options for _, _, _, options, _ in items)
    if widest > len(LETTERS):
        slot, name = next((s, f) for s, f, _, o, _ in items if o == widest)
        raise ExamgenError(f"a choice item with {widest} options does not fit the answer sheet (at most "
                           f"{len(LETTERS)})", f"slot {slot}, field {name}", "ask for fewer options")
    student = record.get("student")
    half = (PAGE_WIDTH - 2 * MARGIN - COLUMN_GAP) / 2
    columns = 2 if _row_width(widest) <= half else 1      # two columns of rows when the rows fit
    width = (PAGE_WIDTH - 2 * MARGIN - (columns - 1) * COLUMN_GAP) / columns
    pages: list[Page] = []
    queue = list(items)
    while queue:
        first = not pages
        grid = _id_grid() if first and not student else ()
        top = (ID_TOP + 10 * ID_PITCH + 4.0) if grid else HEADER_BOTTOM + 6.0
        rows = max(1, int((ITEMS_BOTTOM - top) // ROW_PITCH))
        placed: list[Item] = []
        for column in range(columns):
            x = MARGIN + column * (width + COLUMN_GAP)
            for row in range(rows):
                if not queue:
                    break
                slot, name, label, options, multi = queue.pop(0)
                y = top + row * ROW_PITCH
                boxes = tuple(Box(x + LABEL_WIDTH + BOX_LEFT + i * BOX_PITCH, y, BOX, LETTERS[i]) for i in range(options))
                placed.append(Item(slot, name, label, multi, x, y, boxes))
        pages.append(Page(len(pages) + 1, tuple(placed), grid))
    return Sheet(str(record["key"]), str(record.get("code", "")),
                 str(student["id"]) if student else None, str(student.get("name", "")) if student else None,
                 tuple(pages))


def sheets(key_document: Mapping[str, Any]) -> dict[str, Sheet]:
    """Every variant's answer sheet (variant key -> sheet), for the variants with choice items."""
    out = {}
    for record in key_document.get("variants", []):
        sheet = sheet_layout(record)
        if sheet is not None:
            out[sheet.variant] = sheet
    return out


def template_context(sheet: Sheet) -> dict[str, Any]:
    """What templates/answersheet.tex.j2 draws for one variant: the sheet as plain data, plus
    the fixed geometry (marks, QR place), all in mm from the top left."""
    return {**asdict(sheet), "page_count": len(sheet.pages)}


def geometry() -> dict[str, Any]:
    """The fixed geometry every page shares (the template's `g`), in mm from the top left."""
    left = MARK_INSET + MARK_SIZE + 5.0            # text right of the top left mark
    return {"width": PAGE_WIDTH, "height": PAGE_HEIGHT, "mark": MARK_SIZE,
            "marks": [(x - MARK_SIZE / 2, y - MARK_SIZE / 2) for x, y in mark_centres()],
            "qr": {"x": QR_LEFT, "y": QR_TOP, "size": QR_SIZE}, "margin": MARGIN,
            "text": (left, MARK_INSET, MARK_INSET + 7.0, MARK_INSET + 14.0),   # x; title, sheet, name lines
            "instructions": HEADER_BOTTOM - 16.0,
            "id_caption": id_write_in_top() - 1.0, "id_write_in": id_write_in_top(), "write_in": 6.0,
            "box": BOX, "half": BOX / 2, "label_width": LABEL_WIDTH - 2.0,
            "label_drop": BOX / 2 - 1.3}    # a label's first line centred on its boxes


def note(sheet: Sheet) -> dict[str, Any]:
    """What the exam pages say about the sheet (templates/exam.tex.j2)."""
    return {"pages": len(sheet.pages), "items": sum(len(p.rows) for p in sheet.pages)}


# ---------------------------------------------------------------- the PDF

MM = 72.0 / 25.4             # PDF points per mm


def stamp_sheet_qr_codes(pdf_path: Path, counts: Sequence[int], codes: Sequence[str]) -> None:
    """Draw each sheet page's QR code onto a compiled answer-sheet document holding consecutive
    variants of `counts` pages each (in place: the file is replaced whole)."""
    def place(box: Any) -> tuple[float, float, float]:
        return QR_LEFT * MM, float(box[3]) - (QR_TOP + QR_SIZE) * MM, QR_SIZE * MM

    stamp_pages(pdf_path, counts, codes, place, qr_payload, "/ExamgenSheetQR", "sheets")


def with_sheets(exam_pdfs: Sequence[tuple[Path, Sequence[str], Sequence[int]]],
                sheet_pdfs: Sequence[tuple[Path, Sequence[str], Sequence[int]]],
                pad_to: int, target: Path) -> dict[str, int]:
    """One PDF of every variant's exam pages followed by its sheet pages and blank pages up to a
    multiple of `pad_to` (duplex: the next booklet starts on a fresh sheet of paper). The
    inputs are combined documents, each (path, variant keys, pages per variant), in variant
    order. Returns each variant's page count in `target`."""
    import pikepdf

    opened: list[Any] = []
    try:
        sheet_pages: dict[str, list[Any]] = {}
        for path, keys, counts in sheet_pdfs:
            pdf = pikepdf.open(path)
            opened.append(pdf)
            start = 0
            for key, count in zip(keys, counts, strict=True):
                sheet_pages[key] = list(pdf.pages[start:start + count])
                start += count
        pages: dict[str, int] = {}
        with pikepdf.new() as joined:
            for path, keys, counts in exam_pdfs:
                pdf = pikepdf.open(path)
                opened.append(pdf)
                start = 0
                for key, count in zip(keys, counts, strict=True):
                    joined.pages.extend(pdf.pages[start:start + count])
                    start += count
                    extra = sheet_pages.get(key, [])
                    joined.pages.extend(extra)
                    total = count + len(extra)
                    while extra and total % max(1, pad_to):
                        box = extra[-1].mediabox
                        joined.add_blank_page(page_size=(float(box[2]), float(box[3])))
                        total += 1
                    pages[key] = total
            joined.save(target, deterministic_id=True)
        return pages
    finally:
        for pdf in opened:
            pdf.close()


# ---------------------------------------------------------------- the document

SHEET = "answersheet"        # the sheet's name among a build's documents (no '-': names are split on it)
FILENAME = "answer-sheet.pdf"
TEX_FILENAME = "answer-sheet.tex"


def render(title: str, sheets: Sequence[Sheet], language: str = "en") -> str:
    """One LaTeX document of the given variants' answer sheets."""
    from generator import markers, usertext
    from generator.render import render_template

    # a roster name in another script: the lualatex font set-up, as on the student's exam
    unicode = any(usertext.needs_unicode_fonts(s.student_name or "") for s in sheets)
    return render_template("answersheet.tex.j2", {"exam": {"title": title}, "g": geometry(),
                                                  "variants": [template_context(s) for s in sheets],
                                                  "names": markers.context(), "unicode_fonts": unicode},
                           language=language)


def write_pdf(key_document: Mapping[str, Any], target: Path) -> dict[str, Sheet]:
    """Compile the answer sheets of every variant of a key.json with choice items into one PDF
    (the same pages a build appends to its exams): for printing sheets again from a key. The
    sheets written, by variant key; an error when the key has no choice item."""
    import tempfile

    from generator.build import Document, compile_document, page_counts

    chosen = sheets(key_document)
    if not chosen:
        raise ExamgenError("the key has no choice items, so there is no answer sheet", "key.json",
                           "build an exam with choice items (form: choice in the spec)")
    title = str(key_document.get("exam", {}).get("title", ""))
    document = Document(SHEET, render(title, list(chosen.values())), tuple(chosen))
    with tempfile.TemporaryDirectory(prefix="examgen-sheets-") as work:
        pdf = compile_document(document, Path(work))
        counts = page_counts((Path(work) / f"{SHEET}.aux").read_text(encoding="utf-8"), len(chosen))
        stamp_sheet_qr_codes(pdf, counts, [s.code for s in chosen.values()])
        Path(target).write_bytes(pdf.read_bytes())
    return chosen
