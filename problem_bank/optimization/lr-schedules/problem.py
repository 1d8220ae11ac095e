"""Learning-rate schedules with linear warmup: cosine decay, step decay, inverse square root.

Steps are counted t = 0, 1, 2, ...; step t uses the rate lr_t. Every schedule warms up linearly,
lr_t = lr_max t / W for t < W (W = `warmup`), reaches lr_max at t = W and then decays:

    cosine:        lr_t = lr_max / 2 (1 + cos(pi (t - W) / (total - W)))   for W <= t <= total
    step:          lr_t = lr_max gamma^floor((t - W) / step_size)         for t >= W
    inverse-sqrt:  lr_t = lr_max sqrt(W / t)                              for t >= W

`steps_to_half` is the first step t >= W at which lr_t <= lr_max / 2. Parameters a schedule
does not use (total for inverse-sqrt beyond the plot's range, gamma and step_size outside step
decay) are still drawn, so that every parameter can be pinned.
"""

import math
from dataclasses import dataclass
from fractions import Fraction

from generator.authoring import Answer, Choice, Constraint, Int, Mistake, Part

TITLE = "Learning-rate schedules with warmup"
SOURCE = "problem catalog, part 2 (deep-learning course: optimisation)"

PARTS = (
    Part("rate", points=3, answers=("lr_t", "lr_next"), space="4cm"),
    Part("half", points=3, answers=("steps_to_half",), space="6cm"),
)

SCHEDULES = ("cosine", "step", "inverse-sqrt")


@dataclass(frozen=True)
class StepIndex(Int):
    """An integer from `low` to one less than an earlier parameter `below` (the step t < total)."""

    below: str = "total"

    def draw(self, rng, params):
        return rng.integer(self.low, params[self.below] - 1)

    def problem_with(self, value, params):
        high = params[self.below] - 1 if isinstance(params.get(self.below), int) else self.high
        if not isinstance(value, int) or isinstance(value, bool):
            return f"must be an integer, got {value!r}"
        if not self.low <= value <= high:
            return f"must be in [{self.low}, {high}] ({self.below} - 1), got {value}"
        return None

    def describe(self):
        return f"an integer from {self.low} to {self.below} - 1"


PARAMS = (
    Choice("schedule", SCHEDULES),
    # Peak rates of SGD-style training: every asked rate is at least lr_max / 10 >= 0.01, so it can be
    # given to a few decimals as well as to a few significant digits.
    Choice("lr_max", (0.1, 0.2, 0.5)),
    Choice("warmup", (5, 10, 20, 50, 100)),
    Choice("total", (200, 400, 500, 1000, 2000)),
    Choice("step_size", (20, 50, 100, 200)),
    Choice("gamma", (0.1, 0.5, 0.8, 0.9)),
    StepIndex("t", 1, 1999, below="total"),
)

STRUCTURE = ("schedule",)


def _fr(x) -> Fraction:
    return Fraction(str(x))


def _rate(p, t: int) -> dict:
    """lr_t by the closed form, with the pieces the solution shows."""
    lr_max, W = float(p["lr_max"]), p["warmup"]
    if t < W:
        return {"phase": "warmup", "value": lr_max * t / W, "ratio": t / W}
    if p["schedule"] == "cosine":
        span = p["total"] - W
        cosine = math.cos(math.pi * (t - W) / span)
        return {"phase": "decay", "value": lr_max / 2 * (1 + cosine), "offset": t - W, "span": span,
                "ratio": (t - W) / span, "cos": cosine}
    if p["schedule"] == "step":
        k = (t - W) // p["step_size"]
        factor = float(_fr(p["gamma"]) ** k)
        return {"phase": "decay", "value": lr_max * factor, "offset": t - W, "k": k, "factor": factor}
    root = math.sqrt(W / t)
    return {"phase": "decay", "value": lr_max * root, "ratio": W / t, "root": root}


