"""The jinja2 environment for LaTeX, its filters, and rendering of problem templates.

Delimiters are LaTeX-looking and cannot collide with maths: `\\VAR{x}`, `\\BLOCK{for ...}`,
`\\#{comment}`. There is no line-statement prefix (one would eat `%%` comment lines);
undefined names are errors (StrictUndefined); block tags leave no blank lines
(trim_blocks, lstrip_blocks), since a blank line is a paragraph break in LaTeX.

Filters *format* values (numbers, vectors, matrices, sympy expressions); `text` *escapes*
user text. The two are kept apart: escaping `x^2` for text mode gives `x\\^{}2`.
Templates compute nothing: every number they show comes from `solve`.

A problem's templates see `p` (the parameters), `s` (everything `solve` returned) and
`part`, used as a call block around each part:

    \\BLOCK{call part('shape')}What is the shape of $Z$?\\BLOCK{endcall}

In `question.tex.j2` that prints `\\part[points]` and the text (only for the parts the
exam includes); in `solution.tex.j2` it files the text as that part's worked solution,
which the solutions sheet prints under the part.
"""

from __future__ import annotations

import math
import re
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

import jinja2

from generator import resources
from generator.answers import Exact
from generator.bank import Bank, builtin
from generator.errors import ExamgenError

TEMPLATES = resources.templates()


# ---------------------------------------------------------------- number formatting

