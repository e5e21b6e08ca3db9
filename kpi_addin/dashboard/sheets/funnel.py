"""Funnel: the stages and conversions by month, and the latest month's funnel with its chart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from ..cells import put_text
from ..expr import Expr
from . import charts
from .common import Context, number_format
from .inputs import InputsByMonth
from .monthly import MonthlyTable
from .view import Column, MonthlyView, build_view, kpi_columns

STAGES = ("visitors", "leads", "mql", "sql", "new_customers")


@dataclass
class FunnelSheet:
    view: MonthlyView
    stages: charts.Block  # the latest month's stages (the funnel chart's data)


def conversion(monthly: MonthlyTable, converted: str, entered: str) -> Callable[[int], Expr]:
    """Month i's share of ``entered`` that reached ``converted``."""
    return lambda i: monthly.ref(converted, i) / monthly.ref(entered, i)


def build(ctx: Context, monthly: MonthlyTable, inputs: InputsByMonth) -> FunnelSheet:
    extras = ctx.report.extras
    count = number_format("count", ctx.currency)
    report_inputs = ctx.report.inputs

    def counted(column: str) -> Column:
        return Column(column, ctx.ui(column), count, lambda i: inputs.ref(column, i), report_inputs[column])

    columns = [
        *kpi_columns(ctx, monthly, ["visitors"]),
        counted("contacts"),
        *kpi_columns(ctx, monthly, ["leads", "mql"]),
        counted("sal"),
        *kpi_columns(ctx, monthly, ["sql"]),
        counted("pql"),
        counted("pql_converted"),
    ]
    for name, (converted, entered) in (
        ("visitor_to_lead", ("leads", "visitors")),
        ("lead_to_mql", ("mql", "leads")),
        ("mql_to_sql", ("sql", "mql")),
        ("lead_to_customer", ("new_customers", "leads")),
    ):
        columns.append(
            Column(
                name,
                ctx.ui(name),
                "0.00%",
                conversion(monthly, converted, entered),
                extras[name],
            )
        )
    columns += kpi_columns(ctx, monthly, ["ccr", "pql_conversion"])
    view = build_view(ctx, "funnel", columns)
    ws = view.ws
    # the latest month's funnel, for the chart
    row = view.last_row + 3
    ctx.section(ws, row, ctx.ui("latest_funnel"))
    ctx.header(ws, row + 1, [ctx.ui("stage"), ctx.ui("count")])
    for i, key in enumerate(STAGES):
        r = row + 2 + i
        put_text(ws.cell(row=r, column=1), ctx.lang.label(key))
        ctx.book.formula(ws, f"B{r}", monthly.latest(key), ctx.report.monthly[key].iloc[-1], "#,##0")
    ws.column_dimensions["A"].width = 16  # the stages' labels sit under the months
    latest = [ctx.report.monthly[key].iloc[-1] for key in STAGES[:-1]]
    has_data = any(v == v and v > 0 for v in latest)  # the funnel inputs, not only the new customers
    stages = charts.Block(ws, row + 2, row + 1 + len(STAGES), has_data)
    beside = get_column_letter(view.width + 2)
    sources = charts.ChartSources(monthly, funnel_stages=stages)
    charts.place(ctx, ws, "funnel", sources.chart(ctx, "funnel"), f"{beside}{view.header_row}")
    return FunnelSheet(view, stages)
