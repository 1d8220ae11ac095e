"""Speed of `examgen scan`: 300 answer sheets scanned at 200 dpi (goal: under 60 s on 2 cores).

The sheets are made once (kept in DIR, default output/bench-scan/): a 300-variant build of
benchmarks/three.yaml without PDFs, given choice items by the tests' fixture
(tests/sheet_marks.add_choices), its answer sheets compiled, rasterised at 200 dpi with
pdftoppm, marked with pen-like crosses (some filled in again) and degraded like a photocopy
(turned, scaled, blurred, darker, noisy), and put into one PDF of JPEG pages, as a scanner
writes it. Then `examgen scan` reads it, timed by /usr/bin/time (wall clock, CPU, peak
memory), and every mark read is compared with what was drawn. The numbers go into the
"Scanning answer sheets" section of benchmarks/results.md.

    .venv/bin/python benchmarks/scan.py [--dir DIR] [--runs N] [--jobs J]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sheet_marks import (  # noqa: E402
    SPEC,
    add_choices,
    degrade,
    image_pdf,
    mark_sheet,
    rasterise,
    sheets_of,
)

SHEETS = 300
DPI = 200
SECTION = "## Scanning answer sheets (benchmarks/scan.py)"
EXAMGEN = str(Path(sys.executable).parent / "examgen")


def make(folder: Path) -> tuple[Path, Path, dict]:
    """The scanned PDF, the key and the marks drawn ((variant, slot, field) -> letters), made once."""
    key, scanned, truth = folder / "build" / "key.json", folder / "scanned.pdf", folder / "marks.json"
    if scanned.is_file() and truth.is_file():
        return scanned, key, {tuple(json.loads(k)): v for k, v in json.loads(truth.read_text()).items()}
    from generator import answersheet

    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run([EXAMGEN, "build", str(SPEC), "--variants", str(SHEETS), "--no-pdf", "--out",
                    str(folder / "build")], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    document = add_choices(key, seed=300)
    sheets_pdf = folder / "sheets.pdf"
    answersheet.write_pdf(document, sheets_pdf)
    rng = random.Random(300)
    images, expected = [], {}
    with tempfile.TemporaryDirectory() as pages_dir:
        pages = rasterise(sheets_pdf, DPI, Path(pages_dir))
        index = 0
        for sheet in sheets_of(document):
            for page in sheet.pages:
                student_id = "".join(rng.choice("0123456789") for _ in range(8)) if page.id_grid else None
                for (slot, name), letters in mark_sheet(pages[index], page, DPI, rng, student_id).items():
                    expected[(sheet.variant, slot, name)] = letters
                images.append(degrade(pages[index], rng, upside_down=rng.random() < 0.1))
                index += 1
    rng.shuffle(images)
    image_pdf(images, DPI, scanned)
    truth.write_text(json.dumps({json.dumps(list(k)): v for k, v in expected.items()}))
    return scanned, key, expected


def timed(command: list[str]) -> dict[str, float]:
    result = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", *command], cwd=ROOT, capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    wall, user, system, peak = result.stderr.strip().splitlines()[-1].split()
    return {"wall": float(wall), "cpu": float(user) + float(system), "peak": int(peak) / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=ROOT / "output" / "bench-scan")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    scanned, key, expected = make(args.dir)
    out = args.dir / "read"
    load_before = os.getloadavg()[0]
    runs = [timed([EXAMGEN, "scan", str(scanned), "--key", str(key), "--out", str(out), "--jobs", str(args.jobs)])
            for _ in range(args.runs)]
    load_after = os.getloadavg()[0]
    with open(out / "responses.csv", encoding="utf-8", newline="") as file:
        got = {(r["student"], int(r["slot"]), r["field"]): r["value"] for r in csv.DictReader(file)}
    with open(out / "problems.csv", encoding="utf-8", newline="") as file:
        problems = list(csv.DictReader(file))
    wrong = sum(1 for k in set(got) | set(expected) if got.get(k) != expected.get(k))
    walls = sorted(r["wall"] for r in runs)
    median = walls[len(walls) // 2]
    cpu = sorted(r["cpu"] for r in runs)[len(runs) // 2]
    line = (f"| {SHEETS} sheets, 200 dpi, one scanned PDF of JPEG pages, --jobs {args.jobs} | {median:.1f} s "
            f"(min {walls[0]:.1f}, max {walls[-1]:.1f}, {len(runs)} runs) | {cpu:.1f} s | "
            f"{max(r['peak'] for r in runs):.0f} MB | {len(expected)} marked items: {wrong} read wrong, "
            f"{len(problems)} problems | < 60 s | {'yes' if median < 60 else 'no'} |")
    text = (f"{SECTION}\n\n`examgen scan scanned.pdf --key key.json --jobs {args.jobs}` on {SHEETS} sheets made "
            f"by the script (marked, degraded, shuffled, about 10 % upside down), timed with /usr/bin/time; "
            f"{os.cpu_count()} cores, load average {load_before:.1f} before and {load_after:.1f} after (a shared "
            f"machine: other work ran beside it, so the CPU time is the better measure of the work itself).\n\n"
            f"| what | wall (median) | CPU (user+sys) | peak memory | read | goal | met |\n"
            f"| --- | --- | --- | --- | --- | --- | --- |\n{line}\n")
    results = ROOT / "benchmarks" / "results.md"
    old = results.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(SECTION) + r".*?(?=\n## |\Z)", re.S)
    new = pattern.sub(lambda _: text.rstrip("\n"), old) if SECTION in old else old.rstrip("\n") + "\n\n" + text
    results.write_text(new if new.endswith("\n") else new + "\n", encoding="utf-8")
    print(text)
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
