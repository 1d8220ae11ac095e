"""Choice questions: options from declared mistakes and the answer types' slips, the key's
choice records, the sheets, grading by letters and the Moodle export.

The sweep over seeds runs without PDFs (the options are plain data). 200 seeds of every
problem and field takes about a minute on this machine, too slow for `make test`; so the
sweep takes 200 seeds of a subset that holds every answer type that can be a choice (ints,
shapes, reals, vectors, matrices, a fixed-option choice, bool, bools, formulas) and a problem
with five mistakes, and 20 seeds of every other problem. `make stress` sets
EXAMGEN_CHOICE_SEEDS (200 there; any number of seeds may be asked): then every problem of the
bank is swept over that many seeds.
"""

from __future__ import annotations

import csv
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from generator.answers import Answer, Unreadable, matches, to_key
from generator.answers.choice import read_letters, score
from generator.bank import builtin
from generator.errors import ExamgenError
from generator.instance import draw_instance
from generator.options import instance_choices
from generator.precision import DEFAULT
from generator.seeds import Sampler, variant_seed

BANK = builtin()
SUBSET = ("cnn/conv-layer-cost", "probability/kl-cross-entropy", "cnn/pooling-backprop", "optimization/bn-weight-decay",
          "probability/prior-shift", "optimization/l1-proximal", "probability/entropy-perplexity")
COUNT = 5
NUMBER = re.compile(r"-?\d+(?:\.(\d+))?")


def _choosable(problem):
    return [a.name for a in problem.answers if a.graded and a.kind.chooses(a)]


def _same(answer, a, b, tolerance):
    atol, rtol = tolerance["atol"], tolerance["rtol"]
    try:
        return matches(answer, a, b, atol, rtol) or matches(answer, b, a, atol, rtol)
    except (TypeError, ValueError, IndexError):
        return False


def _check_record(problem, answer, instance, record, tolerance):
    """Every promise of one field's options, checked by reading the printed texts back as a
    student's typed answer would be read (the answer type's parser), not from the record's values."""
    options = record["options"]
    where = f"{problem.id} {answer.name} {instance.params}"
    assert len(options) == len(record["tex"]) and len(set(options)) == len(options), where
    assert record["multi"] is False and len(record["right"]) == 1
    most = {"bool": 2, "choice": len(answer.options)}.get(answer.type, COUNT)
    assert len(options) == min(COUNT, most), where
    values = [answer.kind.parse(answer, text) for text in options]
    right = record["right"][0]
    # the right option is right for the key's value; no other option is, nor any accepted alternative
    assert matches(answer, instance.answers[answer.name], values[right], tolerance["atol"], tolerance["rtol"]), where
    for i in range(len(values)):
        for j in range(i):
            assert not _same(answer, values[i], values[j], tolerance), f"{where}: options {j} and {i} alike"
        for alternative in instance.alternatives.get(answer.name, []):
            assert i == right or not _same(answer, alternative["value"], values[i], tolerance), where
    # one format: reals print every number with the same decimals, whole numbers with none
    decimals = {len(m.group(1) or "") for text in options for m in NUMBER.finditer(text)}
    if answer.type in ("real", "vector", "matrix", "matrices"):
        assert len(decimals) == 1, f"{where}: {options}"
    elif answer.type in ("int", "shape"):
        assert decimals == {0}, f"{where}: {options}"
    # the option-to-mistake map, against each mistake's value computed afresh from MISTAKES
    found = {}
    for mistake in problem.mistakes:
        wrong = mistake.wrong(instance.params)
        if answer.name not in wrong:
            continue
        value = to_key(answer, wrong[answer.name])[0]
        # (a mistake's value may lie within the tolerance of the right value as printed, rounded,
        # though never of the right value itself: the instance is drawn so)
        assert not _same(answer, value, instance.answers[answer.name], tolerance), where
        at = [i for i, v in enumerate(values) if i != right and _same(answer, value, v, tolerance)]
        if at:  # named at one of the options it gives (two, when it lies between two of them)
            named = [i for i in at if mistake.description in record["mistakes"].get(str(i), "")]
            assert len(named) == 1, where
            found.setdefault(str(named[0]), []).append(mistake.description)
        else:  # left out only when the options were full before it was reached
            assert len(options) == COUNT, f"{where}: mistake {mistake.name} missing"
    assert set(record["mistakes"]) == set(found), where


def _sweep(problem_id, seeds):
    problem = BANK.load(problem_id)
    fields = _choosable(problem)
    positions = set()
    for seed in range(seeds):
        instance = draw_instance(problem, Sampler(seed, "choice-sweep"), precision=DEFAULT)
        tolerances = instance.key_entry(problem, DEFAULT)["tolerances"]
        records = instance_choices(problem, fields, instance.params, instance.answers, tolerances, DEFAULT, COUNT,
                                   "all-or-nothing", seed, "sweep", alternatives=instance.alternatives)
        for name in fields:
            _check_record(problem, problem.answer(name), instance, records[name], tolerances[name])
            positions.add(records[name]["right"][0])
    return positions


