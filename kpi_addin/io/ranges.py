"""Company data from Excel ranges (what the table functions receive), validated exactly as files are."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..metrics import CompanyData
from .reader import Problem, RawSheet, _normalise_header, column_letter, company_from_sheets, parse_month

RANGE_SOURCE = "range"


def raw_sheet_from_range(name: str, rows: object) -> tuple[RawSheet | None, list[Problem]]:
    """A range whose first row holds the column names, as a raw sheet (cells counted from its top-left)."""
    if not isinstance(rows, list | tuple) or not rows or not isinstance(rows[0], list | tuple):
        return None, [Problem(RANGE_SOURCE, "must be a range of two or more rows with the column names first", name)]
    names, problems = _normalise_header(list(rows[0]), RANGE_SOURCE, name)
    keep = [i for i, n in enumerate(names) if n]
    body = [list(r) for r in rows[1:] if any(v not in (None, "") for v in r)]
    positions = [i + 2 for i, r in enumerate(rows[1:]) if any(v not in (None, "") for v in r)]
    frame = pd.DataFrame(
        [[r[i] if i < len(r) else None for i in keep] for r in body], columns=[names[i] for i in keep], dtype=object
    )
    letters = {str(names[i]): column_letter(i) for i in keep}
    return RawSheet(name, RANGE_SOURCE, name, frame, np.asarray(positions, dtype=np.int64), letters), problems


def company_from_ranges(subscriptions: object, fx_rates: object = None, as_of: object = None) -> CompanyData:
    """Validate the ranges; raises :class:`InputError` naming each problem's cell in the range.

    With no FX rates and a single currency in the ledger, that currency is the
    reporting currency; otherwise it is USD.
    """
    raws: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    for name, rows in (("subscriptions", subscriptions), ("fx_rates", fx_rates)):
        if rows is None and name == "fx_rates":
            continue
        raw, found = raw_sheet_from_range(name, rows)
        problems += found
        if raw is not None:
            raws[name] = raw
    period = None
    if as_of not in (None, ""):
        try:
            period = parse_month(as_of, "as_of")
        except ValueError as exc:
            problems.append(Problem(RANGE_SOURCE, str(exc)))
    default = "USD"
    subs = raws.get("subscriptions")
    if fx_rates is None and subs is not None and "currency" in subs.frame:
        used = {str(c).strip().upper() for c in subs.frame["currency"] if c not in (None, "")}
        if len(used) == 1:
            default = used.pop()
    data, _warnings = company_from_sheets(raws, RANGE_SOURCE, as_of=period, problems=problems, default_currency=default)
    return data
