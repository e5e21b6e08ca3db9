"""The board pack's plan and forecast pages: hand-worked plan variances, the projection's
months from the library, LibreOffice's recalculation equal to both, and no page printed
when there is nothing to show."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from openpyxl import load_workbook

from kpi_addin.dashboard.builder import BuildOptions, build_workbook
from kpi_addin.dashboard.template import load_template
from kpi_addin.io import read_company_data, sample_path
from kpi_addin.lang import load_language
from kpi_addin.metrics import monthly_kpis
from kpi_addin.metrics.forecast import build_forecast

from .dashboard_helpers import build, mismatches
from .libreoffice import recalculated_values, require_soffice

AS_OF = pd.Period("2025-10", "M")
MRR_PLAN_OCTOBER = 60_000.0
NEW_MRR_PLAN = 5_000.0  # every month of 2025


def plan() -> pd.DataFrame:
    """A round-number plan: MRR 60,000 in October (and 50,000 + 1,000 a month elsewhere), new MRR
    5,000 every month, sales 20,000 every month."""
    rows = []
    for month in pd.period_range("2025-01", "2025-12", freq="M"):
        mrr = MRR_PLAN_OCTOBER if month == AS_OF else 50_000.0 + 1_000.0 * month.month
        rows += [(month, "mrr", mrr), (month, "new_mrr", NEW_MRR_PLAN), (month, "sales", 20_000.0)]
    return pd.DataFrame([(None, *r) for r in rows], columns=["scenario", "month", "kpi", "value"])


@pytest.fixture(scope="module")
def planned():
    data = read_company_data(sample_path(), given={"as_of": AS_OF})[0]
    return dataclasses.replace(data, plan=plan())


@pytest.fixture(scope="module")
def built(planned, tmp_path_factory):
    path = tmp_path_factory.mktemp("pack") / "pack.xlsx"
    report, expected = build(planned, path)
    return path, report, expected


def row_of(ws, label: str) -> int:
    return next(c.row for c in ws["A"] if c.value == label)


def test_the_plan_page_shows_hand_worked_variances(built):
    path, report, expected = built
    ws = load_workbook(path)["Pack plan"]
    values = expected["Pack plan"]
    month = report.monthly.loc[AS_OF]
    mrr, new = row_of(ws, "MRR"), row_of(ws, "New MRR")
    # the month: actual, plan, (actual − plan) ÷ |plan|
    assert values[f"B{mrr}"] == pytest.approx(float(month["mrr"]))
    assert values[f"C{mrr}"] == MRR_PLAN_OCTOBER
    assert values[f"D{mrr}"] == pytest.approx((float(month["mrr"]) - MRR_PLAN_OCTOBER) / MRR_PLAN_OCTOBER)
    # the year to date sums a flow: January to October
    ytd = float(report.monthly.loc[pd.Period("2025-01", "M") : AS_OF, "new_mrr"].sum())
    assert values[f"E{new}"] == pytest.approx(ytd)
    assert values[f"F{new}"] == 10 * NEW_MRR_PLAN
    assert values[f"G{new}"] == pytest.approx((ytd - 50_000.0) / 50_000.0)
    # the year's outlook: the actual to date plus the plan for November and December
    assert values[f"H{new}"] == pytest.approx(ytd + 2 * NEW_MRR_PLAN)
    assert values[f"I{new}"] == 12 * NEW_MRR_PLAN
    # a level's year to date is its value at the month, its outlook the plan for December
    assert values[f"E{mrr}"] == pytest.approx(float(month["mrr"]))
    assert values[f"H{mrr}"] == 62_000.0 and values[f"I{mrr}"] == 62_000.0
    # every figure is a formula over the Plan vs actual sheet (a plan typed there moves the page)
    assert str(ws[f"C{mrr}"].value).startswith("=IFERROR('Plan vs actual'!")


def test_the_forecast_page_holds_the_librarys_projection(built, planned):
    path, report, expected = built
    forecast = build_forecast(report, planned, months=12)
    ws = load_workbook(path)["Pack forecast"]
    values = expected["Pack forecast"]
    first = next(c.row for c in ws["A"] if isinstance(c.value, str) and "'Forecast'!A" in c.value)
    assert [values[f"B{first + i}"] for i in range(12)] == pytest.approx(list(forecast.projected["mrr"]))
    assert [values[f"F{first + i}"] for i in range(12)] == pytest.approx(list(forecast.committed["mrr"]))
    assert forecast.projected.index[0] == AS_OF + 1  # forecast months only: never an actual
    # ARR near a million prints three figures ($0.87M), not $0.9M
    arr = [values[f"C{first + i}"] for i in range(12)]
    assert 1e6 <= max(arr) < 1e7 and min(arr) < 1e6
    assert ws[f"C{first}"].number_format == '"$"#,##0.00,,"M";-"$"#,##0.00,,"M";"$"0'
    assert ws[f"B{first}"].number_format == '"$"#,##0.0,"k";-"$"#,##0.0,"k";"$"0'  # MRR: $72.6k


def test_without_a_plan_the_plan_page_is_hidden_and_not_printed(planned):
    options = BuildOptions(load_template("full"), load_language("en"))
    data = dataclasses.replace(planned, plan=None)
    built = build_workbook(data, monthly_kpis(data), options)
    assert "Pack plan" not in built.printed and "Pack forecast" in built.printed
    assert built.workbook["Pack plan"].sheet_state == "hidden"
    with_plan = build_workbook(planned, monthly_kpis(planned), options)
    assert with_plan.printed.index("Pack plan") == with_plan.printed.index("Pack cash") + 1


def test_the_cash_page_holds_the_librarys_figures_and_needs_cash(built, planned):
    path, report, expected = built
    ws = load_workbook(path)["Pack cash"]
    values = expected["Pack cash"]
    last = max(c.row for c in ws["A"] if c.value is not None and str(c.value).startswith("="))
    headers = {ws.cell(row=r, column=c).value: c for r in range(1, last) for c in range(2, 11)}
    month = report.monthly.loc[AS_OF]
    for key in ("cash_balance", "burn_3m", "runway_months", "burn_multiple", "gross_margin"):
        column = headers[load_language("en").label(key)]
        assert values[ws.cell(row=last, column=column).coordinate] == pytest.approx(float(month[key])), key
    costs = planned.costs.assign(cash=float("nan"))
    data = dataclasses.replace(planned, costs=costs)
    without = build_workbook(data, monthly_kpis(data), BuildOptions(load_template("full"), load_language("en")))
    assert "Pack cash" not in without.printed and without.workbook["Pack cash"].sheet_state == "hidden"


@pytest.mark.libreoffice
def test_libreoffice_recalculates_the_pages_to_the_librarys_values(built, tmp_path):
    require_soffice()
    path, _report, expected = built
    recalculated = recalculated_values(path, tmp_path)
    pages = {k: v for k, v in expected.items() if k in ("Pack plan", "Pack forecast", "Pack cash")}
    assert pages["Pack plan"] and pages["Pack forecast"] and pages["Pack cash"]
    assert mismatches(pages, {k: recalculated[k] for k in pages}) == []
