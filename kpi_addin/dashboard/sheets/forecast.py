"""Forecast: committed and projected MRR after the as-of month, with the drivers as input cells.

The drivers (new MRR per month, expansion / contraction / churn rates, reactivation, new
and reactivated customers, customer churn rate) are input cells holding their
trailing-six-month values; every projected figure is a formula over them, the start
(the as-of month's MRR and customers on ``MonthlyKPIs``) and the committed flows the
library read from the ledger (values: the ledger's future dates, not a formula).  Typing
a driver recalculates the whole projection, as :func:`kpi_addin.metrics.forecast.project`
computes it.  Forecast months are never actuals: they are after the as-of month, on
this sheet only, under a "forecast" band, and drawn dashed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from ...metrics import KPIInputError
from ...metrics.forecast import DRIVER_KEYS, FLOW_COLUMNS, Forecast, build_forecast, scenario_drivers
from ..cells import put_text
from ..typed import mark_input
from . import charts
from .common import NOTE_FONT, SECTION_FONT, Context, column
from .goals import Goals
from .monthly import MonthlyTable

DRIVER_HEADER = 5
FIRST_DRIVER = DRIVER_HEADER + 1
START_ROW = FIRST_DRIVER + len(DRIVER_KEYS) + 1  # MRR, then customers below it
TABLE_HEADER = START_ROW + 4
FIRST = TABLE_HEADER + 1
FORECAST_FILL = PatternFill("solid", fgColor="EDEDED")  # the "forecast" band
#: The month table's columns: the headline, the committed level, the projection's workings, the committed flows.
COLUMNS = (
    "month",
    "mrr",
    "arr",
    "net_new_mrr",
    "customers",
    "committed_mrr",
    "committed_customers",
    "start_mrr",
    *FLOW_COLUMNS[:5],
    "start_customers",
    *FLOW_COLUMNS[5:],
    *(f"committed_{c}" for c in FLOW_COLUMNS),
)
LETTERS = {c: column(i + 1) for i, c in enumerate(COLUMNS)}
#: A driver's row on the sheet.
DRIVER_ROWS = {k: FIRST_DRIVER + i for i, k in enumerate(DRIVER_KEYS)}
DRIVER_UNITS = {
    "new_mrr": "money",
    "expansion_rate": "rate",
    "contraction_rate": "rate",
    "churn_rate": "rate",
    "reactivation_mrr": "money",
    "new_customers": "count",
    "reactivated_customers": "count",
    "customer_churn_rate": "rate",
}
#: Each projected flow: (the driver, whether the driver is a rate of the month's start).
FLOW_DRIVERS = {
    "new_mrr": ("new_mrr", False),
    "expansion_mrr": ("expansion_rate", True),
    "reactivation_mrr": ("reactivation_mrr", False),
    "contraction_mrr": ("contraction_rate", True),
    "churned_mrr": ("churn_rate", True),
    "new_customers": ("new_customers", False),
    "reactivated_customers": ("reactivated_customers", False),
    "churned_customers": ("customer_churn_rate", True),
}
FORECAST_MONTHS = 12


@dataclass
class ForecastSheet:
    """Where the forecast is: its months' rows (None: no forecast could be made)."""

    forecast: Forecast | None
    first: int = FIRST

    def ref_column(self, key: str) -> str:
        return LETTERS[key]


def driver_name(key: str) -> str:
    """The defined name of a driver's input cell (``Forecast_NEW_MRR``)."""
    return f"Forecast_{key.upper()}"


def build(ctx: Context, monthly: MonthlyTable, goals: Goals) -> ForecastSheet:
    ws = ctx.sheets["forecast"]
    ctx.title(ws, ctx.lang.sheets["forecast"], ctx.ui("forecast_note", as_of=str(ctx.report.as_of)))
    ws.merge_cells("A2:L2")
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 45
    try:
        forecast = build_forecast(ctx.report, ctx.data, months=FORECAST_MONTHS)
    except KPIInputError as error:  # no month with movements to take drivers from
        put_text(ws["A4"], f"{ctx.ui('forecast_none')} ({error})")
        ws["A4"].font = NOTE_FONT
        return ForecastSheet(None)
    _drivers(ctx, ws, forecast)
    ctx.section(ws, START_ROW - 1, ctx.ui("forecast_start", as_of=str(ctx.report.as_of)))
    put_text(ws[f"A{START_ROW}"], ctx.lang.label("mrr"))
    ctx.book.formula(ws, f"B{START_ROW}", monthly.latest("mrr"), forecast.start_mrr, ctx.fmt("mrr"))
    put_text(ws[f"A{START_ROW + 1}"], ctx.lang.label("customers"))
    ctx.book.formula(ws, f"B{START_ROW + 1}", monthly.latest("customers"), forecast.start_customers, "#,##0")
    _targets(ctx, ws, forecast, goals)
    _table(ctx, ws, forecast)
    _chart(ctx, ws, forecast)
    ws.freeze_panes = f"B{FIRST}"
    return ForecastSheet(forecast)


