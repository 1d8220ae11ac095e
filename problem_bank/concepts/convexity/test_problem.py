"""concepts/convexity: four functions judged by hand, the mistakes on them, every family and
number of the pool against a second numerical test, check against solve, snapshot."""

import dataclasses
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from generator.errors import ExamgenError
from generator.instance import check_instance, draw_instance, make_instance
from generator.seeds import Sampler
from generator.testing import check_agrees, check_snapshot, problem_here

PROBLEM = problem_here(__file__)
_spec = importlib.util.spec_from_file_location("convexity_problem", Path(__file__).with_name("problem.py"))
MODULE = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(MODULE)

# w1^2 + 3 w1 w2 + w2^2: Hessian [[2, 3], [3, 2]], eigenvalues 5 and -1: not convex.
# w^2 + cos w: f'' = 2 - cos w >= 1: convex.  max(0, w - 1): max of affine: convex.
# sigma(w): sigma'' changes sign at 0: not convex.
HAND = {"functions": [{"family": "quad-form", "a": 3, "b": 0}, {"family": "cos", "a": 1, "b": 0},
                      {"family": "hinge", "a": 1, "b": -1}, {"family": "sigmoid", "a": 1, "b": 0}]}


def test_hand_instance():
    instance = make_instance(PROBLEM, HAND)
    assert instance.answers["convex"] == [False, True, True, False]
    assert [item["tex"] for item in instance.values["shown"]] == [
        "w_1^2 + 3 w_1 w_2 + w_2^2", r"w^2 + \cos w", r"\max(0,\ w - 1)", r"\sigma(w)"]
    assert check_instance(PROBLEM, instance) == []


def test_mistakes_on_the_hand_instance():
    wrong = {m.name: m.wrong(HAND) for m in PROBLEM.mistakes}
    assert wrong["kinks-not-convex"] == {"convex": [False, True, False, False]}
    assert wrong["monotone-is-convex"] == {"convex": [False, True, True, True]}
    assert wrong["squares-are-convex"] == {}              # no square is shown
    assert wrong["diagonal-only"] == {"convex": [True, True, True, False]}


def second_differences_nonnegative(f) -> bool:
    """A second numerical test, independent of the midpoint one: f(x + h u) - 2 f(x) + f(x - h u) >= 0
    at random points x and directions u (h = 0.01), 20 000 of them."""
    rng = np.random.default_rng(7)
    two_d = f["family"] in MODULE.TWO_D
    x = rng.uniform(-3, 3, size=(20_000, 2))
    u = rng.normal(size=(20_000, 2))
    if not two_d:
        x[:, 1] = u[:, 1] = 0
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    h = 0.01

    def at(points):
        return MODULE._value(f, points[:, 0], points[:, 1])

    return bool((at(x + h * u) - 2 * at(x) + at(x - h * u) >= -1e-9).all())


@pytest.mark.parametrize("family", sorted(MODULE.POOL))
def test_every_family_and_number_agrees_with_second_differences(family):
    a_values, b_values = MODULE.POOL[family]
    for a in a_values:
        for b in b_values or (0,):
            f = {"family": family, "a": a, "b": b}
            assert MODULE.convex(f) == second_differences_nonnegative(f), f


def test_families_whose_numbers_decide():
    assert MODULE.convex({"family": "double-well", "a": -1, "b": 0})          # (w^2 + 1)^2
    assert not MODULE.convex({"family": "double-well", "a": 1, "b": 0})       # (w^2 - 1)^2
    assert MODULE.convex({"family": "quad-abs", "a": 1, "b": 2})              # w^2 + 2|w|
    assert not MODULE.convex({"family": "quad-abs", "a": 1, "b": -1})         # w^2 - |w|
    assert not MODULE.convex({"family": "relu-sum", "a": -2, "b": 0})         # slopes 2 then 1


def test_check_catches_a_wrong_answer():
    instance = make_instance(PROBLEM, HAND)
    wrong = dataclasses.replace(instance, answers={"convex": [True, True, True, False]})
    assert check_instance(PROBLEM, wrong) != []


def test_pinned_repeated_family_is_refused():
    functions = [HAND["functions"][0]] * 4
    with pytest.raises(ExamgenError, match="each family at most once"):
        draw_instance(PROBLEM, Sampler(1, PROBLEM.id), {"functions": functions})


def test_check_agrees_with_solve_over_many_seeds():
    check_agrees(PROBLEM, seeds=range(300))


def test_snapshot():
    check_snapshot(PROBLEM)
