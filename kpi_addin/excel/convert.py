"""Excel argument conversion and Excel errors for the worksheet functions.

No arithmetic lives here: every value comes from :mod:`kpi_addin.metrics`.  What Excel
hands over (floats, ``None`` for a blank cell, text, nested lists for ranges) is passed
on as it is; the library checks it and names the argument.  What comes back goes to
Excel as a number or as an Excel error, the same code on both platforms:

* ``#DIV/0!`` — the KPI is undefined (a zero denominator);
* ``#VALUE!`` — text or a blank where a number belongs, bad input ranges;
* ``#NUM!``   — a number that cannot be (a negative count, churn above 100 %);
* ``#N/A``    — not available: a KPI whose input range is absent, a month, key or report
  handle that the report does not have.

In xlwings Lite the code is a real Excel error (xlwings turns the returned text into one).
The classic Windows path calls Python from a VBA wrapper that cannot return an error value,
so there the cell holds the error's text: ``ISNUMBER`` tells a figure from an error on both,
``IFERROR`` only in Lite (``docs/excel_functions.md``).  Table functions put the error in
their first cell and one line per problem below it.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from ..io.cells import EXCEL_ERRORS
from ..metrics import KPIInputError, KPINumError

__all__ = ["CATEGORY", "DIV0", "EXCEL_ERRORS", "NA", "NUM", "RANGE", "VALUE"]

DIV0, VALUE, NUM, NA = "#DIV/0!", "#VALUE!", "#NUM!", "#N/A"
CATEGORY = "SaaS KPIs"
#: How a range argument is read: as rows of cells, error cells as their text (#N/A), on
#: Windows and in Lite alike.
RANGE = {"ndim": 2, "err_to_str": True}
#: What an omitted optional argument arrives as on the classic Windows path.
EXCEL_MISSING = -2147352572

logger = logging.getLogger("kpi_addin.excel")


def worksheet_function(
    args: dict[str, str], *, ranges: tuple[str, ...] = ()
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a worksheet function with xlwings: its Excel name is its Python name, its
    description the docstring, ``args`` each argument's help (``ranges`` are read as ranges).

    The decorators are looked up when the module is imported — xlwings binds Windows' (COM),
    Lite's (Office.js) or, elsewhere, none — and the help is also kept on the function
    (``__excel_args__``) for the generated function reference.
    """

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        import xlwings

        function.__excel_args__ = dict(args)  # type: ignore[attr-defined]  # help kept on the function for the docs
        for name, doc in args.items():
            function = xlwings.arg(name, doc=doc, **(RANGE if name in ranges else {}))(function)
        return xlwings.func(category=CATEGORY)(function)

    return register


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
    if _blank(value):
        return default
    return value


def _blank(value: object) -> bool:
    """Every cell blank (stops at the first filled one: a whole ledger costs nothing)."""
    if isinstance(value, list | tuple):
        return all(_blank(v) for v in value)
    return value is None or value == ""


def flatten(values: object) -> list[object]:
    """A cell or a range (nested lists or tuples) as one flat list, blanks kept as None."""
    if isinstance(values, list | tuple):
        out: list[object] = []
        for item in values:
            out.extend(flatten(item))
        return out
    return [values]


def excel_call(metric: Callable[..., Any], *args: object, name: str | None = None) -> object:
    """Call a library function with cell values; return a number or an Excel error text
    (logged under ``name``, the worksheet function's, or the library function's)."""
    shown = name or metric.__name__
    try:
        return to_excel(metric(*args))
    except KPIInputError as exc:
        logger.info("%s: %s", shown, exc)
        return excel_error(exc)
    except Exception:
        logger.exception("%s failed", shown)
        return VALUE


def rows_to_table(header: Sequence[str], rows: list[list[object]]) -> list[list[object]]:
    """A header row and data rows, undefined values shown as ``#DIV/0!``."""
    return [list(header), *[[to_excel(v) for v in row] for row in rows]]


def error_table(code: str, messages: list[str]) -> list[list[object]]:
    """A one-column array: the Excel error text, then one line per problem."""
    rows: list[list[object]] = [[code]]
    rows += [[m] for m in messages]
    return rows


def scalar_call(compute: Callable[[], object]) -> object:
    """Run a one-cell function: its value, or the Excel error of what went wrong (logged)."""
    try:
        return to_excel(compute())
    except KPIInputError as exc:
        logger.info("%s", exc)
        return excel_error(exc)
    except LookupError as exc:  # a handle, key or month the report does not have
        logger.info("%s", exc.args[0] if exc.args else exc)
        return NA
    except ValueError as exc:
        logger.info("%s", exc)
        return VALUE
    except Exception:
        logger.exception("worksheet function failed")
        return VALUE


def table_call(build: Callable[[], list[list[object]]]) -> list[list[object]]:
    """Run a table function; bad input becomes a column: the error, then each problem."""
    from ..io.problems import InputError

    try:
        return build()
    except InputError as exc:
        return error_table(VALUE, [str(p) for p in exc.problems])
    except KPIInputError as exc:
        return error_table(excel_error(exc), [str(exc)])
    except LookupError as exc:
        return error_table(NA, [str(exc.args[0] if exc.args else exc)])
    except ValueError as exc:
        return error_table(VALUE, [str(exc)])
    except Exception as exc:
        logger.exception("table function failed")
        return error_table(VALUE, [f"kpi-addin could not compute this table ({type(exc).__name__}: {exc})"])
