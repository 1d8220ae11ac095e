"""Practice sheets and the self-check page: `examgen practice TARGET [--seed N] [--count K]`.

TARGET is a problem id, a topic or an exam spec. The sheet holds K problems (default: one
per problem of the target, or the spec's slots), statements first and the worked
solutions on fresh pages, with the seed and the command that rebuilds it printed on it.

Seeds: the sheet is page variant 1 and draws each problem with `Sampler(seed, slot key)`,
the slot key being the problem id (`id#2`, `id#3` for repeats, the spec's slot keys for a
spec), so a problem's first instance is the one `examgen show ID --seed N` prints. Page
variants 2, 3, ... use `variant_seed(seed, "practice-<j>")` in place of the seed. When
`--count` picks fewer problems than the target has, the pick is drawn from the seed too.

The self-check page `index.html` is one self-contained file (inline CSS, JS and SVG; maths as
MathML): per problem the statement, one input per answer entry (a field asked as a choice:
its options as radio buttons or checkboxes, `option_html`), Check (the tolerance rule
of `generator.answers.matches`, in JS; the points `grade` gives), per part Show hint and Show
solution, and a switch between the page variants. The checks (key and mistake values) are
obfuscated (`obfuscate`), not encrypted. `examgen site` (generator.site) builds one such page
per problem, with variants beyond the first few in script files loaded when asked.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import shlex
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from generator import __version__, exports, i18n
from generator.answers import Answer, reading
from generator.answers.choice import asked
from generator.bank import Bank, builtin
from generator.build import Document, compile_all, pdflatex
from generator.documents import (
    render_variant,
    sheet_context,
    translation_warnings,
    variant_contexts,
)
from generator.errors import ExamgenError
from generator.exports import Export, Exporter
from generator.exports.html import Converter, ProblemHtml
from generator.instance import mistake_answers
from generator.outdir import write_output
from generator.plan import Plan, Slot, make_plan
from generator.problem import Problem, title_in
from generator.render import TEMPLATES, render_template
from generator.render import num as render_num
from generator.seeds import Sampler, variant_seed
from generator.variants import Variant, slot_instance, variant_slots

PAGE_VARIANTS = 5
MAX_COUNT = 50
Progress = Callable[[str, int, int], None]


def _noop(stage: str, done: int, total: int) -> None:
    pass


def fresh_seed() -> int:
    """A new practice seed from the operating system's randomness (short enough to type)."""
    return secrets.randbelow(1_000_000)


def is_spec(target: str) -> bool:
    return target.endswith((".yaml", ".yml")) or Path(target).is_file()


def slug(target: str) -> str:
    return Path(target).stem if is_spec(target) else target.replace("/", "-")


# ---------------------------------------------------------------- plan and variants

def _base_slots(target: str, seed: int, bank: Bank, language: str | None = None
                ) -> tuple[str, str, list[Slot], Bank, bool, tuple[str, ...]]:
    """(title, course, slots, bank, shuffle: problems, languages) of a target, before --count: a
    spec's languages unless `language` is given, else English."""
    languages = (language,) if language else (i18n.DEFAULT,)
    _ = i18n.gettext(languages[0])
    if is_spec(target):
        from generator.spec import load_spec

        spec, where = load_spec(target)
        plan = make_plan(spec, where, target, variants=1, seed=seed, bank=bank)
        languages = languages if language else plan.language
        _ = i18n.gettext(languages[0])
        return (_("Practice:") + " " + plan.title, plan.course, list(plan.slots), plan.bank, plan.shuffle_problems,
                languages)
    ids = bank.resolve_target(target, "practice")
    slots = []
    for problem_id in ids:
        problem = bank.load(problem_id)
        slots.append(Slot(0, problem_id, problem_id, tuple((p.name, float(p.points)) for p in problem.parts),
                          {}, "practice"))
    title = title_in(bank.load(ids[0]), languages) if len(ids) == 1 else _("topic") + " " + target
    return _("Practice:") + " " + title, "examgen practice", slots, bank, False, languages


