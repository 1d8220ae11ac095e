"""Template environment, formatting filters and escaping of user text."""

from __future__ import annotations

import pytest

from generator.answers import Exact
from generator.errors import ExamgenError
from generator.render import (
    approx,
    environment,
    exact_approx,
    frac,
    mat,
    num,
    paren,
    signed,
    text,
    tup,
    vec,
)


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
