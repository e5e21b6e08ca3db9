"""Quarters, years and any run of months: the MRR / ARR bridge and retention over a period.

A period's bridge ties like a month's: ``start + new + expansion + reactivation −
contraction − churned = end``, where *start* is MRR at the end of the month before the
period and each movement is the sum of its months.  The ledger's opening month (see
:func:`kpi_addin.metrics.report.monthly_kpis`) has no movements of its own: its month-end
MRR is the opening balance, so a period holding it starts from there and is marked
incomplete, as is a period cut by the first or the reporting month.

Rates over the period:

* ``customer_churn_rate`` = customers lost over the period (the months' churned
  customers summed) ÷ paying customers at its start;
* ``revenue_churn_rate`` = (churned + contraction MRR over the period) ÷ start MRR;
* ``nrr``, ``grr``, ``logo_retention`` by the cohort rule of the twelve-month figures
  (:func:`kpi_addin.metrics.trailing.cohort_retention_12m`): the customers paying at the
  start, their MRR at the end ÷ their MRR at the start (GRR caps each at its start MRR;
  logo retention counts who still pays).  A customer who left and came back within the
  period counts as retained.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import KPIValueError, divide
from .report import KPIReport

#: The columns of :func:`period_kpis` (and of ``kpi-addin metrics --period quarter|year``).
PERIOD_KEYS: tuple[str, ...] = (
    "period",
    "first_month",
    "last_month",
    "months",
    "complete",
    "start_mrr",
    "new_mrr",
    "expansion_mrr",
    "reactivation_mrr",
    "contraction_mrr",
    "churned_mrr",
    "end_mrr",
    "start_arr",
    "end_arr",
    "start_customers",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
    "end_customers",
    "customer_churn_rate",
    "revenue_churn_rate",
    "nrr",
    "grr",
    "logo_retention",
)
MOVEMENTS = ("new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr")
COUNTS = ("new_customers", "reactivated_customers", "churned_customers")
FREQUENCIES = {"month": "M", "quarter": "Q", "year": "Y"}


def period_bridge(report: KPIReport, first: pd.Period, last: pd.Period) -> dict[str, object]:
    """The bridge and rates of the months ``first``..``last`` (clipped to the report).

    Money is in the reporting currency (ARR = MRR × 12), rates are fractions, ``nan``
    where a denominator is 0.  The opening month's movements are left out (its MRR is
    the start).  ``complete`` is False when the months reported with movements are
    fewer than the period's, or the last one is month-to-date.

    Examples
    --------
    The trailing-twelve-month ARR bridge of the dashboard is
    ``period_bridge(report, report.as_of - 11, report.as_of)``.

    >>> from kpi_addin.metrics import CompanyData, ReportSettings, monthly_kpis
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"], "amount": [100.0, 50.0, 80.0],
    ...     "interval": ["month"] * 3,
    ...     "start_date": pd.to_datetime(["2025-01-10", "2025-01-15", "2025-02-03"]),
    ...     "end_date": pd.to_datetime([None, "2025-03-01", None])})
    >>> report = monthly_kpis(CompanyData(subs, settings=ReportSettings(as_of=pd.Period("2025-03", "M"))))
    >>> q1 = period_bridge(report, pd.Period("2025-01", "M"), pd.Period("2025-03", "M"))
    >>> [q1[k] for k in ("start_mrr", "new_mrr", "churned_mrr", "end_mrr", "complete")]
    [150.0, 80.0, 50.0, 180.0, False]
    >>> [round(q1[k], 4) for k in ("customer_churn_rate", "nrr", "grr", "logo_retention")]
    [0.5, 0.6667, 0.6667, 0.5]
    """
    bridge = report.bridge
    opening = report.opening_month
    reported = bridge.index[(bridge.index >= first) & (bridge.index <= last)]
    moving = reported[reported != opening] if opening is not None else reported
    out: dict[str, object] = {
        "period": None,
        "first_month": str(first),
        "last_month": str(last),
        "months": len(moving),
        "complete": bool(len(moving) == (last - first).n + 1 and not (report.month_to_date and last >= report.as_of)),
    }
    if len(moving) == 0:
        return {**out, **dict.fromkeys(PERIOD_KEYS[5:], np.nan)}
    rows = bridge.loc[moving]
    start_mrr = float(rows["start_mrr"].iloc[0])
    end_mrr = float(rows["mrr"].iloc[-1])
    start_customers = int(rows["start_customers"].iloc[0])
    out.update(start_mrr=start_mrr)
    out.update({k: float(rows[k].sum()) for k in MOVEMENTS})
    out.update(end_mrr=end_mrr, start_arr=start_mrr * 12, end_arr=end_mrr * 12, start_customers=start_customers)
    counts = {k: int(rows[k].sum()) for k in COUNTS}
    out.update(counts)
    out["end_customers"] = int(rows["customers"].iloc[-1])
    out["customer_churn_rate"] = float(divide(float(counts["churned_customers"]), float(start_customers)))
    lost = float(rows["churned_mrr"].sum() + rows["contraction_mrr"].sum())
    out["revenue_churn_rate"] = float(divide(lost, start_mrr))
    cm = report.customer_mrr
    base = cm.mrr_at(moving[0] - 1)
    now = cm.mrr_at(moving[-1]).reindex(base.index, fill_value=0.0)
    before = float(base.sum())
    out["nrr"] = float(divide(float(now.sum()), before))
    out["grr"] = float(divide(float(np.minimum(now.to_numpy(), base.to_numpy()).sum()), before))
    out["logo_retention"] = float(divide(float((now > 0).sum()), float(len(base))))
    return out


def period_kpis(report: KPIReport, period: str = "quarter") -> pd.DataFrame:
    """:func:`period_bridge` for each calendar month, quarter or year of the report.

    One row per period (``2025Q4``, ``2025``), columns :data:`PERIOD_KEYS`.  Periods
    cut by the report's first or last month (or holding only the opening month) are
    kept, marked ``complete = False``.  Edge cases: an unknown ``period`` raises
    :class:`KPIValueError`.

    Examples
    --------
    >>> from kpi_addin.metrics import CompanyData, ReportSettings, monthly_kpis
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "amount": [100.0, 50.0], "interval": ["month"] * 2,
    ...     "start_date": pd.to_datetime(["2024-11-10", "2025-01-15"]), "end_date": pd.NaT})
    >>> report = monthly_kpis(CompanyData(subs, settings=ReportSettings(as_of=pd.Period("2025-06", "M"))))
    >>> period_kpis(report, "quarter")[["start_mrr", "new_mrr", "end_mrr", "complete"]]
            start_mrr  new_mrr  end_mrr  complete
    period
    2024Q4      100.0      0.0    100.0     False
    2025Q1      100.0     50.0    150.0      True
    2025Q2      150.0      0.0    150.0      True
    """
    if period not in FREQUENCIES:
        raise KPIValueError("period", f"{period!r} is not month, quarter or year")
    freq = FREQUENCIES[period]
    months = report.bridge.index
    rows = []
    for label in pd.period_range(months[0].asfreq(freq), months[-1].asfreq(freq), freq=freq):
        first, last = label.asfreq("M", how="start"), label.asfreq("M", how="end")
        row = period_bridge(report, first, last)
        row["period"] = str(label)
        rows.append(row)
    return pd.DataFrame(rows, columns=list(PERIOD_KEYS)).set_index("period")
