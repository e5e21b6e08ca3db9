"""The worksheet functions: =CHURN(), =LTV(), =MRR_TABLE() and the rest.

Each is a thin xlwings function over :mod:`kpi_addin.metrics`: argument conversion and
Excel errors only (:mod:`kpi_addin.excel.convert`), no arithmetic of its own, so every
result equals the library's and ``kpi-addin metrics``'.  The Excel name of a function is
its Python name, its description the docstring, its argument help given to
:func:`~kpi_addin.excel.convert.worksheet_function`; all are in the category "SaaS KPIs".

Arguments carry no type hints on purpose: xlwings turns a hint into a converter, which
would change what a blank or text cell arrives as before the library can name the problem.

This module is the ``UDF Modules`` entry of ``workbooks/kpi_functions.xlsm`` on
Windows, and ``kpi-addin lite`` embeds it in the ``main.py`` for xlwings Lite.
"""

from __future__ import annotations

from ..metrics import KPIReport
from ..metrics import balance_sheet as _balance_sheet
from ..metrics import customers as _customers
from ..metrics import funnel as _funnel
from ..metrics import revenue as _revenue
from ..metrics import unit_economics as _unit_economics
from ..metrics.catalogue import SUBSCRIPTION_KEYS
from .convert import (
    CATEGORY,
    VALUE,
    error_table,
    excel_call,
    flatten,
    optional,
    rows_to_table,
    table_call,
    worksheet_function,
)
from .report_functions import (
    FX_DOC,
    KPI,
    KPI_MOVEMENTS,
    KPI_REPORT,
    KPI_TABLE,
    KPI_WARNINGS,
    SETTINGS_DOC,
    SUBSCRIPTIONS_DOC,
    report_entry,
    settings_arg,
)

COUNT = " (a whole number, 0 or more)"
MONEY = " (money per month, 0 or more)"
RATE = " (a fraction, e.g. 0.05 for 5 %)"


@worksheet_function(
    {
        "lost_customers": "Customers lost in the period" + COUNT,
        "customers_at_start": "Paying customers at the start of the period" + COUNT,
    },
)
def CHURN(lost_customers, customers_at_start):
    """Customer churn rate: customers lost / paying customers at the start of the period."""
    return excel_call(_customers.customer_churn_rate, lost_customers, customers_at_start)


@worksheet_function(
    {
        "mrr_lost": "MRR lost to cancellations and downgrades" + MONEY,
        "mrr_at_start": "MRR at the start of the period" + MONEY,
    },
)
def REVENUE_CHURN(mrr_lost, mrr_at_start):
    """Gross MRR churn rate: MRR lost to cancellations and downgrades / MRR at the start."""
    return excel_call(_revenue.revenue_churn_rate, mrr_lost, mrr_at_start)


@worksheet_function(
    {
        "customers": "Paying customers" + COUNT,
        "avg_revenue_per_customer": "Average monthly revenue per customer" + MONEY,
    },
)
def MRR(customers, avg_revenue_per_customer):
    """Monthly recurring revenue: paying customers × average monthly revenue per customer."""
    return excel_call(_revenue.monthly_recurring_revenue, customers, avg_revenue_per_customer)


@worksheet_function(
    {
        "mrr": "Monthly recurring revenue" + MONEY,
    },
)
def ARR(mrr):
    """Annual recurring revenue: MRR × 12."""
    return excel_call(_revenue.annual_recurring_revenue, mrr)


@worksheet_function(
    {
        "revenue": "Revenue of the period, e.g. MRR (0 or more)",
        "customers": "Paying customers (or users)" + COUNT,
    },
)
def ARPU(revenue, customers):
    """Average revenue per user (ARPU / ARPA): revenue / customers."""
    return excel_call(_revenue.average_revenue_per_user, revenue, customers)


@worksheet_function(
    {
        "arpu": "Average monthly revenue per customer" + MONEY,
        "churn_rate": "Monthly customer churn rate" + RATE,
        "gross_margin": "Optional gross margin" + RATE + "; default 1 (no margin applied)",
    },
)
def LTV(arpu, churn_rate, gross_margin=1.0):
    """Customer lifetime value: ARPU × gross margin / churn rate (e.g. 50 / 0.005 = 10,000)."""
    return excel_call(_unit_economics.lifetime_value, arpu, churn_rate, optional(gross_margin, 1.0))


