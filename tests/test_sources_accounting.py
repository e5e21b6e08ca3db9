"""Costs from the books: QuickBooks Online and Xero "Profit and Loss" by month, mapped by
the example accounts map that ships with the package, worked out by hand.

tests/fixtures/exports/quickbooks_profit_and_loss.csv and xero_profit_and_loss.csv hold
the same company (Xero lists the months latest first), by hand:

| column | accounts | Jan | Feb | Mar | Apr |
| --- | --- | --- | --- | --- | --- |
| sales | Sales Salaries 3,000 + Sales Commissions | 3,150 | 3,300 | 3,200 | 3,000 |
| marketing | Advertising & Marketing: Google Ads + Events + Ad Credits (−100 in Apr) | 1,200 | 3,500 | 900 | 1,500 |
| customer_success | Support Salaries | 800 | 800 | 800 | 800 |
| infrastructure | Software & Tools / Subscriptions | 99 | 99 | 149 | 149 |
| cogs | the Cost of Goods Sold / Cost of Sales section | 52.47 | 60.95 | 66.82 | 64.21 |
| research_development | Engineering Salaries | 2,000 | 2,000 | 2,000 | 2,000 |
| general_administrative | Rent | 500 | 500 | 500 | 500 |
| revenue | the income section: Subscription Revenue / Sales | 430 | 550 | 580 | 490 |
| recurring_revenue | the same account, mapped to recurring_revenue | 430 | 550 | 580 | 490 |

Left out with a note: Interest Expense (40.00), which the map does not name; Depreciation
(100.00), mapped to "ignore". Income (2,050.00) is revenue as booked, all of it recurring.
With the Stripe invoices company's new customers (5, 1, 1, 0), CAC = (sales + marketing) /
new customers = 4,350 / 5 = 870, 6,800, 4,100 and undefined in April.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.io import InputError
from kpi_addin.io.schema import COST_COLUMNS
from kpi_addin.io.sources.accounting import EXAMPLE_MAP, month_of, read_costs
from kpi_addin.io.values import parse_numbers

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
QUICKBOOKS = FIXTURES / "quickbooks_profit_and_loss.csv"
XERO = FIXTURES / "xero_profit_and_loss.csv"
EXPECTED = {
    "sales": [3150, 3300, 3200, 3000],
    "marketing": [1200, 3500, 900, 1500],
    "customer_success": [800, 800, 800, 800],
    "infrastructure": [99, 99, 149, 149],
    "cogs": [52.47, 60.95, 66.82, 64.21],
    "research_development": [2000, 2000, 2000, 2000],
    "general_administrative": [500, 500, 500, 500],
    "revenue": [430, 550, 580, 490],
    "recurring_revenue": [430, 550, 580, 490],
}
READ_COLUMNS = [*COST_COLUMNS, "research_development", "general_administrative", "revenue", "recurring_revenue"]


def amount_of(cell: object) -> float:
    """A cell as the one number reader reads a statement's amounts (nan when it is none)."""
    return float(parse_numbers(pd.Series([cell], dtype=object), written=True).values.iloc[0])


