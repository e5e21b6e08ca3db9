"""Every monthly KPI of a company at once: the table behind ``kpi-addin metrics``,
the dashboard and the Excel table functions.

Each KPI column is computed by the same scalar function that ``=CHURN()`` and
friends call, applied to aligned monthly Series, so the three layers cannot drift.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import balance_sheet as bs
from ._core import KPIInputError, divide
from .bridge import mrr_bridge
from .catalogue import (
    BALANCE_SHEET_KEYS,
    COSTS_SHEET_COLUMNS,
    COUNT_KEYS,
    DERIVED,
    DOMAINS,
    FUNNEL_COLUMNS,
    KPIS,
    MONTHLY_KEYS,
    OPENING,
    kpi,
    needing,
)
from .cohorts import cohort_retention
from .company import CompanyData
from .concentration import top_shares
from .conventions import apply_convention
from .customers import DETRACTOR_MAX, PROMOTER_MIN, annualized_churn
from .expression import Months
from .finance import EBITDA_MARGIN, FCF_MARGIN, margin_profit
from .funnel import funnel_conversions
from .goals import COURSE_MONTHS, check_direction, goal_course, goal_progress, goal_status
from .month_end_walk import MonthEndFigures, month_end_figures
from .mrr import CustomerMRR, customer_mrr
from .revenue import net_new_mrr
from .segment_inputs import company_by_month
from .settings import ReportSettings
from .trailing import COHORT_12M_KEYS, cohort_12m_from_sums, cohort_retention_12m
from .unit_economics import cost_to_serve_share

__all__ = ["BALANCE_SHEET_KEYS", "COUNT_KEYS", "MONTHLY_KEYS", "KPIReport", "SubscriptionFigures", "monthly_kpis"]

#: The cost-to-serve components: the costs columns the registry says ``cts`` needs.
COST_TO_SERVE_COMPONENTS = kpi("cts").input_columns("costs")


@dataclass
class KPIReport:
    """Monthly KPIs (``monthly``, one row per month, columns :data:`MONTHLY_KEYS`), the
    detailed MRR bridge, the inputs aligned by month, further monthly figures (``extras``:
    net new MRR, annualised churn, cost to serve as a share of MRR, stage conversions),
    the latest balance-sheet ratios, the warnings (a figure may mislead) and the notes
    (what was read: a detected layout, rows left out by rule)."""

    reporting_currency: str
    as_of: pd.Period
    monthly: pd.DataFrame
    bridge: pd.DataFrame
    #: Each customer's MRR (None when the figures were computed inside a database: only the
    #: monthly result left it; see :attr:`customer_mrr`).
    customer_levels: CustomerMRR | None
    balance_sheet: dict[str, object]
    inputs: pd.DataFrame
    extras: pd.DataFrame
    present: frozenset[str]
    warnings: list[str] = field(default_factory=list)
    company: str | None = None
    notes: list[str] = field(default_factory=list)
    #: Further columns the registry's functions take (``lost_mrr``, ``known_start_mrr``,
    #: ``acquired_customers``, the 12-month cohort figures, ...), one row per month.
    derived: pd.DataFrame = field(default_factory=pd.DataFrame)
    month_to_date: bool = False
    opening_month: pd.Period | None = None
    #: the settings it was computed with (as given: ``as_of`` above is the month reported)
    settings: ReportSettings = field(default_factory=ReportSettings)
    #: the subscriptions as counted: the ledger with the convention applied (once, here)
    ledger: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the profit the Rule of 40's margin is taken on: "ebitda", "free_cash_flow" or None
    rule_of_40_margin: str | None = None

    @property
    def history_start(self) -> pd.Period | None:
        return self.settings.history_start

    @property
    def convention(self) -> str:
        return self.settings.convention

    @property
    def customer_mrr(self) -> CustomerMRR:
        """Each customer's MRR (cohorts, the movement log, quarters and years, reconciling).

        Raises :class:`KPIInputError` when the figures were computed inside a database
        (``--engine database``), which sends back one row per month and no customer."""
        if self.customer_levels is None:
            raise KPIInputError(
                "engine",
                "the database engine computes the monthly figures only; per-customer views (cohorts, "
                "movements, quarters and years, reconcile, the dashboard) need the local engine",
            )
        return self.customer_levels

    def latest(self, key: str) -> float:
        """The latest month's value of a monthly KPI, or the latest balance-sheet ratio."""
        if key in BALANCE_SHEET_KEYS:
            value = self.balance_sheet.get(key)
            return math.nan if value is None else float(value)  # type: ignore[arg-type]  # the ratios are floats or None
        return float(self.monthly[key].iloc[-1])

    def earlier(self, key: str, months: int) -> float:
        """A monthly KPI ``months`` months before the latest (nan before the first month, or for a
        balance-sheet ratio, which has no monthly history here)."""
        if key in BALANCE_SHEET_KEYS or months >= len(self.monthly):
            return math.nan
        return float(self.monthly[key].iloc[-1 - months])

    def cohorts(self, basis: str = "logo") -> pd.DataFrame:
        """Cohort retention matrix (see :func:`kpi_addin.metrics.cohorts.cohort_retention`)."""
        return cohort_retention(self.customer_mrr, basis)

    def months_as_dicts(self) -> list[dict[str, object]]:
        """Each month as the JSON contract gives it: the month, then every key (None: null)."""
        months = []
        # The rows as iterrows gives them (the frame's values, one common dtype), without a
        # Series per row: 360 months of 30 years took 0.2 s.
        columns = [(key, self.monthly.columns.get_loc(key), key in COUNT_KEYS) for key in MONTHLY_KEYS[1:]]
        for period, row in zip(self.monthly.index, self.monthly.values, strict=True):
            entry: dict[str, object] = {"month": str(period)}
            for key, at, integer in columns:
                entry[key] = _json_number(row[at], integer=integer)
            months.append(entry)
        return months

    def to_dict(self) -> dict[str, object]:
        """The JSON contract of ``kpi-addin metrics --format json``."""
        months = self.months_as_dicts()
        sheet = {k: (_json_number(v) if k != "period" else v) for k, v in self.balance_sheet.items()}
        return {
            "reporting_currency": self.reporting_currency,
            "as_of": str(self.as_of),
            "month_to_date": self.month_to_date,
            "opening_month": None if self.opening_month is None else str(self.opening_month),
            "history_start": None if self.history_start is None else str(self.history_start),
            "convention": self.convention,
            "months": months,
            "balance_sheet": sheet,
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "rule_of_40_margin": self.rule_of_40_margin,
        }


