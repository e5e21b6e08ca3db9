"""Concentration month by month: the share of MRR from the largest customers.

:func:`.finance.top_share` is the rule, for one month's MRR per customer.  Applied to every
month through :meth:`.mrr.CustomerMRR.mrr_at` it cost one pass over all changes, a Series
indexed by customer id and a sort of every paying customer per month (13 s for 1M
subscriptions over 36 months).  Here one walk of the month ends
(:class:`.mrr.MonthEndCursor`) gives every customer's MRR as a vector each month; the
paying ones, in customer order, are added as the rule adds them, and the largest are found
by a partial sort (``np.partition``), so every share is the rule's to the last bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .finance import TOP_CUSTOMERS
from .months import number_of
from .mrr import CustomerMRR, MonthEndCursor


def top_shares(cm: CustomerMRR, months: pd.PeriodIndex, top: int = TOP_CUSTOMERS) -> pd.Series:
    """The share of MRR from the ``top`` largest customers at each of ``months`` (of ``cm.months``).

    Bit for bit :func:`.finance.top_share` of :meth:`CustomerMRR.mrr_at` each month: the
    largest added largest first, over the paying customers' MRR added in customer order;
    undefined (nan) with no MRR.

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
    first = number_of(cm.months[0]) if len(cm.months) else 0
    wanted = {number_of(m) - first: k for k, m in enumerate(months)}
    share = np.full(len(months), np.nan)
    cursor = MonthEndCursor(cm)
    for j, month in enumerate(cm.months):
        level = cursor.at(month)
        if j not in wanted:
            continue
        paying = level[level > 0]  # in customer order, as the rule adds them
        if not len(paying):
            continue
        largest = np.partition(paying, len(paying) - top)[len(paying) - top :] if len(paying) > top else paying
        share[wanted[j]] = float(np.sort(largest)[::-1].sum()) / float(paying.sum())
    return pd.Series(share, index=months)
