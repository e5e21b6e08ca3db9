"""``kpi-addin forecast``: the committed layer of a hand-worked ledger, the projection's
arithmetic checked month by month from the printed drivers, targets, the gap to plan,
the scenarios, and the three formats agreeing."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "kpi_addin.cli"]

#: The ledger of tests/test_forecast.py, as known at the end of January 2025: a's annual
#: contract (200 MRR) ends 2025-04-15; b's 3 seats x 50 become 1 seat from 2025-03-01;
#: c's trial ends 2025-02-20 and converts at 90; d pays 300 a quarter (100 MRR); e (EUR)
#: ended 2025-01-10.
LEDGER = """customer_id,amount,quantity,interval,currency,start_date,end_date,trial_end
a,2400,1,year,USD,2024-04-15,2025-04-15,
b,50,3,month,USD,2024-06-01,2025-03-01,
b,50,1,month,USD,2025-03-01,,
c,90,1,month,USD,2025-01-25,,2025-02-20
d,300,1,quarter,USD,2024-10-01,,
e,60,1,month,EUR,2024-11-03,2025-01-10,
"""


def run(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)
    assert done.returncode == code, done.stderr
    return done


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("forecast")
    (out / "subscriptions.csv").write_text(LEDGER, encoding="utf-8")
    (out / "fx_rates.csv").write_text("currency,rate,month\nEUR,1.10,2024-11\nEUR,1.20,2024-12\n", encoding="utf-8")
    (out / "targets.csv").write_text("kpi,target\nmrr,500\narr,99999\n", encoding="utf-8")
    (out / "plan.csv").write_text("month,mrr,customers\n2025-02,500,4\n2025-03,520,5\n", encoding="utf-8")
    return out


def forecast_json(folder: Path, *extra: str) -> dict:
    args = ("forecast", "--data", str(folder), "--as-of", "2025-01", "--months", "4", "--format", "json")
    return json.loads(run(*args, *extra).stdout)


def test_committed_layer_of_the_hand_worked_ledger(folder: Path) -> None:
    out = forecast_json(folder)
    assert out["as_of"] == "2025-01" and set(out) == {"reporting_currency", "as_of", "convention", "forecast"}
    f = out["forecast"]
    committed = f["committed"]
    assert [m["month"] for m in committed] == ["2025-02", "2025-03", "2025-04", "2025-05"]
    # January's 450 (a 200 + b 150 + d 100): the trial converts (+90), the downgrade (-100),
    # the annual contract ends (-200)
    assert [m["mrr"] for m in committed] == [540.0, 440.0, 240.0, 240.0]
    assert [m["arr"] for m in committed] == [6480.0, 5280.0, 2880.0, 2880.0]
    assert [m["customers"] for m in committed] == [4, 4, 3, 3]
    assert [m["net_new_mrr"] for m in committed] == [90.0, -100.0, -200.0, 0.0]
    assert f["start_mrr"] == 450.0 and f["start_customers"] == 3


def test_projection_follows_its_drivers_month_by_month(folder: Path) -> None:
    f = forecast_json(folder)["forecast"]
    d = f["drivers"]
    start = f["start_mrr"]
    for committed, projected in zip(f["committed"], f["projected"], strict=True):
        new = max(committed["new_mrr"], d["new_mrr"])
        expansion = max(committed["expansion_mrr"], d["expansion_rate"] * start)
        reactivation = max(committed["reactivation_mrr"], d["reactivation_mrr"])
        contraction = max(committed["contraction_mrr"], d["contraction_rate"] * start)
        churned = max(committed["churned_mrr"], d["churn_rate"] * start)
        end = start + new + expansion + reactivation - contraction - churned
        assert projected["mrr"] == pytest.approx(end, rel=1e-12)
        assert projected["arr"] == pytest.approx(12 * end, rel=1e-12)
        assert projected["net_new_mrr"] == pytest.approx(end - start, rel=1e-12, abs=1e-9)
        start = end
    # the gap to plan is the projection minus the plan, where planned
    gap = {g["month"]: g for g in f["plan_gap"]}
    assert gap["2025-02"]["mrr"] == pytest.approx(f["projected"][0]["mrr"] - 500.0)
    assert gap["2025-03"]["customers"] == pytest.approx(f["projected"][1]["customers"] - 5.0)
    assert gap["2025-04"]["mrr"] is None
    # targets: reached in the first month whose projected MRR is 500 or more, or never
    first = next((p["month"] for p in f["projected"] if p["mrr"] >= 500.0), None)
    assert f["targets"] == [
        {"kpi": "mrr", "target": 500.0, "reached": first},
        {"kpi": "arr", "target": 99999.0, "reached": None},
    ]


def test_low_and_high_move_each_driver_by_its_variability(folder: Path) -> None:
    base = forecast_json(folder)["forecast"]
    low = forecast_json(folder, "--scenario", "low")["forecast"]
    high = forecast_json(folder, "--scenario", "high")["forecast"]
    spread = base["driver_variability"]
    for key, value in base["drivers"].items():
        helps = key not in ("contraction_rate", "churn_rate", "customer_churn_rate")
        assert low["drivers"][key] == pytest.approx(max(0.0, value - spread[key] if helps else value + spread[key]))
        assert high["drivers"][key] == pytest.approx(max(0.0, value + spread[key] if helps else value - spread[key]))
    assert low["committed"] == base["committed"] == high["committed"]  # the ledger does not move
    assert low["projected"][-1]["mrr"] <= base["projected"][-1]["mrr"] <= high["projected"][-1]["mrr"]


def test_csv_and_table_show_the_json_figures(folder: Path) -> None:
    f = forecast_json(folder)["forecast"]
    base = ("forecast", "--data", str(folder), "--as-of", "2025-01", "--months", "4")
    rows = list(csv.DictReader(io.StringIO(run(*base, "--format", "csv").stdout)))
    assert [r["month"] for r in rows] == ["2025-02", "2025-03", "2025-04", "2025-05"]
    assert [float(r["committed_mrr"]) for r in rows] == [540.0, 440.0, 240.0, 240.0]
    assert float(rows[-1]["projected_mrr"]) == f["projected"][-1]["mrr"]
    assert float(rows[0]["plan_gap_mrr"]) == pytest.approx(f["plan_gap"][0]["mrr"]) and rows[2]["plan_gap_mrr"] == ""
    table = run(*base).stdout
    assert "forecast from 2025-01 (the last actual month), 4 months, scenario base" in table
    assert "Committed (ledger only, no new business)" in table and "Projected (committed + drivers)" in table
    assert "$540.00" in table and "Forecast months, never actuals" in table
    assert "Target arr $99,999.00: reached not within 4 months" in table


def test_bad_options_are_usage_errors(folder: Path) -> None:
    done = run("forecast", "--data", str(folder), "--scenario", "middle", code=2)
    assert "'middle' is not one of 'base', 'low', 'high'" in done.stderr
    done = run("forecast", "--data", str(folder), "--months", "0", code=2)
    assert "--months" in done.stderr and "Traceback" not in done.stderr
