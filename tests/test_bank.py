"""Every problem in the built-in bank: the contract, and reference and independent check
agreeing over many seeds. Each problem's own tests and snapshots are in its folder
(`problem_bank/<topic>/<name>/test_problem.py`, `snapshots/`; see generator.testing).
"""

from __future__ import annotations

import os

import pytest

from generator import bank
from generator.instance import check_instance, draw_instance
from generator.seeds import Sampler
from tests.conftest import BUILTIN

AGREEMENT_SEEDS = int(os.environ.get("EXAMGEN_TEST_SEEDS", "60"))

PROBLEMS = bank.ids()


def test_bank_is_not_empty():
    assert "cnn/conv-layer-cost" in PROBLEMS and sorted(PROBLEMS) == BUILTIN


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
