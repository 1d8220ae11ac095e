"""Exact values without sympy's printers: rationals and square roots as `Exact` answers.

sympy builds the same values, but printing them (`sympy.latex`) costs about a millisecond
each, more than the rest of an instance. Problems whose closed forms are rationals or
a + b sqrt(r) build them here from `fractions.Fraction`; the key then carries the exact form
(a sympy string) beside the decimal, and templates print the LaTeX made here.
"""

from __future__ import annotations

import math
from fractions import Fraction

from generator.answers import Exact


def square_free(n: int) -> tuple[int, int]:
    """(k, r) with n = k^2 r and r square-free: sqrt(48) = 4 sqrt(3) -> (4, 3)."""
    square, core = 1, n
    for f in range(2, math.isqrt(n) + 1):
        while core % (f * f) == 0:
            core //= f * f
            square *= f
    return square, core


def terminates(x: Fraction) -> bool:
    """Whether x has a finite decimal expansion (its denominator is 2^a 5^b)."""
    d = x.denominator
    for prime in (2, 5):
        while d % prime == 0:
            d //= prime
    return d == 1


def rational(x: Fraction, decimals: bool = True) -> int | float | Exact:
    """x for the key: an int; a float when its decimal terminates (0.995) and `decimals` is
    set; otherwise an Exact p/q whose LaTeX is \\frac{p}{q}."""
    if x.denominator == 1:
        return int(x)
    if decimals and terminates(x):
        return float(x)
    sign = "-" if x < 0 else ""
    return Exact(f"{x.numerator}/{x.denominator}", rf"{sign}\frac{{{abs(x.numerator)}}}{{{x.denominator}}}", float(x))


def sqrt_rational(q: Fraction) -> int | float | Exact:
    """sqrt(q) for a rational q >= 0: a rational when q is a square, else (k sqrt(r))/n."""
    n = q.numerator * q.denominator  # sqrt(num/den) = sqrt(num den)/den
    k = math.isqrt(n)
    if k * k == n:
        return rational(Fraction(k, q.denominator))
    square, core = square_free(n)
    coef = Fraction(square, q.denominator)
    top = "" if coef.numerator == 1 else str(coef.numerator)
    text = (f"{coef.numerator}*" if coef.numerator != 1 else "") + f"sqrt({core})" + (
        f"/{coef.denominator}" if coef.denominator != 1 else "")
    body = top + rf"\sqrt{{{core}}}"
    latex = body if coef.denominator == 1 else rf"\frac{{{body}}}{{{coef.denominator}}}"
    return Exact(text, latex, float(coef) * math.sqrt(core))


def surd(a: Fraction, b: Fraction, radicand: int) -> Fraction | Exact:
    """a + b sqrt(radicand) exactly: a Fraction when the root is rational, else an Exact
    written as one fraction, (17 + \\sqrt{193})/3."""
    k = math.isqrt(radicand)
    if k * k == radicand:
        return a + b * k
    square, core = square_free(radicand)
    b *= square
    den = math.lcm(a.denominator, b.denominator)
    A, B = int(a * den), int(b * den)
    g = math.gcd(math.gcd(A, B), den)
    A, B, den = A // g, B // g, den // g
    coef = "" if abs(B) == 1 else str(abs(B))
    sign = "- " if B < 0 else ("+ " if A else "")
    body = (f"{A} " if A else "") + sign + coef + rf"\sqrt{{{core}}}"
    latex = body if den == 1 else rf"\frac{{{body}}}{{{den}}}"
    term = f"{abs(B)}*sqrt({core})" if abs(B) != 1 else f"sqrt({core})"
    text = (f"{A} {'-' if B < 0 else '+'} {term}" if A else f"{'-' if B < 0 else ''}{term}")
    text = text if den == 1 else f"({text})/{den}"
    return Exact(text, latex, (A + B * math.sqrt(core)) / den)
