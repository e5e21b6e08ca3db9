"""Plan vs actual: each planned key's actual, plan, variance and variance % by month, the
year to date and the full year (actual to date + plan for the rest), coloured by direction.

The plan is the Excel Table ``Plan`` on the right of the sheet (input cells: a plan typed
there recalculates the comparison, and ``dashboard --update`` carries it into next month's
file); the actuals are references into ``MonthlyKPIs`` (costs: Inputs by month).  Months
after the as-of month show the plan only — never an actual.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from ...metrics.catalogue import COST_COLUMNS
from ...metrics.plan import actual_values, aggregation, plan_direction, selected_plan
from ..cells import put_text
from ..expr import DIV0, NA, is_error
from .common import NOTE_FONT, Context, add_table, column, grey_errors, number_format
from .inputs import InputsByMonth
from .monthly import MonthlyTable

GOOD_FILL = PatternFill("solid", bgColor="C6EFCE")
BAD_FILL = PatternFill("solid", bgColor="FFC7CE")
SUMMARY_HEADER = 4
TABLE_NAME = "Plan"


@dataclass
class PlanSheet:
    """The plan compared (None: the input has no plan), and the Plan table's MRR column for charts."""

    plan: pd.DataFrame | None
    scenario: str | None = None
    ws: Worksheet | None = None
    plan_mrr: tuple[int, int, int] | None = None  # (column, first row, last row) of the Plan table's mrr
    #: the month table: each month's row, and each planned key's (actual, plan) column letters
    rows: dict[pd.Period, int] = field(default_factory=dict)
    columns: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: per summable key: its row of the year summary and the library's (YTD actual, YTD plan,
    #: full-year outlook, full-year plan) — the cells B, C, E and F of that row
    year: dict[str, tuple[int, tuple[float, ...]]] = field(default_factory=dict)
    #: the library's actual values of the planned keys, by month
    actual: pd.DataFrame | None = None


def _fmt(ctx: Context, key: str) -> str:
    return number_format("money", ctx.currency) if key in COST_COLUMNS else ctx.fmt(key)


def _label(ctx: Context, key: str) -> str:
    return ctx.column_label(key)


def sheet_months(ctx: Context, plan: pd.DataFrame) -> list[pd.Period]:
    """The month rows: every planned month from the report's first on, and every reported month of the as-of year."""
    as_of = ctx.report.as_of
    first = ctx.months[0]
    planned = {m for m in plan.index if m >= first}
    this_year = {m for m in ctx.months if m.year == as_of.year}
    return sorted(planned | this_year)


