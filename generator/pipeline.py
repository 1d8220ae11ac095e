"""The build flow: plan -> variants -> documents -> (PDFs) -> one output folder, swapped in whole.

Speed, measured in benchmarks/: all variants of a sheet go into a few combined documents
(one per core and sheet, at most BATCH_VARIANTS variants each), compiled side by side and
split into per-variant PDFs by page ranges. A rebuild compiles nothing that has not
changed: the build's inputs are hashed (plan, generator, templates, bank, TeX), and each
combined document's .tex is hashed, so unchanged documents reuse their previous PDF.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from generator import __version__, accessible, answersheet, exports, resources
from generator.bank import Bank
from generator.build import (
    Document,
    compile_all,
    join_pdfs,
    page_counts,
    pdflatex,
    split_pdf,
    tex_identity,
)
from generator.documents import (
    SHEETS,
    engine,
    render_sheet,
    rendered_problems,
    translation_warnings,
    variant_contexts,
)
from generator.grader import LABEL as GRADER
from generator.grader import render_grader
from generator.outdir import OutputFolder, open_output, worker_init
from generator.plan import Plan
from generator.roster import shared_instances
from generator.variantcode import QR_LAYOUT, stamp_qr_codes, variant_code
from generator.variants import (
    SlotReport,
    Structures,
    Variant,
    make_variant,
    slot_reports,
    structures,
)

Progress = Callable[[str, int, int], None]   # (stage, done, total)

BATCH_VARIANTS = 100        # variants per combined document at most (memory stays flat)
MIN_BATCH = 20              # below this, splitting a sheet costs more preamble than it saves
PARALLEL_FROM = 24          # variants from which instances are drawn in worker processes
STATE = ".examgen"          # the build's own state inside the output folder
COMBINED = {"exam": "all-exams.pdf", "solutions": "all-solutions.pdf"}
GRADER_FILE = "grader.pdf"  # the grader's copy (spec `grader:`): one document for the whole build
COMBINED_SHEETS = "all-answer-sheets.pdf"     # every answer sheet, to print spares


@dataclass(frozen=True)
class BuildResult:
    out: Path
    variants: int
    pdf: bool
    files: tuple[str, ...]
    up_to_date: bool = False
    compiled: int = 0          # combined documents compiled (the rest were reused)
    warnings: tuple[str, ...] = ()
    slots: tuple[SlotReport, ...] = ()   # per slot: structure, workload spread, duplicates


def _noop(stage: str, done: int, total: int) -> None:
    pass


# ---------------------------------------------------------------- stage: instances and contexts

def _prepare_chunk(plan: Plan, keys: Sequence[str],
                   shared: Structures | None = None) -> list[tuple[Variant, dict[str, Any]]]:
    out = []
    for key in keys:
        variant = make_variant(plan, key, shared)
        out.append((variant, variant_contexts(plan, variant)))
    return out


def prepare(plan: Plan, jobs: int, progress: Progress = _noop) -> list[tuple[Variant, dict[str, Any]]]:
    """Every variant's instances and sheet contexts, in variant order; in `jobs` processes when large."""
    keys = list(plan.variant_keys)
    shared = structures(plan)   # each slot's structure, drawn once for all variants
    if jobs <= 1 or len(keys) < PARALLEL_FROM:
        prepared = []
        for i, key in enumerate(keys):
            prepared.extend(_prepare_chunk(plan, [key], shared))
            progress("instances", i + 1, len(keys))
        return prepared
    size = math.ceil(len(keys) / (jobs * 4))
    chunks = [keys[i:i + size] for i in range(0, len(keys), size)]
    prepared = []
    # The workers end with examgen, even when it is killed (they would wait for work forever).
    pool = ProcessPoolExecutor(max_workers=jobs, initializer=worker_init, initargs=(os.getpid(),))
    try:
        for result in pool.map(_prepare_chunk, [plan] * len(chunks), chunks, [shared] * len(chunks)):
            prepared.extend(result)
            progress("instances", len(prepared), len(keys))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
    return prepared


