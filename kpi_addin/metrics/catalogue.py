"""The KPI registry: every fact about every KPI, in one place.

Each :class:`KPI` entry says what a KPI *is* — its JSON key, unit, direction (is higher
better?), the input sheets and columns it needs beyond the subscriptions, its **one
formula** (an expression over the monthly columns, :mod:`kpi_addin.metrics.expression`),
the worksheet function that exposes it — and everything else is derived from this table:

* the JSON contract of ``kpi-addin metrics`` (:data:`MONTHLY_KEYS`, integers for counts),
  the CSV and table output, the Excel ``MRR_TABLE`` columns (:data:`SUBSCRIPTION_KEYS`);
* the library's values: :func:`kpi_addin.metrics.report.monthly_kpis` evaluates each
  entry's formula over the monthly Series in registry order (a KPI may read earlier ones);
  :func:`kpi_addin.metrics.balance_sheet.balance_sheet_ratios` the balance-sheet ones;
* the dashboard's Excel formulas (``MonthlyKPIs``, the Balance sheet), rendered from the
  same formulas by ``kpi_addin.dashboard.expr.to_cells``;
* the "input absent" warnings (from ``inputs``);
* the dashboard's number formats, the default goal direction, the ``MonthlyKPIs`` headers,
  the defined names and the Definitions sheet;
* ``docs/definitions.md`` with each formula line (generated: ``python scripts/regenerate.py``).

A worksheet function can be derived from an entry: its arguments are
:attr:`KPI.arguments` (the formula's columns, first appearance first) and
:meth:`KPI.evaluate` computes it from one month's numbers (or from ranges of months for
a formula with a window), checking every argument's :data:`DOMAINS` and the ``limits``.

The labels and definition texts of each language live in ``templates/lang/<code>.toml``
under ``[kpis.<key>]`` (finance users translate them without Python); a test checks that
every registry KPI has them in every language.  This module knows nothing about Excel or
the dashboard: worksheet-function names are plain strings, and the Excel layer makes the
function of each (``kpi_addin.excel.registry_functions``; a few are written by hand there,
each for a reason it gives).

Adding a KPI: see ``CONTRIBUTING.md`` — an entry here, its texts in each language file,
its tests, and ``python scripts/regenerate.py``.  The registry tests name any surface missed.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .expression import (
    Domain,
    Expr,
    col,
    if_positive,
    known,
    months_back,
    na_if_zero,
    reaches_back,
    window_mean,
    window_sum,
)
from .finance_kpis import ENTRIES as FINANCE_ENTRIES
from .finance_kpis import FINANCIAL_COLUMNS as FINANCIAL_COLUMNS
from .finance_kpis import SIGNED_COST_COLUMNS as SIGNED_COST_COLUMNS
from .finance_kpis import SIGNED_KPIS
from .kpi_entry import KPI as KPI
from .kpi_entry import Direction as Direction
from .kpi_entry import Family as Family
from .kpi_entry import Unit as Unit
from .trailing import CAC_WINDOW, CHURN_WINDOW, COHORT_MONTHS, LTV_CHURN_WINDOW
from .window_kpis import ENTRIES as WINDOW_ENTRIES


def _taken(key: str, unit: Unit, direction: Direction | None, family: Family, **kw: Any) -> KPI:
    """A KPI taken as it is from a bridge or input column of the same name."""
    return KPI(key, unit, direction, family, formula=col(key), **kw)


c = col
_CTS_INPUTS = ("costs.customer_success", "costs.infrastructure", "costs.retention_programs")
_COSTS = ("costs.sales", "costs.marketing")
_COHORT = "kpi_addin.metrics.trailing.cohort_retention_12m"
_MOVEMENTS = ("new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr")
_LOST = c("contraction_mrr") + c("churned_mrr")

_ENTRIES: tuple[KPI, ...] = (
    KPI("month", "month", None, "period"),
    _taken("mrr", "money", "higher", "revenue", excel="MRR"),
    KPI(
        "arr",
        "money",
        "higher",
        "revenue",
        formula=c("mrr") * 12,
        excel="ARR",
        function="revenue.annual_recurring_revenue",
    ),
    KPI(
        "mrr_growth_mom",
        "rate",
        "higher",
        "revenue",
        formula=c("mrr") / months_back(c("mrr"), 1) - 1,
        function="trailing.mrr_growth_mom",
    ),
    KPI(
        "mrr_growth_yoy",
        "rate",
        "higher",
        "revenue",
        formula=c("mrr") / months_back(c("mrr"), COHORT_MONTHS) - 1,
        function="trailing.mrr_growth_yoy",
    ),
    _taken("customers", "count", "higher", "customers"),
    _taken("new_customers", "count", "higher", "customers"),
    _taken("reactivated_customers", "count", "higher", "customers"),
    _taken("churned_customers", "count", "lower", "customers"),
    _taken("new_mrr", "money", "higher", "revenue"),
    _taken("expansion_mrr", "money", "higher", "revenue"),
    _taken("contraction_mrr", "money", "lower", "revenue"),
    _taken("churned_mrr", "money", "lower", "revenue"),
    _taken("reactivation_mrr", "money", "higher", "revenue"),
    # the change due to exchange rates alone, any sign: no better direction
    _taken("fx_mrr", "money", None, "revenue"),
    KPI(
        "customer_churn_rate",
        "rate",
        "lower",
        "customers",
        formula=c("churned_customers") / c("start_customers"),
        limits=((c("churned_customers"), c("start_customers")),),
        excel="CHURN",
        function="customers.customer_churn_rate",
    ),
    KPI(
        "customer_churn_rate_3m",
        "rate",
        "lower",
        "customers",
        formula=window_sum(c("churned_customers"), CHURN_WINDOW)
        / window_sum(months_back(c("customers"), 1), CHURN_WINDOW),
        window="3 months",
        function="trailing.customer_churn_rate_3m",
    ),
    KPI(
        "revenue_churn_rate",
        "rate",
        "lower",
        "revenue",
        formula=c("lost_mrr") / c("start_mrr"),
        limits=((c("lost_mrr"), c("start_mrr")),),
        excel="REVENUE_CHURN",
        function="revenue.revenue_churn_rate",
    ),
    KPI(
        "revenue_churn_rate_3m",
        "rate",
        "lower",
        "revenue",
        formula=window_sum(c("lost_mrr"), CHURN_WINDOW) / window_sum(months_back(c("mrr"), 1), CHURN_WINDOW),
        window="3 months",
        function="trailing.revenue_churn_rate_3m",
    ),
    KPI(
        "nrr",
        "rate",
        "higher",
        "revenue",
        # the FX impact counts as the starting customers' change (its own line of the bridge)
        formula=(c("start_mrr") + c("expansion_mrr") - c("contraction_mrr") - c("churned_mrr") + c("fx_mrr"))
        / c("start_mrr"),
        limits=((_LOST, c("start_mrr") + c("expansion_mrr") + c("fx_mrr")),),
        excel="NRR",
        excel_defaults={"fx_mrr": 0.0},  # =NRR(start, expansion, contraction, churned): no FX impact
        function="revenue.net_revenue_retention",
    ),
    # The 12-month cohort figures need each customer's MRR twelve months apart: no monthly
    # expression gives them; monthly_kpis computes them per customer (the workbook holds values).
    KPI("nrr_12m", "rate", "higher", "revenue", window="12 months", computed_by=_COHORT),
    KPI(
        "grr",
        "rate",
        "higher",
        "revenue",
        # each staying customer's whole fall, its FX part included (net_contraction_mrr)
        formula=(c("start_mrr") - c("net_contraction_mrr") - c("churned_mrr")) / c("start_mrr"),
        limits=((c("net_contraction_mrr") + c("churned_mrr"), c("start_mrr")),),
        excel="GRR",
        function="revenue.gross_revenue_retention",
    ),
    KPI("grr_12m", "rate", "higher", "revenue", window="12 months", computed_by=_COHORT),
    KPI(
        "crr",
        "rate",
        "higher",
        "customers",
        formula=(c("customers") - c("gained_customers")) / c("start_customers"),
        limits=((c("gained_customers"), c("customers")),),
        excel="RETENTION",
        function="customers.customer_retention_rate",
    ),
    KPI("logo_retention_12m", "rate", "higher", "customers", window="12 months", computed_by=_COHORT),
    KPI(
        "arpu",
        "money",
        "higher",
        "revenue",
        formula=c("mrr") / c("customers"),
        excel="ARPU",
        cents=True,
        function="revenue.average_revenue_per_user",
    ),
    KPI(
        "ltv",
        "money",
        "higher",
        "unit_economics",
        formula=c("arpu") / c("customer_churn_rate"),
        excel="LTV",
        function="unit_economics.lifetime_value",
    ),
    KPI(
        "ltv_trailing",
        "money",
        "higher",
        "unit_economics",
        formula=c("arpu") / window_mean(c("customer_churn_rate"), LTV_CHURN_WINDOW),
        window="6 months",
        function="trailing.ltv_trailing",
    ),
    KPI(
        "cac",
        "money",
        "lower",
        "unit_economics",
        _COSTS,
        formula=(c("sales") + c("marketing")) / c("acquired_customers"),
        excel="CAC",
        function="unit_economics.customer_acquisition_cost",
    ),
    KPI(
        "cac_trailing",
        "money",
        "lower",
        "unit_economics",
        _COSTS,
        formula=window_sum(c("sales") + c("marketing"), CAC_WINDOW) / window_sum(c("acquired_customers"), CAC_WINDOW),
        window="3 months",
        function="trailing.cac_trailing",
    ),
    KPI(
        "ltv_cac",
        "ratio",
        "higher",
        "unit_economics",
        _COSTS,
        formula=c("ltv") / c("cac"),
        excel="LTV_CAC",
        function="unit_economics.ltv_to_cac",
    ),
    KPI(
        "ltv_cac_trailing",
        "ratio",
        "higher",
        "unit_economics",
        _COSTS,
        formula=c("ltv_trailing") / c("cac_trailing"),
        window="trailing",
        function="trailing.ltv_cac_trailing",
    ),
    KPI(
        "cac_payback_months",
        "months",
        "lower",
        "unit_economics",
        (*_COSTS, "costs.cogs"),
        formula=if_positive(c("gross_margin"), c("cac") / (c("arpu") * c("gross_margin"))),
        excel="CAC_PAYBACK",
        excel_defaults={"gross_margin": 1.0},  # =CAC_PAYBACK(cac, arpu): no margin applied
        function="unit_economics.cac_payback_months",
    ),
    KPI(
        "cts",
        "money",
        "lower",
        "unit_economics",
        _CTS_INPUTS,
        formula=c("cts_total") / c("customers"),
        excel="CTS",
        cents=True,
        function="unit_economics.cost_to_serve",
    ),
    KPI(
        "saas_quick_ratio",
        "ratio",
        "higher",
        "revenue",
        formula=(c("new_mrr") + c("expansion_mrr") + c("reactivation_mrr")) / (c("contraction_mrr") + c("churned_mrr")),
        excel="SAAS_QUICK_RATIO",
        function="revenue.saas_quick_ratio",
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
        formula=c("new_customers") / c("visitors"),
        excel="CCR",
        function="funnel.customer_conversion_rate",
    ),
    KPI(
        "pql_conversion",
        "rate",
        "higher",
        "funnel",
        ("funnel.pql", "funnel.pql_converted"),
        formula=c("pql_converted") / c("pql"),
        limits=((c("pql_converted"), c("pql")),),
        excel="PQL_CONVERSION",
        function="funnel.pql_conversion_rate",
    ),
    KPI(
        "nps",
        "score",
        "higher",
        "nps",
        ("nps",),
        # no answers is no input (#N/A), not a zero denominator
        formula=na_if_zero(c("nps_answers"), 100 * (c("nps_promoters") - c("nps_detractors")) / c("nps_answers")),
        limits=((c("nps_promoters") + c("nps_detractors"), c("nps_answers")),),
        excel="NPS",
        function="customers.nps_from_counts",
    ),
    # cash, efficiency and margins (issue 21): kpi_addin/metrics/finance_kpis.py
    *FINANCE_ENTRIES,
    # the pack's windows (issue 23): kpi_addin/metrics/window_kpis.py
    *WINDOW_ENTRIES,
    # ↑ new monthly KPIs go above this line (new JSON keys come last); below: the balance-sheet ratios
    KPI(
        "current_ratio",
        "ratio",
        "higher",
        "balance_sheet",
        ("balance_sheet.current_assets", "balance_sheet.current_liabilities"),
        formula=c("current_assets") / c("current_liabilities"),
        excel="CURRENT_RATIO",
        monthly=False,
        function="balance_sheet.current_ratio",
    ),
    KPI(
        "quick_ratio",
        "ratio",
        "higher",
        "balance_sheet",
        ("balance_sheet.current_assets", "balance_sheet.inventories", "balance_sheet.current_liabilities"),
        formula=(c("current_assets") - c("inventories")) / c("current_liabilities"),
        excel="ACID_TEST_RATIO",
        monthly=False,
        function="balance_sheet.quick_ratio",
    ),
    KPI(
        "debt_to_equity",
        "ratio",
        "lower",
        "balance_sheet",
        ("balance_sheet.total_liabilities", "balance_sheet.shareholders_equity"),
        formula=c("total_liabilities") / c("shareholders_equity"),
        excel="DEBT_TO_EQUITY",
        monthly=False,
        function="balance_sheet.debt_to_equity",
    ),
    KPI(
        "equity_ratio",
        "rate",
        "higher",
        "balance_sheet",
        ("balance_sheet.shareholders_equity", "balance_sheet.total_assets"),
        formula=c("shareholders_equity") / c("total_assets"),
        excel="EQUITY_RATIO",
        monthly=False,
        function="balance_sheet.equity_ratio",
    ),
    KPI(
        "interest_coverage",
        "ratio",
        "higher",
        "balance_sheet",
        ("balance_sheet.ebit", "balance_sheet.interest_expense"),
        formula=c("ebit") / c("interest_expense"),
        excel="INTEREST_COVERAGE",
        monthly=False,
        function="balance_sheet.interest_coverage",
    ),
)


#: Columns defined by a formula over other columns: the library computes each once (in
#: ``KPIReport.derived``), the dashboard writes its formula inline, a worksheet function
#: takes it as one argument (``lost_mrr`` of ``=REVENUE_CHURN()``).
DERIVED: dict[str, Expr] = {
    # each staying customer's whole fall (its FX part included), as GRR counts it
    "lost_mrr": c("churned_mrr") + c("net_contraction_mrr"),
    "gained_customers": c("new_customers") + c("reactivated_customers"),
    # the opening month's "new" customers are the opening balance, not acquired then
    "acquired_customers": known(c("new_customers")),
}

#: A column's opening balance: ``months_back`` of ``mrr`` before the first reported month
#: reads the first month's ``start_mrr`` when that start is known (``history_start``).
OPENING: dict[str, str] = {"mrr": "start_mrr", "customers": "start_customers"}

_COUNT, _MONEY = Domain(minimum=0, integer=True), Domain(minimum=0)
#: What each column a formula reads may hold (a KPI read by a later one: by its unit).
DOMAINS: dict[str, Domain] = {
    **dict.fromkeys(
        ("start_customers", "gained_customers", "acquired_customers", "contacts", "sal", "pql", "pql_converted"),
        _COUNT,
    ),
    **dict.fromkeys(("nps_answers", "nps_promoters", "nps_detractors"), _COUNT),
    **dict.fromkeys(("start_mrr", "lost_mrr", "net_contraction_mrr", "cts_total"), _MONEY),
    **dict.fromkeys(("sales", "marketing", "customer_success", "infrastructure", "retention_programs", "cogs"), _MONEY),
    **dict.fromkeys(
        ("revenue", "recurring_revenue", "research_development", "general_administrative", "margin_revenue"), _MONEY
    ),
    "quarter_end": Domain(0, 1, integer=True),
    **dict.fromkeys(
        (
            "current_assets",
            "inventories",
            "current_liabilities",
            "total_liabilities",
            "total_assets",
            "interest_expense",
        ),
        _MONEY,
    ),
    "gross_margin": Domain(maximum=1),  # negative when cogs exceed revenue
    "customer_churn_rate": Domain(0, 1),
    **{
        k.key: _COUNT if k.unit == "count" else _MONEY
        for k in _ENTRIES
        if k.unit in ("count", "money", "ratio", "months")
    },
    **dict.fromkeys(SIGNED_KPIS, Domain()),
    "fx_mrr": Domain(),  # a rate move either way: any sign
}

#: Every KPI, in the order of the JSON keys and the ``MonthlyKPIs`` columns; each entry
#: carries the domains of the columns its formula reads.
KPIS: tuple[KPI, ...] = tuple(
    replace(k, domains={name: DOMAINS[name] for name in k.arguments if name in DOMAINS}) for k in _ENTRIES
)
REGISTRY: dict[str, KPI] = {k.key: k for k in KPIS}

#: The columns of the monthly input sheets, in the order of the input schema
#: (``kpi_addin.io.schema`` reads them from here).
COST_COLUMNS = ("sales", "marketing", "customer_success", "infrastructure", "retention_programs", "cogs")
#: Every column of the costs sheet: the costs, then the P&L and cash (:mod:`.finance_kpis`).
COSTS_SHEET_COLUMNS = (*COST_COLUMNS, *FINANCIAL_COLUMNS)
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
#: window label, and those whose formula reads other months (growth against M−1 and M−12).
TRAILING_KEYS = frozenset(k.key for k in KPIS if k.window or (k.formula is not None and reaches_back(k.formula)))
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
