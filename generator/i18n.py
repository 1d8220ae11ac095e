"""Languages: which ones examgen prints, their message catalogs, numbers and dates.

The one module that knows the languages. A language is a code (`en`, `de`) with

- a message catalog, `generator/locale/<code>/LC_MESSAGES/examgen.po`, shipped as package
  data and read at run time (Babel's `read_po`, compiled in memory to a `Translations`);
  reading the .po directly keeps one file per language in the repository and the wheel, with
  no build step that could leave a stale .mo behind (a catalog is a few hundred lines: reading
  it costs about a millisecond, once per process);
- its decimal separator, for printed numbers (LaTeX maths writes `0{,}25`, so TeX sets no space
  after the comma) and for reading what students type (`generator.answers.reading.delocalise`);
- its date format (Babel's `format_date`, German in the long form: "1. Dezember 2026"; English
  keeps the spec's ISO date, 2026-12-01);
- the babel (LaTeX package) option that sets its hyphenation, or none.

An exam may be printed in several languages at once (`language: [de, en]`): the first is the
sheet's language, each problem is printed in every one of them in order.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from generator import resources
from generator.errors import ExamgenError

DOMAIN = "examgen"


@dataclass(frozen=True)
class Language:
    code: str            # the spec's name for it, and the catalog's folder
    name: str            # in English, for messages
    decimal: str         # the decimal separator students read and write
    babel_option: str    # LaTeX babel's option (hyphenation); "" for none
    list_separator: str  # between the entries of an inline vector, (1{,}5; 2)
    date_format: str     # Babel's format of a printed date ("long": 14. Dezember 2026); "": ISO as written


LANGUAGES: dict[str, Language] = {
    # English prints the date as the spec writes it (2026-12-14), as examgen always has.
    "en": Language("en", "English", ".", "", ", ", ""),
    "de": Language("de", "German", ",", "ngerman", "; ", "long"),
}
DEFAULT = "en"


def language(code: str) -> Language:
    return LANGUAGES[code]


def known() -> str:
    return ", ".join(LANGUAGES)


def validate(value: Any) -> tuple[str, ...]:
    """A spec's `language:` (a code or a list of codes) as a tuple of codes, or ValueError
    naming the known languages."""
    codes = [value] if isinstance(value, str) else value
    if not isinstance(codes, list | tuple) or not codes:
        raise ValueError(f"must be a language code or a list of them ({known()})")
    out: list[str] = []
    for code in codes:
        if not isinstance(code, str) or code.strip().lower() not in LANGUAGES:
            raise ValueError(f"'{code}' is not a language examgen prints (known: {known()})")
        if code.strip().lower() in out:
            raise ValueError(f"names the language '{code}' twice")
        out.append(code.strip().lower())
    return tuple(out)


def check(code: str, where: str) -> str:
    """A command's `--language` value, or one ExamgenError line listing the languages."""
    try:
        (one,) = validate(code)
    except ValueError as error:
        raise ExamgenError(f"--language {error}", where, f"give one of {known()}") from None
    return one


# ---------------------------------------------------------------- catalogs

def catalog_path(code: str):
    return resources.locale() / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(code: str):
    """The language's catalog as a Babel `Translations` (gettext, ngettext). English is the
    source language: every message is its own translation, so its catalog (the template that
    translators copy, complete and with empty msgstrs, tests/test_i18n.py) is not read and an
    English build loads no catalog at all."""
    from babel.support import NullTranslations, Translations

    if code == DEFAULT:
        return NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(catalog_path(code), "rb") as po:
        catalog = read_po(po, domain=DOMAIN)   # the header has the plural rule: no CLDR data to load
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(code: str) -> Callable[[str], str]:
    """The `_` of templates and outputs in this language: a string's translation, or the
    string itself when the catalog has none (English is the source language)."""
    return translations(code).gettext


def extra_time_text(value: str, code: str) -> str:
    """A roster's extra time as the cover prints it in the language: '30 minutes' (the roster's
    form, generator.roster) as '30 Minuten' in German; '25%' and '' as they are."""
    number, _, unit = value.partition(" ")
    if unit == "minutes" and number.isdigit():
        return translations(code).ngettext("%(n)s minute", "%(n)s minutes", int(number)) % {"n": number}
    return value


def strings(code: str, messages: Sequence[str]) -> dict[str, str]:
    """A table of translations, for code that runs elsewhere (the practice page's script)."""
    _ = gettext(code)
    return {message: _(message) for message in messages}


class Text(str):
    """A fixed English text made where the language is not known (an answer type's tolerance
    description): it is the English text, and `translate` gives it in a language later."""

    msgid: str
    args: dict[str, Any]

    def __new__(cls, msgid: str, **args: Any) -> Text:
        text = super().__new__(cls, msgid % args if args else msgid)
        text.msgid, text.args = msgid, args
        return text


def translate(text: str, code: str) -> str:
    """A `Text` in the language (any other string as it is)."""
    if not isinstance(text, Text):
        return text
    translated = gettext(code)(text.msgid)
    return translated % text.args if text.args else translated


# ---------------------------------------------------------------- numbers and dates

