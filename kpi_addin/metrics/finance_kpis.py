"""The registry entries of cash, efficiency and margins (issue 21), and the columns of the
``costs`` sheet they read; :mod:`.catalogue` places them after the other monthly KPIs (new
JSON keys come last) and derives everything else from them as from every entry.

The ``costs`` sheet is the company's monthly P&L and cash (one sheet, so a P&L export
fills one table and sales and marketing are never in two places): the costs, revenue as
booked (``revenue`` and ``recurring_revenue``), the other operating expenses by function,
``ebitda``, ``net_income``, ``cash`` at month end and ``headcount``.

Two input columns are derived from it (``kpi_addin.metrics.report`` computes them, the
dashboard's *Inputs by month* writes the same rule as formulas):

* ``margin_revenue`` — the revenue the gross margin is taken on: ``recurring_revenue``
  when the costs sheet has any, else MRR (said in a warning);
* ``margin_profit`` — the profit the Rule of 40's margin is taken on: ``ebitda`` when the
  costs sheet has any, else the free cash flow (the month's change in cash, −net burn) when
  it has cash (said in a warning; the JSON's ``rule_of_40_margin`` names which);
* ``quarter_end`` — 1 in the last month of a calendar quarter, else 0 (the magic number
  is a quarterly figure, shown in its quarter's last month).

What a formula cannot give is left undefined, never defaulted: no cogs → no gross margin,
no margin-based LTV and no CAC payback (no 100 % margin is assumed); burn ≤ 0 (cash-flow
positive) → no runway and no burn multiple; net new ARR ≤ 0 → no burn multiple.
"""

from __future__ import annotations

from .expression import col, if_positive, months_back, na_if_zero, window_mean, window_sum
from .finance import BURN_WINDOW, MARGIN_WINDOW
from .kpi_entry import KPI
from .trailing import LTV_CHURN_WINDOW

c = col

#: The costs sheet's columns beyond the costs, in the order of the input schema.
FINANCIAL_COLUMNS = (
    "revenue",
    "recurring_revenue",
    "research_development",
    "general_administrative",
    "ebitda",
    "net_income",
    "cash",
    "headcount",
)
#: Costs-sheet columns that may be below zero (a loss, an overdraft).
SIGNED_COST_COLUMNS = ("ebitda", "net_income", "cash")
#: Operating expenses by function: the opex share KPI of each (``opex_share_<suffix>``).
OPEX_FUNCTIONS = {
    "sales": "sales",
    "marketing": "marketing",
    "rd": "research_development",
    "ga": "general_administrative",
    "cs": "customer_success",
}

_COGS = ("costs.cogs",)
_CASH = ("costs.cash",)
_SPEND = ("costs.sales", "costs.marketing")
_NET_NEW_ARR_3M = c("arr") - months_back(c("arr"), BURN_WINDOW)
_QUARTER = 3

ENTRIES: tuple[KPI, ...] = (
    KPI(
        "gross_margin",
        "rate",
        "higher",
        "unit_economics",
        _COGS,
        formula=1 - c("cogs") / c("margin_revenue"),
        excel="GROSS_MARGIN",
        function="unit_economics.gross_margin",
    ),
    KPI(
        "ltv_gm",
        "money",
        "higher",
        "unit_economics",
        _COGS,
        formula=if_positive(c("gross_margin"), c("arpu") * c("gross_margin") / c("customer_churn_rate")),
    ),
    KPI(
        "ltv_gm_trailing",
        "money",
        "higher",
        "unit_economics",
        _COGS,
        formula=if_positive(
            c("gross_margin"), c("arpu") * c("gross_margin") / window_mean(c("customer_churn_rate"), LTV_CHURN_WINDOW)
        ),
        window="6 months",
    ),
    KPI(
        "ltv_cac_gm_trailing",
        "ratio",
        "higher",
        "unit_economics",
        (*_COGS, *_SPEND),
        formula=c("ltv_gm_trailing") / c("cac_trailing"),
        window="trailing",
    ),
    KPI("cash_balance", "money", "higher", "cash", _CASH, formula=c("cash")),
    KPI(
        "net_burn",
        "money",
        "lower",
        "cash",
        _CASH,
        formula=months_back(c("cash"), 1) - c("cash"),
    ),
    KPI(
        "burn_3m",
        "money",
        "lower",
        "cash",
        _CASH,
        formula=window_mean(c("net_burn"), BURN_WINDOW),
        window="3 months",
        function="finance.burn_3m",
    ),
    KPI(
        "runway_months",
        "months",
        "higher",
        "cash",
        _CASH,
        formula=if_positive(c("burn_3m"), c("cash") / c("burn_3m")),
        excel="RUNWAY",
        function="finance.runway_months",
    ),
    KPI(
        "burn_multiple",
        "ratio",
        "lower",
        "cash",
        _CASH,
        formula=if_positive(c("burn_3m"), if_positive(_NET_NEW_ARR_3M, BURN_WINDOW * c("burn_3m") / _NET_NEW_ARR_3M)),
        window="3 months",
    ),
    KPI(
        "rule_of_40",
        "score",
        "higher",
        "cash",
        ("costs.revenue",),  # and ebitda, else cash: margin_profit
        formula=100
        * (
            c("mrr_growth_yoy")
            + window_sum(c("margin_profit"), MARGIN_WINDOW) / window_sum(c("revenue"), MARGIN_WINDOW)
        ),
        window="12 months",
    ),
    KPI(
        "magic_number",
        "ratio",
        "higher",
        "cash",
        _SPEND,
        formula=na_if_zero(
            c("quarter_end"),
            (c("arr") - months_back(c("arr"), _QUARTER))
            / months_back(window_sum(c("sales") + c("marketing"), _QUARTER), _QUARTER),
        ),
        window="quarter",
    ),
    KPI(
        "asp_new",
        "money",
        "higher",
        "revenue",
        formula=c("new_mrr") / c("acquired_customers"),
        excel="ASP_NEW",
        cents=True,
        function="finance.asp_new",
    ),
    KPI(
        "arr_per_customer",
        "money",
        "higher",
        "revenue",
        formula=c("arr") / c("customers"),
        excel="ARR_PER_CUSTOMER",
        function="finance.arr_per_customer",
    ),
    # each customer's MRR, ranked: no monthly expression gives it (the workbook holds values)
    KPI("top10_share", "rate", "lower", "customers", computed_by="kpi_addin.metrics.finance.top_share"),
    *(
        KPI(
            f"opex_share_{suffix}",
            "rate",
            "lower",
            "unit_economics",
            (f"costs.{column}", "costs.revenue"),
            formula=c(column) / c("revenue"),
            function="finance.opex_share",
        )
        for suffix, column in OPEX_FUNCTIONS.items()
    ),
)

#: KPIs of these entries that may be below zero (a month's burn when cash grows, a fall in ARR).
SIGNED_KPIS = ("net_burn", "burn_3m", "cash_balance", "rule_of_40", "magic_number")
