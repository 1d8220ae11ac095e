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
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from generator import __version__, exports
from generator.bank import DEFAULT_BANK, ROOT
from generator.build import (
    Document,
    atomic_directory,
    compile_all,
    join_pdfs,
    page_counts,
    pdflatex,
    split_pdf,
    tex_identity,
)
from generator.documents import SHEETS, render_sheet, rendered_problems, variant_contexts
from generator.plan import Plan
from generator.roster import shared_instances
from generator.variantcode import QR_LAYOUT, stamp_qr_codes, variant_code
from generator.variants import Variant, make_variant

Progress = Callable[[str, int, int], None]   # (stage, done, total)

BATCH_VARIANTS = 100        # variants per combined document at most (memory stays flat)
MIN_BATCH = 20              # below this, splitting a sheet costs more preamble than it saves
PARALLEL_FROM = 24          # variants from which instances are drawn in worker processes
STATE = ".examgen"          # the build's own state inside the output folder
COMBINED = {"exam": "all-exams.pdf", "solutions": "all-solutions.pdf"}


@dataclass(frozen=True)
class BuildResult:
    out: Path
    variants: int
    pdf: bool
    files: tuple[str, ...]
    up_to_date: bool = False
    compiled: int = 0          # combined documents compiled (the rest were reused)
    warnings: tuple[str, ...] = ()


def _noop(stage: str, done: int, total: int) -> None:
    pass


# ---------------------------------------------------------------- stage: instances and contexts

def _prepare_chunk(plan: Plan, keys: Sequence[str]) -> list[tuple[Variant, dict[str, Any]]]:
    out = []
    for key in keys:
        variant = make_variant(plan, key)
        out.append((variant, variant_contexts(plan, variant)))
    return out


def prepare(plan: Plan, jobs: int, progress: Progress = _noop) -> list[tuple[Variant, dict[str, Any]]]:
    """Every variant's instances and sheet contexts, in variant order; in `jobs` processes when large."""
    keys = list(plan.variant_keys)
    if jobs <= 1 or len(keys) < PARALLEL_FROM:
        prepared = []
        for i, key in enumerate(keys):
            prepared.extend(_prepare_chunk(plan, [key]))
            progress("instances", i + 1, len(keys))
        return prepared
    size = math.ceil(len(keys) / (jobs * 4))
    chunks = [keys[i:i + size] for i in range(0, len(keys), size)]
    prepared = []
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        for result in pool.map(_prepare_chunk, [plan] * len(chunks), chunks):
            prepared.extend(result)
            progress("instances", len(prepared), len(keys))
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
    ranges = batches(len(prepared))
    for sheet in reversed(SHEETS):  # solutions sheets are the longer ones: start them first
        for number, span in enumerate(ranges, start=1):
            tex = render_sheet(plan, [prepared[i][1][sheet] for i in span], sheet)
            name = f"{sheet}-{number}" if len(ranges) > 1 else sheet
            out.append((sheet, Document(name, tex, tuple(keys[i] for i in span))))
    return out


# ---------------------------------------------------------------- rebuild detection

