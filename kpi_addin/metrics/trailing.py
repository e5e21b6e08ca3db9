"""Board-grade KPIs: growth, trailing windows and twelve-month cohort retention.

Leadership decides on trailing and annual figures: one month's net revenue retention or
churn rate swings with a single large customer, and LTV divided by one month's churn jumps
from month to month.  The functions here sit beside the monthly KPIs (which stay: they are
the seeds' definitions and the JSON contract) and take the same aligned monthly Series.

Conventions (those of :mod:`kpi_addin.metrics._core`, plus):

* Series are aligned on a contiguous monthly index, oldest first, one row per month.
* A window is *complete* only when every month in it is known: a start figure that is
  ``nan`` (the first, "opening" month of a ledger has no start) or a missing cost makes
  every window containing that month undefined (``nan``, JSON null) — never a partial sum.
* A zero denominator is undefined (``nan``), never 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import check_count, check_number, divide
from .mrr import CustomerMRR, MonthEndCursor, month_rows
from .unit_economics import lifetime_value, ltv_to_cac

__all__ = [
    "cac_trailing",
    "cohort_retention_12m",
    "customer_churn_rate_3m",
    "ltv_cac_trailing",
    "ltv_trailing",
    "mrr_growth_mom",
    "mrr_growth_yoy",
    "revenue_churn_rate_3m",
]

#: The columns of :func:`cohort_retention_12m` (KPIs that need each customer's MRR twelve months apart).
COHORT_12M_KEYS = ("nrr_12m", "grr_12m", "logo_retention_12m")

#: Months of the trailing churn and CAC windows, of the trailing LTV's churn average, of the cohort figures.
CHURN_WINDOW = 3
CAC_WINDOW = 3
LTV_CHURN_WINDOW = 6
COHORT_MONTHS = 12


def _series(values: object, like: pd.Series) -> pd.Series:
    """A checked value or a ratio back as a float Series on ``like``'s index."""
    return pd.Series(np.asarray(values, dtype=float), index=like.index)


def _checked(name: str, values: pd.Series, minimum: float | None = None, maximum: float | None = None) -> pd.Series:
    return _series(check_number(name, values, minimum=minimum, maximum=maximum), values)


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    return _series(divide(numerator, denominator), numerator)


def _window_sum(values: pd.Series, months: int) -> pd.Series:
    """The sum over the ``months`` months ending at each month; ``nan`` unless all are known."""
    return values.astype(float).rolling(months, min_periods=months).sum()


def mrr_growth_mom(mrr: pd.Series, start_mrr: pd.Series) -> pd.Series:
    """Month-over-month MRR growth = MRR(M) ÷ MRR(M−1) − 1 (a fraction).

    ``start_mrr`` is MRR at the end of M−1 (the bridge's start), ``nan`` where it is not
    known (the ledger's opening month).  Edge cases: a start of 0 is undefined (``nan``).

    Examples
    --------
    >>> mrr = pd.Series([1000.0, 1100.0, 990.0])
    >>> mrr_growth_mom(mrr, pd.Series([np.nan, 1000.0, 1100.0])).round(4).tolist()
    [nan, 0.1, -0.1]
    """
    mrr = _checked("mrr", mrr, minimum=0)
    start = _checked("start_mrr", start_mrr, minimum=0)
    return _ratio(mrr, start) - 1


def mrr_growth_yoy(mrr: pd.Series, start_mrr: pd.Series) -> pd.Series:
    """Year-over-year MRR growth = MRR(M) ÷ MRR(M−12) − 1 (a fraction).

    MRR(M−12) is read as the start (end of the month before) of M−11, so a report whose
    first month has a known start (``history_start``) needs only eleven months before M.
    Edge cases: undefined (``nan``) until twelve months back are known, and where
    MRR(M−12) is 0.

    Examples
    --------
    Thirteen months, MRR rising by 100 a month from 1,000 (start of month 1 unknown):

    >>> mrr = pd.Series([1000.0 + 100 * k for k in range(13)])
    >>> start = mrr.shift(1)
    >>> mrr_growth_yoy(mrr, start).round(6).tolist()[-2:]  # undefined, 2200 / 1000 − 1
    [nan, 1.2]
    """
    mrr = _checked("mrr", mrr, minimum=0)
    year_ago = _checked("start_mrr", start_mrr, minimum=0).shift(COHORT_MONTHS - 1)
    return _ratio(mrr, year_ago) - 1


