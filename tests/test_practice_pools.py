"""`examgen practice` of a spec with a `one_of` pool and `shuffle: [problems, parts]`: each page
variant draws its own problem of the pool and its own order, as an exam variant does, and the
page shows what the practice key records (problems in printed order, parts in printed order)."""

from __future__ import annotations

import html
import json
import re

from generator.bank import builtin
from tests.conftest import run_cli

SPEC = """\
title: Pool practice
seed: 1
shuffle: [problems, parts]
problems:
  - id: cnn/conv-layer-cost
  - one_of: [receptive-field, depthwise-separable-cost]
    points: 8
  - id: attention/transformer-cost
"""


def _sections(page: str) -> dict[str, str]:
    parts = re.split(r'<section class="variant" id="variant-', page)[1:]
    return {part.split('"', 1)[0]: part for part in parts}


def test_practice_of_a_pool_spec_draws_per_variant_and_shows_the_keys_order(tmp_path):
    spec = tmp_path / "pool.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("practice", str(spec), "--seed", "11", "--variants", "8", "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stderr
    key = json.loads((out / "key.json").read_text(encoding="utf-8"))
    sections = _sections((out / "index.html").read_text(encoding="utf-8"))
    assert len(key["variants"]) == 8 and set(sections) == {v["key"] for v in key["variants"]}
    bank = builtin()
    drawn = set()
    orders = set()
    part_orders = set()
    for variant in key["variants"]:
        ids = [p["id"] for p in variant["problems"]]
        assert [p["slot"] for p in variant["problems"]] == [1, 2, 3]
        pool = [p for p in variant["problems"] if p.get("pool")]
        assert len(pool) == 1 and pool[0]["id"] in ("cnn/receptive-field", "cnn/depthwise-separable-cost")
        drawn.add(pool[0]["id"])
        orders.add(tuple(ids))
        # the page's problem headings, in the order the key lists the problems
        titles = [html.unescape(t).strip() for t in
                  re.findall(r'<h3 id="[^"]*-title">\d+\. (.*?) <span class="points">', sections[variant["key"]])]
        assert titles == [bank.load(i).title for i in ids], variant["key"]
        # the parts as the key orders them: conv-layer-cost allows shuffling, and the page follows
        conv = next(p for p in variant["problems"] if p["id"] == "cnn/conv-layer-cost")
        part_orders.add(tuple(conv["parts"]))
        slot = variant["problems"].index(conv) + 1
        shown = re.findall(rf'<div class="part" id="v{variant["key"]}-q{slot}-([a-z_]+)"', sections[variant["key"]])
        assert shown == list(conv["parts"]), variant["key"]
    # neither the pool nor the order is fixed: the old practice page always showed the first option
    assert drawn == {"cnn/receptive-field", "cnn/depthwise-separable-cost"}
    assert len(orders) > 1 and len(part_orders) > 1
    # the printable sheet is page variant 1, in its order
    tex = (out / "practice.tex").read_text(encoding="utf-8")
    first = [p["id"] for p in key["variants"][0]["problems"]]
    positions = [tex.index(f"problem={i} ") for i in first]
    assert positions == sorted(positions)