def _select(slots: Sequence[Slot], count: int, seed: int) -> list[Slot]:
    """`count` slots: every slot as often as fits, the rest drawn from the seed; repeats get
    their own slot keys (key#2, ...) and so their own instances."""
    rounds, rest = divmod(count, len(slots))
    picked = set(Sampler(seed, "examgen-practice-pick").sample_without_replacement(range(len(slots)), rest))
    chosen = []
    for index, slot in enumerate(slots):
        for copy in range(rounds + (1 if index in picked else 0)):
            key = slot.key if copy == 0 else f"{slot.key}#{copy + 1}"
            chosen.append((key, slot))
    # A pool's options and a shuffled slot keep what the spec asked: each page variant draws
    # its problem and its parts' order as an exam variant does (the options take the copy's key).
    return [replace(slot, number=n, key=key, space=(), newpage=False,
                    options=tuple(replace(o, number=n, key=key, space=(), newpage=False) for o in slot.options))
            for n, (key, slot) in enumerate(chosen, start=1)]


def practice_plan(target: str, seed: int, count: int | None = None, page_variants: int = PAGE_VARIANTS,
                  bank: Bank | None = None, language: str | None = None) -> Plan:
    language = i18n.check(language, "--language") if language is not None else None
    title, course, slots, bank, shuffle_problems, languages = _base_slots(target, seed, bank or builtin(), language)
    count = len(slots) if count is None else count
    if not 1 <= count <= MAX_COUNT:
        raise ExamgenError(f"--count {count} is out of range", "--count", f"ask for 1 to {MAX_COUNT} problems")
    if not 1 <= page_variants <= 20:
        raise ExamgenError(f"--variants {page_variants} is out of range", "--variants", "ask for 1 to 20 variants")
    return Plan(title=title, course=course, date="", instructions="", seed=seed, spec_name=slug(target),
                slots=tuple(_select(slots, count, seed)),
                variant_keys=tuple(str(j) for j in range(1, page_variants + 1)), bank=bank,
                shuffle_problems=shuffle_problems, language=languages)


def page_seed(seed: int, index: int) -> int:
    """The seed of page variant `index` (1-based): the practice seed itself for the sheet."""
    return seed if index == 1 else variant_seed(seed, f"practice-{index}")


def practice_variants(plan: Plan, progress: Progress = _noop) -> list[Variant]:
    variants = []
    for index, key in enumerate(plan.variant_keys, start=1):
        seed = page_seed(plan.seed, index)
        variants.append(Variant(key, seed, tuple((slot, slot_instance(slot, seed, plan.bank, plan.precision))
                                                 for slot in variant_slots(plan, seed))))
        progress("instances", index, len(plan.variant_keys))
    return variants


def rebuild_command(target: str, seed: int, count: int | None, page_variants: int,
                    language: str | None = None) -> str:
    words = ["examgen", "practice", target, "--seed", str(seed)]
    if language:
        words += ["--language", language]
    if count is not None:
        words += ["--count", str(count)]
    if page_variants != PAGE_VARIANTS:
        words += ["--variants", str(page_variants)]
    return shlex.join(words)


# ---------------------------------------------------------------- the sheet (LaTeX)

def practice_tex(plan: Plan, variant: Variant, command: str) -> str:
    """The practice sheet: the statements, then the worked solutions on fresh pages."""
    contexts = variant_contexts(plan, variant)
    statements = dict(contexts["exam"], solutions=False)
    solutions = dict(contexts["solutions"], solutions=True)
    return render_template("practice.tex.j2", sheet_context(plan, [statements, solutions],
                                                            practice={"seed": plan.seed, "command": command}),
                           language=plan.language[0])


# ---------------------------------------------------------------- the page (HTML)

