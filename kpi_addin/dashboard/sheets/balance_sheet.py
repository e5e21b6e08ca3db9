"""Balance sheet: the five ratios per period, as formulas over the Data balance-sheet table."""

from __future__ import annotations

from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...metrics.balance_sheet import balance_sheet_ratios
from ...metrics.catalogue import BALANCE_SHEET_KEYS, kpi
from ..cells import put_text
from ..expr import Ref, to_cells
from .common import Context, grey_errors
from .data import DataTables

HEADER_ROW = 4
FIRST = HEADER_ROW + 1


@dataclass
class BalanceSheet:
    """``ref(key, period)``: the ratio ``key`` of ``period`` (``YYYY-MM``), if the input has it."""

    ctx: Context
    ws: Worksheet
    rows: dict[str, int] = field(default_factory=dict)

    def ref(self, key: str, period: str) -> Ref:
        column = get_column_letter(2 + BALANCE_SHEET_KEYS.index(key))
        return self.ctx.book.ref(self.ws, f"{column}{self.rows[period]}")


def build(ctx: Context, data: DataTables) -> BalanceSheet:
    ws = ctx.sheets["balance_sheet"]
    ctx.title(ws, ctx.lang.sheets["balance_sheet"], ctx.subtitle())
    ctx.header(ws, HEADER_ROW, [ctx.ui("period"), *[ctx.lang.label(k) for k in BALANCE_SHEET_KEYS]])
    ws.row_dimensions[HEADER_ROW].height = 32
    anchors = BalanceSheet(ctx, ws)
    frame = ctx.data.balance_sheet
    if frame is None or frame.empty:
        put_text(ws[f"A{FIRST}"], ctx.ui("no_balance_sheet"))
        return anchors
    ratios = balance_sheet_ratios(frame)
    order = frame["period"].sort_values(kind="stable").index
    for i, index in enumerate(order):
        r = FIRST + i
        source = int(frame.index.get_loc(index))  # type: ignore[arg-type]  # the index is unique: one position

        def d(name: str, source: int = source) -> Ref:
            return data.ref(ctx, "balance_sheet", name, source)

        ctx.book.formula(ws, f"A{r}", d("period"), frame.loc[index, "period"].to_pydatetime(), "yyyy-mm")
        for j, key in enumerate(BALANCE_SHEET_KEYS, start=2):
            formula = kpi(key).formula  # its registry formula over this period's row
            cells = None if formula is None else to_cells(formula, source, lambda name, _k: d(name))
            ctx.book.formula(ws, f"{get_column_letter(j)}{r}", cells or "NA()", ratios.loc[index, key], ctx.fmt(key))
        anchors.rows[str(frame.loc[index, "period"].to_period("M"))] = r
    ws.freeze_panes = f"B{FIRST}"
    for j in range(1, len(BALANCE_SHEET_KEYS) + 2):
        ws.column_dimensions[get_column_letter(j)].width = 18
    grey_errors(ws, f"B{FIRST}:F{FIRST + len(order) - 1}")
    return anchors
