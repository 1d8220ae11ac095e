"""Linearised trust-region step: minimise <g, theta - theta_t> over an L2 ball or an L-infinity box.

The minimiser is Delta = -eps g/||g||_2 (ball) or Delta = -eps sign(g) (box, the FGSM step),
and the model decreases by eps times the dual norm of g: ||g||_2 for the ball, ||g||_1 for the box.
"""

from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from itertools import combinations_with_replacement
from math import isqrt

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Decimal,
    Int,
    Mistake,
    Part,
    Vector,
    square_free,
)

TITLE = "Trust-region step for a linearised loss"
TITLES = {"de": "Trust-Region-Schritt für einen linearisierten Verlust"}
SOURCE = "dl-ss2023-seminar5.md, assignment 2; dl-ss2021-seminar5.md, assignment 2"

PARTS = (
    Part("lagrangian", points=4, answers=("lagrangian",), space="6cm"),
    Part("step", points=4, answers=("delta", "theta_next"), space="4cm"),
    Part("decrease", points=2, answers=("model_decrease",), space="2.5cm"),
)


@cache
def _integer_norm_magnitudes(n: int) -> tuple[tuple[int, ...], ...]:
    """n values |g_i| in 1..9, not all equal, with an integer Euclidean norm: (2, 3, 6) -> 7,
    (1, 2, 2, 4) -> 5, ... (none for n = 1 or n > 6: those sizes are drawn as for the box)."""
    if not 2 <= n <= 6:
        return ()
    return tuple(
        v for v in combinations_with_replacement(range(1, 10), n)
        if len(set(v)) > 1 and isqrt(sum(x * x for x in v)) ** 2 == sum(x * x for x in v)
    )


@dataclass(frozen=True)
class Gradient(Vector):
    """The gradient g, drawn so that a student can work with it by hand.

    For the ball: |g_i| from a list with an integer norm, permuted, with random signs, so that
    g/||g||_2 has rational entries. For the box: non-zero short decimals (only their signs and
    absolute values matter). A pinned g is any list of numbers: a norm such as sqrt(14) is
    then carried exactly as a radical.
    """

    def draw(self, rng, params):
        length = params["n"]
        options = _integer_norm_magnitudes(length)
        if params["norm"] == "linf" or not options:
            return [rng.sign() * rng.decimal(0.5, 4.0, 0.5) for _ in range(length)]
        return [rng.sign() * m for m in rng.shuffle(rng.choice(options))]


PARAMS = (
    Choice("norm", ("l2", "linf")),
    Int("n", 3, 4, domain=(1, 20)),          # dimension of theta and g
    Gradient("g", length="n", low=-10, high=10, step=0.5, domain=(-1000, 1000)),
    Vector("theta", length="g", low=-3, high=3, step=0.5, domain=(-1000, 1000)),
    Decimal("eps", 0.1, 1.0, 0.1, domain=(0.0001, 1000)),
)

STRUCTURE = ("norm", "n")

CONSTRAINTS = (
    Constraint("g is not the zero vector", lambda p: any(x != 0 for x in p["g"])),
    Constraint("for the box (linf), no component of g is 0 (sign(0) leaves the step undetermined)",
               lambda p: p["norm"] == "l2" or all(x != 0 for x in p["g"])),
)

ANSWERS = (
    Answer("lagrangian", "proof", "derivation of the minimiser with Lagrange multipliers"),
    Answer("delta", "vector", "the step Delta theta", atol=0.005, rtol=0.005),
    Answer("theta_next", "vector", "the new point theta^{t+1}", atol=0.005, rtol=0.005),
    Answer("model_decrease", "real", "decrease of the linear model", atol=0.005, rtol=0.005),
)


# Exact arithmetic uses Fractions and surds c*sqrt(r) (r a square-free integer): every value
# here has that form. sympy builds only the answer fields (for the key's exact map): its
# generic printing of radicals costs milliseconds per value, too slow for verify.

def _surd(m: Fraction) -> tuple[Fraction, int]:
    """sqrt(m) as (c, r) with sqrt(m) = c sqrt(r), r a square-free integer."""
    square, core = square_free(m.numerator * m.denominator)  # sqrt(a/b) = sqrt(a b)/b
    return Fraction(square, m.denominator), core


