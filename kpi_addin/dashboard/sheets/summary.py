"""Summary: the headline KPIs of the as-of month against the month before, target and status; charts."""

from __future__ import annotations

import math

from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font

from ... import __version__
from ...metrics.catalogue import BALANCE_SHEET_KEYS
from ..cells import put_text
from ..expr import NA, Ref, is_error
from . import charts
from .balance_sheet import BalanceSheet
from .common import NOTE_FONT, TITLE_FONT, Context, grey_errors, status_colours
from .data import DataTables
from .funnel import FunnelSheet
from .goals import Goals
from .monthly import MonthlyTable
from .names import kpi_ref
from .nps import NpsSheet
from .view import MonthlyView

TOP = 5  # the KPI table's header row


def build(
    ctx: Context,
    monthly: MonthlyTable,
    balance_sheet: BalanceSheet,
    goals: Goals,
    data: DataTables,
    revenue: MonthlyView,
    funnel: FunnelSheet,
    nps: NpsSheet,
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
    ctx.header(
        ws,
        TOP,
        [ctx.ui("kpi"), ctx.ui("latest"), ctx.ui("previous"), ctx.ui("change"), ctx.ui("target"), ctx.ui("status")],
    )
    for i, key in enumerate(ctx.template.summary_kpis):
        r = TOP + 1 + i
        fmt = ctx.fmt(key)
        put_text(ws[f"A{r}"], ctx.lang.label(key))
        latest = kpi_ref(ctx, monthly, balance_sheet, key)
        value = report.latest(key)
        if latest is None:
            ctx.book.formula(ws, f"B{r}", "NA()", math.nan, fmt, error=NA)
        else:
            ctx.book.formula(ws, f"B{r}", latest, value, fmt)
        previous = _previous(ctx, monthly, key)
        if previous is not None:
            ref, before = previous
            ctx.book.formula(ws, f"C{r}", ref, before, fmt)
            change = ctx.book.ref(ws, f"B{r}", local=ws) - ctx.book.ref(ws, f"C{r}", local=ws)
            ctx.book.formula(ws, f"D{r}", change, value - before, fmt)
        goal = goals.goals.get(key)
        if goal is not None:
            ctx.book.formula(ws, f"E{r}", goal.target, goal.target_value, fmt)
            ctx.book.formula(ws, f"F{r}", goal.status, goal.status_text)
        shown = ctx.book.expected[ws.title].get(f"B{r}")
        if is_error(shown):
            ws[f"B{r}"].comment = Comment(
                ctx.ui("undefined_note", month=str(report.as_of), reason=_reason(ctx, key, shown)), "kpi-addin"
            )
    end = TOP + len(ctx.template.summary_kpis)
    grey_errors(ws, f"B{TOP + 1}:D{end}")
    status_colours(ws, f"F{TOP + 1}:F{end}", ctx.lang.status)
    put_text(ws[f"A{end + 2}"], ctx.ui("legend"))
    ws[f"A{end + 2}"].font = NOTE_FONT
    put_text(ws[f"A{end + 3}"], data.ledger_note)
    ws[f"A{end + 3}"].font = NOTE_FONT
    for warning in report.warnings[:4]:
        end += 1
        put_text(ws[f"A{end + 3}"], warning)
        ws[f"A{end + 3}"].font = NOTE_FONT
    widths = {"A": 30, "B": 15, "C": 15, "D": 13, "E": 12, "F": 11}
    for letter, width in widths.items():
        ws.column_dimensions[letter].width = width
    # Two columns as wide as the KPI table: one chart beside it, the others below in
    # pairs; the whole sheet prints on one landscape page.
    below = max(end + 8, 24)
    anchors = ["H5", f"A{below}", f"H{below}", f"A{below + 19}", f"H{below + 19}"]
    kinds = list(ctx.template.summary_charts)
    sources = charts.ChartSources(monthly, revenue, funnel.stages, nps.split)
    for kind, anchor in zip(kinds, anchors, strict=False):
        charts.place(ctx, ws, kind, sources.chart(ctx, kind), anchor, width=18.0, height=9.0)
    ws.column_dimensions["G"].width = 3
    last_row = below + (19 if len(kinds) <= 3 else 38)
    ws.print_area = f"A1:R{last_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.freeze_panes = "A6"


def _previous(ctx: Context, monthly: MonthlyTable, key: str) -> tuple[Ref, float] | None:
    if key in BALANCE_SHEET_KEYS or ctx.n < 2:
        return None
    return monthly.ref(key, monthly.last - 1), float(ctx.report.monthly[key].iloc[-2])


def _reason(ctx: Context, key: str, error: str) -> str:
    r = ctx.lang.reasons
    report = ctx.report
    if error == NA:
        return r["no_input"]
    if key in ("ltv", "ltv_cac") and report.latest("customer_churn_rate") == 0:
        return r["zero_churn"]
    if key in ("cac", "cac_payback_months") and report.monthly["new_customers"].iloc[-1] == 0:
        return r["no_new_customers"]
    if key in ("customer_churn_rate", "revenue_churn_rate", "nrr", "grr", "crr"):
        return r["no_start"]
    return r["other"]
