"""The board pack's plan page: each planned KPI against plan — the month, the year to date and
where the year lands (actual to date + plan for the rest) — and MRR against its plan path.

Every figure is a formula over the Plan vs actual sheet, so a plan typed into its ``Plan``
table moves the page.  A variance is coloured by the KPI's direction (green only when
favourable).  Without a plan the page is not printed.
"""

from __future__ import annotations

import math

import pandas as pd
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...metrics.catalogue import COST_COLUMNS, kpi
from ...metrics.plan import plan_direction
from . import charts
from .common import Context
from .page import BOLD, HEADER, HEADER_FILL, HELPER, HELPER_COLUMN, Page, month_title, unit_format
from .plan import PlanSheet

#: The page table's figure columns: (label key, what it is).
COLUMNS = (
    ("pack_plan_month_actual", "month_actual"),
    ("pack_plan_month_plan", "month_plan"),
    ("pack_plan_variance_pct", "month_pct"),
    ("pack_plan_ytd_actual", "ytd_actual"),
    ("pack_plan_ytd_plan", "ytd_plan"),
    ("pack_plan_variance_pct", "ytd_pct"),
    ("pack_plan_fy_outlook", "fy_outlook"),
    ("pack_plan_fy_plan", "fy_plan"),
    ("pack_plan_variance_pct", "fy_pct"),
)
GOOD, BAD = "2E7D32", "C62828"


def build(ctx: Context, plan: PlanSheet) -> None:
    if "pack_plan" not in ctx.sheets:
        return
    ws = ctx.sheets["pack_plan"]
    page = Page(ctx, ws)
    as_of = ctx.report.as_of
    if plan.plan is None or plan.ws is None or plan.actual is None:
        # a board pack without a plan has no plan page (the sheet says why if someone opens it)
        page.title(f"{ctx.ui('title_pack_plan')} — {month_title(as_of, ctx.lang.code)}", ctx.subtitle())
        page.note(ctx.ui("plan_none"))
        page.finish()
        ws.sheet_state = "hidden"
        ctx.unprinted.add("pack_plan")
        return
    subtitle = ctx.subtitle()
    if plan.scenario:
        subtitle = f"{subtitle} · {ctx.ui('plan_scenario', scenario=plan.scenario)}"
    page.title(f"{ctx.ui('title_pack_plan')} — {month_title(as_of, ctx.lang.code)}", subtitle)
    source = plan.ws
    top = page.row
    ws.cell(row=top, column=1).fill = HEADER_FILL
    for c, (label, _what) in enumerate(COLUMNS, start=2):
        cell = ws.cell(row=top, column=c, value=ctx.ui(label))
        cell.font, cell.fill = HEADER, HEADER_FILL
        cell.alignment = Alignment(horizontal="right", vertical="center", wrap_text=True)
    ws.row_dimensions[top].height = 38
    row_of_month = plan.rows.get(as_of)
    r = top
    for key in plan.plan.columns:
        r += 1
        a_col, p_col = plan.columns[key]
        planned = float(plan.plan[key].get(as_of, math.nan)) if as_of in plan.plan.index else math.nan
        actual = float(plan.actual[key].iloc[-1])
        label = ctx.column_label(key)
        page.text(f"A{r}", label, BOLD, wrap=True)
        unit = "money" if key in COST_COLUMNS else _unit(key)
        fmt = unit_format(ctx, unit, [actual, planned])
        cells: dict[str, tuple[str, float]] = {}
        if row_of_month is not None:
            cells["month_actual"] = (ctx.book.ref(source, f"{a_col}{row_of_month}").excel(), actual)
            cells["month_plan"] = (ctx.book.ref(source, f"{p_col}{row_of_month}").excel(), planned)
        if key in plan.year:
            year_row, (ytd_a, ytd_p, fy_a, fy_p) = plan.year[key]
            for what, letter, value in (
                ("ytd_actual", "B", ytd_a),
                ("ytd_plan", "C", ytd_p),
                ("fy_outlook", "E", fy_a),
                ("fy_plan", "F", fy_p),
            ):
                cells[what] = (ctx.book.ref(source, f"{letter}{year_row}").excel(), value)
        for c, (_label, what) in enumerate(COLUMNS, start=2):
            letter = get_column_letter(c)
            if what.endswith("_pct"):
                period = what.removesuffix("_pct")
                pair = (f"{period}_actual" if period != "fy" else "fy_outlook", f"{period}_plan")
                if pair[0] not in cells or pair[1] not in cells:
                    continue
                a_letter, p_letter = get_column_letter(c - 2), get_column_letter(c - 1)
                a_value, p_value = cells[pair[0]][1], cells[pair[1]][1]
                share = (a_value - p_value) / abs(p_value) if p_value else math.nan
                page.figure(f"{letter}{r}", f"({a_letter}{r}-{p_letter}{r})/ABS({p_letter}{r})", share, "+0.0%;-0.0%")
                _colour(ws, f"{letter}{r}", plan_direction(key))
            elif what in cells:
                formula, value = cells[what]
                page.figure(f"{letter}{r}", formula, value, fmt)
        ws.row_dimensions[r].height = 18
    page.row = r + 2
    _chart(ctx, page, plan)
    page.note(ctx.ui("pack_plan_note", as_of=month_title(as_of, ctx.lang.code)))
    page.finish()