def field_view(answer: Answer, value: Any, dom: str, alternatives: Sequence[Mapping[str, Any]] = (),
               mistakes: Sequence[tuple[Any, str]] = (),
               tolerance: Mapping[str, float] | None = None) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(what the template shows for one answer field, what the check needs), as the answer's
    type gives them; `alternatives` are the key's other accepted values of the field, `mistakes`
    (value, description) the values of the problem's declared mistakes, which the page names;
    `tolerance` ({"atol", "rtol"}, the key's) overrides the answer's declared one."""
    others = [(a["value"], a["convention"]) for a in alternatives]
    view, check = answer.kind.page_view(answer, value, dom, others, tolerance)
    if check is not None:
        check["mistakes"] = [{"expected": answer.kind.entries(v), "description": d} for v, d in mistakes]
    return view, check


def mistake_values(problem: Problem, params: Mapping[str, Any]) -> dict[str, list[tuple[Any, str]]]:
    """field -> (value, description) of each declared mistake that gives the field a value."""
    out: dict[str, list[tuple[Any, str]]] = {}
    for mistake in problem.mistakes:
        try:
            wrong = mistake_answers(problem, mistake, params)
        except Exception:  # a broken mistake is verify's to report; the page goes on
            continue
        for name, value in wrong.items():
            out.setdefault(name, []).append((value, mistake.description))
    return out


_PARAGRAPH_RE = re.compile(r"<p>.*?</p>", re.S)
_MATH_RE = re.compile(r"<math\b.*?</math>", re.S)


def first_step(solution: str) -> str:
    """The hint of a part: the first step of its worked solution (its first paragraph; the first
    sentence when the solution is one paragraph); "" when that would be the whole solution."""
    match = _PARAGRAPH_RE.search(solution)
    if match is None:
        return ""
    paragraph = match.group(0)
    if paragraph.strip() != solution.strip():
        return paragraph
    # One paragraph: cut after the first sentence, never inside a formula.
    masked = _MATH_RE.sub(lambda m: "#" * len(m.group(0)), paragraph)
    stop = re.search(r"[.:;](\s)", masked[3:-4])
    if stop is None or stop.start() + 3 > len(paragraph) - 12:
        return ""
    return paragraph[: stop.start() + 4] + " &hellip;</p>"


def page_key(page_id: str, seed: int) -> bytes:
    """The per-page key of the checks' obfuscation (from the page's id and seed, so a rebuild
    with the same seed gives the same page)."""
    return hashlib.sha256(f"examgen-page|{page_id}|{seed}".encode()).digest()[:16]


def obfuscate(data: Any, key: bytes) -> str:
    """JSON, XOR-ed with `key` and base64-coded: the page's answers are not readable in its
    source at a glance. An obfuscation, not security: the page holds the key."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(bytes(b ^ key[i % len(key)] for i, b in enumerate(raw))).decode("ascii")


def reveal(text: str, key: bytes) -> Any:
    """The inverse of `obfuscate` (for tests and tools)."""
    raw = base64.b64decode(text)
    return json.loads(bytes(b ^ key[i % len(key)] for i, b in enumerate(raw)).decode("utf-8"))


def page_checks(html: str) -> dict[str, Any]:
    """Every field check of a page's embedded variants, revealed (for tests and tools)."""
    page = json.loads(re.search(r'<script type="application/json" id="examgen-page">(.*?)</script>', html,
                                re.S).group(1))
    key = bytes.fromhex(page["key"])
    checks: dict[str, Any] = {}
    for blob in re.findall(r'<script type="application/octet-stream" class="examgen-checks">(.*?)</script>', html):
        checks.update(reveal(blob, key))
    return checks


_PARAGRAPH_WRAP_RE = re.compile(r"\A\s*<p>(.*)</p>\s*\Z", re.S)


def option_html(variants: Sequence[Variant]) -> dict[str, Markup]:
    """The LaTeX of every choice option of the variants, as the page renders maths (one pandoc
    run for all): LaTeX -> HTML with MathML, a lone paragraph unwrapped so it sits in a label."""
    texs: dict[str, str] = {}
    for variant in variants:
        for _, instance in variant.slots:
            for record in instance.choices.values():
                for tex in record.get("tex", record["options"]):
                    texs.setdefault(tex if record["multi"] else f"${tex}$", "")
    if not texs:
        return {}
    converted = Converter("mathml").convert(list(texs), ["a choice option"] * len(texs))
    out = {}
    for tex, html in zip(texs, converted, strict=True):
        text = html.inline()
        match = _PARAGRAPH_WRAP_RE.match(text)
        out[tex] = Markup(match.group(1) if match and "<p>" not in match.group(1) else text)
    return out


