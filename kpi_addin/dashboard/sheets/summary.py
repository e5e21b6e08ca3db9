"""Summary: one card per headline KPI, then the charts; prints on one landscape page.

Each card is one row of the scorecard: the KPI and its window (``NRR, 12 months``), the
as-of figure, the change against last month and against a year ago (percentage points
for rates), coloured by whether the move is good for that KPI (its registry direction),
the target and status (a template default says so), a sparkline of the last twelve
months, and a commentary cell a person fills in.  The headline KPIs are the template's
``summary.kpis`` list, so switching the headline is a template edit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from openpyxl.comments import Comment
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ... import __version__
from ...metrics import KPIReport
from ...metrics.catalogue import BALANCE_SHEET_KEYS, TRAILING_KEYS, kpi
from ..cells import put_text
from ..expr import NA, Expr, is_error
from ..typed import add_note, comment_name, mark_input
from . import charts
from .balance_sheet import BalanceSheet
from .common import NOTE_FONT, TITLE_FONT, Context, grey_errors, status_colours
from .data import DataTables
from .funnel import FunnelSheet
from .goals import Goals
from .monthly import MonthlyTable
from .names import kpi_ref
from .nps import NpsSheet
from .revenue import RevenueSheet
from .view import MonthlyView

TOP = 5  # the scorecard's header row
#: The scorecard's columns: (id, width).
COLUMNS = (
    ("kpi", 34),
    ("latest", 14),
    ("vs_month", 13),
    ("vs_year", 13),
    ("target", 13),
    ("status", 14),
    ("trend", 16),
    ("commentary", 56),
)
COL = {id: get_column_letter(j) for j, (id, _w) in enumerate(COLUMNS, start=1)}
GOOD, BAD = "548235", "C00000"  # the change's font colour when the move is good / bad for the KPI
TREND_MONTHS = 12
CHARTS_PER_ROW = 3


#: Headline KPIs shown on gross margin instead when the costs give COGS (labelled so): LTV
#: and LTV:CAC together, so the page never shows a revenue LTV beside a margin LTV:CAC.
ON_GROSS_MARGIN = {"ltv_trailing": "ltv_gm_trailing", "ltv_cac_trailing": "ltv_cac_gm_trailing"}


def on_margin(ctx: Context, keys: Sequence[str]) -> list[str]:
    """``keys`` with LTV and LTV:CAC on gross margin in their place when COGS are given."""
    margin = ctx.report.monthly.get("gross_margin")
    with_margin = margin is not None and bool(margin.notna().any())
    return [ON_GROSS_MARGIN.get(k, k) if with_margin else k for k in keys]


def headline_keys(ctx: Context) -> list[str]:
    """The template's headline KPIs, on gross margin when COGS are given (:func:`on_margin`)."""
    return on_margin(ctx, ctx.template.summary_kpis)


def build(
    ctx: Context,
    monthly: MonthlyTable,
    balance_sheet: BalanceSheet,
    goals: Goals,
    data: DataTables,
    revenue: RevenueSheet,
    funnel: FunnelSheet,
    nps: NpsSheet,
    unit_economics: MonthlyView,
) -> None:
    ws = ctx.sheets["summary"]
    report = ctx.report
    title = f"{report.company} — {ctx.ui('title')}" if report.company else ctx.ui("title")
    put_text(ws["A1"], title)
    ws["A1"].font = TITLE_FONT
    put_text(ws["A2"], f"{ctx.ui('reporting_currency')}: {ctx.currency} · {ctx.ui('generated')} {__version__}")
    ws["A2"].font = NOTE_FONT
    put_text(ws["A3"], ctx.ui("as_of"))
    ws["A3"].font = Font(bold=True)
    ctx.book.value(ws, "B3", report.as_of, "yyyy-mm")
    ws["B3"].alignment = Alignment(horizontal="left")
    ctx.header(ws, TOP, [ctx.ui(id) for id, _w in COLUMNS])
    for id, width in COLUMNS:
        ws.column_dimensions[COL[id]].width = width
    keys = headline_keys(ctx)
    for i, (key, slot) in enumerate(zip(keys, ctx.template.summary_kpis, strict=True)):
        card(ctx, ws, TOP + 1 + i, key, monthly, balance_sheet, goals, slot=slot)
    end = TOP + len(keys)
    grey_errors(ws, f"{COL['latest']}{TOP + 1}:{COL['vs_year']}{end}")
    status_colours(ws, f"{COL['status']}{TOP + 1}:{COL['status']}{end}", ctx.lang.status)
    notes = [ctx.ui("legend"), data.ledger_note]
    if any(g.default for k, g in goals.goals.items() if k in keys):
        notes.append(ctx.ui("target_default_note"))
    notes += report.warnings[:3]
    for k, note in enumerate(notes):
        cell = ws[f"A{end + 2 + k}"]
        put_text(cell, note)
        cell.font = NOTE_FONT
    # the charts below the scorecard, three to a row, all of one size
    sources = charts.ChartSources(
        monthly,
        revenue=revenue.view,
        funnel_stages=funnel.stages,
        nps_split=nps.split,
        arr_bridge=revenue.bridge,
        unit_economics=unit_economics,
        nps=nps.view,
        mrr_target=revenue.mrr_target,
    )
    below = end + 3 + len(notes)
    step = charts.ROWS_PER_CHART["summary"]
    chart_cols = _chart_columns(ws)
    kinds = list(ctx.template.summary_charts)
    for k, kind in enumerate(kinds):
        anchor = f"{chart_cols[k % CHARTS_PER_ROW]}{below + (k // CHARTS_PER_ROW) * step}"
        charts.place(ctx, ws, kind, sources.chart(ctx, kind), anchor, "summary")
    rows_of_charts = max(1, math.ceil(len(kinds) / CHARTS_PER_ROW))
    last_row = below + rows_of_charts * step
    ws.print_area = f"A1:{COL['commentary']}{last_row}"
    ws.freeze_panes = f"A{TOP + 1}"


