"""Reading scanned answer sheets (`examgen scan`) into responses for `examgen grade`.

Each page of the scans (a PDF page that is one JPEG image, as scanners write them, decoded as
it is; any other PDF page rendered with pypdfium2; PNG/JPEG/TIFF images) goes through OpenCV: the four corner marks are found as the largest solid squares near the image
corners, the page is warped onto the layout of generator.answersheet (which also undoes a
rotation of a few degrees and a scale off by some per cent), the QR code is decoded at its
place (if not, the page is turned upside down and tried again), and the ink in each box is
measured. The layout comes from the key (`generator.answersheet.sheet_layout`), so a box is
looked for exactly where the template drew it.

What a box's ink means (the share of dark pixels inside it, its frame left out):

- below EMPTY_UP_TO: empty (specks, noise, a faint shadow of the frame);
- CROSS_FROM to CROSS_UP_TO: a cross or a tick, i.e. marked: two pen strokes across a 5 mm
  box cover 15 to 45 % of it, a heavy pen some more;
- from FILLED_FROM: filled in, which the sheet's instructions make the way to undo a cross:
  NOT marked;
- anything between these bands is ambiguous: that item is not guessed but reported.

A page that cannot be read (no corner marks, no QR code, an unknown variant code) and every
ambiguous item are listed in `problems.csv` with the reason and a picture; a sheet page scanned
twice and one student id marked on two variants' sheets are reported there too. Nothing is
dropped silently.

Outputs (one folder, swapped in whole, see generator.outdir): `responses.csv` in the grading
format (long form `student,slot,field,value`, a choice value being the letters marked, e.g.
`AC`), `problems.csv`, `ids.csv` (the student ids marked in the id grids of builds without a
roster) and `checked/<file>-p<N>.png`, each sheet as read with what was read drawn on it.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from generator import answersheet as layout
from generator.errors import ExamgenError

# The ink thresholds (share of dark pixels inside a box, its frame left out); see above.
EMPTY_UP_TO = 0.08       # a clean empty box reads 0-2 %; noise and a photocopier's grey add a few
CROSS_FROM = 0.12        # the thinnest ball-point cross covers about 15 % of a 6 mm box
CROSS_UP_TO = 0.60       # a 0.6 mm pen about 45 %, up to 55 % at 150 dpi (each stroke a pixel wider)
FILLED_FROM = 0.75       # a box filled in by hand leaves some white: 80 to 100 %
BOX_INSET = 0.7          # mm left out at each side of a box: its frame, and a warp off by a little

WARP = 6.0               # px per mm of the page once warped (about 150 dpi: a 0.3 mm stroke is 2 px)
PICTURE = 4.0            # px per mm of the checked pictures (about 100 dpi: encoding a noisy scan as
                         # PNG is most of the time a page takes, and it grows with the pixels)
FIND = 3.0               # px per mm at which the corner marks are looked for (fast, precise enough)
RENDER_DPI = 200         # PDF pages are rendered at this resolution
MARK_TOLERANCE = (0.7, 1.45)   # a mark's side against the layout's (scale, rotation, blur, print)
QR_MARGIN = 5.0          # mm around the QR code's place that is searched for it
IMAGES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
CORNERS = ("top left", "top right", "bottom left", "bottom right")


@dataclass(frozen=True)
class Task:
    """One page to read: `path`, page `index` (0-based; 0 for an image), and the picture name."""

    path: str
    index: int
    label: str           # "scan.pdf page 3", for messages
    picture: str         # the file name under checked/


@dataclass(frozen=True)
class PageReading:
    """What one page gave: the variant and sheet page from its QR code, the answers of its
    items read without doubt, the id marked in its grid, and its problems."""

    task: Task
    variant: str | None = None
    sheet_page: int | None = None
    answers: tuple[tuple[int, str, str], ...] = ()     # (slot, field, letters)
    student_id: str | None = None
    problems: tuple[str, ...] = ()
    readable: bool = False       # False: nothing of the page was used
    undecodable: bool = False    # the file's bytes are no image: bad input, not a problem page


@dataclass(frozen=True)
class ScanResult:
    out: Path
    pages: int
    sheets: int                  # pages read as sheets
    students: int
    problems: tuple[tuple[str, str], ...] = field(default_factory=tuple)   # (where, reason)


# ---------------------------------------------------------------- reading one image

def _binary(gray: Any, smooth: bool = True) -> Any:
    """Ink as 1, paper as 0, by Otsu's threshold (which follows a grey photocopy); `smooth`
    blurs first, against noise, for finding the marks: a box's ink is measured unblurred,
    since a blur widens every stroke."""
    import cv2

    source = cv2.GaussianBlur(gray, (3, 3), 0) if smooth else gray
    _, binary = cv2.threshold(source, 0, 1, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return binary


def find_marks(gray: Any) -> tuple[list[tuple[float, float]] | None, str]:
    """The corner marks' centres in image pixels (top left, top right, bottom left, bottom
    right of the image), or None and why not."""
    import cv2

    height, width = gray.shape
    per_mm = max(height, width) / layout.PAGE_HEIGHT    # a scan holds one page, about the page's size
    factor = min(1.0, FIND / per_mm)
    small = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else gray
    binary = _binary(small)
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    side = layout.MARK_SIZE * per_mm * factor
    low, high = MARK_TOLERANCE[0] * side, MARK_TOLERANCE[1] * side
    found = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if not (low <= w <= high and low <= h <= high):
            continue
        if cv2.contourArea(contour) < 0.8 * w * h or binary[y:y + h, x:x + w].mean() < 0.8:
            continue       # not a solid square: a letter, a QR finder, a frame
        moments = cv2.moments(contour)
        found.append((moments["m10"] / moments["m00"] / factor, moments["m01"] / moments["m00"] / factor))
    corners = [(0, 0), (width, 0), (0, height), (width, height)]
    chosen: list[tuple[float, float]] = []
    for name, (cx, cy) in zip(CORNERS, corners, strict=True):
        near = [p for p in found if abs(p[0] - cx) < width / 2 and abs(p[1] - cy) < height / 2]
        if not near:
            return None, f"the {name} corner mark was not found (covered, torn off, or outside the scan)"
        chosen.append(min(near, key=lambda p: (p[0] - cx) ** 2 + (p[1] - cy) ** 2))
    (tl, tr, bl, br) = chosen
    across = ((tr[0] - tl[0]) ** 2 + (tr[1] - tl[1]) ** 2) ** 0.5
    down = ((bl[0] - tl[0]) ** 2 + (bl[1] - tl[1]) ** 2) ** 0.5
    centres = layout.mark_centres()
    expected = (centres[1][0] - centres[0][0]) / (centres[2][1] - centres[0][1])
    if down == 0 or abs(across / down / expected - 1) > 0.08:
        return None, "the corner marks do not form the sheet's rectangle (a page turned by 90 degrees, or not a sheet)"
    return chosen, ""


def warp(gray: Any, marks: Sequence[tuple[float, float]]) -> Any:
    """The page mapped onto the layout at WARP px per mm (its marks where the layout has them)."""
    import cv2
    import numpy as np

    source = np.array(marks, dtype=np.float32)
    target = np.array([(x * WARP, y * WARP) for x, y in layout.mark_centres()], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, target)
    size = (round(layout.PAGE_WIDTH * WARP), round(layout.PAGE_HEIGHT * WARP))
    return cv2.warpPerspective(gray, matrix, size, flags=cv2.INTER_AREA, borderValue=255)


def read_qr(page: Any) -> str:
    """The text of the QR code at its place on a warped page ('' when none is read)."""
    import cv2

    x0 = max(0, round((layout.QR_LEFT - QR_MARGIN) * WARP))
    y0 = max(0, round((layout.QR_TOP - QR_MARGIN) * WARP))
    side = round((layout.QR_SIZE + 2 * QR_MARGIN) * WARP)
    crop = page[y0:y0 + side, x0:x0 + side]
    detector = cv2.QRCodeDetector()
    for image in (crop, cv2.resize(crop, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)):
        try:
            text, _, _ = detector.detectAndDecode(image)
        except cv2.error:
            text = ""
        if text:
            return text
    return ""


def ink(binary: Any, box: layout.Box) -> float:
    """The share of dark pixels inside a box, its frame (BOX_INSET) left out."""
    x0, y0 = round((box.x + BOX_INSET) * WARP), round((box.y + BOX_INSET) * WARP)
    x1, y1 = round((box.x + box.size - BOX_INSET) * WARP), round((box.y + box.size - BOX_INSET) * WARP)
    return float(binary[y0:y1, x0:x1].mean())


def state(ratio: float) -> str:
    """What a box's ink means: empty, marked (a cross), filled (undone) or unclear."""
    if ratio <= EMPTY_UP_TO:
        return "empty"
    if CROSS_FROM <= ratio <= CROSS_UP_TO:
        return "marked"
    if ratio >= FILLED_FROM:
        return "filled"
    return "unclear"


