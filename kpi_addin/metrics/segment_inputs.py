"""Costs and funnel by segment: the ``segment`` column of the ``costs`` and ``funnel`` sheets.

A costs or funnel sheet may carry a ``segment`` column (text).  Its rows are then one per
(month, segment); a blank segment is the company-level, unallocated part.  The company's
figure of a month is the **sum of that month's rows** (segment rows and the blank row), so
a file with a segment column gives the same company figures as the same totals one row
per month.  Balances at the month end (:data:`LEVEL_COLUMNS`: cash, headcount) belong to
the company: they are given on the month's blank-segment row only.

With ``--by ATTRIBUTE`` (one attribute) the segment values are values of that attribute
(plan ``Pro``): a segment's sales, marketing, cogs, visitors, ... are the sum of its own
rows, and the registry's formulas (CAC, CAC payback, LTV:CAC, the funnel conversions,
gross margin, ...) read them in place of the company's.  Unallocated rows stay in the
company's figures only (a note says how much).  The rules: ``docs/conventions.md``,
*Costs and funnel by segment*.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from ._core import KPIInputError
from .catalogue import COSTS_SHEET_COLUMNS, FUNNEL_COLUMNS, KPIS, kpi
from .company import CompanyData

#: The column naming a row's segment.
SEGMENT_COLUMN = "segment"
#: The input sheets that may be given by segment, and their columns.
SEGMENTED_SHEETS: dict[str, tuple[str, ...]] = {"costs": COSTS_SHEET_COLUMNS, "funnel": FUNNEL_COLUMNS}
#: A row's location in its file (``file sheet!B7 (segment)``), kept by the reader in the
#: sheet's ``attrs`` under this name, one per row, for messages naming a segment.
LOCATIONS_ATTR = "segment_locations"
#: Costs-sheet columns that are balances at the month end, not flows of the month (cash in
#: the bank, people employed): the company's, never split by segment.
LEVEL_COLUMNS: tuple[str, ...] = ("cash", "headcount")


def is_segmented(frame: pd.DataFrame | None) -> bool:
    """Whether a costs or funnel sheet has any row with a segment."""
    return frame is not None and SEGMENT_COLUMN in frame and bool(frame[SEGMENT_COLUMN].notna().any())


def company_by_month(frame: pd.DataFrame | None, months: pd.PeriodIndex, columns: Sequence[str]) -> pd.DataFrame:
    """A monthly sheet aligned to ``months``: each month's rows summed (its segment rows and its
    blank-segment row); a month without a row, or whose rows are all blank in a column, is nan.

    Examples
    --------
    >>> costs = pd.DataFrame({"month": pd.to_datetime(["2025-01-01"] * 3), "segment": ["Pro", "Basic", None],
    ...     "sales": [600.0, 400.0, 100.0], "cogs": [np.nan] * 3})
    >>> company_by_month(costs, pd.period_range("2025-01", "2025-02", freq="M"), ["sales", "cogs"])
              sales  cogs
    2025-01  1100.0   NaN
    2025-02     NaN   NaN
    """
    out = pd.DataFrame(index=months, columns=list(columns), dtype=float)
    if frame is None or frame.empty:
        return out
    month = frame["month"].dt.to_period("M")
    present = [c for c in columns if c in frame]
    if present:
        summed = frame[present].astype(float).groupby(month.to_numpy()).sum(min_count=1)
        summed.index = pd.PeriodIndex(summed.index, freq="M")
        for column in present:
            out[column] = summed[column].reindex(months).astype(float)
    return out


def segmentable_keys() -> frozenset[str]:
    """The monthly KPIs whose inputs are costs or funnel flows only (not NPS, not a balance
    such as cash): given by segment, each has a figure per segment."""
    keys = set()
    for entry in KPIS:
        sheets = entry.input_sheets
        if not entry.monthly or not sheets or not sheets <= set(SEGMENTED_SHEETS):
            continue
        columns = {i.split(".", 1)[1] for i in entry.inputs if "." in i}
        # the Rule of 40's profit may be the month's change in cash, a balance: company only
        if not columns & set(LEVEL_COLUMNS) and "margin_profit" not in entry.arguments:
            keys.add(entry.key)
    return frozenset(keys)


#: The KPIs given by segment when the costs or funnel are.
SEGMENTABLE_KEYS = segmentable_keys()


#: The columns a segment's formulas read beyond the costs and funnel columns themselves.
_COST_TO_SERVE = kpi("cts").input_columns("costs")


def _located(frame: pd.DataFrame, row: int, sheet: str) -> str:
    """Where row ``row`` of a costs or funnel sheet is: the reader's location, else the sheet and month."""
    locations = frame.attrs.get(LOCATIONS_ATTR)
    if locations is not None and len(locations) == len(frame):
        return str(locations[row])
    month = frame["month"].iloc[row]
    return f"{sheet} (segment, month {pd.Timestamp(month):%Y-%m})"