def _json_number(value: object, *, integer: bool = False) -> float | int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    number = float(value)  # type: ignore[arg-type]  # a cell of a numeric frame
    return int(number) if integer else number


def _missing_months_warning(sheet: str, frame: pd.DataFrame | None, months: pd.PeriodIndex, what: str) -> str | None:
    if frame is None or frame.empty:
        return None
    present = set(frame["month"].dt.to_period("M"))
    missing = [str(m) for m in months if m not in present]
    if not missing:
        return None
    shown = ", ".join(missing[:6]) + (f" and {len(missing) - 6} more" if len(missing) > 6 else "")
    return f"{sheet}: no row for {len(missing)} of {len(months)} months ({shown}); {what} left blank there"


def _nps_counts(nps: pd.DataFrame | None, months: pd.PeriodIndex) -> pd.DataFrame:
    """Answers, promoters and detractors per month (0 where none, as a spreadsheet COUNTIFS
    gives: NPS is undefined there, never 0); without any answer at all (no ``nps`` sheet, or
    an empty one) not known (``nan``), so the 3-month counts are too."""
    if nps is None or nps.empty:
        return pd.DataFrame({"answers": np.nan, "promoters": np.nan, "detractors": np.nan}, index=months)
    counts = pd.DataFrame({"answers": 0.0, "promoters": 0.0, "detractors": 0.0}, index=months)
    scores = nps.assign(month=nps["date"].dt.to_period("M"))
    grouped = scores.groupby("month")["score"]
    counts["answers"] = grouped.count().reindex(months).fillna(0).astype(float)
    counts["promoters"] = grouped.agg(lambda s: (s >= PROMOTER_MIN).sum()).reindex(months).fillna(0).astype(float)
    counts["detractors"] = grouped.agg(lambda s: (s <= DETRACTOR_MAX).sum()).reindex(months).fillna(0).astype(float)
    return counts


