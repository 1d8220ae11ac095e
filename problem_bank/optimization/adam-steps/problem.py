"""Adam, two or three steps on a given sequence of 2-D gradients, with bias correction.

    m^t = beta1 m^{t-1} + (1 - beta1) g^t,        v^t = beta2 v^{t-1} + (1 - beta2) (g^t)^2,
    m_hat^t = m^t / (1 - beta1^t),                v_hat^t = v^t / (1 - beta2^t),
    w^t = w^{t-1} - lr m_hat^t / (sqrt(v_hat^t) + eps),            m^0 = v^0 = 0,

squares, roots and divisions elementwise. The moments are exact rationals (the key gets their
exact forms); the iterates involve square roots and are decimals.
"""

from fractions import Fraction

from generator.authoring import Answer, Choice, Constraint, Int, Matrix, Mistake, Part, Vector

TITLE = "Adam with bias correction, step by step"
SOURCE = "problem catalog, part 2 (deep-learning course: optimisation)"

PARTS = (
    Part("moments", points=3, answers=("m", "v"), space="5cm"),
    Part("corrected", points=2, answers=("m_hat", "v_hat"), space="4cm"),
    Part("steps", points=3, answers=("w",), space="5cm"),
)

PARAMS = (
    Int("T", 2, 3),
    Matrix("grads", rows="T", cols=2, low=-4, high=4, nonzero=True),
    Vector("w0", length=2, low=-2, high=2),
    Choice("lr", (0.05, 0.1, 0.2)),
    Choice("beta1", (0.5, 0.8, 0.9)),
    Choice("beta2", (0.9, 0.99, 0.999)),
    Choice("eps", (1e-8, 0.01)),
)

STRUCTURE = ("T",)

# The moments are small when beta2 is near 1 (v^1 = 0.001 (g^1)^2): relative tolerances, with an
# absolute floor far below the smallest possible entry (0.001 for |g| >= 1).
_MOMENT_TOL = {"atol": 1e-6, "rtol": 0.005}

ANSWERS = (
    Answer("m", "matrix", "first moments m^t, one row per step t", **_MOMENT_TOL),
    Answer("v", "matrix", "second moments v^t, one row per step t", **_MOMENT_TOL),
    Answer("m_hat", "matrix", "bias-corrected first moments m_hat^t, one row per step t", **_MOMENT_TOL),
    Answer("v_hat", "matrix", "bias-corrected second moments v_hat^t, one row per step t", **_MOMENT_TOL),
    Answer("w", "matrix", "iterates w^t, one row per step t"),
)

# Every gradient entry is a non-zero integer (declared above), so every step moves.
CONSTRAINTS = (
    Constraint("in each coordinate the gradient's magnitude changes between steps (else v_hat^t is just g^2)",
               lambda p: all(len({abs(row[j]) for row in p["grads"]}) > 1 for j in (0, 1))),
)


def _fr(x) -> Fraction:
    return Fraction(str(x))


def _moments(grads, b1, b2):
    """Recursions for m, v and their corrections; exact with Fractions."""
    m, v = [0 * b1, 0 * b1], [0 * b2, 0 * b2]
    rows = {"m": [], "v": [], "m_hat": [], "v_hat": []}
    for t, g in enumerate(grads, start=1):
        m = [b1 * a + (1 - b1) * x for a, x in zip(m, g, strict=True)]
        v = [b2 * a + (1 - b2) * x * x for a, x in zip(v, g, strict=True)]
        rows["m"].append(m)
        rows["v"].append(v)
        rows["m_hat"].append([a / (1 - b1 ** t) for a in m])
        rows["v_hat"].append([a / (1 - b2 ** t) for a in v])
    return rows


def _steps(w0, lr, eps, m_hat, v_hat, root=True):
    """Iterates from corrected moments (root=False: the 'no square root' slip)."""
    w, out, shown = [float(x) for x in w0], [], []
    for mh, vh in zip(m_hat, v_hat, strict=True):
        denominators = [(float(b) ** 0.5 if root else float(b)) + eps for b in vh]
        step = [lr * float(a) / d for a, d in zip(mh, denominators, strict=True)]
        shown.append({"w_prev": list(w), "root": [float(b) ** 0.5 for b in vh], "step": step})
        w = [a - s for a, s in zip(w, step, strict=True)]
        out.append(w)
    return out, shown


def _eps_power(eps: float) -> dict | None:
    """1e-08 as 10^{-8} (mantissa None) or 2.5e-08 as 2.5 * 10^{-8}; None for an eps the
    template prints as a decimal, 0.01 (a decimal reads best when short). Numbers, not LaTeX:
    the template prints them with the filters, in the exam's language."""
    if eps >= 1e-3:
        return None
    mantissa, exponent = f"{eps:e}".split("e")
    return {"mantissa": None if float(mantissa) == 1 else float(f"{float(mantissa):g}"), "exponent": int(exponent)}


