"""Every bad input is one line: specs, pins, options, rosters and the text the sheets print.

Each case runs the command line (`generator.cli.main`, in-process for speed; in a fresh
process where a hang or a fork is the risk) and asserts exit 1 (2 for a wrong command line,
as the README promises), exactly one line on stderr that names the field or file, no
traceback, and for builds that no output folder appeared. Accepted-on-purpose inputs
(3.0 for an int choice, invisible characters) are checked for the value they become.
"""

from __future__ import annotations

import json
import math
import os
import subprocess

import pytest

from generator import bank, usertext
from generator.errors import ExamgenError, cut, grouped, shown
from generator.instance import draw_instance
from generator.params import check_params
from generator.seeds import Sampler
from generator.spec import load_spec
from tests.conftest import run_cli

HEAD = "title: Quiz\nseed: 3\n"
ONE = "problems:\n  - id: conv-layer-cost\n"


def spec(*, head: str = HEAD, extra: str = "", entry: str = "", problem: str = "conv-layer-cost") -> str:
    return f"{head}{extra}problems:\n  - id: {problem}\n{entry}"


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


BIG = spec(extra="# " + "x" * 2**20 + "\n")  # a comment makes it 1 MB and a little more

# (case id, spec text, text the one line must contain)
SPEC_CASES = [
    ("date impossible", spec(extra="date: 2026-02-30\n"), "spec.yaml:3: date: 2026-02-30 is not a real date"),
    ("date not a date", spec(extra="date: next Tuesday\n"), "spec.yaml:3: date: must be a date written YYYY-MM-DD"),
    ("date with a time", spec(extra="date: 2026-12-14 10:00:00\n"), "spec.yaml:3: date: must be a date without"),
    ("points 1e-300", spec(entry="    points: 1e-300\n"), "problems[0].points: must be a whole number of hundredths"),
    ("points true", spec(entry="    points: true\n"), "problems[0].points: must be a number, got True"),
    ("points text", spec(entry="    points: ten\n"), "problems[0].points: must be a number, got 'ten'"),
    ("points 1001", spec(entry="    points: 1001\n"), "problems[0].points: must be greater than 0 and at most 1000"),
    ("part points 1e300", spec(entry="    parts: {shape: 1.0e300}\n"),
     "problems[0].parts: the points of part 'shape' must be greater than 0 and at most 1000"),
    ("part points .nan", spec(entry="    parts: {shape: .nan}\n"), "spec.yaml:5: shape: .nan is not a finite number"),
    ("part points .inf", spec(entry="    parts: {shape: .inf}\n"), "spec.yaml:5: shape: .inf is not a finite number"),
    ("part points true", spec(entry="    parts: {shape: true}\n"), "the points of part 'shape' must be a number"),
    ("parts sum over 1000", spec(entry="    parts: {shape: 600, ops: 600}\n"), "sum to 1200, more than 1000"),
    ("seed 5000 digits", spec(head="title: Quiz\nseed: " + "9" * 5000 + "\n"),
     "spec.yaml:2: seed: a number with 5,000 digits"),
    ("seed 2**63", spec(head=f"title: Quiz\nseed: {2**63}\n"), "spec.yaml:2: seed: Input should be less than"),
    ("seed true", spec(head="title: Quiz\nseed: true\n"), "spec.yaml:2: seed: must be a whole number"),
    ("variants true", spec(extra="variants: true\n"), "spec.yaml:3: variants: must be a whole number"),
    ("pin of 5000 digits", spec(entry="    params: {H: " + "1" * 5000 + "}\n"), "H: a number with 5,000 digits"),
    ("YAML nested 3000 levels", HEAD + "problems: " + deep(3000) + "\n", "spec.yaml:3: the spec nests more than"),
    ("JSON nested 3000 levels", '{"title": "Q", "seed": 1, "problems": ' + deep(3000) + "}\n",
     "spec.yaml:1: the spec nests more than"),
    ("duplicate key", "title: Quiz\nseed: 3\ntitle: Other\n" + ONE,
     "spec.yaml:3: the key 'title' appears twice (first on line 1)"),
    ("duplicate key in a problem", spec(entry="    points: 4\n    points: 5\n"), "spec.yaml:6: the key 'points' appears"),
    ("aliases expanding", "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
     "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
     "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n" + HEAD + ONE, "spec.yaml: the spec expands to more than"),
    ("spec over 1 MB", BIG, f"spec.yaml: the exam spec is {len(BIG.encode()):,} bytes, more than the limit of 1.0 MB"),
    # Pins of the wrong shape: one line naming the parameter, before any solver runs.
    ("pin W1 empty", spec(problem="backprop-two-layer-sigmoid", entry="    params: {W1: []}\n"),
     "problems[0].params.W1: parameter 'W1' must be a non-empty list of rows"),
    ("pin W1 flat", spec(problem="backprop-two-layer-sigmoid", entry="    params: {W1: [1, 0.5]}\n"),
     "problems[0].params.W1: parameter 'W1' must be a non-empty list of rows"),
    ("pin W1 ragged", spec(problem="backprop-two-layer-sigmoid", entry="    params: {W1: [[1, 0], [1]]}\n"),
     "parameter 'W1' rows must all have the same length"),
    ("pin W1 empty rows", spec(problem="backprop-two-layer-sigmoid", entry="    params: {W1: [[], []]}\n"),
     "parameter 'W1' rows must not be empty"),
    ("pin vector of text", spec(problem="proximal-l2", entry="    params: {theta: [a, 1, 2]}\n"),
     "problems[0].params.theta: parameter 'theta' entries must be integers, got 'a'"),
    ("pin vector of bools", spec(problem="proximal-l2", entry="    params: {theta: [true, 1, 2]}\n"),
     "parameter 'theta' entries must be integers, got True"),
    ("pin int as bool", spec(entry="    params: {H: true}\n"), "problems[0].params.H: parameter 'H' must be an integer"),
    ("pin choice as bool", spec(entry="    params: {stride: true}\n"), "parameter 'stride' must be one of 1, 2"),
    ("pin decimal as bool", spec(problem="proximal-l2", entry="    params: {lam: true}\n"), "parameter 'lam' must be"),
    ("pin layers a number", spec(problem="receptive-field", entry="    params: {layers: 3}\n"),
     "problems[0].params.layers: parameter 'layers' must be a list of layers"),
    ("pin layers of numbers", spec(problem="receptive-field", entry="    params: {layers: [1, 2, 3]}\n"),
     "parameter 'layers' layer 1 (bottom first) must be an object"),
    ("pin c null with f linear", spec(problem="mirror-descent-box", entry="    params: {f: linear, c: null}\n"),
     "problems[0].params: the pinned parameters ['c', 'f'] break the constraint 'c is given (a list) exactly"),
    # Text the sheets' fonts cannot print, refused at the spec naming the field and the character.
    ("title Greek", spec(head="title: Quiz on α\nseed: 3\n"), "spec.yaml:1: title: has the character U+03B1 'α'"),
    ("title CJK", spec(head="title: 深度学习\nseed: 3\n"), "title: has the character U+6DF1 '深'"),
    ("title Hebrew", spec(head="title: מבחן\nseed: 3\n"), "title: has the character U+05DE 'מ'"),
    ("title emoji", spec(head="title: Quiz 😀\nseed: 3\n"), "title: has the character U+1F600 '😀' (GRINNING FACE)"),
    ("title accent that does not compose", spec(head="title: \"Quiz q\\u0301\"\nseed: 3\n"),
     "title: has the accent U+0301 (COMBINING ACUTE ACCENT)"),
    ("title control character", spec(head="title: \"Quiz\\a\"\nseed: 3\n"), "title: has the control character U+0007"),
    ("title bidi override", spec(head="title: \"Quiz \\u202eevil\"\nseed: 3\n"),
     "title: has the invisible direction control U+202E (RIGHT-TO-LEFT OVERRIDE)"),
    ("title bidi isolate", spec(head="title: \"Quiz \\u2067x\"\nseed: 3\n"), "title: has the invisible direction"),
    ("title paragraph break", spec(head='title: "Quiz\\n\\nPart two"\nseed: 3\n'), "title: has a paragraph break"),
    ("course emoji", spec(extra="course: DL 🎓\n"), "spec.yaml:3: course: has the character U+1F393"),
    ("instructions CJK", spec(extra="instructions: |\n  Write here.\n\n  答案\n"),
     "spec.yaml:3: instructions: has the character U+7B54"),
    ("title 300 KB", spec(head="title: " + "x" * 300_000 + "\nseed: 3\n"),
     "spec.yaml:1: title: is 300,000 characters long, more than the 200 allowed"),
    ("instructions 30 KB", spec(extra="instructions: " + "x" * 30_000 + "\n"),
     "instructions: is 30,000 characters long, more than the 20,000 allowed"),
    ("slot name 5000 characters", spec(entry="    slot: " + "s" * 5000 + "\n"), "problems[0].slot: String should have at most"),
]