def _source_digest(problem_ids: Sequence[str]) -> str:
    """What the output depends on besides the plan: the generator, the templates, and the
    folders of the problems the plan uses (editing another problem forces no rebuild)."""
    digest = hashlib.sha256(__version__.encode())
    folders = [ROOT / "generator", ROOT / "templates"] + [DEFAULT_BANK / pid for pid in sorted(set(problem_ids))]
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def inputs_digest(plan: Plan, pdf: bool, options: dict[str, Any]) -> str:
    blob = json.dumps({"plan": asdict(plan), "pdf": pdf, "options": options, "source": _source_digest([slot.problem_id for slot in plan.slots]),
                       "tex": tex_identity() if pdf else None}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _read_manifest(out: Path) -> dict[str, Any]:
    try:
        return json.loads((out / STATE / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _document_hash(document: Document) -> str:
    # QR_LAYOUT: the QR codes are drawn into the exam PDFs after pdflatex, so they are part of the document
    return hashlib.sha256((tex_identity() + "\n" + QR_LAYOUT + "\n" + document.tex).encode()).hexdigest()


# ---------------------------------------------------------------- the build

def build(plan: Plan, out: Path, pdf: bool = True, jobs: int = 2, progress: Progress = _noop,
          options: dict[str, Any] | None = None) -> BuildResult:
    """Build `plan` into `out`. `options` are further output choices that change what is written."""
    out = Path(out)
    options = dict(options or {})
    if pdf:
        pdflatex()  # before any work: TeX missing is a clear error, not a failure after rendering
    previous = _read_manifest(out)
    digest = inputs_digest(plan, pdf, options)
    if previous.get("inputs") == digest and all((out / f).is_file() for f in previous.get("files", [])):
        return BuildResult(out, len(plan.variant_keys), pdf, tuple(previous["files"]), up_to_date=True,
                           warnings=tuple(previous.get("warnings", ())))

    prepared = prepare(plan, jobs, progress)
    variants = [v for v, _ in prepared]
    written: list[str] = []
    compiled = 0
    with atomic_directory(out) as staging:
        def write(relative: str, text: str) -> None:
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(relative)

        exporters = exports.chosen(options.get("formats", ()))
        export = exports.prepare(plan, variants, [rendered_problems(c) for _, c in prepared], exporters,
                                 progress=progress)
        for exporter in exporters:
            write(exporter.filename, exporter.write(export))
        warnings = shared_instances(plan, variants)
        for variant, contexts in prepared:
            for sheet in SHEETS:
                write(f"variants/{variant.key}/{sheet}.tex", render_sheet(plan, [contexts[sheet]], sheet))
        cache: dict[str, Any] = {}
        if pdf:
            compiled, cache = _pdfs(plan, prepared, jobs, staging, out, previous, written, progress)
            warnings = warnings + page_count_warnings(cache)
        manifest = {"generator": __version__, "inputs": digest, "files": sorted(written), "documents": cache,
                    "warnings": warnings}
        state = staging / STATE
        state.mkdir(exist_ok=True)
        (state / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return BuildResult(out, len(variants), pdf, tuple(written), compiled=compiled, warnings=tuple(warnings))


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


def _pdfs(plan: Plan, prepared, jobs: int, staging: Path, out: Path, previous: dict[str, Any],
          written: list[str], progress: Progress) -> tuple[int, dict[str, Any]]:
    """Compile (or reuse) the combined documents, split them per variant, join them per sheet."""
    docs = documents(plan, prepared)
    old = previous.get("documents", {})
    cache: dict[str, Any] = {}
    to_compile = []
    pdf_dir = staging / STATE / "pdf"
    pdf_dir.mkdir(parents=True)
    for _, document in docs:
        digest = _document_hash(document)
        reusable = out / STATE / "pdf" / f"{document.name}.pdf"
        entry = old.get(document.name)
        if entry and entry["hash"] == digest and reusable.is_file():
            shutil.copyfile(reusable, pdf_dir / f"{document.name}.pdf")
            cache[document.name] = entry
        else:
            to_compile.append(document)
            cache[document.name] = {"hash": digest}
    def split(document: Document) -> None:
        sheet = document.name.split("-")[0]
        targets = [staging / "variants" / key / f"{sheet}.pdf" for key in document.variant_keys]
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
            cache[document.name]["pages"] = page_counts(aux, len(document.variant_keys))
            shutil.copyfile(workdir / document.name / f"{document.name}.pdf", pdf_dir / f"{document.name}.pdf")
            if document.name.split("-")[0] == "exam":  # every exam page: a QR code of variant and page
                stamp_qr_codes(pdf_dir / f"{document.name}.pdf", cache[document.name]["pages"],
                               [variant_code(plan.seed, key) for key in document.variant_keys])
            split(document)
            finished += 1
            progress("compiling", finished, len(to_compile))

        progress("compiling", 0, len(to_compile))
        compile_all(to_compile, workdir, jobs, done)
        shutil.rmtree(workdir)

    for sheet in SHEETS:
        # batches are in variant order
        join_pdfs([pdf_dir / f"{d.name}.pdf" for kind, d in docs if kind == sheet], staging / COMBINED[sheet])
        written.append(COMBINED[sheet])
    return len(to_compile), cache
