"""Quarters, years and any run of months: the MRR / ARR bridge and retention over a period.

A period's bridge ties like a month's: ``start + new + expansion + reactivation + fx −
contraction − churned = end``, where *start* is MRR at the end of the month before the
period and each movement is the sum of its months.  The ledger's opening month (see
:func:`kpi_addin.metrics.report.monthly_kpis`) has no movements of its own: its month-end
MRR is the opening balance, so a period holding it starts from there and is marked part
(``complete = False``), as is a period cut by the first or the reporting month.

Churn over a period is reported two ways, each named (:data:`PERIOD_DEFINITIONS` says
which definition each figure uses; ``kpi-addin metrics --period`` prints it in the JSON):

* **of the starting cohort** — ``logo_churn`` = 1 − ``logo_retention`` and
  ``revenue_churn`` = 1 − ``grr``: the share of the customers (of their MRR) paying at
  the start that is gone at the end.  Never above 100 %.
* **on the monthly average** — ``customer_churn_on_average`` = customers churned over the
  period ÷ ``average_customers`` (the mean of the paying customers at the start of each
  of its months, the monthly churn rate's denominator) and ``revenue_churn_on_average`` =
  (churned + contraction MRR over the period) ÷ ``average_mrr``.  It counts customers who
  joined and left within the period, so it can exceed the cohort figure.

The old "lost over the period ÷ customers at its start" is gone: in a part year it counted
every new-then-lost customer against a small start and read 312 %.

``nrr``, ``grr`` and ``logo_retention`` follow the cohort rule of the twelve-month figures
(:func:`kpi_addin.metrics.trailing.cohort_retention_12m`): the customers paying at the
start, their MRR at the end ÷ their MRR at the start (GRR caps each at its start MRR;
logo retention counts who still pays).  A customer who left and came back within the
period counts as retained.

The reusable pieces: :func:`period_spans` (the calendar periods covering a run of
months), :func:`period_bridge` (one span), :func:`period_kpis` (every span of a report),
:data:`PERIOD_UNITS` (how each column is shown).
"""

from __future__ import annotations

from typing import Literal

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
    "fx_mrr",
    "contraction_mrr",
    "churned_mrr",
    "end_mrr",
    "start_arr",
    "end_arr",
    "average_mrr",
    "start_customers",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
    "end_customers",
    "average_customers",
    "logo_churn",
    "customer_churn_on_average",
    "revenue_churn",
    "revenue_churn_on_average",
    "nrr",
    "grr",
    "logo_retention",
)

PeriodUnit = Literal["label", "month", "count", "flag", "money", "number", "rate"]

#: How each column of :data:`PERIOD_KEYS` is shown (``count``: a whole number; ``number``:
#: an average of counts, not whole).
PERIOD_UNITS: dict[str, PeriodUnit] = {
    "period": "label",
    "first_month": "month",
    "last_month": "month",
    "months": "count",
    "complete": "flag",
    **{k: "money" for k in PERIOD_KEYS if k.endswith(("_mrr", "_arr"))},
    **{k: "count" for k in ("start_customers", "new_customers", "reactivated_customers", "churned_customers")},
    "end_customers": "count",
    "average_customers": "number",
    **{k: "rate" for k in ("logo_churn", "customer_churn_on_average", "revenue_churn", "revenue_churn_on_average")},
    **{k: "rate" for k in ("nrr", "grr", "logo_retention")},
}

#: Which definition each rate (and the part mark) uses, in words: the JSON of
#: ``kpi-addin metrics --period`` carries it, the docs repeat it.
PERIOD_DEFINITIONS: dict[str, str] = {
    "complete": "false for a part period: cut by the report's first or last month, "
    "holding the ledger's opening month, or month to date",
    "average_mrr": "mean of the MRR at the start of each month of the period",
    "average_customers": "mean of the paying customers at the start of each month of the period",
    "logo_churn": "starting cohort: 1 - logo_retention (share of the customers paying at the start "
    "who are not paying at the end); never above 100 %",
    "customer_churn_on_average": "customers churned over the period (the months' churned customers "
    "summed, new-then-lost included) / average_customers",
    "revenue_churn": "starting cohort: 1 - grr (share of the starting customers' MRR lost to churn "
    "and contraction by the end); never above 100 %",
    "revenue_churn_on_average": "(churned + contraction MRR summed over the months) / average_mrr",
    "nrr": "starting cohort: their MRR at the end / their MRR at the start",
    "grr": "starting cohort: their MRR at the end, each capped at its start, / their MRR at the start",
    "logo_retention": "starting cohort: share still paying at the end (left and came back counts as retained)",
}

MOVEMENTS = ("new_mrr", "expansion_mrr", "reactivation_mrr", "fx_mrr", "contraction_mrr", "churned_mrr")
COUNTS = ("new_customers", "reactivated_customers", "churned_customers")
FREQUENCIES = {"month": "M", "quarter": "Q", "year": "Y"}


