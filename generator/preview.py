"""A live preview of one problem while it is written: `examgen preview ID [--seed N]`.

One instance (the one `examgen show ID --seed N` prints) is built into a preview folder:
`preview.pdf`, the statement as on the exam sheet followed by the worked solutions, in one
document, and `view.html`, the problem as the self-check page shows it (the same pandoc
conversion and style), solutions open. The problem's folder and the engine's templates are
watched (watchfiles); every save rebuilds, the PDF first and the HTML after it. A page
served on 127.0.0.1 polls `status.json` and reloads the PDF and the view when a build is
done; an error (the one line the command line prints) shows above the last good version,
which stays on disk and on the page.

Speed (benchmarks/preview_latency.py): exam and solutions are one document, so one pdflatex
start; its preamble is the precompiled format every build uses; and a save costs one pass:
the preview keeps the .aux of the last good build, and a second pass runs only when the
first changed it (a page count moved). problem.py is imported anew from its text on every
build (never from a bytecode cache, whose stamp is the file's second and size), and pandoc
converts only the fragments its cache has not seen.

The library prints nothing: each step is reported as an `Event` to a callback.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import threading
import time
import traceback
import types
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from generator import __version__
from generator.errors import CompileError, ExamgenError

if TYPE_CHECKING:
    from generator.bank import Bank
    from generator.build import Document, Running
    from generator.instance import Instance
    from generator.problem import Problem
    from generator.render import RenderedProblem

PDF = "preview.pdf"             # the files the page shows, in the preview folder
VIEW = "view.html"
TEX = "preview.tex"
LATEX = ".latex"                # pdflatex's folder, kept between builds (its .aux saves a pass)
HOST = "127.0.0.1"              # loopback only: the page is for the author at this machine
DEFAULT_PORT = 8765
POLL_MS = 250                   # how often the page asks for news
STEP_MS = 50                    # a save is over after this much quiet (editors write in bursts)
DEBOUNCE_MS = 400               # at most this long to gather one burst of changes
IDLE_MS = 200                   # the watcher wakes this often with no change (to start, to stop)
MAX_PASSES = 3                  # pdflatex passes per build beyond the first build's draft pass


@dataclass(frozen=True)
class Event:
    """One step of the preview, for the command line to print.

    kind: "pdf" (the new PDF is on disk), "html" (the new view is on disk) or "error" (the
    build failed; what was shown before stays). `seconds` counts from the start of the build.
    """

    kind: str
    build: int
    seconds: float = 0.0
    changed: tuple[str, ...] = ()
    path: Path | None = None
    error: ExamgenError | None = None
    warnings: tuple[str, ...] = ()


Report = Callable[[Event], None]


def _ignore(event: Event) -> None:
    pass


# ---------------------------------------------------------------- the problem, read anew

def problem_folder(problem_id: str, bank: Bank | None = None) -> tuple[str, Path, Bank]:
    """(full id, problem folder, bank) of the problem to preview.

    The preview's one use of the bank's API. It does not use `bank.load`, which keeps a
    module for the life of the process: `load_fresh` reads the folder on every build.
    """
    from generator.bank import builtin

    bank = bank or builtin()
    full = bank.resolve_id(problem_id, "preview")
    return full, bank.folder(full), bank


def engine_templates() -> Path:
    """The engine's document templates (watched too: the sheet frame shapes the PDF)."""
    from generator.render import TEMPLATES

    return TEMPLATES


def load_fresh(problem_id: str, folder: Path) -> Problem:
    """Import the folder's problem.py from its current text and check it against the contract.

    Compiled from the text itself, not through the import system: a bytecode cache is
    stamped with the file's size and whole second, so two saves within a second that keep
    the size (a 3 made a 4) would run the old code.
    """
    from generator.problem import load_module

    path = folder / "problem.py"
    try:
        code = compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
    except OSError as error:
        raise ExamgenError(f"cannot read problem.py ({error.strerror})", str(path),
                           "restore the file or check the problem id") from None
    except UnicodeDecodeError:
        raise ExamgenError("problem.py is not UTF-8 text", str(path), "save it as UTF-8") from None
    except SyntaxError as error:
        raise ExamgenError(f"syntax error: {error.msg}", f"{path}:{error.lineno}", "fix problem.py") from None
    name = "examgen_preview." + problem_id.replace("/", ".").replace("-", "_")
    module = types.ModuleType(name)
    module.__file__ = str(path)
    sys.modules[name] = module  # dataclasses and typing look a module up by name while it runs
    exec(code, module.__dict__)
    return load_module(module, problem_id, folder)


