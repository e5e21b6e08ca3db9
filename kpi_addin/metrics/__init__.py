"""The shared metric library: every KPI of ``docs/definitions.md`` as pure functions over numbers
or pandas Series, and the transforms from a subscriptions ledger to monthly KPIs.

This package depends on pandas and NumPy only; interfaces (Excel, dashboard, CLI)
import it, never the other way round.
"""

from ._core import UNDEFINED, KPIInputError, KPINumError, KPIValueError, is_undefined
from .balance_sheet import (
    balance_sheet_ratios,
    current_ratio,
    debt_to_equity,
    equity_ratio,
    interest_coverage,
    quick_ratio,
)
from .catalogue import KPI, KPIS, REGISTRY
from .customers import (
    annualized_churn,
    customer_churn_rate,
    customer_lifetime_months,
    customer_retention_rate,
    net_promoter_score,
    nps_from_counts,
)
from .funnel import conversion_rate, customer_conversion_rate, funnel_conversions, pql_conversion_rate
from .goals import GOAL_STATUSES, goal_progress, goal_shortfall, goal_status
from .mrr import CustomerMRR, cohort_retention, customer_mrr, mrr_bridge, subscription_monthly_value
from .report import MONTHLY_KEYS, CompanyData, KPIReport, monthly_kpis
from .revenue import (
    annual_recurring_revenue,
    average_revenue_per_user,
    gross_revenue_retention,
    monthly_recurring_revenue,
    net_revenue_retention,
    revenue_churn_rate,
    saas_quick_ratio,
)
from .unit_economics import (
    cac_payback_months,
    cost_to_serve,
    cost_to_serve_share,
    customer_acquisition_cost,
    customer_lifetime_value,
    gross_margin,
    lifetime_value,
    ltv_to_cac,
    total_cost_to_serve,
)

__all__ = [
    "GOAL_STATUSES",
    "KPI",
    "KPIS",
    "MONTHLY_KEYS",
    "REGISTRY",
    "UNDEFINED",
    "CompanyData",
    "CustomerMRR",
    "KPIInputError",
    "KPINumError",
    "KPIReport",
    "KPIValueError",
    "annual_recurring_revenue",
    "annualized_churn",
    "average_revenue_per_user",
    "balance_sheet_ratios",
    "cac_payback_months",
    "cohort_retention",
    "conversion_rate",
    "cost_to_serve",
    "cost_to_serve_share",
    "current_ratio",
    "customer_acquisition_cost",
    "customer_churn_rate",
    "customer_conversion_rate",
    "customer_lifetime_months",
    "customer_lifetime_value",
    "customer_mrr",
    "customer_retention_rate",
    "debt_to_equity",
    "equity_ratio",
    "funnel_conversions",
    "goal_progress",
    "goal_shortfall",
    "goal_status",
    "gross_margin",
    "gross_revenue_retention",
    "interest_coverage",
    "is_undefined",
    "lifetime_value",
    "ltv_to_cac",
    "monthly_kpis",
    "monthly_recurring_revenue",
    "mrr_bridge",
    "net_promoter_score",
    "net_revenue_retention",
    "nps_from_counts",
    "pql_conversion_rate",
    "quick_ratio",
    "revenue_churn_rate",
    "saas_quick_ratio",
    "subscription_monthly_value",
    "total_cost_to_serve",
]
