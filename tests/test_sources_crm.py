"""The funnel from the CRM, counted by the month each stage was entered, worked out by hand.

tests/fixtures/exports/hubspot_contacts.csv (2026 layout, ``Date entered "…(Lifecycle Stage
Pipeline)"``) and hubspot_contacts_2023.csv (``Became a … Date``) hold the same 15 contacts:

| # | created | lead | MQL | SQL | customer |
| --- | --- | --- | --- | --- | --- |
| 1–4 | Jan | Jan | Jan | Jan | Jan |
| 5 | Jan | Jan | — | — | Jan (sales-led: skipped MQL and SQL) |
| 6 | Jan | Jan | Feb | Feb | Feb |
| 7 | Jan | Jan | Jan | Mar | — |
| 8 | Feb | Feb | Mar | — | — |
| 9 | Feb | Feb | — | — | — |
| 10 | Feb | — (created as an MQL) | Feb | Feb | Mar |
| 11 | Mar | Mar | Mar | Mar | — |
| 12, 13 | Mar (13 at 23:30 on 31 Mar) | Mar | — | — | — |
| 14 | Apr (00:10 on 1 Apr) | Apr | Apr | — | — |
| 15 | Apr | — | — | — | — (a subscriber) |

Contacts 7, 3, 3, 2; leads 7, 2, 3, 1; MQL 5, 2, 2, 1; SQL 4, 2, 2, 0; customers 5, 1, 1, 0
— the same as billing's new customers in the Stripe invoices company, so no warning.

salesforce_leads.csv: 13 leads created 6, 3, 3, 1 (Jan–Apr); converted (SQL) 4, 2, 2, 0.
salesforce_opportunities.csv: won 5, 1, 1 (customers, by close date); created 5, 2, 2 (SQL
when no leads report is given); one lost and one open opportunity are not customers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.io import InputError
from kpi_addin.io.sources.crm import read_funnel

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
HUBSPOT = {
    "contacts": [7, 3, 3, 2],
    "leads": [7, 2, 3, 1],
    "mql": [5, 2, 2, 1],
    "sql": [4, 2, 2, 0],
    "customers": [5, 1, 1, 0],
}


def metrics(*args: str) -> tuple[list[dict], list[str], str]:
    result = CliRunner().invoke(cli, ["metrics", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    return data["months"], data["warnings"], result.stderr


def counts(path: Path) -> dict[str, list[int]]:
    frame = read_funnel(path).counts
    assert list(frame["month"].dt.strftime("%Y-%m")) == ["2025-01", "2025-02", "2025-03", "2025-04"][: len(frame)]
    return {c: list(frame[c]) for c in frame.columns if c != "month"}


@pytest.mark.parametrize(
    ("name", "layout", "expected"),
    [
        ("hubspot_contacts.csv", "HubSpot contacts export", HUBSPOT),
        ("hubspot_contacts_2023.csv", "HubSpot contacts export", HUBSPOT),
        ("salesforce_leads.csv", "Salesforce leads report", {"leads": [6, 3, 3, 1], "sql": [4, 2, 2, 0]}),
        ("salesforce_opportunities.csv", "Salesforce opportunities report", {"sql": [5, 2, 2], "customers": [5, 1, 1]}),
    ],
)
def test_each_layout_gives_the_hand_worked_counts(name, layout, expected):
    assert read_funnel(FIXTURES / name).layout == layout
    assert counts(FIXTURES / name) == expected


def test_the_funnel_kpis_from_hubspot_beside_billing():
    months, warnings, stderr = metrics(
        "--subscriptions", str(FIXTURES / "stripe_invoices.csv"), "--funnel", str(FIXTURES / "hubspot_contacts.csv")
    )
    for key in ("leads", "mql", "sql"):
        assert [m[key] for m in months] == HUBSPOT[key], key
    assert "recognised as a HubSpot contacts export" in stderr
    assert not [w for w in warnings if "CRM customers differ" in w]  # 5, 1, 1, 0 in both


def test_entering_a_stage_counts_in_that_month_whatever_the_stage_now(tmp_path):
    # created in February, an MQL on 3 March, a customer in April: March's MQL, not February's
    path = tmp_path / "contacts.csv"
    path.write_text(
        '"Record ID","Create Date","Date entered ""Marketing Qualified Lead (Lifecycle Stage Pipeline)""",'
        '"Date entered ""Customer (Lifecycle Stage Pipeline)""","Lifecycle Stage"\n'
        '"1","2025-02-20 10:00","2025-03-03 09:00","2025-04-02 11:00","Customer"\n'
    )
    frame = read_funnel(path).counts.set_index(read_funnel(path).counts["month"].dt.strftime("%Y-%m"))
    assert frame.loc["2025-03", "mql"] == 1 and frame.loc["2025-02", "mql"] == 0
    assert frame.loc["2025-02", "contacts"] == 1 and frame.loc["2025-04", "customers"] == 1


def test_salesforce_leads_and_opportunities_together():
    months, _warnings, stderr = metrics(
        "--subscriptions",
        str(FIXTURES / "stripe_invoices.csv"),
        "--funnel",
        str(FIXTURES / "salesforce_opportunities.csv"),
        "--funnel",
        str(FIXTURES / "salesforce_leads.csv"),
    )
    assert [m["leads"] for m in months] == [6, 3, 3, 1]
    assert [m["sql"] for m in months] == [4, 2, 2, 0]  # conversions win over opportunities created
    assert [m["mql"] for m in months] == [None] * 4  # Salesforce has no MQL date here: absent, not 0
    assert "(sql already given by another file)" in stderr


