"""The self-check page in a real browser: Debian's Chromium driven by Playwright (no browser
download: the executable is /usr/bin/chromium, which `make test` installs).

Expected values and tolerances come from the build's key.json, not from the page.
Under `make test` (or CI) a missing Chromium or Playwright is a failure, elsewhere a skip.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from generator.answers import close
from generator.grade import points_text
from tests.conftest import ROOT

CHROMIUM = os.environ.get("EXAMGEN_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--mute-audio"]
REQUIRED = bool(os.environ.get("MAKELEVEL") or os.environ.get("CI"))
SCREENSHOT = ROOT / "output" / "practice-screenshot.png"
PHONE_SCREENSHOT = ROOT / "output" / "practice-phone.png"
RAW_TEX = ("\\frac", "\\(", "\\)", "\\[", "\\begin", "\\mathrm", "\\sum", "\\left", "$", "EXAMGEN")


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"Chromium is not installed ({CHROMIUM}); 'make test' installs Debian's chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is missing; 'make test' installs the test extras"
    if shutil.which("pandoc") is None:
        return "pandoc is missing; 'make test' installs it"
    return None


if _missing():
    if REQUIRED:
        pytest.fail(_missing(), pytrace=False)
    pytest.skip(_missing(), allow_module_level=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """`examgen practice backprop --seed 7`, the issue's example: three page variants are enough here."""
    import json

    from generator.practice import build_practice

    out = tmp_path_factory.mktemp("practice") / "backprop"
    result = build_practice("backprop", 7, out=out, pdf=False, page_variants=3)
    assert not result.warnings, result.warnings
    key = json.loads((out / "index.html").with_name("key.json").read_text(encoding="utf-8"))
    return out, key


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, built):
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    requests: list[str] = []
    errors: list[str] = []
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto((built[0] / "index.html").as_uri())
    page.wait_for_selector("html.js")
    yield page
    assert not errors, errors
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests
    context.close()


def flat(value):
    return [x for v in value for x in flat(v)] if isinstance(value, list) else [value]


def problems(key, variant=0):
    return key["variants"][variant]["problems"]


def graded_fields(entry):
    for part in entry["parts"].values():
        for field in part["fields"]:
            if field in entry["answers"]:
                yield field


def fill_right_answers(page, variant_key, entry):
    dom = f"v{variant_key}-q{entry['slot']}"
    for field in graded_fields(entry):
        for index, value in enumerate(flat(entry["answers"][field]), start=1):
            element = page.locator(f"#{dom}-{field}-{index}")
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            if element.evaluate("e => e.tagName") == "SELECT":
                element.select_option(text)
            else:
                element.fill(text)


def verdict(page, variant_key, entry, field):
    return page.locator(f"#v{variant_key}-q{entry['slot']}-{field}-verdict").inner_text()


def real_field(key):
    """A slot and field with a real (tolerance-governed) answer, in variant 1."""
    for entry in problems(key):
        for field in graded_fields(entry):
            tolerance = entry["tolerances"][field]
            values = flat(entry["answers"][field])
            if (tolerance["atol"] or tolerance["rtol"]) and all(isinstance(v, float | int) for v in values):
                return entry, field
    pytest.skip("no real-valued answer in this practice target")


def test_right_answers_are_marked_right(page, built):
    _, key = built
    for entry in problems(key):
        fill_right_answers(page, "1", entry)
        page.locator(f"#v1-q{entry['slot']} button.check").click()
        fields = list(graded_fields(entry))
        for field in fields:
            assert verdict(page, "1", entry, field).startswith("\u2713 right"), (entry["id"], field)
        score = page.locator(f"#v1-q{entry['slot']} .score").inner_text()
        points = points_text(entry["points"])   # the key's points of the slot: all right, all of them
        assert score == f"{points} of {points} points ({len(fields)} of {len(fields)} answer{'s' if len(fields) != 1 else ''} right)"
    assert page.locator("#variant-1 input.wrong").count() == 0
    assert page.locator("#variant-1 input.right").count() > 0
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=False)


