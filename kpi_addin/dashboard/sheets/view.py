"""A report sheet of months: the month, then one formula column per measure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..cells import put_text
from ..expr import Expr, Ref
from .common import NOTE_FONT, Context, grey_errors
from .monthly import MonthlyTable

HEADER_ROW = 4
FIRST = HEADER_ROW + 1


@dataclass(frozen=True)
class Column:
    """One column: its id (for anchors), header label, number format, formula of month i, library values."""

    id: str
    label: str
    fmt: str
    formula: Callable[[int], Expr]
    expected: pd.Series


@dataclass
class MonthlyView:
    """Where a view's columns are: ``range(id)`` gives (sheet, column, header row, first, last row)."""

    ctx: Context
    ws: Worksheet
    columns: dict[str, int]

    @property
    def header_row(self) -> int:
        return HEADER_ROW

    @property
    def first_row(self) -> int:
        return FIRST

    @property
    def last_row(self) -> int:
        return FIRST + self.ctx.n - 1

    @property
    def width(self) -> int:
        """Columns used by the table (the month included)."""
        return len(self.columns) + 1

    def ref(self, id: str, i: int, local: Worksheet | None = None) -> Ref:
        return self.ctx.book.ref(self.ws, f"{get_column_letter(self.columns[id])}{FIRST + i}", local=local)


def kpi_columns(ctx: Context, monthly: MonthlyTable, keys: list[str]) -> list[Column]:
    def of(key: str) -> Callable[[int], Expr]:
        return lambda i: monthly.ref(key, i)

    return [Column(k, ctx.lang.label(k), ctx.fmt(k), of(k), ctx.report.monthly[k]) for k in keys]


def build_view(ctx: Context, key: str, columns: list[Column]) -> MonthlyView:
    ws = ctx.sheets[key]
    ctx.title(ws, ctx.lang.sheets[key], ctx.subtitle())
    put_text(ws["A3"], ctx.ui("legend"))
    ws["A3"].font = NOTE_FONT
    ctx.header(ws, HEADER_ROW, [ctx.ui("month")] + [c.label for c in columns])
    ctx.month_column(ws, FIRST)
    for j, column in enumerate(columns, start=2):
        letter = get_column_letter(j)
        ws.column_dimensions[letter].width = 15
        for i in range(ctx.n):
            ctx.book.formula(ws, f"{letter}{FIRST + i}", column.formula(i), column.expected.iloc[i], column.fmt)
    ws.freeze_panes = f"B{FIRST}"
    ws.row_dimensions[HEADER_ROW].height = 32
    grey_errors(ws, f"B{FIRST}:{get_column_letter(len(columns) + 1)}{FIRST + ctx.n - 1}")
    return MonthlyView(ctx, ws, {c.id: j for j, c in enumerate(columns, start=2)})
