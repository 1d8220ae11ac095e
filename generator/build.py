"""PDF compilation: pdflatex runs, time limits, error excerpts, splitting, atomic output.

pdflatex runs twice (the second pass settles "Page x of y"; latexmk would run the exam
class four times for nothing), the first in draft mode, without shell escape and with TeX's paranoid file access, so
a template can neither run programs nor read or write outside its folder. An error names
the first `!` line of the log, the .tex line, and (from the `% examgen:` markers the
templates leave) the variant, problem and template it came from; no PDF is left behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from generator.errors import CompileError, ExamgenError
from generator.figures import FIGURES, MIN_PICTURES, figure_document, include_pages, pictures
from generator.markers import END_LABEL, MARKER
from generator.outdir import die_with_parent, write_output

PDFLATEX_FLAGS = ("-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape")
INSTALL_HINT = ("install TeX Live: apt-get install texlive-latex-base texlive-latex-recommended "
                "texlive-latex-extra texlive-pictures lmodern (or run 'make exam'); --no-pdf builds "
                "everything but the PDFs without it")


@dataclass(frozen=True)
class Document:
    """A .tex document to compile; `variant_keys` are the variants it holds, in page order."""

    name: str
    tex: str
    variant_keys: tuple[str, ...]
    engine: str = "pdflatex"    # lualatex for a sheet with a name in another script (documents.engine)


def tex_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "openin_any": "p",          # kpathsea: paranoid reads (no absolute or ../ paths)
        "openout_any": "p",         # and writes
        "shell_escape": "f",
        "SOURCE_DATE_EPOCH": "0",   # reproducible bytes even if a template uses \today
        "FORCE_SOURCE_DATE": "1",
        "max_print_line": "10000",  # keep log lines whole for the error excerpt
    })
    return env


def pdflatex() -> str:
    path = shutil.which("pdflatex")
    if path is None:
        raise ExamgenError("pdflatex was not found", None, INSTALL_HINT)
    return path


LUALATEX_HINT = ("install lualatex and the Noto fonts: apt-get install texlive-luatex fonts-noto-core "
                 "fonts-noto-cjk (or run 'make exam'); they print roster names in other scripts")


def tex_binary(engine: str) -> str:
    """The path of `engine` (pdflatex or lualatex), or a clear error naming what to install."""
    if engine == "pdflatex":
        return pdflatex()
    path = shutil.which(engine)
    if path is None:
        raise ExamgenError(f"{engine} was not found", None, LUALATEX_HINT)
    return path


def format_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "examgen" / "formats"


def tex_identity() -> str:
    """Which TeX this is (path, size and date of the binary): a format is valid for one TeX only."""
    path = shutil.which("pdflatex")
    if path is None:
        return "none"
    real = os.path.realpath(path)
    stat = os.stat(real)
    return f"{real}:{stat.st_size}:{int(stat.st_mtime)}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(fmt: Path) -> bool | None:
    """True when `fmt` matches the digest stored beside it; None when there is no entry at all."""
    check = fmt.with_name(fmt.name + ".sha256")
    if not fmt.parent.exists():
        return None
    try:
        return check.read_text(encoding="ascii").strip() == _sha256(fmt)
    except (OSError, UnicodeDecodeError):
        return False


def _make_format(head: str, name: str, folder: Path) -> Path | None:
    """Compile the preamble `head` into `folder/name.fmt` (mylatexformat); None when it fails."""
    source = folder / "preamble.tex"
    source.write_text(head + "\\begin{document}\n\\end{document}\n", encoding="utf-8")
    result = subprocess.run(
        [pdflatex(), "-ini", "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
         f"-jobname={name}", "&pdflatex", "mylatexformat.ltx", source.name],
        cwd=folder, env=tex_environment(), stdin=subprocess.DEVNULL, capture_output=True, timeout=120,
        preexec_fn=die_with_parent)
    built = folder / f"{name}.fmt"
    return built if result.returncode == 0 and built.is_file() else None


def preamble_format(tex: str, scratch: Path | None = None, warnings: list[str] | None = None) -> str | None:
    """A precompiled format of the document's preamble (mylatexformat), built once and cached.

    Loading the preamble (exam class, TikZ, fonts) is a large part of every pdflatex pass; all
    sheets share one preamble, so one format serves every document of every build. Returns the
    format's path without `.fmt` for `-fmt=`, or None when it cannot be built. Whether a format is
    used changes the PDF bytes, so the way never depends on the cache: a cached format is used only
    when it matches the digest stored beside it (a damaged one is built again, with a warning),
    and when the cache cannot be written the format is built in `scratch` (a folder that lives as
    long as the compiles) instead.
    """
    head, marker, _ = tex.partition("\\begin{document}")
    if not marker:
        return None
    name = "examgen-" + hashlib.sha256((tex_identity() + "\n" + head).encode()).hexdigest()[:20]
    cache = format_cache()
    # One folder per format (the .fmt and its digest), put in place by one rename: a reader
    # sees a whole entry or none, also while another build writes the same one.
    entry = cache / name
    fmt = entry / f"{name}.fmt"
    state = _verified(fmt)
    if state:
        return str(fmt.with_suffix(""))
    if state is False and warnings is not None:
        warnings.append(f"the cached TeX format {fmt} was damaged; it was built again")
    try:
        return _cache_format(head, name, cache, entry, fmt)
    except subprocess.SubprocessError:
        return None
    except OSError:
        pass
    if scratch is None:
        return None
    try:
        folder = Path(tempfile.mkdtemp(prefix="format-", dir=scratch))
        built = _make_format(head, name, folder)
    except (OSError, subprocess.SubprocessError):
        return None
    return str(built.with_suffix("")) if built else None


def _cache_format(head: str, name: str, cache: Path, entry: Path, fmt: Path) -> str | None:
    cache.mkdir(parents=True, exist_ok=True)
    for left in cache.glob(".building-*"):   # left by a killed build (a format takes seconds)
        with contextlib.suppress(OSError):
            if time.time() - left.stat().st_mtime > 3600:
                shutil.rmtree(left, ignore_errors=True)
    building = Path(tempfile.mkdtemp(prefix=".building-", dir=cache))
    try:
        built = _make_format(head, name, building)
        if built is None:
            return None
        (building / f"{name}.fmt.sha256").write_text(_sha256(built) + "\n", encoding="ascii")
        if os.path.lexists(entry):
            if _verified(fmt):          # another build has just cached it
                return str(fmt.with_suffix(""))
            damaged = Path(tempfile.mkdtemp(prefix=".damaged-", dir=cache))
            os.replace(entry, damaged / name)
            shutil.rmtree(damaged, ignore_errors=True)
        try:
            os.rename(building, entry)
        except OSError:
            if not _verified(fmt):
                raise
            return str(fmt.with_suffix(""))
        building = entry
        return str(fmt.with_suffix(""))
    finally:
        if building != entry:
            shutil.rmtree(building, ignore_errors=True)


def time_limit(document: Document) -> float:
    """Seconds one pass may take: generous, but a hang ends."""
    return 60.0 + 2.0 * len(document.variant_keys)


class Running:
    """The pdflatex processes of a build, so that an interrupt or an error can end them all."""

    def __init__(self) -> None:
        self._processes: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.stopped = False

    def start(self, command: list[str], cwd: Path) -> subprocess.Popen:
        with self._lock:
            if self.stopped:
                raise KeyboardInterrupt
            # A session of its own: Ctrl-C reaches examgen, which then ends pdflatex itself.
            # And it dies with examgen, even when examgen is killed (SIGKILL runs no cleanup).
            process = subprocess.Popen(command, cwd=cwd, env=tex_environment(), stdin=subprocess.DEVNULL,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       start_new_session=True, preexec_fn=die_with_parent)
            self._processes.add(process)
            return process

    def finish(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._processes.discard(process)

    def run(self, command: list[str], cwd: Path, timeout: float) -> int | None:
        """Run one pdflatex to its end: its exit code, or None when the time limit ended it."""
        process = self.start(command, cwd)
        try:
            return process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return None
        finally:
            self.finish(process)
            if self.stopped:
                raise KeyboardInterrupt

    def stop_all(self) -> None:
        with self._lock:
            self.stopped = True
            for process in self._processes:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)


def compile_document(document: Document, workdir: Path, timeout: float | None = None,
                     running: Running | None = None, fmt: str | None = None,
                     scratch: Path | None = None, warnings: list[str] | None = None) -> Path:
    """Compile `document` in `workdir` (two passes); return the PDF or raise CompileError.

    `scratch` and `warnings` go to `preamble_format` for the figures' format."""
    running = running or Running()
    limit = timeout if timeout is not None else time_limit(document)
    workdir.mkdir(parents=True, exist_ok=True)
    tex_path = workdir / f"{document.name}.tex"
    tex_path.write_text(document.tex, encoding="utf-8")
    command = [tex_binary(document.engine), *PDFLATEX_FLAGS, *([f"-fmt={fmt}"] if fmt else []), tex_path.name]
    pdf = workdir / f"{document.name}.pdf"
    if _figures_once(document, workdir, limit, running, scratch, warnings):
        tex_path.write_text(include_pages(document.tex), encoding="utf-8")
    for number in (1, 2):
        # The first pass only settles the .aux (page counts): -draftmode writes no PDF and
        # reads no included figure, a third less time; the second pass writes the PDF.
        returncode = running.run(command[:1] + ["-draftmode"] * (number == 1) + command[1:], workdir, limit)
        if returncode is None:
            pdf.unlink(missing_ok=True)
            raise CompileError(f"pdflatex took longer than {limit:.0f} s and was stopped",
                               f"{document.name}.tex", "look for a loop in a template (\\loop, \\foreach)")
        if returncode != 0:
            pdf.unlink(missing_ok=True)
            log = (workdir / f"{document.name}.log").read_text(encoding="utf-8", errors="replace")
            raise log_error(document, log, keep_log(document.name, log))
    return pdf


