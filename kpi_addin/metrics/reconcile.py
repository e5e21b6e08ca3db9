"""Why another tool's monthly MRR differs from ours: month by month, key by key.

Finance is asked every month why the dashboard's MRR is not the billing system's.  The
usual reasons, each recomputed here from the same ledger so its size is known exactly:

* **convention** — the other tool counts a subscription in a month when it is active on
  the 1st (month-start), we at the month end (see :mod:`.conventions`): every mid-month
  start, end or plan change lands one month later there.  The customers whose month moved
  are listed.
* **trials** — the other tool counts free trials as MRR (we count from the trial end).
* **fx** — the other tool converts every month at today's rate (we at each month's rate).
* **sub_cent** — changes below one cent (a monthly price against the same annual price
  ÷ 12): we keep their amount in expansion / contraction MRR but count no customer; a
  tool that rounds each customer's MRR to cents first has none.

For each month and key in the other tool's file, the combination of these effects
closest to the difference is reported, with what is left unexplained.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .catalogue import MONTHLY_KEYS, unit_of
from .mrr import minor_unit_digits, to_units
from .report import CompanyData, KPIReport, monthly_kpis

#: The effects :func:`reconcile` measures, in the order they are reported.
EFFECTS = ("convention", "trials", "fx", "sub_cent")


@dataclass
class Reconciliation:
    """``table``: one row per month and key — ours, theirs, difference, each effect's size,
    ``explained_by`` (the effects whose sum is closest to the difference), ``residual``
    (what they leave) and ``explained`` (the residual is below one cent or one customer).
    ``moved``: month → the customers counted in another month under the other convention
    (customer_id → their MRR difference, theirs − ours)."""

    table: pd.DataFrame
    moved: dict[pd.Period, pd.Series] = field(default_factory=dict)
    other_convention: str = "month-start"


def _other(convention: str) -> str:
    return "month-start" if convention == "month-end" else "month-end"


def _latest_rates(data: CompanyData, as_of: pd.Period) -> pd.DataFrame | None:
    """Each currency at its rate of ``as_of`` (else its undated rate), for every month."""
    fx = data.fx_rates
    if fx is None or fx.empty:
        return None
    rows = []
    for currency, rates in fx.groupby("currency"):
        dated = rates[rates["month"].notna() & (rates["month"].dt.to_period("M") <= as_of)]
        if not dated.empty:
            rate = float(dated.sort_values("month")["rate"].iloc[-1])
        else:
            rate = float(rates["rate"].iloc[-1])
        rows.append({"currency": currency, "rate": rate, "month": pd.NaT})
    return pd.DataFrame(rows).astype({"month": "datetime64[ns]"})


def sub_cent_movements(report: KPIReport) -> pd.DataFrame:
    """Per month, the expansion and contraction MRR of changes below one cent (no customer counted).

    Examples
    --------
    A customer moving from 10.001 a month to 120.00 a year: 10.00 a month either way to
    the cent, but the bridge keeps the 0.001 as contraction MRR.

    >>> subs = pd.DataFrame({"customer_id": ["a", "a"], "amount": [10.001, 120.0],
    ...     "interval": ["month", "year"],
    ...     "start_date": pd.to_datetime(["2025-01-05", "2025-02-01"]),
    ...     "end_date": pd.to_datetime(["2025-02-01", None])})
    >>> from kpi_addin.metrics import CompanyData, monthly_kpis
    >>> sub_cent_movements(monthly_kpis(CompanyData(subs, as_of=pd.Period("2025-02", "M")))).round(4)
             expansion_mrr  contraction_mrr
    month
    2025-01            0.0            0.000
    2025-02            0.0            0.001
    """
    cm = report.customer_mrr
    currency = report.reporting_currency
    out = pd.DataFrame(0.0, index=report.monthly.index, columns=["expansion_mrr", "contraction_mrr"])
    for month in report.monthly.index:
        now, before = cm.mrr_at(month), cm.mrr_at(month - 1)
        both = now.index.intersection(before.index)
        delta = now[both] - before[both]
        same_cents = to_units(now[both].to_numpy(), currency) == to_units(before[both].to_numpy(), currency)
        noise = np.abs(delta.to_numpy()) <= 1e-9 * np.maximum(now[both].to_numpy(), before[both].to_numpy())
        small = delta[same_cents & ~noise]
        out.loc[month] = [float(small[small > 0].sum()), abs(float(small[small < 0].sum()))]
    return out


def reconcile(data: CompanyData, theirs: pd.DataFrame, *, today: dt.date | None = None) -> Reconciliation:
    """Explain, month by month, the difference between another tool's figures and ours.

    ``theirs`` has a ``month`` column (monthly periods) and any of our monthly keys
    (``mrr``, ``customers``, ``new_mrr``, ...); other columns are ignored.  Each effect
    of :data:`EFFECTS` is the change in our figure when the ledger is counted the other
    tool's way; the subset of effects whose sum is closest to the difference explains it.

    Examples
    --------
    ``b`` starts on 14 March: we count it at the end of March, a month-start tool from
    the 1st of April.

    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "amount": [100.0, 40.0], "interval": ["month"] * 2,
    ...     "start_date": pd.to_datetime(["2025-01-01", "2025-03-14"]), "end_date": pd.NaT})
    >>> theirs = pd.DataFrame({"month": pd.period_range("2025-02", "2025-04", freq="M"), "mrr": [100.0, 100.0, 140.0]})
    >>> result = reconcile(CompanyData(subs, as_of=pd.Period("2025-04", "M")), theirs)
    >>> result.table[["ours", "theirs", "difference", "convention", "explained_by", "explained"]]
                   ours  theirs  difference  convention explained_by  explained
    month   key
    2025-02 mrr   100.0   100.0         0.0         0.0                    True
    2025-03 mrr   140.0   100.0       -40.0       -40.0   convention       True
    2025-04 mrr   140.0   140.0         0.0         0.0                    True
    >>> result.moved[pd.Period("2025-03", "M")].to_dict()
    {'b': -40.0}
    """
    ours = monthly_kpis(data, today=today)
    other_convention = _other(ours.convention)
    by_other_convention = monthly_kpis(replace(data, convention=other_convention), today=today)
    variants: dict[str, KPIReport | None] = {"convention": by_other_convention, "trials": None, "fx": None}
    subs = data.subscriptions
    if "trial_end" in subs and subs["trial_end"].notna().any():
        variants["trials"] = monthly_kpis(replace(data, subscriptions=subs.drop(columns="trial_end")), today=today)
    latest = _latest_rates(data, ours.as_of)
    if latest is not None:
        variants["fx"] = monthly_kpis(replace(data, fx_rates=latest), today=today)
    sub_cent = sub_cent_movements(ours)

    keys = [k for k in MONTHLY_KEYS[1:] if k in theirs.columns]
    months = [m for m in theirs["month"] if m in ours.monthly.index]
    theirs_by_month = theirs.set_index("month")
    tolerance = {"count": 0.5}
    rows = []
    for month in months:
        for key in keys:
            mine = float(ours.monthly.loc[month, key])
            other = float(theirs_by_month.loc[month, key])
            effects: dict[str, float] = {}
            for name in ("convention", "trials", "fx"):
                variant = variants[name]
                if variant is None:
                    effects[name] = 0.0
                    continue
                value = float(variant.monthly[key].get(month, np.nan))
                effects[name] = 0.0 if np.isnan(value) or np.isnan(mine) else value - mine
            effects["sub_cent"] = -float(sub_cent.loc[month, key]) if key in sub_cent.columns else 0.0
            difference = other - mine
            best: tuple[str, ...] = ()
            residual = difference
            for size in range(1, len(EFFECTS) + 1):
                for combo in itertools.combinations([e for e in EFFECTS if effects[e] != 0], size):
                    left = difference - sum(effects[e] for e in combo)
                    if abs(left) < abs(residual) - 1e-9:
                        best, residual = combo, left
            limit = tolerance.get(unit_of(key), 0.5 * 10 ** -minor_unit_digits(ours.reporting_currency))
            rows.append(
                {
                    "month": month,
                    "key": key,
                    "ours": mine,
                    "theirs": other,
                    "difference": difference,
                    **effects,
                    "explained_by": ", ".join(best),
                    "residual": residual,
                    "explained": bool(abs(residual) <= limit) if not np.isnan(difference) else False,
                }
            )
    table = pd.DataFrame(rows).set_index(["month", "key"]) if rows else pd.DataFrame()
    moved: dict[pd.Period, pd.Series] = {}
    other_cm = by_other_convention.customer_mrr
    for month in months:
        mine_c, theirs_c = ours.customer_mrr.mrr_at(month), other_cm.mrr_at(month)
        index = mine_c.index.union(theirs_c.index)
        change = theirs_c.reindex(index, fill_value=0.0) - mine_c.reindex(index, fill_value=0.0)
        moved[month] = change[change.abs() > 1e-9].rename("difference")
    return Reconciliation(table=table, moved=moved, other_convention=other_convention)
