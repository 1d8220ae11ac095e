"""Banks of problems: folders `<root>/<topic>/<name>/problem.py` (+ templates, test, snapshots).

A `Bank` is the built-in bank (shipped inside the package) plus the folders an instructor
adds with `--bank DIR` or a spec's `banks:`. It is plain data (a tuple of folders), so it
travels with a plan into worker processes. The id of a problem is its path below its bank
folder (`cnn/conv-layer-cost`); an id that two banks define is an error, so an id always
names one folder. Listing reads TITLE and SOURCE from the file's text without running it,
so `examgen list` stays fast; loading imports the module and checks it against the contract.

Callers: `builtin()` is the built-in bank; `bank.adding([folder], where)` adds folders;
`bank.folder(id)` is a problem's folder; `bank.load(id)` the loaded `Problem`. The module
functions `entries`, `ids`, `resolve_id`, `resolve_target`, `folder`, `load` take an optional
bank: None (the built-in one), a Bank, or a folder (the built-in bank plus that folder).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import importlib.util
import itertools
import sys
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from generator import resources
from generator.errors import ExamgenError, closest

if TYPE_CHECKING:  # loading problems pulls in numpy; listing them must not
    from generator.problem import Problem

PROBLEM_FILE = "problem.py"
LAYOUT = "<topic>/<name>/problem.py"


@dataclass(frozen=True)
class Entry:
    """A problem as listed: id, title and source, read without importing it."""

    id: str
    topic: str
    title: str
    source: str
    path: Path        # its problem.py
    root: Path        # the bank folder it comes from
    titles: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)  # TITLES, if a literal

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def builtin(self) -> bool:
        return self.root == resources.builtin_bank()


@dataclass(frozen=True)
class Bank:
    """The folders problems are looked up in: the built-in bank first, then added ones."""

    roots: tuple[Path, ...]

    def adding(self, folders: Iterable[str | Path], where: str | Iterable[str] | None = None) -> Bank:
        """This bank plus `folders` (each must exist and hold problems); `where` names the
        option or spec field each folder came from, for errors."""
        places = itertools.repeat(where) if where is None or isinstance(where, str) else where
        roots = list(self.roots)
        for folder, place in zip(folders, places):  # noqa: B905 (places may be endless)
            root = _checked_root(Path(folder), place)
            if root not in roots:
                roots.append(root)
        return Bank(tuple(roots))

    @property
    def added(self) -> tuple[Path, ...]:
        """The folders beyond the built-in bank."""
        return tuple(r for r in self.roots if r != resources.builtin_bank())

    def entries(self) -> tuple[Entry, ...]:
        return _entries(self.roots)

    def ids(self) -> list[str]:
        return [e.id for e in self.entries()]

    def topics(self) -> list[str]:
        return sorted({e.topic for e in self.entries()})

    def entry(self, problem_id: str, where: str | None = None) -> Entry:
        problem_id = self.resolve_id(problem_id, where)
        return next(e for e in self.entries() if e.id == problem_id)

    def folder(self, problem_id: str, where: str | None = None) -> Path:
        """The folder of a problem (`topic/name` or a unique `name`)."""
        return self.entry(problem_id, where).folder

    def resolve_id(self, name: str, where: str | None = None) -> str:
        """The full id of a problem given as `topic/name` or as a unique `name`."""
        known = self.ids()
        if name in known:
            return name
        tails = [k for k in known if k.split("/", 1)[1] == name]
        if len(tails) == 1:
            return tails[0]
        hint = closest(name, known)
        more = "" if self.added else " (a problem of your own bank needs --bank DIR or the spec's banks:)"
        raise ExamgenError(f"unknown problem '{name}'", where,
                           (hint + " " if hint else "") + "'examgen list' shows the bank" + more)

    def resolve_target(self, target: str, where: str | None = None) -> list[str]:
        """The problem ids a topic or a problem id stands for."""
        if target in self.topics():
            return [e.id for e in self.entries() if e.topic == target]
        known = self.ids() + self.topics()
        try:
            return [self.resolve_id(target, where)]
        except ExamgenError:
            hint = closest(target, known)
            raise ExamgenError(f"'{target}' is neither a problem nor a topic", where,
                               (hint + " " if hint else "") + "'examgen list' shows both") from None

    def load(self, problem_id: str, where: str | None = None) -> Problem:
        """Import a problem's module and check it against the contract (once per process)."""
        entry = self.entry(problem_id, where)
        return _load(entry.root, entry.id)


@cache
def builtin() -> Bank:
    """The bank shipped with examgen (an empty or missing one means a broken install)."""
    root = resources.builtin_bank()
    if not any(root.glob(f"*/*/{PROBLEM_FILE}")):
        raise ExamgenError(f"the built-in problem bank {root} holds no problems", None,
                           "reinstall examgen (pip install --force-reinstall examgen)")
    return Bank((root,))