def build(ctx: Context, monthly: MonthlyTable, inputs: InputsByMonth) -> PlanSheet:
    ws = ctx.sheets["plan"]
    chosen = selected_plan(ctx.data)
    ctx.title(ws, ctx.lang.sheets["plan"])
    if chosen is None:
        put_text(ws["A2"], ctx.ui("plan_none"))
        ws["A2"].font = NOTE_FONT
        return PlanSheet(None)
    scenario, plan = chosen
    keys = list(plan.columns)
    months = sheet_months(ctx, plan)
    note = ctx.ui("plan_note", as_of=str(ctx.report.as_of))
    if scenario:
        note = f"{ctx.ui('plan_scenario', scenario=scenario)} {note}"
    put_text(ws["A2"], note)
    ws["A2"].font = NOTE_FONT
    ws.merge_cells("A2:L2")
    ws["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[2].height = 45

    summarised = [k for k in keys if aggregation(k) in ("sum", "end")]
    header = SUMMARY_HEADER + len(summarised) + 3  # the month table's header row
    first = header + 1
    last = first + len(months) - 1
    width = 1 + 4 * len(keys)
    plan_col = width + 2  # the Plan table's first column (month)
    table_cols = {k: plan_col + 1 + j for j, k in enumerate(keys)}
    _plan_table(ctx, ws, plan, keys, plan_col, header)
    plan_last = header + len(plan)

    actual = actual_values(ctx.report.monthly, ctx.report.inputs, keys)
    index = {m: i for i, m in enumerate(ctx.months)}
    ctx.header(ws, header, [ctx.ui("month")])
    plan_month = f"{TABLE_NAME}[month]"
    for j, key in enumerate(keys):
        c0 = 2 + 4 * j
        labels = [
            f"{_label(ctx, key)}: {ctx.ui('actual')}",
            ctx.ui("plan"),
            ctx.ui("variance"),
            ctx.ui("variance_pct"),
        ]
        ctx.header(ws, header, labels, start_col=c0)
        a, p, v, pct = (column(c0 + n) for n in range(4))
        fmt = _fmt(ctx, key)
        direction = plan_direction(key)
        for r, month in enumerate(months, start=first):
            ctx.book.value(ws, f"A{r}", month, "yyyy-mm")
            lookup = f"INDEX({TABLE_NAME}[{key}],MATCH($A{r},{plan_month},0))"
            planned = float(plan[key].get(month, math.nan)) if month in plan.index else math.nan
            p_shown = ctx.book.formula(
                ws,
                f"{p}{r}",
                f'IF(COUNTIF({plan_month},$A{r})=0,NA(),IF({lookup}="",NA(),{lookup}))',
                planned,
                fmt,
                error=NA,
            )
            if month not in index:  # after the as-of month: the plan only
                continue
            i = index[month]
            source = inputs.ref(key, i) if key in COST_COLUMNS else monthly.ref(key, i)
            value = float(actual[key].iloc[i])
            a_shown = ctx.book.formula(ws, f"{a}{r}", source, value, fmt)
            error = str(a_shown) if is_error(a_shown) else (NA if is_error(p_shown) else None)
            diff = value - planned
            ctx.book.formula(ws, f"{v}{r}", f"{a}{r}-{p}{r}", diff, fmt, error=error)
            pct_error = error or (DIV0 if planned == 0 else None)
            share = diff / abs(planned) if planned else math.nan
            ctx.book.formula(ws, f"{pct}{r}", f"({a}{r}-{p}{r})/ABS({p}{r})", share, "0.0%", error=pct_error)
        _colours(ws, f"{v}{first}:{pct}{last}", f"{v}{first}", direction)
        ws.column_dimensions[a].width = ws.column_dimensions[p].width = 13
        ws.column_dimensions[v].width = ws.column_dimensions[pct].width = 11
    ws.row_dimensions[header].height = 45
    ws.column_dimensions["A"].width = 26
    grey_errors(ws, f"B{first}:{column(width)}{last}")
    year = _year(ctx, ws, summarised, keys, months, first, plan, actual)
    ws.freeze_panes = f"B{first}"
    mrr = (table_cols["mrr"], header + 1, plan_last) if "mrr" in keys else None
    rows = {month: first + k for k, month in enumerate(months)}
    letters = {key: (column(2 + 4 * j), column(3 + 4 * j)) for j, key in enumerate(keys)}
    return PlanSheet(plan, scenario, ws, mrr, rows, letters, year, actual)


def _plan_table(ctx: Context, ws: Worksheet, plan: pd.DataFrame, keys: list[str], col: int, header: int) -> None:
    """The plan as the Excel Table ``Plan`` (month, then one column per key), input cells."""
    from ..typed import INPUT_STYLE_NAME, input_style

    if INPUT_STYLE_NAME not in ctx.wb.named_styles:
        ctx.wb.add_named_style(input_style())
    put_text(ws.cell(row=header - 1, column=col), ctx.ui("plan_table"))
    ws.cell(row=header - 1, column=col).font = NOTE_FONT
    ctx.header(ws, header, ["month", *keys], start_col=col)
    for r, (month, row) in enumerate(plan.iterrows(), start=header + 1):
        ctx.book.value(ws, f"{column(col)}{r}", month, "yyyy-mm")
        for j, key in enumerate(keys, start=1):
            cell = ws.cell(row=r, column=col + j)
            cell.style = INPUT_STYLE_NAME
            ctx.book.value(ws, cell.coordinate, row[key], _fmt(ctx, key))
    last = header + max(len(plan), 1)
    ref = f"{column(col)}{header}:{column(col + len(keys))}{last}"
    add_table(ws, TABLE_NAME, ref, ["month", *keys], "TableStyleLight9")
    for j in range(len(keys) + 1):
        ws.column_dimensions[column(col + j)].width = 13


def _colours(ws: Worksheet, area: str, top_left: str, direction: str) -> None:
    good = f"{top_left}>=0" if direction == "higher" else f"{top_left}<=0"
    bad = f"{top_left}<0" if direction == "higher" else f"{top_left}>0"
    ws.conditional_formatting.add(area, FormulaRule(formula=[f"AND(ISNUMBER({top_left}),{good})"], fill=GOOD_FILL))
    ws.conditional_formatting.add(area, FormulaRule(formula=[f"AND(ISNUMBER({top_left}),{bad})"], fill=BAD_FILL))


def _year(
    ctx: Context,
    ws: Worksheet,
    keys: list[str],
    all_keys: list[str],
    months: list[pd.Period],
    first: int,
    plan: pd.DataFrame,
    actual: pd.DataFrame,
) -> dict[str, tuple[int, tuple[float, ...]]]:
    """Year to date and full year (actual to date + plan for the rest) of each summable key;
    returns each key's row and its (YTD actual, YTD plan, full-year outlook, full-year plan)."""
    rows: dict[str, tuple[int, tuple[float, ...]]] = {}
    as_of = ctx.report.as_of
    year = as_of.year
    last = first + len(months) - 1
    ctx.section(ws, SUMMARY_HEADER - 1, ctx.ui("plan_year", year=year, as_of=str(as_of)))
    ctx.header(
        ws,
        SUMMARY_HEADER,
        [
            ctx.ui("kpi"),
            ctx.ui("plan_ytd_actual"),
            ctx.ui("plan_ytd_plan"),
            ctx.ui("variance"),
            ctx.ui("plan_fy_outlook"),
            ctx.ui("plan_fy_plan"),
            ctx.ui("variance"),
        ],
    )
    ws.row_dimensions[SUMMARY_HEADER].height = 45
    month_range = f"$A${first}:$A${last}"
    start = f"DATE({year},1,1)"
    end_as_of = f"DATE({as_of.year},{as_of.month},1)"
    december = pd.Period(f"{year}-12", "M")
    in_year = [m for m in months if m.year == year]
    to_date = [m for m in in_year if m <= as_of]
    rest = [m for m in in_year if m > as_of]
    for r, key in enumerate(keys, start=SUMMARY_HEADER + 1):
        j = all_keys.index(key)
        a, p = column(2 + 4 * j), column(3 + 4 * j)
        fmt = _fmt(ctx, key)
        put_text(ws[f"A{r}"], _label(ctx, key))
        p_values = plan[key].reindex(pd.PeriodIndex(in_year, freq="M"))
        a_values = actual[key].reindex(pd.PeriodIndex(to_date, freq="M"))
        if aggregation(key) == "sum":

            def between(col: str, low: str, high: str) -> str:
                return f'SUMIFS({col}${first}:{col}${last},{month_range},">="&{low},{month_range},"<="&{high})'

            ytd_a = float(a_values.sum(min_count=len(a_values)))
            ytd_p = float(p_values.loc[pd.PeriodIndex(to_date, freq="M")].sum(min_count=len(to_date)))
            rest_p = float(p_values.loc[pd.PeriodIndex(rest, freq="M")].sum(min_count=len(rest))) if rest else 0.0
            fy_p = float(p_values.sum(min_count=len(p_values)))
            formulas = [
                between(a, start, end_as_of),
                between(p, start, end_as_of),
                None,
                f"B{r}+" + (between(p, f"EDATE({end_as_of},1)", f"DATE({year},12,1)") if rest else "0"),
                between(p, start, f"DATE({year},12,1)"),
                None,
            ]
            values = [ytd_a, ytd_p, None, ytd_a + rest_p, fy_p, None]
        else:  # a level: its value at the as-of month, and in December

            def at(col: str, when: str) -> str:
                return f"INDEX({col}${first}:{col}${last},MATCH({when},{month_range},0))"

            dec_p = float(p_values.get(december, math.nan)) if december in p_values.index else math.nan
            fy = dec_p if december > as_of else float(actual[key].get(december, math.nan))
            formulas = [
                at(a, end_as_of),
                at(p, end_as_of),
                None,
                at(p if december > as_of else a, f"DATE({year},12,1)"),
                at(p, f"DATE({year},12,1)"),
                None,
            ]
            values = [float(a_values.iloc[-1]), float(p_values.get(as_of, math.nan)), None, fy, dec_p, None]
        for n, (formula, value) in enumerate(zip(formulas, values, strict=True)):
            letter = column(2 + n)
            if formula is None:  # the variance of the two before it
                x, y = column(n), column(n + 1)
                value = values[n - 2] - values[n - 1]  # type: ignore[operator]  # both are the numbers of this row
                formula = f"{x}{r}-{y}{r}"
            ctx.book.formula(ws, f"{letter}{r}", formula, value, fmt)
        direction = plan_direction(key)
        _colours(ws, f"D{r}", f"D{r}", direction)
        _colours(ws, f"G{r}", f"G{r}", direction)
        rows[key] = (r, tuple(float(values[n]) for n in (0, 1, 3, 4)))  # type: ignore[arg-type]  # B, C, E, F are numbers
    for letter in "BCDEFG":
        ws.column_dimensions[letter].width = max(ws.column_dimensions[letter].width or 0, 13)
    return rows
