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
* **fx_in_expansion** — the other tool has no FX impact line: it books a customer's
  change due to exchange rates inside expansion or contraction (its whole change of
  reporting-currency MRR), so its ``fx_mrr`` is 0 and its expansion, contraction and
  their customer counts differ from ours.

**By evidence, never by fit.**  Each effect is computed from our own data for each month
and key.  Which of them the other tool shows is decided once for the whole file: the
set of effects that makes the most of its figures agree to the cent (or the customer),
where an effect is kept only when it is needed for figures it alone makes agree, in at
least half the months and keys where it is not zero.  The residual of every month and
key is then its difference less *those* effects — never a subset chosen to fit that one
figure — so a difference of the effects' size by chance (two customers added by hand)
stays unexplained.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from .bridge import mrr_bridge
from .catalogue import MONTHLY_KEYS, unit_of
from .company import CompanyData
from .conventions import check_convention
from .currency import minor_unit_digits, to_units
from .report import KPIReport, monthly_kpis
from .settings import ReportSettings  # noqa: F401 - the doctests use it

#: The effects :func:`reconcile` measures, in the order they are reported.
EFFECTS = ("convention", "trials", "fx", "sub_cent", "fx_in_expansion")

#: The keys the FX impact line changes: FX booked inside expansion and contraction moves these.
FX_LINE_KEYS = ("expansion_mrr", "contraction_mrr", "fx_mrr", "expanded_customers", "contracted_customers")


@dataclass
class Reconciliation:
    """``table``: one row per month and key — ours, theirs, difference, each effect's size,
    ``explained_by`` (the applied effects that are not zero there), ``residual`` (the
    difference less the applied effects) and ``explained`` (the residual is below one cent
    or one customer).
    ``moved``: month → the customers counted in another month under the other convention
    (customer_id → their MRR difference, theirs − ours)."""

    table: pd.DataFrame
    moved: dict[pd.Period, pd.Series] = field(default_factory=dict)
    other_convention: str = "month-start"
    #: the effects the other tool's figures show, decided once for the file, and for each
    #: how many of its figures only it makes agree (the evidence)
    applied: tuple[str, ...] = ()
    evidence: dict[str, int] = field(default_factory=dict)


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
    >>> february = ReportSettings(as_of=pd.Period("2025-02", "M"))
    >>> sub_cent_movements(monthly_kpis(CompanyData(subs, settings=february))).round(4)
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


def fx_booked_in_expansion(report: KPIReport) -> pd.DataFrame:
    """Per month, :data:`FX_LINE_KEYS` as a tool without an FX impact line counts them.

    The same change log with no rate part: each paying customer's whole change of
    reporting-currency MRR is its expansion or contraction.

    Examples
    --------
    100 EUR a month, the rate 1.10 then 1.20: we show FX impact 10, such a tool expansion 10.

    >>> subs = pd.DataFrame({"customer_id": ["eu"], "amount": [100.0], "interval": ["month"],
    ...     "currency": ["EUR"], "start_date": pd.to_datetime(["2025-01-01"]), "end_date": pd.NaT})
    >>> fx = pd.DataFrame({"currency": ["EUR", "EUR"], "rate": [1.10, 1.20],
    ...     "month": pd.to_datetime(["2025-01-01", "2025-02-01"])})
    >>> from kpi_addin.metrics import CompanyData, monthly_kpis
    >>> report = monthly_kpis(CompanyData(subs, fx_rates=fx, settings=ReportSettings(as_of=pd.Period("2025-02", "M"))))
    >>> fx_booked_in_expansion(report).round(2)[["expansion_mrr", "fx_mrr", "expanded_customers"]]
             expansion_mrr  fx_mrr  expanded_customers
    month
    2025-01            0.0     0.0                   0
    2025-02           10.0     0.0                   1
    """
    cm = report.customer_mrr
    without = mrr_bridge(replace(cm, fx_change=np.zeros_like(cm.fx_change)))
    return without.loc[report.monthly.index, list(FX_LINE_KEYS)]


