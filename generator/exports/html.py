"""Rendered problems (LaTeX) to HTML with pandoc; TikZ figures to SVG.

Two maths modes:
- `mathml`: formulas become MathML, which browsers render natively (the self-check page);
- `mathjax`: formulas stay TeX, as `\\( ... \\)` and `\\[ ... \\]`, for Moodle's MathJax filter.

Problems arrive as data (`RenderedProblem`: the statement's intro, each part's text and
solution, the outro, the general solution), so no exam-class markup reaches pandoc: each piece
is converted on its own, and `slot_htmls` is the one way every export turns a build's slots
into HTML. `\\boxed` is left to the maths converter (MathML's box, MathJax's `\\boxed`); one
written in running text is put in `$...$` first (`box_text_mode`), since pandoc drops it there. Each `tikzpicture` becomes a standalone page compiled by pdflatex
(the sheets' flags: no shell escape, paranoid file access; the sheet's packages and TikZ
libraries) and an SVG by `pdftocairo -svg`; the SVG takes the picture's place. texmath,
pandoc's maths converter, misses a few commands (\\Bigl, \\operatorname*{arg\\,min}): they are
rewritten into equivalents it reads, and `Html.raw_math` reports any formula still left as TeX.

Speed: pandoc starts in 15-100 ms, so many fragments go through one pandoc process, joined
by numbered separator paragraphs (a batch whose separators do not come back intact is
converted fragment by fragment instead). All figures of a batch are compiled in one
pdflatex run (one page each). Results are cached by content hash for the life of a
`Converter`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from generator.build import PDFLATEX_FLAGS, pdflatex, preamble_format, tex_environment
from generator.errors import ExamgenError
from generator.figures import TIKZ, alt_text, figure_document
from generator.markers import QUESTION_TEMPLATE, SOLUTION_TEMPLATE
from generator.outdir import die_with_parent
from generator.render import RenderedProblem

MATH_MODES = {"mathml": "--mathml", "mathjax": "--mathjax"}
PANDOC_HINT = "install pandoc: apt-get install pandoc (or run 'make test', which installs it)"

_SEPARATOR = "EXAMGENSEPARATOR{:06d}"
_SEPARATOR_RE = re.compile(r"<p>EXAMGENSEPARATOR(\d{6})</p>\n?")
_FIGURE_TOKEN = "EXAMGENFIGURE{}"
_FIGURE_BLOCK_RE = re.compile(r"<p>EXAMGENFIGURE([0-9a-f]{16})</p>")
_FIGURE_RE = re.compile(r"EXAMGENFIGURE([0-9a-f]{16})")
_TIKZ_RE = TIKZ


def _operatorname(match: re.Match[str]) -> str:
    star, name = match.group(1), match.group(2)
    if not star and name.isalpha():
        return match.group(0)
    return r"\mathop{\mathrm{" + name + "}}" + (r"\limits" if star else "")


# What texmath (pandoc's maths converter) cannot read, said in a way it can: it lacks \Bigl,
# \Bigr and \Bigm (\Big is the same size), and takes only letters in \operatorname, no star.
_MATHML_REWRITES: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"\\Big[lrm](?![A-Za-z])"), r"\\Big"),
    (re.compile(r"\\operatorname(\*?)\{([^{}]*)\}"), _operatorname),
)
# texmath writes \mathrm{ReLU} as <mstyle mathvariant="normal"><mi>R</mi>...; browsers (MathML
# Core) ignore mathvariant on mstyle and would slant each letter, so it goes on each <mi>.
_UPRIGHT_RE = re.compile(r'<mstyle mathvariant="normal">(.*?)</mstyle>', re.S)
# Where pandoc could not turn a formula into MathML it leaves the TeX in a span.
_RAW_MATH_RE = re.compile(r'<span class="math (?:inline|display)">(.*?)</span>', re.S)


_MATH_ENVIRONMENTS = ("equation", "equation*", "align", "align*", "gather", "gather*", "multline", "multline*",
                      "eqnarray", "eqnarray*", "displaymath", "math", "alignat", "alignat*", "flalign", "flalign*")
_BEGIN_RE = re.compile(r"\\begin\{([A-Za-z*]+)\}")
_TEXT_BOX_RE = re.compile(r"\\boxed\s*\{")


def _closing_brace(text: str, start: int) -> int:
    """The index of the brace closing the one at `start` (-1 when unbalanced)."""
    depth = 0
    at = start
    while at < len(text):
        char = text[at]
        if char == "\\":
            at += 2
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return at
        at += 1
    return -1


def box_text_mode(text: str) -> str:
    """`\\boxed{...}` written in running text (amsmath allows it there, in the PDF) put inside
    `$...$`: pandoc reads \\boxed only in maths and drops it, words and all, elsewhere."""
    if "\\boxed" not in text:
        return text
    out: list[str] = []
    at, closer = 0, None          # closer: what ends the maths we are in (None: text mode)
    while at < len(text):
        if closer is not None:
            if text.startswith(closer, at) and not (closer == "$" and text.startswith("$$", at)):
                out.append(closer)
                at += len(closer)
                closer = None
                continue
            if text[at] == "\\":
                out.append(text[at: at + 2])
                at += 2
                continue
            out.append(text[at])
            at += 1
            continue
        if text.startswith("\\$", at):
            out.append("\\$")
            at += 2
            continue
        for opener, close in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
            if text.startswith(opener, at):
                out.append(opener)
                at += len(opener)
                closer = close
                break
        else:
            begin = _BEGIN_RE.match(text, at)
            box = _TEXT_BOX_RE.match(text, at)
            if begin and begin.group(1) in _MATH_ENVIRONMENTS:
                out.append(begin.group(0))
                at = begin.end()
                closer = f"\\end{{{begin.group(1)}}}"
            elif box and (end := _closing_brace(text, box.end() - 1)) > 0:
                out.append("$" + text[at: end + 1] + "$")
                at = end + 1
            elif text[at] == "\\":
                out.append(text[at: at + 2])
                at += 2
            else:
                out.append(text[at])
                at += 1
    return "".join(out)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- results

@dataclass(frozen=True)
class Figure:
    """A TikZ picture as SVG; `digest` is the hash of its TikZ source."""

    digest: str
    svg: str          # a standalone SVG document, without XML declaration
    alt: str = ""     # the alt text the picture declares (generator.figures.alt_text)

    @property
    def name(self) -> str:
        return f"figure-{self.digest}.svg"

    def base64(self) -> str:
        return base64.b64encode(self.svg.encode("utf-8")).decode("ascii")

    def inline(self) -> str:
        """The SVG for inlining in an HTML page: ids made unique to this figure."""
        prefix = f"f{self.digest}-"
        svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', self.svg)
        svg = re.sub(r'(href=")#', lambda m: f"{m.group(1)}#{prefix}", svg)
        svg = svg.replace("url(#", f"url(#{prefix}")
        label = escape(self.alt or "figure", quote=True)
        return svg.replace("<svg ", f'<svg class="examgen-figure" role="img" aria-label="{label}" ', 1)


@dataclass(frozen=True)
class Html:
    """One converted fragment: HTML with its figures still as tokens (see `inline`, `with_images`)."""

    template: str
    figures: Mapping[str, Figure] = field(default_factory=dict)

    def _fill(self, make: Callable[[Figure], str]) -> str:
        text = _FIGURE_BLOCK_RE.sub(lambda m: f'<div class="figure">{make(self.figures[m.group(1)])}</div>',
                                    self.template)
        return _FIGURE_RE.sub(lambda m: make(self.figures[m.group(1)]), text)

    def inline(self) -> str:
        """HTML with each figure as inline SVG (for a self-contained page)."""
        return self._fill(Figure.inline)

    def with_images(self, src: Callable[[Figure], str]) -> str:
        """HTML with each figure as `<img src=src(figure)>` (Moodle: @@PLUGINFILE@@/name)."""
        return self._fill(lambda f: f'<img src="{src(f)}" alt="{escape(f.alt or "figure", quote=True)}" '
                                    'style="max-width:100%">')

    @property
    def raw_math(self) -> list[str]:
        """Formulas pandoc could not convert to MathML (left as TeX): empty when all rendered."""
        return [m.group(1) for m in _RAW_MATH_RE.finditer(self.template)]

    @property
    def empty(self) -> bool:
        return not self.template.strip()


# ---------------------------------------------------------------- problems

@dataclass(frozen=True)
class PartHtml:
    name: str
    label: str         # a, b, c, ... as on the sheet
    points: float
    text: Html
    solution: Html


@dataclass(frozen=True)
class ProblemHtml:
    intro: Html
    parts: tuple[PartHtml, ...]
    outro: Html
    general: Html      # solution text outside any part (figures, set-up)

    def pieces(self) -> list[Html]:
        out = [self.intro, self.outro, self.general]
        for part in self.parts:
            out += [part.text, part.solution]
        return out

    @property
    def raw_math(self) -> list[str]:
        return [tex for piece in self.pieces() for tex in piece.raw_math]


def problems_to_html(converter: Converter, problems: Sequence[RenderedProblem]) -> list[ProblemHtml]:
    """Convert many rendered problems at once (one pandoc run for all of them)."""
    fragments: list[str] = []
    origins: list[str] = []
    for rendered in problems:
        question = f"{rendered.problem_id} ({QUESTION_TEMPLATE})"
        solution = f"{rendered.problem_id} ({SOLUTION_TEMPLATE})"
        fragments += [rendered.intro, rendered.outro, rendered.general]
        origins += [question, question, solution]
        for part in rendered.parts:
            fragments += [part.text, part.solution]
            origins += [question, solution]
    converted = iter(converter.convert(fragments, origins))
    out = []
    for rendered in problems:
        intro, outro, general = next(converted), next(converted), next(converted)
        parts = tuple(PartHtml(part.name, part.label, part.points, next(converted), next(converted))
                      for part in rendered.parts)
        out.append(ProblemHtml(intro, parts, outro, general))
    return out


def slot_htmls(converter: Converter, rendered: Sequence[Sequence[RenderedProblem]]) -> list[list[ProblemHtml]]:
    """Every variant's slots as HTML (`rendered[v][s]` -> `result[v][s]`), converted in one batch:
    the one function that renders a slot to HTML for every export."""
    flat = problems_to_html(converter, [problem for variant in rendered for problem in variant])
    out, start = [], 0
    for variant in rendered:
        out.append(flat[start: start + len(variant)])
        start += len(variant)
    return out


# ---------------------------------------------------------------- the converter

def pandoc() -> str:
    path = shutil.which("pandoc")
    if path is None:
        raise ExamgenError("pandoc was not found", None, PANDOC_HINT)
    return path


class Converter:
    """LaTeX fragments to HTML in one maths mode, with per-run caches of HTML and figures."""

    def __init__(self, math: str = "mathml"):
        if math not in MATH_MODES:
            raise ValueError(f"math mode {math!r}: use one of {', '.join(MATH_MODES)}")
        self.math = math
        self._html: dict[str, str] = {}
        self._figures: dict[str, Figure] = {}
        self.pandoc_runs = 0
        self.pdflatex_runs = 0

    def convert(self, fragments: Sequence[str], origins: Sequence[str] | None = None) -> list[Html]:
        """HTML for each fragment, in order (an empty fragment gives empty HTML)."""
        origins = list(origins) if origins is not None else ["LaTeX fragment"] * len(fragments)
        prepared: list[tuple[str, tuple[str, ...]]] = []
        pictures: dict[str, tuple[str, str]] = {}
        todo: dict[str, str] = {}   # LaTeX to convert -> where it came from
        for fragment, origin in zip(fragments, origins, strict=True):
            digests: list[str] = []

            def token(match: re.Match[str], origin: str = origin, digests: list[str] = digests) -> str:
                source = match.group(0)
                key = _digest(source)
                digests.append(key)
                pictures.setdefault(key, (source, origin))
                # A plain word pandoc keeps; alone in its paragraph it later becomes a block figure.
                return _FIGURE_TOKEN.format(key)

            text = box_text_mode(_TIKZ_RE.sub(token, fragment.strip()))
            if self.math == "mathml":
                for pattern, replacement in _MATHML_REWRITES:
                    text = pattern.sub(replacement, text)
            prepared.append((text, tuple(digests)))
            if text and _digest(text) not in self._html:
                todo.setdefault(text, origin)
        self._compile_figures({k: v for k, v in pictures.items() if k not in self._figures})
        if todo:
            for text, html in zip(todo, self._pandoc(list(todo), list(todo.values())), strict=True):
                if self.math == "mathml":
                    html = _UPRIGHT_RE.sub(lambda m: m.group(1).replace("<mi>", '<mi mathvariant="normal">'), html)
                self._html[_digest(text)] = html
        return [Html(self._html[_digest(text)] if text else "", {d: self._figures[d] for d in digests})
                for text, digests in prepared]

    # -- pandoc

    def _pandoc(self, fragments: Sequence[str], origins: Sequence[str]) -> list[str]:
        source = "".join(f"{text}\n\n{_SEPARATOR.format(i)}\n\n" for i, text in enumerate(fragments))
        try:
            pieces = _SEPARATOR_RE.split(self._run_pandoc(source, "the problems' LaTeX"))
        except ExamgenError:
            pieces = []
        if pieces[1::2] == [f"{i:06d}" for i in range(len(fragments))] and not pieces[-1].strip():
            return [p.strip() for p in pieces[0:-1:2]]
        # A fragment swallowed a separator or broke the batch (an unclosed group, say): one run
        # per fragment, so that an error names the fragment's problem and template.
        return [self._run_pandoc(text, origin).strip() for text, origin in zip(fragments, origins, strict=True)]

    def _run_pandoc(self, source: str, where: str) -> str:
        command = [pandoc(), "--from=latex", "--to=html5", "--wrap=none", MATH_MODES[self.math]]
        self.pandoc_runs += 1
        try:
            result = subprocess.run(command, input=source, capture_output=True, text=True, encoding="utf-8",
                                    timeout=120, preexec_fn=die_with_parent)
        except subprocess.TimeoutExpired:
            raise ExamgenError("pandoc took longer than 120 s and was stopped", where,
                               "look for a runaway macro in the problem templates") from None
        if result.returncode != 0:
            message = " ".join(" ".join(result.stderr.split()).split(" ")[:30]) or "no message"
            raise ExamgenError(f"pandoc cannot read the LaTeX: {message}", where,
                               "fix the template (unbalanced braces or environments?)")
        return result.stdout

    # -- figures

    def _compile_figures(self, pictures: Mapping[str, tuple[str, str]]) -> None:
        if not pictures:
            return
        keys = list(pictures)
        with tempfile.TemporaryDirectory(prefix="examgen-figures-") as folder:
            workdir = Path(folder)
            pdf = self._pdflatex([pictures[k][0] for k in keys], workdir, "figures")
            if pdf is None:
                # Find the picture that fails, to name it.
                for key in keys:
                    source, origin = pictures[key]
                    if self._pdflatex([source], workdir / key, "figure") is None:
                        log = (workdir / key / "figure.log").read_text(encoding="utf-8", errors="replace")
                        first = next((line[1:].strip() for line in log.splitlines() if line.startswith("!")),
                                     "no error line")
                        raise ExamgenError(f"a TikZ picture does not compile: {first}", origin,
                                           "fix the tikzpicture (the solutions PDF shows the same error)")
                raise ExamgenError("the TikZ pictures do not compile together", ", ".join(
                    sorted({o for _, o in pictures.values()})), "compile them one by one to find the clash")

            def convert(page: int) -> str:
                target = workdir / f"page-{page}.svg"
                subprocess.run(["pdftocairo", "-svg", "-f", str(page), "-l", str(page), str(pdf), str(target)],
                               check=True, capture_output=True, timeout=60, preexec_fn=die_with_parent)
                return target.read_text(encoding="utf-8")

            if shutil.which("pdftocairo") is None:
                raise ExamgenError("pdftocairo was not found", None,
                                   "install poppler-utils: apt-get install poppler-utils (or run 'make test')")
            with ThreadPoolExecutor(max_workers=2) as pool:
                svgs = list(pool.map(convert, range(1, len(keys) + 1)))
        for key, svg in zip(keys, svgs, strict=True):
            svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg).strip()
            self._figures[key] = Figure(key, svg, alt_text(pictures[key][0]))

    def _pdflatex(self, sources: Sequence[str], workdir: Path, name: str) -> Path | None:
        """Compile pictures into one PDF, a page each; None when pdflatex fails."""
        workdir.mkdir(parents=True, exist_ok=True)
        document = figure_document(sources, border="2pt")  # an SVG clips at its edge
        (workdir / f"{name}.tex").write_text(document, encoding="utf-8")
        self.pdflatex_runs += 1
        fmt = preamble_format(document, workdir)  # precompiled once (cached; else built in workdir), as for the sheets
        try:
            result = subprocess.run([pdflatex(), *PDFLATEX_FLAGS, *([f"-fmt={fmt}"] if fmt else []), f"{name}.tex"],
                                    cwd=workdir, env=tex_environment(),
                                    stdin=subprocess.DEVNULL, capture_output=True, timeout=60 + 5 * len(sources),
                                    preexec_fn=die_with_parent)
        except subprocess.TimeoutExpired:
            return None
        pdf = workdir / f"{name}.pdf"
        return pdf if result.returncode == 0 and pdf.is_file() else None

