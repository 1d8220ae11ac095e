"""Gradient-norm bounds of a two-layer ReLU net: Frobenius versus mixed l1/l2 norm.

f(x) = sum_j max(0, W_{:,j} . x + b_j) has gradient df/dx = sum of the active columns of W, so
||df/dx|| <= ||W||_Mix = sqrt(sum_i ||W_{i,:}||_1^2) <= sqrt(h) ||W||_F for every x: bounds that
depend on the weights only, and so can be penalised instead of the gradient norm itself.
"""

from fractions import Fraction

from generator.authoring import (
    Answer,
    Constraint,
    Decimal,
    Int,
    Matrix,
    Mistake,
    Part,
    Vector,
    central_gradient,
    sqrt_rational,
)

TITLE = "Gradient-norm bounds of a two-layer ReLU network"
TITLES = {"de": "Schranken der Gradientennorm eines zweischichtigen ReLU-Netzes"}
SOURCE = "exercise-sheet-5-regularization.md, exercise 1 (a)-(e)"

PARTS = (
    Part("gradient", points=3, answers=("f", "grad_x", "grad_norm"), space="4cm"),
    Part("fro_proof", points=4, answers=("proof_fro_bound",), space="5cm"),
    Part("fro_value", points=2, answers=("fro", "bound_fro"), space="2.5cm"),
    Part("weight_decay", points=3, answers=("weight_decay_lr",), space="3.5cm"),
    Part("mix_proof", points=4, answers=("proof_mix_bound",), space="5cm"),
    Part("mix_value", points=2, answers=("mix",), space="2.5cm"),
    Part("tighter_proof", points=4, answers=("proof_mix_tighter",), space="5cm"),
    Part("mix_gradient", points=3, answers=("grad_mix_sq",), space="4cm"),
)

PARAMS = (
    Int("d", 2, 4, domain=(1, 10)),          # inputs: W is d x h
    Int("h", 2, 4, domain=(1, 10)),          # hidden units
    Matrix("W", rows="d", cols="h", low=-3, high=3, nonzero=True, domain=(-100, 100)),
    Vector("b", length="h", low=-3, high=3, domain=(-100, 100)),
    Vector("x", length="d", low=-2, high=2, domain=(-100, 100)),
    Decimal("gamma", 0.01, 0.1, 0.01, domain=(0.0001, 1)),
)

STRUCTURE = ("d", "h")


def WORKLOAD(p):
    """Products W_ij x_i of the forward pass."""
    return p["d"] * p["h"]


def _pre_activations(p) -> list[int]:
    """z = W^T x + b (integers: W, x and b are)."""
    W, x = p["W"], p["x"]
    return [sum(W[i][j] * x[i] for i in range(len(x))) + p["b"][j] for j in range(len(p["b"]))]


def _grad_x(p) -> list[int]:
    active = [z > 0 for z in _pre_activations(p)]
    return [sum(wij for wij, on in zip(row, active, strict=True) if on) for row in p["W"]]


CONSTRAINTS = (
    Constraint("no pre-activation within 0.5 of 0 (x is far from every ReLU kink)",
               lambda p: all(abs(z) >= 0.5 for z in _pre_activations(p))),
    Constraint("at least one unit is active and one inactive (the ReLU matters)",
               lambda p: 0 < sum(z > 0 for z in _pre_activations(p)) < len(p["b"]), pedagogical=True),
    Constraint("the gradient df/dx is not the zero vector", lambda p: any(g != 0 for g in _grad_x(p)), pedagogical=True),
)

