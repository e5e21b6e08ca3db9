"""The reporting month (as-of by the run date, month-to-date), history_start from the settings
and the command line, the two counting conventions, reconcile and quarters / years."""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from kpi_addin.cli import cli
from kpi_addin.io import read_company_data, sample_path
from kpi_addin.metrics import CompanyData, KPIInputError, ReportSettings, customer_mrr, monthly_kpis
from kpi_addin.metrics.conventions import apply_convention
from kpi_addin.metrics.periods import PERIOD_KEYS, period_bridge, period_kpis
from kpi_addin.metrics.reconcile import reconcile

from .conftest import ledger, month
from .test_mrr_engine import ledgers
from .test_trailing import SUBS

# --------------------------------------------------------------------------- the reporting month

LIVE = ledger(
    ("a", 100.0, "month", "2025-01-05", "2026-06-01"),  # a cancellation scheduled for next June
    ("b", 50.0, "month", "2025-03-10", None),
    columns=("customer_id", "amount", "interval", "start_date", "end_date"),
)


@pytest.mark.parametrize(
    ("today", "as_of", "expected", "to_date"),
    [
        ("2025-05-20", None, "2025-03", False),  # capped at the last activity; June 2026 never extends it
        ("2025-03-20", None, "2025-02", False),  # March is still running: the last complete month
        ("2025-03-20", "2025-03", "2025-03", True),  # asked for: month-to-date
        ("2026-07-02", None, "2026-06", False),  # the June end has happened by now: it is activity
        ("2025-05-20", "2025-04", "2025-04", False),
    ],
)
def test_reporting_month(today, as_of, expected, to_date):
    data = CompanyData(LIVE, settings=ReportSettings(as_of=None if as_of is None else month(as_of)))
    assert data.reporting_month(dt.date.fromisoformat(today)) == (month(expected), to_date)


def test_trial_ends_never_extend_the_report():
    subs = ledger(
        ("a", 100.0, "month", "2025-01-05", None, None),
        ("b", 50.0, "month", "2025-02-10", None, "2025-09-10"),
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "trial_end"),
    )
    report = monthly_kpis(CompanyData(subs), today=dt.date(2025, 11, 3))
    assert report.as_of == month("2025-02") and not report.month_to_date


def test_a_month_that_has_not_begun_is_an_error():
    with pytest.raises(KPIInputError, match="as_of: 2025-07 has not begun"):
        monthly_kpis(CompanyData(LIVE, settings=ReportSettings(as_of=month("2025-07"))), today=dt.date(2025, 6, 2))


def test_month_to_date_is_marked_in_json_and_table():
    report = monthly_kpis(
        CompanyData(LIVE, settings=ReportSettings(as_of=month("2025-04"))), today=dt.date(2025, 4, 15)
    )
    assert report.to_dict()["month_to_date"] is True
    from kpi_addin.metrics_output import metrics_table

    table = metrics_table(report, 2)
    assert "2025-04 (month to date)" in table and "2025-04 is still running" in table


def test_the_table_marks_the_opening_month():
    code, out = run("metrics", "--months", "30")
    assert code == 0 and "2024-01 (opening)" in out and "opening: 2024-01 is the ledger's first month" in out
    code, out = run("metrics", "--months", "30", "--history-start", "2024-06")
    assert "(opening)" not in out and "2024-06" in out and "2024-05" not in out


def test_the_sample_reports_december_2025_with_its_first_month_as_opening():
    data = read_company_data(sample_path())[0]
    data = replace(
        data, settings=replace(data.settings, as_of=None)
    )  # the settings' as_of removed: the default rule decides
    report = monthly_kpis(data, today=dt.date(2026, 11, 24))
    assert (str(report.as_of), str(report.opening_month)) == ("2025-12", "2024-01")
    assert math.isnan(report.monthly["cac"].iloc[0]) and not math.isnan(report.monthly["cac"].iloc[1])