def test_crm_customers_that_differ_from_billing_are_a_warning(tmp_path):
    path = tmp_path / "opportunities.csv"
    path.write_text((FIXTURES / "salesforce_opportunities.csv").read_text().replace('"2/10/2025"', '"3/10/2025"'))
    _months, warnings, _ = metrics("--subscriptions", str(FIXTURES / "stripe_invoices.csv"), "--funnel", str(path))
    differ = [w for w in warnings if "CRM customers differ" in w]
    assert len(differ) == 2
    assert differ[0].startswith("CRM customers differ from billing's new customers in 2025-02: 0 became")
    assert "2025-03: 2 became customers in the CRM, 1 started paying" in differ[1]


def test_crm_counts_replace_the_funnel_sheet_month_by_month_and_keep_its_other_columns(sample_dir, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text('"Record ID","Create Date","Became a Lead Date"\n"1","2025-12-02 10:00","2025-12-03 09:00"\n')
    months, _w, _ = metrics("--data", str(sample_dir), "--funnel", str(path))
    by_month = {m["month"]: m for m in months}
    sheet = pd.read_csv(sample_dir / "funnel.csv")
    sheet["month"] = sheet["month"].str[:7]
    before = sheet.set_index("month")
    assert by_month["2025-12"]["leads"] == 1  # from the CRM
    assert by_month["2025-12"]["visitors"] == before.loc["2025-12", "visitors"]  # kept from the sheet
    assert by_month["2025-11"]["leads"] == before.loc["2025-11", "leads"]  # a month the CRM has not: the sheet's


@pytest.mark.parametrize(
    ("dates", "months"),
    [
        (["3/15/2025", "4/1/2025"], ["2025-03", "2025-04"]),  # month first, the US default
        (["15/03/2025", "01/04/2025"], ["2025-03", "2025-04"]),  # a day above 12: day first
        (["3/15/2025, 10:22 AM", "2025-04-01"], ["2025-03", "2025-04"]),
    ],
)
def test_slashed_dates(tmp_path, dates, months):
    path = tmp_path / "leads.csv"
    path.write_text("Lead Status,Created Date\n" + "".join(f'Open,"{d}"\n' for d in dates))
    frame = read_funnel(path).counts
    assert list(frame["month"].dt.strftime("%Y-%m")) == months


def test_a_bad_date_is_named_and_an_unknown_file_lists_what_is_needed(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text('"Record ID","Became a Lead Date"\n"1","2025-01-05"\n"2","soon"\n')
    with pytest.raises(InputError) as info:
        read_funnel(path)
    assert "contacts.csv!B3 (Became a Lead Date): 'soon' is not a date" in str(info.value)
    other = tmp_path / "deals.csv"
    other.write_text("Deal,Amount\nx,1\n")
    result = CliRunner().invoke(cli, ["metrics", "--funnel", str(other)])
    assert (
        result.exit_code == 1
        and "not a known CRM export" in result.output
        and "Columns found: Deal, Amount" in (result.output)
    )


def test_the_one_command_that_builds_the_whole_dashboard_from_exports(tmp_path):
    """Stripe invoices + QuickBooks P&L + HubSpot + GA4: the README's command, no canonical sheet typed."""
    out = tmp_path / "kpi_dashboard.xlsx"
    args = [
        "--subscriptions",
        str(FIXTURES / "stripe_invoices.csv"),
        "--costs",
        str(FIXTURES / "quickbooks_profit_and_loss.csv"),
        "--accounts",
        str(Path(__file__).parents[1] / "kpi_addin" / "sample_data" / "accounts_map.example.toml"),
        "--funnel",
        str(FIXTURES / "hubspot_contacts.csv"),
        "--visitors",
        str(FIXTURES / "ga4_users_by_month.csv"),
    ]
    result = CliRunner().invoke(cli, ["dashboard", "--out", str(out), *args])
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    sheet = load_workbook(out, data_only=True)["Monthly KPIs"]
    keys = [c.value for c in sheet[4]]  # row 4 holds the JSON keys; months from row 5
    rows = {r[0]: dict(zip(keys, r, strict=False)) for r in sheet.iter_rows(min_row=5, values_only=True) if r[0]}
    march = rows[pd.Timestamp("2025-03-01").to_pydatetime()]
    assert march["mrr"] == pytest.approx(580)
    assert march["cac"] == pytest.approx(3200 + 900)  # one new customer (G)
    assert (march["visitors"], march["leads"], march["mql"], march["sql"]) == (13_000, 3, 2, 2)


def test_a_salesforce_mql_date_column_gives_the_mqls(tmp_path):
    path = tmp_path / "leads.csv"
    path.write_text(
        "Lead Status,Created Date,MQL Date,Converted,Converted Date\n"
        "Qualified,1/5/2025,1/20/2025,1,2/3/2025\n"
        "Working,1/9/2025,2/2/2025,0,\n"
        "Open,2/11/2025,,0,\n"
    )
    assert counts(path) == {"leads": [2, 1], "mql": [1, 1], "sql": [0, 1]}


def test_a_hubspot_xlsx_export_counts_as_its_csv(tmp_path):
    """HubSpot exports .xlsx by default; its date cells are real dates."""
    import csv
    import datetime as dt

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    with open(FIXTURES / "hubspot_contacts.csv", encoding="utf-8") as handle:
        for i, row in enumerate(csv.reader(handle)):
            cells: list[object] = list(row)
            if i:  # dates as date cells, ids as numbers, like HubSpot's workbook
                cells = [int(c) if c.isdigit() else c for c in cells]
                cells = [dt.datetime.strptime(c, "%Y-%m-%d %H:%M") if str(c)[:2] == "20" else c for c in cells]
            sheet.append([None if c == "" else c for c in cells])
    path = tmp_path / "hubspot-crm-exports-all-contacts-2026-02-25.xlsx"
    workbook.save(path)
    assert counts(path) == HUBSPOT
