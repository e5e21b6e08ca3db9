"""Where each KPI's latest value is, and the defined names ``KPI_<KEY>`` that point there."""

from __future__ import annotations

from openpyxl.workbook.defined_name import DefinedName

from ...metrics import MONTHLY_KEYS
from ...metrics.catalogue import BALANCE_SHEET_KEYS
from ..expr import Ref
from .balance_sheet import BalanceSheet
from .common import Context
from .monthly import MonthlyTable


def kpi_ref(ctx: Context, monthly: MonthlyTable, balance: BalanceSheet, key: str, back: int = 0) -> Ref | None:
    """The cell of ``key``'s as-of value, or ``back`` months before it (None for a balance-sheet
    ratio with no period, any month back of a ratio, or a month before the first)."""
    if key in BALANCE_SHEET_KEYS:
        period = ctx.report.balance_sheet.get("period")
        return None if period is None or back else balance.ref(key, str(period))
    if back > monthly.last:
        return None
    return monthly.ref(key, monthly.last - back)


def build(ctx: Context, monthly: MonthlyTable, balance_sheet: BalanceSheet) -> None:
    for key in [*MONTHLY_KEYS[1:], *BALANCE_SHEET_KEYS]:
        ref = kpi_ref(ctx, monthly, balance_sheet, key)
        if ref is None:
            continue
        sheet, cell = ref.text.rsplit("!", 1)
        column, row = cell.rstrip("0123456789"), cell[len(cell.rstrip("0123456789")) :]
        name = f"KPI_{key.upper()}"
        ctx.wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet}!${column}${row}")
