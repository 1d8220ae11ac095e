"""Which single change of a small CNN changes the receptive field size of its top units?

One spatial dimension. Layer l has kernel size k_l, stride s_l, dilation d_l, padding p_l and
C_l output channels; a unit away from the borders of layer L sees S_L input positions, with
S_L = 1 + sum_l (k_l - 1) d_l s_1 ... s_{l-1}. Four changes are offered, each of one hyper-parameter
of one layer; exactly one changes S_L. The wrong ones are drawn from changes students believe
matter: padding, output channels, the top layer's own stride, the dilation of a 1x1 kernel.
"""

from generator.authoring import Answer, Constraint, Custom, Mistake, Part

TITLE = "Which change alters the receptive field?"
SOURCE = "problem catalog, conceptual questions (concepts/receptive-field-change)"

LETTERS = ("A", "B", "C", "D")
KINDS = ("kernel", "dilation", "stride", "padding", "channels")
# Changes that alter S_L (when the layer qualifies) and changes that never do.
ALTERING = ("kernel", "dilation-wide", "stride-below")
KEEPING = ("padding", "channels", "stride-top", "dilation-1x1")

PARTS = (Part("which", points=2, answers=("changed",), space="3cm"),)


def _network_problem(layers, params) -> str | None:
    if not isinstance(layers, list) or not 3 <= len(layers) <= 4:
        return f"must be a list of 3 or 4 layers, got {layers!r}"
    for number, layer in enumerate(layers, start=1):
        if not isinstance(layer, dict) or set(layer) != {"type", "k", "s", "d", "p", "c"}:
            return f"layer {number} must have exactly the keys type, k, s, d, p, c; got {layer!r}"
        if layer["type"] not in ("conv", "pool"):
            return f"layer {number}: type must be 'conv' or 'pool', got {layer['type']!r}"
        for key in ("k", "s", "d", "c"):
            if isinstance(layer[key], bool) or not isinstance(layer[key], int) or layer[key] < 1:
                return f"layer {number}: {key} must be a positive integer, got {layer[key]!r}"
        if isinstance(layer["p"], bool) or not isinstance(layer["p"], int) or layer["p"] < 0:
            return f"layer {number}: p must be a non-negative integer, got {layer['p']!r}"
    return None


def _changes_problem(changes, params) -> str | None:
    if not isinstance(changes, list) or len(changes) != len(LETTERS):
        return f"must be a list of {len(LETTERS)} changes, got {changes!r}"
    layers = params.get("layers") or []
    for number, change in enumerate(changes, start=1):
        if not isinstance(change, dict) or set(change) != {"layer", "key", "to"}:
            return f"change {number} must have exactly the keys layer, key, to; got {change!r}"
        if change["key"] not in ("k", "s", "d", "p", "c"):
            return f"change {number}: key must be one of k, s, d, p, c, got {change['key']!r}"
        if not isinstance(change["layer"], int) or not 1 <= change["layer"] <= len(layers):
            return f"change {number}: layer must be 1 to {len(layers)}, got {change['layer']!r}"
        if not isinstance(change["to"], int) or isinstance(change["to"], bool) or change["to"] < 0:
            return f"change {number}: to must be a non-negative integer, got {change['to']!r}"
        if layers[change["layer"] - 1][change["key"]] == change["to"]:
            return f"change {number} sets {change['key']} to the value layer {change['layer']} already has"
    return None


PARAMS = (
    Custom("layers", check=_network_problem,
           description="a list of 3 or 4 layers {\"type\": \"conv\" | \"pool\", \"k\", \"s\", \"d\", \"p\", \"c\"}, input first"),
    Custom("changes", check=_changes_problem,
           description="a list of 4 changes {\"layer\": l, \"key\": \"k\" | \"s\" | \"d\" | \"p\" | \"c\", \"to\": value}, "
                       "printed as options A to D"),
)


