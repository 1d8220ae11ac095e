"""`examgen site`: the static practice site, in Chromium (Playwright) at desktop and phone width.

Expected values come from the key document of the same plan (`site_plan`), mistake values from
the problems' declared mistakes; the page's verdicts are read from the page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from generator import bank
from generator.answers.base import flatten
from generator.exports.key import key_document
from generator.instance import mistake_answers
from generator.practice import build_practice, page_checks, practice_variants
from generator.site import build_site, page_name, site_plan
from tests.conftest import ROOT
from tests.test_practice_browser import CHROMIUM, FLAGS, _missing
from tests.test_round_trip import _box_text, graded_fields

PROBLEMS = ["backprop/backprop-two-layer-sigmoid", "regularization/weight-decay-step", "clustering/online-kmeans"]
SEED, VARIANTS = 3, 4          # variants 3 and 4 are loaded from script files
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

if _missing():
    pytest.skip(_missing(), allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    result = build_site(out, variants=VARIANTS, seed=SEED, problems=PROBLEMS)
    assert result.warnings == ()
    return out


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


def open_page(browser, url: str, viewport: dict[str, int], context=None):
    context = context or browser.new_context(viewport=viewport)
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.wait_for_selector("html.js")
    return page, requests, errors


def test_the_site_has_an_index_by_topic_and_a_page_per_problem(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    for problem_id in PROBLEMS:
        entry = next(e for e in bank.entries() if e.id == problem_id)
        assert f'href="problems/{page_name(problem_id)}.html"' in index and entry.title in index
        assert (site / "problems" / f"{page_name(problem_id)}.html").is_file()
        for k in (3, 4):
            assert (site / "problems" / "variants" / f"{page_name(problem_id)}-{k}.js").is_file()
    assert {"regularization", "backprop", "clustering"} <= set(re.findall(r'<h2 id="topic-\d+">([^<]+)</h2>', index))
    page = (site / "problems" / f"{page_name(PROBLEMS[1])}.html").read_text(encoding="utf-8")
    assert not re.search(r"https?://", page.replace("http://www.w3.org/", ""))   # nothing from the network
    # The key is obfuscated: its values are not in the page source in plain text.
    plan = site_plan(PROBLEMS[1], SEED, VARIANTS, bank.builtin())
    key = key_document(plan, practice_variants(plan))
    revealed = page_checks(page)
    data = page.split("<footer")[0]                   # the page up to its script: statements and checks
    assert '"expected"' not in data and '"mistakes"' not in data and "likely mistake" not in data
    for name, value in key["variants"][0]["problems"][0]["answers"].items():
        if name in revealed.get(f"v1-q1-{name}", {}).get("entries", [""])[0]:
            assert revealed[f"v1-q1-{name}"]["expected"] == (flatten(value) if isinstance(value, list) else [value])


@pytest.mark.parametrize("width", list(VIEWPORTS))
def test_nothing_wider_than_the_screen_without_a_scroll_cue(site, browser, width):
    viewport = VIEWPORTS[width]
    for problem_id in PROBLEMS:
        page, requests, errors = open_page(browser, (site / "problems" / f"{page_name(problem_id)}.html").as_uri(),
                                           viewport)
        for button in page.locator("#variant-1 button.reveal").all():
            button.click()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], problem_id
        uncued = page.evaluate("""w => [...document.querySelectorAll('#variant-1 *')].filter(e => {
            const r = e.getBoundingClientRect();
            if (r.width === 0 || r.right <= w + 1) { return false; }
            const box = e.closest('.scrolls');
            return !(box && box.previousElementSibling && box.previousElementSibling.className === 'scroll-cue'
                     && box.getBoundingClientRect().right <= w + 1);
        }).map(e => e.tagName + '.' + e.className)""", viewport["width"])
        assert uncued == [], (problem_id, width, uncued[:5])
        assert errors == [] and all(url.startswith("file://") for url in requests), (errors, requests)
        page.context.close()


def _values(entry: dict[str, Any], dom: str, kind_of, value_of) -> dict[str, str]:
    values = {}
    for name in graded_fields(entry):
        kind = kind_of(name)
        value = value_of(name)
        if value is None:
            continue
        entries = value if kind == "bools" else flatten(value) if isinstance(value, list) else [value]
        for index, v in enumerate(entries, start=1):
            values[f"{dom}-{name}-{index}"] = _box_text(v, kind, None, "key.csv")
    return values


def _check(page, key: str, values: dict[str, str], ids: list[str]) -> list[str]:
    page.select_option("#variant-select", key)
    page.wait_for_selector(f"#variant-{key}:not([hidden])")
    page.evaluate("""values => {
        document.querySelectorAll('.variant:not([hidden]) input, .variant:not([hidden]) select')
            .forEach(e => { e.value = ''; });
        Object.entries(values).forEach(([id, v]) => {
            const e = document.getElementById(id);
            e.value = v; e.dispatchEvent(new Event('input', {bubbles: true})); });
        document.querySelectorAll('.variant:not([hidden]) button.check').forEach(b => b.click()); }""", values)
    return page.evaluate("ids => ids.map(id => document.getElementById(id).textContent)", ids)


def test_key_right_mistakes_named_on_three_seeds_and_reload_keeps_answers(site, browser):
    for problem_id in PROBLEMS:
        problem = bank.load(problem_id)
        plan = site_plan(problem_id, SEED, VARIANTS, bank.builtin())
        key = key_document(plan, practice_variants(plan))
        url = (site / "problems" / f"{page_name(problem_id)}.html").as_uri()
        page, requests, errors = open_page(browser, url, VIEWPORTS["phone"])
        for variant in key["variants"][1:]:      # 3 seeds: variant 2 in the page, 3 and 4 loaded
            [entry] = variant["problems"]
            dom = f"v{variant['key']}-q{entry['slot']}"
            fields = list(graded_fields(entry))
            ids = [f"{dom}-{name}-verdict" for name in fields]
            shown = _check(page, variant["key"], _values(entry, dom, lambda n, p=problem: p.answer(n).type,
                                                         lambda n, e=entry: e["answers"][n]), ids)
            assert all(text.startswith("\u2713") for text in shown), (problem_id, variant["key"], shown)
            for mistake in problem.mistakes:
                wrong = mistake_answers(problem, mistake, entry["params"])
                names = [n for n in fields if n in wrong]
                shown = _check(page, variant["key"], _values(entry, dom, lambda n, p=problem: p.answer(n).type,
                                                             lambda n, w=wrong: w.get(n)),
                               [f"{dom}-{n}-verdict" for n in names])
                assert all(f"likely mistake: {mistake.description}" in t for t in shown), (problem_id, shown)
        # The last key values typed stay after a reload, with their verdicts.
        last = key["variants"][-1]
        [entry] = last["problems"]
        dom = f"v{last['key']}-q{entry['slot']}"
        values = _values(entry, dom, lambda n, p=problem: p.answer(n).type, lambda n, e=entry: e["answers"][n])
        _check(page, last["key"], values, [])
        page.reload()
        page.wait_for_selector(f"#variant-{last['key']}:not([hidden])")
        kept = page.evaluate("ids => ids.map(id => document.getElementById(id).value)", list(values))
        assert kept == list(values.values())
        first = f"{dom}-{next(iter(graded_fields(entry)))}"
        assert page.locator(f"#{first}-verdict").inner_text().startswith("\u2713")
        # Editing after Check clears the old verdict.
        page.locator(f"#{first}-1").fill("12345.678")
        assert page.locator(f"#{first}-verdict").inner_text() == ""
        assert errors == [] and all(url.startswith("file://") for url in requests), (errors, requests)
        page.context.close()


def test_the_index_shows_progress(site, browser):
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    page, _, _ = open_page(browser, (site / "problems" / f"{page_name(PROBLEMS[1])}.html").as_uri(), {},
                           context)
    page.locator("#variant-1 button.check").first.click()
    page.goto((site / "index.html").as_uri())
    page.wait_for_selector("html.js")
    text = page.locator(f'[data-problem="{PROBLEMS[1]}"] .progress').inner_text()
    assert text.startswith("your checked answers: 0 of ") and "over 1 variant" in text
    assert page.locator(f'[data-problem="{PROBLEMS[0]}"] .progress').inner_text() == "not started"
    context.close()


def _words(text: str) -> set[str]:
    """Words of four letters or more (formulas give single letters and digits)."""
    return {w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)}


def _letters(text: str) -> str:
    """The letters only: a word hyphenated at a line end in the PDF is whole again."""
    return re.sub(r"[^a-z]", "", text.lower())


SOLUTION_TEXT = """dom => [...document.querySelectorAll(dom + ' .solution')].map(e => e.cloneNode(true)).map(e => {
    e.querySelectorAll('h4, annotation').forEach(h => h.remove());
    e.querySelectorAll('math').forEach(m => m.replaceWith(' ' + [...m.querySelectorAll('mtext')]
        .map(t => t.textContent).join(' ') + ' '));
    return e.textContent; }).join(' ')"""


# The text a reader sees of every statement and solution, formulas as their multi-letter names and texts.
PAGE_TEXT = """() => [...document.querySelectorAll('#variant-1 .problem > h3, #variant-1 .statement, #variant-1 .part-text, #variant-1 .part .solution')]
    .map(e => e.cloneNode(true)).map(e => {
    e.querySelectorAll('h4, annotation, .part-label, .part-points').forEach(h => h.remove());
    e.querySelectorAll('math').forEach(m => m.replaceWith(' ' + m.textContent + ' ' + [...m.querySelectorAll('mtext')]
        .map(t => t.textContent).join(' ') + ' '));
    return e.textContent; }).join(' ')"""


@pytest.mark.skipif(shutil.which("pdftotext") is None or shutil.which("pdflatex") is None,
                    reason="pdftotext or pdflatex missing")
def test_html_and_pdf_solutions_have_the_same_words(tmp_path, browser):
    """For one seed and every problem of the bank: each word of a worked solution on the page is
    in the practice PDF's solutions (pdftotext), and each word of those is on the page (boxed
    answers in running text were lost on the page)."""
    spec = tmp_path / "bank.yaml"           # every problem of the bank, once
    spec.write_text('title: "Every problem"\nseed: 4\nproblems:\n'
                    + "".join(f"  - id: {pid}\n" for pid in bank.ids()), encoding="utf-8")
    result = build_practice(str(spec), 4, out=tmp_path / "p", page_variants=1)
    text = subprocess.run(["pdftotext", str(result.out / "practice.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    pdf = text[text.index("Worked solutions"):]
    page, _, _ = open_page(browser, (result.out / "index.html").as_uri(), VIEWPORTS["desktop"])
    for number, problem_id in enumerate(result.problems, start=1):
        words = _words(page.evaluate(SOLUTION_TEXT, f"#v1-q{number}"))
        assert words, problem_id
        missing = sorted(w for w in words if w not in _letters(pdf))
        assert missing == [], (problem_id, missing)
    # The sheet's own words (its title, header and rebuild command) and letters pdftotext glues
    # together from a formula (w_i over g_i in a fraction reads "wgii") are not solution text.
    sheet = _words(result.command) | _words(str(spec)) | {"worked", "solutions", "practice", "every", "problem",
                                                          "seed", "points", "page", "rebuild", "with", "this", "wgii",
                                                          "exam", "sheet", "solution", "variant", "point"}
    # Labels of TikZ figures (text in the PDF, glyph paths in the page's SVG) and subscripts that
    # pdftotext reads apart from or into their base differently from the page.
    sheet |= {"conv", "pool", "softmax", "input", "cout", "hout", "wout", "maxy", "mink", "onedimensional",
              "cprev", "hprev", "nout", "pnin", "pdata"}
    # Every word inside the sheet's TikZ pictures is figure text too (the labels of the bank's figures).
    from generator.figures import pictures

    sheet |= {w for picture in pictures((result.out / "practice.tex").read_text(encoding="utf-8"))
              for w in _words(picture)}
    # Each word of the PDF's solutions section (statements and solutions) as often on the page's
    # statements and solutions: a lost boxed word is missing once even where the word is elsewhere.
    shown = Counter(w.lower() for w in re.findall(r"[A-Za-z]{4,}", page.evaluate(PAGE_TEXT)))

    def unbreak(match: re.Match[str]) -> str:      # a hyphen at a line end: a broken word, or a real hyphen
        whole = match.group(1) + match.group(2)
        return whole if shown[whole.lower()] else match.group(1) + "-" + match.group(2)

    words = Counter(w.lower() for w in re.findall(r"[A-Za-z]{4,}", re.sub(r"([A-Za-z]+)-\n([A-Za-z]+)", unbreak, pdf)))
    lost = sorted(w for w, n in words.items() if w not in sheet and shown[w] < n)
    assert lost == [], " ".join(lost)
    page.context.close()


def test_a_course_bank_is_on_the_site_beside_the_built_in_problems(tmp_path):
    from generator.bank import builtin

    course = tmp_path / "bank"
    shutil.copytree(Path(bank.folder("cnn/conv-layer-cost")), course / "course" / "conv-layer-cost")
    result = build_site(tmp_path / "site", bank=builtin().adding([course]), variants=3, seed=2,
                        problems=["course/conv-layer-cost", "cnn/conv-layer-cost"])
    index = (result.out / "index.html").read_text(encoding="utf-8")
    assert result.problems == ("course/conv-layer-cost", "cnn/conv-layer-cost")
    assert '<h2 id="topic-1">cnn</h2>' in index and '<h2 id="topic-2">course</h2>' in index
    assert index.count("(course bank)") == 1
    page = (result.out / "problems" / "course-conv-layer-cost.html").read_text(encoding="utf-8")
    assert "examgen show course/conv-layer-cost --seed 2" in page      # variant 1 is show's instance
    assert (result.out / "problems" / "variants" / "course-conv-layer-cost-3.js").is_file()
    assert not (result.out / "problems" / "variants" / "course-conv-layer-cost-2.js").exists()  # embedded


def test_bad_variant_counts_are_one_line_errors(tmp_path):
    for count in ("0", "501"):
        done = subprocess.run([sys.executable, "-m", "generator", "site", "--variants", count, "--out",
                               str(tmp_path / "site")], cwd=ROOT, capture_output=True, text=True)
        assert done.returncode in (1, 2) and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr and "variants" in done.stderr
        assert not (tmp_path / "site").exists()
