"""workbooks/kpi_functions.xlsm: what a finance user opens first."""

from __future__ import annotations

import importlib.util
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries

from kpi_addin.excel import functions

from .test_excel_functions import SIGNATURES

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = ROOT / "workbooks" / "kpi_functions.xlsm"


@pytest.fixture(scope="module")
def book():
    return load_workbook(WORKBOOK, keep_vba=True)


def test_built_from_the_xlwings_quickstart_with_its_vba_and_our_udf_module(book):
    with zipfile.ZipFile(WORKBOOK) as archive:
        assert "xl/vbaProject.bin" in archive.namelist()
    settings = {row[0]: row[1] for row in book["xlwings.conf"].iter_rows(values_only=True) if row[0]}
    assert settings["UDF Modules"] == "kpi_addin.excel.functions"


def test_every_function_is_used(book):
    formulas = " ".join(
        str(getattr(c.value, "text", c.value))
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if c.data_type == "f" or hasattr(c.value, "text")
    )
    for name in SIGNATURES:
        assert re.search(rf"\b{name}\(", formulas), name


def _cells(ws, ref: str) -> object:
    if ":" not in ref:
        return ws[ref].value
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    return [[ws.cell(row=r, column=c).value for c in range(min_col, max_col + 1)] for r in range(min_row, max_row + 1)]


def test_each_example_shows_what_the_function_gives_for_its_cells(book):
    ws = book["Examples"]
    values = load_workbook(WORKBOOK, data_only=True)["Examples"]
    checked: set[str] = set()
    for row in range(5, ws.max_row + 1):
        formula = ws[f"F{row}"].value
        if not (isinstance(formula, str) and formula.startswith("=")):
            continue
        name, args = re.fullmatch(r"=(\w+)\((.*)\)", formula).groups()
        arguments = []
        for ref in args.split(","):
            # an example may read another example's result (LTV_CAC reads LTV and CAC)
            arguments.append(values[ref].value if ref.startswith("F") else _cells(ws, ref))
        result = getattr(functions, name)(*arguments)
        should_show = ws[f"G{row}"].value
        assert result == pytest.approx(should_show, rel=1e-12), name
        assert values[f"F{row}"].value == pytest.approx(should_show, rel=1e-12)  # cached for previews
        assert ws[f"E{row}"].value == formula and ws[f"E{row}"].data_type == "s"  # readable, not live
        checked.add(name)
    # every one-cell function has a worked example (the table functions have their own sheet)
    table_functions = {"MRR_TABLE", "MRR_MOVEMENTS", "COHORTS"}
    report_functions = {"KPI_REPORT", "KPI", "KPI_TABLE", "KPI_MOVEMENTS", "KPI_WARNINGS"}  # the Report sheet
    scalar = {n for n in functions.__all__ if n.isupper() and callable(getattr(functions, n))}
    assert checked == scalar - table_functions - report_functions


def _sheet_range(book, ref: str) -> list[list[object]]:
    """The cells of a range as Excel hands them over: every number a double."""
    sheet, _, cells = ref.rpartition("!")
    rows = _cells(book[sheet.strip("'")], cells.replace("$", ""))
    return [[float(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in row] for row in rows]


def test_the_report_sheet_reads_every_figure_from_one_report(book, sample_dir):
    """KPI_REPORT over the workbook's own sheets gives the cached handle; each KPI() read gives
    what it should show, which is kpi-addin metrics' figure (its JSON)."""
    import json

    from click.testing import CliRunner

    from kpi_addin.cli import cli

    ws, values = book["Report"], load_workbook(WORKBOOK, data_only=True)["Report"]
    refs = re.fullmatch(r"=KPI_REPORT\((.*)\)", ws["B3"].value).group(1).split(",")
    handle = functions.KPI_REPORT(*[_sheet_range(book, ref) for ref in refs])
    assert handle == values["B3"].value and handle.startswith("kpi#") and "2025-12, 24 months" in handle
    done = CliRunner().invoke(cli, ["metrics", "--data", str(sample_dir), "--format", "json"])
    document = json.loads(done.output)
    latest = document["months"][-1]
    reads = 0
    for row in range(6, ws.max_row + 1):
        formula = ws[f"D{row}"].value
        if not (isinstance(formula, str) and formula.startswith("=KPI(")):
            continue
        key, *month = re.findall(r'"([^"]+)"', formula)
        shown = functions.KPI(handle, key, *month)
        assert shown == pytest.approx(ws[f"E{row}"].value, rel=1e-12) == values[f"D{row}"].value, formula
        if not month:
            want = document["balance_sheet"][key] if key in document["balance_sheet"] else latest[key]
            assert shown == pytest.approx(want, rel=1e-12), key
        reads += 1
    assert reads >= 6
    blocks = [getattr(c.value, "text", None) for row in ws.iter_rows() for c in row if hasattr(c.value, "text")]
    assert {re.match(r"=(\w+)\(", b).group(1) for b in blocks} == {"KPI_TABLE", "KPI_MOVEMENTS", "KPI_WARNINGS"}


def test_cohorts_example_shows_values(book):
    """COHORTS reads the FX rates: the sample's multi-currency ledger gives a matrix, not #VALUE!."""
    values = load_workbook(WORKBOOK, data_only=True)["Tables"]
    rows = [[c.value for c in row] for row in values.iter_rows()]
    top = next(i for i, row in enumerate(rows) if row[0] == "=COHORTS(…)") + 1
    block = rows[top : next((i for i in range(top, len(rows)) if rows[i][0] is None), len(rows))]
    assert block[0][:3] == ["cohort", "customers", "0"] and block[1][:3] == ["2024-01", 8.0, 1.0]
    assert not any(isinstance(v, str) and v.startswith("#") for row in block for v in row)


def test_the_committed_workbook_is_up_to_date(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "build_functions_workbook", ROOT / "scripts" / "build_functions_workbook.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = module.build(tmp_path / "fresh.xlsm")
    for sheet in ("Examples", "Tables", "Report"):
        committed = load_workbook(WORKBOOK, data_only=True)[sheet]
        rebuilt = load_workbook(fresh, data_only=True)[sheet]
        assert [[c.value for c in r] for r in committed.iter_rows()] == [
            [c.value for c in r] for r in rebuilt.iter_rows()
        ], f"{sheet} differs: run python scripts/regenerate.py"
