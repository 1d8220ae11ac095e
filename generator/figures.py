"""TikZ pictures compiled once, not on every pdflatex pass.

A combined solutions document can hold a hundred figures, and TikZ is most of its
typesetting time. Figures do not depend on page references, so the second pass has no need
to draw them again: every picture of a document is typeset once, each on its own page of a
standalone figure document, and the document includes those pages instead. One figure
document per combined document keeps the bytes reproducible: a page's font subsets depend
only on that document. Each picture's place keeps its line count, so a LaTeX error still
maps to the right line, variant and template.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from generator import resources

TIKZ = re.compile(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", re.S)
# Every picture declares its alt text, for the accessible exam and the HTML exports, as a
# comment line inside it (TeX ignores it; the template's \VAR{} put the instance's numbers in):
#   \begin{tikzpicture}
#   % alt: Bar chart of the learning rate over 10 epochs, dropping from 0.1 to 0.01 at epoch 5
ALT = re.compile(r"^[ \t]*% alt:[ \t]*(.*?)[ \t]*$", re.M)
FIGURES = "figures"        # the figure document's name in a document's work folder
MIN_PICTURES = 4           # below this, a second pdflatex run costs more than it saves


def sheet_preamble() -> list[str]:
    """The packages and TikZ libraries of the sheets (templates/sheet.tex.j2), so that figures
    compile alone exactly as they do on the sheets."""
    text = (resources.templates() / "sheet.tex.j2").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.startswith((r"\usepackage", r"\usetikzlibrary"))]


def figure_document(sources: Sequence[str], border: str = "0pt") -> str:
    """A standalone document with one page per TikZ picture, cropped to its bounding box
    (plus `border`: an SVG clips at the page's edge), in the sheets' font size."""
    lines = [rf"\documentclass[11pt,tikz,border={border}]{{standalone}}", *sheet_preamble(),
             r"\pdfinfoomitdate=1", r"\pdfsuppressptexinfo=-1", r"\begin{document}", r"\pdftrailerid{}"]
    lines += list(sources)
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"


def pictures(tex: str) -> list[str]:
    return TIKZ.findall(tex)


def alt_text(picture: str) -> str:
    """The alt text a TikZ picture declares (see ALT), or '' when it declares none."""
    match = ALT.search(picture)
    return " ".join(match.group(1).replace("\\,", "").split()) if match else ""   # 10\,000 reads 10000


def missing_alt(tex: str) -> list[int]:
    """The 1-based numbers of the pictures in `tex` that declare no alt text."""
    return [i for i, picture in enumerate(pictures(tex), start=1) if not alt_text(picture)]


def include_pages(tex: str, pdf_name: str = FIGURES) -> str:
    """`tex` with its n-th picture replaced by page n of `pdf_name`.pdf, line count kept."""
    counter = iter(range(1, 10**9))

    def include(match: re.Match[str]) -> str:
        lines = match.group(0).count("\n")
        return rf"\includegraphics[page={next(counter)}]{{{pdf_name}.pdf}}" + "%\n" * lines

    return TIKZ.sub(include, tex)
