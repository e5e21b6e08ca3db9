"""The dashboard's sheets: one module per sheet, and the registry that builds them in order.

Each module's ``build(ctx, **anchors)`` writes its sheet and returns its *anchors*: an
object saying where its cells are (``monthly.ref("mrr", i)``, ``goals.goals["nrr"].status``)
so that other sheets refer to them without knowing any cell position.  :data:`STEPS` is
the build order: each step names the anchors it needs by the names of earlier steps, and
the progress step it belongs to (the command line's progress bar reads :data:`PROGRESS_STEPS`).

The tab order of the workbook is another matter: the template's report sheets first, in
its order, then the other report sheets, then the supporting sheets (:func:`tab_order`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook

from ..template import REPORT_SHEETS
from . import (
    balance_sheet,
    carried_over,
    customers,
    data,
    definitions,
    forecast,
    funnel,
    goals,
    inputs,
    ledger,
    monthly,
    movements,
    names,
    nps,
    pack_cohorts,
    pack_forecast,
    pack_goals,
    pack_overview,
    pack_pages,
    pack_plan,
    pack_segments,
    plan,
    printing,
    revenue,
    segment_data,
    segments,
    summary,
    unit_economics,
)
from .common import Context

SUPPORTING_SHEETS = ("monthly", "ledger", "movements", "inputs", "segment_data", *data.SHEET_KEYS)
#: Working sheets after the template's report sheets, not printed in the board pack (they
#: hold months after the as-of month: forecasts, never actuals); visible with the supporting sheets.
WORKING_SHEETS = ("plan", "forecast")


@dataclass(frozen=True)
class Step:
    """One build step: ``build(ctx, **{name: anchors of that earlier step for name in needs})``."""

    name: str
    progress: str
    build: Callable[..., Any]
    needs: tuple[str, ...] = ()


STEPS: tuple[Step, ...] = (
    Step("data", "data sheets", data.build),
    Step("movements", "ledger aggregates", movements.build),
    Step("ledger", "ledger aggregates", ledger.build, ("movements",)),
    Step("inputs", "inputs by month", inputs.build, ("ledger",)),
    Step("monthly", "monthly KPIs", monthly.build, ("ledger", "inputs")),
    Step("balance_sheet", "report sheets", balance_sheet.build, ("data",)),
    Step("goals", "report sheets", goals.build, ("monthly", "balance_sheet", "data")),
    Step("plan", "report sheets", plan.build, ("monthly", "inputs")),
    Step("revenue", "report sheets", revenue.build, ("monthly", "ledger", "goals", "movements", "plan")),
    Step("customers", "report sheets", customers.build, ("monthly",)),
    Step("segment_data", "report sheets", segment_data.build),
    Step("segments", "report sheets", segments.build, ("monthly", "ledger", "segment_data")),
    Step("funnel", "report sheets", funnel.build, ("monthly", "inputs")),
    Step("unit_economics", "report sheets", unit_economics.build, ("monthly", "inputs")),
    Step("nps", "report sheets", nps.build, ("monthly", "inputs")),
    Step(
        "summary",
        "report sheets",
        summary.build,
        ("monthly", "balance_sheet", "goals", "data", "revenue", "funnel", "nps", "unit_economics"),
    ),
    Step("forecast", "report sheets", forecast.build, ("monthly", "goals")),
    Step("definitions", "report sheets", definitions.build),
    Step("names", "report sheets", names.build, ("monthly", "balance_sheet")),
    Step("carried_over", "report sheets", carried_over.build),
    Step("pack_overview", "board pack", pack_overview.build, ("monthly", "goals")),
    Step("pack_pages", "board pack", pack_pages.build, ("monthly",)),
    Step("pack_cohorts", "board pack", pack_cohorts.build),
    Step("pack_goals", "board pack", pack_goals.build, ("goals",)),
    Step("pack_plan", "board pack", pack_plan.build, ("plan",)),
    Step("pack_segments", "board pack", pack_segments.build, ("segments",)),
    Step("pack_forecast", "board pack", pack_forecast.build, ("monthly", "forecast")),
    Step("print", "report sheets", printing.build),
)

#: What the writer does after the sheets (see :mod:`kpi_addin.dashboard.writer`).
WRITE_STEPS = ("saving", "cached values")
#: The writer's last step when a PDF is asked for.
PDF_STEP = "pdf"
#: The progress steps of a build, in order (each reported once).
PROGRESS_STEPS: tuple[str, ...] = (*dict.fromkeys(s.progress for s in STEPS), *WRITE_STEPS)


def tab_order(ctx: Context) -> list[str]:
    """Sheet keys in tab order: the template's report sheets, the other report sheets, the supporting ones."""
    shown = ctx.template.sheets
    carried = ["carried_over"] if carried_over.needed(ctx) else []
    supporting = [s for s in SUPPORTING_SHEETS if s != "movements" or movements.included(ctx)]
    pack = list(ctx.template.pack)
    return [*shown, *WORKING_SHEETS, *(s for s in REPORT_SHEETS if s not in shown), *pack, *carried, *supporting]


def create_sheets(ctx: Context) -> None:
    ctx.wb.remove(ctx.wb.active)
    for key in tab_order(ctx):
        ws = ctx.wb.create_sheet(ctx.lang.sheets[key])
        ctx.sheets[key] = ws
        visible = key in (*ctx.template.sheets, *ctx.template.pack, "carried_over") or (
            ctx.template.show_supporting_sheets and key in (*WORKING_SHEETS, *SUPPORTING_SHEETS)
        )
        ws.sheet_state = "visible" if visible else "hidden"
    ctx.wb.active = 0


def build_sheets(ctx: Context) -> dict[str, Any]:
    """Create every sheet and build them in :data:`STEPS` order; returns each step's anchors."""
    create_sheets(ctx)
    anchors: dict[str, Any] = {}
    reported: set[str] = set()
    for step in STEPS:
        if step.progress not in reported:
            ctx.progress(step.progress)
            reported.add(step.progress)
        anchors[step.name] = step.build(ctx, **{name: anchors[name] for name in step.needs})
    return anchors


def new_context(data_: Any, report: Any, options: Any, progress: Callable[[str], None] | None = None) -> Context:
    workbook = Workbook()
    # Excel recalculates every formula on opening (the cached values are for previews);
    # said here rather than left to openpyxl's default.
    workbook.calculation.fullCalcOnLoad = True
    return Context(data_, report, options, workbook, progress=progress or (lambda _step: None))