# --------------------------------------------------------------------------- history_start


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def test_history_start_on_the_command_line_and_in_the_settings(tmp_path):
    code, out = run("metrics", "--format", "json", "--history-start", "2025-01")
    assert code == 0
    data = json.loads(out)
    assert data["history_start"] == "2025-01" and data["opening_month"] is None
    first = data["months"][0]
    assert first["month"] == "2025-01" and first["new_customers"] < first["customers"]  # existing, not new
    assert first["customer_churn_rate"] is not None and first["cac"] is not None
    code, _ = run("sample", "--out", str(tmp_path), "--format", "csv")
    settings_csv = tmp_path / "settings.csv"
    settings_csv.write_text(settings_csv.read_text() + "history_start,2025-01\nconvention,month-start\n")
    code, out = run("metrics", "--data", str(tmp_path), "--format", "json")
    data = json.loads(out)
    assert (data["history_start"], data["convention"]) == ("2025-01", "month-start")
    settings_csv.write_text("key,value\nconvention,fortnightly\n")
    code, out = run("metrics", "--data", str(tmp_path))
    assert code == 1 and "convention: 'fortnightly' is not month-end or month-start" in out


def test_bad_history_start_is_a_located_error():
    code, out = run("metrics", "--history-start", "soon")
    assert code == 2 and "--history-start" in out and "'soon' is not a month" in out
    code, out = run("metrics", "--history-start", "2026-03")
    assert code == 1 and "history_start: 2026-03 is after the reporting month 2025-12" in out


# --------------------------------------------------------------------------- conventions


def snapshot_on_the_first(subs: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """MRR per customer on the 1st of each month, date by date: the month-start definition."""
    from kpi_addin.metrics.spans import INTERVAL_FACTORS

    out = pd.DataFrame(0.0, index=sorted(set(subs["customer_id"])), columns=months)
    for period in months:
        day = period.to_timestamp()
        for row in subs.itertuples():
            active = row.start_date <= day and (pd.isna(row.end_date) or row.end_date > day)
            if active and (pd.isna(row.trial_end) or row.trial_end <= day):
                num, den = INTERVAL_FACTORS[row.interval]
                out.loc[row.customer_id, period] += row.amount * row.quantity * num / den
    return out


@settings(max_examples=60, deadline=None)
@given(ledgers())
def test_month_start_is_the_engine_on_moved_dates(subs):
    months = pd.period_range("2024-01", "2025-09", freq="M")
    expected = snapshot_on_the_first(subs, months)
    expected = expected.where(np.floor(expected * 100 + 0.5 + 1e-6) > 0, 0.0)
    try:
        got = customer_mrr(apply_convention(subs, "month-start"), as_of=months[-1]).to_frame()
    except KPIInputError:
        assert (expected == 0).all().all()
        return
    got = got.reindex(index=expected.index, columns=months, fill_value=0.0)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-9)


def test_dates_on_the_first_agree_under_both_conventions():
    subs = ledger(
        ("a", 100.0, "month", "2025-01-01", "2025-04-01"),
        ("b", 1200.0, "year", "2025-02-01", None),
        ("a", 30.0, "month", "2025-03-01", None),
    )
    end = monthly_kpis(CompanyData(subs, settings=ReportSettings(as_of=month("2025-05"))))
    start = monthly_kpis(CompanyData(subs, settings=ReportSettings(as_of=month("2025-05"), convention="month-start")))
    pd.testing.assert_frame_equal(end.monthly, start.monthly)


# --------------------------------------------------------------------------- reconcile


def test_reconcile_explains_convention_trials_and_fx():
    subs = ledger(
        ("a", 100.0, "month", "USD", "2025-01-01", None, None),
        ("b", 40.0, "month", "USD", "2025-03-14", None, None),  # mid-month: a month later on the 1st
        ("c", 60.0, "month", "USD", "2025-02-01", None, "2025-04-01"),  # trial to April 1st
        ("d", 100.0, "month", "EUR", "2025-01-01", None, None),
        columns=("customer_id", "amount", "interval", "currency", "start_date", "end_date", "trial_end"),
    )
    fx = pd.DataFrame(
        {
            "currency": ["EUR"] * 4,
            "rate": [1.10, 1.10, 1.20, 1.25],
            "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01", "2025-04-01"]),
        }
    )
    data = CompanyData(subs, fx_rates=fx, settings=ReportSettings(as_of=month("2025-04")))
    # The other tool: snapshot on the 1st, trials counted, every month at the April rate.
    # Feb 1st: a 100 + c 60 (trial) + d 125 = 285; Mar 1st: same 285; Apr 1st: + b 40 = 325.
    theirs = pd.DataFrame({"month": pd.period_range("2025-02", "2025-04", freq="M"), "mrr": [285.0, 285.0, 325.0]})
    result = reconcile(data, theirs)
    table = result.table.xs("mrr", level="key")
    # ours: Feb a 100 + d 110 = 210; Mar + b 40 + d 120 = 260; Apr + c 60 + d 125 = 325
    assert table["ours"].tolist() == pytest.approx([210.0, 260.0, 325.0])
    assert table["difference"].tolist() == pytest.approx([75.0, 25.0, 0.0])
    assert table.loc[month("2025-02"), "explained_by"] == "trials, fx"  # c's trial 60, d at 1.25: 15
    assert table.loc[month("2025-02"), "trials"] == pytest.approx(60.0)
    assert table.loc[month("2025-02"), "fx"] == pytest.approx(15.0)
    assert table.loc[month("2025-03"), "explained_by"] == "convention, trials, fx"  # −40 + 60 + 5
    assert table["explained"].all()
    assert result.moved[month("2025-03")].to_dict() == {"b": -40.0}


