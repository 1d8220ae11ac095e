"""Online k-means: SGD with mini-batch 1 on sum_x min_k ||x - y_k||^2.

For one example the objective min_k ||x - y_k||^2 has gradient 2 (y_k - x) for the nearest
center k and 0 for the others, so an SGD step with learning rate alpha/2 is
y_k <- y_k + alpha (x - y_k). The schedule of alpha decides whether the centers settle:
with 1/n_k each center is exactly the running mean of the examples assigned to it.
"""

from fractions import Fraction
from functools import lru_cache

from generator.authoring import (
    Answer,
    Approx,
    Choice,
    Constraint,
    Decimal,
    Int,
    Matrix,
    Mistake,
    Part,
    rational,
)

TITLE = "Online k-means by stochastic gradient descent"
TITLES = {"de": "Online-k-Means mit stochastischem Gradientenabstieg"}
SOURCE = "dl-assignments-with-solutions.md, assignment 8"

PARTS = (
    Part("update_rule", points=2, answers=("update_rule",), space="4cm"),
    Part("run", points=5, answers=("assignments", "centers_history", "centers"), space="8cm"),
    Part("learning_rate", points=1, answers=("decreasing_rate",), space="3cm"),
    Part("cost", points=2, answers=("epoch_cost",), space="3cm"),
)

SCHEDULES = ("1/t", "const", "1/n_k")
MIN_GAP = 1          # nearest center must be closer than the runner-up by this much (squared distance)
MAX_DENOMINATOR = 16  # centers stay fractions a student can carry by hand

# K centers and T examples are sizes (structure): an exam gives every variant the same.
# Coordinates are drawn in [0, 6]; solve and check take any integer point in [-100, 100].
PARAMS = (
    Int("K", 2, 3, domain=(1, 10)),
    Int("T", 3, 6, domain=(1, 20)),
    Matrix("centers0", rows="K", cols=2, low=0, high=6, step=1, domain=(-100, 100)),
    Matrix("points", rows="T", cols=2, low=0, high=6, step=1, domain=(-100, 100)),
    Choice("schedule", SCHEDULES),
    Decimal("alpha", 0.25, 0.75, 0.25, domain=(0.01, 1)),
)

STRUCTURE = ("K", "T", "schedule")


def WORKLOAD(p):
    """Squared distances computed by hand: K per example."""
    return p["K"] * p["T"]


def _rate(p, t: int, n_k: int) -> Fraction:
    """The learning rate of example t (1-based) whose center has now n_k examples."""
    if p["schedule"] == "1/t":
        return Fraction(1, t)
    if p["schedule"] == "1/n_k":
        return Fraction(1, n_k)
    return Fraction(str(p["alpha"]))


def _run(p) -> tuple[dict, ...]:
    """The algorithm in exact fractions, one record per example (shared by the constraints
    and solve; memoised because every constraint replays it). Treat the records as read-only."""
    return _replay(tuple(map(tuple, p["centers0"])), tuple(map(tuple, p["points"])), p["schedule"], p["alpha"])


@lru_cache(maxsize=64)
def _replay(centers0, points, schedule, alpha) -> tuple[dict, ...]:
    p = {"schedule": schedule, "alpha": alpha}
    centers = [[Fraction(v) for v in row] for row in centers0]
    counts = [0] * len(centers)
    steps = []
    for t, point in enumerate(points, start=1):
        x = [Fraction(v) for v in point]
        d2 = [sum((a - b) ** 2 for a, b in zip(x, y, strict=True)) for y in centers]
        k = min(range(len(centers)), key=d2.__getitem__)
        counts[k] += 1
        rate = _rate(p, t, counts[k])
        old = centers[k]
        diff = [a - b for a, b in zip(x, old, strict=True)]
        centers = [list(row) for row in centers]
        centers[k] = [b + rate * d for b, d in zip(old, diff, strict=True)]
        steps.append({"t": t, "x": x, "d2": d2, "k": k, "n_k": counts[k], "rate": rate,
                      "old": old, "diff": diff, "new": centers[k], "centers": centers})
    return tuple(steps)


def _gap(d2) -> Fraction:
    first, second = sorted(d2)[:2]
    return second - first


CONSTRAINTS = (
    Constraint("the examples are distinct points", lambda p: len({tuple(x) for x in p["points"]}) == len(p["points"]),
               pedagogical=True),
    Constraint(f"no distance ties: the nearest center wins by >= {MIN_GAP} in squared distance",
               lambda p: all(_gap(s["d2"]) >= MIN_GAP for s in _run(p)), pedagogical=True),
    Constraint("no example sits on its nearest center (a zero update)",
               lambda p: all(min(s["d2"]) > 0 for s in _run(p)), pedagogical=True),
    Constraint("at least two centers receive examples", lambda p: len({s["k"] for s in _run(p)}) >= 2,
               pedagogical=True),
    Constraint(f"every center coordinate has a denominator <= {MAX_DENOMINATOR}",
               lambda p: all(v.denominator <= MAX_DENOMINATOR for s in _run(p) for v in s["new"]), pedagogical=True),
)