def _listed(keys: tuple[str, ...] | list[str]) -> str:
    return ", ".join(keys[:-1]) + f" and {keys[-1]}" if len(keys) > 1 else keys[0]


def _absent_inputs(data: CompanyData, warnings: list[str]) -> set[str]:
    """The KPIs whose input sheet or column is absent, each named in a warning (derived
    from the registry's ``inputs``): they are null, never computed from what is left."""
    absent: set[str] = set()
    for sheet in ("costs", "funnel", "nps", "balance_sheet"):
        frame = getattr(data, sheet)
        needing_sheet = needing(sheet)
        if frame is None:
            warnings.append(f"{sheet}: sheet absent; {_listed(needing_sheet)} left out")
            absent.update(needing_sheet)
            continue
        # the reader adds some optional columns it did not find, blank, and lists them in attrs
        added = set(frame.attrs.get("absent_columns", ()))
        missing_by_kpi = {
            k: [c for c in kpi(k).input_columns(sheet) if c not in frame.columns or c in added] for k in needing_sheet
        }
        for column in dict.fromkeys(c for cols in missing_by_kpi.values() for c in cols):
            hit = [k for k, cols in missing_by_kpi.items() if column in cols]
            warnings.append(f"{sheet}: column {column} absent; {_listed(hit)} left out")
        absent.update(k for k, cols in missing_by_kpi.items() if cols)
    return absent


def _gross_margin(
    frame: pd.DataFrame | None, costs: pd.DataFrame, mrr: pd.Series, warnings: list[str]
) -> tuple[pd.Series, pd.Series]:
    """The revenue the gross margin is taken on (recurring revenue as booked when the costs
    sheet has any, else MRR, said in a warning) and the gross margin by month: the
    ``gross_margin`` KPI's formula, undefined without cogs (no 100 % margin is assumed)."""
    recurring = frame is not None and "recurring_revenue" in frame and frame["recurring_revenue"].notna().any()
    revenue = costs["recurring_revenue"] if recurring else mrr.astype(float)
    has_cogs = frame is not None and "cogs" in frame and frame["cogs"].notna().any()
    if not has_cogs:
        if frame is not None and "cogs" in frame and "cogs" not in frame.attrs.get("absent_columns", ()):
            warnings.append("costs: cogs blank in every month; gross margin, LTV on it and CAC payback left out")
        return revenue, pd.Series(np.nan, index=costs.index)
    if not recurring:
        warnings.append("costs: no recurring_revenue; the gross margin is taken on MRR")
    margin = pd.Series(
        kpi("gross_margin").evaluate({"cogs": costs["cogs"], "margin_revenue": revenue}), index=costs.index
    )
    negative = margin < 0
    if negative.any():
        listed = ", ".join(str(p) for p in costs.index[negative.to_numpy()][:6])
        base = "recurring revenue" if recurring else "MRR"
        warnings.append(
            f"costs: cogs exceed {base} in {int(negative.sum())} month(s) ({listed}); the gross margin is "
            "negative there, LTV on gross margin and CAC payback are undefined"
        )
    return revenue, margin


def _top_share(
    cm: CustomerMRR | None, figures: SubscriptionFigures | None, bridge: pd.DataFrame, walked: MonthEndFigures | None
) -> pd.Series:
    """The share of MRR from the ten largest customers, month by month: from each customer's
    MRR, or (``--engine database``) the ten largest customers' MRR summed inside the database
    over the month's MRR (:func:`.finance.top_share`'s rule: no MRR is undefined)."""
    months = pd.PeriodIndex(bridge.index)
    if cm is not None:
        return top_shares(cm, months, walked=None if walked is None else walked.top_share)
    assert figures is not None
    top = figures.top_mrr.reindex(months).to_numpy(dtype=float)
    return pd.Series(divide(top, bridge["mrr"].to_numpy(dtype=float)), index=months)


