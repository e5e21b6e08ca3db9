"""Reading a billing system's subscriptions export into the canonical subscriptions sheet.

A layout (Stripe, Recurly, ...) turns the export's rows into canonical columns *as
text*, keeping each value's place in the file.  The canonical validation then runs on
the result exactly as on our own template, so a bad amount in a Stripe export is
reported as ``stripe.csv!H17 (amount): 'abc' is not a number`` — the vendor file's own
cell.  Rules every layout follows (the vendors' own MRR reports do the same):

* a free trial earns no MRR (its end is the canonical ``trial_end``);
* ``interval_count`` divides: every 6 months at 600 is 100 a month;
* amounts in cents are converted to units;
* a subscription canceled at period end stops at the period end, not at the cancel click;
* past-due stays MRR until it ends;
* one-off charges are not in a subscriptions export, so never MRR;
* an unknown interval or status is an error that names the row, never silently monthly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..reader import Problem, RawSheet, column_letter

CANONICAL = (
    "customer_id",
    "customer_name",
    "plan",
    "amount",
    "interval",
    "quantity",
    "currency",
    "start_date",
    "end_date",
    "trial_end",
)

#: Interval words in exports → (canonical interval, multiplier of the count).
INTERVAL_UNITS = {
    "day": ("week", 1 / 7),
    "days": ("week", 1 / 7),
    "daily": ("week", 1 / 7),
    "week": ("week", 1),
    "weeks": ("week", 1),
    "weekly": ("week", 1),
    "month": ("month", 1),
    "months": ("month", 1),
    "monthly": ("month", 1),
    "quarter": ("quarter", 1),
    "quarterly": ("quarter", 1),
    "year": ("year", 1),
    "years": ("year", 1),
    "yearly": ("year", 1),
    "annual": ("year", 1),
    "annually": ("year", 1),
}


def normalise(name: object) -> str:
    """A header as compared: ``'Current Period End (UTC)'`` → ``current_period_end_utc``."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


@dataclass
class Export:
    """An export file read as text: normalised header → column, plus where each cell is."""

    path: Path
    frame: pd.DataFrame  # all text, "" for blank; columns are normalised names
    letters: dict[str, str]  # normalised name → column letter in the file
    rows: np.ndarray  # file line of each row
    originals: dict[str, str]  # normalised name → header as written

    @property
    def label(self) -> str:
        return self.path.name

    def has(self, *names: str) -> str | None:
        """The first of ``names`` the export has (normalised), or None."""
        return next((n for n in names if n in self.frame.columns), None)

    def text(self, *names: str) -> pd.Series:
        column = self.has(*names)
        if column is None:
            return pd.Series("", index=self.frame.index, dtype=object)
        return self.frame[column].astype(str).str.strip()

    def problem(self, message: str, column: str | None, position: int | None) -> Problem:
        return Problem(
            str(self.path),
            message,
            self.label,
            int(self.rows[position]) if position is not None else None,
            self.originals.get(column, column) if column else None,
            self.letters.get(column) if column else None,
        )


def read_export(path: Path) -> tuple[Export | None, list[Problem]]:
    """Read a CSV export as text; lines starting with '#' before the header are skipped (GA4)."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            lines = handle.read().splitlines()
    except FileNotFoundError:
        return None, [Problem(str(path), "no such file")]
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), f"not a UTF-8 text file ({exc.reason})")]
    skip = 0
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        skip += 1
    if skip >= len(lines):
        return None, [Problem(str(path), "the file is empty: it has no header row")]
    try:
        frame = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            skiprows=skip,
            encoding="utf-8-sig",
            comment=None,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        return None, [Problem(str(path), f"not a readable CSV file ({exc})")]
    originals = {normalise(c): str(c) for c in frame.columns}
    letters = {normalise(c): column_letter(i) for i, c in enumerate(frame.columns)}
    frame.columns = [normalise(c) for c in frame.columns]
    frame = frame.loc[:, ~frame.columns.duplicated()]
    rows = np.arange(len(frame)) + skip + 2
    return Export(path, frame.reset_index(drop=True), letters, rows, originals), []


class ExportWarning(str):
    """A layout's note that is a warning: a figure read from this export may mislead."""