def _unit(key: str) -> str:
    return kpi(key).unit


def _colour(ws: Worksheet, cell: str, direction: str) -> None:
    """Green when favourable by the KPI's direction, red when not (text colour: it prints)."""
    good = f"{cell}>=0" if direction == "higher" else f"{cell}<=0"
    ws.conditional_formatting.add(
        cell, FormulaRule(formula=[f"AND(ISNUMBER({cell}),{good})"], font=Font(color=GOOD, size=9))
    )
    ws.conditional_formatting.add(
        cell, FormulaRule(formula=[f"AND(ISNUMBER({cell}),NOT({good}))"], font=Font(color=BAD, size=9))
    )


def _chart(ctx: Context, page: Page, plan: PlanSheet) -> None:
    """MRR against its plan, month by month through the year's end (when MRR is planned)."""
    assert plan.plan is not None and plan.actual is not None and plan.ws is not None
    if "mrr" not in plan.plan.columns:
        return
    key = "mrr"
    as_of = ctx.report.as_of
    months = [m for m in plan.rows if m.year == as_of.year]
    if not months:
        return
    ws, source = page.ws, plan.ws
    a_col, p_col = plan.columns[key]
    first = page.row
    col = HELPER_COLUMN + 10  # beyond the page's own helper columns
    for k, title in enumerate((ctx.ui("month"), ctx.ui("actual"), ctx.ui("plan"))):
        cell = ws.cell(row=first, column=col + k, value=title)
        cell.font = HELPER
    index = {m: i for i, m in enumerate(ctx.months)}
    for i, month in enumerate(months, start=first + 1):
        ctx.book.value(ws, f"{get_column_letter(col)}{i}", month.to_timestamp().to_pydatetime(), "mmm yy")
        row = plan.rows[month]
        planned = float(plan.plan[key].get(month, math.nan)) if month in plan.plan.index else math.nan
        ctx.book.formula(ws, f"{get_column_letter(col + 2)}{i}", ctx.book.ref(source, f"{p_col}{row}"), planned)
        if month in index and month <= as_of:
            actual = float(plan.actual[key].iloc[index[month]])
            ctx.book.formula(ws, f"{get_column_letter(col + 1)}{i}", ctx.book.ref(source, f"{a_col}{row}"), actual)
        else:
            ctx.book.formula(ws, f"{get_column_letter(col + 1)}{i}", "NA()", "#N/A")
        for k in range(3):
            ws.cell(row=i, column=col + k).font = HELPER
    last = first + len(months)
    chart = LineChart()
    for k, colour, dashed in ((1, "mrr", False), (2, "target", True)):
        chart.add_data(Reference(ws, min_col=col + k, min_row=first + 1, max_row=last))
        series = chart.series[-1]
        series.tx = SeriesLabel(v=ctx.ui("actual") if k == 1 else ctx.ui("plan"))
        charts.stroke(series, charts.COLOURS[colour], dashed=dashed)
    chart.set_categories(Reference(ws, min_col=col, min_row=first + 1, max_row=last))
    chart.x_axis.number_format = "mmm yy"
    values = [v for v in (*plan.plan[key], *plan.actual[key]) if not pd.isna(v)]
    chart.y_axis.number_format = charts.money_axis(ctx, values) if kpi_is_money(key) else "#,##0"
    chart.y_axis.scaling.min = 0
    chart.legend.position = "b"
    anchor = f"A{page.row}"
    charts.place(ctx, ws, "pack_plan_chart", chart, anchor, "pack")
    page.charts_at.append(charts.span(ws, anchor, *charts.SIZES["pack"])[1])
    page.row = page.charts_at[-1] + 2


def kpi_is_money(key: str) -> bool:
    return key in COST_COLUMNS or _unit(key) == "money"
