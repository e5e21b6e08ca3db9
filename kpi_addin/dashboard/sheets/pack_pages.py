"""The board pack's detail pages: revenue, retention, unit economics, funnel and NPS.

Each page is one landscape page laid out by :mod:`.page`: headline tiles, the last
thirteen months (never the opening month) of the figures a board reads on that subject,
and two charts drawn from the page's own table, so the charts and the table show the same
series and window as the Summary's headline (trailing churn, LTV:CAC on trailing churn and
CAC, payback on trailing CAC).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart._chart import ChartBase
from openpyxl.chart.series import SeriesLabel
from openpyxl.worksheet.worksheet import Worksheet

from ..expr import Expr
from . import charts
from .common import Context
from .monthly import MonthlyTable
from .page import (
    HELPER_COLUMN,
    Page,
    PageColumn,
    change_text,
    kpi_unit,
    month_title,
    page_months,
    unit_format,
)
from .summary import on_margin

#: Each detail page: (page key, headline KPIs, table KPIs, charts as (title key, [(KPI, colour, axis)], kind)).
ChartSpec = tuple[str, Sequence[tuple[str, str, str]], str]


@dataclass(frozen=True)
class DetailPage:
    key: str
    tiles: tuple[str, ...]
    table: tuple[str, ...]
    charts: tuple[ChartSpec, ...]


DETAIL_PAGES = (
    DetailPage(
        "pack_revenue",
        ("mrr", "arr", "mrr_growth_mom", "mrr_growth_yoy"),
        (
            "mrr",
            "new_mrr",
            "expansion_mrr",
            "reactivation_mrr",
            "fx_mrr",
            "contraction_mrr",
            "churned_mrr",
            "net_new_mrr",
            "mrr_growth_mom",
        ),
        (
            ("mrr_trend", (("mrr", "mrr", "left"),), "line"),
            (
                "mrr_movements",
                (
                    ("new_mrr", "new", "up"),
                    ("expansion_mrr", "expansion", "up"),
                    ("reactivation_mrr", "reactivation", "up"),
                    ("contraction_mrr", "contraction", "down"),
                    ("churned_mrr", "churned", "down"),
                ),
                "stacked",
            ),
        ),
    ),
    DetailPage(
        "pack_retention",
        ("customers", "customer_churn_rate_3m", "nrr_12m", "grr_12m"),
        (
            "customers",
            "new_customers",
            "churned_customers",
            "customer_churn_rate_3m",
            "revenue_churn_rate_3m",
            "nrr_12m",
            "grr_12m",
            "logo_retention_12m",
        ),
        (
            (
                "pack_churn_trailing",
                (("customer_churn_rate_3m", "churn_rate", "left"), ("revenue_churn_rate_3m", "contraction", "left")),
                "line",
            ),
            ("pack_retention_12m", (("nrr_12m", "mrr", "left"), ("grr_12m", "new", "left")), "line"),
        ),
    ),
    DetailPage(
        "pack_unit_economics",
        ("arpu", "ltv_trailing", "cac_trailing", "ltv_cac_trailing", "cac_payback_trailing"),
        ("arpu", "ltv_trailing", "cac_trailing", "ltv_cac_trailing", "cac_payback_trailing", "saas_quick_ratio", "cts"),
        (
            ("pack_ltv_cac", (("ltv_cac_trailing", "ltv_cac", "left"),), "line"),
            ("pack_payback", (("cac_payback_trailing", "cac_payback", "left"),), "line"),
        ),
    ),
    DetailPage(
        "pack_funnel",
        ("visitors", "leads", "sql", "new_customers", "nps_3m"),
        ("visitors", "leads", "mql", "sql", "new_customers", "ccr", "nps_3m", "nps_answers_3m"),
        (
            (
                "pack_stage_conversion",
                (
                    ("lead_to_mql", "new", "left"),
                    ("mql_to_sql", "expansion", "left"),
                    ("sql_to_customer", "mrr", "left"),
                ),
                "line",
            ),
            ("pack_nps_3m", (("nps_3m", "nps", "left"),), "line"),
        ),
    ),
    DetailPage(
        "pack_cash",
        ("cash_balance", "burn_3m", "runway_months", "burn_multiple", "rule_of_40"),
        (
            "cash_balance",
            "net_burn",
            "burn_3m",
            "runway_months",
            "burn_multiple",
            "gross_margin",
            "rule_of_40",
            "ltv_cac_gm_trailing",
        ),
        (
            ("pack_cash_balance", (("cash_balance", "mrr", "left"),), "line"),
            ("pack_burn", (("burn_3m", "churned", "left"),), "line"),
        ),
    ),
)
#: A chart's title when its series are shown on gross margin (:func:`.summary.on_margin`).
MARGIN_TITLES = {"pack_ltv_cac": "pack_ltv_cac_gm"}
#: Pages shown only when their input is there: the page key → the input column it needs.
NEEDS_INPUT = {"pack_cash": "cash"}
#: Stage-to-stage conversions the funnel page draws: (id, numerator, denominator) of the month.
CONVERSIONS = {
    "lead_to_mql": ("mql", "leads"),
    "mql_to_sql": ("sql", "mql"),
    "sql_to_customer": ("new_customers", "sql"),
}
MOVEMENT_KEYS = ("new_mrr", "expansion_mrr", "reactivation_mrr", "fx_mrr", "contraction_mrr", "churned_mrr")


def series_of(ctx: Context, monthly: MonthlyTable, key: str) -> tuple[list[Expr], list[float], str]:
    """Per month of the report: the formula, the library's value and the unit of a page figure."""
    values = ctx.report.monthly
    n = ctx.n
    if key == "net_new_mrr":

        def net(i: int) -> Expr:
            r = monthly.ref
            return (
                r("new_mrr", i)
                + r("expansion_mrr", i)
                + r("reactivation_mrr", i)
                + r("fx_mrr", i)
                - r("contraction_mrr", i)
                - r("churned_mrr", i)
            )

        return [net(i) for i in range(n)], list(ctx.report.extras["net_new_mrr"]), "money"
    if key in CONVERSIONS:
        top, bottom = CONVERSIONS[key]
        rates = (values[top] / values[bottom].where(values[bottom] != 0)).tolist()
        return [monthly.ref(top, i) / monthly.ref(bottom, i) for i in range(n)], rates, "rate"
    return [monthly.ref(key, i) for i in range(n)], [float(v) for v in values[key]], kpi_unit(key)


