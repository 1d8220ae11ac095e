"""Reading what students type: numbers, lists and formulas, one rule for grade and the page.

The number rule (the practice page's `readNumber` follows it; tests check both on one table):

- a plain decimal: `3`, `-0.25`, `.5`, `1e-3`, a Unicode minus `\u22123`;
- thousands separators only in groups of three: `5,133,600`, `1 234 567` (spaces, thin or
  no-break spaces); for a real field `1,500` (one comma, no point) is refused as ambiguous
  (1.5 or 1500?), for a whole-number field it is 1500; `1,500.25` is 1500.25;
- any other comma is refused: `1,5` ("decimals take a point");
- several numbers side by side are refused: `2 3`, `-1 -2`, `1.2.3`;
- otherwise a formula of numbers: `1/4`, `sqrt(2)/2`, `2^10`, `3*pi/4`, `e`.

Lists (vectors, matrices, shapes, lists of bools): `[0.5, -1, 2]`, `(46, 62, 20)`, bare
`46, 62, 20`, numpy's `[46 62 20]` and `[[1 2] [3 4]]`; every entry follows the number rule,
except that commas separate entries (so no thousands commas inside a list).

Formulas (`expr` answers, and numbers written as formulas) have one grammar and one list of
functions, shared with the page (`FUNCTIONS`, `OPAQUE`, `CONSTANTS`, `ALIASES` go into its
checks JSON): numbers, names, `+ - * / ^ **`, parentheses, calls; a product may be written
without `*` between a factor and a name or a parenthesis (`2 lam`, `2(x+1)`), never between
two numbers. Student text is never run: it is tokenised and evaluated in floating point by
the small interpreter below, bounded in length (`MAX_LENGTH`) and nesting (`MAX_DEPTH`), so
`exp(exp(exp(...)))` or `9^9^9` cost microseconds (they overflow to infinity). Two formulas
are equal when they agree to 1e-6 relative at `POINTS` pseudo-random points where the key's
formula is finite; each name is drawn from [0.1, 2.1] or, with chance `NEGATIVE`, from
[-2.1, -0.1], so that `lam*abs(w)` or `max(lam*w, 0)` differ from `lam*w`. An order of growth
`O(f)` against `O(g)` is compared up to a constant factor (f/g the same positive number at
every point), so `O(2*n*m*K)` is `O(n*m*K)`. A numerical test, not a symbolic proof.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from generator.answers.base import Unreadable

MAX_LENGTH = 300          # characters of one formula
MAX_DEPTH = 12            # nested parentheses
POINTS = 12
SEED = 20261214
NEGATIVE = 0.4            # the chance that a name's value at a comparison point is negative
LOW, HIGH = 0.1, 2.1      # |value| of a name at a comparison point


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x > -700 else 0.0


def _log(x: float, base: float | None = None) -> float:
    return math.log(x) if base is None else math.log(x) / math.log(base)


def _sign(x: float) -> float:
    return float((x > 0) - (x < 0))


FUNCTIONS: dict[str, Callable[..., float]] = {
    "sqrt": math.sqrt, "exp": math.exp, "log": _log, "ln": math.log, "sin": math.sin, "cos": math.cos,
    "tan": math.tan, "tanh": math.tanh, "sinh": math.sinh, "cosh": math.cosh, "asin": math.asin,
    "acos": math.acos, "atan": math.atan, "abs": abs, "Abs": abs, "sign": _sign, "max": max, "Max": max,
    "min": min, "Min": min, "sigmoid": _sigmoid, "sigma": _sigmoid, "logit": lambda p: math.log(p / (1 - p)),
}
# Functions with no formula (O(n m K), a cost's order): an arbitrary but fixed function of
# its arguments, so that O(a) and O(b) agree only when a and b do.
OPAQUE = ("O",)
# Orders of growth: `O(f)` equals `O(c f)` for a constant c > 0 (compared at the top level).
ORDERS = ("O",)
CONSTANTS = {"pi": math.pi, "E": math.e, "e": math.e}
# `lambda` is a Python keyword, so the bank's parameters call it `lam`; students write either.
ALIASES = {"lambda": "lam"}


def page_rules() -> dict[str, Any]:
    """The reading rules the page needs (JSON in the page), so practice.js retypes none."""
    from generator.answers.base import EDGE_SLACK

    return {"slack": EDGE_SLACK, "functions": sorted(FUNCTIONS), "opaque": list(OPAQUE), "constants": dict(CONSTANTS),
            "aliases": dict(ALIASES), "points": POINTS, "seed": SEED, "negative": NEGATIVE, "low": LOW,
            "high": HIGH, "orders": list(ORDERS), "max_length": MAX_LENGTH,
            "max_depth": MAX_DEPTH}


# ---------------------------------------------------------------- formulas

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)"
                    r"|(\*\*|[-+*/^(),]))")

Node = tuple


def _tokens(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    text = text.rstrip()
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if not match:
            raise Unreadable(f"has the character {text[at:].lstrip()[:1]!r}, which no formula uses")
        if match.group(1) is not None:
            tokens.append(("num", float(match.group(1))))
        elif match.group(2) is not None:
            tokens.append(("name", ALIASES.get(match.group(2), match.group(2))))
        else:
            tokens.append(("op", "**" if match.group(3) == "^" else match.group(3)))
        at = match.end()
    return tokens


def parse_formula(text: str) -> Node:
    """The syntax tree of a formula (tuples), or `Unreadable`; the length and nesting are bounded."""
    text = normalise(text)
    if len(text) > MAX_LENGTH:
        raise Unreadable(f"is longer than {MAX_LENGTH} characters")
    depth = 0
    for char in text:
        depth += (char == "(") - (char == ")")
        if depth > MAX_DEPTH:
            raise Unreadable(f"nests parentheses more than {MAX_DEPTH} deep")
    tokens = _tokens(text)
    if not tokens:
        raise Unreadable("is empty")
    at = 0

    def peek(value: str) -> bool:
        return at < len(tokens) and tokens[at] == ("op", value)

    def expect(value: str) -> None:
        nonlocal at
        if not peek(value):
            raise Unreadable(f"misses a '{value}'")
        at += 1

    def expr() -> Node:
        nonlocal at
        node = term()
        while peek("+") or peek("-"):
            op = tokens[at][1]
            at += 1
            node = (op, node, term())
        return node

    def term() -> Node:
        nonlocal at
        node = unary()
        while True:
            if peek("*") or peek("/"):
                op = tokens[at][1]
                at += 1
                node = (op, node, unary())
            elif at < len(tokens) and (tokens[at][0] == "name" or tokens[at] == ("op", "(")):
                node = ("*", node, unary())        # 2 lam, 2(x + 1): an implicit product
            elif at < len(tokens) and tokens[at][0] == "num":
                raise Unreadable("has two numbers side by side (write one number, or * between them)")
            else:
                return node

    def unary() -> Node:
        nonlocal at
        if peek("-"):
            at += 1
            return ("neg", unary())
        if peek("+"):
            at += 1
            return unary()
        return power()

    def power() -> Node:
        nonlocal at
        base = primary()
        if peek("**"):
            at += 1
            return ("**", base, unary())
        return base

    def primary() -> Node:
        nonlocal at
        if at >= len(tokens):
            raise Unreadable("ends too early")
        kind, value = tokens[at]
        at += 1
        if kind == "num":
            return ("num", value)
        if kind == "name":
            if peek("("):
                at += 1
                args = [expr()]
                while peek(","):
                    at += 1
                    args.append(expr())
                expect(")")
                if value not in FUNCTIONS and value not in OPAQUE:
                    raise Unreadable(f"uses the unknown function '{value}'")
                return ("call", value, tuple(args))
            return ("name", value)
        if value == "(":
            inner = expr()
            expect(")")
            return inner
        raise Unreadable(f"has '{value}' where a number or name belongs")

    tree = expr()
    if at != len(tokens):
        raise Unreadable(f"has '{tokens[at][1]}' where the formula should end")
    return tree


def names(node: Node, out: set[str] | None = None) -> set[str]:
    """The variable names of a tree (not functions, not constants)."""
    out = set() if out is None else out
    if node[0] == "name":
        if node[1] not in CONSTANTS:
            out.add(node[1])
    elif node[0] == "call":
        for arg in node[2]:
            names(arg, out)
    elif node[0] != "num":
        for child in node[1:]:
            names(child, out)
    return out


def _opaque(name: str, args: Sequence[float]) -> float:
    h = 7
    for char in name:
        h = (h * 31 + ord(char)) % 1000003
    a = 0.5 + (h % 1000) / 1000
    return sum(math.sin(a * (j + 1) * x + a) + a * x for j, x in enumerate(args))


def evaluate(node: Node, env: Mapping[str, float]) -> float:
    """The value of a tree in floating point; nan where it is undefined, inf on overflow."""
    try:
        return _evaluate(node, env)
    except Unreadable:
        raise
    except (OverflowError, ZeroDivisionError, ValueError, TypeError):
        return math.nan


def _evaluate(node: Node, env: Mapping[str, float]) -> float:
    op = node[0]
    if op == "num":
        return node[1]
    if op == "name":
        if node[1] in env:
            return env[node[1]]
        if node[1] in CONSTANTS:
            return CONSTANTS[node[1]]
        raise Unreadable(f"uses the unknown name '{node[1]}'")
    if op == "neg":
        return -_evaluate(node[1], env)
    if op == "call":
        args = [_evaluate(arg, env) for arg in node[2]]
        if node[1] in OPAQUE:
            return _opaque(node[1], args)
        return float(FUNCTIONS[node[1]](*args))
    a, b = _evaluate(node[1], env), _evaluate(node[2], env)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / b if b != 0 else math.copysign(math.inf, a) if a else math.nan
    try:
        return math.pow(a, b)
    except OverflowError:
        return math.inf


def _random(seed: int) -> Callable[[], float]:
    state = seed % 2**32

    def draw() -> float:
        nonlocal state
        state = (state * 1664525 + 1013904223) % 2**32
        return state / 4294967296

    return draw


def comparison_points(order: Sequence[str]) -> Callable[[], dict[str, float]]:
    """A generator of comparison points for the names `order` (sorted): each call gives the
    next point. practice.js draws the same points (the same generator, `page_rules`)."""
    draw = _random(SEED)

    def point() -> dict[str, float]:
        out = {}
        for name in order:
            size = LOW + (HIGH - LOW) * draw()
            out[name] = -size if draw() < NEGATIVE else size
        return out

    return point


def finite_somewhere(tree: Node, symbols: Sequence[str] = ()) -> bool:
    """Whether a formula has a finite value at one of the comparison points."""
    point = comparison_points(sorted(names(tree) | set(symbols)))
    return any(math.isfinite(evaluate(tree, point())) for _ in range(60))


def _order_argument(tree: Node) -> Node | None:
    """f of a formula `O(f)` (an order of growth), else None."""
    if tree[0] == "call" and tree[1] in ORDERS and len(tree[2]) == 1:
        return tree[2][0]
    return None


def _agree(x: float, y: float) -> bool:
    return abs(x - y) <= 1e-6 * max(1.0, abs(x), abs(y))


def formulas_equal(expected: str, given: str, symbols: Sequence[str] = ()) -> bool:
    """Whether two formulas agree at `POINTS` comparison points (see the module docstring).

    The given formula may use the expected one's names and `symbols`; another name makes it
    `Unreadable`.
    """
    if "".join(str(expected).split()) == "".join(str(given).split()):
        return True
    a, b = parse_formula(expected), parse_formula(given)
    allowed = names(a) | set(symbols)
    unknown = sorted(names(b) - allowed)
    if unknown:
        raise Unreadable(f"uses the unknown name '{unknown[0]}' (use {', '.join(sorted(allowed)) or 'numbers only'})")
    orders = _order_argument(a), _order_argument(b)
    if orders[0] is not None and orders[1] is not None:
        a, b = orders
    ratio = None
    point, agreed = comparison_points(sorted(allowed)), 0
    for _ in range(60):
        if agreed >= POINTS:
            break
        env = point()
        x, y = evaluate(a, env), evaluate(b, env)
        if not math.isfinite(x):
            continue
        if orders[0] is not None and orders[1] is not None:
            # Up to a constant factor: y / x is the same positive number at every point.
            if x == 0 or not math.isfinite(y) or y / x <= 0:
                return False
            ratio = y / x if ratio is None else ratio
            if not _agree(ratio, y / x):
                return False
        elif not _agree(x, y):
            return False
        agreed += 1
    return agreed > 0


# ---------------------------------------------------------------- numbers

_PLAIN = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")
_COMMAS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_SPACES = re.compile(r"[+-]?\d{1,3}( \d{3})+(\.\d*)?")
_SEVERAL = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?(\s+[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)+")


def normalise(text: str) -> str:
    """Unicode minus and the spaces of typesetting made plain."""
    return re.sub(r"[\u2009\u202f\u00a0]", " ", str(text)).replace("\u2212", "-").strip()


def read_number(text: str, whole: bool = False) -> float | int:
    """A number by the rule of the module docstring; `whole` for whole-number fields."""
    raw = normalise(text)
    if not raw:
        raise Unreadable("is empty")
    if _COMMAS.fullmatch(raw):
        if raw.count(",") == 1 and "." not in raw and not whole:
            raise Unreadable(f"could mean {raw.replace(',', '.')} or {raw.replace(',', '')} "
                             "(write decimals with a point and no thousands separator)")
        raw = raw.replace(",", "")
    elif _SPACES.fullmatch(raw):
        raw = raw.replace(" ", "")
    if _PLAIN.fullmatch(raw):
        value = float(raw)
        if not math.isfinite(value):
            raise Unreadable("is not a finite number")
        return int(raw) if _INTEGER.fullmatch(raw) else value
    if "," in raw:
        raise Unreadable("has a comma (write decimals with a point, 1.5, and one number only)")
    if re.search(r"\d*\.\d*\.", raw):
        raise Unreadable("has two decimal points in one number")
    if _SEVERAL.fullmatch(raw):
        raise Unreadable("is several numbers (write one number)")
    tree = parse_formula(raw)
    if names(tree):
        raise Unreadable("is not a number")
    value = evaluate(tree, {})
    if not math.isfinite(value):
        raise Unreadable("is not a finite number")
    return value


# ---------------------------------------------------------------- a decimal comma

# In a language that writes decimals with a comma (German: 0,25), what a student types is
# first rewritten to the point notation above, then read by the same rules:
# - a comma between two digits is the decimal comma: `0,25` is 0.25, `-1,5e3` is -1500;
# - points grouping thousands come before it in groups of three: `1.000,5` is 1000.5;
# - a point alone is a decimal point where it cannot group thousands (`0.25`, `1.5`,
#   `3.14159`); `1.000` or `12.500` (one or more groups of three, no comma) is refused as
#   ambiguous, as `1,500` is in English;
# - in a list, entries are separated by `;` (`[0,5; 1]`), or by a comma followed by a space
#   (`(46, 62, 20)`); numpy's spaces work as before.
_LOCAL_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:\.\d{3})+|\d+)(,\d+)?(?![\d.,])")


def delocalise(text: str, decimal: str = ".") -> str:
    """A response typed with `decimal` as the decimal separator, in the point notation the
    readers take (see above); unchanged for a point. `Unreadable` when ambiguous."""
    if decimal == "." or not isinstance(text, str):
        return text

    def number(match: re.Match) -> str:
        whole, fraction = match.group(1), match.group(2) or ""
        if "." in whole and not whole.startswith("0"):       # points grouping thousands
            if not fraction and whole.count(".") == 1:
                raise Unreadable(f"could mean {whole.replace('.', decimal)} or {whole.replace('.', '')} "
                                 f"(write decimals with a comma, 0{decimal}25, and no thousands separator)")
            whole = whole.replace(".", "")
        return whole + ("." + fraction[1:] if fraction else "")

    return _LOCAL_NUMBER.sub(number, normalise(text)).replace(";", ",")


# ---------------------------------------------------------------- lists

def _closing(text: str, start: int) -> int:
    """The index of the bracket closing the one at `start` (-1 when unbalanced)."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] in "[(":
            depth += 1
        elif text[i] in "])":
            depth -= 1
            if depth == 0:
                return i
    return -1


def _split(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside brackets (whitespace runs for " ")."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        if depth == 0 and (char == separator or (separator == " " and char.isspace())):
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return parts if separator != " " else [p for p in parts if p]


def _is_list(text: str, depth: int) -> bool:
    if text.startswith("["):
        return _closing(text, 0) == len(text) - 1
    if text.startswith("(") and _closing(text, 0) == len(text) - 1:
        return depth > 1 or len(_split(text[1:-1], ",")) > 1
    return False


def read_list(text: str, depth: int, entry: Callable[[str], Any]) -> list[Any]:
    """A list nested `depth` deep whose entries `entry` reads (see the module docstring)."""
    raw = normalise(text)
    if len(raw) > 100_000:
        raise Unreadable("is too long")
    if not _is_list(raw, depth):
        if raw.startswith(("[", "(")) and depth > 1:
            raise Unreadable("has brackets that do not match")
        raw = f"[{raw}]"
    return _read_list(raw, depth, entry)


def _read_list(raw: str, depth: int, entry: Callable[[str], Any]) -> list[Any]:
    inner = raw[1:-1].strip()
    if not inner:
        return []
    parts = _split(inner, ",")
    if len(parts) == 1 and re.search(r"\s", inner):
        spaced = _split(inner, " ")        # numpy's way: [46 62 20], [[1 2] [3 4]]
        if depth > 1 or all(_PLAIN.fullmatch(p) or _is_word(p) for p in spaced):
            parts = spaced
    out = []
    for part in parts:
        part = part.strip()
        if not part:
            raise Unreadable("has an empty entry (two commas in a row, or a comma at the end)")
        if depth > 1:   # here every entry is a list: (0.5) is a row of one entry
            if not (part.startswith(("[", "(")) and _closing(part, 0) == len(part) - 1):
                raise Unreadable(f"is not a list of {'rows' if depth == 2 else 'matrices'}")
            out.append(_read_list(part, depth - 1, entry))
        else:
            if _is_list(part, 2) and part.startswith("["):
                raise Unreadable("has a list where a single entry belongs")
            try:
                out.append(entry(part))
            except Unreadable:
                raise Unreadable(f"is not a list of {getattr(entry, 'what', 'numbers')}") from None
    return out


BOOL_WORDS = {"true": True, "t": True, "yes": True, "y": True, "1": True,
              "false": False, "f": False, "no": False, "n": False, "0": False}


def _is_word(text: str) -> bool:
    return text.strip().lower() in BOOL_WORDS


def read_bool(text: str) -> bool:
    word = normalise(text).lower()
    if word not in BOOL_WORDS:
        raise Unreadable("is not true or false")
    return BOOL_WORDS[word]


read_bool.what = "true/false values"  # type: ignore[attr-defined]