def solve(p):
    import sympy

    b1, b2 = _fr(p["beta1"]), _fr(p["beta2"])
    grads = [[Fraction(x) for x in row] for row in p["grads"]]
    rows = _moments(grads, b1, b2)
    w, shown = _steps(p["w0"], float(p["lr"]), float(p["eps"]), rows["m_hat"], rows["v_hat"])

    def exact(matrix):
        return [[sympy.Rational(x.numerator, x.denominator) for x in row] for row in matrix]

    T = len(grads)
    return {
        **{name: exact(matrix) for name, matrix in rows.items()},
        "w": w,
        # shown in the worked solution
        "eps_power": _eps_power(float(p["eps"])),
        "one_minus_b1": float(1 - b1),
        "one_minus_b2": float(1 - b2),
        "b1_powers": [float(1 - b1 ** t) for t in range(1, T + 1)],
        "b2_powers": [float(1 - b2 ** t) for t in range(1, T + 1)],
        "g_squared": [[float(x * x) for x in row] for row in grads],
        "m_prev": [[0.0, 0.0]] + [[float(x) for x in row] for row in rows["m"][:-1]],
        "v_prev": [[0.0, 0.0]] + [[float(x) for x in row] for row in rows["v"][:-1]],
        "w_steps": shown,
        "no_correction_factor": float(1 - b1) / float(1 - b2) ** 0.5,
        "first_step_sign": [float(p["lr"]) * (1 if x > 0 else -1) for x in p["grads"][0]],
    }


def check(p, answers):
    """A second implementation in numpy: the moments as unrolled weighted sums, and the step with
    the bias correction folded into the step size, alpha_t = lr sqrt(1 - beta2^t)/(1 - beta1^t),
    with eps scaled to eps sqrt(1 - beta2^t) so that the update is the same one."""
    import numpy as np

    g = np.array(p["grads"], dtype=float)
    b1, b2, lr, eps = float(p["beta1"]), float(p["beta2"]), float(p["lr"]), float(p["eps"])
    T = len(g)
    m = np.array([sum((1 - b1) * b1 ** (t - s) * g[s] for s in range(t + 1)) for t in range(T)])
    v = np.array([sum((1 - b2) * b2 ** (t - s) * g[s] ** 2 for s in range(t + 1)) for t in range(T)])
    powers = np.arange(1, T + 1)[:, None]
    w, iterates = np.array(p["w0"], dtype=float), []
    for t in range(T):
        alpha = lr * np.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1))
        w = w - alpha * m[t] / (np.sqrt(v[t]) + eps * np.sqrt(1 - b2 ** (t + 1)))
        iterates.append(w)
    return {"m": m, "v": v, "m_hat": m / (1 - b1 ** powers), "v_hat": v / (1 - b2 ** powers),
            "w": np.array(iterates)}


def _float_moments(p):
    grads = [[float(x) for x in row] for row in p["grads"]]
    return _moments(grads, float(p["beta1"]), float(p["beta2"]))


def _no_bias_correction(p):
    """Used m^t and v^t directly: no division by 1 - beta^t."""
    rows = _float_moments(p)
    w, _ = _steps(p["w0"], float(p["lr"]), float(p["eps"]), rows["m"], rows["v"])
    return {"m_hat": rows["m"], "v_hat": rows["v"], "w": w}


def _no_square_root(p):
    """Divided by v_hat + eps instead of sqrt(v_hat) + eps."""
    rows = _float_moments(p)
    w, _ = _steps(p["w0"], float(p["lr"]), float(p["eps"]), rows["m_hat"], rows["v_hat"], root=False)
    return {"w": w}


def _unsquared_second_moment(p):
    """Averaged |g| instead of g^2 in the second moment (and took its root all the same)."""
    b2 = float(p["beta2"])
    v, v_rows, v_hat_rows = [0.0, 0.0], [], []
    for t, row in enumerate(p["grads"], start=1):
        v = [b2 * a + (1 - b2) * abs(float(x)) for a, x in zip(v, row, strict=True)]
        v_rows.append(v)
        v_hat_rows.append([a / (1 - b2 ** t) for a in v])
    signed = _float_moments(p)
    w, _ = _steps(p["w0"], float(p["lr"]), float(p["eps"]), signed["m_hat"], v_hat_rows)
    return {"v": v_rows, "v_hat": v_hat_rows, "w": w}


MISTAKES = (
    Mistake("no-bias-correction", "skipped the bias correction: stepped with m^t / (sqrt(v^t) + eps)",
            _no_bias_correction),
    Mistake("no-sqrt", "omitted the square root on v_hat: stepped with m_hat / (v_hat + eps)", _no_square_root),
    Mistake("abs-not-square", "averaged |g| instead of g^2 in the second moment", _unsquared_second_moment),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "moments": (
        Step("first moment m_t = beta1 m + (1 - beta1) g", 0.5),
        Step("second moment v_t = beta2 v + (1 - beta2) g^2", 0.5),
    ),
    "corrected": (
        Step("bias corrections m / (1 - beta1^t), v / (1 - beta2^t)", 1),
    ),
    "steps": (
        Step("update w - eta m_hat / (sqrt(v_hat) + eps) per step", "2/3"),
        Step("the iterates", "1/3"),
    ),
}
