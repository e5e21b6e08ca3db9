"""Any other CSV: a small mapping file (``--map FILE``, TOML) names which column is which.

[columns]                      # your header → our column (see the README)
customer_id = "Account"
amount = "Price"
interval = "Billing period"    # or, with no interval column, [defaults] interval = "month"
start_date = "Start"
end_date = "End"               # optional

[amounts]
unit = "cents"                 # or "units" (the default)

[intervals]                    # how your file names intervals (case-insensitive)
"Monthly" = "month"
"Annual" = "year"
"Half-yearly" = { interval = "month", count = 6 }

[defaults]
interval = "month"             # only if the file has no interval column at all
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pandas as pd

from ..reader import Problem
from .base import CANONICAL, INTERVAL_UNITS, Converted, Export, Layout, amounts, canonical_sheet, normalise

MAPPABLE = (*CANONICAL, "interval_count")
REQUIRED = ("customer_id", "amount", "start_date")


class Mapping:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise MappingError(path, "", "no such file") from None
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(path, "", f"not valid TOML: {exc}") from None
        for key in data:
            if key not in ("columns", "amounts", "intervals", "defaults", "dates"):
                raise MappingError(path, key, "unknown section (known: columns, amounts, intervals, defaults, dates)")
        self.columns: dict[str, str] = {}
        for ours, theirs in data.get("columns", {}).items():
            if ours not in MAPPABLE:
                raise MappingError(path, f"columns.{ours}", f"unknown column (known: {', '.join(MAPPABLE)})")
            if not isinstance(theirs, str) or not theirs.strip():
                raise MappingError(path, f"columns.{ours}", "must be the name of a column in your file")
            self.columns[ours] = normalise(theirs)
        for ours in REQUIRED:
            if ours not in self.columns:
                raise MappingError(path, "columns", f"{ours} is required")
        unit = data.get("amounts", {}).get("unit", "units")
        if unit not in ("units", "cents"):
            raise MappingError(path, "amounts.unit", f"must be 'units' or 'cents', got {unit!r}")
        self.cents = unit == "cents"
        self.intervals: dict[str, tuple[str, float]] = {}
        for name, spec in data.get("intervals", {}).items():
            where = f"intervals.{name}"
            if isinstance(spec, str):
                spec = {"interval": spec, "count": 1}
            if not isinstance(spec, dict) or spec.get("interval") not in ("month", "quarter", "year", "week"):
                raise MappingError(path, where, "must be month, quarter, year or week, or {interval=..., count=N}")
            count = spec.get("count", 1)
            if isinstance(count, bool) or not isinstance(count, int | float) or count <= 0:
                raise MappingError(path, where, f"count must be a positive number, got {count!r}")
            self.intervals[name.strip().lower()] = (spec["interval"], float(count))
        self.date_format = data.get("dates", {}).get("format")
        if self.date_format is not None and (not isinstance(self.date_format, str) or "%" not in self.date_format):
            raise MappingError(
                path, "dates.format", f"must be a strptime pattern such as '%d/%m/%Y', got {self.date_format!r}"
            )
        self.default_interval = data.get("defaults", {}).get("interval")
        if self.default_interval is not None and self.default_interval not in ("month", "quarter", "year", "week"):
            raise MappingError(path, "defaults.interval", "must be month, quarter, year or week")
        if "interval" not in self.columns and self.default_interval is None:
            raise MappingError(path, "columns", "name an interval column, or set [defaults] interval")


class MappingError(Exception):
    def __init__(self, path: Path, where: str, problem: str) -> None:
        super().__init__(f"{path}: {where}: {problem}" if where else f"{path}: {problem}")


def _iso_dates(values: pd.Series, pattern: str) -> pd.Series:
    """Dates written with ``pattern`` as ISO text; what does not fit is kept for validation to report."""
    parsed = pd.to_datetime(values, format=pattern, errors="coerce")
    return parsed.dt.strftime("%Y-%m-%d").astype(object).where(parsed.notna(), values)


def layout_for(mapping: Mapping) -> Layout:
    def convert(export: Export) -> Converted:
        problems: list[Problem] = []
        missing = [theirs for theirs in mapping.columns.values() if theirs not in export.frame.columns]
        if missing:
            found = ", ".join(export.originals.values())
            problems.append(
                Problem(
                    str(export.path),
                    f"the mapping {mapping.path} names column(s) "
                    f"{', '.join(missing)} that the file does not have (found: {found})",
                    export.label,
                )
            )
            return canonical_sheet(export, {}, {}), problems, []

        def col(ours: str) -> pd.Series:
            theirs = mapping.columns.get(ours)
            return export.text(theirs) if theirs else pd.Series("", index=export.frame.index, dtype=object)

        words = (
            col("interval")
            if "interval" in mapping.columns
            else pd.Series(mapping.default_interval, index=export.frame.index, dtype=object)
        )
        known = (
            words.str.strip()
            .str.lower()
            .map(
                lambda w: (
                    mapping.intervals.get(w)
                    or (INTERVAL_UNITS.get(w) if INTERVAL_UNITS.get(w, (0, 0))[1] == 1 else None)
                )
            )
        )
        interval = pd.Series(
            [k[0] if isinstance(k, tuple) else w for k, w in zip(known, words, strict=True)],
            index=words.index,
            dtype=object,
        )
        count = pd.to_numeric(col("interval_count").where(col("interval_count") != "", "1"), errors="coerce")
        divisor = pd.Series([k[1] if isinstance(k, tuple) else 1.0 for k in known], index=words.index) * count
        columns = {name: col(name) for name in CANONICAL if name in mapping.columns}
        columns["amount"] = amounts(col("amount"), cents=mapping.cents, per=divisor.fillna(1.0))
        columns["interval"] = interval
        if "currency" in columns:
            columns["currency"] = columns["currency"].str.upper()
        if mapping.date_format:
            for name in ("start_date", "end_date", "trial_end"):
                if name in columns:
                    columns[name] = _iso_dates(columns[name], mapping.date_format)
        sources = {name: mapping.columns.get(name) for name in CANONICAL}
        return canonical_sheet(export, columns, sources), problems, []

    return Layout(
        name="map", title=f"mapped by {mapping.path.name}", source=str(mapping.path), required=(), convert=convert
    )
