"""`examgen practice`: seeds, targets, the sheet PDF and the page's structure (the browser tests
are in test_practice_browser.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from generator import bank
from generator.errors import ExamgenError
from generator.practice import build_practice, page_seed, practice_plan
from tests.conftest import run_cli

needs_pandoc = pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is installed by 'make test'")
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftotext") is None,
                               reason="TeX Live and poppler-utils are installed by 'make test'")


def show_json(problem_id: str, seed: int) -> dict:
    result = run_cli("show", problem_id, "--seed", str(seed), "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@needs_pandoc
@needs_tex
def test_cli_writes_sheet_and_page_with_the_seed(tmp_path):
    out = tmp_path / "sheet"
    result = run_cli("practice", "cnn/conv-layer-cost", "--seed", "7", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "seed 7" in result.stdout and "examgen practice cnn/conv-layer-cost --seed 7" in result.stdout
    # .examgen/ marks the folder as examgen's own (generator.outdir)
    assert sorted(p.name for p in out.iterdir()) == [".examgen", "index.html", "key.json", "practice.pdf",
                                                     "practice.tex"]
    text = subprocess.run(["pdftotext", "-layout", str(out / "practice.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    pages = text.split("\f")
    statements = [i for i, page in enumerate(pages) if "Practice sheet" in page]
    solutions = [i for i, page in enumerate(pages) if "Worked solutions" in page]
    assert statements == [0] and solutions and solutions[0] > 0     # solutions start on a page of their own
    assert "Solution" not in "".join(pages[: solutions[0]])
    assert "Solution" in "".join(pages[solutions[0]:])
    assert "examgen practice cnn/conv-layer-cost --seed 7" in text and "seed 7" in text.lower()
    # The numbers on the sheet are those of `examgen show ... --seed 7`.
    shown = show_json("cnn/conv-layer-cost", 7)
    assert f"({shown['params']['H']}, {shown['params']['W']}, {shown['params']['C_in']})" in text
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert key["variants"][0]["problems"][0]["answers"] == shown["answers"]
    assert key["variants"][0]["seed"] == 7


@needs_pandoc
def test_the_same_seed_rebuilds_the_same_sheet_and_page(tmp_path):
    first = build_practice("cnn", 3, out=tmp_path / "a", pdf=False)
    second = build_practice("cnn", 3, out=tmp_path / "b", pdf=False)
    for name in ("index.html", "practice.tex", "key.json"):
        assert (first.out / name).read_bytes() == (second.out / name).read_bytes(), name
    other = build_practice("cnn", 4, out=tmp_path / "c", pdf=False)
    assert (other.out / "key.json").read_bytes() != (first.out / "key.json").read_bytes()


@needs_pandoc
def test_without_a_seed_a_fresh_one_is_printed_and_rebuilds_the_sheet(tmp_path):
    result = run_cli("practice", "cnn/conv-layer-cost", "--no-pdf", "--out", str(tmp_path / "fresh"))
    assert result.returncode == 0, result.stderr
    seed = int(re.search(r"--seed (\d+)", result.stdout).group(1))
    again = run_cli("practice", "cnn/conv-layer-cost", "--no-pdf", "--seed", str(seed), "--out", str(tmp_path / "again"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "fresh" / "key.json").read_bytes() == (tmp_path / "again" / "key.json").read_bytes()
    other = run_cli("practice", "cnn/conv-layer-cost", "--no-pdf", "--out", str(tmp_path / "other"))
    assert int(re.search(r"--seed (\d+)", other.stdout).group(1)) != seed or seed == 0  # 1 in a million


def test_targets_problem_topic_and_count():
    topic = [e.id for e in bank.entries() if e.topic == "cnn"]
    assert [s.problem_id for s in practice_plan("cnn", 1).slots] == topic
    assert [s.problem_id for s in practice_plan("conv-layer-cost", 1).slots] == ["cnn/conv-layer-cost"]
    repeated = practice_plan("cnn/conv-layer-cost", 5, count=3).slots
    assert [s.key for s in repeated] == ["cnn/conv-layer-cost", "cnn/conv-layer-cost#2", "cnn/conv-layer-cost#3"]
    assert [s.number for s in repeated] == [1, 2, 3]
    if len(topic) >= 2:
        picks = {tuple(s.problem_id for s in practice_plan("cnn", seed, count=1).slots) for seed in range(30)}
        assert len(picks) > 1                                   # the pick depends on the seed
        assert practice_plan("cnn", 9, count=1).slots == practice_plan("cnn", 9, count=1).slots
        more = practice_plan("cnn", 2, count=len(topic) + 1).slots
        assert sorted({s.problem_id for s in more}) == sorted(topic) and len(more) == len(topic) + 1


def test_page_variants_have_their_own_seeds_and_variant_one_is_the_sheet():
    plan = practice_plan("cnn/conv-layer-cost", 7)
    assert plan.variant_keys == ("1", "2", "3", "4", "5")
    seeds = [page_seed(7, i) for i in range(1, 6)]
    assert seeds[0] == 7 and len(set(seeds)) == 5


def test_a_spec_as_target_keeps_its_points_and_pins(tmp_path):
    spec = tmp_path / "mini.yaml"
    spec.write_text('title: "Mini"\nseed: 1\nproblems:\n  - id: cnn/conv-layer-cost\n    points: 5\n'
                    "    params: {stride: 2}\n    parts: [shape, params]\n", encoding="utf-8")
    plan = practice_plan(str(spec), 8)
    [slot] = plan.slots
    assert slot.points == 5 and [name for name, _ in slot.parts] == ["shape", "params"]
    assert slot.pins == {"stride": 2} and plan.title == "Practice: Mini"


def test_bad_targets_and_counts_are_one_line_errors(tmp_path):
    with pytest.raises(ExamgenError, match="neither a problem nor a topic"):
        practice_plan("no-such-thing", 1)
    with pytest.raises(ExamgenError, match="--count"):
        practice_plan("cnn", 1, count=500)
    result = run_cli("practice", "convlayercost", "--seed", "1", "--no-pdf", "--out", str(tmp_path / "x"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "did you mean" in result.stderr
    assert not (tmp_path / "x").exists()


@needs_pandoc
def test_the_page_is_self_contained_and_escapes_spec_text(tmp_path):
    spec = tmp_path / "evil.yaml"
    spec.write_text('title: "<script>alert(1)</script> & Co"\nseed: 1\nproblems:\n  - id: cnn/conv-layer-cost\n',
                    encoding="utf-8")
    result = build_practice(str(spec), 5, out=tmp_path / "page", pdf=False, page_variants=2)
    page = (result.out / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in page
    # Nothing is loaded from elsewhere: no external scripts, styles, images or fonts.
    assert not re.search(r"<(script|link|img|iframe)[^>]*(src|href)=", page)
    assert not re.search(r"url\((?!#)", page)
    assert page.count('<section class="variant"') == 2
    # One input per entry of every graded field (a shape of 3 entries: three inputs).
    assert len(re.findall(r'id="v1-q1-out_shape-\d+"', page)) == 3


def test_boxed_text_in_running_text_reaches_pandoc_as_maths():
    from generator.exports.html import box_text_mode

    assert box_text_mode(r"so \boxed{\text{the norm increases}} (it") == r"so $\boxed{\text{the norm increases}}$ (it"
    # Inside maths, escaped dollars and unbalanced braces: left as they are.
    for text in (r"$\boxed{b}$", r"\[\boxed{c}\]", r"\begin{align*}\boxed{d}\end{align*}", r"\$5 \boxed{e",
                 r"$$\boxed{x^{2}}$$"):
        assert box_text_mode(text) == text
    assert box_text_mode(r"\$ \boxed{a} $x$") == r"\$ $\boxed{a}$ $x$"


def test_the_checks_are_obfuscated_and_come_back():
    from generator.practice import obfuscate, page_key, reveal

    key = page_key("backprop", 7)
    data = {"v1-q1-z": {"expected": [0.25, -1.5], "mistakes": [{"description": "forgot the bias"}]}}
    blob = obfuscate(data, key)
    assert "0.25" not in blob and "expected" not in blob and "bias" not in blob
    assert reveal(blob, key) == data
    assert page_key("backprop", 7) == key != page_key("backprop", 8)


def test_the_hint_is_the_first_step_of_the_solution():
    from generator.practice import first_step

    two = "<p>First expand the square.</p>\n<p>Then differentiate.</p>"
    assert first_step(two) == "<p>First expand the square.</p>"
    one = "<p>The chain rule gives <math><mi>a</mi><mo>.</mo> <mi>b</mi></math> here. So the gradient is 3.</p>"
    assert first_step(one) == "<p>The chain rule gives <math><mi>a</mi><mo>.</mo> <mi>b</mi></math> here. &hellip;</p>"
    assert first_step("<p>Just 3.</p>") == ""


def test_formulas_are_compared_at_points_of_either_sign():
    from generator.answers.reading import comparison_points, formulas_equal

    points = comparison_points(["lam", "w"])
    drawn = [points() for _ in range(12)]
    assert any(p["w"] < 0 for p in drawn) and any(p["w"] > 0 for p in drawn)
    assert all(0.1 <= abs(v) <= 2.1 for p in drawn for v in p.values())
    assert not formulas_equal("lam*w", "lam*abs(w)", ["lam", "w"])
    assert not formulas_equal("lam*w", "max(lam*w, 0)", ["lam", "w"])
    assert formulas_equal("lam*w", "w*lambda", ["lam", "w"])
    assert formulas_equal("O(n*m*K)", "O(2*n*m*K)", ["n", "m", "K"])
    assert not formulas_equal("O(n*m*K)", "O(n*m*K^2)", ["n", "m", "K"])
    assert not formulas_equal("O(n*m*K)", "O(-n*m*K)", ["n", "m", "K"])
    assert formulas_equal("sqrt(d)", "d^(1/2)", ["d"])            # equal where the key is defined


def test_the_checks_say_which_fields_score_entry_by_entry():
    """The page's partial credit follows the answer types, as grade's does: a vector, a matrix,
    matrices and a list of bools per entry; a shape, an int, a real and a formula as a whole."""
    from generator.answers import Answer
    from generator.practice import field_view

    cases = [("vector", [1.0, 2.0], True), ("matrix", [[1.0, 2.0], [3.0, 4.0]], True),
             ("matrices", [[[1.0]], [[2.0]]], True), ("bools", [True, False], True),
             ("shape", [3, 4], False), ("int", 3, False), ("real", 0.5, False), ("expr", "x + 1", False)]
    for kind, value, partial in cases:
        _, check = field_view(Answer("f", kind, "f", symbols=("x",) if kind == "expr" else ()), value, "d")
        assert check["partial"] is partial, kind
        assert len(check["entries"]) == len(check["expected"])
