"""What every command does first: read the inputs (the bundled sample when none is given)
and compute the report.  Nothing here prints: notes go to ``say``, refusals are raised as
:class:`~kpi_addin.io.problems.CommandError`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .io import InputError, sample_path
from .io.database import Database, DatabaseError, connection
from .io.inputs import load_company
from .io.problems import CommandError
from .io.sources.crm import customers_check
from .io.warehouse import database_report
from .metrics import CompanyData, KPIInputError, KPIReport, monthly_kpis


def load_report(
    data: Path | None,
    given: Mapping[str, object],
    exports: Mapping[str, object] | None = None,
    say: Callable[[str], None] = lambda _text: None,
) -> tuple[CompanyData, KPIReport]:
    """Read the inputs and compute every KPI; ``say`` hears each note on how the input was read.

    ``given``: the settings given on the command line (as_of, history_start, convention,
    period, language; None when not given); they win over the settings sheet."""
    exports = dict(exports or {})
    engine = exports.pop("engine", "local")
    database = exports.get("database")
    shown = database.url.shown if isinstance(database, Database) else None
    source = data or exports.get("subscriptions") or shown or sample_path()
    if engine == "database":
        return _database_report(data, given, exports, say)
    try:
        company, notes, warnings = load_company(data, given=given, **exports)  # type: ignore[arg-type]  # options are checked by click
    except DatabaseError as exc:
        raise CommandError([str(exc)]) from None
    except InputError as exc:
        files = {p.file for p in exc.problems}
        where = f" in {_named(files.pop(), data, exports)}" if len(files) == 1 else ""
        raise CommandError(
            [str(p) for p in exc.problems], f"{len(exc.problems)} problem(s){where}; nothing was computed."
        ) from None
    for note in notes:
        say(f"note: {note}")
    try:
        report = monthly_kpis(company)
    except KPIInputError as exc:
        raise CommandError([f"{source}: {exc}"]) from None
    return company, _checked(company, report, notes, warnings, source)


#: The option that gives each export file, named beside the file when it cannot be read.
EXPORT_OPTIONS = {
    "subscriptions": "--subscriptions",
    "mapping": "--map",
    "visitors": "--visitors",
    "costs": "--costs",
    "cash": "--cash",
    "accounts": "--accounts",
    "funnel": "--funnel",
}


def _named(file: str, data: Path | None, exports: Mapping[str, object]) -> str:
    """``file (--costs)``: the file and the option that gave it (the file alone when no option did)."""
    given = {str(data): "--data"} if data is not None else {}
    for key, option in EXPORT_OPTIONS.items():
        value = exports.get(key)
        for path in value if isinstance(value, list | tuple) else [value]:
            if path is not None:
                given[str(path)] = option
    named = given.get(str(file))
    return f"{file} ({named})" if named else str(file)


def _checked(
    company: CompanyData, report: KPIReport, notes: list[str], warnings: list[str], source: object
) -> KPIReport:
    """The report with its notes and warnings; refused if a figure is not finite."""
    # the reader refuses non-finite and implausibly large numbers, so this never fires; if it
    # did, a wrong figure must not be printed
    computed = report.monthly.to_numpy(dtype=float)
    ratios = [v for k, v in report.balance_sheet.items() if k != "period" and v is not None]
    if np.isinf(computed).any() or np.isinf(np.asarray(ratios, dtype=float)).any():
        raise CommandError(
            [f"{source}: a KPI is not finite (numbers too large for the arithmetic); check the input's magnitudes"]
        )
    # Notes say what was read (a layout detected, rows left out by rule); warnings say a
    # figure may mislead. They are kept apart so notes never push warnings off the Summary.
    report.notes = list(notes)
    report.warnings[:0] = warnings
    if company.crm_customers is not None:
        report.warnings += customers_check(company.crm_customers, report.monthly["new_customers"])
    return report


def _database_report(
    data: Path | None, given: Mapping[str, object], exports: dict[str, object], say: Callable[[str], None]
) -> tuple[CompanyData, KPIReport]:
    """``--engine database``: the other sheets read as usual, the subscription figures computed
    inside the database that holds the ledger (:mod:`kpi_addin.io.warehouse`)."""
    database = exports.get("database")
    if not isinstance(database, Database) or not ({"subscriptions"} & (set(database.tables) | set(database.queries))):
        raise CommandError(
            ["--engine database computes inside the database: give --db URL --table subscriptions=TABLE (or --query)"]
        )
    if given.get("period") not in (None, "month"):
        raise CommandError(["--period quarter and year need each customer's MRR: use the local engine (no --engine)"])
    table, query_file = database.tables.get("subscriptions"), database.queries.get("subscriptions")
    others = Database(
        database.url,
        {k: v for k, v in database.tables.items() if k != "subscriptions"},
        {k: v for k, v in database.queries.items() if k != "subscriptions"},
    )
    try:
        query = query_file.read_text(encoding="utf-8").strip().rstrip(";") if query_file else None
        options: dict[str, Any] = {**exports, "database": others}  # checked by click
        company, notes, warnings = load_company(data, given=given, ledger_elsewhere=True, **options)
        for note in notes:
            say(f"note: {note}")
        with connection(database.url) as conn:
            report = database_report(conn, company, table=table, query=query)
    except (DatabaseError, OSError) as exc:
        raise CommandError([str(exc)]) from None
    except InputError as exc:
        raise CommandError(
            [str(p) for p in exc.problems], f"{len(exc.problems)} problem(s); nothing was computed."
        ) from None
    except KPIInputError as exc:
        raise CommandError([f"{database.url.shown}: {exc}"]) from None
    return company, _checked(company, report, notes, warnings, database.url.shown)