@worksheet_function(
    {
        "customer_value": "Value of a customer per month" + MONEY,
        "avg_lifetime_months": "Average customer lifetime in months (1 / churn rate)",
    },
)
def CLV(customer_value, avg_lifetime_months):
    """Customer lifetime value: customer value per month × average lifetime in months."""
    return excel_call(_unit_economics.customer_lifetime_value, customer_value, avg_lifetime_months)


@worksheet_function(
    {
        "sales_cost": "Sales cost of the period, people included (0 or more)",
        "marketing_cost": "Marketing cost of the period, people included (0 or more)",
        "new_customers": "New paying customers in the period" + COUNT,
    },
)
def CAC(sales_cost, marketing_cost, new_customers):
    """Customer acquisition cost: (sales + marketing cost) / new paying customers."""
    return excel_call(_unit_economics.customer_acquisition_cost, sales_cost, marketing_cost, new_customers)


@worksheet_function(
    {
        "ltv": "Customer lifetime value (0 or more)",
        "cac": "Customer acquisition cost (0 or more)",
    },
)
def LTV_CAC(ltv, cac):
    """LTV to CAC ratio: LTV / CAC (3 or more is the usual health mark)."""
    return excel_call(_unit_economics.ltv_to_cac, ltv, cac)


@worksheet_function(
    {
        "cac": "Customer acquisition cost (0 or more)",
        "arpu": "Average monthly revenue per customer" + MONEY,
        "gross_margin": "Optional gross margin" + RATE + "; default 1",
    },
)
def CAC_PAYBACK(cac, arpu, gross_margin=1.0):
    """CAC payback in months: CAC / (ARPU × gross margin)."""
    return excel_call(_unit_economics.cac_payback_months, cac, arpu, optional(gross_margin, 1.0))


@worksheet_function(
    {
        "costs": "Cost to serve: one total, or a range of its components (blanks ignored)",
        "paying_customers": "Paying customers" + COUNT,
    },
)
def CTS(costs, paying_customers):
    """Cost to serve per paying customer: (customer success + infrastructure + retention) / customers."""
    components = flatten(costs)
    total = components[0] if len(components) == 1 else components
    return excel_call(_unit_economics.cost_to_serve, total, paying_customers)


@worksheet_function(
    {
        "customers_at_end": "Paying customers at the end of the period" + COUNT,
        "customers_gained": "Customers gained in the period, new and reactivated" + COUNT,
        "customers_at_start": "Paying customers at the start of the period" + COUNT,
    },
)
def RETENTION(customers_at_end, customers_gained, customers_at_start):
    """Customer retention rate: (customers at end − customers gained) / customers at start."""
    return excel_call(_customers.customer_retention_rate, customers_at_end, customers_gained, customers_at_start)


@worksheet_function(
    {
        "mrr_at_start": "MRR at the start of the period" + MONEY,
        "expansion": "Expansion MRR of the period" + MONEY,
        "contraction": "Contraction MRR of the period" + MONEY,
        "churned": "Churned MRR of the period" + MONEY,
    },
)
def NRR(mrr_at_start, expansion, contraction, churned):
    """Net revenue retention: (start MRR + expansion − contraction − churned) / start MRR."""
    return excel_call(_revenue.net_revenue_retention, mrr_at_start, expansion, contraction, churned)


@worksheet_function(
    {
        "mrr_at_start": "MRR at the start of the period" + MONEY,
        "contraction": "Contraction MRR of the period" + MONEY,
        "churned": "Churned MRR of the period" + MONEY,
    },
)
def GRR(mrr_at_start, contraction, churned):
    """Gross revenue retention: (start MRR − contraction − churned) / start MRR."""
    return excel_call(_revenue.gross_revenue_retention, mrr_at_start, contraction, churned)


@worksheet_function(
    {
        "new_mrr": "New MRR" + MONEY,
        "expansion_mrr": "Expansion MRR" + MONEY,
        "reactivation_mrr": "Reactivation MRR" + MONEY,
        "contraction_mrr": "Contraction MRR" + MONEY,
        "churned_mrr": "Churned MRR" + MONEY,
    },
)
def SAAS_QUICK_RATIO(new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr):
    """SaaS quick ratio: (new + expansion + reactivation MRR) / (contraction + churned MRR)."""
    return excel_call(_revenue.saas_quick_ratio, new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr)


@worksheet_function(
    {
        "monthly_rate": "Monthly churn rate" + RATE,
    },
)
def ANNUALIZE_CHURN(monthly_rate):
    """Annualised churn: 1 − (1 − monthly churn)^12."""
    return excel_call(_customers.annualized_churn, monthly_rate)


