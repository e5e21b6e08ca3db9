"""Concentration month by month: the share of MRR from the largest customers.

:func:`.finance.top_share` is the rule, for one month's MRR per customer.  Applied to every
month through :meth:`.mrr.CustomerMRR.mrr_at` it cost one pass over all changes, a Series
indexed by customer id and a sort of every paying customer per month (13 s for 1M
subscriptions over 36 months).  Here one walk of the month ends
(:class:`.mrr.MonthEndCursor`) gives every customer's MRR as a vector each month; the
paying ones, in customer order, are added as the rule adds them, and the largest are found
by a partial sort (``np.partition``) of the few thousand customers with the highest MRR they
ever had — every customer only in a month where one outside them might rank — so every share
is the rule's to the last bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .finance import TOP_CUSTOMERS
from .months import number_of
from .mrr import CustomerMRR, MonthEndCursor, month_rows


def top_shares(
    cm: CustomerMRR, months: pd.PeriodIndex, top: int = TOP_CUSTOMERS, walked: np.ndarray | None = None
) -> pd.Series:
    """The share of MRR from the ``top`` largest customers at each of ``months`` (of ``cm.months``).

    Bit for bit :func:`.finance.top_share` of :meth:`CustomerMRR.mrr_at` each month: the
    largest added largest first, over the paying customers' MRR added in customer order;
    undefined (nan) with no MRR.  ``walked``: the shares of every month of ``cm.months`` for
    this ``top``, as :func:`.month_end_walk.month_end_figures` works them out in its walk,
    read instead of walking here (for ``months`` within ``cm.months``).

    Examples
    --------
    >>> from .mrr import customer_mrr
    >>> subs = pd.DataFrame({"customer_id": list("abc"), "amount": [300.0, 100.0, 600.0],
    ...     "interval": ["month"] * 3,
    ...     "start_date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-03"]), "end_date": pd.NaT})
    >>> cm = customer_mrr(subs)
    >>> top_shares(cm, cm.months, top=1).tolist()
    [0.75, 0.6]
    """
    rows = None if walked is None else month_rows(cm.months, months)
    if walked is not None and rows is not None:
        return pd.Series(walked[rows], index=months)
    first = number_of(cm.months[0]) if len(cm.months) else 0
    wanted = {number_of(m) - first: k for k, m in enumerate(months)}
    share = np.full(len(months), np.nan)
    ranking = TopShare(cm, top)
    cursor = MonthEndCursor(cm)
    for j, month in enumerate(cm.months):
        level = cursor.at(month)
        if j in wanted:
            paying = level[np.flatnonzero(level > 0)]
            share[wanted[j]] = ranking.share(level, paying, float(paying.sum()))
    return pd.Series(share, index=months)


class TopShare:
    """:func:`.finance.top_share` of one month's MRR vector, ranking only the candidates where
    they are sure to hold the ``top`` largest (:func:`_candidates`)."""

    def __init__(self, cm: CustomerMRR, top: int = TOP_CUSTOMERS) -> None:
        self.top = top
        self.candidates, self.bound = _candidates(cm, top)

    def share(self, level: np.ndarray, paying: np.ndarray, total: float) -> float:
        """The share of the ``top`` largest in ``level`` (every customer's MRR, by customer
        code), given ``paying``, the paying customers' MRR in customer order (picked by
        position: a random mask's compress mispredicts a branch per customer, 4x slower), and
        ``total``, ``float(paying.sum())``: added in customer order, as the rule adds them.
        nan with no MRR."""
        top = self.top
        if not len(paying):
            return np.nan
        largest = _largest_candidates(level[self.candidates], top, self.bound) if len(paying) > top else paying
        if largest is None:  # a customer outside the candidates may be among the largest: rank every one
            largest = np.partition(paying, len(paying) - top)[len(paying) - top :]
        return float(np.sort(largest)[::-1].sum()) / total


#: Customers ranked each month: those with the highest MRR they ever had (a partial sort of a
#: few thousand a month instead of every paying customer: 360 months of 600,000 customers).
CANDIDATES = 4_096


def _candidates(cm: CustomerMRR, top: int) -> tuple[np.ndarray, float]:
    """The customers with the ``CANDIDATES`` highest peak MRR, and the highest peak of the others
    (no other customer's MRR exceeds it in any month)."""
    n = len(cm.customer_ids)
    peak = np.zeros(n)
    np.maximum.at(peak, cm.change_customer, cm.mrr_after)
    keep = max(CANDIDATES, 4 * top)
    if n <= keep:
        return np.arange(n), -np.inf
    split = np.argpartition(peak, n - keep - 1)
    return np.sort(split[n - keep :]), float(peak[split[n - keep - 1]])


def _largest_candidates(levels: np.ndarray, top: int, bound: float) -> np.ndarray | None:
    """The ``top`` largest candidate levels, or None when they might not be the ``top`` largest
    of all: fewer than ``top`` candidates pay, or the smallest of them is below ``bound``.  (A
    customer outside tied with the smallest leaves the values, and so the sum, unchanged.)"""
    paying = levels[levels > 0]
    if len(paying) < top:
        return None
    largest = np.partition(paying, len(paying) - top)[len(paying) - top :]
    return largest if largest.min() >= bound else None
