"""Weight decay on a scale-invariant (weight-normalised) neuron: the gradient step and ||w||.

y = w.x / ||w|| does not change when w is rescaled, so g = grad_w L(y(w)) is orthogonal to w,
while R(w) = lam/2 ||w||^2 pulls w radially inwards. One step from ||w_0|| = 1 gives
||w_1||^2 = (1 - alpha lam)^2 + alpha^2 a^2 (Pythagoras), which is below 1 exactly when
alpha < 2 lam / (lam^2 + a^2).
"""

from fractions import Fraction

from generator.authoring import (
    Answer,
    Choice,
    Constraint,
    Decimal,
    Mistake,
    Part,
    central_gradient,
    rational,
    sqrt_rational,
    terminates,
)

TITLE = "Batch normalisation with weight decay: one gradient step"
TITLES = {"de": "Batch-Normalisierung mit Weight Decay: ein Gradientenschritt"}
SOURCE = "dl-ss2021-seminar5.md, assignment 1; dl-ss2023-seminar5.md, assignment 3"

PARTS = (
    Part("grad_R", points=2, answers=("grad_R",), space="3cm"),
    Part("optimum", points=3, answers=("proof_optimum",), space="4.5cm"),
    Part("orthogonal", points=3, answers=("proof_orthogonal",), space="5cm"),
    Part("step", points=3, answers=("norm_after_step", "norm_decreases"), space="4cm"),
    Part("threshold", points=3, answers=("alpha_threshold",), space="4cm"),
)

PARAMS = (
    Decimal("lam", 0.1, 1.0, 0.1, domain=(0.001, 100)),
    Decimal("a", 0.2, 2.0, 0.1, domain=(0.001, 100)),
    Decimal("alpha", 0.1, 1.0, 0.1, domain=(0.001, 100)),
    Choice("phi", tuple(range(0, 360, 15))),   # direction of w_0 in degrees, for the figure
)

STRUCTURE = ()   # one neuron, one step: every parameter is a number


def _F(x) -> Fraction:
    return Fraction(str(x))


def _norm_sq(p) -> Fraction:
    alpha, lam, a = _F(p["alpha"]), _F(p["lam"]), _F(p["a"])
    return (1 - alpha * lam) ** 2 + (alpha * a) ** 2


CONSTRAINTS = (
    Constraint("alpha lam < 1 (the decay part of the step does not overshoot the origin)",
               lambda p: _F(p["alpha"]) * _F(p["lam"]) < 1, pedagogical=True),
    Constraint("||w_1|| differs from 1 by at least 0.01 (alpha is clearly off the threshold)",
               lambda p: abs(float(_norm_sq(p)) ** 0.5 - 1) >= 0.01, pedagogical=True),
    # With alpha = a, a solution that swaps the step length and the gradient's norm gets the
    # right answers: the grader could not tell the mistake.
    Constraint("alpha != a (a swap of step length and gradient norm stays visible)",
               lambda p: _F(p["alpha"]) != _F(p["a"]), pedagogical=True),
)

ANSWERS = (
    Answer("grad_R", "expr", "gradient of R(w), in the symbols lam and w", symbols=("lam", "w")),
    Answer("norm_after_step", "real", "||w_1|| after one gradient step from w_0", atol=0.002, rtol=0.002),
    Answer("norm_decreases", "bool", "whether ||w_1|| < ||w_0|| = 1"),
    Answer("alpha_threshold", "real", "the norm decreases exactly for 0 < alpha < this value", atol=0.002, rtol=0.005),
    Answer("proof_optimum", "proof", "gradient descent started at an optimum of L"),
    Answer("proof_orthogonal", "proof", "g is orthogonal to w_0 and to grad R(w_0)"),
)


def solve(p):
    import math

    lam, a, alpha = _F(p["lam"]), _F(p["a"]), _F(p["alpha"])
    radial = 1 - alpha * lam                  # w_0 component of w_1
    tangential = alpha * a                    # length of the -alpha g component
    norm_sq = radial ** 2 + tangential ** 2
    threshold = 2 * lam / (lam ** 2 + a ** 2)

    # Figure coordinates (unit circle, w_0 at angle phi, g = a (-sin phi, cos phi)).
    phi = math.radians(p["phi"])
    u = (math.cos(phi), math.sin(phi))        # w_0, radial unit vector
    t = (-math.sin(phi), math.cos(phi))       # tangential unit vector, direction of g
    lamf, af, alphaf = float(lam), float(a), float(alpha)

    def point(x: float, y: float) -> list[float]:
        return [round(x, 3), round(y, 3)]

    w1f = (float(radial) * u[0] - alphaf * af * t[0], float(radial) * u[1] - alphaf * af * t[1])
    tips = [u, w1f, (u[0] + af * t[0], u[1] + af * t[1]), ((1 + lamf) * u[0], (1 + lamf) * u[1])]
    extent = max(1.0, *(abs(c) for tip in tips for c in tip)) + 0.35
    scale = min(2.5, 3.6 / extent)           # cm per unit: the drawing stays about 7 cm wide
    gap = 0.3 / scale                         # label distance from a tip: 3 mm
    corner = 0.2 / scale                      # right-angle mark: 2 mm

    def shifted(base, *moves) -> list[float]:
        """base plus gap times each unit direction in moves."""
        return point(base[0] + sum(gap * m[0] for m in moves), base[1] + sum(gap * m[1] for m in moves))

    figure = {
        "scale": round(scale, 2),
        "extent": round(extent, 2),
        "w0": point(*u),
        "g_tip": point(*tips[2]),
        "r_tip": point(*tips[3]),
        "after_g": point(u[0] - alphaf * af * t[0], u[1] - alphaf * af * t[1]),
        "w1": point(*w1f),
        # labels: w_0 beside the middle of its arrow, away from the step; the others past their tips
        "w0_label": shifted((u[0] / 2, u[1] / 2), t),
        "origin_label": shifted((0.0, 0.0), (-u[0], -u[1])),
        "g_label": shifted(tips[2], t),
        "r_label": shifted(tips[3], u),
        "w1_label": shifted(w1f, (-t[0], -t[1])),
        "mark": [point(u[0] - corner * u[0], u[1] - corner * u[1]),
                 point(u[0] - corner * u[0] + corner * t[0], u[1] - corner * u[1] + corner * t[1]),
                 point(u[0] + corner * t[0], u[1] + corner * t[1])],
    }
    # On an axis the sheet prints w_0 as (0, -1), not as (cos 270 deg, sin 270 deg).
    axis = {0: (1, 0), 90: (0, 1), 180: (-1, 0), 270: (0, -1)}.get(p["phi"] % 360)
    return {
        "w0_axis": list(axis) if axis else None,
        "grad_R": "lam*w",
        "norm_after_step": sqrt_rational(norm_sq),
        "norm_decreases": norm_sq < 1,
        "alpha_threshold": rational(threshold),
        # what the solution shows
        "decay_factor": rational(radial),
        "alpha_lam": rational(alpha * lam),
        "radial": rational(radial),
        "tangential": rational(tangential),
        "radial_sq": rational(radial ** 2),
        "tangential_sq": rational(tangential ** 2),
        "norm_sq": rational(norm_sq),
        "lam_sq": rational(lam ** 2),
        "a_sq": rational(a ** 2),
        "lam_sq_plus_a_sq": rational(lam ** 2 + a ** 2),
        "two_lam": rational(2 * lam),
        "norm_is_exact_decimal": terminates(norm_sq) and math.isqrt(norm_sq.numerator * norm_sq.denominator) ** 2
        == norm_sq.numerator * norm_sq.denominator,
        "step_length": float(alpha) * math.hypot(lamf, af),
        "fig": figure,
    }


