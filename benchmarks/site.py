"""The course practice site: build it for the whole bank with 50 variants per problem and
measure the time (/usr/bin/time, one run: it takes minutes) and the sizes of the index page and
of the problem pages before their extra variants are loaded (goal: each under 300 KB).

    .venv/bin/python benchmarks/site.py [--variants 50]

Appends its table to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 300 * 1024


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="examgen-site-") as folder:
        out = Path(folder) / "site"
        command = [sys.executable, "-m", "generator", "site", "--variants", str(args.variants), "--out", str(out)]
        timed = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], cwd=ROOT, capture_output=True, text=True,
                               check=True)
        seconds, kilobytes = timed.stderr.strip().splitlines()[-1].split()
        pages = sorted((p.stat().st_size, p.name) for p in (out / "problems").glob("*.html"))
        scripts = [p.stat().st_size for p in (out / "problems" / "variants").glob("*.js")]
        total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        index = (out / "index.html").stat().st_size
        problems = len(pages)
    largest, name = pages[-1]
    median = pages[len(pages) // 2][0]
    met = "yes" if largest < GOAL else "no"
    rows = [
        f"| build the site, {problems} problems x {args.variants} variants | {float(seconds):.1f} s "
        f"(peak memory {int(kilobytes) // 1024} MB) | one run |",
        f"| index page | {index / 1024:.1f} KB | |",
        f"| problem page before its extra variants load: median / largest ({name}) | "
        f"{median / 1024:.0f} KB / {largest / 1024:.0f} KB | goal < 300 KB: {met} |",
        f"| one loadable variant script (mean) | "
        f"{sum(scripts) / max(1, len(scripts)) / 1024:.0f} KB | {len(scripts)} files |",
        f"| whole site | {total / 1024 / 1024:.1f} MB | |",
    ]
    load = os.getloadavg()[0]
    text = ("\n## Practice site (benchmarks/site.py)\n\n"
            f"Command: `examgen site --variants {args.variants} --out DIR` (the built-in bank), timed by /usr/bin/time; "
            f"pages built by {os.cpu_count()} threads; load average {load:.1f} at the end (a shared machine).\n\n"
            "| what | measured | note |\n| --- | --- | --- |\n" + "\n".join(rows) + "\n")
    results = ROOT / "benchmarks" / "results.md"
    old = results.read_text(encoding="utf-8")
    old = re.sub(r"\n## Practice site \(benchmarks/site.py\)\n.*?(?=\n## |\Z)", "", old, flags=re.S)
    results.write_text(old.rstrip("\n") + "\n" + text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
