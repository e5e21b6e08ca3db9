"""Every way costs and funnel come in takes their ``segment`` column (issue 19).

The bundled sample's costs and funnel split by plan — each month's flows 50 % Starter, 30 %
Growth, 15 % Scale (to the cent; funnel counts ½, ¼, ⅛ rounded down) and the rest on a blank
segment row with the month's cash and headcount — read through each path: a CSV folder, an
``.xlsx`` workbook, Parquet, a database's tables, Excel ranges (``=KPI_REPORT``), the exports
laid over them (a Balance Sheet's cash, GA4 visitors) and ``dashboard --update``.  On every path the
company's figures are the unsplit sample's (the company is the sum of its rows), and the
figures by plan are the CSV folder's (:mod:`tests.test_segmented_inputs` works them by hand).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from kpi_addin.io import sample_path
from kpi_addin.io.inputs import load_company
from kpi_addin.io.ranges import read_ranges
from kpi_addin.io.sources.accounting import EXAMPLE_MAP
from kpi_addin.metrics import monthly_kpis
from kpi_addin.metrics.segment_inputs import LEVEL_COLUMNS
from kpi_addin.metrics.segments import segment_report

from .excel_ranges import sheet_range
from .input_helpers import run
from .test_database_read import SHEETS, duckdb_file
from .test_excel_functions import MISSING, call, udfs  # noqa: F401  # the fixture, shared

TODAY = dt.date(2026, 6, 15)
EXPORTS = Path(__file__).resolve().parent.parent / "examples" / "exports"
SHARES = {"Starter": 0.5, "Growth": 0.3, "Scale": 0.15}
KEYS = ("cac", "cac_trailing", "cac_payback_months", "ltv_cac", "ccr", "gross_margin", "visitors")


def split_costs(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for record in frame.to_dict("records"):
        rest = dict(record, segment=None)
        for plan, share in SHARES.items():
            row = {"month": record["month"], "segment": plan}
            for column, value in record.items():
                if column == "month" or column in LEVEL_COLUMNS or pd.isna(value):
                    continue
                row[column] = round(value * share, 2)
                rest[column] = round(rest[column] - row[column], 2)
            rows.append(row)
        rows.append(rest)
    return pd.DataFrame(rows, columns=[*frame.columns, "segment"])


def split_funnel(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for record in frame.to_dict("records"):
        rest = dict(record, segment=None)
        for plan, part in (("Starter", 2), ("Growth", 4), ("Scale", 8)):
            row = {"month": record["month"], "segment": plan}
            for column, value in record.items():
                if column != "month" and not pd.isna(value):
                    row[column] = int(value) // part
                    rest[column] = int(rest[column]) - row[column]
            rows.append(row)
        rows.append(rest)
    return pd.DataFrame(rows, columns=[*frame.columns, "segment"]).astype({c: "Int64" for c in frame if c != "month"})


@pytest.fixture(scope="module")
def segmented(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("segmented") / "data"
    folder.mkdir()
    for name in SHEETS:
        (folder / f"{name}.csv").write_bytes((sample_path() / f"{name}.csv").read_bytes())
    split_costs(pd.read_csv(sample_path() / "costs.csv")).to_csv(folder / "costs.csv", index=False)
    split_funnel(pd.read_csv(sample_path() / "funnel.csv")).to_csv(folder / "funnel.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def company_figures() -> pd.DataFrame:
    return monthly_kpis(load_company(sample_path())[0], today=TODAY).monthly


@pytest.fixture(scope="module")
def plan_figures(segmented) -> pd.DataFrame:
    data = load_company(segmented)[0]
    return segment_report(data, monthly_kpis(data, today=TODAY), ("plan",)).monthly


def _workbook(folder: Path, tmp: Path) -> Path:
    path = tmp / "data.xlsx"
    with pd.ExcelWriter(path) as writer:
        for name in SHEETS:
            pd.read_csv(folder / f"{name}.csv", dtype=str).to_excel(writer, sheet_name=name, index=False)
    return path


def _parquet(folder: Path, tmp: Path) -> Path:
    out = tmp / "pq"
    out.mkdir()
    for name in SHEETS:
        pq.write_table(pa_csv.read_csv(folder / f"{name}.csv"), out / f"{name}.parquet")
    return out


def _ranges(folder: Path, tmp: Path):
    ranges = {name: sheet_range(name, "windows", folder) for name in SHEETS if name not in ("targets",)}
    data, _w, _n = read_ranges(**ranges)
    return data


PATHS = {
    "csv folder": lambda folder, tmp: load_company(folder)[0],
    "xlsx workbook": lambda folder, tmp: load_company(_workbook(folder, tmp))[0],
    "parquet folder": lambda folder, tmp: load_company(_parquet(folder, tmp))[0],
    "duckdb tables": lambda folder, tmp: load_company(
        database=duckdb_file(tmp, {name: pa_csv.read_csv(folder / f"{name}.csv") for name in SHEETS})
    )[0],
    "excel ranges": _ranges,
}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_every_input_path_takes_the_segment_column(segmented, company_figures, plan_figures, tmp_path, path):
    data = PATHS[path](segmented, tmp_path)
    report = monthly_kpis(data, today=TODAY)
    # the company is the sum of the rows: the unsplit sample's figures (to rounding of the split)
    pd.testing.assert_frame_equal(report.monthly, company_figures, check_exact=False, rtol=1e-9, atol=1e-9)
    by_plan = segment_report(data, report, ("plan",)).monthly
    pd.testing.assert_frame_equal(by_plan, plan_figures, check_exact=False, rtol=1e-9, atol=1e-9)
    latest = by_plan.xs(report.as_of, level="month")
    assert latest["cac"].notna().sum() >= 2  # Starter and Growth win customers in the sample's last month


def test_the_figures_by_plan_add_up_where_every_plan_has_a_row(plan_figures, company_figures):
    """Visitors by plan are ½ + ¼ + ⅛ of the month's (rounded down), the rest unallocated."""
    visitors = plan_figures["visitors"].groupby(level="month").sum(min_count=1)
    months = visitors.index
    expected = pd.read_csv(sample_path() / "funnel.csv").set_index("month")["visitors"]
    for month in months[-3:]:
        total = int(expected[str(month)])
        assert visitors[month] == total // 2 + total // 4 + total // 8


