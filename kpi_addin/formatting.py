"""Plain-text formatting of KPI values for the terminal (the dashboard uses Excel formats)."""

from __future__ import annotations

import math
import re

from .metrics.catalogue import unit_of
from .metrics.mrr import minor_unit_digits

#: Symbols shown before amounts in the terminal table and the dashboard; other currencies show their code.
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "KRW": "₩", "CNY": "¥", "INR": "₹"}
UNDEFINED_MARK = "n/a"
#: Terminal escape sequences (CSI, OSC, single-character escapes) and other control characters.
_ESCAPES = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])|[\x00-\x08\x0b-\x1f\x7f-\x9f]"
)


def terminal_text(text: object) -> str:
    """Text safe to print: escape sequences and control characters (bar newline and tab) removed,
    so that a cell of an input file can never move the cursor, retitle or clear the terminal."""
    return _ESCAPES.sub("", str(text))


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
    if unit == "score":
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