@worksheet_function(
    {
        "scores": "A range of 0–10 answers; blanks are ignored",
    },
)
def NPS(scores):
    """Net promoter score: % promoters (9–10) − % detractors (0–6), from −100 to 100."""
    return excel_call(_customers.net_promoter_score, flatten(scores))


@worksheet_function(
    {
        "converted": "How many moved on to the next stage" + COUNT,
        "total": "How many entered the stage" + COUNT,
    },
)
def CONVERSION(converted, total):
    """Stage conversion rate: converted / entered."""
    return excel_call(_funnel.conversion_rate, converted, total)


@worksheet_function(
    {
        "new_customers": "New customers (conversions)" + COUNT,
        "visitors": "Website visitors" + COUNT,
    },
)
def CCR(new_customers, visitors):
    """Customer conversion rate: new customers / website visitors."""
    return excel_call(_funnel.customer_conversion_rate, new_customers, visitors)


@worksheet_function(
    {
        "paid_pqls": "Product-qualified leads that became paying" + COUNT,
        "pqls": "Product-qualified leads" + COUNT,
    },
)
def PQL_CONVERSION(paid_pqls, pqls):
    """PQL to paid conversion: PQLs that became paying / PQLs."""
    return excel_call(_funnel.pql_conversion_rate, paid_pqls, pqls)


@worksheet_function(
    {
        "current_assets": "Current assets (0 or more)",
        "current_liabilities": "Current liabilities (0 or more)",
    },
)
def CURRENT_RATIO(current_assets, current_liabilities):
    """Current ratio: current assets / current liabilities."""
    return excel_call(_balance_sheet.current_ratio, current_assets, current_liabilities)


@worksheet_function(
    {
        "current_assets": "Current assets (0 or more)",
        "inventories": "Inventories (0 or more)",
        "current_liabilities": "Current liabilities (0 or more)",
    },
)
def ACID_TEST_RATIO(current_assets, inventories, current_liabilities):
    """Quick ratio (acid test): (current assets − inventories) / current liabilities."""
    return excel_call(_balance_sheet.quick_ratio, current_assets, inventories, current_liabilities)


@worksheet_function(
    {
        "total_liabilities": "Total liabilities (0 or more)",
        "shareholders_equity": "Shareholders' equity",
    },
)
def DEBT_TO_EQUITY(total_liabilities, shareholders_equity):
    """Debt-to-equity: total liabilities / shareholders' equity."""
    return excel_call(_balance_sheet.debt_to_equity, total_liabilities, shareholders_equity)


@worksheet_function(
    {
        "shareholders_equity": "Shareholders' equity",
        "total_assets": "Total assets (0 or more)",
    },
)
def EQUITY_RATIO(shareholders_equity, total_assets):
    """Equity ratio: shareholders' equity / total assets."""
    return excel_call(_balance_sheet.equity_ratio, shareholders_equity, total_assets)


@worksheet_function(
    {
        "ebit": "Earnings before interest and taxes",
        "interest_expense": "Interest expense (0 or more)",
    },
)
def INTEREST_COVERAGE(ebit, interest_expense):
    """Interest coverage: EBIT / interest expense."""
    return excel_call(_balance_sheet.interest_coverage, ebit, interest_expense)


# ------------------------------------------------------------------ table functions (dynamic arrays)

MRR_TABLE_COLUMNS = SUBSCRIPTION_KEYS
MOVEMENT_COLUMNS = ("month", "new", "expansion", "contraction", "churned", "reactivation", "net")
AS_OF_DOC = "Optional last month (YYYY-MM or a date); default as kpi-addin metrics: the last complete month"


def _report(subscriptions: object, fx_rates: object, as_of: object, settings: object = None) -> KPIReport:
    """The report of these ranges (computed once per content: see :mod:`kpi_addin.excel.handles`)."""
    return report_entry(subscriptions, as_of=as_of, settings=settings_arg(settings), fx_rates=fx_rates).report


