"""Read the canonical sheets from Parquet: one file (the subscriptions) or a folder of
``sheet.parquet`` files.  Only each sheet's canonical columns are read, as Arrow columns,
and the rows go through the same validation as a database table's (:mod:`.database`)."""

from __future__ import annotations

from pathlib import Path

from . import schema
from .database import canonical_columns, table_sheet
from .loading import load_raw_sheets
from .problems import Problem, RawSheet


def is_parquet(path: Path) -> bool:
    """A ``.parquet`` file, or a folder holding one."""
    if path.is_dir():
        return any(p.suffix.lower() == ".parquet" for p in path.iterdir())
    return path.suffix.lower() == ".parquet"


def load_parquet(path: Path) -> tuple[dict[str, RawSheet], list[Problem]]:
    """A Parquet file (the subscriptions) or a folder of ``sheet.parquet`` files (CSV files
    beside them are read too): only the sheets' canonical columns are read."""
    if not path.is_dir():
        raw, found = _parquet_sheet(path, "subscriptions", str(path))
        return ({"subscriptions": raw} if raw is not None else {}), found
    sheets: dict[str, RawSheet] = {}
    problems: list[Problem] = []
    if any(p.suffix.lower() == ".csv" for p in path.iterdir()):
        sheets, problems = load_raw_sheets(path)
    for name in schema.SHEETS:
        files = [p for p in sorted(path.iterdir()) if p.suffix.lower() == ".parquet" and p.stem.strip().lower() == name]
        if not files:
            continue
        if name in sheets or len(files) > 1:
            shown = ", ".join([p.name for p in files] + ([sheets[name].label] if name in sheets else []))
            problems.append(Problem(str(path), f"{shown} are the same sheet; keep one of them", files[0].name))
            continue
        raw, found = _parquet_sheet(files[0], name, str(path))
        problems += found
        if raw is not None:
            sheets[name] = raw
    return sheets, problems


def _parquet_sheet(path: Path, sheet: str, source: str) -> tuple[RawSheet | None, list[Problem]]:
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(path).names
        columns = canonical_columns(sheet, names)
        table = pq.read_table(path, columns=list(columns.values()))
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own error types
        return None, [Problem(source, f"not a readable Parquet file ({str(exc).splitlines()[0]})", path.name)]
    table = table.rename_columns(list(columns))
    return table_sheet(sheet, source if path.name == Path(source).name else f"{source}/{path.name}", sheet, table), []
