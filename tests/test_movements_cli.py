"""``kpi-addin movements``: ties to ``kpi-addin metrics``, and hostile names stay inert."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict

import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.metrics.movements import BRIDGE_OF_TYPE, MOVEMENT_COLUMNS


def invoke(*args: str):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("options", [[], ["--convention", "month-start"], ["--history-start", "2025-01"]])
def test_csv_sums_by_month_and_type_are_the_metrics_bridge(options):
    months = {m["month"]: m for m in json.loads(invoke("metrics", "--format", "json", *options))["months"]}
    rows = list(csv.DictReader(io.StringIO(invoke("movements", "--format", "csv", *options))))
    assert {row["month"] for row in rows} == set(months)
    assert list(rows[0]) == list(MOVEMENT_COLUMNS)
    amounts: dict[tuple[str, str], float] = defaultdict(float)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for row in rows:
        amounts[row["month"], row["type"]] += float(row["change"])
        counts[row["month"], row["type"]] += row["counted"] == "true"
    for month, figures in months.items():
        for kind, (amount, count, sign) in BRIDGE_OF_TYPE.items():
            assert sign * amounts[month, kind] == pytest.approx(figures[amount], abs=1e-9), (month, kind)
            if count in figures:  # the contract carries new, reactivated and churned customers
                assert counts[month, kind] == figures[count], (month, kind)


def test_json_and_table_of_the_latest_month():
    document = json.loads(invoke("movements", "--format", "json", "--from", "2025-12", "--to", "2025-12"))
    assert (document["reporting_currency"], document["from"], document["to"]) == ("USD", "2025-12", "2025-12")
    churned = [m for m in document["movements"] if m["type"] == "churned"]
    assert len(churned) == 6
    assert -sum(m["change"] for m in churned) == pytest.approx(1169.46, abs=0.005)
    downgrade = next(m for m in document["movements"] if m["customer_id"] == "C0189")
    assert (downgrade["type"], downgrade["plans_before"], downgrade["plans_after"]) == (
        "contraction",
        "Scale ×3",
        "Growth",
    )
    table = invoke("movements", "--from", "2025-12")
    lines = [" ".join(line.split()) for line in table.splitlines()]
    assert "2025-12 churned 6 $1,169.46" in lines
    assert "2025-12 C0189 Zephyr Health contraction $1,497.00 $149.00 -$1,348.00 Scale ×3 → Growth" in lines


def test_to_sets_the_last_month():
    document = json.loads(invoke("movements", "--format", "json", "--from", "2025-05", "--to", "2025-06"))
    assert {m["month"] for m in document["movements"]} == {"2025-05", "2025-06"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "202x"], "'202x' is not a month"),
        (["--from", "2026-03"], "2026-03 is after --to 2025-12"),
        (["--to", "June"], "'June' is not a month"),
    ],
)
def test_bad_months_are_usage_errors(args, message):
    result = CliRunner().invoke(cli, ["movements", *args])
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


HOSTILE = {
    "C1": '=HYPERLINK("http://evil.example","click")',
    "C2": "Acme\x1b[2J\x1b]0;pwned\x07 Ltd",
    "C3": "+cmd|' /C calc'!A0",
    "C4": "\u202egnp.exe",
}


@pytest.fixture
def hostile_ledger(tmp_path):
    path = tmp_path / "subscriptions.csv"
    lines = ["customer_id,customer_name,plan,amount,interval,start_date,end_date"]
    for i, (customer, name) in enumerate(HOSTILE.items()):
        quoted = '"' + name.replace('"', '""') + '"'
        lines.append(f"{customer},{quoted},@Plan,{10 + i},month,2025-01-05,2025-03-10")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_hostile_names_stay_inert(hostile_ledger):
    table = invoke("movements", "--data", str(hostile_ledger))
    assert "\x1b" not in table and "\x07" not in table and "\u202e" not in table
    assert "Acme Ltd" in table
    rows = list(csv.DictReader(io.StringIO(invoke("movements", "--data", str(hostile_ledger), "--format", "csv"))))
    names = {row["customer_id"]: row["customer_name"] for row in rows}
    assert names["C1"] == "'" + HOSTILE["C1"] and names["C3"] == "'" + HOSTILE["C3"]
    assert all(row["plans_after"] in ("", "'@Plan") and row["plans_before"] in ("", "'@Plan") for row in rows)
    document = json.loads(invoke("movements", "--data", str(hostile_ledger), "--format", "json"))
    assert {m["customer_name"] for m in document["movements"]} == set(HOSTILE.values())  # JSON: exactly
