"""The answer-type registry: each type's reading, comparison and printing on edge cases,
and the rule that no module outside generator/answers/ switches on a type name."""

from __future__ import annotations

import math
import re

import pytest

from generator.answers import REGISTRY, Alternative, Answer, Unreadable, answer_type, matches
from generator.answers.base import cloze_answer_read, cloze_text, flatten, structure
from generator.answers.reading import formulas_equal, parse_formula, read_number
from tests.conftest import ROOT
from tests.reading_cases import NUMBER_CASES


def parse(kind: str, text: str, **declared):
    answer = Answer("f", kind, **declared)
    return answer.kind.parse(answer, text)


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize(("text", "whole", "value"), NUMBER_CASES)
def test_one_number_rule(text, whole, value):
    if value is None:
        with pytest.raises(Unreadable):
            read_number(text, whole)
    else:
        assert read_number(text, whole) == pytest.approx(value)


def test_refusals_say_why():
    with pytest.raises(Unreadable, match="could mean 1.500 or 1500"):
        read_number("1,500")
    with pytest.raises(Unreadable, match="comma"):
        read_number("1,5")
    with pytest.raises(Unreadable, match="several numbers"):
        read_number("-1 -2")
    with pytest.raises(Unreadable, match="two decimal points"):
        read_number("1.2.3")


def test_int_and_real_readings():
    assert parse("int", "5,133,600") == 5133600 and isinstance(parse("int", "46"), int)
    assert parse("real", "1/4") == 0.25
    int_answer = Answer("n", "int")
    assert matches(int_answer, 46, 46.0) and not matches(int_answer, 46, 46.5)
    assert not matches(int_answer, 1, True)            # a bool is not a number


# ---------------------------------------------------------------- lists

@pytest.mark.parametrize(("kind", "text", "value"), [
    ("vector", "[0.5, -1, 2]", [0.5, -1, 2]),
    ("vector", "(0.5, -1, 2)", [0.5, -1, 2]),
    ("vector", "0.5, -1, 2", [0.5, -1, 2]),
    ("vector", "[0.5 -1 2]", [0.5, -1, 2]),
    ("vector", "-1 -2", [-1, -2]),
    ("vector", "[1/4, sqrt(2)/2]", [0.25, 2 ** 0.5 / 2]),
    ("vector", "[ (1+1)/4 ,  -3 ]", [0.5, -3]),
    ("vector", "[]", []),
    ("shape", "46, 62, 20", [46, 62, 20]),
    ("shape", "[46 62 20]", [46, 62, 20]),
    ("matrix", "[[1, 2], [3, 4]]", [[1, 2], [3, 4]]),
    ("matrix", "[[1 2] [3 4]]", [[1, 2], [3, 4]]),
    ("matrix", "((1, 2), (3, 4))", [[1, 2], [3, 4]]),
    ("matrices", "[[[1, 0], [0, 1]]]", [[[1, 0], [0, 1]]]),
    ("bools", "[true, false, true]", [True, False, True]),
    ("bools", "true false true", [True, False, True]),
    ("bools", "T, F", [True, False]),
])
def test_lists(kind, text, value):
    got = parse(kind, text)
    if kind == "bools":
        assert got == value
    else:
        assert structure(got) == structure(value) and flatten(got) == pytest.approx(flatten(value))


@pytest.mark.parametrize(("kind", "text"), [
    ("vector", "[1, , 2]"), ("vector", "[1, 2,]"), ("vector", "[1, two]"), ("matrix", "[1, 2]"),
    ("shape", "8x10x4"), ("matrix", "[[1, 2], [3, 4]"), ("bools", "[true, maybe]"), ("vector", "[[1], [2]]"),
])
def test_lists_refused(kind, text):
    with pytest.raises(Unreadable):
        parse(kind, text)


def test_list_comparison_needs_the_same_structure():
    vector = Answer("v", "vector", atol=0.01)
    assert matches(vector, [1.0, 2.0], [1.005, 1.995])
    assert not matches(vector, [1.0, 2.0], [1.0])
    assert not matches(vector, [1.0, 2.0], [[1.0, 2.0]])
    bools = Answer("b", "bools")
    assert matches(bools, [True, False], [True, False]) and not matches(bools, [True, False], [True, True])
    assert not matches(bools, [True, False], "[true, false]")     # text is read first, never compared


# ---------------------------------------------------------------- formulas

def test_formulas_equal_numerically():
    assert formulas_equal("2*lam*w", "2 w lambda", ["lam", "w"])       # lambda is lam; implicit products
    assert not formulas_equal("lam*w", "lam^2*w", ["lam", "w"])
    assert formulas_equal("O(n*m*K)", "O(K*m*n)", ["n", "m", "K"])
    assert not formulas_equal("O(n*m*K)", "O(n*m)", ["n", "m", "K"])
    assert formulas_equal("sigmoid(logit(x0) - eps*g)", "1/(1 + exp(-(log(x0/(1 - x0)) - eps*g)))",
                          ["x0", "g", "eps"])
    assert formulas_equal("-d/sigma + r**2/sigma**3", "(r^2 - d*sigma^2)/sigma^3", ["sigma", "d", "r"])


def test_expression_input_is_bounded():
    expr = Answer("f", "expr", symbols=("x",))
    for hostile in ("(" * 13 + "x" + ")" * 13, "x+" * 200 + "x", "9^9^9^9", "__import__('os')", "x.real",
                    "exit()", "y + x"):
        with pytest.raises(Unreadable):
            expr.kind.parse(expr, hostile)
    # Deep but legal nesting is evaluated in floating point: it overflows, it does not hang.
    deep = "exp(" * 12 + "x" + ")" * 12
    assert expr.kind.parse(expr, "exp(exp(exp(x)))") == "exp(exp(exp(x)))"
    with pytest.raises(Unreadable, match="finite"):
        expr.kind.parse(expr, deep)
    assert not matches(expr, "x", "exp(exp(exp(exp(exp(x)))))")


