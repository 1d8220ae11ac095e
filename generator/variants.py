"""Instances for every variant of a plan: the only stage that draws random numbers."""

from __future__ import annotations

from dataclasses import dataclass

from generator.bank import Bank
from generator.instance import Instance, draw_instance
from generator.plan import Plan, Slot
from generator.precision import DEFAULT as DEFAULT_PRECISION
from generator.precision import Precision
from generator.seeds import Sampler, fingerprint, variant_seed


@dataclass(frozen=True)
class Variant:
    key: str
    seed: int
    slots: tuple[tuple[Slot, Instance], ...]

    @property
    def fingerprint(self) -> str:
        """A short digest of the variant's instances: equal fingerprints, equal exams."""
        return fingerprint([[i.problem_id, i.params] for _, i in self.slots])


def slot_instance(slot: Slot, seed: int, bank: Bank | None = None,
                  precision: Precision = DEFAULT_PRECISION) -> Instance:
    """The instance of one slot: depends only on (variant seed, slot key, pins, and the exam's
    precision, under which no declared mistake may grade as right)."""
    from generator.bank import load

    problem = load(slot.problem_id, bank)
    return draw_instance(problem, Sampler(seed, slot.key), slot.pins, slot.where, precision)


def make_variant(plan: Plan, key: str) -> Variant:
    seed = variant_seed(plan.seed, key)
    return Variant(key, seed, tuple((slot, slot_instance(slot, seed, plan.bank, plan.precision)) for slot in plan.slots))