def test_reconcile_command_on_the_sample(tmp_path):
    code, out = run("metrics", "--convention", "month-start", "--format", "csv")
    theirs = tmp_path / "theirs.csv"
    frame = pd.read_csv(pd.io.common.StringIO(out))[["month", "mrr", "new_customers"]]
    frame.to_csv(theirs, index=False)
    code, out = run("reconcile", "--against", str(theirs))
    assert code == 0
    assert "month-start convention" in out and "unexplained" not in out.replace("not comparable", "")
    assert "counted in another month under month-start: C0" in out
    code, out = run("reconcile", "--against", str(theirs), "--format", "json")
    rows = json.loads(out)["rows"]
    assert all(r["explained"] for r in rows if r["theirs"] is not None and r["ours"] is not None)
    frame.loc[len(frame)] = ["2031-01", 1.0, 1]
    frame.to_csv(theirs, index=False)
    code, out = run("reconcile", "--against", str(theirs))
    assert "1 month(s) of" in out and "not compared: 2031-01" in out
    theirs.write_text("month,mrr\n2025-01,abc\n")
    code, out = run("reconcile", "--against", str(theirs))
    assert code == 1 and "theirs.csv B2 (mrr): 'abc' is not a number" in out  # column letter and line


# --------------------------------------------------------------------------- quarters and years


def test_quarters_hand_worked():
    # SUBS of test_trailing: opening 2024-01 (150), then see its comments
    report = monthly_kpis(CompanyData(SUBS, settings=ReportSettings(as_of=month("2025-03"))))
    quarters = period_kpis(report, "quarter")
    assert list(quarters.index) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1"]
    q1 = quarters.loc["2024Q1"]  # January is the opening month: from its end (150), c and d are new
    assert (q1["start_mrr"], q1["new_mrr"], q1["end_mrr"], q1["complete"]) == (150.0, 280.0, 430.0, False)
    q2 = quarters.loc["2024Q2"]  # b leaves in May, a expands in June
    assert (q2["start_mrr"], q2["churned_mrr"], q2["expansion_mrr"], q2["end_mrr"]) == (430.0, 50.0, 20.0, 400.0)
    # the starting cohort (a, b, c, d): b is gone; April, May, June start with 4, 4, 3 customers
    assert (q2["logo_churn"], q2["average_customers"], q2["customer_churn_on_average"]) == pytest.approx(
        (1 / 4, 11 / 3, 1 / (11 / 3))
    )
    # MRR at the start of April, May, June: 430, 430, 380; 50 lost (b)
    assert (q2["revenue_churn"], q2["average_mrr"], q2["revenue_churn_on_average"]) == pytest.approx(
        (50 / 430, 1240 / 3, 50 / (1240 / 3))
    )
    assert (q2["nrr"], q2["grr"], q2["logo_retention"]) == pytest.approx((400 / 430, 380 / 430, 3 / 4))
    q4 = quarters.loc["2024Q4"]  # e new in November, d back in December
    assert (q4["new_customers"], q4["reactivated_customers"], q4["reactivation_mrr"]) == (1, 1, 80.0)
    assert q4["nrr"] == pytest.approx(1.0)  # the cohort of Sept (a, c) holds; d's return is not in it
    year = period_bridge(report, month("2024-04"), month("2025-03"))  # the trailing twelve months
    assert (year["start_arr"], year["end_arr"]) == (430.0 * 12, 260.0 * 12)
    assert year["nrr"] == pytest.approx((120 + 80) / 430) == report.monthly["nrr_12m"].iloc[-1]


