"""The build flow: plan -> variants -> documents -> (PDFs) -> one output folder, swapped in whole."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.build import Document, atomic_directory, compile_all, page_counts, split_pdf
from generator.documents import SHEETS, render_sheet, variant_context
from generator.exports.key import dumps, key_document
from generator.plan import Plan
from generator.variants import Variant, make_variant

Progress = Callable[[str, int, int], None]   # (stage, done, total)


@dataclass(frozen=True)
class BuildResult:
    out: Path
    variants: int
    pdf: bool
    files: tuple[str, ...]


def _noop(stage: str, done: int, total: int) -> None:
    pass


def build(plan: Plan, out: Path, pdf: bool = True, jobs: int = 2, progress: Progress = _noop) -> BuildResult:
    keys = plan.variant_keys
    variants: list[Variant] = []
    for i, key in enumerate(keys):
        variants.append(make_variant(plan, key))
        progress("instances", i + 1, len(keys))

    contexts = {sheet: [] for sheet in SHEETS}
    for i, variant in enumerate(variants):
        for sheet in SHEETS:
            contexts[sheet].append(variant_context(plan, variant, sheet))
        progress("rendering", i + 1, len(variants))

    written: list[str] = []
    with atomic_directory(out) as staging:
        def write(relative: str, text: str) -> None:
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(relative)

        write("key.json", dumps(key_document(plan, variants)))
        for sheet in SHEETS:
            for variant, context in zip(variants, contexts[sheet], strict=True):
                write(f"variants/{variant.key}/{sheet}.tex", render_sheet(plan, [context], sheet))
        if pdf:
            documents = [Document(f"all-{sheet}s" if sheet == "exam" else f"all-{sheet}",
                                  render_sheet(plan, contexts[sheet], sheet), keys) for sheet in SHEETS]
            workdir = staging / ".latex"
            finished = 0

            def done(_: Document) -> None:
                nonlocal finished
                finished += 1
                progress("compiling", finished, len(documents))

            progress("compiling", 0, len(documents))
            pdfs = compile_all(documents, workdir, jobs, done)
            for sheet, document in zip(SHEETS, documents, strict=True):
                aux = (workdir / document.name / f"{document.name}.aux").read_text(encoding="utf-8")
                counts = page_counts(aux, len(keys))
                targets = [staging / "variants" / key / f"{sheet}.pdf" for key in keys]
                split_pdf(pdfs[document.name], counts, targets)
                written.extend(str(t.relative_to(staging)) for t in targets)
                (staging / f"{document.name}.pdf").write_bytes(pdfs[document.name].read_bytes())
                written.append(f"{document.name}.pdf")
            shutil.rmtree(workdir)
    return BuildResult(out, len(variants), pdf, tuple(written))