# ---------------------------------------------------------------- stage: documents

def batches(count: int) -> list[range]:
    """Consecutive variant ranges, one combined document each.

    Two per sheet from 2 * MIN_BATCH variants (so the longer solutions sheet does not leave
    a core idle), never more than BATCH_VARIANTS per document. It depends on the count only,
    never on --jobs: a variant's PDF embeds font subsets of its combined document, so the
    same batches are what makes the bytes the same whatever the number of cores.
    """
    per_sheet = max(2 if count >= 2 * MIN_BATCH else 1, math.ceil(count / BATCH_VARIANTS))
    size = math.ceil(count / per_sheet)
    return [range(i, min(count, i + size)) for i in range(0, count, size)]


def documents(plan: Plan, prepared: Sequence[tuple[Variant, dict[str, Any]]]) -> list[tuple[str, Document]]:
    """(sheet, combined document) pairs; the biggest first so the cores finish together."""
    out = []
    keys = [v.key for v, _ in prepared]
    # Variants whose name needs the Unicode fonts go to documents of their own (lualatex), so
    # every other variant's document, its speed and its bytes stay as without them.
    unicode = [i for i, (_, contexts) in enumerate(prepared) if contexts[SHEETS[0]].get("unicode_fonts")]
    groups = [("", [i for i in range(len(prepared)) if i not in set(unicode)]), ("unicode-", unicode)]
    for sheet in reversed(SHEETS):  # solutions sheets are the longer ones: start them first
        for prefix, members in groups:
            ranges = batches(len(members)) if members else []
            for number, span in enumerate(ranges, start=1):
                chosen = [members[i] for i in span]
                tex = render_sheet(plan, [prepared[i][1][sheet] for i in chosen], sheet)
                name = f"{sheet}-{prefix}{number}" if len(ranges) > 1 or prefix else sheet
                out.append((sheet, Document(name, tex, tuple(keys[i] for i in chosen), engine(tex))))
    return out


# ---------------------------------------------------------------- rebuild detection

