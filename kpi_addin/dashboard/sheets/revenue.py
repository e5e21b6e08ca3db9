"""Revenue: MRR, ARR and the MRR movements by month, the ARR bridge of the last twelve months;
the MRR trend (with its target), movements and ARR bridge charts."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl.utils import get_column_letter

from ..cells import put_text
from ..expr import PlanLookup
from . import charts, top_movements
from .common import Context, grey_errors
from .goals import Goals
from .ledger import LedgerAggregates
from .monthly import MonthlyTable
from .movements import MovementLog
from .plan import TABLE_NAME, PlanSheet
from .view import Column, MonthlyView, build_view, kpi_columns

BRIDGE_MONTHS = 12
#: The ARR bridge's steps: (language key, monthly KPI summed over the window, sign).
BRIDGE_STEPS = (
    ("bridge_new", "new_mrr", 1),
    ("bridge_expansion", "expansion_mrr", 1),
    ("bridge_reactivation", "reactivation_mrr", 1),
    ("bridge_fx", "fx_mrr", 1),
    ("bridge_contraction", "contraction_mrr", -1),
    ("bridge_churned", "churned_mrr", -1),
)


@dataclass
class RevenueSheet:
    view: MonthlyView
    bridge: charts.Block  # the ARR bridge rows (label, value, base, total, increase, decrease)
    mrr_target: int | None  # the column of the MRR target, when a goal sets one


def build(
    ctx: Context,
    monthly: MonthlyTable,
    ledger: LedgerAggregates,
    goals: Goals,
    movements: MovementLog,
    plan: PlanSheet,
) -> RevenueSheet:
    money = ctx.money()
    extras = ctx.report.extras
    m = monthly.ref
    columns = kpi_columns(
        ctx,
        monthly,
        ["mrr", "arr", "new_mrr", "expansion_mrr", "reactivation_mrr", "fx_mrr", "contraction_mrr", "churned_mrr"],
    )
    columns.append(
        Column(
            "net_new_mrr",
            ctx.ui("net_new_mrr"),
            money,
            lambda i: (
                m("new_mrr", i)
                + m("expansion_mrr", i)
                + m("reactivation_mrr", i)
                + m("fx_mrr", i)
                - m("contraction_mrr", i)
                - m("churned_mrr", i)
            ),
            extras["net_new_mrr"],
        )
    )
    # the movement chart stacks losses below zero
    columns.append(
        Column(
            "contraction_negative",
            ctx.ui("contraction_negative"),
            money,
            lambda i: -m("contraction_mrr", i),
            -ctx.report.monthly["contraction_mrr"],
        )
    )
    columns.append(
        Column(
            "churn_negative",
            ctx.ui("churn_negative"),
            money,
            lambda i: -m("churned_mrr", i),
            -ctx.report.monthly["churned_mrr"],
        )
    )
    goal = goals.goals.get("mrr")
    if plan.plan is not None and "mrr" in plan.plan.columns:  # the plan's path, month by month
        planned = plan.plan["mrr"].reindex(ctx.report.monthly.index)
        columns.append(
            Column(
                "mrr_target",
                ctx.ui("mrr_plan"),
                money,
                lambda i: PlanLookup(TABLE_NAME, "mrr", monthly.month(i), float(planned.iloc[i])),
                planned,
            )
        )
    elif goal is not None:
        target = ctx.report.monthly["mrr"] * 0 + goal.target_value
        columns.append(Column("mrr_target", ctx.ui("mrr_target"), money, lambda _i: goal.target, target))
    view = build_view(ctx, "revenue", columns)
    bridge = arr_bridge(ctx, view, monthly, ledger)
    top_movements.build(ctx, view.ws, bridge.last + 3, movements)
    sources = charts.ChartSources(monthly, revenue=view, arr_bridge=bridge, mrr_target=view.columns.get("mrr_target"))
    beside = get_column_letter(view.width + 2)
    step = charts.ROWS_PER_CHART["sheet"]
    for k, kind in enumerate(("mrr_trend", "mrr_movements", "arr_bridge")):
        charts.place(ctx, view.ws, kind, sources.chart(ctx, kind), f"{beside}{view.header_row + k * step}")
    return RevenueSheet(view, bridge, view.columns.get("mrr_target"))


def arr_bridge(ctx: Context, view: MonthlyView, monthly: MonthlyTable, ledger: LedgerAggregates) -> charts.Block:
    """ARR at the start of the last twelve months, each movement over them (× 12), ARR at the end.

    The steps tie: start + new + expansion + reactivation + FX − contraction − churned = end,
    because the monthly bridge ties month by month.  Columns C–F carry the waterfall chart:
    an invisible base, then the totals (navy), increases (green) and decreases (red).
    """
    ws = view.ws
    report = ctx.report
    first = max(0, ctx.n - BRIDGE_MONTHS)
    last = ctx.n - 1
    months = report.monthly.index
    row = view.last_row + 3
    ctx.section(ws, row, ctx.ui("arr_bridge_title", start=str(months[first]), end=str(months[last])))
    ctx.header(
        ws, row + 1, [ctx.ui("step"), ctx.ui("arr"), "", ctx.ui("total"), ctx.ui("increase"), ctx.ui("decrease")]
    )
    money = ctx.money()
    start_value = float(report.bridge["start_mrr"].iloc[first]) * 12
    r = row + 2
    rows: list[tuple[str, str, float, str]] = [
        ("bridge_start", f"{ledger.ref('start_mrr', first).excel()}*12", start_value, "total")
    ]
    for key, kpi, sign in BRIDGE_STEPS:
        top, bottom = monthly.ref(kpi, first).excel(), monthly.ref(kpi, last).excel().split("!")[-1]
        total = float(report.monthly[kpi].iloc[first : last + 1].sum()) * 12
        prefix = "-" if sign < 0 else ""
        rows.append((key, f"{prefix}SUM({top}:{bottom})*12", sign * total, "step"))
    rows.append(("bridge_end", monthly.ref("arr", last).excel(), float(report.monthly["arr"].iloc[last]), "total"))
    level, peaks = 0.0, []
    for k, (key, formula, value, kind) in enumerate(rows):
        rr = r + k
        put_text(ws[f"A{rr}"], ctx.ui(key))
        ctx.book.formula(ws, f"B{rr}", formula, value, money)
        if kind == "total":
            ctx.book.formula(ws, f"D{rr}", f"B{rr}", value, money)
            level = value
        else:
            before = f"SUM(B{r}:B{rr - 1})"
            ctx.book.formula(ws, f"C{rr}", f"MIN({before},{before}+B{rr})", min(level, level + value), money)
            ctx.book.formula(ws, f"E{rr}", f"MAX(B{rr},0)", max(value, 0.0), money)
            ctx.book.formula(ws, f"F{rr}", f"MAX(-B{rr},0)", max(-value, 0.0), money)
            level += value
        peaks.append(level)
    end = r + len(rows) - 1
    grey_errors(ws, f"B{r}:F{end}")
    return charts.Block(ws, r, end, peaks=tuple(peaks))
