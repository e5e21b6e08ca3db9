"""Billing and analytics exports: each layout gives the KPIs worked out by hand (see
tests/fixtures/exports/README.md), the same company in every layout gives identical KPIs,
and a file that fits no layout, a bad row or a bad mapping is a message naming the place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.io import InputError
from kpi_addin.io.inputs import load_company

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
LAYOUTS = {
    "stripe": ["--subscriptions", str(FIXTURES / "stripe_subscriptions.csv")],
    "recurly": ["--subscriptions", str(FIXTURES / "recurly_subscriptions.csv")],
    "chargify": ["--subscriptions", str(FIXTURES / "chargify_subscriptions.csv")],
    "baremetrics": ["--subscriptions", str(FIXTURES / "baremetrics_import.csv")],
    "map": [
        "--subscriptions",
        str(FIXTURES / "in_house_billing.csv"),
        "--map",
        str(FIXTURES / "in_house_billing.map.toml"),
    ],
}
# by hand: A 49 + B 1,490 / 12 + F 600 / 6 + G 79, then + C 49 + E 29 × 3, − G, − C + D 99
MRR = [
    49 + 1490 / 12 + 100 + 79,
    49 + 1490 / 12 + 100 + 79 + 49 + 87,
    49 + 1490 / 12 + 100 + 49 + 87,
    49 + 1490 / 12 + 100 + 87 + 99,
]


def metrics(*args: str) -> tuple[dict, str]:
    result = CliRunner().invoke(cli, ["metrics", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_each_layout_gives_the_hand_worked_kpis(layout):
    data, _ = metrics(*LAYOUTS[layout])
    months = data["months"]
    assert [m["month"] for m in months] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert [m["mrr"] for m in months] == pytest.approx(MRR, rel=1e-12)
    assert [m["customers"] for m in months] == [4, 6, 5, 5]
    assert [m["new_customers"] for m in months] == [4, 2, 0, 1]
    assert [m["churned_customers"] for m in months] == [0, 0, 1, 1]
    assert months[2]["customer_churn_rate"] == pytest.approx(1 / 6)  # G of six
    assert months[3]["churned_mrr"] == pytest.approx(49)  # C stops at its period end, not at the click
    assert months[3]["new_mrr"] == pytest.approx(99)  # D pays from its trial end


def test_the_same_company_in_every_layout_gives_identical_kpis():
    results = {name: metrics(*args)[0] for name, args in LAYOUTS.items()}
    first = results.pop("stripe")
    for name, result in results.items():  # only the notes differ: they name each file
        assert result["months"] == first["months"], name
        assert result["balance_sheet"] == first["balance_sheet"], name


@pytest.mark.parametrize(
    ("layout", "title"),
    [
        ("stripe", "Stripe subscriptions export"),
        ("recurly", "Recurly subscriptions export"),
        ("chargify", "Chargify / Maxio subscriptions export"),
        ("baremetrics", "Baremetrics import template"),
    ],
)
def test_auto_says_which_layout_it_chose(layout, title):
    _data, notes = metrics(*LAYOUTS[layout])
    assert f"recognised as a {title} (--source auto)" in notes


def test_rows_that_never_paid_are_left_out_with_a_note():
    _data, notes = metrics(*LAYOUTS["stripe"])
    assert "1 subscription(s) never paid" in notes


def test_a_file_matching_no_layout_lists_the_layouts_and_what_is_missing(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("Client,Monthly fee,Since\nx,10,2025-01-01\n")
    with pytest.raises(InputError) as info:
        load_company(subscriptions=path)
    message = str(info.value)
    for expected in (
        "matches no known layout",
        "Stripe subscriptions export needs customer_id",
        "Recurly subscriptions export needs account_code",
        "Baremetrics import template needs plan_oid",
        "Chargify / Maxio subscriptions export needs",
        "Columns found: Client, Monthly fee, Since",
        "--map FILE",
    ):
        assert expected in message


def test_a_named_source_that_does_not_fit(tmp_path):
    with pytest.raises(InputError, match=r"not a Stripe subscriptions export: missing column\(s\) customer_id"):
        load_company(subscriptions=FIXTURES / "recurly_subscriptions.csv", source="stripe")


def _edited(tmp_path: Path, name: str, old: str, new: str) -> Path:
    path = tmp_path / name
    path.write_text((FIXTURES / name).read_text().replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        (
            "stripe_subscriptions.csv",
            "49.00,active",
            "49.00,frozen",
            "stripe_subscriptions.csv!L2 (Status): unknown status 'frozen'",
        ),
        (
            "stripe_subscriptions.csv",
            "month,1,49.00",
            "fortnight,1,49.00",
            "stripe_subscriptions.csv!I2 (interval): unknown interval 'fortnight'",
        ),
        (
            "stripe_subscriptions.csv",
            "1,usd,month,1,49.00",
            "1,usd,month,1,forty",
            "stripe_subscriptions.csv!K2 (amount): 'forty' is not a number",
        ),
        (
            "baremetrics_import.csv",
            "month,1,cus_A",
            "month,0,cus_A",
            "baremetrics_import.csv!F2 (plan_interval_count): '0' is not a positive interval count",
        ),
        (
            "recurly_subscriptions.csv",
            "active,1,49.00",
            "hibernating,1,49.00",
            "recurly_subscriptions.csv!G2 (state): unknown status 'hibernating'",
        ),
        (
            "chargify_subscriptions.csv",
            "4900,1,month",
            "4900,1,lunar_cycle",
            "chargify_subscriptions.csv!J2 (interval): unknown interval 'lunar_cycle'",
        ),
    ],
)
def test_a_bad_row_is_named_never_silently_monthly(tmp_path, name, old, new, message):
    path = _edited(tmp_path, name, old, new)
    result = CliRunner().invoke(cli, ["metrics", "--subscriptions", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.output


def test_ga4_visitors_by_month_and_by_day():
    data, notes = metrics(*LAYOUTS["stripe"], "--visitors", str(FIXTURES / "ga4_users_by_month.csv"))
    assert [m["visitors"] for m in data["months"]] == [10_000, 12_000, 13_000, 16_000]
    assert data["months"][0]["ccr"] == pytest.approx(4 / 10_000)
    assert "visitors = GA4 'Total users' by month" in notes
    daily, notes = metrics(*LAYOUTS["stripe"], "--visitors", str(FIXTURES / "ga4_users_by_day.csv"))
    assert [m["visitors"] for m in daily["months"]][:2] == [650, 1200]  # days summed by month
    assert "days summed by month" in notes


def test_ga4_export_with_a_bad_row(tmp_path):
    path = tmp_path / "ga4.csv"
    path.write_text("# GA4\nYear month,Total users\n202501,100\n2025-13,x\n")
    result = CliRunner().invoke(cli, ["metrics", "--visitors", str(path)])
    assert result.exit_code == 1
    assert "ga4.csv!A4 (Year month): '2025-13' is not a date (YYYYMMDD) or month (YYYYMM)" in result.output


def test_exports_combine_with_the_other_sheets_of_a_canonical_input(sample_dir):
    data, _ = metrics("--data", str(sample_dir), *LAYOUTS["stripe"])
    months = data["months"]
    assert months[-1]["mrr"] == pytest.approx(MRR[-1])  # the subscriptions come from the export
    assert months[0]["cac"] is None  # the opening month: its customers are the opening balance
    assert months[1]["cac"] is not None  # the costs still come from the sample's sheets


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ('[columns]\ncustomer_id = "Account"\namount = "Price (cents)"\n', "columns: start_date is required"),
        (
            '[columns]\ncustomer_id = "Account"\namount = "Price (cents)"\nstart_date = "Start"\nprice = "x"\n',
            "columns.price: unknown column",
        ),
        (
            '[columns]\ncustomer_id = "Account"\namount = "Price"\nstart_date = "Start"\ninterval = "Billing period"\n'
            '[amounts]\nunit = "pennies"\n',
            "amounts.unit: must be 'units' or 'cents'",
        ),
        (
            '[columns]\ncustomer_id = "Account"\namount = "Price"\nstart_date = "Start"\n',
            "name an interval column, or set [defaults] interval",
        ),
        (
            '[columns]\ncustomer_id = "Acct"\namount = "Price (cents)"\nstart_date = "Start"\n[defaults]\n'
            'interval = "month"\n',
            "names column(s) acct that the file does not have",
        ),
    ],
)
def test_a_broken_mapping_file_says_what_and_where(tmp_path, mapping, message):
    path = tmp_path / "map.toml"
    path.write_text(mapping)
    result = CliRunner().invoke(
        cli, ["metrics", "--subscriptions", str(FIXTURES / "in_house_billing.csv"), "--map", str(path)]
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.output


def test_source_without_a_file_is_a_usage_error():
    result = CliRunner().invoke(cli, ["metrics", "--source", "stripe"])
    assert result.exit_code == 2 and "--source and --map describe --subscriptions FILE" in result.output


def test_dashboard_from_an_export(tmp_path):
    out = tmp_path / "d.xlsx"
    result = CliRunner().invoke(
        cli,
        ["dashboard", "--out", str(out), *LAYOUTS["recurly"], "--visitors", str(FIXTURES / "ga4_users_by_month.csv")],
    )
    assert result.exit_code == 0, result.output
    from openpyxl import load_workbook

    sheet = load_workbook(out, data_only=True)["Monthly KPIs"]
    assert sheet["B8"].value == pytest.approx(MRR[-1])


def test_recurly_add_ons_are_part_of_the_subscription_mrr(tmp_path):
    # a 3-seat plan at 29 plus add-ons of 30 a month in all: (29 × 3 + 30) = 117 a month
    path = tmp_path / "recurly.csv"
    path.write_text(
        "uuid,account_code,plan_code,state,quantity,unit_amount,add_ons_total,currency,activated_at,"
        "canceled_at,expires_at,current_period_ends_at,trial_ends_at,plan_interval_length,plan_interval_unit\n"
        "u1,acct_1,team,active,3,29.00,30.00,USD,2025-01-05T00:00:00Z,,,2025-02-05T00:00:00Z,,1,months\n"
        "u2,acct_2,team_y,active,1,1200.00,120.00,USD,2025-01-06T00:00:00Z,,,2026-01-06T00:00:00Z,,12,months\n"
    )
    data, _ = metrics("--subscriptions", str(path))
    assert data["months"][0]["mrr"] == pytest.approx(29 * 3 + 30 + (1200 + 120) / 12)
