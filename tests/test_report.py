"""`examgen report`: a hand-made class of 10 students on a real 2-slot build, the report's numbers
against values computed here by hand (the textbook formulas written out, not the report's code).

Each student's answer to each field is chosen: right (the key's value), a declared mistake's
value (the problem's own MISTAKES for the variant's params), partly right (a vector with its
first entry off), wrong (a value far from all of them) or blank. Points, totals, means,
the point-biserial correlation, the upper-lower index and the mistake counts follow from
those choices and the key's points, computed below without the report's code.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
from pathlib import Path

import pytest

from generator import bank
from generator.report import analyse, load_results
from tests.conftest import ROOT, run_cli

SPEC = """\
title: Class quiz
seed: 11
problems:
  - id: cnn/conv-layer-cost
    points: 10
  - id: mlp/dropout-scaling
    points: 7
"""
CONV, DROP = "cnn/conv-layer-cost", "mlp/dropout-scaling"
# R right, W wrong, P partly right (first entry off), "" blank, any other word a mistake's name.
# Fields not named are right.
PLANS = {
    "001": {},
    "002": {"var_unit": "W"},
    "003": {"params": "no-bias", "out": "P"},
    "004": {"out_shape": "no-plus-one", "mults": "no-channels-in"},
    "005": {"scale": "no-rescale", "out": "no-rescale", "mean_unit": "no-rescale"},
    "006": {"scale": "scale-by-q", "out": "scale-by-q", "params": "no-bias", "mean_unit": "W"},
    "007": {f: "W" for f in ("out_shape", "in_channels", "out_channels", "mults", "adds", "params")},
    "008": {f: "" for f in ("out_shape", "mults", "adds", "params", "scale", "out", "mean_unit", "var_unit")},
    "009": {"params": "no-bias", "out_shape": "no-plus-one", "mults": "W", "adds": "W", "out": "W",
            "mean_unit": "W", "var_unit": "W"},
    "010": {"adds": "W", "scale": "", "out": "", "mean_unit": "", "var_unit": ""},
}
MADE = {(CONV, "no-bias"): 3, (CONV, "no-plus-one"): 2, (CONV, "no-channels-in"): 1,
        (DROP, "no-rescale"): 1, (DROP, "scale-by-q"): 1, (DROP, "bernoulli-variance"): 0}


def flat(value):
    return [x for v in value for x in flat(v)] if isinstance(value, list) else [value]


def within(expected: float, given: float, tolerance: dict) -> bool:
    return abs(given - expected) <= tolerance["atol"] + tolerance["rtol"] * abs(expected) + 1e-9


def wrong_value(value):
    return [wrong_value(v) for v in value] if isinstance(value, list) else value * 3 + 7


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The build, the responses, `examgen grade --report`, and the points computed by hand."""
    tmp = tmp_path_factory.mktemp("report")
    (tmp / "quiz.yaml").write_text(SPEC, encoding="utf-8")
    result = run_cli("build", str(tmp / "quiz.yaml"), "--variants", "10", "--no-pdf", "--out", str(tmp / "out"))
    assert result.returncode == 0, result.stderr
    key = json.loads((tmp / "out" / "key.json").read_text(encoding="utf-8"))
    rows, points = [], {}     # points[student][(slot, field)]
    for variant in key["variants"]:
        student = variant["key"]
        plan = PLANS[student]
        points[student] = {}
        for entry in variant["problems"]:
            problem = bank.load(entry["id"])
            mistakes = {m.name: m.wrong(entry["params"]) for m in problem.mistakes}
            for part in entry["parts"].values():
                share = part["points"] / len(part["fields"])
                for field in part["fields"]:
                    right, tolerance = entry["answers"][field], entry["tolerances"][field]
                    how = plan.get(field, "R")
                    if how == "":
                        points[student][entry["slot"], field] = 0.0
                        continue
                    value = {"R": right, "W": wrong_value(right)}.get(how)
                    if how == "P":
                        value = [right[0] + 5] + right[1:]
                    elif value is None:
                        value = mistakes[how][field]
                        value = [float(v) for v in value] if isinstance(value, list) else value
                    rows.append((student, entry["slot"], field, json.dumps(value)))
                    if isinstance(right, list) and entry["id"] == DROP:   # a vector: entry by entry
                        good = sum(within(e, g, tolerance) for e, g in zip(right, value, strict=True))
                        points[student][entry["slot"], field] = share * good / len(right)
                    else:                                                 # ints and shapes exactly, reals
                        good = all(within(e, g, tolerance) for e, g in zip(flat(right), flat(value), strict=True))
                        points[student][entry["slot"], field] = share if good else 0.0
    text = "student,slot,field,value\n" + "".join(f'{s},{n},{f},"{v}"\n' for s, n, f, v in rows)
    (tmp / "answers.csv").write_text(text, encoding="utf-8")
    result = run_cli("grade", str(tmp / "out" / "key.json"), str(tmp / "answers.csv"), "--report")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return tmp / "answers-graded", key, points


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def totals(points) -> dict[str, float]:
    return {s: sum(p.values()) for s, p in points.items()}


