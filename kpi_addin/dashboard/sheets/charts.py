"""The dashboard's charts, drawn from the anchors of the sheets that hold their data.

Colours carry meaning and are set explicitly (the theme's cycle would make the second
series red and the third green): gains green or blue and above zero, losses red and
below zero; NPS promoters green, passives grey, detractors red.  Money axes are scaled
by magnitude (``$80k``, ``$1.2M``).  A chart with nothing to show is replaced by a framed
"no data for this chart" note of the same size, never drawn empty.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.marker import DataPoint, Marker
from openpyxl.chart.series import SeriesLabel, StrRef
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.text import CharacterProperties, Font, Paragraph, ParagraphProperties, RegularTextRun
from openpyxl.styles import Alignment, Border, Side
from openpyxl.styles import Font as CellFont
from openpyxl.utils import column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.worksheet import Worksheet

from ...metrics.currency import CURRENCY_SYMBOLS
from ..cells import put_text
from .common import Context
from .monthly import MonthlyTable
from .view import MonthlyView

#: Semantic colours (hex RGB), one name per meaning; tests pin them in the chart XML.
COLOURS = {
    "mrr": "1F3864",  # navy: the level of the business
    "target": "BF9000",  # amber, dashed (grey would vanish on a gridline)
    "new": "2F5597",  # blue: a gain
    "expansion": "548235",  # green: a gain
    "reactivation": "9DC3E6",  # light blue: a gain
    "fx": "A6A6A6",  # grey: the currency, not the customers (either sign)
    "contraction": "E06666",  # light red: a loss
    "churned": "C00000",  # red: a loss
    "customers": "9DC3E6",
    "churn_rate": "C00000",
    "funnel": "2F5597",
    "promoters": "548235",
    "passives": "A6A6A6",
    "detractors": "C00000",
    "nps": "2F5597",
    "ltv_cac": "2F5597",
    "cac_payback": "7F6000",
    "increase": "548235",
    "decrease": "C00000",
    "total": "1F3864",
}
#: Chart sizes (cm): every chart of a page takes one of these, so they line up.
#: The height of one row (20 px) in cm, and the colour of a printed chart's title.
ROW_CM, TITLE_COLOUR = 20 / 37.8, "1F3864"
#: Segment colours, largest segment first; "(other)" is grey.
SEGMENT_COLOURS = ("1F3864", "2F5597", "9DC3E6", "548235", "A9D18E", "BF9000", "7030A0", "C55A11")
SEGMENT_OTHER = "BFBFBF"
SIZES = {"summary": (10.7, 7.4), "sheet": (16.0, 8.5), "pack": (10.3, 6.0), "pack_narrow": (6.2, 5.6)}
#: Rows and columns one chart of each size spans on a sheet of default cell sizes.
ROWS_PER_CHART = {"summary": 15, "sheet": 18, "pack": 12, "pack_narrow": 11}


@dataclass
class Block:
    """A small label/value table on a sheet: labels in column A, values in B, rows first..last."""

    ws: Worksheet
    first: int
    last: int
    has_data: bool = True
    peaks: tuple[float, ...] = ()  # the largest values the chart reaches (for its axis format)


@dataclass
class ChartSources:
    """What the Summary's charts are drawn from (the report sheets' anchors)."""

    monthly: MonthlyTable
    revenue: MonthlyView | None = None
    funnel_stages: Block | None = None
    nps_split: Block | None = None
    arr_bridge: Block | None = None
    unit_economics: MonthlyView | None = None
    nps: MonthlyView | None = None
    mrr_target: int | None = None  # the Revenue sheet's column of the MRR target, if any

    def chart(self, ctx: Context, kind: str) -> ChartBase | None:
        return CHARTS[kind](ctx, self)


T = TypeVar("T")


def need(value: T | None, what: str) -> T:
    """A chart's source, which the sheet drawing it must have given."""
    if value is None:
        raise ValueError(f"this chart needs the {what} anchors")
    return value


