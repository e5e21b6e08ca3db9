"""Another tool's monthly figures (``kpi-addin reconcile --against FILE``): a CSV with a
``month`` column and any of our monthly keys, read as numbers with located errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..metrics import MONTHLY_KEYS
from .problems import CommandError
from .settings_sheet import parse_month


def read_against(path: Path) -> pd.DataFrame:
    """The other tool's CSV: ``month`` plus any of our monthly keys, as numbers.

    Raises :class:`CommandError` listing every cell that is not a month or a number."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise CommandError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise CommandError([f"{path}: cannot be read as CSV ({exc})"]) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "month" not in frame.columns:
        raise CommandError([f"{path}: no 'month' column (found: {', '.join(frame.columns) or 'none'})"])
    keys = [k for k in MONTHLY_KEYS[1:] if k in frame.columns]
    if not keys:
        raise CommandError([f"{path}: no column is one of our keys (e.g. mrr, customers, new_mrr, churned_mrr)"])
    problems = []
    months = []
    for row, text in enumerate(frame["month"], start=2):
        try:
            months.append(parse_month(text, "month"))
        except ValueError:
            problems.append(f"{path} row {row} (month): {text!r} is not a month (YYYY-MM)")
    out = pd.DataFrame({"month": months}) if not problems else pd.DataFrame()
    for key in keys:
        values = pd.to_numeric(frame[key].str.replace(",", "").str.strip(), errors="coerce")
        for row in frame.index[values.isna() & (frame[key].str.strip() != "")]:
            problems.append(f"{path} row {row + 2} ({key}): {frame.loc[row, key]!r} is not a number")
        if not problems:
            out[key] = values.to_numpy()
    if problems:
        raise CommandError(problems, f"{len(problems)} problem(s) in {path}; nothing was compared.")
    return out
