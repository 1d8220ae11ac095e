"""What the QTI exports (Canvas' QTI 1.2, QTI 2.1) share: a build's items, and zip packages.

As for Moodle, every slot holds one item per variant, and a variant's parts are never
separable: one item per variant and slot holds all of its parts. A slot whose parts are all
graded by the key becomes a gap item (one gap per entry of each field, as the field's answer
type says: `AnswerType.qti_entries`; a field asked as a choice is one choice gap, its
options labelled (A), (B), ... in the key's order, each with the mistake behind it); a slot with a `proof` part becomes one essay item holding
the whole problem, graded by hand, with the key's values and the worked solutions for the
grader (as moodle.py does: a quiz draws per section independently, so a gap item and an essay
of the same variant could reach a student mismatched).

Points: a part's points are split equally over its fields (`Slot.field_points`) and a field's
over its entries (`moodle.entry_weights`), so a gap's points are those of the key's grading.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from generator import i18n
from generator.answers.base import QtiGap
from generator.answers.choice import asked
from generator.exports import Export
from generator.exports.html import Figure, Html, ProblemHtml
from generator.exports.moodle import (
    _key_html,
    _label,
    _solution_pieces,
    _statement_pieces,
    entry_weights,
)
from generator.plan import Plan, Slot
from generator.problem import title_in
from generator.variants import Variant


@dataclass(frozen=True)
class Gap:
    """One gap of an item: its field, the answer type's `QtiGap`, and its points."""

    field: str
    label: str            # the field's label, with the entry's place ("W, row 1, column 2")
    gap: QtiGap
    points: float
    entry: int = 0        # the entry's position in the field's flattened value

    @property
    def name(self) -> str:
        """The gap's response name, `<field>_<entry>` (1-based): an identifier in every flavour,
        and it tells a reader of the package which key value belongs there."""
        return f"{self.field}_{self.entry + 1}"


@dataclass(frozen=True)
class Item:
    """One variant of one slot, as every QTI flavour writes it."""

    identifier: str       # a QTI identifier and a file stem: letters, digits, '-' and '_' only
    title: str
    slot: Slot
    variant: str          # the variant's key
    points: float
    written: bool         # an essay graded by hand (the slot has a proof part)
    gaps: tuple[Gap, ...]
    fields: Mapping[str, tuple[tuple[str, tuple[int, ...]], ...]]   # part -> (field label, gap indices)
    problem_html: ProblemHtml
    problem_title: str
    key_html: Mapping[str, str]   # part -> the key's values (for the essay's grader)
    language: str = i18n.DEFAULT  # the exam's (first) language: the fixed texts' language

    def statement(self, mark: Callable[[int, Gap], tuple[str, bool]]) -> list[Html]:
        """The statement's fragments, each field's gaps written by `mark(index, gap)` as
        (markup, is_block): inline gaps follow the field's label, block ones come below it."""
        fields = {}
        for part, entries in ({} if self.written else self.fields).items():
            lines = []
            for label, indices in entries:
                marks = [mark(i, self.gaps[i]) for i in indices]
                inline = ", ".join(m for m, block in marks if not block)
                blocks = "".join(m for m, block in marks if block)
                lines.append(f'<div class="examgen-field"><p>{_label(label)}: {inline}</p>{blocks}</div>')
            if lines:
                fields[part] = "".join(lines)
        _ = i18n.gettext(self.language)
        if self.written:
            asked = {part: "; ".join(label for label, _entries in entries) for part, entries in self.fields.items()}
            give = _("Give:")
            fields = {part: f'<p class="examgen-field">{give} {html.escape(labels)}.</p>'
                      for part, labels in asked.items() if labels}
        pieces = _statement_pieces(self.problem_html, self.problem_title, fields, self.language)
        if self.written:
            answer_here = _("Answer every part here, each under its label.")
            pieces.append(Html(f"<p><strong>{answer_here}</strong></p>"))
        return pieces

    def solution(self) -> list[Html]:
        """The worked solution (shown after the attempt)."""
        return _solution_pieces(self.problem_html)

    def model_answer(self) -> list[Html]:
        """For the grader of an essay: the key's values of every graded field and the worked solutions."""
        return _solution_pieces(self.problem_html, dict(self.key_html))


