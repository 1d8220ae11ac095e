"""Exact values built without sympy agree with sympy's own (an independent computation)."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from generator.answers import Exact
from generator.exact import rational, sqrt_rational, square_free, surd, terminates
from generator.seeds import Sampler


def _sympy_value(result):
    return sympy.sympify(result.text) if isinstance(result, Exact) else sympy.nsimplify(result)


@pytest.mark.parametrize("n, expected", [(48, (4, 3)), (12, (2, 3)), (7, (1, 7)), (1, (1, 1)), (72, (6, 2))])
def test_square_free(n, expected):
    assert square_free(n) == expected


def test_latex_of_roots():
    assert sqrt_rational(Fraction(8, 9)).latex == r"\frac{2\sqrt{2}}{3}"
    assert surd(Fraction(17, 3), Fraction(1, 3), 193).latex == r"\frac{17 + \sqrt{193}}{3}"


def test_rational_forms():
    assert rational(Fraction(6, 3)) == 2
    assert rational(Fraction(199, 200)) == 0.995 and terminates(Fraction(199, 200))
    third = rational(Fraction(-1, 3))
    assert isinstance(third, Exact) and third.text == "-1/3" and third.latex == r"-\frac{1}{3}"
    assert isinstance(rational(Fraction(1, 2), decimals=False), Exact)


@pytest.mark.parametrize("q", [Fraction(2), Fraction(8, 9), Fraction(3, 7), Fraction(49, 4), Fraction(50, 3)])
def test_sqrt_rational_matches_sympy(q):
    result = sqrt_rational(q)
    expected = sympy.sqrt(sympy.Rational(q.numerator, q.denominator))
    assert sympy.simplify(_sympy_value(result) - expected) == 0
    assert float(result) == pytest.approx(float(expected), rel=1e-15)


@pytest.mark.parametrize("a, b, r", [(Fraction(17, 3), Fraction(1, 3), 193), (Fraction(0), Fraction(-2), 20),
                                     (Fraction(1, 2), Fraction(3, 4), 9), (Fraction(-1), Fraction(1, 6), 8)])
def test_surd_matches_sympy(a, b, r):
    result = surd(a, b, r)
    expected = sympy.Rational(a.numerator, a.denominator) + sympy.Rational(b.numerator, b.denominator) * sympy.sqrt(r)
    assert sympy.simplify(_sympy_value(result) - expected) == 0
    assert float(result) == pytest.approx(float(expected), rel=1e-14)


def test_probability_vectors_are_on_the_grid_and_sum_to_one():
    rng = Sampler(3, "p")
    for size in (2, 3):
        for _ in range(200):
            vector = rng.probability_vector(size, 20, 2)
            assert len(vector) == size and min(vector) >= 0.1
            assert sum(round(v * 20) for v in vector) == 20
            assert all(abs(v * 20 - round(v * 20)) < 1e-9 for v in vector)


def test_central_gradient_of_a_quadratic_form():
    import numpy as np

    from generator.checks import central_gradient

    A = np.array([[2.0, 1.0], [0.0, 3.0]])
    # f(M) = sum(A * M**2): df/dM = 2 A M, computed here by hand
    M = np.array([[1.0, -2.0], [0.5, 4.0]])
    grad = central_gradient(lambda X: float(np.sum(A * X ** 2)), M)
    assert np.allclose(grad, [[4.0, -4.0], [0.0, 24.0]], atol=1e-6)
