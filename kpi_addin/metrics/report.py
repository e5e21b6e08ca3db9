"""Every monthly KPI of a company at once: the table behind ``kpi-addin metrics``,
the dashboard and the Excel table functions.

Each KPI column is computed by the same scalar function that ``=CHURN()`` and
friends call, applied to aligned monthly Series, so the three layers cannot drift.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import balance_sheet as bs
from .customers import annualized_churn, customer_churn_rate, customer_retention_rate, nps_from_counts
from .funnel import customer_conversion_rate, funnel_conversions, pql_conversion_rate
from .goals import check_direction, goal_progress, goal_status
from .mrr import CustomerMRR, cohort_retention, customer_mrr, month_number, mrr_bridge, period_of
from .revenue import (
    annual_recurring_revenue,
    average_revenue_per_user,
    gross_revenue_retention,
    net_new_mrr,
    net_revenue_retention,
    revenue_churn_rate,
    saas_quick_ratio,
)
from .unit_economics import (
    cac_payback_months,
    cost_to_serve,
    cost_to_serve_share,
    customer_acquisition_cost,
    gross_margin,
    lifetime_value,
    ltv_to_cac,
)

#: The keys of each month of ``kpi-addin metrics --format json`` (a published contract),
#: also the column headers of the dashboard's ``MonthlyKPIs`` table.
MONTHLY_KEYS: tuple[str, ...] = (
    "month",
    "mrr",
    "arr",
    "customers",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
    "new_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "reactivation_mrr",
    "customer_churn_rate",
    "revenue_churn_rate",
    "nrr",
    "grr",
    "crr",
    "arpu",
    "ltv",
    "cac",
    "ltv_cac",
    "cac_payback_months",
    "cts",
    "saas_quick_ratio",
    "visitors",
    "leads",
    "mql",
    "sql",
    "ccr",
    "pql_conversion",
    "nps",
)
#: Monthly keys that need more than the subscriptions (costs, funnel, NPS).
INPUT_DEPENDENT_KEYS = frozenset(
    {"cac", "ltv_cac", "cac_payback_months", "cts", "visitors", "leads", "mql", "sql", "ccr", "pql_conversion", "nps"}
)
#: What the subscriptions alone give: the columns of the Excel MRR_TABLE() function.
SUBSCRIPTION_KEYS: tuple[str, ...] = tuple(k for k in MONTHLY_KEYS if k not in INPUT_DEPENDENT_KEYS)
COUNT_KEYS = frozenset(
    {"customers", "new_customers", "reactivated_customers", "churned_customers", "visitors", "leads", "mql", "sql"}
)
BALANCE_SHEET_KEYS: tuple[str, ...] = bs.BALANCE_SHEET_RATIOS
COST_TO_SERVE_COMPONENTS = ("customer_success", "infrastructure", "retention_programs")
FUNNEL_COLUMNS = ("visitors", "contacts", "leads", "mql", "sal", "sql", "pql", "pql_converted")
COST_COLUMNS = ("sales", "marketing", "customer_success", "infrastructure", "retention_programs", "cogs")
#: The cost columns each cost KPI reads (an absent or blank one is a warning naming the KPI).
COST_INPUTS = {
    "cac, ltv_cac and cac_payback_months": ("sales", "marketing"),
    "cts": COST_TO_SERVE_COMPONENTS,
}
#: The balance-sheet inputs of each ratio (a ratio whose inputs are absent is null, with a warning).
BALANCE_SHEET_INPUTS = {
    "current_ratio": ("current_assets", "current_liabilities"),
    "quick_ratio": ("current_assets", "inventories", "current_liabilities"),
    "debt_to_equity": ("total_liabilities", "shareholders_equity"),
    "equity_ratio": ("shareholders_equity", "total_assets"),
    "interest_coverage": ("ebit", "interest_expense"),
}


@dataclass
class CompanyData:
    """The canonical, validated inputs (see ``SPEC.md``); only ``subscriptions`` is required.

    Month columns hold the first day of the month as a datetime.
    """

    subscriptions: pd.DataFrame
    funnel: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    nps: pd.DataFrame | None = None
    balance_sheet: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    fx_rates: pd.DataFrame | None = None
    reporting_currency: str = "USD"
    company: str | None = None
    as_of: pd.Period | None = None
    source: str = ""

    def latest_month(self) -> pd.Period:
        """The month of the latest date anywhere in the data (the default ``as_of``)."""
        dates: list[np.ndarray] = []
        for column in ("start_date", "end_date", "trial_end"):
            if column in self.subscriptions:
                dates.append(month_number(self.subscriptions[column]))
        for frame, column in ((self.funnel, "month"), (self.costs, "month"), (self.nps, "date")):
            if frame is not None and column in frame:
                dates.append(month_number(frame[column]))
        known = np.concatenate(dates)
        return period_of(int(known[known > -(2**62)].max()))


@dataclass
class KPIReport:
    """Monthly KPIs (``monthly``, one row per month, columns :data:`MONTHLY_KEYS`), the
    detailed MRR bridge, the inputs aligned by month, further monthly figures the
    dashboard shows (``extras``), the latest balance-sheet ratios and the warnings."""

    reporting_currency: str
    as_of: pd.Period
    monthly: pd.DataFrame
    bridge: pd.DataFrame
    customer_mrr: CustomerMRR
    balance_sheet: dict[str, object]
    inputs: pd.DataFrame
    extras: pd.DataFrame
    present: frozenset[str]
    warnings: list[str] = field(default_factory=list)
    company: str | None = None

    def latest(self, key: str) -> float:
        """The latest month's value of a monthly KPI, or the latest balance-sheet ratio."""
        if key in BALANCE_SHEET_KEYS:
            value = self.balance_sheet.get(key)
            return math.nan if value is None else float(value)  # type: ignore[arg-type]
        return float(self.monthly[key].iloc[-1])

    def cohorts(self, basis: str = "logo") -> pd.DataFrame:
        """Cohort retention matrix (see :func:`kpi_addin.metrics.mrr.cohort_retention`)."""
        return cohort_retention(self.customer_mrr, basis)

    def to_dict(self) -> dict[str, object]:
        """The JSON contract of ``kpi-addin metrics --format json``."""
        months = []
        for period, row in self.monthly.iterrows():
            entry: dict[str, object] = {"month": str(period)}
            for key in MONTHLY_KEYS[1:]:
                entry[key] = _json_number(row[key], integer=key in COUNT_KEYS)
            months.append(entry)
        sheet = {k: (_json_number(v) if k != "period" else v) for k, v in self.balance_sheet.items()}
        return {
            "reporting_currency": self.reporting_currency,
            "months": months,
            "balance_sheet": sheet,
            "warnings": list(self.warnings),
        }