def one_line(error: Exception, folder: Path) -> ExamgenError:
    """Any failure of a build as the one-line error the command line prints.

    An ExamgenError is already one; anything else was raised by the problem's own code (a
    solver, a constraint, the contract) or by a template filter, and is named by the last
    line of the problem's folder or of a template in its traceback.
    """
    if isinstance(error, ExamgenError):
        return error
    where = None
    folder = folder.resolve()
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = Path(frame.filename)
        if path.suffix == ".j2" or path.resolve().is_relative_to(folder):
            where = f"{frame.filename}:{frame.lineno}"
            break
    message = " ".join(str(error).split()) or "no message"
    converted = ExamgenError(f"{type(error).__name__}: {message}", where or str(folder / "problem.py"),
                             "fix the problem's code (examgen verify runs it on many seeds; --debug shows "
                             "the traceback)")
    converted.__cause__ = error
    return converted


# ---------------------------------------------------------------- one build

@dataclass(frozen=True)
class Prepared:
    """What one build renders: the instance and its LaTeX, before any PDF or HTML."""

    problem: Problem
    instance: Instance
    rendered: RenderedProblem
    part_points: dict[str, float]
    tex: str


class Builder:
    """Builds the preview folder's files from the problem's current files."""

    def __init__(self, problem_id: str, folder: Path, bank: Bank, seed: int, out: Path):
        from generator.exports.html import Converter

        self.problem_id = problem_id
        self.folder = folder
        self.bank = bank
        self.seed = seed
        self.out = out
        self.workdir = out / LATEX
        self.command = f"examgen preview {problem_id} --seed {seed}"
        self.converter = Converter("mathml")  # lives as long as the preview: its cache is the point

    def prepare(self) -> Prepared:
        """Load the problem anew, draw the instance, and render the preview document."""
        from generator.documents import points_rows, render_sheet
        from generator.instance import draw_instance
        from generator.plan import Plan, Slot
        from generator.render import render_problem
        from generator.seeds import Sampler
        from generator.variantcode import variant_code
        from generator.variants import Variant

        problem = load_fresh(self.problem_id, self.folder)
        instance = draw_instance(problem, Sampler(self.seed, problem.id))
        part_points = {p.name: float(p.points) for p in problem.parts}
        rendered = render_problem(problem.id, instance.params, instance.values, part_points,
                                  {p.name: p.space for p in problem.parts}, self.bank)
        slot = Slot(1, problem.id, problem.id, tuple(part_points.items()), {}, "preview")
        plan = Plan(title=problem.title, course="examgen preview", date="", instructions="", seed=self.seed,
                    spec_name=problem.id.replace("/", "-"), slots=(slot,), variant_keys=("001",), bank=self.bank)
        variant = Variant("001", self.seed, ((slot, instance),))
        # The sheet contexts of documents.variant_contexts, for the two views of one instance.
        slots = [{"number": 1, "problem_id": problem.id, "title": problem.title, "points": slot.points,
                  "newpage": False, "problem": rendered}]
        common = {"key": variant.key, "code": variant_code(self.seed, variant.key), "seed": self.seed,
                  "fingerprint": variant.fingerprint, "student": None, "total": plan.total_points,
                  "command": self.command, "slots": slots, "points_rows": points_rows(slots, plan.total_points)}
        views = [{**common, "solutions": False}, {**common, "solutions": True}]
        return Prepared(problem, instance, rendered, part_points, render_sheet(plan, views, "preview"))

    def pdf(self, prepared: Prepared) -> Path:
        """Compile the document in the kept LaTeX folder; the PDF there (not yet published)."""
        from generator.build import PDFLATEX_FLAGS, Document, Running, pdflatex, preamble_format

        document = Document("preview", prepared.tex, ("exam", "solutions"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / TEX).write_text(prepared.tex, encoding="utf-8")
        fmt = preamble_format(prepared.tex)
        command = [pdflatex(), *PDFLATEX_FLAGS, *([f"-fmt={fmt}"] if fmt else []), TEX]
        aux = self.workdir / "preview.aux"
        good = _read(aux)
        running = Running()
        # pdflatex runs from a worker thread, as in build.compile_all: a Ctrl-C lands in this
        # thread, and stop_all then ends whatever pdflatex the worker has started or is starting.
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="examgen-pdflatex")
        try:
            pool.submit(self._passes, running, command, document, good).result()
        except BaseException:
            running.stop_all()
            pool.shutdown(wait=True)
            if good is not None:
                aux.write_bytes(good)  # a failed pass leaves a torn .aux; the next build starts from the good one
            raise
        finally:
            pool.shutdown(wait=True)
        return self.workdir / "preview.pdf"

    def _passes(self, running: Running, command: list[str], document: Document, previous: bytes | None) -> None:
        """As many passes as settle the .aux: one when the previous build's still holds."""
        aux = self.workdir / "preview.aux"
        if previous is None:
            # No earlier build: settle "Page x of y" without writing a PDF first.
            self._pass(running, command, document, draft=True)
            previous = _read(aux)
        for _ in range(MAX_PASSES):
            self._pass(running, command, document, draft=False)
            current = _read(aux)
            if current == previous:
                return
            previous = current

    def _pass(self, running: Running, command: list[str], document: Document, draft: bool) -> None:
        from generator.build import log_error, time_limit

        limit = time_limit(document)
        returncode = running.run(command[:1] + ["-draftmode"] * draft + command[1:], self.workdir, limit)
        if returncode is None:
            raise CompileError(f"pdflatex took longer than {limit:.0f} s and was stopped", TEX,
                               "look for a loop in a template (\\loop, \\foreach)")
        if returncode != 0:
            log = (self.workdir / "preview.log").read_text(encoding="utf-8", errors="replace")
            raise log_error(document, log)

    def html(self, prepared: Prepared) -> tuple[str, tuple[str, ...]]:
        """The HTML view of the instance, and warnings about formulas pandoc left as TeX."""
        from markupsafe import Markup

        from generator.exports.html import problems_to_html
        from generator.practice import html_environment
        from generator.render import points

        problem = prepared.problem
        [view] = problems_to_html(self.converter, [prepared.rendered])
        parts = [{"name": part.name, "label": part.label, "points": points(part.points),
                  "text": Markup(part.text.inline()), "solution": Markup(part.solution.inline())}
                 for part in view.parts]
        context = {"generator": f"examgen {__version__}", "seed": self.seed,
                   "p": {"id": problem.id, "title": problem.title, "points": points(sum(prepared.part_points.values())),
                         "intro": Markup(view.intro.inline()), "outro": Markup(view.outro.inline()),
                         "general": Markup(view.general.inline()), "parts": parts}}
        text = html_environment().get_template("preview-view.html.j2").render(**context)
        warnings = tuple(f"{problem.id}: a formula stays TeX in the HTML view (pandoc cannot convert it to "
                         f"MathML): {' '.join(tex.split())[:80]}" for tex in dict.fromkeys(view.raw_math))
        return text, warnings


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _publish(out: Path, name: str, data: bytes) -> None:
    """Replace out/name whole: the page never reads half a file."""
    partial = out / f".{name}.partial"
    partial.write_bytes(data)
    os.replace(partial, out / name)


