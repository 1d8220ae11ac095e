"""Structure and numbers: a slot's structure (sizes, norm, schedule) is drawn once for every
variant unless the spec asks `vary: all`; structure parameters can be pinned alone; pins are
judged against the problem's domain, not its sampling range; pins that break a pedagogical
constraint are warnings naming it. The known instances of the source sheets pin and give the
sheets' answers (expected values worked out here from the sheets' formulas)."""

from __future__ import annotations

import json
import math
import re
import types

import pytest

from generator import bank
from generator.errors import ExamgenError
from generator.instance import draw_instance
from generator.plan import make_plan
from generator.problem import ContractError, load_module
from generator.seeds import Sampler
from generator.spec import load_spec
from generator.variants import make_variant, slot_reports, structures


def _plan(write_spec, entries: str, variants: int = 12, seed: int = 5):
    path = write_spec(f"title: Structure\nseed: {seed}\nvariants: {variants}\nproblems:\n{entries}")
    spec, where = load_spec(path)
    return make_plan(spec, where, path)


def _variants(plan):
    shared = structures(plan)
    return [make_variant(plan, key, shared) for key in plan.variant_keys]


SIGMOID = "backprop/backprop-two-layer-sigmoid"
KMEANS = "clustering/online-kmeans"


# ---------------------------------------------------------------- structure per slot

def test_structure_is_fixed_per_slot_and_numbers_differ(write_spec):
    plan = _plan(write_spec, f"  - id: {SIGMOID}\n  - id: {KMEANS}\n  - id: optimization/trust-region\n")
    variants = _variants(plan)
    for index, names, numbers in [(0, ("d", "h", "o"), "W1"), (1, ("K", "T", "schedule"), "points"),
                                  (2, ("norm",), "g")]:
        instances = [v.slots[index][1] for v in variants]
        shapes = {tuple(i.params[n] for n in names) for i in instances}
        assert len(shapes) == 1, (names, shapes)
        assert len({json.dumps(i.params[numbers]) for i in instances}) >= 10   # 12 variants, numbers vary
    # The sizes the structure names are the sizes of the drawn arrays.
    for v in variants:
        p = v.slots[0][1].params
        assert (len(p["W1"]), len(p["W1"][0]), len(p["W2"])) == (p["h"], p["d"], p["o"])
        q = v.slots[1][1].params
        assert (len(q["centers0"]), len(q["points"])) == (q["K"], q["T"])


def test_structure_depends_on_exam_seed_and_slot_not_on_variant(write_spec):
    one = _plan(write_spec, f"  - id: {SIGMOID}\n", variants=3)
    many = _plan(write_spec, f"  - id: {SIGMOID}\n", variants=40)
    assert structures(one) == structures(many)
    seeds = {json.dumps(structures(_plan(write_spec, f"  - id: {KMEANS}\n", variants=1, seed=s))[KMEANS])
             for s in range(12)}
    assert len(seeds) > 1      # another exam seed, another structure


def test_vary_all_draws_structure_per_variant(write_spec):
    plan = _plan(write_spec, f"  - id: {SIGMOID}\n    vary: all\n  - id: {KMEANS}\n    vary: all\n", variants=20)
    assert structures(plan) == {SIGMOID: {}, KMEANS: {}}
    variants = _variants(plan)
    assert len({tuple(v.slots[0][1].params[n] for n in ("d", "h", "o")) for v in variants}) > 1
    assert len({(v.slots[1][1].params["K"], v.slots[1][1].params["T"]) for v in variants}) > 1


