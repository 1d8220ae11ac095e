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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from functools import cache
from typing import Any

import jinja2

from generator import i18n, resources
from generator.answers import Exact
from generator.bank import Bank, builtin
from generator.errors import ExamgenError
from generator.precision import DEFAULT as DEFAULT_PRECISION
from generator.precision import Precision

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


Digits = int | Precision | None


def places(value: float, digits: Digits, precision: Precision | None = None) -> int | None:
    """The decimal places a rounded print of `value` keeps: `digits` places (a Precision: its
    places for `value`), and never fewer than the exam's `precision` asks for, so a solution
    shows every answer at least as precisely as students must give it."""
    if digits is None:
        return None
    wanted = digits.places(value) if isinstance(digits, Precision) else int(digits)
    return max(wanted, precision.places(value)) if precision is not None else wanted


def num(value: Any, digits: Digits = None, precision: Precision | None = None) -> str:
    """A number for LaTeX maths: integers exactly (grouped), decimals without trailing noise.

    With `digits` (see `places`), rounded to that many decimal places; a value the rounding
    changes keeps its trailing zeros (0.9900), one it does not is printed as it is (0.5).
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
    digits = places(value, digits, precision)
    if digits is not None and round(value, digits) != value:
        text = f"{value:.{digits}f}"
        return text.lstrip("-") if float(text) == 0 else text
    return _positional(value)


def is_rounded(value: Any, digits: Digits, precision: Precision | None = None) -> bool:
    """Whether printing `value` with `digits` places (see `places`) loses anything."""
    if isinstance(value, int):
        return False
    if isinstance(value, Exact):
        value = value.value
    return round(float(value), places(float(value), digits, precision)) != float(value)


def approx(value: Any, digits: Digits = 4, precision: Precision | None = None) -> str:
    """`= 0.25` or `\\approx 0.3333`: the relation sign and the rounded number together."""
    sign = r"\approx" if is_rounded(value, digits, precision) else "="
    return f"{sign} {num(value, digits, precision)}"


def frac(value: Any) -> str:
    """A rational number as \\frac{p}{q} (an Exact value as its LaTeX)."""
    if isinstance(value, Exact):
        return value.tex()
    fraction = Fraction(value).limit_denominator(10_000) if isinstance(value, float) else Fraction(value)
    if fraction.denominator == 1:
        return _group(str(fraction.numerator))
    sign = "-" if fraction < 0 else ""
    return rf"{sign}\frac{{{abs(fraction.numerator)}}}{{{fraction.denominator}}}"


def exact(value: Any, digits: Digits = None, precision: Precision | None = None) -> str:
    """An Exact value's LaTeX (e.g. \\frac{\\sqrt{2}}{3}); plain numbers as `num`."""
    if isinstance(value, Exact):
        return value.tex()
    if isinstance(value, str):
        return sym(value)
    return num(value, digits, precision)


def exact_approx(value: Any, digits: Digits = 4, precision: Precision | None = None) -> str:
    """`\\frac{\\sqrt{2}}{2} \\approx 0.7071` when the exact form says more than the decimal,
    else just the number."""
    if isinstance(value, Exact):
        return f"{value.tex()} {approx(value.value, digits, precision)}"
    return num(value, digits, precision)


def _cell(value: Any, digits: Digits, precision: Precision | None = None) -> str:
    return exact(value) if isinstance(value, Exact) and digits is None else num(value, digits, precision)


def vec(values: Iterable[Any], digits: Digits = None, precision: Precision | None = None) -> str:
    """A column vector as a bmatrix."""
    return r"\begin{bmatrix}" + r" \\ ".join(_cell(v, digits, precision) for v in values) + r"\end{bmatrix}"


def tup(values: Iterable[Any], digits: Digits = None, precision: Precision | None = None,
        sep: str = ", ") -> str:
    """A vector written inline: (1, -2, 0.5); `sep` between the entries."""
    return r"\left(" + sep.join(_cell(v, digits, precision) for v in values) + r"\right)"