def test_scores_and_the_results_table_are_the_hand_computed_points(graded):
    folder, _, points = graded
    scores = {r["student"]: float(r["total"]) for r in read_csv(folder / "scores.csv")}
    assert scores == pytest.approx(totals(points), abs=0.005)
    table = read_csv(folder / "answers.csv")
    assert len(table) == 10 * 10                                  # 10 students x 10 fields
    for row in table:
        assert float(row["points"]) == pytest.approx(points[row["student"]][int(row["slot"]), row["field"]])
    by = {(r["student"], r["field"]): r for r in table}
    assert by["003", "params"]["mistake"] == "no-bias"
    assert by["003", "params"]["mistake_text"] == "counted the weights but forgot the C_out biases"
    assert by["003", "params"]["status"] == "wrong"
    assert by["003", "out"]["status"] == "partial"
    n = len(json.loads(by["001", "out"]["response"]))
    assert by["003", "out"]["entries_right"] == " ".join(str(i) for i in range(2, n + 1))
    assert by["005", "out"]["mistake"] == "no-rescale"            # masked zeros right, the rest the mistake's
    assert by["005", "out"]["status"] == "partial"
    assert by["008", "out"]["status"] == "unanswered" and by["008", "out"]["response"] == ""
    assert by["001", "scale"]["status"] == "right" and by["001", "scale"]["mistake"] == ""


def test_question_means_point_biserial_and_upper_lower_by_hand(graded):
    folder, _, points = graded
    students = sorted(points)
    total = totals(points)
    rows = {(r["level"], r["slot"], r["field"]): r for r in read_csv(folder / "report" / "questions.csv")}
    analysis = {(q["level"], q["slot"], q["field"]): q for q in analyse(load_results(folder)).questions}

    for slot in (1, 2):
        scores = [sum(v for (n, _), v in points[s].items() if n == slot) for s in students]
        mean = sum(scores) / len(scores)
        assert analysis["question", slot, ""]["mean"] == pytest.approx(mean)
        assert float(rows["question", str(slot), ""]["mean"]) == pytest.approx(mean, abs=0.0005)

    # params (2 points) is right or wrong: the point-biserial correlation with the rest score,
    # r = (M1 - M0) / s * sqrt(p q), s the population standard deviation of the rest scores.
    item = {s: points[s][1, "params"] for s in students}
    rest = {s: total[s] - item[s] for s in students}
    right = [s for s in students if item[s] > 0]
    other = [s for s in students if item[s] == 0]
    assert 0 < len(right) < len(students)
    m1 = sum(rest[s] for s in right) / len(right)
    m0 = sum(rest[s] for s in other) / len(other)
    mean_rest = sum(rest.values()) / len(students)
    sd = math.sqrt(sum((r - mean_rest) ** 2 for r in rest.values()) / len(students))
    p = len(right) / len(students)
    r_pb = (m1 - m0) / sd * math.sqrt(p * (1 - p))
    assert analysis["field", 1, "params"]["discrimination"] == pytest.approx(r_pb)
    assert float(rows["field", "1", "params"]["discrimination"]) == pytest.approx(r_pb, abs=0.0005)
    assert float(rows["field", "1", "params"]["mean"]) == pytest.approx(2 * p, abs=0.0005)
    assert int(rows["field", "1", "params"]["right"]) == len(right)

    # Upper-lower index of slot 2: the 3 best and 3 worst totals (27% of 10, rounded).
    ranked = sorted(students, key=lambda s: -total[s])
    assert total[ranked[2]] != total[ranked[3]] and total[ranked[6]] != total[ranked[7]]  # no tie at the cuts
    slot2 = {s: sum(v for (n, _), v in points[s].items() if n == 2) for s in students}
    d = (sum(slot2[s] for s in ranked[:3]) / 3 - sum(slot2[s] for s in ranked[-3:]) / 3) / 7
    assert analysis["question", 2, ""]["upper_lower"] == pytest.approx(d)
    assert float(rows["question", "2", ""]["upper_lower"]) == pytest.approx(d, abs=0.0005)
    assert rows["question", "2", ""]["max_points"] == "7"


