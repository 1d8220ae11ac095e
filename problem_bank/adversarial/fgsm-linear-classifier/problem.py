"""FGSM against a linear softmax classifier: the attack as a linearised box-constrained problem.

The classifier's log-probabilities are f(x) = log softmax(W x + b). The attacker lowers
f_y(x) for the true label y within the box |x~_i - x_i| <= eps, using the first-order
model f_y(x~) ~ f_y(x) + grad . (x~ - x), whose minimiser over the box is the fast
gradient sign step x - eps sign(grad). (The source sheet writes the solution as
-eps sign(g), leaving out the base point x; the bank uses x - eps sign(grad).)
"""

from generator.authoring import (
    Answer,
    Approx,
    Constraint,
    Decimal,
    Int,
    Matrix,
    Mistake,
    Part,
    Vector,
)

TITLE = "Fast gradient sign attack on a linear softmax classifier"
TITLES = {"de": "Fast-Gradient-Sign-Angriff auf einen linearen Softmax-Klassifikator"}
SOURCE = "dl-assignments-with-solutions.md, assignment 4; dl-ss2021-seminar5.md, assignment 2(b)"

PARTS = (
    Part("predict", points=2, answers=("probs", "pred_before"), space="4cm"),
    Part("gradient", points=3, answers=("grad",), space="5cm"),
    Part("attack", points=3, answers=("x_adv", "linear_change"), space="5cm"),
    Part("effect", points=2, answers=("probs_adv", "pred_after", "actual_change"), space="4cm"),
)

PARAMS = (
    Int("K", 2, 3, domain=(2, 10)),          # classes: W is K x n
    Int("n", 2, 4, domain=(1, 20)),          # input dimensions
    Matrix("W", rows="K", cols="n", low=-2, high=2, step=1, domain=(-100, 100)),
    Vector("b", length="K", low=-1, high=1, step=0.5, domain=(-100, 100)),
    Vector("x", length="n", low=-1, high=1, step=0.5, domain=(-100, 100)),
    Int("y", 1, 3, domain=(1, 10)),
    Decimal("eps", 0.1, 0.5, 0.05, domain=(0.0001, 100)),
)

STRUCTURE = ("K", "n")


def WORKLOAD(p):
    """Products of the logits W x and the gradient sum_k p_k W_k."""
    return 2 * p["K"] * p["n"]

# A gradient component this close to 0 makes sign() unreadable by hand; two logits this
# close make the predicted class a matter of rounding.
MIN_GRAD = 0.05
MIN_LOGIT_GAP = 0.1
# Logits further apart than this give probabilities that round to 0 or 1 (and a vanishing gradient).
MAX_LOGIT_SPREAD = 4.0


# Inputs have at most two decimals, so the logits have at most four: rounding to 10 places
# gives back the exact short decimal (1.3, not 1.2999999999999998) for the solution sheet.
DECIMALS = 10


def _logits(W, b, x):
    import numpy as np

    z = np.asarray(W, dtype=float) @ np.asarray(x, dtype=float) + np.asarray(b, dtype=float)
    return np.round(z, DECIMALS)


def _softmax(z):
    import numpy as np

    e = np.exp(z - np.max(z))
    return e / e.sum()


def _gradient(p):
    """W_y - sum_k p_k W_k (the reference formula, used by the constraints too)."""
    import numpy as np

    W = np.asarray(p["W"], dtype=float)
    probs = _softmax(_logits(p["W"], p["b"], p["x"]))
    return W[p["y"] - 1] - probs @ W


def _adversarial_point(p):
    """x - eps sign(grad), rounded so that 0.5 - 0.35 is the decimal 0.15."""
    grad = _gradient(p)
    return [round(xi - p["eps"] * (1 if gi > 0 else -1), DECIMALS) for xi, gi in zip(p["x"], grad, strict=True)]


def _top_gap(z) -> float:
    ordered = sorted(z, reverse=True)
    return float(ordered[0] - ordered[1])


def _label_ok(p) -> bool:
    return 1 <= p["y"] <= len(p["W"])


