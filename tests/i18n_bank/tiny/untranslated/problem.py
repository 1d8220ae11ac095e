"""A test problem without German templates (tests/test_i18n.py): a share of a whole, a real answer."""

from generator.authoring import Answer, Int, Part

TITLE = "Share of a batch, in English only"
SOURCE = "examgen tests"

PARTS = (Part("share", points=2, answers=("share",), space="2cm"),)
PARAMS = (Int("quarters", 1, 3),)
ANSWERS = (Answer("share", "real", "the share of the batch"),)


def solve(p):
    return {"share": p["quarters"] / 4}


def check(p, answers):
    return {"share": sum(0.25 for _ in range(p["quarters"]))}
