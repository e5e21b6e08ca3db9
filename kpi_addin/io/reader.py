"""Read and validate the canonical input: one ``.xlsx`` workbook, a folder of CSV files
(``subscriptions.csv``, ``funnel.csv``, ...) or a single subscriptions CSV.

Validation collects every problem, each with where it is
(``kpi_input.xlsx subscriptions!E17 (amount): 'abc' is not a number``), and raises one
:class:`InputError` holding them all.  Clean typed columns take a vectorised fast path;
only a column with a bad or mixed value is parsed value by value.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..metrics import KPIInputError
from ..metrics.conventions import check_convention
from ..metrics.report import BALANCE_SHEET_KEYS, MONTHLY_KEYS, CompanyData
from . import schema
from . import values as values_
from .schema import Column, Sheet

if TYPE_CHECKING:
    from .files import TextFormat

#: Problems of one kind in one column that are listed before the rest are summarised.
MAX_LISTED = 10


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and where it is."""

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    letter: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            cell = f"{self.letter or ''}{self.row or ''}"
            where += f" {self.sheet}" + (f"!{cell}" if cell else "")
        if self.column:
            where += f" ({self.column})"
        return f"{where}: {self.message}"


class ReadNote(str):
    """A note on how the input was read (an encoding, a separator, a number convention, a
    date order): said among the notes, apart from warnings that a figure may mislead."""


class InputError(Exception):
    """The input cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class RawSheet:
    """A sheet as read, before validation: text headers lowercased, cells as found."""

    name: str
    file: str
    label: str
    frame: pd.DataFrame
    rows: np.ndarray  # the sheet row number of each frame row
    letters: dict[str, str]
    notes: list[str] = field(default_factory=list)  # what was read, and how (see validate_sheet)
    #: per-row column letters, for a column taken from different export columns row by row
    cell_letters: dict[str, np.ndarray] = field(default_factory=dict)
    #: per column, cells whose problem was already reported where the sheet was made (an export)
    reported: dict[str, pd.Series] = field(default_factory=dict)

    def where(self, column: str | None = None) -> str:
        """``file sheet (column)``: where a note about a whole column points."""
        return f"{self.file} {self.label}" + (f" ({column})" if column else "")

    def problem(self, message: str, *, column: str | None = None, position: int | None = None) -> Problem:
        return Problem(
            file=self.file,
            sheet=self.label,
            message=message,
            row=int(self.rows[position]) if position is not None else None,
            column=column,
            letter=self._letter(column, position),
        )

    def _letter(self, column: str | None, position: int | None) -> str | None:
        if column is None:
            return None
        per_row = self.cell_letters.get(column)
        if per_row is not None and position is not None and per_row[position]:
            return str(per_row[position])
        return self.letters.get(column)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --------------------------------------------------------------------------- loading


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


def _normalise_header(values: list[object], file: str, label: str) -> tuple[list[str | None], list[Problem]]:
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
    names, problems = _normalise_header(list(header_row), file, label)
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
        header, found = _normalise_header(list(cells[header_at]), file, label)
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


# --------------------------------------------------------------------------- parsing cells


def _blank(values: pd.Series) -> pd.Series:
    """Blank cells: missing, whitespace or a null marker such as ``N/A`` (:mod:`.values`)."""
    return values_.blank_mask(values)[0]


def _dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(datetimes, bad) by the one date reader (:func:`.values.parse_dates`): ISO with or
    without a time and zone (the date as written counts), Excel serials, date cells; bad marks
    non-blank cells that are no date from 1970 to 2099.  For readers that report their own cells."""
    parsed = values_.parse_dates(values)
    bad = pd.Series(False, index=values.index)
    for mask, _message in parsed.checks:
        bad |= mask.fillna(False).to_numpy(dtype=bool)
    return parsed.values.where(~bad), bad


def _text(values: pd.Series, blank: pd.Series | None = None) -> pd.Series:
    """Cell text, stripped; blanks (and null markers) are missing.  Whole numbers read as
    ``1001``, not ``1001.0``."""
    if pd.api.types.is_integer_dtype(values):
        return values.astype(str).astype(object)
    blank = _blank(values) if blank is None else blank
    text = values_.as_text(values).astype(object)
    return text.where(~blank, None)