def test_wrong_and_unreadable_answers_are_marked_wrong(page, built):
    _, key = built
    entry, field = real_field(key)
    fill_right_answers(page, "1", entry)
    value = flat(entry["answers"][field])[0]
    tolerance = entry["tolerances"][field]
    bound = tolerance["atol"] + tolerance["rtol"] * abs(value)
    dom = f"v1-q{entry['slot']}"
    page.fill(f"#{dom}-{field}-1", repr(value + 3 * bound + 0.5))
    page.locator(f"#{dom} button.check").click()
    assert verdict(page, "1", entry, field).startswith("\u2717 wrong")
    assert page.locator(f"#{dom}-{field}-1").get_attribute("aria-invalid") == "true"
    assert "right" in page.locator(f"#{dom} .score").inner_text()
    page.fill(f"#{dom}-{field}-1", "twelve")
    page.locator(f"#{dom} button.check").click()
    assert "could not read" in verdict(page, "1", entry, field)
    page.fill(f"#{dom}-{field}-1", "")
    page.locator(f"#{dom} button.check").click()
    assert page.locator(f"#{dom}-{field}-1").get_attribute("aria-invalid") == "true"


def test_values_at_the_edge_of_the_tolerance(page, built):
    _, key = built
    entry, field = real_field(key)
    fill_right_answers(page, "1", entry)
    value = flat(entry["answers"][field])[0]
    tolerance = entry["tolerances"][field]
    bound = tolerance["atol"] + tolerance["rtol"] * abs(value)
    dom = f"v1-q{entry['slot']}"
    cases = [(value + bound, True), (value - bound, True), (value + 1.01 * bound + 1e-6, False),
             (value - 1.01 * bound - 1e-6, False)]
    for typed, right in cases:
        page.fill(f"#{dom}-{field}-1", repr(typed))
        page.locator(f"#{dom} button.check").click()
        assert verdict(page, "1", entry, field).startswith("\u2713" if right else "\u2717"), (typed, value, bound)
    # The same value as a formula: (3 v) / 3.
    page.fill(f"#{dom}-{field}-1", f"({value!r} * 3) / 3")
    page.locator(f"#{dom} button.check").click()
    assert verdict(page, "1", entry, field).startswith("\u2713")


def test_a_partly_right_vector_scores_its_share_of_entries_and_the_total(page, built):
    """grade's rule (entries right / entries of the field's share), worked out here from the
    key's points: one entry of a vector off, every other answer of the problem right."""
    from generator import bank

    _, key = built
    entry, field = next((e, f) for e in problems(key) for f in graded_fields(e)
                        if bank.load(e["id"]).answer(f).kind.partial and len(flat(e["answers"][f])) >= 2
                        and all(isinstance(v, float | int) for v in flat(e["answers"][f])))
    part = next(p for p in entry["parts"].values() if field in p["fields"])
    share = part["points"] / len(part["fields"])
    values = flat(entry["answers"][field])
    tolerance = entry["tolerances"][field]
    bound = tolerance["atol"] + tolerance["rtol"] * abs(values[0])
    fill_right_answers(page, "1", entry)
    dom = f"v1-q{entry['slot']}"
    page.fill(f"#{dom}-{field}-1", repr(values[0] + 3 * bound + 0.5))
    page.locator(f"#{dom} button.check").click()
    n = len(values)
    got = share * (n - 1) / n
    text = verdict(page, "1", entry, field)
    assert text.startswith("\u2717 wrong: entry 1")
    assert f"{n - 1} of {n} entries right (entr{'ies' if n > 2 else 'y'} {', '.join(map(str, range(2, n + 1)))})" in text
    assert f"[{points_text(got)} of {points_text(share)} pt]" in text
    fields = list(graded_fields(entry))
    score = entry["points"] - share + got
    assert page.locator(f"#{dom} .score").inner_text() == (
        f"{points_text(score)} of {points_text(entry['points'])} points ({len(fields) - 1} of {len(fields)} "
        f"answer{'s' if len(fields) != 1 else ''} right)")
    variant_points = sum(e["points"] for e in problems(key))
    assert page.locator("#variant-1 .variant-total").inner_text() == (
        f"\u2014 total {points_text(score)} of {points_text(variant_points)} points")
    page.locator(f"#{dom}-{field}-verdict").scroll_into_view_if_needed()
    page.screenshot(path=str(ROOT / "output" / "practice-partial.png"), full_page=False)


