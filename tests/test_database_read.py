"""Reading the canonical sheets from DuckDB, a real Postgres server, SQLite and Parquet:
the same numbers as from the files, the same validation with problems located as
``table.column [row key]``, only the needed columns and rows read, and never a password
in any output."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from kpi_addin.io import sample_path
from kpi_addin.io.database import (
    Database,
    DatabaseError,
    connection,
    parse_url,
    read_table,
    select_sql,
    shown_url,
)
from kpi_addin.io.inputs import load_company
from kpi_addin.io.problems import InputError
from kpi_addin.metrics import monthly_kpis

from .postgres import PASSWORD

SHEETS = ("subscriptions", "costs", "funnel", "nps", "fx_rates", "settings", "targets", "balance_sheet")
TODAY = pd.Timestamp("2026-06-15").date()


def sample_tables() -> dict[str, pa.Table]:
    """The bundled sample's CSV files as Arrow tables, typed as a database would hold them;
    the subscriptions' columns in mixed case and an extra column, as real tables have."""
    tables = {}
    for name in SHEETS:
        table = pa_csv.read_csv(sample_path() / f"{name}.csv")
        if name == "subscriptions":
            table = table.rename_columns(["Customer_ID" if c == "customer_id" else c for c in table.column_names])
            table = table.append_column("internal_note", pa.array(["not read"] * table.num_rows))
        tables[name] = table
    return tables


