"""Stripe invoices: MRR history worked out by hand from billed service periods, in both
shapes (the Dashboard's one-row-per-invoice export and a line-item export), the
month-end rule inside a service period, prorations, left-out invoices and located errors.

The fixture company (tests/fixtures/exports/stripe_invoices.csv and
stripe_invoice_line_items.csv, the same invoices in both shapes), by hand:

| customer | what was billed | MRR Jan | Feb | Mar | Apr |
| --- | --- | --- | --- | --- | --- |
| A | 100 a month from 1 Jan (+20 tax, not MRR) | 100 | 100 | 100 | 100 |
| B | 1,400 − 200 discount = 1,200 a year from 10 Jan | 100 | 100 | 100 | 100 |
| C | 50 a month from 15 Jan; 150 from 22 Feb (note 1) | 50 | 150 | 150 | 150 (open invoice) |
| D | 80 a month from 1 Jan; 40 from 15 Feb (note 2) | 80 | 40 | 40 | 40 |
| E | 60 a month from 10 Feb; the April invoice is void | — | 60 | 60 | churned |
| F | a draft invoice only | — | — | — | — |
| G | 30 a month from 3 Mar; the April invoice is uncollectible | — | — | 30 | churned |
| H | a one-off 500 (no subscription) | — | — | — | — |
| I | 300 a quarter from 20 Jan | 100 | 100 | 100 | 100 |

Note 1: C upgraded on 22 Feb, prorations on the next invoice: 225 = 150 + (150 − 50) × 21/28
over 22 Feb – 15 Apr, so p = (225 + 50 × 0.75) / 1.75 = 150.  Note 2: D downgraded on 15 Feb,
invoiced at once: −20 = (40 − 80) × 14/28 over 15 Feb – 1 Mar, i.e. −40 a month.

MRR 430, 550, 580, 490; customers 5, 6, 7, 5; new 5, 1 (E), 1 (G), 0; expansion
100 (C) and contraction 40 (D) in February — the month the changes were made; churned
E and G in April (90).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.io.sources.stripe_invoices import period_months

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
SHAPES = {
    "invoices": FIXTURES / "stripe_invoices.csv",
    "line items": FIXTURES / "stripe_invoice_line_items.csv",
}
INVOICE_HEADER = (
    "id,Customer,Currency,Subscription,Minimum Line Item Period Start (UTC),"
    "Maximum Line Item Period End (UTC),Subtotal,Total Discount Amount,Tax,Status,Date (UTC)\n"
)


def metrics(*args: str) -> tuple[dict, str]:
    result = CliRunner().invoke(cli, ["metrics", "--format", "json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def months_of(path: Path, *args: str) -> list[dict]:
    return metrics("--subscriptions", str(path), *args)[0]["months"]


@pytest.mark.parametrize("shape", list(SHAPES))
def test_the_hand_worked_company(shape):
    months = months_of(SHAPES[shape])
    assert [m["month"] for m in months] == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert [m["mrr"] for m in months] == pytest.approx([430, 550, 580, 490], abs=1e-9)
    assert [m["customers"] for m in months] == [5, 6, 7, 5]
    assert [m["new_customers"] for m in months] == [5, 1, 1, 0]
    assert [m["expansion_mrr"] for m in months] == pytest.approx([0, 100, 0, 0])  # C's upgrade, in February
    assert [m["contraction_mrr"] for m in months] == pytest.approx([0, 40, 0, 0])  # D's downgrade, in February
    assert [m["churned_customers"] for m in months] == [0, 0, 0, 2]
    assert months[3]["churned_mrr"] == pytest.approx(60 + 30)


def test_both_shapes_give_identical_kpis():
    assert months_of(SHAPES["invoices"]) == months_of(SHAPES["line items"])


def test_auto_detection_and_the_named_source():
    _data, notes = metrics("--subscriptions", str(SHAPES["invoices"]))
    assert "stripe_invoices.csv: recognised as a Stripe invoices export (--source auto)" in notes
    named, _ = metrics("--subscriptions", str(SHAPES["line items"]), "--source", "stripe-invoices")
    assert named["months"] == months_of(SHAPES["invoices"])


@pytest.mark.parametrize(
    ("shape", "notes"),
    [
        (
            "invoices",
            [
                "1 void invoice(s) left out (60.00 before tax): not billed",
                "1 draft invoice(s) left out (70.00 before tax): not billed",
                "1 uncollectible invoice(s) left out (30.00 before tax): not billed",
                "1 one-off invoice(s) (500.00) are never MRR",
                "2 invoice(s) with prorations: a mid-period change counts from the day it was made",
            ],
        ),
        ("line items", ["1 void line item(s) left out", "1 one-off line item(s) (500.00)", "4 proration line(s)"]),
    ],
)
def test_left_out_rows_are_noted(shape, notes):
    _data, stderr = metrics("--subscriptions", str(SHAPES[shape]))
    for note in notes:
        assert note in stderr


def test_a_subscriptions_snapshot_warns_that_its_upgrade_history_is_in_the_invoices_export():
    data, _ = metrics("--subscriptions", str(FIXTURES / "stripe_subscriptions.csv"))
    warning = next(w for w in data["warnings"] if "snapshot" in w)  # a warning, not a note
    assert "upgrade or downgrade counts as if that price had been paid from the start" in warning
    assert "invoices export" in warning and "--source stripe-invoices" in warning
    data, _ = metrics("--subscriptions", str(SHAPES["invoices"]))
    assert not [w for w in data["warnings"] if "snapshot" in w]  # the invoices carry the history


def _invoices(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "invoices.csv"
    path.write_text(INVOICE_HEADER + "".join(row + "\n" for row in rows))
    return path


# A service period counts at a month end inside it: start <= month end < end.
@pytest.mark.parametrize(
    ("start", "end", "amount", "expected"),
    [
        # mid-month to mid-month: counts at the one month end inside it
        ("2025-01-15 10:00", "2025-02-15 10:00", "90.00", {"2025-01": 90}),
        # a calendar month: its end (1 Feb, the first day not paid for) is after 31 Jan
        ("2025-01-01 00:00", "2025-02-01 00:00", "90.00", {"2025-01": 90}),
        # ends during 31 January: not paid for at that month end, so never counted
        ("2025-01-01 00:00", "2025-01-31 12:00", "90.00", {}),
        # a year: 1/12 a month at each of the twelve month ends inside it
        ("2025-01-10 00:00", "2026-01-10 00:00", "1200.00", {f"2025-{m:02d}": 100 for m in range(1, 13)}),
        # a quarter of 90 days: 1/3 a month
        ("2025-01-20 00:00", "2025-04-20 00:00", "300.00", {"2025-01": 100, "2025-02": 100, "2025-03": 100}),
    ],
)
def test_a_month_end_inside_a_service_period_counts(tmp_path, start, end, amount, expected):
    path = _invoices(
        tmp_path,
        f"in_1,cus_1,usd,sub_1,{start},{end},{amount},0.00,0.00,paid,{start}",
        # customer 2 keeps every month alive; the export is of 1 March 2026
        "in_2,cus_2,usd,sub_2,2025-01-01 00:00,2026-02-01 00:00,1300.00,0.00,0.00,paid,2026-03-01 00:00",
    )
    months = months_of(path, "--as-of", "2025-12")
    # customer 2 pays 1,300 over 13 months: 100 at every month end
    assert {m["month"]: round(m["mrr"] - 100, 9) for m in months if m["mrr"] - 100 > 1e-9} == expected


def test_an_invoice_now_upgrade_counts_from_the_change(tmp_path):
    # 100 a month; upgraded to 160 on 16 Jan, invoiced at once: (160 − 100) × 16/31 = 30.97 for 16 Jan – 1 Feb
    path = _invoices(
        tmp_path,
        "in_1,cus_1,usd,sub_1,2025-01-01 00:00,2025-02-01 00:00,100.00,0.00,0.00,paid,2025-01-01 00:00",
        "in_2,cus_1,usd,sub_1,2025-01-16 00:00,2025-02-01 00:00,30.97,0.00,0.00,paid,2025-01-16 00:00",
        "in_3,cus_1,usd,sub_1,2025-02-01 00:00,2025-03-01 00:00,160.00,0.00,0.00,paid,2025-02-01 00:00",
    )
    months = months_of(path)
    # 30.97 × 31/16 = 60.00 a month from 16 January (rounded to cents, as Stripe bills)
    assert [m["mrr"] for m in months] == pytest.approx([160, 160])
    assert months[0]["new_mrr"] == pytest.approx(160)


def test_a_period_billed_in_advance_is_not_a_churn_to_come(tmp_path):
    path = _invoices(
        tmp_path, "in_1,cus_1,usd,sub_1,2025-03-20 00:00,2026-03-20 00:00,1200.00,0.00,0.00,paid,2025-03-20 00:00"
    )
    months = months_of(path)
    assert [m["month"] for m in months] == ["2025-03"]  # as of the latest invoice, not the period end
    assert months[-1]["churned_customers"] == 0


@pytest.mark.parametrize(
    ("days", "months"),
    [(28, 1), (29, 1), (30, 1), (31, 1), (59, 2), (90, 3), (92, 3), (181, 6), (365, 12), (366, 12), (730, 24)],
)
def test_period_lengths_in_whole_months(days, months):
    assert period_months(days) == months


@pytest.mark.parametrize(
    ("days", "months"),
    [(7, 12 / 52), (14, 24 / 52), (10, 10 / (365.25 / 12)), (45, 45 / (365.25 / 12))],
)
def test_period_lengths_in_weeks_or_days(days, months):
    assert period_months(days) == pytest.approx(months)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "sub_A,100.00,0.00",
            "sub_A,abc,0.00",
            "stripe_invoices.csv!U2 (Subtotal): 'abc' is not a number",
        ),
        (
            "2025-01-01 00:00,2025-02-01 00:00,2025-01-01 00:00",
            "2025-01-01 00:00,2025-02-31 00:00,2025-01-01 00:00",
            "stripe_invoices.csv!P2 (Maximum Line Item Period End (UTC)): '2025-02-31 00:00' is not a date",
        ),
        (
            "2025-01-01 00:00,2025-02-01 00:00,2025-01-01 00:00",
            "2025-01-01 00:00,2024-12-01 00:00,2025-01-01 00:00",
            "stripe_invoices.csv!P2 (Maximum Line Item Period End (UTC)): the period ends (2024-12-01) before",
        ),
        (
            "0.00,20,120.00,120.00,paid",
            "0.00,20,120.00,120.00,refunded",
            "stripe_invoices.csv!AB2 (Status): unknown status 'refunded'",
        ),
    ],
)
def test_a_bad_cell_is_named(tmp_path, old, new, message):
    text = SHAPES["invoices"].read_text()
    assert old in text
    path = tmp_path / "stripe_invoices.csv"
    path.write_text(text.replace(old, new, 1))
    result = CliRunner().invoke(cli, ["metrics", "--subscriptions", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert message in result.output


def test_line_items_without_a_customer_column_count_each_subscription_as_a_customer(tmp_path):
    path = tmp_path / "lines.csv"
    path.write_text(
        "id,subscription,type,proration,period_start,period_end,amount,currency\n"
        "il_1,sub_1,subscription,false,2025-01-05 00:00:00,2025-02-05 00:00:00,4900,usd\n"
        "il_2,sub_2,subscription,false,1736035200,1738713600,9900,usd\n"  # Unix seconds (Data Pipeline)
    )
    months = months_of(path)
    assert months[0]["customers"] == 2 and months[0]["mrr"] == pytest.approx(49 + 99)


def test_the_snapshot_misreads_an_upgrade_that_the_invoices_date(tmp_path):
    # C as the subscriptions export shows it today: 150 a month since 15 January
    path = tmp_path / "stripe_subscriptions.csv"
    path.write_text(
        "id,Customer ID,Plan,Quantity,Currency,Interval,Amount,Status,Start (UTC),Current Period End (UTC)\n"
        "sub_C,cus_C,price_pro_m,1,usd,month,150.00,active,2025-01-15 12:00,2025-05-15 12:00\n"
    )
    snapshot = months_of(path, "--as-of", "2025-04", "--data-through", "2025-04")  # exported in April
    assert [m["mrr"] for m in snapshot] == [150, 150, 150, 150]  # as if 150 had been paid since January
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "\n".join(line for line in SHAPES["invoices"].read_text().splitlines() if line.startswith(("id,", "in_C")))
        + "\n"
    )
    assert [m["mrr"] for m in months_of(invoices)] == [50, 150, 150, 150]  # the upgrade in February


def test_line_items_carry_a_mid_period_change_of_interval(tmp_path):
    # 100 a month from 1 Jan; on 15 Feb switched to 1,800 a year (a new period from that day):
    # credit −50 for the unused half of February, then the year from 15 Feb
    path = tmp_path / "lines.csv"
    path.write_text(
        "id,customer,subscription,type,proration,period_start,period_end,amount,currency\n"
        "il_1,cus_1,sub_1,subscription,false,2025-01-01 00:00:00,2025-02-01 00:00:00,10000,usd\n"
        "il_2,cus_1,sub_1,subscription,false,2025-02-01 00:00:00,2025-03-01 00:00:00,10000,usd\n"
        "il_3,cus_1,sub_1,invoiceitem,true,2025-02-15 00:00:00,2025-03-01 00:00:00,-5000,usd\n"
        "il_4,cus_1,sub_1,subscription,false,2025-02-15 00:00:00,2026-02-15 00:00:00,180000,usd\n"
    )
    months = months_of(path)
    # February's month end: 100 − 100 (the credit over its half month) + 150 = 150
    assert [m["mrr"] for m in months] == pytest.approx([100, 150])
    assert months[1]["expansion_mrr"] == pytest.approx(50)
