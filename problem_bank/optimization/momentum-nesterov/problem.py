"""Heavy-ball momentum and Nesterov momentum on a 2-D quadratic, step by step.

f(w) = 1/2 w^T A w - b^T w with A symmetric positive definite, so grad f(w) = A w - b. Both
methods start from w^0 with v^0 = 0 and use the velocity form

    heavy ball:  v^{t+1} = beta v^t + grad f(w^t),                    w^{t+1} = w^t - lr v^{t+1}
    Nesterov:    v^{t+1} = beta v^t + grad f(w^t - lr beta v^t),      w^{t+1} = w^t - lr v^{t+1}

The first step of the two coincides (v^0 = 0); they part from the second step on. `method`
names the method(s) whose final objective value the last part asks for (f_final has one entry
per method named: momentum, nesterov, or both in that order); both trajectories are always
asked, since the exam spec, not a parameter, decides which parts a sheet prints.
"""

from dataclasses import dataclass
from fractions import Fraction

from generator.authoring import Answer, Choice, Constraint, Int, Mistake, Param, Part, Vector

TITLE = "Heavy-ball and Nesterov momentum on a quadratic"
SOURCE = "problem catalog, part 2 (deep-learning course: optimisation)"

PARTS = (
    Part("momentum", points=4, answers=("w_momentum",), space="6cm"),
    Part("nesterov", points=4, answers=("w_nesterov",), space="7cm"),
    Part("final", points=2, answers=("f_final",), space="3cm"),
)

METHODS = ("momentum", "nesterov", "both")
LABELS = {"momentum": "heavy ball", "nesterov": "Nesterov"}


@dataclass(frozen=True)
class SymmetricMatrix(Param):
    """A 2x2 symmetric matrix of small integers: diagonal in [1, diag_high], off-diagonal in
    {-1, 0, 1}. (The engine's Matrix draws entries independently, so symmetry would be a
    constraint that rejects five draws in six.)"""

    diag_high: int = 4

    def draw(self, rng, params):
        a, d = rng.integer(1, self.diag_high), rng.integer(1, self.diag_high)
        c = rng.integer(-1, 1)
        return [[a, c], [c, d]]

    def problem_with(self, value, params):
        shaped = (isinstance(value, list) and len(value) == 2
                  and all(isinstance(row, list) and len(row) == 2 for row in value))
        if not shaped:
            return f"must be a 2x2 matrix (two rows of two numbers), got {value!r}"
        entries = [x for row in value for x in row]
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in entries):
            return "entries must be integers"
        if value[0][1] != value[1][0]:
            return "must be symmetric (A[1][2] = A[2][1])"
        if not all(1 <= value[i][i] <= self.diag_high for i in (0, 1)) or abs(value[0][1]) > 1:
            return f"diagonal entries must be in [1, {self.diag_high}] and the off-diagonal in [-1, 1]"
        return None

    def describe(self):
        return f"a symmetric 2x2 integer matrix, diagonal in [1, {self.diag_high}], off-diagonal in [-1, 1]"


PARAMS = (
    SymmetricMatrix("A"),
    Vector("b", length=2, low=-3, high=3),
    Vector("w0", length=2, low=-3, high=3),
    Choice("lr", (0.1, 0.2, 0.25)),
    Choice("beta", (0.5, 0.8, 0.9)),
    Int("T", 2, 3),
    Choice("method", METHODS),
)

# The engine fixes these per slot: every variant of a slot runs as many steps and asks f for
# the same method(s).
STRUCTURE = ("T", "method")


def _fr(x) -> Fraction:
    return Fraction(str(x))


def _grad(A, b, w):
    return [A[i][0] * w[0] + A[i][1] * w[1] - b[i] for i in (0, 1)]


def _f(A, b, w):
    quad = sum(w[i] * A[i][j] * w[j] for i in (0, 1) for j in (0, 1))
    return quad / 2 - (b[0] * w[0] + b[1] * w[1])