def label_of(ctx: Context, key: str) -> str:
    if key in ctx.lang.kpis:
        return ctx.lang.label(key)
    return ctx.ui(key)


def build(ctx: Context, monthly: MonthlyTable) -> dict[str, Page]:
    pages = {}
    for spec in DETAIL_PAGES:
        if spec.key in ctx.sheets:
            pages[spec.key] = detail_page(ctx, monthly, spec)
            needed = NEEDS_INPUT.get(spec.key)
            costs = ctx.data.costs
            if needed and (costs is None or needed not in costs or costs[needed].isna().all()):
                ctx.sheets[spec.key].sheet_state = "hidden"  # no cash in the input: nothing to print
                ctx.unprinted.add(spec.key)
    return pages


def chart_on_margin(ctx: Context, chart: ChartSpec) -> ChartSpec:
    """A chart's series (and title) on gross margin when the Summary shows them so."""
    title, lines, kind = chart
    keys = [key for key, _colour, _axis in lines]
    shown = on_margin(ctx, keys)
    if shown == keys:
        return chart
    return MARGIN_TITLES.get(title, title), [(k, c, a) for k, (_key, c, a) in zip(shown, lines, strict=True)], kind


def detail_page(ctx: Context, monthly: MonthlyTable, spec: DetailPage) -> Page:
    # the Summary's LTV and LTV:CAC: on gross margin when COGS are given
    on_gm = tuple(chart_on_margin(ctx, chart) for chart in spec.charts)
    spec = DetailPage(spec.key, tuple(on_margin(ctx, spec.tiles)), tuple(on_margin(ctx, spec.table)), on_gm)
    ws = ctx.sheets[spec.key]
    page = Page(ctx, ws)
    as_of = ctx.report.as_of
    page.title(f"{ctx.ui('title_' + spec.key)} — {month_title(as_of, ctx.lang.code)}", ctx.subtitle())
    months = page_months(ctx)
    last = ctx.n - 1
    tiles = []
    for key in spec.tiles:
        formulas, values, unit = series_of(ctx, monthly, key)
        back = 12 if unit in ("money", "count") and key not in ("mrr_growth_mom",) else 1
        change = ""
        if last - back >= 0:
            change = change_text(
                ctx, values[last], values[last - back], unit, ctx.ui("pack_yoy" if back == 12 else "pack_mom")
            )
        fmt = unit_format(ctx, unit, values[last:])
        tiles.append((label_of(ctx, key), formulas[last], values[last], fmt, change))
    page.tiles(tiles)
    columns: list[PageColumn] = []
    helpers: list[tuple[str, PageColumn]] = []
    for key in spec.table:
        formulas, values, unit = series_of(ctx, monthly, key)
        columns.append(PageColumn(label_of(ctx, key), unit, [formulas[i] for i in months], [values[i] for i in months]))
    # every charted series also goes to a helper column outside the print area, as a plain
    # formula: an undefined month is #N/A there (a gap in the chart), never a printed "n/a" drawn as 0
    for _title, lines, _kind in spec.charts:
        for key, _colour, axis in lines:
            formulas, values, unit = series_of(ctx, monthly, key)
            sign = -1.0 if axis == "down" else 1.0
            signed = [(-formulas[i] if sign < 0 else formulas[i]) for i in months]
            column = PageColumn(label_of(ctx, key), unit, signed, [sign * values[i] for i in months], helper=True)
            helpers.append((key, column))
    rows = [(monthly.month(i), ctx.months[i].to_timestamp().to_pydatetime(), "mmm yyyy") for i in months]
    top = page.table(rows, [*columns, *(c for _k, c in helpers)])
    where = {key: 2 + j for j, key in enumerate(spec.table)}
    for k, (key, _c) in enumerate(helpers):
        where[f"helper:{key}"] = HELPER_COLUMN + k
    first, last_row = top + 1, top + len(months)
    anchor_row = page.row
    for c, (title, lines, kind) in enumerate(spec.charts):
        drawn = []
        axis_values: list[float] = []
        unit = "rate"
        for key, colour, axis in lines:
            _formulas, series, unit = series_of(ctx, monthly, key)
            shown = [series[i] for i in months]
            axis_values += [-v for v in shown] if axis == "down" else shown
            drawn.append((where[f"helper:{key}"], label_of(ctx, key), colour))
        has_data = any(v == v for v in axis_values)  # nan != nan
        chart = (
            page_chart(ctx, ws, drawn, kind, first, last_row, axis_format(ctx, unit, axis_values)) if has_data else None
        )
        if chart is not None and kind == "line" and all(v >= 0 for v in axis_values if v == v):
            chart.y_axis.scaling.min = 0  # a level drawn from its zero, not from a cut-off axis
        anchor = f"{'A' if c == 0 else 'F'}{anchor_row}"
        charts.place(ctx, ws, title, chart, anchor, "pack")
        page.charts_at.append(charts.span(ws, anchor, *charts.SIZES["pack"])[1])
    page.finish()
    return page