def variant_views(plan: Plan, variants: Sequence[Variant], problems: Sequence[Sequence[ProblemHtml]],
                  key: bytes) -> list[dict[str, Any]]:
    """What the variant template shows of each variant, its checks obfuscated with `key`."""
    out_variants = []
    options = option_html(variants)

    def num(value: float) -> str:   # points in the page's language: 2,5
        return i18n.decimal_text(render_num(value), plan.language[0])

    for variant, htmls in zip(variants, problems, strict=True):
        checks: dict[str, Any] = {}
        out_problems = []
        for (slot, instance), html in zip(variant.slots, htmls, strict=True):
            problem = plan.bank.load(slot.problem_id)
            qdom = f"v{variant.key}-q{slot.number}"
            mistakes = mistake_values(problem, instance.params)
            tolerances = instance.key_entry(problem, plan.precision)["tolerances"]   # the key's, as grade uses them
            shares = slot.field_points(lambda part, p=problem: p.part(part).answers)  # grade's points per field
            parts = []
            for part in html.parts:
                fields = []
                for name in problem.part(part.name).answers:
                    if name in instance.choices:   # asked as options: scored by letters, as grade does
                        answer, record = asked(problem.answer(name), instance.answers.get(name),
                                               instance.choices[name])
                        view, check = answer.kind.page_view(answer, record, f"{qdom}-{name}")
                        for option in view["choices"]:
                            option["html"] = options[option.pop("tex")]
                    else:
                        answer = problem.answer(name)
                        view, check = field_view(answer, instance.answers.get(name), f"{qdom}-{name}",
                                                 instance.alternatives.get(name, ()), mistakes.get(name, ()),
                                                 tolerances.get(name))
                    view["points"] = num(float(shares[name]))
                    fields.append(view)
                    if check is not None:
                        check["points"] = float(shares[name])
                        check["problem"] = qdom
                        checks[view["dom"]] = check
                solution = part.solution.inline()
                parts.append({"name": part.name, "label": part.label, "points": num(part.points),
                              "text": Markup(part.text.inline()), "solution": Markup(solution),
                              "hint": Markup(first_step(solution)), "fields": fields, "dom": f"{qdom}-{part.name}"})
            show = (f"examgen show {slot.problem_id} --seed {variant.seed}"
                    if slot.key == slot.problem_id and not slot.pins else None)
            out_problems.append({
                "number": slot.number, "id": slot.problem_id, "title": title_in(problem, plan.language), "points": num(slot.points),
                "dom": qdom, "show": show, "intro": Markup(html.intro.inline()),
                "outro": Markup(html.outro.inline()), "general": Markup(html.general.inline()), "parts": parts,
            })
        out_variants.append({"key": variant.key, "seed": variant.seed, "problems": out_problems,
                             "checks": obfuscate(checks, key)})
    return out_variants


def page_context(plan: Plan, variants: Sequence[Variant], problems: Sequence[Sequence[ProblemHtml]],
                 command: str, page_id: str | None = None, embedded: int | None = None,
                 lazy: Mapping[str, str] | None = None, more: str = "", home: str = "",
                 progress_id: str = "") -> dict[str, Any]:
    """The page's context. `embedded` variants are in the page (all by default); the others'
    keys map to their script files in `lazy`; `more` says how to get variants beyond the last;
    `progress_id` is the problem id under which a site page reports progress to its index."""
    page_id = page_id or plan.spec_name
    language = plan.language[0]
    _ = i18n.gettext(language)
    key = page_key(page_id, plan.seed)
    embedded = len(variants) if embedded is None else embedded
    views = variant_views(plan, variants[:embedded], problems[:embedded], key)
    page = {"id": page_id, "seed": plan.seed, "key": key.hex(), "keys": [v.key for v in variants],
            "lazy": dict(lazy or {}), "more": more or _("Rebuild with another seed for more:") + " " + command,
            "progress": progress_id, "decimal": i18n.language(language).decimal,
            "strings": i18n.strings(language, page_strings())}
    return {"title": plan.title, "seed": plan.seed, "command": command, "variants": views, "page": page,
            "language": language,
            "home": home, "generator": f"examgen {__version__}",
            "style": Markup(_asset("practice.css")), "script": Markup(_asset("practice.js"))}


def variant_script(plan: Plan, variant: Variant, problems: Sequence[ProblemHtml], page_id: str) -> str:
    """A variant the page loads when asked: `window.examgenVariant(key, html)` in a .js file."""
    [view] = variant_views(plan, [variant], [problems], page_key(page_id, plan.seed))
    environment = html_environment(plan.language[0])
    try:
        html = environment.get_template("practice-variant.html.j2").render(v=view, hidden=True)
        return environment.get_template("practice-variant.js.j2").render(key=variant.key, html=Markup(html))
    except jinja2.TemplateError as error:
        raise ExamgenError(f"template error: {error}", "templates/practice-variant.html.j2",
                           "fix the template") from error