def test_the_page_rule_is_the_key_rule(page):
    """generator.answers.close and the page's close agree, edges included."""
    rng = random.Random(5)
    cases = []
    for _ in range(300):
        expected = rng.choice([0.0, 1.0, -2.5, 12.5, 1e-4, 123456.0, rng.uniform(-100, 100)])
        atol, rtol = rng.choice([(0.005, 0.005), (0.01, 0.0), (0.0, 0.01), (1e-6, 0.0), (0.0, 0.0)])
        bound = atol + rtol * abs(expected)
        given = expected + rng.choice([0.0, bound, -bound, bound * 1.000001, bound * 0.999, 2 * bound + 1e-3,
                                       rng.uniform(-3, 3) * bound])
        cases.append([expected, given, atol, rtol])
    page_says = page.evaluate("cases => cases.map(c => window.examgen.close(c[0], c[1], c[2], c[3]))", cases)
    assert page_says == [close(e, g, a, r) for e, g, a, r in cases]


def test_numbers_and_formulas_the_page_reads(page):
    """The page reads numbers by the grader's rule: one table for both (tests/reading_cases.py)."""
    from tests.reading_cases import NUMBER_CASES

    read = page.evaluate("""cases => cases.map(([t, whole]) => {
        try { return window.examgen.readNumber(t, whole); } catch (error) { return "refused"; } })""",
                         [[text, whole] for text, whole, _ in NUMBER_CASES])
    for (text, _, value), got in zip(NUMBER_CASES, read, strict=True):
        if value is None:
            assert got in ("refused", None), (text, got)
        else:
            assert got == pytest.approx(value), text
    same = page.evaluate("""() => [
        window.examgen.sameExpression("2*lam*w", "w*lam*2", ["lam", "w"]),
        window.examgen.sameExpression("lam*w", "lam^2*w", ["lam", "w"]),
        window.examgen.sameExpression("(x0 - eps*g)/(1 + eps)", "x0/(1+eps) - eps*g/(1+eps)", []),
        window.examgen.sameExpression("O(n*m*K)", "O(K*m*n)", ["n", "m", "K"]),
        window.examgen.sameExpression("O(n*m*K)", "O(n*m)", ["n", "m", "K"]),
        window.examgen.sameExpression("-d/sigma + r**2/sigma**3", "(r^2 - d*sigma^2)/sigma^3", ["sigma", "d", "r"])]""")
    assert same == [True, False, True, True, False, True]
    # The page and grade agree on every pair (the same points, either sign; O(f) up to a factor).
    from generator.answers.reading import formulas_equal

    pairs = [("lam*w", "lam*abs(w)", ["lam", "w"]), ("lam*w", "max(lam*w, 0)", ["lam", "w"]),
             ("lam*w", "w*lambda", ["lam", "w"]), ("O(n*m*K)", "O(2*n*m*K)", ["n", "m", "K"]),
             ("O(n*m*K)", "O(n*m*K^2)", ["n", "m", "K"]), ("sqrt(d)", "d^(1/2)", ["d"]),
             ("sigmoid(z)", "1/(1 + exp(-z))", ["z"]), ("abs(x)", "sqrt(x^2)", ["x"]), ("x", "sqrt(x^2)", ["x"])]
    page_says = page.evaluate("""pairs => pairs.map(([a, b, s]) => window.examgen.sameExpression(a, b, s))""", pairs)
    assert page_says == [formulas_equal(a, b, s) for a, b, s in pairs]
    assert page_says == [False, False, True, True, False, True, True, True, False]
    unknown = page.evaluate("""() => { try { window.examgen.sameExpression("lam*w", "lamda*w", ["lam", "w"]); }
                                       catch (error) { return error.message; } }""")
    assert unknown == "uses the unknown name 'lamda' (use lam, w)"


