"""Visitors from a Google Analytics 4 export: users by month (or by day, summed by month).

GA4 exports a report as CSV with '#' comment lines above the header, a date dimension
(``Date`` as YYYYMMDD, ``Year month`` / ``Month`` as YYYYMM) and a users metric (``Total
users``, ``Active users`` or ``Users``):
https://support.google.com/analytics/answer/9317657 (GA4 dimensions and metrics).
Summing daily users counts a person on several days more than once; export users by
month where you can — the command says which it read.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..reader import InputError, Problem
from .base import read_export

DATE_COLUMNS = ("year_month", "month", "date", "day", "nth_month")
USER_COLUMNS = ("total_users", "active_users", "users", "visitors")


def read_visitors(path: Path) -> tuple[pd.DataFrame, str]:
    """(month, visitors) rows and a note of what was read; raises InputError naming bad cells."""
    export, problems = read_export(path)
    if export is None:
        raise InputError(problems)
    date_col = export.has(*DATE_COLUMNS)
    users_col = export.has(*USER_COLUMNS)
    if date_col is None or users_col is None:
        found = ", ".join(export.originals.values())
        raise InputError(
            [
                Problem(
                    str(path),
                    "not a GA4 users export: needs a date column (Date, Year month) and a "
                    f"users column (Total users, Active users); found: {found}",
                )
            ]
        )
    text = export.text(date_col)
    digits = text.str.replace("-", "", regex=False)
    daily = digits.str.fullmatch(r"\d{8}")
    monthly = digits.str.fullmatch(r"\d{6}")
    month = pd.to_datetime(digits.where(daily, digits + "01"), format="%Y%m%d", errors="coerce")
    users = pd.to_numeric(export.text(users_col).str.replace(",", "", regex=False), errors="coerce")
    total_row = text.str.lower().isin(["", "total", "grand total"])  # GA4 may add a totals line
    bad_date = ~total_row & (month.isna() | ~(daily | monthly))
    bad_users = ~total_row & ~bad_date & (users.isna() | (users < 0))
    for position in np.flatnonzero(bad_date.to_numpy())[:10]:
        problems.append(
            export.problem(
                f"{text.iloc[position]!r} is not a date (YYYYMMDD) or month (YYYYMM)", date_col, int(position)
            )
        )
    for position in np.flatnonzero(bad_users.to_numpy())[:10]:
        problems.append(
            export.problem(
                f"{export.text(users_col).iloc[position]!r} is not a count of users", users_col, int(position)
            )
        )
    if problems:
        raise InputError(problems)
    keep = ~total_row
    frame = pd.DataFrame({"month": month[keep].dt.to_period("M").dt.to_timestamp(), "visitors": users[keep]})
    by_month = frame.groupby("month", as_index=False)["visitors"].sum()
    grain = "days summed by month" if daily[keep].any() else "month"
    note = f"{path.name}: visitors = GA4 '{export.originals[users_col]}' by {grain} ({len(by_month)} months)"
    return by_month, note