@worksheet_function(
    {
        "subscriptions": SUBSCRIPTIONS_DOC,
        "fx_rates": FX_DOC,
        "as_of": AS_OF_DOC,
        "settings": SETTINGS_DOC,
    },
    ranges=("subscriptions", "fx_rates", "settings"),
)
def MRR_TABLE(subscriptions, fx_rates=None, as_of=None, settings=None):
    """Monthly MRR, customers, movements and rates from a subscriptions range, one row a month."""

    def build() -> list[list[object]]:
        monthly = _report(subscriptions, fx_rates, as_of, settings).monthly
        keys = MRR_TABLE_COLUMNS[1:]
        values = monthly[list(keys)].to_numpy(dtype=float)  # one conversion, not one per cell
        rows = [
            [str(month), *[_cell(v, k) for v, k in zip(values[i], keys, strict=True)]]
            for i, month in enumerate(monthly.index)
        ]
        return rows_to_table(MRR_TABLE_COLUMNS, rows)

    return table_call(build)


@worksheet_function(
    {
        "subscriptions": SUBSCRIPTIONS_DOC,
        "fx_rates": FX_DOC,
        "as_of": AS_OF_DOC,
        "settings": SETTINGS_DOC,
    },
    ranges=("subscriptions", "fx_rates", "settings"),
)
def MRR_MOVEMENTS(subscriptions, fx_rates=None, as_of=None, settings=None):
    """The MRR bridge per month: new, expansion, contraction, churned, reactivation and net MRR."""

    def build() -> list[list[object]]:
        report = _report(subscriptions, fx_rates, as_of, settings)
        bridge, net = report.bridge, report.extras["net_new_mrr"]
        rows = [
            [
                str(month),
                float(bridge["new_mrr"].iloc[i]),
                float(bridge["expansion_mrr"].iloc[i]),
                float(bridge["contraction_mrr"].iloc[i]),
                float(bridge["churned_mrr"].iloc[i]),
                float(bridge["reactivation_mrr"].iloc[i]),
                float(net.iloc[i]),
            ]
            for i, month in enumerate(bridge.index)
        ]
        return rows_to_table(MOVEMENT_COLUMNS, rows)

    return table_call(build)


@worksheet_function(
    {
        "subscriptions": SUBSCRIPTIONS_DOC,
        "basis": 'Optional "logo" (share of customers, the default) or "revenue" (share of starting MRR)',
        "fx_rates": FX_DOC,
        "settings": SETTINGS_DOC,
    },
    ranges=("subscriptions", "fx_rates", "settings"),
)
def COHORTS(subscriptions, basis="logo", fx_rates=None, settings=None):
    """Cohort retention: for each first-paying-month cohort, the share still paying k months later."""
    chosen = optional(basis, "logo")
    if chosen not in ("logo", "revenue"):
        return error_table(VALUE, [f"basis: {chosen!r} is not 'logo' or 'revenue'"])

    def build() -> list[list[object]]:
        cohorts = _report(subscriptions, fx_rates, None, settings).cohorts(str(chosen))
        ages = [c for c in cohorts.columns if c != "size"]
        header: list[object] = ["cohort", "customers" if chosen == "logo" else "starting_mrr", *[str(a) for a in ages]]
        rows: list[list[object]] = [
            [str(cohort), float(values["size"]), *[_blank_if_missing(values[a]) for a in ages]]
            for cohort, values in cohorts.iterrows()
        ]
        return [header, *rows]

    return table_call(build)


def _cell(value: float, key: str) -> object:
    """A value of the monthly table for a cell: counts as integers, undefined stays nan (→ #DIV/0!)."""
    number = float(value)
    if key.endswith("customers") and number == number:
        return int(number)
    return number


def _blank_if_missing(value: float) -> float | None:
    """A cohort cell past the last month is blank, not an error: there is no such month yet."""
    number = float(value)
    return None if number != number else number


__all__ = [
    "ACID_TEST_RATIO",
    "ANNUALIZE_CHURN",
    "ARPU",
    "ARR",
    "CAC",
    "CAC_PAYBACK",
    "CATEGORY",
    "CCR",
    "CHURN",
    "CLV",
    "COHORTS",
    "CONVERSION",
    "CTS",
    "CURRENT_RATIO",
    "DEBT_TO_EQUITY",
    "EQUITY_RATIO",
    "GRR",
    "INTEREST_COVERAGE",
    "KPI",
    "KPI_MOVEMENTS",
    "KPI_REPORT",
    "KPI_TABLE",
    "KPI_WARNINGS",
    "LTV",
    "LTV_CAC",
    "MRR",
    "MRR_MOVEMENTS",
    "MRR_TABLE",
    "NPS",
    "NRR",
    "PQL_CONVERSION",
    "RETENTION",
    "REVENUE_CHURN",
    "SAAS_QUICK_RATIO",
]