# ---------------------------------------------------------------- state shown by the page

class Status:
    """What status.json says; written by the builds, read by the server's threads."""

    def __init__(self, problem_id: str, seed: int):
        self._lock = threading.Lock()
        self._data: dict[str, Any] = {
            "problem": problem_id, "seed": seed,
            "build": 0,             # the latest build started
            "building": False,
            "pdf_version": 0,       # the build whose PDF is served (0: none yet)
            "pdf_sha256": None,
            "html_version": 0,      # the build whose HTML view is served
            "seconds": 0.0,         # build start to PDF, of the served version
            "built_at": None,
            "error": None,          # the one-line error of the latest build, or None
        }

    def update(self, **changes: Any) -> None:
        with self._lock:
            self._data.update(changes)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._data)


# ---------------------------------------------------------------- the local page

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    preview: Preview


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        preview = self.server.preview
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        if host not in (HOST, "localhost"):
            # Another site's page made the browser call us under its own name (DNS rebinding).
            self.send_error(403, "the preview answers only to 127.0.0.1 and localhost")
            return
        path = urlsplit(self.path).path
        if path in ("/", "/index.html"):
            self._send(preview.page, "text/html; charset=utf-8")
        elif path == "/status.json":
            self._send(json.dumps(preview.status.snapshot()).encode(), "application/json")
        elif path in (f"/{PDF}", f"/{VIEW}"):
            try:
                data = (preview.out / path[1:]).read_bytes()
            except FileNotFoundError:
                self.send_error(404, "no good build yet")
                return
            self._send(data, "application/pdf" if path.endswith(".pdf") else "text/html; charset=utf-8")
        else:
            self.send_error(404)

    def _send(self, body: bytes, content_type: str) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are not news; the preview reports its builds through events


# ---------------------------------------------------------------- the preview