def keep_log(name: str, log: str) -> Path | None:
    """A copy of a failed run's log outside the build's work folder (which the failed build
    removes), so that the log an error names is there to read afterwards."""
    try:
        handle, path = tempfile.mkstemp(prefix=f"examgen-{name}-", suffix=".log")
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(log)
    except OSError:
        return None
    return Path(path)


def _figures_once(document: Document, workdir: Path, limit: float, running: Running,
                  scratch: Path | None = None, warnings: list[str] | None = None) -> bool:
    """Typeset the document's TikZ pictures once, into workdir/figures.pdf (see
    generator.figures). False when there are too few to pay, or when they fail to compile
    alone: the document then draws them itself, and any error is reported from it."""
    sources = pictures(document.tex)
    if len(sources) < MIN_PICTURES:
        return False
    source = figure_document(sources)
    (workdir / f"{FIGURES}.tex").write_text(source, encoding="utf-8")
    fmt = preamble_format(source, scratch, warnings)
    returncode = running.run([pdflatex(), *PDFLATEX_FLAGS, *([f"-fmt={fmt}"] if fmt else []), f"{FIGURES}.tex"],
                             workdir, limit)
    return returncode == 0 and (workdir / f"{FIGURES}.pdf").is_file()


def log_error(document: Document, log: str, kept: Path | None = None) -> CompileError:
    """The first `!` error of a pdflatex log, traced back to its variant, problem and template;
    `kept` is where a copy of the whole log stays for reading."""
    lines = log.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("!")), None)
    if first is None:
        return CompileError("pdflatex failed without an error line", f"{document.name}.tex",
                            f"read the whole log, kept at {kept}" if kept else f"read {document.name}.log")
    message = lines[first][1:].strip().rstrip(".")
    tex_line = None
    for line in lines[first: first + 30]:
        match = re.match(r"l\.(\d+)", line)
        if match:
            tex_line = int(match.group(1))
            break
    where = f"{document.name}.tex"
    context = "\n".join(lines[first: first + 30])
    if tex_line is not None:
        where += f":{tex_line}"
        origin = trace_line(document.tex, tex_line)
        if re.search(r"(head|foot)\S* ->", context):
            # Raised while a page was shipped out: the header or footer, not the text at that line.
            origin = origin.split(",")[0] + ", page header or footer of the sheet template"
        where += f" ({origin})"
    return CompileError(f"LaTeX error: {message}", where, "fix the template named here")


