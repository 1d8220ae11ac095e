"""The shipped exam specs (exams/) and the CI example (examples/).

Every spec is built without PDFs and its key checked against the problem catalog's "Exam
sheets to reproduce": the problem ids per slot (written out here from the catalog and the
source sheets, not read from the specs), the conventions the sheets fix, and the demo's
points and problem count.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from tests.conftest import BUILTIN, ROOT, run_cli

WORKFLOW = ROOT / "examples" / "github-actions" / "build-exams.yml"

# Per spec: the problem id of each slot, in order (the catalog's list, in the sheet's order).
EXPECTED = {
    "dl-ss2021-seminar5": [
        "optimization/bn-weight-decay",           # assignment 1
        "optimization/trust-region",              # assignment 2 (a): the box
        "adversarial/fgsm-linear-classifier",     # assignment 2 (b)
        "optimization/proximal-l2",               # assignment 3
    ],
    "dl-ss2023-seminar5": [
        "cnn/receptive-field",                    # assignment 1
        "optimization/trust-region",              # assignment 2 (a): L2 ball
        "optimization/trust-region",              # assignment 2 (b): box
        "optimization/bn-weight-decay",           # assignment 3
        "optimization/mirror-descent-box",        # assignment 4, n = 1
    ],
    "regularization-sheet5": [
        "regularization/gradient-norm-bounds",
    ],
    "dl-assignments": [
        "probability/node-statistics",            # 1
        "backprop/backprop-shift-layer",          # 2
        "optimization/sgd-ema-prox",              # 3
        "adversarial/fgsm-linear-classifier",     # 4
        "probability/kl-cross-entropy",           # 5
        "optimization/prox-norm-regularizer",     # 6
        "probability/prior-shift",                # 7
        "clustering/online-kmeans",               # 8
        "backprop/backprop-normalized-linear",    # 9
        "probability/vae-decoder-variance",       # 10
        "optimization/mirror-descent-box",        # 11
    ],
    "dl-exam": [
        "regularization/weight-decay-step",
        "backprop/backprop-two-layer-sigmoid",
        "cnn/conv-layer-cost",
    ],
}

# Parameters the sheets fix, per spec: (slot number, parameter, value every variant must have).
CONVENTIONS = {
    "dl-ss2021-seminar5": [(2, "norm", "linf"), (4, "c_r", "lambda"), (4, "c_p", "1/eps")],
    "dl-ss2023-seminar5": [(2, "norm", "l2"), (3, "norm", "linf")],
    "dl-assignments": [(2, "m", 2)],
    "dl-exam": [(1, "c", 1), (3, "stride", 1), (3, "pad", 0)],
}

# The demo: a 90-minute exam, 90 points, six problems from every part of the bank.
DEMO_POINTS = 90
DEMO_PROBLEMS = 6
DEMO_VARIANTS = 4


def problem_ids(variant: dict) -> list[str]:
    return [p["id"] for p in variant["problems"]]


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> dict[str, dict]:
    """Every spec in exams/, built with --no-pdf; its key.json by spec name."""
    out = tmp_path_factory.mktemp("specs")
    built = {}
    for spec in sorted((ROOT / "exams").glob("*.yaml")):
        result = run_cli("build", str(spec), "--no-pdf", "--out", str(out / spec.stem))
        assert result.returncode == 0, f"{spec.name}: {result.stderr}"
        assert "warning" not in result.stderr.lower(), f"{spec.name}: {result.stderr}"
        built[spec.stem] = json.loads((out / spec.stem / "key.json").read_text(encoding="utf-8"))
    return built


def test_every_spec_is_accounted_for(keys):
    assert set(keys) == set(EXPECTED) | {"demo", "demo-choice", "dl-course-final"}


def test_the_course_final_draws_one_problem_per_topic(keys):
    # exams/dl-course-final.yaml: a 120-minute final, one problem from each lecture topic of the bank
    # (`concepts` holds short conceptual questions across the lectures, not a lecture of its own).
    key = keys["dl-course-final"]
    topics = sorted({problem_id.split("/")[0] for problem_id in BUILTIN} - {"concepts"})
    assert key["exam"]["total_points"] == 120
    for variant in key["variants"]:
        assert sorted(problem_id.split("/")[0] for problem_id in problem_ids(variant)) == topics


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sheet_spec_has_the_catalog_problems_per_slot(keys, name):
    key = keys[name]
    assert 2 <= len(key["variants"]) <= 3
    for variant in key["variants"]:
        assert problem_ids(variant) == EXPECTED[name], variant["key"]
        assert [p["slot"] for p in variant["problems"]] == list(range(1, len(EXPECTED[name]) + 1))
        assert sum(p["points"] for p in variant["problems"]) == key["exam"]["total_points"]


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
def test_sheet_conventions_are_pinned(keys, name):
    for variant in keys[name]["variants"]:
        for slot, param, value in CONVENTIONS[name]:
            assert variant["problems"][slot - 1]["params"][param] == value, (variant["key"], slot, param)


def test_seminar_2023_mirror_descent_is_one_dimensional(keys):
    for variant in keys["dl-ss2023-seminar5"]["variants"]:
        params = variant["problems"][4]["params"]
        assert len(params["x0"]) == 1
        assert len(params["c"] if params["f"] == "linear" else params["target"]) == 1


def test_exam_sheets_give_ten_points_per_question(keys):
    for variant in keys["dl-exam"]["variants"]:
        assert [p["points"] for p in variant["problems"]] == [10.0, 10.0, 10.0]
    assert keys["regularization-sheet5"]["exam"]["total_points"] == 100.0   # "5 x 20 P"


def test_demo_is_a_90_minute_exam_across_the_bank(keys):
    key = keys["demo"]
    assert key["exam"]["total_points"] == DEMO_POINTS
    assert len(key["variants"]) == DEMO_VARIANTS
    for variant in key["variants"]:
        ids = problem_ids(variant)
        assert len(ids) == DEMO_PROBLEMS
        assert len(set(ids)) == DEMO_PROBLEMS
        assert sum(p["points"] for p in variant["problems"]) == DEMO_POINTS
        topics = {i.split("/")[0] for i in ids}
        assert {"cnn", "backprop", "optimization", "regularization"} <= topics
        assert topics & {"probability", "clustering"}
        for problem in variant["problems"]:
            assert sum(part["points"] for part in problem["parts"].values()) == problem["points"]


def test_demo_builds_a_hundred_variants_without_warnings(tmp_path):
    """The speed benchmark builds 100 variants of the demo with --no-pdf."""
    result = run_cli("build", str(ROOT / "exams" / "demo.yaml"), "--variants", "100", "--no-pdf",
                     "--out", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.lower(), result.stderr
    key = json.loads((tmp_path / "demo" / "key.json").read_text(encoding="utf-8"))
    assert len(key["variants"]) == 100


# ---------------------------------------------------------------- the CI example

def test_workflow_yaml_parses_and_does_the_documented_steps():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict) and workflow["name"]
    triggers = workflow.get("on", workflow.get(True))   # YAML 1.1 reads the key `on` as true
    assert {"push", "pull_request", "workflow_dispatch"} <= set(triggers)
    job = workflow["jobs"]["build"]
    assert job["container"].startswith("debian:")
    steps = job["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    uses = [step["uses"] for step in steps if "uses" in step]
    assert any(u.startswith("actions/checkout@") for u in uses)
    assert sum(u.startswith("actions/upload-artifact@") for u in uses) == 2
    assert "TEX_PACKAGES" in runs and "make install" in runs
    assert ".venv/bin/examgen verify" in runs
    assert re.search(r"for spec in exams/\*\.yaml", runs) and ".venv/bin/examgen build" in runs
    uploaded = "\n".join(step["with"]["path"] for step in steps if "upload-artifact" in step.get("uses", ""))
    for name in ("all-exams.pdf", "all-solutions.pdf", "key.json"):
        assert name in uploaded


@pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is needed to read the Makefile")
def test_workflow_reads_the_makefiles_tex_packages():
    step = next(s for s in yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["build"]["steps"]
                if "TEX_PACKAGES" in s.get("run", ""))
    command = re.search(r'packages="\$\((.*)\)"', step["run"]).group(1)
    printed = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    declared = re.search(r"^TEX_PACKAGES\s*:?=\s*(.*)$", (ROOT / "Makefile").read_text(), re.M).group(1).split()
    assert printed == declared
    assert "texlive-latex-base" in printed


def test_examples_readme_and_main_readme_link():
    assert "github-actions/build-exams.yml" in (ROOT / "examples" / "README.md").read_text(encoding="utf-8")
    assert "examples/README.md" in (ROOT / "README.md").read_text(encoding="utf-8")
