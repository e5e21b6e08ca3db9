"""The Movements sheet, the bridge cells over its table, the largest movements on Revenue,
and the input cells: against the library's movement log (LibreOffice's recalculation of the
SUMIFS is checked with every other formula in test_dashboard_values)."""

from __future__ import annotations

import datetime as dt
import zipfile

import pytest
from openpyxl import load_workbook

from kpi_addin.dashboard.sheets.top_movements import largest
from kpi_addin.dashboard.template import load_template
from kpi_addin.dashboard.typed import INPUT_STYLE_NAME, MARKER_NAME
from kpi_addin.io import read_company_data, sample_path
from kpi_addin.metrics.bridge import BRIDGE_COLUMNS
from kpi_addin.metrics.movements import MOVEMENT_COLUMNS, movement_log

from .dashboard_helpers import build


@pytest.fixture(scope="module")
def sample_data():
    return read_company_data(sample_path())[0]


@pytest.fixture(scope="module")
def full(sample_data, tmp_path_factory):
    path = tmp_path_factory.mktemp("full") / "dashboard.xlsx"
    report, expected = build(sample_data, path)
    return path, report, expected


def table_rows(ws) -> list[list[object]]:
    return [[c.value for c in row] for row in ws.iter_rows(min_row=5, max_col=len(MOVEMENT_COLUMNS))]


def test_movements_table_is_the_log_of_the_last_twelve_months(full, sample_data):
    path, report, _expected = full
    wb = load_workbook(path)
    ws = wb["Movements"]
    table = ws.tables["MRRMovements"]
    assert [c.name for c in table.tableColumns] == list(MOVEMENT_COLUMNS)
    log = movement_log(report.customer_mrr, sample_data.subscriptions, start=report.monthly.index[-12])
    rows = table_rows(ws)
    assert table.ref == f"A4:J{4 + len(log)}" and len(rows) == len(log)
    assert {r[0] for r in rows} == {p.to_timestamp().to_pydatetime() for p in report.monthly.index[-12:]}
    for row, move in zip(rows, log.itertuples(index=False), strict=True):
        assert row[0] == move.month.to_timestamp().to_pydatetime()
        assert row[1:4] == [move.customer_id, move.customer_name, move.type]
        assert row[4:7] == pytest.approx([move.mrr_before, move.mrr_after, move.change], abs=1e-9)
        assert row[7] == int(move.counted)
        assert [v or "" for v in row[8:]] == [move.plans_before, move.plans_after]


def test_bridge_cells_of_the_logged_months_are_sums_over_the_table(full):
    path, report, expected = full
    ws = load_workbook(path)["Ledger aggregates"]
    columns = {ws.cell(row=4, column=j).value: j for j in range(1, ws.max_column + 1)}
    # net_contraction_mrr (each customer's whole fall) is no sum of log rows: a value
    movements = [
        c for c in BRIDGE_COLUMNS if not c.startswith("start") and c not in ("mrr", "customers", "net_contraction_mrr")
    ]
    for i, period in enumerate(report.monthly.index):
        for column in movements:
            cell = ws.cell(row=5 + i, column=columns[column])
            if i >= len(report.monthly) - 12:
                assert str(cell.value).startswith(("=SUMIFS(MRRMovements[", "=-SUMIFS(MRRMovements[")), (period, column)
                assert expected["Ledger aggregates"][cell.coordinate] == pytest.approx(report.bridge[column].iloc[i])
            else:
                assert cell.value == pytest.approx(report.bridge[column].iloc[i])  # a value, as before
    latest = 5 + len(report.monthly) - 1
    assert ws.cell(row=latest, column=columns["churned_customers"]).value == (
        f'=SUMIFS(MRRMovements[counted],MRRMovements[month],$A{latest},MRRMovements[type],"churned")'
    )


