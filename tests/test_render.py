"""Template environment, formatting filters and escaping of user text."""

from __future__ import annotations

import pytest

from generator import bank
from generator.answers import Exact
from generator.bank import Bank
from generator.documents import problem_tex
from generator.errors import ExamgenError
from generator.instance import draw_instance
from generator.markers import END_LABEL, MARKER, context
from generator.render import (
    RenderedPart,
    RenderedProblem,
    approx,
    environment,
    exact_approx,
    frac,
    mat,
    num,
    paren,
    render_problem,
    render_template,
    signed,
    text,
    tup,
    vec,
)
from generator.seeds import Sampler


@pytest.mark.parametrize("value, expected", [
    (0, "0"), (7, "7"), (-12, "-12"), (1820, "1820"), (57040, r"57\,040"), (5133600, r"5\,133\,600"),
    (0.15, "0.15"), (2.5, "2.5"), (3.0, "3"), (-0.25, "-0.25"), (1e-7, "0.0000001"), (-0.0, "0"),
    (0.1 + 0.2, "0.30000000000000004"),  # printed exactly as the solver holds it, never rounded silently
])
def test_num(value, expected):
    assert num(value) == expected


def test_num_with_digits_and_approx():
    assert num(2 / 3, 4) == "0.6667"
    assert num(0.5, 4) == "0.5"
    assert approx(0.25) == "= 0.25"
    assert approx(1 / 3) == r"\approx 0.3333"


def test_fractions_and_exact_values():
    assert frac(0.75) == r"\frac{3}{4}"
    assert frac(-1.5) == r"-\frac{3}{2}"
    assert frac(4) == "4"
    root = Exact("sqrt(2)/2", r"\frac{\sqrt{2}}{2}", 0.7071067811865476)
    assert frac(root) == r"\frac{\sqrt{2}}{2}"
    assert exact_approx(root) == r"\frac{\sqrt{2}}{2} \approx 0.7071"
    assert exact_approx(0.5) == "0.5"


def test_vectors_and_matrices():
    assert vec([1, -2, 0.5]) == r"\begin{bmatrix}1 \\ -2 \\ 0.5\end{bmatrix}"
    assert tup([46, 62, 20]) == r"\left(46, 62, 20\right)"
    assert mat([[1, 2], [3, 4.5]]) == r"\begin{bmatrix}1 & 2 \\ 3 & 4.5\end{bmatrix}"
    assert signed(-3) == "- 3" and signed(2.5) == "+ 2.5"
    assert paren(-3) == r"\left(-3\right)" and paren(3) == "3"


@pytest.mark.parametrize("raw, expected", [
    ("O'Brien & Co. \\textbf{x} 50%", r"O\textquotesingle{}Brien \& Co. \textbackslash{}textbf\{x\} 50\%"),
    ("Zoë Łukasiewicz", "Zoë Łukasiewicz"),
    ("\\input{/etc/passwd}", r"\textbackslash{}input\{/etc/passwd\}"),
    ("a_b #1 $x$ ~ ^", r"a\_b \#1 \$x\$ \textasciitilde{} \textasciicircum{}"),
    ("`q` ,, << >>", r"\textasciigrave{}q\textasciigrave{} ,{}, <{}< >{}>"),
    ("first paragraph\nsame one\n\nsecond", "first paragraph same one\n\nsecond"),
])
def test_text_escapes_user_text(raw, expected):
    assert text(raw) == expected


def test_delimiters_leave_latex_alone():
    env = environment()
    source = "%% a LaTeX comment line\n\\frac{a}{b} {{ x }} {% raw %}\n\\VAR{v|num}\n\\BLOCK{if True}\nyes\n\\BLOCK{endif}\n"
    assert env.from_string(source).render(v=0.5) == "%% a LaTeX comment line\n\\frac{a}{b} {{ x }} {% raw %}\n0.5\nyes\n"


def test_undefined_names_are_errors_naming_the_template(tmp_path):
    from generator.render import render_template

    with pytest.raises(ExamgenError) as caught:
        render_template("cnn/conv-layer-cost/question.tex.j2", {"p": {}, "s": {}, "part": None, "label": {}})
    assert "question.tex.j2" in str(caught.value)


# ---------------------------------------------------------------- structured rendering

STRUCTURE_SEEDS = (0, 3, 7)


