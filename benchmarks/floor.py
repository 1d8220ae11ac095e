"""Write the combined .tex documents a build compiles, and a script that compiles them the
fastest plain way (two pdflatex passes each, as many side by side as there are cores): the
floor that `examgen build` is measured against."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from generator.pipeline import documents, prepare
from generator.plan import make_plan
from generator.spec import load_spec


def main(spec: str, folder: str) -> None:
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    plan = make_plan(*load_spec(spec), spec)
    for _, document in documents(plan, prepare(plan, jobs=os.cpu_count() or 2)):
        (out / f"{document.name}.tex").write_text(document.tex, encoding="utf-8")
    script = out / "compile.sh"
    script.write_text(
        "#!/bin/sh\n# two pdflatex passes per document, one document per core\n"
        f"cd '{out.resolve()}'\n"
        "ls solutions*.tex exam*.tex | xargs -P \"$(nproc)\" -I{} sh -c "
        "'pdflatex -interaction=batchmode -halt-on-error -no-shell-escape {} >/dev/null && "
        "pdflatex -interaction=batchmode -halt-on-error -no-shell-escape {} >/dev/null'\n",
        encoding="utf-8")
    script.chmod(0o755)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