def run_main(capsys, *args: str) -> subprocess.CompletedProcess:
    """The command line in this process: exit code and the streams, as a user sees them."""
    from generator.cli import main

    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def _assert_one_line(result: subprocess.CompletedProcess, code: int, *expected: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr[-500:])
    assert "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), result.stderr[:2000]
    line = result.stderr.rstrip("\n")
    for text in expected:
        assert text in line, line
    assert len(line) < 1000  # user text is cut, never echoed whole
    return line


@pytest.mark.parametrize("text, expected", [c[1:] for c in SPEC_CASES], ids=[c[0] for c in SPEC_CASES])
def test_bad_spec_is_one_line(capsys, write_spec, tmp_path, text, expected):
    path = write_spec(text)
    out = tmp_path / "out"
    result = run_main(capsys, "build", str(path), "--no-pdf", "--out", str(out))
    line = _assert_one_line(result, 1, expected)
    assert line.startswith("error: ") and "spec.yaml" in line
    assert not out.exists()


def test_spec_that_is_a_fifo_without_writer_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    result = run_cli("build", str(fifo), "--no-pdf", "--out", str(tmp_path / "out"), timeout=30)
    _assert_one_line(result, 1, f"{fifo}: exam spec is a named pipe (FIFO), not a regular file")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("path, expected", [
    ("/dev/zero", "/dev/zero: exam spec is a device, not a regular file"),
    ("/dev/null", "/dev/null: exam spec is a device, not a regular file"),
    ("tests", "tests: exam spec is a folder, not a file"),
])
def test_spec_that_is_not_a_regular_file(tmp_path, path, expected):
    result = run_cli("build", path, "--no-pdf", "--out", str(tmp_path / "out"), timeout=30)
    _assert_one_line(result, 1, expected)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, expected", [
    (["--variants", "5001"], "argument --variants: must be at most 5000"),
    (["--variants", "1000000000"], "argument --variants: must be at most 5000"),
    (["--variants", "9" * 5000], "argument --variants: expected a whole number below 2**63, got a number of 5,000"),
    (["--seed", str(2**200)], "argument --seed: expected a whole number below 2**63, got a number of 61 digits"),
    (["--seed", str(2**63)], "argument --seed: must be >= 0 and below 2**63"),
    (["--jobs", "0"], "argument --jobs: must be > 0"),
    (["--jobs", "x" * 5000], "argument --jobs: expected a whole number below 2**63, got 5,000 characters"),
], ids=["variants 5001", "variants 1e9", "variants 5000 digits", "seed 2**200", "seed 2**63", "jobs 0", "jobs text"])
def test_bad_build_option_is_one_line_exit_2(capsys, write_spec, tmp_path, args, expected):
    path = write_spec(spec())
    result = run_main(capsys, "build", str(path), "--no-pdf", "--out", str(tmp_path / "out"), *args)
    _assert_one_line(result, 2, expected)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("params, expected", [
    ('{"k": ' + "9" * 5000 + "}", "--params: the --params value has a number with 5,000 digits"),
    ('{"k": ' + deep(3000) + "}", "--params: the --params value nests 3001 levels deep"),
    ('{"k": NaN}', "--params: the --params value is not valid JSON (NaN is not a number"),
    ('{"k": 1e400}', "--params: the --params value is not valid JSON (1e400 is too large"),
    ('{"k": ', "--params: the --params value is not valid JSON"),
    ('{"H": true}', "--params.params.H: parameter 'H' must be an integer, got True"),
    ('[1]', "--params must be a JSON object"),
], ids=["5000 digits", "nested 3000", "NaN", "1e400", "truncated", "bool", "not an object"])
def test_bad_show_params_is_one_line(capsys, params, expected):
    result = run_main(capsys, "show", "conv-layer-cost", "--params", params)
    _assert_one_line(result, 1, expected)


