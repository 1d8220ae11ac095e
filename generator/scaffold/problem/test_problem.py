"""Tests of this problem folder: an instance computed by hand, and the recorded snapshot.

Run with `pytest` from the course repository (or `pytest <this folder>`). After an intended
change of parameters, answers or templates, record the snapshot again with
`EXAMGEN_UPDATE_SNAPSHOTS=1 pytest <this folder>` and review the diff.
"""

from generator.instance import check_instance, make_instance
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)


def test_instance_by_hand():
    # 4 examples of width 3 into 2 outputs: 3*2 weights + 2 biases; 4*3*2 products.
    instance = make_instance(PROBLEM, {"batch": 4, "n_in": 3, "n_out": 2, "bias": True})
    assert instance.answers["out_shape"] == [4, 2]
    assert instance.answers["params"] == 8
    assert instance.answers["mults"] == 24
    assert check_instance(PROBLEM, instance) == []


def test_check_agrees_with_solve():
    check_agrees(PROBLEM, seeds=range(40))


def test_snapshot():
    check_snapshot(PROBLEM)
