"""Loading the canonical sheets as found: a workbook (python-calamine), a folder of CSV files
or one CSV file (pyarrow, then pandas); headers normalised, cells not yet checked."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import schema
from . import values as values_
from .problems import Problem, RawSheet, ReadNote, column_letter

if TYPE_CHECKING:
    from .files import TextFormat


def load_raw_sheets(path: Path) -> tuple[dict[str, RawSheet], list[Problem]]:
    """The canonical sheets found at ``path`` (a workbook, CSV folder or CSV file)."""
    try:
        if not path.exists():
            return {}, [Problem(str(path), "no such file or folder")]
        if path.is_dir():
            return _load_csv_folder(path)
    except OSError as exc:  # a name too long, a folder we may not look into
        return {}, [Problem(str(path), f"cannot open it ({exc.strerror or exc})")]
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        sheet, problems = _load_csv(path, "subscriptions", str(path))
        return ({"subscriptions": sheet} if sheet else {}), problems
    if suffix == ".xls":
        return {}, [Problem(str(path), "the old .xls format is not supported: save it as .xlsx in Excel")]
    return _load_workbook(path)


def normalise_header(values: list[object], file: str, label: str) -> tuple[list[str | None], list[Problem]]:
    names: list[str | None] = []
    seen: dict[str, int] = {}
    problems = []
    for i, value in enumerate(values):
        text = str(value).strip().lower().replace(" ", "_") if value not in (None, "") else ""
        if not text:
            names.append(None)
            continue
        if text in seen:
            problems.append(
                Problem(
                    file,
                    f"column {text!r} appears twice (also in {column_letter(seen[text])}1)",
                    label,
                    1,
                    letter=column_letter(i),
                )
            )
            names.append(None)
            continue
        seen[text] = i
        names.append(text)
    return names, problems


def _load_csv_folder(folder: Path) -> tuple[dict[str, RawSheet], list[Problem]]:
    sheets: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    found: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() == ".csv":
            found.setdefault(p.stem.strip().lower(), []).append(p)
    if not found:
        return {}, [Problem(str(folder), "the folder holds no CSV files (expected subscriptions.csv, ...)")]
    for name in schema.SHEETS:
        files = found.get(name, [])
        if len(files) > 1:
            names = ", ".join(p.name for p in files)
            problems.append(Problem(str(folder), f"{names} are the same sheet; keep one of them", files[0].name))
            continue
        if files:
            sheet, problems_found = _load_csv(files[0], name, str(folder))
            problems += problems_found
            if sheet is not None:
                sheets[name] = sheet
    return sheets, problems


def _empty_sheet(name: str, file: str, label: str) -> RawSheet:
    """A sheet with no header row (an empty file): absent for an optional sheet, an error for subscriptions."""
    return RawSheet(name, file, label, pd.DataFrame(), np.zeros(0, dtype=np.int64), {})


def _load_csv(path: Path, name: str, file: str) -> tuple[RawSheet | None, list[Problem]]:
    from . import files  # file handling stays out of the Excel-range path (xlwings Lite bundles this module)

    label = path.name
    try:
        fmt = files.sniff(path)
    except files.TextFileError as exc:
        return None, [Problem(file, str(exc), label)]
    try:
        with open(path, encoding=fmt.encoding, newline="") as handle:
            header_row = next(csv.reader(handle, delimiter=fmt.delimiter), None)
    except (UnicodeDecodeError, csv.Error, OSError) as exc:
        return None, [Problem(file, f"not a readable CSV file ({exc})", label)]
    if not header_row or not any(h.strip() for h in header_row):
        return _empty_sheet(name, file, label), []
    names, problems = normalise_header(list(header_row), file, label)
    text_columns = {header_row[i] for i, n in enumerate(names) if n and n in _TEXT_COLUMNS.get(name, frozenset())}
    notes: list[str] = [ReadNote(f"{file} {label}: {fmt.note}")] if fmt.note else []
    if fmt.delimiter != ",":
        separator = "tabs" if fmt.delimiter == chr(9) else repr(fmt.delimiter)
        notes.append(ReadNote(f"{file} {label}: fields separated by {separator}"))
    try:
        frame = _read_csv_typed(path, fmt, text_columns)
    except Exception:  # noqa: BLE001 - pyarrow raises its own error types; fall back to the C parser
        try:
            frame = pd.read_csv(
                path, dtype=object, keep_default_na=False, sep=fmt.delimiter, encoding=fmt.encoding, header=0
            )
        except UnicodeDecodeError:
            return None, [*problems, Problem(file, f"not valid {fmt.encoding} text; {files.RESAVE}", label)]
        except (pd.errors.ParserError, ValueError) as exc:
            reason = str(exc).strip().replace("Error tokenizing data. C error: ", "")
            return None, [*problems, Problem(file, f"not a readable CSV file ({reason})", label)]
    keep = [i for i, n in enumerate(names) if n and i < frame.shape[1]]
    frame = frame.iloc[:, keep]
    frame.columns = [names[i] for i in keep]
    letters = {str(names[i]): column_letter(i) for i in keep}
    rows = np.arange(len(frame)) + 2  # the header is line 1
    return RawSheet(name, file, label, frame, rows, letters, notes), problems


#: Text columns of each sheet: read as text whatever they look like (customer 0012 is not 12).
_TEXT_COLUMNS = {
    sheet.name: frozenset(c.name for c in sheet.columns if c.kind not in ("number", "money", "count", "score", "rate"))
    for sheet in schema.SHEETS.values()
}


def _read_csv_typed(path: Path, fmt: TextFormat, text_columns: set[str]) -> pd.DataFrame:
    """Read a CSV with pyarrow: clean numbers and ISO dates arrive typed in one pass.

    Text columns (ids, names, dates) are read as text when they are not plain; a column
    with a bad value comes back as text and is then checked cell by cell.  Dates with a
    time zone, or outside the accepted years, and numbers that are not finite are turned
    back into text, so that the one cell parser (:mod:`.values`) decides about them.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyarrow import csv as pa_csv

    def read(as_text: set[str]) -> pa.Table:
        return pa_csv.read_csv(
            path,
            read_options=pa_csv.ReadOptions(encoding="utf8" if fmt.encoding == "utf-8-sig" else fmt.encoding),
            parse_options=pa_csv.ParseOptions(delimiter=fmt.delimiter),
            convert_options=pa_csv.ConvertOptions(
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                column_types={c: pa.string() for c in as_text},
            ),
        )

    # dates stay typed (fast); ids and other text never become numbers
    as_text = {c for c in text_columns if c.strip().lower().replace(" ", "_") not in _DATE_COLUMNS}
    table = read(as_text)
    again = {f.name for f in table.schema if pa.types.is_timestamp(f.type) and f.type.tz is not None}
    # the date as written counts, not its conversion to UTC: zoned columns are read as text;
    # and pyarrow reads 0x10 as 16: integer columns of a file holding '0x' are read as text
    if any(pa.types.is_integer(f.type) for f in table.schema) and _holds_hex(path):
        again |= {f.name for f in table.schema if pa.types.is_integer(f.type)}
    if again:
        table = read(as_text | again)
    low, high = pa.scalar(values_.FIRST_DATE.to_pydatetime()), pa.scalar(values_.LAST_DATE.to_pydatetime())
    for i, column_field in enumerate(table.schema):
        column = table.column(i)
        kind = column_field.type
        if pa.types.is_date(kind) or pa.types.is_timestamp(kind):
            stamps = column.cast(pa.timestamp("s")) if pa.types.is_date(kind) else column
            extent = pc.min_max(stamps.cast(pa.timestamp("s")))
            lowest, highest = extent["min"].as_py(), extent["max"].as_py()
            if lowest is not None and (lowest < low.as_py() or highest > high.as_py()):
                table = table.set_column(i, column_field.name, column.cast(pa.string()))
            else:
                table = table.set_column(i, column_field.name, stamps.cast(pa.timestamp("ns")))
        elif pa.types.is_floating(kind):
            if pc.any(pc.or_(pc.is_nan(column), pc.is_inf(column))).as_py():
                table = table.set_column(i, column_field.name, column.cast(pa.string()))
        elif pa.types.is_null(kind):  # an all-blank column
            table = table.set_column(i, column_field.name, column.cast(pa.string()))
    return table.to_pandas()


