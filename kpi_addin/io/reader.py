"""Read and validate the canonical input: one ``.xlsx`` workbook, a folder of CSV files
(``subscriptions.csv``, ``funnel.csv``, ...) or a single subscriptions CSV.

Validation collects every problem, each with where it is
(``kpi_input.xlsx subscriptions!E17 (amount): 'abc' is not a number``), and raises one
:class:`InputError` holding them all.  Clean typed columns take a vectorised fast path;
only a column with a bad or mixed value is parsed value by value.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..metrics import KPIInputError
from ..metrics.conventions import check_convention
from ..metrics.report import BALANCE_SHEET_KEYS, MONTHLY_KEYS, CompanyData
from . import schema
from .schema import Column, Sheet

#: Problems of one kind in one column that are listed before the rest are summarised.
MAX_LISTED = 10
#: Refuse workbooks that unzip to more than this, or declare more cells than this.
MAX_UNZIPPED_BYTES = 2 * 1024**3
MAX_DECLARED_CELLS = 60_000_000
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


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

    def problem(self, message: str, *, column: str | None = None, position: int | None = None) -> Problem:
        return Problem(
            file=self.file,
            sheet=self.label,
            message=message,
            row=int(self.rows[position]) if position is not None else None,
            column=column,
            letter=self.letters.get(column) if column else None,
        )


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
    if not path.exists():
        return {}, [Problem(str(path), "no such file or folder")]
    if path.is_dir():
        return _load_csv_folder(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
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
    files = {p.stem.lower(): p for p in folder.iterdir() if p.suffix.lower() == ".csv"}
    if not files:
        return {}, [Problem(str(folder), "the folder holds no CSV files (expected subscriptions.csv, ...)")]
    for name in schema.SHEETS:
        if name in files:
            sheet, found = _load_csv(files[name], name, str(folder))
            problems += found
            if sheet is not None:
                sheets[name] = sheet
    return sheets, problems


def _load_csv(path: Path, name: str, file: str) -> tuple[RawSheet | None, list[Problem]]:
    label = path.name
    try:
        header = pd.read_csv(path, nrows=0, dtype=str)
    except pd.errors.EmptyDataError:
        return None, [Problem(file, "the sheet is empty: it has no header row", label)]
    except (UnicodeDecodeError, pd.errors.ParserError, OSError) as exc:
        return None, [Problem(file, f"not a readable CSV file ({exc})", label)]
    names, problems = _normalise_header(list(header.columns), file, label)
    try:
        frame = _read_csv_typed(path)
    except Exception:  # noqa: BLE001 - pyarrow raises its own error types; fall back to the C parser
        try:
            frame = pd.read_csv(path, dtype=object, keep_default_na=False)
        except (UnicodeDecodeError, pd.errors.ParserError) as exc:
            return None, [*problems, Problem(file, f"not a readable CSV file ({exc})", label)]
    keep = [i for i, n in enumerate(names) if n]
    frame = frame.iloc[:, keep]
    frame.columns = [names[i] for i in keep]
    letters = {names[i]: column_letter(i) for i in keep}  # type: ignore[misc]  # kept names are str
    rows = np.arange(len(frame)) + 2  # the header is line 1
    return RawSheet(name, file, label, frame, rows, letters), problems


def _read_csv_typed(path: Path) -> pd.DataFrame:
    """Read a CSV with pyarrow: clean numbers and ISO dates arrive typed in one pass.

    A column with a bad value comes back as text and is then checked cell by cell.
    """
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    table = pa_csv.read_csv(path)
    for i, field in enumerate(table.schema):
        if pa.types.is_date(field.type) or pa.types.is_timestamp(field.type):
            column = table.column(i)
            if pa.types.is_timestamp(field.type) and field.type.tz is not None:
                column = column.cast(pa.timestamp(field.type.unit))  # UTC wall time, naive
            table = table.set_column(i, field.name, column.cast(pa.timestamp("ns")))
        elif pa.types.is_null(field.type):  # an all-blank column
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
    return table.to_pandas()


def _check_workbook_archive(path: Path) -> list[Problem]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
                return [
                    Problem(
                        str(path),
                        f"the workbook unpacks to more than {MAX_UNZIPPED_BYTES // 1024**3} GB; refusing to read it",
                    )
                ]
            for member in members:
                if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", member.filename):
                    with archive.open(member) as handle:
                        head = handle.read(4096).decode("utf-8", "replace")
                    match = re.search(r'<dimension ref="[A-Z]+(\d+):([A-Z]+)(\d+)"', head)
                    if match:
                        rows = int(match.group(3)) - int(match.group(1)) + 1
                        cols = sum((ord(c) - 64) * 26**i for i, c in enumerate(reversed(match.group(2))))
                        if rows * cols > MAX_DECLARED_CELLS:
                            return [
                                Problem(
                                    str(path),
                                    f"{member.filename} declares {rows:,} rows × {cols:,} columns; "
                                    "refusing to read a sheet that large",
                                )
                            ]
    except zipfile.BadZipFile:
        return [Problem(str(path), "not an Excel workbook (.xlsx): the file is not a zip archive")]
    except OSError as exc:
        return [Problem(str(path), f"cannot read the file ({exc})")]
    return []


def _load_workbook(path: Path) -> tuple[dict[str, RawSheet], list[Problem]]:
    from python_calamine import CalamineError, CalamineWorkbook  # an interface dependency, loaded here only

    problems = _check_workbook_archive(path)
    if problems:
        return {}, problems
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        return {}, [Problem(str(path), f"not an Excel workbook (.xlsx): {exc}")]
    file = str(path)
    by_name = {n.strip().lower(): n for n in workbook.sheet_names}
    sheets: dict[str, RawSheet] = {}
    for name in schema.SHEETS:
        if name not in by_name:
            continue
        label = by_name[name]
        try:
            cells = workbook.get_sheet_by_name(label).to_python(skip_empty_area=False)
        except (CalamineError, ValueError) as exc:
            problems.append(Problem(file, f"cannot read the sheet ({exc})", label))
            continue
        filled = [i for i, row in enumerate(cells) if any(v not in ("", None) for v in row)]
        if not filled:
            problems.append(Problem(file, "the sheet is empty: it has no header row", label))
            continue
        header_at = filled[0]
        names, found = _normalise_header(list(cells[header_at]), file, label)
        problems += found
        keep = [i for i, n in enumerate(names) if n]
        data_at = [i for i in filled[1:]]
        records = [[cells[r][i] if i < len(cells[r]) else "" for i in keep] for r in data_at]
        frame = pd.DataFrame(records, columns=[names[i] for i in keep], dtype=object)
        letters = {names[i]: column_letter(i) for i in keep}  # type: ignore[misc]  # kept names are str
        sheets[name] = RawSheet(name, file, label, frame, np.asarray(data_at, dtype=np.int64) + 1, letters)
    return sheets, problems


# --------------------------------------------------------------------------- parsing cells


def _is_text_dtype(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values) and values.dtype != object


def _blank(values: pd.Series) -> pd.Series:
    """Blank cells: missing, or text of only whitespace."""
    if _is_text_dtype(values):
        return (values.isna() | (values.str.strip() == "")).fillna(True).astype(bool)
    missing = values.isna()
    if values.dtype == object:
        is_str = values.map(lambda v: isinstance(v, str))
        if is_str.any():
            missing = missing | (is_str & (values.where(is_str, "x").astype(str).str.strip() == ""))
    return missing


def _numbers(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(floats, bad) — bad marks non-blank cells that are not numbers."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype(float), pd.Series(False, index=values.index)
    blank = _blank(values)
    is_bool = values.map(lambda v: isinstance(v, bool | np.bool_))
    parsed = pd.to_numeric(values.where(~blank & ~is_bool).astype(object), errors="coerce").astype(float)
    return parsed, (~blank & parsed.isna()) | is_bool


def _dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(datetimes, bad): ISO text, ``YYYY-MM``, Excel serial numbers or date cells."""
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(None)
        return values.astype("datetime64[ns]"), pd.Series(False, index=values.index)
    obj = values.astype(object)
    blank = _blank(obj)
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    is_date = obj.map(lambda v: isinstance(v, dt.date))
    if is_date.any():
        parsed[is_date] = pd.to_datetime(obj[is_date].map(lambda v: dt.datetime(v.year, v.month, v.day)))
    rest = ~blank & ~is_date
    serial = pd.to_numeric(obj[rest].map(lambda v: str(v).strip()), errors="coerce")
    ok_serial = serial.notna() & (serial >= 1) & (serial < 2958466)
    if ok_serial.any():
        parsed[ok_serial[ok_serial].index] = _EXCEL_EPOCH + pd.to_timedelta(np.floor(serial[ok_serial]), unit="D")
    text = obj[rest][serial.isna()].astype(str).str.strip()
    iso = text[text.str.match(r"^\d{4}-\d{2}(-\d{2})?([ T].*)?$")]
    if not iso.empty:
        # billing exports mix "2025-01-05" with "2025-01-05T10:00:00Z": read all as UTC wall time
        converted = pd.to_datetime(iso, format="ISO8601", errors="coerce", utc=True).dt.tz_convert(None)
        parsed[iso.index] = converted.astype("datetime64[ns]")
    return parsed, ~blank & parsed.isna()


