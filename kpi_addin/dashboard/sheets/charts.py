"""The dashboard's charts, drawn from the anchors of the sheets that hold their data."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.series import SeriesLabel
from openpyxl.worksheet.worksheet import Worksheet

from .common import Context, number_format
from .monthly import MonthlyTable
from .view import MonthlyView


@dataclass
class Block:
    """A small label/value table on a sheet: labels in column A, values in B, rows first..last."""

    ws: Worksheet
    first: int
    last: int


@dataclass
class ChartSources:
    """What the Summary's charts are drawn from (the report sheets' anchors)."""

    monthly: MonthlyTable
    revenue: MonthlyView
    funnel_stages: Block
    nps_split: Block

    def chart(self, ctx: Context, kind: str) -> ChartBase:
        return {
            "mrr_trend": lambda: mrr_trend(ctx, self.monthly),
            "mrr_movements": lambda: mrr_movements(ctx, self.revenue),
            "customers_churn": lambda: customers_churn(ctx, self.monthly),
            "funnel": lambda: funnel(ctx, self.funnel_stages),
            "nps_split": lambda: nps_split(ctx, self.nps_split),
        }[kind]()


def mrr_trend(ctx: Context, monthly: MonthlyTable) -> ChartBase:
    sheet, col, header, last = monthly.column_range("mrr", with_header=True)
    chart = LineChart()
    chart.add_data(Reference(sheet, min_col=col, min_row=header, max_row=last), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=last))
    chart.y_axis.number_format = number_format("money", ctx.currency)
    chart.legend = None
    return chart


def mrr_movements(ctx: Context, revenue: MonthlyView) -> ChartBase:
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
    # new, expansion, reactivation above zero; contraction (−) and churned (−) below
    for id in ("new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_negative", "churn_negative"):
        chart.add_data(
            Reference(revenue.ws, min_col=revenue.columns[id], min_row=revenue.header_row, max_row=revenue.last_row),
            titles_from_data=True,
        )
    chart.set_categories(Reference(revenue.ws, min_col=1, min_row=revenue.first_row, max_row=revenue.last_row))
    chart.y_axis.number_format = number_format("money", ctx.currency)
    chart.x_axis.tickLblPos = "low"  # month labels under the negative bars, not on zero
    return chart


def customers_churn(ctx: Context, monthly: MonthlyTable) -> ChartBase:
    # from the second month on: the first month has no start, so no churn rate
    start = 1 if ctx.n > 1 else 0
    chart = BarChart()
    sheet, col, first, last = monthly.column_range("customers", start)
    chart.add_data(Reference(sheet, min_col=col, min_row=first, max_row=last))
    chart.series[0].tx = SeriesLabel(v=ctx.lang.label("customers"))
    chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
    line = LineChart()
    sheet, col, first, last = monthly.column_range("customer_churn_rate", start)
    line.add_data(Reference(sheet, min_col=col, min_row=first, max_row=last))
    line.series[0].tx = SeriesLabel(v=ctx.lang.label("customer_churn_rate"))
    line.y_axis.axId = 200
    line.y_axis.number_format = "0.0%"
    line.y_axis.crosses = "max"
    line.y_axis.delete = False
    line.y_axis.majorGridlines = None
    for series in line.series:
        series.smooth = False
    chart += line
    return chart


def funnel(ctx: Context, block: Block) -> ChartBase:
    chart = BarChart()
    chart.type = "bar"
    chart.add_data(Reference(block.ws, min_col=2, min_row=block.first, max_row=block.last))
    chart.series[0].tx = SeriesLabel(v=ctx.ui("count"))
    chart.set_categories(Reference(block.ws, min_col=1, min_row=block.first, max_row=block.last))
    chart.y_axis.scaling.logBase = 10
    chart.x_axis.scaling.orientation = "maxMin"  # the widest stage on top
    chart.legend = None
    return chart


def nps_split(ctx: Context, block: Block) -> ChartBase:
    chart = PieChart()
    chart.add_data(Reference(block.ws, min_col=2, min_row=block.first, max_row=block.last))
    chart.series[0].tx = SeriesLabel(v=ctx.ui("answers"))
    chart.set_categories(Reference(block.ws, min_col=1, min_row=block.first, max_row=block.last))
    return chart


def place(
    ctx: Context, ws: Worksheet, kind: str, chart: ChartBase, anchor: str, width: float = 14.0, height: float = 8.5
) -> None:
    """Title, size and axes of ``chart``, then put it on ``ws`` at ``anchor``."""
    chart.title = ctx.lang.charts[kind]
    chart.width, chart.height = width, height
    if not isinstance(chart, PieChart):
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        for series in chart.series:
            series.smooth = False
    ws.add_chart(chart, anchor)