def precision_sentence(precision: Any, code: str) -> str:
    """The instructions' rounding sentence (generator.precision) in the language."""
    ngettext, n = translations(code).ngettext, precision.digits
    if precision.significant:
        text = ngettext("Give decimal answers to %(n)d significant digit.",
                        "Give decimal answers to %(n)d significant digits.", n)
    else:
        text = ngettext("Give decimal answers to %(n)d decimal place.",
                        "Give decimal answers to %(n)d decimal places.", n)
    return f"{text % {'n': n}} {translations(code).gettext(precision.exact_rule())}"


def decimal_tex(text: str, code: str) -> str:
    """LaTeX maths with the language's decimal separator: `0.25` -> `0{,}25` in German (a bare
    comma in maths is punctuation and gets a space after it)."""
    if LANGUAGES[code].decimal == ".":
        return text
    return re.sub(r"(?<=\d)\.(?=\d)", "{" + LANGUAGES[code].decimal + "}", text)


def decimal_text(text: str, code: str) -> str:
    """Plain text (the page, feedback) with the language's decimal separator: 0,25."""
    if LANGUAGES[code].decimal == ".":
        return text
    return re.sub(r"(?<=\d)\.(?=\d)", LANGUAGES[code].decimal, text)


@cache
def format_date(iso: str, code: str) -> str:
    """An ISO date (YYYY-MM-DD, as the spec holds it) in the language's format: 1. Dezember 2026
    in German, 2026-12-01 in English. Empty stays empty."""
    if not iso or not LANGUAGES[code].date_format:
        return iso
    from babel.dates import format_date as babel_format_date

    return babel_format_date(dt.date.fromisoformat(iso), format=LANGUAGES[code].date_format, locale=code)


# ---------------------------------------------------------------- the sources' messages

# `_("...")` in a template (either quote; a literal may span lines) and `T("...")` in practice.js.
_TEMPLATE_MESSAGE = re.compile(r'''\b_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)''', re.S)
_SCRIPT_MESSAGE = re.compile(r'\bT\("((?:[^"\\]|\\.)*)"\)')


def source_messages() -> dict[tuple[str, ...], str]:
    """Every message the outputs print, each once, with the first file that uses it: `_()` in
    the templates, `_()`/`ngettext()`/`Text()` in the engine's Python (Babel's extractor), `T()` in the
    page's script. A message is a tuple: (singular,) or (singular, plural). What a catalog must
    translate (tests/test_i18n.py holds every catalog to it)."""
    import json

    from babel.messages.extract import DEFAULT_KEYWORDS, extract

    found: dict[tuple[str, ...], str] = {}
    for path in sorted(resources.templates().glob("*.j2")):
        for match in _TEMPLATE_MESSAGE.finditer(path.read_text(encoding="utf-8")):
            found.setdefault((match.group(1) if match.group(1) is not None else match.group(2),), path.name)
    for path in sorted(resources.engine().rglob("*.py")):
        if resources.builtin_bank() in path.parents or resources.scaffold() in path.parents:
            continue
        with open(path, "rb") as source:
            for _line, message, _comments, _context in extract("python", source, {**DEFAULT_KEYWORDS, "Text": None}):
                key = message if isinstance(message, tuple) else (message,)
                if all(key):
                    found.setdefault(tuple(key), path.name)
    script = (resources.templates() / "practice.js").read_text(encoding="utf-8")
    for literal in _SCRIPT_MESSAGE.findall(script):
        found.setdefault((json.loads(f'"{literal}"'),), "practice.js")
    return found


def update_catalogs() -> dict[str, list[str]]:
    """Add every source message a catalog lacks, with an empty msgstr (to be translated; English
    stays empty), and drop the ones no source uses any more. Returns the added messages per
    language. `make catalogs` runs it; the catalogs' existing translations are kept as they are."""
    from babel.messages.pofile import read_po, write_po

    messages = source_messages()
    added: dict[str, list[str]] = {}
    for code in LANGUAGES:
        path = catalog_path(code)
        with open(path, "rb") as po:
            catalog = read_po(po, domain=DOMAIN)
        known = {message.id if isinstance(message.id, str) else message.id[0] for message in catalog if message.id}
        added[code] = [key[0] for key in messages if key[0] not in known]
        for key in messages:
            if key[0] not in known:
                catalog.add(key[0] if len(key) == 1 else key, "" if len(key) == 1 else ("", ""),
                            locations=[(messages[key], None)])
        for message in list(catalog):
            identity = message.id if isinstance(message.id, str) else (message.id[0] if message.id else "")
            if identity and identity not in {key[0] for key in messages}:
                catalog.delete(message.id, message.context)
        text = io.BytesIO()
        write_po(text, catalog, width=100, include_lineno=False, sort_output=False)
        # No dates in the header: Babel would import its date machinery to read them, in every build.
        path.write_bytes(re.sub(rb'^"(POT-Creation-Date|PO-Revision-Date|Generated-By): .*\\n"\n', b"",
                                text.getvalue(), flags=re.M))
    return added


if __name__ == "__main__":   # make catalogs
    for language, messages in update_catalogs().items():
        print(f"{language}: {len(messages)} new message{'s' if len(messages) != 1 else ''} to translate"
              + "".join(f"\n  {message!r}" for message in messages))