def money_axis(ctx: Context, values: Iterable[float]) -> str:
    """A money axis format by magnitude: ``$#,##0,,"M"`` from a million, ``$#,##0,"k"`` from ten thousand."""
    finite = [abs(v) for v in values if v is not None and not math.isnan(v)]
    top = max(finite, default=0.0)
    symbol = CURRENCY_SYMBOLS.get(ctx.currency)
    if top >= 1e6:
        scaled = '#,##0.0,,"M"' if top < 1e7 else '#,##0,,"M"'
    elif top >= 1e4:
        scaled = '#,##0,"k"'
    else:
        scaled = "#,##0"
    if symbol:
        return f'"{symbol}"{scaled};-"{symbol}"{scaled}'
    return f'{scaled} "{ctx.currency}"'


def fill(series: Any, colour: str) -> None:
    series.graphicalProperties = GraphicalProperties(solidFill=colour)
    series.graphicalProperties.line = LineProperties(solidFill=colour)


def stroke(series: Any, colour: str, *, dashed: bool = False, width: int = 28575) -> None:
    line = LineProperties(solidFill=colour, w=width, prstDash="dash" if dashed else "solid")
    series.graphicalProperties = GraphicalProperties(ln=line)
    series.smooth = False
    series.marker = Marker(symbol="none")


def labels(*, value: bool = False, percent: bool = False) -> DataLabelList:
    """Data labels showing only the value or only the percentage (not the series and category names)."""
    return DataLabelList(
        showVal=value,
        showPercent=percent,
        showCatName=False,
        showSerName=False,
        showLegendKey=False,
        showLeaderLines=False,
    )


def title(text: str, size: int = 1100, font: str | None = None) -> Title:
    """A chart title in bold at ``size`` hundredths of a point (the default 14 pt crowds a small chart),
    in ``font`` for East Asian text when given."""
    face = Font(typeface=font) if font else None

    def props() -> CharacterProperties:
        return CharacterProperties(sz=size, b=True, ea=face, latin=face)

    run = RegularTextRun(rPr=props(), t=text)
    paragraph = Paragraph(pPr=ParagraphProperties(defRPr=props()), r=[run])
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def _ref(ws: Worksheet, col: int, first: int, last: int) -> Reference:
    return Reference(ws, min_col=col, min_row=first, max_row=last)


def mrr_trend(ctx: Context, sources: ChartSources) -> ChartBase:
    monthly = sources.monthly
    sheet, col, header, last = monthly.column_range("mrr", with_header=True)
    chart = LineChart()
    chart.add_data(_ref(sheet, col, header + 1, last))
    chart.series[0].tx = SeriesLabel(v=ctx.lang.label("mrr"))
    stroke(chart.series[0], COLOURS["mrr"])
    revenue = need(sources.revenue, "revenue")
    if sources.mrr_target is not None:
        chart.add_data(
            _ref(revenue.ws, sources.mrr_target, revenue.header_row, revenue.last_row), titles_from_data=True
        )
        stroke(chart.series[1], COLOURS["target"], dashed=True, width=25400)
        chart.legend.position = "b"
    else:
        chart.legend = None
    chart.set_categories(_ref(sheet, 1, header + 1, last))
    chart.y_axis.number_format = money_axis(ctx, ctx.report.monthly["mrr"])
    return chart


MOVEMENTS = (
    ("new_mrr", "new"),
    ("expansion_mrr", "expansion"),
    ("reactivation_mrr", "reactivation"),
    ("fx_mrr", "fx"),
    ("contraction_negative", "contraction"),
    ("churn_negative", "churned"),
)


