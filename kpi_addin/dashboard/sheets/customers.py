"""Customers: counts, churn and retention by month, and the logo and revenue cohort tables."""

from __future__ import annotations

import math

import pandas as pd
from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import charts
from .common import Context
from .monthly import MonthlyTable
from .view import Column, MonthlyView, build_view, kpi_columns

#: Cohort retention colours: red at 50 % and below, amber at 85 %, green at 100 %; blue above 100 %.
COHORT_SCALE = ((0.5, "F8696B"), (0.85, "FFEB84"), (1.0, "63BE7B"))
ABOVE_100 = "9DC3E6"


def build(ctx: Context, monthly: MonthlyTable) -> MonthlyView:
    extras = ctx.report.extras
    columns = kpi_columns(
        ctx,
        monthly,
        ["customers", "new_customers", "reactivated_customers", "churned_customers", "customer_churn_rate"],
    )
    columns.append(
        Column(
            "annualized_churn",
            ctx.ui("annualized_churn"),
            "0.00%",
            lambda i: 1 - (1 - monthly.ref("customer_churn_rate", i)) ** 12,
            extras["annualized_churn"],
        )
    )
    columns += kpi_columns(ctx, monthly, ["crr"])
    view = build_view(ctx, "customers", columns)
    beside = get_column_letter(view.width + 2)
    sources = charts.ChartSources(monthly)
    charts.place(ctx, view.ws, "customers_churn", sources.chart(ctx, "customers_churn"), f"{beside}{view.header_row}")
    row = view.last_row + 3
    for basis, title, size_label, size_fmt in (
        ("logo", "cohorts_logo", "cohort_size", "#,##0"),
        ("revenue", "cohorts_revenue", "cohort_mrr", ctx.money()),
    ):
        row = cohort_table(ctx, view.ws, row, basis, ctx.ui(title), ctx.ui(size_label), size_fmt) + 3
    return view


def cohort_table(ctx: Context, ws: Worksheet, row: int, basis: str, title: str, size_label: str, size_fmt: str) -> int:
    """A cohort table from ``row`` on (values from the library); returns its last row."""
    cohorts = ctx.report.cohorts(basis)
    ctx.section(ws, row, title)
    ages = [c for c in cohorts.columns if c != "size"]
    ctx.header(ws, row + 1, [ctx.ui("cohort"), size_label, *[f"M{a}" for a in ages]])
    for i, (cohort, values) in enumerate(cohorts.iterrows()):
        r = row + 2 + i
        start = cohort if isinstance(cohort, pd.Period) else pd.Period(str(cohort), "M")
        ws.cell(row=r, column=1, value=start.to_timestamp().to_pydatetime()).number_format = "yyyy-mm"
        ws.cell(row=r, column=2, value=float(values["size"])).number_format = size_fmt
        for j, age in enumerate(ages, start=3):
            value = values[age]
            if not (isinstance(value, float) and math.isnan(value)):
                ws.cell(row=r, column=j, value=float(value)).number_format = "0%"
    end = row + 1 + len(cohorts)
    if len(cohorts):
        area = f"C{row + 2}:{get_column_letter(len(ages) + 2)}{end}"
        # above 100 % (expansion beyond the cohort's start) has its own colour; added first, so it wins
        top_left = area.split(":")[0]
        ws.conditional_formatting.add(
            area,
            FormulaRule(
                formula=[f"AND(ISNUMBER({top_left}),{top_left}>1)"], fill=PatternFill("solid", bgColor=ABOVE_100)
            ),
        )
        ws.conditional_formatting.add(
            area,
            ColorScaleRule(
                start_type="num",
                start_value=COHORT_SCALE[0][0],
                start_color=COHORT_SCALE[0][1],
                mid_type="num",
                mid_value=COHORT_SCALE[1][0],
                mid_color=COHORT_SCALE[1][1],
                end_type="num",
                end_value=COHORT_SCALE[2][0],
                end_color=COHORT_SCALE[2][1],
            ),
        )
        for j in range(3, len(ages) + 3):
            ws.column_dimensions[get_column_letter(j)].width = max(
                ws.column_dimensions[get_column_letter(j)].width or 0, 6
            )
    return end
