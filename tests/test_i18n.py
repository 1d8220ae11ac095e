"""Languages: the catalogs cover every message, `language: de` prints German sheets (labels,
decimal comma, date), grade reads the decimal comma of a German exam only, a problem without
German templates falls back to English with a warning, and a bilingual exam prints both texts.

The test problems are in tests/i18n_bank: tiny/quarter (with German templates) asks for
quarters/4 of a batch; tiny/untranslated is the same problem in English only.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from generator import i18n
from generator.answers import Unreadable
from generator.answers.reading import delocalise
from generator.render import environment
from tests.conftest import ROOT, run_cli

BANK = ROOT / "tests" / "i18n_bank"


def _catalog(code: str):
    with open(ROOT / "generator" / "locale" / code / "LC_MESSAGES" / "examgen.po", "rb") as po:
        return read_po(po, locale=code)


@pytest.mark.parametrize("code", ["en", "de"])
def test_every_message_of_the_sources_has_an_entry(code):
    """English and German are complete: a `_()` string of a template, a `_()`/`ngettext()` of the
    engine or a `T()` of practice.js without an entry is listed by name and file. German entries
    must be translated (a non-empty msgstr); English is the source language."""
    catalog = _catalog(code)
    missing = []
    for message, where in i18n.source_messages().items():
        entry = catalog.get(message[0])
        if entry is None or (code != "en" and not all(entry.string if isinstance(entry.string, tuple)
                                                       else (entry.string,))):
            missing.append(f"{where}: {message[0]!r}")
    assert not missing, f"{len(missing)} messages without a {code} entry:\n" + "\n".join(missing)


def test_english_is_the_source_language():
    """en.po lists every message with an empty msgstr: English prints the messages themselves
    (generator.i18n does not read en.po), so a msgstr there would be silently ignored."""
    translated = [m.id for m in _catalog("en") if m.id and (any(m.string) if isinstance(m.string, tuple) else m.string)]
    assert translated == []


def test_sources_hold_the_messages_the_sheets_print():
    """The extraction finds messages of every kind of source (so the test above can fail)."""
    messages = {m[0]: where for m, where in i18n.source_messages().items()}
    assert messages["Extra time:"] == "exam.tex.j2"
    assert messages["Check answers"] == "practice-variant.html.j2"
    assert messages["too high"] == "practice.js"
    assert messages["your answer:"] == "grade.py"
    assert ("%(n)s point", "%(n)s points") in i18n.source_messages()


def test_german_numbers_dates_and_labels():
    env = environment(language="de")
    assert env.from_string(r"\VAR{x|num}").render(x=0.25) == "0{,}25"
    assert env.from_string(r"\VAR{x|num(2)}").render(x=1 / 3) == "0{,}33"
    assert env.from_string(r"\VAR{x|tup}").render(x=[1.5, 2]) == r"\left(1{,}5; 2\right)"
    assert env.from_string(r"\VAR{x|num}").render(x=5133600) == r"5\,133\,600"
    assert env.from_string(r'\VAR{_("Student ID:")}').render() == "Matrikelnummer:"
    assert environment(language="en").from_string(r"\VAR{x|tup}").render(x=[1.5, 2]) == r"\left(1.5, 2\right)"
    assert i18n.format_date("2026-12-14", "de") == "14. Dezember 2026"
    assert i18n.format_date("2026-12-14", "en") == "2026-12-14"   # as examgen always printed it


def test_figures_keep_points_for_tikz():
    from generator.render import figures_with_points

    tex = r"$0{,}5$ \begin{tikzpicture}\draw (0{,}5, 1) -- (2, 0{,}25) node {$0{,}25$};\end{tikzpicture}"
    assert figures_with_points(tex, "de") == (
        r"$0{,}5$ \begin{tikzpicture}\draw (0.5, 1) -- (2, 0.25) node {$0{,}25$};\end{tikzpicture}")


@pytest.mark.parametrize(("typed", "read"), [
    ("0,25", "0.25"), ("-1,5", "-1.5"), ("1.000,5", "1000.5"), ("5.133.600", "5133600"), ("0.25", "0.25"),
    ("1,5e3", "1.5e3"), ("[0,5; 1]", "[0.5, 1]"), ("(46, 62, 20)", "(46, 62, 20)"), ("3/4", "3/4"),
    ("[[1,5; 2]; [3; 4,25]]", "[[1.5, 2], [3, 4.25]]"),
])
def test_decimal_comma_reading(typed, read):
    assert delocalise(typed, ",") == read
    assert delocalise(typed, ".") == typed      # English reads as it always did


@pytest.mark.parametrize("typed", ["1.000", "12.500"])
def test_a_lone_thousands_point_is_ambiguous(typed):
    with pytest.raises(Unreadable, match="could mean"):
        delocalise(typed, ",")


def test_unknown_language_is_one_line(write_spec):
    spec = write_spec("title: t\nseed: 1\nlanguage: fr\nproblems:\n  - id: cnn/conv-layer-cost\n")
    result = run_cli("build", str(spec), "--no-pdf", "--out", str(spec.parent / "out"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "language" in lines[0] and "'fr' is not a language examgen prints (known: en, de)" in lines[0]
    assert f"{spec}:3" in lines[0]
    assert not (spec.parent / "out").exists()


def _spec(write_spec, language: str, problems=("tiny/quarter", "tiny/untranslated"), name="spec.yaml") -> Path:
    listed = "".join(f"  - id: {p}\n" for p in problems)
    return write_spec(f"title: Kurztest\ncourse: DL\ndate: 2026-12-14\nseed: 7\nvariants: 1\nlanguage: {language}\n"
                      "declaration: Ich arbeite allein.\n"
                      f"banks: [{BANK}]\nproblems:\n{listed}", name)


def _build(spec: Path, *extra: str) -> tuple[subprocess.CompletedProcess, Path]:
    out = spec.parent / f"out-{spec.stem}"
    result = run_cli("build", str(spec), "--out", str(out), *extra)
    assert result.returncode == 0, result.stderr
    return result, out


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def _share(out: Path, slot: int = 0) -> float:
    """The instance's share, computed from its parameter (quarters of four), not from the key's answer."""
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    return key["variants"][0]["problems"][slot]["params"]["quarters"] / 4


def test_german_exam_and_solutions(write_spec):
    result, out = _build(_spec(write_spec, "de"))
    # the untranslated problem falls back to English with one warning naming it; the other does not
    warnings = [line for line in result.stderr.splitlines() if "translation" in line]
    assert warnings == ["warning: problem tiny/untranslated has no German translation (question.de.tex.j2 and "
                        "solution.de.tex.j2): printed in English"]
    exam = " ".join(_text(out / "variants" / "001" / "exam.pdf").split())
    for label in ("Matrikelnummer:", "Unterschrift", "Aufgabe", "Punkte", "Summe", "Hinweise.",
                  "Erst umblättern, wenn die Aufsicht es sagt.", "14. Dezember 2026", "Seite 1 von",
                  "Geben Sie Dezimalzahlen auf 3 signifikante Stellen an.", "Welcher Anteil des Stapels"):
        assert label in exam, label
    assert "What share of the batch" in exam          # the fallback, in English
    assert "Student ID" not in exam and "Do not turn over" not in exam
    solutions = " ".join(_text(out / "variants" / "001" / "solutions.pdf").split())
    share = f"{_share(out):g}".replace(".", ",")
    assert f"= {share} des Stapels" in solutions     # the decimal comma, and no space after it
    assert "Lösung." in solutions
    preamble = (out / "variants" / "001" / "exam.tex").read_text(encoding="utf-8").split("\\begin{document}")[0]
    assert "\\usepackage[ngerman]{babel}" in preamble and "\\pointpoints{Punkt}{Punkte}" in preamble
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    assert key["exam"]["language"] == ["de"]
    assert key["exam"]["date"] == "2026-12-14"        # the key keeps the ISO date


def test_bilingual_exam_prints_both_texts(write_spec):
    _, out = _build(_spec(write_spec, "[de, en]", problems=("tiny/quarter",)))
    exam = " ".join(_text(out / "variants" / "001" / "exam.pdf").split())
    german, english = exam.find("Welcher Anteil des Stapels"), exam.find("What share of the batch")
    assert 0 <= german < english                      # German first, English below it
    assert "Matrikelnummer" in exam                   # the sheet's own language is the first
    quarters = json.loads((out / "key.json").read_text(encoding="utf-8"))["variants"][0]["problems"][0]["params"]["quarters"]
    assert f"und {quarters} davon werden behalten" in exam and f"and {quarters} of them are kept" in exam


def _grade(tmp_path: Path, out: Path, value: str) -> str:
    responses = tmp_path / "responses.csv"
    responses.write_text(f'student,slot,field,value\n001,1,share,"{value}"\n', encoding="utf-8")
    result = run_cli("grade", str(out / "key.json"), str(responses), "--out", str(tmp_path / "graded"))
    assert result.returncode == 0, result.stderr
    return (tmp_path / "graded" / "feedback" / "001.txt").read_text(encoding="utf-8")


def test_grade_reads_the_decimal_comma_of_a_german_exam_only(write_spec, tmp_path):
    _, german = _build(_spec(write_spec, "de", problems=("tiny/quarter",), name="de.yaml"), "--no-pdf")
    _, english = _build(_spec(write_spec, "en", problems=("tiny/quarter",), name="en.yaml"), "--no-pdf")
    assert "babel" not in (english / "variants" / "001" / "exam.tex").read_text(encoding="utf-8")
    assert _share(german) == _share(english)          # the same seed: the same instance
    comma = f"{_share(german):g}".replace(".", ",")
    feedback = _grade(tmp_path, german, comma)
    assert "share: richtig, 2 von 2" in feedback
    assert "Ergebnis: 2 von 2 Punkte" in feedback
    feedback = _grade(tmp_path, german, "0,9")           # never right: the share is at most 3/4
    assert "share: falsch, 0 von 2" in feedback and "Ihre Antwort: 0,9" in feedback
    assert f"erwartet:    {comma}" in feedback and "Toleranz:    richtig innerhalb +/- 0," in feedback
    feedback = _grade(tmp_path, english, comma)
    assert "share: could not be read" in feedback and "counted as wrong, 0 of 2" in feedback
    assert "share: right, 2 of 2" in _grade(tmp_path, english, f"{_share(english):g}")


def test_practice_page_in_german(tmp_path):
    out = tmp_path / "practice"
    result = run_cli("practice", "tiny/quarter", "--bank", str(BANK), "--seed", "3", "--language", "de",
                     "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in page and "Antworten prüfen" in page and "Welcher Anteil" in page
    data = json.loads(page.split('<script type="application/json" id="examgen-page">')[1].split("</script>")[0])
    assert data["decimal"] == ","
    assert data["strings"]["too high"] == "zu hoch"
    assert "--language de" in result.stdout
    bad = run_cli("practice", "tiny/quarter", "--bank", str(BANK), "--language", "xx", "--no-pdf",
                  "--out", str(tmp_path / "bad"))
    assert bad.returncode == 1 and bad.stderr.count("\n") == 1
    assert "--language 'xx' is not a language examgen prints (known: en, de)" in bad.stderr


def test_german_page_reads_the_decimal_comma_in_chromium(tmp_path):
    """The page's own check in a German page: the comma answer right, a lone 1.000 refused with
    a German reason, 1.000,5 read as grade reads it; a screenshot to look at."""
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("Chromium is not installed; 'make test' installs it")
    out = tmp_path / "practice"
    result = run_cli("practice", "tiny/quarter", "--bank", str(BANK), "--seed", "3", "--language", "de",
                     "--variants", "1", "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stderr
    quarters = json.loads((out / "key.json").read_text(encoding="utf-8"))["variants"][0]["problems"][0]["params"]["quarters"]
    comma = f"{quarters / 4:g}".replace(".", ",")
    with playwright.sync_playwright() as run:
        browser = run.chromium.launch(executable_path=chromium, args=["--headless", "--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 900, "height": 700})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto((out / "index.html").as_uri())
        page.wait_for_selector("html.js")
        assert page.evaluate('() => window.examgen.readNumber("1.000,5", false)') == 1000.5
        page.fill("#v1-q1-share-1", comma)
        page.click("#v1-q1 button.check")
        assert page.locator("#v1-q1-share-verdict").inner_text().startswith("\u2713 richtig")
        page.fill("#v1-q1-share-1", "1.000")
        page.click("#v1-q1 button.check")
        assert "ein Punkt kann Dezimalkomma oder Tausender bedeuten" in page.locator("#v1-q1-share-verdict").inner_text()
        assert "Antworten prüfen" in page.locator("#v1-q1 button.check").inner_text()
        page.screenshot(path=str(ROOT / "output" / "practice-de.png"), full_page=True)
        browser.close()
    assert not errors, errors


def test_accessible_exam_and_extra_time_in_german(tmp_path):
    """A German roster build: the accessible exam.html is German (lang, headings, points with a
    decimal comma) and the extra time on the cover reads in German."""
    spec = tmp_path / "de.yaml"
    spec.write_text('title: "Klausur"\nlanguage: de\nseed: 5\nproblems:\n'
                    "  - id: regularization/weight-decay-step\n    points: 7.5\n", encoding="utf-8")
    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,accommodations\ns1,Anna Schmidt,html;extra-time=30\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", str(spec), "--roster", str(roster), "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = (out / "variants" / "s1" / "exam.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in page and ">Hinweise<" in page and "Aufgabe 1:" in page
    assert "(7,5 Punkte)" in page and "(7.5 " not in page
    tex = (out / "variants" / "s1" / "exam.tex").read_text(encoding="utf-8")
    assert "30 Minuten" in tex and "30 minutes" not in tex