def _half_step(p) -> int:
    """The first t >= W with lr_t <= lr_max / 2, exactly (integers and fractions, no floats)."""
    W = p["warmup"]
    if p["schedule"] == "cosine":
        return W + -(-(p["total"] - W) // 2)        # cos(pi x) <= 0  <=>  x >= 1/2
    if p["schedule"] == "step":
        k, power = 0, Fraction(1)
        while power > Fraction(1, 2):
            k, power = k + 1, power * _fr(p["gamma"])
        return W + k * p["step_size"]
    return 4 * W                                     # sqrt(W / t) <= 1/2  <=>  t >= 4 W


def _large_enough(p) -> bool:
    lr_max = float(p["lr_max"])
    return all(_rate(p, t)["value"] >= lr_max / 10 for t in (p["t"], p["t"] + 1))


def _shift_recognisable(p) -> bool:
    """The decay measured from t = 0 (a declared mistake) moves each rate it changes by at least 2%,
    so that it stays apart from the right rate at any precision an exam asks for."""
    wrong = _no_warmup_shift(p)
    right = {"lr_t": _rate(p, p["t"])["value"], "lr_next": _rate(p, p["t"] + 1)["value"]}
    return all(abs(wrong[name] - value) >= 0.02 * value for name, value in right.items() if name in wrong)


CONSTRAINTS = (
    Constraint("t + 1 <= total (both rates within the schedule)", lambda p: p["t"] + 1 <= p["total"]),
    Constraint("4 warmup <= total (the decay phase is long against the warmup)", lambda p: 4 * p["warmup"] <= p["total"]),
    Constraint("the rate halves within the plotted schedule (steps_to_half <= total)",
               lambda p: _half_step(p) <= p["total"]),
    Constraint("lr_t and lr_next are at least lr_max / 10 (not nearly 0 near the end of a cosine)", _large_enough),
    Constraint("measuring the decay from t = 0 would change lr_t and lr_next by at least 2% (a recognisable mistake)",
               _shift_recognisable),
)

# Rates are small numbers (0.001 lr_max...): relative tolerance; the floor only absorbs rounding.
ANSWERS = (
    Answer("lr_t", "real", "learning rate at step t", atol=1e-12, rtol=0.005),
    Answer("lr_next", "real", "learning rate at step t + 1", atol=1e-12, rtol=0.005),
    Answer("steps_to_half", "int", "first step t >= W with eta_t <= eta_max / 2"),
)

# The figure: the schedule over [0, total] in a WIDTH x HEIGHT cm box.
WIDTH, HEIGHT = 10.0, 3.6


def _figure(p, half: int) -> dict:
    total, lr_max, W = p["total"], float(p["lr_max"]), p["warmup"]

    def x(t):
        return round(WIDTH * t / total, 3)

    def y(lr):
        return round(HEIGHT * lr / lr_max, 3)

    if p["schedule"] == "step":
        # a staircase: at each drop the rate just before it and the rate after it
        points = [(x(0), y(0.0)), (x(W), y(lr_max))]
        for edge in range(W + p["step_size"], total, p["step_size"]):
            points += [(x(edge), y(_rate(p, edge - 1)["value"])), (x(edge), y(_rate(p, edge)["value"]))]
        points.append((x(total), y(_rate(p, total)["value"])))
    else:
        grid = sorted({*range(0, W + 1, max(1, W // 4)), W,
                       *range(W, total + 1, max(1, (total - W) // 80)), total})
        points = [(x(t), y(_rate(p, t)["value"])) for t in grid]
    t = p["t"]
    return {
        "points": " ".join(f"({a:g},{b:g})" for a, b in points),
        "width": WIDTH, "height": HEIGHT, "half_y": y(lr_max / 2),
        "t_x": x(t), "t_y": y(_rate(p, t)["value"]),
        "half_x": x(half), "warmup_x": x(W),
        # tick labels that would collide with another label are left out
        "label_warmup": x(W) >= 0.8 and abs(x(W) - x(half)) >= 0.9,
        "label_total": abs(WIDTH - x(half)) >= 0.9,
    }


def solve(p):
    t = p["t"]
    now, after = _rate(p, t), _rate(p, t + 1)
    half = _half_step(p)
    return {
        "lr_t": now["value"],
        "lr_next": after["value"],
        "steps_to_half": half,
        # shown in the worked solution
        "now": {**now, "t": t},
        "after": {**after, "t": t + 1},
        "half_lr": float(p["lr_max"]) / 2,
        "half_offset": half - p["warmup"],
        "half_k": (half - p["warmup"]) // p["step_size"] if p["schedule"] == "step" else 0,
        "half_k_before": (half - p["warmup"]) // p["step_size"] - 1 if p["schedule"] == "step" else 0,
        "half_power": (float(_fr(p["gamma"]) ** ((half - p["warmup"]) // p["step_size"]))
                       if p["schedule"] == "step" else 0.0),
        "half_power_before": (float(_fr(p["gamma"]) ** ((half - p["warmup"]) // p["step_size"] - 1))
                              if p["schedule"] == "step" else 0.0),
        "four_warmup": 4 * p["warmup"],
        "figure": _figure(p, half),
    }


def check(p, answers):
    """Run the schedule as an optimiser's scheduler would, one step at a time from t = 0: warmup
    adds lr_max / W per step; the cosine phase rotates a unit vector by pi / (total - W) per step;
    step decay multiplies by gamma every step_size steps; inverse-sqrt multiplies by
    sqrt(t / (t + 1)). The first step at or after W with lr <= lr_max / 2 is read off the run."""
    lr_max, W, total = float(p["lr_max"]), p["warmup"], p["total"]
    schedule, t_wanted = p["schedule"], p["t"]
    rates = []
    lr = 0.0
    c, s = 1.0, 0.0
    delta = math.pi / (total - W)
    turn = (math.cos(delta), math.sin(delta))
    since_drop = 0
    for step in range(total + 1):
        if step < W:
            lr = step * (lr_max / W) if step == 0 else lr + lr_max / W
        elif step == W:
            lr = lr_max
        elif schedule == "cosine":
            c, s = c * turn[0] - s * turn[1], s * turn[0] + c * turn[1]
            lr = lr_max * (1 + c) / 2
        elif schedule == "step":
            since_drop += 1
            if since_drop == p["step_size"]:
                lr, since_drop = lr * float(p["gamma"]), 0
        else:
            lr = lr * math.sqrt((step - 1) / step)
        rates.append(lr)
    half = next(step for step in range(W, total + 1) if rates[step] <= lr_max / 2 * (1 + 1e-9))
    return {"lr_t": rates[t_wanted], "lr_next": rates[t_wanted + 1], "steps_to_half": half}


def _no_warmup_shift(p):
    """Measured the decay from t = 0 instead of from the end of the warmup."""
    lr_max, W, total = float(p["lr_max"]), p["warmup"], p["total"]

    def rate(t):
        if t < W:
            return None  # the warmup itself is not affected
        if p["schedule"] == "cosine":
            return lr_max / 2 * (1 + math.cos(math.pi * t / total))
        if p["schedule"] == "step":
            return lr_max * float(p["gamma"]) ** (t // p["step_size"])
        return lr_max / math.sqrt(t)  # the inverse square root without its sqrt(W) scale

    out = {}
    for name, t in (("lr_t", p["t"]), ("lr_next", p["t"] + 1)):
        value = rate(t)
        if value is not None:
            out[name] = value
    out["steps_to_half"] = next(t for t in range(W, 10 * total) if rate(t) <= lr_max / 2)
    return out


def _half_from_peak(p):
    """Counted the steps to half from the end of the warmup instead of from t = 0."""
    return {"steps_to_half": _half_step(p) - p["warmup"]}


MISTAKES = (
    Mistake("no-warmup-shift", "measured the decay from t = 0 instead of from the end of the warmup",
            _no_warmup_shift),
    Mistake("half-from-peak", "counted the steps to half from the end of the warmup, not from t = 0",
            _half_from_peak),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "rate": (
        Step("the schedule's phase at step t (warm-up or decay) and its formula", 0.5),
        Step("the rates at t and at the next step", 0.5),
    ),
    "half": (
        Step("the rate set equal to half the peak", 0.5),
        Step("solved for the first step that reaches it", 0.5),
    ),
}
