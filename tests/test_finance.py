"""Cash, burn, runway, efficiency and margins on a company worked by hand (issue 21).

Fifteen months, 2025-01 (the ledger's opening month) to 2026-03.  Every expected figure
below is computed here by hand from the tables of this docstring-like comment, never
read back from the library.

Customers (monthly amounts): c01 1000, c02 800 (leaves in 2025-08), c03 100 (leaves in
2026-01), c04..c10 100 each (seven), all from 2025-01; then new: c11 50 (2025-02), c12 50
(2025-03), c13 400 (2025-04), c14 200 (2025-06), c15 100 (2025-09), c16 300 (2025-11),
c17 500 (2026-02).  Q3 2025 has negative net new ARR (c02's 800 leaves, c15's 100 comes).

Costs each month: sales 2000, marketing 1000, customer success 400, infrastructure 300,
retention programs 100, cogs 600, R&D 1500, G&A 800.  Recurring revenue as booked =
MRR + 50, revenue = recurring + 100 (services); EBITDA = revenue − cogs − every operating
expense = MRR + 150 − 6700 = MRR − 6550.  Cash at month end: 100,000 then falling by 5000,
5000, 4000, 4000, 4000, 3000, 3000, 3000, 3000, 2000; December 2025 is cash-flow positive
(+6000: an annual prepayment); then −3000, −2000, −2000 to 63,000.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kpi_addin.metrics import CompanyData, monthly_kpis
from kpi_addin.metrics import finance as fin
from kpi_addin.metrics.periods import period_kpis
from kpi_addin.metrics.unit_economics import gross_margin, lifetime_value

from .conftest import company as company_of
from .conftest import ledger, month

MONTHS = pd.period_range("2025-01", "2026-03", freq="M")
SUBS = ledger(
    ("c01", 1000.0, "month", "2025-01-05", None),
    ("c02", 800.0, "month", "2025-01-05", "2025-08-01"),
    ("c03", 100.0, "month", "2025-01-05", "2026-01-01"),
    *[(f"c{i:02d}", 100.0, "month", "2025-01-05", None) for i in range(4, 11)],
    ("c11", 50.0, "month", "2025-02-10", None),
    ("c12", 50.0, "month", "2025-03-10", None),
    ("c13", 400.0, "month", "2025-04-10", None),
    ("c14", 200.0, "month", "2025-06-10", None),
    ("c15", 100.0, "month", "2025-09-10", None),
    ("c16", 300.0, "month", "2025-11-10", None),
    ("c17", 500.0, "month", "2026-02-10", None),
)
#            Jan25 Feb   Mar   Apr   May   Jun   Jul   Aug   Sep   Oct   Nov   Dec  Jan26  Feb   Mar
MRR = [2600, 2650, 2700, 3100, 3100, 3300, 3300, 2500, 2600, 2600, 2900, 2900, 2800, 3300, 3300]
CUSTOMERS = [10, 11, 12, 13, 13, 14, 14, 13, 14, 14, 15, 15, 14, 15, 15]
NEW = [10, 1, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1, 0]  # January: the opening balance
CHURNED = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0]
CASH = [100_000, 95_000, 90_000, 86_000, 82_000, 78_000, 75_000, 72_000, 69_000, 66_000, 64_000, 70_000]
CASH += [67_000, 65_000, 63_000]
OPEX = {"sales": 2000.0, "marketing": 1000.0, "customer_success": 400.0, "research_development": 1500.0}
OPEX |= {"general_administrative": 800.0}


def costs(*, without: tuple[str, ...] = ()) -> pd.DataFrame:
    mrr = np.array(MRR, dtype=float)
    frame = pd.DataFrame(
        {
            "month": MONTHS.to_timestamp(),
            **OPEX,
            "infrastructure": 300.0,
            "retention_programs": 100.0,
            "cogs": 600.0,
            "revenue": mrr + 150,
            "recurring_revenue": mrr + 50,
            "ebitda": mrr - 6550,
            "cash": np.array(CASH, dtype=float),
        }
    )
    return frame.drop(columns=list(without))


def company(**kw: object) -> CompanyData:
    return company_of(SUBS, as_of=month("2026-03"), **kw)


@pytest.fixture(scope="module")
def report():
    return monthly_kpis(company(costs=costs()))


def series(values: list[float]) -> pd.Series:
    return pd.Series(np.array(values, dtype=float), index=MONTHS)


def test_the_ledger_is_the_one_worked_by_hand(report):
    assert report.monthly["mrr"].tolist() == MRR
    assert report.monthly["customers"].tolist() == CUSTOMERS
    assert report.monthly["new_customers"].tolist() == NEW
    assert report.monthly["churned_customers"].tolist() == CHURNED


# --------------------------------------------------------------------------- cash and burn


def test_burn_and_runway_by_hand():
    cash = series(CASH)
    burn = fin.net_burn(cash.shift(1), cash)
    assert math.isnan(burn.iloc[0])  # no cash before the first month
    assert burn.iloc[1:].tolist() == [
        5000,
        5000,
        4000,
        4000,
        4000,
        3000,
        3000,
        3000,
        3000,
        2000,
        -6000,
        3000,
        2000,
        2000,
    ]
    three = fin.burn_3m(burn)
    assert three.iloc[:3].isna().all()  # January's burn is unknown: no window holds it
    assert three[month("2025-04")] == pytest.approx(14_000 / 3)
    # December: 3000 + 2000 − 6000; January 2000 − 6000 + 3000; February −6000 + 3000 + 2000
    for when in ("2025-12", "2026-01", "2026-02"):
        assert three[month(when)] == pytest.approx(-1000 / 3)
    assert three[month("2026-03")] == pytest.approx(7000 / 3)
    runway = fin.runway_months(cash, three)
    assert runway[month("2025-11")] == pytest.approx(64_000 / (8000 / 3)) == pytest.approx(24.0)
    # cash-flow positive over three months: no runway figure (the dashboard says so)
    assert runway[[month("2025-12"), month("2026-01"), month("2026-02")]].isna().all()
    assert runway[month("2026-03")] == pytest.approx(27.0)


def test_burn_multiple_by_hand():
    cash, arr = series(CASH), series(MRR) * 12
    burn_sum = fin.net_burn(cash.shift(3), cash)  # the three months' burns summed
    net_new_arr = arr - arr.shift(3)
    multiple = fin.burn_multiple(burn_sum, net_new_arr)
    assert multiple[month("2025-04")] == pytest.approx(14_000 / 6_000)  # Feb–Apr: 14,000 for 500 × 12
    assert multiple[month("2025-06")] == pytest.approx(12_000 / 7_200)
    assert math.isnan(multiple[month("2025-09")])  # Q3: ARR fell by 8,400 while 9,000 burnt
    assert math.isnan(multiple[month("2025-12")])  # cash-flow positive over Oct–Dec (−1,000)
    assert multiple[month("2026-03")] == pytest.approx(7_000 / 4_800) == pytest.approx(1.458333, abs=1e-6)


def test_magic_number_by_hand():
    arr = series(MRR) * 12
    # sales + marketing 3,000 a month: 9,000 a quarter
    assert fin.magic_number(arr[month("2025-06")] - arr[month("2025-03")], 9_000) == pytest.approx(0.8)
    assert fin.magic_number(arr[month("2025-09")] - arr[month("2025-06")], 9_000) == pytest.approx(-8_400 / 9_000)
    assert fin.magic_number(arr[month("2025-12")] - arr[month("2025-09")], 9_000) == pytest.approx(0.4)
    assert fin.magic_number(arr[month("2026-03")] - arr[month("2025-12")], 9_000) == pytest.approx(4_800 / 9_000)


def test_rule_of_40_by_hand():
    mrr = series(MRR)
    margin = fin.margin_12m(mrr - 6550, mrr + 150)
    assert margin.iloc[:11].isna().all()
    # April 2025 .. March 2026: Σ MRR = 35,700; EBITDA 35,700 − 12 × 6,550; revenue 35,700 + 12 × 150
    assert margin[month("2026-03")] == pytest.approx(-42_900 / 37_500) == pytest.approx(-1.144)
    growth = 3300 / 2700 - 1
    assert fin.rule_of_40(growth, margin[month("2026-03")]) == pytest.approx(100 * (growth - 1.144))
    assert fin.rule_of_40(growth, margin[month("2026-03")]) == pytest.approx(-92.1778, abs=1e-4)


def test_rule_of_40_without_ebitda_takes_the_free_cash_flow_margin_and_says_so():
    report = monthly_kpis(company(costs=costs(without=("ebitda",))))
    # April 2025 .. March 2026: cash went from 90,000 (March 2025) to 63,000, −27,000, on revenue
    # Σ MRR 35,700 + 12 × 150 = 37,500; growth 3,300 / 2,700 − 1
    assert at(report, "rule_of_40", "2026-03") == pytest.approx(100 * (3_300 / 2_700 - 1 - 27_000 / 37_500))
    assert at(report, "rule_of_40", "2026-03") == pytest.approx(-49.7778, abs=1e-4)
    # February 2025 .. January 2026: 100,000 → 67,000 on 34,450 + 1,800
    assert at(report, "rule_of_40", "2026-01") == pytest.approx(100 * (2_800 / 2_600 - 1 - 33_000 / 36_250))
    assert report.monthly["rule_of_40"].iloc[:12].isna().all()
    assert report.rule_of_40_margin == report.to_dict()["rule_of_40_margin"] == "free_cash_flow"
    assert "costs: no ebitda; the Rule of 40 takes the free-cash-flow margin (the month's change in cash)" in (
        report.warnings
    )
    assert monthly_kpis(company(costs=costs())).to_dict()["rule_of_40_margin"] == "ebitda"
    neither = monthly_kpis(company(costs=costs(without=("ebitda", "cash"))))
    assert neither.monthly["rule_of_40"].isna().all() and neither.rule_of_40_margin is None
    assert "costs: columns ebitda and cash absent; rule_of_40 left out" in neither.warnings


@pytest.mark.libreoffice
def test_the_workbooks_rule_of_40_on_the_free_cash_flow_equals_the_library(tmp_path):
    from openpyxl.utils import get_column_letter

    from kpi_addin.metrics import MONTHLY_KEYS

    from .dashboard_helpers import build
    from .libreoffice import recalculated_values

    path = tmp_path / "dashboard.xlsx"
    report, _expected = build(company(costs=costs(without=("ebitda",))), path)
    shown = recalculated_values(path, tmp_path)["Monthly KPIs"]
    column = get_column_letter(MONTHLY_KEYS.index("rule_of_40") + 1)
    values = [shown.get(f"{column}{5 + i}") for i in range(len(MONTHS))]
    assert all(v in ("#N/A", "#DIV/0!") for v in values[:12])  # no twelve months yet
    assert values[12:] == pytest.approx(report.monthly["rule_of_40"].iloc[12:].tolist(), rel=1e-9)
    assert values[14] == pytest.approx(-49.7778, abs=1e-4)


# --------------------------------------------------------------------------- margins and customers


def test_margin_based_ltv_by_hand():
    # January 2026: ARPU 2,800 / 14 = 200, churn 1 / 15, margin (2,850 − 600) / 2,850
    margin = gross_margin(600, 2850)
    assert margin == pytest.approx(2250 / 2850)
    assert (
        lifetime_value(200, 1 / 15, margin) == pytest.approx(200 * 15 * 2250 / 2850) == pytest.approx(2368.42, abs=0.01)
    )
    # March 2026, trailing: churn over Oct..Mar 0, 0, 0, 1/15, 0, 0 → mean 1/90; ARPU 3,300 / 15 = 220
    assert lifetime_value(220, 1 / 90, gross_margin(600, 3350)) == pytest.approx(220 * 90 * 2750 / 3350)
    assert lifetime_value(220, 1 / 90, gross_margin(600, 3350)) == pytest.approx(16253.73, abs=0.01)


def test_customer_figures_by_hand(report):
    assert fin.asp_new(500, 1) == 500.0  # February 2026: c17
    assert fin.arr_per_customer(3300 * 12, 15) == 2640.0
    march = report.customer_mrr.mrr_at(month("2026-03"))
    # 1000, 500, 400, 300, 200 and five of the eight at 100; 2,900 of 3,300
    assert fin.top_share(march) == pytest.approx(2900 / 3300)
    assert fin.top_share(report.customer_mrr.mrr_at(month("2025-01"))) == 1.0  # ten customers: all of it
    assert fin.opex_share(2000, 3450) == pytest.approx(2000 / 3450)  # sales, March 2026 (revenue 3,300 + 150)


# --------------------------------------------------------------------------- quarters and years


def test_period_churn_of_the_company_by_hand(report):
    quarters = period_kpis(report, "quarter")
    q3 = quarters.loc["2025Q3"]  # July..September: c02 leaves, c15 comes
    assert (q3["start_customers"], q3["churned_customers"], q3["complete"]) == (14, 1, True)
    assert q3["logo_churn"] == pytest.approx(1 / 14)
    assert q3["average_customers"] == pytest.approx(41 / 3)  # 14, 14, 13 at the start of each month
    assert q3["customer_churn_on_average"] == pytest.approx(3 / 41)
    assert q3["revenue_churn"] == pytest.approx(800 / 3300)
    assert q3["average_mrr"] == pytest.approx(9100 / 3)  # 3,300, 3,300, 2,500
    assert q3["revenue_churn_on_average"] == pytest.approx(800 * 3 / 9100)
    assert (q3["end_arr"] - q3["start_arr"]) == -8400.0  # the quarter's negative net new ARR
    year = period_kpis(report, "year").loc["2025"]  # part: January is the opening month
    assert (year["start_customers"], year["months"], year["complete"]) == (10, 11, False)
    assert year["logo_churn"] == pytest.approx(1 / 10)  # of the ten of January, c02 is gone
    # customers at the start of Feb..Dec: 10, 11, 12, 13, 13, 14, 14, 13, 14, 14, 15 → 143 / 11
    assert year["average_customers"] == pytest.approx(13.0)
    assert year["customer_churn_on_average"] == pytest.approx(1 / 13)
    assert year["revenue_churn"] == pytest.approx(800 / 2600)
    assert year["average_mrr"] == pytest.approx(31_350 / 11)
    assert year["revenue_churn_on_average"] == pytest.approx(800 / (31_350 / 11))


# --------------------------------------------------------------------------- the registry KPIs, month by month


def at(report, key: str, when: str) -> float:
    return float(report.monthly.loc[month(when), key])


def test_cash_kpis_of_the_report_by_hand(report):
    assert report.monthly["cash_balance"].tolist() == CASH
    burns = [5000, 5000, 4000, 4000, 4000, 3000, 3000, 3000, 3000, 2000, -6000, 3000, 2000, 2000]
    assert math.isnan(at(report, "net_burn", "2025-01"))  # no cash before the first month
    assert report.monthly["net_burn"].iloc[1:].tolist() == burns
    assert report.monthly["burn_3m"].iloc[:3].isna().all()
    assert at(report, "burn_3m", "2025-04") == pytest.approx(14_000 / 3)
    assert at(report, "burn_3m", "2026-01") == pytest.approx(-1_000 / 3)  # cash-flow positive over three months
    assert at(report, "runway_months", "2025-11") == pytest.approx(24.0)  # 64,000 / (8,000 / 3)
    for when in ("2025-12", "2026-01", "2026-02"):
        assert math.isnan(at(report, "runway_months", when)), when  # burn ≤ 0: no runway
    assert at(report, "runway_months", "2026-03") == pytest.approx(27.0)
    assert at(report, "burn_multiple", "2025-04") == pytest.approx(14_000 / 6_000)  # ARR 31,200 → 37,200
    assert at(report, "burn_multiple", "2025-06") == pytest.approx(12_000 / 7_200)
    assert math.isnan(at(report, "burn_multiple", "2025-09"))  # Q3: ARR fell by 8,400
    assert math.isnan(at(report, "burn_multiple", "2025-12"))  # cash grew over Oct..Dec
    assert at(report, "burn_multiple", "2026-03") == pytest.approx(7_000 / 4_800)


def test_magic_number_and_rule_of_40_of_the_report_by_hand(report):
    magic = report.monthly["magic_number"]
    quarter_ends = {month(m) for m in ("2025-09", "2025-12", "2026-03")}
    assert magic.dropna().index.tolist() == sorted(quarter_ends)  # only in a quarter's last month
    # March 2025 has no quarter before it; June 2025's previous quarter holds the opening month
    assert math.isnan(at(report, "magic_number", "2025-06"))
    assert at(report, "magic_number", "2025-09") == pytest.approx(-8_400 / 9_000)  # negative net new ARR
    assert at(report, "magic_number", "2025-12") == pytest.approx(3_600 / 9_000)
    assert at(report, "magic_number", "2026-03") == pytest.approx(4_800 / 9_000)
    rule = report.monthly["rule_of_40"]
    assert rule.iloc[:12].isna().all()  # no year-ago ARR, no twelve months of EBITDA without the opening month
    # January 2026: growth 2,800 / 2,600 − 1; February 2025 .. January 2026: Σ MRR = 34,450
    mrr_sum = sum(MRR[1:13])
    assert mrr_sum == 34_450
    margin = (mrr_sum - 12 * 6_550) / (mrr_sum + 12 * 150)
    assert at(report, "rule_of_40", "2026-01") == pytest.approx(100 * (2_800 / 2_600 - 1 + margin))
    assert at(report, "rule_of_40", "2026-03") == pytest.approx(-92.1778, abs=1e-4)


def test_margins_and_customer_kpis_of_the_report_by_hand(report):
    assert at(report, "gross_margin", "2026-01") == pytest.approx(2_250 / 2_850)  # (2,800 + 50 − 600) / 2,850
    assert at(report, "ltv_gm", "2026-01") == pytest.approx(2_368.42, abs=0.01)  # 200 × 78.9 % × 15
    assert at(report, "ltv_gm_trailing", "2026-03") == pytest.approx(16_253.73, abs=0.01)
    # February 2026: CAC 3,000 (one new customer), ARPU 3,300 / 15 = 220, margin 2,750 / 3,350
    assert at(report, "cac_payback_months", "2026-02") == pytest.approx(3_000 / (220 * 2_750 / 3_350))
    # LTV:CAC on gross margin: the trailing LTV on margin over the trailing CAC (3 months: 3 × 3,000 / 1)
    assert at(report, "ltv_cac_gm_trailing", "2026-03") == pytest.approx(16_253.7313 / 9_000, rel=1e-6)
    assert math.isnan(at(report, "asp_new", "2025-01"))  # the opening month's customers were not acquired then
    assert at(report, "asp_new", "2026-02") == 500.0
    assert math.isnan(at(report, "asp_new", "2026-03"))  # no new customer
    assert at(report, "arr_per_customer", "2026-03") == 2_640.0
    assert at(report, "top10_share", "2026-03") == pytest.approx(2_900 / 3_300)
    assert at(report, "top10_share", "2025-01") == 1.0
    revenue = 3_450  # March 2026: 3,300 + 150
    expected = {"sales": 2_000, "marketing": 1_000, "rd": 1_500, "ga": 800, "cs": 400}
    for suffix, spend in expected.items():
        assert at(report, f"opex_share_{suffix}", "2026-03") == pytest.approx(spend / revenue), suffix


def test_without_cogs_no_margin_is_assumed():
    report = monthly_kpis(company(costs=costs(without=("cogs",))))
    for key in ("gross_margin", "ltv_gm", "ltv_gm_trailing", "ltv_cac_gm_trailing", "cac_payback_months"):
        assert report.monthly[key].isna().all(), key
    warning = next(w for w in report.warnings if "cogs" in w)
    assert "gross_margin" in warning and "cac_payback_months" in warning and "left out" in warning
    assert report.monthly["cac"].notna().any()  # CAC itself needs no margin


def test_without_recurring_revenue_the_margin_is_on_mrr_and_said():
    report = monthly_kpis(company(costs=costs(without=("recurring_revenue",))))
    assert at(report, "gross_margin", "2026-01") == pytest.approx(1 - 600 / 2_800)
    assert "costs: no recurring_revenue; the gross margin is taken on MRR" in report.warnings


def test_without_cash_the_cash_kpis_are_null_and_named():
    report = monthly_kpis(company(costs=costs(without=("cash",))))
    for key in ("cash_balance", "net_burn", "burn_3m", "runway_months", "burn_multiple"):
        assert report.monthly[key].isna().all(), key
    warning = next(w for w in report.warnings if "column cash absent" in w)
    assert "runway_months" in warning and "burn_multiple" in warning


def test_a_negative_gross_margin_is_shown_and_payback_is_undefined():
    frame = costs()
    frame.loc[frame["month"] == pd.Timestamp("2026-02-01"), "cogs"] = 4_000.0  # above 3,350 of recurring revenue
    report = monthly_kpis(company(costs=frame))
    assert at(report, "gross_margin", "2026-02") == pytest.approx(1 - 4_000 / 3_350)
    assert math.isnan(at(report, "cac_payback_months", "2026-02"))
    assert math.isnan(at(report, "ltv_gm", "2026-02"))
    assert any("cogs exceed recurring revenue in 1 month(s) (2026-02)" in w for w in report.warnings)


def test_a_cash_flow_positive_runway_says_so():
    from dataclasses import replace

    from kpi_addin.dashboard.sheets.summary import cash_flow_positive

    data = company(costs=costs())
    january = monthly_kpis(replace(data, settings=replace(data.settings, as_of=month("2026-01"))))
    assert math.isnan(january.latest("runway_months")) and january.latest("burn_3m") == pytest.approx(-1_000 / 3)
    assert cash_flow_positive(january)
    assert not cash_flow_positive(monthly_kpis(data))  # March 2026 burns again: a runway of 27 months


def test_the_worksheet_functions_of_the_new_kpis_on_the_hand_worked_numbers():
    from kpi_addin.excel import functions as xl

    assert xl.GROSS_MARGIN(600, 2_850) == pytest.approx(2_250 / 2_850)  # January 2026
    assert xl.RUNWAY(63_000, 7_000 / 3) == pytest.approx(27.0)  # March 2026
    assert xl.RUNWAY(70_000, -1_000 / 3) == "#N/A"  # cash-flow positive: no runway (never a number)
    assert xl.ASP_NEW(500, 1) == 500.0
    assert xl.ARR_PER_CUSTOMER(39_600, 15) == 2_640.0
    assert xl.GROSS_MARGIN(-1, 2_850) == "#NUM!"  # negative cogs: impossible input
