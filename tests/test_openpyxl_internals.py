"""What the dashboard relies on in openpyxl beyond its documented API, pinned.

openpyxl is pinned (``openpyxl==3.1.5`` in pyproject.toml) because the dashboard depends on
these; docs/design.md, "The workbook writer", says why each is used.  Each test builds a
tiny workbook and fails with a message naming the internal and the place in our code to
check, so an upgrade that moves one fails here, loudly, rather than as a wrong or
unreadable dashboard.  To upgrade: install the new version, run this file, fix what it
names, run the whole suite (the LibreOffice tests recalculate the dashboard), then move
the pin.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo
from python_calamine import CalamineWorkbook

from kpi_addin.dashboard.cache import fill_cached_values, sheet_paths
from kpi_addin.dashboard.cells import put_text

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
UPGRADE = f"(openpyxl {openpyxl.__version__}; see docs/design.md, 'The workbook writer')"


def saved(wb: Workbook, tmp_path: Path, name: str = "tiny.xlsx") -> Path:
    path = tmp_path / name
    wb.save(path)
    return path


def member(path: Path, sheet: str) -> str:
    with zipfile.ZipFile(path) as archive:
        return archive.read(sheet_paths(archive)[sheet]).decode("utf-8")


# ---------------------------------------------------------------- formula cells: the <v/> cache.py fills


def test_a_formula_cell_is_written_with_an_empty_value_element(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = 2
    ws["B1"] = "=A1*12"
    ws["C1"] = '=IF(A1<0,"<none>",A1&"x")'  # escaped text inside <f>
    ws["D1"] = "=A1/0"
    ws["D1"].font = Font(bold=True)  # a styled formula cell carries s="…"
    xml = member(saved(wb, tmp_path), "S")
    shapes = re.findall(r'<c r="[A-Z]+1"[^>]*><f>.*?</f>.*?</c>', xml)
    empty_value = r"(?:<v\s*/>|<v></v>)"
    assert len(shapes) == 3 and all(re.search(f"</f>{empty_value}</c>$", s) for s in shapes), (
        "openpyxl no longer writes a formula cell as <c r=..><f>…</f><v/></c> (or <v></v>): "
        f"kpi_addin/dashboard/cache.py's _FORMULA_CELL regex fills that empty <v>. Found {shapes} {UPGRADE}"
    )
    assert re.search(r'<c r="B1"><f>A1\*12</f>' + empty_value + "</c>", xml), (
        f'an unstyled formula cell is no longer exactly <c r="B1"><f>A1*12</f><v/></c>: {shapes} {UPGRADE}'
    )
    assert re.search(r'<c r="D1" s="[0-9]+"><f>A1/0</f>' + empty_value + "</c>", xml), (
        f'a styled formula cell is no longer <c r="D1" s="N"><f>…</f><v/></c>: {shapes} {UPGRADE}'
    )


def test_the_regex_fill_gives_every_formula_its_cached_value(tmp_path):
    """cache.fill_cached_values over what openpyxl wrote: a number, text, an error, all read back."""
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = 2
    ws["B1"] = "=A1*12"
    ws["C1"] = '=IF(A1<0,"<none>","a & b")'
    ws["D1"] = "=A1/0"
    ws["D1"].font = Font(bold=True)
    raw, out = saved(wb, tmp_path, "raw.xlsx"), tmp_path / "out.xlsx"
    filled = fill_cached_values(raw, out, {"S": {"B1": 24.0, "C1": "a & b", "D1": "#DIV/0!"}})
    assert filled == 3, (
        f"cache.fill_cached_values filled {filled} of 3 formula cells: the XML openpyxl writes for a "
        f"formula cell no longer matches kpi_addin/dashboard/cache.py's _FORMULA_CELL {UPGRADE}"
    )
    row = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("S").to_python()[0]
    assert row[1:3] == [24.0, "a & b"], row
    assert re.search(r'<c r="D1" s="[0-9]+" t="e"><f>A1/0</f><v>#DIV/0!</v></c>', member(out, "S"))


def test_a_new_workbook_asks_excel_to_recalculate_on_load(tmp_path):
    """The cached values are a preview; Excel must still recalculate (README: design notes)."""
    with zipfile.ZipFile(saved(Workbook(), tmp_path)) as archive:
        calc = ElementTree.fromstring(archive.read("xl/workbook.xml")).find(f"{MAIN}calcPr")
    assert calc is not None and calc.get("fullCalcOnLoad") == "1", (
        'openpyxl\'s new Workbook no longer writes <calcPr fullCalcOnLoad="1"/> (wb.calculation): the '
        f"dashboard's cached values would be taken as final; set wb.calculation.fullCalcOnLoad in the builder {UPGRADE}"
    )


# ---------------------------------------------------------------- Table._initialise_columns (sheets/common.add_table)


def test_table_columns_named_without_reading_the_sheet(tmp_path):
    """sheets/common.add_table names a Table's columns itself: openpyxl would otherwise read (and so
    create) a cell object for every cell of the range — a million for the ledger."""
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    table = Table(displayName="Ledger", ref="A3:C1000")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    assert hasattr(table, "_initialise_columns"), (
        f"the private Table._initialise_columns() is gone: dashboard/sheets/common.py add_table calls it {UPGRADE}"
    )
    table._initialise_columns()
    assert [c.id for c in table.tableColumns] == [1, 2, 3], (
        f"Table._initialise_columns() no longer makes one TableColumn per column of ref (add_table) {UPGRADE}"
    )
    for column, header in zip(table.tableColumns, ["customer_id", "amount", "start_date"], strict=True):
        column.name = header
    ws.add_table(table)
    path = saved(wb, tmp_path)
    assert not ws._cells, (
        f"saving a Table with named columns created cells {sorted(ws._cells)[:5]}: openpyxl's writer now reads the "
        f"header row even when tableColumns are set (openpyxl/worksheet/_writer.py write_tables) {UPGRADE}"
    )
    with zipfile.ZipFile(path) as archive:
        (name,) = [n for n in archive.namelist() if n.startswith("xl/tables/")]
        written = ElementTree.fromstring(archive.read(name))
    names = [c.get("name") for c in written.iter(f"{MAIN}tableColumn")]
    assert names == ["customer_id", "amount", "start_date"], f"table columns written {names} {UPGRADE}"
    assert written.get("ref") == "A3:C1000"


# ---------------------------------------------------------------- cell styles for the streamed ledger (stream.py)


def test_a_style_registered_through_a_deleted_scratch_cell_is_saved_at_its_style_id(tmp_path):
    """sheets/data._stream_ledger: set a format on a scratch cell, read ``style_id``, delete the
    cell from the private ``ws._cells``; stream.py writes ``s="<style_id>"`` into rows that
    openpyxl never sees, so that id must be the cell format's index in styles.xml."""
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    put_text(ws["A1"], "header")
    dates = ws.cell(row=1, column=40)
    dates.number_format = "yyyy-mm-dd"
    prefixed = ws.cell(row=1, column=41)
    prefixed.quotePrefix = True
    date_style, prefix_style = dates.style_id, prefixed.style_id
    assert isinstance(ws._cells, dict) and (1, 40) in ws._cells, (
        f"the private Worksheet._cells is no longer a dict keyed by (row, column): sheets/data._stream_ledger deletes "
        f"its scratch cells from it {UPGRADE}"
    )
    del ws._cells[(1, 40)], ws._cells[(1, 41)]
    path = saved(wb, tmp_path)
    assert re.search(r'<c r="A1"', member(path, "S")) and "AN1" not in member(path, "S"), (
        "a cell deleted from ws._cells was still written"
    )
    with zipfile.ZipFile(path) as archive:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    formats = {f.get("numFmtId"): f.get("formatCode") for f in styles.iter(f"{MAIN}numFmt")}
    xfs = list(styles.find(f"{MAIN}cellXfs"))
    assert len(xfs) > max(date_style, prefix_style), (
        f"style ids {date_style}, {prefix_style} are not in the saved cellXfs ({len(xfs)}): styles registered on "
        f"cells deleted from ws._cells are no longer kept (sheets/data._stream_ledger, stream.py) {UPGRADE}"
    )
    assert formats.get(xfs[date_style].get("numFmtId")) == "yyyy-mm-dd", (
        f"cellXfs[{date_style}] is not the yyyy-mm-dd date format: cell.style_id is no longer the index openpyxl "
        f"saves the format at; the streamed ledger's dates would show as numbers {UPGRADE}"
    )
    assert xfs[prefix_style].get("quotePrefix") == "1", (
        f"cellXfs[{prefix_style}] has no quotePrefix: the streamed ledger's text that starts like a formula "
        f"would lose its quote prefix {UPGRADE}"
    )