def fill(url: str, tables: dict[str, pa.Table], schema: str = "billing") -> Database:
    with connection(parse_url(url)) as conn:
        if conn.dialect != "sqlite":
            conn.arrow(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        for name, table in tables.items():
            conn.ingest(f"{schema}.{name}" if conn.dialect != "sqlite" else name, table)
        if conn.dialect == "duckdb":
            conn._handle.commit()
    prefix = f"{schema}." if not url.startswith("sqlite") else ""
    return Database(parse_url(url), {n: prefix + n for n in tables}, {})


def duckdb_file(tmp_path: Path, tables: dict[str, pa.Table]) -> Database:
    import duckdb

    path = tmp_path / "warehouse.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("CREATE SCHEMA billing")
    for name, table in tables.items():
        conn.register("t", table)
        conn.execute(f"CREATE TABLE billing.{name} AS SELECT * FROM t")
        conn.unregister("t")
    conn.close()
    return Database(parse_url(f"duckdb:///{path}"), {n: f"billing.{n}" for n in tables}, {})


def monthly(company) -> pd.DataFrame:
    return monthly_kpis(company, today=TODAY).monthly


@pytest.fixture(scope="module")
def from_files() -> pd.DataFrame:
    return monthly(load_company(sample_path())[0])


def test_duckdb_gives_the_numbers_of_the_files(tmp_path, from_files):
    db = duckdb_file(tmp_path, sample_tables())
    company, _notes, _warnings = load_company(database=db)
    assert "internal_note" not in company.subscriptions  # only the sheet's columns are read
    pd.testing.assert_frame_equal(monthly(company), from_files)
    assert company.source == f"duckdb:///{tmp_path}/warehouse.duckdb"


def test_postgres_gives_the_numbers_of_the_files(postgres_url, from_files):
    db = fill(postgres_url, sample_tables(), schema="sample")
    company, _notes, _warnings = load_company(database=db)
    pd.testing.assert_frame_equal(monthly(company), from_files)
    assert PASSWORD not in company.source and "kpi:***@" in company.source


def test_sqlite_gives_the_numbers_of_the_files(tmp_path, from_files):
    pytest.importorskip("adbc_driver_sqlite")
    path = tmp_path / "billing.sqlite"
    path.touch()
    db = fill(f"sqlite:///{path}", sample_tables())
    company, _notes, _warnings = load_company(database=db)
    pd.testing.assert_frame_equal(monthly(company), from_files)


def test_parquet_file_and_folder_give_the_numbers_of_the_files(tmp_path, from_files):
    tables = sample_tables()
    folder = tmp_path / "pq"
    folder.mkdir()
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet")
    pd.testing.assert_frame_equal(monthly(load_company(folder)[0]), from_files)
    # one ledger file is the subscriptions alone: its EUR rows have no rate, located by row key
    with pytest.raises(
        InputError,
        match=r"subscriptions\.parquet subscriptions\.currency \[row 1, customer_id='C0001', "
        r"start_date=2024-01-06\]: currency EUR is used by \d+ row\(s\) but there is no fx_rates sheet",
    ):
        load_company(folder / "subscriptions.parquet")
    # a folder mixing CSV and Parquet files: each sheet once
    (folder / "costs.parquet").rename(folder / "costs.keep")
    (folder / "costs.csv").write_bytes((sample_path() / "costs.csv").read_bytes())
    pd.testing.assert_frame_equal(monthly(load_company(folder)[0]), from_files)
    (folder / "costs.keep").rename(folder / "costs.parquet")
    with pytest.raises(InputError, match=r"costs\.parquet, costs\.csv are the same sheet"):
        load_company(folder)


def test_only_the_needed_columns_and_rows_are_read(tmp_path):
    sql = select_sql("billing.subs", {"customer_id": "Customer_ID", "amount": "amount", "start_date": "start_date"},
                     "postgres", month_column="start_date", before="2025-07-01")  # fmt: skip
    assert sql == (
        'SELECT "Customer_ID" AS "customer_id", "amount" AS "amount", "start_date" AS "start_date" '
        'FROM "billing"."subs" WHERE "start_date" < CAST(\'2025-07-01\' AS DATE)'
    )
    assert "*" not in sql
    db = duckdb_file(tmp_path, sample_tables())
    with connection(db.url) as conn:
        raw, problems = read_table(conn, "subscriptions", "billing.subscriptions", as_of=pd.Period("2024-06", "M"))
    assert not problems and raw is not None
    assert list(raw.frame.columns) == [
        "customer_id", "customer_name", "plan", "amount", "interval", "quantity", "currency",
        "start_date", "end_date", "trial_end",
    ]  # fmt: skip
    everything = pa_csv.read_csv(sample_path() / "subscriptions.csv").to_pandas()
    expected = int((pd.to_datetime(everything["start_date"]) < "2024-07-01").sum())
    assert len(raw.frame) == expected < len(everything)


def test_bad_cells_are_located_by_table_column_and_row_key(tmp_path):
    subs = pa.table(
        {
            "customer_id": ["a", "b", "c", None],
            "amount": [10.0, -3.0, 5.0, 4.0],
            "interval": ["month", "fortnight", "month", "month"],
            "start_date": pa.array(
                [pd.Timestamp(d).date() for d in ["2025-01-05", "2025-02-01", "2025-03-01", "2025-03-02"]]
            ),
            "end_date": pa.array([None, pd.Timestamp("2025-01-01").date(), None, None], type=pa.date32()),
        }
    )  # fmt: skip
    db = duckdb_file(tmp_path, {"subscriptions": subs})
    with pytest.raises(InputError) as caught:
        load_company(database=db)
    shown = [str(p) for p in caught.value.problems]
    source = f"duckdb:///{tmp_path}/warehouse.duckdb billing.subscriptions"
    assert shown == [
        f"{source}.customer_id [row 4, start_date=2025-03-02]: is blank; a value is required",
        f"{source}.amount [row 2, customer_id='b', start_date=2025-02-01]: -3 is negative",
        f"{source}.interval [row 2, customer_id='b', start_date=2025-02-01]: unknown interval 'fortnight' "
        "(use month, quarter, year or week)",
        f"{source}.end_date [row 2, customer_id='b', start_date=2025-02-01]: end_date 2025-01-01 is before "
        "start_date 2025-02-01",
    ]


def test_a_table_without_the_sheets_columns_and_a_missing_table(tmp_path):
    db = duckdb_file(tmp_path, {"subscriptions": pa.table({"who": ["a"], "what": [1]})})
    with pytest.raises(
        InputError, match=r"billing\.subscriptions: has none of the subscriptions columns .* found: who, what"
    ):
        load_company(database=db)
    missing = Database(db.url, {"subscriptions": "billing.nope"}, {})
    with pytest.raises(DatabaseError, match=r"cannot read table 'billing\.nope'"):
        load_company(database=missing)


def test_a_query_file_is_read_as_a_sheet(tmp_path, from_files):
    db = duckdb_file(tmp_path, sample_tables())
    query = tmp_path / "subs.sql"
    query.write_text(
        "SELECT Customer_ID AS customer_id, amount, interval, quantity, currency, start_date, end_date,\n"
        "trial_end FROM billing.subscriptions;\n"
    )
    company = load_company(database=Database(db.url, {k: v for k, v in db.tables.items() if k != "subscriptions"},
                                             {"subscriptions": query}))[0]  # fmt: skip
    pd.testing.assert_frame_equal(monthly(company), from_files)
    query.write_text("SELECT nonsense FROM billing.subscriptions")
    with pytest.raises(DatabaseError, match="nonsense"):
        load_company(database=Database(db.url, {}, {"subscriptions": query}))


def test_the_url_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KPI_DB_URL", f"duckdb:///{tmp_path}/x.duckdb")
    assert parse_url("env:KPI_DB_URL").url == f"duckdb:///{tmp_path}/x.duckdb"
    monkeypatch.delenv("KPI_DB_URL")
    with pytest.raises(DatabaseError, match="the environment variable KPI_DB_URL is not set"):
        parse_url("env:KPI_DB_URL")
    with pytest.raises(DatabaseError, match="unknown kind of database"):
        parse_url("mysql://u:pw@h/db")
    with pytest.raises(DatabaseError) as caught:
        parse_url("mysql://u:pw@h/db")
    assert "pw@" not in str(caught.value) and "u:***@h" in str(caught.value)


def test_no_message_prints_a_password(postgres_url):
    wrong = postgres_url.replace(PASSWORD, "Wr0ng-" + PASSWORD)
    with pytest.raises(DatabaseError) as caught:
        with connection(parse_url(wrong)):
            pass
    message = str(caught.value)
    assert "password authentication failed" in message
    assert PASSWORD not in message and "Wr0ng" not in message
    assert "kpi:***@127.0.0.1" in message
    with connection(parse_url(postgres_url)) as conn, pytest.raises(DatabaseError) as caught:
        conn.arrow(f"SELECT '{PASSWORD}'::int")  # an error quoting the password back
    assert PASSWORD not in str(caught.value) and "***" in str(caught.value)
    assert PASSWORD not in repr(parse_url(postgres_url))
    assert (
        shown_url("snowflake://me:pw@acct/db?token=abc&warehouse=wh")
        == "snowflake://me:***@acct/db?token=***&warehouse=wh"
    )


def test_a_missing_driver_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "adbc_driver_snowflake", None)
    monkeypatch.setitem(sys.modules, "adbc_driver_snowflake.dbapi", None)
    with pytest.raises(DatabaseError) as caught:
        connection(parse_url("snowflake://me:pw@acct/db")).__enter__()
    assert str(caught.value) == "reading snowflake:// needs its driver: pip install 'kpi-addin[snowflake]'"