def _coded(
    values: pd.Series, normalise: Callable[[str], str | None], blank_cells: pd.Series | None = None
) -> tuple[pd.Series, pd.Series]:
    """Map text cells through ``normalise`` once per distinct value (fast on big columns).

    Returns a categorical Series (missing where blank or not recognised) and the mask
    of non-blank cells that ``normalise`` rejected.
    """
    blank = (_blank(values) if blank_cells is None else blank_cells).to_numpy(dtype=bool)
    codes, uniques = pd.factorize(values_.as_text(values))
    codes = np.where(blank, -1, codes)
    mapped = [normalise(str(u)) for u in uniques]
    categories = sorted({m for m in mapped if m is not None})
    lookup = np.array([categories.index(m) if m is not None else -1 for m in mapped] + [-1], dtype=np.int64)
    new_codes = lookup[codes]  # code -1 (blank) picks the trailing -1
    categorical = pd.Categorical.from_codes(new_codes, categories=categories)  # type: ignore[call-overload]  # pandas-stubs rejects an int64 code array that pandas accepts
    parsed = pd.Series(categorical, index=values.index)
    return parsed, pd.Series((codes >= 0) & (new_codes < 0), index=values.index)


#: A column read by the sheet's rules: values, checks (bad mask, message), notes, marker masks.
ParsedColumn = values_.Parsed
#: Columns whose blank cells take a default; the default is applied with a note, never silently.
BLANK_DEFAULTS = {"interval": "month", "quantity": 1.0}
#: Sheets whose absent optional columns are added blank (their readers take every column);
#: costs, funnel and nps keep only what they have (an absent column there leaves its KPIs out).
SHEETS_WITH_EVERY_COLUMN = frozenset({"subscriptions", "fx_rates", "balance_sheet", "targets", "settings"})
#: Numbers stored in a cell keep 15 significant digits: an id above this lost digits.
EXACT_INTEGER_LIMIT = 2**53


def _parse_column(values: pd.Series, column: Column, blank: pd.Series | None = None) -> ParsedColumn:
    """Parse one column by its kind (:mod:`.values` decides blanks, numbers and dates);
    ``blank`` is the column's blank mask when the caller has it already."""
    kind = column.kind
    if kind == "text":
        parsed = values_.Parsed(_text(values, blank))
        if values.dtype == object or pd.api.types.is_float_dtype(values):
            numeric = pd.to_numeric(values.where(values.map(lambda v: isinstance(v, float | int))), errors="coerce")
            lost = numeric.abs() >= EXACT_INTEGER_LIMIT
            if lost.any():
                parsed.checks.append(
                    (lost, lambda v: f"{v!r} is stored as a number and has lost digits; store ids as text")
                )
        return parsed
    if kind in ("date", "month"):
        hint = "a month (YYYY-MM)" if kind == "month" else values_.DATE_HINT
        parsed = values_.parse_dates(values, open_ended_allowed=column.name == "end_date", hint=hint)
        if kind == "month":
            parsed.values = parsed.values.dt.to_period("M").dt.to_timestamp()
        return parsed
    if kind == "interval":
        codes, bad = _coded(values, lambda v: schema.INTERVAL_NAMES.get(v.lower()), blank)
        return values_.Parsed(
            codes, [(bad, lambda v: f"unknown interval {v!r} (use month, quarter, year or week)")], markers=None
        )
    if kind == "currency":
        codes, bad = _coded(values, lambda v: v.upper() if re.fullmatch(r"[A-Za-z]{3}", v) else None, blank)
        return values_.Parsed(
            codes, [(bad, lambda v: f"{v!r} is not a three-letter currency code (ISO 4217, e.g. USD)")]
        )
    if kind == "direction":
        codes, bad = _coded(values, lambda v: v.lower() if v.lower() in ("higher", "lower") else None, blank)
        return values_.Parsed(
            codes.astype(object).where(codes.notna(), None), [(bad, lambda v: f"{v!r} is not 'higher' or 'lower'")]
        )
    result = values_.parse_numbers(values, column.name, whole=kind == "count")
    numbers: pd.Series = result.values
    checks = result.checks
    if kind in ("money", "count", "score"):
        checks.append((numbers < 0, lambda v: f"{v!r} is negative"))
    if kind == "rate":
        checks.append((numbers <= 0, lambda v: f"{v!r} is not a positive rate"))
    if kind in ("count", "score"):
        checks.append((numbers.notna() & (numbers != np.floor(numbers)), lambda v: f"{v!r} is not a whole number"))
    if kind == "score":
        checks.append((numbers > 10, lambda v: f"{v!r} is not a score from 0 to 10"))
    if kind == "number" and column.name == "quantity":
        checks.append((numbers < 0, lambda v: f"{v!r} is negative"))
    return result


