"""NPS: answers, promoters, passives, detractors and the score by month; the latest split's chart."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from ..cells import put_text
from . import charts
from .common import Context
from .inputs import InputsByMonth
from .monthly import MonthlyTable
from .view import Column, MonthlyView, build_view, kpi_columns

SPLIT = ("promoters", "passives", "detractors")


@dataclass
class NpsSheet:
    view: MonthlyView
    split: charts.Block  # the latest month's promoters, passives, detractors


def build(ctx: Context, monthly: MonthlyTable, inputs: InputsByMonth) -> NpsSheet:
    data = ctx.report.inputs
    passives = data["nps_answers"] - data["nps_promoters"] - data["nps_detractors"]
    columns = [
        Column("answers", ctx.ui("answers"), "#,##0", lambda i: inputs.ref("nps_answers", i), data["nps_answers"]),
        Column(
            "promoters", ctx.ui("promoters"), "#,##0", lambda i: inputs.ref("nps_promoters", i), data["nps_promoters"]
        ),
        Column(
            "passives",
            ctx.ui("passives"),
            "#,##0",
            lambda i: inputs.ref("nps_answers", i) - inputs.ref("nps_promoters", i) - inputs.ref("nps_detractors", i),
            passives,
        ),
        Column(
            "detractors",
            ctx.ui("detractors"),
            "#,##0",
            lambda i: inputs.ref("nps_detractors", i),
            data["nps_detractors"],
        ),
        *kpi_columns(ctx, monthly, ["nps"]),
    ]
    view = build_view(ctx, "nps", columns)
    ws = view.ws
    row = view.last_row + 3
    ctx.section(ws, row, ctx.ui("nps_split"))
    expected = {"promoters": data["nps_promoters"], "passives": passives, "detractors": data["nps_detractors"]}
    for i, part in enumerate(SPLIT):
        r = row + 1 + i
        put_text(ws.cell(row=r, column=1), ctx.ui(part))
        latest = view.ref(part, ctx.n - 1, local=ws)
        ctx.book.formula(ws, f"B{r}", latest, expected[part].iloc[-1], "#,##0")
    answers = data["nps_answers"].iloc[-1]
    ws.column_dimensions["A"].width = 18  # the split's labels sit under the months
    split = charts.Block(ws, row + 1, row + len(SPLIT), bool(answers == answers and answers > 0))
    sources = charts.ChartSources(monthly, nps_split=split, nps=view)
    beside = get_column_letter(view.width + 2)
    step = charts.ROWS_PER_CHART["sheet"]
    charts.place(ctx, ws, "nps_split", sources.chart(ctx, "nps_split"), f"{beside}{view.header_row}")
    charts.place(ctx, ws, "nps_trend", sources.chart(ctx, "nps_trend"), f"{beside}{view.header_row + step}")
    return NpsSheet(view, split)