def _percent(ratio: float) -> str:
    return f"{100 * ratio:.0f} %"


def read_page(gray: Any, task: Task, sheets: Mapping[str, layout.Sheet], checked: Path | None) -> PageReading:
    """Read one page image (grey, 8 bit); draw what was read into `checked/task.picture`."""
    import cv2

    marks, why = find_marks(gray)
    if marks is None:
        return _unreadable(gray, task, checked, why)
    page = warp(gray, marks)
    text = read_qr(page)
    if not text:
        turned = cv2.rotate(page, cv2.ROTATE_180)
        text = read_qr(turned)
        if text:
            page = turned
    if not text:
        return _unreadable(page, task, checked, "no QR code could be read at its place (covered, torn or smudged)")
    parsed = layout.parse_payload(text)
    if parsed is None:
        return _unreadable(page, task, checked, f"the QR code reads '{text[:40]}', which is not an answer sheet's")
    code, number = parsed
    sheet = sheets.get(code.upper())
    if sheet is None:
        return _unreadable(page, task, checked, f"the variant code {code} is not in this key (a sheet of another exam?)")
    if not 1 <= number <= len(sheet.pages):
        return _unreadable(page, task, checked, f"the QR code names sheet page {number}, but variant {sheet.variant} "
                                                f"has {len(sheet.pages)}")
    layout_page = sheet.pages[number - 1]
    binary = _binary(page, smooth=False)
    states: dict[layout.Box, tuple[float, str]] = {}
    problems: list[str] = []
    answers: list[tuple[int, str, str]] = []
    for item in layout_page.rows:
        read = [(box, ink(binary, box)) for box in item.boxes]
        for box, ratio in read:
            states[box] = (ratio, state(ratio))
        unclear = [(box, ratio) for box, ratio in read if states[box][1] == "unclear"]
        if unclear:
            boxes = ", ".join(f"{box.mark} ({_percent(ratio)})" for box, ratio in unclear)
            problems.append(f"question {item.label}: box {boxes} is neither empty, a cross nor filled in: "
                            f"not read, check it by hand")
            continue
        letters = "".join(box.mark for box, _ in read if states[box][1] == "marked")
        if letters:
            answers.append((item.slot, item.field, letters))
    student_id = None
    if layout_page.id_grid:
        student_id, trouble = _read_id(binary, layout_page.id_grid, states)
        problems.extend(trouble)
    if checked is not None:
        _draw(page, states, layout_page, task, sheet, answers, student_id, problems, checked / task.picture)
    return PageReading(task, sheet.variant, number, tuple(answers), student_id, tuple(problems), readable=True)


