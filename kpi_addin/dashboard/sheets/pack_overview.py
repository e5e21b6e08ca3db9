"""The board pack's first pages: the overview a board opens with, and the KPI scorecard.

Overview: the month spelled out; ARR in millions with its growth; MRR, net new MRR,
customers, NRR and GRR over twelve months; cash, burn, runway, burn multiple and gross
margin when the inputs hold them; and the ARR bridge of the last four quarters side by
side (new, expansion, reactivation, contraction, churn and, where it exists, FX).

Scorecard: the template's headline KPIs with the change on last month and on a year ago,
target and status, and a comment: what a person typed into the Summary's commentary cell,
or else a generated sentence that says what moved ("MRR +3.2 % m/m: new $6.9k, expansion
$2.7k, churn 6 logos −$1.2k").  An empty commentary never prints as an empty box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from ...formatting import CURRENCY_SYMBOLS
from ...metrics.catalogue import BALANCE_SHEET_KEYS, kpi
from ..expr import Expr, Num
from ..typed import comment_name
from . import charts
from .common import Context, status_colours
from .goals import Goals
from .monthly import MonthlyTable
from .page import (
    BODY,
    BOLD,
    HELPER,
    HELPER_COLUMN,
    NA_TEXT,
    NOTE,
    Page,
    change_text,
    month_title,
    unit_format,
)
from .summary import cash_flow_positive

#: The quarter bridge's steps: (label key, monthly KPI, sign).
BRIDGE = (
    ("bridge_new", "new_mrr", 1),
    ("bridge_expansion", "expansion_mrr", 1),
    ("bridge_reactivation", "reactivation_mrr", 1),
    ("bridge_contraction", "contraction_mrr", -1),
    ("bridge_churned", "churned_mrr", -1),
    ("bridge_fx", "fx_mrr", 1),
)
BRIDGE_COLOURS = {
    "new_mrr": "new",
    "expansion_mrr": "expansion",
    "reactivation_mrr": "reactivation",
    "contraction_mrr": "contraction",
    "churned_mrr": "churned",
    "fx_mrr": "target",
}
QUARTERS = 4
#: Headline tiles of the overview: (KPI, months back the change is against).
TILES = (("arr", 12), ("mrr", 1), ("customers", 1), ("nrr_12m", 12), ("grr_12m", 12))
#: Cash, efficiency and concentration tiles, shown when the inputs give them (net burn is on
#: the cash page; the runway is the burn a board reads here).
CASH_TILES = ("cash_balance", "runway_months", "burn_multiple", "gross_margin", "top10_share")


@dataclass
class Quarter:
    label: str
    months: list[int]  # month indexes of the report in the quarter (never the opening month)


def money_text(ctx: Context, value: float) -> str:
    """``$6.9k``, ``$1.2M``, ``$830`` — a money figure in a sentence."""
    symbol = CURRENCY_SYMBOLS.get(ctx.currency, "")
    sign = "−" if value < 0 else ""
    v = abs(value)
    if v >= 1e6:
        body = f"{v / 1e6:.1f}M"
    elif v >= 1e4:
        body = f"{v / 1e3:.1f}k"
    else:
        body = f"{v:,.0f}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {ctx.currency}"


def quarters(ctx: Context) -> list[Quarter]:
    """The last :data:`QUARTERS` calendar quarters of the report, each with its reported months."""
    months = ctx.months
    opening = 0 if ctx.report.opening_month is not None else -1
    by_quarter: dict[pd.Period, list[int]] = {}
    for i, month in enumerate(months):
        if i == opening:
            continue
        by_quarter.setdefault(month.asfreq("Q"), []).append(i)
    out = []
    for q in sorted(by_quarter)[-QUARTERS:]:
        idx = by_quarter[q]
        label = f"Q{q.quarter} {q.year}"
        first, last = months[idx[0]], months[idx[-1]]
        if last < q.asfreq("M", "end"):
            label += f" ({ctx.ui('pack_to')} {last.strftime('%b')})"
        elif first > q.asfreq("M", "start"):
            label += f" ({ctx.ui('pack_from')} {first.strftime('%b')})"
        out.append(Quarter(label, idx))
    return out


def build(ctx: Context, monthly: MonthlyTable, goals: Goals) -> None:
    if "pack_overview" in ctx.sheets:
        overview(ctx, monthly)
    if "pack_scorecard" in ctx.sheets:
        scorecard(ctx, monthly, goals)


def tile(ctx: Context, monthly: MonthlyTable, key: str, back: int) -> tuple[str, Expr | str, object, str, str]:
    values = ctx.report.monthly[key]
    last = ctx.n - 1
    unit = kpi(key).unit
    now = float(values.iloc[last])
    word = ctx.ui("pack_yoy" if back == 12 else "pack_mom")
    change = change_text(ctx, now, float(values.iloc[last - back]), unit, word) if last - back >= 0 else ""
    if key == "runway_months" and math.isnan(now) and cash_flow_positive(ctx.report):
        change = ctx.ui("pack_cash_flow_positive")  # no runway: cash is not running out
    return ctx.lang.label(key), monthly.latest(key), now, unit_format(ctx, unit, [now]), change


def overview(ctx: Context, monthly: MonthlyTable) -> None:
    ws = ctx.sheets["pack_overview"]
    page = Page(ctx, ws)
    page.title(f"{month_title(ctx.report.as_of, ctx.lang.code)} — {ctx.ui('title_pack_overview')}", ctx.subtitle())
    page.tiles([tile(ctx, monthly, key, back) for key, back in TILES])
    present = ctx.report.monthly.columns
    cash = [k for k in CASH_TILES if k in present and ctx.report.monthly[k].notna().any() and k in monthly.columns]
    if cash:
        page.tiles([tile(ctx, monthly, key, 1) for key in cash[:5]])
    page.section(ctx.ui("pack_quarter_bridge"))
    qs = quarters(ctx)
    steps = [s for s in BRIDGE if s[1] in monthly.columns]
    m = ctx.report.monthly

    def total(key: str, q: Quarter) -> tuple[Expr, float]:
        expr: Expr = Num(0.0)
        for k, i in enumerate(q.months):
            expr = monthly.ref(key, i) if k == 0 else expr + monthly.ref(key, i)
        return expr * 12, 12 * float(m[key].iloc[q.months].sum())

    def start(q: Quarter) -> tuple[Expr, float]:
        i0 = q.months[0]
        if i0 > 0:
            return monthly.ref("arr", i0 - 1), float(m["arr"].iloc[i0 - 1])
        net: Expr = Num(0.0)
        value = 0.0
        for _label, key, sign in steps:
            net = net + monthly.ref(key, i0) * sign
            value += sign * float(m[key].iloc[i0])
        return monthly.ref("arr", i0) - net * 12, float(m["arr"].iloc[i0]) - 12 * value

    rows: list[tuple[str, list[tuple[Expr, float]]]] = [(ctx.ui("pack_start_arr"), [start(q) for q in qs])]
    for label, key, sign in steps:
        cells = []
        for q in qs:
            expr, value = total(key, q)
            cells.append((expr * sign if sign < 0 else expr, sign * value))
        rows.append((ctx.ui(label), cells))
    rows.append(
        (ctx.ui("pack_end_arr"), [(monthly.ref("arr", q.months[-1]), float(m["arr"].iloc[q.months[-1]])) for q in qs])
    )
    top = page.row
    ctx.header(ws, top, ["", *(q.label for q in qs)])
    for c in range(1, len(qs) + 2):
        ws.cell(row=top, column=c).font = Font(bold=True, size=9, color="FFFFFF")
        ws.cell(row=top, column=c).alignment = Alignment(horizontal="right" if c > 1 else "left", wrap_text=True)
    money = unit_format(ctx, "money", [v for _l, cells in rows for _e, v in cells])
    for k, (label, cells) in enumerate(rows):
        r = top + 1 + k
        page.text(f"A{r}", label, BOLD if k in (0, len(rows) - 1) else BODY)
        for j, (expr, value) in enumerate(cells):
            page.figure(f"{get_column_letter(2 + j)}{r}", expr, value, money, BOLD if k in (0, len(rows) - 1) else BODY)
    page.row = top + len(rows) + 2
    # the chart's data: quarters down, movements across (losses below zero), outside the print area
    h = HELPER_COLUMN
    for j, q in enumerate(qs):
        ws.cell(row=top + 1 + j, column=h).value = q.label
        ws.cell(row=top + 1 + j, column=h).font = HELPER
    for s, (label, _key, _sign) in enumerate(steps):
        col = h + 1 + s
        ws.cell(row=top, column=col).value = ctx.ui(label)
        ws.cell(row=top, column=col).font = HELPER
        for j in range(len(qs)):
            expr, value = rows[1 + s][1][j]
            page.figure(f"{get_column_letter(col)}{top + 1 + j}", expr, value, money, HELPER)
    page.helper_next = h + 1 + len(steps)
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "col", "stacked", 100, 80
    for s, (_label, key, _sign) in enumerate(steps):
        chart.add_data(Reference(ws, min_col=h + 1 + s, min_row=top, max_row=top + len(qs)), titles_from_data=True)
        charts.fill(chart.series[-1], charts.COLOURS[BRIDGE_COLOURS[key]])
    chart.set_categories(Reference(ws, min_col=h, min_row=top + 1, max_row=top + len(qs)))
    chart.y_axis.number_format = charts.money_axis(ctx, [v for _l, cells in rows[1:-1] for _e, v in cells])
    chart.y_axis.crosses = "autoZero"
    chart.x_axis.tickLblPos = "low"
    chart.legend.position = "r"
    anchor = f"F{top}"  # beside the four quarters (A–E)
    charts.place(ctx, ws, "pack_quarter_bridge", chart, anchor, "pack")
    page.charts_at.append(charts.span(ws, anchor, *charts.SIZES["pack"])[1])
    page.row = max(page.row, page.charts_at[-1] + 2)
    page.note(ctx.ui("pack_overview_note"))
    page.finish()


def scorecard(ctx: Context, monthly: MonthlyTable, goals: Goals) -> None:
    ws = ctx.sheets["pack_scorecard"]
    page = Page(ctx, ws)
    page.title(f"{ctx.ui('title_pack_scorecard')} — {month_title(ctx.report.as_of, ctx.lang.code)}", ctx.subtitle())
    top = page.row
    headers = [
        ctx.ui(k)
        for k in (
            "pack_kpi",
            "pack_value",
            "pack_vs_month",
            "pack_vs_year",
            "pack_target",
            "pack_status",
            "pack_comment",
        )
    ]
    ctx.header(ws, top, headers)
    ws.merge_cells(start_row=top, start_column=7, end_row=top, end_column=page.last_column)  # comment: G to the edge
    for c in range(1, 8):
        ws.cell(row=top, column=c).font = Font(bold=True, size=9, color="FFFFFF")
        ws.cell(row=top, column=c).alignment = Alignment(
            horizontal="left" if c in (1, 6, 7) else "right", vertical="center", wrap_text=True
        )
    defaults = False
    keys = [k for k in ctx.template.summary_kpis if k not in BALANCE_SHEET_KEYS]
    for k, key in enumerate(keys):
        r = top + 1 + k
        entry = kpi(key)
        values = ctx.report.monthly[key]
        now = float(values.iloc[-1])
        label = ctx.lang.label(key)
        page.text(f"A{r}", label, BOLD, wrap=True)
        latest = monthly.latest(key)
        page.figure(f"B{r}", latest, now, unit_format(ctx, entry.unit, [now]), BOLD)
        for col, back in (("C", 1), ("D", 12)):
            if ctx.n <= back:
                page.text(f"{col}{r}", NA_TEXT, BODY, align="right")
                continue
            before = monthly.ref(key, ctx.n - 1 - back)
            then = float(values.iloc[-1 - back])
            if entry.unit == "rate":
                expr: Expr = (latest - before) * 100
                value = (now - then) * 100
                fmt = '+0.0" pp";-0.0" pp";0.0" pp"'
            else:
                expr = latest / before - 1
                value = now / then - 1 if then else math.nan
                fmt = "+0.0%;-0.0%;0.0%"
            page.figure(f"{col}{r}", expr, value, fmt)
        goal = goals.goals.get(key)
        if goal is not None:
            page.figure(f"E{r}", goal.target, goal.target_value, unit_format(ctx, entry.unit, [goal.target_value]))
            ctx.book.formula(ws, f"F{r}", goal.status, goal.status_text)
            ws[f"F{r}"].font = BODY
            ws[f"F{r}"].alignment = Alignment(vertical="center")
            if goal.default:
                defaults = True
                ws[f"E{r}"].font = Font(size=9, italic=True, color="7F7F7F")
        ws.merge_cells(start_row=r, start_column=7, end_row=r, end_column=page.last_column)
        generated = variance_sentence(ctx, key)
        name = comment_name(key)
        typed = ""
        if ctx.options.carried and key in ctx.options.carried.comments:
            typed = ctx.options.carried.comments[key]
        text = generated.replace('"', '""')
        ctx.book.formula(ws, f"G{r}", f'IF(LEN({name})=0,"{text}",{name})', typed or generated)
        ws[f"G{r}"].font = NOTE if not typed else BODY
        ws[f"G{r}"].alignment = Alignment(wrap_text=True, vertical="center")
        ws.row_dimensions[r].height = 26
    end = top + len(keys)
    status_colours(ws, f"F{top + 1}:F{max(end, top + 1)}", ctx.lang.status)
    page.row = end + 2
    if defaults:
        page.note(ctx.ui("pack_default_targets"))
    page.note(ctx.ui("pack_status_note"))
    page.finish()


def variance_sentence(ctx: Context, key: str) -> str:
    """What moved, in words: the change on last month and, for MRR, its parts."""
    m = ctx.report.monthly
    if len(m) < 2:
        return ""
    unit = kpi(key).unit
    now, before = float(m[key].iloc[-1]), float(m[key].iloc[-2])
    change = change_text(ctx, now, before, unit, ctx.ui("pack_mom"))
    if not change:
        return ""
    if key in ("mrr", "arr"):
        last = m.iloc[-1]
        factor = 12 if key == "arr" else 1
        parts = [
            f"{ctx.ui('bridge_new').lower()} {money_text(ctx, factor * float(last['new_mrr']))}",
            f"{ctx.ui('bridge_expansion').lower()} {money_text(ctx, factor * float(last['expansion_mrr']))}",
            f"{ctx.ui('pack_churn_logos', n=int(last['churned_customers']))} "
            f"{money_text(ctx, -factor * float(last['churned_mrr']))}",
        ]
        return f"{ctx.lang.label(key)} {change}: " + ", ".join(parts)
    return f"{ctx.lang.label(key)} {change}"
