"""`examgen new` and `examgen init`: a problem folder from the exemplar, a course repository.

The exemplar (`problem/`) and the course files (`course/`) are package data beside this
module, so an installed examgen writes them with no checkout at hand. Both commands write
into a temporary sibling folder and rename it at the end: a failure leaves nothing behind.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from generator import resources
from generator.errors import ExamgenError

ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]*/[a-z][a-z0-9-]*$")
EXAMPLE_PROBLEM = "layers/dense-layer-cost"     # the local problem of a new course repository
PROBLEM_FILES = ("problem.py", "question.tex.j2", "solution.tex.j2", "test_problem.py")
# course/ file name -> where it goes in the repository (dot files are kept without their dot
# in the package, where packaging tools skip hidden files)
COURSE_FILES = {
    "README.md": "README.md",
    "gitignore": ".gitignore",
    "pytest.ini": "pytest.ini",
    "roster.example.csv": "roster.example.csv",
    "example.yaml": "exams/example.yaml",
    "workflow.yml": ".github/workflows/exams.yml",
}


def _write_problem(problem_id: str, folder: Path, title: str | None) -> None:
    source = resources.scaffold() / "problem"
    folder.mkdir(parents=True)
    for name in PROBLEM_FILES:
        text = (source / name).read_text(encoding="utf-8")
        if name == "problem.py" and title is not None:
            text = re.sub(r'^TITLE = "[^"]*"', f"TITLE = {title!r}".replace("'", '"'), text, count=1, flags=re.M)
        (folder / name).write_text(text, encoding="utf-8")


def _snapshot(bank_root: Path, problem_id: str) -> None:
    """Load the new problem (the contract and templates are checked) and record its snapshot."""
    from generator.bank import Bank
    from generator.testing import write_snapshot

    write_snapshot(Bank((bank_root.resolve(),)).load(problem_id))


def new_problem(problem_id: str, bank: Path) -> Path:
    """A problem folder `<bank>/<topic>/<name>/` made from the exemplar, with its test and a
    recorded snapshot; it passes `examgen verify` and its test as it is."""
    from generator.bank import builtin

    if not ID_PATTERN.match(problem_id):
        raise ExamgenError(f"'{problem_id}' is not a problem id", "examgen new",
                           "give TOPIC/NAME in lower case letters, digits and '-', e.g. layers/dense-layer-cost")
    folder = bank / problem_id
    if folder.exists():
        raise ExamgenError(f"{folder} already exists", "examgen new", "choose another TOPIC/NAME or remove it")
    if problem_id in builtin().ids():
        raise ExamgenError(f"'{problem_id}' is a built-in problem", "examgen new",
                           "choose another TOPIC/NAME (an id must be unique over all banks)")
    name = problem_id.split("/")[1]
    bank.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".examgen-new-", dir=bank))
    try:
        # the staging folder is a bank of its own: <staging>/<topic>/<name>/
        _write_problem(problem_id, staging / problem_id, name.replace("-", " ").capitalize())
        _snapshot(staging, problem_id)
        folder.parent.mkdir(parents=True, exist_ok=True)
        (staging / problem_id).rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def init_course(folder: Path) -> list[Path]:
    """A course repository in `folder` (new or empty): exams/, problems/, roster, CI, README."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ExamgenError(f"{folder} is not empty", "examgen init",
                           "give a new or empty folder; examgen init never writes over files")
    parent = folder.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".examgen-init-", dir=parent))
    try:
        source = resources.scaffold() / "course"
        for name, target in COURSE_FILES.items():
            path = staging / target
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
        _write_problem(EXAMPLE_PROBLEM, staging / "problems" / EXAMPLE_PROBLEM, None)
        _snapshot(staging / "problems", EXAMPLE_PROBLEM)
        if folder.exists():
            folder.rmdir()
        staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return sorted(p for p in folder.rglob("*") if p.is_file())
