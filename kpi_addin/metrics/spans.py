"""The subscriptions of a ledger that earn MRR, as spans of months (the engine's input).

A subscription earns its monthly value (:func:`subscription_monthly_value`, its own
currency) from its first month past any trial to the month before it ends; the change-point
engine (:mod:`.mrr`) groups these spans by customer, or by (customer, segment) pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._core import KPIInputError, KPIValueError
from .months import month_number, number_of, period_of

#: interval → (numerator, denominator) of the monthly normalisation factor.
INTERVAL_FACTORS: dict[str, tuple[int, int]] = {
    "month": (1, 1),
    "quarter": (1, 3),
    "year": (1, 12),
    "week": (52, 12),
}


def subscription_monthly_value(subscriptions: pd.DataFrame) -> np.ndarray:
    """Normalised monthly value of each subscription in its own currency.

    ``amount × quantity × numerator / denominator`` of :data:`INTERVAL_FACTORS`
    (money per month).  Edge cases: an unknown or blank interval raises
    :class:`KPIValueError` — never silently monthly.

    Examples
    --------
    >>> subs = pd.DataFrame({"amount": [1200.0, 300.0, 10.0], "quantity": [1.0, 2.0, 1.0],
    ...                      "interval": ["year", "quarter", "week"]})
    >>> subscription_monthly_value(subs).round(4).tolist()
    [100.0, 200.0, 43.3333]
    """
    codes, names = pd.factorize(subscriptions["interval"])
    unknown = sorted(str(n) for n in names if n not in INTERVAL_FACTORS)
    if unknown or (codes < 0).any():
        shown = ", ".join(map(repr, unknown)) or "a blank"
        raise KPIValueError("interval", f"unknown interval(s) {shown} (use month, quarter, year or week)")
    numerator = np.array([INTERVAL_FACTORS[n][0] for n in names], dtype=float)[codes]
    denominator = np.array([INTERVAL_FACTORS[n][1] for n in names], dtype=float)[codes]
    amount = subscriptions["amount"].to_numpy(dtype=float)
    quantity = subscriptions["quantity"].to_numpy(dtype=float) if "quantity" in subscriptions else 1.0
    monthly: np.ndarray = amount * quantity * numerator / denominator
    return monthly


@dataclass(frozen=True)
class EarningSpans:
    """The subscriptions of a ledger that earn at a month end, as month spans.

    ``rows`` are their positions in the ledger; row ``k`` earns ``value[k]`` (its own
    currency, ``currencies[currency[k]]``) in the months ``[begin[k], finish[k])`` counted
    from ``first`` (``finish == n_months``: still earning at the last month).
    """

    first: int
    n_months: int
    rows: np.ndarray
    begin: np.ndarray
    finish: np.ndarray
    value: np.ndarray
    currency: np.ndarray  # code per row into ``currencies`` (−1: blank, the reporting currency)
    currencies: list[str]

    def take(self, positions: np.ndarray) -> EarningSpans:
        """The spans at ``positions`` (of these spans' rows), over the same months."""
        return EarningSpans(
            self.first,
            self.n_months,
            self.rows[positions],
            self.begin[positions],
            self.finish[positions],
            self.value[positions],
            self.currency[positions],
            self.currencies,
        )


def earning_spans(subscriptions: pd.DataFrame, as_of: pd.Period | None) -> EarningSpans:
    """:class:`EarningSpans` of a canonical ledger up to ``as_of`` (default: the month of its
    latest date).  Raises :class:`KPIInputError` when no subscription earns at a month end."""
    subs = subscriptions
    start = month_number(subs["start_date"])
    end = month_number(subs["end_date"]) if "end_date" in subs else np.full(len(subs), -(2**62))
    trial = month_number(subs["trial_end"]) if "trial_end" in subs else np.full(len(subs), -(2**62))
    if as_of is None:
        known = np.concatenate([start, end[end > -(2**62)], trial[trial > -(2**62)]])
        if known.size == 0:
            raise KPIValueError("subscriptions", "has no rows")
        last = int(known.max())
    else:
        last = number_of(as_of)
    first_earning = np.maximum(start, trial, out=start)
    stop = np.where(end == -(2**62), last + 1, np.minimum(end, last + 1, out=end))  # first month not earning
    del trial
    value = subscription_monthly_value(subs)
    earning = (stop > first_earning) & (value != 0)
    if not earning.any():
        raise KPIInputError(
            "subscriptions",
            "no subscription earns MRR at any month end up to "
            f"{period_of(last)} (all start after it, end within their first month or are in trial)",
        )
    first = int(first_earning[earning].min())
    rows = np.flatnonzero(earning)
    codes, names = np.full(len(rows), -1, dtype=np.int64), []
    if "currency" in subs:
        currency = subs["currency"]
        codes, uniques = pd.factorize(currency if len(rows) == len(subs) else currency.iloc[rows])
        names = [str(n) for n in uniques]
    return EarningSpans(
        first,
        last - first + 1,
        rows,
        first_earning[rows] - first,
        stop[rows] - first,
        value[rows],
        codes.astype(np.int64, copy=False),
        names,
    )
