"""The canonical sheets read from database tables, queries and Parquet files.

What is read is ``SELECT <the sheet's canonical columns> FROM <table> [WHERE <months up to
as-of>]`` — never ``SELECT *`` — or the user's own query; Parquet files give only those
columns too.  The rows then go through the same validation as a file's, and a problem is
located as ``table.column [row key]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import schema
from . import values as values_
from .database import Connection, DatabaseURL, connection
from .reader import Problem, RawSheet

if TYPE_CHECKING:
    import pyarrow as pa

#: Columns that locate a row of each sheet in messages (the row key).
ROW_KEYS: dict[str, tuple[str, ...]] = {
    "subscriptions": ("customer_id", "start_date"),
    "funnel": ("month",),
    "costs": ("month",),
    "nps": ("date", "respondent"),
    "balance_sheet": ("period",),
    "targets": ("kpi",),
    "fx_rates": ("currency", "month"),
    "settings": ("key",),
}
#: The date column that says which month a row belongs to: rows after the last month reported
#: are not read (a subscription starting after it earns nothing up to it).
MONTH_COLUMNS = {"subscriptions": "start_date", "funnel": "month", "costs": "month", "nps": "date"}


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
    found: dict[str, str] = {}
    for original in available:
        name = str(original).strip().lower().replace(" ", "_")
        if name in wanted and name not in found:
            found[name] = original
    return found


def quote(name: str, dialect: str) -> str:
    """An identifier quoted for ``dialect`` (BigQuery's backticks, everyone else's double quotes)."""
    mark = "`" if dialect == "bigquery" else '"'
    return mark + name.replace(mark, mark * 2) + mark


def select_sql(
    table: str, columns: dict[str, str], dialect: str, *, month_column: str | None = None, before: str | None = None
) -> str:
    """``SELECT "Col" AS "col", ... FROM "schema"."table" [WHERE "month_column" < CAST('before' AS DATE)]``.

    Written by hand, not by sqlglot: reading a table should not cost sqlglot's import (about
    a second); the one statement here is plain SQL every dialect takes.
    """
    picked = ", ".join(f"{quote(original, dialect)} AS {quote(name, dialect)}" for name, original in columns.items())
    source = ".".join(quote(part, dialect) for part in table.split("."))
    sql = f"SELECT {picked} FROM {source}"
    if month_column is not None and before is not None:
        sql += f" WHERE {quote(columns[month_column], dialect)} < CAST('{before}' AS DATE)"
    return sql


def read_table(
    conn: Connection, sheet: str, table: str, *, as_of: pd.Period | None = None
) -> tuple[RawSheet | None, list[Problem]]:
    """Canonical sheet ``sheet`` from ``table``: only its columns, only rows up to ``as_of``."""
    available = conn.columns(table)
    columns = canonical_columns(sheet, available)
    if not columns:
        found = ", ".join(available) or "none"
        wanted = ", ".join(c.name for c in schema.SHEETS[sheet].columns)
        return None, [
            TableProblem(conn.url.shown, f"has none of the {sheet} columns ({wanted}); columns found: {found}", table)
        ]
    month_column = MONTH_COLUMNS.get(sheet)
    before = str((as_of + 1).to_timestamp().date()) if as_of is not None else None
    if month_column not in columns or conn.dialect == "sqlite":  # sqlite keeps dates as text: no date filter
        month_column = None
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


# --------------------------------------------------------------------------- Parquet


def is_parquet(path: Path) -> bool:
    """A ``.parquet`` file, or a folder holding one."""
    if path.is_dir():
        return any(p.suffix.lower() == ".parquet" for p in path.iterdir())
    return path.suffix.lower() == ".parquet"


def load_parquet(path: Path) -> tuple[dict[str, RawSheet], list[Problem]]:
    """A Parquet file (the subscriptions) or a folder of ``sheet.parquet`` files (CSV files
    beside them are read too): only the sheets' canonical columns are read."""
    from .reader import load_raw_sheets

    if not path.is_dir():
        raw, found = _parquet_sheet(path, "subscriptions", str(path))
        return ({"subscriptions": raw} if raw is not None else {}), found
    sheets: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    if any(p.suffix.lower() == ".csv" for p in path.iterdir()):
        sheets, problems = load_raw_sheets(path)
    for name in schema.SHEETS:
        files = [p for p in sorted(path.iterdir()) if p.suffix.lower() == ".parquet" and p.stem.strip().lower() == name]
        if not files:
            continue
        if name in sheets or len(files) > 1:
            shown = ", ".join([p.name for p in files] + ([sheets[name].label] if name in sheets else []))
            problems.append(Problem(str(path), f"{shown} are the same sheet; keep one of them", files[0].name))
            continue
        raw, found = _parquet_sheet(files[0], name, str(path))
        problems += found
        if raw is not None:
            sheets[name] = raw
    return sheets, problems


def _parquet_sheet(path: Path, sheet: str, source: str) -> tuple[RawSheet | None, list[Problem]]:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
        columns = canonical_columns(sheet, names)
        table = pq.read_table(path, columns=list(columns.values()))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own error types
        return None, [Problem(source, f"not a readable Parquet file ({str(exc).splitlines()[0]})", path.name)]
    table = table.rename_columns(list(columns))
    return table_sheet(sheet, source if path.name == Path(source).name else f"{source}/{path.name}", sheet, table), []