def page_chart(
    ctx: Context, ws: Worksheet, drawn: list[tuple[int, str, str]], kind: str, first: int, last: int, y_format: str
) -> ChartBase:
    """A line or stacked-column chart of the page's own table (its months are the table's)."""
    chart: BarChart | LineChart = BarChart() if kind == "stacked" else LineChart()
    if isinstance(chart, BarChart):
        chart.type, chart.grouping, chart.overlap, chart.gapWidth = "col", "stacked", 100, 60
    for col, label, colour in drawn:
        chart.add_data(Reference(ws, min_col=col, min_row=first, max_row=last))
        series = chart.series[-1]
        series.tx = SeriesLabel(v=label)
        if kind == "stacked":
            charts.fill(series, charts.COLOURS[colour])
        else:
            charts.stroke(series, charts.COLOURS[colour])
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.x_axis.number_format = "mmm yy"
    chart.x_axis.tickLblPos = "low"  # below the bars that go under zero, not across them
    chart.y_axis.number_format = y_format
    chart.y_axis.crosses = "autoZero"
    if len(drawn) > 1:
        chart.legend.position = "b"
    else:
        chart.legend = None
    return chart


def axis_format(ctx: Context, unit: str, values: list[float]) -> str:
    if unit == "money":
        return charts.money_axis(ctx, values)
    return {"rate": "0%", "ratio": '0.0"x"', "months": "0", "count": "#,##0", "score": "0"}.get(unit, "General")
