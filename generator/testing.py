"""Test helpers for problem folders, importable from the installed package, so a course
repository's `test_problem.py` files use them exactly as the built-in bank's do.

A problem's snapshots live in its own folder, `snapshots/`: `seeds.json` (parameters and
answers for seeds 1-3) and `seed-1.tex` (question and solution as rendered). An intended
change is recorded with `EXAMGEN_UPDATE_SNAPSHOTS=1 pytest <folder>` and reviewed in the diff.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from generator.bank import Bank
from generator.problem import Problem

SNAPSHOT_SEEDS = (1, 2, 3)
SNAPSHOTS = "snapshots"


def problem_here(test_file: str | Path) -> Problem:
    """The problem of the folder a test file sits in (`<bank>/<topic>/<name>/test_*.py`)."""
    folder = Path(test_file).resolve().parent
    return bank_of(folder).load(f"{folder.parent.name}/{folder.name}")


def bank_of(folder: Path) -> Bank:
    """A bank of the one folder a problem folder belongs to."""
    return Bank((Path(folder).resolve().parent.parent,))


def rendered_text(problem: Problem, instance: Any) -> str:
    """Question, solutions sheet and general solution of an instance, as one text."""
    from generator.documents import problem_tex
    from generator.render import render_problem

    rendered = render_problem(problem.id, instance.params, instance.values,
                              {p.name: p.points for p in problem.parts}, {p.name: p.space for p in problem.parts},
                              bank_of(problem.folder))
    return ("% ---- question.tex.j2 (exam)\n" + problem_tex(rendered, False) + "\n% ---- solutions sheet\n"
            + problem_tex(rendered, True) + "\n% ---- general solution\n" + rendered.general + "\n")


def snapshot_data(problem: Problem, seeds: Iterable[int] = SNAPSHOT_SEEDS) -> tuple[dict[str, Any], str]:
    """(params and answers per seed, rendered LaTeX of the first seed), as the snapshot holds them."""
    from generator.instance import draw_instance
    from generator.seeds import Sampler

    seeds = tuple(seeds)
    instances = {seed: draw_instance(problem, Sampler(seed, problem.id)) for seed in seeds}
    data = {str(seed): {"params": i.params, "answers": i.answers} for seed, i in instances.items()}
    return json.loads(json.dumps(data)), rendered_text(problem, instances[seeds[0]])


def write_snapshot(problem: Problem) -> Path:
    """Record the problem's snapshot in `<folder>/snapshots/`."""
    folder = problem.folder / SNAPSHOTS
    data, tex = snapshot_data(problem)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "seeds.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    (folder / f"seed-{SNAPSHOT_SEEDS[0]}.tex").write_text(tex, encoding="utf-8")
    return folder


def check_snapshot(problem: Problem) -> None:
    """Assert the problem still draws and renders what its snapshot recorded. With
    EXAMGEN_UPDATE_SNAPSHOTS=1 (or no snapshot yet) the snapshot is written instead; a missing
    one also fails, so it gets reviewed and committed."""
    folder = problem.folder / SNAPSHOTS
    update = os.environ.get("EXAMGEN_UPDATE_SNAPSHOTS") == "1"
    if update or not (folder / "seeds.json").is_file():
        write_snapshot(problem)
        if not update:
            raise AssertionError(f"the snapshot of {problem.id} was missing and has been written to {folder}: "
                                 "review and commit it")
    data, tex = snapshot_data(problem)
    stored = json.loads((folder / "seeds.json").read_text(encoding="utf-8"))
    assert same_values(stored, data), f"{problem.id}: parameters or answers changed for a fixed seed (see {folder})"
    recorded = (folder / f"seed-{SNAPSHOT_SEEDS[0]}.tex").read_text(encoding="utf-8")
    assert recorded == tex, f"{problem.id}: the rendered LaTeX changed (see {folder})"


# Floats may differ in their last bits between machines (a BLAS dot product sums in another
# order), and a snapshot recorded on a laptop must hold in CI: floats agree to 1e-12, relative.
FLOAT_RTOL = 1e-12


def same_values(expected: Any, got: Any) -> bool:
    """JSON values equal, floats to FLOAT_RTOL (ints, bools, strings and structure exactly)."""
    if isinstance(expected, float) and isinstance(got, float):
        return math.isclose(expected, got, rel_tol=FLOAT_RTOL, abs_tol=1e-300)
    if isinstance(expected, dict) and isinstance(got, dict):
        return expected.keys() == got.keys() and all(same_values(expected[k], got[k]) for k in expected)
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(same_values(e, g) for e, g in zip(expected, got, strict=True))
    return type(expected) is type(got) and expected == got


def check_agrees(problem: Problem, seeds: Iterable[int] = range(60)) -> None:
    """Assert that for every seed the constraints hold and the independent check agrees with solve."""
    from generator.instance import check_instance, draw_instance
    from generator.seeds import Sampler

    for seed in seeds:
        instance = draw_instance(problem, Sampler(seed, problem.id))
        for constraint in problem.constraints:
            assert constraint.holds(instance.params), f"{problem.id} seed {seed}: {constraint.text}"
        failures = check_instance(problem, instance)
        assert failures == [], f"{problem.id} seed {seed}: {failures}"
