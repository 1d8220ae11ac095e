"""What the class got wrong: `examgen report GRADED_DIR` (and `examgen grade --report`).

Reads the `results.json` that `examgen grade` writes into its folder and writes `report/`
beside it: `report.html` (one file, plots as inline SVG, readable offline) and the same
tables as CSV: `scores-summary.csv`, `questions.csv`, `mistakes.csv`, `options.csv`.

The statistics (numpy), over the graded students, N of them; a student's total T is the
points graded automatically:

- per question (slot) and per answer field: the mean score, the field's max points, the
  facility (mean / max) and the best score reached;
- the discrimination as the **item-rest correlation** `r`: Pearson's correlation of the
  item's score x with the rest score R = T - x (the item left out, so it does not correlate
  with itself). For an item scored 0 or full (right or wrong) it is the point-biserial
  correlation r_pb = (M1 - M0) / s_R * sqrt(p q), M1 and M0 the mean rest scores of those
  right and not, s_R the (population) standard deviation of R, p the share right, q = 1 - p.
  Undefined (empty) when x or R does not vary;
- and the **upper-lower index** D = (mean x of the upper group - mean x of the lower group) /
  max points, the groups being the n = round(0.27 N) students with the highest and the lowest
  totals (ties at the cut in the key's order); undefined for fewer than 2 students;
- per declared mistake of every problem in the key (`MISTAKES`, those nobody made too): how
  many students made it (a typed answer equal to the mistake's value, or a chosen option that
  is the mistake's), out of the students who had the problem;
- per option of a choice field (the right one, each declared mistake's, the other values):
  how many students were shown it and how many chose it (letters differ per variant, the
  option's role does not).

Everything here is pure (results in, tables and text out) but `write_report`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from generator.errors import ExamgenError
from generator.exports.csv import spreadsheet_safe

UPPER_LOWER = 0.27
RESULTS = "results.json"
REPORT = "report"
FIX = ("give the folder `examgen grade KEY RESPONSES --out DIR` wrote (default: <responses name>-graded/), "
       "or grade again")


# ---------------------------------------------------------------- reading

def load_results(folder: str | Path) -> dict[str, Any]:
    """The `results.json` of a graded folder; anything else is one clear error."""
    folder = Path(folder)
    path = folder / RESULTS
    if not folder.is_dir():
        raise ExamgenError("no such folder" if not folder.exists() else "this is a file, not a graded folder",
                           str(folder), FIX)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExamgenError(f"this folder has no {RESULTS}, so `examgen grade` did not write it", str(folder),
                           FIX) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ExamgenError(f"cannot read {RESULTS} ({getattr(error, 'strerror', None) or error})", str(path),
                           FIX) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ExamgenError(f"{RESULTS} is not valid JSON ({error.msg})", f"{path}:{error.lineno}", FIX) from None
    from generator.grade import RESULTS_FORMAT, RESULTS_VERSION

    if not isinstance(document, dict) or document.get("format") != RESULTS_FORMAT:
        raise ExamgenError(f"{RESULTS} is not the results of `examgen grade`", str(path), FIX)
    if document.get("version") != RESULTS_VERSION:
        raise ExamgenError(f"{RESULTS} has version {document.get('version')!r}; this examgen reads version "
                           f"{RESULTS_VERSION}", str(path), "grade again with this examgen")
    if not document.get("students"):
        raise ExamgenError("no student was graded, so there is nothing to report", str(path),
                           "grade a responses file that has answers of students in the key")
    return document


# ---------------------------------------------------------------- statistics

@dataclass(frozen=True)
class ItemStats:
    students: int
    mean: float
    max_points: float
    best: float
    facility: float | None
    discrimination: float | None      # item-rest correlation (point-biserial for a 0/full item)
    upper_lower: float | None         # the 27% upper-lower index D


def item_rest_correlation(item: Sequence[float], total: Sequence[float]) -> float | None:
    """Pearson's correlation of the item's score with the rest score (total - item); None when
    either does not vary."""
    x = np.asarray(item, dtype=float)
    rest = np.asarray(total, dtype=float) - x
    if len(x) < 2:
        return None
    sx, sr = x.std(), rest.std()
    if sx <= 1e-12 * max(1.0, float(np.abs(x).max())) or sr <= 1e-12 * max(1.0, float(np.abs(rest).max())):
        return None
    return float(np.mean((x - x.mean()) * (rest - rest.mean())) / (sx * sr))


def group_size(count: int) -> int:
    """The size of the upper and of the lower group: 27% of the students, rounded half up."""
    return max(1, math.floor(UPPER_LOWER * count + 0.5))


def upper_lower_index(item: Sequence[float], total: Sequence[float], max_points: float) -> float | None:
    """(mean item score of the upper 27% by total - that of the lower 27%) / max points;
    ties in the given order (the key's)."""
    x = np.asarray(item, dtype=float)
    if len(x) < 2 or max_points <= 0:
        return None
    n = min(group_size(len(x)), len(x) // 2)
    order = np.argsort(-np.asarray(total, dtype=float), kind="stable")
    return float((x[order[:n]].mean() - x[order[-n:]].mean()) / max_points)


def item_stats(item: Sequence[float], total: Sequence[float], max_points: float) -> ItemStats:
    x = np.asarray(item, dtype=float)
    return ItemStats(students=len(x), mean=float(x.mean()), max_points=float(max_points), best=float(x.max()),
                     facility=float(x.mean() / max_points) if max_points > 0 else None,
                     discrimination=item_rest_correlation(x, total),
                     upper_lower=upper_lower_index(x, total, max_points))


# ---------------------------------------------------------------- the analysis

@dataclass(frozen=True)
class Analysis:
    title: str
    seed: Any
    totals: list[float]
    max_total: float
    summary: list[tuple[str, Any]]          # (statistic, value)
    bins: list[tuple[float, float, int]]     # (from, to, students) of the histogram
    questions: list[dict[str, Any]]          # one row per slot, then its fields
    mistakes: list[dict[str, Any]]
    options: list[dict[str, Any]]
    by_hand: float


def _bins(totals: np.ndarray, top: float) -> list[tuple[float, float, int]]:
    """Histogram bins of whole points (wider for long exams: at most 25 bins), the last one
    closed so a full score is counted."""
    top = max(top, float(totals.max()), 1.0)
    width = max(1.0, math.ceil(top / 25))
    edges = np.arange(0.0, top + width, width)
    if edges[-1] < top:
        edges = np.append(edges, edges[-1] + width)
    counts, edges = np.histogram(totals, bins=edges)
    return [(float(a), float(b), int(c)) for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)]


def analyse(results: Mapping[str, Any]) -> Analysis:
    students = results["students"]
    keys = [s["student"] for s in students]
    totals = np.array([float(s["points"]) for s in students])
    # Points graded by hand are not in any score here, so not in the max points either.
    by_hand = max(float(s.get("by_hand", 0.0)) for s in students)
    max_total = max(float(s["max_points"]) - float(s.get("by_hand", 0.0)) for s in students)
    summary: list[tuple[str, Any]] = [
        ("students", len(students)), ("max points", max_total), ("mean", float(totals.mean())),
        ("median", float(np.median(totals))), ("standard deviation", float(totals.std())),
        ("lowest", float(totals.min())), ("highest", float(totals.max())),
        ("mean / max points", float(totals.mean() / max_total) if max_total else None)]
    if by_hand:
        summary.append(("points graded by hand (not included)", by_hand))
    total_of = dict(zip(keys, totals.tolist(), strict=True))

    questions: list[dict[str, Any]] = []
    slot_numbers = sorted({s["slot"] for st in students for s in st["slots"]})
    for number in slot_numbers:
        scored = [(st["student"], s) for st in students for s in st["slots"] if s["slot"] == number]
        problems = list(dict.fromkeys(s["problem"] for _, s in scored))
        rows = [a for st in students for a in st["answers"] if a["slot"] == number]
        hand = {k: sum(a["max_points"] for a in rows if a["student"] == k and a["status"] == "by hand")
                for k, _ in scored}
        stats = item_stats([s["points"] for _, s in scored], [total_of[k] for k, _ in scored],
                           max(s["max_points"] - hand[k] for k, s in scored))
        questions.append({"level": "question", "slot": number, "problem": " ".join(problems), "field": "",
                          **_counts(rows), **stats.__dict__})
        fields = list(dict.fromkeys((a["problem"], a["field"]) for a in rows))
        for problem, name in fields:
            mine = [a for a in rows if a["problem"] == problem and a["field"] == name]
            if all(a["status"] == "by hand" for a in mine):
                continue
            stats = item_stats([a["points"] for a in mine], [total_of[a["student"]] for a in mine],
                               max(a["max_points"] for a in mine))
            questions.append({"level": "field", "slot": number, "problem": problem, "field": name,
                              **_counts(mine), **stats.__dict__})

    return Analysis(title=str(results["exam"].get("title", "")), seed=results["exam"].get("seed"),
                    totals=totals.tolist(), max_total=max_total, summary=summary, bins=_bins(totals, max_total),
                    questions=questions, mistakes=_mistakes(results), options=_options(results), by_hand=by_hand)


def _counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    statuses = [r["status"] for r in rows]
    return {"right": statuses.count("right"), "partial": statuses.count("partial"),
            "wrong": statuses.count("wrong") + statuses.count("unreadable"),
            "unanswered": statuses.count("unanswered")}


def _mistakes(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every declared mistake of every problem in the key, with how many students made it."""
    had: dict[str, set[str]] = {}
    slots: dict[str, set[int]] = {}
    made: dict[tuple[str, str], set[str]] = {}
    answers: dict[tuple[str, str], int] = {}
    fields: dict[tuple[str, str], list[str]] = {}
    for student in results["students"]:
        for slot in student["slots"]:
            had.setdefault(slot["problem"], set()).add(student["student"])
            slots.setdefault(slot["problem"], set()).add(slot["slot"])
        for row in student["answers"]:
            for mistake in row["mistakes"]:
                key = (row["problem"], mistake["name"] or mistake["text"])
                made.setdefault(key, set()).add(student["student"])
                answers[key] = answers.get(key, 0) + 1
                if row["field"] not in fields.setdefault(key, []):
                    fields[key].append(row["field"])
    out = []
    for problem_id, problem in results["problems"].items():
        for mistake in problem["mistakes"]:
            key = (problem_id, mistake["name"])
            students = len(had.get(problem_id, ()))
            count = len(made.get(key, ()))
            out.append({"problem": problem_id, "title": problem.get("title", ""),
                        "slots": " ".join(map(str, sorted(slots.get(problem_id, ())))),
                        "mistake": mistake["name"], "text": mistake["text"], "students": count,
                        "answers": answers.get(key, 0), "fields": " ".join(fields.get(key, [])),
                        "had": students, "share": count / students if students else None})
    return out


def _options(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per choice field and option role: how many students were shown it and chose it."""
    table: dict[tuple[int, str, str], dict[str, Any]] = {}
    for student in results["students"]:
        for row in student["answers"]:
            choice = row.get("choice")
            if not choice:
                continue
            for option in choice["options"]:
                if option["role"] == "right":
                    label, text = "right", "the right answer"
                elif option["role"] == "mistake":
                    label, text = option["mistake"] or option["mistake_text"], option["mistake_text"]
                else:
                    label, text = "other", "another value (no declared mistake)"
                entry = table.setdefault((row["slot"], row["field"], label), {
                    "slot": row["slot"], "field": row["field"], "problem": row["problem"], "option": label,
                    "text": text, "shown": 0, "chosen": 0, "letters": set()})
                entry["shown"] += 1
                entry["chosen"] += option["chosen"]
                entry["letters"].add(option["letter"])
            entry = table.setdefault((row["slot"], row["field"], "(no answer)"), {
                "slot": row["slot"], "field": row["field"], "problem": row["problem"], "option": "(no answer)",
                "text": "no option marked", "shown": 0, "chosen": 0, "letters": set()})
            entry["shown"] += 1
            entry["chosen"] += not choice["chosen"]
    out = []
    for entry in sorted(table.values(), key=lambda e: (e["slot"], e["field"], e["option"] == "(no answer)",
                                                        e["option"] != "right")):
        out.append({**entry, "letters": " ".join(sorted(entry["letters"])),
                    "share": entry["chosen"] / entry["shown"] if entry["shown"] else None})
    return out


# ---------------------------------------------------------------- tables

def number(value: Any, digits: int = 3) -> str:
    """A statistic as the tables print it: empty when undefined, at most `digits` decimals."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = f"{float(value):.{digits}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


QUESTION_COLUMNS = ("level", "slot", "problem", "field", "students", "mean", "max_points", "facility", "best",
                    "discrimination", "upper_lower", "right", "partial", "wrong", "unanswered")
MISTAKE_COLUMNS = ("problem", "slots", "mistake", "text", "fields", "had", "students", "answers", "share")
OPTION_COLUMNS = ("slot", "field", "problem", "option", "text", "letters", "shown", "chosen", "share")


def _csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([spreadsheet_safe(number(row[c]) if isinstance(row[c], float | None) else str(row[c]))
                         for c in columns])
    return "\ufeff" + out.getvalue()


def tables(analysis: Analysis) -> dict[str, str]:
    """The report's CSV files: name -> text."""
    summary = [{"statistic": s, "value": v} for s, v in analysis.summary]
    summary += [{"statistic": f"students with [{number(a)}, {number(b)}{']' if i == len(analysis.bins) - 1 else ')'}"
                              " points", "value": c} for i, (a, b, c) in enumerate(analysis.bins)]
    return {"scores-summary.csv": _csv(("statistic", "value"), summary),
            "questions.csv": _csv(QUESTION_COLUMNS, analysis.questions),
            "mistakes.csv": _csv(MISTAKE_COLUMNS, analysis.mistakes),
            "options.csv": _csv(OPTION_COLUMNS, analysis.options)}


# ---------------------------------------------------------------- plots (SVG)

def _svg(figure: Any) -> str:
    """A matplotlib figure as inline SVG: text as text (the page's font), no date, no ids that
    change between runs, without the XML prologue."""
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "examgen-report"}):
        figure.savefig(out, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = out.getvalue()
    return text[text.index("<svg"):]


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure  # no pyplot: no global figure state

    return Figure(figsize=(width, height), layout="constrained")


def histogram_svg(analysis: Analysis, xlabel: str, ylabel: str) -> str:
    figure = _figure(5.0, 2.4)
    axes = figure.add_subplot()
    lefts = [a for a, _, _ in analysis.bins]
    widths = [b - a for a, b, _ in analysis.bins]
    counts = [c for _, _, c in analysis.bins]
    axes.bar(lefts, counts, width=widths, align="edge", color="#3b6ea5", edgecolor="white")
    axes.set_xlim(0, analysis.bins[-1][1])
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def questions_svg(analysis: Analysis, facility: str, discrimination: str) -> str:
    rows = [q for q in analysis.questions if q["level"] == "question"]
    figure = _figure(5.0, 0.6 + 0.42 * len(rows))
    axes = figure.add_subplot()
    labels = [f"Q{q['slot']}" for q in rows]
    y = np.arange(len(rows))
    axes.barh(y - 0.2, [q["facility"] or 0 for q in rows], height=0.38, color="#3b6ea5", label=facility)
    axes.barh(y + 0.2, [q["discrimination"] or 0 for q in rows], height=0.38, color="#d08c2a",
              label=discrimination)
    axes.set_yticks(y, labels)
    axes.invert_yaxis()
    axes.set_xlim(min(-0.2, min((q["discrimination"] or 0) for q in rows) - 0.05), 1.0)
    axes.axvline(0, color="#555", linewidth=0.8)
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=2, fontsize="small", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def mistakes_svg(analysis: Analysis, xlabel: str, most: int = 15) -> str:
    rows = sorted((m for m in analysis.mistakes if m["students"]), key=lambda m: -m["students"])[:most]
    if not rows:
        return ""
    figure = _figure(5.0, 0.6 + 0.36 * len(rows))
    axes = figure.add_subplot()
    y = np.arange(len(rows))
    axes.barh(y, [m["students"] for m in rows], color="#b5453a")
    # The mistakes' names (short, so the plot stays legible on a phone); the table has their text.
    axes.set_yticks(y, [_short(f"{m['problem'].split('/')[-1]}: {m['mistake']}", 40) for m in rows])
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


# ---------------------------------------------------------------- the page and the files

def report_html(analysis: Analysis) -> str:
    from markupsafe import Markup

    from generator.practice import html_environment

    environment = html_environment()
    _ = environment.globals["_"]
    plots = {"histogram": Markup(histogram_svg(analysis, _("total points"), _("students"))),
             "questions": Markup(questions_svg(analysis, _("facility (mean / max)"),
                                               _("discrimination (item-rest r)"))),
             "mistakes": Markup(mistakes_svg(analysis, _("students who made it")))}
    from generator import __version__

    return environment.get_template("report.html.j2").render(
        a=analysis, plots=plots, number=number, generator=f"examgen {__version__}", group=UPPER_LOWER)


def write_report(folder: str | Path, out: str | Path | None = None) -> list[Path]:
    """Read `folder`'s results.json and write the report (default `folder/report/`): the HTML
    page and the CSV tables, all at once. The paths written."""
    from generator.outdir import write_output

    results = load_results(folder)
    analysis = analyse(results)
    files = {"report.html": report_html(analysis), **tables(analysis)}
    out = Path(out) if out is not None else Path(folder) / REPORT
    with write_output(out, "report", [Path(folder) / RESULTS]) as staging:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]
