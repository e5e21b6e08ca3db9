"""The board pack's goals page: each goal's target, due month, actual, status now and course.

Every figure is a formula over the Goals sheet, so a target typed there moves the page;
statuses keep the Goals sheet's colours (green only when met).
"""

from __future__ import annotations

import datetime as dt

from openpyxl.styles import Alignment, Font

from ...metrics.catalogue import kpi
from .common import Context, status_colours
from .goals import Goals
from .page import BODY, BOLD, Page, month_title, unit_format

COLUMNS = ("pack_kpi", "pack_target", "pack_due", "pack_actual", "pack_status", "course")


def build(ctx: Context, goals: Goals) -> None:
    if "pack_goals" not in ctx.sheets:
        return
    ws = ctx.sheets["pack_goals"]
    page = Page(ctx, ws)
    page.title(f"{ctx.ui('title_pack_goals')} — {month_title(ctx.report.as_of, ctx.lang.code)}", ctx.subtitle())
    top = page.row
    ctx.header(ws, top, [ctx.ui(c) for c in COLUMNS])
    for c in range(1, len(COLUMNS) + 1):
        ws.cell(row=top, column=c).font = Font(bold=True, size=9, color="FFFFFF")
        ws.cell(row=top, column=c).alignment = Alignment(horizontal="left" if c in (1, 5, 6) else "right")
    defaults = False
    for k, (key, goal) in enumerate(goals.goals.items()):
        r = top + 1 + k
        page.text(f"A{r}", ctx.lang.label(key), BOLD, wrap=True)
        fmt = unit_format(ctx, kpi(key).unit, [goal.target_value])
        page.figure(f"B{r}", goal.target, goal.target_value, fmt)
        if goal.default:
            defaults = True
            ws[f"B{r}"].font = Font(size=9, italic=True, color="7F7F7F")
        if goal.due is not None:
            due = ctx.book.env.get(goal.due.key)
            shown = due if isinstance(due, dt.datetime) else ""  # a template default has no due month
            ctx.book.formula(ws, f"C{r}", f'IF(ISNUMBER({goal.due.excel()}),{goal.due.excel()},"")', shown, "mmm yyyy")
            ws[f"C{r}"].font = BODY
            ws[f"C{r}"].alignment = Alignment(horizontal="right")
        if goal.actual is not None:
            actual = ctx.book.env.get(goal.actual.key)
            page.figure(f"D{r}", goal.actual, actual if isinstance(actual, float) else float("nan"), fmt)
        ctx.book.formula(ws, f"E{r}", goal.status, goal.status_text)
        ws[f"E{r}"].font = BODY
        ws[f"E{r}"].alignment = Alignment(vertical="center")
        if goal.course is not None:
            ctx.book.formula(ws, f"F{r}", goal.course, goal.course_text)
            ws[f"F{r}"].font = BODY
            ws[f"F{r}"].alignment = Alignment(vertical="center")
        ws.row_dimensions[r].height = 20
    end = top + max(len(goals.goals), 1)
    status_colours(ws, f"E{top + 1}:F{end}", ctx.lang.status)
    page.row = end + 2
    if defaults:
        page.note(ctx.ui("pack_default_targets"))
    page.note(ctx.ui("goals_note"))
    page.finish()