def test_show_hint_and_solution_per_part(page, built):
    _, key = built
    entry = problems(key)[0]
    dom = f"v1-q{entry['slot']}"
    parts = [part["name"] if isinstance(part, dict) else part for part in entry["parts"]]
    solutions = page.locator(f"#{dom} .part .solution")
    assert solutions.count() == len(parts)
    assert all(not solutions.nth(i).is_visible() for i in range(solutions.count()))
    first, second = (page.locator(f"#{dom}-{name}") for name in parts[:2])
    button = first.locator("button.reveal-solution")
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    assert button.get_attribute("aria-expanded") == "true" and button.inner_text() == "Hide solution"
    assert first.locator(".solution").is_visible() and not second.locator(".solution").is_visible()
    assert first.locator(".solution math").count() > 0
    button.click()
    assert not first.locator(".solution").is_visible()
    hints = page.locator(f"#{dom} button.reveal-hint")
    assert hints.count() >= 1
    part = page.locator(f"#{dom} .part").filter(has=page.locator("button.reveal-hint")).first
    part.locator("button.reveal-hint").click()
    hint, solution = part.locator(".hint").inner_text(), part.locator(".solution").text_content()
    assert part.locator(".hint").is_visible() and not part.locator(".solution").is_visible()
    words = hint.split("\n", 1)[1].replace("\u2026", "").split()     # the first step: the solution's first words
    assert len(words) > 0 and " ".join(words[:3]) in " ".join(solution.split())
    assert len(" ".join(words)) < len(" ".join(solution.split()))


def test_switching_variants(page, built):
    _, key = built
    first = page.locator("#variant-1 .statement").first.inner_text()
    assert page.locator("#variant-1").is_visible() and not page.locator("#variant-2").is_visible()
    page.select_option("#variant-select", "2")
    assert page.locator("#variant-2").is_visible() and not page.locator("#variant-1").is_visible()
    second = page.locator("#variant-2 .statement").first.inner_text()
    assert second != first
    assert page.locator("#variant-status").inner_text() == "Showing variant 2 of 3"
    page.click("#next-variant")
    assert page.locator("#variant-3").is_visible()
    page.click("#next-variant")                      # no silent wrap-around: the end is said
    assert page.locator("#variant-3").is_visible() and page.input_value("#variant-select") == "3"
    assert "last of the 3 variants" in page.locator("#variant-notice").inner_text()
    # Variant 2's checks use variant 2's key.
    page.select_option("#variant-select", "2")
    entry = problems(key, 1)[0]
    fill_right_answers(page, "2", entry)
    page.locator(f"#v2-q{entry['slot']} button.check").click()
    assert page.locator(f"#v2-q{entry['slot']} input.wrong").count() == 0


def test_every_formula_is_rendered(page, built):
    for variant in ("1", "2", "3"):
        page.select_option("#variant-select", variant)
        for button in page.locator(f"#variant-{variant} button.reveal").all():
            button.click()
        text = page.locator(f"#variant-{variant}").inner_text()
        for raw in RAW_TEX:
            assert raw not in text, f"variant {variant}: raw TeX {raw!r} left on the page"
        maths = page.locator(f"#variant-{variant} math")
        assert maths.count() > 20
        sizes = maths.evaluate_all("ms => ms.map(m => { const r = m.getBoundingClientRect(); return [r.width, r.height]; })")
        assert all(w > 0 and h > 0 for w, h in sizes), "a formula takes no space: not rendered"
    # Figures (the computational graph of the two-layer network) are inline SVG.
    page.select_option("#variant-select", "1")
    figures = page.locator("#variant-1 svg.examgen-figure")
    if figures.count():
        box = figures.first.bounding_box()
        assert box["width"] > 50 and box["height"] > 20


