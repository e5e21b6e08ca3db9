"""The sample company's sheets as Excel ranges, shaped as each platform hands them to a function.

A finance user's sheet holds numbers as numbers and dates (and months typed as ``2024-01``,
which Excel turns into dates) as date cells.  pywin32 on Windows delivers a date cell as a
datetime; Office.js (xlwings Lite) as its serial number; an error cell as pywin32's integer
code or Office.js' error object.  Blank cells are None on both.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from kpi_addin.io import sample_path, schema

NUMBER_KINDS = {"money", "number", "count", "score", "rate"}
DATE_KINDS = {"date", "month"}
EPOCH = dt.datetime(1899, 12, 30)
#: pywin32's codes for Excel's error cells (xlwings._xlwindows.cell_errors)
WINDOWS_ERRORS = {"#DIV/0!": -2146826281, "#N/A": -2146826246, "#VALUE!": -2146826273, "#REF!": -2146826265}
OFFICE_JS_ERRORS = {"#DIV/0!": "Div0", "#N/A": "NotAvailable", "#VALUE!": "Value", "#REF!": "Ref", "#NUM!": "Num"}
SHEETS = ("subscriptions", "fx_rates", "costs", "funnel", "nps", "balance_sheet", "settings")


def date_cell(text: str, platform: str) -> object:
    """A date typed into a cell: a datetime (Windows) or its serial number (Lite)."""
    day = pd.Timestamp(text if len(text) > 7 else text + "-01").to_pydatetime()
    return day if platform == "windows" else float((day - EPOCH).days)


def error_cell(code: str, platform: str) -> object:
    if platform == "windows":
        return WINDOWS_ERRORS[code]
    return {"type": "Error", "basicValue": code, "errorType": OFFICE_JS_ERRORS[code]}


def sheet_range(name: str, platform: str, folder: Path | None = None) -> list[list[object]]:
    """``name``'s CSV of the sample as a range with its header row."""
    frame = pd.read_csv((folder or sample_path()) / f"{name}.csv", dtype=str, keep_default_na=False)
    kinds = {c.name: c.kind for c in schema.SHEETS[name].columns} if name != "settings" else {}
    rows: list[list[object]] = [list(frame.columns)]
    for record in frame.itertuples(index=False):
        row: list[object] = []
        for column, text in zip(frame.columns, record, strict=True):
            kind = kinds.get(column)
            if text == "":
                row.append(None)
            elif kind in NUMBER_KINDS:
                row.append(float(text))
            elif kind in DATE_KINDS:
                row.append(date_cell(text, platform))
            else:
                row.append(text)
        rows.append(row)
    return rows


def sample_ranges(platform: str) -> dict[str, list[list[object]]]:
    return {name: sheet_range(name, platform) for name in SHEETS}


def from_lite(value: object) -> object:
    """A value Lite's conversion returns, as the Windows path shows it: error objects as their code."""
    codes = {v: k for k, v in OFFICE_JS_ERRORS.items()}
    if isinstance(value, dict) and value.get("type") == "Error":
        return codes[value["errorType"]]
    if isinstance(value, list):
        return [from_lite(v) for v in value]
    return value


def to_office_js(value: object) -> object:
    """A pywin32-shaped argument as Office.js hands it to xlwings Lite: ranges as lists of
    lists, dates as serial numbers, error codes as error objects, an omitted argument as null."""
    from kpi_addin.excel.convert import EXCEL_MISSING

    codes = {v: k for k, v in WINDOWS_ERRORS.items()}
    if isinstance(value, list | tuple):
        return [to_office_js(v) for v in value]
    if isinstance(value, dt.datetime):
        return (value - EPOCH).total_seconds() / 86400
    if isinstance(value, int) and not isinstance(value, bool) and value == EXCEL_MISSING:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and value in codes:
        return error_cell(codes[value], "lite")
    return value
