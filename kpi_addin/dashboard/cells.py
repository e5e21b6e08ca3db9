"""Writing cells: untrusted text as inert text, formulas with the value they should show.

Every formula the builder writes is registered here with its expected value — the
library's number, or the Excel error it shows when the library says "undefined" — so
the workbook can carry cached values (see :mod:`kpi_addin.dashboard.cache`) and tests
can compare a second engine's results with the same map.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.utils import quote_sheetname
from openpyxl.worksheet.worksheet import Worksheet

from ..formatting import FORMULA_TRIGGERS
from .expr import NA, Expr, Ref, Value, is_error

#: Characters XML 1.0 forbids (controls other than tab, newline, carriage return; surrogates;
#: U+FFFE and U+FFFF): a workbook holding one is refused by Excel.
XML_ILLEGAL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Excel keeps at most this many characters in a cell.
MAX_CELL_CHARS = 32_767
TRUNCATED_MARK = " … [cut: longer than an Excel cell holds]"


def cell_text(text: object) -> str:
    """Text as a cell may hold it: XML-illegal characters dropped, cut (with a mark) at Excel's limit."""
    value = XML_ILLEGAL_RE.sub("", str(text))
    if len(value) > MAX_CELL_CHARS:
        value = value[: MAX_CELL_CHARS - len(TRUNCATED_MARK)] + TRUNCATED_MARK
    return value


def put_text(cell: Cell, text: object) -> None:
    """Write untrusted text so that it stays text: never a formula, not even after an edit."""
    value = cell_text(text)
    cell.value = value
    cell.data_type = "s"
    if value.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True


def excel_value(value: object) -> object:
    """A pandas / NumPy value as openpyxl takes it (None for missing)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, pd.Period):
        return value.to_timestamp().to_pydatetime()
    if hasattr(value, "item"):  # NumPy scalars
        return value.item()
    return value


class Book:
    """The cells written so far, and the value each formula cell should show."""

    def __init__(self) -> None:
        self.expected: dict[str, dict[str, Value | None]] = {}
        self.env: dict[str, Value | None] = {}

    def _shown(self, formula: Expr | str, expected: object, error: str | None) -> Value | None:
        """What the cell shows: text, a date or a number as given; for an undefined value
        (nan or None) the Excel error — ``error`` if given, else what the expression gives."""
        if isinstance(expected, str | dt.date):  # text, an Excel error text, a date
            return expected  # type: ignore[return-value]  # a date is cached as the datetime Excel shows
        if expected is not None and not math.isnan(float(expected)):  # type: ignore[arg-type]  # a library number
            return float(expected)  # type: ignore[arg-type]  # a library number
        if error:
            return error
        if isinstance(formula, Expr):
            evaluated = formula.evaluate(self.env)
            return evaluated if is_error(evaluated) else NA
        return NA

    def ref(self, ws: Worksheet, cell: str, *, local: Worksheet | None = None) -> Ref:
        """A reference to ``ws!cell`` (unqualified when written on ``ws`` itself)."""
        text = cell if local is ws else f"{quote_sheetname(ws.title)}!{cell}"
        return Ref(text, f"{ws.title}!{cell}")

    def value(self, ws: Worksheet, cell: str, value: object, number_format: str | None = None) -> None:
        target = ws[cell]
        target.value = excel_value(value)
        if number_format:
            target.number_format = number_format
        shown = target.value
        self.env[f"{ws.title}!{cell}"] = float(shown) if isinstance(shown, int | float) else shown

    def formula(
        self,
        ws: Worksheet,
        cell: str,
        formula: Expr | str,
        expected: object,
        number_format: str | None = None,
        *,
        error: str | None = None,
    ) -> Value | None:
        """Write ``formula``; ``expected`` is the library's value (nan: undefined).

        For an undefined value the error shown is ``error`` if given, else what the
        expression evaluates to over the cells it reads (``#N/A`` or ``#DIV/0!``).
        """
        text = "=" + (formula.excel() if isinstance(formula, Expr) else formula)
        target = ws[cell]
        target.value = text
        if number_format:
            target.number_format = number_format
        shown = self._shown(formula, expected, error)
        self.expected.setdefault(ws.title, {})[cell] = shown
        self.env[f"{ws.title}!{cell}"] = shown
        return shown
