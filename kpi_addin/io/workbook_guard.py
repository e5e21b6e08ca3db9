"""Look inside an ``.xlsx`` before a spreadsheet library allocates anything.

A workbook of a few kilobytes can ask for gigabytes: one cell at ``XFD1048576`` (the
reader builds the whole rectangle), a ``<dimension>`` that lies, a shared-strings part
or a sheet that unzips a thousandfold (a zip bomb).  This module streams the parts the
reader will read, counting real bytes and cell positions, and refuses such files with
one sentence.  It also finds the cells a finance user must fix in Excel: error values
(``#REF!``, ``#DIV/0!``) and formulas saved without their value.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

#: A part that unzips to more than this is refused, whatever the archive declares.
MAX_PART_BYTES = 1024**3
#: A part that unzips to more than this many times its compressed size, and is large, is a zip bomb.
MAX_RATIO = 200
RATIO_FLOOR_BYTES = 32 * 1024**2
#: A sheet whose cells span a rectangle larger than this is refused (a dense read of it would not fit).
MAX_CELLS = 60_000_000
CHUNK = 1 << 22
#: Cells a message lists per sheet before it stops.
MAX_LISTED = 10

_CELL = re.compile(rb'<c\b[^>]*?\br="([A-Z]{1,4})(\d{1,8})"')
_ROW = re.compile(rb'<row\b[^>]*?\br="(\d{1,8})"')
_ERROR_CELL = re.compile(
    rb'<c\b[^>]*?\br="([A-Z]{1,4})(\d{1,8})"[^>]*?\bt="e"[^>]*>(?:<f[^>]*(?:/>|>[^<]*</f>))?<v>([^<]*)</v>'
)
_NO_VALUE = re.compile(
    rb'<c\b[^>]*?\br="([A-Z]{1,4})(\d{1,8})"[^>]*>(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)(?:<v\s*/>|<v></v>)?</c>'
)
_DIMENSION = re.compile(rb'<dimension\b[^>]*?\bref="(?:[A-Z]{1,4}\d{1,8}:)?([A-Z]{1,4})(\d{1,8})"')
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_REL = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")


class WorkbookRefused(Exception):
    """The workbook is refused; the message says why in one sentence."""


@dataclass
class SheetScan:
    """What the scan found in one sheet: its extent and the cells to fix."""

    rows: int = 0
    columns: int = 0
    bad_cells: list[tuple[str, int, str]] = field(default_factory=list)  # (letter, row, message)
    more_bad_cells: int = 0


def column_number(letters: bytes | str) -> int:
    """A → 1, Z → 26, AA → 27, XFD → 16384."""
    text = letters.decode() if isinstance(letters, bytes) else letters
    number = 0
    for char in text:
        number = number * 26 + ord(char) - 64
    return number


def _read_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int = MAX_PART_BYTES):
    """Yield the part in chunks, refusing it once it grows past the limits (real bytes, not declared)."""
    total = 0
    with archive.open(info) as handle:
        while chunk := handle.read(CHUNK):
            total += len(chunk)
            if total > limit:
                raise WorkbookRefused(
                    f"{info.filename} unzips to more than {limit // 1024**2:,} MB; refusing to read it"
                )
            if total > RATIO_FLOOR_BYTES and total > MAX_RATIO * max(info.compress_size, 1):
                raise WorkbookRefused(
                    f"{info.filename} unzips to over {MAX_RATIO} times its size (a zip bomb?); refusing to read it"
                )
            yield chunk


def _small_part(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return b""
    return b"".join(_read_part(archive, info, limit=64 * 1024**2))


def sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → the zip member holding its XML (from workbook.xml and its relationships)."""
    relations: dict[str, str] = {}
    for match in _REL.finditer(_small_part(archive, "xl/_rels/workbook.xml.rels")):
        attrs = {k.decode(): v.decode("utf-8", "replace") for k, v in _ATTR.findall(match.group(1))}
        target = attrs.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
        relations[attrs.get("Id", "")] = path
    parts: dict[str, str] = {}
    for match in _SHEET.finditer(_small_part(archive, "xl/workbook.xml")):
        attrs = {k.decode(): v.decode("utf-8", "replace") for k, v in _ATTR.findall(match.group(1))}
        rel = next((v for k, v in attrs.items() if k.endswith(":id")), "")
        if "name" in attrs and rel in relations:
            parts[_unescape(attrs["name"])] = relations[rel]
    return parts


def _unescape(text: str) -> str:
    return (
        text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", '"')
        .replace("&apos;", "'")
        .replace("&amp;", "&")
    )


