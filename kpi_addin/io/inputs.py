"""Everything the commands read, put together: a canonical workbook or CSV folder, a
billing export for the subscriptions, costs from a P&L, the funnel from a CRM, GA4
visitors — or the bundled sample."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..metrics import CompanyData
from . import segmented_inputs
from .database import Database, connection, read_database_sheets
from .loading import load_raw_sheets
from .parquet import is_parquet, load_parquet
from .problems import InputError, Problem, RawSheet, ReadNote
from .reader import company_from_sheets
from .sample import sample_path
from .sources import read_subscriptions_export, read_visitors
from .sources.accounting import read_cash, read_costs
from .sources.base import ExportWarning
from .sources.crm import combine, read_funnel
from .sources.fivetran_stripe import read_fivetran_stripe


def load_company(
    data: Path | None = None,
    *,
    subscriptions: Path | None = None,
    source: str = "auto",
    mapping: Path | None = None,
    rules: Mapping[str, str] | None = None,
    visitors: Path | None = None,
    costs: Path | None = None,
    accounts: Path | None = None,
    funnel: list[Path] | tuple[Path, ...] = (),
    cash: Path | None = None,
    given: Mapping[str, object] | None = None,
    database: Database | None = None,
    ledger_elsewhere: bool = False,
) -> tuple[CompanyData, list[str], list[str]]:
    """Read and validate every input; raises :class:`InputError` listing every problem.

    ``data`` gives the canonical sheets (the bundled sample when nothing is given);
    ``subscriptions`` replaces its subscriptions with a billing export; ``visitors``
    replaces the funnel's visitors with a GA4 export; ``costs`` (a Profit and Loss by month,
    mapped by the ``accounts`` TOML file) replaces the costs sheet; ``cash`` (a Balance Sheet
    by month, the accounts the map names cash) gives the costs' ``cash``; ``funnel`` (CRM exports)
    replaces the funnel counts it gives, month by month.  Returns the data, notes on what
    was read (the layout recognised, rows left out) and warnings about the data.  The CRM's
    customers by month are kept in the data (``crm_customers``), to check against billing
    once the KPIs are computed.  ``given``: settings given on the command line.
    ``database`` names tables and queries of a database whose sheets replace (or add to)
    those of ``data``.  ``ledger_elsewhere``: the subscriptions stay in the database
    (``--engine database``).  ``rules``: the export readers' rule options
    (:data:`kpi_addin.io.sources.RULES`, e.g. ``stripe_cancel``).
    """
    if data is None and subscriptions is None and database is None and not ledger_elsewhere:
        data = sample_path()
    raws, problems = _load_sheets(data) if data is not None else ({}, [])
    notes: list[str] = []
    if database is not None:
        as_of = _given_as_of(given)
        found_sheets, found = read_database_sheets(database.url, database.tables, database.queries, as_of=as_of)
        raws.update(found_sheets)
        problems += found
        if database.fivetran_schema is not None:
            with connection(database.url) as conn:
                raw, found, found_notes = read_fivetran_stripe(conn, database.fivetran_schema, as_of=as_of)
            problems += found
            notes += found_notes
            if raw is not None:
                raws["subscriptions"] = raw
    if subscriptions is not None:
        raw, found, found_notes = read_subscriptions_export(subscriptions, source, mapping, rules)
        problems += found
        notes += found_notes
        if raw is not None:
            raws["subscriptions"] = raw
    if costs is not None:
        if accounts is None:
            problems.append(Problem(str(costs), "--costs needs --accounts MAP.toml to say which account is which cost"))
        else:
            try:
                read = read_costs(costs, accounts)
                raws["costs"] = read.sheet
                notes += read.notes
            except InputError as exc:
                problems += exc.problems
    balances = None
    if cash is not None:
        if accounts is None:
            problems.append(Problem(str(cash), "--cash needs --accounts MAP.toml to say which accounts are cash"))
        else:
            try:
                read = read_cash(cash, accounts)
                balances = read.sheet.frame.assign(month=pd.to_datetime(read.sheet.frame["month"]))
                notes += read.notes
            except InputError as exc:
                problems += exc.problems
    crm = None
    if funnel:
        reads = []
        for path in funnel:
            try:
                reads.append((path, read_funnel(path)))
            except InputError as exc:
                problems += exc.problems
        if reads and len(reads) == len(funnel):
            crm, found_notes = combine(reads)
            notes += found_notes
    visits = None
    if visitors is not None:
        try:
            visits, note = read_visitors(visitors)
            notes.append(note)
        except InputError as exc:
            problems += exc.problems
    if not raws and not problems and not ledger_elsewhere:
        problems.append(Problem(str(data), "no 'subscriptions' sheet found (sheet names are case-insensitive)"))
    source = str(data or subscriptions or (database.url.shown if database else ""))
    company, warnings = company_from_sheets(
        raws, source, given=given, problems=problems, ledger_elsewhere=ledger_elsewhere
    )
    # a reader's warning (a figure may mislead) is said as a warning, not a note; how a file
    # was read (its encoding, separator, number convention) is a note
    warnings[:0] = [n for n in notes if isinstance(n, ExportWarning)]
    notes = [n for n in notes if not isinstance(n, ExportWarning)] + [w for w in warnings if isinstance(w, ReadNote)]
    warnings = [w for w in warnings if not isinstance(w, ReadNote)]
    if crm is not None:
        company.funnel = _overlaid(company.funnel, crm.drop(columns="customers", errors="ignore"), "funnel", warnings)
        if "customers" in crm:
            company.crm_customers = crm[["month", "customers"]]
    if visits is not None:
        company.funnel = _overlaid(company.funnel, visits, "funnel", warnings)
    if balances is not None:
        absent = () if company.costs is None else company.costs.attrs.get("absent_columns", ())
        company.costs = _overlaid(company.costs, balances, "costs", warnings)
        company.costs.attrs["absent_columns"] = tuple(c for c in absent if c != "cash")
    return company, notes, warnings


def _load_sheets(data: Path) -> tuple[dict[str, RawSheet], list[Problem]]:
    """A workbook, a CSV file or folder, or Parquet (a file, or a folder holding one)."""
    try:
        parquet = data.exists() and is_parquet(data)
    except OSError:
        parquet = False
    return load_parquet(data) if parquet else load_raw_sheets(data)


def _overlaid(frame: pd.DataFrame | None, counts: pd.DataFrame, sheet: str, warnings: list[str]) -> pd.DataFrame:
    """:func:`_with_counts`, on the company (blank-segment) rows of a sheet given by segment."""
    if frame is None:
        return _with_counts(frame, counts)
    out, said = segmented_inputs.with_company_figures(frame, counts, sheet, _with_counts)
    warnings += said
    return out


def _with_counts(funnel: pd.DataFrame | None, counts: pd.DataFrame) -> pd.DataFrame:
    """The funnel with an export's counts (GA4 visitors, CRM stages): they win over the
    funnel sheet's, column by column and month by month.  (The costs with a Balance Sheet's
    cash likewise.)"""
    if funnel is None:
        return counts.copy()
    columns = [c for c in counts.columns if c != "month"]
    merged = funnel.merge(counts.rename(columns={c: f"_{c}" for c in columns}), on="month", how="outer")
    for column in columns:
        given = merged[f"_{column}"]
        merged[column] = given.where(given.notna(), merged[column]) if column in funnel else given
    return merged.drop(columns=[f"_{c}" for c in columns]).sort_values("month").reset_index(drop=True)


def _given_as_of(given: Mapping[str, object] | None) -> pd.Period | None:
    """The reporting month given on the command line: a database's tables are read up to it."""
    value = (given or {}).get("as_of")
    return value if isinstance(value, pd.Period) else None
