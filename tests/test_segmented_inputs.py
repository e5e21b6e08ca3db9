"""Costs and funnel by segment (issue 19): the ``segment`` column of ``costs`` and ``funnel``.

The hand-worked company (USD, reported January to March 2025; January is the opening month):

* Pro: a $100 and i $50 (January, opening; i churns 1 March), c $120 and d $80 (new in
  February), h $90 (new in March).
* Basic: b $30 (January, opening; churns 1 March), e $30, f $25, g $35 (new in February).

New customers: February Pro 2, Basic 3 (company 5); March Pro 1, Basic 0 (company 1).

Sales and marketing in February: Pro 400 + 200 = 600, Basic 250 + 150 = 400 and 60 + 40 = 100
not allocated (blank segment): the company's 1,100.  So CAC in February: company 1,100 / 5 =
220.00, Pro 600 / 2 = 300.00, Basic 400 / 3 = 133.33.  March: Pro (300 + 150) / 1 = 450.00;
Basic 200 (sales; its marketing blank) over no new customer: undefined; company (600 + 150) / 1
= 750.00 (Basic's blank marketing is blank, the month's marketing is Pro's 150).

COGS in February: Pro 30 of MRR 350 → gross margin 1 − 30/350; Basic 24 of MRR 120 → 0.80.
CAC payback = CAC / (ARPU × gross margin): Pro 300 / (350 / 4 − 30 / 4) = 300 / 80 = 3.75
months; Basic 133.33 / (120 / 4 × 0.80) = 5.56 months.
LTV:CAC, Pro in March: ARPU 390 / 4 = 97.50 over churn 1 / 4 → LTV 390.00; CAC 450.00 → 0.87.
Visitors in February: Pro 1,000, Basic 500, 500 unallocated: CCR Pro 2 / 1,000 = 0.002,
Basic 3 / 500 = 0.006, company 5 / 2,000 = 0.0025.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from kpi_addin.io.inputs import load_company
from kpi_addin.io.problems import InputError
from kpi_addin.metrics import KPIInputError, monthly_kpis
from kpi_addin.metrics.segments import segment_report

from .input_helpers import metrics, run

TODAY = dt.date(2026, 1, 1)
SUBSCRIPTIONS = """customer_id,plan,amount,interval,start_date,end_date
a,Pro,100,month,2025-01-05,
b,Basic,30,month,2025-01-10,2025-03-01
c,Pro,120,month,2025-02-03,
d,Pro,80,month,2025-02-15,
e,Basic,30,month,2025-02-20,
f,Basic,25,month,2025-02-25,
g,Basic,35,month,2025-02-27,
h,Pro,90,month,2025-03-04,
i,Pro,50,month,2025-01-07,2025-03-01
"""
COSTS = """month,segment,sales,marketing,cogs,cash
2025-01,,500,300,20,90000
2025-02,Pro,400,200,30,
2025-02,Basic,250,150,24,
2025-02,,60,40,,85000
2025-03,Pro,300,150,33,
2025-03,Basic,200,,20,
2025-03,,100,,,80000
"""
#: The same totals, one row per month.
COSTS_TOTALS = """month,sales,marketing,cogs,cash
2025-01,500,300,20,90000
2025-02,710,390,54,85000
2025-03,600,150,53,80000
"""
FUNNEL = """month,segment,visitors,leads
2025-01,,1500,40
2025-02,Pro,1000,30
2025-02,Basic,500,20
2025-02,,500,
2025-03,Pro,800,25
2025-03,Basic,600,15
"""
FUNNEL_TOTALS = """month,visitors,leads
2025-01,1500,40
2025-02,2000,50
2025-03,1400,40
"""


def folder(tmp_path: Path, costs: str = COSTS, funnel: str = FUNNEL, name: str = "data") -> Path:
    path = tmp_path / name
    path.mkdir()
    (path / "subscriptions.csv").write_text(SUBSCRIPTIONS)
    (path / "costs.csv").write_text(costs)
    (path / "funnel.csv").write_text(funnel)
    (path / "settings.csv").write_text("key,value\nas_of,2025-03\n")
    return path


def figures(path: Path, by: tuple[str, ...] = ("plan",)):
    data = load_company(path)[0]
    report = monthly_kpis(data, today=TODAY)
    return report, segment_report(data, report, by)


def segment(result, key: str, month: str, plan: str) -> float:
    code = result.segments.index[result.segments["plan"] == plan][0]
    return float(result.monthly.loc[(pd.Period(month, "M"), code), key])


def test_cac_and_the_funnel_by_plan_worked_by_hand(tmp_path):
    report, result = figures(folder(tmp_path))
    assert report.monthly.loc["2025-02", "cac"] == pytest.approx(220.00, abs=0.005)
    assert report.monthly.loc["2025-03", "cac"] == pytest.approx(750.00, abs=0.005)
    assert round(segment(result, "cac", "2025-02", "Pro"), 2) == 300.00
    assert round(segment(result, "cac", "2025-02", "Basic"), 2) == 133.33
    assert round(segment(result, "cac", "2025-03", "Pro"), 2) == 450.00
    assert pd.isna(segment(result, "cac", "2025-03", "Basic"))  # no new Basic customer: undefined
    assert segment(result, "gross_margin", "2025-02", "Pro") == pytest.approx(1 - 30 / 350)
    assert segment(result, "gross_margin", "2025-02", "Basic") == pytest.approx(0.80)
    assert round(segment(result, "cac_payback_months", "2025-02", "Pro"), 2) == 3.75
    assert round(segment(result, "cac_payback_months", "2025-02", "Basic"), 2) == 5.56
    assert round(segment(result, "ltv", "2025-03", "Pro"), 2) == 390.00
    assert round(segment(result, "ltv_cac", "2025-03", "Pro"), 2) == 0.87
    assert segment(result, "ccr", "2025-02", "Pro") == pytest.approx(0.002)
    assert segment(result, "ccr", "2025-02", "Basic") == pytest.approx(0.006)
    assert report.monthly.loc["2025-02", "ccr"] == pytest.approx(0.0025)
    assert segment(result, "visitors", "2025-03", "Basic") == 600
    # cash is the company's: blank by segment, and said so
    assert pd.isna(segment(result, "cash_balance", "2025-02", "Pro"))
    assert any("cash_balance" in n and "have no segment" in n for n in result.notes)
    assert "cac" not in result.blank and "cash_balance" in result.blank
    assert (
        "costs: not allocated to a plan (blank segment) in 2025-01 to 2025-03, in the company's figures only: "
        "sales 660.00, marketing 340.00, cogs 20.00"
    ) in result.notes
    assert (
        "funnel: not allocated to a plan (blank segment) in 2025-01 to 2025-03, in the company's figures only: "
        "visitors 2,000, leads 40"
    ) in result.notes


def test_the_company_is_the_sum_of_the_rows(tmp_path):
    """A file with a segment column gives the company figures of the same totals one row per month."""
    segmented, _ = figures(folder(tmp_path))
    totals, _ = figures(folder(tmp_path, COSTS_TOTALS, FUNNEL_TOTALS, "totals"))
    pd.testing.assert_frame_equal(segmented.monthly, totals.monthly)
    pd.testing.assert_frame_equal(segmented.inputs, totals.inputs)
    assert segmented.monthly.loc["2025-02", "cash_balance"] == 85000


def test_the_segments_of_another_attribute_or_of_several_stay_blank(tmp_path):
    path = folder(tmp_path)
    _, by_interval = figures(path, ("interval",))
    assert by_interval.monthly["cac"].isna().all()
    assert (
        "by segment, the costs and funnel segments (Basic, Pro) are not values of interval: their figures stay "
        "company-only"
    ) in by_interval.notes
    _, several = figures(path, ("plan", "interval"))
    assert several.monthly["cac"].isna().all()
    assert any("are values of one attribute, give one --by" in n for n in several.notes)


def test_json_csv_and_table_show_cac_by_plan(tmp_path):
    result = metrics("--data", folder(tmp_path), "--by", "plan")
    assert result.code == 0, result.err
    rows = {(m["month"], m["segment"]["plan"]): m for m in result.json()["segments"]["months"]}
    assert round(rows[("2025-02", "Pro")]["cac"], 2) == 300.00
    assert round(rows[("2025-02", "Basic")]["cac"], 2) == 133.33
    assert rows[("2025-03", "Basic")]["cac"] is None
    csv = run("metrics", "--data", folder(tmp_path, name="csv"), "--by", "plan", "--format", "csv")
    table = pd.read_csv(io.StringIO(csv.out)).set_index(["month", "plan"])
    assert round(float(table.loc[("2025-02", "Basic"), "cac"]), 2) == 133.33
    shown = run("metrics", "--data", folder(tmp_path, name="table"), "--by", "plan").out
    assert re.search(r"CAC\s+n/a\s+\$450\.00", shown)  # March: Basic had no new customer


# --------------------------------------------------------------------------- bad input: located errors


@pytest.mark.parametrize(
    ("costs", "message"),
    [
        (
            COSTS.replace("2025-03,Basic,", "2025-03,Pro,"),
            "costs.csv!B7 (segment): month and segment 2025-03 'Pro' appear more than once "
            "(one row per month and segment)",
        ),
        (
            COSTS + "2025-03,,1,,,\n",
            "costs.csv!A9 (month): '2025-03' appears more than once with a blank segment",
        ),
        (
            COSTS.replace("2025-02,Pro,400,200,30,", "2025-02,Pro,400,200,30,5000"),
            "costs.csv!F3 (cash): 5000 on a segment row: cash is a month-end balance of the whole company; give it "
            "on the month's row with a blank segment",
        ),
        (
            COSTS_TOTALS + "2025-02,1,1,1,1\n",
            "costs.csv!A5 (month): '2025-02' appears more than once",
        ),
    ],
)
def test_a_month_and_segment_twice_or_a_balance_on_a_segment_row_is_located(tmp_path, costs, message):
    with pytest.raises(InputError) as caught:
        load_company(folder(tmp_path, costs))
    assert any(str(p).endswith(message) for p in caught.value.problems), [str(p) for p in caught.value.problems]


def test_headcount_on_a_segment_row_is_located(tmp_path):
    costs = "month,segment,sales,headcount\n2025-02,Pro,10,4\n2025-02,,5,12\n"
    with pytest.raises(InputError, match=r"costs\.csv!D2 \(headcount\): 4 on a segment row: headcount is a "):
        load_company(folder(tmp_path, costs))


def test_a_segment_that_is_no_plan_is_a_located_error_not_dropped_money(tmp_path):
    path = folder(tmp_path, COSTS.replace("2025-03,Basic,", "2025-03,Enterprise,"))
    data = load_company(path)[0]
    report = monthly_kpis(data, today=TODAY)
    with pytest.raises(KPIInputError) as caught:
        segment_report(data, report, ("plan",))
    assert str(caught.value) == (
        f"by: {path} costs.csv!B7 (segment): 'Enterprise' is not a plan of the subscriptions (plans: Basic, Pro); "
        "name one of them, or leave the segment blank to keep the row company-only"
    )
    result = metrics("--data", path, "--by", "plan")
    assert result.code == 2 and "'Enterprise' is not a plan of the subscriptions" in result.err
    assert "Traceback" not in result.err


def test_costs_of_a_plan_shown_as_other_go_to_other():
    """52 plans: the two with the least MRR are shown as (other); their costs go there."""
    from kpi_addin.metrics import CompanyData, ReportSettings

    plans = [f"P{k:02d}" for k in range(52)]
    subs = pd.DataFrame(
        {
            "customer_id": plans,
            "plan": plans,
            "amount": [1000.0 - k for k in range(52)],
            "interval": "month",
            "start_date": pd.to_datetime("2025-02-10"),
            "end_date": pd.NaT,
        }
    )
    subs.loc[0, "start_date"] = pd.Timestamp("2025-01-10")  # January: the opening month
    costs = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-02-01"] * 3),
            "segment": ["P01", "P50", "P51"],
            "sales": [100.0, 30.0, 50.0],
        }
    )
    data = CompanyData(subs, costs=costs, settings=ReportSettings(as_of=pd.Period("2025-02", "M")))
    report = monthly_kpis(data, today=TODAY)
    result = segment_report(data, report, ("plan",))
    other = result.segments.index[result.segments["plan"] == "(other)"][0]
    # sales only (marketing absent): CAC needs both columns, so the cost columns are checked
    assert result.columns["sales"][other][-1] == 80.0  # P50 and P51
    first = result.segments.index[result.segments["plan"] == "P01"][0]
    assert result.columns["sales"][first][-1] == 100.0
    assert report.inputs["sales"].iloc[-1] == 180.0