def _text(values: pd.Series) -> pd.Series:
    """Cell text, stripped; blanks are missing.  Whole numbers read as ``1001``, not ``1001.0``."""
    if _is_text_dtype(values):
        stripped = values.str.strip()
        return stripped.where(stripped != "")
    if pd.api.types.is_integer_dtype(values):
        return values.astype(str)
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if (whole == np.floor(whole)).all():  # ids typed as numbers: 1001.0 → "1001"
            return values.map(lambda v: None if pd.isna(v) else str(int(v))).astype(object)
    blank = _blank(values)
    return values.astype(object).where(~blank).map(lambda v: None if pd.isna(v) else _cell_text(v))


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value).strip()


def _coded(values: pd.Series, normalise: Callable[[str], str | None]) -> tuple[pd.Series, pd.Series]:
    """Map text cells through ``normalise`` once per distinct value (fast on big columns).

    Returns a categorical Series (missing where blank or not recognised) and the mask
    of non-blank cells that ``normalise`` rejected.
    """
    text = _text(values)
    codes, uniques = pd.factorize(text)
    mapped = [normalise(str(u)) for u in uniques]
    categories = sorted({m for m in mapped if m is not None})
    lookup = np.array([categories.index(m) if m is not None else -1 for m in mapped] + [-1], dtype=np.int64)
    new_codes = lookup[codes]  # code -1 (blank) picks the trailing -1
    parsed = pd.Series(pd.Categorical.from_codes(new_codes, categories=categories), index=values.index)
    return parsed, pd.Series((codes >= 0) & (new_codes < 0), index=values.index)


