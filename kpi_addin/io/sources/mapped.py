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

[statuses]                     # optional: your status words → ours (see STATUSES)
"Gekündigt" = "canceled"

A status column (``status = "State"`` in ``[columns]``, or a column headed Status, State or
Subscription Status) is read with the billing readers' rules: a canceled, expired or unpaid
row needs its end date (an error at its status cell, never MRR forever), a paused one the
end of the period it paid for, a trial its trial end; never-paid rows are left out.
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
from .base import (
    CANONICAL,
    INTERVAL_UNITS,
    Converted,
    Export,
    ExportWarning,
    Layout,
    amounts,
    canonical_sheet,
    left_out_note,
    normalise,
    numbers,
)

MAPPABLE = (*CANONICAL, "interval_count", "status")
#: Status words of the billing exports (:mod:`.stripe`, :mod:`.chargify`, :mod:`.recurly`), by
#: what they mean for MRR.  ``unpaid`` is churn as Stripe counts it; Recurly's ``canceled``
#: (live until it expires) is read here as ended, what the word means in a file of one's own.
STATUSES = {
    "live": {"active", "live", "past_due", "soft_failure", "trialing", "in_trial", "assessing", "pending_renewal"},
    "ending": {"pending_cancellation", "non_renewing"},
    "ended": {"canceled", "cancelled", "expired", "ended", "trial_ended", "churned", "inactive"},
    "unpaid": {"unpaid"},
    "held": {"paused", "on_hold", "suspended"},
    "never_paid": {"incomplete", "incomplete_expired", "future", "failed", "awaiting_signup", "failed_to_create"},
}
#: What a row of each kind needs beside it when its end date is blank.
NEEDS_END = {
    "ended": "give the date it ended",
    "unpaid": "give the date it stopped being paid (the start of the unpaid period)",
    "held": "give the end of the period it paid for",
}
TRIALS = {"trialing", "in_trial"}
STATUS_HEADERS = ("status", "state", "subscription_status")
REQUIRED = ("customer_id", "amount", "start_date")


SECTIONS = {
    "columns": None,  # any of MAPPABLE
    "amounts": ("unit",),
    "intervals": None,  # any name of yours
    "defaults": ("interval",),
    "dates": ("format",),
    "statuses": None,  # any word of yours
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
        kinds = {word: kind for kind, words in STATUSES.items() for word in words}
        self.statuses: dict[str, str] = dict(kinds)
        for word, ours in sections["statuses"].items():
            kind = kinds.get(str(ours).strip().lower()) or (ours if ours in STATUSES else None)
            if kind is None:
                raise MappingError(
                    path,
                    f"statuses.{word}",
                    f"must be one of our status words ({', '.join(sorted(kinds))}), got {ours!r}",
                )
            self.statuses[word.strip().lower()] = kind
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
        keep, at_status, notes = _statuses(export, mapping, columns)
        problems += at_status
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
        return canonical_sheet(export, columns, sources, keep), problems, notes

    return Layout(
        name="map", title=f"mapped by {mapping.path.name}", source=str(mapping.path), required=(), convert=convert
    )


def _statuses(
    export: Export, mapping: Mapping, columns: dict[str, pd.Series]
) -> tuple[pd.Series | None, list[Problem], list[str]]:
    """The status column's rules (see the module's docstring): the rows kept, the problems
    at status cells, the notes.  No status column: every row is kept as it is."""
    header = mapping.columns.get("status")
    notes: list[str] = []
    if header is None:
        header = next(
            (h for h in STATUS_HEADERS if h in export.frame.columns and h not in mapping.columns.values()), None
        )
        if header is None:
            return None, [], []
        notes.append(
            f"{export.label}: its {export.originals[header]} column is read as the status "
            "(name it in the mapping's [columns] as status = ... to say so)"
        )
    words = export.text(header).str.strip().str.lower()
    kind = words.map(mapping.statuses)
    problems: list[Problem] = []
    listed = ", ".join(sorted(mapping.statuses))
    for position in np.flatnonzero(kind.isna().to_numpy())[:10]:
        word = export.text(header).iloc[position]
        message = f"unknown status {word!r}" if word else "the status is blank"
        problems.append(
            export.problem(f"{message} (known: {listed}; add yours to the mapping's [statuses])", header, int(position))
        )
    blank = pd.Series("", index=words.index, dtype=object)
    end = columns.get("end_date", blank)
    end_header = mapping.columns.get("end_date")
    end_name = export.originals.get(end_header or "", "an end date column")
    for what, need in NEEDS_END.items():
        for position in np.flatnonzero(((kind == what) & (end == "")).to_numpy())[:10]:
            word = export.text(header).iloc[position]
            problems.append(export.problem(f"{word!r} but {end_name} is blank; {need}", header, int(position)))
    trial = columns.get("trial_end", blank)
    trial_name = export.originals.get(mapping.columns.get("trial_end") or "", "a trial end column")
    for position in np.flatnonzero((words.isin(TRIALS) & (trial == "")).to_numpy())[:10]:
        word = export.text(header).iloc[position]
        problems.append(
            export.problem(f"{word!r} but {trial_name} is blank; give the trial's end", header, int(position))
        )
    unpaid = int((kind == "unpaid").sum())
    if unpaid:
        notes.append(
            ExportWarning(f"{export.label}: {unpaid} unpaid subscription(s) are not MRR from their end date (churn)")
        )
    keep = kind != "never_paid"
    notes += left_out_note(export, keep, "subscription(s) never paid are")
    return keep, problems, notes
