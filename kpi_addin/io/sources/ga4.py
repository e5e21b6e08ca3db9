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

from .. import files
from .. import values as values_
from ..problems import InputError, Problem
from .base import numbers, read_export

DATE_COLUMNS = ("year_month", "month", "date", "day", "nth_month")
USER_COLUMNS = ("total_users", "active_users", "users", "visitors")


def read_visitors(path: Path) -> tuple[pd.DataFrame, str]:
    """(month, visitors) rows and a note of what was read; raises InputError naming bad cells."""
    export, problems = read_export(path)
    if export is None:
        raise InputError(problems)
    sections = _sections(path)
    if sections > 1:
        raise InputError(
            [
                Problem(
                    str(path),
                    f"holds {sections} tables (a Reports snapshot?); export one report of users by "
                    "'Year month' (or 'Date') and give that file",
                )
            ]
        )
    date_col = export.has(*DATE_COLUMNS)
    users_col = export.has(*USER_COLUMNS)
    found = ", ".join(export.originals.values())
    if date_col == "month" or export.has("nth_month", "nth_day", "nth_week"):
        which = export.originals.get(date_col or "", "") or "Nth"
        raise InputError(
            [
                Problem(
                    str(path),
                    f"the '{which}' dimension has no calendar year; export users by 'Year month' (or 'Date') instead",
                )
            ]
        )
    if date_col is None or users_col is None:
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
    plausible = month.isna() | ((month >= values_.FIRST_DATE) & (month <= values_.LAST_DATE))
    total_row = text.str.lower().isin(["", "total", "grand total"])  # GA4 may add a totals line
    users, found_problems, notes = numbers(export, export.text(users_col).where(~total_row, ""), users_col, whole=True)
    bad_date = ~total_row & (month.isna() | ~(daily | monthly) | ~plausible)
    bad_users = ~total_row & ~bad_date & users.notna() & ((users < 0) | (users != users.round()))
    blank_users = ~total_row & ~bad_date & users.isna()
    problems += found_problems
    for position in np.flatnonzero(bad_date.to_numpy())[:10]:
        problems.append(
            export.problem(
                f"{text.iloc[position]!r} is not a date (YYYYMMDD) or month (YYYYMM) from 1970 to 2099",
                date_col,
                int(position),
            )
        )
    for mask, what in ((bad_users, "is not a count of users"), (blank_users, "is blank; a count of users is needed")):
        for position in np.flatnonzero(mask.to_numpy())[:10]:
            value = export.text(users_col).iloc[position]
            if not any(
                p.row == int(export.rows[position]) and p.letter == export.letters.get(users_col) for p in problems
            ):
                problems.append(export.problem(f"{value!r} {what}" if value else what, users_col, int(position)))
    if problems:
        raise InputError(problems)
    keep = ~total_row
    frame = pd.DataFrame({"month": month[keep].dt.to_period("M").dt.to_timestamp(), "visitors": users[keep]})
    by_month = frame.groupby("month")["visitors"].sum().reset_index()
    grain = "days summed by month" if daily[keep].any() else "month"
    note = f"{path.name}: visitors = GA4 '{export.originals[users_col]}' by {grain} ({len(by_month)} months)"
    return by_month, "; ".join([note, *export.notes, *notes])


def _sections(path: Path) -> int:
    """How many tables the file holds: a GA4 Reports snapshot stacks several, each after '#' lines."""
    try:
        text, _fmt = files.read_text(path)
    except files.TextFileError:
        return 1
    count, in_table = 0, False
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            in_table = False
            continue
        if not in_table:
            count += 1
            in_table = True
    return count