def _sym(c: Fraction, r: int = 1):
    """c sqrt(r) as a sympy number (a Rational when r = 1)."""
    import sympy

    value = sympy.Rational(c.numerator, c.denominator)
    return value if r == 1 else value * sympy.sqrt(r)


def _tex(c: Fraction, r: int = 1) -> str:
    """c sqrt(r) in LaTeX: -\\frac{7}{10}, \\frac{3\\sqrt{2}}{4}, 2\\sqrt{21}."""
    sign = "-" if c < 0 else ""
    top, bottom = abs(c.numerator), c.denominator
    if r == 1:
        body = str(top) if bottom == 1 else rf"\frac{{{top}}}{{{bottom}}}"
    else:
        root = ("" if top == 1 else str(top)) + rf"\sqrt{{{r}}}"
        body = root if bottom == 1 else rf"\frac{{{root}}}{{{bottom}}}"
    return sign + body


def _plain_number(x: Fraction) -> int | float:
    return x.numerator if x.denominator == 1 else float(x)


def _is_short_decimal(x: Fraction) -> bool:
    """At most 4 decimal places (the denominator divides 10^4)."""
    return 10**4 % x.denominator == 0


def solve(p):
    g = [Fraction(str(x)) for x in p["g"]]
    theta = [Fraction(str(x)) for x in p["theta"]]
    eps = Fraction(str(p["eps"]))
    sum_sq = sum(x * x for x in g)
    norm_c, norm_r = _surd(sum_sq)              # ||g||_2 = norm_c sqrt(norm_r)
    norm1 = sum(abs(x) for x in g)
    values = {"n": len(g), "sum_sq": _plain_number(sum_sq), "norm1": _plain_number(norm1),
              "abs_g": [_plain_number(abs(x)) for x in g], "norm2": float(norm_c) * norm_r**0.5,
              "norm2_tex": _tex(norm_c, norm_r), "norm2_is_rational": norm_r == 1}
    if p["norm"] == "l2":
        # eps/||g||_2 = ratio sqrt(r) with ratio = eps/(c r); Delta_i = -ratio g_i sqrt(r).
        ratio = eps / (norm_c * norm_r)
        delta = [_sym(-ratio * x, norm_r) for x in g]
        theta_next = [_sym(t) + d for t, d in zip(theta, delta, strict=True)]
        decrease_c, decrease_r = eps * norm_c, norm_r
        lam_c = norm_c / (2 * eps)                  # lambda = ||g||_2 / (2 eps)
        values.update({
            "ratio_tex": _tex(ratio, norm_r), "lam_tex": _tex(lam_c, norm_r),
            "lam": float(lam_c) * norm_r**0.5, "ratio": float(ratio) * norm_r**0.5,
            "exact_step": norm_r == 1 and all(_is_short_decimal(ratio * x) for x in g)
            and all(_is_short_decimal(t - ratio * x) for t, x in zip(theta, g, strict=True)),
        })
    else:
        signs = [1 if x > 0 else -1 for x in g]
        delta = [_sym(-eps * sign) for sign in signs]
        theta_next = [_sym(t - eps * sign) for t, sign in zip(theta, signs, strict=True)]
        decrease_c, decrease_r = eps * norm1, 1
        values.update({"signs": signs, "multipliers": [float(abs(x) / (2 * eps)) for x in g]})
    values.update({
        "delta": delta,
        "theta_next": theta_next,
        "model_decrease": _sym(decrease_c, decrease_r),
        "decrease_tex": _tex(decrease_c, decrease_r),
        "decrease_is_decimal": decrease_r == 1 and _is_short_decimal(decrease_c),
    })
    return values


# SLSQP on the ball is approximate. Measured over 20,000 sampled instances with the set-up
# below (ftol 1e-12): largest error 7e-8 on delta and theta_next, 1e-10 on the model
# decrease (second order at the optimum). 1e-6 covers that with margin; a real mistake is
# of the order of the grading tolerance 5e-3 or more, so it is still caught.
SLSQP_ATOL = 1e-6


