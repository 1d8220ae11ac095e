"""Property-based tests: random specs (valid ones plan and render, invalid ones give one clean
error) and random seeds (every sampled instance satisfies its constraints and renders)."""

from __future__ import annotations

import string

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import bank, usertext
from generator.errors import ExamgenError
from generator.instance import draw_instance
from generator.render import render_problem
from generator.seeds import Sampler
from generator.spec import load_spec

PROBLEMS = bank.ids()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Text the sheets print (generator.usertext); other characters are refused (tests/test_input_validation.py).
free_text = st.text(st.sampled_from(sorted(usertext.PRINTABLE)), max_size=40)
dates = st.dates().map(lambda d: d.isoformat()) | st.just("")
problem_entry = st.fixed_dictionaries(
    {"id": st.sampled_from(PROBLEMS)},
    optional={"points": st.integers(1, 30) | st.floats(0.5, 30, allow_nan=False).map(lambda x: round(x * 2) / 2)},
)
valid_spec = st.fixed_dictionaries(
    {"title": free_text.filter(lambda t: t.strip() != ""), "seed": st.integers(0, 2**62),
     "problems": st.lists(problem_entry, min_size=1, max_size=3)},
    optional={"course": free_text, "date": dates, "instructions": free_text, "variants": st.integers(1, 3)},
)


def _write(tmp_path, data) -> str:
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return str(path)


@SETTINGS
@given(data=valid_spec)
def test_valid_specs_plan_and_render(tmp_path, data):
    from generator.documents import render_sheet
    from generator.pipeline import prepare
    from generator.plan import make_plan

    path = _write(tmp_path, data)
    plan = make_plan(*load_spec(path), path, variants=1)
    assert [s.problem_id for s in plan.slots] == [p["id"] for p in data["problems"]]
    ((variant, contexts),) = prepare(plan, jobs=1)
    for sheet in ("exam", "solutions"):
        tex = render_sheet(plan, [contexts[sheet]], sheet)
        assert tex.count("\\question ") == len(data["problems"])
        assert r"\end{document}" in tex


mutations = st.sampled_from(["drop-title", "drop-seed", "drop-problems", "unknown-field", "bad-seed",
                             "bad-variants", "bad-points", "bad-id", "empty-problems", "bad-param"])


@SETTINGS
@given(data=valid_spec, mutation=mutations, junk=st.text(string.ascii_letters, min_size=1, max_size=8))
def test_invalid_specs_give_one_clean_error(tmp_path, data, mutation, junk):
    from generator.plan import make_plan

    data = dict(data)
    first = dict(data["problems"][0])
    if mutation == "drop-title":
        del data["title"]
    elif mutation == "drop-seed":
        del data["seed"]
    elif mutation == "drop-problems":
        del data["problems"]
    elif mutation == "unknown-field":
        data["x_" + junk] = 1
    elif mutation == "bad-seed":
        data["seed"] = -1 - len(junk)
    elif mutation == "bad-variants":
        data["variants"] = 0
    elif mutation == "bad-points":
        first["points"] = -len(junk)
    elif mutation == "bad-id":
        first["id"] = "nope/" + junk
    elif mutation == "empty-problems":
        data["problems"] = []
    elif mutation == "bad-param":
        first["params"] = {"zz_" + junk: 1}
    if "problems" in data and data["problems"]:
        data["problems"] = [first, *data["problems"][1:]]
    path = _write(tmp_path, data)
    try:
        make_plan(*load_spec(path), path)
    except ExamgenError as error:
        line = str(error)
        assert "\n" not in line and "spec.yaml" in line
    else:
        raise AssertionError(f"{mutation} was accepted")


@SETTINGS
@given(text=st.text(max_size=200))
def test_arbitrary_text_is_a_spec_or_a_clean_error(tmp_path, text):
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_spec(path)
    except ExamgenError as error:
        assert "\n" not in str(error)


@settings(max_examples=25, deadline=None)
@given(problem_id=st.sampled_from(PROBLEMS), seed=st.integers(0, 2**52 - 1))
def test_every_sampled_instance_satisfies_constraints_and_renders(problem_id, seed):
    problem = bank.load(problem_id)
    instance = draw_instance(problem, Sampler(seed, problem.id))
    for constraint in problem.constraints:
        assert constraint.holds(instance.params), constraint.text
    for param in problem.params:
        assert param.problem_with(instance.params[param.name], instance.params) is None
    rendered = render_problem(problem.id, instance.params, instance.values,
                              {p.name: p.points for p in problem.parts}, {p.name: p.space for p in problem.parts})
    assert [part.name for part in rendered.parts] == [p.name for p in problem.parts]
    assert all(rendered.solutions.values())