ANSWERS = (
    Answer("update_rule", "proof", "why the step is an SGD step on the k-means objective, and the learning rate that alpha is"),
    Answer("assignments", "shape", "1-based nearest center of each example, in order"),
    Answer("centers_history", "matrices", "the K x 2 centers after each example"),
    Answer("centers", "matrix", "the final centers"),
    Answer("decreasing_rate", "proof", "why the learning rate must decrease"),
    Answer("epoch_cost", "expr", "run time of one epoch (n dimensions, m examples, K centers)",
           symbols=("n", "m", "K")),
)


# ---------------------------------------------------------------- reference solver

def _exact(v: Fraction):
    """An exact rational for the key and the templates: an int, or an Exact p/q."""
    return rational(v, decimals=False)


TABLE_ROWS = 3


def _pieces(count: int, most: int) -> list[list[int]]:
    """range(count) cut into the fewest consecutive runs of at most `most`, longest first."""
    runs = -(-count // most)
    sizes = [count // runs + (i < count % runs) for i in range(runs)]
    starts = [sum(sizes[:i]) for i in range(runs)]
    return [list(range(start, start + size)) for start, size in zip(starts, sizes, strict=True)]


def solve(p):
    def exact_row(row):
        return [_exact(v) for v in row]

    steps = _run(p)
    history = [[exact_row(row) for row in s["centers"]] for s in steps]
    K = len(p["centers0"])
    # Each center's path for the figure: where it starts and every place it is moved to.
    paths = [[[float(v) for v in p["centers0"][k]]] for k in range(K)]
    for s in steps:
        paths[s["k"]].append([float(v) for v in s["new"]])
    return {
        "assignments": [s["k"] + 1 for s in steps],
        "centers_history": history,
        "centers": history[-1],
        "epoch_cost": "O(n*m*K)",
        "K": K,
        "T": len(steps),
        "steps": [{"t": s["t"], "x": exact_row(s["x"]), "d2": exact_row(s["d2"]), "k": s["k"] + 1,
                   "n_k": s["n_k"], "rate": _exact(s["rate"]), "old": exact_row(s["old"]),
                   "diff": exact_row(s["diff"]), "new": exact_row(s["new"])} for s in steps],
        # The step table in pieces of at most TABLE_ROWS steps (a tabular cannot break across
        # pages): 0-based step indices per piece, the pieces as even as possible.
        "step_tables": _pieces(len(steps), TABLE_ROWS),
        "paths": paths,
        "moved": [len(path) > 1 for path in paths],
        "fractional": any(v.denominator != 1 for row in steps[-1]["centers"] for v in row),
    }


# ---------------------------------------------------------------- independent check

def _epoch_operations(n: int, m: int, K: int, lloyd: bool) -> int:
    """Arithmetic operations of one epoch, counted by running instrumented loops on zeros."""
    ops = 0
    data = [[0.0] * n for _ in range(m)]
    centers = [[0.0] * n for _ in range(K)]
    for x in data:
        best, best_d = 0, None
        for k, y in enumerate(centers):
            d = 0.0
            for a, b in zip(x, y, strict=True):
                d += (a - b) * (a - b)
                ops += 3                      # subtract, multiply, add
            if best_d is None or d < best_d:
                best, best_d = k, d
            ops += 1                          # compare
        if not lloyd:                         # SGD: move the winner at once
            for i in range(n):
                centers[best][i] += 0.5 * (x[i] - centers[best][i])
                ops += 3
    if lloyd:                                 # Lloyd: then one mean per cluster
        ops += m * n + K * n
    return ops


@lru_cache(maxsize=2)
def _leading_term(lloyd: bool) -> str:
    """Fit count(n, m, K) = sum c_abc n^a m^b K^c (a, b, c in {0, 1}) exactly on {1, 2}^3 and
    return O(.) of the highest-degree monomial with a non-zero coefficient. It does not depend
    on the instance, so each process counts once."""
    import itertools

    import numpy as np

    exponents = list(itertools.product((0, 1), repeat=3))
    sizes = list(itertools.product((1, 2), repeat=3))
    A = np.array([[n ** a * m ** b * K ** c for a, b, c in exponents] for n, m, K in sizes], dtype=float)
    counts = np.array([_epoch_operations(n, m, K, lloyd) for n, m, K in sizes], dtype=float)
    coefficients = np.linalg.solve(A, counts)
    top = max((sum(e), e) for e, c in zip(exponents, coefficients, strict=True) if abs(c) > 1e-9)[1]
    factors = [name for name, power in zip(("n", "m", "K"), top, strict=True) if power]
    return "O(" + "*".join(factors) + ")"


def check(p, answers):
    """Replay the epoch as plain gradient steps: the gradient of min_k ||x - y_k||^2 by central
    differences, step alpha(t)/2. With 1/n_k, also each center must be the running mean of its
    examples. The epoch cost by counting operations of instrumented loops."""
    import numpy as np

    def objective(Ys, x):
        """min_k ||x - y_k||^2 for a stack of center sets Ys (..., K, 2)."""
        return ((x - Ys) ** 2).sum(axis=-1).min(axis=-1)

    Y = np.array(p["centers0"], dtype=float)
    h = 1e-3                                   # central differences are exact on a quadratic
    nudges = h * np.eye(Y.size).reshape(Y.size, *Y.shape)     # one perturbation per coordinate
    counts = [0] * len(Y)
    assigned: list[list[np.ndarray]] = [[] for _ in Y]
    history, assignments, means_agree = [], [], True
    for t, point in enumerate(p["points"], start=1):
        x = np.array(point, dtype=float)
        grad = ((objective(Y + nudges, x) - objective(Y - nudges, x)) / (2 * h)).reshape(Y.shape)
        k = int(np.argmax(np.abs(grad).sum(axis=1)))          # the only center with a gradient
        counts[k] += 1
        rate = {"1/t": 1 / t, "1/n_k": 1 / counts[k], "const": p["alpha"]}[p["schedule"]]
        Y = Y - rate / 2 * grad
        assignments.append(k + 1)
        assigned[k].append(x)
        history.append(Y.tolist())
        if p["schedule"] == "1/n_k":
            means = np.array([np.mean(a, axis=0) if a else c0 for a, c0 in zip(assigned, p["centers0"], strict=True)])
            means_agree = means_agree and bool(np.allclose(means, Y, rtol=0, atol=1e-9))
    if not means_agree:                        # the two views disagree: make the check fail visibly
        history = [[[float("nan")] * 2 for _ in row] for row in history]
    sgd, lloyd = _leading_term(lloyd=False), _leading_term(lloyd=True)
    return {
        "assignments": assignments,
        "centers_history": Approx(history, atol=1e-8),
        "centers": Approx(history[-1], atol=1e-8),
        "epoch_cost": sgd if sgd == lloyd else f"{sgd} + {lloyd}",
    }


# ---------------------------------------------------------------- common mistakes

def _with_schedule(p, schedule):
    # Only the centers: the assignments often agree with the right ones.
    steps = _run({**p, "schedule": schedule})
    return {"centers_history": [[[float(v) for v in row] for row in s["centers"]] for s in steps],
            "centers": [[float(v) for v in row] for row in steps[-1]["centers"]]}


def _wrong_counter(p):
    """Counting all examples (t) where the schedule counts the center's own (n_k), or back."""
    swap = {"1/t": "1/n_k", "1/n_k": "1/t"}
    return _with_schedule(p, swap[p["schedule"]]) if p["schedule"] in swap else {}


def _all_centers(p):
    """Moving every center towards the example, not only the nearest."""
    centers = [[Fraction(v) for v in row] for row in p["centers0"]]
    history = []
    for t, point in enumerate(p["points"], start=1):
        rate = _rate(p, t, t)
        centers = [[b + rate * (Fraction(a) - b) for a, b in zip(point, y, strict=True)] for y in centers]
        history.append([[float(v) for v in row] for row in centers])
    return {"centers_history": history, "centers": history[-1]}


MISTAKES = (
    Mistake("wrong-counter", "used 1/t where the schedule counts the center's own examples n_k, or the reverse",
            _wrong_counter),
    Mistake("all-centers", "moved every center towards the example instead of only the nearest one", _all_centers),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "update_rule": (
        Step("gradient of min_k ||x - y_k||^2: only the nearest centre has one", 0.5),
        Step("the gradient step moves that centre towards x", 0.5),
    ),
    "run": (
        Step("each example assigned to its nearest centre", 0.4),
        Step("the centres updated after each example", 0.4),
        Step("the final centres", 0.2),
    ),
    "learning_rate": (
        Step("constant rate: an average of recent examples that keeps moving; a decreasing rate settles", 1),
    ),
    "cost": (
        Step("distances of every example to every centre per epoch", 0.5),
        Step("the order of the cost in n, m, K", 0.5),
    ),
}