def _read_id(binary: Any, grid: Sequence[Sequence[layout.Box]],
             states: dict[layout.Box, tuple[float, str]]) -> tuple[str | None, list[str]]:
    digits: list[str] = []
    trouble: list[str] = []
    for number, column in enumerate(grid, start=1):
        marked = []
        for box in column:
            ratio = ink(binary, box)
            states[box] = (ratio, state(ratio))
            if states[box][1] == "unclear":
                trouble.append(f"student id, column {number}: the box of {box.mark} ({_percent(ratio)}) is neither "
                               f"empty, a cross nor filled in")
            elif states[box][1] == "marked":
                marked.append(box.mark)
        if len(marked) > 1:
            trouble.append(f"student id, column {number}: {' and '.join(marked)} are both marked")
        digits.append(marked[0] if len(marked) == 1 else " ")
    text = "".join(digits).strip()
    if " " in text:
        trouble.append(f"student id: a column inside the id is not marked ('{text}')")
    if not text:
        trouble.append("student id: no digit is marked in the id grid (the answers are kept under the variant)")
    return (text or None) if not trouble else None, trouble


# ---------------------------------------------------------------- pictures

GREEN, BLUE, RED, GREY = (0, 160, 0), (200, 80, 0), (0, 0, 230), (170, 170, 170)


