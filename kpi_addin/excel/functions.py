"""The worksheet functions: =CHURN(), =LTV(), =MRR_TABLE() and the rest.

Each is a thin xlwings function over :mod:`kpi_addin.metrics`: argument conversion and
Excel errors only (:mod:`kpi_addin.excel.convert`), no arithmetic of its own, so every
result equals the library's and ``kpi-addin metrics``'.  All are in the category "SaaS KPIs".

* **Made from the registry** (:mod:`kpi_addin.excel.registry_functions`): the function of
  every KPI whose registry entry names ``excel=`` — =CHURN(), =NRR(), =CAC() ... — its
  arguments the columns of the entry's formula, its help from ``templates/lang/en.toml``.
  A new KPI with ``excel="NAME"`` gets its function with no code here.
* **Written here**, each for a reason the registry's formula cannot carry (:data:`HAND_WRITTEN`),
  and the functions that are no registry KPI (=CLV(), =ANNUALIZE_CHURN(), =CONVERSION()), the
  table functions and the report functions.  The Excel name of a hand-written function is its
  Python name, its description the docstring, its argument help given to
  :func:`~kpi_addin.excel.convert.worksheet_function`.

Arguments carry no type hints on purpose: xlwings turns a hint into a converter, which
would change what a blank or text cell arrives as before the library can name the problem.

This module is the ``UDF Modules`` entry of ``workbooks/kpi_functions.xlsm`` on
Windows, and ``kpi-addin lite`` embeds it in the ``main.py`` for xlwings Lite; both find
every function among its module attributes (:data:`__all__`).
"""

from __future__ import annotations

from ..metrics import KPIReport
from ..metrics import customers as _customers
from ..metrics import funnel as _funnel
from ..metrics import revenue as _revenue
from ..metrics import unit_economics as _unit_economics
from ..metrics.catalogue import SUBSCRIPTION_KEYS
from .convert import CATEGORY as CATEGORY  # in __all__: xlwings Lite's main.py imports it
from .convert import (
    VALUE,
    error_table,
    excel_call,
    flatten,
    optional,
    rows_to_table,
    table_call,
    worksheet_function,
)
from .help_text import excel_help
from .registry_functions import registry_functions
from .report_functions import (
    FX_DOC,
    SETTINGS_DOC,
    SUBSCRIPTIONS_DOC,
    report_entry,
    settings_arg,
)
from .report_functions import KPI as KPI  # the report functions: among this module's worksheet functions
from .report_functions import KPI_MOVEMENTS as KPI_MOVEMENTS
from .report_functions import KPI_REPORT as KPI_REPORT
from .report_functions import KPI_TABLE as KPI_TABLE
from .report_functions import KPI_WARNINGS as KPI_WARNINGS

#: Registry KPIs whose worksheet function is written here, not made from the entry: why.
HAND_WRITTEN = {
    "MRR": "the simple form, customers × average revenue per customer; the registry's mrr is the bridge's column",
    "LTV": "an optional gross margin argument, which the registry's LTV (ARPU / churn) does not apply",
    "CTS": "its first argument may be a range of the cost components (summed); the registry's is one total",
    "NPS": "it takes the range of 0–10 answers; the registry's formula reads the counts of each kind",
}

COUNT = " (a whole number, 0 or more)"
MONEY = " (money per month, 0 or more)"
RATE = " (a fraction, e.g. 0.05 for 5 %)"


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


# ------------------------------------------------------------------ table functions (dynamic arrays)

MRR_TABLE_COLUMNS = SUBSCRIPTION_KEYS
MOVEMENT_COLUMNS = ("month", "new", "expansion", "contraction", "churned", "reactivation", "fx", "net")
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
    """The MRR bridge per month: new, expansion, contraction, churned, reactivation, FX impact and net MRR."""

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
                float(bridge["fx_mrr"].iloc[i]),
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


#: The functions made from the registry, among this module's attributes as xlwings expects.
HELP = excel_help()  # the words of templates/lang/en.toml (embedded in Lite's main.py)
GENERATED = registry_functions(HELP, HAND_WRITTEN)
if set(GENERATED) & set(globals()):  # pragma: no cover - a registry name clashing with a function here
    raise RuntimeError(f"written here and made from the registry: {sorted(set(GENERATED) & set(globals()))}")
globals().update(GENERATED)

#: Every worksheet function (what Lite's main.py imports and the docs list), and the category.
__all__ = sorted(["CATEGORY", *(n for n, v in globals().items() if hasattr(v, "__excel_args__"))])
