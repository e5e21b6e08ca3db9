"""Goals: target, direction, due, actual, progress and status per KPI (formulas, colour-coded).

Target, direction and due month are input cells (one style, a defined name each:
``Goal_MRR_Target`` …): the input's targets and the template's defaults seed them, a
person edits them, and ``dashboard --update`` carries them into the next month's file,
rows the person added or deleted included.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pandas as pd
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from ...metrics.goals import COURSE_MONTHS, FAR_BELOW_BAND
from ...metrics.report import evaluate_goals
from ..cells import put_text
from ..expr import DIV0, NA, Ref, is_error
from ..typed import GOAL_COLUMNS, add_note, goal_name, mark_input
from .balance_sheet import BalanceSheet
from .common import NOTE_FONT, STATUS_KEYS, Context, grey_errors, status_colours, text_width
from .data import DataTables
from .monthly import MonthlyTable
from .names import kpi_ref

HEADER_ROW = 4
FIRST = HEADER_ROW + 1
LAST_COLUMN = "J"


@dataclass(frozen=True)
class Goal:
    target: Ref
    status: Ref
    target_value: float
    status_text: str
    default: bool  # a template default, not a target a person set
    course: Ref | None = None  # on course / off course / missed (blank without a due month)
    course_text: str = ""
    due: Ref | None = None
    actual: Ref | None = None


@dataclass
class Goals:
    """The goal of each KPI that has one (its target and status cells)."""

    goals: dict[str, Goal] = field(default_factory=dict)


def build(ctx: Context, monthly: MonthlyTable, balance_sheet: BalanceSheet, data: DataTables) -> Goals:
    ws = ctx.sheets["goals"]
    ctx.title(ws, ctx.lang.sheets["goals"], ctx.ui("goals_note"))
    ws.merge_cells("A2:H2")  # the note wraps within the table's width, not past the print area
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 30
    ctx.header(
        ws,
        HEADER_ROW,
        [
            ctx.ui("kpi"),
            ctx.ui("key"),
            ctx.ui("target"),
            ctx.ui("direction"),
            ctx.ui("due"),
            ctx.ui("actual"),
            ctx.ui("progress"),
            ctx.ui("status"),
            "",
            ctx.ui("course"),
        ],
    )
    ws.cell(row=HEADER_ROW, column=9).value = None  # I: the direction word, hidden
    goals, sources = goal_rows(ctx)
    evaluated = evaluate_goals(goals, ctx.report) if len(goals) else goals
    carried = ctx.options.carried
    notes = {g.kpi: g.notes for g in carried.goals} if carried else {}
    words = f'"{ctx.ui("higher")},{ctx.ui("lower")}"'
    direction = DataValidation(type="list", formula1=words, allow_blank=False)
    ws.add_data_validation(direction)
    anchors = Goals()
    as_of = monthly.month(monthly.last).excel()
    records: list[dict[str, Any]] = evaluated.to_dict("records")  # type: ignore[assignment]  # column names are str
    for i, (record, source) in enumerate(zip(records, sources, strict=True)):
        r = FIRST + i
        goal = SimpleNamespace(**record)
        key = str(goal.kpi)
        put_text(ws[f"A{r}"], ctx.lang.label(key))
        put_text(ws[f"B{r}"], key)
        fmt = ctx.fmt(key)
        # C, D and E are inputs (a person types targets, directions and due months here;
        # dashboard --update carries them over); I turns D's word back into higher / lower
        higher, lower = ctx.ui("higher"), ctx.ui("lower")
        ctx.book.value(ws, f"C{r}", goal.target, fmt)
        mark_input(ctx.wb, ws, f"C{r}", goal_name(key, "target"), fmt)
        put_text(ws[f"D{r}"], higher if goal.direction == "higher" else lower)
        mark_input(ctx.wb, ws, f"D{r}", goal_name(key, "direction"))
        if not pd.isna(goal.due):
            ctx.book.value(ws, f"E{r}", goal.due.to_pydatetime(), "yyyy-mm")
        elif source is None and carried is None:  # a template default, said so where the due month would be
            put_text(ws[f"E{r}"], ctx.ui("template_default"))  # read back as no due month by --update
        mark_input(ctx.wb, ws, f"E{r}", goal_name(key, "due"), "yyyy-mm")
        if ws[f"E{r}"].data_type == "s":
            ws[f"E{r}"].font = Font(italic=True, color="7F7F7F")
        direction.add(f"D{r}")
        ctx.book.formula(ws, f"I{r}", f'IF(D{r}="{lower}","lower","higher")', goal.direction)
        for role, text in notes.get(key, {}).items():
            add_note(ws, f"{GOAL_COLUMNS[role]}{r}", text)
        actual = kpi_ref(ctx, monthly, balance_sheet, key)
        if actual is None:
            shown = ctx.book.formula(ws, f"F{r}", "NA()", math.nan, fmt, error=NA)
        else:
            shown = ctx.book.formula(ws, f"F{r}", actual, goal.actual, fmt)
        # an undefined actual passes its error on; otherwise only a zero can be undefined
        progress = f'IF(I{r}="higher",F{r}/C{r},C{r}/F{r})'
        ctx.book.formula(ws, f"G{r}", progress, goal.progress, "0%", error=str(shown) if is_error(shown) else DIV0)
        known = isinstance(goal.status, str)
        status = ctx.lang.status[STATUS_KEYS[goal.status] if known else "none"]
        ctx.book.formula(ws, f"H{r}", status_formula(ctx, r), status)
        # K (hidden): the KPI three months back, the start of the pace the course carries on
        earlier = kpi_ref(ctx, monthly, balance_sheet, key, back=COURSE_MONTHS)
        if earlier is None:
            ctx.book.formula(ws, f"K{r}", "NA()", math.nan, fmt, error=NA)
        else:
            ctx.book.formula(ws, f"K{r}", earlier, goal.earlier, fmt)
        course = ctx.lang.status[STATUS_KEYS[goal.course]] if isinstance(goal.course, str) else ""
        ctx.book.formula(ws, f"J{r}", course_formula(ctx, r, as_of), course)
        anchors.goals[key] = Goal(
            ctx.book.ref(ws, f"C{r}"),
            ctx.book.ref(ws, f"H{r}"),
            goal.target,
            status,
            source is None and not carried,
            ctx.book.ref(ws, f"J{r}"),
            course,
            ctx.book.ref(ws, f"E{r}"),
            ctx.book.ref(ws, f"F{r}"),
        )
    end = FIRST + max(len(goals), 1) - 1
    put_text(ws["A3"], ctx.ui("inputs_legend"))
    ws["A3"].font = NOTE_FONT
    ws.merge_cells("A3:H3")  # like the note above: wrapped within the printed width
    ws["A3"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[3].height = 30
    status_colours(ws, f"H{FIRST}:H{end}", ctx.lang.status)
    status_colours(ws, f"J{FIRST}:J{end}", ctx.lang.status)
    grey_errors(ws, f"F{FIRST}:G{end}")
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].hidden = True
    ws.column_dimensions["I"].hidden = True
    ws.column_dimensions["K"].hidden = True
    for letter in "CDEFGHJ":
        ws.column_dimensions[letter].width = 14
    # the direction words in the dashboard's language fit their column (Korean runs wider)
    ws.column_dimensions["D"].width = max(16, 2 + max(text_width(ctx.ui(w)) for w in ("higher", "lower")))
    ws.freeze_panes = f"B{FIRST}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return anchors


def status_formula(ctx: Context, r: int) -> str:
    """met / below target / far below, judged on the reporting month (metrics/goals.py's rule)."""
    s = ctx.lang.status
    met = f'IF(I{r}="higher",F{r}>=C{r},F{r}<=C{r})'
    gap = f'IF(I{r}="higher",C{r}-F{r},F{r}-C{r})/ABS(C{r})'
    return (
        f'IF(ISERROR(F{r}),"{s["none"]}",IF({met},"{s["met"]}",IF(C{r}=0,"{s["far_below"]}",'
        f'IF({gap}<={FAR_BELOW_BAND},"{s["below"]}","{s["far_below"]}"))))'
    )


def course_formula(ctx: Context, r: int, as_of: str) -> str:
    """missed / on course / off course for a goal with a due month and not met (else blank)."""
    s = ctx.lang.status
    met = f'IF(I{r}="higher",F{r}>=C{r},F{r}<=C{r})'
    left = f"((YEAR(E{r})-YEAR({as_of}))*12+MONTH(E{r})-MONTH({as_of}))"
    projected = f"(F{r}+(F{r}-K{r})/{COURSE_MONTHS}*{left})"
    on_course = f'IF(I{r}="higher",{projected}>=C{r},{projected}<=C{r})'
    return (
        f'IF(OR(NOT(ISNUMBER(E{r})),ISERROR(F{r})),"",IF({met},"",IF({left}<=0,"{s["missed"]}",'
        f'IF(ISERROR(K{r}),"",IF({on_course},"{s["on_course"]}","{s["off_course"]}")))))'
    )


def goal_rows(ctx: Context) -> tuple[pd.DataFrame, list[int | None]]:
    """Goals from the input's targets (their row index in the Data targets table), then template defaults."""
    if ctx.options.carried is not None and ctx.options.carried.goals_found:  # --update: as the person left them
        carried = ctx.options.carried.goals_frame()
        return carried, [None] * len(carried)
    rows: list[dict[str, object]] = []
    sources: list[int | None] = []
    targets = ctx.data.targets
    seen = set()
    if targets is not None:
        target_rows: list[dict[str, Any]] = targets.to_dict("records")  # type: ignore[assignment]  # column names are str
        for i, t in enumerate(target_rows):
            rows.append(
                {
                    "kpi": t["kpi"],
                    "target": float(t["target"]),
                    "direction": t["direction"],
                    "due": t.get("due", pd.NaT),
                }
            )
            sources.append(i)
            seen.add(t["kpi"])
    for kpi, (target, direction) in ctx.template.targets.items():
        if kpi not in seen:
            rows.append({"kpi": kpi, "target": target, "direction": direction, "due": pd.NaT})
            sources.append(None)
    frame = pd.DataFrame(rows, columns=["kpi", "target", "direction", "due"])
    frame["due"] = pd.to_datetime(frame["due"])
    return frame, sources
