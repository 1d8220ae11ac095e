"""Speed benchmarks (`make bench`): every target of the speed issue, measured with hyperfine
(several runs, medians), written to benchmarks/results.md with the machine's facts.

Run from the repository root with the project's virtual environment active or as
`.venv/bin/python benchmarks/bench.py`. Takes a few minutes.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMGEN = str(BIN / "examgen")
VERIFY_SEEDS = 200


def hyperfine(name: str, command: str, runs: int, prepare: str | None = None, warmup: int = 1) -> dict:
    export = Path(tempfile.mkstemp(suffix=".json")[1])
    args = ["hyperfine", "--style", "none", "--runs", str(runs), "--warmup", str(warmup),
            "--export-json", str(export), "--command-name", name]
    if prepare:
        args += ["--prepare", prepare]
    subprocess.run([*args, command], check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    result = json.loads(export.read_text())["results"][0]
    export.unlink()
    return {"name": name, "median": result["median"], "min": result["min"], "max": result["max"],
            "runs": len(result["times"]), "command": command}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    tex = subprocess.run(["pdflatex", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {tex}, "
            f"{platform.system()} {platform.release()}")


def main() -> int:
    if shutil.which("hyperfine") is None:
        print("hyperfine is missing: apt-get install hyperfine (make bench installs it)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="examgen-bench-"))
    spec = ROOT / "benchmarks" / "three.yaml"
    out = work / "out"

    build = hyperfine("build 100 variants with PDFs", f"{EXAMGEN} build {spec} --out {out}", runs=5,
                      prepare=f"rm -rf {out}")
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "floor.py"), str(spec), str(work / "floor")],
                   check=True, cwd=ROOT)
    plain = hyperfine("pdflatex alone, same documents, plain", str(work / "floor" / "plain" / "compile.sh"), runs=5)
    floor = hyperfine("pdflatex alone, same documents, fastest way", str(work / "floor" / "fastest" / "compile.sh"),
                      runs=5)
    rebuild = hyperfine("rebuild, unchanged spec", f"{EXAMGEN} build {spec} --out {out}", runs=10)
    nopdf_out = work / "nopdf"
    nopdf = hyperfine("demo, 100 variants, --no-pdf",
                      f"{EXAMGEN} build exams/demo.yaml --variants 100 --no-pdf --out {nopdf_out}", runs=5,
                      prepare=f"rm -rf {nopdf_out}")
    help_ = hyperfine("examgen --help", f"{EXAMGEN} --help", runs=20, warmup=3)
    listing = hyperfine("examgen list", f"{EXAMGEN} list", runs=20, warmup=3)
    verify = hyperfine(f"verify --seeds {VERIFY_SEEDS}, whole bank", f"{EXAMGEN} verify --seeds {VERIFY_SEEDS}",
                       runs=3, warmup=0)
    shutil.rmtree(work, ignore_errors=True)

    count = sum(1 for line in subprocess.run([EXAMGEN, "list"], capture_output=True, text=True).stdout.splitlines()
                if line.startswith("  "))
    instances = count * VERIFY_SEEDS
    per_instance_ms = verify["median"] / instances * 1000
    targets = [
        (build, f"<= 8 s ({build['median'] / 100 * 1000:.0f} ms per exam+solutions pair)", build["median"] <= 8.0),
        (plain, "(reference: two plain passes per document)", True),
        (floor, "(the floor: format, figures once, draft first pass)", True),
        (None, f"build / fastest floor = {build['median'] / floor['median']:.2f} (target <= 1.5)",
         build["median"] / floor["median"] <= 1.5),
        (nopdf, "<= 2 s", nopdf["median"] <= 2.0),
        (help_, "<= 0.25 s", help_["median"] <= 0.25),
        (listing, "<= 0.25 s", listing["median"] <= 0.25),
        (rebuild, f"<= 10% of the first build ({rebuild['median'] / build['median']:.1%})",
         rebuild["median"] <= 0.1 * build["median"]),
        (verify, f"{per_instance_ms:.1f} ms per instance over {instances} instances (target <= 10 ms)",
         per_instance_ms <= 10.0),
    ]
    lines = ["# Benchmarks", "", f"Machine: {machine()}.", "",
             "Medians of whole commands (hyperfine: several runs after a warm-up); written by `make bench`.", "",
             "| what | median | min | max | runs | target | met |", "| --- | --- | --- | --- | --- | --- | --- |"]
    for result, target, met in targets:
        if result is None:
            lines.append(f"| ratio | | | | | {target} | {'yes' if met else 'NO'} |")
            continue
        lines.append(f"| {result['name']} | {result['median']:.3f} s | {result['min']:.3f} s | {result['max']:.3f} s"
                     f" | {result['runs']} | {target} | {'yes' if met else 'NO'} |")
    lines += ["", "Commands:", ""]
    lines += [f"- {r['name']}: `{r['command'].replace(str(ROOT) + '/', '').replace(str(BIN) + '/', '')}`"
              for r, _, _ in targets if r is not None]
    lines += ["", f"The {count} problems of the bank were verified ({VERIFY_SEEDS} seeds each, independent "
              "checks included, both cores). The floors compile the very documents the build compiles "
              "with pdflatex alone, one per core (benchmarks/floor.py): plainly (two passes each), and "
              "the fastest way (precompiled preamble, TikZ pictures typeset once, first pass in draft "
              "mode), which is what the build does too; the ratio is the build's own overhead.", ""]
    text = "\n".join(lines)
    text = text.replace(str(work), "$TMP")
    results = ROOT / "benchmarks" / "results.md"
    old = results.read_text(encoding="utf-8") if results.is_file() else ""
    # The "## ..." sections other scripts write (benchmarks/preview_latency.py) are kept.
    results.write_text(text + (old[old.find("\n## "):] if "\n## " in old else ""), encoding="utf-8")
    print(text)
    return 0 if all(met for _, _, met in targets) else 1


if __name__ == "__main__":
    raise SystemExit(main())