# Every constraint after the first needs a valid label (all constraints are evaluated).
CONSTRAINTS = (
    Constraint("y is a class label: 1 <= y <= K", _label_ok),
    Constraint("the rows of W are pairwise different (no two classes with the same weights)",
               lambda p: len({tuple(row) for row in p["W"]}) == len(p["W"])),
    Constraint("x is classified correctly (the attack has something to destroy)",
               lambda p: _label_ok(p) and int(_logits(p["W"], p["b"], p["x"]).argmax()) + 1 == p["y"], pedagogical=True),
    Constraint(f"every gradient component is at least {MIN_GRAD} away from 0",
               lambda p: _label_ok(p) and min(abs(_gradient(p))) >= MIN_GRAD),
    Constraint(f"the logits W x + b span at most {MAX_LOGIT_SPREAD}",
               lambda p: float(max(_logits(p["W"], p["b"], p["x"])) - min(_logits(p["W"], p["b"], p["x"])))
               <= MAX_LOGIT_SPREAD, pedagogical=True),
    Constraint(f"no tie in the prediction at x: the two largest logits differ by at least {MIN_LOGIT_GAP}",
               lambda p: _top_gap(_logits(p["W"], p["b"], p["x"])) >= MIN_LOGIT_GAP, pedagogical=True),
    Constraint(f"no tie in the prediction at x_adv: the two largest logits differ by at least {MIN_LOGIT_GAP}",
               lambda p: _label_ok(p) and _top_gap(_logits(p["W"], p["b"], _adversarial_point(p))) >= MIN_LOGIT_GAP, pedagogical=True),
)

ANSWERS = (
    Answer("probs", "vector", "class probabilities p at x", atol=0.005),
    Answer("pred_before", "int", "predicted class (1-based) at x"),
    Answer("grad", "vector", "gradient of f_y with respect to x, at x", atol=0.01, rtol=0.01),
    Answer("x_adv", "vector", "the attacked input tilde x", atol=0.001),
    Answer("linear_change", "real", "change of f_y predicted by the linear approximation",
           atol=0.005, rtol=0.01),
    Answer("probs_adv", "vector", "class probabilities at tilde x", atol=0.005),
    Answer("pred_after", "int", "predicted class (1-based) at tilde x"),
    Answer("actual_change", "real", "actual change f_y(tilde x) - f_y(x)", atol=0.005, rtol=0.01),
)


def solve(p):
    import numpy as np

    W = np.asarray(p["W"], dtype=float)
    y = p["y"] - 1
    eps = p["eps"]

    z = _logits(p["W"], p["b"], p["x"])
    exp_z = np.exp(z)
    probs = exp_z / exp_z.sum()
    mixed_row = probs @ W                      # sum_k p_k W_k, the probability-weighted row
    grad = W[y] - mixed_row
    signs = [1 if gi > 0 else -1 for gi in grad]
    x_adv = _adversarial_point(p)
    grad_l1 = float(np.abs(grad).sum())

    z_adv = _logits(p["W"], p["b"], x_adv)
    exp_z_adv = np.exp(z_adv)
    probs_adv = exp_z_adv / exp_z_adv.sum()
    log_py = float(np.log(probs[y]))
    log_py_adv = float(np.log(probs_adv[y]))
    return {
        "probs": probs,
        "pred_before": int(np.argmax(z)) + 1,
        "grad": grad,
        "x_adv": x_adv,
        "linear_change": -eps * grad_l1,
        "probs_adv": probs_adv,
        "pred_after": int(np.argmax(z_adv)) + 1,
        "actual_change": log_py_adv - log_py,
        # shown in the worked solution
        "K": len(p["W"]),
        "n": len(p["x"]),
        "z": z,
        "exp_z": exp_z,
        "exp_sum": float(exp_z.sum()),
        "mixed_row": mixed_row,
        "signs": signs,
        "grad_abs": np.abs(grad),
        "grad_l1": grad_l1,
        "z_adv": z_adv,
        "exp_z_adv": exp_z_adv,
        "exp_sum_adv": float(exp_z_adv.sum()),
        "p_y": float(probs[y]),
        "p_y_adv": float(probs_adv[y]),
        "log_py": log_py,
        "log_py_adv": log_py_adv,
        # what the linear model misses: >= 0 because f_y is concave in x
        "extra_decrease": -eps * grad_l1 - (log_py_adv - log_py),
        "flipped": int(np.argmax(z_adv)) != int(np.argmax(z)),
    }