def test_jobs_are_capped_at_the_cores():
    from generator.cli import make_parser

    args = make_parser().parse_args(["build", "x.yaml", "--jobs", "100000"])
    assert args.jobs == (os.cpu_count() or 1)
    args = make_parser().parse_args(["verify", "--jobs", "5000"])
    assert args.jobs == (os.cpu_count() or 1)
    assert make_parser().parse_args(["build", "x.yaml", "--jobs", "1"]).jobs == 1


def test_jobs_100000_builds_without_a_fork_bomb(write_spec, tmp_path):
    result = run_cli("build", str(write_spec(spec())), "--no-pdf", "--jobs", "100000", "--out", str(tmp_path / "o"),
                     timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads((tmp_path / "o" / "key.json").read_text())["exam"]["seed"] == 3


def test_int_choice_pinned_as_float_stays_an_int(write_spec, tmp_path):
    path = write_spec(spec(entry="    params: {k: 3.0, stride: 1}\n"))
    result = run_cli("build", str(path), "--no-pdf", "--out", str(tmp_path / "o"), timeout=120)
    assert result.returncode == 0, result.stderr
    key = json.loads((tmp_path / "o" / "key.json").read_text())
    params = key["variants"][0]["problems"][0]["params"]
    assert type(params["k"]) is int and params["k"] == 3
    assert '"k": 3,' in (tmp_path / "o" / "key.json").read_text().replace("\n", "").replace("  ", "")


# Pins of every type on every parameter of every problem: an error is one ExamgenError line,
# never a traceback from a validator, a sampler or a solver.
WRONG = [None, [], {}, "x", True, 1e308, [[1]], [1], 3.0, [None], [[]], -1, [1e308, 1e308], float("nan")]
BANK = [(pid, p.name) for pid in bank.ids() for p in bank.load(pid).params]


@pytest.mark.parametrize("problem_id, name", BANK, ids=[f"{p}.{n}" for p, n in BANK])
def test_wrong_pins_on_every_parameter_are_errors_not_tracebacks(problem_id, name):
    problem = bank.load(problem_id)
    base = dict(draw_instance(problem, Sampler(2, problem_id)).params)
    outcomes = set()
    for value in WRONG:
        try:
            instance = draw_instance(problem, Sampler(1, problem_id), {name: value}, "spec.yaml:4: problems[0]")
            outcomes.add("accepted")
            # An accepted value is a valid one of its kind: it comes back as the key stores it.
            kept = instance.params[name]
            assert kept == value or (isinstance(value, float) and kept == int(value)), (value, kept)
            json.dumps(instance.params, allow_nan=False)
        except ExamgenError as error:
            outcomes.add("refused")
            line = error.line()
            assert "\n" not in line and f"'{name}'" in line or "constraint" in line, line
        try:
            check_params(problem_id, problem.params, problem.constraints, {**base, name: value}, "key.json")
        except ExamgenError as error:
            assert "\n" not in error.line()
    assert "refused" in outcomes  # None, {} and "x" are no value of any parameter


def test_check_params_returns_int_choices_as_ints():
    problem = bank.load("cnn/conv-layer-cost")
    params = dict(draw_instance(problem, Sampler(2, problem.id)).params)
    params["k"] = 3.0
    params["pad"] = 1
    checked = check_params(problem.id, problem.params, problem.constraints, params, "key.json")
    assert type(checked["k"]) is int and checked["k"] == 3


# Rosters: ids Windows would merge, names the fonts cannot print.
ROSTER_CASES = [
    ("trailing dot", "id,name\nabc,Ada\nabc.,Bo\n", "r.csv:3: student ids 'abc' (line 2) and 'abc.' (line 3)"),
    ("case", "id,name\nAbc,Ada\naBC,Bo\n", "r.csv:3: student ids 'Abc' (line 2) and 'aBC' (line 3) differ only in case"),
    ("Devanagari name", "id,name\ns1,राम\n", "r.csv:2: the name of student 's1' has the character U+0930"),
    ("bidi override in a name", "id,name\ns1,Ada \u202eevil\n", "the name of student 's1' has the invisible direction"),
    ("control character in a name", "id,name\ns1,Ada\x1b[31m\n", "the name of student 's1' has the control character U+001B"),
    ("emoji name", "id,name\ns1,Ada 😀\n", "the name of student 's1' has the character U+1F600"),
    ("name of 300 characters", "id,name\ns1," + "a" * 300 + "\n", "the name of student 's1' is 300 characters long"),
]


@pytest.mark.parametrize("text, expected", [c[1:] for c in ROSTER_CASES], ids=[c[0] for c in ROSTER_CASES])
def test_bad_roster_is_one_line(capsys, write_spec, tmp_path, text, expected):
    roster = tmp_path / "r.csv"
    roster.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = run_main(capsys, "build", str(write_spec(spec())), "--roster", str(roster), "--no-pdf", "--out", str(out))
    _assert_one_line(result, 1, expected)
    assert not out.exists()


def test_roster_that_is_a_fifo_is_refused_without_waiting(write_spec, tmp_path):
    fifo = tmp_path / "r.csv"
    os.mkfifo(fifo)
    result = run_cli("build", str(write_spec(spec())), "--roster", str(fifo), "--no-pdf", timeout=30)
    _assert_one_line(result, 1, "roster is a named pipe (FIFO)")


def test_formula_names_are_accepted_as_typed(tmp_path):
    from generator.roster import load_roster

    roster = tmp_path / "r.csv"
    roster.write_text('id,name\ns1,"=HYPERLINK(""http://x"")"\ns2,+cmd|\' /C calc\'!A0\n', encoding="utf-8")
    students = load_roster(roster)
    assert students["s1"].name == '=HYPERLINK("http://x")'
    assert students["s2"].name == "+cmd|' /C calc'!A0"


# Invisible characters: kept or dropped on purpose (generator/usertext.py states the rule).
@pytest.mark.parametrize("typed, printed", [
    ("\ufeffQuiz", "Quiz"),                          # a byte-order mark pasted in: dropped
    ("Qu\u200biz", "Quiz"),                          # zero-width space: dropped
    ("\ufb01nal \ufb02ow", "final flow"),            # ligature characters: their letters
    ("Hyphen\u00adation", "Hyphen\u00adation"),      # soft hyphen: kept, a hyphenation point
    ("Cafe\u0301", "Café"),                          # base + combining accent: one letter (NFC)
    ("Quiz\u2009one\tTwo", "Quiz one Two"),          # thin space, tab: a space
    ("O\u2019Brien \u2013 Final", "O\u2019Brien \u2013 Final"),  # typographic quotes and dashes print
])
def test_invisible_and_composed_characters_on_purpose(write_spec, typed, printed):
    path = write_spec(spec(head=f"title: {json.dumps(typed)}\nseed: 3\n"))
    loaded, _ = load_spec(path)
    assert loaded.title == printed


def test_no_pdf_refuses_what_a_pdf_build_would(write_spec, tmp_path):
    """Text is checked at the spec: --no-pdf and a PDF build give the same line (no pdflatex run)."""
    path = write_spec(spec(head="title: Quiz α\nseed: 3\n"))
    lines = []
    for extra in (["--no-pdf"], []):
        result = run_cli("build", str(path), "--out", str(tmp_path / "o"), *extra, timeout=60)
        lines.append(_assert_one_line(result, 1, "title: has the character U+03B1"))
    assert lines[0] == lines[1]
    assert not (tmp_path / "o").exists()


def test_printable_rule_is_shared_by_spec_and_roster():
    from generator import roster

    assert not hasattr(roster, "PRINTABLE")  # one rule, in usertext
    assert usertext.problem("Łukasiewicz Zoë Ștefan") is None
    assert "U+0127" in usertext.problem("ħ")  # Latin Extended-A, but not in the T1 fonts


# Messages: long user text is cut; repeated warnings are grouped.
def test_error_parts_are_cut_and_one_line():
    error = ExamgenError("x" * 10_000, "where\nelse", "fix")
    assert len(error.line()) < 1200 and "\n" not in error.line() and error.line().endswith("…; fix")
    assert cut("a" * 100) == "a" * 59 + "…" and cut("short") == "short"
    assert shown("b" * 100) == "'" + "b" * 58 + "…"
    assert shown(10**5000) == "a number of about 5000 digits"  # no ValueError from int -> str


def test_repeated_warnings_are_grouped():
    warnings = [f"responses.csv:{i}: unknown student 's{i}'" for i in range(2, 5003)] + ["one other warning"]
    lines = grouped(warnings)
    assert lines == [*warnings[:3], "… and 4,998 more like this", "one other warning"]
    assert grouped(["a", "b"]) == ["a", "b"]


def test_json_loader_bounds(tmp_path):
    from generator.userfiles import load_json

    assert load_json('{"a": [1, 2.5, "]"]}', "key", "key.json") == {"a": [1, 2.5, "]"]}
    with pytest.raises(ExamgenError, match="nests 65 levels deep"):
        load_json(deep(65), "key", "key.json")
    with pytest.raises(ExamgenError, match="number with 400 digits"):
        load_json("[" + "1" * 400 + "]", "key", "key.json")
    assert math.isclose(load_json("1e300", "key", "key.json"), 1e300)
