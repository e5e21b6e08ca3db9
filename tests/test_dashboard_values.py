"""The dashboard's numbers: LibreOffice recalculates every formula and must agree with the
library (relative 1e-9), and the cached values seen without recalculation are the library's."""

from __future__ import annotations

import math
import re
import subprocess
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from kpi_addin.dashboard.cache import sheet_paths
from kpi_addin.io import read_company_data, sample_path
from kpi_addin.metrics import MONTHLY_KEYS, CompanyData, ReportSettings

from .conftest import ledger, month
from .dashboard_helpers import build, mismatches, monthly_table_matches_library
from .libreoffice import recalculated_values, require_soffice, summary_pdf


@pytest.fixture(scope="module")
def sample_data():
    return read_company_data(sample_path())[0]


@pytest.fixture(scope="module")
def sample_dashboard(tmp_path_factory, sample_data):
    path = tmp_path_factory.mktemp("dash") / "dashboard.xlsx"
    report, expected = build(sample_data, path)
    return path, report, expected


def single_customer() -> CompanyData:
    """One customer, never churning: churn 0 every month, so LTV is undefined throughout."""
    return CompanyData(
        subscriptions=ledger(("only", 100.0, "month", "2025-01-15", None)),
        settings=ReportSettings(as_of=month("2025-06")),
    )


def krw_company() -> CompanyData:
    subs = ledger(
        ("a", 99_000.0, "month", "2025-01-03", None, "KRW"),
        ("b", 1_188_000.0, "year", "2025-01-20", "2025-05-20", "KRW"),
        ("c", 49_000.0, "month", "2025-02-11", None, "KRW"),
        ("a", 30_000.0, "month", "2025-03-01", None, "KRW"),
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "currency"),
    )
    costs = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"]),
            "sales": [1e6, 1.2e6, 9e5],
            "marketing": [5e5, 4e5, None],
            "customer_success": [2e5, None, 1e5],
            "infrastructure": [None, None, 5e4],
            "retention_programs": [None, None, None],
            "cogs": [3e4, None, 2e4],
        }
    )
    nps = pd.DataFrame({"date": pd.to_datetime(["2025-02-03", "2025-02-10", "2025-04-01"]), "score": [10.0, 3.0, 9.0]})
    funnel = pd.DataFrame(
        {
            "month": pd.to_datetime(["2025-02-01"]),
            "visitors": [5000.0],
            "leads": [None],
            "mql": [20.0],
            "sql": [5.0],
            "pql": [0.0],
            "pql_converted": [0.0],
        }
    )
    return CompanyData(
        subscriptions=subs,
        costs=costs,
        nps=nps,
        funnel=funnel,
        settings=ReportSettings(reporting_currency="KRW", as_of=month("2025-06")),
    )


def history_start_company() -> CompanyData:
    """Nineteen months reported from history_start 2024-05 (April's MRR the opening balance):
    every trailing window, the year-on-year growth read from the opening balance and the
    12-month cohort figures are defined somewhere, and a month without marketing breaks
    the CAC windows."""
    from .test_trailing import COSTS, SUBS

    months = pd.period_range("2024-01", "2025-07", freq="M")
    costs = pd.DataFrame({"month": months.to_timestamp(), "sales": 1000.0, "marketing": 500.0})
    costs.loc[costs["month"] == "2024-08-01", "marketing"] = None
    assert len(COSTS) == 15
    return CompanyData(
        subscriptions=SUBS, costs=costs, settings=ReportSettings(as_of=month("2025-07"), history_start=month("2024-05"))
    )


