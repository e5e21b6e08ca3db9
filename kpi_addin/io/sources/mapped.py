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

import datetime as dt
import difflib
import math
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd

from ..problems import Problem
from .base import CANONICAL, INTERVAL_UNITS, Converted, Export, Layout, amounts, canonical_sheet, normalise, numbers

MAPPABLE = (*CANONICAL, "interval_count")
REQUIRED = ("customer_id", "amount", "start_date")


SECTIONS = {
    "columns": None,  # any of MAPPABLE
    "amounts": ("unit",),
    "intervals": None,  # any name of yours
    "defaults": ("interval",),
    "dates": ("format",),
}
INTERVALS = ("month", "quarter", "year", "week")


def _known(path: Path, where: str, key: str, known: tuple[str, ...], noun: str = "key") -> None:
    """An unknown key is an error that suggests the right one: a typo must never change a number."""
    if key not in known:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise MappingError(path, f"{where}{key}", f"unknown {noun} (known: {', '.join(known)}){hint}")


def _table(path: Path, data: dict, key: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise MappingError(path, key, f"must be a table ([{key}]), got {type(value).__name__} {value!r}")
    return value


def _positive(path: Path, where: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise MappingError(path, where, f"count must be a positive number, got {value!r}")
    return float(value)


class Mapping:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise MappingError(path, "", "no such file") from None
        except IsADirectoryError:
            raise MappingError(path, "", "is a folder, not a mapping file") from None
        except UnicodeDecodeError as exc:
            raise MappingError(path, "", f"not UTF-8 text ({exc.reason})") from None
        except OSError as exc:
            raise MappingError(path, "", f"cannot be read ({exc.strerror or exc})") from None
        except tomllib.TOMLDecodeError as exc:
            raise MappingError(path, "", f"not valid TOML: {exc}") from None
        for key in data:
            _known(path, "", key, tuple(SECTIONS), "section")
        sections = {key: _table(path, data, key) for key in SECTIONS}
        for key, allowed in SECTIONS.items():
            if allowed is not None:
                for inner in sections[key]:
                    _known(path, f"{key}.", inner, allowed)
        self.columns: dict[str, str] = {}
        for ours, theirs in sections["columns"].items():
            _known(path, "columns.", ours, MAPPABLE, "column")
            if not isinstance(theirs, str) or not theirs.strip():
                raise MappingError(path, f"columns.{ours}", "must be the name of a column in your file")
            self.columns[ours] = normalise(theirs)
        for ours in REQUIRED:
            if ours not in self.columns:
                raise MappingError(path, "columns", f"{ours} is required")
        unit = sections["amounts"].get("unit", "units")
        if unit not in ("units", "cents"):
            raise MappingError(path, "amounts.unit", f"must be 'units' or 'cents', got {unit!r}")
        self.cents = unit == "cents"
        self.intervals: dict[str, tuple[str, float]] = {}
        for name, spec in sections["intervals"].items():
            where = f"intervals.{name}"
            if isinstance(spec, str):
                spec = {"interval": spec, "count": 1}
            if not isinstance(spec, dict) or spec.get("interval") not in INTERVALS:
                raise MappingError(path, where, "must be month, quarter, year or week, or {interval=..., count=N}")
            for inner in spec:
                _known(path, f"{where}.", inner, ("interval", "count"))
            self.intervals[name.strip().lower()] = (spec["interval"], _positive(path, where, spec.get("count", 1)))
        self.date_format = sections["dates"].get("format")
        if self.date_format is not None:
            if not isinstance(self.date_format, str) or "%" not in self.date_format:
                raise MappingError(
                    path, "dates.format", f"must be a strptime pattern such as '%d/%m/%Y', got {self.date_format!r}"
                )
            try:
                dt.datetime.strptime(dt.date(2024, 1, 31).strftime(self.date_format), self.date_format)
            except ValueError as exc:
                raise MappingError(
                    path, "dates.format", f"{self.date_format!r} is not a usable pattern ({exc})"
                ) from None
        self.default_interval = sections["defaults"].get("interval")
        if self.default_interval is not None and self.default_interval not in INTERVALS:
            raise MappingError(path, "defaults.interval", "must be month, quarter, year or week")
        if "interval" not in self.columns and self.default_interval is None:
            raise MappingError(path, "columns", "name an interval column, or set [defaults] interval")


class MappingError(Exception):
    def __init__(self, path: Path, where: str, problem: str) -> None:
        super().__init__(f"{path}: {where}: {problem}" if where else f"{path}: {problem}")


def _iso_dates(values: pd.Series, pattern: str) -> pd.Series:
    """Dates written with ``pattern`` as ISO text; what does not fit is kept for validation to report."""
    try:
        parsed = pd.to_datetime(values, format=pattern, errors="coerce")
    except ValueError:  # a pattern strptime takes but pandas does not: keep the text, validation reports it
        return values
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
        if "interval" in mapping.columns:
            for position in np.flatnonzero((words == "").to_numpy())[:10]:
                problems.append(
                    export.problem(
                        "the interval is blank (never read as monthly; fill it in, or map it in [intervals])",
                        mapping.columns["interval"],
                        int(position),
                    )
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
        counts = col("interval_count")
        count, problems_found, _notes = numbers(
            export, counts.where(counts != "", "1"), mapping.columns.get("interval_count")
        )
        problems += problems_found
        bad_count = count.notna() & ~(count > 0)
        for position in np.flatnonzero(bad_count.to_numpy()):
            problems.append(
                export.problem(
                    f"{counts.iloc[position]!r} is not a positive interval count",
                    mapping.columns.get("interval_count"),
                    int(position),
                )
            )
        count = count.where(count > 0)
        divisor = pd.Series([k[1] if isinstance(k, tuple) else 1.0 for k in known], index=words.index) * count
        columns = {name: col(name) for name in CANONICAL if name in mapping.columns}
        columns["amount"] = amounts(
            col("amount"), cents=mapping.cents, per=divisor.fillna(1.0), export=export, role=mapping.columns["amount"]
        )
        columns["interval"] = interval
        if "currency" in columns:
            columns["currency"] = columns["currency"].str.upper()
        if mapping.date_format:
            for name in ("start_date", "end_date", "trial_end"):
                if name in columns:
                    columns[name] = _iso_dates(columns[name], mapping.date_format)
        sources: dict[str, str | pd.Series | None] = {name: mapping.columns.get(name) for name in CANONICAL}
        return canonical_sheet(export, columns, sources), problems, []

    return Layout(
        name="map", title=f"mapped by {mapping.path.name}", source=str(mapping.path), required=(), convert=convert
    )
