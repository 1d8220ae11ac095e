"""Grading and the class report for a large class: build 300 variants of a two-problem exam
(--no-pdf), answer them (each field right, wrong or blank, drawn from a fixed seed), and time
`examgen grade` and `examgen report` (/usr/bin/time, one run each), with the sizes of
results.json and report.html.

    .venv/bin/python benchmarks/report.py [--students 300]

Appends its table to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = "title: Class\nseed: 11\nproblems:\n  - id: cnn/conv-layer-cost\n    points: 10\n  - id: mlp/dropout-scaling\n    points: 7\n"


def timed(*args: str) -> tuple[float, int]:
    done = subprocess.run(["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "generator", *args], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    seconds, kilobytes = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes)


def responses(key: dict, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = ["student,slot,field,value"]
    for variant in key["variants"]:
        for entry in variant["problems"]:
            for field, value in entry["answers"].items():
                roll = rng.random()
                if roll < 0.15:
                    continue
                if roll < 0.45:
                    value = [v * 2 + 1 for v in value] if isinstance(value, list) else value * 2 + 1
                lines.append(f'{variant["key"]},{entry["slot"]},{field},"{json.dumps(value)}"')
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="examgen-report-") as folder:
        work = Path(folder)
        (work / "class.yaml").write_text(SPEC, encoding="utf-8")
        subprocess.run([sys.executable, "-m", "generator", "build", str(work / "class.yaml"), "--variants",
                        str(args.students), "--no-pdf", "--out", str(work / "out")], cwd=ROOT, check=True,
                       capture_output=True)
        key = json.loads((work / "out" / "key.json").read_text(encoding="utf-8"))
        (work / "answers.csv").write_text(responses(key), encoding="utf-8")
        grade = timed("grade", str(work / "out" / "key.json"), str(work / "answers.csv"))
        report = timed("report", str(work / "answers-graded"))
        results = (work / "answers-graded" / "results.json").stat().st_size
        page = (work / "answers-graded" / "report" / "report.html").stat().st_size
    rows = [f"| examgen grade, {args.students} students x 10 fields | {grade[0]:.2f} s (peak memory "
            f"{grade[1] // 1024} MB) | results.json {results / 1024:.0f} KB |",
            f"| examgen report | {report[0]:.2f} s (peak memory {report[1] // 1024} MB) | report.html "
            f"{page / 1024:.0f} KB |"]
    load = os.getloadavg()[0]
    text = ("\n## Grading and the class report (benchmarks/report.py)\n\n"
            f"One run each, timed by /usr/bin/time; load average {load:.1f} at the end (a shared machine).\n\n"
            "| what | measured | note |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n")
    path = ROOT / "benchmarks" / "results.md"
    old = path.read_text(encoding="utf-8")
    old = re.sub(r"\n## Grading and the class report \(benchmarks/report.py\)\n.*?(?=\n## |\Z)", "", old,
                 flags=re.S)
    path.write_text(old.rstrip("\n") + "\n" + text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
