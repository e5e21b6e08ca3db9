"""Everything the commands read, put together: a canonical workbook or CSV folder, a
billing export for the subscriptions, GA4 visitors — or the bundled sample."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..metrics import CompanyData
from .reader import InputError, Problem, company_from_sheets, load_raw_sheets
from .sample import sample_path
from .sources import read_subscriptions_export, read_visitors


def load_company(
    data: Path | None = None,
    *,
    subscriptions: Path | None = None,
    source: str = "auto",
    mapping: Path | None = None,
    visitors: Path | None = None,
    as_of: pd.Period | None = None,
) -> tuple[CompanyData, list[str], list[str]]:
    """Read and validate every input; raises :class:`InputError` listing every problem.

    ``data`` gives the canonical sheets (the bundled sample when nothing is given);
    ``subscriptions`` replaces its subscriptions with a billing export; ``visitors``
    replaces the funnel's visitors with a GA4 export.  Returns the data, notes on what was
    read (the layout recognised, rows left out) and warnings about the data.
    """
    if data is None and subscriptions is None:
        data = sample_path()
    raws, problems = load_raw_sheets(data) if data is not None else ({}, [])
    notes: list[str] = []
    if subscriptions is not None:
        raw, found, found_notes = read_subscriptions_export(subscriptions, source, mapping)
        problems += found
        notes += found_notes
        if raw is not None:
            raws["subscriptions"] = raw
    visits = None
    if visitors is not None:
        try:
            visits, note = read_visitors(visitors)
            notes.append(note)
        except InputError as exc:
            problems += exc.problems
    if not raws and not problems:
        problems.append(Problem(str(data), "no 'subscriptions' sheet found (sheet names are case-insensitive)"))
    company, warnings = company_from_sheets(raws, str(data or subscriptions), as_of=as_of, problems=problems)
    if visits is not None:
        company.funnel = _with_visitors(company.funnel, visits)
    return company, notes, warnings


def _with_visitors(funnel: pd.DataFrame | None, visits: pd.DataFrame) -> pd.DataFrame:
    """The funnel with GA4's visitors (they win over the funnel sheet's, month by month)."""
    if funnel is None:
        return visits.copy()
    merged = funnel.merge(visits.rename(columns={"visitors": "_ga4"}), on="month", how="outer")
    merged["visitors"] = merged["_ga4"].where(merged["_ga4"].notna(), merged.get("visitors"))
    return merged.drop(columns="_ga4").sort_values("month").reset_index(drop=True)
