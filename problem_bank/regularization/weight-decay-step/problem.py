"""One gradient step on an L2-regularised least-squares loss: weight decay, and stable steps.

L(w) = d(w) + c lam ||w||^2 with d the mean squared error of a linear model on m data points
and c in {1, 1/2} (both conventions occur). The update multiplies w_t by the decay factor
1 - 2 c lam alpha before the data step; gradient descent on this quadratic converges exactly
when alpha < 2 / (mu_max + 2 c lam), mu_max the largest eigenvalue of the Hessian (2/m) X^T X.
"""

from fractions import Fraction

from generator.authoring import (
    Answer,
    Choice,
    Constraint,
    Decimal,
    Int,
    Matrix,
    Mistake,
    Part,
    Vector,
    rational,
    surd,
    terminates,
)

TITLE = "Weight decay: one regularised gradient step"
TITLES = {"de": "Weight Decay: ein regularisierter Gradientenschritt"}
SOURCE = "exam-weight-decay-backprop-conv.md, question 3; exercise-sheet-5-regularization.md (b)"

PARTS = (
    Part("gradient", points=3, answers=("grad_d",), space="4cm"),
    Part("update", points=3, answers=("decay_factor", "w_next"), space="4cm"),
    Part("stability", points=4, answers=("alpha_max_stable", "alpha_max_no_sign_flip"), space="5cm"),
    Part("lambda_effect", points=2, answers=("lambda_effect",), space="4cm"),
)

# w is drawn first: its length n fixes the columns of X, and X's rows fix the length of t.
PARAMS = (
    Choice("c", (1, 0.5)),
    Decimal("lam", 0.1, 0.5, 0.05, domain=(0.001, 10)),
    Choice("alpha", (0.05, 0.1, 0.2, 0.25), domain=(0.0001, 10)),
    Int("n", 2, 3, domain=(1, 10)),          # features: w has n components
    Int("m", 2, 3, domain=(1, 10)),          # data points: X is m x n
    Vector("w", length="n", low=-2, high=2, nonzero=True, domain=(-100, 100)),
    Matrix("X", rows="m", cols="n", low=-2, high=2, domain=(-100, 100)),
    Vector("t", length="m", low=-3, high=3, domain=(-100, 100)),
)

STRUCTURE = ("c", "n", "m")


def _F(x) -> Fraction:
    """A parameter as an exact fraction (decimals through their shortest text: 0.1 -> 1/10)."""
    return Fraction(str(x))


def _residuals(p) -> list[int]:
    """X w - t: X, w and t are integers, so plain int arithmetic (Fractions only where needed)."""
    return [sum(xij * wj for xij, wj in zip(row, p["w"], strict=True)) - ti
            for row, ti in zip(p["X"], p["t"], strict=True)]


def _grad_d(p) -> list[Fraction]:
    """(2/m) X^T (X w - t)."""
    m, n = len(p["X"]), len(p["w"])
    r = _residuals(p)
    return [Fraction(2 * sum(p["X"][i][j] * r[i] for i in range(m)), m) for j in range(n)]


def _gram(p) -> list[list[int]]:
    """The 2 x 2 Gram matrix whose eigenvalues carry the Hessian's non-zero ones:
    X^T X when n = 2, X X^T when m = 2 < n (X^T X then has the same non-zero eigenvalues)."""
    X = p["X"]
    m, n = len(X), len(X[0])
    if n == 2:
        return [[sum(X[k][i] * X[k][j] for k in range(m)) for j in range(2)] for i in range(2)]
    return [[sum(X[i][k] * X[j][k] for k in range(n)) for j in range(2)] for i in range(2)]


def _mu_max_float(p) -> float:
    G = _gram(p)
    tr, det = G[0][0] + G[1][1], G[0][0] * G[1][1] - G[0][1] * G[1][0]
    return (tr + (tr * tr - 4 * det) ** 0.5) / len(p["X"])


def _alpha_max_float(p) -> float:
    return 2 / (_mu_max_float(p) + 2 * p["c"] * p["lam"])


CONSTRAINTS = (
    # m = n = 3 would need the roots of a cubic for mu_max: not a hand computation.
    Constraint("at most one of m, n is 3 (mu_max from a 2 x 2 matrix)",
               lambda p: min(len(p["X"]), len(p["w"])) == 2),
    Constraint("every data point x_i is non-zero", lambda p: all(any(v != 0 for v in row) for row in p["X"]), pedagogical=True),
    Constraint("grad d(w_t) is not the zero vector (w_t is not a least-squares solution)",
               lambda p: any(g != 0 for g in _grad_d(p)), pedagogical=True),
    Constraint("alpha is not within 5% of alpha_max_stable (a clear stable/unstable verdict)",
               lambda p: abs(p["alpha"] / _alpha_max_float(p) - 1) > 0.05, pedagogical=True),
    Constraint("mu_max <= 12 (hand-sized numbers)", lambda p: _mu_max_float(p) <= 12, pedagogical=True),
)