def test_the_sheet_xml_has_the_parts_the_stream_splices_into(tmp_path):
    """cache._stream_into splits openpyxl's sheet XML at ``</sheetData>`` (or ``<sheetData />``)
    and rewrites ``<dimension ref="A1:J3"``; the streamed rows go between."""
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    put_text(ws["A1"], "title")  # as the builder's data sheets: a title, the header on row 3
    for j, header in enumerate(["a", "b", "c"], start=1):
        put_text(ws.cell(row=3, column=j), header)
    xml = member(saved(wb, tmp_path, "header.xlsx"), "S")
    assert re.search(r'<dimension ref="A1:C3"\s*/>', xml), (
        f"openpyxl's <dimension ref=...> is not as cache._stream_into rewrites it: {xml[:300]} {UPGRADE}"
    )
    assert xml.count("</sheetData>") == 1 and xml.index("<row") < xml.index("</sheetData>"), (
        f"the rows are no longer closed by one </sheetData>: cache._stream_into appends there {UPGRADE}"
    )
    empty = Workbook()
    empty.active.title = "S"
    assert re.search(r"<sheetData\s*/>|<sheetData></sheetData>", member(saved(empty, tmp_path, "empty.xlsx"), "S")), (
        f"an empty sheet's <sheetData/> changed shape: cache._stream_into splits on '<sheetData />' {UPGRADE}"
    )