def input_columns(
    data: CompanyData,
    by: Sequence[str],
    labels: pd.DataFrame,
    months: pd.PeriodIndex,
    mrr: np.ndarray,
    grouped: Callable[[], dict[str, str]] = dict,
) -> tuple[dict[str, np.ndarray], list[str]]:
    """The segmented costs and funnel columns (segment × month) the registry's formulas read,
    and notes (what stays unallocated, why none are given).

    ``labels``: the segments (one row per segment code, the values of ``by``); ``mrr``: each
    segment's MRR by month (the gross margin's revenue when the costs have no recurring
    revenue, as for the company); ``grouped()``: the attribute's values shown as another
    segment (the values beyond 50, shown as ``(other)``) → that segment.  Empty when neither
    sheet has a segment, when ``by`` names several attributes, or when no segment value is a
    value of the attribute (each with a note).  Raises :class:`KPIInputError` naming the row
    of a segment value that is not a value of the attribute while others are: its money
    would otherwise be dropped.
    """
    sheets = {name: getattr(data, name) for name in SEGMENTED_SHEETS if is_segmented(getattr(data, name))}
    if not sheets:
        return {}, []
    given = " and ".join(sheets)
    if len(by) != 1:
        return {}, [f"by segment, the {given} segments are not used: they are values of one attribute, give one --by"]
    attribute = by[0]
    codes_of = {str(v): k for k, v in enumerate(labels[attribute].astype(str))}
    values_given = {x for name in sheets for x in sheets[name][SEGMENT_COLUMN].dropna().astype(str).str.strip()}
    if values_given - set(codes_of):
        shown_as = {value: label for value, label in grouped().items() if label in codes_of}
        codes_of.update({value: codes_of[label] for value, label in shown_as.items() if value in values_given})
    values = {name: frame[SEGMENT_COLUMN].dropna().astype(str).str.strip() for name, frame in sheets.items()}
    if not any(v.isin(list(codes_of)).any() for v in values.values()):
        shown = ", ".join(sorted({x for v in values.values() for x in v})[:6])
        return {}, [
            f"by segment, the {given} segments ({shown}) are not values of {attribute}: their figures stay company-only"
        ]
    n, width = len(labels), len(months)
    out: dict[str, np.ndarray] = {}
    notes: list[str] = []
    for name, frame in sheets.items():
        text = frame[SEGMENT_COLUMN].astype("string").str.strip()
        unknown = text.notna() & ~text.isin(list(codes_of))
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy(dtype=bool))[0])
            known = ", ".join(list(codes_of)[:12])
            raise KPIInputError(
                "by",
                f"{_located(frame, row, name)}: {text.iloc[row]!r} is not a {attribute} of the subscriptions "
                f"({attribute}s: {known}); name one of them, or leave the segment blank to keep the row "
                "company-only",
            )
        month = frame["month"].dt.to_period("M")
        position = pd.Series(months.get_indexer(month), index=frame.index)
        rows = text.notna().to_numpy(dtype=bool) & (position.to_numpy() >= 0)
        code = text.map(codes_of).to_numpy()
        for column in SEGMENTED_SHEETS[name]:
            if column not in frame or column in LEVEL_COLUMNS:
                continue
            grid = np.full((n, width), np.nan)
            amounts = frame[column].to_numpy(dtype=float)
            filled = rows & ~np.isnan(amounts)
            cells = (
                pd.Series(amounts[filled]).groupby([code[filled].astype(np.int64), position.to_numpy()[filled]]).sum()
            )
            if len(cells):
                grid[cells.index.get_level_values(0), cells.index.get_level_values(1)] = cells.to_numpy()
            out[column] = grid
        notes += _unallocated(name, frame, text, month, months, attribute)
    if "costs" in sheets:
        parts = [out[c] for c in _COST_TO_SERVE if c in out]
        if parts:
            stacked = np.stack(parts)
            out["cts_total"] = np.where(np.isnan(stacked).all(axis=0), np.nan, np.nansum(stacked, axis=0))
        costs = sheets["costs"]
        recurring = "recurring_revenue" in costs and costs["recurring_revenue"].notna().any()
        out["margin_revenue"] = out["recurring_revenue"] if recurring and "recurring_revenue" in out else mrr
        if "cogs" in out:
            margin = kpi("gross_margin")
            out["gross_margin"] = (
                np.vstack(
                    [
                        np.asarray(
                            margin.evaluate(
                                {
                                    "cogs": pd.Series(out["cogs"][s]),
                                    "margin_revenue": pd.Series(out["margin_revenue"][s]),
                                }
                            ),
                            dtype=float,
                        )
                        for s in range(n)
                    ]
                )
                if n
                else np.empty((0, width))
            )
        quarter = (months.month % 3 == 0).astype(float)
        out["quarter_end"] = np.tile(quarter, (n, 1))
    return out, notes


def _unallocated(
    name: str, frame: pd.DataFrame, text: pd.Series, month: pd.Series, months: pd.PeriodIndex, attribute: str
) -> list[str]:
    """One note: the blank-segment amounts of the report's months in the columns given by
    segment, which stay in the company's figures only."""
    blank = text.isna().to_numpy(dtype=bool) & month.isin(months).to_numpy(dtype=bool)
    segmented = ~text.isna().to_numpy(dtype=bool)
    parts = []
    for column in SEGMENTED_SHEETS[name]:
        if column not in frame or column in LEVEL_COLUMNS or not frame[column][segmented].notna().any():
            continue
        total = float(frame[column][blank].sum())
        if total:
            parts.append(f"{column} {total:,.2f}" if name == "costs" else f"{column} {total:,.0f}")
    if not parts:
        return []
    return [
        f"{name}: not allocated to a {attribute} (blank segment) in {months[0]} to {months[-1]}, in the company's "
        f"figures only: {', '.join(parts)}"
    ]
