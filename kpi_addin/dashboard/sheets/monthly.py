"""Monthly KPIs: the Table ``MonthlyKPIs`` whose headers are the JSON keys of ``kpi-addin metrics``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...metrics.catalogue import DERIVED, KPIS, MONTHLY_KEYS, OPENING, REGISTRY
from ...metrics.expression import expand
from ..cells import put_text
from ..expr import NA, Expr, Ref, to_cells
from .common import Context, add_table, grey_errors
from .inputs import InputsByMonth
from .ledger import LedgerAggregates

HEADER_ROW = 4  # labels on row 3, keys on row 4, data from 5
FIRST = HEADER_ROW + 1


@dataclass
class MonthlyTable:
    """``ref(key, i)``: KPI ``key`` of month ``i``; ``latest(key)``: of the as-of month."""

    ctx: Context
    ws: Worksheet
    columns: dict[str, str]

    @property
    def last(self) -> int:
        """The index of the as-of month."""
        return self.ctx.n - 1

    def ref(self, key: str, i: int, local: Worksheet | None = None) -> Ref:
        return self.ctx.book.ref(self.ws, f"{self.columns[key]}{FIRST + i}", local=local)

    def latest(self, key: str) -> Ref:
        return self.ref(key, self.last)

    def month(self, i: int) -> Ref:
        return self.ctx.book.ref(self.ws, f"A{FIRST + i}")

    def column_range(self, key: str, first: int = 0, *, with_header: bool = False) -> tuple[Worksheet, int, int, int]:
        """(sheet, column index, first row, last row) of ``key`` from month ``first`` (for charts)."""
        col = list(self.columns).index(key) + 1
        return self.ws, col, (HEADER_ROW if with_header else FIRST + first), FIRST + self.last


def build(ctx: Context, ledger: LedgerAggregates, inputs: InputsByMonth) -> MonthlyTable:
    ws = ctx.sheets["monthly"]
    ctx.title(ws, ctx.lang.sheets["monthly"], f"{ctx.ui('monthly_note')} {ctx.ui('legend')}{ctx.opening_note()}")
    keys = list(MONTHLY_KEYS)
    letters = {k: get_column_letter(i + 1) for i, k in enumerate(keys)}
    table = MonthlyTable(ctx, ws, letters)
    for i, key in enumerate(keys, start=1):
        cell = ws.cell(row=HEADER_ROW - 1, column=i)
        put_text(cell, ctx.lang.label(key))
        cell.font, cell.alignment = Font(bold=True, color="1F3864"), Alignment(wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = 14
    ctx.header(ws, HEADER_ROW, keys)
    ctx.month_column(ws, FIRST)
    monthly = ctx.report.monthly
    last_row = FIRST + ctx.n - 1
    order = dependency_order(keys[1:])
    for i in range(ctx.n):
        formulas = monthly_formulas(table, ledger, inputs, i)
        for key in order:
            cell, value = f"{letters[key]}{FIRST + i}", monthly[key].iloc[i]
            if key in formulas:
                ctx.book.formula(ws, cell, formulas[key], value, ctx.fmt(key))
            elif pd.isna(value):  # no formula gives it: the library's value, #N/A where undefined
                ctx.book.formula(ws, cell, "NA()", math.nan, ctx.fmt(key), error=NA)
            else:
                ctx.book.value(ws, cell, value, ctx.fmt(key))
    add_table(ws, "MonthlyKPIs", f"A{HEADER_ROW}:{letters[keys[-1]]}{last_row}", keys, "TableStyleMedium2")
    ws.freeze_panes = f"B{FIRST}"
    ws.row_dimensions[HEADER_ROW - 1].height = 30
    grey_errors(ws, f"B{FIRST}:{letters[keys[-1]]}{last_row}")
    return table


def dependency_order(keys: list[str]) -> list[str]:
    """``keys`` with each KPI after the KPIs its formula reads (CAC payback reads the gross
    margin, a later column): the error an undefined cell shows is worked out from the cells
    it reads, so those are written first."""
    done: list[str] = []

    def visit(key: str) -> None:
        if key in done:
            return
        formula = REGISTRY[key].formula
        for name in () if formula is None else expand(formula, DERIVED).columns():
            if name in keys and name != key:
                visit(name)
        done.append(key)

    for key in keys:
        visit(key)
    return done


def monthly_formulas(
    table: MonthlyTable, ledger: LedgerAggregates, inputs: InputsByMonth, i: int
) -> dict[str, Expr | str]:
    """The formula of every KPI of month ``i``, rendered from its registry formula (a KPI
    left out has no formula: the sheet holds the library's value).

    A column a formula reads is, in this order: an earlier KPI (its ``MonthlyKPIs`` cell),
    a derived column (its formula, written out), a ledger aggregate or an input by month.
    A KPI without a formula (the 12-month cohort figures) is the ledger aggregate of the
    same name, a value the library computed per customer.
    """
    # The opening month (the ledger's first, without history_start) has no start and acquired
    # nobody: windows reaching it, and its CAC, are #N/A, as the library's nan.
    first_known = 1 if table.ctx.report.opening_month is not None else 0
    formulas: dict[str, Expr | str] = {}

    def before(name: str) -> Expr | None:  # the opening balance, known with history_start
        return ledger.ref(OPENING[name], 0) if first_known == 0 and name in OPENING else None

    for entry in KPIS:
        if not entry.monthly or entry.key == "month":
            continue
        if entry.formula is None:
            if entry.key in ledger.columns:
                formulas[entry.key] = ledger.ref(entry.key, i)
            continue  # else a value (build writes the library's)

        def resolve(name: str, k: int, own: str = entry.key) -> Expr | None:
            if name in MONTHLY_KEYS and name != own:
                return table.ref(name, k, local=table.ws)
            if name in ledger.columns:
                return ledger.ref(name, k)
            if name in inputs.columns:
                return inputs.ref(name, k)
            raise KeyError(f"{own}: its formula reads {name!r}, which no sheet of the workbook holds")

        cells = to_cells(expand(entry.formula, DERIVED), i, resolve, first_known=first_known, before=before)
        formulas[entry.key] = "NA()" if cells is None else cells
    return formulas
