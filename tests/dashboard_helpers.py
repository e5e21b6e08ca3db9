"""Building dashboards in tests, comparing values, and describing a workbook's structure."""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from kpi_addin.dashboard.builder import BuildOptions
from kpi_addin.dashboard.template import load_template
from kpi_addin.dashboard.writer import write_dashboard
from kpi_addin.lang import load_language
from kpi_addin.metrics import CompanyData, KPIReport, monthly_kpis


def build(data: CompanyData, path: Path, template: str = "full", lang: str = "en", **kwargs: object):
    report = monthly_kpis(data)
    options = BuildOptions(load_template(template), load_language(lang), **kwargs)  # type: ignore[arg-type]
    expected = write_dashboard(data, report, path, options, force=True).expected
    return report, expected


def same(want: object, have: object, rel: float = 1e-9) -> bool:
    """Numbers within ``rel`` (or 1e-9 absolute), errors and text exactly, dates equal."""
    if isinstance(want, float) and isinstance(have, int | float) and not isinstance(have, bool):
        return math.isclose(want, float(have), rel_tol=rel, abs_tol=1e-9)
    if isinstance(want, dt.datetime) and isinstance(have, dt.datetime):
        return want == have
    if want == "" and have is None:  # a formula giving "" reads back as an empty cell
        return True
    return want == have


def mismatches(expected: dict[str, dict[str, object]], actual: dict[str, dict[str, object]]) -> list[str]:
    out = []
    for sheet, cells in expected.items():
        for ref, want in cells.items():
            have = actual.get(sheet, {}).get(ref)
            if not same(want, have):
                out.append(f"{sheet}!{ref}: expected {want!r}, got {have!r}")
    return out


def monthly_table_matches_library(expected: dict[str, dict[str, object]], report: KPIReport, sheet: str) -> None:
    """The expected values of the MonthlyKPIs table are the library's own, key by key."""
    from openpyxl.utils import get_column_letter

    from kpi_addin.metrics import MONTHLY_KEYS

    cells = expected[sheet]
    for i in range(len(report.monthly)):
        for j, key in enumerate(MONTHLY_KEYS[1:], start=2):
            letter = get_column_letter(j)
            value = float(report.monthly[key].iloc[i])
            shown = cells[f"{letter}{5 + i}"]
            if math.isnan(value):
                assert isinstance(shown, str) and shown.startswith("#"), (key, i, shown)
            else:
                assert math.isclose(shown, value, rel_tol=1e-12, abs_tol=1e-12), (key, i, shown, value)


