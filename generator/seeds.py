"""Seed derivation and the sampling primitives every problem draws from.

Why not `numpy.random.Generator.integers`? numpy guarantees the *bit generator's* stream
(PCG64 from a SeedSequence) across versions, but not the results of `Generator` methods:
an upgrade may change how `integers` or `choice` turn raw bits into values, and then every
exam built before would change. So `Sampler` draws only raw 64-bit words from PCG64 and
turns them into integers itself (rejection sampling, unbiased), and everything else
(choices, decimals on a grid, signs, shuffles) is built on those integers.

Seeds:
- a variant's seed is a stable digest of (exam seed, variant key), never Python's salted
  `hash()`;
- each slot's stream comes from SeedSequence(variant seed, digest(slot key)), so adding a
  variant, adding a problem or reordering slots changes no other instance;
- a slot's structure (the problem's STRUCTURE parameters) comes from its own seed, a digest
  of (exam seed, slot key): every variant of the slot shares it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np

T = TypeVar("T")

_MASK64 = (1 << 64) - 1


def digest(text: str, bits: int = 64) -> int:
    """A stable non-negative integer digest of a string (SHA-256, truncated)."""
    raw = hashlib.sha256(text.encode("utf-8")).digest()
    return int.from_bytes(raw[:8], "big") >> (64 - bits)


def variant_seed(exam_seed: int, variant_key: str) -> int:
    """The seed of one variant: 52 bits, so it survives JSON readers that use doubles."""
    return digest(f"examgen-variant|{exam_seed}|{variant_key}", bits=52)


def structure_seed(exam_seed: int, slot_key: str) -> int:
    """The seed of a slot's structure (sizes, norm, schedule), the same for every variant of
    the exam: it depends on the exam seed and the slot key, never on a variant."""
    return digest(f"examgen-structure|{exam_seed}|{slot_key}", bits=52)


class Sampler:
    """A seeded source of the few kinds of random values problems need.

    Built on the raw output of PCG64 only (see the module docstring). `tries` counts the
    rejection-sampling attempts of the problem sampler that owns it.
    """

    def __init__(self, seed: int, stream: str):
        sequence = np.random.SeedSequence([seed & _MASK64, digest(stream)])
        self._bits = np.random.PCG64(sequence)
        self.seed = seed
        self.stream = stream

    def _word(self) -> int:
        return int(self._bits.random_raw())

    def integer(self, low: int, high: int) -> int:
        """A uniform integer in [low, high], both ends included."""
        if high < low:
            raise ValueError(f"empty range [{low}, {high}]")
        span = high - low + 1
        if span == 1:
            return low
        # Rejection on the smallest power-of-two mask >= span: unbiased and exact.
        mask = (1 << (span - 1).bit_length()) - 1
        while True:
            value = self._word() & mask
            if value < span:
                return low + value

    def choice(self, options: Sequence[T]) -> T:
        """One element of `options`, uniformly."""
        if not options:
            raise ValueError("choice from an empty sequence")
        return options[self.integer(0, len(options) - 1)]

    def decimal(self, low: float, high: float, step: float) -> float:
        """A 'nice' decimal on the grid low, low + step, ..., high (e.g. 0.05 steps)."""
        places = _places(step)
        count = round((high - low) / step)
        k = self.integer(0, count)
        return round(low + k * step, places)

    def nonzero_integer(self, low: int, high: int) -> int:
        """A uniform non-zero integer in [low, high]."""
        options = [v for v in range(low, high + 1) if v != 0]
        return self.choice(options)

    def sign(self) -> int:
        return self.choice((-1, 1))

    def shuffle(self, items: Sequence[T]) -> list[T]:
        """A uniformly shuffled copy (Fisher-Yates on our own integers)."""
        out = list(items)
        for i in range(len(out) - 1, 0, -1):
            j = self.integer(0, i)
            out[i], out[j] = out[j], out[i]
        return out

    def sample_without_replacement(self, items: Sequence[T], k: int) -> list[T]:
        return self.shuffle(items)[:k]

    def probability_vector(self, size: int, units: int = 20, min_units: int = 1) -> list[float]:
        """A probability vector on the 1/units grid (0.05 steps by default), each entry at least
        min_units/units: a uniformly drawn composition of `units` into `size` parts."""
        free = units - size * min_units
        cuts = sorted(self.sample_without_replacement(range(1, free + size), size - 1))
        parts = [b - a - 1 for a, b in zip([0, *cuts], [*cuts, free + size], strict=True)]
        return [round((min_units + k) / units, _places(1 / units)) for k in parts]

    def unit_uniform(self) -> float:
        """A float in [0, 1) from 53 random bits (for simulations in checks, not for parameters)."""
        return (self._word() >> 11) / float(1 << 53)


def _places(step: float) -> int:
    """Decimal places of a grid step: 0.05 -> 2, 0.5 -> 1, 1 -> 0."""
    text = repr(float(step))
    if "e" in text:
        mantissa, exponent = text.split("e")
        return max(0, -int(exponent) + len(mantissa.split(".")[1].rstrip("0")))
    return len(text.split(".")[1].rstrip("0")) if "." in text else 0


def fingerprint(data: Any) -> str:
    """A short digest of plain data (used for variant fingerprints)."""
    import json

    blob = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:10]
