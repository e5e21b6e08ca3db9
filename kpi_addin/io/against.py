"""Another tool's monthly figures (``kpi-addin reconcile --against FILE``): a CSV with a
``month`` column and any of our monthly keys.

It is read as every export is — the encoding and separator sniffed, lines before the
header that start with ``#`` skipped (:func:`.sources.base.read_export`) — and its numbers
by the one value parser (:func:`.values.parse_numbers`, as written in a report: decimal
commas, thousands separators, currency symbols, parentheses negatives), each column's
convention decided by the column.  Every cell that is not a month or a number is a
located error; a column that is not one of our keys is named in a note, never dropped
silently.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..metrics import MONTHLY_KEYS
from . import values as values_
from .problems import CommandError, quoted
from .settings_sheet import parse_month
from .sources.base import read_export


def read_against(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The other tool's figures (``month`` plus any of our monthly keys, as numbers) and notes
    on what was read (the file's encoding and separator, the columns left aside).

    Raises :class:`CommandError` listing every cell that is not a month or a number."""
    if not path.exists():
        raise CommandError([f"{path}: no such file"], "--against names the other tool's CSV.")
    export, problems = read_export(path)
    if export is None:
        raise CommandError([str(p) for p in problems], f"{path} (--against) cannot be compared.")
    frame = export.frame
    if "month" not in frame.columns:
        found = ", ".join(export.originals.values()) or "none"
        raise CommandError([f"{path}: no 'month' column (found: {found})"])
    keys = [k for k in MONTHLY_KEYS[1:] if k in frame.columns]
    if not keys:
        raise CommandError([f"{path}: no column is one of our keys (e.g. mrr, customers, new_mrr, churned_mrr)"])
    notes = [str(n) for n in export.notes]
    aside = [export.originals[c] for c in frame.columns if c not in keys and c != "month" and c]
    if aside:
        notes.append(f"{path.name}: not one of our keys, not compared: {', '.join(aside)}")
    errors: list[str] = []

    def where(position: int, column: str) -> str:
        return f"{path} {export.letters[column]}{int(export.rows[position])} ({export.originals[column]})"

    months = []
    for position, text in enumerate(frame["month"]):
        try:
            months.append(parse_month(text, "month"))
        except ValueError:
            errors.append(f"{where(position, 'month')}: {text!r} is not a month (YYYY-MM)")
    out = pd.DataFrame({"month": months}) if not errors else pd.DataFrame()
    for key in keys:
        parsed = values_.parse_numbers(frame[key], key, written=True)
        for mask, message in parsed.checks:
            for hit in mask.to_numpy(dtype=bool).nonzero()[0]:
                errors.append(f"{where(int(hit), key)}: {message(quoted(frame[key].iloc[int(hit)]))}")
        notes += [f"{path.name}: {n}" for n in parsed.notes]
        if not errors:
            out[key] = parsed.values.to_numpy(dtype=float)
    if errors:
        raise CommandError(errors, f"{len(errors)} problem(s) in {path} (--against); nothing was compared.")
    return out, notes