_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
    "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
    "a": "http://schemas.openxmlformats.org/drawingml/2006/main",
    "xdr": "http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing",
}


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, str]:
    folder, name = part.rsplit("/", 1)
    rels_path = f"{folder}/_rels/{name}.rels"
    if rels_path not in archive.namelist():
        return {}
    root = ElementTree.fromstring(archive.read(rels_path))
    out = {}
    for rel in root.findall("rel:Relationship", _NS):
        target = rel.get("Target")
        out[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else _join(folder, target)
    return out


def _join(folder: str, target: str) -> str:
    parts = folder.split("/")
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def describe(path: Path) -> dict[str, object]:
    """What a reviewer checks in the workbook, without what changes on every save:
    sheets (order, state), tables, defined names, charts (kind, title, series ranges),
    print areas and frozen panes."""
    with zipfile.ZipFile(path) as archive:
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = _rels(archive, "xl/workbook.xml")
        names = {d.get("name"): d.text for d in workbook.findall("m:definedNames/m:definedName", _NS)}
        sheets = []
        for sheet in workbook.findall("m:sheets/m:sheet", _NS):
            part = rels[sheet.get(f"{{{_NS['r']}}}id")]
            xml = ElementTree.fromstring(archive.read(part))
            sheet_rels = _rels(archive, part)
            tables = []
            for table_part in (t for t in sheet_rels.values() if "/tables/" in t):
                table = ElementTree.fromstring(archive.read(table_part))
                tables.append(
                    {
                        "name": table.get("displayName"),
                        "ref": table.get("ref"),
                        "columns": [c.get("name") for c in table.findall("m:tableColumns/m:tableColumn", _NS)],
                    }
                )
            charts = []
            for drawing_part in (t for t in sheet_rels.values() if "/drawings/" in t):
                drawing = ElementTree.fromstring(archive.read(drawing_part))
                drawing_rels = _rels(archive, drawing_part)
                for anchor in drawing.findall("xdr:oneCellAnchor", _NS) + drawing.findall("xdr:twoCellAnchor", _NS):
                    frm = anchor.find("xdr:from", _NS)
                    cell = f"{int(frm.find('xdr:col', _NS).text)},{int(frm.find('xdr:row', _NS).text)}"
                    chart_ref = anchor.find(".//c:chart", _NS).get(f"{{{_NS['r']}}}id")
                    chart = ElementTree.fromstring(archive.read(drawing_rels[chart_ref]))
                    plot = chart.find("c:chart/c:plotArea", _NS)
                    kinds = [child.tag.split("}")[1] for child in plot if child.tag.endswith("Chart")]
                    title = "".join(t.text or "" for t in chart.findall("c:chart/c:title//a:t", _NS))
                    series = [f.text for f in plot.findall(".//c:ser/c:val//c:f", _NS)]
                    charts.append({"anchor": cell, "kinds": kinds, "title": title, "series": series})
            pane = xml.find("m:sheetViews/m:sheetView/m:pane", _NS)
            sheets.append(
                {
                    "name": sheet.get("name"),
                    "state": sheet.get("state", "visible"),
                    "tables": tables,
                    "charts": charts,
                    "frozen": pane.get("topLeftCell") if pane is not None else None,
                    "landscape": (
                        xml.find("m:pageSetup", _NS) is not None
                        and xml.find("m:pageSetup", _NS).get("orientation") == "landscape"
                    ),
                }
            )
        return {"sheets": sheets, "defined_names": dict(sorted(names.items()))}


def _sheet_of(reference: str | None) -> str | None:
    """The sheet a defined name points into (``'Monthly KPIs'!$B$28`` → ``Monthly KPIs``)."""
    if not reference or "!" not in reference:
        return None
    sheet = reference.rsplit("!", 1)[0]
    return sheet[1:-1].replace("''", "'") if sheet.startswith("'") and sheet.endswith("'") else sheet


def golden_file_name(sheet: str, lang: str) -> str:
    """The sheet's key in the language files (``monthly`` for "Monthly KPIs" or "월별 KPI")."""
    keys = {name: key for key, name in load_language(lang).sheets.items()}
    return (keys.get(sheet) or re.sub(r"\W+", "_", sheet).strip("_").lower()) + ".json"


def split_description(description: dict[str, object], lang: str) -> dict[str, object]:
    """:func:`describe` as one small golden file per sheet (its tables, charts, panes and the
    defined names pointing into it) and ``workbook.json`` (sheet order and state, other names):
    a new column changes the file of its sheet only."""
    sheets: list[dict[str, object]] = description["sheets"]  # type: ignore[assignment]
    names: dict[str, str] = description["defined_names"]  # type: ignore[assignment]
    known = {s["name"] for s in sheets}
    files: dict[str, object] = {
        "workbook.json": {
            "sheets": [[s["name"], s["state"]] for s in sheets],
            "defined_names": {n: r for n, r in names.items() if _sheet_of(r) not in known},
        }
    }
    for sheet in sheets:
        part = {k: v for k, v in sheet.items() if k not in ("name", "state")}
        part["defined_names"] = {n: r for n, r in names.items() if _sheet_of(r) == sheet["name"]}
        files[golden_file_name(str(sheet["name"]), lang)] = {"name": sheet["name"], **part}
    return files