ANSWERS = (
    Answer("grad_d", "vector", "gradient of the data term d at w_t", atol=0.01, rtol=0.005),
    Answer("decay_factor", "real", "factor multiplying w_t in the update", atol=0.0005, rtol=0.0),
    Answer("w_next", "vector", "weights w_{t+1} after one step", atol=0.002, rtol=0.001),
    Answer("alpha_max_stable", "real", "largest stable step size alpha_max", atol=0.002, rtol=0.01),
    Answer("alpha_max_no_sign_flip", "real", "largest step size alpha with a non-negative decay factor",
           atol=0.005, rtol=0.005),
    Answer("lambda_effect", "proof", "effect of lambda and choice of the learning rate"),
)


def _exact(x):
    """A _surd result or a Fraction, ready for the key."""
    return rational(x) if isinstance(x, Fraction) else x


def _is_sum(x) -> bool:
    """Whether a _surd result prints as a bare sum a + b sqrt(r) (not one fraction, not one term)."""
    if isinstance(x, Fraction):
        return False
    return not x.text.startswith("(") and (" + " in x.text or " - " in x.text)


def solve(p):
    X, w, t = p["X"], p["w"], p["t"]
    m, n = len(X), len(w)
    c, lam, alpha = _F(p["c"]), _F(p["lam"]), _F(p["alpha"])
    r = _residuals(p)
    grad_d = _grad_d(p)
    two_c_lam = 2 * c * lam
    decay = 1 - two_c_lam * alpha
    w_next = [decay * wj - alpha * gj for wj, gj in zip(w, grad_d, strict=True)]
    grad_L = [gj + two_c_lam * wj for wj, gj in zip(w, grad_d, strict=True)]

    # Hessian of d: H = (2/m) X^T X, constant. Its largest eigenvalue from the 2 x 2 Gram matrix:
    # eigenvalues (tr +- sqrt(disc))/2, and mu_max = (2/m) (tr + sqrt(disc))/2 = (tr + sqrt(disc))/m.
    G = _gram(p)
    tr, det = G[0][0] + G[1][1], G[0][0] * G[1][1] - G[0][1] * G[1][0]
    disc = tr * tr - 4 * det
    gram_max = surd(Fraction(tr, 2), Fraction(1, 2), disc)
    gram_min = surd(Fraction(tr, 2), Fraction(-1, 2), disc)
    mu_max = surd(Fraction(tr, m), Fraction(1, m), disc)
    mu_max_plus = surd(Fraction(tr, m) + two_c_lam, Fraction(1, m), disc)
    # alpha_max = 2 / (mu_max + 2 c lam) = 2m / (P + sqrt(disc)) with P = tr + 2 c lam m > sqrt(disc),
    # rationalised: 2m (P - sqrt(disc)) / (P^2 - disc).
    P = tr + two_c_lam * m
    q = P * P - disc
    alpha_max = surd(2 * m * P / q, Fraction(-2 * m) / q, disc)
    alpha_max_float = float(alpha_max)
    hessian = [[Fraction(2, m) * sum(X[k][i] * X[k][j] for k in range(m)) for j in range(n)] for i in range(n)]
    return {
        "grad_d": [rational(g) for g in grad_d],
        "decay_factor": rational(decay),
        "w_next": [rational(v) for v in w_next],
        "alpha_max_stable": _exact(alpha_max),
        "alpha_max_no_sign_flip": rational(1 / two_c_lam),
        # what the solution shows
        "m": m,
        "n": n,
        "c_half": c == Fraction(1, 2),
        "predictions": [ri + ti for ri, ti in zip(r, t, strict=True)],
        "residuals": r,
        "two_over_m": rational(Fraction(2, m)),
        "Xt_r": [sum(X[i][j] * r[i] for i in range(m)) for j in range(n)],
        "two_c_lam": rational(two_c_lam),
        "decayed_w": [rational(decay * wj) for wj in w],
        "alpha_grad_d": [rational(alpha * g) for g in grad_d],
        "grad_L": [rational(g) for g in grad_L],
        "hessian": [[rational(v) for v in row] for row in hessian],
        "gram": G,
        "gram_is_xxt": n == 3,
        "gram_trace": tr,
        "gram_det": det,
        "gram_disc": disc,
        "gram_max": _exact(gram_max),
        # 5 + 2 sqrt(5) is a sum: as the factor of (2/m) mu it needs parentheses
        "gram_max_is_sum": _is_sum(gram_max),
        "gram_min": _exact(gram_min),
        "mu_max": _exact(mu_max),
        "mu_max_plus": _exact(mu_max_plus),
        "alpha_is_stable": p["alpha"] < alpha_max_float,
        # the factor that multiplies the error along the top eigenvector in every step
        "top_factor": 1 - p["alpha"] * float(mu_max_plus),
        "grad_d_rounded": not all(terminates(g) for g in grad_d),
        "w_next_rounded": not all(terminates(v) for v in w_next),
        "alpha_grad_d_rounded": not all(terminates(alpha * g) for g in grad_d),
    }