def rf_size(layers) -> int:
    """S_L by the closed form 1 + sum (k_l - 1) d_l T_{l-1}, T_{l-1} = s_1 ... s_{l-1}."""
    size, jump = 1, 1
    for layer in layers:
        size += (layer["k"] - 1) * layer["d"] * jump
        jump *= layer["s"]
    return size


def modified(layers, change):
    out = [dict(layer) for layer in layers]
    out[change["layer"] - 1][change["key"]] = change["to"]
    return out


def _draw_layers(rng):
    layers = []
    for number in range(rng.integer(3, 4)):
        if number > 0 and rng.integer(0, 2) == 0:
            layers.append({"type": "pool", "k": 2, "s": 2, "d": 1, "p": 0, "c": layers[-1]["c"]})
        else:
            k = rng.choice((1, 3, 3, 5))
            layers.append({"type": "conv", "k": k, "s": rng.choice((1, 1, 2)), "d": rng.choice((1, 1, 2)) if k > 1 else 1,
                           "p": (k - 1) // 2, "c": rng.choice((16, 32, 64))})
    return layers


def _change(rng, layers, kind):
    """One change of `kind` (see ALTERING and KEEPING), or None when the network has no layer for it."""
    L = len(layers)
    convs = [n for n, layer in enumerate(layers, start=1) if layer["type"] == "conv"]
    if kind == "kernel":
        n = rng.choice(convs)
        return {"layer": n, "key": "k", "to": rng.choice([k for k in (1, 3, 5, 7) if k != layers[n - 1]["k"]])}
    if kind == "dilation-wide":
        wide = [n for n in convs if layers[n - 1]["k"] > 1]
        if not wide:
            return None
        n = rng.choice(wide)
        return {"layer": n, "key": "d", "to": rng.choice([d for d in (1, 2, 3) if d != layers[n - 1]["d"]])}
    if kind == "stride-below":
        # a stride below a layer with a kernel wider than 1 spreads that layer's window
        below = [n for n in range(1, L) if any(layers[m]["k"] > 1 for m in range(n, L))]
        if not below:
            return None
        n = rng.choice(below)
        return {"layer": n, "key": "s", "to": rng.choice([s for s in (1, 2, 3) if s != layers[n - 1]["s"]])}
    if kind == "padding":
        n = rng.integer(1, L)
        widest = max(1, layers[n - 1]["k"] - 1)   # a pad wider than the kernel only adds zeros
        return {"layer": n, "key": "p", "to": rng.choice([p for p in range(widest + 1) if p != layers[n - 1]["p"]])}
    if kind == "channels":
        n = rng.choice(convs)
        return {"layer": n, "key": "c", "to": layers[n - 1]["c"] * 2}
    if kind == "stride-top":
        return {"layer": L, "key": "s", "to": rng.choice([s for s in (1, 2, 3) if s != layers[L - 1]["s"]])}
    if kind == "dilation-1x1":
        narrow = [n for n in convs if layers[n - 1]["k"] == 1]
        return {"layer": rng.choice(narrow), "key": "d", "to": 2} if narrow else None
    raise ValueError(kind)


def sample(rng):
    layers = _draw_layers(rng)
    right = None
    while right is None:
        right = _change(rng, layers, rng.choice(ALTERING))
    # padding and the top layer's stride always appear: the two mistakes below pick them
    third = [kind for kind in ("channels", "dilation-1x1") if _change(rng, layers, kind) is not None]
    wrong = [_change(rng, layers, kind) for kind in ("padding", "stride-top", rng.choice(third))]
    return {"layers": layers, "changes": rng.shuffle([right, *wrong])}


def _alters(p):
    base = rf_size(p["layers"])
    return [rf_size(modified(p["layers"], change)) != base for change in p["changes"]]


CONSTRAINTS = (
    Constraint("exactly one change alters S_L", lambda p: sum(_alters(p)) == 1),
    Constraint("S_L stays at most 40 under every change (hand computation stays small)",
               lambda p: max(rf_size(modified(p["layers"], c)) for c in p["changes"]) <= 40, pedagogical=True),
)

ANSWERS = (
    Answer("changed", "choice", "the letter (A to D) of the change that alters S_L", options=LETTERS),
)

NAMES = {"k": "kernel size", "s": "stride", "d": "dilation", "p": "padding", "c": "number of output channels"}
SYMBOLS = {"k": "k", "s": "s", "d": "d", "p": "p", "c": "C"}


def _kind(change, layers) -> str:
    """Which explanation the solution gives for a change (one of ALTERING or KEEPING)."""
    key, n = change["key"], change["layer"]
    if key == "k":
        return "kernel"
    if key == "d":
        return "dilation-wide" if layers[n - 1]["k"] > 1 else "dilation-1x1"
    if key == "s":
        return "stride-top" if n == len(layers) else "stride-below"
    return {"p": "padding", "c": "channels"}[key]


def solve(p):
    layers = p["layers"]
    base = rf_size(layers)
    options = []
    for letter, change in zip(LETTERS, p["changes"], strict=True):
        n, key = change["layer"], change["key"]
        size = rf_size(modified(layers, change))
        options.append({
            "letter": letter, "layer": n, "name": NAMES[key], "symbol": SYMBOLS[key],
            "old": layers[n - 1][key], "new": change["to"], "size": size, "alters": size != base,
            "kind": _kind(change, layers), "below": n - 1,
        })
    right = next(o["letter"] for o in options if o["alters"])
    rows, jump = [], 1
    for number, layer in enumerate(layers, start=1):
        rows.append({**layer, "l": number, "below": number - 1, "jump": jump, "term": (layer["k"] - 1) * layer["d"] * jump})
        jump *= layer["s"]
    return {"changed": right, "L": len(layers), "S_L": base, "rows": rows, "options": options}


def check(p, answers):
    """Follow the index maps down from one top unit: unit j of a layer reads the units
    j s - p + t d (t = 0, ..., k - 1) of the layer below; the receptive field is the bounding box
    of the input positions reached (padding positions included, as for a unit away from the
    borders). The altering change is the one whose bounding box differs."""
    def reached(layers):
        positions = {50}
        for layer in reversed(layers):
            positions = {j * layer["s"] - layer["p"] + t * layer["d"] for j in positions for t in range(layer["k"])}
        return max(positions) - min(positions) + 1

    base = reached(p["layers"])
    altering = [letter for letter, change in zip(LETTERS, p["changes"], strict=True)
                if reached(modified(p["layers"], change)) != base]
    return {"changed": altering[0] if len(altering) == 1 else "none or several"}


def _pick(key_of):
    """The letter of the first change that `key_of(change, L)` selects (a student's wrong belief)."""
    def wrong(p):
        L = len(p["layers"])
        for letter, change in zip(LETTERS, p["changes"], strict=True):
            if key_of(change, L, p["layers"]):
                return {"changed": letter}
        return {}
    return wrong


MISTAKES = (
    Mistake("padding-widens", "believed that padding widens the receptive field (it only shifts it)",
            _pick(lambda c, L, layers: c["key"] == "p")),
    Mistake("own-stride", "believed that a layer's own stride changes the receptive field of its units "
                          "(it only changes how far apart neighbouring units' fields are)",
            _pick(lambda c, L, layers: c["key"] == "s" and c["layer"] == L)),
    Mistake("channels-see-more", "believed that more output channels let a unit see more input",
            _pick(lambda c, L, layers: c["key"] == "c")),
    Mistake("dilation-always", "believed that dilation always widens the field, also of a 1x1 kernel",
            _pick(lambda c, L, layers: c["key"] == "d" and layers[c["layer"] - 1]["k"] == 1)),
)


# What a grader awards in each part: the steps of the worked solution, each with its share
# of the part's points (so the rubric follows the points an exam gives the part).
from generator.authoring import Step  # noqa: E402

RUBRIC = {
    "which": (
        Step("the change that alters the receptive field chosen", "1/2"),
        Step("why: the recurrence S_l = S_{l-1} + (k_l - 1) T_{l-1} before and after the change", "1/2"),
    ),
}
