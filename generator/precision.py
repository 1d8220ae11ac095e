"""The exam's precision: one rule for the whole sheet, from the spec's `precision:` field.

    precision: 3 significant digits      # the default
    precision: 4 decimals                # or "4 decimal places"

One `Precision` says how decimal answers are to be rounded, and everything that depends on
that follows from it here: the sentence the instructions print, rounding a value, the
tolerance a key answer needs so that every correctly rounded value is right, and how many
decimal places a solution prints.

The tolerance rule. A value r that rounds v correctly satisfies
- to N significant digits: |r - v| <= 0.5 * 10^(floor(log10 |v|) - N + 1)  (<= 5 * 10^-N |v|);
- to N decimals: |r - v| <= 0.5 * 10^-N.
A key answer is right when it is right by the problem's declared tolerance or by that bound.
The key keeps one {atol, rtol} pair per field, so the pair is widened just enough to hold the
union for every entry of the field: the rtol for significant digits (the bound grows with
|v|), the atol for decimals (the bound is constant), each rounded up to two significant
digits. A wider pair (rtol = 5 * 10^-N for every field) would also accept every rounding, but up to
ten times more than that and, measured on the bank, two declared mistakes with it.
Exact-integer entries (JSON ints: counts, sizes) are not decimal answers and add nothing.
Values exactly on the bound are right by the comparison's own edge slack (`EDGE_SLACK`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_EVEN, Decimal
from typing import Any

SIGNIFICANT = "significant digits"
DECIMALS = "decimals"
MAX_DIGITS = 12         # more than float64 carries reliably is not a precision a student can give
# An exact form is "short" when it is no longer than this: 1/3, sqrt(2)/2, 3*sqrt(5)/10. Longer
# ones (5306627/12194500) are no help to write or to check by eye, so the sheets ask for the
# decimal, and the grader's copy shows only the decimal for them.
SHORT_EXACT = 12

_PATTERN = re.compile(
    r"^\s*(?P<n>\d+)\s+(?:(?P<sig>significant\s+(?:digits?|figures?))|(?P<dec>decimals?(?:\s+places?)?|decimal\s+places?))\s*$",
    re.IGNORECASE,
)


def N_(message: str) -> str:
    """Marks a message for the catalogs (gettext's no-op marker): translated where it prints."""
    return message


# The instructions' sentence on exact values (a message catalog translates it, generator.i18n).
EXACT_RULE = N_("Where an answer has a short exact form (such as 1/3 or sqrt(2)/2) you may give it"
              " instead; otherwise give the decimal.")


@dataclass(frozen=True)
class Precision:
    """`digits` significant digits (unit SIGNIFICANT) or decimal places (unit DECIMALS)."""

    digits: int
    unit: str = SIGNIFICANT

    def __post_init__(self) -> None:
        if self.unit not in (SIGNIFICANT, DECIMALS):
            raise ValueError(f"unknown precision unit {self.unit!r}")
        low = 1 if self.unit == SIGNIFICANT else 0
        if not low <= self.digits <= MAX_DIGITS:
            raise ValueError(f"the number of {self.unit} must be from {low} to {MAX_DIGITS}")

    @property
    def significant(self) -> bool:
        return self.unit == SIGNIFICANT

    @property
    def text(self) -> str:
        """The canonical spelling, as the spec takes it and the key records it."""
        if self.significant:
            return f"{self.digits} significant digit{'s' if self.digits != 1 else ''}"
        return f"{self.digits} decimal{'s' if self.digits != 1 else ''}"

    def sentence(self) -> str:
        """The instructions' sentence."""
        if self.significant:
            return f"Give decimal answers to {self.text}."
        places = f"{self.digits} decimal place{'s' if self.digits != 1 else ''}"
        return f"Give decimal answers to {places}."

    def exact_rule(self) -> str:
        """The instructions' sentence on exact values, honest about which ones are meant: a
        short exact form is right (the key's tolerance holds its value), a long one is not
        asked for."""
        return EXACT_RULE

    def instructions(self) -> str:
        """Both sentences, as the instructions print them."""
        return f"{self.sentence()} {self.exact_rule()}"

    # ------------------------------------------------------------ numbers

    def places(self, value: float) -> int:
        """Decimal places that print `value` at this precision (0 for large values)."""
        if not self.significant:
            return self.digits
        value = abs(float(value))
        if value == 0 or not math.isfinite(value):
            return max(0, self.digits - 1)
        return max(0, self.digits - 1 - _exponent(value))

    def round(self, value: float) -> float:
        """`value` rounded at this precision (half to even, on the decimal value it prints as)."""
        value = float(value)
        if value == 0 or not math.isfinite(value):
            return value
        if self.significant:
            quantum = Decimal(1).scaleb(_exponent(abs(value)) - self.digits + 1)
        else:
            quantum = Decimal(1).scaleb(-self.digits)
        return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_EVEN))

    def bound(self, value: float) -> float:
        """The largest |r - value| of a correctly rounded r."""
        if not self.significant:
            return 0.5 * 10.0 ** -self.digits
        value = abs(float(value))
        if value == 0:
            return 0.0
        return 0.5 * 10.0 ** (_exponent(value) - self.digits + 1)

    def tolerance(self) -> dict[str, float]:
        """The {atol, rtol} that accepts every correctly rounded value (see the module docstring)."""
        if self.significant:
            return {"atol": 0.0, "rtol": 5.0 * 10.0 ** -self.digits}
        return {"atol": 0.5 * 10.0 ** -self.digits, "rtol": 0.0}


