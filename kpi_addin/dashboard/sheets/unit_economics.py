"""Unit economics: ARPU, LTV, CAC, LTV:CAC, CAC payback and cost to serve by month."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from . import charts
from .common import Context
from .inputs import InputsByMonth
from .monthly import MonthlyTable
from .view import Column, MonthlyView, build_view, kpi_columns


def build(ctx: Context, monthly: MonthlyTable, inputs: InputsByMonth) -> MonthlyView:
    columns = kpi_columns(ctx, monthly, ["arpu", "ltv", "cac", "ltv_cac", "cac_payback_months", "cts"])
    columns.append(
        Column(
            "cts_total",
            ctx.ui("cts_total"),
            ctx.money(),
            lambda i: inputs.ref("cts_total", i),
            ctx.report.inputs["cts_total"],
        )
    )
    columns.append(
        Column(
            "cts_share",
            ctx.ui("cts_share"),
            "0.00%",
            lambda i: inputs.ref("cts_total", i) / monthly.ref("mrr", i),
            ctx.report.extras["cts_share"],
        )
    )
    view = build_view(ctx, "unit_economics", columns)
    sources = charts.ChartSources(monthly, unit_economics=view)
    beside = get_column_letter(view.width + 2)
    charts.place(ctx, view.ws, "unit_economics", sources.chart(ctx, "unit_economics"), f"{beside}{view.header_row}")
    return view