def _run(A, b, w0, lr, beta, T, lookahead: bool):
    """The velocity form, exact in Fractions (or floats). Returns iterates and the per-step
    values the solution shows."""
    w, v = list(w0), [0 * lr, 0 * lr]
    rows, steps = [list(w)], []
    for _ in range(T):
        point = [w[i] - lr * beta * v[i] for i in (0, 1)] if lookahead else list(w)
        g = _grad(A, b, point)
        v = [beta * v[i] + g[i] for i in (0, 1)]
        w = [w[i] - lr * v[i] for i in (0, 1)]
        steps.append({"point": point, "grad": g, "v": v, "w": w})
        rows.append(list(w))
    return rows, steps


def _exact(params):
    A = [[_fr(x) for x in row] for row in params["A"]]
    b = [_fr(x) for x in params["b"]]
    w0 = [_fr(x) for x in params["w0"]]
    return A, b, w0, _fr(params["lr"]), _fr(params["beta"])


def _eigenvalues(A):
    a, c, d = A[0][0], A[0][1], A[1][1]
    mid, rad = (a + d) / 2, (((a - d) / 2) ** 2 + c * c) ** 0.5
    return mid - rad, mid + rad


def _both(params):
    A, b, w0, lr, beta = _exact(params)
    mom = _run(A, b, w0, lr, beta, params["T"], lookahead=False)
    nes = _run(A, b, w0, lr, beta, params["T"], lookahead=True)
    return A, b, mom, nes


def _small(params) -> bool:
    _, _, mom, nes = _both(params)
    entries = [abs(x) for rows in (mom[0], nes[0]) for row in rows for x in row]
    return max(entries) <= 10


CONSTRAINTS = (
    Constraint("A is positive definite (det A > 0)",
               lambda p: p["A"][0][0] * p["A"][1][1] - p["A"][0][1] ** 2 > 0),
    Constraint("lr times the largest eigenvalue of A is below 1 (no step overshoots by itself)",
               lambda p: float(p["lr"]) * _eigenvalues(p["A"])[1] < 1),
    Constraint("both components of grad f(w^0) are non-zero (the methods part at step 2)",
               lambda p: all(g != 0 for g in _grad(p["A"], p["b"], p["w0"]))),
    Constraint("w^0 is not the minimiser's neighbour: f(w^0) - f(w*) is at least 1",
               lambda p: _gap(p) >= 1),
    Constraint("iterates stay within [-10, 10] (hand work)", _small),
)


def _gap(p) -> Fraction:
    A, b, w0, _, _ = _exact(p)
    det = A[0][0] * A[1][1] - A[0][1] * A[1][0]
    star = [(A[1][1] * b[0] - A[0][1] * b[1]) / det, (A[0][0] * b[1] - A[1][0] * b[0]) / det]
    return _f(A, b, w0) - _f(A, b, star)


ANSWERS = (
    Answer("w_momentum", "matrix", "heavy-ball iterates w^0..w^T, one row per step"),
    Answer("w_nesterov", "matrix", "Nesterov iterates w^0..w^T, one row per step"),
    Answer("f_final", "vector", "f at the last iterate of each method named (momentum first)"),
)


def _named(method: str) -> tuple[str, ...]:
    return ("momentum", "nesterov") if method == "both" else (method,)