def _asset(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


@cache
def page_strings() -> tuple[str, ...]:
    """The fixed strings of practice.js, each written `T("...")` there: the page gets their
    translations as a table (its script runs in the browser, away from the catalogs)."""
    return tuple(dict.fromkeys(json.loads(f'"{literal}"') for literal in
                               re.findall(r'\bT\("((?:[^"\\]|\\.)*)"\)', _asset("practice.js"))))


@cache
def html_environment(language: str = i18n.DEFAULT) -> jinja2.Environment:
    """The HTML templates' environment in one language: autoescaped (never the LaTeX environment)."""
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                                     keep_trailing_newline=True)
    # How the page reads numbers and formulas, from the answer registry (one definition).
    environment.globals["answer_rules"] = reading.page_rules()
    # Fixed strings are written `{{ _("Check") }}`: the language's catalog translates them.
    environment.globals["_"] = i18n.gettext(language)
    environment.globals["language"] = language
    return environment


def render_page(context: Mapping[str, Any]) -> str:
    try:
        return html_environment(context.get("language", i18n.DEFAULT)).get_template("practice.html.j2").render(**context)
    except jinja2.TemplateError as error:
        raise ExamgenError(f"template error: {error}", "templates/practice.html.j2", "fix the template") from error


class PracticePage(Exporter):
    name = "practice"
    filename = "index.html"
    description = "the self-check page: every variant with inputs, Check and Show solution (one HTML file)"
    needs = frozenset({"html-mathml"})

    def write(self, export: Export) -> str:
        command = export.command or shlex.join(["examgen", "build", f"{export.plan.spec_name}.yaml",
                                                "--seed", str(export.plan.seed)])
        return render_page(page_context(export.plan, export.variants, export.slot_html("mathml"), command))


# ---------------------------------------------------------------- the command

@dataclass(frozen=True)
class PracticeResult:
    out: Path
    seed: int
    command: str
    problems: tuple[str, ...]
    page_variants: int
    pdf: bool
    files: tuple[str, ...]
    warnings: tuple[str, ...]


def build_practice(target: str, seed: int, out: Path | None = None, count: int | None = None,
                   page_variants: int = PAGE_VARIANTS, pdf: bool = True,
                   progress: Progress = _noop, bank: Bank | None = None,
                   language: str | None = None) -> PracticeResult:
    if pdf:
        pdflatex()  # before any work: TeX missing is a clear error, not a failure after rendering
    plan = practice_plan(target, seed, count, page_variants, bank, language)
    command = rebuild_command(target, seed, count, page_variants, language)
    out = Path(out) if out is not None else Path("output") / "practice" / f"{plan.spec_name}-seed{seed}"
    variants = practice_variants(plan, progress)
    exporters = [exports.get("practice"), exports.get("key")]
    export = exports.prepare(plan, variants, [render_variant(plan, v) for v in variants], exporters, command,
                             progress)
    warnings = translation_warnings(plan)
    for variant, problems in zip(variants, export.slot_html("mathml"), strict=True):
        for (slot, _), html in zip(variant.slots, problems, strict=True):
            for tex in html.raw_math:
                warnings.append(f"variant {variant.key}, {slot.problem_id}: a formula stays TeX on the page "
                                f"(pandoc cannot convert it to MathML): {' '.join(tex.split())[:80]}")
    written: list[str] = []
    inputs = [Path(target)] if is_spec(target) else []
    with write_output(out, "practice", inputs) as staging:
        def write(name: str, text: str) -> None:
            (staging / name).write_text(text, encoding="utf-8")
            written.append(name)

        for exporter in exporters:
            write(exporter.filename, exporter.write(export))
        tex = practice_tex(plan, variants[0], command)
        write("practice.tex", tex)
        if pdf:
            progress("compiling", 0, 1)
            workdir = staging / ".latex"
            result = compile_all([Document("practice", tex, ("1", "2"))], workdir, jobs=1, warnings=warnings)
            shutil.copyfile(result["practice"], staging / "practice.pdf")
            shutil.rmtree(workdir)
            written.append("practice.pdf")
            progress("compiling", 1, 1)
    return PracticeResult(out, seed, command, tuple(s.problem_id for s in plan.slots), len(variants), pdf,
                          tuple(written), tuple(dict.fromkeys(warnings)))

