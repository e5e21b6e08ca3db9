"""Finish a saved ``.xlsx``: give its formula cells their cached values, stream in big sheets' rows.

openpyxl writes a formula as ``<c r="B5"><f>B4*12</f><v /></c>``: no result, so file
previews, phone viewers and pandas see blanks until a spreadsheet application
recalculates.  We rewrite those ``<v />`` with the values the library computed (numbers,
text with ``t="str"``, errors with ``t="e"``).  Only worksheets with formulas are
touched; the workbook still asks Excel to recalculate fully on load.  The rows of a
large data sheet (:mod:`kpi_addin.dashboard.stream`) are appended to its ``<sheetData>``
in the same pass.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import zipfile
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from .expr import Value, is_error
from .stream import StreamedRows

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_FORMULA_CELL = re.compile(r'<c r="([A-Z]+[0-9]+)"([^>]*)><f((?: [^>]*)?)>(.*?)</f>(?:<v\s*/>|<v></v>)</c>', re.S)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet title → the XML member that holds it."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id", ""): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
    paths = {}
    for sheet in workbook.findall("m:sheets/m:sheet", _NS):
        target = targets[sheet.get(f"{{{_NS['r']}}}id", "")]
        paths[sheet.get("name", "")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return paths


def _cached(value: Value | dt.datetime | None) -> tuple[str, str] | None:
    """(type attribute, <v> text) for a value, or None to leave the cell alone."""
    if value is None:
        return None
    if isinstance(value, dt.datetime | dt.date):
        moment = value if isinstance(value, dt.datetime) else dt.datetime(value.year, value.month, value.day)
        return "", repr((moment - _EXCEL_EPOCH).total_seconds() / 86400)
    if isinstance(value, str):
        return (' t="e"', value) if is_error(value) else (' t="str"', escape(value))
    if isinstance(value, bool):
        return ' t="b"', str(int(value))
    number = float(value)
    return "", str(int(number)) if number.is_integer() and abs(number) < 1e15 else repr(number)


def sparkline_xml(sparklines: list[tuple[str, str]], colour: str = "1F3864", negative: str = "C00000") -> str:
    """The worksheet ``extLst`` of Excel 2010 sparklines: one line per (cell, source range).

    openpyxl has no sparklines (and drops them on loading), so they are written here as
    the XML Excel writes; LibreOffice 7.4+ reads them too.
    """
    lines = "".join(
        f"<x14:sparkline><xm:f>{escape(source)}</xm:f><xm:sqref>{cell}</xm:sqref></x14:sparkline>"
        for cell, source in sparklines
    )
    return (
        '<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" '
        'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        '<x14:sparklineGroups xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main">'
        '<x14:sparklineGroup displayEmptyCellsAs="gap" lineWeight="1.25" markers="0" high="0" low="0" last="1">'
        f'<x14:colorSeries rgb="FF{colour}"/><x14:colorNegative rgb="FF{negative}"/>'
        '<x14:colorAxis rgb="FF000000"/><x14:colorMarkers rgb="FF{colour}"/>'
        f'<x14:colorFirst rgb="FF{colour}"/><x14:colorLast rgb="FF{colour}"/>'
        f'<x14:colorHigh rgb="FF{colour}"/><x14:colorLow rgb="FF{colour}"/>'
        f"<x14:sparklines>{lines}</x14:sparklines></x14:sparklineGroup></x14:sparklineGroups></ext></extLst>"
    ).replace("{colour}", colour)


def fill_cached_values(
    source: Path,
    target: Path,
    expected: dict[str, dict[str, Value | None]],
    streamed: dict[str, StreamedRows] | None = None,
    sparklines: dict[str, list[tuple[str, str]]] | None = None,
) -> int:
    """Copy ``source`` to ``target`` with the formula cells of ``expected`` given their values,
    the ``streamed`` rows appended to their sheets and the ``sparklines`` added.  Returns how
    many cells were filled."""
    filled = 0
    streamed = streamed or {}
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as dst:
        paths = sheet_paths(src)
        rewrite = {paths[title]: cells for title, cells in expected.items() if cells}
        streams = {paths[title]: rows for title, rows in streamed.items()}
        extras = {paths[title]: sparkline_xml(lines) for title, lines in (sparklines or {}).items() if lines}
        for item in src.infolist():
            if item.filename in streams:
                _stream_into(src.read(item).decode("utf-8"), streams[item.filename], dst, item)
                continue
            if item.filename in extras and item.filename not in rewrite:
                xml = src.read(item).decode("utf-8").replace("</worksheet>", extras[item.filename] + "</worksheet>")
                dst.writestr(item, xml)
                continue
            if item.filename not in rewrite:
                with src.open(item) as reader, dst.open(item, "w") as writer:
                    shutil.copyfileobj(reader, writer, 1 << 20)
                continue
            cells = rewrite[item.filename]
            xml = src.read(item).decode("utf-8")

            def fill(match: re.Match[str], cells: dict[str, Value | None] = cells) -> str:
                nonlocal filled
                ref, attrs, formula_attrs, formula = match.groups()
                cached = _cached(cells.get(ref))
                if cached is None:
                    return match.group(0)
                kind, text = cached
                attrs = re.sub(r'\s+t="[^"]*"', "", attrs)
                filled += 1
                return f'<c r="{ref}"{attrs}{kind}><f{formula_attrs}>{formula}</f><v>{text}</v></c>'

            xml = _FORMULA_CELL.sub(fill, xml)
            if item.filename in extras:
                xml = xml.replace("</worksheet>", extras[item.filename] + "</worksheet>")
            dst.writestr(item, xml)
    return filled


def _stream_into(xml: str, rows: StreamedRows, dst: zipfile.ZipFile, item: zipfile.ZipInfo) -> None:
    """Write ``xml`` with ``rows`` appended to its sheet data, chunk by chunk."""
    head, tail = xml.split("</sheetData>", 1) if "</sheetData>" in xml else xml.split("<sheetData />", 1)
    if "<sheetData" not in head:
        head += "<sheetData>"
    head = re.sub(
        r'<dimension ref="([A-Z]+\d+):([A-Z]+)\d+"',
        lambda m: f'<dimension ref="{m.group(1)}:{m.group(2)}{rows.last_row}"',
        head,
        count=1,
    )
    info = zipfile.ZipInfo(item.filename, date_time=item.date_time)
    info.compress_type = zipfile.ZIP_DEFLATED
    with dst.open(info, "w", force_zip64=True) as out:
        out.write(head.encode("utf-8"))
        for chunk in rows.chunks():
            out.write(chunk.encode("utf-8"))
        out.write(("</sheetData>" + tail).encode("utf-8"))
