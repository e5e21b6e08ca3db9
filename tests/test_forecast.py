"""The forecast: committed MRR of a hand-worked ledger, the projection's arithmetic, the drivers."""

from __future__ import annotations

import pandas as pd
import pytest

from kpi_addin.metrics import CompanyData, KPIValueError, ReportSettings, monthly_kpis
from kpi_addin.metrics.forecast import (
    DRIVER_KEYS,
    FLOW_COLUMNS,
    Drivers,
    build_forecast,
    committed_bridge,
    project,
    scenario_drivers,
    trailing_drivers,
)

M = pd.Period


def _ledger() -> pd.DataFrame:
    """As known at the end of January 2025 (worked by hand below):

    * a: an annual contract, 2,400 a year (200 MRR), ends 2025-04-15 (not renewed): churn in April;
    * b: 3 seats × 50 a month, replaced by 1 seat × 50 from 2025-03-01 (a scheduled downgrade):
      contraction of 100 in March;
    * c: on trial until 2025-02-20, converting at 90 a month: new in February;
    * d: 300 a quarter (100 MRR) with no end: steady;
    * e: 60 a month in EUR at 1.10 (66 USD), ended 2025-01-10: churned before the forecast.
    """
    return pd.DataFrame(
        {
            "customer_id": ["a", "b", "b", "c", "d", "e"],
            "amount": [2400.0, 50.0, 50.0, 90.0, 300.0, 60.0],
            "quantity": [1, 3, 1, 1, 1, 1],
            "interval": ["year", "month", "month", "month", "quarter", "month"],
            "currency": ["USD", "USD", "USD", "USD", "USD", "EUR"],
            "start_date": pd.to_datetime(
                ["2024-04-15", "2024-06-01", "2025-03-01", "2025-01-25", "2024-10-01", "2024-11-03"]
            ),
            "end_date": pd.to_datetime(["2025-04-15", "2025-03-01", None, None, None, "2025-01-10"]),
            "trial_end": pd.to_datetime([None, None, None, "2025-02-20", None, None]),
        }
    )


FX = pd.DataFrame(
    {"currency": ["EUR", "EUR"], "rate": [1.10, 1.20], "month": pd.to_datetime(["2024-11-01", "2024-12-01"])}
)


def test_committed_forecast_of_a_hand_worked_ledger() -> None:
    c = committed_bridge(_ledger(), as_of=M("2025-01", "M"), months=4, fx_rates=FX)
    # January: a 200 + b 150 + d 100 = 450 (e ended on the 10th; c is on trial).
    assert c["start_mrr"].tolist() == [450.0, 540.0, 440.0, 240.0]
    assert c["new_mrr"].tolist() == [90.0, 0.0, 0.0, 0.0]  # the trial converts at its recorded price
    assert c["contraction_mrr"].tolist() == [0.0, 100.0, 0.0, 0.0]  # the scheduled downgrade
    assert c["churned_mrr"].tolist() == [0.0, 0.0, 200.0, 0.0]  # the annual contract's end
    assert c["mrr"].tolist() == [540.0, 440.0, 240.0, 240.0]
    assert c["customers"].tolist() == [4, 4, 3, 3]
    assert c["new_customers"].tolist() == [1, 0, 0, 0]
    assert c["churned_customers"].tolist() == [0, 0, 1, 0]
    assert c.index[0] == M("2025-02", "M") and len(c) == 4


def test_committed_holds_exchange_rates_at_as_of() -> None:
    """A foreign customer still paying: its MRR stays at the as-of month's rate, even where
    the rate table holds a later one."""
    ledger = _ledger()
    ledger.loc[5, "end_date"] = pd.NaT
    fx = pd.concat(
        [
            FX,
            pd.DataFrame(
                {"currency": ["EUR"] * 2, "rate": [1.20, 1.50], "month": pd.to_datetime(["2025-01-01", "2025-03-01"])}
            ),
        ]
    )
    c = committed_bridge(ledger, as_of=M("2025-01", "M"), months=3, fx_rates=fx)
    # e: 60 EUR at January's 1.20 = 72 every month (March's 1.50 is not used).
    assert c["start_mrr"].iloc[0] == pytest.approx(450.0 + 72.0)
    assert c["mrr"].tolist() == pytest.approx([612.0, 512.0, 312.0])
    assert c["expansion_mrr"].sum() == 0.0 and c["contraction_mrr"].iloc[0] == 0.0


def _flows(n: int) -> pd.DataFrame:
    return pd.DataFrame(0.0, index=pd.period_range("2026-01", periods=n, freq="M"), columns=list(FLOW_COLUMNS))