def solve(p):
    import sympy

    A, b, mom, nes = _both(p)

    def exact(rows):
        return [[sympy.Rational(x.numerator, x.denominator) for x in row] for row in rows]

    f_of = {"momentum": _f(A, b, mom[0][-1]), "nesterov": _f(A, b, nes[0][-1])}
    named = _named(p["method"])
    lr, beta = _fr(p["lr"]), _fr(p["beta"])

    def shown(steps, before):
        return [{"t": t + 1, "t_prev": t, "w_prev": [float(x) for x in before[t]],
                 "v_prev": [float(x) for x in (steps[t - 1]["v"] if t else [0, 0])],
                 "point": [float(x) for x in s["point"]], "grad": [float(x) for x in s["grad"]],
                 "v": [float(x) for x in s["v"]], "w": [float(x) for x in s["w"]]}
                for t, s in enumerate(steps)]

    f_values = [f_of[m] for m in named]
    return {
        "w_momentum": exact(mom[0]),
        "w_nesterov": exact(nes[0]),
        "f_final": [sympy.Rational(x.numerator, x.denominator) for x in f_values],
        # shown in the worked solution
        "named": list(named),
        "f_named": [_f_terms(A, b, (mom if m == "momentum" else nes)[0][-1], LABELS[m]) for m in named],
        "f_w0": float(_f(A, b, mom[0][0])),
        "lr_beta": float(lr * beta),
        "mom_steps": shown(mom[1], mom[0]),
        "nes_steps": shown(nes[1], nes[0]),
        "figure": _figure(A, b, mom[0], nes[0]),
        "lower": ("Nesterov" if f_of["nesterov"] < f_of["momentum"]
                  else "heavy ball" if f_of["momentum"] < f_of["nesterov"] else "neither"),
    }


FIGURE_SIZE = 6.0   # cm, the longer side of the trajectory plot


def _figure(A, b, heavy, nesterov) -> dict:
    """Both paths in the plane, the minimiser, and the level sets of f through w^0 and at a
    quarter of that height above the minimum (ellipses (w - w*)^T A (w - w*) = 2 c), in data
    units; the picture's unit makes the longer side FIGURE_SIZE cm."""
    import numpy as np

    A_ = np.array([[float(x) for x in row] for row in A])
    b_ = np.array([float(x) for x in b])
    star = np.linalg.solve(A_, b_)
    values, vectors = np.linalg.eigh(A_)
    w0 = np.array([float(x) for x in heavy[0]])
    gap = 0.5 * (w0 - star) @ A_ @ (w0 - star)
    angles = np.linspace(0, 2 * np.pi, 73)
    circle = np.stack([np.cos(angles), np.sin(angles)])
    ellipses = [(star[:, None] + vectors @ (np.sqrt(2 * c / values)[:, None] * circle)).T for c in (gap, gap / 4)]
    paths = [np.array([[float(x) for x in row] for row in path]) for path in (heavy, nesterov)]
    # framed around the paths and the minimiser; the level sets are clipped to that frame
    every = np.vstack([*paths, star[None, :]])
    low, high = every.min(axis=0), every.max(axis=0)
    margin = 0.1 * float(max(high - low))
    low, high = low - margin, high + margin
    unit = min(2.5, FIGURE_SIZE / float(max(high - low)))

    def coordinates(points):
        return " ".join(f"({x:.3f},{y:.3f})" for x, y in points)

    return {"unit": round(unit, 4), "low": [round(float(x), 3) for x in low], "high": [round(float(x), 3) for x in high],
            "ellipses": [coordinates(e) for e in ellipses],
            "heavy": coordinates(paths[0]), "nesterov": coordinates(paths[1]),
            "heavy_points": [{"x": round(x, 3), "y": round(y, 3)} for x, y in paths[0]],
            "nesterov_points": [{"x": round(x, 3), "y": round(y, 3)} for x, y in paths[1]],
            "star": {"x": round(float(star[0]), 3), "y": round(float(star[1]), 3)},
            "start": {"x": round(float(w0[0]), 3), "y": round(float(w0[1]), 3)}}


def _f_terms(A, b, w, label):
    """f(w) = 1/2 w.(Aw) - b.w, term by term for the solution."""
    Aw = [A[i][0] * w[0] + A[i][1] * w[1] for i in (0, 1)]
    wAw = w[0] * Aw[0] + w[1] * Aw[1]
    bw = b[0] * w[0] + b[1] * w[1]
    return {"label": label, "w_last": [float(x) for x in w], "Aw": [float(x) for x in Aw],
            "wAw": float(wAw), "minus_bw": float(-bw), "value": float(wAw / 2 - bw)}