ANSWERS = (
    Answer("f", "real", "network output f(x)", atol=0.01, rtol=0.0),
    Answer("grad_x", "vector", "gradient df/dx at x", atol=0.01, rtol=0.0),
    Answer("grad_norm", "real", "Euclidean norm of df/dx", atol=0.01, rtol=0.002),
    Answer("fro", "real", "Frobenius norm ||W||_F", atol=0.01, rtol=0.002),
    Answer("bound_fro", "real", "Frobenius bound sqrt(h) ||W||_F", atol=0.01, rtol=0.002),
    Answer("mix", "real", "mixed norm ||W||_Mix", atol=0.01, rtol=0.002),
    Answer("grad_mix_sq", "matrix", "gradient of ||W||_Mix^2 with respect to W", atol=0.01, rtol=0.0),
    Answer("weight_decay_lr", "real", "step size on ||W||_F^2 that gives the decay (1 - gamma) W",
           atol=0.0005, rtol=0.0),
    Answer("proof_fro_bound", "proof", "||df/dx|| <= sqrt(h) ||W||_F"),
    Answer("proof_mix_bound", "proof", "||df/dx|| <= ||W||_Mix"),
    Answer("proof_mix_tighter", "proof", "||W||_Mix <= sqrt(h) ||W||_F"),
)


def _root(n: int):
    """sqrt(n) exactly: an int for a perfect square, else an Exact k sqrt(core)."""
    return sqrt_rational(Fraction(n))


def _reduces(n: int) -> bool:
    """Whether sqrt(n) simplifies: n = 1 or n has a square factor > 1 (sqrt(48) = 4 sqrt(3))."""
    return n == 1 or any(n % (f * f) == 0 for f in range(2, int(n ** 0.5) + 1))


def solve(p):
    W = p["W"]
    d, h = len(W), len(W[0])
    z = _pre_activations(p)
    active = [zj > 0 for zj in z]
    grad = _grad_x(p)
    grad_sq = sum(g * g for g in grad)
    fro_sq = sum(v * v for row in W for v in row)
    row_l1 = [sum(abs(v) for v in row) for row in W]
    row_sq = [sum(v * v for v in row) for row in W]
    mix_sq = sum(r * r for r in row_l1)
    return {
        "f": sum(zj for zj in z if zj > 0),
        "grad_x": grad,
        "grad_norm": _root(grad_sq),
        "fro": _root(fro_sq),
        "bound_fro": _root(h * fro_sq),
        "mix": _root(mix_sq),
        "grad_mix_sq": [[2 * r * (1 if v > 0 else -1) for v in row] for r, row in zip(row_l1, W, strict=True)],
        "weight_decay_lr": float(Fraction(str(p["gamma"])) / 2),
        # what the solution shows
        "d": d,
        "h": h,
        "z": z,
        "a": [max(zj, 0) for zj in z],
        "active": [j + 1 for j in range(h) if active[j]],          # 1-based unit numbers
        "inactive": [j + 1 for j in range(h) if not active[j]],
        "active_columns": [[W[i][j] for i in range(d)] for j in range(h) if active[j]],
        "grad_sq": grad_sq,
        "grad_squares": [g * g for g in grad],
        "fro_sq": fro_sq,
        "row_sq": row_sq,
        "h_fro_sq": h * fro_sq,
        "row_l1": row_l1,
        "row_l1_sq": [r * r for r in row_l1],
        "mix_sq": mix_sq,
        "h_row_sq": [h * r for r in row_sq],
        # whether sqrt(n) prints differently once simplified (sqrt(48) = 4 sqrt(3), sqrt(49) = 7)
        "grad_sq_reduces": _reduces(grad_sq),
        "fro_sq_reduces": _reduces(fro_sq),
        "h_fro_sq_reduces": _reduces(h * fro_sq),
        "mix_sq_reduces": _reduces(mix_sq),
        "grad_norm_float": grad_sq ** 0.5,
        "mix_float": mix_sq ** 0.5,
        "bound_fro_float": (h * fro_sq) ** 0.5,
    }


