"""Instances for every variant of a plan: the only stage that draws random numbers.

Sampling is in two stages. A slot's structure (the problem's STRUCTURE parameters: sizes,
norm, schedule, number of steps) is drawn once, from the exam seed and the slot key, so every
variant of the slot has the same structure; each variant then draws its numbers with that
structure pinned. A slot with `vary: all` draws the structure per variant as well.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from generator.bank import Bank
from generator.instance import Instance, draw_instance
from generator.options import instance_choices
from generator.plan import Plan, Slot
from generator.precision import DEFAULT as DEFAULT_PRECISION
from generator.precision import Precision
from generator.seeds import Sampler, fingerprint, structure_seed, variant_seed

Structures = Mapping[str, Mapping[str, Any]]   # slot key -> structure parameters pinned for it


@dataclass(frozen=True)
class Variant:
    key: str
    seed: int
    slots: tuple[tuple[Slot, Instance], ...]

    @property
    def fingerprint(self) -> str:
        """A short digest of the variant's instances: equal fingerprints, equal exams."""
        return fingerprint([[i.problem_id, i.params] for _, i in self.slots])

    def position(self, slot: Slot) -> int:
        """Where the plan's `slot` is printed in this variant (0-based; `shuffle: problems` moves it)."""
        return next(i for i, (own, _) in enumerate(self.slots) if own.key == slot.key)

    def instance_for(self, slot: Slot) -> Instance:
        """The instance of the plan's `slot` in this variant, wherever `shuffle: problems` printed it."""
        return self.slots[self.position(slot)][1]

    def slot_for(self, slot: Slot) -> Slot:
        """The plan's `slot` as this variant has it (a pool's drawn problem, the parts' drawn
        order), numbered as in the plan: for exports that group the variants by slot."""
        return replace(self.slots[self.position(slot)][0], number=slot.number)


def slot_instance(slot: Slot, seed: int, bank: Bank | None = None,
                  precision: Precision = DEFAULT_PRECISION, structure: Mapping[str, Any] | None = None) -> Instance:
    """The instance of one slot: depends only on (variant seed, slot key, pins, the slot's
    structure, and the exam's precision, under which no declared mistake may grade as right)."""
    from generator.bank import load

    problem = load(slot.problem_id, bank)
    pins = {**(structure or {}), **slot.pins}
    instance = draw_instance(problem, Sampler(seed, slot.key), pins, slot.where, precision)
    if not slot.choice:
        return instance
    # the fields asked as a choice: options drawn from their own streams, after the instance
    tolerances = instance.key_entry(problem, precision)["tolerances"]
    return replace(instance, choices=instance_choices(problem, slot.choice, instance.params, instance.answers,
                                                      tolerances, precision, slot.choice_options, slot.scoring, seed,
                                                      f"{slot.key}|choices", slot.where, instance.alternatives))


def slot_structure(plan: Plan, slot: Slot) -> dict[str, Any]:
    """The structure parameters every variant of `slot` shares (empty for `vary: all`, for a
    problem without STRUCTURE, or when the spec pins all of it). Drawn as a whole instance
    under the slot's pins, so the structure is one a valid instance has."""
    if slot.vary == "all":
        return {}
    problem = plan.bank.load(slot.problem_id)
    free = [name for name in problem.structure if name not in slot.pins]
    if not free:
        return {}
    rng = Sampler(structure_seed(plan.seed, slot.key), f"structure|{slot.key}")
    instance = draw_instance(problem, rng, slot.pins, slot.where, plan.precision)
    return {name: instance.params[name] for name in free}


def structure_key(slot: Slot) -> str:
    """Where `structures` files a slot's structure: its key, and for a pool the drawn problem too."""
    return f"{slot.key}|{slot.problem_id}" if slot.pool else slot.key


def structures(plan: Plan) -> dict[str, dict[str, Any]]:
    """Every slot's shared structure, by `structure_key` (each problem of a pool has its own)."""
    return {structure_key(replace(option, pool=slot.pool)): slot_structure(plan, option)
            for slot in plan.slots for option in (slot.options or (slot,))}


