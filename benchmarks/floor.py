"""Write the combined .tex documents a build compiles, and two scripts that compile them with
pdflatex alone, one document per core, as the floors `examgen build` is measured against:

- plain/compile.sh: two pdflatex passes per document, as written;
- fastest/compile.sh: the fastest way we know: TikZ pictures typeset once per document
  (a figure document each, one pass) and two passes of each document (the first in draft
  mode) over the precompiled preamble format. Building the format is not timed (it is cached between builds).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from generator.build import preamble_format
from generator.figures import MIN_PICTURES, figure_document, include_pages, pictures
from generator.pipeline import documents, prepare
from generator.plan import make_plan
from generator.spec import load_spec

PASSES = "pdflatex -interaction=batchmode -halt-on-error -no-shell-escape {fmt}{{}} >/dev/null"


def _script(folder: Path, stages: list[tuple[str, str]]) -> None:
    lines = ["#!/bin/sh", "set -e", f"cd '{folder.resolve()}'"]
    for pattern, command in stages:
        lines.append(f"ls {pattern} | xargs -P \"$(nproc)\" -I{{}} sh -c '{command}'")
    script = folder / "compile.sh"
    script.write_text("\n".join(lines) + "\n", encoding="utf-8")
    script.chmod(0o755)


def main(spec: str, folder: str) -> None:
    out = Path(folder)
    plan = make_plan(*load_spec(spec), spec)
    docs = [d for _, d in documents(plan, prepare(plan, jobs=os.cpu_count() or 2))]

    plain = out / "plain"
    plain.mkdir(parents=True, exist_ok=True)
    for document in docs:
        (plain / f"{document.name}.tex").write_text(document.tex, encoding="utf-8")
    one = PASSES.format(fmt="")
    _script(plain, [("solutions*.tex exam*.tex", f"{one} && {one}")])

    fastest = out / "fastest"
    fastest.mkdir(parents=True, exist_ok=True)
    fmt = preamble_format(docs[0].tex)
    for document in docs:
        tex = document.tex
        if len(pictures(tex)) >= MIN_PICTURES:
            figures = figure_document(pictures(tex))
            (fastest / f"fig-{document.name}.tex").write_text(figures, encoding="utf-8")
            figure_fmt = preamble_format(figures)
            (fastest / f"fig-{document.name}.fmt-name").write_text(figure_fmt or "", encoding="utf-8")
            tex = include_pages(tex, f"fig-{document.name}")
        (fastest / f"{document.name}.tex").write_text(tex, encoding="utf-8")
    figure_pass = "pdflatex -interaction=batchmode -halt-on-error -no-shell-escape -fmt=$(cat {}.fmt-name 2>/dev/null || true) {} >/dev/null"
    figure_pass = figure_pass.replace("{}.fmt-name", "$(basename {} .tex).fmt-name")
    two = PASSES.format(fmt=f"-fmt={fmt} " if fmt else "")
    draft = PASSES.format(fmt=f"-draftmode -fmt={fmt} " if fmt else "-draftmode ")
    stages = []
    if any(fastest.glob("fig-*.tex")):
        stages.append(("fig-*.tex", figure_pass))
    stages.append(("solutions*.tex exam*.tex", f"{draft} && {two}"))
    _script(fastest, stages)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
