"""Months beyond the data: an as-of after the month the data runs through (``data_through``:
the setting or ``--data-through``, else the month of the latest date in the inputs) is an
error pointing to ``forecast``, never months of flat "actuals"; the sample pins no as-of."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from kpi_addin.io.inputs import load_company
from kpi_addin.metrics import CompanyData, KPIInputError, ReportSettings

CLI = [sys.executable, "-m", "kpi_addin.cli"]
M = pd.Period
TODAY = dt.date(2026, 12, 3)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)


def _subs() -> pd.DataFrame:
    """Starts in January and March 2025, a trial ending 2025-04-02, an end 2025-03-20."""
    return pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "amount": [10.0, 20.0],
            "interval": ["month", "month"],
            "start_date": pd.to_datetime(["2025-01-05", "2025-03-10"]),
            "end_date": pd.to_datetime(["2025-03-20", None]),
            "trial_end": pd.to_datetime([None, "2025-04-02"]),
        }
    )


def test_the_data_runs_through_its_latest_date_of_any_kind() -> None:
    assert CompanyData(_subs()).known_through() == M("2025-04", "M")  # the trial end
    costs = pd.DataFrame({"month": pd.to_datetime(["2025-05-01"]), "sales": [1.0]})
    assert CompanyData(_subs(), costs=costs).known_through() == M("2025-05", "M")  # a cost month
    said = ReportSettings(data_through=M("2025-09", "M"))
    assert CompanyData(_subs(), settings=said).known_through() == M("2025-09", "M")


def asked(**values: object) -> ReportSettings:
    """Settings as a person gives them (the command line): their as-of is checked."""
    return ReportSettings.resolve(values)


def test_an_as_of_after_the_data_is_an_error_naming_the_month_and_forecast() -> None:
    data = CompanyData(_subs(), settings=asked(as_of=M("2025-05", "M")))
    with pytest.raises(KPIInputError, match=r"2025-05 is after 2025-04, the month the data runs through") as caught:
        data.reporting_month(TODAY)
    assert "kpi-addin forecast --as-of 2025-04" in str(caught.value) and "--data-through" in str(caught.value)
    # the month the data runs through is still reported, as are earlier ones
    ok = CompanyData(_subs(), settings=asked(as_of=M("2025-04", "M")))
    assert ok.reporting_month(TODAY) == (M("2025-04", "M"), False)
    # a program building its settings (a hand-worked test, a backtest) reports what it asks for
    built = CompanyData(_subs(), settings=ReportSettings(as_of=M("2025-05", "M")))
    assert built.reporting_month(TODAY) == (M("2025-05", "M"), False)


def test_data_through_allows_later_months_and_sets_the_default() -> None:
    later = asked(as_of=M("2025-08", "M"), data_through=M("2025-08", "M"))
    too_late = asked(as_of=M("2025-09", "M"), data_through=M("2025-08", "M"))
    with pytest.raises(
        KPIInputError, match=r"2025-09 is after 2025-08, the month the data runs through \(by data_through\)"
    ):
        CompanyData(_subs(), settings=too_late).reporting_month(TODAY)
    assert CompanyData(_subs(), settings=later).reporting_month(TODAY) == (M("2025-08", "M"), False)
    # without an as-of, the last complete month up to data_through (not the last activity, 2025-03)
    said = ReportSettings(data_through=M("2025-08", "M"))
    assert CompanyData(_subs(), settings=said).reporting_month(TODAY) == (M("2025-08", "M"), False)
    assert CompanyData(_subs()).reporting_month(TODAY) == (M("2025-03", "M"), False)


def test_the_sample_pins_no_as_of_and_ends_in_2025_12() -> None:
    company, _notes, _warnings = load_company()
    assert company.settings.as_of is None and company.settings.origin["as_of"] == "default"
    assert company.reporting_month(TODAY) == (M("2025-12", "M"), False)
    assert company.known_through() == M("2026-01", "M")  # a trial ends on 2026-01-08


def test_the_command_line_refuses_flat_months_and_points_to_forecast() -> None:
    done = run("metrics", "--as-of", "2026-11")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "2026-11 is after 2026-01, the month the data runs through" in done.stderr
    assert "kpi-addin forecast --as-of 2026-01" in done.stderr
    done = run("forecast", "--as-of", "2026-11")
    assert done.returncode == 1 and "the month the data runs through" in done.stderr
    done = run("metrics", "--data-through", "2026-03", "--as-of", "2026-03", "--format", "csv")
    assert done.returncode == 0 and done.stdout.splitlines()[-1].startswith("2026-03,")
    done = run("metrics", "--data-through", "2026/03")
    assert done.returncode == 2 and "--data-through" in done.stderr


def test_data_through_in_the_settings_sheet(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    done = run("sample", "--out", str(folder), "--format", "csv")
    assert done.returncode == 0
    (folder / "settings.csv").write_text("key,value\ndata_through,2025-09\n", encoding="utf-8")
    company, _notes, _warnings = load_company(folder)
    assert company.settings.data_through == M("2025-09", "M")
    assert company.settings.origin["data_through"] == "settings sheet"
    assert company.reporting_month(TODAY) == (M("2025-09", "M"), False)
    (folder / "settings.csv").write_text("key,value\ndata_through,soon\n", encoding="utf-8")
    done = run("metrics", "--data", str(folder))
    assert done.returncode == 1 and "settings data_through: 'soon' is not a month (YYYY-MM)" in done.stderr