DEFAULT = Precision(3, SIGNIFICANT)


def short_exact(text: str) -> bool:
    """Whether an exact form (the key's sympy text) is short enough to ask for and to show."""
    return len(text.replace(" ", "")) <= SHORT_EXACT


def _exponent(value: float) -> int:
    """floor(log10(value)) for value > 0, exact at powers of ten (log10 is not, for some)."""
    return Decimal(repr(float(value))).adjusted()


def parse(text: Any) -> Precision:
    """A precision from its spec text; ValueError naming what is accepted otherwise."""
    if isinstance(text, Precision):
        return text
    if not isinstance(text, str):
        raise ValueError("must be a number of significant digits or of decimals")
    match = _PATTERN.match(text)
    if not match:
        raise ValueError("must be a number of significant digits or of decimals")
    digits = int(match["n"])
    unit = SIGNIFICANT if match["sig"] else DECIMALS
    return Precision(digits, unit)


def key_tolerance(declared: Mapping[str, float], value: Any, precision: Precision = DEFAULT) -> dict[str, float]:
    """The key's {atol, rtol} of a field: the declared pair, widened so that every correctly
    rounded value of each decimal entry of `value` (the key's JSON value) is right too.
    Fields without a decimal entry (ints, shapes, choices, bools, expressions) keep it."""
    atol, rtol = float(declared["atol"]), float(declared["rtol"])
    entries = [float(e) for e in _flat(value) if isinstance(e, float) and math.isfinite(e)]
    if precision.significant:
        need = max(((precision.bound(e) - atol) / abs(e) for e in entries if e != 0), default=0.0)
        rtol = max(rtol, _round_up(need))
    else:
        need = max((precision.bound(e) - rtol * abs(e) for e in entries), default=0.0)
        atol = max(atol, _round_up(need))
    return {"atol": atol, "rtol": rtol}


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [e for v in value for e in _flat(v)]
    return [value]


def _round_up(value: float) -> float:
    """`value` rounded up to two significant digits (0 for value <= 0): a readable tolerance
    that is never below what is needed."""
    if value <= 0:
        return 0.0
    quantum = Decimal(1).scaleb(_exponent(value) - 1)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_CEILING))


def rounded(value: Any, precision: Precision = DEFAULT) -> Any:
    """A key value with every decimal entry rounded at `precision` (ints and the rest as they are)."""
    if isinstance(value, list):
        return [rounded(v, precision) for v in value]
    if isinstance(value, float):
        return precision.round(value)
    return value
