"""The board-grade KPIs (growth, trailing windows, 12-month cohorts): a fifteen-month company
worked out by hand, history_start, and a naive per-customer reference on random ledgers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_addin.metrics import CompanyData, KPIInputError, ReportSettings, monthly_kpis
from kpi_addin.metrics.catalogue import MONTHLY_KEYS, SUBSCRIPTION_KEYS

from .conftest import ledger, month
from .test_mrr_engine import ledgers, reference_mrr

NEW_KEYS = (
    "mrr_growth_mom",
    "mrr_growth_yoy",
    "customer_churn_rate_3m",
    "revenue_churn_rate_3m",
    "nrr_12m",
    "grr_12m",
    "logo_retention_12m",
    "ltv_trailing",
    "cac_trailing",
    "ltv_cac_trailing",
)

# Month-end MRR (worked out in the comments of each row):
#   2024-01 a100 b50 = 150 (opening)     2024-07 d ends 07-01: a120 c200 = 320
#   2024-02 + c200 = 350                 2024-08..10 = 320
#   2024-03 + d80 = 430                  2024-11 + e60 = 380
#   2024-04 = 430                        2024-12 d returns: 460
#   2024-05 b ends 05-01: 380            2025-01 = 460
#   2024-06 a expands to 120: 400        2025-02 c ends 02-10: a120 d80 e60 = 260;  2025-03 = 260
SUBS = ledger(
    ("a", 100.0, "month", "2024-01-10", None),
    ("a", 20.0, "month", "2024-06-01", None),
    ("b", 50.0, "month", "2024-01-15", "2024-05-01"),
    ("c", 200.0, "month", "2024-02-03", "2025-02-10"),
    ("d", 80.0, "month", "2024-03-05", "2024-07-01"),
    ("d", 80.0, "month", "2024-12-01", None),
    ("e", 60.0, "month", "2024-11-20", None),
)
MONTHS = pd.period_range("2024-01", "2025-03", freq="M")
COSTS = pd.DataFrame(
    {
        "month": MONTHS.to_timestamp(),
        "sales": 1000.0,
        "marketing": [500.0 if str(m) != "2024-08" else np.nan for m in MONTHS],  # one month missing
    }
)


@pytest.fixture(scope="module")
def report():
    return monthly_kpis(CompanyData(subscriptions=SUBS, costs=COSTS, settings=ReportSettings(as_of=month("2025-03"))))


def at(report, key: str, when: str) -> float:
    return float(report.monthly.loc[month(when), key])


@pytest.mark.parametrize(
    ("key", "when", "expected"),
    [
        ("mrr_growth_mom", "2024-01", math.nan),  # the opening month has no month before
        ("mrr_growth_mom", "2024-02", 350 / 150 - 1),
        ("mrr_growth_mom", "2025-02", 260 / 460 - 1),
        ("mrr_growth_yoy", "2024-12", math.nan),  # twelve months back is before the ledger
        ("mrr_growth_yoy", "2025-01", 460 / 150 - 1),
        ("mrr_growth_yoy", "2025-03", 260 / 430 - 1),
        ("customer_churn_rate_3m", "2024-03", math.nan),  # the window reaches the opening month
        ("customer_churn_rate_3m", "2024-04", 0 / (2 + 3 + 4)),
        ("customer_churn_rate_3m", "2024-07", (1 + 0 + 1) / (4 + 3 + 3)),  # b in May, d in July
        ("customer_churn_rate_3m", "2025-03", (0 + 1 + 0) / (4 + 4 + 3)),
        ("revenue_churn_rate_3m", "2024-07", (50 + 0 + 80) / (430 + 380 + 400)),
        ("revenue_churn_rate_3m", "2025-03", 200 / (460 + 460 + 260)),
        ("nrr_12m", "2024-12", math.nan),  # nobody is known to be paying at 2023-12
        ("nrr_12m", "2025-01", 120 / 150),  # cohort 2024-01: a 100 → 120, b 50 → 0
        ("grr_12m", "2025-01", 100 / 150),
        ("logo_retention_12m", "2025-01", 1 / 2),
        ("nrr_12m", "2025-03", (120 + 80) / 430),  # cohort 2024-03: a, b, c, d; d left and came back
        ("grr_12m", "2025-03", (100 + 80) / 430),
        ("logo_retention_12m", "2025-03", 2 / 4),
        ("ltv_trailing", "2024-06", math.nan),  # six rates back reach the opening month
        ("ltv_trailing", "2024-07", (320 / 2) / ((0 + 0 + 0 + 1 / 4 + 0 + 1 / 3) / 6)),
        ("ltv_trailing", "2024-12", (460 / 4) / ((1 / 3) / 6)),
        ("ltv_trailing", "2025-01", math.nan),  # six months without churn: an endless lifetime
        ("ltv_trailing", "2025-03", (260 / 3) / ((1 / 4) / 6)),
        ("cac", "2024-01", math.nan),  # the opening balance was not acquired in January
        ("cac_trailing", "2024-03", math.nan),
        ("cac_trailing", "2024-04", 3 * 1500 / (1 + 1 + 0)),  # c in Feb, d in Mar
        ("cac_trailing", "2024-06", math.nan),  # nobody new April to June
        ("cac_trailing", "2024-10", math.nan),  # August's marketing is missing
        ("cac_trailing", "2024-11", 3 * 1500 / 1),  # e; September to November
        ("cac_trailing", "2024-12", 3 * 1500 / 1),  # d's return is a reactivation, not an acquisition
        ("ltv_cac_trailing", "2024-12", ((460 / 4) / ((1 / 3) / 6)) / 4500),
        ("ltv_cac_trailing", "2025-01", math.nan),
    ],
)
def test_hand_worked_company(report, key, when, expected):
    assert at(report, key, when) == pytest.approx(expected, rel=1e-12, nan_ok=True)


def test_new_keys_are_in_the_contract_and_the_mrr_table(report):
    assert set(NEW_KEYS) <= set(MONTHLY_KEYS)
    assert set(NEW_KEYS) - {"cac_trailing", "ltv_cac_trailing"} <= set(SUBSCRIPTION_KEYS)
    month_entry = report.to_dict()["months"][-1]
    assert month_entry["nrr_12m"] == pytest.approx(200 / 430)
    assert month_entry["cac_trailing"] is None
    assert report.opening_month == month("2024-01")


def test_history_start_makes_the_month_before_the_opening_balance():
    report = monthly_kpis(
        CompanyData(
            subscriptions=SUBS,
            costs=COSTS,
            settings=ReportSettings(as_of=month("2025-03"), history_start=month("2024-06")),
        )
    )
    m = report.monthly
    assert str(m.index[0]) == "2024-06" and report.opening_month is None
    first = report.bridge.iloc[0]
    # the end of May (a, c, d: 380) is the opening balance: a's June expansion is a real movement
    assert (first["start_mrr"], first["start_customers"], first["new_customers"]) == (380.0, 3, 0)
    assert first["expansion_mrr"] == 20.0
    assert at(report, "mrr_growth_mom", "2024-06") == pytest.approx(400 / 380 - 1)
    assert at(report, "customer_churn_rate", "2024-06") == 0.0
    assert at(report, "customer_churn_rate_3m", "2024-08") == pytest.approx((0 + 1 + 0) / (3 + 3 + 2))
    assert at(report, "customer_churn_rate_3m", "2024-07") != at(report, "customer_churn_rate_3m", "2024-07")
    # twelve months back is before the opening balance (2024-05): not known
    assert math.isnan(at(report, "nrr_12m", "2025-03")) and math.isnan(at(report, "mrr_growth_yoy", "2025-03"))
    assert report.to_dict()["history_start"] == "2024-06"


def test_history_start_after_the_reporting_month_is_an_error():
    with pytest.raises(KPIInputError, match="history_start: 2025-06 is after the reporting month 2025-03"):
        monthly_kpis(
            CompanyData(
                subscriptions=SUBS, settings=ReportSettings(as_of=month("2025-03"), history_start=month("2025-06"))
            )
        )


# --------------------------------------------------------------------------- naive reference


def naive_trailing(subs: pd.DataFrame, costs: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """Every new key by its definition, per customer and month, with plain loops."""
    raw = reference_mrr(subs, months)
    customers = sorted(set(subs["customer_id"]))
    # sub-cent MRR is no MRR (the engine's rule); cents rounded half up
    mrr = {
        (c, p): (v if math.floor(v * 100 + 0.5 + 1e-6) else 0.0)
        for c in customers
        for p in months
        for v in [raw.get((c, p), 0.0)]
    }
    n = len(months)
    total = [sum(mrr[c, p] for c in customers) for p in months]
    paying = [{c for c in customers if mrr[c, p] > 0} for p in months]
    ever: set[str] = set()
    new = []
    for i in range(n):
        new.append(len(paying[i] - ever))
        ever |= paying[i]
    churned = [math.nan] + [len(paying[i - 1] - paying[i]) for i in range(1, n)]
    lost = [math.nan] + [
        sum(max(mrr[c, months[i - 1]] - mrr[c, months[i]], 0.0) for c in paying[i - 1]) for i in range(1, n)
    ]
    starts = [math.nan] + [len(paying[i - 1]) for i in range(1, n)]
    start_mrr = [math.nan, *total[:-1]]
    spend = (costs["sales"] + costs["marketing"]).tolist()

    def ratio(a: float, b: float) -> float:
        return math.nan if (math.isnan(a) or math.isnan(b) or b == 0) else a / b

    def window(values: list[float], i: int, k: int) -> float:
        if i - k + 1 < 0:
            return math.nan
        return sum(values[i - k + 1 : i + 1])  # nan anywhere makes it nan

    churn_rate = [ratio(churned[i], starts[i]) for i in range(n)]
    rows = []
    for i in range(n):
        row = {
            "mrr_growth_mom": ratio(total[i], start_mrr[i]) - 1,
            "mrr_growth_yoy": ratio(total[i], total[i - 12]) - 1 if i >= 12 else math.nan,
            "customer_churn_rate_3m": ratio(window(churned, i, 3), window(starts, i, 3)),
            "revenue_churn_rate_3m": ratio(window(lost, i, 3), window(start_mrr, i, 3)),
        }
        if i >= 12 and paying[i - 12]:
            base = paying[i - 12]
            before = sum(mrr[c, months[i - 12]] for c in base)
            row["nrr_12m"] = sum(mrr[c, months[i]] for c in base) / before
            row["grr_12m"] = sum(min(mrr[c, months[i]], mrr[c, months[i - 12]]) for c in base) / before
            row["logo_retention_12m"] = len(base & paying[i]) / len(base)
        else:
            row["nrr_12m"] = row["grr_12m"] = row["logo_retention_12m"] = math.nan
        mean_churn = window(churn_rate, i, 6) / 6
        row["ltv_trailing"] = ratio(ratio(total[i], len(paying[i])), mean_churn)
        acquired = [math.nan, *new[1:]]  # the opening month's customers were not acquired then
        row["cac_trailing"] = ratio(window(spend, i, 3), window(acquired, i, 3))
        row["ltv_cac_trailing"] = ratio(row["ltv_trailing"], row["cac_trailing"])
        rows.append(row)
    return pd.DataFrame(rows, index=months)


@settings(max_examples=40, deadline=None)
@given(ledgers(), st.lists(st.integers(0, 5000), min_size=21, max_size=21), st.integers(0, 20))
def test_random_ledgers_match_the_naive_reference(subs, spend, gap):
    as_of = month("2025-09")
    try:
        report = monthly_kpis(
            CompanyData(subscriptions=subs, costs=None, settings=ReportSettings(as_of=as_of)),
        )
    except KPIInputError:
        return  # nothing earns: covered by the engine's own tests
    months = report.monthly.index
    sales = pd.Series([float(s) for s in spend], index=pd.period_range("2024-01", as_of, freq="M"))
    sales.iloc[gap] = np.nan  # one month without costs
    costs = pd.DataFrame({"month": months.to_timestamp(), "sales": sales.reindex(months).to_numpy(), "marketing": 0.0})
    report = monthly_kpis(CompanyData(subscriptions=subs, costs=costs, settings=ReportSettings(as_of=as_of)))
    expected = naive_trailing(subs, costs, months)
    got = report.monthly[list(NEW_KEYS)]
    pd.testing.assert_frame_equal(got, expected[list(NEW_KEYS)], check_exact=False, rtol=1e-9, atol=1e-9)


def test_goals_are_judged_on_the_kpi_they_name(report):
    from kpi_addin.metrics.report import evaluate_goals

    goals = pd.DataFrame(
        {"kpi": ["nrr_12m", "nrr"], "target": [0.5, 0.5], "direction": ["higher", "higher"], "due": [pd.NaT, pd.NaT]}
    )
    out = evaluate_goals(goals, report).set_index("kpi")
    assert out.loc["nrr_12m", "actual"] == pytest.approx(200 / 430)  # 46.5 %: 7 % short of 50 %
    assert out.loc["nrr_12m", "status"] == "below target"
    assert out.loc["nrr", "actual"] == pytest.approx(1.0) and out.loc["nrr", "status"] == "met"