def _chart_columns(ws: Worksheet) -> list[str]:
    """The columns where the charts of a row start: the scorecard's width in three equal parts."""
    widths = [w for _id, w in COLUMNS]
    total, third = sum(widths), sum(widths) / CHARTS_PER_ROW
    starts, acc = ["A"], 0.0
    for j, w in enumerate(widths, start=1):
        acc += w
        if len(starts) < CHARTS_PER_ROW and acc >= third * len(starts) - 1:
            starts.append(get_column_letter(j + 1))
    assert total > 0
    return starts


def card(
    ctx: Context,
    ws,
    r: int,
    key: str,
    monthly: MonthlyTable,
    balance_sheet: BalanceSheet,
    goals: Goals,
    *,
    slot: str | None = None,
) -> None:
    """One KPI's row of the scorecard (``slot``: the template's KPI it stands for, if another)."""
    report = ctx.report
    entry = kpi(key)
    fmt = ctx.fmt(key)
    label = card_label(ctx, key)
    put_text(ws[f"{COL['kpi']}{r}"], label)
    ws[f"{COL['kpi']}{r}"].font = Font(bold=True)
    latest_cell = f"{COL['latest']}{r}"
    latest = kpi_ref(ctx, monthly, balance_sheet, key)
    value = report.latest(key)
    if latest is None:
        ctx.book.formula(ws, latest_cell, "NA()", math.nan, fmt, error=NA)
    else:
        ctx.book.formula(ws, latest_cell, latest, value, fmt)
    ws[latest_cell].font = Font(bold=True, size=12)
    rate = entry.unit == "rate"
    change_fmt = f'+0.00" {ctx.ui("pp")}";-0.00" {ctx.ui("pp")}";0.00" {ctx.ui("pp")}"' if rate else fmt
    for id, months_back in (("vs_month", 1), ("vs_year", 12)):
        cell = f"{COL[id]}{r}"
        if key in BALANCE_SHEET_KEYS or ctx.n <= months_back:
            put_text(ws[cell], "–")
            continue
        before = monthly.ref(key, monthly.last - months_back)
        change: Expr = ctx.book.ref(ws, latest_cell, local=ws) - before
        expected = value - float(report.monthly[key].iloc[-1 - months_back])
        if rate:  # percentage points
            change, expected = change * 100, expected * 100
        ctx.book.formula(ws, cell, change, expected, change_fmt)
        colour_change(ws, cell, entry.direction)
    goal = goals.goals.get(key)
    if goal is not None:
        ctx.book.formula(ws, f"{COL['target']}{r}", goal.target, goal.target_value, fmt)
        status = goal.status.excel()
        ctx.book.formula(ws, f"{COL['status']}{r}", status, goal.status_text)
        if goal.default:  # a template default is not a target the board set: said on the target, not in the status
            ws[f"{COL['target']}{r}"].font = Font(italic=True, color="7F7F7F")
            ws[f"{COL['target']}{r}"].comment = Comment(ctx.ui("template_default"), "kpi-addin")
    if key not in BALANCE_SHEET_KEYS:
        first = max(0, monthly.last - TREND_MONTHS + 1)
        sheet, col, top, bottom = monthly.column_range(key, first)
        source = f"{ctx.book.ref(sheet, f'{get_column_letter(col)}{top}').text}:{get_column_letter(col)}{bottom}"
        ctx.sparklines.setdefault(ws.title, []).append((f"{COL['trend']}{r}", source))
        values = report.monthly[key].iloc[first:].tolist()
        ctx.trend_text.setdefault(ws.title, {})[f"{COL['trend']}{r}"] = text_sparkline(values)
    # the commentary: an input cell (one style, a name), carried into next month by dashboard --update
    # (named by the template's KPI: LTV:CAC on gross margin keeps LTV:CAC's commentary)
    commentary, slot = f"{COL['commentary']}{r}", slot or key
    carried = ctx.options.carried
    if carried and slot in carried.comments:
        put_text(ws[commentary], carried.comments[slot])
    mark_input(ctx.wb, ws, commentary, comment_name(slot))
    if carried and slot in carried.comment_notes:
        add_note(ws, commentary, carried.comment_notes[slot])
    ws.row_dimensions[r].height = 24
    for id, _w in COLUMNS:
        cell = ws[f"{COL[id]}{r}"]
        horizontal = "left" if id in ("kpi", "commentary", "status") else None
        cell.alignment = Alignment(horizontal=horizontal, vertical="center", wrap_text=id in ("commentary", "status"))
    shown = ctx.book.expected[ws.title].get(latest_cell)
    if is_error(shown):
        ws[latest_cell].comment = Comment(
            ctx.ui("undefined_note", month=str(report.as_of), reason=_reason(ctx, key, str(shown))), "kpi-addin"
        )