def xero_workbook(tmp_path: Path) -> Path:
    """The Xero fixture as the .xlsx Xero writes: numbers as numbers, the title in the first rows."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Profit and Loss"
    with open(XERO, encoding="utf-8") as handle:
        for row in csv.reader(handle):
            values = [amount_of(c) if i and c and not math.isnan(amount_of(c)) else c for i, c in enumerate(row)]
            sheet.append([None if v == "" else v for v in values])
    path = tmp_path / "Northwind_Cloud_Ltd_-_Profit_and_Loss.xlsx"
    workbook.save(path)
    return path


@pytest.mark.parametrize("layout", ["quickbooks", "xero csv", "xero xlsx"])
def test_each_layout_gives_the_hand_worked_costs(tmp_path, layout):
    path = {"quickbooks": QUICKBOOKS, "xero csv": XERO}.get(layout) or xero_workbook(tmp_path)
    read = read_costs(path, EXAMPLE_MAP)
    frame = read.sheet.frame
    assert list(frame["month"]) == ["2025-01", "2025-02", "2025-03", "2025-04"]
    # the statement's own lines: QuickBooks' Net Operating Income (the EBITDA proxy) and Net Income, Xero's Net Profit
    lines = ["ebitda", "net_income"] if layout == "quickbooks" else ["net_income"]
    assert list(frame.columns) == ["month", *READ_COLUMNS, *lines]
    assert list(frame["retention_programs"]) == [0, 0, 0, 0]  # no account fed it: 0, with a note
    assert "no account is mapped to retention_programs: 0 in every month" in " ".join(read.notes)
    for column, values in EXPECTED.items():
        assert list(frame[column]) == pytest.approx(values), column
    assert read.layout == ("QuickBooks Online Profit and Loss" if layout == "quickbooks" else "Xero Profit and Loss")


#: By hand from the fixtures: revenue − cogs − expenses (Net Operating Income), then − 10.00 of
#: interest (Net Income; Xero's Net Profit, its interest among the operating expenses).
OPERATING = [430 - 52.47 - 7_774, 550 - 60.95 - 10_224, 580 - 66.82 - 7_574, 490 - 64.21 - 7_974]
NET_INCOME = [value - 10 for value in OPERATING]


@pytest.mark.parametrize("layout", ["quickbooks", "xero csv", "xero xlsx"])
def test_net_income_and_ebitda_are_the_statements_own_lines(tmp_path, layout):
    path = {"quickbooks": QUICKBOOKS, "xero csv": XERO}.get(layout) or xero_workbook(tmp_path)
    read = read_costs(path, EXAMPLE_MAP)
    frame, notes = read.sheet.frame, " ".join(read.notes)
    assert NET_INCOME == pytest.approx([-7_406.47, -9_744.95, -7_070.82, -7_558.21])
    assert list(frame["net_income"]) == pytest.approx(NET_INCOME)
    if layout == "quickbooks":
        assert list(frame["ebitda"]) == pytest.approx(OPERATING)
        assert "ebitda = the statement's operating line 'Net Operating Income', an EBITDA proxy" in notes
        assert "net_income = the statement's line 'Net Income'" in notes
    else:  # Xero's P&L has no operating line: no EBITDA (never a sum of our own)
        assert "ebitda" not in frame
        assert "net_income = the statement's line 'Net Profit'" in notes


def test_a_line_the_map_names_wins_and_ignore_refuses_the_proxy(tmp_path):
    path, accounts = QUICKBOOKS, tmp_path / "map.toml"
    base = EXAMPLE_MAP.read_text()
    accounts.write_text(base + '"Net Other Income" = "net_income"\n"Net Operating Income" = "ignore"\n')
    read = read_costs(path, accounts)
    assert list(read.sheet.frame["net_income"]) == [-10.0] * 4  # the line named, not Net Income
    assert "ebitda" not in read.sheet.frame  # the proxy refused
    assert "net_income = the statement's line 'Net Other Income' (named net_income in map.toml)" in " ".join(read.notes)
    accounts.write_text(base + '"Net Income" = "ebitda"\n')  # a statement whose bottom line is its EBITDA
    assert list(read_costs(path, accounts).sheet.frame["ebitda"]) == pytest.approx(NET_INCOME)


@pytest.mark.parametrize(
    ("operating", "net"),
    [
        ("Résultat d'exploitation", "Résultat net"),
        ("Betriebsergebnis", "Jahresüberschuss"),
        ("영업이익", "당기순이익"),
        ("EBITDA", "Net Profit"),
        ("Operating Profit", "Net Earnings"),
    ],
)
def test_the_lines_in_each_language(tmp_path, operating, net):
    text = (
        "Profit and Loss,,\n,Jan 2025,Feb 2025\nIncome,,\nSubscriptions,1000.00,1200.00\nTotal Income,1000.00,1200.00\n"
        "Expenses,,\nRent,300.00,300.00\nTotal Expenses,300.00,300.00\n"
        f"{operating},700.00,900.00\nOther Expenses,,\nTax,70.00,90.00\nTotal Other Expenses,70.00,90.00\n"
        f"{net},630.00,810.00\n"
    )
    path = tmp_path / "pl.csv"
    path.write_text(text, encoding="utf-8")
    frame = read_costs(path, EXAMPLE_MAP).sheet.frame
    assert list(frame["ebitda"]) == [700.0, 900.0]
    assert list(frame["net_income"]) == [630.0, 810.0]
    assert list(frame["general_administrative"]) == [300.0, 300.0]  # Rent: the lines are never costs


@pytest.mark.parametrize("path", [QUICKBOOKS, XERO])
def test_unmapped_ignored_and_income_accounts_are_noted_with_their_totals(path):
    notes = " ".join(read_costs(path, EXAMPLE_MAP).notes)
    assert "1 account(s) not in accounts_map.example.toml, left out of the costs (40.00 in all)" in notes
    assert "Interest Expense (" in notes and ": 40.00" in notes
    assert '1 account(s) mapped to "ignore" (100.00)' in notes
    assert "income accounts (2,050.00) are revenue as booked, 2,050.00 of it recurring" in notes


def test_cac_from_the_mapped_costs():
    result = CliRunner().invoke(
        cli,
        [
            "metrics",
            "--format",
            "json",
            "--subscriptions",
            str(FIXTURES / "stripe_invoices.csv"),
            "--costs",
            str(QUICKBOOKS),
            "--accounts",
            str(EXAMPLE_MAP),
        ],
    )
    assert result.exit_code == 0, result.output
    months = json.loads(result.stdout)["months"]
    # the first month is the ledger's opening month: its 5 customers are the opening balance, no CAC
    assert months[0]["cac"] is None and months[0]["new_customers"] == 5
    assert [m["cac"] for m in months[1:3]] == pytest.approx([3300 + 3500, 3200 + 900])
    assert months[3]["cac"] is None  # no new customer in April
    # cost to serve = (customer success + infrastructure) / paying customers
    assert months[0]["cts"] == pytest.approx((800 + 99) / 5)
    assert "recognised as a QuickBooks Online Profit and Loss" in result.stderr


def test_a_parent_a_section_and_a_name_without_its_number_map_their_accounts(tmp_path):
    accounts = tmp_path / "map.toml"
    accounts.write_text('[accounts]\n"Expenses" = "sales"\n"6010 Google Ads" = "marketing"\n"Events" = "marketing"\n')
    frame = read_costs(QUICKBOOKS, accounts).sheet.frame
    # Google Ads by number and name, Events by name; every other expense by its section; COGS unmapped
    assert list(frame["marketing"]) == pytest.approx([1200, 3500, 900, 1600])
    # 4,574 … of sales, support, tools, rent, depreciation and ad credits, + 2,000 engineering salaries
    assert list(frame["sales"]) == pytest.approx([6574, 6724, 6674, 6374])
    assert list(frame["cogs"]) == [0, 0, 0, 0]


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("Jan 2025", "2025-01"),
        ("January 2025", "2025-01"),
        ("30 Jun 2024", "2024-06"),
        ("31 January 2025", "2025-01"),
        ("Apr-25", "2025-04"),
        ("2025-03", "2025-03"),
        ("Total", None),
        ("", None),
        ("Distribution account", None),
    ],
)
def test_month_headers(text, month):
    found = month_of(text)
    assert (found.strftime("%Y-%m") if found is not None else None) == month


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,200.00", 1200.0),
        ("$1,200.00", 1200.0),
        ("-$5,396.47", -5396.47),
        ("(5,558.21)", -5558.21),
        ("-100.00", -100.0),
        (12.5, 12.5),
    ],
)
def test_amount_cells(text, value):
    assert amount_of(text) == value


def test_a_bad_amount_is_named_by_file_row_month_and_account(tmp_path):
    path = tmp_path / "pl.csv"
    path.write_text(QUICKBOOKS.read_text().replace('6020 Events,,"2,000.00"', "6020 Events,,two thousand", 1))
    with pytest.raises(InputError) as info:
        read_costs(path, EXAMPLE_MAP)
    assert "pl.csv pl.csv!C17 (Feb 2025): 'two thousand' is not a number (account '6020 Events')" in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[accounts]\n"Rent" = "overheads"\n', "accounts.'Rent': 'overheads' is not one of sales, marketing"),
        ('[costs]\n"Rent" = "sales"\n', "needs one [accounts] table"),
        ("[accounts\n", "not valid TOML"),
    ],
)
def test_a_bad_accounts_map_is_named(tmp_path, text, message):
    accounts = tmp_path / "map.toml"
    accounts.write_text(text)
    with pytest.raises(InputError, match=r"map\.toml") as info:
        read_costs(QUICKBOOKS, accounts)
    assert message in str(info.value)


def test_a_file_without_months_and_a_missing_map(tmp_path):
    path = tmp_path / "pl.csv"
    path.write_text("Account,Amount\nRent,500\n")
    with pytest.raises(InputError, match="not a Profit and Loss by month"):
        read_costs(path, EXAMPLE_MAP)
    result = CliRunner().invoke(cli, ["metrics", "--costs", str(QUICKBOOKS)])
    assert result.exit_code == 2 and "--costs FILE and --accounts MAP.toml go together" in result.output
    result = CliRunner().invoke(cli, ["metrics", "--costs", str(QUICKBOOKS), "--accounts", str(tmp_path / "no.toml")])
    assert result.exit_code == 1 and "no such file (an example:" in result.output


def test_the_example_map_ships_with_the_package():
    assert EXAMPLE_MAP.is_file()
    assert "kpi_addin" in EXAMPLE_MAP.parts and EXAMPLE_MAP.parent.name == "sample_data"


def test_the_older_quickbooks_layout_blank_header_and_total_x(tmp_path):
    # before "Total for X" QuickBooks wrote "Total X", and the header's first cell was blank
    path = tmp_path / "pl.csv"
    path.write_text(QUICKBOOKS.read_text().replace("Distribution account,", ",").replace("Total for ", "Total "))
    read = read_costs(path, EXAMPLE_MAP)
    assert read.layout == "QuickBooks Online Profit and Loss"
    for column, values in EXPECTED.items():
        assert list(read.sheet.frame[column]) == pytest.approx(values), column


# --------------------------------------------------------------------------- cash from a Balance Sheet

QUICKBOOKS_BS = FIXTURES / "quickbooks_balance_sheet.csv"
XERO_BS = FIXTURES / "xero_balance_sheet.csv"
#: Checking + Savings (QuickBooks "Bank Accounts"; Xero's "Bank" section) at each month end, by hand.
CASH = [52_000 + 100_000, 44_255.05 + 100_000, 37_184.23 + 100_000, 29_626.02 + 100_000]


@pytest.mark.parametrize("path", [QUICKBOOKS_BS, XERO_BS], ids=["quickbooks", "xero"])
def test_cash_at_month_end_from_a_balance_sheet(path):
    from kpi_addin.io.sources.accounting import read_cash

    read = read_cash(path, EXAMPLE_MAP)
    frame = read.sheet.frame
    assert list(frame.columns) == ["month", "cash"]
    assert list(frame["month"]) == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert list(frame["cash"]) == pytest.approx(CASH)
    notes = " ".join(read.notes)
    assert "Balance Sheet (4 months, 2025-01 to 2025-04)" in notes
    assert (
        "1000 Checking, 1010 Savings" if path == QUICKBOOKS_BS else "Business Bank Account, Business Savings"
    ) in notes


def test_a_balance_sheet_without_a_cash_account_is_an_error(tmp_path):
    from kpi_addin.io.sources.accounting import read_cash

    accounts = tmp_path / "map.toml"
    accounts.write_text('[accounts]\n"Rent" = "general_administrative"\n')
    with pytest.raises(InputError, match=r"no account is mapped to cash in map\.toml"):
        read_cash(QUICKBOOKS_BS, accounts)


def test_a_cash_account_in_a_profit_and_loss_is_not_a_cost(tmp_path):
    accounts = tmp_path / "map.toml"
    accounts.write_text(EXAMPLE_MAP.read_text() + '"Interest Expense" = "cash"\n')
    read = read_costs(QUICKBOOKS, accounts)
    assert "cash" not in read.sheet.frame.columns
    assert "Interest Expense (" in " ".join(read.notes)  # unmapped, listed with its total


def test_cash_on_the_command_line_fills_the_costs_cash(tmp_path):
    args = ["metrics", "--format", "json", "--subscriptions", str(FIXTURES / "stripe_invoices.csv")]
    args += ["--costs", str(QUICKBOOKS), "--cash", str(XERO_BS), "--accounts", str(EXAMPLE_MAP)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "cash at month end = Business Bank Account, Business Savings" in result.stderr
    from kpi_addin.io.inputs import load_company

    company, _notes, _warnings = load_company(
        subscriptions=FIXTURES / "stripe_invoices.csv", costs=QUICKBOOKS, cash=XERO_BS, accounts=EXAMPLE_MAP
    )
    assert company.costs is not None
    assert company.costs["cash"].tolist() == pytest.approx(CASH)
    assert company.costs["sales"].tolist() == pytest.approx(EXPECTED["sales"])  # the P&L's columns kept
    missing = CliRunner().invoke(cli, ["metrics", "--cash", str(XERO_BS)])
    assert missing.exit_code != 0 and "--cash FILE needs --accounts MAP.toml" in missing.output