def identifier(*parts: str) -> str:
    """A QTI identifier (an NCName) and file stem from `parts`: no periods (OpenOLAT rejects
    file names with several), nothing but letters, digits, '-' and '_'."""
    text = "-".join(re.sub(r"[^A-Za-z0-9_-]+", "_", p) for p in parts)
    return text if text[:1].isalpha() else "x" + text


def slot_items(export: Export, mode: str) -> list[list[Item]]:
    """Every slot's items with the statements in maths mode `mode` ("mathjax", "mathml")."""
    plan, variants = export.plan, export.variants
    problems = export.slot_html(mode)
    # each variant's own slot (drawn pool problem, parts' order) at its printed position
    return [[_item(plan, variant.slot_for(slot), variant.position(slot), variant, htmls[variant.position(slot)])
             for variant, htmls in zip(variants, problems, strict=True)]
            for slot in plan.slots]


def _item(plan: Plan, slot: Slot, index: int, variant: Variant, problem_html: ProblemHtml) -> Item:
    problem = plan.bank.load(slot.problem_id)
    instance = variant.slots[index][1]
    tolerances = instance.key_entry(problem, plan.precision)["tolerances"]   # the key's, as grade uses them
    shares = entry_weights(problem, slot, instance.answers, instance.choices)
    written = any(not problem.answer(f).graded for part, _ in slot.parts for f in problem.part(part).answers)
    gaps: list[Gap] = []
    fields: dict[str, tuple[tuple[str, tuple[int, ...]], ...]] = {}
    for part, _ in slot.parts:
        entries = []
        for name in problem.part(part).answers:
            answer = problem.answer(name)
            if not answer.graded:
                continue
            label = answer.label or name
            others = [(x["value"], x["convention"]) for x in instance.alternatives.get(name, [])]
            # a field asked as a choice is its options (the letters types), as grade scores it
            answer, value = asked(answer, instance.answers[name], instance.choices.get(name))
            if name in instance.choices:
                others = []
            found = answer.kind.qti_entries(answer, value, tolerances.get(name), others)
            start = len(gaps)
            for entry, (gap, share) in enumerate(zip(found, shares[name], strict=True)):
                gaps.append(Gap(name, f"{label}, {gap.label}" if gap.label else label, gap, float(share), entry))
            entries.append((label, tuple(range(start, len(gaps)))))
        fields[part] = tuple(entries)
    width = max(2, len(str(len(plan.slots))))
    return Item(identifier(f"s{str(slot.number).zfill(width)}", f"v{variant.key}"),
                f"{plan.spec_name} slot {slot.number} {slot.problem_id} variant {variant.key}",
                slot, variant.key, float(slot.points), written, () if written else tuple(gaps), fields,
                problem_html, title_in(problem, plan.language),
                {part: _key_html(problem, part, instance.answers) for part, _ in slot.parts}, plan.language[0])


def joined(pieces: Sequence[Html], src: Callable[[Figure], str]) -> tuple[str, dict[str, Figure]]:
    """Fragments as one HTML text, each figure an `<img>` at `src(figure)`, and the figures used."""
    figures: dict[str, Figure] = {}
    for piece in pieces:
        figures.update({f.name: f for f in piece.figures.values()})
    text = "".join(p._fill(lambda f: f'<img src="{src(f)}" alt="figure"/>') for p in pieces)
    return text, figures


def zip_bytes(files: Mapping[str, str | bytes]) -> bytes:
    """A zip of `files` (name -> content) in the given order, with fixed dates: the same build
    gives the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content.encode("utf-8") if isinstance(content, str) else content)
    return buffer.getvalue()


def number(value: Any) -> str:
    """A number as QTI and Canvas read it: plain decimal, never exponent notation."""
    from generator.answers.base import moodle_number

    return moodle_number(value)
