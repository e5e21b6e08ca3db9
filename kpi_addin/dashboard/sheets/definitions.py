"""Definitions: each KPI's formula in words and what it tells, in the dashboard's language."""

from __future__ import annotations

import math

from openpyxl.styles import Alignment

from ...metrics import MONTHLY_KEYS
from ...metrics.catalogue import BALANCE_SHEET_KEYS
from ..cells import put_text
from .common import Context, text_width

HEADER_ROW = 3


def build(ctx: Context) -> None:
    ws = ctx.sheets["definitions"]
    ctx.title(ws, ctx.lang.sheets["definitions"])
    ctx.header(ws, HEADER_ROW, [ctx.ui("kpi"), ctx.ui("key"), ctx.ui("formula"), ctx.ui("tells")])
    widths = {"A": 30, "B": 24, "C": 70, "D": 45}
    for i, key in enumerate([*MONTHLY_KEYS[1:], *BALANCE_SHEET_KEYS]):
        entry = ctx.lang.kpis[key]
        texts = (entry["label"], key, entry["definition"], entry["tells"])
        for j, text in enumerate(texts, start=1):
            cell = ws.cell(row=HEADER_ROW + 1 + i, column=j)
            put_text(cell, text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        # a row as tall as its longest wrapped text: spreadsheet applications do not grow rows
        # of a file on opening
        lines = max(math.ceil(text_width(t) / (w - 1)) for t, w in zip(texts, widths.values(), strict=True))
        ws.row_dimensions[HEADER_ROW + 1 + i].height = 15 * max(1, lines)
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