def test_keyboard_and_labels(page, built):
    _, key = built
    unlabeled = page.evaluate("""() => [...document.querySelectorAll('input, select, button')]
        .filter(e => !(e.getAttribute('aria-label') || (e.id && document.querySelector(`label[for="${e.id}"]`))
                       || e.textContent.trim())).map(e => e.id)""")
    assert unlabeled == []
    entry = problems(key)[0]
    dom = f"v1-q{entry['slot']}"
    field = next(graded_fields(entry))
    value = flat(entry["answers"][field])[0]
    first = page.locator(f"#{dom}-{field}-1")
    first.focus()
    page.keyboard.type(str(value))
    page.keyboard.press("Enter")                      # Enter checks the problem
    assert page.locator(f"#{dom}-{field}-1").get_attribute("aria-invalid") == "false"
    page.locator(f"#{dom} .part-actions button").first.focus()
    page.keyboard.press("Enter")
    assert page.locator(f"#{dom} .part-actions button").first.get_attribute("aria-expanded") == "true"
    page.locator("#variant-select").focus()
    page.keyboard.press("ArrowDown")
    assert page.locator("#variant-2").is_visible()


def test_a_stale_variant_link_says_so(browser, built):
    page = browser.new_page()
    page.goto((built[0] / "index.html").as_uri() + "#variant-5")
    page.wait_for_selector("html.js")
    assert page.locator("#variant-1").is_visible()
    assert "no variant 5" in page.locator("#variant-notice").inner_text()
    page.close()


def test_readable_on_a_phone(browser, built):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    page.goto((built[0] / "index.html").as_uri())
    page.locator("#variant-1 button.reveal").first.click()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide on a 390px phone"
    font = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.statement')).fontSize)")
    assert font >= 15
    height = page.locator("#variant-1 input").first.bounding_box()["height"]
    assert height >= 36                                  # touch-sized inputs
    page.screenshot(path=str(PHONE_SCREENSHOT), full_page=False)
    context.close()


def test_every_answer_type_of_the_bank_checks_right(browser, tmp_path_factory):
    """One page with every problem of the bank: the key's own answers are all marked right
    (ints, reals, vectors, matrices, lists of matrices, choices, bools, formulas). The boxes
    are filled in one script call per variant: typing hundreds of entries would be slow."""
    import json

    from generator import bank
    from generator.practice import build_practice

    folder = tmp_path_factory.mktemp("all")
    spec = folder / "all.yaml"
    spec.write_text('title: "Every problem"\nseed: 4\nproblems:\n'
                    + "".join(f"  - id: {pid}\n" for pid in bank.ids()), encoding="utf-8")
    result = build_practice(str(spec), 4, out=folder / "page", pdf=False, page_variants=2)
    key = json.loads((result.out / "key.json").read_text(encoding="utf-8"))
    context = browser.new_context()
    page = context.new_page()
    page.goto((result.out / "index.html").as_uri())
    for variant in key["variants"]:
        page.select_option("#variant-select", variant["key"])
        values, verdicts = {}, []
        for entry in variant["problems"]:
            dom = f"v{variant['key']}-q{entry['slot']}"
            for field in graded_fields(entry):
                verdicts.append((entry["id"], field, f"{dom}-{field}-verdict"))
                for index, value in enumerate(flat(entry["answers"][field]), start=1):
                    values[f"{dom}-{field}-{index}"] = ("true" if value else "false") if isinstance(value, bool) \
                        else str(value)
        page.evaluate("""values => Object.entries(values).forEach(([id, v]) => {
            const e = document.getElementById(id); e.value = v; })""", values)
        for button in page.locator(f"#variant-{variant['key']} button.check").all():
            button.click()
        shown = page.evaluate("ids => ids.map(id => document.getElementById(id).textContent)",
                              [v[2] for v in verdicts])
        wrong = [(pid, field, text) for (pid, field, _), text in zip(verdicts, shown, strict=True)
                 if not text.startswith("\u2713")]
        assert not wrong
    context.close()