def variant_slot(plan_slot: Slot, seed: int) -> Slot:
    """The slot as one variant sees it: a pool's problem drawn, the parts' order drawn where
    the spec and the problem allow it. Each draw has its own stream from (variant seed, slot
    key), so adding variants or slots changes no other draw."""
    slot = plan_slot
    if plan_slot.pool:
        slot = Sampler(seed, f"{plan_slot.key}|pool").choice(plan_slot.options)
        slot = replace(slot, pool=plan_slot.pool, options=())
    if slot.shuffle_parts:
        order = Sampler(seed, f"{slot.key}|parts").shuffle(range(len(slot.parts)))
        space = dict(slot.space)
        parts = tuple(slot.parts[i] for i in order)
        slot = replace(slot, parts=parts, space=tuple((name, space[name]) for name, _ in parts if name in space))
    return slot


def variant_slots(plan: Plan, seed: int) -> list[Slot]:
    """The plan's slots as the variant of `seed` prints them: each pool's problem and the parts'
    order drawn (`variant_slot`), and under `shuffle: problems` the slots in the variant's order,
    each numbered as printed (its `key` stays the plan's)."""
    slots = [variant_slot(slot, seed) for slot in plan.slots]
    if plan.shuffle_problems:
        slots = [replace(slots[i], number=n + 1)
                 for n, i in enumerate(Sampler(seed, "|order").shuffle(range(len(slots))))]
    return slots


def make_variant(plan: Plan, key: str, shared: Structures | None = None) -> Variant:
    """One variant; `shared` is `structures(plan)` when the caller has it (else drawn here).
    Under `shuffle: problems` the slots come in the variant's printed order, each numbered as
    printed (its `key` stays the plan's)."""
    shared = structures(plan) if shared is None else shared
    seed = variant_seed(plan.seed, key)
    slots = variant_slots(plan, seed)
    return Variant(key, seed, tuple((slot, slot_instance(slot, seed, plan.bank, plan.precision,
                                                         shared.get(structure_key(slot))))
                                    for slot in slots))


@dataclass(frozen=True)
class SlotReport:
    """How the variants of one slot differ: for the instructor, after a build."""

    number: int
    problem_id: str
    vary: str
    structure: Mapping[str, Any]        # the shared structure (empty when it varies or there is none)
    structures: int                     # distinct structures among the variants
    workload: tuple[float, float] | None   # (least, most) work by the problem's WORKLOAD, if declared
    duplicates: int                     # variants whose instance another variant has too
    warnings: tuple[str, ...]           # pedagogical constraints the pins break, once each


def slot_reports(plan: Plan, variants: Sequence[Variant]) -> list[SlotReport]:
    """One report per slot, in sheet order."""
    reports = []
    for slot in plan.slots:
        problem = plan.bank.load(slot.problem_id)
        instances = [variant.instance_for(slot) for variant in variants]
        # a pool's variants hold different problems: each instance's structure by its own problem
        own = {i.problem_id: plan.bank.load(i.problem_id) for i in instances}
        kinds = {json.dumps([i.problem_id, {n: i.params[n] for n in own[i.problem_id].structure}], sort_keys=True)
                 for i in instances}
        workload = None
        if not slot.pool and problem.workload is not None and instances:
            work = [float(problem.workload(i.params)) for i in instances]
            workload = (min(work), max(work))
        groups: dict[str, int] = {}
        for instance in instances:
            blob = json.dumps(instance.params, sort_keys=True)
            groups[blob] = groups.get(blob, 0) + 1
        first = {n: instances[0].params[n] for n in own[instances[0].problem_id].structure} \
            if instances and len(kinds) == 1 else {}
        reports.append(SlotReport(
            number=slot.number, problem_id=" or ".join(slot.pool) or slot.problem_id, vary=slot.vary,
            structure=first,
            structures=len(kinds), workload=workload,
            duplicates=sum(count for count in groups.values() if count > 1),
            warnings=tuple(dict.fromkeys(w for i in instances for w in i.warnings)),
        ))
    return reports
