"""The formula sheet: the spec's `appendix:`, printed at the end of every exam variant.

    appendix: formulas.tex                        # a LaTeX snippet (the body only), relative to the spec
    appendix: [backprop, softmax-cross-entropy]   # or formula snippets of the banks, by name

A bank ships its snippets as `<bank>/formulas/<name>.tex` (the built-in ones in
`problem_bank/formulas/`, inside the package); an added bank's snippet of the same name is
used instead of the built-in one. The snippets are read here, when the plan is made, so the
plan carries their text (a changed snippet changes the build's inputs) and the templates only
print it (`templates/appendix.tex.j2`).
"""

from __future__ import annotations

import re
from pathlib import Path

from generator.bank import Bank
from generator.errors import ExamgenError, closest
from generator.userfiles import read_user_text

FOLDER = "formulas"
SUFFIX = ".tex"
MAX_SNIPPET_BYTES = 200_000      # a page of formulas is a few kilobytes
# A snippet goes into the exam's document body: a whole document of its own cannot.
_DOCUMENT = re.compile(r"\\(documentclass|begin\s*\{document\}|end\s*\{document\})")


def formula_files(bank: Bank) -> dict[str, Path]:
    """Every formula snippet of the bank's folders by name; later (added) banks win."""
    found: dict[str, Path] = {}
    for root in bank.roots:
        for path in sorted((Path(root) / FOLDER).glob(f"*{SUFFIX}")):
            found[path.stem] = path
    return dict(sorted(found.items()))


def formula_title(tex: str, name: str) -> str:
    """A snippet's heading: its first line when that is a `% title: ...` comment, else its name."""
    first = tex.lstrip().splitlines()[0] if tex.strip() else ""
    match = re.match(r"%\s*title:\s*(.+)", first)
    return match.group(1).strip() if match else name


def _checked(tex: str, what: str, where: str) -> str:
    if _DOCUMENT.search(tex):
        raise ExamgenError(f"the {what} is a whole LaTeX document", where,
                           "keep only what goes between \\begin{document} and \\end{document}")
    return tex.strip() + "\n"


def appendix_snippets(value: str | list[str] | None, spec_path: str | Path, bank: Bank,
                      where: str = "appendix") -> tuple[tuple[str, str], ...]:
    """The formula sheet as (heading, LaTeX) pairs, in the order given; () without `appendix:`.
    A missing file or an unknown name is one error naming the spec's field."""
    if value is None:
        return ()
    if isinstance(value, str):
        path = Path(spec_path).parent / value
        if not path.is_file():
            raise ExamgenError(f"the appendix file {value} was not found (looked for {path})", where,
                               "give a .tex file relative to the spec, or a list of formula names")
        tex = read_user_text(path, "appendix file", limit=MAX_SNIPPET_BYTES)
        return (("", _checked(tex, f"appendix file {value}", where)),)
    known = formula_files(bank)
    out = []
    for name in value:
        if name not in known:
            hint = closest(name, list(known))
            raise ExamgenError(f"unknown formula '{name}'", where,
                               (hint + " " if hint else "") + f"the known formulas are {', '.join(known)}")
        tex = read_user_text(known[name], f"formula {name}", limit=MAX_SNIPPET_BYTES)
        out.append((formula_title(tex, name), _checked(tex, f"formula {name}", where)))
    return tuple(out)
