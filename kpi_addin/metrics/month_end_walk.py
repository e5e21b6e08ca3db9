"""One walk of the month ends for the figures that read every customer's MRR each month.

The bridge's month-end MRR (:func:`.bridge.month_ends`), the share of the ten largest
customers (:func:`.concentration.top_shares`) and the twelve-month cohorts
(:func:`.trailing.cohort_retention_12m`) each walked the month ends on their own: three
cursors over the change log (four: the cohorts kept a second one twelve months behind), and
the paying customers picked out twice a month.  Here one cursor feeds all three: each month
the paying customers are picked once, and kept twelve months (their positions and MRR) as
the cohort the month twelve months on compares against, so no second cursor runs behind.

Every figure is computed as its own function computes it, from the same vectors in the same
order, so the values are bit-identical to theirs (the tests compare them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .concentration import TopShare
from .finance import TOP_CUSTOMERS
from .mrr import CustomerMRR, MonthEndCursor
from .trailing import COHORT_12M_KEYS, COHORT_MONTHS, cohort_ratios


@dataclass(frozen=True)
class MonthEndFigures:
    """Figures of every month of ``cm.months`` (row ``j``: month ``j``) from one walk.

    ``totals``: every customer's month-end MRR summed (zeros included, in customer order: the
    bridge's ``mrr``).  ``top_share``: the share of the ``top`` largest paying customers (nan:
    no MRR).  ``cohort_12m``: ``nrr_12m``, ``grr_12m``, ``logo_retention_12m`` of the customers
    paying twelve months before (nan in the first twelve months and for an empty cohort).
    """

    months: pd.PeriodIndex
    totals: np.ndarray
    top: int
    top_share: np.ndarray
    cohort_12m: np.ndarray


def month_end_figures(cm: CustomerMRR, top: int = TOP_CUSTOMERS) -> MonthEndFigures:
    """:class:`MonthEndFigures` of ``cm``: one :class:`~.mrr.MonthEndCursor` walk.

    Examples
    --------
    ``a`` pays 100 then 120, ``b`` 50 then leaves, ``c`` joins later (the example of
    :func:`.trailing.cohort_retention_12m`):

    >>> from kpi_addin.metrics.mrr import customer_mrr
    >>> subs = pd.DataFrame({"customer_id": ["a", "a", "b", "c"], "amount": [100.0, 120.0, 50.0, 80.0],
    ...     "interval": ["month"] * 4,
    ...     "start_date": pd.to_datetime(["2024-01-05", "2024-06-01", "2024-01-10", "2024-08-01"]),
    ...     "end_date": pd.to_datetime(["2024-06-01", None, "2024-05-01", None])})
    >>> walked = month_end_figures(customer_mrr(subs, as_of=pd.Period("2025-01", "M")), top=1)
    >>> walked.totals[[0, 4, 12]].tolist(), walked.top_share[[0, 12]].round(4).tolist()
    ([150.0, 100.0, 200.0], [0.6667, 0.6])
    >>> walked.cohort_12m[12].round(4).tolist()
    [0.8, 0.6667, 0.5]
    """
    n_months = len(cm.months)
    totals = np.zeros(n_months)
    top_share = np.full(n_months, np.nan)
    cohort_12m = np.full((n_months, len(COHORT_12M_KEYS)), np.nan)
    ranking = TopShare(cm, top)
    cursor = MonthEndCursor(cm)
    # The paying customers of the last twelve months: positions, MRR and its sum (positions kept
    # as numpy gives them: a narrower copy costs a pass and is widened again at each take).
    kept: list[tuple[np.ndarray, np.ndarray, float] | None] = [None] * COHORT_MONTHS
    for j, month in enumerate(cm.months):
        level = cursor.at(month)
        totals[j] = level.sum()  # zeros included: the order of the customer × month table's sums
        at = np.flatnonzero(level > 0)
        paying = level[at]
        total = float(paying.sum())
        top_share[j] = ranking.share(level, paying, total)
        cohort = kept[j % COHORT_MONTHS]
        if cohort is not None:
            base_at, base, base_total = cohort
            cohort_12m[j] = cohort_ratios(base, level[base_at], base_total)
        kept[j % COHORT_MONTHS] = (at, paying, total)
    return MonthEndFigures(cm.months, totals, top, top_share, cohort_12m)
