"""Definitions: each KPI's formula in words and what it tells, in the dashboard's language."""

from __future__ import annotations

from openpyxl.styles import Alignment

from ...metrics import MONTHLY_KEYS
from ...metrics.catalogue import BALANCE_SHEET_KEYS
from ..cells import put_text
from .common import Context

HEADER_ROW = 3


def build(ctx: Context) -> None:
    ws = ctx.sheets["definitions"]
    ctx.title(ws, ctx.lang.sheets["definitions"])
    ctx.header(ws, HEADER_ROW, [ctx.ui("kpi"), "key", ctx.ui("formula"), ctx.ui("tells")])
    for i, key in enumerate([*MONTHLY_KEYS[1:], *BALANCE_SHEET_KEYS]):
        entry = ctx.lang.kpis[key]
        for j, text in enumerate((entry["label"], key, entry["definition"], entry["tells"]), start=1):
            cell = ws.cell(row=HEADER_ROW + 1 + i, column=j)
            put_text(cell, text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in {"A": 30, "B": 22, "C": 70, "D": 45}.items():
        ws.column_dimensions[letter].width = width