def test_period_churn_of_a_part_year_with_new_then_lost_customers():
    # One customer from 2024-12 (the opening month); in 2025 four join and leave within the
    # year, one a month. "Lost over the year / customers at its start" was 4 / 1 = 400 %.
    rows = [("s", 100.0, "month", "2024-12-05", None)]
    for i, (start, end) in enumerate(
        [
            ("2025-01-10", "2025-02-03"),
            ("2025-02-10", "2025-03-03"),
            ("2025-03-10", "2025-04-03"),
            ("2025-04-10", "2025-05-03"),
        ]
    ):
        rows.append((f"n{i}", 10.0, "month", start, end))
    report = monthly_kpis(CompanyData(ledger(*rows), settings=ReportSettings(as_of=month("2025-06"))))
    year = period_kpis(report, "year").loc["2025"]
    assert (year["start_customers"], year["churned_customers"], year["complete"]) == (1, 4, False)
    assert year["logo_churn"] == 0.0 and year["logo_retention"] == 1.0  # s, the starting cohort, stays
    # customers at the start of Jan..Jun: 1, 2, 2, 2, 2, 1 → mean 10 / 6
    assert year["average_customers"] == pytest.approx(10 / 6)
    assert year["customer_churn_on_average"] == pytest.approx(4 / (10 / 6))
    # MRR at the start of Jan..Jun: 100, 110, 110, 110, 110, 100 → mean 640 / 6; 40 churned
    assert year["revenue_churn"] == 0.0
    assert year["revenue_churn_on_average"] == pytest.approx(40 / (640 / 6))


@settings(max_examples=30, deadline=None)
@given(ledgers())
def test_periods_tie_out_on_random_ledgers(subs):
    try:
        report = monthly_kpis(CompanyData(subs, settings=ReportSettings(as_of=month("2025-09"))))
    except KPIInputError:
        return
    for period in ("quarter", "year"):
        table = period_kpis(report, period)
        assert list(table.columns) == list(PERIOD_KEYS[1:])
        rows = table[table["months"] > 0]
        identity = (
            rows["start_mrr"]
            + rows["new_mrr"]
            + rows["expansion_mrr"]
            + rows["reactivation_mrr"]
            - rows["contraction_mrr"]
            - rows["churned_mrr"]
        )
        np.testing.assert_allclose(identity, rows["end_mrr"], rtol=1e-9, atol=1e-6)
        counts = rows["start_customers"] + rows["new_customers"] + rows["reactivated_customers"]
        assert (counts - rows["churned_customers"] == rows["end_customers"]).all()
        # consecutive periods chain: each starts where the one before ended
        assert np.allclose(rows["start_mrr"].iloc[1:].to_numpy(), rows["end_mrr"].iloc[:-1].to_numpy())
        # the starting-cohort churn figures are shares of the cohort: 0..1, whatever joined and left
        cohort = rows[["logo_churn", "revenue_churn"]].dropna()
        assert ((cohort >= 0) & (cohort <= 1 + 1e-12)).all().all()
        np.testing.assert_allclose(rows["logo_churn"], 1 - rows["logo_retention"])


def test_period_command_formats():
    code, out = run("metrics", "--period", "quarter", "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(",".join(PERIOD_KEYS) + ",mrr_plan,")  # then the sample's plan
    assert lines[-1].startswith("2025Q4,2025-10,2025-12,3,True,")
    code, out = run("metrics", "--period", "year")
    assert code == 0 and "2024 (part)" in out and "end_arr" in out
    code, out = run("metrics", "--period", "year", "--format", "json")
    parsed = json.loads(out)
    assert set(parsed["definitions"]) >= {"logo_churn", "customer_churn_on_average", "revenue_churn", "complete"}
    part = parsed["periods"][0]  # the sample's 2024: 8 customers at its start, 25 churned over it
    assert (part["complete"], part["start_customers"], part["churned_customers"]) == (False, 8, 25)
    assert 0 <= part["logo_churn"] <= 1  # "lost ÷ start" read 25 / 8 = 312 %
    assert isinstance(part["average_customers"], float) and part["average_customers"] > 8