class Preview:
    """Serve the page, build, and rebuild on every save: `with Preview(...) as p: p.watch()`."""

    def __init__(self, problem_id: str, seed: int = 1, bank: Bank | None = None, out: Path | None = None,
                 port: int = DEFAULT_PORT, report: Report = _ignore):
        if not 0 <= port <= 65535:
            raise ExamgenError(f"port {port} is out of range", "--port", "give 1 to 65535, or 0 for any free port")
        from generator.build import pdflatex
        from generator.exports.html import pandoc

        pdflatex()  # before anything starts: a missing TeX or pandoc is one clear line, not an error per save
        pandoc()
        self.problem_id, folder, found = problem_folder(problem_id, bank)
        self.seed = seed
        self.port = port
        self.report = report
        self.out = Path(out) if out is not None else Path("output") / "preview" / self.problem_id.replace("/", "-")
        try:
            self.out.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ExamgenError(f"cannot write the preview folder ({error.strerror})", str(self.out),
                               "choose another folder with --out") from None
        self.builder = Builder(self.problem_id, folder, found, seed, self.out)
        self.status = Status(self.problem_id, seed)
        self.page = b""
        self._build = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- the server

    def __enter__(self) -> Preview:
        self.serve()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def serve(self) -> None:
        """Start serving the page (in a thread) on 127.0.0.1."""
        from generator.practice import html_environment

        self.page = html_environment().get_template("preview.html.j2").render(
            problem_id=self.problem_id, seed=self.seed, poll_ms=POLL_MS,
            generator=f"examgen {__version__}").encode("utf-8")
        try:
            server = _Server((HOST, self.port), _Handler)
        except OSError as error:
            raise ExamgenError(f"cannot serve the preview on {HOST}:{self.port} ({error.strerror})", "--port",
                               "choose another port with --port (0 takes any free one)") from None
        server.preview = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name="examgen-preview", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        port = self._server.server_address[1] if self._server else self.port
        return f"http://{HOST}:{port}/"

    def close(self) -> None:
        """Stop serving; returns when the server's socket is closed."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # -- building

    def rebuild(self, changed: Sequence[str] = ()) -> bool:
        """One build: the PDF, then the HTML view. False when it failed (what was shown stays)."""
        self._build += 1
        build = self._build
        changed = tuple(changed)
        start = time.monotonic()
        self.status.update(build=build, building=True)
        try:
            prepared = self.builder.prepare()
            pdf = self.builder.pdf(prepared).read_bytes()
            _publish(self.out, PDF, pdf)
            _publish(self.out, TEX, prepared.tex.encode("utf-8"))
            seconds = time.monotonic() - start
            self.status.update(pdf_version=build, pdf_sha256=hashlib.sha256(pdf).hexdigest(), seconds=round(seconds, 3),
                               built_at=time.strftime("%H:%M:%S"), error=None)
            self.report(Event("pdf", build, seconds, changed, path=self.out / PDF))
            html, warnings = self.builder.html(prepared)
            _publish(self.out, VIEW, html.encode("utf-8"))
            self.status.update(html_version=build)
            self.report(Event("html", build, time.monotonic() - start, changed, path=self.out / VIEW,
                              warnings=warnings))
            return True
        except Exception as error:  # the preview outlives a broken save: it reports it and waits for the next
            failure = one_line(error, self.builder.folder)
            self.status.update(error=" ".join(failure.line().split()))
            self.report(Event("error", build, time.monotonic() - start, changed, error=failure))
            return False
        finally:
            self.status.update(building=False)

    def watch(self, stop: threading.Event | None = None) -> None:
        """Build once, then again after every save, until `stop` is set or Ctrl-C (KeyboardInterrupt)."""
        import watchfiles

        folders = [self.builder.folder.resolve(), engine_templates().resolve()]
        # The preview's own output never triggers a build, wherever --out points.
        quiet = watchfiles.DefaultFilter(ignore_paths=[str(self.out.resolve())])
        built = False
        # The watcher is live from before the first build (a save during it is not lost);
        # it wakes every IDLE_MS with no change, and the first wake starts that build.
        for changes in watchfiles.watch(*folders, watch_filter=quiet, debounce=DEBOUNCE_MS, step=STEP_MS,
                                        rust_timeout=IDLE_MS, yield_on_timeout=True, stop_event=stop):
            if changes or not built:
                built = True
                self.rebuild(_names({path for _, path in changes}, folders))


def _names(paths: set[str], folders: Sequence[Path]) -> list[str]:
    """The changed files as the author knows them (an editor's or sed's vanished temporary
    files left out, unless nothing else changed)."""
    kept = {p for p in paths if os.path.exists(p)} or paths
    names = set()
    for path in kept:
        name = path
        for folder in folders:
            with contextlib.suppress(ValueError):
                name = str(Path(path).relative_to(folder))
                break
        names.add(name)
    return sorted(names)