def _report(
    raw: RawSheet, column: str, mask: pd.Series, originals: pd.Series, message: Callable[[object], str]
) -> list[Problem]:
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    problems = [
        raw.problem(message(_shown(originals.iloc[p])), column=column, position=int(p)) for p in positions[:MAX_LISTED]
    ]
    if len(positions) > MAX_LISTED:
        problems.append(
            raw.problem(f"... and {len(positions) - MAX_LISTED:,} more rows with the same problem", column=column)
        )
    return problems


def _shown(value: object) -> object:
    """A cell value as a message quotes it: 12 not 12.0, -4 not np.int64(-4)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and abs(value) < values_.MAX_MAGNITUDE and value == int(value):
        return int(value)
    if isinstance(value, pd.Timestamp | dt.date):
        return str(value)[:10]
    return value


def _required_message(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or not str(value).strip():
        return "is blank; a value is required"
    return f"{value!r} means blank; a value is required"


def _all_blank_rows(frame: pd.DataFrame, blanks: dict[str, pd.Series]) -> pd.Series:
    """Rows with no value in any column (a trailing ``,,,,`` line); stops at the first filled
    column.  The blank masks found are kept in ``blanks``."""
    blank = pd.Series(True, index=frame.index)
    for name in frame.columns:
        blanks[name] = _blank(frame[name])
        blank &= blanks[name]
        if not blank.any():
            break
    return blank


def validate_sheet(raw: RawSheet, sheet: Sheet) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse ``raw`` against ``sheet``; every problem is returned, none raised.

    Notes on what was read (a decimal comma, a null marker read as blank, a blank cell
    given its default) are appended to ``raw.notes``.  Optional columns the sheet does
    not have are added blank, so nothing downstream meets a missing column.
    """
    problems: list[Problem] = []
    frame = raw.frame
    missing = [c.name for c in sheet.columns if c.required and c.name not in frame.columns]
    if missing:
        found = ", ".join(frame.columns) or "none"
        problems.append(raw.problem(f"required column(s) {', '.join(missing)} missing (found: {found})"))
        return None, problems
    blanks: dict[str, pd.Series] = {}
    empty_rows = _all_blank_rows(frame, blanks) if len(frame) else pd.Series(dtype=bool)
    if empty_rows.any():
        blanks = {}
        keep = ~empty_rows.to_numpy()
        frame = frame[keep].reset_index(drop=True)
        raw.frame, raw.rows = frame, raw.rows[keep]
        raw.cell_letters = {k: v[keep] for k, v in raw.cell_letters.items()}
        raw.reported = {k: pd.Series(v.to_numpy()[keep]) for k, v in raw.reported.items()}
    if frame.empty:
        return frame, [raw.problem("the sheet has a header row but no data rows")]
    columns: dict[str, pd.Series] = {}
    for column in sheet.columns:
        if column.name not in frame.columns:
            continue
        original = frame[column.name].reset_index(drop=True)
        known_blank = blanks.get(column.name)
        blank = _blank(original) if known_blank is None else known_blank.reset_index(drop=True)
        result = _parse_column(original, column, blank)
        reported = raw.reported.get(column.name)
        skip = reported.to_numpy(dtype=bool) if reported is not None else np.zeros(len(original), dtype=bool)
        for mask, message in result.checks:
            problems += _report(raw, column.name, mask.fillna(False) & ~skip, original, message)
        if column.required:
            problems += _report(raw, column.name, blank & ~skip, original, _required_message)
        parsed = result.values.reset_index(drop=True)
        for note in result.notes:
            raw.notes.append(ReadNote(raw.where(column.name) + f": {note}"))
        if result.markers is not None and result.markers.any() and not column.required:
            raw.notes.append(_count_note(raw, column.name, result.markers, original, "read as blank"))
        if result.open_ended is not None and result.open_ended.any():
            raw.notes.append(
                ReadNote(_count_note(raw, column.name, result.open_ended, original, "read as no end date"))
            )
        default = BLANK_DEFAULTS.get(column.name)
        if default is not None and blank.any() and sheet.name == "subscriptions":
            if isinstance(parsed.dtype, pd.CategoricalDtype) and default not in parsed.cat.categories:
                parsed = parsed.cat.add_categories([default])
            bad = pd.Series(False, index=parsed.index)
            for mask, _m in result.checks:
                bad |= mask.fillna(False).to_numpy()
            defaulted = blank & ~bad
            if defaulted.any():
                parsed = parsed.where(~defaulted, default)
                raw.notes.append(_count_note(raw, column.name, defaulted, original, f"blank, read as {default!r}"))
        columns[column.name] = parsed
    out = pd.DataFrame(columns)
    for extra in frame.columns:  # extra columns are kept and ignored
        if extra not in out:
            out[extra] = frame[extra].reset_index(drop=True)
    if sheet.name in SHEETS_WITH_EVERY_COLUMN:
        absent = [c.name for c in sheet.columns if c.name not in out]
        for column in sheet.columns:  # absent optional columns: blank, so nothing downstream meets a KeyError
            if column.name not in out:
                out[column.name] = _absent(column, len(out))
        known = [c.name for c in sheet.columns]
        out = out[known + [c for c in out.columns if c not in known]]  # the sheet's columns in their order
        out.attrs["absent_columns"] = tuple(absent)  # the KPIs reading them are left out, with a warning
    if sheet.unique and sheet.unique in out:
        key = out[sheet.unique]
        dup = key.notna() & key.duplicated(keep="first")
        shown = key.dt.strftime("%Y-%m") if pd.api.types.is_datetime64_any_dtype(key) else key
        problems += _report(raw, sheet.unique, dup, shown, lambda v: f"{v!r} appears more than once")
    return out, problems


