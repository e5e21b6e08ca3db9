"""The largest movements of the as-of month on the Revenue sheet: top 10 expansions,
contractions and churns, each cell a reference into the ``MRRMovements`` table.

Only customers' own moves are ranked: FX impact is a type of its own (``fx``) and is not
listed; a change under one cent (not ``counted``) is left out.
"""

from __future__ import annotations

import pandas as pd
from openpyxl.worksheet.worksheet import Worksheet

from ..cells import put_text
from .common import Context
from .movements import MovementLog

TOP = 10
KINDS = ("expansion", "contraction", "churned")


def largest(log: pd.DataFrame, month: pd.Period, kind: str, top: int = TOP) -> pd.DataFrame:
    """The ``top`` largest moves of ``kind`` in ``month`` by the size of the change (ties by customer id)."""
    rows = log[(log["month"] == month) & (log["type"] == kind) & log["counted"]]
    size = rows["change"].abs()
    order = rows.assign(_size=size).sort_values(["_size", "customer_id"], ascending=[False, True], kind="stable")
    return order.drop(columns="_size").head(top)


def build(ctx: Context, ws: Worksheet, row: int, movements: MovementLog) -> int:
    """Write the three lists from ``row`` on; returns the row after them (nothing without the log)."""
    if not movements.included:
        return row
    month = ctx.report.as_of
    ctx.section(ws, row, ctx.ui("top_movements", month=str(month)))
    row += 2
    money = ctx.money()
    sheet = ctx.wb[movements.sheet]
    for kind in KINDS:
        ctx.section(ws, row, ctx.ui(f"top_{kind}"))
        labels = ["customer", "customer_name", "mrr_before", "mrr_after", "change", "plans"]
        ctx.header(ws, row + 1, [ctx.ui(label) for label in labels])
        rows = largest(movements.log, month, kind)
        positions = rows.index.to_numpy(dtype=int)  # rows of the log, so of the table
        for k, move in enumerate(rows.to_dict("records")):
            r = row + 2 + k
            source = movements.rows[int(positions[k])]
            put_text(ws[f"A{r}"], move["customer_id"])
            put_text(ws[f"B{r}"], move["customer_name"])
            for letter, column, source_letter in (
                ("C", "mrr_before", "E"),
                ("D", "mrr_after", "F"),
                ("E", "change", "G"),
            ):
                ctx.book.formula(
                    ws, f"{letter}{r}", ctx.book.ref(sheet, f"{source_letter}{source}"), move[column], money
                )
            plans = (
                move["plans_after"]
                if move["plans_before"] == move["plans_after"]
                else (f"{move['plans_before'] or '—'} → {move['plans_after'] or '—'}")
            )
            put_text(ws[f"F{r}"], plans)
        row += 2 + max(len(rows), 1) + 1
    return row