def upto(n: int, first: int = 1, symbol: str = "") -> str:
    """The range first, ..., n for LaTeX maths: short ranges listed in full (1, 2, 3), so a
    sheet never prints "1, \\dots, 2"; longer ones as first, dots, last. With a `symbol`
    such as "x_" or "w^", the indexed terms: x_{1}, x_{2}, x_{3}."""
    def term(k: int) -> str:
        return f"{symbol}{{{k}}}" if symbol else str(k)

    if n - first + 1 <= 4:
        return ", ".join(term(k) for k in range(first, n + 1))
    return rf"{term(first)}, \dots, {term(n)}"


def mat(rows: Iterable[Iterable[Any]], digits: Digits = None, precision: Precision | None = None) -> str:
    """A matrix (list of rows) as a bmatrix."""
    body = r" \\ ".join(" & ".join(_cell(v, digits, precision) for v in row) for row in rows)
    return r"\begin{bmatrix}" + body + r"\end{bmatrix}"


def sym(value: Any) -> str:
    """A sympy expression (or its text) as LaTeX."""
    if isinstance(value, Exact):
        return value.tex()
    import sympy

    if isinstance(value, str):
        value = sympy.sympify(value)
    return sympy.latex(value)


def signed(value: Any, digits: Digits = None, precision: Precision | None = None) -> str:
    """A term continuing a sum: `+ 3` or `- 3`."""
    number = float(value.value if isinstance(value, Exact) else value)
    return ("- " if number < 0 else "+ ") + num(abs(number) if not isinstance(value, int) else abs(value),
                                                digits, precision)


def paren(value: Any, digits: Digits = None, precision: Precision | None = None) -> str:
    """A factor in a product: negative numbers in parentheses, `(-3)`."""
    number = float(value.value if isinstance(value, Exact) else value)
    text = num(value, digits, precision)
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


def name(value: Any) -> str:
    """A person's name as `text` prints it, each right-to-left run (Arabic, Hebrew) set right to
    left (\\examgenrtl, defined by templates/fonts-unicode.tex.j2, which such a name brings in)."""
    from generator.usertext import RTL_RUN

    return RTL_RUN.sub(lambda m: r"\examgenrtl{" + m.group(0) + "}", text(value))


def join_tex(values: Iterable[Any], sep: str = ", ") -> str:
    return sep.join(str(v) for v in values)


def maths(value: Any) -> str:
    """LaTeX maths that Python built (a solver's expression, `\\max(0, w) + 0.5 \\max(0, -w)`), as
    it is: in a template's environment its numbers take the language's decimal separator."""
    return str(value)


FILTERS = {
    "num": num, "approx": approx, "frac": frac, "exact": exact, "exact_approx": exact_approx,
    "vec": vec, "tup": tup, "mat": mat, "sym": sym, "signed": signed, "paren": paren,
    "points": points, "text": text, "name": name, "join_tex": join_tex, "upto": upto, "maths": maths,
}
# Filters that round: in a template they take the exam's precision from the context (a
# problem's templates get `precision`), so `num(4)` prints at least 4 decimals and at least
# what the precision asks for, and `num(precision)` exactly what it asks for.
ROUNDING = ("num", "approx", "exact", "exact_approx", "vec", "tup", "mat", "signed", "paren")


def _at_precision(function):
    @jinja2.pass_context
    def at_precision(context, value, *args, **kwargs):
        return function(value, *args, precision=context.get("precision"), **kwargs)
    return at_precision


# Filters that print numbers: in a language with a decimal comma their output has it.
NUMBERS = ("num", "approx", "frac", "exact", "exact_approx", "vec", "tup", "mat", "sym", "signed",
           "paren", "points", "join_tex", "maths")


def _in_language(function, code: str):
    def localised(*args, **kwargs):
        if function is tup:
            kwargs.setdefault("sep", i18n.language(code).list_separator)
        return i18n.decimal_tex(function(*args, **kwargs), code)
    return localised


def environment(bank: Bank | None = None, language: str = i18n.DEFAULT) -> jinja2.Environment:
    """The LaTeX environment of one language: the sheets' templates, then every folder of `bank`
    (default: the built-in one), so `topic/name/question.tex.j2` finds the problem's own
    template; `_` translates and the number filters print the language's decimal separator."""
    return _environment(bank or builtin(), language)


