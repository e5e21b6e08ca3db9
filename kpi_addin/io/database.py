"""Read the canonical sheets from a database: DuckDB (in the base install), Postgres,
SQLite, Snowflake or BigQuery (optional extras); Parquet files are read by :mod:`.parquet`.

Every connection hands back Arrow tables (DuckDB's own Arrow API; the ADBC drivers for
the rest), so a million rows cross as columns, not as Python objects: ``docs/design.md``
says what was measured.  What is read is ``SELECT <the sheet's canonical columns> FROM
<table> [WHERE <months up to as-of>]`` — never ``SELECT *`` — or the user's own query.
The rows then go through the same validation as a file's (:func:`.validation.validate_sheet`),
and a problem is located as ``table.column [row key]``.

Credentials: a URL is given as ``env:VARIABLE`` (read from the environment) or directly;
whatever the way, :func:`shown_url` is the only form that reaches a message, and it never
holds a password, a token or a key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
import pandas as pd

from . import schema
from . import values as values_
from .problems import Problem, RawSheet

if TYPE_CHECKING:
    import pyarrow as pa

#: URL scheme → (the driver's module, the extra that installs it).
DRIVERS: dict[str, tuple[str, str]] = {
    "duckdb": ("duckdb", ""),
    "postgresql": ("adbc_driver_postgresql.dbapi", "postgres"),
    "sqlite": ("adbc_driver_sqlite.dbapi", "sqlite"),
    "snowflake": ("adbc_driver_snowflake.dbapi", "snowflake"),
    "bigquery": ("adbc_driver_bigquery.dbapi", "bigquery"),
}
#: URL scheme → the SQL dialect its queries are written in (sqlglot's names).
DIALECTS = {"duckdb": "duckdb", "postgresql": "postgres", "sqlite": "sqlite", "snowflake": "snowflake",
            "bigquery": "bigquery"}  # fmt: skip
_ALIASES = {"postgres": "postgresql", "postgresql+psycopg": "postgresql", "postgresql+adbc": "postgresql"}
#: Query parameters whose values are secrets: never shown.
_SECRET_PARAMETERS = re.compile(r"pass|pwd|secret|token|key|credential", re.IGNORECASE)

#: Columns that locate a row of each sheet in messages (the row key).
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "subscriptions": ("customer_id", "start_date"),
    "funnel": ("month", "segment"),
    "costs": ("month", "segment"),
    "nps": ("date", "respondent"),
    "balance_sheet": ("period",),
    "targets": ("kpi",),
    "fx_rates": ("currency", "month"),
    "settings": ("key",),
}
#: The date column that says which month a row belongs to: rows after the last month reported
#: are not read (a subscription starting after it earns nothing up to it).
MONTH_COLUMNS = {"subscriptions": "start_date", "funnel": "month", "costs": "month", "nps": "date"}


class DatabaseError(Exception):
    """The database cannot be used: one sentence, never a password."""


# --------------------------------------------------------------------------- URLs


@dataclass(frozen=True)
class DatabaseURL:
    """A database URL, its scheme, and the form that may be shown."""

    url: str
    scheme: str
    shown: str

    def __repr__(self) -> str:  # a traceback or a debugger never prints the secret
        return f"DatabaseURL({self.shown!r})"


def shown_url(url: str) -> str:
    """``url`` with its password and any secret query parameter replaced by ``***``.

    Examples
    --------
    >>> shown_url("postgresql://kpi:s3cr3t@db.example.com:5432/billing?sslmode=require&password=x")
    'postgresql://kpi:***@db.example.com:5432/billing?sslmode=require&password=***'
    >>> shown_url("duckdb:///data/ledger.duckdb")
    'duckdb:///data/ledger.duckdb'
    """
    try:
        parts = urlsplit(url)
        if "@" not in parts.netloc and not any(_SECRET_PARAMETERS.search(k) for k, _ in parse_qsl(parts.query, True)):
            return url
        netloc = parts.netloc
        if "@" in netloc:
            credentials, host = netloc.rsplit("@", 1)
            user = credentials.split(":", 1)[0]
            netloc = f"{user}:***@{host}" if ":" in credentials else f"{user}@{host}"
        query = urlencode(
            [(k, "***" if _SECRET_PARAMETERS.search(k) else v) for k, v in parse_qsl(parts.query, True)], safe="*/:"
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "<a database URL that cannot be parsed>"


def parse_url(text: str) -> DatabaseURL:
    """``env:VARIABLE`` or a URL → :class:`DatabaseURL`; :class:`DatabaseError` if unusable."""
    url = text.strip()
    if url.startswith("env:"):
        name = url[4:]
        if not name or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise DatabaseError(f"--db {text!r}: env: takes the name of an environment variable (env:KPI_DB_URL)")
        value = os.environ.get(name)
        if not value:
            raise DatabaseError(f"--db env:{name}: the environment variable {name} is not set or is empty")
        url = value.strip()
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    scheme = _ALIASES.get(scheme, scheme)
    shown = shown_url(url)
    if scheme not in DRIVERS:
        known = ", ".join(f"{s}://" for s in DRIVERS)
        raise DatabaseError(f"--db {shown}: unknown kind of database (use {known})")
    return DatabaseURL(url, scheme, shown)


def _local_path(url: DatabaseURL) -> str:
    """The file of a ``duckdb:///path`` or ``sqlite:///path`` URL (``:memory:`` allowed)."""
    rest = url.url.split(":", 1)[1].split("?", 1)[0]
    if rest.startswith("///"):
        return rest[3:] if rest[3:4] != "" else ":memory:"
    if rest.startswith("//"):  # duckdb://relative/path is read as a relative path
        return rest[2:] or ":memory:"
    return rest or ":memory:"