def test_largest_movements_of_the_latest_month_on_revenue(full, sample_data):
    path, report, expected = full
    ws = load_workbook(path)["Revenue"]
    log = movement_log(report.customer_mrr, sample_data.subscriptions, start=report.as_of)
    churned = largest(log, report.as_of, "churned")
    assert len(churned) == 6 and -churned["change"].sum() == pytest.approx(1169.46, abs=0.005)
    text = [[c.value for c in row] for row in ws.iter_rows(min_row=report.monthly.shape[0] + 7)]
    start = next(i for i, row in enumerate(text) if row[0] == "Top churned")
    listed = text[start + 2 : start + 2 + len(churned)]
    assert [row[:2] for row in listed] == churned[["customer_id", "customer_name"]].to_numpy().tolist()
    first = report.monthly.shape[0] + 7 + start + 2
    shown = [expected["Revenue"][f"E{first + k}"] for k in range(len(churned))]
    assert shown == pytest.approx(churned["change"].tolist())
    assert str(listed[0][4]).startswith("='Movements'!G")
    expansions = largest(log, report.as_of, "expansion")
    assert expansions["change"].iloc[0] == pytest.approx(1750.0)  # C0356: Growth ×5 → Scale ×5
    # the customers' own expansions: FX impact is its own type (in the sample's December the
    # EUR rate alone moved most of the customers an FX-in-expansion tool counts as expanded)
    assert (expansions["type"] == "expansion").all() and len(expansions) == 4
    december = log[log["month"] == report.as_of]
    fx_rows = december[december["type"] == "fx"]
    own = set(december.loc[december["type"] != "fx", "customer_id"])
    assert len(fx_rows) == 82 and not fx_rows["counted"].any()
    assert len(set(fx_rows["customer_id"]) - own) == 81  # the 81 customers whose rate alone moved


@pytest.mark.parametrize(("kwargs", "months"), [({"movements_months": 3}, 3), ({"include_ledger": True}, 24)])
def test_movements_months(sample_data, tmp_path, kwargs, months):
    path = tmp_path / "d.xlsx"
    report, _expected = build(sample_data, path, **kwargs)
    wb = load_workbook(path)
    logged = {row[0] for row in table_rows(wb["Movements"])}
    assert logged == {p.to_timestamp().to_pydatetime() for p in report.monthly.index[-months:]}
    ledger = wb["Ledger aggregates"]
    formulas = [str(ledger.cell(row=5 + i, column=3).value).startswith("=SUMIFS") for i in range(len(report.monthly))]
    assert formulas == [i >= len(report.monthly) - months for i in range(len(report.monthly))]


def test_a_long_log_keeps_to_the_ledger_limit(sample_data, tmp_path):
    from kpi_addin.metrics import monthly_kpis

    per_month = movement_log(monthly_kpis(sample_data).customer_mrr).groupby("month").size()
    limit = int(per_month.iloc[-1] + per_month.iloc[-2] + per_month.iloc[-3] - 1)  # two months fit, not three
    path = tmp_path / "d.xlsx"
    report, expected = build(sample_data, path, ledger_limit=limit)
    rows = table_rows(load_workbook(path)["Movements"])
    months = sorted({row[0] for row in rows})
    assert len(rows) <= limit and months == [dt.datetime(2025, 11, 1), dt.datetime(2025, 12, 1)]
    ledger = expected["Ledger aggregates"]
    assert ledger[f"C{4 + len(report.monthly)}"] == pytest.approx(report.bridge["new_mrr"].iloc[-1])
    assert f"C{4 + len(report.monthly) - 2}" not in ledger  # the month before the log: a value


def test_executive_has_no_customer_names(sample_data, tmp_path):
    path = tmp_path / "exec.xlsx"
    build(sample_data, path, template="executive")
    wb = load_workbook(path)
    assert "Movements" not in wb.sheetnames and "MRR 변동 내역" not in wb.sheetnames
    with zipfile.ZipFile(path) as archive:
        parts = [archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if n.endswith(".xml")]
    assert not any("Blue Systems" in part for part in parts if "subscriptions" not in part)
    ledger = wb["Ledger aggregates"]
    assert isinstance(ledger["C28"].value, float)  # the bridge stays values
    path = tmp_path / "exec_ledger.xlsx"
    build(sample_data, path, template="executive", include_ledger=True)  # asked for explicitly
    assert "Movements" in load_workbook(path).sheetnames


def test_input_cells_have_one_style_and_a_name_each(full):
    path, _report, _expected = full
    wb = load_workbook(path)
    inputs = {name: d for name, d in wb.defined_names.items() if name.startswith(("Goal_", "Comment_"))}
    goals_count = 9  # the sample's targets
    summary_kpis = load_template("full").summary_kpis
    assert len(inputs) == goals_count * 3 + len(summary_kpis)  # target, direction, due per goal; commentary per KPI
    for name, defined in inputs.items():
        sheet, ref = next(iter(defined.destinations))
        cell = wb[sheet][ref.replace("$", "")]
        assert cell.style == INPUT_STYLE_NAME, name
        assert cell.fill.fgColor.rgb == "00FFF2CC"
    goals = wb["Goals"]
    assert (
        goals["C5"].value == 120000 and goals["D5"].value == "higher" and goals["E5"].value == dt.datetime(2025, 12, 1)
    )
    assert goals["I5"].value == '=IF(D5="lower","lower","higher")'
    assert wb.defined_names[MARKER_NAME].attr_text == '"kpi-addin 0.1.0 as_of 2025-12 currency USD"'
