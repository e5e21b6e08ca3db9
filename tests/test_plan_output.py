"""``kpi-addin metrics`` against a plan: each month's (or quarter's) ``plan`` and
``variance`` in JSON, the plan columns in CSV and the actual / plan / variance rows of the
table — on a ledger worked by hand, and on the sample's budget from the command line."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pandas as pd
import pytest

from kpi_addin.metrics import MONTHLY_KEYS, CompanyData, ReportSettings, monthly_kpis
from kpi_addin.metrics_output import metrics_text

M = pd.Period


def _company(period: str = "month") -> tuple[CompanyData, object]:
    """By hand: a pays 100 from Dec 2024; b pays 50 from Dec 2024 to the end of February;
    c pays 80 from February; d pays 40 from April.  MRR: Dec 150 (opening), Jan 150,
    Feb 230, Mar 180, Apr 220, May 220, Jun 220.  Sales 1000, 1000, 1200, 900, 1000, 1100, 1000."""
    subs = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "amount": [100.0, 50.0, 80.0, 40.0],
            "interval": ["month"] * 4,
            "start_date": pd.to_datetime(["2024-12-10", "2024-12-15", "2025-02-03", "2025-04-07"]),
            "end_date": pd.to_datetime([None, "2025-03-01", None, None]),
        }
    )
    costs = pd.DataFrame(
        {
            "month": pd.date_range("2024-12-01", periods=7, freq="MS"),
            "sales": [1000.0, 1000.0, 1200.0, 900.0, 1000.0, 1100.0, 1000.0],
        }
    )
    rows = [
        ("2025-01", "mrr", 160.0),  # actual 150: 10 under, unfavourable
        ("2025-02", "mrr", 200.0),  # actual 230: 30 over, favourable
        ("2025-03", "mrr", 200.0),
        ("2025-01", "sales", 1000.0),  # equal: favourable, 0 %
        ("2025-02", "sales", 1000.0),  # 1200: a cost 200 over plan, unfavourable
        ("2025-03", "sales", 1000.0),
        ("2025-02", "churned_customers", 0.0),  # a zero plan: no percentage
        ("2025-03", "churned_customers", 0.0),  # b churned in March: unfavourable
        ("2025-07", "mrr", 300.0),  # past the data: never compared
    ]
    plan = pd.DataFrame([(None, M(m, "M"), k, v) for m, k, v in rows], columns=["scenario", "month", "kpi", "value"])
    settings = ReportSettings(as_of=M("2025-06", "M"), period=period)
    data = CompanyData(subs, costs=costs, settings=settings, plan=plan)
    return data, monthly_kpis(data)


def test_json_months_gain_plan_and_variance() -> None:
    data, report = _company()
    out = json.loads(metrics_text(report, "json", 6, data))  # type: ignore[arg-type]
    months = {m["month"]: m for m in out["months"]}
    assert out["plan_scenario"] is None
    jan, feb, mar = months["2025-01"], months["2025-02"], months["2025-03"]
    assert jan["plan"] == {"mrr": 160.0, "sales": 1000.0}
    assert jan["variance"]["mrr"] == {"abs": -10.0, "pct": -0.0625, "favourable": False}
    assert jan["variance"]["sales"] == {"abs": 0.0, "pct": 0.0, "favourable": True}
    assert feb["variance"]["mrr"] == {"abs": 30.0, "pct": 0.15, "favourable": True}
    assert feb["variance"]["sales"] == {"abs": 200.0, "pct": 0.2, "favourable": False}
    assert feb["variance"]["churned_customers"] == {"abs": 0.0, "pct": None, "favourable": True}
    assert mar["variance"]["mrr"] == {"abs": -20.0, "pct": -0.1, "favourable": False}
    assert mar["variance"]["churned_customers"] == {"abs": 1.0, "pct": None, "favourable": False}
    # an unplanned month has empty objects; the planned July is past the report
    assert months["2025-04"]["plan"] == {} and months["2025-04"]["variance"] == {}
    assert "2025-07" not in months
    # the monthly keys come first, unchanged
    assert list(jan)[-2:] == ["plan", "variance"] and jan["mrr"] == 150.0


def test_without_a_plan_the_contract_is_unchanged() -> None:
    data, report = _company()
    data.plan = None
    out = json.loads(metrics_text(report, "json", 6, data))  # type: ignore[arg-type]
    assert "plan_scenario" not in out and "plan" not in out["months"][-1]
    assert metrics_text(report, "csv", 6, data).splitlines()[0] == ",".join(MONTHLY_KEYS)  # type: ignore[arg-type]


def test_csv_has_plan_variance_and_percentage_columns() -> None:
    data, report = _company()
    rows = list(csv.DictReader(io.StringIO(metrics_text(report, "csv", 6, data))))  # type: ignore[arg-type]
    header = list(rows[0])
    assert header[-9:] == [
        *("mrr_plan", "mrr_variance", "mrr_variance_pct"),
        *("churned_customers_plan", "churned_customers_variance", "churned_customers_variance_pct"),
        *("sales_plan", "sales_variance", "sales_variance_pct"),
    ]
    feb = next(r for r in rows if r["month"] == "2025-02")
    assert (feb["mrr_plan"], feb["mrr_variance"], feb["mrr_variance_pct"]) == ("200.0", "30.0", "0.15")
    assert feb["churned_customers_variance_pct"] == ""  # a zero plan
    may = next(r for r in rows if r["month"] == "2025-05")
    assert may["mrr_plan"] == "" and may["mrr"] == "220.0"


def test_table_shows_actual_plan_and_variance() -> None:
    data, report = _company()
    text = metrics_text(report, "table", 6, data)  # type: ignore[arg-type]
    rows = {line.split("  ")[0].strip(): line for line in text.splitlines()}
    # columns: 2025-01 .. 2025-06; April to June are not planned (blank)
    assert rows["MRR: actual"].split()[-6:] == ["$150.00", "$230.00", "$180.00", "$220.00", "$220.00", "$220.00"]
    assert rows["MRR: plan"].split()[-3:] == ["$160.00", "$200.00", "$200.00"]
    assert rows["MRR: variance"].split()[-6:] == ["-$10.00", "!", "$30.00", "+", "-$20.00", "!"]
    assert rows["MRR: variance %"].split()[-3:] == ["-6.25%", "15.00%", "-10.00%"]
    assert rows["Sales: variance"].split()[-6:] == ["$0.00", "+", "$200.00", "!", "-$100.00", "+"]
    assert "+ favourable, ! unfavourable" in text


def test_quarters_sum_the_flows_and_take_the_level_at_the_end() -> None:
    data, report = _company("quarter")
    out = json.loads(metrics_text(report, "json", 6, data))  # type: ignore[arg-type]
    q1 = next(p for p in out["periods"] if p["period"] == "2025Q1")
    # MRR: March's plan 200 against March's actual 180; sales 3 x 1000 planned against
    # 1000 + 1200 + 900 = 3100; churned customers 0 + 0 planned (January unplanned: no
    # quarter plan, since a sum over months with a gap is not the quarter's)
    assert q1["plan"]["mrr"] == 200.0
    assert q1["variance"]["mrr"] == {"abs": -20.0, "pct": -0.1, "favourable": False}
    assert q1["plan"]["sales"] == 3000.0
    assert q1["variance"]["sales"] == {"abs": 100.0, "pct": pytest.approx(1 / 30), "favourable": False}
    assert "churned_customers" not in q1["plan"]
    q2 = next(p for p in out["periods"] if p["period"] == "2025Q2")
    assert q2["plan"] == {} and q2["variance"] == {}  # nothing planned in Q2


def test_the_sample_budget_from_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kpi_addin.cli", "metrics", "--format", "json", "--as-of", "2025-12"],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(done.stdout)
    assert out["plan_scenario"] == "budget"
    december = out["months"][-1]
    assert december["plan"]["mrr"] == 58610.0
    assert december["variance"]["mrr"]["abs"] == pytest.approx(december["mrr"] - 58610.0)
    assert december["variance"]["mrr"]["favourable"] is True
    # marketing is a cost: 21,153.76 spent against 19,900 planned is unfavourable
    assert december["plan"]["marketing"] == 19900.0
    assert december["variance"]["marketing"]["abs"] == pytest.approx(1253.76)
    assert december["variance"]["marketing"]["favourable"] is False
    assert out["months"][0]["plan"] == {}  # 2024 is not in the budget