# --------------------------------------------------------------------------- connections


class Connection:
    """An open connection that answers queries as Arrow tables."""

    def __init__(self, url: DatabaseURL, handle: Any, adbc: bool) -> None:
        self.url = url
        self.dialect = DIALECTS[url.scheme]
        self._handle = handle
        self._adbc = adbc

    def arrow(self, sql: str) -> pa.Table:
        """The result of ``sql`` as an Arrow table (:class:`DatabaseError` on failure)."""
        try:
            if not self._adbc:
                relation = self._handle.sql(sql)
                fetch = getattr(relation, "to_arrow_table", None) or relation.arrow  # duckdb 2 / 1
                return fetch()
            with self._handle.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetch_arrow_table()
        except Exception as exc:  # noqa: BLE001 - each driver raises its own types
            raise DatabaseError(f"{self.url.shown}: {_reason(exc, self.url)}") from None

    def columns(self, table: str) -> list[str]:
        """The column names of ``table`` (``schema.table`` or ``table``), read from the catalogue."""
        return list(self.column_types(table))

    def column_types(self, table: str) -> dict[str, str]:
        """Each column of ``table`` and its type as the driver names it (``DATE``, ``timestamp[us]``)."""
        schema_name, _, name = table.rpartition(".")
        try:
            if not self._adbc:
                relation = self._handle.table(table)
                return {c: str(t) for c, t in zip(relation.columns, relation.types, strict=True)}
            arrow_schema = self._handle.adbc_get_table_schema(name, db_schema_filter=schema_name or None)
            return {f.name: str(f.type) for f in arrow_schema}
        except Exception as exc:  # noqa: BLE001 - each driver raises its own types
            raise DatabaseError(f"{self.url.shown}: cannot read table {table!r} ({_reason(exc, self.url)})") from None

    def execute(self, sql: str) -> None:
        """Run a statement that returns nothing, and commit (tests and benchmarks fill databases)."""
        try:
            if not self._adbc:
                self._handle.execute(sql)
                return
            with self._handle.cursor() as cursor:
                cursor.execute(sql)
            self._handle.commit()
        except Exception as exc:  # noqa: BLE001 - each driver raises its own types
            raise DatabaseError(f"{self.url.shown}: {_reason(exc, self.url)}") from None

    def ingest(self, table: str, data: pa.Table) -> None:
        """Write ``data`` as a new table (tests and benchmarks fill databases with it)."""
        if not self._adbc:
            self._handle.register("_kpi_ingest", data)
            self._handle.execute(f"CREATE TABLE {table} AS SELECT * FROM _kpi_ingest")
            self._handle.unregister("_kpi_ingest")
            return
        schema_name, _, name = table.rpartition(".")
        with self._handle.cursor() as cursor:
            cursor.adbc_ingest(name, data, mode="create", db_schema_name=schema_name or None)
        self._handle.commit()

    def close(self) -> None:
        try:
            self._handle.close()
        except Exception:  # noqa: BLE001 - closing a connection that failed is not a second error
            pass