def _absent(column: Column, length: int) -> pd.Series:
    if column.kind in ("date", "month"):
        return pd.Series(pd.NaT, index=range(length), dtype="datetime64[ns]")
    if column.kind in ("text", "interval", "currency", "direction"):
        return pd.Series(None, index=range(length), dtype=object)
    return pd.Series(np.nan, index=range(length), dtype=float)


def _count_note(raw: RawSheet, column: str, mask: pd.Series, originals: pd.Series, what: str) -> str:
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    first = int(positions[0])
    value = _shown(originals.iloc[first])
    shown = "" if value is None or (isinstance(value, float) and math.isnan(value)) else f" ({value!r})"
    cell = f"{raw.letters.get(column, '')}{raw.rows[first]}"
    return f"{raw.where(column)}: {len(positions):,} cell(s){shown} {what}, first at {cell}"


# --------------------------------------------------------------------------- the company


#: Settings and the value a blank one falls back to.
SETTING_DEFAULTS: dict[str, str | None] = {
    "reporting_currency": "USD",
    "company": None,
    "as_of": None,
    "history_start": None,
    "convention": "month-end",
}


def _settings(frame: pd.DataFrame | None, raw: RawSheet | None) -> tuple[dict[str, str], list[Problem], list[str]]:
    """(settings given, problems, notes); a blank value falls back to its default with a note."""
    if frame is None or raw is None:
        return {}, [], []
    problems: list[Problem] = []
    notes: list[str] = []
    values: dict[str, str] = {}
    for position, (key, value) in enumerate(zip(frame["key"], frame["value"], strict=True)):
        if key is None:
            continue
        name = str(key).strip().lower()
        if name not in SETTING_DEFAULTS:
            problems.append(
                raw.problem(
                    f"unknown setting {key!r} (known: {', '.join(sorted(SETTING_DEFAULTS))})",
                    column="key",
                    position=position,
                )
            )
            continue
        if value is None:
            default = SETTING_DEFAULTS[name]
            fallback = f"the default {default}" if default else "none"
            cell = f"{raw.letters.get('value', 'B')}{raw.rows[position]}"
            notes.append(f"{raw.where('value')}: {name} is blank at {cell}; using {fallback}")
            continue
        values[name] = str(value)
    return values, problems, notes