@cache
def _environment(bank: Bank, language: str = i18n.DEFAULT) -> jinja2.Environment:
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
    # Fixed strings in templates are written `\VAR{_("Name:")}`: the language's message catalog
    # translates them (generator/i18n.py).
    env.globals["_"] = i18n.gettext(language)
    env.globals["language"] = language
    filters = dict(FILTERS) | {name: _in_language(FILTERS[name], language) for name in NUMBERS}
    env.filters.update(filters)
    env.filters.update({name: _at_precision(filters[name]) for name in ROUNDING})
    env.tests["rounded"] = _at_precision(is_rounded)
    env.filters["date"] = lambda iso: i18n.format_date(iso, language)
    return env


# ---------------------------------------------------------------- problem rendering

@dataclass(frozen=True)
class RenderedPart:
    """One part of a rendered problem, as data: the sheet templates and HTML exports lay it out."""

    name: str
    label: str         # a, b, c, ... in the order the slot asks the parts
    points: float
    space: str         # the answer space below the part on the exam sheet (a TeX length)
    text: str          # the part's statement (LaTeX)
    solution: str      # its worked solution (LaTeX; empty when the solution template has none)
    choices: tuple[Mapping[str, Any], ...] = ()   # its fields asked as a choice (generator.documents.choice_views)


@dataclass(frozen=True)
class RenderedProblem:
    """A problem instance rendered to LaTeX pieces: the statement before its parts, each part
    with its solution, the statement after the parts, and the solution text outside any part."""

    problem_id: str
    intro: str
    parts: tuple[RenderedPart, ...]
    outro: str
    general: str       # solution text outside any part (figures, set-up)

    @property
    def solutions(self) -> dict[str, str]:
        return {part.name: part.solution for part in self.parts}


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


def render_template(name: str, context: Mapping[str, Any], bank: Bank | None = None,
                    language: str = i18n.DEFAULT) -> str:
    env = environment(bank, language)
    try:
        return env.get_template(name).render(**context)
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
        raise _template_error(error, name) from error


# What the `part` call block leaves in the statement in place of each part: a character no
# LaTeX source holds, so the text around the parts is found without reading any LaTeX.
_PART_TOKEN = "\x00examgen-part\x00"
BEGIN_PARTS, END_PARTS = r"\begin{parts}", r"\end{parts}"


def part_labels(names: Iterable[str]) -> dict[str, str]:
    """The sheet's part labels, a, b, c, ..., in the order the parts are asked."""
    return {name: chr(ord("a") + i) for i, name in enumerate(names)}


def render_problem(
    problem_id: str,
    params: Mapping[str, Any],
    values: Mapping[str, Any],
    part_points: Mapping[str, float],
    part_space: Mapping[str, str],
    bank: Bank | None = None,
    precision: Precision = DEFAULT_PRECISION,
    language: str = i18n.DEFAULT,
) -> RenderedProblem:
    """Render a problem's two templates for the parts in `part_points` (in that order); the
    rounding filters print at least the exam's `precision`. In a `language` other than English
    the problem's `question.<language>.tex.j2` and `solution.<language>.tex.j2` are used where
    they exist (`translated` says which), else the English ones.

    The `part` call block collects each asked part's text (question.tex.j2) or solution
    (solution.tex.j2) as data instead of printing it; the statement must hold its parts in
    one `\\begin{parts}...\\end{parts}` with nothing but parts inside.
    """
    labels = part_labels(part_points)
    solutions: dict[str, str] = {}
    texts: dict[str, str] = {}

    def file_solution(name: str, caller) -> str:
        body = figures_with_points(caller(), language)
        if name in part_points:
            solutions[name] = body.strip()
        return ""

    def file_part(name: str, caller) -> str:
        body = figures_with_points(caller(), language).strip()
        if name not in part_points:
            return ""
        texts[name] = body
        return _PART_TOKEN

    question_name, solution_name = (template_name(problem_id, kind, language, bank) for kind in ("question", "solution"))
    general = render_template(solution_name, {"p": params, "s": values, "part": file_solution,
                                              "label": labels, "precision": precision}, bank, language).strip()
    general = figures_with_points(general, language)
    statement = figures_with_points(render_template(question_name, {"p": params, "s": values, "part": file_part,
                                                                    "label": labels, "precision": precision},
                                                    bank, language), language)
    where = f"problem_bank/{question_name}"
    fix = "write each part as one \\BLOCK{call part('name')} block inside \\begin{parts}...\\end{parts}"
    missing = [name for name in part_points if name not in texts]
    if missing:
        raise ExamgenError(f"the statement has no part '{missing[0]}'", where, fix)
    pieces = statement.split(_PART_TOKEN)
    intro, outro = pieces[0].rstrip(), pieces[-1].lstrip()
    if len(pieces) != len(texts) + 1 or any(between.strip() for between in pieces[1:-1]):
        raise ExamgenError("the statement has text between its parts or a part twice", where, fix)
    if not intro.endswith(BEGIN_PARTS) or not outro.startswith(END_PARTS):
        raise ExamgenError("the parts are not inside one \\begin{parts}...\\end{parts}", where, fix)
    parts = tuple(
        RenderedPart(name, labels[name], float(part_points[name]), part_space[name], texts[name],
                     solutions.get(name, ""))
        for name in texts  # the template's order, as on the sheet
    )
    return RenderedProblem(problem_id, intro[: -len(BEGIN_PARTS)].strip(), parts,
                           outro[len(END_PARTS):].strip(), general)