def _drivers(ctx: Context, ws: Worksheet, forecast: Forecast) -> None:
    ctx.section(ws, DRIVER_HEADER - 1, ctx.ui("forecast_drivers"))
    ctx.header(
        ws,
        DRIVER_HEADER,
        [
            ctx.ui("forecast_driver"),
            ctx.ui("forecast_value"),
            ctx.ui("forecast_trailing"),
            ctx.ui("forecast_spread"),
            ctx.ui("forecast_low"),
            ctx.ui("forecast_high"),
        ],
    )
    low = scenario_drivers(forecast.base, forecast.variability, "low")
    high = scenario_drivers(forecast.base, forecast.variability, "high")
    for key, r in DRIVER_ROWS.items():
        fmt = _driver_format(ctx, key)
        put_text(ws[f"A{r}"], ctx.ui(f"driver_{key}"))
        ctx.book.value(ws, f"B{r}", getattr(forecast.drivers, key), fmt)
        mark_input(ctx.wb, ws, f"B{r}", driver_name(key), fmt)
        for letter, drivers in (("C", forecast.base), ("D", forecast.variability), ("E", low), ("F", high)):
            ctx.book.value(ws, f"{letter}{r}", getattr(drivers, key), fmt)
    note = ws.cell(row=DRIVER_HEADER - 1, column=3)
    put_text(note, ctx.ui("forecast_scenarios"))
    note.font = NOTE_FONT
    ws.column_dimensions["A"].width = 34
    for letter in "BCDEF":
        ws.column_dimensions[letter].width = 14


def _driver_format(ctx: Context, key: str) -> str:
    unit = DRIVER_UNITS[key]
    return {"money": ctx.money(), "rate": "0.00%", "count": "#,##0.0"}[unit]


def _targets(ctx: Context, ws: Worksheet, forecast: Forecast, goals: Goals) -> None:
    last = FIRST + len(forecast.projected) - 1
    r = START_ROW
    put_text(ws[f"D{START_ROW - 1}"], ctx.ui("forecast_target_reached"))
    ws[f"D{START_ROW - 1}"].font = SECTION_FONT
    for key in ("mrr", "arr"):
        goal = goals.goals.get(key)
        if goal is None:
            continue
        put_text(ws[f"D{r}"], ctx.lang.label(key))
        ctx.book.formula(ws, f"E{r}", goal.target, goal.target_value, ctx.fmt(key))
        values = f"${LETTERS[key]}${FIRST}:${LETTERS[key]}${last}"
        months = f"$A${FIRST}:$A${last}"
        never = ctx.ui("forecast_not_within", months=len(forecast.projected))
        formula = f'IF(COUNTIF({values},">="&E{r})=0,"{never}",_xlfn.MINIFS({months},{values},">="&E{r}))'
        reached = forecast.projected.index[forecast.projected[key] >= goal.target_value]
        expected: object = never if len(reached) == 0 else reached[0].to_timestamp().to_pydatetime()
        ctx.book.formula(ws, f"F{r}", formula, expected, "yyyy-mm")
        r += 1


