"""The answer key: `key.json`, every variant's slots, parameters, answers and tolerances.

    {"exam": {"title", "course", "date", "seed", "spec", "precision", "generator", "total_points",
              "language": ["de"] (the languages the sheets print; grade reads numbers the first one's way)},
     "variants": [{"key": "001", "code": "K7Q2M4XA", "seed": ..., "fingerprint": ..., "student": {...}?,
                   "problems": [{"slot", "slot_key", "id", "points", "parts", "pool"?,
                                 "params", "answers", "tolerances", "exact"?, "choices"?, "bank"}]}]}

`bank` is "built-in" or the folder of the added bank the problem came from. `problems` is in
the variant's printed order and `slot` the printed number (under `shuffle: problems` they differ
between variants; `slot_key` is the slot's stable name). `parts` is in printed order, the first
part labelled (a). `pool` lists a `one_of` slot's problems, `id` being the one drawn.
`choices` holds, for each field asked as a choice (spec `form: choice`), its options in
printed order, the right ones, and the mistake behind each wrong one (`generator.answers.choice`);
the field's `answers` and `tolerances` entries stay as for a typed answer.

Values follow the catalog's JSON conventions (see `generator.answers`); each field's tolerance
accepts every value rounded correctly at the exam's `precision` (see `generator.precision`).
`code` is the opaque variant code the exam pages print instead of the seed
(see `generator.variantcode`): `examgen lookup CODE key.json` finds the variant.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from generator import __version__
from generator.exports import Export, Exporter
from generator.plan import Plan
from generator.variantcode import variant_codes
from generator.variants import Variant


def key_document(plan: Plan, variants: Sequence[Variant]) -> dict[str, Any]:
    out_variants = []
    codes = variant_codes(plan.seed, [v.key for v in variants])
    for variant in variants:
        problems = []
        for slot, instance in variant.slots:
            problem = plan.bank.load(slot.problem_id)
            entry = instance.key_entry(problem, plan.precision)
            # where the problem came from, so grading finds it again: "built-in" or the bank folder
            source = plan.bank.entry(slot.problem_id)
            entry["bank"] = "built-in" if source.builtin else str(source.root)
            parts = {name: {"points": pts, "fields": list(problem.part(name).answers)} for name, pts in slot.parts}
            record = {"slot": slot.number, "slot_key": slot.key, "id": entry.pop("id"),
                      "points": slot.points, "parts": parts}
            if slot.pool:
                record["pool"] = list(slot.pool)      # the `one_of` problems; `id` is the one drawn
            problems.append({**record, **entry})
        record: dict[str, Any] = {"key": variant.key, "code": codes[variant.key], "seed": variant.seed,
                                  "fingerprint": variant.fingerprint}
        student = plan.students.get(variant.key)
        if student:
            record["student"] = {"id": student.key, "name": student.name, **dict(student.extra)}
        record["problems"] = problems
        out_variants.append(record)
    return {
        "exam": {"title": plan.title, "course": plan.course, "date": plan.date, "seed": plan.seed,
                 "spec": plan.spec_name, "precision": plan.precision.text, "generator": f"examgen {__version__}",
                 "total_points": plan.total_points, "language": list(plan.language)},
        "variants": out_variants,
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


class KeyJson(Exporter):
    name = "key"
    filename = "key.json"
    description = "the answer key: every variant's parameters, answers and tolerances (JSON)"
    always = True

    def write(self, export: Export) -> str:
        return dumps(dict(export.key))


class KeyCsv(Exporter):
    name = "csv"
    filename = "key.csv"
    description = "the answer key flat, one row per variant, slot and field, for spreadsheets"
    always = True

    def write(self, export: Export) -> str:
        from generator.exports.csv import key_csv

        return key_csv(export.key, export.plan.bank.load)