ParsedColumn = tuple[pd.Series, list[tuple[pd.Series, Callable[[object], str]]]]


def _parse_column(values: pd.Series, column: Column) -> ParsedColumn:
    """Parse one column; returns the parsed values and (bad mask, message) pairs."""
    kind = column.kind
    if kind in ("text",):
        return _text(values), []
    if kind in ("date", "month"):
        parsed, bad = _dates(values)
        if kind == "month":
            parsed = parsed.dt.to_period("M").dt.to_timestamp()
        hint = "a month (YYYY-MM)" if kind == "month" else "a date (ISO 2025-03-31, an Excel date or YYYY-MM)"
        return parsed, [(bad, lambda v, hint=hint: f"{v!r} is not {hint}")]
    if kind == "interval":
        parsed, bad = _coded(values, lambda v: schema.INTERVAL_NAMES.get(v.lower()))
        parsed = parsed.cat.add_categories([c for c in ("month",) if c not in parsed.cat.categories])
        parsed = parsed.where(_blank(values) == False, "month")  # noqa: E712 - a blank interval is monthly
        return parsed, [(bad, lambda v: f"unknown interval {v!r} (use month, quarter, year or week)")]
    if kind == "currency":
        parsed, bad = _coded(values, lambda v: v.upper() if re.fullmatch(r"[A-Za-z]{3}", v) else None)
        return parsed, [(bad, lambda v: f"{v!r} is not a three-letter currency code (ISO 4217, e.g. USD)")]
    if kind == "direction":
        parsed, bad = _coded(values, lambda v: v.lower() if v.lower() in ("higher", "lower") else None)
        return parsed.astype(object).where(parsed.notna(), None), [(bad, lambda v: f"{v!r} is not 'higher' or 'lower'")]
    parsed, bad = _numbers(values)
    checks: list[tuple[pd.Series, Callable[[object], str]]] = [(bad, lambda v: f"{v!r} is not a number")]
    if kind in ("money", "count", "score"):
        checks.append((parsed < 0, lambda v: f"{v!r} is negative"))
    if kind == "rate":
        checks.append((parsed <= 0, lambda v: f"{v!r} is not a positive rate"))
    if kind in ("count", "score"):
        checks.append((parsed.notna() & (parsed != np.floor(parsed)), lambda v: f"{v!r} is not a whole number"))
    if kind == "score":
        checks.append((parsed > 10, lambda v: f"{v!r} is not a score from 0 to 10"))
    if kind == "number" and column.name == "quantity":
        checks.append((parsed < 0, lambda v: f"{v!r} is negative"))
    return parsed, checks


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
    if isinstance(value, float) and value == int(value):
        return int(value)
    if isinstance(value, pd.Timestamp | dt.date):
        return str(value)[:10]
    return value


