"""Finding and loading the problems of a bank folder tree: `<bank>/<topic>/<name>/problem.py`.

The id of a problem is its path below the bank root (`cnn/conv-layer-cost`). Listing reads
TITLE and SOURCE from the file's text without running it, so `examgen list` stays fast;
loading imports the module and checks it against the contract.
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import ExamgenError, closest

if TYPE_CHECKING:  # loading problems pulls in numpy; listing them must not
    from generator.problem import Problem

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BANK = ROOT / "problem_bank"


@dataclass(frozen=True)
class Entry:
    """A problem as listed: id, title and source, read without importing it."""

    id: str
    topic: str
    title: str
    source: str
    path: Path


@cache
def entries(bank: Path = DEFAULT_BANK) -> tuple[Entry, ...]:
    found = []
    for path in sorted(bank.glob("*/*/problem.py")):
        problem_id = f"{path.parent.parent.name}/{path.parent.name}"
        literals = _module_literals(path, ("TITLE", "SOURCE"))
        found.append(Entry(problem_id, path.parent.parent.name, literals.get("TITLE", "?"),
                           literals.get("SOURCE", "?"), path))
    return tuple(found)


def _module_literals(path: Path, names: tuple[str, ...]) -> dict[str, str]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError):
        return {}  # listed with '?'; loading it reports the real error
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in names:
                with contextlib.suppress(ValueError):
                    out[target.id] = ast.literal_eval(node.value)
    return out


def ids(bank: Path = DEFAULT_BANK) -> list[str]:
    return [e.id for e in entries(bank)]


def topics(bank: Path = DEFAULT_BANK) -> list[str]:
    return sorted({e.topic for e in entries(bank)})


def resolve_id(name: str, where: str | None = None, bank: Path = DEFAULT_BANK) -> str:
    """The full id of a problem given as `topic/name` or as a unique `name`."""
    known = ids(bank)
    if name in known:
        return name
    tails = [k for k in known if k.split("/", 1)[1] == name]
    if len(tails) == 1:
        return tails[0]
    hint = closest(name, known)
    raise ExamgenError(f"unknown problem '{name}'", where,
                       (hint + " " if hint else "") + "'examgen list' shows the bank")


def resolve_target(target: str, where: str | None = None, bank: Path = DEFAULT_BANK) -> list[str]:
    """The problem ids a topic or a problem id stands for."""
    if target in topics(bank):
        return [e.id for e in entries(bank) if e.topic == target]
    known = ids(bank) + topics(bank)
    try:
        return [resolve_id(target, where, bank)]
    except ExamgenError:
        hint = closest(target, known)
        raise ExamgenError(f"'{target}' is neither a problem nor a topic", where,
                           (hint + " " if hint else "") + "'examgen list' shows both") from None


@cache
def load(problem_id: str, bank: Path = DEFAULT_BANK) -> Problem:
    """Import a problem's module and check it against the contract (once per process)."""
    from generator.problem import load_module

    problem_id = resolve_id(problem_id, bank=bank)
    folder = bank / problem_id
    module_name = "problem_bank." + problem_id.replace("/", ".").replace("-", "_")
    spec = importlib.util.spec_from_file_location(module_name, folder / "problem.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return load_module(module, problem_id, folder)
