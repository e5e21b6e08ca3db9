"""Stripe's published MRR rules on hand-worked invoices and subscriptions (issue 18).

* Metered usage is not MRR ("MRR calculations exclude ... any metered (usage based)
  products": https://docs.stripe.com/billing/subscriptions/analytics/glossary).
* Unpaid is not MRR ("When a subscriber's subscription is canceled or marked as unpaid ...
  no longer counts towards MRR", the same page; "Once a subscription is unpaid rather than
  active, the amount does not count towards your MRR",
  https://support.stripe.com/questions/billing-analytics).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from .input_helpers import metrics

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
INVOICE_COLUMNS = (FIXTURES / "stripe_invoices.csv").read_text().splitlines()[0].split(",")
SUBSCRIPTION_COLUMNS = (FIXTURES / "stripe_subscriptions.csv").read_text().splitlines()[0].split(",")


def invoice(
    number: str,
    subscription: str,
    date: str,
    service: tuple[str, str],
    window: tuple[str, str],
    subtotal: str,
    **other: str,
) -> dict:
    """One row of Stripe's invoices export: ``service`` is the Minimum / Maximum Line Item Period,
    ``window`` the invoice's Period Start / End (the billing window before it)."""
    row = dict.fromkeys(INVOICE_COLUMNS, "")
    row.update(
        {
            "id": number,
            "Currency": "usd",
            "Customer": "cus_" + subscription[-1],
            "Date (UTC)": date,
            "Minimum Line Item Period Start (UTC)": service[0],
            "Maximum Line Item Period End (UTC)": service[1],
            "Period Start (UTC)": window[0],
            "Period End (UTC)": window[1],
            "Subscription": subscription,
            "Subtotal": subtotal,
            "Total Discount Amount": "0.00",
            "Status": "paid",
        }
    )
    row.update(other)
    return row


def write(path: Path, columns: list[str], rows: list[dict]) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue())
    return path


def mrr_by_month(path: Path, as_of: str) -> tuple[dict[str, float], list[str]]:
    result = metrics("--subscriptions", path, "--as-of", as_of, "--data-through", as_of)  # exported then
    assert result.code == 0, result.err
    return {m["month"]: m["mrr"] for m in result.json()["months"]}, result.warnings


JAN, FEB, MAR, APR = "2025-01-01 00:00", "2025-02-01 00:00", "2025-03-01 00:00", "2025-04-01 00:00"


def test_usage_billed_in_arrears_never_rewrites_the_previous_month(tmp_path):
    # sub_A: 50 a month licensed, plus metered usage billed at the end of each month:
    #   in_1 (1 Jan): 50 for Jan                                   → service Jan–Feb
    #   in_2 (1 Feb): 50 for Feb + 15 of January's usage = 65      → service Jan–Mar (starts at Jan's start)
    #   in_3 (1 Mar): 50 for Mar + 12 of February's usage = 62     → service Feb–Apr
    # Stripe's MRR: 50, 50, 50 (usage is not MRR). Read as prorations it was 65, 65, ...
    # sub_B: 30 a month licensed, no usage — the second customer keeps the months apart.
    rows = [
        invoice("in_1", "sub_A", JAN, (JAN, FEB), (JAN, JAN), "50.00"),
        invoice("in_2", "sub_A", FEB, (JAN, MAR), (JAN, FEB), "65.00"),
        invoice("in_3", "sub_A", MAR, (FEB, APR), (FEB, MAR), "62.00"),
        invoice("in_4", "sub_B", JAN, (JAN, FEB), (JAN, JAN), "30.00"),
        invoice("in_5", "sub_B", FEB, (FEB, MAR), (JAN, FEB), "30.00"),
        invoice("in_6", "sub_B", MAR, (MAR, APR), (FEB, MAR), "30.00"),
    ]
    mrr, notes = mrr_by_month(write(tmp_path / "invoices.csv", INVOICE_COLUMNS, rows), "2025-03")
    assert mrr == {"2025-01": 80.0, "2025-02": 80.0, "2025-03": 80.0}
    said = [n for n in notes if "bill the previous period's metered usage in arrears" in n]
    assert said and "2 invoice(s)" in said[0] and "27.00 of usage in all" in said[0], notes


def test_an_invoice_of_usage_only_is_not_mrr(tmp_path):
    # sub_U is metered only: each invoice bills the window before it (service period = its window)
    rows = [
        invoice("in_1", "sub_A", JAN, (JAN, FEB), (JAN, JAN), "50.00"),
        invoice("in_2", "sub_A", FEB, (FEB, MAR), (JAN, FEB), "50.00"),
        invoice("in_3", "sub_U", FEB, (JAN, FEB), (JAN, FEB), "30.00"),
        invoice("in_4", "sub_U", MAR, (FEB, MAR), (FEB, MAR), "40.00"),
    ]
    result = metrics("--subscriptions", write(tmp_path / "invoices.csv", INVOICE_COLUMNS, rows), "--as-of", "2025-02")
    assert result.code == 0, result.err
    months = result.json()["months"]
    assert [m["mrr"] for m in months] == [50.0, 50.0] and [m["customers"] for m in months] == [1, 1]
    assert any("2 metered usage invoice(s) (70.00) are not MRR" in n for n in result.warnings), result.warnings


