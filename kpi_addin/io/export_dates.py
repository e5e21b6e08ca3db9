"""Dates across an export's columns: the day/month order a file's slashed dates prove
(Excel re-saves a whole file in one locale), those dates rewritten ISO, and a column's
dates with the cells that are none (for readers that report their own cells)."""

from __future__ import annotations

import pandas as pd

from .values import DATE_HINT, DAY_FIRST, SLASHED, Parsed, as_text, orders_seen, parse_dates


def date_orders(values: pd.Series) -> tuple[set[str], str | None]:
    """The orders a column's slashed dates prove (none, one, or both), and a cell that shows it."""
    text = as_text(values)
    parts = text.str.extract(SLASHED)
    found = parts[0].notna()
    if not found.any():
        return set(), None
    first, second = parts.loc[found, 0].astype(int), parts.loc[found, 2].astype(int)
    dotted = parts.loc[found, 1] == "."
    seen = orders_seen(first, second, dotted)
    proof = (first > 12) | dotted if seen == {DAY_FIRST} else second > 12
    example = str(text[found][proof].iloc[0]) if len(seen) == 1 else None
    return seen, example


def file_date_order(columns: dict[str, pd.Series]) -> tuple[str | None, str]:
    """The day/month order of a file's slashed dates, decided across its date columns.

    Excel re-saves a whole file in one locale, so a column whose dates are all ambiguous
    (``4/3/2025 10:30``) takes the order another column proves (``1/20/2026 12:00``).
    Returns (order or None when nothing settles it or columns disagree, what settled it).
    """
    proofs: dict[str, str] = {}
    for name, values in columns.items():
        seen, example = date_orders(values)
        if len(seen) == 1 and example is not None:
            proofs.setdefault(next(iter(seen)), f"{name}: {example!r}")
    if len(proofs) != 1:
        return None, ""
    order, source = next(iter(proofs.items()))
    return order, source


def slashed_as_iso(values: pd.Series, order: str) -> pd.Series:
    """Text cells with slashed dates rewritten ISO in ``order`` (the time after them kept);
    every other cell as it was."""
    text = values.astype(object).fillna("").astype(str)
    parts = text.str.extract(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4})(.*)$")
    found = parts[0].notna() & text.str.fullmatch(SLASHED).fillna(False)
    if not found.any():
        return values
    day, month = (parts[0], parts[1]) if order == DAY_FIRST else (parts[1], parts[0])
    iso = parts[2] + "-" + month.str.zfill(2) + "-" + day.str.zfill(2) + parts[3].str.replace(r"^,\s*", " ", regex=True)
    return values.astype(object).where(~found, iso)


def dates_and_bad(values: pd.Series, *, order: str | None = None, order_source: str = "") -> tuple[Parsed, pd.Series]:
    """The column's dates, and a mask of non-blank cells that are no date (for readers that
    report their own cells; the messages are in ``checks``)."""
    parsed = parse_dates(values, order=order, order_source=order_source)
    bad = pd.Series(False, index=values.index)
    for mask, _message in parsed.checks:
        bad |= mask.fillna(False).to_numpy(dtype=bool)
    parsed.values = parsed.values.where(~bad)
    return parsed, bad


def first_message(parsed: Parsed, position: int, value: object) -> str:
    """The message of the first check that holds at ``position``."""
    for mask, message in parsed.checks:
        if bool(mask.fillna(False).iloc[position]):
            return message(value)
    return f"{value!r} is not {DATE_HINT}"