def _json_number(value: object, *, integer: bool = False) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return int(value) if integer else float(value)  # type: ignore[arg-type]


def _by_month(frame: pd.DataFrame | None, months: pd.PeriodIndex, columns: tuple[str, ...]) -> pd.DataFrame:
    """A monthly sheet aligned to ``months``; absent rows and columns are nan."""
    out = pd.DataFrame(index=months, columns=list(columns), dtype=float)
    if frame is None or frame.empty:
        return out
    indexed = frame.set_index(frame["month"].dt.to_period("M"))
    for column in columns:
        if column in indexed:
            out[column] = indexed[column].reindex(months).astype(float)
    return out


def _missing_months_warning(sheet: str, frame: pd.DataFrame | None, months: pd.PeriodIndex, what: str) -> str | None:
    if frame is None or frame.empty:
        return None
    present = set(frame["month"].dt.to_period("M"))
    missing = [str(m) for m in months if m not in present]
    if not missing:
        return None
    shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
    return f"{sheet}: no row for {len(missing)} of {len(months)} months ({shown}); {what} left blank there"


def monthly_kpis(data: CompanyData) -> KPIReport:
    """Compute every monthly KPI of ``data`` (see ``SPEC.md`` for each definition).

    KPIs whose inputs are absent are nan (JSON null) and a warning says why;
    undefined KPIs (a zero denominator) are nan too.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "amount": [100.0, 50.0],
    ...     "interval": ["month", "month"],
    ...     "start_date": pd.to_datetime(["2025-01-05", "2025-01-20"]),
    ...     "end_date": pd.to_datetime([None, "2025-02-10"])})
    >>> report = monthly_kpis(CompanyData(subscriptions=subs, as_of=pd.Period("2025-02", "M")))
    >>> report.monthly[["mrr", "customers", "churned_customers", "customer_churn_rate", "ltv"]]
               mrr  customers  churned_customers  customer_churn_rate    ltv
    month
    2025-01  150.0          2                  0                  NaN    NaN
    2025-02  100.0          1                  1                  0.5  200.0
    """
    warnings: list[str] = []
    as_of = data.as_of or data.latest_month()
    cm = customer_mrr(
        data.subscriptions, reporting_currency=data.reporting_currency, fx_rates=data.fx_rates, as_of=as_of
    )
    bridge = mrr_bridge(cm)
    months = bridge.index
    m = pd.DataFrame(index=months)
    m["mrr"] = bridge["mrr"]
    m["arr"] = annual_recurring_revenue(bridge["mrr"])
    for key in ("customers", "new_customers", "reactivated_customers", "churned_customers"):
        m[key] = bridge[key]
    for key in ("new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr"):
        m[key] = bridge[key]
    start_customers, start_mrr = bridge["start_customers"], bridge["start_mrr"]
    m["customer_churn_rate"] = customer_churn_rate(bridge["churned_customers"], start_customers)
    m["revenue_churn_rate"] = revenue_churn_rate(bridge["churned_mrr"] + bridge["contraction_mrr"], start_mrr)
    m["nrr"] = net_revenue_retention(
        start_mrr, bridge["expansion_mrr"], bridge["contraction_mrr"], bridge["churned_mrr"]
    )
    m["grr"] = gross_revenue_retention(start_mrr, bridge["contraction_mrr"], bridge["churned_mrr"])
    m["crr"] = customer_retention_rate(
        bridge["customers"], bridge["new_customers"] + bridge["reactivated_customers"], start_customers
    )
    m["arpu"] = average_revenue_per_user(bridge["mrr"], bridge["customers"])
    m["ltv"] = lifetime_value(m["arpu"], m["customer_churn_rate"])

    costs = _by_month(data.costs, months, COST_COLUMNS)
    if data.costs is None:
        warnings.append("costs: sheet absent; cac, ltv_cac, cac_payback_months and cts are left out")
    else:
        note = _missing_months_warning("costs", data.costs, months, "cac, ltv_cac, cac_payback_months and cts")
        if note:
            warnings.append(note)
    if data.costs is not None:
        warnings += _absent_cost_warnings(data.costs)
    m["cac"] = customer_acquisition_cost(costs["sales"], costs["marketing"], bridge["new_customers"])
    m["ltv_cac"] = ltv_to_cac(m["ltv"], m["cac"])
    if data.costs is not None and "cogs" in data.costs and data.costs["cogs"].notna().any():
        margin = gross_margin(costs["cogs"], bridge["mrr"])
        negative = margin < 0
        if negative.any():
            listed = ", ".join(str(p) for p in months[negative.to_numpy()][:6])
            warnings.append(
                f"costs: cogs exceed MRR in {int(negative.sum())} month(s) ({listed}); CAC payback is undefined there"
            )
            margin = margin.where(~negative)
    else:
        margin = pd.Series(1.0, index=months)
    m["cac_payback_months"] = cac_payback_months(m["cac"], m["arpu"], margin)
    cts_components = costs[list(COST_TO_SERVE_COMPONENTS)]
    cts_total = cts_components.sum(axis=1, min_count=1)  # blanks ignored; all blank → blank
    m["cts"] = cost_to_serve(cts_total, bridge["customers"])
    m["saas_quick_ratio"] = saas_quick_ratio(
        bridge["new_mrr"],
        bridge["expansion_mrr"],
        bridge["reactivation_mrr"],
        bridge["contraction_mrr"],
        bridge["churned_mrr"],
    )

    funnel = _by_month(data.funnel, months, FUNNEL_COLUMNS)
    if data.funnel is None:
        warnings.append("funnel: sheet absent; visitors, leads, mql, sql, ccr and pql_conversion are left out")
    else:
        note = _missing_months_warning("funnel", data.funnel, months, "funnel KPIs")
        if note:
            warnings.append(note)
    for key in ("visitors", "leads", "mql", "sql"):
        m[key] = funnel[key]
    m["ccr"] = customer_conversion_rate(bridge["new_customers"].astype(float), funnel["visitors"])
    m["pql_conversion"] = pql_conversion_rate(funnel["pql_converted"], funnel["pql"])
    conversions = funnel_conversions(funnel.assign(new_customers=bridge["new_customers"].astype(float)))

    # Answers per month (0 where none, as a spreadsheet COUNTIFS gives): NPS is undefined there.
    counts = pd.DataFrame({"answers": 0.0, "promoters": 0.0, "detractors": 0.0}, index=months)
    if data.nps is None:
        warnings.append("nps: sheet absent; nps is left out")
    elif not data.nps.empty:
        scores = data.nps.assign(month=data.nps["date"].dt.to_period("M"))
        grouped = scores.groupby("month")["score"]
        counts["answers"] = grouped.count().reindex(months).fillna(0).astype(float)
        counts["promoters"] = grouped.agg(lambda s: (s >= 9).sum()).reindex(months).fillna(0).astype(float)
        counts["detractors"] = grouped.agg(lambda s: (s <= 6).sum()).reindex(months).fillna(0).astype(float)
    m["nps"] = nps_from_counts(counts["promoters"], counts["detractors"], counts["answers"])

    sheet = latest_balance_sheet(data.balance_sheet, as_of)
    if data.balance_sheet is None:
        warnings.append("balance_sheet: sheet absent; the balance-sheet ratios are left out")
    elif sheet["period"] is not None:
        latest = data.balance_sheet[data.balance_sheet["period"].dt.to_period("M") == pd.Period(str(sheet["period"]))]
        for ratio, inputs in BALANCE_SHEET_INPUTS.items():
            absent = [c for c in inputs if c not in latest or latest[c].isna().all()]
            if absent:
                warnings.append(f"balance_sheet {sheet['period']}: no {', '.join(absent)}; {ratio} is left out")
    m = m[list(MONTHLY_KEYS[1:])]
    inputs = pd.concat([costs, funnel], axis=1)
    inputs["cts_total"] = cts_total
    inputs["gross_margin"] = margin
    inputs["nps_answers"] = counts["answers"]
    inputs["nps_promoters"] = counts["promoters"]
    inputs["nps_detractors"] = counts["detractors"]
    extras = pd.DataFrame(index=months)
    extras["net_new_mrr"] = net_new_mrr(
        bridge["new_mrr"],
        bridge["expansion_mrr"],
        bridge["reactivation_mrr"],
        bridge["contraction_mrr"],
        bridge["churned_mrr"],
    )
    extras["annualized_churn"] = annualized_churn(m["customer_churn_rate"])
    extras["cts_share"] = cost_to_serve_share(cts_total, bridge["mrr"])
    extras = extras.join(conversions)
    present = frozenset(
        name
        for name in ("funnel", "costs", "nps", "balance_sheet", "targets", "fx_rates")
        if getattr(data, name) is not None
    )
    return KPIReport(
        reporting_currency=data.reporting_currency,
        as_of=months[-1],
        monthly=m,
        bridge=bridge,
        customer_mrr=cm,
        balance_sheet=sheet,
        inputs=inputs,
        extras=extras,
        present=present,
        warnings=warnings,
        company=data.company,
    )


