"""Plain-text formatting of KPI values for the terminal (the dashboard uses Excel formats)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import NoReturn

from .metrics.catalogue import unit_of
from .metrics.currency import CURRENCY_SYMBOLS, minor_unit_digits

#: Leading characters that make a spreadsheet (or a CSV export of it) read text as a formula.
#: Here, not in the dashboard, so that the command line loads no openpyxl for them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

UNDEFINED_MARK = "n/a"


def format_value(key: str, value: object, currency: str) -> str:
    """``1234.5`` → ``$1,234.50`` for money, ``0.0523`` → ``5.23%`` for rates, …"""
    return format_unit(unit_of(key), value, currency)


def format_unit(unit: str, value: object, currency: str) -> str:
    """A value of a KPI unit (money, rate, count, ratio, months, score) as :func:`format_value` shows it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return UNDEFINED_MARK
    number = float(value)  # type: ignore[arg-type]  # a KPI value: a number, nan or None (handled above)
    if unit == "money":
        digits = minor_unit_digits(currency)
        symbol = CURRENCY_SYMBOLS.get(currency, currency + " ")
        sign = "-" if number < 0 else ""
        return f"{sign}{symbol}{abs(number):,.{digits}f}"
    if unit == "rate":
        return f"{number:.2%}"
    if unit == "count":
        return f"{number:,.0f}"
    if unit == "ratio":
        return f"{number:,.2f}x"
    if unit == "months":
        return f"{number:,.1f}"
    if unit in ("score", "number"):
        return f"{number:,.1f}"
    return str(value)


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """A left-aligned first column and right-aligned others, separated by two spaces."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


#: ESC-introduced terminal sequences (CSI ``ESC [ … final``, OSC ``ESC ] … BEL/ST``, two-byte escapes).
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC, to BEL or ST
    r"|\x1b[@-_]?"  # other two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
#: Characters a terminal acts on or that reorder text: C0/C1 controls, DEL, bidi overrides and isolates.
_UNSAFE_FOR_TERMINALS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_text(text: object) -> str:
    """Untrusted text made safe to print: escape sequences removed, other controls shown as ``?``.

    >>> terminal_text("Acme\\x1b[2J\\x1b]0;owned\\x07 Ltd\\n\\u202eevil")
    'Acme Ltd??evil'
    """
    return _UNSAFE_FOR_TERMINALS.sub("?", _ESCAPE_SEQUENCE.sub("", str(text)))


def csv_text(text: object) -> str:
    """Untrusted text for a CSV file a spreadsheet may open: a leading ``'`` stops a formula.

    Text starting with a formula trigger (``= + - @``, their full-width forms, a tab or a
    carriage return — the dashboard's list) gets the ``'`` that Excel shows as a text prefix.

    >>> csv_text("=HYPERLINK(\\"http://x\\")"), csv_text("Acme"), csv_text("-5% off plan")
    ('\\'=HYPERLINK("http://x")', 'Acme', "'-5% off plan")
    """
    value = str(text)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


#: What a character the console cannot show is written as (the rest become ``?``).
ASCII_FALLBACKS = {
    "→": "->",
    "←": "<-",
    "−": "-",
    "–": "-",
    "—": "--",
    "…": "...",
    "×": "x",
    "÷": "/",
    "≤": "<=",
    "≥": ">=",
    "▲": "^",
    "▼": "v",
    "·": "-",
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "€": "EUR ",
    "₩": "KRW ",
    "£": "GBP ",
    "¥": "JPY ",
    "₹": "INR ",
    "\u00a0": " ",
}
CONSOLE_ERRORS = "kpi_addin_ascii"


def ascii_fallback(error: UnicodeError) -> tuple[str, int]:
    """The codec error handler of :func:`console_safe`: arrows and signs as ASCII, the rest ``?``."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    text = error.object[error.start : error.end]
    return "".join(ASCII_FALLBACKS.get(c, "?") for c in text), error.end


def console_safe(*streams: object) -> None:
    """Make ``streams`` (the process's stdout and stderr) write any text: on a console whose
    encoding cannot show a character (a Windows code page, ``PYTHONIOENCODING=cp1252``) it
    is written as ASCII (``->`` for an arrow) instead of ending the command in a traceback."""
    import codecs

    try:
        codecs.lookup_error(CONSOLE_ERRORS)
    except LookupError:
        codecs.register_error(CONSOLE_ERRORS, ascii_fallback)
    for stream in streams:
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors=CONSOLE_ERRORS)


def run_console(command: Callable[[], object]) -> NoReturn:
    """Run the command line's ``command`` (which exits) and end the process without a
    traceback when its own output cannot be written: a full disk, a closed pipe.  The
    output stream is pointed at the null device, so nothing is left for the interpreter to
    fail flushing at exit (``Exception ignored ... Traceback``).  SIGTERM ends the command
    as an interrupt does, so that its temporary files are removed."""
    import os
    import signal
    import sys

    def stop(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, stop)
    code: object = 0
    try:
        try:
            command()
        except SystemExit as exc:
            code = exc.code
        sys.stdout.flush()
    except OSError as exc:
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        if not isinstance(exc, BrokenPipeError):
            try:
                sys.stderr.write(f"error: cannot write the output ({exc.strerror or exc})\n")
                sys.stderr.flush()
            except OSError:
                pass
        code = 1
    raise SystemExit(code)
