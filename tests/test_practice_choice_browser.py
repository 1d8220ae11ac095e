"""Choice fields on the self-check page, in Chromium (see test_practice_browser.py for the set-up).

`examgen practice exams/demo-choice.yaml` for three seeds: every field asked as options shows
radio buttons labelled (A), (B), ... with the option's maths as MathML; marking the key's right
option (by keyboard) scores the field's points, marking each declared mistake's option scores
as the spec's rule says (0, or -1/(n-1) of the points under negative marking) and the verdict
names the mistake. Expected letters, mistakes and rules come from the build's key.json.
"""

from __future__ import annotations

import json
import re

import pytest

from generator.practice import page_checks
from tests.conftest import ROOT
from tests.test_practice_browser import CHROMIUM, FLAGS, RAW_TEX, _missing

if _missing():
    pytest.skip(_missing(), allow_module_level=True)

SPEC = "exams/demo-choice.yaml"
SEEDS = (1, 2, 3)
PHONE_SCREENSHOT = ROOT / "output" / "practice-choice-phone.png"
POINTS_RE = re.compile(r"\[(-?[\d.]+) of ([\d.]+) pt\]$")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    from generator.practice import build_practice

    out = {}
    for seed in SEEDS:
        folder = tmp_path_factory.mktemp(f"choice{seed}")
        result = build_practice(SPEC, seed, out=folder, pdf=False, page_variants=1)
        assert not result.warnings, result.warnings
        out[seed] = (folder, json.loads((folder / "key.json").read_text(encoding="utf-8")))
    return out


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


def _open(browser, folder, width=1000):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((folder / "index.html").as_uri())
    page.wait_for_selector("html.js")
    return context, page, errors


def _expected_share(record, index):
    """The share of a single choice marked at `index`, from the scoring rule as the README states it."""
    if index in record["right"]:
        return 1.0
    return -1.0 / (len(record["options"]) - 1) if record["scoring"] == "negative" else 0.0


def _mark_and_check(page, dom, slot, index, letter):
    box = page.locator(f"#{dom}-{letter}")
    box.focus()
    page.keyboard.press("Space")          # marked by keyboard, as a student without a mouse does
    assert box.is_checked()
    page.locator(f"#v1-q{slot} button.check").click()
    return page.locator(f"#{dom}-verdict").inner_text()


@pytest.mark.parametrize("seed", SEEDS)
def test_choice_fields_right_and_each_mistake_named(browser, builds, seed):
    folder, key = builds[seed]
    context, page, errors = _open(browser, folder)
    fields = 0
    for entry in key["variants"][0]["problems"]:
        for name, record in entry.get("choices", {}).items():
            dom = f"v1-q{entry['slot']}-{name}"
            boxes = page.locator(f"#{dom}-options input")
            assert boxes.count() == len(record["options"]), dom
            assert boxes.first.get_attribute("type") == ("checkbox" if record["multi"] else "radio")
            labels = page.locator(f"#{dom}-options label.choice")
            for i in range(len(record["options"])):
                text = labels.nth(i).inner_text()
                assert text.startswith(f"({chr(65 + i)})"), (dom, text)
                assert not any(raw in text for raw in RAW_TEX), (dom, text)
            # the options' maths is MathML, as the page's other formulas
            if not record["multi"]:
                assert labels.first.locator("math").count() == 1, dom
            right = record["right"][0]
            verdict = _mark_and_check(page, dom, entry["slot"], right, chr(65 + right))
            assert verdict.startswith("\u2713 right"), (dom, verdict)
            got, of = map(float, POINTS_RE.search(verdict).groups())
            assert got == of > 0, (dom, verdict)
            for index, mistake in record["mistakes"].items():
                verdict = _mark_and_check(page, dom, entry["slot"], int(index), chr(65 + int(index)))
                assert verdict.startswith("\u2717 wrong"), (dom, verdict)
                assert f"likely mistake: {mistake}" in verdict, (dom, verdict)
                got, of = map(float, POINTS_RE.search(verdict).groups())
                assert got == pytest.approx(round(_expected_share(record, int(index)) * of, 2)), (dom, verdict)
            fields += 1
    assert fields == 11                      # 4 + 5 + 2 choice fields in demo-choice
    assert not errors, errors
    context.close()


def test_checks_obfuscated_and_answers_kept(browser, builds):
    folder, key = builds[SEEDS[0]]
    html = (folder / "index.html").read_text(encoding="utf-8")
    entry = next(e for e in key["variants"][0]["problems"] if e.get("choices"))
    name, record = next(iter(entry["choices"].items()))
    dom = f"v1-q{entry['slot']}-{name}"
    checks = page_checks(html)
    assert checks[dom]["right"] == record["right"]
    assert checks[dom]["mistakes_at"] == record["mistakes"]
    for mistake in record["mistakes"].values():
        assert mistake not in html            # only in the obfuscated checks
    assert '"right":[' not in html
    # a marked option survives a reload (kept per page and seed)
    context, page, errors = _open(browser, folder)
    letter = chr(65 + record["right"][0])
    page.locator(f"#{dom}-{letter}").check()
    page.reload()
    page.wait_for_selector("html.js")
    assert page.locator(f"#{dom}-{letter}").is_checked()
    assert not errors, errors
    context.close()


def test_phone_width(browser, builds):
    folder, _ = builds[SEEDS[0]]
    context, page, errors = _open(browser, folder, width=390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    PHONE_SCREENSHOT.parent.mkdir(exist_ok=True)
    page.locator("#v1-q1").screenshot(path=str(PHONE_SCREENSHOT))
    assert not errors, errors
    context.close()


@pytest.mark.parametrize("scoring", ["all-or-nothing", "partial", "negative"])
def test_multiple_answers_score_as_grade(browser, builds, scoring):
    """No shipped spec asks multiple answers: the page's scoring of a marked set, in Chromium,
    against the README's formulas (R = {A, C}, W = {B, D, E}) and against grade's `score`."""
    from generator.answers.choice import score

    folder, _ = builds[SEEDS[0]]
    context, page, errors = _open(browser, folder)
    check = {"entries": ["a", "b", "c", "d", "e"], "right": [0, 2], "multi": True, "scoring": scoring}
    record = {"options": list("12345"), "right": [0, 2], "multi": True, "scoring": scoring}
    formulas = {"AC": 1.0, "A": 0.5, "ABC": 1 - 1 / 3, "AB": 1 / 2 - 1 / 3, "BDE": -1.0, "B": -1 / 3, "": 0.0}
    for marked, value in formulas.items():
        indices = [ord(c) - 65 for c in marked]
        expected = (1.0 if marked == "AC" else 0.0) if scoring == "all-or-nothing" else \
            max(0.0, value) if scoring == "partial" else value
        got = page.evaluate("([check, marked]) => window.examgen.choiceScore(check, marked)", [check, indices])
        assert got == pytest.approx(expected), (scoring, marked)
        assert score(record, indices) == pytest.approx(expected), (scoring, marked)
    assert not errors, errors
    context.close()
