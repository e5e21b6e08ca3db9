"""Plan against actual: variances by direction, a zero plan, a missing month, quarters, scenarios."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kpi_addin.metrics import CompanyData, KPIValueError, ReportSettings, monthly_kpis
from kpi_addin.metrics.plan import check_plan_key, period_plan, plan_variance, select_scenario, variance

M = pd.Period


def _report():  # type: ignore[no-untyped-def]
    """Worked by hand: a pays 100 from Dec 2024; b pays 50 from Dec 2024 to the end of
    February; c pays 80 from February; d pays 40 from April.  Months Dec (opening) to June.
    MRR: Dec 150, Jan 150, Feb 230, Mar 180, Apr 220, May 220, Jun 220."""
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
            "marketing": [500.0] * 7,
        }
    )
    return monthly_kpis(CompanyData(subs, costs=costs, settings=ReportSettings(as_of=M("2025-06", "M"))))


def _long(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["scenario", "month", "kpi", "value"])
    frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
    return frame


def test_variance_in_both_directions_and_a_zero_plan() -> None:
    assert variance(230.0, 200.0, "higher") == {"abs": 30.0, "pct": 0.15, "favourable": True}
    assert variance(180.0, 200.0, "higher") == {"abs": -20.0, "pct": -0.1, "favourable": False}
    # lower is better: 1 churned against a plan of 2 is favourable, 3 is not
    assert variance(1.0, 2.0, "lower") == {"abs": -1.0, "pct": -0.5, "favourable": True}
    assert variance(3.0, 2.0, "lower") == {"abs": 1.0, "pct": 0.5, "favourable": False}
    # a zero plan: the difference is defined, the percentage is not
    assert variance(1.0, 0.0, "lower") == {"abs": 1.0, "pct": None, "favourable": False}
    assert variance(0.0, 0.0, "lower") == {"abs": 0.0, "pct": None, "favourable": True}
    assert variance(math.nan, 5.0, "higher") == {"abs": None, "pct": None, "favourable": None}


def test_monthly_plan_variance_with_a_missing_month_and_costs() -> None:
    report = _report()
    _, plan = select_scenario(
        _long(
            [
                ("budget", "2025-01", "mrr", 160.0),
                ("budget", "2025-02", "mrr", 200.0),
                # March has no plan row; April plans churn and sales only
                ("budget", "2025-04", "churned_customers", 0.0),
                ("budget", "2025-04", "sales", 1100.0),
                ("budget", "2026-01", "mrr", 999.0),  # past the data: no actual, not reported
            ]
        )
    )
    out = plan_variance(report.monthly, report.inputs, plan)
    assert sorted(out) == ["2025-01", "2025-02", "2025-04"]
    planned, var = out["2025-01"]
    assert planned == {"mrr": 160.0}
    assert var["mrr"] == {"abs": -10.0, "pct": -0.0625, "favourable": False}
    assert out["2025-02"][1]["mrr"] == {"abs": 30.0, "pct": 0.15, "favourable": True}
    planned, var = out["2025-04"]
    assert planned == {"churned_customers": 0.0, "sales": 1100.0}
    assert var["churned_customers"] == {"abs": 0.0, "pct": None, "favourable": True}  # none churned in April
    assert var["sales"] == {"abs": -100.0, "pct": pytest.approx(-1 / 11), "favourable": True}  # a cost under plan


def test_quarters_sum_flows_take_levels_at_the_end_and_recompute_rates() -> None:
    report = _report()
    months = pd.period_range("2025-01", "2025-06", freq="M")
    plan = pd.DataFrame(
        {
            "mrr": [150.0, 200.0, 200.0, 240.0, 250.0, 260.0],
            "new_mrr": [0.0, 50.0, 0.0, 40.0, 10.0, 10.0],
            "churned_customers": [0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            "customer_churn_rate": [0.0, 0.0, 0.5, 0.0, 0.0, 0.0],
            "sales": [900.0, 900.0, 900.0, 1000.0, 1000.0, 1000.0],
            "ltv": [1.0] * 6,  # a unit-economics ratio: no period figure
        },
        index=months,
    )
    p, a = period_plan(report, plan, "quarter")
    assert list(p.columns) == ["mrr", "new_mrr", "churned_customers", "customer_churn_rate", "sales"]
    assert list(p.index) == ["2024Q4", "2025Q1", "2025Q2"]
    # Q1: MRR at March's end; new MRR summed (c's 80); one churn (b) over the months' starting
    # customers 2, 2 and 3 (7 / 3 on average: the period churn "on average", never lost ÷ start)
    assert a.loc["2025Q1"].to_dict() == pytest.approx(
        {"mrr": 180.0, "new_mrr": 80.0, "churned_customers": 1.0, "customer_churn_rate": 3 / 7, "sales": 3100.0}
    )
    # Plan: 50 new; March's planned 50 % of its 3 starting customers = 1.5 lost ÷ 7 / 3
    assert p.loc["2025Q1"].to_dict() == pytest.approx(
        {"mrr": 200.0, "new_mrr": 50.0, "churned_customers": 1.0, "customer_churn_rate": 4.5 / 7, "sales": 2700.0}
    )
    assert a.loc["2025Q2", "mrr"] == 220.0 and p.loc["2025Q2", "mrr"] == 260.0
    assert a.loc["2025Q2", "new_mrr"] == 40.0 and p.loc["2025Q2", "new_mrr"] == 60.0
    # The opening quarter holds only the opening month: no movements, plan left blank
    assert math.isnan(p.loc["2024Q4", "new_mrr"])


def test_scenarios_and_unknown_keys() -> None:
    long = _long([("budget", "2025-01", "mrr", 160.0), ("Reforecast", "2025-01", "mrr", 150.0)])
    assert select_scenario(long)[0] == "budget"
    name, wide = select_scenario(long, "reforecast")
    assert name == "Reforecast" and wide.loc[M("2025-01", "M"), "mrr"] == 150.0
    with pytest.raises(KPIValueError, match=r"'stretch' is not in the plan \(it has budget, Reforecast\)"):
        select_scenario(long, "stretch")
    with pytest.raises(KPIValueError, match=r"did you mean 'churned_mrr'"):
        check_plan_key("churn_mrr")
    with pytest.raises(KPIValueError, match=r"did you mean 'marketing'"):
        check_plan_key("marketng")