def _absent_cost_warnings(costs: pd.DataFrame) -> list[str]:
    """A cost column a KPI reads that is absent (or blank in every row): say which KPI it changes."""
    warnings = []
    blank = {c for c in COST_COLUMNS if c not in costs or costs[c].isna().all()}
    for kpis, inputs in COST_INPUTS.items():
        absent = [c for c in inputs if c in blank]
        if not absent or len(absent) == len(inputs) == 2:
            if absent:
                warnings.append(f"costs: no {' or '.join(absent)}; {kpis} are left out")
            continue
        if kpis == "cts":
            rest = [c for c in inputs if c not in blank]
            if rest:
                warnings.append(f"costs: no {', '.join(absent)}; cts counts only {', '.join(rest)}")
            else:
                warnings.append("costs: no customer_success, infrastructure or retention_programs; cts is left out")
        else:
            warnings.append(f"costs: no {', '.join(absent)}; {kpis} are left out")
    if "cogs" in blank:
        warnings.append("costs: no cogs; cac_payback_months assumes a gross margin of 100%")
    return warnings


def evaluate_goals(goals: pd.DataFrame, report: KPIReport) -> pd.DataFrame:
    """Actual, progress and status of each goal against the latest month.

    ``goals`` has columns kpi, target, direction and due (a datetime or NaT).
    """
    out = goals.copy()
    actual = [report.latest(k) for k in goals["kpi"]]
    out["actual"] = actual
    out["progress"] = [
        goal_progress(a, t, check_direction(d))
        for a, t, d in zip(actual, goals["target"], goals["direction"], strict=True)
    ]
    out["status"] = [
        goal_status(a, t, check_direction(d), None if pd.isna(due) else pd.Period(due, "M"), report.as_of)
        for a, t, d, due in zip(actual, goals["target"], goals["direction"], goals["due"], strict=True)
    ]
    return out


def latest_balance_sheet(balance_sheet: pd.DataFrame | None, as_of: pd.Period) -> dict[str, object]:
    """The five ratios of the latest balance-sheet period on or before ``as_of``
    (``period`` is its ``YYYY-MM``); all None when there is none."""
    empty: dict[str, object] = {"period": None, **dict.fromkeys(BALANCE_SHEET_KEYS)}
    if balance_sheet is None or balance_sheet.empty:
        return empty
    periods = balance_sheet["period"].dt.to_period("M")
    eligible = balance_sheet[periods <= as_of]
    if eligible.empty:
        return empty
    latest = eligible.loc[[eligible["period"].idxmax()]]
    ratios = bs.balance_sheet_ratios(latest).iloc[0]
    return {
        "period": str(latest["period"].dt.to_period("M").iloc[0]),
        **{k: float(ratios[k]) for k in BALANCE_SHEET_KEYS},
    }
