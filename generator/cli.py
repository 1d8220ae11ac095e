"""The command line: parses arguments, calls the library, prints. The only module that prints.

Heavy libraries (sympy, scipy, jinja2, the problems) load inside the commands that need
them, so `examgen --help` and `examgen list` start fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from generator import __version__, exports
from generator.errors import ExamgenError, shown


class UsageError(Exception):
    """A wrong command line: exit code 2."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, as argparse does but through our handler
        raise UsageError(f"{self.prog}: {message}; see '{self.prog} --help'")


def _whole(text: str) -> int:
    digits = text.strip().lstrip("+-")
    if len(digits) > 30:  # Python refuses ints of 4300 digits; no option needs 30
        kind = f"a number of {len(digits):,} digits" if digits.isdigit() else f"{len(digits):,} characters"
        raise argparse.ArgumentTypeError(f"expected a whole number below 2**63, got {kind}")
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {shown(text)}") from None


def _positive(text: str) -> int:
    value = _whole(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return value


def _variants(text: str) -> int:
    from generator.spec import MAX_VARIANTS

    value = _positive(text)
    if value > MAX_VARIANTS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_VARIANTS} (as in a spec), got {value}")
    return value


def _cores() -> int:
    return os.cpu_count() or 1


def _jobs(text: str) -> int:
    """Parallel processes, capped at the number of cores: more would only compete for them
    (and thousands would exhaust the process limit)."""
    return min(_positive(text), _cores())