def check(p, answers):
    """Simulate the step in 2-D, with grad R by finite differences; bisection for the threshold."""
    import math

    import numpy as np

    from generator.authoring import Approx

    lam, a = float(p["lam"]), float(p["a"])
    phi = math.radians(p["phi"])
    w0 = np.array([math.cos(phi), math.sin(phi)])
    g = a * np.array([-math.sin(phi), math.cos(phi)])

    def R(w):
        return lam / 2 * float(w @ w)

    def grad_R(w):
        # central differences: exact for the quadratic R up to rounding
        return central_gradient(R, w, h=1e-4)

    # The step direction does not depend on alpha: the full gradient of L~ at w_0 (g plus grad R
    # by differences), then ||w_0 - alpha d|| in plain floats for the many bisection evaluations.
    dx, dy = (float(v) for v in g + grad_R(w0))
    x0, y0 = float(w0[0]), float(w0[1])

    def norm_after(alpha: float) -> float:
        return math.hypot(x0 - alpha * dx, y0 - alpha * dy)

    norm = norm_after(float(p["alpha"]))

    # ||w_1(alpha)|| - 1 is negative just above alpha = 0 (slope -lam) and positive for large alpha.
    lo, hi = 1e-9, 1.0
    while norm_after(hi) <= 1:
        hi *= 2
    while hi - lo > 1e-12:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if norm_after(mid) < 1 else (lo, mid)

    # grad R: fit grad R(w) = k w over random points; k must be lam for the symbolic lam*w.
    points = np.random.default_rng(0).normal(size=(4, 2))
    grads = np.array([grad_R(w) for w in points])
    k = float(np.sum(grads * points) / np.sum(points * points))
    proportional = np.allclose(grads, k * points, atol=1e-8)
    grad_expr = "lam*w" if proportional and abs(k - lam) < 1e-8 else f"{k}*w"
    return {
        "grad_R": grad_expr,
        "norm_after_step": Approx(norm, atol=1e-9),
        "norm_decreases": norm < 1,
        "alpha_threshold": Approx((lo + hi) / 2, atol=1e-10),
    }


MISTAKES = (
    Mistake("no-tangential", "ignored the gradient g: ||w_1|| = 1 - alpha lam (which always looks like a decrease)",
            lambda p: {"norm_after_step": 1 - float(p["alpha"]) * float(p["lam"])}),
    Mistake("lambda-squared-dropped", "forgot lam^2 in the threshold: alpha < 2 lam / a^2",
            lambda p: {"alpha_threshold": 2 * float(p["lam"]) / float(p["a"]) ** 2}),
    Mistake("added-norms", "added the lengths instead of Pythagoras: ||w_1|| = 1 - alpha lam + alpha a",
            lambda p: {"norm_after_step": 1 - float(p["alpha"]) * float(p["lam"]) + float(p["alpha"]) * float(p["a"])}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "grad_R": (
        Step("gradient lambda w of the regulariser", 0.5),
        Step("the step shrinks w by 1 - alpha lambda (weight decay)", 0.5),
    ),
    "optimum": (
        Step("at a minimiser g = 0, so each step only rescales w", 0.5),
        Step("scale invariance keeps it a minimiser; the norm shrinks to 0 and never stops", 0.5),
    ),
    "orthogonal": (
        Step("scale invariance differentiated: g^T w = 0", 0.5),
        Step("the gradient of R parallel to w, hence orthogonal to g", 0.25),
        Step("the sketch (tangent g, radial grad R)", 0.25),
    ),
    "step": (
        Step("norm after the step from the orthogonal components (Pythagoras)", "2/3"),
        Step("whether the norm decreases", "1/3"),
    ),
    "threshold": (
        Step("condition for the norm to decrease set up", 0.5),
        Step("the step-length threshold solved", 0.5),
    ),
}
