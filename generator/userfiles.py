"""Reading a file a user gives (spec, roster, key, responses): every way it can fail is one
clear line naming the file, and text must be UTF-8 (a byte-order mark is accepted).

Only regular files are read, and only up to a size limit: the path is checked with
`os.stat` before it is opened, so a FIFO without a writer, `/dev/zero`, a device or a folder
is refused without reading (or waiting on) it. JSON from a user goes through `load_json`,
which bounds its size, nesting and the digits of its numbers before Python would fail on them.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

from generator.errors import ExamgenError

MAX_FILE_BYTES = 64 * 2**20   # a default bound; the spec and other readers pass their own
MAX_JSON_DEPTH = 64           # keys and parameters nest 4 levels; 64 is far beyond any real file
MAX_NUMBER_DIGITS = 100       # a finite float has at most ~330 digits of exponent; ints stay short


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _size(count: int) -> str:
    return f"{count / 2**20:.1f} MB" if count >= 2**20 else f"{count / 2**10:.0f} KB"


def read_user_bytes(path: Path, what: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file `path`, at most `limit` of them; `what` names it in errors."""
    shown = str(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ExamgenError(f"{what} not found", shown, "check the path") from None
    except OSError as error:
        raise ExamgenError(f"cannot read the {what} ({error.strerror})", shown, "check the path") from None
    if stat.S_ISDIR(info.st_mode):
        raise ExamgenError(f"{what} is a folder, not a file", shown, "give the path of the file itself")
    if not stat.S_ISREG(info.st_mode):
        raise ExamgenError(f"{what} is {_kind(info.st_mode)}, not a regular file", shown,
                           "give the path of a file saved on disk")
    if info.st_size > limit:
        raise ExamgenError(f"the {what} is {info.st_size:,} bytes, more than the limit of {_size(limit)}",
                           shown, "check that this is the right file")
    try:
        # O_NONBLOCK: should the path have been swapped for a FIFO since the stat, open() does not wait.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except IsADirectoryError:
        raise ExamgenError(f"{what} is a folder, not a file", shown, "give the path of the file itself") from None
    except OSError as error:
        raise ExamgenError(f"cannot read the {what} ({error.strerror})", shown, "check the file's permissions") from None
    with os.fdopen(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(file.fileno()).st_mode):
            raise ExamgenError(f"{what} is not a regular file", shown, "give the path of a file saved on disk")
        try:
            data = file.read(limit + 1)
        except OSError as error:
            raise ExamgenError(f"cannot read the {what} ({error.strerror})", shown,
                               "check the file's permissions") from None
    if len(data) > limit:
        raise ExamgenError(f"the {what} is more than the limit of {_size(limit)}", shown,
                           "check that this is the right file")
    return data


def read_user_text(path: Path, what: str, convert: str = "", limit: int = MAX_FILE_BYTES) -> str:
    """The text of `path`; `what` names the file in errors ("exam spec", "roster"), `convert`
    is an example conversion command shown when the file is not UTF-8."""
    shown = str(path)
    data = read_user_bytes(path, what, limit)
    fix = "save it as UTF-8 text" + (f", or convert it, e.g. {convert}" if convert else "")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ExamgenError(f"the {what} is not UTF-8 text (byte 0x{data[error.start]:02x} on line {line})",
                           shown, fix) from None
    if "\x00" in text:
        raise ExamgenError(f"the {what} contains NUL bytes (UTF-16 or a binary file?)", shown, fix)
    return text


def json_depth(text: str) -> int:
    """The deepest nesting of [ and { in JSON text (brackets inside strings do not count)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


class _TooManyDigits(ValueError):
    pass


def _bounded(parse):
    def parse_number(text: str):
        if len(text) > MAX_NUMBER_DIGITS:
            raise _TooManyDigits(text)
        value = parse(text)
        if not math.isfinite(value):
            raise ValueError(f"{text} is too large for a number")
        return value
    return parse_number


def load_json(text: str, what: str, where: str, *, max_depth: int = MAX_JSON_DEPTH,
              max_chars: int = MAX_FILE_BYTES, fix: str = "check the JSON") -> Any:
    """Parse JSON from a user (a file's text or an option), bounded in size, nesting and number
    length; NaN and Infinity are refused. Any failure is one ExamgenError naming `where`."""
    if len(text) > max_chars:
        raise ExamgenError(f"the {what} is {len(text):,} characters long, more than {max_chars:,}", where, fix)
    depth = json_depth(text)
    if depth > max_depth:
        raise ExamgenError(f"the {what} nests {depth} levels deep, more than {max_depth}", where, fix)

    def constant(name: str):
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        return json.loads(text, parse_int=_bounded(int), parse_float=_bounded(float), parse_constant=constant)
    except _TooManyDigits as error:
        raise ExamgenError(f"the {what} has a number with {len(str(error)):,} digits, more than "
                           f"{MAX_NUMBER_DIGITS}", where, fix) from None
    except json.JSONDecodeError as error:
        raise ExamgenError(f"the {what} is not valid JSON ({error.msg} at line {error.lineno} column {error.colno})",
                           where, fix) from None
    except (ValueError, RecursionError) as error:
        raise ExamgenError(f"the {what} is not valid JSON ({error})", where, fix) from None
