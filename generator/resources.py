"""Where the engine's own files are: the only module that knows.

Everything is found through the installed package (`importlib.resources`), so a wheel
installed anywhere and an editable install of the checkout behave alike. pyproject.toml maps
the repository's top-level `templates/` and `problem_bank/` folders into the package as
`generator.templates` and `generator.problem_bank`; the exemplar problem that `examgen new`
and `examgen init` copy is `generator/scaffold/`.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path


def _folder(package: str) -> Path:
    # Installed packages live on disk (pip never installs zipped), so the traversable is a
    # real folder that pdflatex, jinja2 and the module loader can all read.
    return Path(str(files(package))).resolve()


@cache
def engine() -> Path:
    """The `generator` package folder (its code is part of what a build depends on)."""
    return _folder("generator")


@cache
def templates() -> Path:
    """The sheets' LaTeX templates (`sheet.tex.j2`, `exam.tex.j2`, ...) and the page's assets."""
    return _folder("generator.templates")


@cache
def builtin_bank() -> Path:
    """The built-in problem bank: `<topic>/<name>/problem.py` + templates + test + snapshots."""
    return _folder("generator.problem_bank")


@cache
def scaffold() -> Path:
    """The exemplar problem folder and the course-repository files `examgen init` writes."""
    return _folder("generator.scaffold")


@cache
def locale() -> Path:
    """The message catalogs: `<language>/LC_MESSAGES/examgen.po` (see generator/i18n.py)."""
    return engine() / "locale"
