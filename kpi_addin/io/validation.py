"""Validating a raw sheet against its schema: each column parsed by its kind, every problem
collected with its cell, blank defaults applied with a note (never silently)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from . import schema, segmented_inputs
from . import values as values_
from .problems import Problem, RawSheet, ReadNote, quoted, report
from .schema import Column, Sheet


def _blank(values: pd.Series) -> pd.Series:
    """Blank cells: missing, whitespace or a null marker such as ``N/A`` (:mod:`.values`)."""
    return values_.blank_mask(values)[0]


def _text(values: pd.Series, blank: pd.Series | None = None) -> pd.Series:
    """Cell text, stripped; blanks (and null markers) are missing.  Whole numbers read as
    ``1001``, not ``1001.0``."""
    if pd.api.types.is_integer_dtype(values):
        return values.astype(str).astype(object)
    return values_.text_objects(values, _blank(values) if blank is None else blank)


def _coded(
    values: pd.Series, normalise: Callable[[str], str | None], blank_cells: pd.Series | None = None
) -> tuple[pd.Series, pd.Series]:
    """Map text cells through ``normalise`` once per distinct value (fast on big columns).

    Returns a categorical Series (missing where blank or not recognised) and the mask
    of non-blank cells that ``normalise`` rejected.
    """
    blank = (_blank(values) if blank_cells is None else blank_cells).to_numpy(dtype=bool)
    codes, uniques = values_.factorize_text(values)
    codes = np.where(blank, -1, codes)
    mapped = [normalise(u) for u in uniques]
    categories = sorted({m for m in mapped if m is not None})
    lookup = np.array([categories.index(m) if m is not None else -1 for m in mapped] + [-1], dtype=np.int64)
    new_codes = lookup[codes]  # code -1 (blank) picks the trailing -1
    categorical = pd.Categorical.from_codes(new_codes, categories=categories)  # type: ignore[call-overload]  # pandas-stubs rejects an int64 code array that pandas accepts
    parsed = pd.Series(categorical, index=values.index)
    return parsed, pd.Series((codes >= 0) & (new_codes < 0), index=values.index, copy=False)


#: A column read by the sheet's rules: values, checks (bad mask, message), notes, marker masks.
ParsedColumn = values_.Parsed
#: Columns whose blank cells take a default; the default is applied with a note, never silently.
BLANK_DEFAULTS = {"interval": "month", "quantity": 1.0}
#: Sheets whose absent optional columns are added blank (their readers take every column);
#: costs, funnel and nps keep only what they have (an absent column there leaves its KPIs out).
SHEETS_WITH_EVERY_COLUMN = frozenset({"subscriptions", "fx_rates", "balance_sheet", "targets", "settings"})
#: Numbers stored in a cell keep 15 significant digits: an id above this lost digits.
EXACT_INTEGER_LIMIT = 2**53


def _parse_column(values: pd.Series, column: Column, blank: pd.Series | None = None) -> ParsedColumn:
    """Parse one column by its kind (:mod:`.values` decides blanks, numbers and dates);
    ``blank`` is the column's blank mask when the caller has it already."""
    kind = column.kind
    if kind == "text":
        parsed = values_.Parsed(_text(values, blank))
        if values.dtype == object or pd.api.types.is_float_dtype(values):
            numeric = pd.to_numeric(values.where(values.map(lambda v: isinstance(v, float | int))), errors="coerce")
            lost = numeric.abs() >= EXACT_INTEGER_LIMIT
            if lost.any():
                parsed.checks.append(
                    (lost, lambda v: f"{v!r} is stored as a number and has lost digits; store ids as text")
                )
        return parsed
    if kind in ("date", "month"):
        hint = "a month (YYYY-MM)" if kind == "month" else values_.DATE_HINT
        parsed = values_.parse_dates(values, open_ended_allowed=column.name == "end_date", hint=hint)
        if kind == "month":
            parsed.values = parsed.values.dt.to_period("M").dt.to_timestamp()
        return parsed
    if kind == "interval":
        codes, bad = _coded(values, lambda v: schema.INTERVAL_NAMES.get(v.lower()), blank)
        return values_.Parsed(
            codes, [(bad, lambda v: f"unknown interval {v!r} (use month, quarter, year or week)")], markers=None
        )
    if kind == "currency":
        codes, bad = _coded(values, lambda v: v.upper() if re.fullmatch(r"[A-Za-z]{3}", v) else None, blank)
        return values_.Parsed(
            codes, [(bad, lambda v: f"{v!r} is not a three-letter currency code (ISO 4217, e.g. USD)")]
        )
    if kind == "direction":
        codes, bad = _coded(values, lambda v: v.lower() if v.lower() in ("higher", "lower") else None, blank)
        return values_.Parsed(
            codes.astype(object).where(codes.notna(), None), [(bad, lambda v: f"{v!r} is not 'higher' or 'lower'")]
        )
    result = values_.parse_numbers(values, column.name, whole=kind == "count")
    numbers: pd.Series = result.values
    checks = result.checks
    if kind in ("money", "count", "score"):
        checks.append((numbers < 0, lambda v: f"{v!r} is negative"))
    if kind == "rate":
        checks.append((numbers <= 0, lambda v: f"{v!r} is not a positive rate"))
    if kind in ("count", "score"):
        checks.append((numbers.notna() & (numbers != np.floor(numbers)), lambda v: f"{v!r} is not a whole number"))
    if kind == "score":
        checks.append((numbers > 10, lambda v: f"{v!r} is not a score from 0 to 10"))
    if kind == "number" and column.name == "quantity":
        checks.append((numbers < 0, lambda v: f"{v!r} is negative"))
    return result


