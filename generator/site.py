"""The course practice site: `examgen site [--bank DIR ...] [--variants N] [--seed S] --out DIR`.

A static folder that works from the file system and from any static host, loads nothing
from the network and needs no server:

- `index.html`: every problem of the bank (built-in and added folders), by topic, with its
  title, source and the student's progress (read from the browser's localStorage, where each
  problem page records it);
- `problems/<topic>-<name>.html`: one practice page per problem (generator.practice's page),
  with the first `EMBEDDED` variants in the page and the others in
  `problems/variants/<topic>-<name>-<k>.js`, which the page loads with a <script> element
  when the student asks for them (so that file:// works too, where fetch does not).

Seeds: page variant k of a problem is `page_seed(seed, k)`, as on `examgen practice ID --seed S`,
so variant 1 of a problem is `examgen show ID --seed S`.
"""

from __future__ import annotations

import dataclasses
import os
import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from generator import __version__, exports, i18n
from generator.bank import Bank, builtin
from generator.documents import render_variant, translation_warnings
from generator.errors import ExamgenError
from generator.outdir import write_output
from generator.plan import Plan
from generator.practice import (
    _asset,
    html_environment,
    page_context,
    practice_plan,
    practice_variants,
    render_page,
    variant_script,
)
from generator.problem import title_in
from generator.render import num

DEFAULT_VARIANTS = 50
MAX_VARIANTS = 500
EMBEDDED = 2           # variants in the page itself: a page stays under 300 KB (benchmarks/site.py)
DEFAULT_SEED = 1
WORKERS = os.cpu_count() or 1
Progress = Callable[[str, int, int], None]


def _noop(stage: str, done: int, total: int) -> None:
    pass


def page_name(problem_id: str) -> str:
    return problem_id.replace("/", "-")


@dataclass(frozen=True)
class SiteResult:
    out: Path
    problems: tuple[str, ...]
    variants: int
    files: tuple[str, ...]
    warnings: tuple[str, ...]


def site_command(banks: tuple[str, ...], variants: int, seed: int, language: str = i18n.DEFAULT) -> str:
    words = ["examgen", "site"] + (["--language", language] if language != i18n.DEFAULT else [])
    for folder in banks:
        words += ["--bank", folder]
    return shlex.join([*words, "--variants", str(variants), "--seed", str(seed), "--out", "DIR"])


def site_plan(problem_id: str, seed: int, variants: int, bank: Bank, language: str = i18n.DEFAULT) -> Plan:
    """The plan of a problem's page: the practice plan of the problem, with `variants` page variants."""
    plan = practice_plan(problem_id, seed, page_variants=1, bank=bank, language=language)
    return dataclasses.replace(plan, variant_keys=tuple(str(j) for j in range(1, variants + 1)))


def problem_page(problem_id: str, seed: int, variants: int, bank: Bank, command: str,
                 progress: Progress = _noop, language: str = i18n.DEFAULT) -> tuple[str, dict[str, str], list[str]]:
    """(the page's HTML, {file name below problems/: script} of its loadable variants, warnings)."""
    plan = site_plan(problem_id, seed, variants, bank, language)
    built = practice_variants(plan)
    export = exports.prepare(plan, built, [render_variant(plan, v) for v in built], [exports.get("practice")],
                             command, progress)
    htmls = export.slot_html("mathml")
    name = page_name(problem_id)
    lazy = {v.key: f"variants/{name}-{v.key}.js" for v in built[EMBEDDED:]}
    _ = i18n.gettext(language)
    more = _("For more, build the site with more variants (%(command)s, up to %(most)s) or another seed.") % {
        "command": command.replace(f"--variants {variants}", "--variants N"), "most": MAX_VARIANTS}
    context = page_context(plan, built, htmls, command, page_id=name, embedded=EMBEDDED, lazy=lazy, more=more,
                           home="../index.html", progress_id=problem_id)
    context["title"] = plan.title.removeprefix(_("Practice:") + " ")
    scripts = {lazy[v.key]: variant_script(plan, v, h, name) for v, h in zip(built[EMBEDDED:], htmls[EMBEDDED:],
                                                                           strict=True)}
    warnings = translation_warnings(plan) + [
                f"{problem_id}, variant {v.key}: a formula stays TeX on the page: {' '.join(tex.split())[:80]}"
                for v, problems in zip(built, htmls, strict=True) for html in problems for tex in html.raw_math]
    return render_page(context), scripts, warnings


