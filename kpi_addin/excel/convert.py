"""Excel argument conversion and Excel errors for the worksheet functions.

No arithmetic lives here: every value comes from :mod:`kpi_addin.metrics`.  What Excel
hands over (floats, ``None`` for a blank cell, text, nested lists for ranges) is passed
on as it is; the library checks it and names the argument.  What comes back goes to
Excel as a number or as the text of an Excel error:

* ``#DIV/0!`` — the KPI is undefined (a zero denominator);
* ``#VALUE!`` — text or a blank where a number belongs;
* ``#NUM!``   — a number that cannot be (a negative count, churn above 100 %).

The classic Windows path of xlwings calls Python from a VBA wrapper that cannot return
a true error value, so the cell shows the error's text.  xlwings Lite shows the same.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from ..metrics import KPIInputError, KPINumError

DIV0, VALUE, NUM = "#DIV/0!", "#VALUE!", "#NUM!"
#: What an omitted optional argument arrives as on the classic Windows path.
EXCEL_MISSING = -2147352572

logger = logging.getLogger("kpi_addin.excel")


def excel_error(exc: KPIInputError) -> str:
    """The Excel error a library input error shows as: ``#NUM!`` for an impossible number,
    ``#VALUE!`` for anything else (text, a blank)."""
    return NUM if isinstance(exc, KPINumError) else VALUE


def to_excel(value: object) -> object:
    """A library result as Excel shows it: undefined (nan) is ``#DIV/0!``."""
    if isinstance(value, float) and math.isnan(value):
        return DIV0
    return value


def optional(value: object, default: object) -> object:
    """An omitted optional argument, or blank cells given for one, take its default."""
    if isinstance(value, int) and not isinstance(value, bool) and value == EXCEL_MISSING:
        return default
    if all(v is None or v == "" for v in flatten(value)):
        return default
    return value


def flatten(values: object) -> list[object]:
    """A cell or a range (nested lists or tuples) as one flat list, blanks kept as None."""
    if isinstance(values, list | tuple):
        out: list[object] = []
        for item in values:
            out.extend(flatten(item))
        return out
    return [values]


def excel_call(metric: Callable[..., Any], *args: object) -> object:
    """Call a library function with cell values; return a number or an Excel error text."""
    try:
        return to_excel(metric(*args))
    except KPIInputError as exc:
        logger.info("%s: %s", metric.__name__, exc)
        return excel_error(exc)
    except Exception:
        logger.exception("%s failed", metric.__name__)
        return VALUE


def rows_to_table(header: Sequence[str], rows: list[list[object]]) -> list[list[object]]:
    """A header row and data rows, undefined values shown as ``#DIV/0!``."""
    return [list(header), *[[to_excel(v) for v in row] for row in rows]]


def error_table(code: str, messages: list[str]) -> list[list[object]]:
    """A one-column array: the Excel error text, then one line per problem."""
    rows: list[list[object]] = [[code]]
    rows += [[m] for m in messages]
    return rows
