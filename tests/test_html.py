"""LaTeX to HTML with pandoc: the exam-class pieces, both maths modes, batching, TikZ to SVG."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from generator import bank
from generator.errors import ExamgenError
from generator.exports import html as html_module
from generator.exports.html import Converter, problems_to_html, slot_htmls
from generator.instance import draw_instance
from generator.render import RenderedPart, RenderedProblem, render_problem
from generator.seeds import Sampler

pytestmark = pytest.mark.skipif(shutil.which("pandoc") is None, reason="pandoc is installed by 'make test'")
needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None or shutil.which("pdftocairo") is None,
                               reason="TeX Live and poppler-utils are installed by 'make test'")

PROBLEM = RenderedProblem(
    "cnn/demo", "Intro with $x^2$.",
    (RenderedPart("first", "a", 2.0, "3cm", r"First part $\frac{a}{b}$.", "Because $y$."),
     RenderedPart("second", "b", 1.5, "2cm", "Second part.", "")),
    "After the parts.", "A general note.",
)


PICTURE = r"\begin{tikzpicture}\draw[->] (0,0) -- (1,1) node[right] {$x$};\end{tikzpicture}"


def test_a_rendered_problem_converts_piece_by_piece_in_one_run():
    converter = Converter("mathml")
    [[html]] = slot_htmls(converter, [[PROBLEM]])
    assert converter.pandoc_runs == 1
    assert [(p.name, p.label, p.points) for p in html.parts] == [("first", "a", 2.0), ("second", "b", 1.5)]
    assert "<mfrac>" in html.parts[0].text.inline() and "Second part." in html.parts[1].text.inline()
    assert "Because" in html.parts[0].solution.inline() and html.parts[1].solution.empty
    assert "Intro with" in html.intro.inline() and "After the parts." in html.outro.inline()
    assert "A general note." in html.general.inline()
    # No exam-class markup reaches pandoc, so none can come back.
    for piece in html.pieces():
        assert "answerspace" not in piece.template and "\\part" not in piece.template


def test_slot_htmls_keeps_each_variants_slots_apart():
    other = RenderedProblem("cnn/other", "Other intro.", (RenderedPart("only", "a", 1.0, "1cm", "Only.", "So."),),
                            "", "")
    converted = slot_htmls(Converter("mathml"), [[PROBLEM, other], [other]])
    assert [len(v) for v in converted] == [2, 1]
    assert "Other intro." in converted[0][1].intro.inline() and "Other intro." in converted[1][0].intro.inline()
    assert "Intro with" in converted[0][0].intro.inline()


def test_the_html_path_cuts_no_latex_apart():
    source = Path(html_module.__file__).read_text(encoding="utf-8")
    for trace in ("split_statement", "\\\\part", "answerspace", "begin{parts}"):
        assert trace not in source, trace


def test_mathml_mode_renders_formulas_and_leaves_no_tex():
    converter = Converter("mathml")
    [html] = converter.convert([r"Let $\frac{a}{b} = \Bigl(\operatorname*{arg\,min}_x f\Bigr)$ and \[y = \boxed{2}.\]"])
    text = html.inline()
    assert text.count("<math") == 2
    assert "<mfrac>" in text and 'notation="box"' in text
    assert not html.raw_math
    # Outside the TeX annotation nothing of the source is left.
    visible = re.sub(r"<annotation.*?</annotation>", "", text, flags=re.S)
    assert "\\" not in visible and "$" not in visible


def test_mathml_upright_text_is_upright_letter_by_letter():
    [html] = Converter("mathml").convert([r"$\mathrm{ReLU}(z)$"])
    assert html.inline().count('<mi mathvariant="normal">') == 4


def test_mathjax_mode_keeps_tex_delimiters():
    [html] = Converter("mathjax").convert([r"Inline $a_1 < b$ and display \[\sum_i x_i\]"])
    assert r"\(a_1 &lt; b\)" in html.template
    assert r"\[\sum_i x_i\]" in html.template
    assert "<math" not in html.template


def test_many_fragments_take_one_pandoc_run_and_are_cached():
    converter = Converter("mathml")
    fragments = [f"Fragment {i}: $x_{{{i}}}$" for i in range(40)] + ["", "Fragment 0: $x_{0}$"]
    out = converter.convert(fragments)
    assert converter.pandoc_runs == 1
    assert len(out) == 42
    for i in range(40):
        assert out[i].inline().startswith(f"<p>Fragment {i}:") and f"<mn>{i}</mn>" in out[i].inline()
    assert out[40].empty
    assert out[41].inline() == out[0].inline()
    converter.convert(fragments[:5])
    assert converter.pandoc_runs == 1   # all cached


def test_a_fragment_that_swallows_the_separator_falls_back_to_one_run_each():
    converter = Converter("mathml")
    out = converter.convert([r"Ends with a line break \\", "Next fragment $y$"])
    assert converter.pandoc_runs == 3   # the batch, then one run per fragment
    assert out[0].inline().startswith("<p>Ends with a line break")
    assert "EXAMGEN" not in out[0].inline() + out[1].inline()
    assert "Next fragment" in out[1].inline() and "Next fragment" not in out[0].inline()


@needs_tex
def test_tikz_becomes_inline_svg_with_ids_of_its_own():
    converter = Converter("mathml")
    fragments = [f"Before.\n\n{PICTURE}\n\nAfter.", f"Again: {PICTURE}"]
    first, second = converter.convert(fragments)
    assert converter.pdflatex_runs == 1
    assert len(first.figures) == 1 and first.figures.keys() == second.figures.keys()
    figure = next(iter(first.figures.values()))
    svg = ET.fromstring(figure.svg)
    assert svg.tag.endswith("svg") and float(svg.get("width").rstrip("pt")) > 10
    page = first.inline()
    assert '<div class="figure"><svg class="examgen-figure"' in page
    assert "tikzpicture" not in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert ids and all(i.startswith(f"f{figure.digest}-") for i in ids)
    refs = re.findall(r'href="#([^"]+)"', page)
    assert refs and set(refs) <= set(ids)
    # Inline in a sentence: no block wrapper.
    assert "<p>Again: <svg" in second.inline()
    # Cached: the same picture again compiles nothing.
    converter.convert([PICTURE])
    assert converter.pdflatex_runs == 1
    assert "@@PLUGINFILE@@/figure-" in first.with_images(lambda f: "@@PLUGINFILE@@/" + f.name)


@needs_tex
def test_a_broken_picture_names_where_it_came_from():
    converter = Converter("mathml")
    with pytest.raises(ExamgenError) as error:
        converter.convert([PICTURE, r"\begin{tikzpicture}\draw (0,0) -- \undefinedmacro;\end{tikzpicture}"],
                          ["cnn/a (solution.tex.j2)", "cnn/b (solution.tex.j2)"])
    assert "cnn/b (solution.tex.j2)" in str(error.value)
    assert "Undefined control sequence" in str(error.value)


def test_every_bank_problem_converts_with_all_formulas_as_mathml():
    """The whole bank, two seeds each: the self-check page must show no formula as raw TeX."""
    items = []
    for problem_id in bank.ids():
        problem = bank.load(problem_id)
        points = {p.name: float(p.points) for p in problem.parts}
        for seed in (1, 2):
            instance = draw_instance(problem, Sampler(seed, problem_id))
            rendered = render_problem(problem_id, instance.params, instance.values, points,
                                      {p.name: p.space for p in problem.parts})
            items.append((problem_id, rendered, points))
    converter = Converter("mathml")
    converted = problems_to_html(converter, [rendered for _, rendered, _ in items])
    assert converter.pandoc_runs == 1
    failures = [f"{pid}: {tex[:70]}" for (pid, _, _), html in zip(items, converted, strict=True)
                for tex in html.raw_math]
    assert not failures, "formulas pandoc cannot turn into MathML:\n" + "\n".join(failures)
    for (problem_id, _, points), html in zip(items, converted, strict=True):
        assert [p.name for p in html.parts] == list(points), problem_id
        assert "<math" in html.intro.inline() + "".join(p.text.inline() for p in html.parts), problem_id
        assert all(not p.solution.empty for p in html.parts), f"{problem_id}: a part without a worked solution"


def test_latex_pandoc_cannot_read_names_its_template():
    with pytest.raises(ExamgenError, match=r"^cnn/x \(question.tex.j2\): pandoc cannot read the LaTeX"):
        Converter("mathml").convert(["Fine $x$.", r"Broken \begin{itemize}\item one"],
                                    ["cnn/y (question.tex.j2)", "cnn/x (question.tex.j2)"])