def customer_churn_rate_3m(churned_customers: pd.Series, start_customers: pd.Series) -> pd.Series:
    """Trailing three-month customer churn = Σ churned over M−2..M ÷ Σ start customers over M−2..M.

    A fraction per month (three months' churn over three months' exposure, so it is on
    the same scale as the monthly rate, only steadier).  Edge cases: all three months
    must have a start (``nan`` start: the opening month), so the rate is never defined
    in the first two months of a report, nor in the first three when the first has no
    start; a zero sum of starts is undefined.

    Examples
    --------
    Starts of 100, 98 and 101 customers, 2, 3 and 1 churned: 6 / 299.

    >>> churned = pd.Series([0, 2, 3, 1])
    >>> start = pd.Series([np.nan, 100, 98, 101])
    >>> customer_churn_rate_3m(churned, start).round(5).tolist()
    [nan, nan, nan, 0.02007]
    """
    churned = _series(check_count("churned_customers", churned_customers), churned_customers)
    start = _checked("start_customers", start_customers, minimum=0)
    return _ratio(_window_sum(churned, CHURN_WINDOW), _window_sum(start, CHURN_WINDOW))


def revenue_churn_rate_3m(lost_mrr: pd.Series, start_mrr: pd.Series) -> pd.Series:
    """Trailing three-month revenue churn = Σ (churned + contraction MRR) over M−2..M ÷ Σ start MRR.

    A fraction per month.  Edge cases as :func:`customer_churn_rate_3m`.

    Examples
    --------
    >>> lost = pd.Series([0.0, 300.0, 100.0, 200.0])
    >>> start = pd.Series([np.nan, 10_000.0, 9_800.0, 10_200.0])
    >>> revenue_churn_rate_3m(lost, start).round(6).tolist()  # 600 / 30,000
    [nan, nan, nan, 0.02]
    """
    lost = _checked("lost_mrr", lost_mrr, minimum=0)
    start = _checked("start_mrr", start_mrr, minimum=0)
    return _ratio(_window_sum(lost, CHURN_WINDOW), _window_sum(start, CHURN_WINDOW))


def ltv_trailing(arpu: pd.Series, customer_churn_rate: pd.Series) -> pd.Series:
    """Trailing LTV = ARPU(M) ÷ the mean of the six monthly customer churn rates M−5..M (money).

    One month's churn makes LTV jump (a month without churn has none); six months'
    average steadies it.  Edge cases: all six rates must be defined; a mean of 0 is
    undefined (``nan``).

    Examples
    --------
    ARPU 250, churn rates 1 %, 2 %, 3 %, 2 %, 1 %, 3 % (mean 2 %): 250 / 0.02 = 12,500.

    >>> arpu = pd.Series([250.0] * 7)
    >>> churn = pd.Series([np.nan, 0.01, 0.02, 0.03, 0.02, 0.01, 0.03])
    >>> ltv_trailing(arpu, churn).round(6).tolist()
    [nan, nan, nan, nan, nan, nan, 12500.0]
    """
    churn = _checked("customer_churn_rate", customer_churn_rate, minimum=0, maximum=1)
    mean = churn.rolling(LTV_CHURN_WINDOW, min_periods=LTV_CHURN_WINDOW).mean()
    return _series(lifetime_value(arpu, mean), churn)