def trace_line(tex: str, line_number: int) -> str:
    """Which variant, problem and template wrote line `line_number` of a generated document."""
    found: dict[str, str] = {}
    lines = tex.splitlines()
    for line in reversed(lines[: line_number]):
        if line.startswith(MARKER):
            for field in line[len(MARKER):].split():
                name, _, value = field.partition("=")
                found.setdefault(name, value)
            if "variant" in found:
                break
    if "problem" in found:
        template = found.get("template", "question.tex.j2")
        return (f"variant {found['variant']}, slot {found.get('slot', '?')}, "
                f"problem_bank/{found['problem']}/{template}")
    if "variant" in found:
        return f"variant {found['variant']}, document template"
    return "document template"


def page_counts(aux_text: str, count: int) -> list[int]:
    """Pages of each variant, from the `examgen-end-N` labels (each variant restarts at page 1)."""
    pages = {int(n): int(p) for n, p in re.findall(r"\\newlabel\{" + re.escape(END_LABEL) + r"-(\d+)\}\{\{[^}]*\}\{(\d+)\}", aux_text)}
    missing = [n for n in range(1, count + 1) if n not in pages]
    if missing:
        raise ExamgenError(f"variant page labels missing from the .aux file: {missing[:5]}", None,
                           "keep \\label{examgen-end-...} in the sheet template")
    return [pages[n] for n in range(1, count + 1)]