def check(p, answers):
    """Finite differences on the loss, a numerical Hessian, and gradient descent actually run."""
    import numpy as np

    from generator.authoring import Approx

    X = np.array(p["X"], dtype=float)
    t = np.array(p["t"], dtype=float)
    w = np.array(p["w"], dtype=float)
    c, lam, alpha = float(p["c"]), float(p["lam"]), float(p["alpha"])
    n = w.size

    def d(v):
        return float(np.mean((X @ v - t) ** 2))

    def R(v):
        return c * lam * float(v @ v)

    def L(v):
        return d(v) + R(v)

    def fd_grad(fun, v, h=1e-4):
        # Central differences: exact for a quadratic up to rounding (~1e-12 here).
        return np.array([(fun(v + h * e) - fun(v - h * e)) / (2 * h) for e in np.eye(n)])

    grad_d = fd_grad(d, w)
    grad_L = fd_grad(L, w)
    grad_R = fd_grad(R, w)
    w_next = w - alpha * grad_L                   # the plain step on L, no decay form used
    decayed = w - alpha * grad_R                  # the step on the penalty alone
    decay_factor = float(decayed @ w / (w @ w))
    no_flip = float(w @ w / (grad_R @ w))         # step at which the penalty step reaches 0

    # Hessian of L by differences of finite-difference gradients, then its spectrum.
    h = 1e-3
    hess = np.array([(fd_grad(L, w + h * e) - fd_grad(L, w - h * e)) / (2 * h) for e in np.eye(n)])
    top = float(np.linalg.eigvalsh((hess + hess.T) / 2)[-1])  # symmetrised against rounding
    alpha_max = 2 / top

    # Gradient descent from a generic start converges at 0.95 alpha_max_stable and diverges at 1.05
    # times it. L is quadratic, so grad L(v) = A v - b with A its (numerical) Hessian and
    # b = -grad L(0): a step is v <- v - step (A v - b), run as v <- M v + step b.
    A = (hess + hess.T) / 2
    b = -fd_grad(L, np.zeros(n))
    w_star = np.linalg.solve(A, b)
    start = w_star + np.random.default_rng(0).standard_normal(n)

    def run(step: float, steps: int = 150) -> float:
        M, shift = np.eye(n) - step * A, step * b
        v = start
        for _ in range(steps):
            v = M @ v + shift
        return float(np.linalg.norm(v - w_star))

    e0 = float(np.linalg.norm(start - w_star))
    reference = float(answers["alpha_max_stable"])
    if not run(0.95 * reference) < e0:
        raise AssertionError("gradient descent does not converge at 0.95 alpha_max_stable")
    if not run(1.05 * reference) > 100 * e0:
        raise AssertionError("gradient descent does not diverge at 1.05 alpha_max_stable")
    return {
        "grad_d": Approx(grad_d, atol=1e-7),
        "decay_factor": Approx(decay_factor, atol=1e-8),
        "w_next": Approx(w_next, atol=1e-7),
        "alpha_max_stable": Approx(alpha_max, rtol=1e-6, atol=1e-8),
        "alpha_max_no_sign_flip": Approx(no_flip, rtol=1e-7, atol=1e-8),
    }


def _mistake_no_two(p):
    """Forgot the factor 2 from differentiating the squares: gradient (1/m) X^T r."""
    g = [v / 2 for v in _grad_d(p)]
    decay = 1 - 2 * _F(p["c"]) * _F(p["lam"]) * _F(p["alpha"])
    return {"grad_d": [float(v) for v in g],
            "w_next": [float(decay * wj - _F(p["alpha"]) * gj) for wj, gj in zip(p["w"], g, strict=True)]}


def _mistake_lambda_factor(p):
    """Differentiated c lam ||w||^2 to c lam w (dropped the 2): decay factor 1 - c lam alpha."""
    c, lam, alpha = _F(p["c"]), _F(p["lam"]), _F(p["alpha"])
    decay = 1 - c * lam * alpha
    return {"decay_factor": float(decay),
            "w_next": [float(decay * wj - alpha * gj) for wj, gj in zip(p["w"], _grad_d(p), strict=True)],
            "alpha_max_no_sign_flip": float(1 / (c * lam))}


MISTAKES = (
    Mistake("no-factor-two", "differentiated (x_i.w - t_i)^2 without the factor 2", _mistake_no_two),
    Mistake("penalty-gradient", "took c lambda w as the gradient of c lambda ||w||^2", _mistake_lambda_factor),
    Mistake("no-penalty-in-stability", "used 2/mu_max, ignoring the penalty's curvature 2 c lambda",
            lambda p: {"alpha_max_stable": 2 / _mu_max_float(p)}),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "gradient": (
        Step("the data term's gradient (2/m) X^T (X w - t)", 0.5),
        Step("the numbers", 0.5),
    ),
    "update": (
        Step("the terms in w collected: the decay factor", 0.5),
        Step("the next iterate", 0.5),
    ),
    "stability": (
        Step("the Hessian of the regularised loss and its largest eigenvalue: the largest stable step", 0.5),
        Step("the largest step without a sign flip of the error", 0.5),
    ),
    "lambda_effect": (
        Step("a larger lambda: stronger shrinking, the minimiser moves towards 0", 1),
    ),
}
