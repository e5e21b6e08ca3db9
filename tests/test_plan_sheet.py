"""The Plan vs actual sheet: formulas over MonthlyKPIs and the Plan table, recalculated by LibreOffice."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from openpyxl import load_workbook

from kpi_addin.metrics import CompanyData

from .dashboard_helpers import build, mismatches
from .libreoffice import recalculated_values


def planned(sample: CompanyData) -> CompanyData:
    """A budget for 2025–2026: MRR from 35,000 rising 2,500 a month, new MRR 3,500 (0 in
    March 2025), sales 20,000, customer churn 3 %; May 2025 has no plan row."""
    rows = []
    for i, month in enumerate(pd.period_range("2025-01", "2026-12", freq="M")):
        if month == pd.Period("2025-05", "M"):
            continue
        rows += [
            ("budget", month, "mrr", 35_000.0 + 2_500.0 * i),
            ("budget", month, "new_mrr", 0.0 if month == pd.Period("2025-03", "M") else 3_500.0),
            ("budget", month, "sales", 20_000.0),
            ("budget", month, "customer_churn_rate", 0.03),
        ]
    return dataclasses.replace(sample, plan=pd.DataFrame(rows, columns=["scenario", "month", "kpi", "value"]))


def _row(ws, month: str) -> int:  # type: ignore[no-untyped-def]
    for row in ws.iter_rows(min_col=1, max_col=1):
        value = row[0].value
        if hasattr(value, "strftime") and value.strftime("%Y-%m") == month:
            return row[0].row
    raise AssertionError(month)


@pytest.mark.libreoffice
def test_plan_sheet_recalculates_to_the_library(sample_company, tmp_path):
    data = planned(sample_company)
    path = tmp_path / "dashboard.xlsx"
    report, expected = build(data, path)
    ws = load_workbook(path)["Plan vs actual"]
    cells = expected["Plan vs actual"]
    # columns: month, then mrr (B actual, C plan, D variance, E %), new_mrr (F..I),
    # customer_churn_rate (J..M), sales (N..Q)
    june = _row(ws, "2025-06")
    actual = float(report.monthly.loc["2025-06", "mrr"])
    assert cells[f"B{june}"] == pytest.approx(actual)
    assert cells[f"C{june}"] == 47_500.0
    assert cells[f"D{june}"] == pytest.approx(actual - 47_500.0)
    assert cells[f"E{june}"] == pytest.approx((actual - 47_500.0) / 47_500.0)
    may, march = _row(ws, "2025-05"), _row(ws, "2025-03")
    assert cells[f"C{may}"] == "#N/A" and cells[f"D{may}"] == "#N/A"  # no plan row: no variance
    assert cells[f"I{march}"] == "#DIV/0!"  # a zero plan has a difference, not a percentage
    assert cells[f"H{march}"] == pytest.approx(float(report.monthly.loc["2025-03", "new_mrr"]))
    later = _row(ws, "2026-03")  # after the as-of month: the plan only
    assert cells[f"C{later}"] == 35_000.0 + 2_500.0 * 14 and f"B{later}" not in cells
    # the year to date (rows 5..7: mrr, new_mrr, sales): a sum over 2025 is unknown with May unplanned
    assert cells["B6"] == pytest.approx(float(report.monthly.loc["2025-01":"2025-12", "new_mrr"].sum()))
    assert cells["C6"] == "#N/A"
    assert cells["C5"] == 35_000.0 + 2_500.0 * 11  # MRR, a level: December's plan
    assert mismatches({"Plan vs actual": cells}, recalculated_values(path, tmp_path)) == []


def test_the_mrr_chart_draws_the_plan_path(sample_company, tmp_path):
    path = tmp_path / "dashboard.xlsx"
    _report, expected = build(planned(sample_company), path)
    ws = load_workbook(path)["Revenue"]
    header = [c.value for c in ws[4]]
    col = header.index("MRR plan") + 1
    values = [expected["Revenue"][f"{ws.cell(row=5, column=col).column_letter}{r}"] for r in range(5, 29)]
    assert values[:12] == ["#N/A"] * 12  # 2024: no plan
    assert values[12] == 35_000.0 and values[16] == "#N/A" and values[23] == 35_000.0 + 2_500.0 * 11
    assert "MRR target" not in header