@pytest.mark.parametrize("problem_id", bank.ids())
def test_each_problem_renders_to_the_parts_it_declares(problem_id):
    problem = bank.load(problem_id)
    declared = [part.name for part in problem.parts]
    space = {part.name: part.space for part in problem.parts}
    for seed in STRUCTURE_SEEDS:
        instance = draw_instance(problem, Sampler(seed, problem_id))
        points = {part.name: float(part.points) for part in problem.parts}
        rendered = render_problem(problem_id, instance.params, instance.values, points, space)
        assert [p.name for p in rendered.parts] == declared, seed
        assert [p.points for p in rendered.parts] == [float(p.points) for p in problem.parts]
        assert [p.label for p in rendered.parts] == list("abcdefghijklmnop"[: len(declared)])
        assert [p.space for p in rendered.parts] == [space[n] for n in declared]
        for part in rendered.parts:
            assert part.text and part.solution, (seed, part.name)
            # The structure holds the problem's own LaTeX, none of the sheet's exam-class markup.
            assert not any(mark in part.text + part.solution + rendered.intro
                           for mark in (r"\part[", r"\answerspace", r"\examgenpart", "begin{solution}",
                                        "begin{parts}", MARKER))
    # A slot asking fewer parts, with its own points: only those, labelled afresh.
    asked = {declared[-1]: 2.5} if len(declared) > 1 else {declared[0]: 2.5}
    rendered = render_problem(problem_id, instance.params, instance.values, asked, space)
    assert [(p.name, p.label, p.points) for p in rendered.parts] == [(next(iter(asked)), "a", 2.5)]


def test_the_sheet_layout_puts_the_parts_into_exam_class_markup():
    problem = RenderedProblem("cnn/demo", "Intro.", (
        RenderedPart("x", "a", 2.0, "3cm", "First?", "Because."),
        RenderedPart("y", "b", 1.5, "2cm", "Second?", "So."),
    ), "", "General.")
    assert problem_tex(problem, False) == (
        "Intro.\n\\begin{parts}\n\\examgenpart{3cm}\n\\part[2] First?\n\\answerspace{3cm}\n"
        "\\examgenpart{2cm}\n\\part[1.5] Second?\n\\answerspace{2cm}\n\\end{parts}")
    solved = problem_tex(problem, True)
    assert solved.count("\\begin{solution}\nBecause.\n\\end{solution}") == 1
    assert f"{MARKER} template=solution.tex.j2\n\\begin{{solution}}\nSo." in solved
    assert "\\examgenpart{0pt}\n\\part[1.5] Second?" in solved and "answerspace" not in solved


def _bank_with(tmp_path, question: str):
    folder = tmp_path / "t" / "p"
    folder.mkdir(parents=True)
    (folder / "question.tex.j2").write_text(question, encoding="utf-8")
    (folder / "solution.tex.j2").write_text("\\BLOCK{call part('a')}Sol.\\BLOCK{endcall}\n", encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("question, message", [
    ("Intro.\n\\BLOCK{call part('a')}A?\\BLOCK{endcall}\n", "not inside one"),
    ("\\begin{parts}\n\\BLOCK{call part('a')}A?\\BLOCK{endcall}\nStray text.\n"
     "\\BLOCK{call part('b')}B?\\BLOCK{endcall}\n\\end{parts}\n", "text between its parts"),
    ("\\begin{parts}\n\\BLOCK{call part('b')}B?\\BLOCK{endcall}\n\\end{parts}\n", "no part 'a'"),
])
def test_a_statement_that_breaks_the_parts_contract_is_one_clear_error(tmp_path, question, message):
    folder = _bank_with(tmp_path, question)
    with pytest.raises(ExamgenError, match=message) as caught:
        render_problem("t/p", {}, {}, {"a": 1.0, "b": 1.0} if "part('b')" in question else {"a": 1.0},
                       {"a": "1cm", "b": "1cm"}, bank=Bank((folder,)))
    assert "t/p/question.tex.j2" in str(caught.value)


def test_markers_reach_the_sheets_and_the_build_reads_them():
    from generator.build import trace_line

    plan_tex = render_template("sheet.tex.j2", {
        "exam": {"title": "T", "course": "C", "date": "D", "instructions": "", "seed": 1, "pad_to": 2},
        "names": context(),
        "variants": [{"key": "007", "slots": [{"number": 1, "problem_id": "cnn/demo", "title": "Demo", "points": 3.5,
                                               "newpage": False,
                                               "problem": RenderedProblem("cnn/demo", "Intro.", (
                                                   RenderedPart("x", "a", 3.5, "1cm", "Q?", "S."),), "", "")}]}],
    })
    assert f"\\pageref{{{END_LABEL}-1}}" in plan_tex and f"\\newlabel{{{END_LABEL}-#1}}" in plan_tex
    line = plan_tex.splitlines().index("\\part[3.5] Q?") + 1
    assert trace_line(plan_tex, line) == "variant 007, slot 1, problem_bank/cnn/demo/question.tex.j2"