def _table(ctx: Context, ws: Worksheet, forecast: Forecast) -> None:
    labels = [ctx.ui("month")] + [ctx.ui(f"forecast_col_{c}") for c in COLUMNS[1:]]
    band = ws.cell(row=TABLE_HEADER - 1, column=1)
    put_text(band, ctx.ui("forecast_band", as_of=str(ctx.report.as_of)))
    band.font = NOTE_FONT
    ctx.header(ws, TABLE_HEADER, labels)
    ws.row_dimensions[TABLE_HEADER].height = 45
    p, c = forecast.projected, forecast.committed
    L = LETTERS
    for i, month in enumerate(p.index):
        r = FIRST + i
        ctx.book.value(ws, f"A{r}", month, "yyyy-mm")
        for flow in FLOW_COLUMNS:
            fmt = ctx.money() if flow.endswith("mrr") else "#,##0"
            ctx.book.value(ws, f"{L['committed_' + flow]}{r}", float(c[flow].iloc[i]), fmt)
        ctx.book.value(ws, f"{L['committed_mrr']}{r}", float(c["mrr"].iloc[i]), ctx.money())
        ctx.book.value(ws, f"{L['committed_customers']}{r}", float(c["customers"].iloc[i]), "#,##0")
        start = f"$B${START_ROW}" if i == 0 else f"{L['mrr']}{r - 1}"
        start_customers = f"$B${START_ROW + 1}" if i == 0 else f"{L['customers']}{r - 1}"
        ctx.book.formula(ws, f"{L['start_mrr']}{r}", start, float(p["start_mrr"].iloc[i]), ctx.money())
        ctx.book.formula(
            ws, f"{L['start_customers']}{r}", start_customers, float(p["start_customers"].iloc[i]), "#,##0.0"
        )
        for flow, (driver, is_rate) in FLOW_DRIVERS.items():
            base = L["start_customers" if flow.endswith("customers") else "start_mrr"]
            pace = f"$B${DRIVER_ROWS[driver]}" + (f"*{base}{r}" if is_rate else "")
            fmt = ctx.money() if flow.endswith("mrr") else "#,##0.0"
            formula = f"MAX({L['committed_' + flow]}{r},{pace})"
            ctx.book.formula(ws, f"{L[flow]}{r}", formula, float(p[flow].iloc[i]), fmt)
        mrr = (
            f"{L['start_mrr']}{r}+{L['new_mrr']}{r}+{L['expansion_mrr']}{r}+{L['reactivation_mrr']}{r}"
            f"-{L['contraction_mrr']}{r}-{L['churned_mrr']}{r}"
        )
        ctx.book.formula(ws, f"{L['mrr']}{r}", mrr, float(p["mrr"].iloc[i]), ctx.money())
        ctx.book.formula(ws, f"{L['arr']}{r}", f"{L['mrr']}{r}*12", float(p["arr"].iloc[i]), ctx.money())
        ctx.book.formula(
            ws,
            f"{L['net_new_mrr']}{r}",
            f"{L['mrr']}{r}-{L['start_mrr']}{r}",
            float(p["net_new_mrr"].iloc[i]),
            ctx.money(),
        )
        customers = (
            f"{L['start_customers']}{r}+{L['new_customers']}{r}+{L['reactivated_customers']}{r}"
            f"-{L['churned_customers']}{r}"
        )
        ctx.book.formula(ws, f"{L['customers']}{r}", customers, float(p["customers"].iloc[i]), "#,##0.0")
        for letter in LETTERS.values():
            if letter != "A":
                ws[f"{letter}{r}"].fill = FORECAST_FILL
    for letter in list(LETTERS.values())[6:]:
        ws.column_dimensions[letter].width = 12


def _chart(ctx: Context, ws: Worksheet, forecast: Forecast) -> None:
    last = FIRST + len(forecast.projected) - 1
    chart = LineChart()
    for key, colour in (("mrr", charts.COLOURS["mrr"]), ("committed_mrr", charts.COLOURS["target"])):
        col = COLUMNS.index(key) + 1
        chart.add_data(Reference(ws, min_col=col, min_row=FIRST, max_row=last))
        series = chart.series[-1]
        series.tx = SeriesLabel(v=ctx.ui(f"forecast_col_{key}"))
        charts.stroke(series, colour, dashed=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=FIRST, max_row=last))
    chart.title = charts.title(ctx.ui("forecast_chart"), font=ctx.font)
    chart.legend.position = "b"
    chart.x_axis.number_format = "yyyy-mm"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    values = [*forecast.projected["mrr"], *forecast.committed["mrr"]]
    chart.y_axis.number_format = charts.money_axis(ctx, [v for v in values if not math.isnan(v)])
    chart.width, chart.height = 18, 8
    ws.add_chart(chart, f"H{DRIVER_HEADER - 1}")
