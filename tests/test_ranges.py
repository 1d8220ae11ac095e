"""Index ranges on the sheets: short ones listed in full ("i = 1, 2, 3", "y in {1, 2}"), never
"1, ..., 2"; the `upto` filter and every problem of the bank."""

import re

import pytest

from generator.bank import builtin
from generator.instance import draw_instance
from generator.render import upto
from generator.seeds import Sampler
from generator.testing import rendered_text


def test_upto_lists_short_ranges_and_elides_long_ones():
    assert upto(1) == "1"
    assert upto(2) == "1, 2"
    assert upto(4) == "1, 2, 3, 4"
    assert upto(5) == r"1, \dots, 5"
    assert upto(100) == r"1, \dots, 100"
    assert upto(3, first=0) == "0, 1, 2, 3"
    assert upto(3, symbol="x_") == "x_{1}, x_{2}, x_{3}"
    assert upto(6, symbol="w^") == r"w^{1}, \dots, w^{6}"


# "1, \dots, 3", "\{1, \dots, 2\}" or "x_1, \dots, x_{3}" where a full list is shorter
# ((1, \dots, 1) is a vector of ones).
SHORT_ELIDED = re.compile(r"(?<![_^\w])1, \\dots, [2-4](?!\d)|[A-Za-z][_^]\{?1\}?, \\dots, [A-Za-z][_^]\{?[2-4]\}?(?!\d)")


@pytest.mark.parametrize("problem_id", builtin().ids())
def test_no_short_range_is_elided(problem_id):
    problem = builtin().load(problem_id)
    for seed in range(12):
        instance = draw_instance(problem, Sampler(seed, problem_id))
        text = rendered_text(problem, instance)
        found = SHORT_ELIDED.search(text)
        assert found is None, f"{problem_id} seed {seed}: ...{text[max(0, found.start() - 60):found.end()]}"