@pytest.mark.libreoffice
def test_sample_dashboard_recalculated_by_libreoffice_equals_the_library(sample_dashboard, tmp_path):
    path, report, expected = sample_dashboard
    monthly_table_matches_library(expected, report, "Monthly KPIs")
    assert sum(len(cells) for cells in expected.values()) > 2000
    recalculated = recalculated_values(path, tmp_path)
    assert mismatches(expected, recalculated) == []


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    ("company", "template", "lang"),
    [
        (single_customer, "full", "en"),
        (krw_company, "full", "ko"),
        (single_customer, "executive", "ko"),
        (history_start_company, "full", "en"),
    ],
    ids=["single-customer-no-churn", "krw-korean-partial-inputs", "executive-korean", "history-start-trailing"],
)
def test_edge_case_dashboards_recalculate_to_the_library(company, template, lang, tmp_path):
    path = tmp_path / "dashboard.xlsx"
    report, expected = build(company(), path, template=template, lang=lang)
    monthly_sheet = "Monthly KPIs" if lang == "en" else "월별 KPI"
    monthly_table_matches_library(expected, report, monthly_sheet)
    assert mismatches(expected, recalculated_values(path, tmp_path)) == []


@pytest.mark.libreoffice
def test_a_changed_formula_is_caught_so_the_check_can_fail(sample_dashboard, tmp_path):
    # Keep every cached value but make ARR = MRR x 13 in the first month: a LibreOffice that
    # kept stored results would still show the cached ARR and the check would pass.
    path, _report, expected = sample_dashboard
    tampered = tmp_path / "tampered.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tampered, "w") as dst:
        part = sheet_paths(src)["Monthly KPIs"]
        for item in src.infolist():
            data = src.read(item)
            if item.filename == part:
                data, count = re.subn(rb"<f>B5\*12</f>", b"<f>B5*13</f>", data)
                assert count == 1
            dst.writestr(item, data)
    problems = mismatches(expected, recalculated_values(tampered, tmp_path))
    assert problems and problems[0].startswith("Monthly KPIs!C5:")


def test_cached_values_without_recalculation_are_the_librarys(sample_dashboard):
    path, report, _expected = sample_dashboard
    sheet = load_workbook(path, data_only=True)["Monthly KPIs"]
    header = [c.value for c in sheet[4]]
    assert header == list(MONTHLY_KEYS)
    for i, row in enumerate(sheet.iter_rows(min_row=5, max_row=4 + len(report.monthly), values_only=True)):
        for key, value in zip(MONTHLY_KEYS[1:], row[1:], strict=True):
            want = float(report.monthly[key].iloc[i])
            if math.isnan(want):
                assert value in ("#DIV/0!", "#N/A"), (key, i, value)
            else:
                assert value == pytest.approx(want, rel=1e-12), (key, i)


def test_pandas_sees_numbers_not_blanks(sample_dashboard):
    path, report, _expected = sample_dashboard
    frame = pd.read_excel(path, sheet_name="Monthly KPIs", header=3, engine="calamine")
    assert frame["mrr"].iloc[-1] == pytest.approx(report.monthly["mrr"].iloc[-1])
    assert frame["arr"].notna().all()


@pytest.mark.libreoffice
def test_summary_prints_on_one_landscape_page_with_its_charts(sample_dashboard, tmp_path):
    require_soffice()
    path, _report, _expected = sample_dashboard
    pdf = summary_pdf(path, "Summary", tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M)
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert width > height  # landscape
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for title in (
        "MRR movements",
        "Paying customers and churn rate",
        "Funnel (latest month)",
        "NPS answers (latest month)",
        "Northwind Cloud Inc.",
    ):
        assert title in text


def test_the_history_start_company_defines_every_new_key_somewhere():
    from kpi_addin.metrics import monthly_kpis

    from .test_trailing import NEW_KEYS

    monthly = monthly_kpis(history_start_company()).monthly
    assert all(monthly[k].notna().any() for k in NEW_KEYS), monthly[list(NEW_KEYS)].notna().sum().to_dict()
    assert all(monthly[k].isna().any() for k in NEW_KEYS if k != "mrr_growth_mom")  # windows incomplete somewhere
    assert monthly["mrr_growth_yoy"].first_valid_index() == month("2025-04")  # April 2024 is the opening balance