def _positional(value: float) -> str:
    """The shortest decimal that reads back as `value`, never in scientific notation."""
    text = format(Decimal(repr(float(value))), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _group(digits: str) -> str:
    """Thin-space thousands grouping for long integers: 5\\,133\\,600."""
    sign = "-" if digits.startswith("-") else ""
    digits = digits.lstrip("-")
    if len(digits) <= 4:
        return sign + digits
    groups = []
    while digits:
        groups.append(digits[-3:])
        digits = digits[:-3]
    return sign + r"\,".join(reversed(groups))


def num(value: Any, digits: int | None = None) -> str:
    """A number for LaTeX maths: integers exactly (grouped), decimals without trailing noise.

    With `digits`, rounded to that many decimal places (trailing zeros dropped).
    """
    if isinstance(value, Exact):
        value = value.value
    if isinstance(value, bool):
        return r"\text{" + ("true" if value else "false") + "}"
    if isinstance(value, int):
        return _group(str(value))
    if isinstance(value, Fraction):
        value = float(value)
    value = float(value)
    if not math.isfinite(value):
        return r"\infty" if value > 0 else r"-\infty"
    if value.is_integer() and abs(value) < 1e15:
        return _group(str(int(value)))
    if digits is not None:
        value = round(value, digits)
        if value.is_integer():
            return _group(str(int(value)))
    return _positional(value)


def is_rounded(value: Any, digits: int) -> bool:
    """Whether printing `value` with `digits` places loses anything."""
    if isinstance(value, int):
        return False
    if isinstance(value, Exact):
        value = value.value
    return round(float(value), digits) != float(value)


def approx(value: Any, digits: int = 4) -> str:
    """`= 0.25` or `\\approx 0.3333`: the relation sign and the rounded number together."""
    sign = r"\approx" if is_rounded(value, digits) else "="
    return f"{sign} {num(value, digits)}"


def frac(value: Any) -> str:
    """A rational number as \\frac{p}{q} (an Exact value as its LaTeX)."""
    if isinstance(value, Exact):
        return value.tex()
    fraction = Fraction(value).limit_denominator(10_000) if isinstance(value, float) else Fraction(value)
    if fraction.denominator == 1:
        return _group(str(fraction.numerator))
    sign = "-" if fraction < 0 else ""
    return rf"{sign}\frac{{{abs(fraction.numerator)}}}{{{fraction.denominator}}}"


def exact(value: Any, digits: int | None = None) -> str:
    """An Exact value's LaTeX (e.g. \\frac{\\sqrt{2}}{3}); plain numbers as `num`."""
    if isinstance(value, Exact):
        return value.tex()
    if isinstance(value, str):
        return sym(value)
    return num(value, digits)


def exact_approx(value: Any, digits: int = 4) -> str:
    """`\\frac{\\sqrt{2}}{2} \\approx 0.7071` when the exact form says more than the decimal,
    else just the number."""
    if isinstance(value, Exact):
        return f"{value.tex()} {approx(value.value, digits)}"
    return num(value, digits)


def _cell(value: Any, digits: int | None) -> str:
    return exact(value) if isinstance(value, Exact) and digits is None else num(value, digits)


def vec(values: Iterable[Any], digits: int | None = None) -> str:
    """A column vector as a bmatrix."""
    return r"\begin{bmatrix}" + r" \\ ".join(_cell(v, digits) for v in values) + r"\end{bmatrix}"


def tup(values: Iterable[Any], digits: int | None = None) -> str:
    """A vector written inline: (1, -2, 0.5)."""
    return r"\left(" + ", ".join(_cell(v, digits) for v in values) + r"\right)"


def mat(rows: Iterable[Iterable[Any]], digits: int | None = None) -> str:
    """A matrix (list of rows) as a bmatrix."""
    body = r" \\ ".join(" & ".join(_cell(v, digits) for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def sym(value: Any) -> str:
    """A sympy expression (or its text) as LaTeX."""
    if isinstance(value, Exact):
        return value.tex()
    import sympy

    if isinstance(value, str):
        value = sympy.sympify(value)
    return sympy.latex(value)


def signed(value: Any, digits: int | None = None) -> str:
    """A term continuing a sum: `+ 3` or `- 3`."""
    number = float(value.value if isinstance(value, Exact) else value)
    return ("- " if number < 0 else "+ ") + num(abs(number) if not isinstance(value, int) else abs(value), digits)


def paren(value: Any, digits: int | None = None) -> str:
    """A factor in a product: negative numbers in parentheses, `(-3)`."""
    number = float(value.value if isinstance(value, Exact) else value)
    text = num(value, digits)
    return rf"\left({text}\right)" if number < 0 else text


def points(value: float) -> str:
    """Points as the exam class prints them: 2 or 2.5."""
    return num(float(value))


def text(value: Any) -> str:
    """User text (titles, names, instructions) escaped so that it prints literally."""
    from pylatex.utils import escape_latex

    if value is None:
        return ""
    paragraphs = [p.strip() for p in str(value).replace("\r\n", "\n").split("\n\n")]
    return "\n\n".join(_literal(str(escape_latex(" ".join(p.split("\n"))))) for p in paragraphs if p)


def _literal(escaped: str) -> str:
    """Characters that escaping leaves but the fonts would still change: ' and ` become curly
    quotes, ^ a circumflex accent, and ,, << >> ligatures (O'Brien must print as typed)."""
    out = escaped.replace("'", r"\textquotesingle{}").replace("`", r"\textasciigrave{}")
    out = out.replace(r"\^{}", r"\textasciicircum{}")
    return re.sub(r"([,<>])(?=\1)", r"\1{}", out)


def join_tex(values: Iterable[Any], sep: str = ", ") -> str:
    return sep.join(str(v) for v in values)


FILTERS = {
    "num": num, "approx": approx, "frac": frac, "exact": exact, "exact_approx": exact_approx,
    "vec": vec, "tup": tup, "mat": mat, "sym": sym, "signed": signed, "paren": paren,
    "points": points, "text": text, "join_tex": join_tex,
}


def environment(bank: Bank | None = None) -> jinja2.Environment:
    """The LaTeX environment: the sheets' templates, then every folder of `bank` (default:
    the built-in one), so `topic/name/question.tex.j2` finds the problem's own template."""
    return _environment(bank or builtin())


@cache
def _environment(bank: Bank) -> jinja2.Environment:
    env = jinja2.Environment(
        block_start_string=r"\BLOCK{",
        block_end_string="}",
        variable_start_string=r"\VAR{",
        variable_end_string="}",
        comment_start_string=r"\#{",
        comment_end_string="}",
        line_statement_prefix=None,
        line_comment_prefix=None,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        loader=jinja2.ChoiceLoader([
            jinja2.FileSystemLoader(str(TEMPLATES)),
            *(jinja2.FileSystemLoader(str(root)) for root in bank.roots),
        ]),
    )
    env.filters.update(FILTERS)
    env.tests["rounded"] = is_rounded
    return env


# ---------------------------------------------------------------- problem rendering

@dataclass(frozen=True)
class RenderedProblem:
    """A problem instance as LaTeX: the statement with its parts, and per-part solutions."""

    stem: str                      # question.tex.j2 for the exam sheet
    stem_with_solutions: str       # the same, each part followed by its solution environment
    solutions: Mapping[str, str]   # part name -> worked solution
    general_solution: str          # solution text outside any part (figures, set-up)


def _template_error(error: Exception, fallback: str) -> ExamgenError:
    """A jinja2 error as one line naming the template file and line."""
    if isinstance(error, jinja2.TemplateSyntaxError):
        where = f"{error.filename or error.name or fallback}:{error.lineno}"
        return ExamgenError(f"template syntax error: {error.message}", where, "fix the template")
    where = fallback
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        if frame.filename.endswith(".j2"):
            where = f"{frame.filename}:{frame.lineno}"
            break
    return ExamgenError(f"template error: {type(error).__name__}: {error}", where, "fix the template")


def render_template(name: str, context: Mapping[str, Any], bank: Bank | None = None) -> str:
    env = environment(bank)
    try:
        return env.get_template(name).render(**context)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
        raise _template_error(error, name) from error


def render_problem(
    problem_id: str,
    params: Mapping[str, Any],
    values: Mapping[str, Any],
    part_points: Mapping[str, float],
    part_space: Mapping[str, str],
    bank: Bank | None = None,
) -> RenderedProblem:
    """Render a problem's two templates for the parts in `part_points` (in that order)."""
    labels = {name: chr(ord("a") + i) for i, name in enumerate(part_points)}
    solutions: dict[str, str] = {}

    def file_solution(name: str, caller) -> str:
        body = caller()
        if name in part_points:
            solutions[name] = body.strip()
        return ""

    question_name, solution_name = f"{problem_id}/question.tex.j2", f"{problem_id}/solution.tex.j2"
    general = render_template(solution_name, {"p": params, "s": values, "part": file_solution,
                                              "label": labels}, bank).strip()

    def make_part(with_solution: bool):
        def part(name: str, caller) -> str:
            body = caller().strip()
            if name not in part_points:
                return ""
            space = "0pt" if with_solution else part_space[name]
            head = rf"\examgenpart{{{space}}}" + "\n" + rf"\part[{points(part_points[name])}] {body}" + "\n"
            if with_solution:
                # The markers let a LaTeX error be traced to the template it came from.
                return (head + "% examgen: template=solution.tex.j2\n\\begin{solution}\n"
                        + solutions.get(name, "") + "\n\\end{solution}\n% examgen: template=question.tex.j2\n")
            return head + rf"\answerspace{{{part_space[name]}}}" + "\n"
        return part

    stems = [
        render_template(question_name, {"p": params, "s": values, "part": make_part(flag),
                                        "label": labels}, bank).strip()
        for flag in (False, True)
    ]
    return RenderedProblem(stems[0], stems[1], solutions, general)