# ---------------------------------------------------------------- languages

@cache   # a miss is a search of every bank folder; the answer does not change within a run
def template_name(problem_id: str, kind: str, language: str, bank: Bank | None = None) -> str:
    """The problem's `question` or `solution` template in `language`: `question.de.tex.j2` where
    the problem has one, else the English `question.tex.j2`."""
    if language != i18n.DEFAULT:
        name = f"{problem_id}/{kind}.{language}.tex.j2"
        try:
            environment(bank, language).get_template(name)
            return name
        except jinja2.TemplateNotFound:
            pass
    return f"{problem_id}/{kind}.tex.j2"


def untranslated(problem_id: str, languages: Iterable[str], bank: Bank | None = None) -> list[str]:
    """A warning for each language the problem has no statement or solution template in (it is
    printed from the English ones)."""
    out = []
    for code in languages:
        missing = [kind for kind in ("question", "solution")
                   if code != i18n.DEFAULT and template_name(problem_id, kind, code, bank).endswith(f"/{kind}.tex.j2")]
        if missing:
            files = " and ".join(f"{kind}.{code}.tex.j2" for kind in missing)
            out.append(f"problem {problem_id} has no {i18n.language(code).name} translation ({files}): "
                       "printed in English")
    return out


_PICTURE = re.compile(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", re.S)
_MATH = re.compile(r"(\$[^$]*\$)")
_COMMA = re.compile(r"(?<=\d)\{,\}(?=\d)")


def figures_with_points(tex: str, language: str) -> str:
    """TikZ reads coordinates with a decimal point only: inside a picture, the number filters'
    decimal commas outside maths (`(0{,}5, 1)`) become points again; labels in `$...$` keep them."""
    if i18n.language(language).decimal == "." or "tikzpicture" not in tex:
        return tex

    def points(picture: re.Match) -> str:
        pieces = _MATH.split(picture.group(0))
        return "".join(p if i % 2 else _COMMA.sub(".", p) for i, p in enumerate(pieces))

    return _PICTURE.sub(points, tex)


SECOND_LANGUAGE = "examgensecond"   # the environment (sheet.tex.j2) that sets a second language's text


def bilingual(problems: Sequence[RenderedProblem]) -> RenderedProblem:
    """One problem printed in several languages (the same instance): each piece of text in the
    first language, then in every further one set apart (smaller, italic) below it."""
    first, others = problems[0], problems[1:]
    if not others:
        return first

    def both(texts: Sequence[str]) -> str:
        extra = [t for t in texts[1:] if t.strip()]
        if not texts[0].strip() and not extra:
            return texts[0]
        return "\n".join([texts[0], *(f"\\begin{{{SECOND_LANGUAGE}}}\n{t}\n\\end{{{SECOND_LANGUAGE}}}"
                                       for t in extra)])

    by_name = [{p.name: p for p in other.parts} for other in others]
    parts = tuple(replace(part, text=both([part.text, *(o[part.name].text for o in by_name)]),
                          solution=both([part.solution, *(o[part.name].solution for o in by_name)]))
                  for part in first.parts)
    return replace(first, intro=both([first.intro, *(o.intro for o in others)]), parts=parts,
                   outro=both([first.outro, *(o.outro for o in others)]),
                   general=both([first.general, *(o.general for o in others)]))