def cac_trailing(sales: pd.Series, marketing: pd.Series, acquired_customers: pd.Series) -> pd.Series:
    """Trailing CAC = Σ (sales + marketing) over M−2..M ÷ Σ new customers over M−2..M (money).

    ``acquired_customers`` is the new customers, ``nan`` in a month whose new customers
    were not acquired then (the opening month: its customers are the opening balance).
    Edge cases: costs must be present in all three months; no new customers in the
    window is undefined.

    Examples
    --------
    Costs of 30,000, 36,000 and 24,000; 10, 8 and 12 new customers: 90,000 / 30 = 3,000.

    >>> sales = pd.Series([20_000.0, 24_000.0, 16_000.0])
    >>> marketing = pd.Series([10_000.0, 12_000.0, 8_000.0])
    >>> cac_trailing(sales, marketing, pd.Series([10, 8, 12])).tolist()
    [nan, nan, 3000.0]
    """
    spend = _checked("sales", sales, minimum=0) + _checked("marketing", marketing, minimum=0)
    acquired = _checked("acquired_customers", acquired_customers, minimum=0)
    return _ratio(_window_sum(spend, CAC_WINDOW), _window_sum(acquired, CAC_WINDOW))


def ltv_cac_trailing(ltv: pd.Series, cac: pd.Series) -> pd.Series:
    """Trailing LTV:CAC = :func:`ltv_trailing` ÷ :func:`cac_trailing` (a multiple).

    Edge cases: undefined where either is.

    Examples
    --------
    >>> ltv_cac_trailing(pd.Series([12_500.0, np.nan]), pd.Series([3_000.0, 3_000.0])).round(4).tolist()
    [4.1667, nan]
    """
    return _series(ltv_to_cac(ltv, cac), ltv)


def cohort_retention_12m(
    cm: CustomerMRR, months: pd.PeriodIndex, earliest: pd.Period | None = None, walked: np.ndarray | None = None
) -> pd.DataFrame:
    """Twelve-month NRR, GRR and logo retention of the customers paying twelve months before.

    For month M, the cohort is the customers paying at the end of M−12, with their MRR
    then, ``MRR_c(M−12)``, and at the end of M, ``MRR_c(M)`` (0 when not paying):

    * ``nrr_12m`` = Σ MRR_c(M) ÷ Σ MRR_c(M−12) — their expansion, contraction, churn
      and any return within the year all count; new customers do not.
    * ``grr_12m`` = Σ min(MRR_c(M), MRR_c(M−12)) ÷ Σ MRR_c(M−12) — at most 1.
    * ``logo_retention_12m`` = the share of the cohort paying at the end of M.

    Fractions.  ``earliest`` is the first month whose month-end MRR is trusted (the
    opening balance: the month before ``history_start``, else the ledger's first month);
    before it (and before the first month with MRR) the window is incomplete and the
    figures ``nan``.  Edge cases: an empty cohort (nobody paying at M−12) is undefined.

    ``walked``: the figures of every month of ``cm.months`` (one row each, these columns) as
    :func:`.month_end_walk.month_end_figures` works them out in its walk, read instead of
    walking here (for ``months`` within ``cm.months``).

    Reads the customers' MRR through :class:`~kpi_addin.metrics.mrr.MonthEndCursor` (each
    change applied once; per-month ``mrr_at`` Series aligned by customer id cost 2.4x the
    whole report on a 200,000-customer ledger, a pass over the change log per month 30 %).

    Examples
    --------
    ``a`` pays 100 then 120 (expansion), ``b`` 50 then leaves, ``c`` joins later (not in
    the cohort): NRR = 120 / 150 = 0.8, GRR = 100 / 150, logo retention 1 of 2.

    >>> from kpi_addin.metrics.mrr import customer_mrr
    >>> subs = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "amount": [100.0, 120.0, 50.0, 80.0],
    ...     "interval": ["month"] * 4,
    ...     "start_date": pd.to_datetime(["2024-01-05", "2024-06-01", "2024-01-10", "2024-08-01"]),
    ...     "end_date": pd.to_datetime(["2024-06-01", None, "2024-05-01", None])})
    >>> cm = customer_mrr(subs, as_of=pd.Period("2025-01", "M"))
    >>> cohort_retention_12m(cm, cm.months[-2:]).round(4)
             nrr_12m  grr_12m  logo_retention_12m
    month
    2024-12      NaN      NaN                 NaN
    2025-01      0.8   0.6667                 0.5
    """
    first = cm.months[0] if len(cm.months) else None
    if earliest is None or (first is not None and earliest < first):
        earliest = first
    values = np.full((len(months), len(COHORT_12M_KEYS)), np.nan)
    rows = None if walked is None else month_rows(cm.months, months)
    if walked is not None and rows is not None:
        trusted = np.array([earliest is not None and m - COHORT_MONTHS >= earliest for m in months], dtype=bool)
        values[trusted] = walked[rows[trusted]]
    else:
        # Two cursors over the change log, one 12 months behind the other: each change is read twice.
        then, later = MonthEndCursor(cm), MonthEndCursor(cm)
        for k, month in enumerate(months):
            base_month = month - COHORT_MONTHS
            if earliest is None or base_month < earliest:
                continue
            cohort = np.flatnonzero(then.at(base_month) > 0)  # positions: cheaper than masks, same values
            base = then.level[cohort]
            values[k] = cohort_ratios(base, later.at(month)[cohort], float(base.sum()))
    out = pd.DataFrame(values, index=months, columns=list(COHORT_12M_KEYS))  # one frame, not a .loc per month
    out.index.name = "month"
    return out


