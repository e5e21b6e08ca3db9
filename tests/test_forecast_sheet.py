"""The Forecast sheet: LibreOffice recalculates it to the library's forecast, also after a driver is typed."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from openpyxl import load_workbook

from kpi_addin.dashboard.sheets.forecast import COLUMNS, FIRST, driver_name
from kpi_addin.dashboard.template import load_template
from kpi_addin.metrics import CompanyData
from kpi_addin.metrics.forecast import build_forecast

from .dashboard_helpers import build, mismatches, same
from .libreoffice import recalculated_values


def _company(sample: CompanyData) -> CompanyData:
    """The sample with something committed: its largest annual contract ends in March 2026,
    and an MRR target the projection reaches."""
    subs = sample.subscriptions.copy()
    active = subs[subs["end_date"].isna() & (subs["interval"] == "year")]
    largest = (active["amount"] * active["quantity"]).idxmax()
    subs.loc[largest, "end_date"] = pd.Timestamp("2026-03-15")
    targets = pd.DataFrame(
        {"kpi": ["mrr", "arr"], "target": [80_000.0, 2_000_000.0], "direction": ["higher"] * 2, "due": pd.NaT}
    )
    # reported through 2025-12 (the sample pins no as-of: its scheduled March end would otherwise count)
    settings = sample.settings.given(as_of=pd.Period("2025-12", "M"))
    return dataclasses.replace(sample, subscriptions=subs, targets=targets, settings=settings)


def _cell(wb, name: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    sheet, cell = next(iter(wb.defined_names[name].destinations))
    return sheet, cell.replace("$", "")


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_forecast_sheet_recalculates_to_the_library_and_after_a_typed_driver(sample_company, tmp_path, lang):
    data = _company(sample_company)
    path = tmp_path / "dashboard.xlsx"
    report, expected = build(data, path, lang=lang)
    wb = load_workbook(path)
    sheet, _ = _cell(wb, driver_name("new_mrr"))
    forecast = build_forecast(report, data, months=12)
    letters = {c: i for i, c in enumerate(COLUMNS)}
    cells = expected[sheet]
    mrr_col = "B"
    assert letters["mrr"] == 1
    # the expected map is the library's forecast, month by month
    assert [cells[f"{mrr_col}{FIRST + i}"] for i in range(12)] == pytest.approx(forecast.projected["mrr"].tolist())
    assert forecast.committed["churned_mrr"].loc["2026-03"] > 0  # the contract's end is committed
    assert forecast.targets[0]["reached"] is not None and forecast.targets[1]["reached"] is None
    assert mismatches({sheet: cells}, recalculated_values(path, tmp_path / "base")) == []

    # A person types two drivers; LibreOffice's projection equals the library's with them.
    typed = {"new_mrr": 9000.0, "churn_rate": 0.05}
    for key, value in typed.items():
        ws_name, cell = _cell(wb, driver_name(key))
        wb[ws_name][cell].value = value
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    recalculated = recalculated_values(edited, tmp_path / "edited")[sheet]
    want = build_forecast(report, data, months=12, drivers=typed).projected
    assert want["mrr"].iloc[-1] != pytest.approx(forecast.projected["mrr"].iloc[-1])  # the edit moved it
    for key in ("mrr", "arr", "net_new_mrr", "customers", "churned_mrr", "new_mrr"):
        col = chr(ord("A") + letters[key])
        for i in range(12):
            have = recalculated[f"{col}{FIRST + i}"]
            assert same(float(want[key].iloc[i]), have), (key, i, want[key].iloc[i], have)


def test_forecast_sheet_is_visible_and_not_printed(sample_company, tmp_path):
    path = tmp_path / "dashboard.xlsx"
    build(sample_company, path)
    wb = load_workbook(path)
    assert wb["Forecast"].sheet_state == "visible"
    # after the template's report sheets (Segments among them), and Plan vs actual
    reports = len(load_template("full").sheets)
    assert wb.sheetnames.index("Plan vs actual") == reports and wb.sheetnames.index("Forecast") == reports + 1