def validate_sheet(raw: RawSheet, sheet: Sheet) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse ``raw`` against ``sheet``; every problem is returned, none raised."""
    problems: list[Problem] = []
    frame = raw.frame
    missing = [c.name for c in sheet.columns if c.required and c.name not in frame.columns]
    if missing:
        found = ", ".join(frame.columns) or "none"
        problems.append(raw.problem(f"required column(s) {', '.join(missing)} missing (found: {found})"))
        return None, problems
    if frame.empty:
        return frame, [raw.problem("the sheet has a header row but no data rows")]
    columns: dict[str, pd.Series] = {}
    for column in sheet.columns:
        if column.name not in frame.columns:
            continue
        original = frame[column.name].reset_index(drop=True)
        parsed, checks = _parse_column(original, column)
        for mask, message in checks:
            problems += _report(raw, column.name, mask.fillna(False), original, message)
        if column.required:
            problems += _report(
                raw, column.name, _blank(original), original, lambda _v: "is blank; a value is required"
            )
        columns[column.name] = parsed.reset_index(drop=True)
    out = pd.DataFrame(columns)
    for extra in frame.columns:  # extra columns are kept and ignored
        if extra not in out:
            out[extra] = frame[extra].reset_index(drop=True)
    if sheet.unique and sheet.unique in out:
        key = out[sheet.unique]
        dup = key.notna() & key.duplicated(keep="first")
        shown = key.dt.strftime("%Y-%m") if pd.api.types.is_datetime64_any_dtype(key) else key
        problems += _report(raw, sheet.unique, dup, shown, lambda v: f"{v!r} appears more than once")
    return out, problems


# --------------------------------------------------------------------------- the company


def _settings(frame: pd.DataFrame | None, raw: RawSheet | None) -> tuple[dict[str, str], list[Problem]]:
    if frame is None or raw is None:
        return {}, []
    values = {
        str(k).strip().lower(): v
        for k, v in zip(frame["key"], frame.get("value", [None] * len(frame)), strict=True)
        if k
    }
    problems = []
    known = {"reporting_currency", "company", "as_of", "history_start", "convention"}
    for position, key in enumerate(frame["key"]):
        if key and str(key).strip().lower() not in known:
            problems.append(
                raw.problem(
                    f"unknown setting {key!r} (known: {', '.join(sorted(known))})", column="key", position=position
                )
            )
    return {k: v for k, v in values.items() if v is not None}, problems


def parse_month(text: object, argument: str) -> pd.Period:
    """``YYYY-MM`` (or a date, or an Excel date) → a monthly period; ValueError naming ``argument``."""
    parsed, bad = _dates(pd.Series([text], dtype=object))
    if bad.iloc[0] or pd.isna(parsed.iloc[0]):
        raise ValueError(f"{argument}: {text!r} is not a month (YYYY-MM)")
    return parsed.iloc[0].to_period("M")


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
        frame, found = validate_sheet(raw, sheet)
        if frame is not None and frame.empty and name != "subscriptions":
            warnings.append(f"{raw.file} {raw.label}: the sheet has no data rows; treated as absent")
            frames[name] = None
            continue
        problems += found
        frames[name] = frame
    if raws and "subscriptions" not in raws and not any(p.sheet == "subscriptions" for p in problems):
        names = ", ".join(sorted(raws)) or "none"
        problems.append(Problem(source, f"no 'subscriptions' sheet found (canonical sheets found: {names})"))

    settings, found = _settings(frames.get("settings"), raws.get("settings"))
    problems += found
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
    if problems:
        raise InputError(problems)
    assert subs is not None
    if "quantity" in subs:
        subs["quantity"] = subs["quantity"].fillna(1.0)
    if "currency" in subs:
        subs["currency"] = subs["currency"].astype(object).fillna(currency)
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
