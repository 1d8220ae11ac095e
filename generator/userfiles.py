"""Reading a file a user gives (spec, roster, key, responses): every way it can fail is one
clear line naming the file, and text must be UTF-8 (a byte-order mark is accepted)."""

from __future__ import annotations

from pathlib import Path

from generator.errors import ExamgenError


def read_user_text(path: Path, what: str, convert: str = "") -> str:
    """The text of `path`; `what` names the file in errors ("exam spec", "roster"), `convert`
    is an example conversion command shown when the file is not UTF-8."""
    shown = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ExamgenError(f"{what} not found", shown, "check the path") from None
    except IsADirectoryError:
        raise ExamgenError(f"{what} is a folder, not a file", shown, "give the path of the file itself") from None
    except OSError as error:
        raise ExamgenError(f"cannot read the {what} ({error.strerror})", shown, "check the file's permissions") from None
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
