"""The ``--db``, ``--table``, ``--query`` and ``--schema`` options as a :class:`.database.Database`:
checked before anything connects (a password on the command line is refused)."""

from __future__ import annotations

from pathlib import Path

from . import schema
from .database import Database, parse_url, secrets_in, shown_url


def sheet_pairs(values: tuple[str, ...] | list[str], option: str) -> dict[str, str]:
    """``SHEET=VALUE`` options (``--table subscriptions=billing.subs``) → {sheet: value};
    ValueError naming the option for anything else."""
    pairs: dict[str, str] = {}
    for given in values:
        sheet, sep, value = given.partition("=")
        sheet = sheet.strip().lower()
        if not sep or not value.strip():
            raise ValueError(f"{option} {given!r}: write SHEET=NAME, e.g. {option} subscriptions=billing.subscriptions")
        if sheet not in schema.SHEETS:
            raise ValueError(f"{option} {given!r}: unknown sheet {sheet!r} (known: {', '.join(schema.SHEETS)})")
        if sheet in pairs:
            raise ValueError(f"{option}: the sheet {sheet} is given twice")
        pairs[sheet] = value.strip()
    return pairs


def database_of(
    db: str | None,
    tables: tuple[str, ...] | list[str] = (),
    queries: tuple[str, ...] | list[str] = (),
    *,
    fivetran_schema: str | None = None,
) -> Database | None:
    """The ``--db``, ``--table``, ``--query`` options as a :class:`Database` (None without ``--db``).

    ValueError for a misuse (a password written on the command line, a table without
    ``--db``); :class:`DatabaseError` for a URL that cannot be used."""
    if db is None:
        if tables or queries:
            raise ValueError("--table and --query read from a database: give --db URL (or --db env:KPI_DB_URL) too")
        return None
    if not db.strip().startswith("env:") and secrets_in(db):
        raise ValueError(
            f"--db {shown_url(db)}: a password on the command line is visible in the shell history and the "
            "process list; put the URL in an environment variable and give --db env:KPI_DB_URL"
        )
    url = parse_url(db)
    table_pairs, query_pairs = sheet_pairs(tables, "--table"), sheet_pairs(queries, "--query")
    both = sorted(set(table_pairs) & set(query_pairs))
    if both:
        raise ValueError(f"{', '.join(both)}: give either --table or --query for a sheet, not both")
    if not table_pairs and not query_pairs and fivetran_schema is None:
        raise ValueError(
            "--db needs --table SHEET=TABLE or --query SHEET=FILE.sql (e.g. --table subscriptions=billing.subs)"
        )
    return Database(url, table_pairs, {k: Path(v) for k, v in query_pairs.items()}, fivetran_schema)