def check(p, answers):
    """Finite differences of log-softmax for the gradient, and an LP over the box for the attack."""
    import numpy as np
    from scipy.optimize import linprog
    from scipy.special import log_softmax, logsumexp, softmax

    W = np.array(p["W"], dtype=float)
    b = np.array(p["b"], dtype=float)
    x = np.array(p["x"], dtype=float)
    y = p["y"] - 1
    eps = float(p["eps"])

    # Central differences of f_y = log_softmax(W x + b)[y], all 2n shifted inputs in one batch:
    # truncation h^2 |f'''| / 6 ~ 1e-11, rounding 1e-16 / h ~ 1e-11.
    h = 1e-5
    shifts = h * np.eye(len(x))
    f_y = log_softmax(np.vstack([x + shifts, x - shifts]) @ W.T + b, axis=1)[:, y]
    grad_fd = (f_y[: len(x)] - f_y[len(x):]) / (2 * h)

    # The linearised attack: minimise grad . (x~ - x) over the box |x~_i - x_i| <= eps.
    box = [(xi - eps, xi + eps) for xi in x]
    lp = linprog(grad_fd, bounds=box, method="highs")
    assert lp.success, lp.message
    x_lp = lp.x
    linear_change = lp.fun - grad_fd @ x

    z, z_adv = W @ x + b, W @ x_lp + b
    actual = (z_adv[y] - logsumexp(z_adv)) - (z[y] - logsumexp(z))
    return {
        "probs": softmax(z),
        "pred_before": int(np.argmax(softmax(z))) + 1,
        "grad": Approx(grad_fd, atol=1e-7),
        "x_adv": x_lp,
        "linear_change": Approx(linear_change, atol=1e-7),
        "probs_adv": softmax(z_adv),
        "pred_after": int(np.argmax(softmax(z_adv))) + 1,
        "actual_change": actual,
    }


def _wrong_sign_attack(p):
    """Stepped along +sign(grad): raises f_y instead of lowering it."""
    import numpy as np

    grad = _gradient(p)
    x_up = [xi + p["eps"] * (1 if gi > 0 else -1) for xi, gi in zip(p["x"], grad, strict=True)]
    return {"x_adv": x_up, "linear_change": float(p["eps"] * np.abs(grad).sum())}


def _no_mixture_gradient(p):
    """Took the gradient of the logit z_y = W_y x + b_y and forgot the log-sum-exp term."""
    import numpy as np

    row = np.asarray(p["W"][p["y"] - 1], dtype=float)
    return {"grad": row, "linear_change": -p["eps"] * float(np.abs(row).sum())}


def _l2_norm_change(p):
    """Wrote the predicted change with the Euclidean norm instead of the l1 norm."""
    import numpy as np

    return {"linear_change": -p["eps"] * float(np.linalg.norm(_gradient(p)))}


MISTAKES = (
    Mistake("wrong-sign", "moved along +eps sign(grad), which increases the true class's log-probability",
            _wrong_sign_attack),
    Mistake("logit-gradient", "used W_y (the gradient of the logit z_y) and forgot the -sum_k p_k W_k term",
            _no_mixture_gradient),
    Mistake("l2-norm", "predicted the change as -eps ||grad||_2 instead of -eps ||grad||_1", _l2_norm_change),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "predict": (
        Step("scores w^T x + b and the softmax (or sigmoid) probabilities", 0.5),
        Step("the predicted class read off the probabilities", 0.5),
    ),
    "gradient": (
        Step("chain rule through the log-softmax: the gradient W_y - sum_k p_k W_k", "2/3"),
        Step("the numbers of the gradient vector", "1/3"),
    ),
    "attack": (
        Step("the linearised problem over the box solved: the step -eps sign(g), entry by entry", "2/3"),
        Step("the linear change of the log-probability, -eps times the l1 norm of g", "1/3"),
    ),
    "effect": (
        Step("probabilities at the perturbed input", 0.5),
        Step("prediction after the attack and the actual change of the score", 0.5),
    ),
}