def index_context(bank: Bank, ids: list[str], variants: int, seed: int, command: str,
                  language: str = i18n.DEFAULT) -> dict[str, Any]:
    topics: dict[str, list[dict[str, Any]]] = {}
    for entry in bank.entries():
        if entry.id not in ids:
            continue
        problem = bank.load(entry.id)
        topics.setdefault(entry.topic, []).append({
            "id": entry.id, "title": title_in(entry, language), "source": entry.source, "href": f"problems/{page_name(entry.id)}.html",
            "points": num(sum(float(p.points) for p in problem.parts)), "origin": "built-in" if entry.builtin else str(entry.root),
        })
    return {"topics": [{"name": t, "problems": ps} for t, ps in sorted(topics.items())], "variants": variants,
            "seed": seed, "command": command, "count": len(ids), "generator": f"examgen {__version__}",
            "style": Markup(_asset("practice.css")), "language": language}


def render_index(context: dict[str, Any]) -> str:
    try:
        return html_environment(context.get("language", i18n.DEFAULT)).get_template("site-index.html.j2").render(**context)
    except jinja2.TemplateError as error:
        raise ExamgenError(f"template error: {error}", "templates/site-index.html.j2", "fix the template") from error


def build_site(out: Path, bank: Bank | None = None, variants: int = DEFAULT_VARIANTS, seed: int = DEFAULT_SEED,
               problems: list[str] | None = None, banks: tuple[str, ...] = (),
               progress: Progress = _noop, language: str = i18n.DEFAULT) -> SiteResult:
    """Write the site into `out` (the output-folder rules of generator.outdir); `problems`
    limits it to some ids (all of the bank by default)."""
    bank = bank or builtin()
    if not 1 <= variants <= MAX_VARIANTS:
        raise ExamgenError(f"--variants {variants} is out of range", "--variants",
                           f"ask for 1 to {MAX_VARIANTS} variants per problem")
    ids = list(problems) if problems is not None else bank.ids()
    ids = [bank.resolve_id(i, "site") for i in ids]
    language = i18n.check(language, "--language")
    command = site_command(banks, variants, seed, language)
    warnings: list[str] = []
    written: list[str] = []
    with write_output(Path(out), "site", []) as staging:
        (staging / "problems" / "variants").mkdir(parents=True)

        def write(name: str, text: str) -> None:
            (staging / name).write_text(text, encoding="utf-8")
            written.append(name)

        # Pages in parallel threads: most of a page's time is pandoc and pdflatex, which run as
        # processes of their own.
        with ThreadPoolExecutor(max_workers=max(1, min(WORKERS, len(ids)))) as pool:
            pages = pool.map(lambda problem_id: problem_page(problem_id, seed, variants, bank, command,
                                                             language=language), ids)
            for done, (problem_id, (page, scripts, notes)) in enumerate(zip(ids, pages, strict=True)):
                progress("problems", done, len(ids))
                warnings += notes
                write(f"problems/{page_name(problem_id)}.html", page)
                for name, script in scripts.items():
                    write(f"problems/{name}", script)
        progress("problems", len(ids), len(ids))
        write("index.html", render_index(index_context(bank, ids, variants, seed, command, language)))
    return SiteResult(Path(out), tuple(ids), variants, tuple(written), tuple(dict.fromkeys(warnings)))
