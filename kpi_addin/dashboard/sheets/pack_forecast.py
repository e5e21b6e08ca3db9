"""The board pack's forecast page: where MRR goes in the next twelve months if the drivers
hold — projected and committed MRR, ARR, net new MRR and customers — beside the last
twelve months of actuals.

Every projected figure is a formula over the Forecast sheet, so a driver typed there moves
the page.  Forecast months are never actuals: the table holds forecast months only, under
its own heading, and the chart draws them dashed after the actual line.  Without a
forecast (no month with movements to take drivers from) the page is not printed.
"""

from __future__ import annotations

import math

from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.utils import get_column_letter

from ..expr import Expr
from . import charts
from .common import Context
from .forecast import LETTERS, ForecastSheet
from .monthly import MonthlyTable
from .page import HELPER, HELPER_COLUMN, Page, PageColumn, change_text, month_title, unit_format

#: The page table's columns: the Forecast sheet's column, and its unit.
TABLE = (
    ("mrr", "money"),
    ("arr", "money"),
    ("net_new_mrr", "money"),
    ("customers", "count"),
    ("committed_mrr", "money"),
)
#: Months of actuals drawn before the forecast.
ACTUAL_MONTHS = 12


def build(ctx: Context, monthly: MonthlyTable, forecast: ForecastSheet) -> None:
    if "pack_forecast" not in ctx.sheets:
        return
    ws = ctx.sheets["pack_forecast"]
    page = Page(ctx, ws)
    as_of = ctx.report.as_of
    page.title(f"{ctx.ui('title_pack_forecast')} — {month_title(as_of, ctx.lang.code)}", ctx.subtitle())
    if forecast.forecast is None:  # no month with movements to take drivers from: nothing to print
        page.note(ctx.ui("forecast_none"))
        page.finish()
        ws.sheet_state = "hidden"
        ctx.unprinted.add("pack_forecast")
        return
    source = ctx.sheets["forecast"]
    projected, committed = forecast.forecast.projected, forecast.forecast.committed

    def cell(key: str, i: int) -> Expr:
        return ctx.book.ref(source, f"{LETTERS[key]}{forecast.first + i}")

    last = len(projected) - 1
    now = float(ctx.report.monthly["mrr"].iloc[-1])
    year = ctx.ui("pack_forecast_in", months=len(projected))
    tiles: list[tuple[str, Expr | str, object, str, str]] = [
        (ctx.lang.label("mrr"), monthly.latest("mrr"), now, unit_format(ctx, "money", [now]), str(as_of)),
    ]
    for key, label in (
        ("mrr", ctx.ui("forecast_col_mrr")),
        ("arr", ctx.ui("forecast_col_arr")),
        ("committed_mrr", ctx.ui("forecast_col_committed_mrr")),
    ):
        frame = committed if key == "committed_mrr" else projected
        value = float(frame["mrr" if key == "committed_mrr" else key].iloc[last])
        base = now * (12 if key == "arr" else 1)
        change = f"{year} · {change_text(ctx, value, base, 'money', ctx.ui('pack_forecast_vs_now'))}"
        tiles.append((label, cell(key, last), value, unit_format(ctx, "money", [value]), change))
    page.tiles(tiles)
    page.section(ctx.ui("pack_forecast_table"))
    columns = []
    for key, unit in TABLE:
        if key == "committed_mrr":
            values = [float(v) for v in committed["mrr"]]
        else:
            values = [float(v) for v in projected[key]]
        formulas = [cell(key, i) for i in range(len(projected))]
        columns.append(PageColumn(ctx.ui(f"forecast_col_{key}"), unit, formulas, values))
    rows = [
        (ctx.book.ref(source, f"A{forecast.first + i}"), month.to_timestamp().to_pydatetime(), "mmm yyyy")
        for i, month in enumerate(projected.index)
    ]
    page.table(rows, columns)
    _chart(ctx, page, monthly, forecast)
    page.note(ctx.ui("pack_forecast_note", as_of=str(as_of)))
    page.finish()


def _chart(ctx: Context, page: Page, monthly: MonthlyTable, forecast: ForecastSheet) -> None:
    """The last twelve months of MRR, then the projected and committed MRR (dashed), under
    the table; the chart's data sits in helper columns outside the print area."""
    assert forecast.forecast is not None
    ws, source = page.ws, ctx.sheets["forecast"]
    projected, committed = forecast.forecast.projected, forecast.forecast.committed
    start = ctx.report.opening_month is not None  # the opening month is never drawn
    actual_months = list(range(max(int(start), ctx.n - ACTUAL_MONTHS), ctx.n))
    col = HELPER_COLUMN + 10
    top = page.row
    for k, title in enumerate(("month", "actual", "forecast_col_mrr", "forecast_col_committed_mrr")):
        ws.cell(row=top, column=col + k, value=ctx.ui(title)).font = HELPER
    r = top
    letters = [get_column_letter(col + k) for k in range(4)]
    for i in actual_months:
        r += 1
        ctx.book.value(ws, f"{letters[0]}{r}", ctx.months[i].to_timestamp().to_pydatetime(), "mmm yy")
        value = float(ctx.report.monthly["mrr"].iloc[i])
        ctx.book.formula(ws, f"{letters[1]}{r}", monthly.ref("mrr", i), value)
        if i == ctx.n - 1:  # the projection and the commitment start from the last actual
            ctx.book.formula(ws, f"{letters[2]}{r}", monthly.ref("mrr", i), value)
            ctx.book.formula(ws, f"{letters[3]}{r}", monthly.ref("mrr", i), value)
    for i, month in enumerate(projected.index):
        r += 1
        ctx.book.value(ws, f"{letters[0]}{r}", month.to_timestamp().to_pydatetime(), "mmm yy")
        for letter, key, value in (
            (letters[2], "mrr", float(projected["mrr"].iloc[i])),
            (letters[3], "committed_mrr", float(committed["mrr"].iloc[i])),
        ):
            ctx.book.formula(ws, f"{letter}{r}", ctx.book.ref(source, f"{LETTERS[key]}{forecast.first + i}"), value)
    for row in range(top, r + 1):
        for k in range(4):
            ws.cell(row=row, column=col + k).font = HELPER
    chart = LineChart()
    chart.dispBlanksAs = "gap"  # the actual line ends where the forecast begins
    for k, colour, dashed in ((1, "mrr", False), (2, "mrr", True), (3, "target", True)):
        chart.add_data(Reference(ws, min_col=col + k, min_row=top + 1, max_row=r))
        series = chart.series[-1]
        series.tx = SeriesLabel(v=str(ws.cell(row=top, column=col + k).value))
        charts.stroke(series, charts.COLOURS[colour], dashed=dashed)
    chart.set_categories(Reference(ws, min_col=col, min_row=top + 1, max_row=r))
    chart.x_axis.number_format = "mmm yy"
    values = [*ctx.report.monthly["mrr"].iloc[actual_months], *projected["mrr"], *committed["mrr"]]
    chart.y_axis.number_format = charts.money_axis(ctx, [float(v) for v in values if not math.isnan(float(v))])
    chart.y_axis.scaling.min = 0
    chart.legend.position = "b"
    anchor = f"A{page.row}"  # under the table
    charts.place(ctx, ws, "pack_forecast_chart", chart, anchor, "pack")
    page.charts_at.append(charts.span(ws, anchor, *charts.SIZES["pack"])[1])
    page.row = page.charts_at[-1] + 2