def _required_message(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip():
        return "is blank; a value is required"
    return f"{value!r} means blank; a value is required"


def _all_blank_rows(frame: pd.DataFrame, blanks: dict[str, pd.Series]) -> pd.Series:
    """Rows with no value in any column (a trailing ``,,,,`` line); stops at the first filled
    column.  The blank masks found are kept in ``blanks``."""
    blank = pd.Series(True, index=frame.index)
    for name in frame.columns:
        blanks[name] = _blank(frame[name])
        blank &= blanks[name]
        if not blank.any():
            break
    return blank


def validate_sheet(raw: RawSheet, sheet: Sheet) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse ``raw`` against ``sheet``; every problem is returned, none raised.

    Notes on what was read (a decimal comma, a null marker read as blank, a blank cell
    given its default) are appended to ``raw.notes``.  Optional columns the sheet does
    not have are added blank, so nothing downstream meets a missing column.
    """
    problems: list[Problem] = []
    frame = raw.frame
    missing = [c.name for c in sheet.columns if c.required and c.name not in frame.columns]
    if missing:
        found = ", ".join(frame.columns) or "none"
        problems.append(raw.problem(f"required column(s) {', '.join(missing)} missing (found: {found})"))
        return None, problems
    blanks: dict[str, pd.Series] = {}
    empty_rows = _all_blank_rows(frame, blanks) if len(frame) else pd.Series(dtype=bool)
    if empty_rows.any():
        blanks = {}
        keep = ~empty_rows.to_numpy()
        frame = frame[keep].reset_index(drop=True)
        raw.frame, raw.rows = frame, raw.rows[keep]
        raw.cell_letters = {k: v[keep] for k, v in raw.cell_letters.items()}
        raw.reported = {k: pd.Series(v.to_numpy()[keep]) for k, v in raw.reported.items()}
    if frame.empty:
        return frame, [raw.problem("the sheet has a header row but no data rows")]
    columns: dict[str, pd.Series] = {}
    for column in sheet.columns:
        if column.name not in frame.columns:
            continue
        original = frame[column.name].reset_index(drop=True)
        known_blank = blanks.get(column.name)
        blank = _blank(original) if known_blank is None else known_blank.reset_index(drop=True)
        result = _parse_column(original, column, blank)
        reported = raw.reported.get(column.name)
        skip = reported.to_numpy(dtype=bool) if reported is not None else np.zeros(len(original), dtype=bool)
        for mask, message in result.checks:
            problems += report(raw, column.name, mask.fillna(False) & ~skip, original, message)
        if column.required:
            problems += report(raw, column.name, blank & ~skip, original, _required_message)
        parsed = result.values.reset_index(drop=True)
        for note in result.notes:
            raw.notes.append(ReadNote(raw.where(column.name) + f": {note}"))
        if result.markers is not None and result.markers.any() and not column.required:
            raw.notes.append(_count_note(raw, column.name, result.markers, original, "read as blank"))
        if result.open_ended is not None and result.open_ended.any():
            raw.notes.append(
                ReadNote(_count_note(raw, column.name, result.open_ended, original, "read as no end date"))
            )
        default = BLANK_DEFAULTS.get(column.name)
        if default is not None and blank.any() and sheet.name == "subscriptions":
            if isinstance(parsed.dtype, pd.CategoricalDtype) and default not in parsed.cat.categories:
                parsed = parsed.cat.add_categories([default])
            bad = pd.Series(False, index=parsed.index)
            for mask, _m in result.checks:
                bad |= mask.fillna(False).to_numpy()
            defaulted = blank & ~bad
            if defaulted.any():
                parsed = parsed.where(~defaulted, default)
                raw.notes.append(_count_note(raw, column.name, defaulted, original, f"blank, read as {default!r}"))
        columns[column.name] = parsed
    for extra in frame.columns:  # extra columns are kept and ignored
        if extra not in columns:
            columns[extra] = frame[extra].reset_index(drop=True)
    absent = []
    if sheet.name in SHEETS_WITH_EVERY_COLUMN:
        absent = [c.name for c in sheet.columns if c.name not in columns]
        # absent optional columns: blank, so nothing downstream meets a KeyError; the sheet's
        # columns in their order, then the extra ones
        known = {c.name: columns[c.name] if c.name in columns else _absent(c, len(frame)) for c in sheet.columns}
        columns = {**known, **{k: v for k, v in columns.items() if k not in known}}
    out = _frame(columns, len(frame))
    if sheet.name in SHEETS_WITH_EVERY_COLUMN:
        out.attrs["absent_columns"] = tuple(absent)  # the KPIs reading them are left out, with a warning
    if sheet.name in segmented_inputs.SHEETS:  # one row per month, or per month and segment
        problems += segmented_inputs.problems(raw, out)
    elif sheet.unique and sheet.unique in out:
        key = out[sheet.unique]
        dup = key.notna() & key.duplicated(keep="first")
        shown = key.dt.strftime("%Y-%m") if pd.api.types.is_datetime64_any_dtype(key) else key
        problems += report(raw, sheet.unique, dup, shown, lambda v: f"{v!r} appears more than once")
    return out, problems


def _frame(columns: dict[str, pd.Series], length: int) -> pd.DataFrame:
    """The columns side by side, each kept as its own array (no copy into blocks of one dtype)."""
    if not columns:
        return pd.DataFrame(index=pd.RangeIndex(length))
    return pd.concat(list(columns.values()), axis=1, keys=list(columns))


def _absent(column: Column, length: int) -> pd.Series:
    if column.kind in ("date", "month"):
        return pd.Series(pd.NaT, index=range(length), dtype="datetime64[ns]")
    if column.kind in ("text", "interval", "currency", "direction"):
        return pd.Series(None, index=range(length), dtype=object)
    return pd.Series(np.nan, index=range(length), dtype=float)


def _count_note(raw: RawSheet, column: str, mask: pd.Series, originals: pd.Series, what: str) -> str:
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    first = int(positions[0])
    value = quoted(originals.iloc[first])
    # an empty cell shows no value, whether it was read as missing (pyarrow) or as '' (pandas)
    shown = "" if value is None or value == "" or (isinstance(value, float) and math.isnan(value)) else f" ({value!r})"
    cell = f"{raw.letters.get(column, '')}{raw.rows[first]}"
    return f"{raw.where(column)}: {len(positions):,} cell(s){shown} {what}, first at {cell}"