# the full sweep (`make stress`): every problem over this many seeds
FULL_SEEDS = int(os.environ.get("EXAMGEN_CHOICE_SEEDS", "0") or 0)


@pytest.mark.parametrize("problem_id", SUBSET)
def test_options_distinct_and_alike_over_200_seeds(problem_id):
    positions = _sweep(problem_id, max(200, FULL_SEEDS))
    assert positions == set(range(COUNT))   # shuffled: the right option lands everywhere


@pytest.mark.parametrize("problem_id", [e.id for e in BANK.entries() if e.id not in SUBSET])
def test_options_distinct_and_alike_over_20_seeds(problem_id):
    _sweep(problem_id, max(20, FULL_SEEDS))


def test_every_problem_has_choosable_fields():
    # each problem of the bank has a field asked as a choice with `form: choice`
    assert all(_choosable(BANK.load(e.id)) for e in BANK.entries())


# ---------------------------------------------------------------- spec, key, sheets

SPEC = """\
title: Choice test
seed: 11
variants: 3
problems:
  - id: cnn/conv-layer-cost
    form: choice
    scoring: negative
  - id: probability/entropy-perplexity
    form: {entropy: choice}
    options: 4
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from tests.conftest import run_cli

    folder = tmp_path_factory.mktemp("choice")
    (folder / "spec.yaml").write_text(SPEC, encoding="utf-8")
    done = run_cli("build", str(folder / "spec.yaml"), "--no-pdf", "--format", "moodle", "--out", str(folder / "out"))
    assert done.returncode == 0, done.stderr
    return folder / "out"


def test_key_records_choices_and_their_order_reproduces(built):
    key = json.loads((built / "key.json").read_text(encoding="utf-8"))
    for variant in key["variants"]:
        conv, entropy = variant["problems"]
        assert set(conv["choices"]) == {"out_shape", "in_channels", "out_channels", "mults", "adds", "params"}
        assert set(entropy["choices"]) == {"entropy"} and len(entropy["choices"]["entropy"]["options"]) == 4
        assert conv["choices"]["mults"]["scoring"] == "negative"
        assert entropy["choices"]["entropy"]["scoring"] == "all-or-nothing"
        # the typed answer's entries stay as they are
        assert isinstance(conv["answers"]["mults"], int) and "mults" in conv["tolerances"]
        # the order is drawn from (variant seed, slot key, field): recomputed from the key alone
        assert variant["seed"] == variant_seed(11, variant["key"])
        for entry in (conv, entropy):
            problem = BANK.load(entry["id"])
            again = instance_choices(problem, list(entry["choices"]), entry["params"], entry["answers"],
                                     entry["tolerances"], DEFAULT, len(next(iter(entry["choices"].values()))["options"]),
                                     next(iter(entry["choices"].values()))["scoring"], variant["seed"],
                                     f"{entry['slot_key']}|choices", alternatives=entry.get("alternatives", {}))
            assert again == entry["choices"]


def test_the_sheets_print_the_options_and_the_solutions_name_the_mistakes(built):
    key = json.loads((built / "key.json").read_text(encoding="utf-8"))
    record = key["variants"][0]["problems"][0]["choices"]["params"]
    exam = (built / "variants" / "001" / "exam.tex").read_text(encoding="utf-8")
    solutions = (built / "variants" / "001" / "solutions.tex").read_text(encoding="utf-8")
    for letter in "ABCDE":
        assert f"$\\square$\\,({letter})" in exam
    assert "blacksquare" not in exam and "likely mistake" not in exam
    right = "ABCDE"[record["right"][0]]
    assert f"\\item[$\\blacksquare$\\,({right})] ${record['tex'][record['right'][0]]}$" in solutions
    index, mistake = next(iter(record["mistakes"].items()))
    assert f"({'ABCDE'[int(index)]})] ${record['tex'][int(index)]}$ \\quad\\textit{{likely mistake: " in solutions
    assert "forgot the C\\_out biases" in solutions and "forgot" in mistake


def _grade(built, tmp_path, rows):
    from tests.conftest import run_cli

    path = tmp_path / "responses.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "slot", "field", "value"])
        writer.writerows(rows)
    done = run_cli("grade", str(built / "key.json"), str(path), "--out", str(tmp_path / "graded"))
    assert done.returncode == 0, done.stderr
    scores = list(csv.DictReader((tmp_path / "graded" / "scores.csv").read_text(encoding="utf-8-sig").splitlines()))
    return scores, (tmp_path / "graded" / "feedback" / "001.txt").read_text(encoding="utf-8")


def test_grade_scores_letters_and_names_the_mistake(built, tmp_path):
    key = json.loads((built / "key.json").read_text(encoding="utf-8"))
    conv = key["variants"][0]["problems"][0]
    params = conv["choices"]["params"]
    wrong = int(next(iter(params["mistakes"])))
    right_shape = "ABCDE"[conv["choices"]["out_shape"]["right"][0]]
    scores, feedback = _grade(built, tmp_path, [
        ("001", "1", "out_shape", right_shape.lower()),          # right: full share (3 points)
        ("001", "1", "params", "ABCDE"[wrong]),                 # a mistake's letter: -2/4 under negative marking
    ])
    # slot 1 (negative marking, 5 options): 3 (part shape) + 2 * (-1/4) (part params, 2 points)
    assert scores[0]["slot 1"] == "2.5"
    assert "params: wrong, -0.5 of 2" in feedback
    assert f"likely mistake: {params['mistakes'][str(wrong)]}" in feedback
    assert "out_shape: right, 3 of 3" in feedback


def test_scoring_rules_as_documented():
    single = {"options": ["a", "b", "c", "d", "e"], "right": [2], "multi": False}
    assert score({**single, "scoring": "all-or-nothing"}, [2]) == 1.0
    assert score({**single, "scoring": "all-or-nothing"}, [1]) == 0.0
    assert score({**single, "scoring": "negative"}, [1]) == -0.25
    assert score({**single, "scoring": "negative"}, [1, 2]) == -0.25      # two marks on a single choice: wrong
    assert score({**single, "scoring": "negative"}, []) == 0.0           # not answered
    multi = {"options": ["a", "b", "c", "d"], "right": [0, 2], "multi": True}
    assert score({**multi, "scoring": "all-or-nothing"}, [0]) == 0.0
    assert score({**multi, "scoring": "partial"}, [0]) == 0.5
    assert score({**multi, "scoring": "partial"}, [0, 1]) == 0.0         # 1/2 - 1/2
    assert score({**multi, "scoring": "partial"}, [1, 3]) == 0.0         # floored at 0
    assert score({**multi, "scoring": "negative"}, [1, 3]) == -1.0
    assert score({**multi, "scoring": "negative"}, [0, 2, 3]) == 0.5


def test_letters_are_read_in_any_spelling():
    assert read_letters("C", 5) == (2,)
    assert read_letters("ac", 5) == (0, 2)
    assert read_letters("A, C", 5) == (0, 2)
    assert read_letters("(B)", 5) == (1,)
    with pytest.raises(Unreadable, match="options are A to E"):
        read_letters("F", 5)
    with pytest.raises(Unreadable):
        read_letters("3", 5)


def test_moodle_marks_the_right_option_and_names_mistakes(built):
    key = json.loads((built / "key.json").read_text(encoding="utf-8"))
    conv = key["variants"][0]["problems"][0]
    root = ET.fromstring((built / "moodle.xml").read_text(encoding="utf-8"))
    texts = [q.find("questiontext/text").text for q in root.iter("question") if q.get("type") == "cloze"]
    first = texts[0]   # slot 1, variant 001
    record = conv["choices"]["params"]
    blank = next(b for b in re.findall(r"\{\d+:MULTICHOICE_V:(.*?)\}", first) if "biases" in b)
    options = blank.split("~")
    assert len(options) == 5
    marked = [i for i, o in enumerate(options) if o.startswith("=")]
    assert marked == record["right"]
    assert options[record["right"][0]].startswith(f"=({'ABCDE'[record['right'][0]]}) {record['options'][record['right'][0]]}#")
    wrong = int(next(iter(record["mistakes"])))
    # negative marking: each wrong option costs 1/(5 - 1)
    assert options[wrong].startswith("%-25%") and "Likely mistake" in options[wrong]


def test_spec_errors_are_one_line(write_spec, cli):
    cases = {
        "form: multiple": "must be typed or choice",
        "options: 1": "from 2 to 26",
        "scoring: lenient": "scoring",
        "form: {nothing: choice}": "form is set for 'nothing'",
    }
    for line, message in cases.items():
        spec = write_spec(f"title: T\nseed: 1\nproblems:\n  - id: cnn/conv-layer-cost\n    {line}\n")
        done = cli("build", str(spec), "--no-pdf", "--out", str(spec.parent / "out"))
        assert done.returncode == 1 and message in done.stderr, (line, done.stderr)
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    proof = write_spec("title: T\nseed: 1\nproblems:\n  - id: cnn/receptive-field\n    form: {rf_proof: choice}\n")
    done = cli("build", str(proof), "--no-pdf", "--out", str(proof.parent / "out"))
    assert done.returncode == 1, done.stderr


# ---------------------------------------------------------------- multiple answers

STATEMENTS = '''\
from generator.authoring import Answer, Int, Mistake, Part

TITLE = "Which are even"
SOURCE = "test"
PARTS = (Part("which", points=2, answers=("even",)),)
PARAMS = (Int("a", 1, 50),)
ANSWERS = (Answer("even", "statements", "the true statements"),)


def _statements(a):
    return {f"${a}$ is even": a % 2 == 0, f"${a + 1}$ is even": (a + 1) % 2 == 0,
            f"${2 * a}$ is even": True, f"${2 * a + 1}$ is even": False}


def solve(p):
    return {"even": _statements(p["a"])}


def check(p, answers):
    return {"even": {text: int(text.split("$")[1]) % 2 == 0 for text in _statements(p["a"])}}


MISTAKES = (Mistake("odd-even", "took every number for even", lambda p: {"even": {t: True for t in _statements(p["a"])}}),)
'''


def test_multiple_answers_from_statements(tmp_path, cli):
    folder = tmp_path / "bank" / "quiz" / "even"
    folder.mkdir(parents=True)
    (folder / "problem.py").write_text(STATEMENTS, encoding="utf-8")
    (folder / "question.tex.j2").write_text("Which hold?\n\\begin{parts}\n\\BLOCK{call part('which')}Mark them."
                                            "\\BLOCK{endcall}\n\\end{parts}\n", encoding="utf-8")
    (folder / "solution.tex.j2").write_text("", encoding="utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text("title: T\nseed: 3\nbanks: [bank]\nproblems:\n  - id: quiz/even\n    scoring: partial\n",
                    encoding="utf-8")
    done = cli("build", str(spec), "--no-pdf", "--format", "moodle", "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    entry = json.loads((tmp_path / "out" / "key.json").read_text(encoding="utf-8"))["variants"][0]["problems"][0]
    record = entry["choices"]["even"]
    a = entry["params"]["a"]
    truth = {f"${n}$ is even": n % 2 == 0 for n in (a, a + 1, 2 * a, 2 * a + 1)}
    assert record["multi"] is True and sorted(record["options"]) == sorted(truth)
    assert [i for i, o in enumerate(record["options"]) if truth[o]] == record["right"]
    # the false statements are the ones the mistake holds true
    assert {record["options"][int(i)] for i in record["mistakes"]} == {o for o, t in truth.items() if not t}
    # Moodle: checkboxes in the key's order, each true statement half the points, each false one -1/2 (partial)
    xml = (tmp_path / "out" / "moodle.xml").read_text(encoding="utf-8")
    blank = re.search(r"\{\d+:MULTIRESPONSE:(.*?)\}", ET.fromstring(xml).find(".//questiontext/text").text).group(1)
    weights = [option.split("%")[1] for option in blank.split("~")]
    assert weights == ["50" if truth[o] else "-50" for o in record["options"]]
    right = "".join("ABCD"[i] for i in record["right"])
    one_wrong = "ABCD"[int(next(iter(record["mistakes"])))]
    rows = tmp_path / "responses.csv"
    rows.write_text(f"student,slot,field,value\n001,1,even,{right[0]}{one_wrong}\n", encoding="utf-8")
    done = cli("grade", str(tmp_path / "out" / "key.json"), str(rows), "--out", str(tmp_path / "graded"))
    assert done.returncode == 0, done.stderr
    feedback = (tmp_path / "graded" / "feedback" / "001.txt").read_text(encoding="utf-8")
    # partial: 2 true statements, 2 false; one of each marked: 1/2 - 1/2 = 0
    assert "even: wrong, 0 of 2" in feedback and "likely mistake: took every number for even" in feedback


def test_a_field_that_cannot_be_a_choice_is_named():
    problem = BANK.load("cnn/receptive-field")
    from generator.plan import choice_fields

    with pytest.raises(ExamgenError, match="cannot be asked as a choice"):
        choice_fields(problem, [p.name for p in problem.parts],
                      {next(a.name for a in problem.answers if not a.graded): "choice"}, "spec.yaml:4")
    assert "proof" not in {problem.answer(f).type for f in choice_fields(problem, [p.name for p in problem.parts],
                                                                           "choice", "x")}
    assert Answer("x", "proof").kind.chooses(Answer("x", "proof")) is False


def test_a_hand_edited_choice_record_is_one_line(built, tmp_path, cli):
    key = json.loads((built / "key.json").read_text(encoding="utf-8"))
    key["variants"][0]["problems"][0]["choices"]["params"]["right"] = [7]
    broken = tmp_path / "key.json"
    broken.write_text(json.dumps(key), encoding="utf-8")
    rows = tmp_path / "responses.csv"
    rows.write_text("student,slot,field,value\n001,1,params,A\n", encoding="utf-8")
    done = cli("grade", str(broken), str(rows), "--out", str(tmp_path / "graded"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "variants[0].problems[0].choices.params" in done.stderr and "right" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
