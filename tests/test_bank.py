"""Every problem in the bank: the contract, reference and independent check agreeing over
many seeds, templates rendering, and seed-indexed snapshots of parameters and LaTeX.

Snapshots live in tests/snapshots/<topic>/<name>/: `seeds.json` (params and answers for
seeds 1-3) and `seed-1.tex` (question and solution as rendered). An intended change is
recorded with `EXAMGEN_UPDATE_SNAPSHOTS=1 pytest tests/test_bank.py` and reviewed in the diff.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from generator import bank
from generator.documents import problem_tex
from generator.instance import check_instance, draw_instance
from generator.render import render_problem
from generator.seeds import Sampler

SNAPSHOTS = Path(__file__).parent / "snapshots"
SNAPSHOT_SEEDS = (1, 2, 3)
AGREEMENT_SEEDS = int(os.environ.get("EXAMGEN_TEST_SEEDS", "60"))
UPDATE = os.environ.get("EXAMGEN_UPDATE_SNAPSHOTS") == "1"

PROBLEMS = bank.ids()


def test_bank_is_not_empty():
    assert "cnn/conv-layer-cost" in PROBLEMS


@pytest.mark.parametrize("problem_id", PROBLEMS)
def test_contract(problem_id):
    problem = bank.load(problem_id)
    assert problem.title and problem.source
    assert problem.parts and all(p.points > 0 for p in problem.parts)
    entry = next(e for e in bank.entries() if e.id == problem_id)
    assert entry.title == problem.title, "TITLE must be a string literal"


@pytest.mark.parametrize("problem_id", PROBLEMS)
def test_check_agrees_with_solve(problem_id):
    problem = bank.load(problem_id)
    for seed in range(AGREEMENT_SEEDS):
        instance = draw_instance(problem, Sampler(seed, problem.id))
        for constraint in problem.constraints:
            assert constraint.holds(instance.params), (seed, constraint.text)
        assert check_instance(problem, instance) == [], f"seed {seed}"


def _rendered(problem, instance) -> str:
    rendered = render_problem(problem.id, instance.params, instance.values,
                              {p.name: p.points for p in problem.parts}, {p.name: p.space for p in problem.parts})
    return ("% ---- question.tex.j2 (exam)\n" + problem_tex(rendered, False) + "\n% ---- solutions sheet\n"
            + problem_tex(rendered, True) + "\n% ---- general solution\n" + rendered.general + "\n")


@pytest.mark.parametrize("problem_id", PROBLEMS)
def test_snapshot(problem_id):
    problem = bank.load(problem_id)
    folder = SNAPSHOTS / problem_id
    instances = {seed: draw_instance(problem, Sampler(seed, problem.id)) for seed in SNAPSHOT_SEEDS}
    data = {str(seed): {"params": i.params, "answers": i.answers} for seed, i in instances.items()}
    tex = _rendered(problem, instances[SNAPSHOT_SEEDS[0]])
    if UPDATE or not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "seeds.json").write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        (folder / f"seed-{SNAPSHOT_SEEDS[0]}.tex").write_text(tex, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"snapshot for {problem_id} was missing and has been written: review and commit it")
    stored = json.loads((folder / "seeds.json").read_text(encoding="utf-8"))
    assert stored == json.loads(json.dumps(data)), "parameters or answers changed for a fixed seed"
    assert (folder / f"seed-{SNAPSHOT_SEEDS[0]}.tex").read_text(encoding="utf-8") == tex, "rendered LaTeX changed"