def _holds_hex(path: Path) -> bool:
    import mmap

    with open(path, "rb") as handle:
        if path.stat().st_size == 0:
            return False
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data.find(b"x") < 0 and data.find(b"X") < 0:  # one byte: memchr-fast, the usual answer
                return False
            return data.find(b"0x") >= 0 or data.find(b"0X") >= 0


_DATE_COLUMNS = frozenset(
    c.name for sheet in schema.SHEETS.values() for c in sheet.columns if c.kind in ("date", "month")
)


def _load_workbook(path: Path) -> tuple[dict[str, RawSheet], list[Problem]]:
    from python_calamine import CalamineError, CalamineWorkbook  # an interface dependency, loaded here only

    from . import files, workbook_guard

    file = str(path)
    try:
        files.check_readable(path)
        scans = workbook_guard.check_workbook(file, set(schema.SHEETS))
    except (files.TextFileError, workbook_guard.WorkbookRefused) as exc:
        return {}, [Problem(file, str(exc))]
    try:
        workbook = CalamineWorkbook.from_path(file)
    except (CalamineError, OSError, ValueError) as exc:
        return {}, [Problem(file, f"not an Excel workbook (.xlsx): {exc}")]
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return {}, [Problem(file, f"the workbook cannot be read ({exc}); open it in Excel and save it again")]
    problems: list[Problem] = []
    by_name: dict[str, list[str]] = {}
    for sheet_name in workbook.sheet_names:
        by_name.setdefault(sheet_name.strip().lower(), []).append(sheet_name)
    sheets: dict[str, RawSheet] = {}
    for name in schema.SHEETS:
        if name not in by_name:
            continue
        if len(by_name[name]) > 1:
            names = ", ".join(repr(n) for n in by_name[name])
            problems.append(Problem(file, f"sheets {names} are the same sheet; keep one of them", by_name[name][0]))
            continue
        label = by_name[name][0]
        try:
            cells = workbook.get_sheet_by_name(label).to_python(skip_empty_area=False)
        except (CalamineError, ValueError) as exc:
            problems.append(Problem(file, f"cannot read the sheet ({exc})", label))
            continue
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            problems.append(Problem(file, f"cannot read the sheet ({exc}); open it in Excel and save it again", label))
            continue
        filled = [i for i, row in enumerate(cells) if any(v not in ("", None) for v in row)]
        if not filled:
            sheets[name] = _empty_sheet(name, file, label)
            continue
        header_at = filled[0]
        header, found = normalise_header(list(cells[header_at]), file, label)
        problems += found
        keep = [i for i, n in enumerate(header) if n]
        data_at = [i for i in filled[1:]]
        records = [[cells[r][i] if i < len(cells[r]) else "" for i in keep] for r in data_at]
        frame = pd.DataFrame(records, columns=[header[i] for i in keep], dtype=object)
        letters = {str(header[i]): column_letter(i) for i in keep}
        sheets[name] = RawSheet(name, file, label, frame, np.asarray(data_at, dtype=np.int64) + 1, letters)
        scan = scans.get(label)
        if scan is not None and scan.bad_cells:
            by_letter = {v: k for k, v in letters.items()}
            for letter, row, message in scan.bad_cells:
                problems.append(Problem(file, message, label, row, by_letter.get(letter), letter))
            if scan.more_bad_cells:
                problems.append(Problem(file, f"... and {scan.more_bad_cells:,} more such cells", label))
    return sheets, problems
