"""Cohort retention: customers (or MRR) of each first-paying-month cohort, months later."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import KPIValueError
from .bridge import month_ends
from .mrr import CustomerMRR, customer_mrr  # noqa: F401 - customer_mrr: the doctests use it


def cohort_retention(cm: CustomerMRR, basis: str = "logo") -> pd.DataFrame:
    """Cohort retention matrix by first paying month.

    ``basis="logo"``: share of the cohort's customers paying k months later.
    ``basis="revenue"``: the cohort's MRR k months later / its MRR in its first
    month (can exceed 1 through expansion).  Rows are cohorts (first paying month),
    column ``size`` holds the cohort's customers (logo) or starting MRR (revenue),
    columns ``0, 1, ...`` the months since joining; cells past the last month are nan.
    Edge cases: customers who never paid belong to no cohort; an unknown basis raises
    :class:`KPIValueError`.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"], "amount": [10.0, 20.0, 30.0],
    ...     "interval": ["month"] * 3,
    ...     "start_date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-03"]),
    ...     "end_date": pd.to_datetime([None, "2025-02-15", None])})
    >>> cohort_retention(customer_mrr(subs, as_of=pd.Period("2025-03", "M")))
             size    0    1    2
    cohort
    2025-01   2.0  1.0  0.5  0.5
    2025-02   1.0  1.0  1.0  NaN
    """
    if basis not in ("logo", "revenue"):
        raise KPIValueError("basis", f"{basis!r} is not 'logo' or 'revenue'")
    n_months = len(cm.months)
    rows, cols = cm.change_customer, cm.change_month
    now, was = cm.mrr_after > 0, cm.mrr_before > 0  # sub-unit MRR is already 0
    gained = now & ~was
    cohort_of = np.full(len(cm.customer_ids), -1, dtype=np.int64)
    first_gain = np.flatnonzero(gained)[::-1]  # the earliest gain of a customer is written last
    cohort_of[rows[first_gain]] = cols[first_gain]
    cohort = cohort_of[rows]
    paid = cohort >= 0
    cell = cohort[paid] * n_months + cols[paid]
    # [cohort, calendar month]: paying customers and MRR, each the running sum of its changes.
    logos = np.bincount(cell, weights=(now.astype(float) - was)[paid], minlength=n_months * n_months).astype(float)
    logos = np.cumsum(logos.reshape(n_months, n_months), axis=1)
    if basis == "logo":
        totals = logos
    else:
        # Each cohort's MRR, month by month, summed customer by customer as the table was.
        totals = np.zeros((n_months, n_months))
        for j, level in enumerate(month_ends(cm)):
            earning = np.flatnonzero(level)  # a 0 adds nothing to a sum
            totals[:, j] = np.bincount(cohort_of[earning], weights=level[earning], minlength=n_months)
    size = np.diag(totals).copy()
    by_age = np.full((n_months, n_months), np.nan)
    for c in range(n_months):
        by_age[c, : n_months - c] = totals[c, c:]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = by_age / size[:, None]
    present = size > 0
    out = pd.DataFrame(shares[present], index=pd.PeriodIndex(cm.months[present], name="cohort"))
    out.insert(0, "size", size[present])
    return out