# ---------------------------------------------------------------- text that must stay text (cells.put_text)


def test_text_that_starts_like_a_formula_is_saved_as_quote_prefixed_text(tmp_path):
    """put_text assigns the value, then overrides ``data_type`` to "s": openpyxl must write it as
    text, never as a formula (untrusted customer names and plans)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    put_text(ws["A1"], '=HYPERLINK("http://x","y")')
    put_text(ws["A2"], "+1")
    path = saved(wb, tmp_path)
    xml = member(path, "S")
    assert "<f>" not in xml and xml.count('t="inlineStr"') == 2, (
        f"text written by cells.put_text (value, then data_type='s') is no longer saved as text: {xml} {UPGRADE}"
    )
    with zipfile.ZipFile(path) as archive:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    style = int(re.search(r'<c r="A1" s="([0-9]+)"', xml).group(1))
    assert list(styles.find(f"{MAIN}cellXfs"))[style].get("quotePrefix") == "1", f"A1 lost its quote prefix {UPGRADE}"


def test_illegal_characters_pattern_works_vectorised():
    """stream.py applies openpyxl's ILLEGAL_CHARACTERS_RE.pattern with pandas' str.replace."""
    import pandas as pd
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    cleaned = pd.Series(["a\x00b\x1fc", "plain\ttab"]).str.replace(ILLEGAL_CHARACTERS_RE.pattern, "", regex=True)
    assert cleaned.tolist() == ["abc", "plain\ttab"], (
        f"openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE changed: stream.py and cells.put_text drop what it matches {UPGRADE}"
    )


# ---------------------------------------------------------------- defined names (sheets/names.py)


def test_defined_names_are_set_by_key(tmp_path):
    """``wb.defined_names[name] = DefinedName(...)``: the dict-like API of openpyxl 3.1 (3.0 had a list)."""
    wb = Workbook()
    wb.active.title = "Monthly KPIs"
    try:
        wb.defined_names["KPI_MRR"] = DefinedName("KPI_MRR", attr_text="'Monthly KPIs'!$B$40")
    except TypeError as exc:  # pragma: no cover - only on an openpyxl without the 3.1 API
        pytest.fail(f"wb.defined_names no longer takes names by key (sheets/names.py): {exc} {UPGRADE}")
    with zipfile.ZipFile(saved(wb, tmp_path)) as archive:
        names = ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{MAIN}definedName")
        written = {n.get("name"): n.text for n in names}
    assert written == {"KPI_MRR": "'Monthly KPIs'!$B$40"}, f"defined names written {written} {UPGRADE}"


# ---------------------------------------------------------------- charts (sheets/charts.py)


def test_the_chart_base_class_is_where_the_type_hints_import_it():
    """sheets/charts.py types its charts as ``openpyxl.chart._chart.ChartBase`` (a private module)."""
    try:
        from openpyxl.chart import BarChart, LineChart, PieChart
        from openpyxl.chart._chart import ChartBase
    except ImportError as exc:  # pragma: no cover - only on an openpyxl that moved it
        pytest.fail(
            f"openpyxl.chart._chart.ChartBase moved: kpi_addin/dashboard/sheets/charts.py imports it {exc} {UPGRADE}"
        )
    assert all(issubclass(kind, ChartBase) for kind in (BarChart, LineChart, PieChart)), (
        f"openpyxl's charts no longer derive from ChartBase (sheets/charts.py's type hints) {UPGRADE}"
    )


# ---------------------------------------------------------------- fonts renamed in place (sheets/printing.py)


def test_renaming_every_font_in_the_private_font_list_is_saved(tmp_path):
    """sheets/printing.name_the_font rewrites the private ``wb._fonts`` (an IndexedList that cells
    point into by index) and the "Normal" entry of ``wb._named_styles`` (the Korean typeface)."""
    from kpi_addin.dashboard.sheets.printing import name_the_font

    wb = Workbook()
    ws = wb.active
    ws.title = "S"
    ws["A1"] = "bold"
    ws["A1"].font = Font(bold=True, color="1F3864")
    ws["A2"] = "plain"
    assert hasattr(wb, "_fonts") and hasattr(wb, "_named_styles"), (
        f"the private Workbook._fonts / _named_styles are gone: sheets/printing.name_the_font rewrites them {UPGRADE}"
    )
    name_the_font(wb, "Malgun Gothic", hangul=True)
    with zipfile.ZipFile(saved(wb, tmp_path)) as archive:
        styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
    fonts = list(styles.find(f"{MAIN}fonts"))
    names = [f.find(f"{MAIN}name").get("val") for f in fonts]
    assert names and set(names) == {"Malgun Gothic"}, (
        f"fonts saved as {names}: replacing wb._fonts no longer renames every font (sheets/printing.py) {UPGRADE}"
    )
    assert all(f.find(f"{MAIN}charset").get("val") == "129" for f in fonts), f"charset lost {UPGRADE}"
    xml = member(tmp_path / "tiny.xlsx", "S")
    style = int(re.search(r'<c r="A1" s="([0-9]+)"', xml).group(1))
    font_id = int(list(styles.find(f"{MAIN}cellXfs"))[style].get("fontId"))
    assert fonts[font_id].find(f"{MAIN}b") is not None, (
        f"A1's font index no longer points at its (bold) font after wb._fonts was replaced {UPGRADE}"
    )


def test_the_cells_that_exist_are_keyed_by_row_and_column(tmp_path):
    # dashboard/update.py reads LAST.xlsx within its real used range through ws._cells:
    # one stray cell far down must not make it visit a million empty rows
    wb = Workbook()
    ws = wb.active
    ws["A1"], ws["C5"], ws["B1048576"] = "a", 1, "stray"
    loaded = openpyxl.load_workbook(saved(wb, tmp_path))
    keys = set(loaded.active._cells)
    assert keys == {(1, 1), (5, 3), (1048576, 2)}, f"Worksheet._cells keys changed {UPGRADE}"