def mrr_movements(ctx: Context, sources: ChartSources) -> ChartBase:
    revenue = need(sources.revenue, "revenue")
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "col", "stacked", 100, 60
    # the opening month is the book the ledger opened with, not a month's movements: left out,
    # or its "new MRR" bar (the whole book) would flatten every real month
    skip = 1 if ctx.report.opening_month is not None and ctx.n > 1 else 0
    first = revenue.first_row + skip
    # new, expansion, reactivation above zero; FX impact on either side; contraction (−) and churned (−) below
    for id, colour in MOVEMENTS:
        column = revenue.columns[id]
        chart.add_data(_ref(revenue.ws, column, first, revenue.last_row))
        header = revenue.ws.cell(row=revenue.header_row, column=column).value
        chart.series[-1].tx = SeriesLabel(v=str(header))
        fill(chart.series[-1], COLOURS[colour])
    chart.set_categories(_ref(revenue.ws, 1, first, revenue.last_row))
    m = ctx.report.monthly.iloc[skip:]
    gains = m["new_mrr"] + m["expansion_mrr"] + m["reactivation_mrr"] + m["fx_mrr"].clip(lower=0)
    losses = m["contraction_mrr"] + m["churned_mrr"] - m["fx_mrr"].clip(upper=0)
    chart.y_axis.number_format = money_axis(ctx, [*gains, *losses])
    chart.x_axis.tickLblPos = "low"  # month labels under the negative bars, not on zero
    chart.legend.position = "b"
    return chart


def customers_churn(ctx: Context, sources: ChartSources) -> ChartBase:
    monthly = sources.monthly
    # from the second month on: the first month has no start, so no churn rate
    start = 1 if ctx.n > 1 else 0
    chart = BarChart()
    sheet, col, first, last = monthly.column_range("customers", start)
    chart.add_data(_ref(sheet, col, first, last))
    chart.series[0].tx = SeriesLabel(v=ctx.lang.label("customers"))
    fill(chart.series[0], COLOURS["customers"])
    chart.set_categories(_ref(sheet, 1, first, last))
    chart.y_axis.number_format = "#,##0"
    line = LineChart()
    sheet, col, first, last = monthly.column_range("customer_churn_rate", start)
    line.add_data(_ref(sheet, col, first, last))
    line.series[0].tx = SeriesLabel(v=ctx.lang.label("customer_churn_rate"))
    stroke(line.series[0], COLOURS["churn_rate"])
    return _with_right_axis(chart, line, "0.0%")


def _with_right_axis(chart: BarChart, line: LineChart, number_format: str) -> BarChart:
    """Columns on the left axis with a line over them on its own axis at the right, legend below."""
    line.y_axis.axId = 200
    line.y_axis.number_format = number_format
    line.y_axis.crosses = "max"
    line.y_axis.delete = False
    line.y_axis.majorGridlines = None
    chart += line
    chart.legend.position = "b"
    return chart


def funnel(ctx: Context, sources: ChartSources) -> ChartBase | None:
    block = need(sources.funnel_stages, "funnel")
    if not block.has_data:
        return None
    chart = BarChart()
    chart.type = "bar"
    chart.add_data(_ref(block.ws, 2, block.first, block.last))
    chart.series[0].tx = SeriesLabel(v=ctx.ui("count"))
    fill(chart.series[0], COLOURS["funnel"])
    chart.series[0].dLbls = labels(value=True)
    chart.set_categories(_ref(block.ws, 1, block.first, block.last))
    chart.y_axis.scaling.logBase = 10
    chart.y_axis.number_format = "#,##0"
    chart.y_axis.title = ctx.ui("log_scale")
    chart.x_axis.scaling.orientation = "maxMin"  # the widest stage on top
    chart.legend = None
    return chart