def split_pdf(pdf: Path, counts: Sequence[int], targets: Sequence[Path]) -> None:
    """Cut a combined PDF into consecutive page ranges, one file per variant (qpdf, via pikepdf)."""
    import pikepdf

    with pikepdf.open(pdf) as source:
        if sum(counts) != len(source.pages):
            raise ExamgenError(f"{pdf.name}: {len(source.pages)} pages, but the variants add up to {sum(counts)}")
        start = 0
        for count, target in zip(counts, targets, strict=True):
            with pikepdf.new() as part:
                part.pages.extend(source.pages[start:start + count])
                # The file ID is a digest of the content: same pages, same bytes.
                part.save(target, deterministic_id=True)
            start += count


def join_pdfs(sources: Sequence[Path], target: Path) -> None:
    """All pages of `sources`, in order, in one file (the print file of a sheet)."""
    import pikepdf

    with pikepdf.new() as joined:
        opened = [pikepdf.open(source) for source in sources]
        try:
            for pdf in opened:
                joined.pages.extend(pdf.pages)
            joined.save(target, deterministic_id=True)
        finally:
            for pdf in opened:
                pdf.close()


def compile_all(documents: Sequence[Document], workdir: Path, jobs: int,
                done: Callable[[Document], None] | None = None,
                warnings: list[str] | None = None) -> dict[str, Path]:
    """Compile documents side by side, `jobs` pdflatex processes at a time.

    The first failure (or an interrupt) ends every other running compile at once. Notes about
    the format cache (a damaged entry built again) are added to `warnings`.
    """
    pdflatex()  # fail early and clearly when TeX is missing
    with tempfile.TemporaryDirectory(prefix="examgen-formats-") as scratch:
        formats: dict[str, str | None] = {}
        for document in documents:
            head = document.tex.partition("\\begin{document}")[0]
            if head not in formats:
                # mylatexformat is for pdflatex: a lualatex sheet (rare) loads its preamble each pass
                formats[head] = (preamble_format(document.tex, Path(scratch), warnings)
                                 if document.engine == "pdflatex" else None)
        running = Running()
        results: dict[str, Path] = {}
        pool = ThreadPoolExecutor(max_workers=max(1, jobs))
        try:
            futures = {pool.submit(compile_document, d, workdir / d.name, None, running,
                                   formats[d.tex.partition("\\begin{document}")[0]], Path(scratch), warnings): d
                       for d in documents}
            for future in as_completed(futures):
                document = futures[future]
                results[document.name] = future.result()
                if done:
                    done(document)
        except BaseException:
            running.stop_all()
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return results


@contextmanager
def atomic_directory(target: Path, kind: str = "build", inputs: Sequence[Path] = ()) -> Iterator[Path]:
    """Write a whole output folder beside `target` and swap it in only when complete.

    An error or an interrupt leaves the previous build's output as it was; the checks, the lock
    and the swap are `generator.outdir.write_output`'s.
    """
    with write_output(Path(target), kind, inputs) as staging:
        yield staging
