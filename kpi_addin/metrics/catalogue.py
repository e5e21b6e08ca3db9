"""What each monthly KPI key is: its unit and English name (used to format it).

Units: ``money`` (reporting currency), ``rate`` (a fraction shown as %), ``count``,
``ratio`` (a multiple such as 3.2×), ``months``, ``score`` (NPS, −100..100), ``month``.
"""

from __future__ import annotations

from typing import Literal

Unit = Literal["money", "rate", "count", "ratio", "months", "score", "month"]

KPI_UNITS: dict[str, tuple[Unit, str]] = {
    "month": ("month", "Month"),
    "mrr": ("money", "MRR"),
    "arr": ("money", "ARR"),
    "customers": ("count", "Paying customers"),
    "new_customers": ("count", "New customers"),
    "reactivated_customers": ("count", "Reactivated customers"),
    "churned_customers": ("count", "Churned customers"),
    "new_mrr": ("money", "New MRR"),
    "expansion_mrr": ("money", "Expansion MRR"),
    "contraction_mrr": ("money", "Contraction MRR"),
    "churned_mrr": ("money", "Churned MRR"),
    "reactivation_mrr": ("money", "Reactivation MRR"),
    "customer_churn_rate": ("rate", "Customer churn rate"),
    "revenue_churn_rate": ("rate", "Revenue churn rate"),
    "nrr": ("rate", "Net revenue retention"),
    "grr": ("rate", "Gross revenue retention"),
    "crr": ("rate", "Customer retention rate"),
    "arpu": ("money", "ARPU"),
    "ltv": ("money", "LTV"),
    "cac": ("money", "CAC"),
    "ltv_cac": ("ratio", "LTV:CAC"),
    "cac_payback_months": ("months", "CAC payback (months)"),
    "cts": ("money", "Cost to serve per customer"),
    "saas_quick_ratio": ("ratio", "SaaS quick ratio"),
    "visitors": ("count", "Unique visitors"),
    "leads": ("count", "Leads"),
    "mql": ("count", "MQL"),
    "sql": ("count", "SQL"),
    "ccr": ("rate", "Customer conversion rate"),
    "pql_conversion": ("rate", "PQL to paid conversion"),
    "nps": ("score", "NPS"),
    "current_ratio": ("ratio", "Current ratio"),
    "quick_ratio": ("ratio", "Quick ratio (acid test)"),
    "debt_to_equity": ("ratio", "Debt-to-equity"),
    "equity_ratio": ("rate", "Equity ratio"),
    "interest_coverage": ("ratio", "Interest coverage"),
}


def unit_of(key: str) -> Unit:
    return KPI_UNITS[key][0]


def label_of(key: str) -> str:
    return KPI_UNITS[key][1]
