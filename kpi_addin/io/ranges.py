"""Company data from Excel ranges (what the table functions receive), validated exactly as files are."""

from __future__ import annotations

import datetime as dt
import itertools

import numpy as np
import pandas as pd

from ..metrics import CompanyData
from .reader import Problem, RawSheet, _normalise_header, column_letter, company_from_sheets, parse_month

RANGE_SOURCE = "range"


def raw_sheet_from_range(name: str, rows: object) -> tuple[RawSheet | None, list[Problem]]:
    """A range whose first row holds the column names, as a raw sheet (cells counted from its top-left).

    Converted column by column (the function reruns on every recalculation): a column of
    only numbers becomes floats, of only text a text column, of only date cells
    datetimes (the day; Excel's time of day is dropped), blanks missing.  A column that
    mixes kinds stays as the cells are, and validation reads it cell by cell, so a bad
    cell is named exactly as in a file.
    """
    if not isinstance(rows, list | tuple) or not rows or not isinstance(rows[0], list | tuple):
        return None, [Problem(RANGE_SOURCE, "must be a range of two or more rows with the column names first", name)]
    names, problems = _normalise_header(list(rows[0]), RANGE_SOURCE, name)
    body = rows[1:]
    width = max([len(names), *map(len, body)]) if body else len(names)
    if body and len(set(map(len, body))) == 1 and len(body[0]) == width:
        grid = np.array(body, dtype=object)  # one C-level pass; rows are all as wide as the header
        cells = list(grid.T) if grid.ndim == 2 else [np.array(c, dtype=object) for c in zip(*body, strict=True)]
    else:
        cells = [np.array(c, dtype=object) for c in itertools.zip_longest(*body, fillvalue=None)] if body else []
        cells += [np.full(len(body), None, dtype=object)] * (width - len(cells))
    typed = [_typed(column) for column in cells]
    blank = np.ones(len(body), dtype=bool)
    for _series, empty in typed:
        blank &= empty
    positions = np.flatnonzero(~blank)
    keep = [i for i, n in enumerate(names) if n]
    columns = {}
    for i in keep:
        series = typed[i][0]
        columns[names[i]] = series.iloc[positions].reset_index(drop=True) if blank.any() else series
    frame = pd.DataFrame(columns, index=pd.RangeIndex(len(positions)))
    letters = {str(names[i]): column_letter(i) for i in keep}
    return RawSheet(name, RANGE_SOURCE, name, frame, (positions + 2).astype(np.int64), letters), problems


def _typed(cells: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """One range column as a typed Series where all its cells are of one kind (see above),
    and the mask of its blank cells (``None`` or ``""``)."""
    kinds = set(map(type, cells)) - {type(None)}
    if not kinds or kinds <= {float, int}:
        numbers = cells.astype(float)  # a blank (None) becomes nan; Excel hands over no nan of its own
        return pd.Series(numbers), np.isnan(numbers)
    if kinds <= {str}:
        text = pd.Series(cells, dtype="str")
        return text, (text.isna() | (text == "")).to_numpy(dtype=bool)
    if kinds <= {dt.datetime, dt.date, pd.Timestamp}:
        try:
            days = pd.to_datetime(pd.Series(cells, dtype=object))
        except (TypeError, ValueError):
            days = None
        if days is not None and not isinstance(days.dtype, pd.DatetimeTZDtype):
            return days.dt.normalize().astype("datetime64[ns]"), days.isna().to_numpy()
    return pd.Series(cells, dtype=object), np.equal(cells, np.array(None, dtype=object)) | np.equal(cells, "")


def company_from_ranges(subscriptions: object, fx_rates: object = None, as_of: object = None) -> CompanyData:
    """Validate the ranges; raises :class:`InputError` naming each problem's cell in the range.

    With no FX rates and a single currency in the ledger, that currency is the
    reporting currency; otherwise it is USD.
    """
    raws: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    for name, rows in (("subscriptions", subscriptions), ("fx_rates", fx_rates)):
        if rows is None and name == "fx_rates":
            continue
        raw, found = raw_sheet_from_range(name, rows)
        problems += found
        if raw is not None:
            raws[name] = raw
    period = None
    if as_of not in (None, ""):
        try:
            period = parse_month(as_of, "as_of")
        except ValueError as exc:
            problems.append(Problem(RANGE_SOURCE, str(exc)))
    default = "USD"
    subs = raws.get("subscriptions")
    if fx_rates is None and subs is not None and "currency" in subs.frame:
        used = {str(c).strip().upper() for c in subs.frame["currency"] if c not in (None, "")}
        if len(used) == 1:
            default = used.pop()
    data, _warnings = company_from_sheets(raws, RANGE_SOURCE, as_of=period, problems=problems, default_currency=default)
    return data