def check(p, answers):
    """The other common forms, in float64 numpy: heavy ball as w^{t+1} = w^t - lr grad f(w^t)
    + beta (w^t - w^{t-1}); Nesterov as a gradient step from the extrapolated point
    y^t = w^t + beta (w^t - w^{t-1}). Both are the velocity forms with lr v^t = w^{t-1} - w^t."""
    import numpy as np

    A = np.array(p["A"], dtype=float)
    b = np.array(p["b"], dtype=float)
    lr, beta = float(p["lr"]), float(p["beta"])

    def f(w):
        return 0.5 * w @ A @ w - b @ w

    def gradient(w):
        return A @ w - b

    heavy = [np.array(p["w0"], dtype=float)]
    previous = heavy[0]
    for _ in range(p["T"]):
        current = heavy[-1]
        heavy.append(current - lr * gradient(current) + beta * (current - previous))
        previous = current

    nesterov = [np.array(p["w0"], dtype=float)]
    previous = nesterov[0]
    for _ in range(p["T"]):
        current = nesterov[-1]
        y = current + beta * (current - previous)
        nesterov.append(y - lr * gradient(y))
        previous = current

    finals = {"momentum": [f(heavy[-1])], "nesterov": [f(nesterov[-1])],
              "both": [f(heavy[-1]), f(nesterov[-1])]}
    return {
        "w_momentum": np.array(heavy),
        "w_nesterov": np.array(nesterov),
        "f_final": np.array(finals[p["method"]]),
    }


def _float_runs(p, beta=None):
    A = [[float(x) for x in row] for row in p["A"]]
    b = [float(x) for x in p["b"]]
    w0 = [float(x) for x in p["w0"]]
    lr = float(p["lr"])
    beta = float(p["beta"]) if beta is None else beta
    return (A, b, _run(A, b, w0, lr, beta, p["T"], False)[0], _run(A, b, w0, lr, beta, p["T"], True)[0])


def _no_lookahead(p):
    """Nesterov computed with the gradient at w^t, not at the look-ahead point: heavy ball again."""
    A, b, heavy, _ = _float_runs(p)
    out = {"w_nesterov": heavy}
    if "nesterov" in _named(p["method"]):
        out["f_final"] = [_f(A, b, heavy[-1]) for _ in _named(p["method"])]
    return out


def _lookahead_sign(p):
    """Looked ahead the wrong way: gradient at w^t + lr beta v^t."""
    A = [[float(x) for x in row] for row in p["A"]]
    b = [float(x) for x in p["b"]]
    w0 = [float(x) for x in p["w0"]]
    lr, beta = float(p["lr"]), float(p["beta"])
    w, v, rows = list(w0), [0.0, 0.0], [list(w0)]
    for _ in range(p["T"]):
        g = _grad(A, b, [w[i] + lr * beta * v[i] for i in (0, 1)])
        v = [beta * v[i] + g[i] for i in (0, 1)]
        w = [w[i] - lr * v[i] for i in (0, 1)]
        rows.append(list(w))
    return {"w_nesterov": rows}


def _no_momentum(p):
    """Dropped the velocity: plain gradient descent (beta = 0) for both methods."""
    A, b, plain, _ = _float_runs(p, beta=0.0)
    return {"w_momentum": plain, "w_nesterov": plain,
            "f_final": [_f(A, b, plain[-1]) for _ in _named(p["method"])]}


MISTAKES = (
    Mistake("no-lookahead", "took Nesterov's gradient at w^t instead of the look-ahead point (heavy ball again)",
            _no_lookahead),
    Mistake("lookahead-sign", "looked ahead to w^t + lr beta v^t instead of w^t - lr beta v^t", _lookahead_sign),
    Mistake("no-momentum", "dropped the velocity term: plain gradient descent", _no_momentum),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "momentum": (
        Step("the gradient at w^t and the velocity update", 0.5),
        Step("the heavy-ball iterates", 0.5),
    ),
    "nesterov": (
        Step("the gradient at the look-ahead point w - eta beta v", 0.5),
        Step("the Nesterov iterates", 0.5),
    ),
    "final": (
        Step("f(w) = w A w / 2 - b w evaluated at the final iterate", "2/3"),
        Step("compared as the statement asks", "1/3"),
    ),
}
