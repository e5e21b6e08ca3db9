"""Revenue: MRR, ARR and the MRR movements by month, with the MRR trend and movements charts."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from . import charts
from .common import Context
from .monthly import MonthlyTable
from .view import Column, MonthlyView, build_view, kpi_columns


def build(ctx: Context, monthly: MonthlyTable) -> MonthlyView:
    money = ctx.money()
    extras = ctx.report.extras
    m = monthly.ref
    columns = kpi_columns(
        ctx, monthly, ["mrr", "arr", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr"]
    )
    columns.append(
        Column(
            "net_new_mrr",
            ctx.ui("net_new_mrr"),
            money,
            lambda i: (
                m("new_mrr", i)
                + m("expansion_mrr", i)
                + m("reactivation_mrr", i)
                - m("contraction_mrr", i)
                - m("churned_mrr", i)
            ),
            extras["net_new_mrr"],
        )
    )
    # the movement chart stacks losses below zero
    columns.append(
        Column(
            "contraction_negative",
            ctx.ui("contraction_negative"),
            money,
            lambda i: -m("contraction_mrr", i),
            -ctx.report.monthly["contraction_mrr"],
        )
    )
    columns.append(
        Column(
            "churn_negative",
            ctx.ui("churn_negative"),
            money,
            lambda i: -m("churned_mrr", i),
            -ctx.report.monthly["churned_mrr"],
        )
    )
    view = build_view(ctx, "revenue", columns)
    beside = get_column_letter(view.width + 2)
    charts.place(ctx, view.ws, "mrr_trend", charts.mrr_trend(ctx, monthly), f"{beside}4")
    charts.place(ctx, view.ws, "mrr_movements", charts.mrr_movements(ctx, view), f"{beside}20")
    return view