def parse_month(text: object, argument: str) -> pd.Period:
    """``YYYY-MM`` (or a date, or an Excel date) → a monthly period; ValueError naming ``argument``."""
    parsed = values_.parse_dates(pd.Series([text], dtype=object))
    for mask, message in parsed.checks:
        if bool(mask.iloc[0]):
            raise ValueError(f"{argument}: {message(text)}".replace(values_.DATE_HINT, "a month (YYYY-MM)"))
    if pd.isna(parsed.values.iloc[0]):
        raise ValueError(f"{argument}: {text!r} is not a month (YYYY-MM)")
    return parsed.values.iloc[0].to_period("M")


def read_company_data(path: str | Path, *, as_of: pd.Period | None = None) -> tuple[CompanyData, list[str]]:
    """Read, validate and type the canonical input at ``path``.

    Returns the data and warnings (e.g. an empty optional sheet); raises
    :class:`InputError` listing every problem found.
    """
    path = Path(path)
    raws, problems = load_raw_sheets(path)
    if not raws and not problems:
        problems.append(Problem(str(path), "no 'subscriptions' sheet found (sheet names are case-insensitive)"))
    return company_from_sheets(raws, str(path), as_of=as_of, problems=problems)


def company_from_sheets(
    raws: dict[str, RawSheet],
    source: str,
    *,
    as_of: pd.Period | None = None,
    problems: list[Problem] | None = None,
    default_currency: str = "USD",
) -> tuple[CompanyData, list[str]]:
    """Validate raw sheets (from files or Excel ranges) into the canonical company data."""
    problems = list(problems or [])
    warnings: list[str] = []
    frames: dict[str, pd.DataFrame | None] = {}
    for name, sheet in schema.SHEETS.items():
        raw = raws.get(name)
        if raw is None:
            frames[name] = None
            continue
        if raw.frame.shape == (0, 0) and name != "subscriptions":  # an empty file or sheet: no header row
            warnings.append(f"{raw.file} {raw.label}: the sheet is empty; treated as absent")
            frames[name] = None
            continue
        if raw.frame.shape == (0, 0):
            problems.append(raw.problem("the sheet is empty: it has no header row"))
            frames[name] = None
            continue
        frame, found = validate_sheet(raw, sheet)
        if frame is not None and frame.empty and name != "subscriptions":
            warnings.append(f"{raw.file} {raw.label}: the sheet has no data rows; treated as absent")
            frames[name] = None
            continue
        problems += found
        warnings += raw.notes
        frames[name] = frame
    if raws and "subscriptions" not in raws and not any(p.sheet == "subscriptions" for p in problems):
        names = ", ".join(sorted(raws)) or "none"
        problems.append(Problem(source, f"no 'subscriptions' sheet found (canonical sheets found: {names})"))

    settings, found, notes = _settings(frames.get("settings"), raws.get("settings"))
    problems += found
    warnings += notes
    currency = str(settings.get("reporting_currency", default_currency)).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        problems.append(
            Problem(source, f"reporting_currency {currency!r} is not a three-letter currency code", "settings")
        )
    if as_of is None and settings.get("as_of") not in (None, ""):
        try:
            as_of = parse_month(settings["as_of"], "settings as_of")
        except ValueError as exc:
            problems.append(Problem(source, str(exc), "settings"))

    history_start = None
    if settings.get("history_start") not in (None, ""):
        try:
            history_start = parse_month(settings["history_start"], "settings history_start")
        except ValueError as exc:
            problems.append(Problem(source, str(exc), "settings"))
    convention = "month-end"
    if settings.get("convention") not in (None, ""):
        try:
            convention = check_convention(settings["convention"])
        except KPIInputError as exc:
            problems.append(Problem(source, f"settings {exc}", "settings"))

    subs = frames.get("subscriptions")
    if subs is not None and not subs.empty and "subscriptions" in raws:
        problems += _check_subscriptions(raws["subscriptions"], subs, frames.get("fx_rates"), currency)
    targets = frames.get("targets")
    if targets is not None and "targets" in raws:
        problems += _check_targets(raws["targets"], targets)
    fx = frames.get("fx_rates")
    if fx is not None and "fx_rates" in raws:
        problems += _check_fx_rates(raws["fx_rates"], fx)
    if problems:
        raise InputError(problems)
    assert subs is not None
    raw_subs = raws["subscriptions"]
    if "interval" not in raw_subs.frame:
        warnings.append(f"{raw_subs.where()}: no interval column; every subscription is read as monthly")
        subs["interval"] = "month"
    subs["quantity"] = subs["quantity"].fillna(1.0)
    blank_currency = subs["currency"].isna()
    if blank_currency.any() and "currency" in raw_subs.frame:
        first = int(np.flatnonzero(blank_currency.to_numpy())[0])
        warnings.append(
            f"{raw_subs.where('currency')}: {int(blank_currency.sum()):,} cell(s) blank, read as {currency} "
            f"(the reporting currency), first at {raw_subs.letters.get('currency', '')}{raw_subs.rows[first]}"
        )
    subs["currency"] = subs["currency"].astype(object).where(~blank_currency, currency)
    data = CompanyData(
        subscriptions=subs,
        funnel=frames.get("funnel"),
        costs=frames.get("costs"),
        nps=frames.get("nps"),
        balance_sheet=frames.get("balance_sheet"),
        targets=targets,
        fx_rates=frames.get("fx_rates"),
        reporting_currency=currency,
        company=str(settings["company"]) if settings.get("company") else None,
        as_of=as_of,
        source=source,
        history_start=history_start,
        convention=convention,
    )
    return data, warnings