def reconcile(data: CompanyData, theirs: pd.DataFrame, *, today: dt.date | None = None) -> Reconciliation:
    """Explain, month by month, the difference between another tool's figures and ours.

    ``theirs`` has a ``month`` column (monthly periods) and any of our monthly keys
    (``mrr``, ``customers``, ``new_mrr``, ...); other columns are ignored.  Each effect
    of :data:`EFFECTS` is the change in our figure when the ledger is counted the other
    tool's way; which effects apply is decided once for the file, by evidence (see the
    module docstring).

    Examples
    --------
    ``b`` starts on 14 March: we count it at the end of March, a month-start tool from
    the 1st of April.

    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "amount": [100.0, 40.0], "interval": ["month"] * 2,
    ...     "start_date": pd.to_datetime(["2025-01-01", "2025-03-14"]), "end_date": pd.NaT})
    >>> theirs = pd.DataFrame({"month": pd.period_range("2025-02", "2025-04", freq="M"), "mrr": [100.0, 100.0, 140.0]})
    >>> result = reconcile(CompanyData(subs, settings=ReportSettings(as_of=pd.Period("2025-04", "M"))), theirs)
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
    other_settings = replace(data.settings, convention=check_convention(other_convention))
    by_other_convention = monthly_kpis(replace(data, settings=other_settings), today=today)
    variants: dict[str, KPIReport | None] = {"convention": by_other_convention, "trials": None, "fx": None}
    subs = data.subscriptions
    if "trial_end" in subs and subs["trial_end"].notna().any():
        variants["trials"] = monthly_kpis(replace(data, subscriptions=subs.drop(columns="trial_end")), today=today)
    latest = _latest_rates(data, ours.as_of)
    if latest is not None:
        variants["fx"] = monthly_kpis(replace(data, fx_rates=latest), today=today)
    sub_cent = sub_cent_movements(ours)
    in_expansion = fx_booked_in_expansion(ours)

    keys = [k for k in MONTHLY_KEYS[1:] if k in theirs.columns]
    months = [m for m in theirs["month"] if m in ours.monthly.index]
    theirs_by_month = theirs.set_index("month")
    tolerance = {"count": 0.5}
    cells = []
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
            effects["fx_in_expansion"] = (
                float(in_expansion.loc[month, key]) - mine
                if key in in_expansion.columns and not np.isnan(mine)
                else 0.0
            )
            limit = tolerance.get(unit_of(key), 0.5 * 10 ** -minor_unit_digits(ours.reporting_currency))
            cells.append((month, key, mine, other, other - mine, effects, limit))
    applied, evidence = _applied_effects(cells)
    rows = []
    for month, key, mine, other, difference, effects, limit in cells:
        residual = difference - sum(effects[e] for e in applied)
        rows.append(
            {
                "month": month,
                "key": key,
                "ours": mine,
                "theirs": other,
                "difference": difference,
                **effects,
                "explained_by": ", ".join(e for e in applied if effects[e] != 0),
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
    return Reconciliation(
        table=table, moved=moved, other_convention=other_convention, applied=applied, evidence=evidence
    )


_Cell = tuple[pd.Period, str, float, float, float, dict[str, float], float]


def _applied_effects(cells: list[_Cell]) -> tuple[tuple[str, ...], dict[str, int]]:
    """The effects the other tool's figures show, decided for the whole file, and the
    evidence for each: how many figures only it makes agree.

    The set that makes the most figures agree wins (the smaller on a tie, so every effect
    in it is needed for at least one figure); an effect is then kept only while the
    figures it alone makes agree are at least half of those where it is not zero —
    otherwise a difference of its size by chance would count as its evidence.
    """
    comparable = [c for c in cells if not np.isnan(c[4])]

    def agreeing(chosen: tuple[str, ...]) -> set[int]:
        return {
            i
            for i, (_m, _k, _o, _t, difference, effects, limit) in enumerate(comparable)
            if abs(difference - sum(effects[e] for e in chosen)) <= limit
        }

    candidates = [e for e in EFFECTS if any(c[5][e] != 0 for c in comparable)]
    subsets = [combo for size in range(len(candidates) + 1) for combo in itertools.combinations(candidates, size)]
    best = max(subsets, key=lambda combo: (len(agreeing(combo)), -len(combo)))
    while True:
        agree = agreeing(best)
        evidence = {e: len(agree - agreeing(tuple(x for x in best if x != e))) for e in best}
        nonzero = {e: sum(1 for c in comparable if c[5][e] != 0) for e in best}
        weak = [e for e in best if evidence[e] == 0 or 2 * evidence[e] < nonzero[e]]
        if not weak:
            return best, evidence
        best = tuple(e for e in best if e != weak[0])
