"""Banks besides the built-in one (--bank, a spec's banks:), examgen new and init, and bad
banks: each is one line naming the folder or file (and line), exit 1, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.bank import Bank, builtin, module_name
from tests.conftest import BUILTIN, run_cli


def _one_error(result) -> str:
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def bank_with(tmp_path):
    """A bank folder holding one new problem made by `examgen new`."""
    def make(problem_id: str, name: str = "bank") -> Path:
        folder = tmp_path / name
        result = run_cli("new", problem_id, "--bank", str(folder), cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return folder
    return make


def test_new_problem_passes_verify_before_any_edit(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer")
    problem = folder / "layers" / "tiny-layer"
    assert sorted(p.name for p in problem.iterdir()) == ["problem.py", "question.tex.j2", "snapshots",
                                                         "solution.tex.j2", "test_problem.py"]
    assert 'TITLE = "Tiny layer"' in (problem / "problem.py").read_text(encoding="utf-8")
    result = run_cli("verify", "layers/tiny-layer", "--seeds", "20", "--bank", str(folder), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "20 instances of 1 problems, 0 failures" in result.stdout


def test_bank_before_or_after_the_command_and_list_marks_it(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer")
    after = run_cli("list", "--bank", str(folder), cwd=tmp_path)
    before = run_cli("--bank", str(folder), "list", cwd=tmp_path)
    assert after.returncode == before.returncode == 0
    assert after.stdout == before.stdout
    line = next(li for li in after.stdout.splitlines() if "layers/tiny-layer" in li)
    assert f"(bank {folder.resolve()})" in line
    assert after.stdout.strip().endswith(f"{len(BUILTIN) + 1} problems ({len(BUILTIN)} built-in, 1 from added banks)")
    builtin_line = next(li for li in after.stdout.splitlines() if "cnn/conv-layer-cost" in li)
    assert "(bank" not in builtin_line


def test_spec_banks_relative_to_the_spec_and_key_records_the_folder(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer", "mine")
    exams = tmp_path / "exams"
    exams.mkdir()
    (exams / "e.yaml").write_text("title: t\nseed: 4\nvariants: 30\nbanks: [../mine]\nproblems:\n"
                                  "  - id: tiny-layer\n  - id: cnn/conv-layer-cost\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = run_cli("build", str(exams / "e.yaml"), "--no-pdf", "--out", str(tmp_path / "out"), cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    key = json.loads((tmp_path / "out" / "key.json").read_text(encoding="utf-8"))
    first = key["variants"][0]["problems"]
    assert [p["id"] for p in first] == ["layers/tiny-layer", "cnn/conv-layer-cost"]
    assert [p["bank"] for p in first] == [str(folder.resolve()), "built-in"]
    p = first[0]["params"]
    assert first[0]["answers"]["out_shape"] == [p["batch"], p["n_out"]]
    # grading finds the local problem again through the key (no --bank needed)
    responses = tmp_path / "responses.csv"
    responses.write_text("student,slot,field,value\n001,1,out_shape,"
                         f"\"[{p['batch']}, {p['n_out']}]\"\n", encoding="utf-8")
    graded = run_cli("grade", str(tmp_path / "out" / "key.json"), str(responses), cwd=elsewhere)
    assert graded.returncode == 0, graded.stderr


def test_missing_bank_folder(tmp_path):
    line = _one_error(run_cli("list", "--bank", str(tmp_path / "nowhere"), cwd=tmp_path))
    assert f"--bank: bank folder {tmp_path / 'nowhere'} does not exist" in line


def test_empty_bank_folder(tmp_path):
    (tmp_path / "empty" / "cnn").mkdir(parents=True)
    line = _one_error(run_cli("verify", "--bank", str(tmp_path / "empty"), cwd=tmp_path))
    assert "holds no problems" in line and "examgen new TOPIC/NAME" in line


def test_missing_spec_bank_names_the_spec_line(write_spec, tmp_path):
    spec = write_spec("title: t\nseed: 1\nbanks:\n  - ../nothing-here\nproblems:\n  - id: conv-layer-cost\n")
    line = _one_error(run_cli("build", str(spec), "--no-pdf", cwd=tmp_path))
    assert f"{spec}:4: banks[0]: bank folder" in line and "does not exist" in line


def test_two_banks_defining_one_id(bank_with, tmp_path):
    first = bank_with("layers/tiny-layer", "one")
    second = bank_with("layers/tiny-layer", "two")
    line = _one_error(run_cli("list", "--bank", str(first), "--bank", str(second), cwd=tmp_path))
    assert f"problem 'layers/tiny-layer' is defined by two banks: {first.resolve()} and {second.resolve()}" in line
    assert "rename" in line and "leave one bank out" in line


def test_a_bank_redefining_a_builtin_problem(tmp_path):
    (tmp_path / "b" / "cnn" / "conv-layer-cost").mkdir(parents=True)
    (tmp_path / "b" / "cnn" / "conv-layer-cost" / "problem.py").write_text("TITLE = 'x'\n", encoding="utf-8")
    line = _one_error(run_cli("list", "--bank", str(tmp_path / "b"), cwd=tmp_path))
    assert "'cnn/conv-layer-cost' is defined by two banks" in line
    assert f"rename cnn/conv-layer-cost in {(tmp_path / 'b').resolve()}" in line


def test_syntax_error_names_file_and_line(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer")
    path = folder / "layers" / "tiny-layer" / "problem.py"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.insert(20, "PARAMS = (Int('x', 1, 2)")   # line 21, never closed
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = _one_error(run_cli("show", "tiny-layer", "--bank", str(folder), cwd=tmp_path))
    assert f"{path.resolve()}:21: syntax error" in line


def test_missing_declaration_names_the_file(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer")
    path = folder / "layers" / "tiny-layer" / "problem.py"
    path.write_text(path.read_text(encoding="utf-8").replace("\ndef solve(p):", "\ndef solved(p):"),
                    encoding="utf-8")
    line = _one_error(run_cli("verify", "tiny-layer", "--bank", str(folder), cwd=tmp_path))
    assert f"{path.resolve()}: problem.py must define solve" in line


def test_import_error_names_the_line(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer")
    path = folder / "layers" / "tiny-layer" / "problem.py"
    text = path.read_text(encoding="utf-8").replace("from generator.authoring import",
                                                    "from generator.authoring import NoSuchThing,")
    path.write_text(text, encoding="utf-8")
    line = _one_error(run_cli("show", "tiny-layer", "--bank", str(folder), cwd=tmp_path))
    number = 1 + text.splitlines().index(next(li for li in text.splitlines() if "NoSuchThing" in li))
    assert f"{path.resolve()}:{number}: problem module failed to load: ImportError" in line


def test_template_with_an_undefined_name(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer")
    template = folder / "layers" / "tiny-layer" / "question.tex.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(text.replace(r"\VAR{p.batch}", r"\VAR{p.no_such_param}", 1), encoding="utf-8")
    spec = tmp_path / "e.yaml"
    spec.write_text(f"title: t\nseed: 1\nbanks: [{folder}]\nproblems:\n  - id: tiny-layer\n", encoding="utf-8")
    line = _one_error(run_cli("build", str(spec), "--no-pdf", "--out", str(tmp_path / "out"), cwd=tmp_path))
    assert f"{template.resolve()}:2: template error" in line and "no_such_param" in line
    assert not (tmp_path / "out").exists()


def test_template_syntax_error(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer")
    template = folder / "layers" / "tiny-layer" / "solution.tex.j2"
    template.write_text(template.read_text(encoding="utf-8").replace("endcall", "endcal", 1), encoding="utf-8")
    line = _one_error(run_cli("show", "tiny-layer", "--bank", str(folder), "--pdf", "--out", str(tmp_path / "o"),
                              cwd=tmp_path))
    assert f"{template.resolve()}:5: template syntax error" in line


def test_new_refuses_bad_ids_and_existing_folders(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer")
    assert "already exists" in _one_error(run_cli("new", "layers/tiny-layer", "--bank", str(folder), cwd=tmp_path))
    assert "is a built-in problem" in _one_error(run_cli("new", "cnn/conv-layer-cost", cwd=tmp_path))
    assert "is not a problem id" in _one_error(run_cli("new", "Layers/x y", cwd=tmp_path))
    assert not (tmp_path / "problems").exists()


def test_init_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "notes.txt").write_text("mine", encoding="utf-8")
    line = _one_error(run_cli("init", str(tmp_path / "course"), cwd=tmp_path))
    assert "is not empty" in line
    assert [p.name for p in (tmp_path / "course").iterdir()] == ["notes.txt"]


def test_local_problems_folder_is_used_without_asking(tmp_path):
    assert run_cli("init", "course", cwd=tmp_path).returncode == 0
    shown = run_cli("show", "layers/dense-layer-cost", "--seed", "3", "--json", cwd=tmp_path / "course")
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    p = data["params"]
    assert data["answers"]["mults"] == p["batch"] * p["n_in"] * p["n_out"]


def test_problems_of_two_banks_get_distinct_modules(bank_with):
    one, two = bank_with("layers/a-layer", "one"), bank_with("layers/b-layer", "two")
    bank = builtin().adding([one, two], "--bank")
    assert bank.roots[1:] == (one.resolve(), two.resolve())
    assert module_name(bank.roots[1], "layers/x") != module_name(bank.roots[2], "layers/x")
    assert bank.folder("a-layer") == one.resolve() / "layers" / "a-layer"
    assert bank.load("b-layer").folder == two.resolve() / "layers" / "b-layer"
    assert Bank(bank.roots) == bank   # plain data: equal banks, one cache entry


def test_verify_workers_get_the_bank(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer")
    result = run_cli("verify", "--bank", str(folder), "--seeds", "40", "--jobs", "2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "40 instances of 1 problems, 0 failures" in result.stdout


def test_rebuild_digest_follows_the_used_problem_folders(bank_with):
    from generator.pipeline import _source_digest

    folder = bank_with("layers/a-layer", "one")
    bank_with("layers/b-layer", "one")
    bank = builtin().adding([folder], "--bank")
    used = ["layers/a-layer", "cnn/conv-layer-cost"]
    before = _source_digest(used, bank)
    problem = folder / "layers" / "a-layer"
    # a problem's tests and snapshots, and problems the plan does not use, change no output
    with (problem / "test_problem.py").open("a", encoding="utf-8") as file:
        file.write("# a note\n")
    (problem / "snapshots" / "seeds.json").write_text("{}\n", encoding="utf-8")
    (folder / "layers" / "b-layer" / "question.tex.j2").write_text("changed\n", encoding="utf-8")
    assert _source_digest(used, bank) == before
    with (problem / "question.tex.j2").open("a", encoding="utf-8") as file:
        file.write("% edited\n")
    assert _source_digest(used, bank) != before


def test_snapshot_floats_agree_to_the_last_bits_only():
    from generator.testing import same_values

    assert same_values({"a": [0.6678986614143319, 3]}, {"a": [0.6678986614143317, 3]})
    assert not same_values({"a": [0.6678986614, 3]}, {"a": [0.6678986615, 3]})
    assert not same_values({"a": [1.0, 3]}, {"a": [1.0, 4]})
    assert not same_values({"a": 3}, {"a": 3.0})          # an int answer turning float is a change
    assert not same_values({"a": [1, 2]}, {"a": [1, 2, 3]})
    assert not same_values({"a": 1}, {"b": 1})


def test_module_functions_take_a_bank_or_a_folder(bank_with):
    from generator import bank as banks

    folder = bank_with("layers/a-layer", "one")
    assert banks.load("cnn/conv-layer-cost").folder == builtin().folder("cnn/conv-layer-cost")
    assert banks.resolve_id("a-layer", bank=folder) == "layers/a-layer"
    assert banks.folder("a-layer", folder) == folder.resolve() / "layers" / "a-layer"
    assert banks.load("a-layer", builtin().adding([folder])).title == "A layer"
    assert "layers/a-layer" not in banks.ids()
    assert len(banks.ids(folder)) == len(BUILTIN) + 1


def test_grading_after_the_bank_moved(bank_with, tmp_path):
    folder = bank_with("layers/tiny-layer", "mine")
    spec = tmp_path / "e.yaml"
    spec.write_text(f"title: t\nseed: 2\nbanks: [{folder}]\nproblems:\n  - id: tiny-layer\n", encoding="utf-8")
    assert run_cli("build", str(spec), "--no-pdf", "--out", str(tmp_path / "out"), cwd=tmp_path).returncode == 0
    key = json.loads((tmp_path / "out" / "key.json").read_text(encoding="utf-8"))
    shape = key["variants"][0]["problems"][0]["answers"]["out_shape"]
    responses = tmp_path / "r.csv"
    responses.write_text(f'student,slot,field,value\n1,1,out_shape,"{shape}"\n', encoding="utf-8")
    moved = folder.rename(tmp_path / "moved")
    line = _one_error(run_cli("grade", str(tmp_path / "out" / "key.json"), str(responses), cwd=tmp_path))
    assert f"the bank folder {folder.resolve()}, which does not exist" in line and "--bank DIR" in line
    again = run_cli("grade", str(tmp_path / "out" / "key.json"), str(responses), "--bank", str(moved), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    scores = (tmp_path / "r-graded" / "scores.csv").read_text(encoding="utf-8-sig").splitlines()
    assert dict(zip(scores[0].split(","), scores[1].split(","), strict=True))["slot 1"] == "2"
