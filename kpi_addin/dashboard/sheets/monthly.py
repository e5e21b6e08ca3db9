"""Monthly KPIs: the Table ``MonthlyKPIs`` whose headers are the JSON keys of ``kpi-addin metrics``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...metrics import MONTHLY_KEYS
from ...metrics.trailing import CAC_WINDOW, CHURN_WINDOW, COHORT_MONTHS, LTV_CHURN_WINDOW
from ..cells import put_text
from ..expr import Expr, NAIfZero, Ref
from .common import Context, add_table, grey_errors
from .inputs import InputsByMonth
from .ledger import LedgerAggregates

HEADER_ROW = 4  # labels on row 3, keys on row 4, data from 5
FIRST = HEADER_ROW + 1


@dataclass
class MonthlyTable:
    """``ref(key, i)``: KPI ``key`` of month ``i``; ``latest(key)``: of the as-of month."""

    ctx: Context
    ws: Worksheet
    columns: dict[str, str]

    @property
    def last(self) -> int:
        """The index of the as-of month."""
        return self.ctx.n - 1

    def ref(self, key: str, i: int, local: Worksheet | None = None) -> Ref:
        return self.ctx.book.ref(self.ws, f"{self.columns[key]}{FIRST + i}", local=local)

    def latest(self, key: str) -> Ref:
        return self.ref(key, self.last)

    def month(self, i: int) -> Ref:
        return self.ctx.book.ref(self.ws, f"A{FIRST + i}")

    def column_range(self, key: str, first: int = 0, *, with_header: bool = False) -> tuple[Worksheet, int, int, int]:
        """(sheet, column index, first row, last row) of ``key`` from month ``first`` (for charts)."""
        col = list(self.columns).index(key) + 1
        return self.ws, col, (HEADER_ROW if with_header else FIRST + first), FIRST + self.last


def build(ctx: Context, ledger: LedgerAggregates, inputs: InputsByMonth) -> MonthlyTable:
    ws = ctx.sheets["monthly"]
    ctx.title(ws, ctx.lang.sheets["monthly"], f"{ctx.ui('monthly_note')} {ctx.ui('legend')}{ctx.opening_note()}")
    keys = list(MONTHLY_KEYS)
    letters = {k: get_column_letter(i + 1) for i, k in enumerate(keys)}
    table = MonthlyTable(ctx, ws, letters)
    for i, key in enumerate(keys, start=1):
        cell = ws.cell(row=HEADER_ROW - 1, column=i)
        put_text(cell, ctx.lang.label(key))
        cell.font, cell.alignment = Font(bold=True, color="1F3864"), Alignment(wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = 14
    ctx.header(ws, HEADER_ROW, keys)
    ctx.month_column(ws, FIRST)
    monthly = ctx.report.monthly
    last_row = FIRST + ctx.n - 1
    for i in range(ctx.n):
        formulas = monthly_formulas(table, ledger, inputs, i)
        missing = [k for k in keys[1:] if k not in formulas]
        if missing:  # a KPI added to the registry needs its Excel formula here, beside the others
            raise KeyError(f"kpi_addin/dashboard/sheets/monthly.py: no MonthlyKPIs formula for {missing}")
        for key in keys[1:]:
            ctx.book.formula(ws, f"{letters[key]}{FIRST + i}", formulas[key], monthly[key].iloc[i], ctx.fmt(key))
    add_table(ws, "MonthlyKPIs", f"A{HEADER_ROW}:{letters[keys[-1]]}{last_row}", keys, "TableStyleMedium2")
    ws.freeze_panes = f"B{FIRST}"
    ws.row_dimensions[HEADER_ROW - 1].height = 30
    grey_errors(ws, f"B{FIRST}:{letters[keys[-1]]}{last_row}")
    return table


def monthly_formulas(
    table: MonthlyTable, ledger: LedgerAggregates, inputs: InputsByMonth, i: int
) -> dict[str, Expr | str]:
    """The formula of every KPI of month ``i`` (the library's definitions, in Excel)."""

    def L(column: str) -> Ref:
        return ledger.ref(column, i)

    def I(column: str) -> Ref:  # noqa: E743
        return inputs.ref(column, i)

    def own(key: str) -> Ref:
        return table.ref(key, i, local=table.ws)

    # The opening month (the ledger's first, without history_start) has no start and acquired
    # nobody: windows reaching it, and its CAC, are #N/A, as the library's nan.
    first_known = 1 if table.ctx.report.opening_month is not None else 0

    def at(key: str, k: int) -> Ref:
        return table.ref(key, k, local=table.ws)

    def window(months: int, term: Callable[[int], Expr]) -> Expr | None:
        """The sum of ``term`` over the ``months`` months ending at ``i``; None if one is not known."""
        if i - months + 1 < first_known:
            return None
        total = term(i - months + 1)
        for k in range(i - months + 2, i + 1):
            total = total + term(k)
        return total

    def ratio(numerator: Expr | None, denominator: Expr | None) -> Expr | str:
        return numerator / denominator if numerator is not None and denominator is not None else "NA()"

    churn_6m = window(LTV_CHURN_WINDOW, lambda k: at("customer_churn_rate", k))
    year_ago = i - COHORT_MONTHS
    if year_ago >= 0:
        mrr_year_ago: Expr | None = at("mrr", year_ago)
    elif year_ago == -1 and first_known == 0:
        mrr_year_ago = ledger.ref("start_mrr", 0)  # the opening balance before history_start
    else:
        mrr_year_ago = None
    start_mrr, start_customers = L("start_mrr"), L("start_customers")
    return {
        "mrr": L("mrr"),
        "arr": own("mrr") * 12,
        "mrr_growth_mom": own("mrr") / start_mrr - 1 if i >= first_known else "NA()",
        "mrr_growth_yoy": own("mrr") / mrr_year_ago - 1 if mrr_year_ago is not None else "NA()",
        "customers": L("customers"),
        "new_customers": L("new_customers"),
        "reactivated_customers": L("reactivated_customers"),
        "churned_customers": L("churned_customers"),
        "new_mrr": L("new_mrr"),
        "expansion_mrr": L("expansion_mrr"),
        "contraction_mrr": L("contraction_mrr"),
        "churned_mrr": L("churned_mrr"),
        "reactivation_mrr": L("reactivation_mrr"),
        "customer_churn_rate": own("churned_customers") / start_customers,
        "customer_churn_rate_3m": ratio(
            window(CHURN_WINDOW, lambda k: at("churned_customers", k)),
            window(CHURN_WINDOW, lambda k: ledger.ref("start_customers", k)),
        ),
        "revenue_churn_rate": (own("churned_mrr") + own("contraction_mrr")) / start_mrr,
        "revenue_churn_rate_3m": ratio(
            window(CHURN_WINDOW, lambda k: at("churned_mrr", k) + at("contraction_mrr", k)),
            window(CHURN_WINDOW, lambda k: ledger.ref("start_mrr", k)),
        ),
        "nrr": (start_mrr + own("expansion_mrr") - own("contraction_mrr") - own("churned_mrr")) / start_mrr,
        "nrr_12m": L("nrr_12m"),
        "grr": (start_mrr - own("contraction_mrr") - own("churned_mrr")) / start_mrr,
        "grr_12m": L("grr_12m"),
        "crr": (own("customers") - own("new_customers") - own("reactivated_customers")) / start_customers,
        "logo_retention_12m": L("logo_retention_12m"),
        "arpu": own("mrr") / own("customers"),
        "ltv": own("arpu") / own("customer_churn_rate"),
        "ltv_trailing": own("arpu") / (churn_6m / LTV_CHURN_WINDOW) if churn_6m is not None else "NA()",
        "cac": (I("sales") + I("marketing")) / own("new_customers") if i >= first_known else "NA()",
        "cac_trailing": ratio(
            window(CAC_WINDOW, lambda k: inputs.ref("sales", k) + inputs.ref("marketing", k)),
            window(CAC_WINDOW, lambda k: at("new_customers", k)),
        ),
        "ltv_cac": own("ltv") / own("cac"),
        "ltv_cac_trailing": own("ltv_trailing") / own("cac_trailing"),
        "cac_payback_months": own("cac") / (own("arpu") * I("gross_margin")),
        "cts": I("cts_total") / own("customers"),
        "saas_quick_ratio": (own("new_mrr") + own("expansion_mrr") + own("reactivation_mrr"))
        / (own("contraction_mrr") + own("churned_mrr")),
        "visitors": I("visitors"),
        "leads": I("leads"),
        "mql": I("mql"),
        "sql": I("sql"),
        "ccr": own("new_customers") / own("visitors"),
        "pql_conversion": I("pql_converted") / I("pql"),
        # no answers is no input (#N/A), not a zero denominator
        "nps": NAIfZero(I("nps_answers"), 100 * (I("nps_promoters") - I("nps_detractors")) / I("nps_answers")),
    }