def _reason(exc: BaseException, url: DatabaseURL) -> str:
    """A driver's message, first line, without the URL's password."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    secrets = [p for p in secrets_in(url.url) if p]
    for secret in secrets:
        text = text.replace(secret, "***")
    return text.replace(url.url, url.shown)


def secrets_in(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [parts.password or ""]
    found += [v for k, v in parse_qsl(parts.query, True) if _SECRET_PARAMETERS.search(k)]
    return [s for s in found if len(s) >= 1]


def connect(url: DatabaseURL) -> Connection:
    """Open ``url``; a missing driver is one sentence naming the extra that installs it."""
    module, extra = DRIVERS[url.scheme]
    try:
        driver = __import__(module, fromlist=["connect"])
    except ImportError:
        raise DatabaseError(f"reading {url.scheme}:// needs its driver: pip install 'kpi-addin[{extra}]'") from None
    try:
        if url.scheme == "duckdb":
            path = _local_path(url)
            if path != ":memory:" and not Path(path).exists():
                raise DatabaseError(f"{url.shown}: no such DuckDB file {path!r}")
            # DuckDB's own settings from the URL: ?memory_limit=800MB&threads=2 (it spills to disk past the limit)
            config = dict(parse_qsl(urlsplit(url.url).query))
            return Connection(url, driver.connect(path, read_only=path != ":memory:", config=config), adbc=False)
        if url.scheme == "sqlite":
            path = _local_path(url)
            if path != ":memory:" and not Path(path).exists():
                raise DatabaseError(f"{url.shown}: no such SQLite file {path!r}")
            return Connection(url, driver.connect(path), adbc=True)
        if url.scheme == "postgresql":
            uri = url.url.replace("postgresql+adbc://", "postgresql://").replace("postgres://", "postgresql://")
            return Connection(url, driver.connect(uri), adbc=True)
        return Connection(url, driver.connect(url.url), adbc=True)
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - each driver raises its own types
        raise DatabaseError(f"cannot connect to {url.shown}: {_reason(exc, url)}") from None


@contextmanager
def connection(url: DatabaseURL) -> Iterator[Connection]:
    conn = connect(url)
    try:
        yield conn
    finally:
        conn.close()


# --------------------------------------------------------------------------- sheets from tables


@dataclass(frozen=True)
class TableProblem(Problem):
    """A problem in a database table or a Parquet file: ``source table.column [row key]: message``."""

    key: str | None = None

    def __str__(self) -> str:
        where = self.file + (f" {self.sheet}" if self.sheet else "")
        if self.column:
            where += f".{self.column}" if self.sheet else f" ({self.column})"
        if self.key:
            where += f" [{self.key}]"
        return f"{where}: {self.message}"


class TableSheet(RawSheet):
    """A sheet read from a table: rows are located by their key columns, not by cells."""

    key_frame: pd.DataFrame

    def where(self, column: str | None = None) -> str:
        return f"{self.file} {self.label}" + (f".{column}" if column else "")

    def problem(self, message: str, *, column: str | None = None, position: int | None = None) -> Problem:
        return TableProblem(
            file=self.file, message=message, sheet=self.label, column=column, key=self.row_key(position)
        )

    def row_key(self, position: int | None) -> str | None:
        if position is None:
            return None
        row = int(self.rows[position]) - 1  # rows are 1-based positions in what was read
        parts = [f"row {row + 1}"]
        for name in self.key_frame.columns:
            value = self.key_frame[name].iloc[row]
            if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
                continue
            if isinstance(value, pd.Timestamp):
                parts.append(f"{name}={str(value)[:10]}")
            else:
                parts.append(f"{name}={value!r}" if isinstance(value, str) else f"{name}={value}")
        return ", ".join(parts)


def table_sheet(name: str, source: str, label: str, table: pa.Table) -> TableSheet:
    """An Arrow table (canonical column names) as a sheet to validate, typed as a CSV would be."""
    frame = arrow_to_frame(table)
    sheet = TableSheet(name, source, label, frame, np.arange(len(frame), dtype=np.int64) + 1, {})
    keys = [c for c in ROW_KEYS.get(name, ()) if c in frame.columns]
    sheet.key_frame = frame[keys]
    return sheet


def arrow_to_frame(table: pa.Table) -> pd.DataFrame:
    """Arrow columns as the validator takes them: decimals as floats, dates as datetimes
    (outside 1970–2099, as text, so that the one date reader reports them), zoned
    timestamps as the date written (their wall time), text as text."""
    import pyarrow as pa
    import pyarrow.compute as pc

    low, high = values_.FIRST_DATE.to_pydatetime(), values_.LAST_DATE.to_pydatetime()
    columns = {}
    for column_field, column in zip(table.schema, table.columns, strict=True):
        kind = column_field.type
        if isinstance(kind, pa.ExtensionType):  # Postgres NUMERIC arrives as text in an opaque type
            column = pa.chunked_array([c.storage for c in column.chunks], type=kind.storage_type)
            kind = kind.storage_type
            if pa.types.is_string(kind) or pa.types.is_large_string(kind):
                try:
                    column, kind = column.cast(pa.float64()), pa.float64()
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    pass  # text that is no number: the validator reports each cell
        if pa.types.is_decimal(kind):
            column = column.cast(pa.float64())
        elif pa.types.is_timestamp(kind) and kind.tz is not None:
            column = pc.local_timestamp(column) if hasattr(pc, "local_timestamp") else column.cast(pa.timestamp("us"))
            kind = column.type
        if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
            stamps = column.cast(pa.timestamp("s"))
            extent = pc.min_max(stamps)
            lowest, highest = extent["min"].as_py(), extent["max"].as_py()
            if lowest is not None and (lowest < low or highest > high):
                column = column.cast(pa.string())
            else:
                column = stamps.cast(pa.timestamp("ns"))
        elif pa.types.is_null(kind):
            column = column.cast(pa.string())
        elif pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
            column = column.cast(pa.string())
        elif pa.types.is_boolean(kind):
            column = column.cast(pa.string())
        columns[column_field.name] = column
    frame: pd.DataFrame = pa.table(columns).to_pandas() if columns else pd.DataFrame(index=range(table.num_rows))
    return frame


def canonical_columns(sheet: str, available: list[str]) -> dict[str, str]:
    """canonical name → the table's own name, for the sheet's columns the table has
    (case-insensitive, spaces as underscores, as file headers are read)."""
    wanted = {c.name for c in schema.SHEETS[sheet].columns}
    every = schema.SHEETS[sheet].open_columns  # the plan: a column per key planned
    found: dict[str, str] = {}
    for original in available:
        name = str(original).strip().lower().replace(" ", "_")
        if (name in wanted or every) and name not in found:
            found[name] = original
    return found


def select_sql(
    table: str, columns: dict[str, str], dialect: str, *, month_column: str | None = None, before: str | None = None
) -> str:
    """``SELECT "Col" AS col, ... FROM schema.table [WHERE month_column < DATE 'before']`` in ``dialect``."""
    from sqlglot import exp

    parts = table.split(".")
    qualified = exp.Table(
        this=exp.to_identifier(parts[-1], quoted=True),
        db=exp.to_identifier(parts[-2], quoted=True) if len(parts) > 1 else None,
        catalog=exp.to_identifier(parts[-3], quoted=True) if len(parts) > 2 else None,
    )
    query = exp.select(
        *[exp.alias_(exp.column(original, quoted=True), name, quoted=True) for name, original in columns.items()]
    ).from_(qualified)
    if month_column is not None and before is not None:
        query = query.where(
            exp.LT(
                this=exp.column(columns[month_column], quoted=True),
                expression=exp.cast(exp.Literal.string(before), "date"),
            )
        )
    return query.sql(dialect=dialect)


def read_table(
    conn: Connection, sheet: str, table: str, *, as_of: pd.Period | None = None
) -> tuple[RawSheet | None, list[Problem]]:
    """Canonical sheet ``sheet`` from ``table``: only its columns, only rows up to ``as_of``."""
    types = conn.column_types(table)
    available = list(types)
    columns = canonical_columns(sheet, available)
    if not columns:
        found = ", ".join(available) or "none"
        wanted = ", ".join(c.name for c in schema.SHEETS[sheet].columns)
        return None, [
            TableProblem(conn.url.shown, f"has none of the {sheet} columns ({wanted}); columns found: {found}", table)
        ]
    month_column = MONTH_COLUMNS.get(sheet)
    before = str((as_of + 1).to_timestamp().date()) if as_of is not None else None
    if month_column not in columns or not re.search("date|timestamp", types[columns[month_column]], re.IGNORECASE):
        month_column = None  # a month kept as text ('2025-03') or SQLite's text dates: no filter
    sql = select_sql(table, columns, conn.dialect, month_column=month_column, before=before)
    return table_sheet(sheet, conn.url.shown, table, conn.arrow(sql)), []


def read_query(conn: Connection, sheet: str, path: Path) -> tuple[RawSheet | None, list[Problem]]:
    """Canonical sheet ``sheet`` from the query in ``path`` (the user's SQL, run as written)."""
    try:
        sql = path.read_text(encoding="utf-8").strip().rstrip(";")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), f"cannot read the query ({exc})")]
    if not sql:
        return None, [Problem(str(path), "the query file is empty")]
    table = conn.arrow(sql)
    renamed = table.rename_columns([str(n).strip().lower().replace(" ", "_") for n in table.column_names])
    return table_sheet(sheet, conn.url.shown, path.name, renamed), []


def read_database_sheets(
    url: DatabaseURL,
    tables: dict[str, str],
    queries: dict[str, Path],
    *,
    as_of: pd.Period | None = None,
) -> tuple[dict[str, RawSheet], list[Problem]]:
    """The canonical sheets named by ``--table sheet=schema.table`` and ``--query sheet=FILE.sql``."""
    sheets: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    with connection(url) as conn:
        for sheet, table in tables.items():
            raw, found = read_table(conn, sheet, table, as_of=as_of)
            problems += found
            if raw is not None:
                sheets[sheet] = raw
        for sheet, path in queries.items():
            raw, found = read_query(conn, sheet, path)
            problems += found
            if raw is not None:
                sheets[sheet] = raw
    return sheets, problems


@dataclass(frozen=True)
class Database:
    """What to read from a database: ``--db URL`` with its ``--table`` and ``--query`` options."""

    url: DatabaseURL
    tables: dict[str, str]
    queries: dict[str, Path]
    #: ``--source fivetran-stripe --schema NAME``: the Fivetran Stripe schema the subscriptions come from
    fivetran_schema: str | None = None
