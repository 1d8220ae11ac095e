"""Answer labels say what to enter, in the statement's own symbols, and never give the method away.

A label is shown beside the answer field on the practice page, in Moodle and in grade feedback;
"largest stable step 2/(mu_max + 2 c lambda)" hands the student the result. Three rules, each of
which a label of the bank has broken before (the examples below are such labels):
- no formula of a method (a list of the forms that gave results away);
- no symbol defined by a formula ("z = W1 x": the label names z, the statement defines it);
- no other answer field's name (names such as mults_standard are code, not the statement's symbols).
"""

from __future__ import annotations

import re

import pytest

from generator.bank import builtin

# Pieces of formulas that compute an answer: steps, projections, normalisations, estimators.
METHOD_PIECES = (
    "2/(", "1/q", "sign(", "- eps", "eps g", "softmax(", "relu(", "(1/n)", "sum_", "prod_", "+=", "<-",
    "proportional to", "dividing by", "n_in var_w", "d (k - 1)", "/ sqrt", "||x - mu(z)||^2",
)
# "name = right side" where the right side computes something: an operator, a call, or a product
# written by juxtaposition ("W1 x").
DEFINITION = re.compile(r"(?<![<>!=+\-*/])=(?!=)\s*([^,;]+)")
OPERATION = re.compile(r"[+*/^]| - |\w\(|\w\s+\w")


def label_problems(label: str, other_fields: set[str] = frozenset()) -> list[str]:
    """Why a label gives the method away or uses a symbol the statement does not define ([] when fine)."""
    found = [f"has the method's {piece!r}" for piece in METHOD_PIECES if piece in label.lower()]
    for match in re.finditer(r"\+=|" + DEFINITION.pattern, label):
        right = match.group(1) if match.lastindex else label[match.end():]
        if match.group(0) == "+=" or OPERATION.search(right):
            found.append(f"defines a symbol by a formula ({match.group(0).strip()}{right if match.lastindex else ''})")
    for name in sorted(other_fields):
        if "_" in name and re.search(rf"(?<!\w){re.escape(name)}(?!\w)", label):
            found.append(f"names the answer field {name!r}")
    return found


@pytest.mark.parametrize("label, why", [
    ("largest stable step 2/(mu_max + 2 c lambda)", "2/("),
    ("the attacked input x - eps sign(grad)", "sign("),
    ("pre-activation z = W1 x", "formula"),
    ("scores S = Q K^T / sqrt(d), before any mask", "formula"),
    ("the factor 1/q applied to kept units during training", "1/q"),
    ("Var(z_j) = n_in var_w v", "n_in var_w"),
    ("gradient of min_k ||x - y_k||^2 and the SGD step y_k += alpha (x - y_k)", "formula"),
    ("p*(y|x) is proportional to p*(y)/p(y) p(y|x)", "proportional to"),
    ("the variance of the fitted distribution (the MLE, dividing by n)", "dividing by"),
    ("effective side of the dilated kernel, d (k - 1) + 1", "d (k - 1)"),
])
def test_labels_that_gave_the_method_away_are_caught(label, why):
    found = label_problems(label)
    assert found and any(why in message for message in found), found


def test_another_fields_name_is_caught():
    assert label_problems("mults_separable / mults_standard", {"mults_separable", "mults_standard"}) == [
        "names the answer field 'mults_separable'", "names the answer field 'mults_standard'"]


@pytest.mark.parametrize("label", [
    "largest stable step size alpha_max", "the attacked input tilde x", "weight variance sigma_w^2 with V[y] = V[x_i]",
    "whether ||w_1|| < ||w_0|| = 1", "first step t >= W with eta_t <= eta_max / 2", "actual change f_y(tilde x) - f_y(x)",
])
def test_labels_that_name_what_to_enter_pass(label):
    assert label_problems(label) == []


def test_no_label_of_the_bank_gives_the_method_away():
    bank = builtin()
    bad = []
    for problem_id in bank.ids():
        problem = bank.load(problem_id)
        fields = {answer.name for answer in problem.answers}
        for answer in problem.answers:
            for why in label_problems(answer.label, fields - {answer.name}):
                bad.append(f"{problem_id}.{answer.name}: {answer.label!r} {why}")
    assert bad == []


def test_every_answer_has_a_label():
    bank = builtin()
    missing = [f"{pid}.{a.name}" for pid in bank.ids() for a in bank.load(pid).answers if not a.label.strip()]
    assert missing == []