def test_every_declared_mistake_is_counted_nobody_s_too(graded):
    folder, _, _ = graded
    table = read_csv(folder / "report" / "mistakes.csv")
    counted = {(r["problem"], r["mistake"]): int(r["students"]) for r in table}
    declared = {(p, m.name) for p in (CONV, DROP) for m in bank.load(p).mistakes}
    assert set(counted) == declared                                 # each declared mistake, once
    assert counted == MADE
    assert all(r["had"] == "10" for r in table)
    no_rescale = next(r for r in table if r["mistake"] == "no-rescale")
    assert no_rescale["answers"] == "3" and no_rescale["fields"] == "scale out mean_unit"
    html = (folder / "report" / "report.html").read_text(encoding="utf-8")
    for problem in (CONV, DROP):
        for mistake in bank.load(problem).mistakes:
            assert mistake.description in html


def test_the_score_distribution(graded):
    folder, _, points = graded
    table = {r["statistic"]: r["value"] for r in read_csv(folder / "report" / "scores-summary.csv")}
    values = sorted(totals(points).values())
    assert table["students"] == "10" and table["max points"] == "17"
    assert float(table["mean"]) == pytest.approx(sum(values) / 10, abs=0.0005)
    assert float(table["median"]) == pytest.approx((values[4] + values[5]) / 2, abs=0.0005)
    bins = {k: int(v) for k, v in table.items() if k.startswith("students with")}
    assert sum(bins.values()) == 10 and len(bins) == 17
    for low in range(17):
        count = sum(low <= t < low + 1 or (low == 16 and t == 17) for t in values)
        closing = "]" if low == 16 else ")"
        assert bins[f"students with [{low}, {low + 1}{closing} points"] == count


