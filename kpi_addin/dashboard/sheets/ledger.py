"""Ledger aggregates: month-end MRR, customer counts and movements from the whole ledger.

Values, except the movements of the months in the ``MRRMovements`` table (the Movements
sheet), which are ``SUMIFS`` over it: filter the table to see the customers behind them.
"""

from __future__ import annotations

import math

import pandas as pd
from openpyxl.utils import get_column_letter

from ...metrics.bridge import BRIDGE_COLUMNS
from ...metrics.trailing import COHORT_12M_KEYS  # per customer, twelve months apart: values like the bridge
from ..cells import put_text
from ..expr import NA
from .common import NOTE_FONT, Context, MonthRows, number_format
from .movements import MovementLog

HEADER_ROW = 4
FIRST = HEADER_ROW + 1
#: Figures of each customer's MRR the library computes (values, like the bridge): the 12-month
#: cohort figures and the share of MRR from the ten largest customers.
PER_CUSTOMER = (*COHORT_12M_KEYS, "top10_share")


class LedgerAggregates(MonthRows):
    """``ref(column, i)``: the bridge column's value of month ``i`` (0 = the first month)."""


def build(ctx: Context, movements: MovementLog) -> LedgerAggregates:
    ws = ctx.sheets["ledger"]
    ctx.title(ws, ctx.lang.sheets["ledger"], ctx.ui("ledger_note") + ctx.opening_note())
    if movements.included:
        put_text(ws["A3"], ctx.ui("ledger_movements_note"))
        ws["A3"].font = NOTE_FONT
    columns = ["month", *BRIDGE_COLUMNS, *PER_CUSTOMER]
    ctx.label_row(ws, HEADER_ROW - 1, columns)
    ctx.header(ws, HEADER_ROW, columns)
    ctx.month_column(ws, FIRST)
    letters = {c: get_column_letter(i + 1) for i, c in enumerate(columns)}
    for column in BRIDGE_COLUMNS:
        fmt = number_format("count" if column.endswith("customers") else "money", ctx.currency)
        for i, value in enumerate(ctx.report.bridge[column]):
            # the movements of the months in the MRRMovements table are sums over it
            over_log = movements.bridge_formula(column, ctx.months[i], f"$A{FIRST + i}")
            if over_log is None:
                ctx.book.value(ws, f"{letters[column]}{FIRST + i}", value, fmt)
            else:
                ctx.book.formula(ws, f"{letters[column]}{FIRST + i}", over_log, value, fmt)
    for column in PER_CUSTOMER:  # an incomplete window is #N/A, never a blank that reads as 0
        for i, value in enumerate(ctx.report.monthly[column]):
            cell = f"{letters[column]}{FIRST + i}"
            if pd.isna(value):
                ctx.book.formula(ws, cell, "NA()", math.nan, "0.00%", error=NA)
            else:
                ctx.book.value(ws, cell, value, "0.00%")
    ws.freeze_panes = f"B{FIRST}"
    for i in range(2, len(columns) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 15
    return LedgerAggregates(ctx, ws, letters, FIRST)