def nps_split(ctx: Context, sources: ChartSources) -> ChartBase | None:
    block = need(sources.nps_split, "NPS")
    if not block.has_data:
        return None
    chart = PieChart()
    chart.add_data(_ref(block.ws, 2, block.first, block.last))
    chart.series[0].tx = SeriesLabel(v=ctx.ui("answers"))
    for i, part in enumerate(("promoters", "passives", "detractors")):
        chart.series[0].dPt.append(DataPoint(idx=i, spPr=GraphicalProperties(solidFill=COLOURS[part])))
    chart.series[0].dLbls = labels(percent=True)
    chart.set_categories(_ref(block.ws, 1, block.first, block.last))
    chart.legend.position = "r"
    return chart


def nps_trend(ctx: Context, sources: ChartSources) -> ChartBase | None:
    view = need(sources.nps, "NPS")
    if ctx.report.monthly["nps"].isna().all():
        return None
    chart = LineChart()
    chart.add_data(_ref(view.ws, view.columns["nps"], view.header_row, view.last_row), titles_from_data=True)
    stroke(chart.series[0], COLOURS["nps"])
    chart.set_categories(_ref(view.ws, 1, view.first_row, view.last_row))
    chart.y_axis.number_format = "0"
    chart.legend = None
    return chart


def unit_economics(ctx: Context, sources: ChartSources) -> ChartBase | None:
    """LTV:CAC (bars, left axis) and CAC payback in months (line, right axis) over time."""
    view = need(sources.unit_economics, "unit economics")
    m = ctx.report.monthly
    if m["ltv_cac"].isna().all() and m["cac_payback_months"].isna().all():
        return None
    chart = BarChart()
    chart.add_data(_ref(view.ws, view.columns["ltv_cac"], view.header_row, view.last_row), titles_from_data=True)
    fill(chart.series[0], COLOURS["ltv_cac"])
    chart.set_categories(_ref(view.ws, 1, view.first_row, view.last_row))
    chart.y_axis.number_format = '0.0"x"'
    line = LineChart()
    line.add_data(
        _ref(view.ws, view.columns["cac_payback_months"], view.header_row, view.last_row), titles_from_data=True
    )
    stroke(line.series[0], COLOURS["cac_payback"])
    return _with_right_axis(chart, line, "0")


def arr_bridge(ctx: Context, sources: ChartSources) -> ChartBase:
    """A waterfall of stacked columns: an invisible base, then the step (green up, red down, navy totals)."""
    block = need(sources.arr_bridge, "ARR bridge")
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "col", "stacked", 100, 50
    for col, colour in ((3, None), (4, "total"), (5, "increase"), (6, "decrease")):
        chart.add_data(_ref(block.ws, col, block.first - 1, block.last), titles_from_data=True)
        series = chart.series[-1]
        if colour is None:
            series.graphicalProperties = GraphicalProperties(noFill=True)
            series.graphicalProperties.line = LineProperties(noFill=True)
        else:
            fill(series, COLOURS[colour])
    chart.set_categories(_ref(block.ws, 1, block.first, block.last))
    chart.y_axis.number_format = money_axis(ctx, block.peaks or tuple(ctx.report.monthly["arr"]))
    chart.legend = None
    return chart


CHARTS: dict[str, Callable[[Context, ChartSources], ChartBase | None]] = {
    "mrr_trend": mrr_trend,
    "mrr_movements": mrr_movements,
    "customers_churn": customers_churn,
    "funnel": funnel,
    "nps_split": nps_split,
    "nps_trend": nps_trend,
    "unit_economics": unit_economics,
    "arr_bridge": arr_bridge,
}


