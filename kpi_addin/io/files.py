"""Opening a text file as people save them: its encoding and its separator.

Accepted: UTF-8 with or without a byte-order mark, UTF-16 with one, Windows-1252
(``cp1252``, what Excel on Windows writes as "CSV"; a note says so), and ``,``, ``;``
or tab between fields, with any line ending.  Anything else gets one sentence on how
to re-save the file.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

#: How much of a file is looked at to decide its encoding and separator.
SNIFF_BYTES = 1 << 16
RESAVE = "open it in Excel and save it as 'CSV UTF-8 (Comma delimited)'"


class TextFileError(Exception):
    """The file cannot be read as text; the message is one sentence on what to do."""


@dataclass(frozen=True)
class TextFormat:
    encoding: str  # a Python codec name, also understood by pyarrow
    delimiter: str
    note: str | None  # said to the user when the format is not the usual one


def check_readable(path: Path) -> None:
    """Raise :class:`TextFileError` for a path that is not a readable file."""
    try:
        if path.is_dir():
            raise TextFileError(f"{path} is a folder, not a file")
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise TextFileError("no such file") from None
    except PermissionError:
        raise TextFileError("the file cannot be read (permission denied)") from None
    except OSError as exc:
        raise TextFileError(f"the file cannot be opened ({exc.strerror or exc})") from None


def sniff(path: Path) -> TextFormat:
    """The encoding and field separator of a CSV file."""
    check_readable(path)
    with open(path, "rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise TextFileError(f"the file is UTF-32 text, which is not read here; {RESAVE}")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, note = "utf-16", "read as UTF-16 text"
    elif b"\x00" in head:
        raise TextFileError(f"the file is not text (it holds NUL bytes): is it a spreadsheet? {RESAVE}")
    else:
        encoding, note = "utf-8-sig", None
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
        except UnicodeDecodeError:
            encoding, note = cp1252_or_fail(head)
    text = head.decode(encoding, errors="ignore") if encoding != "utf-16" else _utf16_head(path)
    return TextFormat(encoding, delimiter_of(text), note)


def cp1252_or_fail(data: bytes) -> tuple[str, str]:
    """Windows-1252 when the bytes are valid in it, else a :class:`TextFileError`."""
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        raise TextFileError(f"the file is neither UTF-8 nor Windows-1252 text; {RESAVE}") from None
    return "cp1252", "read as Windows-1252 (cp1252) text, not UTF-8"


def _utf16_head(path: Path) -> str:
    with open(path, encoding="utf-16", errors="ignore") as handle:
        return handle.read(SNIFF_BYTES // 2)


def delimiter_of(text: str) -> str:
    """``,``, ``;`` or tab: whichever separates the header line's fields (quotes respected)."""
    first = next((line for line in text.splitlines() if line.strip() and not line.startswith("#")), "")
    best, fields = ",", 1
    for candidate in (",", ";", "\t"):
        try:
            count = len(next(csv.reader(io.StringIO(first), delimiter=candidate)))
        except (csv.Error, StopIteration):
            continue
        if count > fields:
            best, fields = candidate, count
    return best


def read_text(path: Path) -> tuple[str, TextFormat]:
    """The whole file as text, and its format; :class:`TextFileError` when it is not text."""
    fmt = sniff(path)
    data = path.read_bytes()
    try:
        text = data.decode(fmt.encoding)
    except UnicodeDecodeError:
        if fmt.encoding != "utf-8-sig":
            raise TextFileError(f"the file is not valid {fmt.encoding} text; {RESAVE}") from None
        encoding, note = cp1252_or_fail(data)
        fmt = TextFormat(encoding, fmt.delimiter, note)
        text = data.decode(encoding)
    return text, fmt