def test_metered_line_items_are_not_mrr(tmp_path):
    # the line-item shape with the price's usage type: 50 licensed + 15 metered each month
    path = tmp_path / "lines.csv"
    path.write_text(
        "id,invoice_id,customer,subscription,type,proration,period_start,period_end,amount,currency,"
        "price.recurring.usage_type\n"
        f"il_1,in_1,cus_A,sub_A,subscription,false,{JAN},{FEB},5000,usd,licensed\n"
        f"il_2,in_2,cus_A,sub_A,subscription,false,{FEB},{MAR},5000,usd,licensed\n"
        f"il_3,in_2,cus_A,sub_A,subscription,false,{JAN},{FEB},1500,usd,metered\n"
        f"il_4,in_3,cus_A,sub_A,subscription,false,{MAR},{APR},5000,usd,licensed\n"
        f"il_5,in_3,cus_A,sub_A,subscription,false,{FEB},{MAR},1200,usd,metered\n"
    )
    mrr, notes = mrr_by_month(path, "2025-03")
    assert mrr == {"2025-01": 50.0, "2025-02": 50.0, "2025-03": 50.0}
    assert any("2 metered usage line item(s) (27.00) are not MRR" in n for n in notes), notes


def test_an_open_invoice_marked_uncollectible_is_not_mrr(tmp_path):
    # sub_A pays January and February; March's invoice stays open and is marked uncollectible
    # at the end of dunning: the subscription is unpaid from March, as Stripe counts it
    rows = [
        invoice("in_1", "sub_A", JAN, (JAN, FEB), (JAN, JAN), "50.00"),
        invoice("in_2", "sub_A", FEB, (FEB, MAR), (JAN, FEB), "50.00"),
        invoice(
            "in_3",
            "sub_A",
            MAR,
            (MAR, APR),
            (FEB, MAR),
            "50.00",
            **{"Status": "open", "Marked Uncollectible At (UTC)": "2025-03-20 00:00"},
        ),
        invoice("in_4", "sub_B", JAN, (JAN, APR), (JAN, JAN), "90.00"),
    ]
    mrr, notes = mrr_by_month(write(tmp_path / "invoices.csv", INVOICE_COLUMNS, rows), "2025-03")
    assert mrr == {"2025-01": 80.0, "2025-02": 80.0, "2025-03": 30.0}
    assert any("1 uncollectible invoice(s) left out (50.00 before tax)" in n for n in notes), notes


def subscription(sub: str, status: str, start: str, period: tuple[str, str], **other: str) -> dict:
    row = dict.fromkeys(SUBSCRIPTION_COLUMNS, "")
    row.update(
        {
            "id": sub,
            "Customer ID": "cus_" + sub[-1],
            "Plan": "price_m",
            "Quantity": "1",
            "Currency": "usd",
            "Interval": "month",
            "Interval Count": "1",
            "Amount": "49.00",
            "Status": status,
            "Created (UTC)": start,
            "Start (UTC)": start,
            "Current Period Start (UTC)": period[0],
            "Current Period End (UTC)": period[1],
            "Cancel At Period End": "false",
        }
    )
    row.update(other)
    return row


@pytest.mark.parametrize(
    ("status", "extra", "expected"),
    [
        # unpaid since its March period (5 Mar – 5 Apr) went unpaid: churn at 5 March, not MRR at 31 March
        ("unpaid", {}, {"2025-01": 99.0, "2025-02": 99.0, "2025-03": 50.0}),
        # a status date says when it became unpaid: 2 April, so March still counts
        ("unpaid", {"Status Date (UTC)": "2025-04-02 00:00"}, {"2025-01": 99.0, "2025-02": 99.0, "2025-03": 99.0}),
        # past due: Stripe keeps it in MRR until it ends
        ("past_due", {}, {"2025-01": 99.0, "2025-02": 99.0, "2025-03": 99.0}),
    ],
)
def test_unpaid_is_not_mrr_past_due_is(tmp_path, status, extra, expected):
    columns = SUBSCRIPTION_COLUMNS + [c for c in extra if c not in SUBSCRIPTION_COLUMNS]
    rows = [
        {
            **dict.fromkeys(columns, ""),
            **subscription("sub_A", status, "2025-01-05 09:00", ("2025-03-05 09:00", "2025-04-05 09:00"), **extra),
        },
        {
            **dict.fromkeys(columns, ""),
            **subscription(
                "sub_B", "active", "2025-01-02 09:00", ("2025-03-02 09:00", "2025-04-02 09:00"), Amount="50.00"
            ),
        },
    ]
    mrr, notes = mrr_by_month(write(tmp_path / "subs.csv", columns, rows), "2025-03")
    assert mrr == expected
    if status == "unpaid":
        assert any("1 unpaid subscription(s) are not MRR" in n for n in notes), notes