def place(ctx: Context, ws: Worksheet, kind: str, chart: ChartBase | None, anchor: str, size: str = "sheet") -> None:
    """Title, size and axes of ``chart``, then put it on ``ws`` at ``anchor``; a note if there is no chart."""
    width, height = SIZES[size]
    last_col, last_row = span(ws, anchor, width, height)
    seen = ctx.extents.get(ws.title, (0, 0))
    ctx.extents[ws.title] = (max(seen[0], last_col), max(seen[1], last_row))
    on_page = size.startswith("pack")
    if on_page:
        # A printed page's chart title is a cell above the chart, in the same space: LibreOffice,
        # which renders the PDF, puts gaps between Hangul and Latin letters in a chart's title.
        letter, row = coordinate_from_string(anchor)
        put_text(ws[anchor], ctx.lang.charts[kind])
        ws[anchor].font = CellFont(bold=True, size=11, color=TITLE_COLOUR)
        anchor, height = f"{letter}{row + 1}", height - ROW_CM
    if chart is None:
        no_data(ctx, ws, kind, anchor, width, height)
        return
    chart.title = None if on_page else title(ctx.lang.charts[kind], 1100 if size == "summary" else 1200, ctx.font)
    chart.width, chart.height = width, height
    if not isinstance(chart, PieChart):
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        for series in chart.series:
            series.smooth = False
    ws.add_chart(chart, anchor)


def span(ws: Worksheet, anchor: str, width_cm: float, height_cm: float) -> tuple[int, int]:
    """The last column and row a chart of this size anchored at ``anchor`` covers."""
    letter, row = coordinate_from_string(anchor)
    first = column_index_from_string(letter)
    # columns: a width of w characters is about 7w + 5 px; 1 cm ≈ 37.8 px; rows 20 px
    px, col = 0.0, first
    while px < width_cm * 37.8 - 16:
        dimension = ws.column_dimensions.get(get_column_letter(col))
        w = dimension.width if dimension is not None and dimension.width else 8.43
        px += w * 7 + 5
        col += 1
    return max(first, col - 1), row + max(2, round(height_cm * 37.8 / 20)) - 1


def no_data(ctx: Context, ws: Worksheet, kind: str, anchor: str, width_cm: float, height_cm: float) -> None:
    """A framed note the size of the chart: its title and "no data for this chart"."""
    letter, row = coordinate_from_string(anchor)
    first = column_index_from_string(letter)
    last_col, last_row = span(ws, anchor, width_cm, height_cm)
    rows = last_row - row + 1
    ws.merge_cells(start_row=row, start_column=first, end_row=row + rows - 1, end_column=last_col)
    cell = ws.cell(row=row, column=first)
    put_text(cell, f"{ctx.lang.charts[kind]}\n\n{ctx.ui('no_chart_data')}")
    cell.font = CellFont(italic=True, color="7F7F7F", size=11)
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    side = Side(style="thin", color="BFBFBF")
    for r in range(row, row + rows):
        for c in range(first, last_col + 1):
            ws.cell(row=r, column=c).border = Border(
                left=side if c == first else None,
                right=side if c == last_col else None,
                top=side if r == row else None,
                bottom=side if r == row + rows - 1 else None,
            )


def stacked_by_segment(
    ctx: Context, ws: Worksheet, col0: int, head: int, last: int, series: int, other: bool, first: int | None = None
) -> BarChart:
    """Stacked columns of MRR by segment: series in columns ``col0 + 1 ..``, headers on ``head``,
    months in ``col0`` from ``first`` (default the row under the header) to ``last``."""
    first = head + 1 if first is None else first
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "col", "stacked", 100, 60
    for k in range(1, series + 1):
        chart.add_data(Reference(ws, min_col=col0 + k, min_row=first, max_row=last))
        chart.series[-1].tx = SeriesLabel(
            strRef=StrRef(f"{quote_sheetname(ws.title)}!${get_column_letter(col0 + k)}${head}")
        )
        colour = SEGMENT_OTHER if other and k == series else SEGMENT_COLOURS[(k - 1) % len(SEGMENT_COLOURS)]
        fill(chart.series[-1], colour)
    chart.set_categories(Reference(ws, min_col=col0, min_row=first, max_row=last))
    chart.x_axis.number_format = "mmm yy"
    chart.y_axis.number_format = money_axis(ctx, ctx.report.monthly["mrr"])
    chart.y_axis.scaling.min = 0
    chart.legend.position = "b"
    return chart
