"""User text that the sheets print (title, course, instructions, roster names): one rule.

The sheets' LaTeX set-up (utf8 input, T1 fonts) prints a fixed set of characters; any
other would stop pdflatex ("Unicode character not set up") or vanish, so text is checked
where it is read (spec, roster) and a bad character is one error naming it. The rule,
in order:

1. NFC: a letter typed as base + combining accent (e + U+0301) becomes the one letter (é).
2. Ligature characters U+FB00-U+FB06 (ﬁ, ﬂ, ...), as PDFs copy them, become their letters
   (NFKC), since the fonts make the ligature themselves.
3. Invisible characters without a meaning on paper are dropped: U+FEFF (a byte-order
   mark), zero-width space, non-joiner and joiner, word joiner (U+200B-U+200D, U+2060).
   A soft hyphen (U+00AD) is kept: it marks where a word may be hyphenated and prints
   only there, as in any typeset text.
4. Other spaces (thin, em, ideographic ...) and tabs become a plain space.
5. What is left must be PRINTABLE. A line break prints as a space; a paragraph break (a
   blank line) is allowed only in multi-line fields (instructions).

The languages a sheet can print may grow: then PRINTABLE (or the set passed in) grows
here, and nothing else changes. Roster names may also use the scripts of UNICODE_NAMES
(Vietnamese, Greek, Cyrillic, CJK, Arabic, ...): a sheet holding such a name is compiled
with lualatex and the Noto fonts (templates/fonts-unicode.tex.j2), every other sheet with
pdflatex as before; `needs_unicode_fonts` tells which.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Container

# The characters the sheets' LaTeX set-up (utf8 input, T1 fonts) prints, measured with
# pdflatex: ASCII, Latin-1 and Latin Extended-A but for nine letters, some of Latin
# Extended-B (Romanian, pinyin vowels) and common punctuation.
PRINTABLE = frozenset(
    {chr(c) for c in range(0x20, 0x7F)}
    | {chr(c) for c in range(0xA0, 0x180)} - set("ĦħĸĿŀŉŦŧſ")
    | set("ƒǄǅǆǇǈǉǊǋǌǍǎǏǐǑǒǓǔǢǣǦǧǨǩǪǫǰǴǵȘșȚțȲȳȷ")
    | set("\u2018\u2019\u201a\u201c\u201d\u201e\u2013\u2014\u2026\u20ac\u2022\u2039\u203a\u2122")
)



class _Ranges:
    """Characters in a few code point ranges (a set of all CJK ideographs would be large)."""

    def __init__(self, *ranges: tuple[int, int]):
        self.ranges = ranges

    def __contains__(self, char: object) -> bool:
        return isinstance(char, str) and len(char) == 1 and any(a <= ord(char) <= b for a, b in self.ranges)


# What the Noto fonts of the lualatex set-up (fonts-noto-core, fonts-noto-cjk) print besides
# PRINTABLE: Latin Extended (Vietnamese), Greek, Cyrillic, Arabic, CJK punctuation, kana,
# ideographs, Hangul and full-width forms. Letters only: names need no symbols.
UNICODE_NAMES = _Ranges(
    (0x0180, 0x024F), (0x1E00, 0x1EFF),              # Latin Extended-B, Additional (Vietnamese)
    (0x0370, 0x03FF), (0x1F00, 0x1FFF),              # Greek and Coptic, Greek Extended
    (0x0400, 0x052F),                                 # Cyrillic and its supplement
    (0x0600, 0x06FF), (0x0750, 0x077F),              # Arabic and its supplement
    (0x3000, 0x303F), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),  # CJK, kana, ideographs
    (0xAC00, 0xD7AF), (0xFF00, 0xFFEF),              # Hangul syllables, full-width forms
)
# Right-to-left letters: printed in a right-to-left run on the sheet (see render.name).
_RTL_CLASS = "\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff"
RTL_RUN = re.compile(f"[{_RTL_CLASS}]+(?: [{_RTL_CLASS}]+)*")


class _Either:
    def __init__(self, *sets: Container[str]):
        self.sets = sets

    def __contains__(self, char: object) -> bool:
        return any(char in s for s in self.sets)


NAME_PRINTABLE = _Either(PRINTABLE, UNICODE_NAMES)


def needs_unicode_fonts(text: str) -> bool:
    """Whether `text` (checked with NAME_PRINTABLE) has a character outside what pdflatex prints."""
    return any(char not in PRINTABLE and char != "\n" for char in text)


DROPPED = frozenset("\ufeff\u200b\u200c\u200d\u2060")
LIGATURES = {chr(c): unicodedata.normalize("NFKC", chr(c)) for c in range(0xFB00, 0xFB07)}
# Bidirectional controls reorder the text around them; they are named as such in errors.
BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C))


class UnprintableText(ValueError):
    """Text the sheets cannot print: `what` is wrong (naming the character), `fix` says what to do."""

    def __init__(self, what: str, fix: str):
        super().__init__(what)
        self.what = what
        self.fix = fix


def describe(char: str) -> str:
    """'U+03B1 'α' (GREEK SMALL LETTER ALPHA)'; invisible characters are not shown raw."""
    name = unicodedata.name(char, "")
    visible = unicodedata.category(char)[0] not in "CZM"
    glyph = f" '{char}'" if visible else ""
    return f"U+{ord(char):04X}{glyph}" + (f" ({name})" if name else "")


def normalize(text: str) -> str:
    """Steps 1-4 of the rule: the text as the sheet will print it, before the check."""
    text = unicodedata.normalize("NFC", text)
    out = []
    for char in text:
        if char in DROPPED:
            continue
        if char in LIGATURES:
            out.append(LIGATURES[char])
        elif char == "\t" or (unicodedata.category(char) == "Zs" and char not in PRINTABLE):
            out.append(" ")
        else:
            out.append(char)
    return "".join(out).replace("\r\n", "\n")


def check(text: str, *, multiline: bool = False, limit: int | None = None,
          printable: Container[str] = PRINTABLE, latin_hint: str = "write it in Latin letters") -> str:
    """The normalised text, or UnprintableText naming the first character the sheet cannot print
    (or the paragraph break or length that the field does not allow)."""
    if limit is not None and len(text) > limit:
        raise UnprintableText(f"is {len(text):,} characters long, more than the {limit:,} allowed",
                              "shorten it")
    text = normalize(text)
    if not multiline:
        stripped = text.strip()
        if "\n\n" in stripped.replace(" ", ""):
            raise UnprintableText("has a paragraph break (a blank line), which this field cannot print",
                                  "write it as one paragraph")
    for char in text:
        if char in printable or char == "\n":  # a single line break prints as a space
            continue
        if char in BIDI:
            raise UnprintableText(f"has the invisible direction control {describe(char)}, which reorders "
                                  "the text around it", "delete it")
        if unicodedata.category(char) == "Cc":
            raise UnprintableText(f"has the control character {describe(char)}", "delete it")
        if unicodedata.combining(char):
            raise UnprintableText(f"has the accent {describe(char)}, which does not combine with the letter "
                                  "before it into one the sheet's fonts can print", f"{latin_hint}, without it")
        raise UnprintableText(f"has the character {describe(char)}, which the sheet's fonts cannot print",
                              latin_hint)
    return text


def problem(text: str, **options) -> str | None:
    """Why `text` cannot be printed (see `check`), or None."""
    try:
        check(text, **options)
    except UnprintableText as error:
        return error.what
    return None