def period_spans(months: pd.PeriodIndex, period: str) -> list[tuple[str, pd.Period, pd.Period]]:
    """The calendar months, quarters or years covering ``months``: ``(label, first, last)``
    each, whole calendar periods (a span may reach past ``months``; clip with it).

    Edge cases: an unknown ``period`` raises :class:`KPIValueError`; no months → ``[]``.

    Examples
    --------
    >>> for span in period_spans(pd.period_range("2024-11", "2025-02", freq="M"), "quarter"):
    ...     print(*span)
    2024Q4 2024-10 2024-12
    2025Q1 2025-01 2025-03
    """
    if period not in FREQUENCIES:
        raise KPIValueError("period", f"{period!r} is not month, quarter or year")
    if len(months) == 0:
        return []
    freq = FREQUENCIES[period]
    labels = pd.period_range(months[0].asfreq(freq), months[-1].asfreq(freq), freq=freq)
    return [(str(label), label.asfreq("M", how="start"), label.asfreq("M", how="end")) for label in labels]


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
    >>> [round(q1[k], 4) for k in ("logo_churn", "customer_churn_on_average", "nrr", "grr", "logo_retention")]
    [0.5, 0.4, 0.6667, 0.6667, 0.5]

    February and March start with 2 and 3 customers (2.5 on average); b is lost in March:
    1 ÷ 2.5 = 0.4.  Of the two paying at the start (a, b), b is gone: logo churn 0.5.
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
    average_mrr = float(rows["start_mrr"].astype(float).mean())
    start_customers = int(rows["start_customers"].iloc[0])
    average_customers = float(rows["start_customers"].astype(float).mean())
    out.update(start_mrr=start_mrr)
    out.update({k: float(rows[k].sum()) for k in MOVEMENTS})
    out.update(end_mrr=end_mrr, start_arr=start_mrr * 12, end_arr=end_mrr * 12, average_mrr=average_mrr)
    counts = {k: int(rows[k].sum()) for k in COUNTS}
    out["start_customers"] = start_customers
    out.update(counts)
    out["end_customers"] = int(rows["customers"].iloc[-1])
    out["average_customers"] = average_customers
    cm = report.customer_mrr
    base = cm.mrr_at(moving[0] - 1)
    now = cm.mrr_at(moving[-1]).reindex(base.index, fill_value=0.0)
    before = float(base.sum())
    nrr = float(divide(float(now.sum()), before))
    grr = float(divide(float(np.minimum(now.to_numpy(), base.to_numpy()).sum()), before))
    logo_retention = float(divide(float((now > 0).sum()), float(len(base))))
    lost = float(rows["churned_mrr"].sum() + rows["net_contraction_mrr"].sum())  # falls with their FX part
    out["logo_churn"] = 1.0 - logo_retention
    out["customer_churn_on_average"] = float(divide(float(counts["churned_customers"]), average_customers))
    out["revenue_churn"] = 1.0 - grr
    out["revenue_churn_on_average"] = float(divide(lost, average_mrr))
    out.update(nrr=nrr, grr=grr, logo_retention=logo_retention)
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
    rows = []
    for label, first, last in period_spans(pd.PeriodIndex(report.bridge.index), period):
        row = period_bridge(report, first, last)
        row["period"] = label
        rows.append(row)
    return pd.DataFrame(rows, columns=list(PERIOD_KEYS)).set_index("period")


def period_records(table: pd.DataFrame) -> list[dict[str, object]]:
    """:func:`period_kpis`'s rows as JSON-ready dicts (``period`` first): counts as integers,
    money, rates and averages as floats, ``None`` where undefined (:data:`PERIOD_UNITS`).

    Examples
    --------
    >>> table = pd.DataFrame([{k: np.nan for k in PERIOD_KEYS} | {"period": "2025Q1", "complete": True,
    ...     "start_customers": 4.0, "average_customers": 11 / 3}]).set_index("period")
    >>> record = period_records(table)[0]
    >>> record["period"], record["complete"], record["start_customers"], round(record["average_customers"], 4)
    ('2025Q1', True, 4, 3.6667)
    >>> record["logo_churn"] is None
    True
    """
    records = []
    for label, row in table.iterrows():
        entry: dict[str, object] = {"period": str(label)}
        for key in PERIOD_KEYS[1:]:
            value, unit = row[key], PERIOD_UNITS[key]
            if value is None or (not isinstance(value, str | bool) and pd.isna(value)):
                entry[key] = None
            elif unit == "flag":
                entry[key] = bool(value)
            elif unit in ("label", "month"):
                entry[key] = str(value)
            elif unit == "count":
                entry[key] = int(value)
            else:
                entry[key] = float(value)
        records.append(entry)
    return records
