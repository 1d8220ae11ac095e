"""examgen as an instructor installs it: a wheel built from the checkout, installed in a fresh
venv in a temporary folder, used from other temporary folders (no checkout in sight).

The venv gets examgen from the wheel only (`pip install --no-deps`); its dependencies come
from this test's own environment through a .pth line, since resolving numpy, scipy, sympy
and pikepdf afresh takes about three minutes here. EXAMGEN_WHEEL_DEPS=1 lets pip resolve
them instead (what a user's `pip install examgen` does). The test asserts that `generator`
is imported from the venv, never from the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import BUILTIN, ROOT

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")

WHEEL_LIMIT = 2_000_000   # bytes: code, templates and the bank are a few hundred kB


def _run(*args: str | Path, cwd: Path, check: bool = True, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, env=env,
                            timeout=timeout)
    if check:
        assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


def _checkout_copy(target: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, not ignored): a clean tree."""
    names = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.decode().split("\0")
    for name in filter(None, names):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("wheel")
    source = _checkout_copy(base / "src")
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist",
         source, cwd=base)
    wheel = next((base / "dist").glob("examgen-*.whl"))
    env = base / "venv"
    venv.create(env, with_pip=True)
    python = env / "bin" / "python"
    if os.environ.get("EXAMGEN_WHEEL_DEPS") == "1":
        _run(python, "-m", "pip", "install", "-q", wheel, "pytest", cwd=base, timeout=1800)
    else:
        site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=base)
                    .stdout.strip())
        # a plain path line: the folder's own .pth files (the checkout's editable install) are not run
        (site / "examgen-test-deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
        _run(python, "-m", "pip", "install", "-q", "--no-deps", wheel, cwd=base)
    return {"base": base, "wheel": wheel, "examgen": env / "bin" / "examgen", "python": python}


def test_wheel_holds_templates_and_the_bank(installed):
    wheel = installed["wheel"]
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "generator/templates/sheet.tex.j2" in names
    assert "generator/templates/practice.js" in names
    problems = {n.split("/")[2] + "/" + n.split("/")[3] for n in names
                if n.startswith("generator/problem_bank/") and n.endswith("/problem.py")}
    assert sorted(problems) == BUILTIN
    for folder in ("cnn/conv-layer-cost", "probability/prior-shift", "concepts/convexity"):
        for name in ("problem.py", "question.tex.j2", "solution.tex.j2", "test_problem.py",
                     "snapshots/seeds.json", "snapshots/seed-1.tex"):
            assert f"generator/problem_bank/{folder}/{name}" in names
    assert "generator/scaffold/problem/problem.py" in names
    assert "generator/scaffold/course/workflow.yml" in names
    # the formula snippets of the appendix and the templates of the grader's copy and formula sheet
    shipped = {Path(n).name for n in names if n.startswith("generator/problem_bank/formulas/")}
    assert shipped == {p.name for p in (ROOT / "problem_bank" / "formulas").glob("*.tex")} and "backprop.tex" in shipped
    assert {"generator/templates/grader.tex.j2", "generator/templates/appendix.tex.j2"} <= names
    assert "generator/locale/de/LC_MESSAGES/examgen.po" in names
    assert not any("__pycache__" in n for n in names)
    assert wheel.stat().st_size < WHEEL_LIMIT


def test_installed_package_is_the_wheel(installed):
    where = _run(installed["python"], "-c", "import generator, generator.resources as r; "
                 "print(generator.__file__); print(r.templates()); print(r.builtin_bank())",
                 cwd=installed["base"]).stdout.split()
    venv_folder = installed["base"] / "venv"
    assert all(Path(p).is_relative_to(venv_folder) for p in where), where
    assert not any(Path(p).is_relative_to(ROOT) for p in where)


@needs_tex
def test_catalogs_from_the_wheel(installed):
    said = _run(installed["python"], "-c", "from generator import i18n; print(i18n.gettext('de')('Student ID:'))",
                cwd=installed["base"]).stdout.strip()
    assert said == "Matrikelnummer:"


def test_list_build_verify_from_elsewhere(installed, tmp_path):
    examgen = installed["examgen"]
    listed = _run(examgen, "list", cwd=tmp_path).stdout
    assert listed.strip().endswith(f"{len(BUILTIN)} problems ({len(BUILTIN)} built-in)")
    assert "cnn/conv-layer-cost" in listed and "probability/prior-shift" in listed

    spec = tmp_path / "seminar.yaml"
    shutil.copy(ROOT / "exams" / "dl-ss2021-seminar5.yaml", spec)
    _run(examgen, "build", spec, "--variants", "2", "--out", tmp_path / "out", cwd=tmp_path)
    for key in ("001", "002"):
        for sheet in ("exam", "solutions"):
            pdf = tmp_path / "out" / "variants" / key / f"{sheet}.pdf"
            assert pdf.read_bytes().startswith(b"%PDF")
    key = json.loads((tmp_path / "out" / "key.json").read_text(encoding="utf-8"))
    ids = [p["id"] for p in key["variants"][0]["problems"]]
    assert ids[:3] == ["optimization/bn-weight-decay", "optimization/trust-region",
                       "adversarial/fgsm-linear-classifier"]
    assert {p["bank"] for v in key["variants"] for p in v["problems"]} == {"built-in"}

    verified = _run(examgen, "verify", "cnn/conv-layer-cost", "probability/prior-shift", "--seeds", "10",
                    cwd=tmp_path).stdout
    assert "20 instances of 2 problems, 0 failures" in verified

    # the source sheet's instance of conv-layer-cost (exam-weight-decay-backprop-conv.md, question 2)
    pins = '{"H": 48, "W": 64, "C_in": 10, "k": 3, "C_out": 20, "stride": 1, "pad": 0}'
    shown = json.loads(_run(examgen, "show", "conv-layer-cost", "--params", pins, "--json", cwd=tmp_path).stdout)
    assert shown["answers"]["out_shape"] == [46, 62, 20] and shown["answers"]["mults"] == 5_133_600

    if shutil.which("pandoc"):
        _run(examgen, "practice", "cnn", "--seed", "2", "--no-pdf", "--variants", "2", "--out", tmp_path / "pr",
             cwd=tmp_path)
        page = (tmp_path / "pr" / "index.html").read_text(encoding="utf-8")
        assert "cnn/conv-layer-cost" in page and "cnn/receptive-field" in page


@needs_tex
def test_course_repository_with_the_wheel(installed, tmp_path):
    """examgen init + examgen new + verify + build, as the course README says."""
    examgen = installed["examgen"]
    course = tmp_path / "course"
    _run(examgen, "init", course, cwd=tmp_path)
    assert (course / "exams" / "example.yaml").is_file()
    assert (course / ".gitignore").read_text(encoding="utf-8").startswith("# examgen writes")
    assert (course / ".github" / "workflows" / "exams.yml").is_file()
    assert (course / "problems" / "layers" / "dense-layer-cost" / "snapshots" / "seeds.json").is_file()

    created = _run(examgen, "new", "attention/softmax-cost", cwd=course).stdout
    folder = course / "problems" / "attention" / "softmax-cost"
    assert str(Path("problems/attention/softmax-cost")) in created
    assert {p.name for p in folder.iterdir()} >= {"problem.py", "question.tex.j2", "solution.tex.j2",
                                                   "test_problem.py", "snapshots"}
    listed = _run(examgen, "list", cwd=course).stdout
    assert "attention/softmax-cost" in listed and f"{len(BUILTIN) + 2} problems ({len(BUILTIN)} built-in, 2 from added banks)" in listed
    verified = _run(examgen, "verify", "attention/softmax-cost", "--seeds", "30", cwd=course).stdout
    assert "30 instances of 1 problems, 0 failures" in verified

    # the new problem in the example exam, beside the built-in ones
    spec = course / "exams" / "example.yaml"
    spec.write_text(spec.read_text(encoding="utf-8") + "  - id: attention/softmax-cost\n", encoding="utf-8")
    _run(examgen, "build", "exams/example.yaml", cwd=course)
    out = course / "output" / "example"
    assert (out / "variants" / "001" / "exam.pdf").read_bytes().startswith(b"%PDF")
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    problems = key["variants"][0]["problems"]
    assert [p["id"] for p in problems] == ["cnn/conv-layer-cost", "layers/dense-layer-cost",
                                           "probability/prior-shift", "attention/softmax-cost"]
    local = [p for p in problems if p["id"] in ("layers/dense-layer-cost", "attention/softmax-cost")]
    assert {p["bank"] for p in local} == {str((course / "problems").resolve())}
    dense = local[0]
    # the exemplar's answers, recomputed from the key's own parameters
    p = dense["params"]
    assert dense["answers"]["mults"] == p["batch"] * p["n_in"] * p["n_out"]
    assert dense["answers"]["params"] == p["n_in"] * p["n_out"] + (p["n_out"] if p["bias"] else 0)

    # grading from another folder finds the local problem through the key's "bank"
    answers = dense["answers"]
    responses = tmp_path / "responses.csv"
    responses.write_text("student,slot,field,value\n"
                         f"1,2,out_shape,\"{answers['out_shape']}\"\n1,2,params,{answers['params']}\n"
                         f"1,2,mults,{answers['mults'] + 1}\n", encoding="utf-8")
    _run(examgen, "grade", out / "key.json", responses, "--out", tmp_path / "graded", cwd=tmp_path)
    scores = (tmp_path / "graded" / "scores.csv").read_text(encoding="utf-8-sig").splitlines()
    header, row = scores[0].split(","), scores[1].split(",")
    assert dict(zip(header, row, strict=True))["slot 2"] == "5"   # shape 2 + params 3; mults off by one

    # the bank's own tests, with the installed package (pytest from this environment)
    tests = _run(installed["python"], "-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=course)
    assert "6 passed" in tests.stdout


def test_every_engine_package_is_listed_for_the_wheel():
    """pyproject lists packages by name (the bank and templates are mapped in): a new
    subpackage of generator/ must be added there, or the wheel lacks it."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "generator").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages"
    assert {"generator.templates", "generator.problem_bank"} <= listed
