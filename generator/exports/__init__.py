"""Exports of a build: one `Exporter` per file, in one registry (as nbconvert registers exporters).

An exporter turns plain data of a build (an `Export`: the plan, the variants, every slot's
rendered problem, the key document and, when it asks for them, the slots as HTML) into the
text of one file. `examgen build --format NAME` takes its choices from `names()`; the build
writes the exporters marked `always` and the ones asked for, in registry order. No module
switches on a format name: adding an export (QTI, Canvas) is one module with one class,
named in `BUILTIN` here or, from another package, under the entry point group
`examgen.exporters` (`name = "package.module:Class"`).

This module imports nothing heavy: the command line lists the names without loading an
exporter (so `examgen --help` stays fast); a class is imported when it is first used.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from generator.errors import ExamgenError

if TYPE_CHECKING:
    from generator.exports.html import ProblemHtml
    from generator.plan import Plan
    from generator.render import RenderedProblem
    from generator.variants import Variant

ENTRY_POINTS = "examgen.exporters"

# The exporters shipped with examgen: name -> "module:class".
BUILTIN: dict[str, str] = {
    "key": "generator.exports.key:KeyJson",
    "csv": "generator.exports.key:KeyCsv",
    "moodle": "generator.exports.moodle:MoodleXml",
    "practice": "generator.practice:PracticePage",
    "canvas": "generator.exports.canvas:CanvasQti",
    "qti21": "generator.exports.qti21:Qti21Package",
}

# What an exporter may ask for besides the plain data every exporter gets.
NEEDS = {"html-mathml": "mathml", "html-mathjax": "mathjax"}   # the slots as HTML, in that maths mode


@dataclass(frozen=True)
class Export:
    """Everything an exporter reads: plain data of one build, computed once for all exporters."""

    plan: Plan
    variants: tuple[Variant, ...]
    rendered: tuple[tuple[RenderedProblem, ...], ...]        # [variant][slot]
    key: Mapping[str, Any]                                   # the key document (key.json)
    html: Mapping[str, tuple[tuple[ProblemHtml, ...], ...]] = field(default_factory=dict)  # mode -> [v][slot]
    command: str = ""                                        # the command that rebuilds this output

    def slot_html(self, mode: str) -> tuple[tuple[ProblemHtml, ...], ...]:
        if mode not in self.html:
            raise ValueError(f"no HTML in maths mode {mode!r}: the exporter must ask for 'html-{mode}'")
        return self.html[mode]


class Exporter(ABC):
    """One file a build can write. Subclasses set the class attributes and `write`."""

    name: ClassVar[str]                       # --format NAME
    filename: ClassVar[str]                   # the file written into the output folder
    description: ClassVar[str]                # one line, for --help and the README
    needs: ClassVar[frozenset[str]] = frozenset()   # keys of NEEDS
    always: ClassVar[bool] = False            # written by every build, asked for or not

    @abstractmethod
    def write(self, export: Export) -> str | bytes:
        """The file's text, or its bytes (a zip package)."""


_REGISTERED: dict[str, type[Exporter]] = {}


def register(cls: type[Exporter]) -> type[Exporter]:
    """Add an exporter class to the registry (a decorator); its `name` must be new."""
    if cls.name in _known():
        raise ValueError(f"an exporter named {cls.name!r} is already registered")
    unknown = set(cls.needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"exporter {cls.name!r} needs {sorted(unknown)}: known needs are {sorted(NEEDS)}")
    _REGISTERED[cls.name] = cls
    return cls


def unregister(name: str) -> None:
    """Remove an exporter added with `register` (for tests)."""
    _REGISTERED.pop(name, None)


def _entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points  # 30 ms: only when the names are needed

    return {point.name: point.value for point in entry_points(group=ENTRY_POINTS)}


def _known() -> dict[str, str | type[Exporter]]:
    return {**BUILTIN, **_entry_points(), **_REGISTERED}


def names() -> tuple[str, ...]:
    """Every exporter's name, in registry order (builtin, entry points, registered)."""
    return tuple(_known())


class Choices:
    """`names()` looked up only when asked (argparse `choices`): building the command line's
    parser reads no entry points, so `examgen --help` stays fast."""

    def __contains__(self, name: object) -> bool:
        return name in names()

    def __iter__(self):
        return iter(names())

    def __len__(self) -> int:
        return len(names())


def get(name: str) -> Exporter:
    """The exporter called `name`."""
    target = _known().get(name)
    if target is None:
        raise ExamgenError(f"there is no export called '{name}'", "--format", f"use one of {', '.join(names())}")
    if isinstance(target, str):
        module, _, attribute = target.partition(":")
        target = getattr(importlib.import_module(module), attribute)
        if target.name != name:
            raise ValueError(f"{module}:{attribute} is registered as {name!r} but is named {target.name!r}")
    return target()


def chosen(requested: Iterable[str]) -> list[Exporter]:
    """The exporters a build writes: those marked `always` and the requested ones, in registry order."""
    wanted = set(requested)
    for name in wanted:
        get(name)  # an unknown name is an error before any work
    out = []
    for name in names():
        exporter = get(name) if name in wanted or name in BUILTIN else None
        if exporter is not None and (exporter.always or name in wanted):
            out.append(exporter)
    return out


def prepare(plan: Plan, variants: Sequence[Variant], rendered: Sequence[Sequence[RenderedProblem]],
            exporters: Sequence[Exporter], command: str = "",
            progress: Callable[[str, int, int], None] | None = None) -> Export:
    """The `Export` the given exporters read: the key always, the HTML only in the modes they need."""
    from generator.exports.html import Converter, slot_htmls
    from generator.exports.key import key_document

    modes = sorted({NEEDS[need] for exporter in exporters for need in exporter.needs})
    html = {}
    for mode in modes:
        if progress:
            progress(f"html ({mode})", 0, 1)
        html[mode] = tuple(tuple(v) for v in slot_htmls(Converter(mode), rendered))
        if progress:
            progress(f"html ({mode})", 1, 1)
    return Export(plan, tuple(variants), tuple(tuple(v) for v in rendered), key_document(plan, variants), html,
                  command)