#: What a layout's convert returns: the canonical sheet, the problems, notes on rows left out.
Converted = tuple[RawSheet, list[Problem], list[str]]


@dataclass
class Layout:
    """One export layout: how to recognise it and how to read it."""

    name: str
    title: str
    source: str  # the vendor page the columns come from
    required: tuple[tuple[str, ...], ...]  # each: acceptable names for one required column
    #: export → (canonical subscriptions sheet, problems, notes such as rows left out)
    convert: Callable[[Export], Converted]

    def missing(self, export: Export) -> list[str]:
        return [names[0] for names in self.required if export.has(*names) is None]


def amounts(values: pd.Series, *, cents: bool, per: pd.Series | None = None) -> pd.Series:
    """Parse amounts, converting cents and dividing by ``per``; unparseable text is kept for validation."""
    numbers = pd.to_numeric(values.str.replace(",", "", regex=False), errors="coerce")
    if cents:
        numbers = numbers / 100
    if per is not None:
        numbers = numbers / per
    return numbers.astype(object).where(numbers.notna(), values)


def intervals(
    units: pd.Series, counts: pd.Series, export: Export, unit_column: str | None, count_column: str | None
) -> tuple[pd.Series, pd.Series, list[Problem]]:
    """(canonical interval, divisor of the amount, problems) from an interval word and count.

    ``month`` × 6 → interval month, divisor 6; ``day`` × 14 → week, divisor 2.  An unknown
    word is kept as written so that validation reports it at its cell.
    """
    problems: list[Problem] = []
    words = units.str.lower().str.strip()
    known = words.map(lambda w: INTERVAL_UNITS.get(w))
    count = pd.to_numeric(counts.where(counts != "", "1"), errors="coerce")
    bad_count = count.isna() | (count <= 0)
    for position in np.flatnonzero(bad_count.to_numpy()):
        problems.append(
            export.problem(f"{counts.iloc[position]!r} is not a positive interval count", count_column, int(position))
        )
    canonical = pd.Series(
        [k[0] if isinstance(k, tuple) else w for k, w in zip(known, units, strict=True)],
        index=units.index,
        dtype=object,
    )
    factor = pd.Series([k[1] if isinstance(k, tuple) else 1.0 for k in known], index=units.index)
    divisor = count.fillna(1.0) * factor
    weekly_days = known.map(lambda k: isinstance(k, tuple) and k[1] != 1) & (count.fillna(0) % 7 != 0)
    for position in np.flatnonzero(weekly_days.to_numpy()):
        problems.append(
            export.problem(
                f"an interval of {counts.iloc[position] or 1} day(s) is not a whole number of weeks; "
                "give such plans a mapping file (--map)",
                unit_column,
                int(position),
            )
        )
    return canonical, divisor, problems


def status_problems(statuses: pd.Series, known: set[str], export: Export, column: str | None) -> list[Problem]:
    bad = ~statuses.str.lower().isin(known)
    listed = ", ".join(sorted(known))
    return [
        export.problem(f"unknown status {statuses.iloc[p]!r} (known: {listed})", column, int(p))
        for p in np.flatnonzero(bad.to_numpy())[:10]
    ]


def left_out_note(export: Export, keep: pd.Series, what: str) -> list[str]:
    """A note for rows a layout leaves out (never paid), or nothing."""
    dropped = int((~keep).sum())
    return [f"{export.label}: {dropped} {what} left out"] if dropped else []


def canonical_sheet(
    export: Export, columns: dict[str, pd.Series], sources: dict[str, str | None], keep: pd.Series | None = None
) -> RawSheet:
    """The canonical subscriptions sheet, each column pointing at the export column it came from."""
    frame = pd.DataFrame({name: columns[name] for name in CANONICAL if name in columns})
    frame = frame.replace({"": None})
    rows = export.rows
    if keep is not None:
        mask = keep.to_numpy(dtype=bool)
        frame, rows = frame[mask].reset_index(drop=True), rows[mask]
    letters = {name: export.letters[src] for name, src in sources.items() if src and src in export.letters}
    return RawSheet("subscriptions", str(export.path), export.label, frame, rows, letters)