def cohort_ratios(base: np.ndarray, now: np.ndarray, total: float) -> tuple[float, float, float]:
    """``nrr_12m``, ``grr_12m`` and ``logo_retention_12m`` of a cohort: ``base``, its customers'
    MRR twelve months before (all paying), ``now`` theirs at the month (same order), ``total``
    = ``float(base.sum())``.  All nan when ``total`` is 0.

    Examples
    --------
    >>> cohort_ratios(np.array([100.0, 50.0]), np.array([120.0, 0.0]), 150.0)
    (0.8, 0.6666666666666666, 0.5)
    """
    if total == 0:
        return np.nan, np.nan, np.nan
    return (
        float(now.sum()) / total,
        float(np.minimum(now, base).sum()) / total,
        float(np.count_nonzero(now > 0)) / float(len(base)),
    )


def cohort_12m_from_sums(sums: pd.DataFrame, months: pd.PeriodIndex, earliest: pd.Period | None = None) -> pd.DataFrame:
    """:func:`cohort_retention_12m` from the cohort's sums by month, as the database engine
    (:mod:`.sql`) returns them: ``cohort_customers`` (paying at M−12), ``cohort_base_mrr``
    (Σ MRR_c(M−12)), ``cohort_mrr`` (Σ MRR_c(M)), ``cohort_kept_mrr`` (Σ min of the two) and
    ``cohort_paying`` (those paying at M).  The same ratios and the same undefined months.

    Examples
    --------
    The docstring example of :func:`cohort_retention_12m`, summed: a cohort of 2 with 150 of
    MRR, 120 of it now, 100 kept, one still paying.

    >>> sums = pd.DataFrame(0.0, index=pd.period_range("2024-01", "2025-01", freq="M"), columns=[
    ...     "cohort_customers", "cohort_base_mrr", "cohort_mrr", "cohort_kept_mrr", "cohort_paying"])
    >>> sums.iloc[-1] = [2, 150.0, 120.0, 100.0, 1]
    >>> cohort_12m_from_sums(sums, sums.index[-2:]).round(4)
             nrr_12m  grr_12m  logo_retention_12m
    month
    2024-12      NaN      NaN                 NaN
    2025-01      0.8   0.6667                 0.5
    """
    first = sums.index[0] if len(sums) else None  # the first month with MRR, as the local engine's
    if earliest is None or (first is not None and earliest < first):
        earliest = first
    sums = sums.reindex(months)
    out = pd.DataFrame(np.nan, index=months, columns=list(COHORT_12M_KEYS))
    known = (sums["cohort_customers"] > 0) & (sums["cohort_base_mrr"] != 0)
    if earliest is not None:
        known &= pd.Series([m - COHORT_MONTHS >= earliest for m in months], index=months, dtype=bool)
    base = sums["cohort_base_mrr"].where(known)
    out["nrr_12m"] = sums["cohort_mrr"].where(known) / base
    out["grr_12m"] = sums["cohort_kept_mrr"].where(known) / base
    out["logo_retention_12m"] = sums["cohort_paying"].where(known) / sums["cohort_customers"].where(known)
    out.index.name = "month"
    return out
