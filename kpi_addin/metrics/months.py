"""Months as integers (months since 1970-01): the engine's calendar arithmetic."""

from __future__ import annotations

import numpy as np
import pandas as pd


def month_number(values: pd.Series | np.ndarray) -> np.ndarray:
    """Months since 1970-01 for datetime values (``NaT`` → ``-2**62``).

    Examples
    --------
    >>> month_number(pd.to_datetime(["1970-01-31 00:00", "2025-03-01 18:00", None, "1969-12-31 23:59"])).tolist()
    [0, 662, -4611686018427387904, -1]
    """
    arr = np.asarray(values, dtype="datetime64[ns]")
    nat = np.isnat(arr)
    days = arr.view(np.int64) // 86_400_000_000_000  # floor: a time of day stays in its day
    known = days[~nat]
    if not known.size:
        return np.full(len(arr), np.int64(-(2**62)))
    first, last = int(known.min()), int(known.max())
    if last - first > 1_000_000:  # dates over ~2,700 years apart: convert each (slower, same result)
        return np.where(nat, np.int64(-(2**62)), arr.astype("datetime64[M]").astype(np.int64))
    # The month of each day in the span, looked up: numpy's calendar conversion per value is slower.
    month_of_day = np.arange(first, last + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    months: np.ndarray = month_of_day[np.where(nat, first, days) - first]
    months[nat] = -(2**62)
    return months


def latest_month(values: pd.Series | np.ndarray, through: int | None = None) -> int | None:
    """``month_number(values).max()`` over the known values (those in months up to ``through``
    only, when given), without converting every value: the month of the latest date.

    Examples
    --------
    >>> dates = pd.to_datetime(["2025-01-31 23:00", None, "2025-03-01 00:00", "2024-12-05 08:00"])
    >>> latest_month(dates), latest_month(dates, through=661), latest_month(dates[1:2])
    (662, 660, None)
    """
    arr = np.asarray(values, dtype="datetime64[ns]")
    stamps = arr.view(np.int64)[~np.isnat(arr)]
    if through is not None:  # before the first instant of the month after ``through``
        stamps = stamps[stamps < np.datetime64(through + 1, "M").astype("datetime64[ns]").view(np.int64)]
    if not stamps.size:
        return None
    return int(month_number(np.array([stamps.max()], dtype="datetime64[ns]"))[0])


def period_of(month: int) -> pd.Period:
    """The calendar month ``month`` months after 1970-01."""
    return pd.Period(year=1970 + month // 12, month=month % 12 + 1, freq="M")


def number_of(period: pd.Period) -> int:
    """Months since 1970-01 of a monthly period."""
    return (period.year - 1970) * 12 + period.month - 1