def _checked_root(folder: Path, where: str | None) -> Path:
    shown = str(folder)
    if not folder.exists():
        raise ExamgenError(f"bank folder {shown} does not exist", where,
                           f"give a folder that holds {LAYOUT} (examgen new TOPIC/NAME --bank DIR starts one)")
    if not folder.is_dir():
        raise ExamgenError(f"bank {shown} is not a folder", where, f"give a folder that holds {LAYOUT}")
    if not any(folder.glob(f"*/*/{PROBLEM_FILE}")):
        raise ExamgenError(f"bank folder {shown} holds no problems", where,
                           f"a bank holds {LAYOUT}; start one with 'examgen new TOPIC/NAME --bank {shown}'")
    return folder.resolve()


@cache
def _entries(roots: tuple[Path, ...]) -> tuple[Entry, ...]:
    found: dict[str, Entry] = {}
    for root in roots:
        for path in sorted(root.glob(f"*/*/{PROBLEM_FILE}")):
            topic, name = path.parent.parent.name, path.parent.name
            problem_id = f"{topic}/{name}"
            if problem_id in found:
                first = found[problem_id].root
                how = (f"rename {topic}/{name} in {root}" if first == resources.builtin_bank()
                       else f"rename {topic}/{name} in one of them or leave one bank out (--bank, banks:)")
                raise ExamgenError(f"problem '{problem_id}' is defined by two banks: {first} and {root}", None,
                                   how + "; the id is the folder's <topic>/<name>")
            literals = _module_literals(path, ("TITLE", "SOURCE", "TITLES"))
            titles = literals.get("TITLES", {})
            found[problem_id] = Entry(problem_id, topic, literals.get("TITLE", "?"), literals.get("SOURCE", "?"),
                                      path, root, dict(titles) if isinstance(titles, dict) else {})
    return tuple(sorted(found.values(), key=lambda e: e.id))


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


def module_name(root: Path, problem_id: str) -> str:
    """A module name unique per bank folder: two banks may both have a `cnn/` topic."""
    tag = "builtin" if root == resources.builtin_bank() else "b" + hashlib.sha1(str(root).encode()).hexdigest()[:10]
    return f"examgen_problems.{tag}." + problem_id.replace("/", ".").replace("-", "_")


@cache
def _load(root: Path, problem_id: str) -> Problem:
    from generator.problem import ContractError, load_module

    folder = root / problem_id
    path = folder / PROBLEM_FILE
    name = module_name(root, problem_id)
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        sys.modules.pop(name, None)
        raise ExamgenError(f"syntax error: {error.msg}", f"{error.filename or path}:{error.lineno}",
                           "fix that line of the problem module") from error
    except Exception as error:
        sys.modules.pop(name, None)
        line = next((f.lineno for f in reversed(traceback.extract_tb(error.__traceback__))
                     if f.filename == str(path)), None)
        raise ExamgenError(f"problem module failed to load: {type(error).__name__}: {error}",
                           f"{path}:{line}" if line else str(path),
                           "fix the module (--debug shows the traceback)") from error
    try:
        # Templates are compiled when first rendered (their errors name file and line then):
        # compiling them here would cost every command that never renders.
        return load_module(module, problem_id, folder)
    except ContractError as error:
        raise ExamgenError(str(error).removeprefix(f"{problem_id}: "), str(path),
                           "see the contract in the README ('Adding a problem')") from error


# ---------------------------------------------------------------- module functions (default: built-in)

def as_bank(bank: Bank | str | Path | None) -> Bank:
    """A bank from what a caller has: None is the built-in bank, a folder is the built-in bank
    plus that folder (checked as --bank checks it), a Bank is itself."""
    if bank is None:
        return builtin()
    if isinstance(bank, Bank):
        return bank
    return builtin().adding([bank], "--bank")


def entries(bank: Bank | str | Path | None = None) -> tuple[Entry, ...]:
    return as_bank(bank).entries()


def ids(bank: Bank | str | Path | None = None) -> list[str]:
    return as_bank(bank).ids()


def topics(bank: Bank | str | Path | None = None) -> list[str]:
    return as_bank(bank).topics()


def resolve_id(name: str, where: str | None = None, bank: Bank | str | Path | None = None) -> str:
    return as_bank(bank).resolve_id(name, where)


def resolve_target(target: str, where: str | None = None, bank: Bank | str | Path | None = None) -> list[str]:
    return as_bank(bank).resolve_target(target, where)


def folder(problem_id: str, bank: Bank | str | Path | None = None) -> Path:
    return as_bank(bank).folder(problem_id)


def load(problem_id: str, bank: Bank | str | Path | None = None) -> Problem:
    return as_bank(bank).load(problem_id)
