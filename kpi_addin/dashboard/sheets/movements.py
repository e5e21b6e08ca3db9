"""Movements: the customers behind the MRR bridge, as the Excel Table ``MRRMovements``.

One row per customer per month in which its MRR moved (:mod:`kpi_addin.metrics.movements`),
for the last ``--movements-months`` months (12 by default; every month with
``--include-ledger``), and no more rows than the ledger sheet's limit (100,000: only the
latest months that fit) unless ``--include-ledger``.  The bridge cells of those months in Ledger aggregates are
``SUMIFS`` / ``COUNTIFS`` over this table (:meth:`MovementLog.bridge_formula`), so a
person who filters the table sees the customers behind any number.  A template without
customer data (executive) leaves the sheet out, unless ``--include-ledger`` asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from openpyxl.utils import get_column_letter

from ...metrics.movements import BRIDGE_OF_TYPE, MOVEMENT_COLUMNS, report_movements
from ..stream import StreamedRows
from .common import Context, add_table, number_format

TABLE = "MRRMovements"
HEADER_ROW = 4
FIRST = HEADER_ROW + 1
DEFAULT_MONTHS = 12
#: bridge column → (movement type, what is summed: "change" or a count of counted rows, sign)
BRIDGE_CELLS = {
    **{amount: (kind, "change", sign) for kind, (amount, _count, sign) in BRIDGE_OF_TYPE.items()},
    **{count: (kind, "counted", 1.0) for kind, (_amount, count, _sign) in BRIDGE_OF_TYPE.items() if count},
}


@dataclass
class MovementLog:
    """The log written (empty when left out) and the months its table covers."""

    log: pd.DataFrame
    months: frozenset[pd.Period] = field(default_factory=frozenset)
    rows: dict[int, int] = field(default_factory=dict)  # position in ``log`` → sheet row
    sheet: str = ""

    @property
    def included(self) -> bool:
        return bool(self.sheet)

    def bridge_formula(self, column: str, month: pd.Period, month_cell: str) -> str | None:
        """The formula of a bridge cell over the table, or None (the month is not in the table)."""
        if month not in self.months or column not in BRIDGE_CELLS:
            return None
        kind, what, sign = BRIDGE_CELLS[column]
        where = f'{TABLE}[month],{month_cell},{TABLE}[type],"{kind}"'
        if what == "change":
            total = f"SUMIFS({TABLE}[change],{where})"
            return f"-{total}" if sign < 0 else total
        return f"SUMIFS({TABLE}[counted],{where})"


def included(ctx: Context) -> bool:
    """Whether the workbook carries the log: customer names go only where customer data may."""
    # templates say so with customer_data (the board-pack issue); until then, a template that
    # hides the supporting sheets (executive) is one for leadership, without customer names
    customer_data = getattr(ctx.template, "customer_data", ctx.template.show_supporting_sheets)
    return bool(customer_data) or ctx.options.include_ledger


def window(ctx: Context) -> list[pd.Period]:
    months = ctx.months
    if ctx.options.include_ledger:
        return months
    n = max(1, int(getattr(ctx.options, "movements_months", DEFAULT_MONTHS)))
    return months[-n:]


def build(ctx: Context) -> MovementLog:
    if not included(ctx):
        return MovementLog(pd.DataFrame(columns=list(MOVEMENT_COLUMNS)))
    months = window(ctx)
    # no more rows than the ledger sheet may hold unless --include-ledger: a year of a
    # million-subscription ledger is a million rows
    limit = None if ctx.options.include_ledger else ctx.options.ledger_limit
    log = report_movements(ctx.report, start=months[0], end=months[-1], max_rows=limit)
    months = [m for m in months if len(log) and m >= log["month"].min()] or months[-1:]
    ws = ctx.sheets["movements"]
    ctx.title(ws, ctx.lang.sheets["movements"], ctx.ui("movements_note", months=len(months), first=months[0]))
    headers = list(MOVEMENT_COLUMNS)
    ctx.header(ws, HEADER_ROW, headers)
    # The rows are streamed into the saved file (a year of a large ledger is 100,000s of rows);
    # openpyxl registers the styles they use through one scratch cell each.
    styles = {}
    for j, fmt in enumerate(["yyyy-mm", number_format("money", ctx.currency), "0"], start=len(headers) + 30):
        scratch = ws.cell(row=1, column=j)
        scratch.number_format = fmt
        styles[fmt] = scratch.style_id
    prefixed = ws.cell(row=1, column=len(headers) + 40)
    prefixed.quotePrefix = True
    prefix_style = prefixed.style_id
    for scratch in [*(ws.cell(row=1, column=len(headers) + 30 + k) for k in range(3)), prefixed]:
        del ws._cells[(scratch.row, scratch.column)]  # the styles stay registered in the workbook
    frame = log.assign(
        month=log["month"].dt.to_timestamp(),
        counted=log["counted"].astype(int),
    )
    money_style = styles[number_format("money", ctx.currency)]
    kinds = {c: "text" for c in headers} | {"month": "date"}
    kinds |= dict.fromkeys(("mrr_before", "mrr_after", "change", "counted"), "number")
    ctx.streamed[ws.title] = StreamedRows(
        frame,
        headers,
        kinds,
        FIRST,
        styles["yyyy-mm"],
        prefix_style,
        number_styles={"mrr_before": money_style, "mrr_after": money_style, "change": money_style},
    )
    rows = {i: FIRST + i for i in range(len(log))}
    last = FIRST + max(len(log), 1) - 1
    add_table(ws, TABLE, f"A{HEADER_ROW}:{get_column_letter(len(headers))}{last}", headers, "TableStyleLight9")
    ws.freeze_panes = f"A{FIRST}"
    widths = {"A": 10, "B": 12, "C": 26, "D": 13, "E": 13, "F": 13, "G": 13, "H": 9, "I": 18, "J": 18}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    return MovementLog(log, frozenset(months), rows, ws.title)
