"""Stripe synced by Fivetran (``--source fivetran-stripe --db URL --schema stripe``): the
hand-worked company of tests/test_sources_stripe_invoices.py as a Fivetran schema
(tests/fixtures/fivetran_stripe.sql), in DuckDB and in a real Postgres server.  The same
invoice rules read it, so the figures are the hand-worked ones and equal the line-item
export's, key for key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpi_addin.io.database import connection, parse_url
from kpi_addin.io.inputs import load_company
from kpi_addin.io.reader import company_from_sheets
from kpi_addin.io.sources.fivetran_stripe import read_fivetran_stripe
from kpi_addin.metrics import monthly_kpis

FIXTURE = Path(__file__).parent / "fixtures" / "fivetran_stripe.sql"
LINE_ITEMS = Path(__file__).parent / "fixtures" / "exports" / "stripe_invoice_line_items.csv"
TODAY = pd.Timestamp("2025-05-20").date()


def load_fixture(url: str, schema: str) -> None:
    with connection(parse_url(url)) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        for statement in FIXTURE.read_text(encoding="utf-8").format(schema=schema).split(";\n"):
            body = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
            if body:
                conn.execute(body)


def report(url: str, schema: str, as_of: pd.Period | None = None):
    with connection(parse_url(url)) as conn:
        raw, problems, notes = read_fivetran_stripe(conn, schema, as_of=as_of)
    assert not problems and raw is not None
    company, _warnings = company_from_sheets({"subscriptions": raw}, url, given={"as_of": as_of})
    return monthly_kpis(company, today=TODAY), notes


def check_the_hand_worked_company(monthly: pd.DataFrame) -> None:
    assert [str(m) for m in monthly.index] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert monthly["mrr"].tolist() == pytest.approx([430, 550, 580, 490], abs=1e-9)
    assert monthly["customers"].tolist() == [5, 6, 7, 5]
    assert monthly["new_customers"].tolist() == [5, 1, 1, 0]
    assert monthly["expansion_mrr"].tolist() == pytest.approx([0, 100, 0, 0])  # C's upgrade, in February
    assert monthly["contraction_mrr"].tolist() == pytest.approx([0, 40, 0, 0])  # D's downgrade, in February
    assert monthly["churned_customers"].tolist() == [0, 0, 0, 2]
    assert monthly["churned_mrr"].iloc[3] == pytest.approx(60 + 30)


@pytest.fixture(scope="module")
def from_the_export() -> pd.DataFrame:
    company, _notes, _warnings = load_company(subscriptions=LINE_ITEMS, source="stripe-invoices")
    return monthly_kpis(company, today=TODAY).monthly


def test_duckdb_fivetran_schema(tmp_path, from_the_export):
    url = f"duckdb:///{tmp_path}/warehouse.duckdb"
    load_writable(tmp_path / "warehouse.duckdb", "stripe")
    result, notes = report(url, "stripe")
    check_the_hand_worked_company(result.monthly)
    pd.testing.assert_frame_equal(result.monthly, from_the_export)  # one set of rules, the same figures
    assert any("proration line(s)" in n for n in notes) and any("void line item(s) left out" in n for n in notes)


def load_writable(path: Path, schema: str) -> None:
    import duckdb

    conn = duckdb.connect(str(path))
    conn.execute(f"CREATE SCHEMA {schema}")
    for statement in FIXTURE.read_text(encoding="utf-8").format(schema=schema).split(";\n"):
        body = "\n".join(line for line in statement.splitlines() if not line.startswith("--")).strip()
        if body:
            conn.execute(body)
    conn.close()


def test_postgres_fivetran_schema(postgres_url, from_the_export):
    load_fixture(postgres_url, "stripe")
    result, _notes = report(postgres_url, "stripe")
    check_the_hand_worked_company(result.monthly)
    pd.testing.assert_frame_equal(result.monthly, from_the_export)
    # only lines whose period starts by the month asked for cross the connection; C's upgrade of
    # 22 February, billed on the March invoice, still counts in February
    early, _ = report(postgres_url, "stripe", as_of=pd.Period("2025-02", "M"))
    assert early.monthly["mrr"].tolist() == pytest.approx([430, 550], abs=1e-9)


def test_a_schema_that_is_not_fivetrans(tmp_path):
    path = tmp_path / "w.duckdb"
    import duckdb

    conn = duckdb.connect(str(path))
    conn.execute("CREATE SCHEMA stripe")
    conn.execute("CREATE TABLE stripe.invoice (id TEXT, customer_id TEXT, created TIMESTAMP)")
    conn.close()
    with connection(parse_url(f"duckdb:///{path}")) as db:
        raw, problems, _notes = read_fivetran_stripe(db, "stripe")
    assert raw is None
    assert [str(p) for p in problems] == [
        f"duckdb:///{path} stripe.invoice_line_item: no such table in the Fivetran Stripe schema",
        f"duckdb:///{path} stripe.invoice: missing column(s) status",
    ]


def test_a_bad_line_is_located_by_its_id(tmp_path):
    load_writable(tmp_path / "w.duckdb", "stripe")
    import duckdb

    conn = duckdb.connect(str(tmp_path / "w.duckdb"))
    conn.execute("UPDATE stripe.invoice SET status = 'refunded-ish' WHERE id = 'in_A2'")
    conn.close()
    url = f"duckdb:///{tmp_path}/w.duckdb"
    with connection(parse_url(url)) as db:
        raw, problems, _notes = read_fivetran_stripe(db, "stripe")
    assert raw is None
    assert str(problems[0]).startswith(
        f"{url} stripe.invoice_line_item.invoice_status [id='il_002']: unknown status 'refunded-ish'"
    )