def scan_sheet(archive: zipfile.ZipFile, member: str) -> SheetScan:
    """Stream one sheet's XML: its extent (refused when too large) and cells to fix."""
    scan = SheetScan()
    try:
        info = archive.getinfo(member)
    except KeyError:
        return scan
    tail = b""
    for number, chunk in enumerate(_read_part(archive, info)):
        if number == 0:
            declared = _DIMENSION.search(chunk)
            if declared:  # a reader may lay out what the sheet declares, true or not
                rows, columns = int(declared.group(2)), column_number(declared.group(1))
                if rows * columns > MAX_CELLS:
                    raise WorkbookRefused(
                        f"a sheet declares {rows:,} rows × {columns:,} columns; refusing to read a sheet that large"
                    )
        data = tail + chunk
        # keep an unfinished tag for the next chunk
        cut = data.rfind(b"<")
        data, tail = (data[:cut], data[cut:]) if cut > 0 else (data, b"")
        _scan_chunk(data, scan)
        if len(tail) > CHUNK:  # one tag larger than a chunk: nothing a spreadsheet writes
            raise WorkbookRefused(f"{member} holds a tag over {CHUNK // 1024**2} MB long; refusing to read it")
    _scan_chunk(tail, scan)
    if scan.rows * scan.columns > MAX_CELLS:
        raise WorkbookRefused(
            f"a sheet's cells reach row {scan.rows:,} and column {scan.columns:,} "
            f"({scan.rows * scan.columns:,} cells to lay out); refusing to read a sheet that large"
        )
    return scan


def _scan_chunk(data: bytes, scan: SheetScan) -> None:
    rows = _ROW.findall(data)
    if rows:
        scan.rows = max(scan.rows, max(map(int, rows)))
    cells = _CELL.findall(data)
    if cells:
        longest = max(len(letters) for letters, _row in cells)
        scan.columns = max(scan.columns, max(column_number(c) for c, _r in cells if len(c) == longest))
        scan.rows = max(scan.rows, max(int(r) for _c, r in cells))
    if b't="e"' in data:
        for letters, row, value in _ERROR_CELL.findall(data):
            _bad(scan, letters, row, f"holds the Excel error {value.decode('utf-8', 'replace')}; fix it in Excel")
    if b"</f>" in data or b"<f " in data or b"<f/>" in data:
        for letters, row in _NO_VALUE.findall(data):
            _bad(scan, letters, row, "holds a formula saved without its value; open the file in Excel and save it")


def _bad(scan: SheetScan, letters: bytes, row: bytes, message: str) -> None:
    if len(scan.bad_cells) < MAX_LISTED:
        scan.bad_cells.append((letters.decode(), int(row), message))
    else:
        scan.more_bad_cells += 1


def check_workbook(path: str, wanted: set[str] | None) -> dict[str, SheetScan]:
    """Check the archive and scan the sheets named in ``wanted`` (lower-case, stripped;
    None: the first sheet, which a single-report export holds).

    Returns the scans by sheet name as written; raises :class:`WorkbookRefused`.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for part in ("xl/sharedStrings.xml", "xl/styles.xml"):
                if part in archive.namelist():
                    for _chunk in _read_part(archive, archive.getinfo(part)):
                        pass
            scans = {}
            parts = sheet_parts(archive)
            if wanted is None:
                wanted = {next(iter(parts)).strip().lower()} if parts else set()
            for name, member in parts.items():
                if name.strip().lower() in wanted:
                    scans[name] = scan_sheet(archive, member)
            return scans
    except zipfile.BadZipFile:
        raise WorkbookRefused("not an Excel workbook (.xlsx): the file is not a zip archive") from None
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError) as exc:
        raise WorkbookRefused(f"the workbook archive cannot be read ({exc})") from None


def first_sheet(path: Path) -> tuple[list[list[object]], str, SheetScan]:
    """The cells of a workbook's first sheet (an export holds one report), its name and
    its scan, read only after the guard has checked the file; :class:`WorkbookRefused`
    says in one sentence why a file cannot be read."""
    from python_calamine import CalamineError, CalamineWorkbook  # an interface dependency, loaded here only

    try:
        with open(path, "rb"):
            pass
    except FileNotFoundError:
        raise WorkbookRefused("no such file") from None
    except OSError as exc:
        raise WorkbookRefused(f"the file cannot be opened ({exc.strerror or exc})") from None
    scans = check_workbook(str(path), None)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        name = workbook.sheet_names[0]
        cells = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except (CalamineError, OSError, ValueError, IndexError) as exc:
        raise WorkbookRefused(f"not a readable Excel workbook ({exc})") from None
    except BaseException as exc:  # a Rust panic in the reader arrives as a BaseException
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        raise WorkbookRefused(f"the workbook cannot be read ({exc}); open it in Excel and save it again") from None
    rows: list[list[object]] = [list(row) for row in cells]
    return rows, name, scans.get(name, SheetScan())
