"""The kpi-addin marker of every build, and the ``Carried over`` sheet of a refresh.

``kpi-addin dashboard --update`` carries what a person typed into last month's file
(:mod:`kpi_addin.dashboard.update`); whatever has no place in the new workbook (a goal on
a KPI that does not exist, commentary on a KPI the Summary no longer lists) is listed
here — never dropped silently — and in a warning.
"""

from __future__ import annotations

from openpyxl.styles import Alignment

from ..cells import put_text
from ..typed import Leftover, mark_workbook, unplaced
from . import goals
from .common import Context


def leftovers(ctx: Context) -> list[Leftover]:
    carried = ctx.options.carried
    return [] if carried is None else unplaced(carried, ctx.template.summary_kpis)


def needed(ctx: Context) -> bool:
    return bool(leftovers(ctx))


def build(ctx: Context) -> list[Leftover]:
    mark_workbook(
        ctx.wb,
        ctx.report.as_of,
        ctx.sheets["goals"],
        goals.HEADER_ROW,
        goals.LAST_COLUMN,
        currency=ctx.currency,
        company=ctx.report.company,
    )
    kept = leftovers(ctx)
    if not kept:
        return kept
    ws = ctx.sheets["carried_over"]
    source = ctx.options.carried.source if ctx.options.carried else ""
    ctx.title(ws, ctx.lang.sheets["carried_over"], ctx.ui("carried_over_note", file=source))
    labels = ["where", "what", "kpi", "value", "why"]
    ctx.header(ws, 4, [ctx.ui(f"carried_{label}") for label in labels])
    for i, item in enumerate(kept):
        for j, text in enumerate((item.where, item.kind, item.kpi, item.value, item.reason), start=1):
            cell = ws.cell(row=5 + i, column=j)
            put_text(cell, text)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in {"A": 22, "B": 10, "C": 22, "D": 50, "E": 50}.items():
        ws.column_dimensions[letter].width = width
    return kept
