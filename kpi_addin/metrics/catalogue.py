"""The KPI registry: every fact about every KPI, in one place.

Each :class:`KPI` entry says what a KPI *is* — its JSON key, unit, direction (is higher
better?), the input sheets and columns it needs beyond the subscriptions, the library
function that computes it and the columns that function takes, the worksheet function
that exposes it — and everything else is derived from this table:

* the JSON contract of ``kpi-addin metrics`` (:data:`MONTHLY_KEYS`, integers for counts),
  the CSV and table output, the Excel ``MRR_TABLE`` columns (:data:`SUBSCRIPTION_KEYS`);
* :func:`kpi_addin.metrics.report.monthly_kpis`, which applies each entry's function to
  its argument columns in registry order;
* the "input absent" warnings (from ``inputs``);
* the dashboard's number formats, the default goal direction, the ``MonthlyKPIs`` headers,
  the defined names and the Definitions sheet;
* ``docs/definitions.md`` (generated; a test keeps it equal).

The labels and definition texts of each language live in ``templates/lang/<code>.toml``
under ``[kpis.<key>]`` (finance users translate them without Python); a test checks that
every registry KPI has them in every language.  This module knows nothing about Excel or
the dashboard: worksheet-function names are plain strings, checked by tests against
:mod:`kpi_addin.excel.functions`.

Adding a KPI: a function in its family module (with a docstring and a worked example), an
entry here, its label and definition in each language file, and, for a monthly KPI, its
Excel formula in the dashboard's monthly table.  The registry tests name any surface missed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from . import balance_sheet as _bs
from . import customers as _customers
from . import funnel as _funnel
from . import revenue as _revenue
from . import trailing as _trailing
from . import unit_economics as _ue

Unit = Literal["money", "rate", "count", "ratio", "months", "score", "month"]
Direction = Literal["higher", "lower"]
Family = Literal["period", "revenue", "customers", "funnel", "unit_economics", "nps", "balance_sheet"]


@dataclass(frozen=True)
class KPI:
    """One KPI of the catalogue.

    Attributes
    ----------
    key : the JSON key, the ``MonthlyKPIs`` header and the language files' ``[kpis.<key>]``
        (its label and definition in each language live there, nowhere else).
    unit : money (reporting currency), rate (a fraction shown as %), count, ratio (a
        multiple such as 3.2x), months, score (NPS, -100..100) or month.
    direction : ``higher`` or ``lower`` is better; None where neither is (a count of
        visitors is context, not a goal by default).
    family : the metric module family (and the dashboard sheet it belongs to).
    inputs : what it needs beyond the subscriptions, as ``sheet`` or ``sheet.column``;
        empty for KPIs the subscriptions alone give.
    compute : the library function that computes it (None: taken as is from ``args[0]``).
    args : the monthly columns ``compute`` is applied to, in order: MRR bridge columns
        (``start_mrr``, ``churned_customers``, ...), input columns (``sales``,
        ``cts_total``, ``gross_margin``, ``nps_promoters``, ...) or earlier KPIs' keys.
    excel : the worksheet function that computes it from cell values, if any.
    monthly : a column of the monthly table (False: a balance-sheet ratio, per period).
    window : the period a figure covers when it is more than the month itself, as shown
        beside it on the dashboard (``"12 months"``, ``"3 months"``); None for a monthly figure.
    cents : money shown to the minor unit (per-customer amounts such as ARPU); other money
        is shown in whole units.
    """

    key: str
    unit: Unit
    direction: Direction | None
    family: Family
    inputs: tuple[str, ...] = ()
    compute: Callable[..., Any] | None = None
    args: tuple[str, ...] = ()
    excel: str | None = None
    monthly: bool = True
    window: str | None = None
    cents: bool = False

    @property
    def text_key(self) -> str:
        """The table of the language files holding its label, definition and "what it tells"."""
        return f"kpis.{self.key}"

    @property
    def input_sheets(self) -> frozenset[str]:
        """The input sheets it needs (``costs`` for ``costs.sales``)."""
        return frozenset(i.split(".", 1)[0] for i in self.inputs)

    def input_columns(self, sheet: str) -> tuple[str, ...]:
        """The columns of ``sheet`` it needs (empty when it needs the sheet as a whole)."""
        return tuple(i.split(".", 1)[1] for i in self.inputs if i.startswith(sheet + "."))


def _taken(key: str, unit: Unit, direction: Direction | None, family: Family, **kw: Any) -> KPI:
    """A KPI taken as it is from a bridge or input column of the same name."""
    return KPI(key, unit, direction, family, args=kw.pop("args", (key,)), **kw)


_CTS_INPUTS = ("costs.customer_success", "costs.infrastructure", "costs.retention_programs")

#: Every KPI, in the order of the JSON keys and the ``MonthlyKPIs`` columns.
KPIS: tuple[KPI, ...] = (
    KPI("month", "month", None, "period"),
    _taken("mrr", "money", "higher", "revenue", excel="MRR"),
    KPI("arr", "money", "higher", "revenue", (), _revenue.annual_recurring_revenue, ("mrr",), "ARR"),
    KPI("mrr_growth_mom", "rate", "higher", "revenue", (), _trailing.mrr_growth_mom, ("mrr", "known_start_mrr")),
    KPI("mrr_growth_yoy", "rate", "higher", "revenue", (), _trailing.mrr_growth_yoy, ("mrr", "known_start_mrr")),
    _taken("customers", "count", "higher", "customers"),
    _taken("new_customers", "count", "higher", "customers"),
    _taken("reactivated_customers", "count", "higher", "customers"),
    _taken("churned_customers", "count", "lower", "customers"),
    _taken("new_mrr", "money", "higher", "revenue"),
    _taken("expansion_mrr", "money", "higher", "revenue"),
    _taken("contraction_mrr", "money", "lower", "revenue"),
    _taken("churned_mrr", "money", "lower", "revenue"),
    _taken("reactivation_mrr", "money", "higher", "revenue"),
    KPI(
        "customer_churn_rate",
        "rate",
        "lower",
        "customers",
        (),
        _customers.customer_churn_rate,
        ("churned_customers", "start_customers"),
        "CHURN",
    ),
    KPI(
        "customer_churn_rate_3m",
        "rate",
        "lower",
        "customers",
        (),
        _trailing.customer_churn_rate_3m,
        ("churned_customers", "known_start_customers"),
        window="3 months",
    ),
    KPI(
        "revenue_churn_rate",
        "rate",
        "lower",
        "revenue",
        (),
        _revenue.revenue_churn_rate,
        ("lost_mrr", "start_mrr"),
        "REVENUE_CHURN",
    ),
    KPI(
        "revenue_churn_rate_3m",
        "rate",
        "lower",
        "revenue",
        (),
        _trailing.revenue_churn_rate_3m,
        ("lost_mrr", "known_start_mrr"),
        window="3 months",
    ),
    KPI(
        "nrr",
        "rate",
        "higher",
        "revenue",
        (),
        _revenue.net_revenue_retention,
        ("start_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"),
        "NRR",
    ),
    # The 12-month cohort figures need each customer's MRR twelve months apart: monthly_kpis
    # computes them with trailing.cohort_retention_12m from CustomerMRR.mrr_at, and they are
    # taken from those columns here.
    _taken("nrr_12m", "rate", "higher", "revenue", window="12 months"),
    KPI(
        "grr",
        "rate",
        "higher",
        "revenue",
        (),
        _revenue.gross_revenue_retention,
        ("start_mrr", "contraction_mrr", "churned_mrr"),
        "GRR",
    ),
    _taken("grr_12m", "rate", "higher", "revenue", window="12 months"),
    KPI(
        "crr",
        "rate",
        "higher",
        "customers",
        (),
        _customers.customer_retention_rate,
        ("customers", "gained_customers", "start_customers"),
        "RETENTION",
    ),
    _taken("logo_retention_12m", "rate", "higher", "customers", window="12 months"),
    KPI(
        "arpu",
        "money",
        "higher",
        "revenue",
        (),
        _revenue.average_revenue_per_user,
        ("mrr", "customers"),
        "ARPU",
        cents=True,
    ),
    KPI(
        "ltv",
        "money",
        "higher",
        "unit_economics",
        (),
        _ue.lifetime_value,
        ("arpu", "customer_churn_rate"),
        "LTV",
    ),
    KPI(
        "ltv_trailing",
        "money",
        "higher",
        "unit_economics",
        (),
        _trailing.ltv_trailing,
        ("arpu", "customer_churn_rate"),
        window="6 months",
    ),
    KPI(
        "cac",
        "money",
        "lower",
        "unit_economics",
        ("costs.sales", "costs.marketing"),
        _ue.customer_acquisition_cost,
        ("sales", "marketing", "acquired_customers"),
        "CAC",
    ),
    KPI(
        "cac_trailing",
        "money",
        "lower",
        "unit_economics",
        ("costs.sales", "costs.marketing"),
        _trailing.cac_trailing,
        ("sales", "marketing", "acquired_customers"),
        window="3 months",
    ),
    KPI(
        "ltv_cac",
        "ratio",
        "higher",
        "unit_economics",
        ("costs.sales", "costs.marketing"),
        _ue.ltv_to_cac,
        ("ltv", "cac"),
        "LTV_CAC",
    ),
    KPI(
        "ltv_cac_trailing",
        "ratio",
        "higher",
        "unit_economics",
        ("costs.sales", "costs.marketing"),
        _trailing.ltv_cac_trailing,
        ("ltv_trailing", "cac_trailing"),
        window="trailing",
    ),
    KPI(
        "cac_payback_months",
        "months",
        "lower",
        "unit_economics",
        ("costs.sales", "costs.marketing"),
        _ue.cac_payback_months,
        ("cac", "arpu", "gross_margin"),
        "CAC_PAYBACK",
    ),
    KPI(
        "cts",
        "money",
        "lower",
        "unit_economics",
        _CTS_INPUTS,
        _ue.cost_to_serve,
        ("cts_total", "customers"),
        "CTS",
        cents=True,
    ),
    KPI(
        "saas_quick_ratio",
        "ratio",
        "higher",
        "revenue",
        (),
        _revenue.saas_quick_ratio,
        ("new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr"),
        "SAAS_QUICK_RATIO",
    ),
    _taken("visitors", "count", "higher", "funnel", inputs=("funnel.visitors",)),
    _taken("leads", "count", "higher", "funnel", inputs=("funnel.leads",)),
    _taken("mql", "count", "higher", "funnel", inputs=("funnel.mql",)),
    _taken("sql", "count", "higher", "funnel", inputs=("funnel.sql",)),
    KPI(
        "ccr",
        "rate",
        "higher",
        "funnel",
        ("funnel.visitors",),
        _funnel.customer_conversion_rate,
        ("new_customers", "visitors"),
        "CCR",
    ),
    KPI(
        "pql_conversion",
        "rate",
        "higher",
        "funnel",
        ("funnel.pql", "funnel.pql_converted"),
        _funnel.pql_conversion_rate,
        ("pql_converted", "pql"),
        "PQL_CONVERSION",
    ),
    KPI(
        "nps",
        "score",
        "higher",
        "nps",
        ("nps",),
        _customers.nps_from_counts,
        ("nps_promoters", "nps_detractors", "nps_answers"),
        "NPS",
    ),
    KPI(
        "current_ratio",
        "ratio",
        "higher",
        "balance_sheet",
        ("balance_sheet.current_assets", "balance_sheet.current_liabilities"),
        _bs.current_ratio,
        ("current_assets", "current_liabilities"),
        "CURRENT_RATIO",
        monthly=False,
    ),
    KPI(
        "quick_ratio",
        "ratio",
        "higher",
        "balance_sheet",
        ("balance_sheet.current_assets", "balance_sheet.inventories", "balance_sheet.current_liabilities"),
        _bs.quick_ratio,
        ("current_assets", "inventories", "current_liabilities"),
        "ACID_TEST_RATIO",
        monthly=False,
    ),
    KPI(
        "debt_to_equity",
        "ratio",
        "lower",
        "balance_sheet",
        ("balance_sheet.total_liabilities", "balance_sheet.shareholders_equity"),
        _bs.debt_to_equity,
        ("total_liabilities", "shareholders_equity"),
        "DEBT_TO_EQUITY",
        monthly=False,
    ),
    KPI(
        "equity_ratio",
        "rate",
        "higher",
        "balance_sheet",
        ("balance_sheet.shareholders_equity", "balance_sheet.total_assets"),
        _bs.equity_ratio,
        ("shareholders_equity", "total_assets"),
        "EQUITY_RATIO",
        monthly=False,
    ),
    KPI(
        "interest_coverage",
        "ratio",
        "higher",
        "balance_sheet",
        ("balance_sheet.ebit", "balance_sheet.interest_expense"),
        _bs.interest_coverage,
        ("ebit", "interest_expense"),
        "INTEREST_COVERAGE",
        monthly=False,
    ),
)

REGISTRY: dict[str, KPI] = {k.key: k for k in KPIS}

#: The columns of the monthly input sheets, in the order of the input schema
#: (``kpi_addin.io.schema`` reads them from here).
COST_COLUMNS = ("sales", "marketing", "customer_success", "infrastructure", "retention_programs", "cogs")
FUNNEL_COLUMNS = ("visitors", "contacts", "leads", "mql", "sal", "sql", "pql", "pql_converted")

#: The keys of each month of ``kpi-addin metrics --format json`` (a published contract),
#: also the column headers of the dashboard's ``MonthlyKPIs`` table.
MONTHLY_KEYS: tuple[str, ...] = tuple(k.key for k in KPIS if k.monthly)
#: The balance-sheet ratios, reported for the latest period on or before the as-of month.
BALANCE_SHEET_KEYS: tuple[str, ...] = tuple(k.key for k in KPIS if not k.monthly)
#: Every KPI key (a target, a template's Summary or a defined name may name any of them).
KPI_KEYS: tuple[str, ...] = tuple(k.key for k in KPIS if k.key != "month")
#: Monthly keys that need more than the subscriptions (costs, funnel, NPS).
INPUT_DEPENDENT_KEYS = frozenset(k.key for k in KPIS if k.monthly and k.inputs)
#: What the subscriptions alone give: the columns of the Excel MRR_TABLE() function.
SUBSCRIPTION_KEYS: tuple[str, ...] = tuple(k for k in MONTHLY_KEYS if k not in INPUT_DEPENDENT_KEYS)
#: Whole numbers (integers in JSON).
COUNT_KEYS = frozenset(k.key for k in KPIS if k.unit == "count")
#: The KPIs over a window of months (undefined until the window is complete): those with a
#: window label, and those the trailing module computes (growth against M−1 and M−12).
TRAILING_KEYS = frozenset(
    k.key for k in KPIS if k.window or (k.compute is not None and k.compute.__module__.endswith(".trailing"))
)
#: KPIs where lower is better (the default direction of a target that gives none).
LOWER_IS_BETTER = frozenset(k.key for k in KPIS if k.direction == "lower")


def kpi(key: str) -> KPI:
    """The registry entry of ``key`` (KeyError names the unknown key)."""
    return REGISTRY[key]


def unit_of(key: str) -> Unit:
    return REGISTRY[key].unit


def default_direction(key: str) -> Direction:
    """The direction a goal on ``key`` takes when none is given: the KPI's own, else higher."""
    return REGISTRY[key].direction or "higher"


def needing(sheet: str, *, monthly: bool | None = None) -> tuple[str, ...]:
    """The KPIs that need input ``sheet``, in registry order (for "absent input" warnings)."""
    return tuple(k.key for k in KPIS if sheet in k.input_sheets and (monthly is None or k.monthly == monthly))


def excel_functions() -> dict[str, str]:
    """Worksheet function name → the KPI key it computes."""
    return {k.excel: k.key for k in KPIS if k.excel}