def _source_digest(problem_ids: Sequence[str], bank: Bank) -> str:
    """What the output depends on besides the plan: the installed generator, its templates, and
    the folders of the problems the plan uses, in whichever bank they are (editing another
    problem, or a problem's test or snapshots, forces no rebuild)."""
    digest = hashlib.sha256(__version__.encode())
    folders = [("generator", resources.engine()), ("templates", resources.templates())]
    folders += [(pid, bank.folder(pid)) for pid in sorted(set(problem_ids))]
    # Installed, templates and the built-in bank sit inside the package: hashed as such, or not at all.
    inside = (resources.templates(), resources.builtin_bank(), resources.scaffold())
    for label, folder in folders:
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if (not path.is_file() or "__pycache__" in relative.parts or "snapshots" in relative.parts
                    or path.name.startswith("test_")
                    or (label == "generator" and any(path.is_relative_to(s) for s in inside))):
                continue
            digest.update(f"{label}/{relative.as_posix()}".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def inputs_digest(plan: Plan, pdf: bool, options: dict[str, Any]) -> str:
    # A slot's `where` (the spec's path as typed, for error messages) changes no output: left
    # out, the manifest is the same whichever folder the build was started from.
    plan = replace(plan, slots=tuple(replace(slot, where="") for slot in plan.slots))
    blob = json.dumps({"plan": asdict(plan), "pdf": pdf, "options": options, "source": _source_digest([slot.problem_id for slot in plan.slots], plan.bank),
                       "tex": tex_identity() if pdf else None}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((out / STATE / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _document_hash(document: Document) -> str:
    # QR_LAYOUT: the QR codes are drawn into the exam PDFs after pdflatex, so they are part of the document
    identity = tex_identity() + ("" if document.engine == "pdflatex" else f" {shutil.which(document.engine)}")
    return hashlib.sha256((identity + "\n" + QR_LAYOUT + "\n" + document.tex).encode()).hexdigest()


def _file_hash(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _intact(out: Path, manifest: dict[str, Any]) -> bool:
    """Every file the manifest lists is there with the bytes the build wrote."""
    hashes = manifest.get("sha256")
    files = manifest.get("files")
    if not isinstance(hashes, dict) or not isinstance(files, list):
        return False
    return all(isinstance(f, str) and _file_hash(out / f) == hashes.get(f) for f in files)


# ---------------------------------------------------------------- the build

def build(plan: Plan, out: Path, pdf: bool = True, jobs: int = 2, progress: Progress = _noop,
          options: dict[str, Any] | None = None, inputs: Sequence[Path] = ()) -> BuildResult:
    """Build `plan` into `out`. `options` are further output choices that change what is written;
    `inputs` are the files the plan was read from (the spec, the roster), never to be inside `out`.

    `out` must be a new, empty or examgen-made folder (see generator.outdir); the files of other
    kinds there (grading results, notes) are kept.
    """
    out = Path(out)
    options = dict(options or {})
    if pdf:
        pdflatex()  # before any work: TeX missing is a clear error, not a failure after rendering
    with open_output(out, "build", inputs) as folder:
        return _build(plan, out, folder, pdf, jobs, progress, options)


def _build(plan: Plan, out: Path, folder: OutputFolder, pdf: bool, jobs: int, progress: Progress,
           options: dict[str, Any]) -> BuildResult:
    target = folder.target
    previous = _read_manifest(target)
    digest = inputs_digest(plan, pdf, options)
    if previous.get("inputs") == digest and _intact(target, previous):
        return BuildResult(out, len(plan.variant_keys), pdf, tuple(previous["files"]), up_to_date=True,
                           warnings=tuple(previous.get("warnings", ())))

    prepared = prepare(plan, jobs, progress)
    variants = [v for v, _ in prepared]
    written: list[str] = []
    compiled = 0
    notes: list[str] = []
    with folder.stage() as staging:
        def write(relative: str, text: str | bytes) -> None:
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):      # a package (zip) from an exporter
                path.write_bytes(text)
            else:
                path.write_text(text, encoding="utf-8")
            written.append(relative)

        exporters = exports.chosen(options.get("formats", ()))
        export = exports.prepare(plan, variants, [rendered_problems(c) for _, c in prepared], exporters,
                                 progress=progress)
        for exporter in exporters:
            write(exporter.filename, exporter.write(export))
        # The answer sheets of the choice items, from the key's `choices` (generator.answersheet);
        # the exam pages say where to mark.
        sheets = answersheet.sheets(export.key)
        for variant, contexts in prepared:
            if variant.key in sheets:
                contexts["exam"]["answer_sheet"] = answersheet.note(sheets[variant.key])
        warnings = translation_warnings(plan) + shared_instances(plan, variants)
        reports = slot_reports(plan, variants)
        warnings += [f"slot {r.number} ({r.problem_id}): {w}" for r in reports for w in r.warnings]
        for variant, contexts in prepared:
            for sheet in SHEETS:
                write(f"variants/{variant.key}/{sheet}.tex", render_sheet(plan, [contexts[sheet]], sheet))
            if variant.key in sheets:
                write(f"variants/{variant.key}/{answersheet.TEX_FILENAME}", answersheet.render(plan.title, [sheets[variant.key]], plan.language[0]))
        # it holds every variant's key values (its time limit grows with them), on pages of its own
        grader_tex = render_grader(plan, variants) if plan.grader else ""
        grader = Document(GRADER, grader_tex, plan.variant_keys, engine(grader_tex)) if plan.grader else None
        if grader is not None:
            write(f"{GRADER}.tex", grader.tex)
        for key, page in accessible.html_exams(plan, prepared).items():   # roster accommodation `html`
            write(f"variants/{key}/exam.html", page)
        cache: dict[str, Any] = {}
        if pdf:
            compiled, cache = _pdfs(plan, prepared, jobs, staging, target, previous, written, progress, notes,
                                    grader, sheets)
            written.extend(accessible.build_large_print(plan, prepared, staging, jobs, notes))
            warnings = warnings + page_count_warnings(cache)
        manifest = {"generator": __version__, "inputs": digest, "files": sorted(written), "documents": cache,
                    "warnings": warnings, "sha256": {f: _file_hash(staging / f) for f in sorted(written)}}
        state = staging / STATE
        state.mkdir(exist_ok=True)
        (state / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return BuildResult(out, len(variants), pdf, tuple(written), compiled=compiled,
                       warnings=tuple(warnings) + tuple(dict.fromkeys(notes)), slots=tuple(reports))


def _reusable(entry: Any, digest: str, pdf: Path) -> bool:
    """A previous combined PDF is reused only for the same .tex and only with the bytes that
    build recorded: never a PDF another build (another seed) left in the folder."""
    return (isinstance(entry, dict) and entry.get("hash") == digest and isinstance(entry.get("pages"), list)
            and isinstance(entry.get("pdf"), str) and _file_hash(pdf) == entry["pdf"])


def page_count_warnings(cache: dict[str, Any]) -> list[str]:
    """A warning when the students' exams do not all have the same number of (padded) pages:
    booklets of different thickness, and a sign that some variants hold more work. (Solutions
    sheets differ with the worked steps, and nobody writes on them.)"""
    counts = [n for name in sorted(cache) if name.split("-")[0] == "exam" for n in cache[name].get("pages", [])]
    if len(set(counts)) <= 1:
        return []
    spread = ", ".join(f"{counts.count(n)} with {n}" for n in sorted(set(counts)))
    return [f"the exam sheets differ in page count ({spread} pages): set space: or newpage: in the spec, "
            f"or print: {{pad_to: 4}}, to even them out"]


def sheet_documents(title: str, sheets: dict[str, answersheet.Sheet], language: str = "en") -> list[tuple[str, Document]]:
    """The answer sheets' combined documents (in variant order, batched as the other sheets)."""
    keys = list(sheets)
    if not keys:
        return []
    ranges = batches(len(keys))
    out = []
    for number, span in enumerate(ranges, start=1):
        name = f"{answersheet.SHEET}-{number}" if len(ranges) > 1 else answersheet.SHEET
        chosen = [sheets[keys[i]] for i in span]
        tex = answersheet.render(title, chosen, language)
        out.append((answersheet.SHEET, Document(name, tex, tuple(s.variant for s in chosen), engine(tex))))
    return out


def _pdfs(plan: Plan, prepared, jobs: int, staging: Path, out: Path, previous: dict[str, Any],
          written: list[str], progress: Progress, notes: list[str],
          grader: Document | None = None, sheets: dict[str, answersheet.Sheet] | None = None
          ) -> tuple[int, dict[str, Any]]:
    """Compile (or reuse) the combined documents, split them per variant, join them per sheet;
    the grader's copy (a document of no variant) is compiled with them and kept whole; with
    answer sheets, each variant's exam gets its sheet pages at the end."""
    sheets = sheets or {}
    docs = (([(GRADER, grader)] if grader is not None else []) + documents(plan, prepared)
            + sheet_documents(plan.title, sheets, plan.language[0]))
    old = previous.get("documents", {})
    old = old if isinstance(old, dict) else {}
    cache: dict[str, Any] = {}
    to_compile = []
    pdf_dir = staging / STATE / "pdf"
    pdf_dir.mkdir(parents=True)
    for _, document in docs:
        digest = _document_hash(document)
        reusable = out / STATE / "pdf" / f"{document.name}.pdf"
        entry = old.get(document.name)
        if _reusable(entry, digest, reusable):
            shutil.copyfile(reusable, pdf_dir / f"{document.name}.pdf")
            cache[document.name] = entry
        else:
            to_compile.append(document)
            cache[document.name] = {"hash": digest}
    def split(document: Document) -> None:
        if document.name == GRADER:
            shutil.copyfile(pdf_dir / f"{document.name}.pdf", staging / GRADER_FILE)
            written.append(GRADER_FILE)
            return
        sheet = document.name.split("-")[0]
        filename = answersheet.FILENAME if sheet == answersheet.SHEET else f"{sheet}.pdf"
        targets = [staging / "variants" / key / filename for key in document.variant_keys]
        split_pdf(pdf_dir / f"{document.name}.pdf", cache[document.name]["pages"], targets)
        written.extend(str(t.relative_to(staging)) for t in targets)

    for document in (d for _, d in docs if d not in to_compile):
        split(document)
    if to_compile:
        workdir = staging / ".latex"
        finished = 0

        def done(document: Document) -> None:
            # Runs as each document finishes, so splitting overlaps the compiles still running.
            nonlocal finished
            aux = (workdir / document.name / f"{document.name}.aux").read_text(encoding="utf-8")
            cache[document.name]["pages"] = page_counts(aux, 1 if document.name == GRADER else len(document.variant_keys))
            shutil.copyfile(workdir / document.name / f"{document.name}.pdf", pdf_dir / f"{document.name}.pdf")
            if document.name.split("-")[0] == "exam":  # every exam page: a QR code of variant and page
                stamp_qr_codes(pdf_dir / f"{document.name}.pdf", cache[document.name]["pages"],
                               [variant_code(plan.seed, key) for key in document.variant_keys])
            if document.name.split("-")[0] == answersheet.SHEET:
                answersheet.stamp_sheet_qr_codes(pdf_dir / f"{document.name}.pdf", cache[document.name]["pages"],
                                                 [sheets[key].code for key in document.variant_keys])
            cache[document.name]["pdf"] = _file_hash(pdf_dir / f"{document.name}.pdf")
            split(document)
            finished += 1
            progress("compiling", finished, len(to_compile))

        progress("compiling", 0, len(to_compile))
        compile_all(to_compile, workdir, jobs, done, notes)
        shutil.rmtree(workdir)

    mixed = any(d.engine != "pdflatex" for _, d in docs)
    for sheet in SHEETS:
        # batches are in variant order; with lualatex documents besides, the variants' own PDFs are
        # joined in variant order instead
        if sheet == "exam" and sheets:
            _exams_with_sheets(docs, cache, pdf_dir, staging, plan.pad_to)
            if mixed:
                join_pdfs([staging / "variants" / v.key / "exam.pdf" for v, _ in prepared], staging / COMBINED[sheet])
        elif mixed:
            join_pdfs([staging / "variants" / v.key / f"{sheet}.pdf" for v, _ in prepared], staging / COMBINED[sheet])
        else:
            join_pdfs([pdf_dir / f"{d.name}.pdf" for kind, d in docs if kind == sheet], staging / COMBINED[sheet])
        written.append(COMBINED[sheet])
    if sheets:
        join_pdfs([pdf_dir / f"{d.name}.pdf" for kind, d in docs if kind == answersheet.SHEET],
                  staging / COMBINED_SHEETS)
        written.append(COMBINED_SHEETS)
    return len(to_compile), cache


def _exams_with_sheets(docs: list[tuple[str, Document]], cache: dict[str, Any], pdf_dir: Path, staging: Path,
                       pad_to: int) -> None:
    """all-exams.pdf and every variant's exam.pdf with the variant's answer sheet at the end."""
    def parts(kind: str) -> list[tuple[Path, tuple[str, ...], list[int]]]:
        return [(pdf_dir / f"{d.name}.pdf", d.variant_keys, cache[d.name]["pages"]) for k, d in docs if k == kind]

    combined = staging / COMBINED["exam"]
    pages = answersheet.with_sheets(parts("exam"), parts(answersheet.SHEET), pad_to, combined)
    keys = [key for kind, d in docs if kind == "exam" for key in d.variant_keys]
    split_pdf(combined, [pages[key] for key in keys], [staging / "variants" / key / "exam.pdf" for key in keys])
