"""A three-month company worked out by hand, through every monthly KPI."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kpi_addin.metrics import MONTHLY_KEYS, monthly_kpis

from .conftest import company, ledger, month

# a: 100/month from Jan 10, plus 20/month from Mar 2 (expansion in March)
# b: 50/month Jan 15 .. Mar 1 (paying at Jan and Feb ends, churned in March)
# c: 1,200/year from Feb 5 (100/month)
SUBS = ledger(
    ("a", 100.0, "month", "2025-01-10", None),
    ("b", 50.0, "month", "2025-01-15", "2025-03-01"),
    ("c", 1200.0, "year", "2025-02-05", None),
    ("a", 20.0, "month", "2025-03-02", None),
)
COSTS = pd.DataFrame(
    {
        "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
        "sales": [300.0, 300.0, 600.0],
        "marketing": [100.0, 200.0, 400.0],
        "customer_success": [40.0, 90.0, 100.0],
        "infrastructure": [20.0, 60.0, 60.0],
        "retention_programs": [0.0, 0.0, None],
        "cogs": [30.0, 50.0, 44.0],
    }
)
FUNNEL = pd.DataFrame(
    {
        "month": pd.to_datetime(["2025-02-01"]),
        "visitors": [10_000.0],
        "leads": [200.0],
        "mql": [80.0],
        "sql": [20.0],
        "pql": [10.0],
        "pql_converted": [3.0],
    }
)
NPS = pd.DataFrame(
    {"date": pd.to_datetime(["2025-02-03", "2025-02-10", "2025-02-11", "2025-02-20"]), "score": [10.0, 9.0, 8.0, 3.0]}
)
BALANCE = pd.DataFrame(
    {
        "period": pd.to_datetime(["2024-12-01", "2025-03-01", "2025-06-01"]),
        "current_assets": [1.0, 300.0, 1.0],
        "inventories": [0.0, 60.0, 0.0],
        "current_liabilities": [1.0, 150.0, 1.0],
        "total_liabilities": [1.0, 400.0, 1.0],
        "shareholders_equity": [1.0, 800.0, 1.0],
        "total_assets": [1.0, 1200.0, 1.0],
        "ebit": [1.0, 90.0, 1.0],
        "interest_expense": [1.0, 15.0, 1.0],
    }
)


@pytest.fixture(scope="module")
def report():
    data = company(SUBS, costs=COSTS, funnel=FUNNEL, nps=NPS, balance_sheet=BALANCE, as_of=month("2025-03"))
    return monthly_kpis(data)


def row(report, text):
    return report.monthly.loc[month(text)]


def test_columns_are_the_json_contract(report):
    assert list(report.monthly.columns) == list(MONTHLY_KEYS[1:])
    assert [str(p) for p in report.monthly.index] == ["2025-01", "2025-02", "2025-03"]


def test_revenue_and_customers(report):
    jan, feb, mar = (row(report, m) for m in ("2025-01", "2025-02", "2025-03"))
    assert (jan["mrr"], feb["mrr"], mar["mrr"]) == (150, 250, 220)  # a+b; a+b+c; a'+c
    assert mar["arr"] == 220 * 12
    assert (jan["customers"], feb["customers"], mar["customers"]) == (2, 3, 2)
    assert (jan["new_customers"], feb["new_customers"], mar["new_customers"]) == (2, 1, 0)
    assert (mar["churned_customers"], mar["churned_mrr"], mar["expansion_mrr"]) == (1, 50, 20)
    assert feb["new_mrr"] == 100


def test_march_rates(report):
    mar = row(report, "2025-03")
    assert mar["customer_churn_rate"] == pytest.approx(1 / 3)  # b of a, b, c
    assert mar["revenue_churn_rate"] == pytest.approx(50 / 250)
    assert mar["nrr"] == pytest.approx((250 + 20 - 0 - 50) / 250)  # 0.88
    assert mar["grr"] == pytest.approx((250 - 0 - 50) / 250)  # 0.8
    assert mar["crr"] == pytest.approx((2 - 0) / 3)
    assert mar["arpu"] == pytest.approx(110)
    assert mar["ltv"] == pytest.approx(110 / (1 / 3))  # 330
    assert mar["saas_quick_ratio"] == pytest.approx(20 / 50)


def test_unit_economics(report):
    feb, mar = row(report, "2025-02"), row(report, "2025-03")
    assert feb["cac"] == pytest.approx((300 + 200) / 1)
    arpu = 250 / 3
    margin = 1 - 50 / 250
    assert feb["cac_payback_months"] == pytest.approx(500 / (arpu * margin))  # 7.5
    assert feb["cts"] == pytest.approx((90 + 60 + 0) / 3)
    assert mar["cts"] == pytest.approx((100 + 60) / 2)  # a blank component is skipped
    assert math.isnan(mar["cac"])  # no new customers: undefined, not 0
    assert math.isnan(feb["ltv"])  # no churn in February: undefined
    assert math.isnan(feb["ltv_cac"])


def test_funnel_and_nps(report):
    jan, feb, mar = (row(report, m) for m in ("2025-01", "2025-02", "2025-03"))
    assert feb["visitors"] == 10_000 and feb["leads"] == 200 and feb["mql"] == 80 and feb["sql"] == 20
    assert feb["ccr"] == pytest.approx(1 / 10_000)
    assert feb["pql_conversion"] == pytest.approx(0.3)
    assert math.isnan(jan["visitors"]) and math.isnan(mar["ccr"])  # no funnel row: blank, not 0
    assert feb["nps"] == pytest.approx(25.0)  # (2 promoters - 1 detractor) / 4
    assert math.isnan(mar["nps"])
    conversions = report.extras.loc[month("2025-02")]
    assert conversions["visitor_to_lead"] == pytest.approx(0.02)
    assert conversions["lead_to_mql"] == pytest.approx(0.4)
    assert conversions["mql_to_sql"] == pytest.approx(0.25)
    assert conversions["lead_to_customer"] == pytest.approx(1 / 200)


def test_balance_sheet_is_the_latest_period_up_to_as_of(report):
    sheet = report.balance_sheet
    assert sheet["period"] == "2025-03"  # 2025-06 is after as_of
    assert sheet["current_ratio"] == pytest.approx(2.0)
    assert sheet["quick_ratio"] == pytest.approx(1.6)
    assert sheet["debt_to_equity"] == pytest.approx(0.5)
    assert sheet["equity_ratio"] == pytest.approx(800 / 1200)
    assert sheet["interest_coverage"] == pytest.approx(6.0)


def test_json_dict_nulls_and_integers(report):
    out = report.to_dict()
    assert set(out) == {
        *("reporting_currency", "as_of", "month_to_date", "opening_month", "history_start", "convention"),
        *("months", "balance_sheet", "warnings", "notes"),
        "rule_of_40_margin",
    }
    feb = out["months"][1]
    assert list(feb) == list(MONTHLY_KEYS)
    assert feb["ltv"] is None and isinstance(feb["customers"], int) and feb["visitors"] == 10_000


def test_absent_sheets_are_left_out_with_a_reason():
    result = monthly_kpis(company(SUBS, as_of=month("2025-03")))
    assert result.monthly["cac"].isna().all() and result.monthly["nps"].isna().all()
    text = " ".join(result.warnings)
    assert "costs: sheet absent" in text and "funnel: sheet absent" in text and "nps: sheet absent" in text
    assert result.to_dict()["balance_sheet"]["current_ratio"] is None
