"""``--engine database`` against the local engine: random ledgers (three currencies with monthly
rates, trials, every interval and its aliases, quantities, both conventions, a history start)
in DuckDB and in a real Postgres server; every key of every month agrees, money to the cent.
The SQL compiled for Snowflake and BigQuery (no warehouse here to run it) is checked against
golden files, with Postgres' and DuckDB's."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from kpi_addin.io.database import DatabaseError, connection, parse_url
from kpi_addin.io.problems import InputError
from kpi_addin.io.schema import INTERVAL_NAMES
from kpi_addin.io.warehouse import database_report
from kpi_addin.metrics import KPIInputError, ReportSettings, monthly_kpis
from kpi_addin.metrics import sql as rules
from kpi_addin.metrics.company import CompanyData
from kpi_addin.metrics.report import COUNT_KEYS, MONTHLY_KEYS

GOLDEN = Path(__file__).parent / "golden" / "sql"
TODAY = pd.Timestamp("2026-03-10").date()
SEEDS = range(6)


def random_company(seed: int) -> CompanyData:
    """A random ledger of ~150 customers over ~4 years, with the awkward cases in it."""
    rng = np.random.default_rng(seed)
    n = 400
    customers = rng.integers(0, 150, n)
    start = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 4 * 365, n), unit="D")
    if seed % 2:  # firsts of months too: month-start and month-end then agree on them
        start = start.where(rng.random(n) < 0.5, start.to_period("M").to_timestamp())
    length = pd.to_timedelta(rng.integers(10, 900, n), unit="D")
    end = (start + length).where(rng.random(n) < 0.6)
    trial = (start + pd.to_timedelta(rng.integers(5, 60, n), unit="D")).where(rng.random(n) < 0.2)
    currency = rng.choice(["USD", "EUR", "GBP"], n, p=[0.7, 0.2, 0.1])
    subs = pd.DataFrame(
        {
            "customer_id": [f"C{c:04d}" for c in customers],
            "amount": np.round(rng.choice([9.99, 49.0, 120.0, 1199.0, 0.004, 33.335], n) * rng.integers(1, 4, n), 3),
            "interval": rng.choice(["month", "year", "quarter", "week", "Monthly", "annual"], n),
            "quantity": rng.choice([1.0, 1.0, 2.0, 5.0], n),
            "currency": currency,
            "start_date": start,
            "end_date": end,
            "trial_end": trial,
        }
    )
    # the local engine takes the reader's names; the database keeps them as written
    subs["written_interval"] = subs["interval"]
    subs["interval"] = subs["interval"].str.lower().map(INTERVAL_NAMES)
    months = pd.period_range("2021-12", "2026-03", freq="M").to_timestamp()
    fx = pd.concat(
        [
            pd.DataFrame(
                {"currency": "EUR", "rate": np.round(1.05 + 0.1 * rng.random(len(months)), 4), "month": months}
            ),
            pd.DataFrame({"currency": ["GBP"], "rate": [1.27], "month": [pd.NaT]}),  # one undated rate
            pd.DataFrame({"currency": ["GBP"], "rate": [1.31], "month": [months[20]]}),  # a dated one wins
        ],
        ignore_index=True,
    )
    convention = "month-start" if seed % 3 == 2 else "month-end"
    history_start = pd.Period("2023-01", "M") if seed % 4 == 3 else None
    as_of = None if seed % 2 else pd.Period("2025-11", "M")
    return CompanyData(
        subscriptions=subs,
        fx_rates=fx,
        settings=ReportSettings(convention=convention, history_start=history_start, as_of=as_of),
    )


def canonical_table(subs: pd.DataFrame) -> pa.Table:
    """As a database holds it: dates as DATE, the interval aliases as written."""
    if "written_interval" in subs:
        subs = subs.assign(interval=subs["written_interval"]).drop(columns="written_interval")
    table = pa.Table.from_pandas(subs, preserve_index=False)
    for name in ("start_date", "end_date", "trial_end"):
        table = table.set_column(table.schema.get_field_index(name), name, table[name].cast(pa.date32()))
    return table


def assert_same(local, database) -> None:
    """Every key of every month: counts exactly, money to the cent, rates to 1e-9; undefined alike."""
    a, b = local.monthly, database.monthly
    assert list(a.index) == list(b.index) and list(a.columns) == list(b.columns) == list(MONTHLY_KEYS[1:])
    from kpi_addin.metrics import REGISTRY

    for key in a.columns:
        x, y = a[key].to_numpy(dtype=float), b[key].to_numpy(dtype=float)
        assert (np.isnan(x) == np.isnan(y)).all(), key
        x, y = x[~np.isnan(x)], y[~np.isnan(y)]
        if key in COUNT_KEYS:
            assert (x == y).all(), key
        elif key in ("mrr", "arr") or key.endswith("_mrr") or REGISTRY[key].unit == "money":
            assert np.abs(x - y).max(initial=0) < 0.005, key
        else:
            assert np.allclose(x, y, rtol=1e-9, atol=1e-12), key
    pd.testing.assert_frame_equal(local.bridge, database.bridge, check_exact=False, atol=0.005, rtol=0)


def run_both(url: str, company: CompanyData, table: str):
    local = monthly_kpis(company, today=TODAY)
    with connection(parse_url(url)) as conn:
        conn.ingest(table, canonical_table(company.subscriptions))
        without_ledger = dataclasses.replace(company, subscriptions=company.subscriptions.iloc[:0])
        database = database_report(conn, without_ledger, table=table, today=TODAY)
    return local, database


@pytest.mark.parametrize("seed", SEEDS)
def test_duckdb_agrees_with_the_local_engine(tmp_path, seed):
    import duckdb

    company = random_company(seed)
    local = monthly_kpis(company, today=TODAY)
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.register("t", canonical_table(company.subscriptions))
    conn.execute("CREATE TABLE ledger AS SELECT * FROM t")
    conn.close()
    with connection(parse_url(f"duckdb:///{tmp_path}/w.duckdb")) as db:
        database = database_report(
            db, dataclasses.replace(company, subscriptions=company.subscriptions.iloc[:0]), table="ledger", today=TODAY
        )
    assert local.monthly["mrr"].gt(0).sum() > 12 and local.monthly["expansion_mrr"].gt(0).any()
    assert_same(local, database)


@pytest.mark.parametrize("candidates", [1, 12, 60, 200])
def test_top10_share_is_exact_whatever_the_number_of_candidate_spans(tmp_path, monkeypatch, candidates):
    # few candidates: a low floor, or months with fewer than ten candidates ranked in full (200: the
    # early months only, which a floor alone would get wrong)
    company = random_company(3)
    local = monthly_kpis(company, today=TODAY)
    monkeypatch.setattr(rules, "TOP_CANDIDATES", candidates)
    import duckdb

    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.register("t", canonical_table(company.subscriptions))
    conn.execute("CREATE TABLE ledger AS SELECT * FROM t")
    conn.close()
    with connection(parse_url(f"duckdb:///{tmp_path}/w.duckdb")) as db:
        database = database_report(
            db, dataclasses.replace(company, subscriptions=company.subscriptions.iloc[:0]), table="ledger", today=TODAY
        )
    mine, theirs = local.monthly["top10_share"], database.monthly["top10_share"]
    assert mine.lt(1).sum() > 6  # months with more than ten customers: a real ranking
    assert np.allclose(mine, theirs, rtol=1e-9, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("seed", SEEDS)
def test_postgres_agrees_with_the_local_engine(postgres_url, seed):
    company = random_company(seed)
    local, database = run_both(postgres_url, company, f"ledger_{seed}")
    assert local.monthly["reactivation_mrr"].gt(0).any() or local.monthly["churned_mrr"].gt(0).any()
    assert_same(local, database)


def test_the_sample_company_in_postgres(postgres_url, sample_company):
    company = dataclasses.replace(sample_company, settings=ReportSettings(as_of=pd.Period("2025-12", "M")))
    local, database = run_both(postgres_url, company, "sample_ledger")
    assert_same(local, database)
    assert database.customer_levels is None
    with pytest.raises(KPIInputError, match="the database engine computes the monthly figures only"):
        database.cohorts()


def test_bad_rows_are_found_inside_the_database_and_located(tmp_path):
    subs = pd.DataFrame(
        {
            "customer_id": ["a", "b", None],
            "amount": [10.0, -5.0, 3.0],
            "interval": ["month", "fortnight", "month"],
            "start_date": pd.to_datetime(["2025-01-05", "2025-02-01", "2025-02-03"]),
            "end_date": pd.to_datetime([None, "2025-01-10", None]),
        }
    )
    url = f"duckdb:///{tmp_path}/w.duckdb"
    import duckdb

    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.register("t", canonical_table(subs.assign(quantity=1.0, currency="USD", trial_end=pd.NaT)))
    conn.execute("CREATE TABLE ledger AS SELECT * FROM t")
    conn.close()
    with connection(parse_url(url)) as db, pytest.raises(InputError) as caught:
        database_report(db, CompanyData(subscriptions=subs.iloc[:0]), table="ledger", today=TODAY)
    where = f"{url} ledger"
    assert [str(p) for p in caught.value.problems] == [
        f"{where}.customer_id [start_date=2025-02-03]: is blank; a value is required",
        f"{where}.amount [customer_id='b', start_date=2025-02-01]: -5.0 is negative",
        f"{where}.interval [customer_id='b', start_date=2025-02-01]: 'fortnight' unknown interval "
        "(use month, quarter, year or week)",
        f"{where}.end_date [customer_id='b', start_date=2025-02-01]: 2025-01-10 is before start_date",
    ]


def test_a_missing_rate_and_a_text_date_column_are_errors(tmp_path):
    import duckdb

    subs = pd.DataFrame(
        {"customer_id": ["a"], "amount": [10.0], "currency": ["EUR"], "start_date": pd.to_datetime(["2025-01-05"])}
    )
    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.register("t", canonical_table(subs.assign(end_date=pd.NaT, trial_end=pd.NaT)))
    conn.execute("CREATE TABLE ledger AS SELECT * FROM t")
    conn.execute("CREATE TABLE texty AS SELECT customer_id, amount, CAST(start_date AS VARCHAR) AS start_date FROM t")
    conn.close()
    url = parse_url(f"duckdb:///{tmp_path}/w.duckdb")
    empty = CompanyData(subscriptions=subs.iloc[:0])
    with connection(url) as db:
        with pytest.raises(InputError, match="currency EUR is used but there is no fx_rates sheet"):
            database_report(db, empty, table="ledger", today=TODAY)
        months = pd.to_datetime(["2025-01-01", "2025-02-01"])
        rates = pd.DataFrame({"currency": "EUR", "rate": 1.1, "month": months})
        dated = dataclasses.replace(empty, fx_rates=rates, settings=ReportSettings(as_of=pd.Period("2025-04", "M")))
        with pytest.raises(KPIInputError, match="no exchange rate in 2025-03, 2025-04"):
            database_report(db, dated, table="ledger", today=TODAY)
        with pytest.raises(InputError, match=r"texty\.start_date: is string; --engine database needs a DATE"):
            database_report(db, empty, table="texty", today=TODAY)
        with pytest.raises(DatabaseError, match="cannot read table 'nope'"):
            database_report(db, empty, table="nope", today=TODAY)


def golden_ledger() -> rules.Ledger:
    return rules.Ledger(
        "billing.subscriptions",
        {c: c.upper() if c == "customer_id" else c for c in rules.LEDGER_COLUMNS},
    )


@pytest.mark.parametrize("query", ["monthly", "top"])
@pytest.mark.parametrize("dialect", rules.DIALECTS)
def test_the_sql_for_each_warehouse_matches_its_golden_file(dialect, query):
    sql = (rules.monthly_sql if query == "monthly" else rules.top_sql)(
        golden_ledger(),
        dialect=dialect,
        reporting_currency="USD",
        interval_names=INTERVAL_NAMES,
        convention="month-end",
        first=648,
        last=671,
        rates=[("EUR", None, 1.08), ("EUR", 660, 1.1), ("GBP", None, 1.27)],
    )
    import sqlglot

    sqlglot.parse_one(sql, read=dialect)  # it parses back in its own dialect
    golden = GOLDEN / f"{query}.{dialect}.sql"
    if os.environ.get("KPI_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(sql + "\n", encoding="utf-8")
    assert sql == golden.read_text(encoding="utf-8").rstrip("\n")
    assert "SELECT *" not in sql
    if dialect == "bigquery":
        assert "`billing`.`subscriptions`" in sql and "FLOAT64" in sql
    if dialect == "snowflake":
        assert '"billing"."subscriptions"' in sql and "DATE_PART(YEAR" in sql