def test_projection_arithmetic_by_hand() -> None:
    committed = _flows(3)
    committed.loc["2026-02", "churned_mrr"] = 300.0  # a known cancellation, above the churn rate's 2 %
    committed.loc["2026-03", "new_mrr"] = 50.0  # a trial converting, below the driver's 200
    committed.loc["2026-02", "churned_customers"] = 3.0
    d = Drivers(
        new_mrr=200.0,
        expansion_rate=0.01,
        contraction_rate=0.005,
        churn_rate=0.02,
        reactivation_mrr=10.0,
        new_customers=2.0,
        reactivated_customers=0.5,
        customer_churn_rate=0.05,
    )
    p = project(10_000.0, 40.0, committed, d)
    # Month 1: 10,000 + 200 + 100 + 10 − 50 − 200 = 10,060
    # Month 2: 10,060 + 200 + 100.6 + 10 − 50.3 − max(300, 201.2) = 10,020.3
    # Month 3: 10,020.3 + max(50, 200) + 100.203 + 10 − 50.1015 − 200.406 = 10,080.0
    assert p["mrr"].tolist() == pytest.approx([10_060.0, 10_020.3, 10_079.9955])
    assert p["arr"].tolist() == pytest.approx([120_720.0, 120_243.6, 120_959.946])
    assert p["net_new_mrr"].tolist() == pytest.approx([60.0, -39.7, 59.6955])
    # Customers: 40 + 2 + 0.5 − 2 = 40.5; 40.5 + 2.5 − max(3, 2.025) = 40; 40 + 2.5 − 2 = 40.5
    assert p["customers"].tolist() == pytest.approx([40.5, 40.0, 40.5])
    # The bridge ties in every month.
    moved = p["new_mrr"] + p["expansion_mrr"] + p["reactivation_mrr"] - p["contraction_mrr"] - p["churned_mrr"]
    assert (p["start_mrr"] + moved).tolist() == pytest.approx(p["mrr"].tolist())


def test_zero_drivers_project_the_committed_forecast_exactly() -> None:
    c = committed_bridge(_ledger(), as_of=M("2025-01", "M"), months=6, fx_rates=FX)
    zero = Drivers(**dict.fromkeys(DRIVER_KEYS, 0.0))
    p = project(450.0, 3.0, c, zero)
    assert p["mrr"].tolist() == pytest.approx(c["mrr"].tolist())
    assert p["customers"].tolist() == pytest.approx(c["customers"].astype(float).tolist())


def test_trailing_drivers_are_summed_parts_and_scenarios_move_by_the_spread() -> None:
    bridge = pd.DataFrame(
        {
            "start_mrr": [0.0, 1000.0, 1100.0, 1000.0],
            "new_mrr": [1000.0, 150.0, 50.0, 100.0],
            "expansion_mrr": [0.0, 20.0, 0.0, 10.0],
            "contraction_mrr": [0.0, 10.0, 0.0, 0.0],
            "churned_mrr": [0.0, 60.0, 150.0, 30.0],
            "reactivation_mrr": [0.0, 0.0, 0.0, 30.0],
            "start_customers": [0, 10, 11, 10],
            "new_customers": [10, 2, 1, 1],
            "reactivated_customers": [0, 0, 0, 1],
            "churned_customers": [0, 1, 2, 1],
        },
        index=pd.period_range("2025-01", periods=4, freq="M"),
    )
    d, s = trailing_drivers(bridge, M("2025-04", "M"), opening_month=M("2025-01", "M"))
    assert d.new_mrr == pytest.approx(100.0)  # (150 + 50 + 100) / 3, the opening month left out
    assert d.churn_rate == pytest.approx(240.0 / 3100.0)  # Σ churned ÷ Σ start, not the mean of rates
    assert d.customer_churn_rate == pytest.approx(4.0 / 31.0)
    assert d.reactivated_customers == pytest.approx(1.0 / 3.0)
    assert s.new_mrr == pytest.approx(50.0)  # sample standard deviation of 150, 50, 100
    low, high = scenario_drivers(d, s, "low"), scenario_drivers(d, s, "high")
    assert (low.new_mrr, high.new_mrr) == pytest.approx((50.0, 150.0))
    assert low.churn_rate > d.churn_rate > high.churn_rate >= 0.0
    with pytest.raises(KPIValueError, match="'middle' is not base, low or high"):
        scenario_drivers(d, s, "middle")


def test_build_forecast_from_a_report() -> None:
    subs = _ledger()
    data = CompanyData(
        subs,
        fx_rates=FX,
        settings=ReportSettings(as_of=M("2025-01", "M")),
        targets=pd.DataFrame({"kpi": ["mrr", "arr"], "target": [600.0, 99_999.0], "direction": ["higher"] * 2}),
    )
    report = monthly_kpis(data, today=pd.Timestamp("2025-02-15").date())
    zero = dict.fromkeys(DRIVER_KEYS, 0.0)
    f = build_forecast(report, data, months=4, drivers=zero)
    assert f.projected["mrr"].tolist() == pytest.approx([540.0, 440.0, 240.0, 240.0])
    f = build_forecast(report, data, months=4, drivers={**zero, "new_mrr": 100.0})
    # 450 → +100 (above the trial's 90) = 550 → +100 − 100 = 550 → +100 − 200 = 450 → 550
    assert f.projected["mrr"].tolist() == pytest.approx([550.0, 550.0, 450.0, 550.0])
    assert f.targets == [
        {"kpi": "mrr", "target": 600.0, "reached": None},
        {"kpi": "arr", "target": 99_999.0, "reached": None},
    ]
    f = build_forecast(report, data, months=4, drivers={**zero, "new_mrr": 200.0})
    # 650, 750, 750, 950: the MRR target 600 is reached in the first month
    assert f.targets[0]["reached"] == "2025-02"
    out = f.to_dict()
    assert out["from"] == "2025-01" and [m["month"] for m in out["projected"]] == [
        "2025-02",
        "2025-03",
        "2025-04",
        "2025-05",
    ]  # type: ignore[index,union-attr]
    with pytest.raises(KPIValueError, match="unknown driver 'growth'"):
        build_forecast(report, data, drivers={"growth": 1.0})