def test_the_key_answer_O_is_read():
    """Regression: online-kmeans' key answer O(n*m*K) was 'unknown name O' in grade."""
    answer = Answer("epoch_cost", "expr", symbols=("n", "m", "K"))
    text = answer.kind.parse(answer, "O(n*m*K)")
    assert matches(answer, "O(n*m*K)", text)
    assert not matches(answer, "O(n*m*K)", answer.kind.parse(answer, "O(n*m)"))


def test_the_key_answer_of_bools_is_read():
    """Regression: prior-shift's `changed` [false, true, true] had no reading in grade."""
    answer = Answer("changed", "bools")
    text = answer.kind.csv_text([False, True, True])
    assert text == "[false, true, true]"
    assert matches(answer, [False, True, True], answer.kind.parse(answer, text))


def test_parse_formula_trees():
    assert parse_formula("2 x") == ("*", ("num", 2.0), ("name", "x"))
    assert parse_formula("lambda") == ("name", "lam")
    with pytest.raises(Unreadable, match="two numbers"):
        parse_formula("2 3")


# ---------------------------------------------------------------- printing

def test_printing():
    assert answer_type("real").csv_text(0.5) == "0.5"
    assert answer_type("int").csv_text(5133600) == "5133600"
    assert answer_type("bools").csv_text([True, False]) == "[true, false]"
    assert answer_type("expr").csv_text("lam*w") == "lam*w"
    assert answer_type("matrix").csv_text([[1.5, 2], [3, 4]]) == "[[1.5, 2], [3, 4]]"
    assert answer_type("real").show(1 / 3) == "0.3333333333"
    assert answer_type("bool").show(True) == "true"
    assert answer_type("vector").count_note([1, 2, 3], "[1, 2]") == " (the key has 3 entries, your answer 2)"
    assert answer_type("int").tolerance_text(3, None) == "must match exactly"
    assert "0.06" in answer_type("real").tolerance_text(2.5, {"atol": 0.01, "rtol": 0.02})
    assert "atol 0.01" in answer_type("vector").tolerance_text([2.5], {"atol": 0.01, "rtol": 0.02})


def test_every_type_has_help_and_a_page_comparison():
    for name, kind in REGISTRY.items():
        assert kind.how_to_write and kind.name == name
        if kind.graded:
            assert kind.page_check(Answer("f", name))["compare"] in ("close", "whole", "word", "formula")


# ---------------------------------------------------------------- Moodle

@pytest.mark.parametrize("text", ["(-eps*g + theta_t)/(2*eps*lam + 1)", "-d/sigma + r**2/sigma**3",
                                  'a}b#c~"d\\e<f&', "x / y"])
def test_cloze_text_reads_back_as_moodle_reads_it(text):
    for wildcard in (False, True):
        written = cloze_text(text, wildcard)
        assert cloze_answer_read(written, wildcard) == text
        assert not re.search(r"\\[/\"~]", written) and "~" not in written


def test_moodle_alternatives_are_full_credit_answers():
    answer = Answer("adds", "int", alternatives=(Alternative("adds_sheet", "the sheet's"),))
    blank = answer.kind.moodle_subquestion(answer, 5133600, 2, [(5133620, "the sheet's")])
    assert blank.startswith("{2:NUMERICAL:=5133600:0~=5133620:0#") and "sheet" in blank
    real = Answer("r", "real", atol=0.01, rtol=0.0)
    assert real.kind.moodle_subquestion(real, 0.5, 1) == "{1:NUMERICAL:=0.5:0.010000001}"


# ---------------------------------------------------------------- no type names outside the registry

TYPE_NAME = "|".join(sorted(REGISTRY, key=len, reverse=True))
COMPARISONS = [
    re.compile(rf"""(==|!=|===|!==)\s*["']({TYPE_NAME})["']"""),
    re.compile(rf"""["']({TYPE_NAME})["']\s*(==|!=|===|!==)"""),
    re.compile(rf"""\bin\s*[(\[{{]\s*["']({TYPE_NAME})["']\s*,"""),
    re.compile(rf"""\bcase\s+["']({TYPE_NAME})["']"""),
    re.compile(rf"""[{{,]\s*["']({TYPE_NAME})["']\s*:\s*["'](write|must)"""),   # per-type tables
]


def test_no_module_outside_the_registry_compares_a_type_name():
    sources = [p for folder in ("generator", "templates") for p in (ROOT / folder).rglob("*")
               if p.suffix in (".py", ".js", ".j2") and "answers" not in p.relative_to(ROOT).parts[:2]]
    assert len(sources) > 20
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in sources
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if any(pattern.search(line) for pattern in COMPARISONS)]
    assert found == []


def test_the_scan_finds_what_it_looks_for(tmp_path):
    lines = ['if kind == "real":', "if answer.type in ('vector', 'shape'):", "if (type === 'expr') {",
             'if "bools" != kind:']
    assert all(any(p.search(line) for p in COMPARISONS) for line in lines)
    assert not any(p.search('Part("shape", points=3)') for p in COMPARISONS)


def test_close_is_inclusive_at_the_edge():
    assert answer_type("real").matches(Answer("r", "real", atol=0.1), 0.3, 0.4, 0.1, 0.0)
    assert not math.isnan(0.0)