def test_the_report_is_one_offline_file_with_svg_plots(graded):
    folder, _, _ = graded
    html = (folder / "report" / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 3                                  # histogram, questions, mistakes
    assert "<script" not in html and "<link" not in html and "src=" not in html
    assert "point-biserial" in html and "27%" in html
    assert sorted(p.name for p in (folder / "report").iterdir() if not p.name.startswith(".")) == [
        "mistakes.csv", "options.csv", "questions.csv", "report.html", "scores-summary.csv"]


def test_choice_fields_count_options_by_role_and_their_mistakes(graded, tmp_path):
    """The key's `choices` (the shared contract), added here to slot 1's params: option 0 the
    right value, 1 the no-bias mistake's, 2 another value, their order rotated per variant."""
    folder, key, _ = graded
    key = json.loads(json.dumps(key))
    chosen = {}
    lines = ["student,slot,field,value"]
    for i, variant in enumerate(key["variants"]):
        entry = variant["problems"][0]
        values = [("right", entry["answers"]["params"]), ("mistake", 1), ("other", 2)]
        order = [values[(j + i) % 3] for j in range(3)]
        entry["choices"] = {"params": {
            "options": [str(v) for _, v in order], "right": [k for k, (r, _) in enumerate(order) if r == "right"],
            "multi": False, "scoring": "all-or-nothing",
            "mistakes": {str(k): "counted the weights but forgot the C_out biases"
                         for k, (r, _) in enumerate(order) if r == "mistake"}}}
        role = ("right", "mistake", "other", None)[i % 4]            # 1 in 4 students leaves it blank
        letter = "" if role is None else "ABC"[[r for r, _ in order].index(role)]
        chosen[variant["key"]] = role
        lines.append(f"{variant['key']},1,params,{letter}")
    (tmp_path / "key.json").write_text(json.dumps(key), encoding="utf-8")
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("grade", str(tmp_path / "key.json"), str(tmp_path / "r.csv"), "--out", str(tmp_path / "g"))
    assert result.returncode == 0, result.stderr
    result = run_cli("report", str(tmp_path / "g"))
    assert result.returncode == 0, result.stderr
    options = {r["option"]: r for r in read_csv(tmp_path / "g" / "report" / "options.csv")}
    roles = list(chosen.values())
    assert int(options["right"]["chosen"]) == roles.count("right") == 3
    assert int(options["no-bias"]["chosen"]) == roles.count("mistake") == 3
    assert int(options["other"]["chosen"]) == roles.count("other") == 2
    assert int(options["(no answer)"]["chosen"]) == roles.count(None) == 2
    assert all(options[o]["shown"] == "10" for o in ("right", "no-bias", "other"))
    assert options["right"]["letters"] == "A B C"
    mistakes = {r["mistake"]: int(r["students"]) for r in read_csv(tmp_path / "g" / "report" / "mistakes.csv")}
    assert mistakes["no-bias"] == 3                                 # the three who chose the mistake's option
    rows = {r["student"]: r for r in read_csv(tmp_path / "g" / "answers.csv") if r["field"] == "params"}
    for student, role in chosen.items():
        assert rows[student]["chosen_mistake"] == ("counted the weights but forgot the C_out biases"
                                                   if role == "mistake" else "")
        assert (rows[student]["mistake"] == "no-bias") == (role == "mistake")


@pytest.mark.parametrize("make, message", [
    (lambda p: None, "no such folder"),
    (lambda p: p.mkdir(), "this folder has no results.json, so `examgen grade` did not write it"),
    (lambda p: (p.mkdir(), (p / "results.json").write_text("{", encoding="utf-8")), "results.json is not valid JSON"),
    (lambda p: (p.mkdir(), (p / "results.json").write_text("[1]", encoding="utf-8")),
     "results.json is not the results of `examgen grade`"),
])
def test_a_folder_that_is_not_graded_is_one_line(tmp_path, make, message):
    folder = tmp_path / "graded"
    make(folder)
    result = run_cli("report", str(folder))
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert message in line and str(folder) in line and "Traceback" not in result.stderr


CHROMIUM = os.environ.get("EXAMGEN_CHROMIUM", "/usr/bin/chromium")


@pytest.mark.skipif(not Path(CHROMIUM).exists() or shutil.which("pandoc") is None, reason="no Chromium")
@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_in_a_browser_fits_desktop_and_phone(graded, width):
    from playwright.sync_api import sync_playwright

    folder, _, _ = graded
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": 900})
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto((folder / "report" / "report.html").as_uri())
        # Nothing wider than the screen but inside a table's own scroll box.
        wide = page.evaluate("""() => Array.from(document.querySelectorAll('body *')).filter(e =>
            e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table')).map(e => e.tagName)""")
        assert wide == []
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.locator("svg").count() == 3
        assert all(page.locator("svg").nth(i).bounding_box()["width"] <= width for i in range(3))
        (ROOT / "output").mkdir(exist_ok=True)
        page.screenshot(path=str(ROOT / "output" / f"report-{width}.png"), full_page=True)
        browser.close()
    assert all(url.startswith("file:") for url in requests), requests


def test_points_graded_by_hand_are_out_of_the_max_points():
    """test_grade's toy exam: slot 1 has 9 points, 1 of them a proof graded by hand."""
    from generator.grade import grade, parse_responses, results_document
    from tests.test_grade import load, long_form, toy_key

    grades = grade(toy_key(), parse_responses(long_form(), "answers.csv"), load=load)
    analysis = analyse(json.loads(json.dumps(results_document(grades))))
    summary = dict(analysis.summary)
    assert summary["max points"] == 18 and summary["points graded by hand (not included)"] == 1
    assert summary["mean"] == pytest.approx((18 + 18 + 4 + 3 + 3) / 5)    # test_grade's EXPECTED_SCORES
    slot1 = next(q for q in analysis.questions if q["level"] == "question" and q["slot"] == 1)
    assert slot1["max_points"] == 8 and slot1["mean"] == pytest.approx((8 + 8 + 1 + 3 + 3) / 5)
    assert [q["field"] for q in analysis.questions if q["level"] == "field" and q["slot"] == 1] == ["x", "v", "n", "s"]
    v = next(q for q in analysis.questions if q["field"] == "v")
    assert (v["right"], v["partial"], v["wrong"], v["unanswered"]) == (2, 1, 1, 1)
