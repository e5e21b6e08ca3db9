"""The dashboard's Segments sheet and its pack page (issue #19, the dashboard surface).

* LibreOffice recalculates the Segments sheet (SUMIFS over the SegmentData table) and every
  segment's MRR, net new MRR, customers, ARPU, 3-month churn, 12-month NRR and bridge
  equals :func:`~kpi_addin.metrics.segments.segment_report` — for the sample by plan and by
  currency;
* the check rows are 0: the segments' totals tie to the company's figures by formula;
* the segment names are the ledger's text, never formulas (a plan called ``=1+1`` or ``<5``);
* the template's segments, ``--by``, an attribute the data lacks, and the executive template
  (segments, never a customer).
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from kpi_addin.cli import cli
from kpi_addin.io import read_company_data, sample_path
from kpi_addin.metrics import CompanyData, monthly_kpis
from kpi_addin.metrics.segments import segment_report

from .dashboard_helpers import build, mismatches
from .libreoffice import recalculated_values

SHEET, PAGE, DATA = "Segments", "Pack segments", "Segment data"


def sample() -> CompanyData:
    return read_company_data(sample_path())[0]


def rows_by_name(ws, first_column: str = "A") -> dict[str, list[int]]:
    """Row numbers of each text in column A (a segment's name appears in both tables)."""
    out: dict[str, list[int]] = {}
    for row in ws.iter_rows(min_col=1, max_col=1):
        cell = row[0]
        if isinstance(cell.value, str):
            out.setdefault(cell.value, []).append(cell.row)
    return out


def header_columns(ws, row: int) -> dict[str, str]:
    return {c.value: c.column_letter for c in ws[row] if isinstance(c.value, str)}


def close(a: float, b: object) -> bool:
    if math.isnan(a):
        return isinstance(b, str) and b.startswith("#")
    return isinstance(b, int | float) and math.isclose(float(b), a, rel_tol=1e-9, abs_tol=1e-6)


@pytest.mark.libreoffice
@pytest.mark.parametrize("by", [("plan",), ("currency",)])
def test_libreoffice_recalculates_the_segments_sheet_to_the_library(by, tmp_path):
    data = sample()
    path = tmp_path / "d.xlsx"
    report, expected = build(data, path, by=by)
    recalculated = recalculated_values(path, tmp_path)
    # every formula of the sheet and of its page, as LibreOffice computes it, is the cached value
    ours = {k: v for k, v in expected.items() if k in (SHEET, PAGE)}
    assert sum(len(v) for v in ours.values()) > 100
    assert mismatches(ours, recalculated) == []
    # and the figures are the library's, segment by segment
    result = segment_report(data, report, by)
    latest = result.monthly.xs(report.as_of, level="month")
    names = [" / ".join(map(str, r)) for r in result.segments.itertuples(index=False)]
    ws = load_workbook(path)[SHEET]
    shown = recalculated[SHEET]
    rows = rows_by_name(ws)
    kpi_head = rows["Segment"][0]
    kpi_cols = header_columns(ws, kpi_head)
    bridge_head = rows["Segment"][1]
    bridge_cols = header_columns(ws, bridge_head)
    i = len(report.monthly) - 1
    checked = 0
    for code, name in enumerate(names):
        if name not in rows:  # nothing in the last three months
            assert all(result.columns[k][code][max(0, i - 2) : i + 1].sum() == 0 for k in ("mrr", "customers"))
            continue
        kpi_row, bridge_row = rows[name]
        at = lambda col, r: shown[f"{col}{r}"]  # noqa: E731
        mrr = float(latest["mrr"].iloc[code])
        start = float(result.columns["start_mrr"][code][i])
        assert close(mrr, at(kpi_cols["MRR"], kpi_row))
        assert close(mrr - start, at(kpi_cols["Net new MRR"], kpi_row))
        assert close(float(latest["customers"].iloc[code]), at(kpi_cols["Paying customers"], kpi_row))
        assert close(float(latest["arpu"].iloc[code]), at(kpi_cols["ARPU"], kpi_row))
        churn_header = next(h for h in kpi_cols if h.startswith("Customer churn rate"))
        assert close(float(latest["customer_churn_rate_3m"].iloc[code]), at(kpi_cols[churn_header], kpi_row))
        nrr_header = next(h for h in kpi_cols if h.startswith("Net revenue retention"))
        assert close(float(latest["nrr_12m"].iloc[code]), at(kpi_cols[nrr_header], kpi_row))
        assert close(start, at(bridge_cols["MRR at start"], bridge_row))
        for key, header in (
            ("new_mrr", "New MRR"),
            ("expansion_mrr", "Expansion MRR"),
            ("reactivation_mrr", "Reactivation MRR"),
            ("entered_mrr", "Entered segment"),
            ("contraction_mrr", "Contraction MRR"),
            ("churned_mrr", "Churned MRR"),
            ("left_mrr", "Left segment"),
            ("fx_mrr", "FX impact MRR"),
        ):
            assert close(float(latest[key].iloc[code]), at(bridge_cols[header], bridge_row)), (name, key)
        # the bridge's end, a formula over the row, is the segment's MRR
        assert close(mrr, at(bridge_cols["MRR at end"], bridge_row))
        checked += 1
    assert checked >= 2
    # the check rows are 0 after LibreOffice recalculated them: the segments tie to the company
    for check_row in rows["Check: total − company"]:
        values = [v for c, v in shown.items() if c[0] in "BCDEFGHIJK" and c[1:] == str(check_row)]
        assert len(values) >= 5 and all(v == 0 for v in values), (check_row, values)


@pytest.mark.libreoffice
def test_many_segments_are_capped_with_other_and_still_tie(tmp_path):
    """40 plans: the sheet shows 24 and (other), the page 8 and (other); LibreOffice agrees, checks are 0."""
    data = sample()
    subs = data.subscriptions.copy()
    subs["plan"] = subs["plan"] + "-" + (subs["customer_id"].str[-1:].map(ord) % 10).astype(str)
    data.subscriptions = subs
    path = tmp_path / "d.xlsx"
    _report, expected = build(data, path)
    recalculated = recalculated_values(path, tmp_path)
    ours = {k: v for k, v in expected.items() if k in (SHEET, PAGE)}
    assert mismatches(ours, recalculated) == []
    wb = load_workbook(path)
    sheet_rows = rows_by_name(wb[SHEET])
    plan_like = re.compile(r"^[A-Za-z]+-\d$")
    assert "(other)" in sheet_rows and len([n for n in sheet_rows if plan_like.match(n)]) == 24
    page_labels = [c.value for c in wb[PAGE]["A"] if isinstance(c.value, str)]
    assert "(other)" in page_labels and len([n for n in page_labels if plan_like.match(n)]) == 8
    for check_row in sheet_rows["Check: total − company"]:
        values = [v for c, v in recalculated[SHEET].items() if c[0] in "BCDEFGHIJK" and c[1:] == str(check_row)]
        assert len(values) >= 5 and all(v == 0 for v in values), (check_row, values)


def test_the_segments_tie_to_the_company_by_formula(tmp_path):
    """Total of the segments − company = 0 in every check cell; the total row sums the segment rows."""
    data = sample()
    report, expected = build(data, tmp_path / "d.xlsx")  # the full template: segments = ["plan"]
    ws = load_workbook(tmp_path / "d.xlsx")[SHEET]
    rows = rows_by_name(ws)
    cells = expected[SHEET]
    for check_row in rows["Check: total − company"]:
        checks = {c: v for c, v in cells.items() if c[1:] == str(check_row) and c[0] in "BCDEFGHIJK"}
        assert len(checks) >= 5
        assert all(v == 0 for v in checks.values()), checks
        for cell in checks:
            assert str(ws[cell].value).startswith("=ROUND("), ws[cell].value
    total_row, company_row = rows["Total of segments"][0], rows["Company"][0]
    assert ws[f"B{total_row}"].value == f"=SUM(B8:B{total_row - 1})"
    assert "Monthly KPIs" in ws[f"B{company_row}"].value
    assert math.isclose(cells[f"B{total_row}"], float(report.monthly["mrr"].iloc[-1]), rel_tol=1e-12)
    # the segment formulas select rows by the segment's code, a number
    assert "SegmentData[code],$" in ws["B8"].value


def test_segment_names_are_text_never_formulas(tmp_path):
    data = sample()
    subs = data.subscriptions.copy()
    hostile = {"Growth": "=1+1", "Scale": "<5", "Starter": "Pro*"}
    subs["plan"] = subs["plan"].replace(hostile)
    data.subscriptions = subs
    report, expected = build(data, tmp_path / "d.xlsx")
    wb = load_workbook(tmp_path / "d.xlsx")
    for title in (SHEET, PAGE, DATA):
        ws = wb[title]
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert not any(name in cell.value for name in ("1+1", "<5", "Pro*")), (title, cell.coordinate)
    names = [c.value for c in wb[SHEET]["A"] if c.value in hostile.values()]
    assert sorted(set(names)) == sorted(hostile.values())
    formula_like = next(c for c in wb[SHEET]["A"] if c.value == "=1+1")
    assert formula_like.data_type == "s" and formula_like.quotePrefix
    # the figures are those of the renamed plans (their codes, not their names, select the rows)
    result = segment_report(data, report, ("plan",))
    names = [str(v) for v in result.segments["plan"]]
    latest = result.monthly.xs(report.as_of, level="month")
    rows = rows_by_name(wb[SHEET])
    for name in hostile.values():
        code = names.index(name)
        assert math.isclose(expected[SHEET][f"B{rows[name][0]}"], float(latest["mrr"].iloc[code]))


def test_without_the_attribute_the_sheet_says_so_and_the_page_is_not_printed(tmp_path):
    data = sample()
    data.subscriptions = data.subscriptions.drop(columns=["plan"])
    report = monthly_kpis(data)
    from kpi_addin.dashboard.builder import BuildOptions, build_workbook
    from kpi_addin.dashboard.template import load_template
    from kpi_addin.lang import load_language

    built = build_workbook(data, report, BuildOptions(load_template("full"), load_language("en")))
    ws = built.workbook[SHEET]
    assert "No segments by plan" in ws["A3"].value and "attributes" in ws["A3"].value
    assert PAGE not in built.printed
    assert built.workbook[PAGE].sheet_state == "hidden"


def test_by_replaces_the_template_segments_and_an_unknown_column_is_refused(tmp_path):
    out = tmp_path / "d.xlsx"
    result = CliRunner().invoke(cli, ["dashboard", "--out", str(out), "--by", "currency"])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert "by currency" in wb[SHEET]["A2"].value
    assert {c.value for c in wb[SHEET]["A"][:20]} >= {"USD", "EUR"}
    result = CliRunner().invoke(cli, ["dashboard", "--out", str(tmp_path / "e.xlsx"), "--by", "country"])
    assert result.exit_code != 0
    assert "--by country: no such column" in result.output and "plan" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "e.xlsx").exists()


def test_the_executive_template_shows_segments_and_no_customer(tmp_path):
    data = sample()
    build(data, tmp_path / "x.xlsx", template="executive")
    wb = load_workbook(tmp_path / "x.xlsx")
    assert wb[SHEET].sheet_state == "visible"
    names = {str(v) for v in data.subscriptions.get("customer_name", pd.Series(dtype=object)).dropna()}
    ids = {str(v) for v in data.subscriptions["customer_id"]}
    assert names and ids
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.value not in names and cell.value not in ids, (ws.title, cell.coordinate, cell.value)


def test_a_template_names_its_segments(tmp_path):
    from kpi_addin.dashboard.template import load_template
    from kpi_addin.lang import TemplateError

    assert load_template("full").segments == ("plan",)
    assert load_template("executive").segments == ("plan",)
    bad = tmp_path / "bad.toml"
    bad.write_text('sheets = ["summary"]\nsegments = "plan"\n')
    with pytest.raises(TemplateError, match="segments"):
        load_template(str(bad))
    Path(tmp_path / "none.toml").write_text('sheets = ["summary"]\n')
    assert load_template(str(tmp_path / "none.toml")).segments == ()
