"""The ``segment`` column of the ``costs`` and ``funnel`` sheets, as read: one row per
(month, segment), and balances (cash, headcount) on the month's blank-segment row only.

The rule and the figures it gives: :mod:`kpi_addin.metrics.segment_inputs`.  The validator
(:func:`.validation.validate_sheet`) calls :func:`problems` in place of its one-row-per-month
check for these sheets.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..metrics.segment_inputs import LEVEL_COLUMNS, LOCATIONS_ATTR, SEGMENT_COLUMN, SEGMENTED_SHEETS, is_segmented
from .problems import Problem, RawSheet, report

#: The sheets with a segment column.
SHEETS = frozenset(SEGMENTED_SHEETS)


def problems(raw: RawSheet, out: pd.DataFrame) -> list[Problem]:
    """A (month, segment) given twice, or a balance on a segment row: each located.

    A sheet without a segment column is one row per month, as before.  The row locations
    are kept in ``out.attrs`` (:data:`LOCATIONS_ATTR`) so that a segment value the ``--by``
    attribute does not have is reported at its cell.
    """
    if "month" not in out:
        return []
    month = out["month"]
    shown = month.dt.strftime("%Y-%m")
    segment = out[SEGMENT_COLUMN] if SEGMENT_COLUMN in out else pd.Series(None, index=out.index, dtype=object)
    key = pd.DataFrame({"month": month, "segment": segment.fillna("")})
    dup = month.notna() & key.duplicated(keep="first")
    found: list[Problem] = []
    if not segment.notna().any():
        return report(raw, "month", dup, shown, lambda v: f"{v!r} appears more than once")
    labels = shown.where(segment.isna(), shown + " " + segment.astype(str).map(repr))
    blank_dup = dup & segment.isna()
    found += report(raw, "month", blank_dup, shown, lambda v: f"{v!r} appears more than once with a blank segment")
    found += report(
        raw,
        SEGMENT_COLUMN,
        dup & segment.notna(),
        labels,
        lambda v: f"month and segment {v} appear more than once (one row per month and segment)",
    )
    on_segment = segment.notna().to_numpy(dtype=bool)
    for column in LEVEL_COLUMNS:
        if column in out:
            filled = pd.Series(on_segment & out[column].notna().to_numpy(dtype=bool), index=out.index)
            found += report(raw, column, filled, out[column], _balance_message(column))
    out.attrs[LOCATIONS_ATTR] = tuple(
        str(raw.problem("", column=SEGMENT_COLUMN, position=int(p))).removesuffix(": ") for p in np.arange(len(out))
    )
    return found


def _balance_message(column: str) -> Callable[[object], str]:
    def message(value: object) -> str:
        return (
            f"{value!r} on a segment row: {column} is a month-end balance of the whole company; give it on the "
            "month's row with a blank segment"
        )

    return message


def with_company_figures(
    frame: pd.DataFrame, counts: pd.DataFrame, sheet: str, merge: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame]
) -> tuple[pd.DataFrame, list[str]]:
    """A costs or funnel sheet with an export's company figures by month (CRM stages, GA4
    visitors, a Balance Sheet's cash): ``merge`` puts them on the blank-segment rows; a month
    and column the export gives is the export's on the segment rows too — they are cleared,
    so the company's month (the sum of its rows) is the export's figure — said in a warning."""
    if not is_segmented(frame):
        return merge(frame, counts), []
    segment = frame[SEGMENT_COLUMN]
    company = frame[segment.isna()].reset_index(drop=True)
    rows = frame[segment.notna()].copy()
    merged = merge(company, counts)
    warnings = []
    for column in (c for c in counts.columns if c != "month"):
        given = counts.loc[counts[column].notna(), "month"]
        if column not in rows:
            continue
        cleared = rows["month"].isin(given) & rows[column].notna()
        if cleared.any():
            rows.loc[cleared, column] = np.nan
            months = rows.loc[cleared, "month"].dt.strftime("%Y-%m").nunique()
            warnings.append(
                f"{sheet}: {column} by segment replaced by the export's company figure in {months} month(s); "
                f"{column} has no segment figure there"
            )
    out = pd.concat([merged, rows], ignore_index=True).sort_values("month", kind="stable").reset_index(drop=True)
    return out, warnings
