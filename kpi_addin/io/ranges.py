"""Company data from Excel ranges (what the worksheet functions receive), validated exactly as files are.

A range arrives as rows of cells (nested lists).  Before any conversion:

* **trailing blank rows are dropped**, so a whole-column reference (``A:H``) costs what its
  filled rows cost;
* **the header row is optional**: when the first row names none of the sheet's columns
  (an Excel Table passed as ``Table1``, which is its data without the header), the columns
  are read by position in the order of the input sheet (``customer_id, customer_name,
  plan, amount, interval, quantity, currency, start_date, end_date, trial_end`` for the
  subscriptions) and a note says so;
* **a Table's Total row is ignored**: a last row whose first cell is ``Total`` (or the
  word of another Excel language) is left out, with a note;
* **an error cell is an error**: ``#N/A``, ``#VALUE!``, ``#REF!``... in any column (they
  arrive as their text: the functions ask xlwings for ``err_to_str``), and a null marker
  such as ``N/A`` in a date column, are problems naming the cell — never a blank, which
  in an end date would keep a subscription active.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..metrics import CompanyData
from . import schema
from .cells import EXCEL_ERRORS, TOTAL_LABELS
from .loading import normalise_header
from .problems import Problem, RawSheet, ReadNote, column_letter
from .reader import company_from_sheets
from .settings_sheet import parse_month
from .values import NULL_MARKERS

RANGE_SOURCE = "range"
#: Problems listed per column before "and N more".
LISTED = 10


def trimmed(rows: list | tuple) -> list | tuple:
    """``rows`` without its trailing blank rows (cells None or ``""``); C-speed for blank rows."""
    n = len(rows)
    if n == 0:
        return rows
    width = len(rows[0]) if isinstance(rows[0], list | tuple) else 1
    blank_tuple, blank_list = (None,) * width, [None] * width
    while n:
        row = rows[n - 1]
        if row == blank_tuple or row == blank_list:
            n -= 1
            continue
        if isinstance(row, list | tuple) and all(c is None or c == "" for c in row):
            n -= 1
            continue
        break
    return rows[:n]


def _header_of(name: str, first: list[object]) -> bool:
    """Whether ``first`` is a header row: it names at least one column of sheet ``name``."""
    known = {c.name for c in schema.SHEETS[name].columns} if name in schema.SHEETS else set()
    for cell in first:
        if isinstance(cell, str) and cell.strip().lower().replace(" ", "_") in known:
            return True
    return False


def raw_sheet_from_range(name: str, rows: object) -> tuple[RawSheet | None, list[Problem]]:
    """A range as a raw sheet (cells counted from its top-left; see the module docstring).

    Converted column by column (the function reruns on every recalculation): a column of
    only numbers becomes floats, of only text a text column, of only date cells
    datetimes (the day; Excel's time of day is dropped), blanks missing.  A column that
    mixes kinds stays as the cells are, and validation reads it cell by cell, so a bad
    cell is named exactly as in a file.
    """
    if not isinstance(rows, list | tuple) or not rows or not isinstance(rows[0], list | tuple):
        return None, [Problem(RANGE_SOURCE, "must be a range of one or more rows", name)]
    rows = trimmed(rows)
    if not rows:
        return None, [Problem(RANGE_SOURCE, "the range is empty", name)]
    notes: list[str] = []
    if _header_of(name, list(rows[0])):
        names, problems = normalise_header(list(rows[0]), RANGE_SOURCE, name)
        body, first_row = rows[1:], 2
    else:
        order = [c.name for c in schema.SHEETS[name].columns]
        width = len(rows[0])
        names = [*order[:width], *([None] * (width - len(order)))]
        problems = []
        body, first_row = rows, 1
        notes.append(
            ReadNote(
                f"{RANGE_SOURCE} {name}: no header row (an Excel Table without its headers?); "
                f"columns read by position as {', '.join(order[:width])}"
            )
        )
    if body and isinstance(body[-1], list | tuple) and body[-1]:
        label = body[-1][0]
        if isinstance(label, str) and label.strip().lower() in TOTAL_LABELS:
            notes.append(
                ReadNote(f"{RANGE_SOURCE} {name}: row {first_row + len(body) - 1} is a Total row ({label!r}); ignored")
            )
            body = body[:-1]
    width = max([len(names), *map(len, body)]) if body else len(names)
    if body and len(set(map(len, body))) == 1 and len(body[0]) == width:
        grid = np.array(body, dtype=object)  # one C-level pass; rows are all as wide as the header
        cells = list(grid.T) if grid.ndim == 2 else [np.array(c, dtype=object) for c in zip(*body, strict=True)]
    else:
        cells = [np.array(c, dtype=object) for c in itertools.zip_longest(*body, fillvalue=None)] if body else []
        cells += [np.full(len(body), None, dtype=object)] * (width - len(cells))
    names = [*names, *([None] * (width - len(names)))]
    kinds = {c.name: c.kind for c in schema.SHEETS[name].columns} if name in schema.SHEETS else {}
    found, flagged = _error_cells(name, names, cells, kinds, first_row)
    problems += found
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
    raw = RawSheet(name, RANGE_SOURCE, name, frame, (positions + first_row).astype(np.int64), letters)
    raw.notes += notes
    raw.reported = {str(names[i]): pd.Series(mask[positions]) for i, mask in flagged.items() if names[i]}
    return raw, problems


def _error_cells(
    name: str, names: list[str | None], cells: list[np.ndarray], kinds: Mapping[str, str], first_row: int
) -> tuple[list[Problem], dict[int, np.ndarray]]:
    """An error cell anywhere, a null marker (``N/A``) in a date column: each a located problem;
    and per column, the cells so reported (validation says nothing more about them)."""
    problems: list[Problem] = []
    flagged: dict[int, np.ndarray] = {}
    for i, (column, values) in enumerate(zip(names, cells, strict=True)):
        if column is None or not any(isinstance(v, str) for v in values):
            continue
        text = np.array([v.strip() if isinstance(v, str) else "" for v in values], dtype=object)
        is_error = np.isin(text, list(EXCEL_ERRORS))
        is_marker = np.zeros(len(values), dtype=bool)
        if kinds.get(column) in ("date", "month"):
            lowered = np.array([t.lower() for t in text], dtype=object)
            is_marker = np.isin(lowered, list(NULL_MARKERS)) & ~is_error
        found = np.flatnonzero(is_error | is_marker)
        if found.size:
            flagged[i] = is_error | is_marker
        for position in found[:LISTED]:
            value = text[position]
            if is_error[position]:
                message = f"the cell holds the error {value}; fix what it refers to, or clear it"
            else:
                message = f"{value!r} is not a date; write the date, or leave the cell empty if there is none"
            problems.append(
                Problem(RANGE_SOURCE, message, name, int(position) + first_row, column, letter=column_letter(i))
            )
        if len(found) > LISTED:
            problems.append(Problem(RANGE_SOURCE, f"and {len(found) - LISTED} more such cell(s)", name, column=column))
    return problems, flagged


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


def settings_rows(settings: object) -> object:
    """The settings argument as rows: a key/value range as it is, or text such as
    ``convention=month-start; history_start=2024-01`` split into rows."""
    if isinstance(settings, str):
        pairs = [p for p in settings.replace("\n", ";").split(";") if p.strip()]
        rows: list[list[object]] = [["key", "value"]]
        for pair in pairs:
            key, _, value = pair.partition("=")
            rows.append([key.strip(), value.strip() or None])
        return rows
    return settings


def company_from_ranges(
    subscriptions: object,
    fx_rates: object = None,
    as_of: object = None,
    **others: object,
) -> CompanyData:
    """Validate the ranges; raises :class:`InputError` naming each problem's cell in the range."""
    data, _warnings, _notes = read_ranges(subscriptions, fx_rates, as_of, **others)
    return data


def read_ranges(
    subscriptions: object,
    fx_rates: object = None,
    as_of: object = None,
    **others: object,
) -> tuple[CompanyData, list[str], list[str]]:
    """(data, warnings, notes) from the ranges: ``subscriptions`` and any of ``fx_rates``,
    ``costs``, ``funnel``, ``nps``, ``balance_sheet``, ``targets``, and ``settings`` (a
    key/value range or ``key=value; ...`` text).  ``as_of``, when given, wins over the settings'.

    With no FX rates and a single currency in the ledger, that currency is the reporting
    currency (unless the settings name one); otherwise USD.  Raises :class:`InputError`
    naming each problem's cell in its range.
    """
    raws: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    given = {"subscriptions": subscriptions, "fx_rates": fx_rates, **others}
    if given.get("settings") is not None:
        given["settings"] = settings_rows(given["settings"])
    for name, rows in given.items():
        if rows is None and name != "subscriptions":
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
        used = {str(c).strip().upper() for c in subs.frame["currency"] if c not in (None, "") and c == c}
        if len(used) == 1:
            default = used.pop()
    data, said = company_from_sheets(
        raws, RANGE_SOURCE, given={"as_of": period}, by="function argument", problems=problems, default_currency=default
    )
    notes = [str(w) for w in said if isinstance(w, ReadNote)]
    warnings = [w for w in said if not isinstance(w, ReadNote)]
    return data, warnings, notes
