"""Inputs by month: the Data tables looked up month by month (formulas)."""

from __future__ import annotations

from openpyxl.utils import get_column_letter

from ...metrics.catalogue import COST_COLUMNS, COSTS_SHEET_COLUMNS, FINANCIAL_COLUMNS, FUNNEL_COLUMNS
from ...metrics.customers import DETRACTOR_MAX, PROMOTER_MIN
from ..expr import NA
from .common import Context, MonthRows, grey_errors, number_format
from .ledger import LedgerAggregates

HEADER_ROW = 4
FIRST = HEADER_ROW + 1
COLUMNS = (
    *COST_COLUMNS,
    "cts_total",
    *FUNNEL_COLUMNS,
    "nps_answers",
    "nps_promoters",
    "nps_detractors",
    *FINANCIAL_COLUMNS,
    "margin_revenue",
    "margin_profit",
    "quarter_end",
)


class InputsByMonth(MonthRows):
    """``ref(column, i)``: the input column's value of month ``i`` (0 = the first month)."""


def build(ctx: Context, ledger: LedgerAggregates) -> InputsByMonth:
    ws = ctx.sheets["inputs"]
    ctx.title(ws, ctx.lang.sheets["inputs"], ctx.ui("inputs_note"))
    columns = ["month", *COLUMNS]
    ctx.label_row(ws, HEADER_ROW - 1, columns)
    ctx.header(ws, HEADER_ROW, columns)
    ctx.month_column(ws, FIRST)
    letters = {c: get_column_letter(i + 1) for i, c in enumerate(columns)}
    inputs = ctx.report.inputs
    money = number_format("money", ctx.currency)
    for i in range(ctx.n):
        row = FIRST + i
        month = f"$A{row}"
        for column in COLUMNS:
            expected = inputs[column].iloc[i]
            cell = f"{letters[column]}{row}"
            if column in COSTS_SHEET_COLUMNS or column in FUNNEL_COLUMNS:
                table = "Costs" if column in COSTS_SHEET_COLUMNS else "Funnel"
                formula = (
                    f'IF(COUNTIFS({table}[month],{month},{table}[{column}],"<>")=0,NA(),'
                    f"SUMIFS({table}[{column}],{table}[month],{month}))"
                )
                whole = table == "Funnel" or column == "headcount"
                fmt = number_format("count", ctx.currency) if whole else money
                ctx.book.formula(ws, cell, formula, expected, fmt, error=NA)
            elif column == "cts_total":
                parts = ("customer_success", "infrastructure", "retention_programs")
                counted = "+".join(f'COUNTIFS(Costs[month],{month},Costs[{p}],"<>")' for p in parts)
                summed = "+".join(f"SUMIFS(Costs[{p}],Costs[month],{month})" for p in parts)
                ctx.book.formula(ws, cell, f"IF({counted}=0,NA(),{summed})", expected, money, error=NA)
            elif column == "margin_revenue":  # recurring revenue as booked, else MRR (finance_kpis)
                recurring = f"{letters['recurring_revenue']}{row}"
                formula = f"IF(COUNT(Costs[recurring_revenue])=0,{ledger.ref('mrr', i).excel()},{recurring})"
                ctx.book.formula(ws, cell, formula, expected, money, error=NA)
            elif column == "margin_profit":  # EBITDA, else the change in cash (free cash flow; finance_kpis)
                change = f"{letters['cash']}{row}-{letters['cash']}{row - 1}" if i else "NA()"
                formula = f"IF(COUNT(Costs[ebitda])=0,{change},{letters['ebitda']}{row})"
                ctx.book.formula(ws, cell, formula, expected, money, error=NA)
            elif column == "quarter_end":  # 1 in a calendar quarter's last month
                ctx.book.formula(ws, cell, f"IF(MOD(MONTH({month}),3)=0,1,0)", expected, "0")
            else:
                window = f'NPS[date],">="&{month},NPS[date],"<"&EDATE({month},1)'
                extra = {
                    "nps_answers": "",
                    "nps_promoters": f',NPS[score],">={PROMOTER_MIN}"',
                    "nps_detractors": f',NPS[score],"<={DETRACTOR_MAX}"',
                }[column]
                # no answer at all: no NPS input (#N/A, as the library's null), not zero answers
                formula = f"IF(COUNTA(NPS[score])=0,NA(),COUNTIFS({window}{extra}))"
                ctx.book.formula(ws, cell, formula, expected, "#,##0", error=NA)
    ws.freeze_panes = f"B{FIRST}"
    grey_errors(ws, f"B{FIRST}:{get_column_letter(len(columns))}{FIRST + ctx.n - 1}")
    for i in range(2, len(columns) + 1):
        ws.column_dimensions[get_column_letter(i)].width = 14
    return InputsByMonth(ctx, ws, letters, FIRST)
