"""When a subscription counts in a month: the month-end and month-start conventions.

* **month-end** (ours, the default): MRR of month M is the snapshot on M's last day — a
  subscription counts when ``start_date <= last day of M < end_date`` (and out of trial).
* **month-start** (Baremetrics, ChartMogul-style models, many spreadsheets): MRR of M is
  the snapshot on M's first day — ``start_date <= 1st of M < end_date``.

The engine computes only the month-end snapshot.  The month-start one is the same engine
run on dates moved by one rule (``docs/conventions.md`` proves it):

    every date (start, end, trial end) that is not a 1st moves to the 1st of the next
    month; a date on a 1st stays.

Because a date on the 1st of M is active at M's start *and* at M's end, the two
conventions agree to the cent on a ledger whose dates are all 1sts; with mid-month dates
every movement lands one month later under month-start.
"""

from __future__ import annotations

from typing import Literal, cast

import pandas as pd

from ._core import KPIValueError

Convention = Literal["month-end", "month-start"]
CONVENTIONS: tuple[str, ...] = ("month-end", "month-start")
DATE_COLUMNS = ("start_date", "end_date", "trial_end")


def check_convention(value: object) -> Convention:
    """``month-end`` or ``month-start`` (KPIValueError otherwise)."""
    text = str(value).strip().lower().replace("_", "-")
    if text not in CONVENTIONS:
        raise KPIValueError("convention", f"{value!r} is not month-end or month-start")
    return cast(Convention, text)


def next_first_of_month(dates: pd.Series) -> pd.Series:
    """Each date moved to the next 1st of a month; a 1st (and a blank) stays.

    Examples
    --------
    >>> next_first_of_month(pd.Series(pd.to_datetime(["2025-01-01", "2025-01-02", "2025-12-31", None]))).tolist()
    [Timestamp('2025-01-01 00:00:00'), Timestamp('2025-02-01 00:00:00'), Timestamp('2026-01-01 00:00:00'), NaT]
    """
    dates = pd.Series(pd.to_datetime(dates), index=dates.index)
    floor = dates.dt.to_period("M").dt.to_timestamp()
    following = (floor + pd.offsets.MonthBegin(1)).where(dates.notna())
    return pd.Series(following.where(dates.dt.day != 1, floor), index=dates.index)


def apply_convention(subscriptions: pd.DataFrame, convention: str = "month-end") -> pd.DataFrame:
    """The ledger as the month-end engine must see it to count by ``convention``.

    ``month-end`` returns the ledger unchanged; ``month-start`` moves each date that is
    not a 1st to the next 1st (:func:`next_first_of_month`).

    Examples
    --------
    A subscription from 14 March to 10 June counts at the ends of March, April and May,
    but on the 1sts of April, May and June:

    >>> from kpi_addin.metrics.mrr import customer_mrr
    >>> subs = pd.DataFrame({"customer_id": ["a"], "amount": [100.0], "interval": ["month"],
    ...     "start_date": pd.to_datetime(["2025-03-14"]), "end_date": pd.to_datetime(["2025-06-10"])})
    >>> customer_mrr(subs, as_of=pd.Period("2025-06", "M")).to_frame()
    month        2025-03  2025-04  2025-05  2025-06
    customer_id
    a              100.0    100.0    100.0      0.0
    >>> customer_mrr(apply_convention(subs, "month-start"), as_of=pd.Period("2025-06", "M")).to_frame()
    month        2025-04  2025-05  2025-06
    customer_id
    a              100.0    100.0    100.0
    """
    if check_convention(convention) == "month-end":
        return subscriptions
    out = subscriptions.copy()
    for column in DATE_COLUMNS:
        if column in out:
            out[column] = next_first_of_month(out[column])
    return out