@dataclass(frozen=True)
class SubscriptionFigures:
    """The subscription-derived monthly figures computed elsewhere: inside a database, by the
    SQL of :mod:`.sql` (``--engine database``).  ``bridge`` has :data:`.mrr.BRIDGE_COLUMNS`
    from the first month with MRR to the reporting month, as :func:`.mrr.mrr_bridge` gives
    it; ``cohort_sums`` the 12-month cohort's sums by month (:func:`.trailing.cohort_12m_from_sums`)."""

    bridge: pd.DataFrame
    cohort_sums: pd.DataFrame
    #: the ten largest customers' MRR by month (``top10_share``'s numerator)
    top_mrr: pd.Series


def monthly_kpis(
    data: CompanyData, *, today: dt.date | None = None, figures: SubscriptionFigures | None = None
) -> KPIReport:
    """Compute every monthly KPI of ``data`` (each definition: ``docs/definitions.md``).

    KPIs whose inputs are absent are nan (JSON null) and a warning says why;
    undefined KPIs (a zero denominator) are nan too.  The months run to
    :meth:`CompanyData.reporting_month` (``today`` is the run date, default today's).

    The first month: with ``data.settings.history_start`` the report starts there and MRR at the
    end of the month before is the opening balance (its customers are existing, not new),
    so the first month has real movements.  Without it the ledger's first month is the
    ``opening_month``: its "new" customers are the opening balance, so it has no start,
    no CAC, and the trailing windows leave it out.

    ``figures``: the subscription figures computed inside a database (``--engine
    database``); every other figure is computed from them here, by the same functions.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "amount": [100.0, 50.0],
    ...     "interval": ["month", "month"],
    ...     "start_date": pd.to_datetime(["2025-01-05", "2025-01-20"]),
    ...     "end_date": pd.to_datetime([None, "2025-02-10"])})
    >>> report = monthly_kpis(CompanyData(subscriptions=subs, settings=ReportSettings(as_of=pd.Period("2025-02", "M"))))
    >>> report.monthly[["mrr", "customers", "churned_customers", "customer_churn_rate", "ltv"]]
               mrr  customers  churned_customers  customer_churn_rate    ltv
    month
    2025-01  150.0          2                  0                  NaN    NaN
    2025-02  100.0          1                  1                  0.5  200.0
    """
    warnings: list[str] = []
    settings = data.settings
    as_of, month_to_date = data.reporting_month(today)
    history_start = settings.history_start
    if history_start is not None and history_start > as_of:
        raise KPIInputError("history_start", f"{history_start} is after the reporting month {as_of}")
    ledger = apply_convention(data.subscriptions, settings.convention)
    cm: CustomerMRR | None = None
    walked: MonthEndFigures | None = None
    if figures is None:
        cm = customer_mrr(
            ledger,
            reporting_currency=settings.reporting_currency,
            fx_rates=data.fx_rates,
            as_of=as_of,
        )
        walked = month_end_figures(cm)  # one walk of the month ends: the bridge's MRR, top 10, cohorts
        bridge = mrr_bridge(cm, walked.totals)
    else:
        bridge = figures.bridge
    opening_month: pd.Period | None = bridge.index[0]
    if history_start is not None:
        if history_start > bridge.index[0]:
            bridge = bridge.loc[history_start:]  # its start is the opening balance
        opening_month = None
    months = pd.PeriodIndex(bridge.index)

    costs = company_by_month(data.costs, months, COSTS_SHEET_COLUMNS)
    funnel = company_by_month(data.funnel, months, FUNNEL_COLUMNS)
    for sheet, frame, what in (("costs", data.costs, "costs"), ("funnel", data.funnel, "funnel KPIs")):
        note = _missing_months_warning(sheet, frame, months, what)
        if note:
            warnings.append(note)
    margin_revenue, margin = _gross_margin(data.costs, costs, bridge["mrr"], warnings)
    profit, profit_basis = margin_profit(data.costs, costs)
    if data.costs is not None and profit_basis != EBITDA_MARGIN:
        warnings.append(
            "costs: no ebitda; the Rule of 40 takes the free-cash-flow margin (the month's change in cash)"
            if profit_basis == FCF_MARGIN
            else "costs: columns ebitda and cash absent; rule_of_40 left out"
        )
    cts_total = costs[list(COST_TO_SERVE_COMPONENTS)].sum(axis=1, min_count=1)  # blanks ignored; all blank → blank
    counts = _nps_counts(data.nps, months)

    # The columns the registry's formulas read: the bridge, the derived columns, the inputs, then each KPI in turn.
    columns: dict[str, pd.Series] = {name: bridge[name] for name in bridge.columns}
    columns.update({name: costs[name] for name in COSTS_SHEET_COLUMNS})
    columns.update({name: funnel[name] for name in FUNNEL_COLUMNS})
    quarter_end = pd.Series((months.month % 3 == 0).astype(float), index=months)
    # gross_margin is a KPI, read by CAC payback above it: the column is its formula over the inputs
    columns.update(cts_total=cts_total, margin_revenue=margin_revenue, gross_margin=margin, quarter_end=quarter_end)
    columns["margin_profit"] = profit
    columns.update({f"nps_{name}": counts[name] for name in counts.columns})
    opening_position = 0 if opening_month is not None else None
    # the opening balance (the month-end before the first month) is known with history_start
    before = {} if opening_month is not None else {k: float(bridge[v].iloc[0]) for k, v in OPENING.items()}
    scope = Months(columns, DOMAINS, opening_position, before)
    derived = pd.DataFrame(index=months)
    for name, formula in DERIVED.items():
        derived[name] = columns[name] = pd.Series(formula.evaluate(scope), index=months)
    # Each customer's MRR twelve months apart; the opening balance is the earliest month-end trusted.
    earliest = months[0] if opening_month is not None else months[0] - 1
    if cm is not None:
        assert walked is not None
        derived = derived.join(cohort_retention_12m(cm, months, earliest, walked.cohort_12m))
    else:
        assert figures is not None
        derived = derived.join(cohort_12m_from_sums(figures.cohort_sums, months, earliest))
    derived["top10_share"] = _top_share(cm, figures, bridge, walked)
    columns.update({name: derived[name] for name in (*COHORT_12M_KEYS, "top10_share")})
    absent = _absent_inputs(data, warnings)
    m = pd.DataFrame(index=months)
    for entry in KPIS:
        if not entry.monthly or entry.key == "month":
            continue
        if entry.key in absent:
            value = pd.Series(np.nan, index=months)
        elif entry.formula is None or entry.taken is not None:  # a column as it is (counts stay integers)
            value = columns[entry.taken or entry.key]
        else:
            value = entry.evaluate(scope)
        m[entry.key] = columns[entry.key] = value
    conversions = funnel_conversions(funnel.assign(new_customers=bridge["new_customers"].astype(float)))

    balance = latest_balance_sheet(data.balance_sheet, as_of)
    inputs = pd.concat([costs, funnel], axis=1)
    inputs["cts_total"] = cts_total
    inputs["margin_revenue"] = margin_revenue
    inputs["margin_profit"] = profit
    inputs["gross_margin"] = margin
    inputs["quarter_end"] = quarter_end
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
        bridge["fx_mrr"],
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
        reporting_currency=settings.reporting_currency,
        as_of=months[-1],
        monthly=m,
        bridge=bridge,
        customer_levels=cm,
        balance_sheet=balance,
        inputs=inputs,
        extras=extras,
        present=present,
        warnings=warnings,
        company=data.company,
        derived=derived,
        month_to_date=month_to_date,
        opening_month=opening_month,
        settings=settings,
        ledger=ledger,
        rule_of_40_margin=profit_basis,
    )


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
        goal_status(a, t, check_direction(d))
        for a, t, d in zip(actual, goals["target"], goals["direction"], strict=True)
    ]
    earlier = [report.earlier(k, COURSE_MONTHS) for k in goals["kpi"]]
    out["earlier"] = earlier
    out["course"] = [
        goal_course(a, e, t, check_direction(d), None if pd.isna(due) else pd.Period(due, "M"), report.as_of)
        for a, e, t, d, due in zip(actual, earlier, goals["target"], goals["direction"], goals["due"], strict=True)
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