BARS = "▁▂▃▄▅▆▇█"


def text_sparkline(values: list[float]) -> str:
    """A trend as block characters, lowest ▁ to highest █; a gap for an undefined month.

    >>> text_sparkline([1.0, 2.0, float("nan"), 4.0])
    '▁▃ █'
    """
    finite = [v for v in values if v == v]
    if not finite:
        return ""
    low, high = min(finite), max(finite)
    span = high - low
    return "".join(
        " " if v != v else BARS[0 if span == 0 else round((v - low) / span * (len(BARS) - 1))] for v in values
    )


def card_label(ctx: Context, key: str) -> str:
    """The KPI's label with its window from the registry: ``Net revenue retention, 12 months``.

    A label that already says its window in brackets (``... (12 months)``) loses the
    brackets, so the window is said once, the same way on every card.
    """
    label = ctx.lang.label(key)
    window = kpi(key).window
    if not window:
        return label
    base = re.sub(r"\s*[(（][^()（）]*[)）]\s*$", "", label)
    return f"{base}, {ctx.ui('window_' + window.replace(' ', '_'))}"


def colour_change(ws: Worksheet, cell: str, direction: str | None) -> None:
    """Green when the move is good for the KPI, red when bad (none without a direction)."""
    if direction is None:
        return
    up, down = (GOOD, BAD) if direction == "higher" else (BAD, GOOD)
    ws.conditional_formatting.add(cell, FormulaRule(formula=[f"AND(ISNUMBER({cell}),{cell}>0)"], font=Font(color=up)))
    ws.conditional_formatting.add(cell, FormulaRule(formula=[f"AND(ISNUMBER({cell}),{cell}<0)"], font=Font(color=down)))


def cash_flow_positive(report: KPIReport) -> bool:
    """Whether the latest 3-month net burn is 0 or below (no runway: cash is not running out)."""
    burn = report.latest("burn_3m") if "burn_3m" in report.monthly else math.nan
    return not math.isnan(burn) and burn <= 0


def _reason(ctx: Context, key: str, error: str) -> str:
    r = ctx.lang.reasons
    report = ctx.report
    if key in ("runway_months", "burn_multiple") and cash_flow_positive(report):
        return r["cash_flow_positive"]
    if error == NA and key in TRAILING_KEYS:
        return r["window"]
    if error == NA:
        return r["no_input"]
    if key in ("ltv", "ltv_cac") and report.latest("customer_churn_rate") == 0:
        return r["zero_churn"]
    if key in ("cac", "cac_payback_months") and report.monthly["new_customers"].iloc[-1] == 0:
        return r["no_new_customers"]
    if key in ("customer_churn_rate", "revenue_churn_rate", "nrr", "grr", "crr"):
        return r["no_start"]
    return r["other"]
