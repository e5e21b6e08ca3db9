"""The command line with databases: ``metrics``, ``movements`` and ``dashboard`` from DuckDB,
Postgres and Parquet give the numbers of the files; ``--engine database`` those of the local
engine; ``--source fivetran-stripe``; credentials never on the command line or in output."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.io import sample_path

from .postgres import PASSWORD
from .test_database_read import duckdb_file, fill, sample_tables

TABLES = ["--table", "subscriptions=billing.subscriptions", "--table", "costs=billing.costs",
          "--table", "funnel=billing.funnel", "--table", "nps=billing.nps", "--table", "fx_rates=billing.fx_rates",
          "--table", "settings=billing.settings", "--table", "targets=billing.targets",
          "--table", "balance_sheet=billing.balance_sheet"]  # fmt: skip
AS_OF = ["--as-of", "2025-12"]


def run(*args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, list(args), env=env)
    return result


def ok(*args: str, env: dict[str, str] | None = None) -> str:
    result = run(*args, env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def from_files() -> dict:
    return json.loads(ok("metrics", "--format", "json", "--data", str(sample_path()), *AS_OF))


@pytest.fixture(scope="module")
def movements_from_files() -> str:
    return ok("movements", "--format", "csv", "--data", str(sample_path()), "--to", "2025-12")


@pytest.fixture
def duckdb_url(tmp_path) -> str:
    return duckdb_file(tmp_path, sample_tables()).url.url


def without_notes(report: dict) -> dict:
    """The report without its notes, and without the files' plan (the database gives no plan table)."""
    out = {k: v for k, v in report.items() if k not in ("notes", "plan_scenario")}
    if "months" in out:
        out["months"] = [{k: v for k, v in m.items() if k not in ("plan", "variance")} for m in out["months"]]
    return out


def test_metrics_and_movements_from_duckdb(duckdb_url, from_files, movements_from_files):
    got = json.loads(ok("metrics", "--format", "json", "--db", duckdb_url, *TABLES, *AS_OF))
    assert without_notes(got) == without_notes(from_files)
    assert ok("movements", "--format", "csv", "--db", duckdb_url, *TABLES, "--to", "2025-12") == movements_from_files


def test_engine_database_gives_the_local_engines_numbers(duckdb_url, from_files):
    got = json.loads(ok("metrics", "--format", "json", "--db", duckdb_url, *TABLES, *AS_OF, "--engine", "database"))
    assert [m["month"] for m in got["months"]] == [m["month"] for m in from_files["months"]]
    assert not any("top10_share" in w for w in got["warnings"])  # computed inside the database too
    for mine, theirs in zip(got["months"], from_files["months"], strict=True):
        for key, value in theirs.items():
            if key in ("plan", "variance"):  # the files' plan: the database gives no plan table
                continue
            if isinstance(value, float):
                assert mine[key] == pytest.approx(value, rel=1e-9, abs=0.005), (mine["month"], key)
            else:
                assert mine[key] == value, (mine["month"], key)
    result = run("movements", "--db", duckdb_url, *TABLES, "--engine", "database")
    assert result.exit_code == 2 and "--engine" in result.output


def test_metrics_movements_and_dashboard_from_postgres_with_the_url_in_the_environment(
    postgres_url, from_files, movements_from_files, tmp_path
):
    db = fill(postgres_url, sample_tables(), schema="cli")
    tables = [a.replace("billing.", "cli.") for a in TABLES]
    env = {"KPI_DB_URL": db.url.url}
    got = json.loads(ok("metrics", "--format", "json", "--db", "env:KPI_DB_URL", *tables, *AS_OF, env=env))
    assert without_notes(got) == without_notes(from_files)
    both = json.loads(
        ok("metrics", "--format", "json", "--db", "env:KPI_DB_URL", *tables, *AS_OF, "--engine", "database", env=env)
    )
    assert [m["mrr"] for m in both["months"]] == pytest.approx([m["mrr"] for m in from_files["months"]], abs=0.005)
    assert PASSWORD not in json.dumps(got) + json.dumps(both)
    movements = ok("movements", "--format", "csv", "--db", "env:KPI_DB_URL", *tables, "--to", "2025-12", env=env)
    assert movements == movements_from_files
    out = tmp_path / "kpi.xlsx"
    ok("dashboard", "--db", "env:KPI_DB_URL", *tables, *AS_OF, "--out", str(out), env=env)
    assert out.exists() and PASSWORD.encode() not in out.read_bytes()


def test_a_password_on_the_command_line_is_refused_and_never_printed(postgres_url):
    result = run("metrics", "--db", postgres_url, "--table", "subscriptions=x")
    assert result.exit_code == 2
    assert "env:KPI_DB_URL" in result.output and PASSWORD not in result.output
    wrong = postgres_url.replace(PASSWORD, "Wr0ng-" + PASSWORD)
    result = run("metrics", "--db", "env:KPI_DB_URL", "--table", "subscriptions=x", env={"KPI_DB_URL": wrong})
    assert result.exit_code == 1
    assert "password authentication failed" in result.output
    assert PASSWORD not in result.output and "Wr0ng" not in result.output


def test_metrics_movements_and_dashboard_from_parquet(tmp_path, from_files, movements_from_files):
    folder = tmp_path / "pq"
    folder.mkdir()
    for name, table in sample_tables().items():
        pq.write_table(table, folder / f"{name}.parquet")
    got = json.loads(ok("metrics", "--format", "json", "--data", str(folder), *AS_OF))
    assert without_notes(got) == without_notes(from_files)
    assert ok("movements", "--format", "csv", "--data", str(folder), "--to", "2025-12") == movements_from_files
    out = tmp_path / "kpi.xlsx"
    ok("dashboard", "--data", str(folder), *AS_OF, "--out", str(out), "--template", "executive")
    assert out.exists() and out.stat().st_size > 10_000


def test_dashboard_from_duckdb(duckdb_url, tmp_path):
    out = tmp_path / "kpi.xlsx"
    ok("dashboard", "--db", duckdb_url, *TABLES, *AS_OF, "--out", str(out), "--template", "executive")
    assert out.exists()


def test_fivetran_stripe_from_the_command_line(tmp_path):
    from .test_sources_fivetran_stripe import load_writable

    load_writable(tmp_path / "w.duckdb", "stripe")
    args = ["metrics", "--format", "json", "--source", "fivetran-stripe", "--db", f"duckdb:///{tmp_path}/w.duckdb"]
    got = json.loads(ok(*args, "--schema", "stripe", "--as-of", "2025-04"))
    assert [m["mrr"] for m in got["months"]] == pytest.approx([430, 550, 580, 490])
    result = run("metrics", "--source", "fivetran-stripe", "--schema", "stripe")
    assert result.exit_code == 2 and "--db" in result.output


def test_usage_errors(duckdb_url):
    for args, said in (
        (["--table", "subscriptions=billing.subscriptions"], "give --db URL"),
        (["--db", duckdb_url, "--table", "subscription=x"], "unknown sheet 'subscription'"),
        (["--db", duckdb_url, "--table", "subscriptions"], "write SHEET=NAME"),
        (["--db", duckdb_url], "--db needs --table"),
        (["--db", "mysql://h/db", "--table", "subscriptions=x"], "unknown kind of database"),
    ):
        result = run("metrics", *args)
        assert result.exit_code in (1, 2) and said in result.output, (args, result.output)