# --------------------------------------------------------------------------- the rule options
# Where we differ from Stripe's default (docs/sources.md, "Where we differ from Stripe's own
# MRR"), the other rule is an option: --stripe-coupons forever-only, --stripe-cancel immediately.


def mrr_with(path: Path, *options: str) -> list[float]:
    result = metrics("--subscriptions", path, "--as-of", "2025-03", "--data-through", "2025-03", *options)
    assert result.code == 0, result.err
    return [m["mrr"] for m in result.json()["months"]]


def coupon_invoices(tmp_path: Path, *, durations: bool = True) -> Path:
    # sub_A: 100 a month with a 20-off coupon repeating for January and February only;
    # sub_B: 50 a month with a 10-off coupon forever.
    #   billed (ours):        A 80, 80, 100 + B 40, 40, 40 = 120, 120, 140 (the coupon's end an expansion)
    #   forever-only (Stripe): A 100, 100, 100 + B 40, 40, 40 = 140, 140, 140
    columns = [*INVOICE_COLUMNS, "Coupon Duration"] if durations else INVOICE_COLUMNS

    before = {JAN: (JAN, JAN), FEB: (JAN, FEB), MAR: (FEB, MAR)}  # each invoice's billing window

    def row(number: str, sub: str, month: tuple[str, str], subtotal: str, off: str, duration: str) -> dict:
        extra = {"Total Discount Amount": off, "Applied Coupons": "co_1" if off != "0.00" else ""}
        if durations:
            extra["Coupon Duration"] = duration if off != "0.00" else ""
        return invoice(number, sub, month[0], month, before[month[0]], subtotal, **extra)

    rows = [
        row("in_1", "sub_A", (JAN, FEB), "100.00", "20.00", "repeating"),
        row("in_2", "sub_A", (FEB, MAR), "100.00", "20.00", "repeating"),
        row("in_3", "sub_A", (MAR, APR), "100.00", "0.00", ""),
        row("in_4", "sub_B", (JAN, FEB), "50.00", "10.00", "forever"),
        row("in_5", "sub_B", (FEB, MAR), "50.00", "10.00", "forever"),
        row("in_6", "sub_B", (MAR, APR), "50.00", "10.00", "forever"),
    ]
    return write(tmp_path / "invoices.csv", columns, rows)


def test_coupons_billed_by_default_forever_only_as_stripe_counts_them(tmp_path):
    path = coupon_invoices(tmp_path)
    assert mrr_with(path) == [120.0, 120.0, 140.0]
    assert mrr_with(path, "--stripe-coupons", "billed") == [120.0, 120.0, 140.0]
    assert mrr_with(path, "--stripe-coupons", "forever-only") == [140.0, 140.0, 140.0]


def test_forever_only_without_the_coupons_duration_is_a_located_error(tmp_path):
    path = coupon_invoices(tmp_path, durations=False)
    result = metrics("--subscriptions", path, "--stripe-coupons", "forever-only")
    letter = chr(ord("A") + INVOICE_COLUMNS.index("Total Discount Amount"))
    assert result.code == 1
    assert f"invoices.csv!{letter}2 (Total Discount Amount): --stripe-coupons forever-only needs" in result.err


def test_a_stripe_rule_option_without_a_stripe_export_is_a_usage_error():
    result = metrics("--stripe-cancel", "immediately")
    assert result.code == 2 and "give that file too" in result.err


@pytest.mark.parametrize(
    ("status", "extra"),
    [
        # still active, set to cancel at the period end (5 March) on 20 February
        ("active", {"Cancel At Period End": "true", "Canceled At (UTC)": "2025-02-20 10:00"}),
        # since ended: Canceled At is when it was scheduled, Ended At the period end
        ("canceled", {"Canceled At (UTC)": "2025-02-20 10:00", "Ended At (UTC)": "2025-03-05 09:00"}),
    ],
)
def test_a_cancellation_counts_at_the_period_end_or_when_made(tmp_path, status, extra):
    # sub_A 49 from 5 Jan, its last period 5 Feb – 5 Mar; sub_B 50 throughout.
    #   at-period-end (ours):  99 (Jan), 99 (Feb: paid until 5 Mar), 50 (Mar)
    #   immediately (Stripe):  99 (Jan), 50 (Feb: canceled on 20 Feb), 50 (Mar)
    rows = [
        subscription("sub_A", status, "2025-01-05 09:00", ("2025-02-05 09:00", "2025-03-05 09:00"), **extra),
        subscription("sub_B", "active", "2025-01-02 09:00", ("2025-03-02 09:00", "2025-04-02 09:00"), Amount="50.00"),
    ]
    path = write(tmp_path / "subs.csv", SUBSCRIPTION_COLUMNS, rows)
    assert mrr_with(path) == [99.0, 99.0, 50.0]
    assert mrr_with(path, "--stripe-cancel", "at-period-end") == [99.0, 99.0, 50.0]
    assert mrr_with(path, "--stripe-cancel", "immediately") == [99.0, 50.0, 50.0]
