"""The plan sheet read by every path a sheet comes in by (workbook, CSV folder, a database
table, Excel ranges), its scenario chosen by ``--plan-scenario`` or the settings sheet, and
the bundled sample's 2025 budget."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from kpi_addin.io import sample_path, write_sample
from kpi_addin.io.database import Database, connection, parse_url
from kpi_addin.io.inputs import load_company
from kpi_addin.io.problems import InputError
from kpi_addin.io.ranges import read_ranges
from kpi_addin.metrics.plan import selected_plan

CLI = [sys.executable, "-m", "kpi_addin.cli"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, check=False)


def _csv_folder(tmp_path: Path, plan: str | None = None, settings: str | None = None) -> Path:
    folder = tmp_path / "data"
    write_sample(folder, fmt="csv")
    if plan is not None:
        (folder / "plan.csv").write_text(plan, encoding="utf-8")
    if settings is not None:
        (folder / "settings.csv").write_text(settings, encoding="utf-8")
    return folder


def test_the_sample_holds_a_2025_budget_derived_from_2024() -> None:
    company, _notes, _warnings = load_company()
    chosen = selected_plan(company)
    assert chosen is not None
    scenario, plan = chosen
    assert scenario == "budget"
    assert sorted(plan.columns) == ["churned_mrr", "customers", "marketing", "mrr", "new_mrr", "sales"]
    assert [str(m) for m in plan.index] == [f"2025-{m:02d}" for m in range(1, 13)]
    # by hand from the 2024-12 close (MRR 30,118): January new 3,400, churned 4.5 % of
    # 30,118 = 1,355.3 -> 1,360 (tens), MRR 30,118 + 3,400 + 290 - 1,360 = 32,448 -> 32,450
    assert plan.loc["2025-01", ["mrr", "new_mrr", "churned_mrr"]].tolist() == [32450.0, 3400.0, 1360.0]
    # customers 139 + 17 - round(0.03 * 139) = 152; sales 23,000 x 1.02^11 = 28,600 (hundreds)
    assert plan.loc["2025-01", "customers"] == 152
    assert plan.loc["2025-12", "sales"] == 28600.0
    # the identity the budget was built on holds month by month
    mrr = plan["mrr"]
    net = mrr.diff().iloc[1:] - plan["new_mrr"].iloc[1:] + plan["churned_mrr"].iloc[1:]
    assert set(net.round()) == {290.0}


def test_a_plan_in_a_workbook_is_read_with_its_sheet(tmp_path: Path) -> None:
    write_sample(tmp_path)
    company, _notes, _warnings = load_company(tmp_path / "kpi_input.xlsx")
    assert company.plan is not None
    assert len(company.plan) == 12 * 6
    assert company.plan.loc[company.plan["kpi"] == "mrr", "value"].iloc[-1] == 58610.0


def test_an_unknown_plan_key_names_its_cell_and_the_nearest_key(tmp_path: Path) -> None:
    folder = _csv_folder(tmp_path, "month,mmr,sales\n2025-01,100,20\n")
    result = run("metrics", "--data", str(folder))
    assert result.returncode == 1
    assert "plan.csv!B (mmr)" in result.stderr
    assert "did you mean 'mrr'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_plan_value_names_its_row(tmp_path: Path) -> None:
    folder = _csv_folder(tmp_path, "month,kpi,value\n2025-01,mrr,100\n2025-02,mrr,lots\n")
    with pytest.raises(InputError) as caught:
        load_company(folder)
    assert [str(p) for p in caught.value.problems] == [f"{folder} plan.csv!C3 (value): 'lots' is not a number"]


def test_plan_scenario_from_the_option_and_the_settings_sheet(tmp_path: Path) -> None:
    plan = "month,scenario,mrr\n2025-01,budget,100\n2025-01,reforecast,90\n"
    settings = "key,value\nplan_scenario,reforecast\n"
    folder = _csv_folder(tmp_path, plan)
    company, _n, _w = load_company(folder)
    assert selected_plan(company)[1]["mrr"].tolist() == [100.0]  # type: ignore[index]
    company, _n, _w = load_company(folder, given={"plan_scenario": "Reforecast"})
    assert selected_plan(company)[0] == "reforecast"  # type: ignore[index]
    assert company.settings.origin["plan_scenario"] == "command line"
    folder = _csv_folder(tmp_path / "b", plan, settings)
    company, _n, _w = load_company(folder)
    assert selected_plan(company)[1]["mrr"].tolist() == [90.0]  # type: ignore[index]
    assert company.settings.origin["plan_scenario"] == "settings sheet"


def test_an_unknown_scenario_lists_the_plans_scenarios() -> None:
    result = run("metrics", "--plan-scenario", "stretch")
    assert result.returncode == 1
    assert "--plan-scenario 'stretch' is not in the plan (it has budget)" in result.stderr
    assert "plan.csv" in result.stderr


def test_a_scenario_without_a_plan_is_an_error(tmp_path: Path) -> None:
    folder = _csv_folder(tmp_path)
    (folder / "plan.csv").unlink()
    result = run("metrics", "--data", str(folder), "--plan-scenario", "budget")
    assert result.returncode == 1
    assert "--plan-scenario 'budget': the input has no plan sheet" in result.stderr


def test_a_plan_table_in_a_database(tmp_path: Path) -> None:
    pytest.importorskip("adbc_driver_sqlite")
    import pyarrow.csv as pa_csv

    (tmp_path / "w.sqlite").touch()
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    tables = {n: pa_csv.read_csv(sample_path() / f"{n}.csv") for n in ("subscriptions", "fx_rates")}
    tables["budget_2025"] = pa.table(
        {"Month": ["2025-01", "2025-02"], "MRR": [30000.0, 31000.0], "New MRR": [3000.0, None]}
    )
    with connection(parse_url(url)) as conn:
        for name, table in tables.items():
            conn.ingest(name, table)
    database = Database(
        parse_url(url), {"subscriptions": "subscriptions", "fx_rates": "fx_rates", "plan": "budget_2025"}, {}
    )
    company, _n, _w = load_company(database=database)
    _scenario, plan = selected_plan(company)  # type: ignore[misc]
    assert plan["mrr"].tolist() == [30000.0, 31000.0]
    assert plan["new_mrr"].iloc[0] == 3000.0 and pd.isna(plan["new_mrr"].iloc[1])


def test_a_plan_range_in_excel() -> None:
    subs = [
        ["customer_id", "amount", "start_date"],
        ["a", 100.0, pd.Timestamp("2025-01-05").to_pydatetime()],
    ]
    plan = [["month", "mrr", "customers"], ["2025-01", 120.0, 2.0], ["2025-02", 130.0, None]]
    data, _w, _n = read_ranges(subs, plan=plan)
    _scenario, wide = selected_plan(data)  # type: ignore[misc]
    assert wide["mrr"].tolist() == [120.0, 130.0]
    with pytest.raises(InputError) as caught:
        read_ranges(subs, plan=[["month", "custmers"], ["2025-01", 2.0]])
    assert "range plan!B (custmers)" in str(caught.value)
    assert "did you mean 'customers'" in str(caught.value)
