"""The ``segment`` column of the ``costs`` and ``funnel`` sheets, as read: one row per
(month, segment), and balances (cash, headcount) on the month's blank-segment row only.

The rule and the figures it gives: :mod:`kpi_addin.metrics.segment_inputs`.  The validator
(:func:`.validation.validate_sheet`) calls :func:`problems` in place of its one-row-per-month
check for these sheets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics.segment_inputs import LEVEL_COLUMNS, LOCATIONS_ATTR, SEGMENT_COLUMN, SEGMENTED_SHEETS
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
        if column not in out:
            continue
        filled = pd.Series(on_segment & out[column].notna().to_numpy(dtype=bool), index=out.index)
        found += report(
            raw,
            column,
            filled,
            out[column],
            lambda v, c=column: (
                f"{v!r} on a segment row: {c} is a month-end balance of the whole company; give it on the "
                "month's row with a blank segment"
            ),
        )
    out.attrs[LOCATIONS_ATTR] = tuple(
        str(raw.problem("", column=SEGMENT_COLUMN, position=int(p))).removesuffix(": ") for p in np.arange(len(out))
    )
    return found