def check(p, answers):
    """Finite differences for both gradients, numpy norms, and 10,000 random inputs."""
    import numpy as np

    from generator.authoring import Approx

    W = np.array(p["W"], dtype=float)
    b = np.array(p["b"], dtype=float)
    x = np.array(p["x"], dtype=float)
    d, h = W.shape
    gamma = float(p["gamma"])

    def f(v):
        return float(np.maximum(0.0, W.T @ v + b).sum())

    # f is linear within 0.5 of x (no kink there), so central differences are exact up to rounding.
    grad = central_gradient(f, x)

    def mix_sq(M):
        return float(np.sum(np.linalg.norm(M, ord=1, axis=1) ** 2))

    # |W_ij| >= 1, so |.| is smooth around every entry.
    grad_mix = central_gradient(mix_sq, W)

    # weight decay as a gradient step on ||W||_F^2: the eta with W - eta G = (1 - gamma) W, G by differences
    G = central_gradient(lambda M: float(np.sum(M ** 2)), W)
    eta = float(np.sum(gamma * W * G) / np.sum(G * G))

    fro = float(np.linalg.norm(W, "fro"))
    bound_fro = float(np.sqrt(h)) * fro
    mix = float(np.linalg.norm(np.linalg.norm(W, ord=1, axis=1)))

    # The bounds must hold at every input: try 10,000 random ones (fixed seed, spread over all patterns).
    xs = np.random.default_rng(0).normal(scale=4.0, size=(10_000, d))
    grads = (xs @ W + b > 0) @ W.T                   # row k: sum of the columns active at xs[k]
    largest = float(np.max(np.linalg.norm(grads, axis=1)))
    if not largest <= mix * (1 + 1e-12):
        raise AssertionError(f"a sampled gradient norm {largest} exceeds mix {mix}")
    if not mix <= bound_fro * (1 + 1e-12):
        raise AssertionError(f"mix {mix} exceeds bound_fro {bound_fro}")
    if not float(answers["grad_norm"]) <= float(answers["mix"]) * (1 + 1e-12):
        raise AssertionError("grad_norm exceeds mix")
    return {
        "f": f(x),
        "grad_x": Approx(grad, atol=1e-6),
        "grad_norm": Approx(float(np.linalg.norm(grad)), atol=1e-6),
        "fro": fro,
        "bound_fro": bound_fro,
        "mix": mix,
        "grad_mix_sq": Approx(grad_mix, atol=1e-5),
        "weight_decay_lr": Approx(eta, atol=1e-8),
    }


def _row_l1(p):
    return [sum(abs(v) for v in row) for row in p["W"]]


MISTAKES = (
    Mistake("all-units", "summed every column of W, ignoring which ReLUs are inactive",
            lambda p: {"grad_x": [sum(row) for row in p["W"]],
                       "grad_norm": sum(sum(row) ** 2 for row in p["W"]) ** 0.5}),
    Mistake("decay-step-gamma", "took gamma itself as the step size on ||W||_F^2 (forgot the 2 in 2W)",
            lambda p: {"weight_decay_lr": float(p["gamma"])}),
    Mistake("mix-no-sign", "dropped sign(W_ij) in the gradient of the squared mixed norm",
            lambda p: {"grad_mix_sq": [[2 * r for _ in row] for r, row in zip(_row_l1(p), p["W"], strict=True)]}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "gradient": (
        Step("pre-activations and the active units", "1/3"),
        Step("gradient as the sum of the active columns of W", "1/3"),
        Step("its norm", "1/3"),
    ),
    "fro_proof": (
        Step("gradient as sum_j delta_j W_{:,j} with delta_j in {0, 1}", "1/4"),
        Step("triangle inequality", "1/4"),
        Step("Cauchy-Schwarz to sqrt(h) ||W||_F", "1/2"),
    ),
    "fro_value": (
        Step("Frobenius norm", 0.5),
        Step("the bound sqrt(h) ||W||_F", 0.5),
    ),
    "weight_decay": (
        Step("gradient of ||W||_F^2 is 2W", 0.5),
        Step("matching (1 - 2 eta) with the decay: eta = gamma / 2", 0.5),
    ),
    "mix_proof": (
        Step("each component bounded by the row's l1 norm", 0.5),
        Step("squared and summed over the rows", 0.5),
    ),
    "mix_value": (
        Step("the mixed norm from the rows' l1 norms", 1),
    ),
    "tighter_proof": (
        Step("row l1 norms bounded by sqrt(h) times the row l2 norms (Cauchy-Schwarz)", 0.5),
        Step("summed: the mixed norm is at most sqrt(h) ||W||_F", 0.5),
    ),
    "mix_gradient": (
        Step("gradient of the squared mixed norm: 2 ||W_i||_1 sign(W_ij)", "2/3"),
        Step("the numbers", "1/3"),
    ),
}