def _check_subscriptions(raw: RawSheet, subs: pd.DataFrame, fx: pd.DataFrame | None, currency: str) -> list[Problem]:
    problems: list[Problem] = []
    if "end_date" in subs:
        before = subs["end_date"].notna() & (subs["end_date"] < subs["start_date"])
        if before.any():
            shown = pd.Series("", index=subs.index, dtype=object)
            shown[before] = (
                subs.loc[before, "end_date"].dt.strftime("%Y-%m-%d")
                + " is before start_date "
                + subs.loc[before, "start_date"].dt.strftime("%Y-%m-%d")
            )
            problems += _report(raw, "end_date", before, shown, lambda v: f"end_date {v}")
    if "currency" in subs:
        used = subs["currency"].astype(object).fillna(currency)
        rated = set(fx["currency"].dropna()) if fx is not None else set()
        for code in sorted(set(used.dropna().unique()) - rated - {currency}):
            rows = used == code
            where = "the fx_rates sheet has no rate for it" if fx is not None else "there is no fx_rates sheet"
            first = int(np.flatnonzero(rows.to_numpy())[0])
            problems.append(
                raw.problem(
                    f"currency {code} is used by {int(rows.sum()):,} row(s) but {where} "
                    f"(reporting currency {currency}; rates are never assumed 1:1)",
                    column="currency",
                    position=first,
                )
            )
    return problems


def _check_fx_rates(raw: RawSheet, fx: pd.DataFrame) -> list[Problem]:
    """Two rates for one currency and month (or two undated rates for one currency) conflict."""
    key = fx["currency"].astype(object).fillna("") + " " + fx["month"].dt.strftime("%Y-%m").fillna("every month")
    repeated = key.duplicated(keep=False) & fx["currency"].notna()
    if not repeated.any():
        return []
    rates = fx["rate"].groupby(key[repeated]).nunique()
    conflicting = key.isin(rates[rates > 1].index) & key.duplicated(keep="first")
    return _report(
        raw,
        "rate",
        conflicting,
        key,
        lambda v: f"a second, different rate for {v}; give one rate per currency and month",
    )


def _check_targets(raw: RawSheet, targets: pd.DataFrame) -> list[Problem]:
    known = set(MONTHLY_KEYS[1:]) | set(BALANCE_SHEET_KEYS)
    kpi = targets["kpi"].str.strip().str.lower()
    targets["kpi"] = kpi
    unknown = kpi.notna() & ~kpi.isin(known)
    problems = _report(
        raw,
        "kpi",
        unknown,
        kpi,
        lambda v: f"unknown KPI {v!r} (use a key of kpi-addin metrics, e.g. mrr, customer_churn_rate)",
    )
    direction = targets["direction"] if "direction" in targets else pd.Series(None, index=targets.index, dtype=object)
    default = kpi.map(lambda k: "lower" if k in schema.LOWER_IS_BETTER else "higher")
    targets["direction"] = direction.where(direction.notna(), default)
    if "due" not in targets:
        targets["due"] = pd.NaT
    return problems