def test_cac_by_plan_from_a_kpi_report_formula(udfs, segmented, plan_figures):  # noqa: F811
    ranges = {name: sheet_range(name, "windows", segmented) for name in SHEETS}
    to_tuple = lambda rows: tuple(tuple(r) for r in rows)  # noqa: E731  # pywin32 hands ranges as tuples
    handle = call(
        udfs,
        "KPI_REPORT",
        to_tuple(ranges["subscriptions"]),
        to_tuple(ranges["fx_rates"]),
        to_tuple(ranges["costs"]),
        to_tuple(ranges["funnel"]),
        to_tuple(ranges["nps"]),
        to_tuple(ranges["settings"]),
        MISSING,
    )
    assert isinstance(handle, str) and handle.startswith("kpi#"), handle
    month = str(plan_figures.index.get_level_values("month")[-1])
    found = call(udfs, "KPI", handle, "cac", month, "plan=Starter")
    segments = pd.read_csv(segmented / "subscriptions.csv")["plan"].dropna().unique()
    code = sorted(segments).index("Starter")
    expected = float(plan_figures.loc[(pd.Period(month, "M"), code), "cac"])
    assert not math.isnan(expected) and found == pytest.approx(expected)
    # cash has no segment: #N/A (Windows' error code), not a number
    assert call(udfs, "KPI", handle, "cash_balance", month, "plan=Starter") == "#N/A"


def test_exports_laid_over_segmented_sheets_land_on_the_company_rows(segmented, company_figures, tmp_path):
    """A Balance Sheet's cash and GA4 visitors are company figures: they go on the blank-segment
    rows; a month's visitors by plan are then cleared (the export's total is the month's), said."""
    data, _notes, warnings = load_company(
        segmented,
        cash=EXPORTS / "balance_sheet.csv",
        accounts=EXAMPLE_MAP,
        visitors=EXPORTS / "ga4_users.csv",
    )
    plain, _n, _w = load_company(
        sample_path(), cash=EXPORTS / "balance_sheet.csv", accounts=EXAMPLE_MAP, visitors=EXPORTS / "ga4_users.csv"
    )
    ours, theirs = monthly_kpis(data, today=TODAY).monthly, monthly_kpis(plain, today=TODAY).monthly
    for key in ("cash_balance", "visitors", "ccr", "cac"):
        np.testing.assert_allclose(ours[key].to_numpy(float), theirs[key].to_numpy(float), rtol=1e-9)
    said = "funnel: visitors by segment replaced by the export's company figure in "
    assert any(w.startswith(said) for w in warnings)
    assert data.costs is not None and data.costs.loc[data.costs["segment"].notna(), "cash"].isna().all()


def test_a_profit_and_loss_export_beside_a_segmented_funnel(segmented, tmp_path):
    """A P&L export gives the costs one row per month (no segment): CAC stays company-only."""
    result = run(
        "metrics", "--data", segmented, "--costs", EXPORTS / "profit_and_loss.csv", "--accounts", EXAMPLE_MAP,
        "--by", "plan", "--format", "json",
    )  # fmt: skip
    assert result.code == 0, result.err
    rows = result.json()["segments"]["months"]
    assert all(r["cac"] is None for r in rows)
    assert any(r["visitors"] is not None for r in rows)  # the funnel is still by plan


def test_dashboard_and_its_monthly_update_with_segmented_inputs(segmented, company_figures, tmp_path):
    first = tmp_path / "first.xlsx"
    done = run("dashboard", "--data", segmented, "--out", first, "--by", "plan")
    assert done.code == 0, done.err
    second = tmp_path / "second.xlsx"
    done = run("dashboard", "--data", segmented, "--update", first, "--out", second)
    assert done.code == 0, done.err
    book = load_workbook(second)
    sheet = next(ws for ws in book.worksheets if "Costs" in ws.tables)
    header = [c.value for c in sheet[3]]
    rows = len(split_costs(pd.read_csv(sample_path() / "costs.csv")))
    assert "segment" in header and sheet.tables["Costs"].ref.endswith(str(3 + rows))
    plans = {sheet.cell(row=r, column=header.index("segment") + 1).value for r in range(4, 4 + rows)}
    assert plans == {"Starter", "Growth", "Scale", None}