def _ball_step(g, eps):
    """argmin <g, d> s.t. ||d||_2 <= eps, by SLSQP. The problem is posed in u = d/eps with g
    scaled to max |g_i| = 1 (so the objective is of order 1), and with the constraint
    1 - ||u||_2 >= 0 rather than its square (with the square SLSQP often stops in exit mode 8,
    "positive directional derivative in line search", at the optimum). A second and a third
    start, used in about 1 instance in 2,000, cover the rare stop of that kind."""
    import numpy as np
    from scipy.optimize import minimize

    scaled = g / np.max(np.abs(g))
    inside = [{"type": "ineq", "fun": lambda u: 1 - np.sqrt(u @ u), "jac": lambda u: -u / np.sqrt(u @ u)}]
    for start in (0.1, -0.1, 0.2):
        result = minimize(lambda u: scaled @ u, np.full_like(g, start), jac=lambda u: scaled, method="SLSQP",
                          constraints=inside, options={"ftol": 1e-12, "maxiter": 200})
        if result.success:
            return eps * result.x
    raise RuntimeError(f"SLSQP did not converge: {result.message}")


def check(p, answers):
    """The box is a linear programme (scipy linprog, exact at a vertex); the ball is solved
    numerically with SLSQP."""
    import numpy as np

    g = np.array(p["g"], dtype=float)
    theta = np.array(p["theta"], dtype=float)
    eps = float(p["eps"])
    if p["norm"] == "linf":
        from scipy.optimize import linprog

        result = linprog(g, bounds=[(-eps, eps)] * len(g), method="highs")
        if result.status != 0:
            raise RuntimeError(f"linprog failed: {result.message}")
        return {"delta": result.x, "theta_next": theta + result.x, "model_decrease": -result.fun}

    step = _ball_step(g, eps)
    return {
        "delta": Approx(step, atol=SLSQP_ATOL),
        "theta_next": Approx(theta + step, atol=SLSQP_ATOL),
        "model_decrease": Approx(-(g @ step), atol=SLSQP_ATOL),
    }


def _norms(p):
    g = [float(x) for x in p["g"]]
    return g, sum(x * x for x in g) ** 0.5, sum(abs(x) for x in g)


def _unnormalised(p):
    """Forgot to divide by ||g||_2: Delta = -eps g (the plain gradient step)."""
    g, norm2, _ = _norms(p)
    delta = [-p["eps"] * x for x in g]
    return {"delta": delta, "theta_next": [t + d for t, d in zip(p["theta"], delta, strict=True)],
            "model_decrease": p["eps"] * norm2**2}


def _ascent(p):
    """Took the maximiser (the stationary point with the other sign): Delta = +eps g/||g|| or +eps sign(g)."""
    g, norm2, norm1 = _norms(p)
    if p["norm"] == "l2":
        delta = [p["eps"] * x / norm2 for x in g]
        decrease = -p["eps"] * norm2
    else:
        delta = [p["eps"] * (1 if x > 0 else -1) for x in g]
        decrease = -p["eps"] * norm1
    return {"delta": delta, "theta_next": [t + d for t, d in zip(p["theta"], delta, strict=True)],
            "model_decrease": decrease}


def _wrong_dual_norm(p):
    """Used the norm of the constraint instead of its dual: eps ||g||_1 for the ball, eps ||g||_2 for the box."""
    _, norm2, norm1 = _norms(p)
    return {"model_decrease": p["eps"] * (norm1 if p["norm"] == "l2" else norm2)}


MISTAKES = (
    Mistake("unnormalised", "took Delta = -eps g, forgetting to normalise the gradient", _unnormalised),
    Mistake("ascent", "took the stationary point with the wrong sign, which maximises the model", _ascent),
    Mistake("wrong-dual-norm", "gave eps times the wrong norm of g for the model decrease", _wrong_dual_norm),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "lagrangian": (
        Step("the linear model minimised over the region: its Lagrangian", 0.5),
        Step("stationarity and complementary slackness solved for the step", 0.5),
    ),
    "step": (
        Step("the step on the region's boundary against g", 0.5),
        Step("theta_next = theta + delta", 0.5),
    ),
    "decrease": (
        Step("the decrease -<g, delta>: the radius times the dual norm of g", 1),
    ),
}
