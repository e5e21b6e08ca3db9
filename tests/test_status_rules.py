"""Status rules on every subscriptions reader (issue 18): a mapped file's status column is
read with the billing readers' rules (a canceled row with a blank end date is an error, not
active forever; unpaid is churn; never-paid rows are left out), and Chargify's ``unpaid``
is not MRR from the start of the period that was not paid — as Stripe counts unpaid.

Hand-worked: two customers, A at 100 a month from 10 Jan 2025, B at 50 a month from
12 Jan 2025; MRR at the end of January, February and March."""

from __future__ import annotations

from pathlib import Path

import pytest

from .input_helpers import assert_located, metrics

MAP = """[columns]
customer_id = "Account"
amount = "Price"
start_date = "Start"
end_date = "End"
{status}
[defaults]
interval = "month"
{statuses}
"""


def mapped(
    tmp_path: Path, rows: list[str], *, header: str = "State", map_status: bool = True, statuses: str = ""
) -> list[str]:
    data = tmp_path / "billing.csv"
    data.write_text(f"Account,Price,Start,End,{header}\n" + "\n".join(rows) + "\n", encoding="utf-8")
    mapping = tmp_path / "billing.map.toml"
    mapping.write_text(
        MAP.format(status=f'status = "{header}"' if map_status else "", statuses=statuses), encoding="utf-8"
    )
    return ["--subscriptions", str(data), "--map", str(mapping), "--as-of", "2025-03", "--data-through", "2025-03"]


B = "B,50,2025-01-12,,active"


@pytest.mark.parametrize(
    ("row", "mrr"),
    [
        ("A,100,2025-01-10,,active", [150.0, 150.0, 150.0]),
        ("A,100,2025-01-10,2025-03-10,canceled", [150.0, 150.0, 50.0]),  # ended on 10 March
        ("A,100,2025-01-10,2025-03-10,Cancelled", [150.0, 150.0, 50.0]),  # British spelling, any case
        ("A,100,2025-01-10,2025-03-10,unpaid", [150.0, 150.0, 50.0]),  # unpaid from 10 March: churn
        ("A,100,2025-01-10,2025-04-10,pending_cancellation", [150.0, 150.0, 150.0]),  # ends after March
        ("A,100,2025-01-10,2025-02-10,paused", [150.0, 50.0, 50.0]),  # paid until 10 Feb
        ("A,100,2025-01-10,,incomplete", [50.0, 50.0, 50.0]),  # never paid: left out
    ],
)
def test_a_mapped_status_is_read_with_the_billing_rules(tmp_path, row, mrr):
    result = metrics(*mapped(tmp_path, [row, B]))
    assert result.code == 0, result.err
    assert [m["mrr"] for m in result.json()["months"]] == mrr


@pytest.mark.parametrize(
    ("row", "said"),
    [
        # the family of the issue: canceled with a blank end date was active forever (150, 150, 150)
        ("A,100,2025-01-10,,canceled", "E2 (State): 'canceled' but End is blank; give the date it ended"),
        ("A,100,2025-01-10,,expired", "'expired' but End is blank; give the date it ended"),
        ("A,100,2025-01-10,,unpaid", "'unpaid' but End is blank; give the date it stopped being paid"),
        ("A,100,2025-01-10,,paused", "'paused' but End is blank; give the end of the period it paid for"),
        ("A,100,2025-01-10,,frozen", "E2 (State): unknown status 'frozen'"),
        ("A,100,2025-01-10,,", "E2 (State): the status is blank"),
        ("A,100,2025-01-10,,trialing", "'trialing' but a trial end column is blank; give the trial's end"),
    ],
)
def test_a_mapped_status_that_needs_a_date_is_a_located_error(tmp_path, row, said):
    assert_located(metrics(*mapped(tmp_path, [row, B])), "billing.csv", said)


def test_a_status_column_the_map_does_not_name_is_still_read_and_said(tmp_path):
    result = metrics(*mapped(tmp_path, ["A,100,2025-01-10,,canceled", B], header="Status", map_status=False))
    assert_located(result, "'canceled' but End is blank")
    result = metrics(*mapped(tmp_path, ["A,100,2025-01-10,2025-03-10,canceled", B], header="Status", map_status=False))
    assert result.code == 0, result.err
    assert [m["mrr"] for m in result.json()["months"]] == [150.0, 150.0, 50.0]
    assert "its Status column is read as the status" in result.err


def test_your_own_status_words_are_mapped(tmp_path):
    words = '[statuses]\n"Gekündigt" = "canceled"\n"Aktiv" = "active"\n'
    rows = ["A,100,2025-01-10,2025-03-10,Gekündigt", "B,50,2025-01-12,,Aktiv"]
    result = metrics(*mapped(tmp_path, rows, statuses=words))
    assert result.code == 0, result.err
    assert [m["mrr"] for m in result.json()["months"]] == [150.0, 150.0, 50.0]
    bad = '[statuses]\n"Gekündigt" = "gone"\n'
    result = metrics(*mapped(tmp_path, rows, statuses=bad))
    assert result.code == 1 and "statuses.Gekündigt: must be one of our status words" in result.err


CHARGIFY = (
    "id,state,customer_id,product_name,product_price_in_cents,product_interval,product_interval_unit,currency,"
    "created_at,activated_at,canceled_at,expires_at,current_period_started_at,current_period_ends_at,"
    "cancel_at_end_of_period,trial_ended_at\n"
)


def chargify(tmp_path: Path, state: str, period_start: str) -> Path:
    path = tmp_path / "chargify.csv"
    path.write_text(
        CHARGIFY
        + f"1,{state},cus_A,Pro,10000,1,month,USD,2025-01-10,2025-01-10,,,{period_start},2025-04-10,false,\n"
        + "2,active,cus_B,Starter,5000,1,month,USD,2025-01-12,2025-01-12,,,2025-03-12,2025-04-12,false,\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("state", "mrr"),
    [
        ("active", [150.0, 150.0, 150.0]),
        ("past_due", [150.0, 150.0, 150.0]),  # dunning: still MRR until it ends
        ("soft_failure", [150.0, 150.0, 150.0]),
        ("unpaid", [150.0, 150.0, 50.0]),  # the 10 March period went unpaid: churn at 10 March
    ],
)
def test_chargify_unpaid_is_not_mrr(tmp_path, state, mrr):
    path = chargify(tmp_path, state, "2025-03-10")
    result = metrics("--subscriptions", path, "--as-of", "2025-03", "--data-through", "2025-03")
    assert result.code == 0, result.err
    assert [m["mrr"] for m in result.json()["months"]] == mrr
    if state == "unpaid":
        said = "1 unpaid subscription(s) are not MRR from their current_period_started_at"
        assert any(said in w for w in result.warnings), result.warnings


def test_chargify_unpaid_without_its_period_start_is_a_located_error(tmp_path):
    path = chargify(tmp_path, "unpaid", "")
    result = metrics("--subscriptions", path, "--as-of", "2025-03")
    assert_located(result, "chargify.csv", "B2 (state): 'unpaid' but current_period_started_at is blank")