def _posterized(grey: Any) -> Any:
    """The page in 8 shades of grey: a scan's noise makes PNG slow and large (0.08 s and 900 KB
    a page at PICTURE px per mm, against 0.04 s and 70 KB), and 8 shades show every mark."""
    return (grey // 32) * 32 + 16


def _draw(page: Any, states: Mapping[layout.Box, tuple[float, str]], layout_page: layout.Page, task: Task,
          sheet: layout.Sheet, answers: Sequence[tuple[int, str, str]], student_id: str | None,
          problems: Sequence[str], target: Path) -> None:
    import cv2

    def at(x: float, y: float) -> tuple[int, int]:
        return round(x * PICTURE), round(y * PICTURE)

    small = cv2.resize(page, None, fx=PICTURE / WARP, fy=PICTURE / WARP, interpolation=cv2.INTER_AREA)
    picture = cv2.cvtColor(_posterized(small), cv2.COLOR_GRAY2BGR)
    colours = {"marked": GREEN, "filled": BLUE, "unclear": RED, "empty": GREY}
    for box, (ratio, what) in states.items():
        top_left, bottom_right = at(box.x, box.y), at(box.x + box.size, box.y + box.size)
        cv2.rectangle(picture, top_left, bottom_right, colours[what], 2 if what != "empty" else 1)
        if what in ("unclear", "filled"):
            cv2.putText(picture, _percent(ratio), (bottom_right[0] + 1, top_left[1] - 1),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.3, colours[what], 1, cv2.LINE_AA)
    given = {(slot, name): letters for slot, name, letters in answers}
    for item in layout_page.rows:
        last = item.boxes[-1]
        unclear = any(states[b][1] == "unclear" for b in item.boxes)
        value = "?" if unclear else given.get((item.slot, item.field), "-")
        # below the row's label: the rows of two columns leave no room to their right
        cv2.putText(picture, f"read: {value}", at(item.x, item.y + last.size + 2.6),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.38, RED if unclear else GREEN, 1, cv2.LINE_AA)
    head = f"read: variant {sheet.variant}, sheet page {layout_page.number}" + (
        f", id {student_id}" if student_id else "")
    # between the bottom corner marks, below the last row
    bottom = layout.PAGE_HEIGHT - layout.MARK_INSET - 3
    cv2.putText(picture, head, at(layout.MARGIN + layout.MARK_SIZE, bottom), cv2.FONT_HERSHEY_SIMPLEX, 0.5, GREEN,
                1, cv2.LINE_AA)
    shown = problems[:6]
    for i, line in enumerate(shown):
        cv2.putText(picture, line[:110], at(layout.MARGIN + layout.MARK_SIZE, bottom - 4 * (len(shown) - i)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.35, RED, 1, cv2.LINE_AA)
    cv2.imwrite(str(target), picture, [cv2.IMWRITE_PNG_COMPRESSION, 1])


def _unreadable(image: Any, task: Task, checked: Path | None, why: str) -> PageReading:
    import cv2

    if checked is not None:
        height, width = image.shape[:2]
        factor = min(1.0, PICTURE * layout.PAGE_HEIGHT / max(height, width))
        small = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else image
        picture = cv2.cvtColor(_posterized(small), cv2.COLOR_GRAY2BGR)
        cv2.putText(picture, why[:90], (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.55, RED, 2, cv2.LINE_AA)
        cv2.imwrite(str(checked / task.picture), picture, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    return PageReading(task, problems=(why,))


# ---------------------------------------------------------------- the files

class _Pages:
    """Opens each scanned PDF once for the pages of a chunk of tasks."""

    def __init__(self) -> None:
        self._open: dict[str, Any] = {}

    def image(self, task: Task) -> Any:
        """A page of the scans as an 8-bit grey image, or None when it cannot be decoded. A
        page that is one JPEG image (what scanners write) is decoded as it is, at its own
        resolution; any other page is rendered at RENDER_DPI."""
        import cv2

        if not task.path.lower().endswith(".pdf"):
            return cv2.imread(task.path, cv2.IMREAD_GRAYSCALE)
        image = self._embedded(task)
        if image is not None:
            return image
        import pypdfium2

        document = pypdfium2.PdfDocument(task.path)
        try:
            bitmap = document[task.index].render(scale=RENDER_DPI / 72, grayscale=True)
            image = bitmap.to_numpy().copy()
        finally:
            document.close()
        return image[:, :, 0] if image.ndim == 3 else image

    def _embedded(self, task: Task) -> Any:
        import cv2
        import numpy as np
        import pikepdf

        try:
            if task.path not in self._open:
                self._open[task.path] = pikepdf.open(task.path)
            page = self._open[task.path].pages[task.index]
            xobjects = page.obj.get("/Resources", {}).get("/XObject", {})
            images = [x for x in xobjects.values() if x.get("/Subtype") == "/Image"]
            if len(images) != 1 or len(xobjects) != 1 or int(page.obj.get("/Rotate", 0)) % 360 \
                    or images[0].get("/Filter") != "/DCTDecode":
                return None
            data = images[0].read_raw_bytes()
        except (pikepdf.PdfError, ValueError, KeyError, TypeError):
            return None
        return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)

    def close(self) -> None:
        for pdf in self._open.values():
            pdf.close()
        self._open.clear()


def _read_task(task: Task, sheets: Mapping[str, layout.Sheet], checked: str | None, pages: _Pages) -> PageReading:
    image = pages.image(task)
    if image is None or image.size == 0:
        return PageReading(task, undecodable=True)
    return read_page(image, task, sheets, Path(checked) if checked else None)


@cache
def _key_sheets(key_path: str) -> dict[str, layout.Sheet]:
    """A worker's sheets (variant code -> sheet), from the key the main process has checked:
    read once per worker process, not pickled with every chunk of pages (300 variants' layouts
    cost more to send than a page to read)."""
    document = json.loads(Path(key_path).read_text(encoding="utf-8"))
    return {sheet.code.upper(): sheet for sheet in layout.sheets(document).values()}


def _read_chunk(tasks: Sequence[Task], source: Mapping[str, layout.Sheet] | str,
                checked: str | None) -> list[PageReading]:
    import cv2

    sheets = _key_sheets(source) if isinstance(source, str) else source

    cv2.setNumThreads(1)      # the pages are spread over processes; OpenCV's own threads only compete
    pages = _Pages()
    try:
        return [_read_task(task, sheets, checked, pages) for task in tasks]
    finally:
        pages.close()


def tasks_of(paths: Sequence[Path]) -> list[Task]:
    """Every page of the scans, in the order given; a file that is not a readable PDF or
    image is an ExamgenError."""
    tasks: list[Task] = []
    taken: set[str] = set()

    def picture(stem: str, number: int) -> str:
        name = f"{stem}-p{number}.png"
        extra = 2
        while name in taken:
            name = f"{stem}-{extra}-p{number}.png"
            extra += 1
        taken.add(name)
        return name

    for path in paths:
        shown = str(path)
        if not path.is_file():
            raise ExamgenError("the scan file does not exist", shown, "give the scanned PDF or image files")
        suffix = path.suffix.lower()
        if suffix == ".pdf":
            import pypdfium2

            try:
                document = pypdfium2.PdfDocument(str(path))
            except pypdfium2.PdfiumError as error:
                raise ExamgenError(f"the PDF cannot be read ({error})", shown,
                                   "give the PDF the scanner wrote, or scan again") from None
            count = len(document)
            document.close()
            if count == 0:
                raise ExamgenError("the PDF has no pages", shown, "give the PDF the scanner wrote")
            tasks.extend(Task(shown, i, f"{path.name} page {i + 1}", picture(path.stem, i + 1)) for i in range(count))
        elif suffix in IMAGES:
            import cv2

            if not cv2.haveImageReader(shown):
                raise ExamgenError("the image cannot be read (not a PNG, JPEG or TIFF file, or damaged)", shown,
                                   "give the files the scanner wrote")
            tasks.append(Task(shown, 0, path.name, picture(path.stem, 1)))
        else:
            raise ExamgenError(f"'{path.suffix or path.name}' is not a scan format", shown,
                               "give scanned PDFs or PNG, JPEG or TIFF images")
    return tasks


def read_all(tasks: Sequence[Task], sheets: Mapping[str, layout.Sheet], checked: Path | None, jobs: int = 1,
             progress: Callable[[int, int], None] | None = None, key_path: Path | None = None) -> list[PageReading]:
    """Every task read, in order; in `jobs` worker processes when there are several pages
    (which read the sheets from `key_path` when given, the same key as `sheets`)."""
    folder = str(checked) if checked else None
    if jobs <= 1 or len(tasks) < 4:
        out = []
        pages = _Pages()
        try:
            for task in tasks:
                out.append(_read_task(task, sheets, folder, pages))
                if progress:
                    progress(len(out), len(tasks))
        finally:
            pages.close()
        return out
    from generator.outdir import worker_init

    size = max(1, min(16, len(tasks) // (jobs * 4)))
    chunks = [list(tasks[i:i + size]) for i in range(0, len(tasks), size)]
    out = []
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=worker_init, initargs=(os.getpid(),))
    try:
        source: Mapping[str, layout.Sheet] | str = str(Path(key_path).resolve()) if key_path else sheets
        for result in pool.map(_read_chunk, chunks, [source] * len(chunks), [folder] * len(chunks)):
            out.extend(result)
            if progress:
                progress(len(out), len(tasks))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
    return out


def _csv(rows: Sequence[Sequence[str]]) -> str:
    from generator.exports.csv import spreadsheet_safe

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([spreadsheet_safe(str(cell)) for cell in row])
    return buffer.getvalue()


def _where(reading: PageReading) -> tuple[str, int]:
    """The file (its name) and page a reading came from."""
    return Path(reading.task.path).name, reading.task.index + 1


def combine(readings: Sequence[PageReading], sheets: Mapping[str, layout.Sheet]
            ) -> tuple[list[tuple[str, int, str, str]], list[tuple[str, int, str, str, str]], list[tuple[str, str, str, int]]]:
    """The responses (student, slot, field, letters), the problems (file, page, variant,
    reason, picture) and the ids read (variant, id, file, page), from all pages: a sheet page read twice
    is used once and reported, as is one student id marked on two variants' sheets."""
    problems: list[tuple[str, int, str, str, str]] = []
    seen: dict[tuple[str, int], PageReading] = {}
    for reading in readings:
        for reason in reading.problems:
            problems.append((*_where(reading), reading.variant or "", reason, f"checked/{reading.task.picture}"))
        if not reading.readable or reading.variant is None or reading.sheet_page is None:
            continue
        place = (reading.variant, reading.sheet_page)
        if place in seen:
            first = seen[place]
            same = first.answers == reading.answers and first.student_id == reading.student_id
            problems.append((*_where(reading), reading.variant,
                             f"variant {reading.variant}, sheet page {reading.sheet_page} was scanned twice (also "
                             f"{first.task.label}); " + ("both read the same, it is counted once" if same else
                             "they read differently: the first is used, check both by hand"),
                             f"checked/{reading.task.picture}"))
            continue
        seen[place] = reading
    responses: list[tuple[str, int, str, str]] = []
    ids: list[tuple[str, str, str, int]] = []
    owners: dict[str, str] = {}
    for (variant, _), reading in sorted(seen.items()):
        responses.extend((variant, slot, name, letters) for slot, name, letters in reading.answers)
        if reading.student_id:
            ids.append((variant, reading.student_id, *_where(reading)))
            if reading.student_id in owners and owners[reading.student_id] != variant:
                problems.append((*_where(reading), variant,
                                 f"the student id {reading.student_id} is also marked on the sheet of variant "
                                 f"{owners[reading.student_id]}: one student with two booklets? check by hand",
                                 f"checked/{reading.task.picture}"))
            owners.setdefault(reading.student_id, variant)
    order = {v: i for i, v in enumerate(sheets)}
    responses.sort(key=lambda r: (order.get(r[0], len(order)), r[0], r[1]))
    return responses, problems, ids


def scan(paths: Sequence[Path], key_document: Mapping[str, Any], out: Path, jobs: int = 1,
         key_path: Path | None = None, progress: Callable[[int, int], None] | None = None) -> ScanResult:
    """Read the scans against a key.json with choice items; write the outputs into `out`."""
    from generator.outdir import write_output

    by_variant = layout.sheets(key_document)
    if not by_variant:
        raise ExamgenError("the key has no choice items, so no answer sheet belongs to it",
                           str(key_path or "key.json"), "give the key.json of a build with choice items")
    sheets = {sheet.code.upper(): sheet for sheet in by_variant.values()}
    tasks = tasks_of(paths)
    inputs = [Path(p) for p in paths] + ([Path(key_path)] if key_path else [])
    with write_output(Path(out), "scan", inputs) as staging:
        checked = staging / "checked"
        checked.mkdir()
        readings = read_all(tasks, sheets, checked, jobs, progress, key_path)
        broken = next((r for r in readings if r.undecodable), None)
        if broken is not None:
            raise ExamgenError("the image cannot be decoded", broken.task.label, "give the files the scanner wrote")
        responses, problems, ids = combine(readings, by_variant)
        (staging / "responses.csv").write_text(
            _csv([("student", "slot", "field", "value"), *responses]), encoding="utf-8")
        (staging / "problems.csv").write_text(_csv([("file", "page", "variant", "reason", "picture"), *problems]),
                                              encoding="utf-8")
        if ids:
            (staging / "ids.csv").write_text(_csv([("variant", "student_id", "file", "page"), *ids]), encoding="utf-8")
    read = sum(1 for r in readings if r.readable)
    students = len({r.variant for r in readings if r.readable})
    return ScanResult(Path(out), len(readings), read, students,
                      tuple((f"{p[0]} page {p[1]}", p[3]) for p in problems))