def test_vary_must_be_numbers_or_all(cli, write_spec, tmp_path):
    path = write_spec(f"title: S\nseed: 1\nproblems:\n  - id: {SIGMOID}\n    vary: sometimes\n")
    result = cli("build", str(path), "--no-pdf", "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "vary" in result.stderr and "Traceback" not in result.stderr


def test_a_structure_pin_alone_keeps_the_numbers_varying(write_spec):
    plan = _plan(write_spec, f"  - id: {SIGMOID}\n    params: {{h: 2}}\n"
                             f"  - id: {KMEANS}\n    params: {{K: 3, schedule: 1/n_k}}\n")
    variants = _variants(plan)
    sig = [v.slots[0][1].params for v in variants]
    assert all(p["h"] == 2 and len(p["W1"]) == 2 and len(p["W2"][0]) == 2 for p in sig)
    assert len({(p["d"], p["o"]) for p in sig}) == 1          # the rest of the structure shared too
    assert len({json.dumps(p["W1"]) for p in sig}) >= 10
    km = [v.slots[1][1].params for v in variants]
    assert all(p["K"] == 3 and len(p["centers0"]) == 3 and p["schedule"] == "1/n_k" for p in km)
    assert len({p["T"] for p in km}) == 1
    assert len({json.dumps(p["points"]) for p in km}) >= 10


def test_a_size_pinned_outside_the_range_inside_the_domain(write_spec):
    # h is drawn from {2, 3}; solve and check handle up to 8 hidden units.
    plan = _plan(write_spec, f"  - id: {SIGMOID}\n    params: {{h: 5}}\n", variants=3)
    for v in _variants(plan):
        p = v.slots[0][1].params
        assert p["h"] == 5 and len(p["W1"]) == 5 and all(len(row) == 5 for row in p["W2"])


def test_a_pin_outside_the_domain_is_one_error_line(cli, write_spec, tmp_path):
    path = write_spec(f"title: S\nseed: 1\nvariants: 2\nproblems:\n  - id: {SIGMOID}\n    params: {{h: 9}}\n")
    result = cli("build", str(path), "--no-pdf", "--out", str(tmp_path / "o"))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "parameter 'h' must be in [1, 8], got 9" in result.stderr and "params.h" in result.stderr
    assert not (tmp_path / "o").exists()


def test_a_pedagogical_pin_builds_with_a_warning_naming_the_constraint(cli, write_spec, tmp_path):
    # var_w = 1/n answers the last part in the statement: allowed when pinned, but warned.
    path = write_spec("title: S\nseed: 1\nvariants: 2\nproblems:\n  - id: probability/node-statistics\n"
                      "    params: {n: 100, var_x: 1, var_w: 0.01}\n")
    result = cli("build", str(path), "--no-pdf", "--out", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert any("slot 1 (probability/node-statistics)" in w and "pedagogical constraint 'var_w differs from 1/n'" in w
               for w in warnings), result.stderr
    key = json.loads((tmp_path / "o" / "key.json").read_text())
    assert key["variants"][0]["problems"][0]["answers"]["var_y"] == pytest.approx(1.0)   # 100 * 0.01 * 1


def test_build_prints_the_work_and_duplicates_per_slot(cli, write_spec, tmp_path):
    path = write_spec(f"title: S\nseed: 4\nvariants: 6\nproblems:\n  - id: {SIGMOID}\n"
                      f"  - id: {SIGMOID}\n    vary: all\n  - id: cnn/conv-layer-cost\n"
                      "    params: {H: 8, W: 8, C_in: 1, k: 3, C_out: 2, stride: 1, pad: 0}\n")
    result = cli("build", str(path), "--no-pdf", "--out", str(tmp_path / "o"))
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("slot ")]
    assert len(lines) == 3, result.stdout
    key = json.loads((tmp_path / "o" / "key.json").read_text())
    first = key["variants"][0]["problems"][0]["params"]
    d, h, o = first["d"], first["h"], first["o"]
    # forward h d + o h + o, backward o + 2 o h + 2 h + h d (the statement's convention)
    work = h * d + o * h + o + o + 2 * o * h + 2 * h + h * d
    assert lines[0] == (f"slot 1 ({SIGMOID}): structure d={d}, h={h}, o={o}; work {work}; "
                        "0 duplicate instances")
    assert re.fullmatch(rf"slot 2 \({SIGMOID}\): [2-9] structures \(vary: all\); work \d+ to \d+ \(x[\d.]+\); "
                        r"0 duplicate instances", lines[1]), lines[1]
    # everything pinned: all 6 variants share the one instance (conv declares no WORKLOAD)
    assert lines[2] == "slot 3 (cnn/conv-layer-cost): structure k=3, stride=1, pad=0; 6 duplicate instances"
    # With C_in = 1, leaving the input channels out of the count changes nothing: a declared
    # mistake gives the right answer. Pinned, that is a warning, not a refusal.
    assert any(line.startswith("warning: slot 3 (cnn/conv-layer-cost)") and "'no-channels-in'" in line
               for line in result.stderr.splitlines()), result.stderr


def test_slot_reports_measure_the_spread_of_work(write_spec):
    plan = _plan(write_spec, f"  - id: {SIGMOID}\n  - id: {SIGMOID}\n    vary: all\n", variants=20)
    fixed, varying = slot_reports(plan, _variants(plan))
    assert fixed.structures == 1 and fixed.workload[0] == fixed.workload[1]
    assert varying.structures > 1 and varying.workload[0] < varying.workload[1]
    assert fixed.duplicates == 0


# ---------------------------------------------------------------- the contract

def _module(tmp_path, **names):
    folder = tmp_path / "topic" / "p"
    folder.mkdir(parents=True)
    for name in ("question.tex.j2", "solution.tex.j2"):
        (folder / name).write_text("x\n")
    real = bank.load("cnn/conv-layer-cost")
    module = types.ModuleType("fake")
    for attr, value in {"TITLE": "t", "SOURCE": "s", "PARTS": real.parts, "PARAMS": real.params,
                        "ANSWERS": real.answers, "solve": real.solve, "check": real.check, **names}.items():
        setattr(module, attr, value)
    return module, folder


def test_a_problem_without_structure_loads_with_none(tmp_path):
    module, folder = _module(tmp_path)
    assert load_module(module, "topic/p", folder).structure == ()


def test_structure_names_are_checked_by_the_loader(tmp_path):
    module, folder = _module(tmp_path, STRUCTURE=("k", "kernel"))
    with pytest.raises(ContractError, match="STRUCTURE names 'kernel'"):
        load_module(module, "topic/p", folder)
    module, folder = _module(tmp_path / "b", STRUCTURE="k")
    with pytest.raises(ContractError, match="tuple of parameter names"):
        load_module(module, "topic/p", folder)


def test_every_problem_declares_its_structure():
    # (The built-in bank: each declares STRUCTURE, possibly empty; every name is a parameter.)
    declared = {pid: bank.load(pid).structure for pid in bank.ids()}
    assert declared[SIGMOID] == ("d", "h", "o")
    assert declared["optimization/trust-region"] == ("norm", "n")
    assert declared["optimization/prox-norm-regularizer"] == ("rho", "n")
    assert set(declared["optimization/mirror-descent-box"]) == {"f", "n", "T"}
    assert "k" in declared["cnn/conv-layer-cost"]
    assert declared["probability/prior-shift"] == ("K",)


def test_sizes_are_implied_by_pinned_values():
    # Pinned priors with 3 classes imply K = 3 (a size the problem's sample() draws itself);
    # a pinned W1 with 4 rows implies h = 4.
    prior = _pinned("probability/prior-shift", {"prior_train": [0.5, 0.25, 0.25], "prior_deploy": [0.2, 0.4, 0.4]})
    assert prior.params["K"] == 3 and all(len(row) == 3 for row in prior.params["outputs"])
    sig = _pinned(SIGMOID, {"W1": [[0.5, 0], [0, 0.5], [0.25, 0.25], [-0.5, 0.5]]})
    assert (sig.params["h"], sig.params["d"]) == (4, 2) and len(sig.params["W2"][0]) == 4


# ---------------------------------------------------------------- known instances, pinned

def _pinned(problem_id, params):
    problem = bank.load(problem_id)
    return draw_instance(problem, Sampler(1, problem_id), params, "known")


def test_conv_layer_of_the_exam_sheet():
    # exam-weight-decay-backprop-conv.md, question 2: X (48, 64, 10), W (3, 3, 10, 20).
    a = _pinned("cnn/conv-layer-cost", {"H": 48, "W": 64, "C_in": 10, "k": 3, "C_out": 20, "stride": 1, "pad": 0}).answers
    assert a["out_shape"] == [46, 62, 20]
    assert (a["in_channels"], a["out_channels"]) == (10, 20)
    assert a["mults"] == 5_133_600 and a["params"] == 1820


def test_node_statistics_with_the_preserving_variance():
    # assignment 1: Var[y] = n var_w var_x; var_w = 1/n keeps Var[y] = var_x.
    instance = _pinned("probability/node-statistics", {"n": 64, "var_x": 2, "var_w": 1 / 64})
    assert instance.answers["mean_y"] == 0
    assert instance.answers["var_y"] == pytest.approx(2.0)
    assert instance.answers["sigma_w2_preserving"] == pytest.approx(1 / 64)
    assert any("var_w differs from 1/n" in w for w in instance.warnings)


def test_shift_layer_with_x_one_to_six():
    # assignment 2, the sheet's shift 2: y_i = a (x_i + x_{i+2}) + b, x = (1, ..., 6), a = 2, b = 1,
    # g = (1, 1, 1, 1): y = 2 (4, 6, 8, 10) + 1; dL/db = sum g = 4; dL/da = 4 + 6 + 8 + 10 = 28;
    # dL/dx_j = a (g_j [j <= 4] + g_{j-2} [j > 2]) = 2 (1, 1, 2, 2, 1, 1).
    instance = _pinned("backprop/backprop-shift-layer",
                       {"N": 6, "m": 2, "a": 2, "b": 1, "x": [1, 2, 3, 4, 5, 6], "g": [1, 1, 1, 1]})
    a = instance.answers
    assert a["y"] == [9, 13, 17, 21]
    assert (a["dL_db"], a["dL_da"]) == (4, 28)
    assert a["dL_dx"] == [2, 2, 4, 4, 2, 2]
    assert instance.warnings == ()


def test_weight_decay_step_with_alpha_one_half():
    # exam question 3: w_{t+1} = (1 - 2 lam alpha) w_t - alpha grad d(w_t), here c = 1, lam = 0.1,
    # alpha = 0.5, X = I, t = (1, 1), w = (1, -1): residuals (0, -2), grad d = (2/2) (0, -2) = (0, -2),
    # w_next = 0.9 (1, -1) - 0.5 (0, -2) = (0.9, 0.1); Hessian (2/m) X^T X = I: mu_max = 1,
    # alpha_max_stable = 2 / (1 + 0.2), no sign flip below 1 / (2 lam) = 5.
    a = _pinned("regularization/weight-decay-step",
                {"c": 1, "lam": 0.1, "alpha": 0.5, "w": [1, -1], "X": [[1, 0], [0, 1]], "t": [1, 1]}).answers
    assert a["grad_d"] == pytest.approx([0, -2])
    assert a["decay_factor"] == pytest.approx(0.9)
    assert a["w_next"] == pytest.approx([0.9, 0.1])
    assert a["alpha_max_stable"] == pytest.approx(2 / 1.2)
    assert a["alpha_max_no_sign_flip"] == pytest.approx(5)


def test_online_kmeans_with_a_center_at_ten():
    # assignment 8, y_k <- y_k + (1/n_k)(x - y_k): x = (2, 0) -> center 1 = (2, 0); (8, 0) -> center 2
    # = (8, 0); (4, 0) -> center 1 = (2, 0) + (1/2)(2, 0) = (3, 0), the mean of 2 and 4.
    a = _pinned(KMEANS, {"centers0": [[0, 0], [10, 0]], "points": [[2, 0], [8, 0], [4, 0]],
                         "schedule": "1/n_k", "alpha": 0.5}).answers
    assert a["assignments"] == [1, 2, 1]
    assert a["centers"] == [[3, 0], [8, 0]]


def test_trust_region_ball_with_a_large_radius():
    # dl-ss2023 assignment 2 (a): delta = -eps g / ||g||_2, decrease eps ||g||_2. g = (0, 3, 4), eps = 2
    # (outside the sampled [0.1, 1], inside the domain): delta = -2 (0, 0.6, 0.8).
    a = _pinned("optimization/trust-region", {"norm": "l2", "g": [0, 3, 4], "theta": [1, 1, 1], "eps": 2}).answers
    assert a["delta"] == pytest.approx([0, -1.2, -1.6])
    assert a["theta_next"] == pytest.approx([1, -0.2, -0.6])
    assert a["model_decrease"] == pytest.approx(10)


def test_trust_region_box():
    # dl-ss2021 assignment 2: delta = -eps sign(g), decrease eps ||g||_1.
    a = _pinned("optimization/trust-region", {"norm": "linf", "g": [1, -2, 3], "theta": [0, 0, 0], "eps": 0.5}).answers
    assert a["delta"] == pytest.approx([-0.5, 0.5, -0.5])
    assert a["model_decrease"] == pytest.approx(3)


def test_mirror_descent_in_one_dimension():
    # assignment 11: x = sigmoid(logit(x0) - eps g); f = c x with c = 1, x0 = 1/2, eps = 1:
    # eta = (0, -1), x = (1/2, sigmoid(-1)).
    a = _pinned("optimization/mirror-descent-box",
                {"f": "linear", "c": [1], "target": None, "x0": [0.5], "eps": 1, "T": 1}).answers
    assert [row[0] for row in a["eta"]] == pytest.approx([0, -1])
    assert [row[0] for row in a["x"]] == pytest.approx([0.5, 1 / (1 + math.e)], abs=1e-6)


def test_proximal_step_of_the_2021_sheet():
    # dl-ss2021 assignment 3: min <g, th - th_t> + lam ||th||^2 + (1/eps) ||th - th_t||^2: stationarity
    # g + 2 lam th + (2/eps)(th - th_t) = 0, th = ((2/eps) th_t - g) / (2 lam + 2/eps). lam = 1, eps = 0.5.
    a = _pinned("optimization/proximal-l2", {"c_r": "lambda", "c_p": "1/eps", "lam": 1, "eps": 0.5,
                                              "theta": [1, 2, 3], "g": [1, 1, 1]}).answers
    assert a["theta_next"] == pytest.approx([3 / 6, 7 / 6, 11 / 6])


def test_smoothed_sgd_and_its_proximal_form():
    # assignment 3, (8) g~ = (1 - q) g~ + q g, (9) th - eps (g~ + lam th), (12) (th - eps' g~)/(1 + eps' lam)
    # with the same step; q = 1/2, eps = 0.1, lam = 1, th0 = (1, 1), g = (2, 2), (4, 2).
    a = _pinned("optimization/sgd-ema-prox", {"q": 0.5, "eps": 0.1, "lam": 1, "theta0": [1, 1],
                                               "grads": [[2, 2], [4, 2]]}).answers
    flat = [v for row in a["g_smoothed"] for v in row]
    assert flat == pytest.approx([1, 1, 2.5, 1.5])
    assert [v for row in a["theta_explicit"] for v in row] == pytest.approx([0.8, 0.8, 0.47, 0.57])
    first = 0.9 / 1.1
    assert [v for row in a["theta_prox"] for v in row] == pytest.approx(
        [first, first, (first - 0.25) / 1.1, (first - 0.15) / 1.1])
    assert a["eps_prime_equivalent"] == pytest.approx(0.1 / 0.9)


def test_bn_weight_decay_step():
    # dl-ss2021 assignment 1 (c): ||w_1|| = sqrt((1 - alpha lam)^2 + alpha^2 a^2), threshold 2 lam/(lam^2 + a^2).
    a = _pinned("optimization/bn-weight-decay", {"lam": 0.5, "a": 1, "alpha": 0.4, "phi": 0}).answers
    assert a["norm_after_step"] == pytest.approx(math.sqrt(0.8))
    assert a["alpha_threshold"] == pytest.approx(0.8)
    assert a["norm_decreases"] is True


def test_a_structure_pin_that_no_draw_can_meet_is_an_error():
    # m <= N - 2 is what solve needs (not pedagogical): N = 3 with m = 3 is refused.
    with pytest.raises(ExamgenError, match=r"break the constraint 'm <= N - 2'"):
        _pinned("backprop/backprop-shift-layer", {"N": 3, "m": 3})