def _seed(text: str) -> int:
    value = _whole(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be >= 0 and below 2**63, got {shown(value)}")
    return value


def make_parser() -> Parser:
    parser = Parser(prog="examgen", description="Parameterised deep-learning problems turned into exams, "
                    "solution sheets and verified answer keys.")
    parser.add_argument("--version", action="version", version=f"examgen {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    parser.add_argument("--bank", action="append", dest="banks_before", metavar="DIR", help=BANK_HELP)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    commands.add_parser("list", help="the problem bank, by topic")

    show = commands.add_parser("show", help="one instance of a problem")
    show.add_argument("id", help="problem id (topic/name, or a unique name)")
    show.add_argument("--seed", type=_seed, default=1, help="instance seed (default 1)")
    show.add_argument("--params", help="pin parameters, as a JSON object (all of them: a textbook instance)")
    show.add_argument("--json", action="store_true", help='print {"id", "params", "answers"} as in the key')
    show.add_argument("--pdf", action="store_true", help="also build the exam and solution PDFs")
    show.add_argument("--out", type=Path, help="folder for --pdf (default output/show/...)")

    build = commands.add_parser("build", help="an exam spec to exams, solutions and the answer key")
    build.add_argument("spec", type=Path, help="the exam spec (YAML)")
    build.add_argument("--out", type=Path, help="output folder (default output/<spec name>/)")
    build.add_argument("--variants", type=_variants, help="number of variants (overrides the spec; at most 5000)")
    build.add_argument("--roster", type=Path, metavar="CSV",
                       help="one variant per student: a CSV with columns id and name (instead of --variants)")
    build.add_argument("--seed", type=_seed, help="exam seed (overrides the spec)")
    build.add_argument("--no-pdf", action="store_true", help="write .tex and key only, no pdflatex")
    build.add_argument("--jobs", type=_jobs, default=_cores(),
                       help="parallel pdflatex runs (default and at most: the number of cores)")
    build.add_argument("--format", action="append", choices=exports.Choices(), dest="formats", default=[],
                       metavar="NAME", help="also write this export (repeatable): %(choices)s "
                       "(key and csv are always written; see README, Exports)")

    verify = commands.add_parser("verify", help="sample, solve, check and render many seeds; exit 1 on failure")
    verify.add_argument("ids", nargs="*", help="problem ids or topics (default: the whole bank)")
    verify.add_argument("--seeds", type=_positive, default=100, help="seeds per problem (default 100)")
    verify.add_argument("--jobs", type=_jobs, default=_cores(),
                        help="processes (default and at most: the number of cores)")
    verify.add_argument("--pdf", type=_positive, metavar="N",
                        help="also compile the first N seeds of each problem with pdflatex")

    grade = commands.add_parser("grade", help="score responses against a key.json: scores.csv and feedback")
    grade.add_argument("key", type=Path, help="the build's key.json")
    grade.add_argument("responses", type=Path,
                       help="CSV: student,slot,field,value (one row per answer) or student,1.out_shape,... "
                            "(one row per student)")
    grade.add_argument("--out", type=Path, help="output folder (default <responses name>-graded/ beside it)")
    grade.add_argument("--report", action="store_true", help="also write the class report (see examgen report)")

    report = commands.add_parser("report", help="what the class got wrong: an HTML report and CSV tables "
                                                "of a graded folder")
    report.add_argument("graded", type=Path, help="the folder examgen grade wrote (scores.csv, results.json)")
    report.add_argument("--out", type=Path, help="output folder (default GRADED/report/)")

    scan = commands.add_parser("scan", help="read scanned answer sheets into responses.csv for 'grade'")
    scan.add_argument("scans", nargs="+", type=Path, help="scanned PDFs or images (PNG, JPEG, TIFF), any page order")
    scan.add_argument("--key", type=Path, required=True, help="the build's key.json")
    scan.add_argument("--out", type=Path, help="output folder (default <first scan's name>-scanned/ beside it)")
    scan.add_argument("--jobs", type=_jobs, default=_cores(),
                      help="processes (default and at most: the number of cores)")

    lookup = commands.add_parser("lookup", help="the variant of a variant code printed on an exam page")
    lookup.add_argument("code", help="the 8-character code of the page footer (or the QR code's text)")
    lookup.add_argument("key", type=Path, help="the build's key.json")

    practice = commands.add_parser("practice", help="a practice sheet (PDF) and a self-check page (index.html)")
    practice.add_argument("target", help="a problem id, a topic, or an exam spec (.yaml)")
    practice.add_argument("--seed", type=_seed, help="practice seed (default: a fresh one, printed)")
    practice.add_argument("--count", type=_positive, help="number of problems (default: each of the target once)")
    practice.add_argument("--variants", type=_positive, default=5, help="variants on the self-check page (default 5)")
    practice.add_argument("--out", type=Path, help="output folder (default output/practice/<target>-seed<N>/)")
    practice.add_argument("--no-pdf", action="store_true", help="write the page and the .tex only, no pdflatex")
    practice.add_argument("--language", help="the sheet's and page's language, e.g. de (default: the spec's, else en)")

    init = commands.add_parser("init", help="a new course repository: exams/, problems/, CI example, README")
    init.add_argument("folder", type=Path, help="the folder to create (must be empty or new)")

    new = commands.add_parser("new", help="a new problem folder from the exemplar, with its test and snapshot")
    new.add_argument("id", help="TOPIC/NAME of the new problem (lower case, digits and '-')")

    preview = commands.add_parser("preview", help="one instance's PDF and HTML view, rebuilt on every save and "
                                  "shown live on a local page")
    preview.add_argument("id", help="problem id (topic/name, or a unique name)")
    preview.add_argument("--seed", type=_seed, default=1, help="instance seed (default 1, as for show)")
    preview.add_argument("--out", type=Path, help="preview folder (default output/preview/<topic>-<name>/)")
    preview.add_argument("--port", type=int, default=8765,
                         help="port of the page on 127.0.0.1 (default 8765; 0 takes any free one)")

    site = commands.add_parser("site", help="a static practice site of the whole bank (index and a page per problem)")
    site.add_argument("--out", type=Path, required=True, help="output folder of the site")
    site.add_argument("--variants", type=_positive, default=50, help="variants per problem (default 50)")
    site.add_argument("--seed", type=_seed, default=1, help="site seed (default 1): variant 1 is show ID --seed S")
    site.add_argument("--language", default="en", help="the pages' language, e.g. de (default en)")

    for name, sub in commands.choices.items():  # --bank is accepted before or after the command
        sub.add_argument("--bank", action="append", dest="banks_after", default=argparse.SUPPRESS, metavar="DIR",
                         help=NEW_BANK_HELP if name == "new" else BANK_HELP)
    return parser


BANK_HELP = ("also use the problems of this bank folder (<topic>/<name>/problem.py); repeatable; "
             "./problems is used without asking")
NEW_BANK_HELP = "the bank folder to create the problem in (default: problems)"


def _bank_folders(args) -> list[str]:
    return list(getattr(args, "banks_before", None) or []) + list(getattr(args, "banks_after", None) or [])


def _bank(args, more: list[tuple[str, str]] = ()):
    """The built-in bank plus the --bank folders (and `more`: (folder, where) pairs)."""
    from generator.bank import builtin

    folders = [(folder, "--bank") for folder in _bank_folders(args)] + list(more)
    if any(Path(LOCAL_BANK).glob("*/*/problem.py")):  # a course repository's own bank (examgen init)
        folders.append((LOCAL_BANK, LOCAL_BANK))
    return builtin().adding([f for f, _ in folders], [w for _, w in folders])


LOCAL_BANK = "problems"   # added by itself when the current folder has it (what init and new make)


def cmd_list(args) -> int:
    entries = _bank(args).entries()
    width = max((len(e.id) for e in entries), default=10)
    topic = None
    for entry in entries:
        if entry.topic != topic:
            topic = entry.topic
            print(f"{topic}")
        origin = "" if entry.builtin else f"  (bank {entry.root})"
        print(f"  {entry.id:<{width}}  {entry.title}  [{entry.source}]{origin}")
    builtin = sum(e.builtin for e in entries)
    added = f", {len(entries) - builtin} from added banks" if builtin < len(entries) else ""
    print(f"{len(entries)} problems ({builtin} built-in{added})")
    return 0


def _parse_params(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    from generator.userfiles import load_json

    fix = 'write it as a JSON object, e.g. --params \'{"k": 3, "stride": 1}\''
    value = load_json(text, "--params value", "--params", max_chars=100_000, max_depth=8, fix=fix)
    if not isinstance(value, dict):
        raise ExamgenError("--params must be a JSON object", "--params", 'e.g. --params \'{"k": 3}\'')
    return value


def cmd_show(args) -> int:
    from generator.instance import draw_instance
    from generator.seeds import Sampler

    bank = _bank(args)
    problem = bank.load(bank.resolve_id(args.id, "show"))
    pins = _parse_params(args.params)
    instance = draw_instance(problem, Sampler(args.seed, problem.id), pins, "--params")
    for warning in instance.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.json:
        entry = instance.key_entry(problem)
        print(json.dumps({"id": entry["id"], "seed": args.seed, "params": entry["params"],
                          "answers": entry["answers"], **({"exact": entry["exact"]} if "exact" in entry else {}),
                          "tolerances": entry["tolerances"]}, indent=2, ensure_ascii=False))
    else:
        print(f"{problem.id}: {problem.title}  (seed {args.seed})")
        print("parameters:")
        for name, value in instance.params.items():
            print(f"  {name} = {json.dumps(value)}")
        print("answers:")
        for answer in problem.answers:
            if answer.graded:
                exact = instance.exact.get(answer.name)
                extra = f"   exact: {exact}" if exact is not None else ""
                print(f"  {answer.name} = {json.dumps(instance.answers[answer.name])}{extra}")
    if args.pdf:
        from generator.pipeline import build
        from generator.plan import Plan, Slot

        slot = Slot(1, problem.id, problem.id, tuple((p.name, p.points) for p in problem.parts),
                    dict(instance.params), "show")
        plan = Plan(title=problem.title, course="examgen show", date="", instructions="", seed=args.seed,
                    spec_name=problem.id.replace("/", "-"), slots=(slot,), variant_keys=("001",), bank=bank)
        out = args.out or Path("output/show") / f"{problem.id.replace('/', '-')}-seed{args.seed}"
        result = build(plan, out, pdf=True, jobs=2)
        print(f"wrote {result.out}/variants/001/exam.pdf and solutions.pdf", file=sys.stderr)
    return 0


def cmd_build(args) -> int:
    from generator.pipeline import build
    from generator.plan import make_plan
    from generator.spec import load_spec

    if args.roster and args.variants:
        raise UsageError("examgen build: --roster and --variants exclude each other (a roster build has one "
                         "variant per student); see 'examgen build --help'")
    students = None
    if args.roster:
        from generator.roster import load_roster

        students = load_roster(args.roster)
    spec, where = load_spec(args.spec)
    plan = make_plan(spec, where, args.spec, variants=args.variants, seed=args.seed, students=students,
                     bank=_bank(args))
    from generator.outdir import default_output

    out = args.out or default_output(Path("output"), plan.slug)
    with _progress() as progress:
        result = build(plan, out, pdf=not args.no_pdf, jobs=args.jobs, progress=progress,
                       options={"formats": sorted(set(args.formats))} if args.formats else None,
                       inputs=[args.spec, *([args.roster] if args.roster else [])])
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if result.up_to_date:
        print(f"{result.out}/ is up to date ({result.variants} variants of '{plan.title}'): nothing to rebuild")
        return 0
    what = "with PDFs" if result.pdf else "without PDFs (--no-pdf)"
    print(f"built {result.variants} variant{'s' if result.variants != 1 else ''} of '{plan.title}' "
          f"{what} into {result.out}/")
    for report in result.slots:
        print(_slot_line(report))
    return 0


def _slot_line(report) -> str:
    """One line per slot: its structure, how much the variants' work differs, duplicates."""
    if report.structure:
        shape = "structure " + ", ".join(f"{k}={v}" for k, v in report.structure.items())
    elif report.structures > 1:
        shape = f"{report.structures} structures (vary: {report.vary})"
    else:
        shape = "no structure parameters"
    work = ""
    if report.workload is not None:
        low, high = report.workload
        work = f"; work {low:g}" if low == high else f"; work {low:g} to {high:g} (x{high / low:.2g})" if low \
            else f"; work {low:g} to {high:g}"
    return f"  slot {report.number} ({report.problem_id}): {shape}{work}; {report.duplicates} duplicate instances"


def cmd_grade(args) -> int:
    from generator.grade import grade, load_key, read_responses, write_results

    document = load_key(args.key)
    # The key records the bank folder of each problem that is not built in; a folder that has
    # moved since is given with --bank (a problem found nowhere is the grader's one-line error).
    recorded = sorted({p.get("bank") for v in document.get("variants", []) for p in v.get("problems", [])
                       if isinstance(p, dict) and isinstance(p.get("bank"), str) and p["bank"] != "built-in"})
    gone = [folder for folder in recorded if not Path(folder).is_dir()]
    if gone and not _bank_folders(args):
        raise ExamgenError(f"the key's problems come from the bank folder {gone[0]}, which does not exist",
                           str(args.key), "give the folder where that bank is now with --bank DIR")
    recorded = [folder for folder in recorded if folder not in gone]
    bank = _bank(args, [(folder, f"{args.key}: bank") for folder in recorded])
    responses = read_responses(args.responses)
    grades = grade(document, responses, load=bank.load, key_path=str(args.key))
    out = args.out or args.responses.parent / f"{args.responses.stem}-graded"
    write_results(grades, out)
    for warning in grades.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    count = len(grades.students)
    absent = (f"; {len(grades.absent)} variant{'s' if len(grades.absent) != 1 else ''} of the key "
              f"{'have' if len(grades.absent) != 1 else 'has'} no responses") if grades.absent else ""
    problems = f"; {len(grades.warnings)} warnings above" if grades.warnings else ""
    print(f"graded {count} student{'s' if count != 1 else ''} ({responses.form} form){absent}{problems}: "
          f"{out}/scores.csv and {out}/feedback/")
    if args.report and count:
        from generator.report import write_report

        print(f"report: {write_report(out)[0]}")
    return 0


def cmd_report(args) -> int:
    from generator.report import write_report

    written = write_report(args.graded, args.out)
    print(f"report: {written[0]} and {', '.join(p.name for p in written[1:])} beside it")
    return 0


def cmd_scan(args) -> int:
    from generator.grade import load_key
    from generator.scan import scan

    document = load_key(args.key)
    out = args.out or args.scans[0].parent / f"{args.scans[0].stem}-scanned"
    result = scan(args.scans, document, out, jobs=args.jobs, key_path=args.key)
    for where, reason in result.problems[:10]:
        print(f"problem: {where}: {reason}", file=sys.stderr)
    if len(result.problems) > 10:
        print(f"problem: ... and {len(result.problems) - 10} more", file=sys.stderr)
    problems = (f"; {len(result.problems)} problem{'s' if len(result.problems) != 1 else ''} listed in "
                f"{out}/problems.csv") if result.problems else ""
    print(f"read {result.sheets} of {result.pages} pages as answer sheets of {result.students} "
          f"student{'s' if result.students != 1 else ''}{problems}: {out}/responses.csv, pictures in {out}/checked/")
    return 0


def cmd_lookup(args) -> int:
    from generator.grade import load_key
    from generator.variantcode import find_variant

    document = load_key(args.key)
    variant = find_variant(document, args.code)
    if variant is None:
        raise ExamgenError(f"no variant has the code '{args.code}'", str(args.key),
                           "copy the 8 characters after 'variant code' in the page footer, and give the key.json "
                           "of the same build")
    student = variant.get("student")
    who = f"student {student.get('name', '')} ({student.get('id', '')}), " if student else ""
    print(f"{variant['code']}: variant {variant['key']}, {who}seed {variant['seed']}")
    return 0


def cmd_verify(args) -> int:
    from generator.verify import verify

    bank = _bank(args)
    # Without ids: the whole bank, or, with --bank, the problems of the added banks only.
    default = [e.id for e in bank.entries() if not e.builtin] if bank.added else bank.ids()
    ids: list[str] = []
    for target in args.ids or default:
        ids.extend(i for i in bank.resolve_target(target, "verify") if i not in ids)
    with _progress() as progress:
        total = len(ids) * args.seeds
        count = 0

        def done(problem_id: str, runs: int) -> None:
            nonlocal count
            count += runs
            progress("verifying", count, total)

        reports = verify(ids, args.seeds, jobs=args.jobs, done=done, bank=bank)
    failed = 0
    for report in reports:
        wrong = len(report.failures) + len(report.findings)
        status = "ok" if not wrong else f"{wrong} FAILED"
        print(f"{report.problem_id:<40} {report.runs:>6} instances  {status:<10} "
              f"acceptance {report.acceptance:6.1%}")
        for finding in report.findings:
            print(f"    {finding}")
        for seed, message in report.failures[:5]:
            print(f"    seed {seed}: {message}   (examgen show {report.problem_id} --seed {seed})")
        if len(report.failures) > 5:
            print(f"    ... and {len(report.failures) - 5} more")
        failed += wrong
    runs = sum(r.runs for r in reports)
    print(f"{runs} instances of {len(reports)} problems, {failed} failures")
    if args.pdf and not failed:
        from generator.pdfcheck import compile_check

        with _progress() as progress:
            compiled = 0

            def compiled_one(problem_id: str) -> None:
                nonlocal compiled
                compiled += 1
                progress("compiling", compiled, len(ids))

            overfull = compile_check(ids, args.pdf, jobs=args.jobs, done=compiled_one, bank=bank)
        print(f"compiled seeds 0-{args.pdf - 1} of {len(ids)} problems (exam and solutions): no LaTeX error")
        for problem_id, boxes in overfull.items():
            for line in boxes[:3]:
                print(f"warning: {problem_id}: {line}", file=sys.stderr)
            if len(boxes) > 3:
                print(f"warning: {problem_id}: ... and {len(boxes) - 3} more overfull boxes", file=sys.stderr)
    return 1 if failed else 0


class _progress:
    """A rich progress bar on a terminal (stderr); silent otherwise."""

    def __enter__(self):
        self._bar = None
        if sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(TextColumn("{task.description:<11}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), transient=True)
            self._bar.start()
            self._tasks: dict[str, Any] = {}
        return self.update

    def update(self, stage: str, done: int, total: int) -> None:
        if self._bar is None:
            return
        if stage not in self._tasks:
            self._tasks[stage] = self._bar.add_task(stage, total=total)
        self._bar.update(self._tasks[stage], completed=done, total=total)

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False


def cmd_practice(args) -> int:
    from generator.practice import build_practice, fresh_seed

    seed = args.seed if args.seed is not None else fresh_seed()
    with _progress() as progress:
        result = build_practice(args.target, seed, out=args.out, count=args.count, page_variants=args.variants,
                                pdf=not args.no_pdf, progress=progress, bank=_bank(args), language=args.language)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    count = len(result.problems)
    sheet = f"{result.out}/practice.pdf and " if result.pdf else ""
    print(f"practice sheet of {count} problem{'s' if count != 1 else ''} with seed {seed}: {sheet}"
          f"{result.out}/index.html ({result.page_variants} variants)")
    print(f"rebuild it with: {result.command}")
    return 0


def cmd_site(args) -> int:
    from generator.site import build_site

    with _progress() as progress:
        result = build_site(args.out, bank=_bank(args), variants=args.variants, seed=args.seed,
                            banks=tuple(_bank_folders(args)), progress=progress, language=args.language)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"practice site of {len(result.problems)} problems, {result.variants} variants each: "
          f"{result.out}/index.html")
    return 0


def cmd_init(args) -> int:
    from generator.scaffold.write import init_course

    written = init_course(args.folder)
    print(f"created the course repository {args.folder}/ ({len(written)} files); next: cd {args.folder} "
          f"and read README.md (examgen build exams/example.yaml builds the example exam)")
    return 0


def cmd_new(args) -> int:
    from generator.scaffold.write import new_problem

    folders = _bank_folders(args)
    if len(folders) > 1:
        raise UsageError("examgen new: give one --bank folder (where the problem is created); "
                         "see 'examgen new --help'")
    target = Path(folders[0]) if folders else Path("problems")
    folder = new_problem(args.id, target)
    print(f"created {folder}/ (problem.py, question.tex.j2, solution.tex.j2, test_problem.py, snapshots/); "
          f"next: examgen verify {args.id}" + ("" if target == Path(LOCAL_BANK) else f" --bank {target}"))
    return 0


def cmd_preview(args) -> int:
    import contextlib
    import signal
    import time
    import traceback

    from generator.preview import Event, Preview

    def report(event: Event) -> None:
        stamp = time.strftime("%H:%M:%S")
        changed = f" after a change of {', '.join(event.changed)}" if event.changed else ""
        if event.kind == "pdf":
            print(f"{stamp} build {event.build}: {event.path} in {event.seconds:.2f} s{changed}", flush=True)
        elif event.kind == "html":
            print(f"{stamp} build {event.build}: {event.path} in {event.seconds:.2f} s", flush=True)
        elif event.kind == "error" and event.error is not None:
            if args.debug:
                traceback.print_exception(event.error.__cause__ or event.error)
            print(f"{stamp} build {event.build} failed{changed}; the page keeps the last good version",
                  flush=True)
            print(f"error: {' '.join(event.error.line().split())}", file=sys.stderr, flush=True)
        for warning in event.warnings:
            print(f"warning: {warning}", file=sys.stderr, flush=True)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # `kill` stops the preview as cleanly as Ctrl-C

    signal.signal(signal.SIGTERM, stop)
    with Preview(args.id, seed=args.seed, bank=_bank(args), out=args.out, port=args.port, report=report) as preview:
        print(f"preview of {preview.problem_id} (seed {args.seed}): open {preview.url}", flush=True)
        print(f"watching {preview.builder.folder}/ and the engine's templates; files in {preview.out}/; "
              f"Ctrl-C stops", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            preview.watch()
    print("preview stopped", flush=True)
    return 0


COMMANDS = {"list": cmd_list, "show": cmd_show, "build": cmd_build, "verify": cmd_verify, "grade": cmd_grade,
            "practice": cmd_practice, "site": cmd_site, "init": cmd_init, "new": cmd_new, "preview": cmd_preview,
            "lookup": cmd_lookup, "report": cmd_report, "scan": cmd_scan}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    debug = "--debug" in argv
    try:
        args = make_parser().parse_args(argv)
        if not args.command:
            make_parser().print_help()
            return 2
        from generator.outdir import signals_interrupt

        with signals_interrupt():  # SIGTERM and SIGHUP clean up as Ctrl-C does
            return COMMANDS[args.command](args)
    except UsageError as error:
        print(str(error), file=sys.stderr)
        return 2
    except ExamgenError as error:
        if debug:
            raise
        print(f"error: {error.line()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if debug:
            raise
        print("interrupted: nothing was written, earlier output is unchanged", file=sys.stderr)
        return 130
