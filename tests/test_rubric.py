"""Every problem's rubric: a step list per part whose shares add up to exactly the part's
points, checked by the contract (a rubric that does not is refused) and by verify (a problem
without one is reported)."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import pytest

from generator.bank import builtin
from generator.problem import ContractError, Part, Step, load_module
from generator.verify import verify

BANK = Path(__file__).resolve().parents[1] / "problem_bank"


def test_every_bank_problem_declares_a_complete_rubric():
    folders = sorted(p.parent for p in BANK.glob("*/*/problem.py"))
    assert len(folders) >= 39
    bank = builtin()
    for folder in folders:
        pid = f"{folder.parent.name}/{folder.name}"
        source = (folder / "problem.py").read_text(encoding="utf-8")
        # the declaration sits at the end of the file, after every other definition
        assert re.search(r"^RUBRIC = \{", source, re.M), pid
        problem = bank.load(pid)
        assert [name for name in problem.rubric] == [part.name for part in problem.parts], pid
        for part in problem.parts:
            steps = problem.rubric[part.name]
            # the shares as written, summed as exact fractions here, not by the contract's code
            total = sum((Fraction(str(step.share)) for step in steps), Fraction(0))
            assert total == 1, (pid, part.name, total)
            assert all(step.text.strip() and len(step.text) < 160 for step in steps), (pid, part.name)
            # the steps' points add up to the part's points, e.g. 3 points split 2 + 1
            assert sum(step.points(part.points) for step in steps) == pytest.approx(part.points, abs=1e-12)


def test_step_points_follow_the_part():
    assert Step("a", "1/3").points(6) == 2.0
    assert Step("a", 0.25).points(10) == 2.5
    assert Step("a", 0.1).fraction == Fraction(1, 10)


def _module(tmp_path: Path, rubric) -> tuple[ModuleType, Path]:
    from generator.authoring import Answer

    module = ModuleType("fake")
    module.TITLE, module.SOURCE = "T", "S"
    module.PARTS = (Part("one", 2, ("x",)), Part("two", 3, ("y",)))
    module.PARAMS = ()
    module.ANSWERS = (Answer("x", "real", "x"), Answer("y", "real", "y"))
    module.solve = lambda p: {}
    module.check = lambda p, a: {}
    if rubric is not None:
        module.RUBRIC = rubric
    for name in ("question.tex.j2", "solution.tex.j2"):
        (tmp_path / name).write_text("", encoding="utf-8")
    return module, tmp_path


@pytest.mark.parametrize("rubric, message", [
    ({"one": (Step("a", 0.5), Step("b", "1/3")), "two": (Step("c", 1),)}, "add up to 5/6"),
    ({"one": (Step("a", 1),)}, "no steps for part 'two'"),
    ({"one": (Step("a", 1),), "two": (Step("c", 1),), "three": (Step("d", 1),)}, "names part 'three'"),
    ({"one": (Step("a", 1),), "two": (Step("c", "x/2"),)}, "is not a fraction"),
    ({"one": (Step("a", 1.5), Step("b", -0.5)), "two": (Step("c", 1),)}, "positive share"),
    ({"one": ("a", 1), "two": (Step("c", 1),)}, "tuple of Step"),
])
def test_the_contract_refuses_a_rubric_that_does_not_add_up(tmp_path, rubric, message):
    module, folder = _module(tmp_path, rubric)
    with pytest.raises(ContractError, match=re.escape(message)):
        load_module(module, "topic/fake", folder)


def test_shares_of_thirds_add_up_exactly(tmp_path):
    module, folder = _module(tmp_path, {"one": (Step("a", "1/3"), Step("b", "1/3"), Step("c", "1/3")),
                                        "two": (Step("d", 0.1), Step("e", 0.2), Step("f", 0.7))})
    problem = load_module(module, "topic/fake", folder)
    assert [s.text for s in problem.rubric["two"]] == ["d", "e", "f"]


def test_verify_reports_a_problem_without_rubric(tmp_path):
    bank_root = tmp_path / "bank"
    folder = bank_root / "demo" / "plain"
    folder.mkdir(parents=True)
    source = (BANK / "cnn" / "conv-layer-cost")
    for name in ("question.tex.j2", "solution.tex.j2"):
        (folder / name).write_text((source / name).read_text(encoding="utf-8"), encoding="utf-8")
    text = (source / "problem.py").read_text(encoding="utf-8")
    (folder / "problem.py").write_text(text[: text.index("\n\n# What a grader awards")] + "\n", encoding="utf-8")
    bank = builtin().adding([bank_root])
    [report] = verify(["demo/plain"], 2, jobs=1, bank=bank)
    assert report.failures == []
    assert len(report.findings) == 1 and "declares no RUBRIC" in report.findings[0]
