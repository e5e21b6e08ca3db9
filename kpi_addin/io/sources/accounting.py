"""Costs from the books: a "Profit and Loss" report by month, mapped account by account.

Read as exported (CSV, or the ``.xlsx`` Xero and QuickBooks write):

* **QuickBooks Online** (Reports → Profit and Loss, columns by month; Intuit's guide:
  https://community.intuit.com/articles/1771278): title rows (``Profit and Loss``, the
  company, the date range), a header whose first cell is blank or ``Distribution
  account`` followed by ``Jan 2025`` / ``January 2025`` … ``Total``; sections ``Income``,
  ``Cost of Goods Sold``, ``Expenses``, ``Other Income``, ``Other Expenses``; a parent
  account is a row without amounts above its sub-accounts and closed by ``Total for X``
  (older exports: ``Total X``); account names may carry their number (``6010 Google
  Ads``); ``Gross Profit``, ``Net Operating Income``, ``Net Income``; a footer such as
  ``Accrual Basis Monday, March 2, 2026``.
* **Xero** (Accounting → Reports → Profit and Loss, compared by month): title rows, a
  header ``Account`` then period columns (``30 Apr 2025`` month ends, often latest first,
  or ``Apr 2025`` / ``Apr-25``); sections ``Income`` / ``Trading Income``, ``Less Cost of
  Sales``, ``Less Operating Expenses``, ``Other Income``; ``Total …``, ``Gross Profit``,
  ``Net Profit``.

Rules: only leaf account rows are read (totals, subtotals and profit lines are derived
and skipped, so nothing counts twice); a month column is one a month can be read from
(the ``Total`` column is not); amounts ``1,200.00``, ``$1,200.00``, ``-50.00`` and
``(50.00)`` are read, a blank is 0; income accounts are revenue, never costs (their
total is noted).  Each cost account is looked up in the accounts map by its name, its
name without the account number, then each parent above it and finally its section, so
one line can map a whole group (``"Cost of Goods Sold" = "cogs"``).  An account the map
does not name is **listed in a note with its total** — never silently dropped; map it to
``"ignore"`` to leave it out on purpose (depreciation, interest, tax).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..reader import InputError, Problem, RawSheet, column_letter
from ..schema import COST_COLUMNS

IGNORE = "ignore"
TARGETS = (*COST_COLUMNS, IGNORE)
EXAMPLE_MAP = Path(__file__).resolve().parents[2] / "sample_data" / "accounts_map.example.toml"

INCOME_SECTIONS = {"income", "trading income", "revenue", "other income", "sales"}
SECTIONS = INCOME_SECTIONS | {
    "cost of goods sold",
    "cost of sales",
    "less cost of sales",
    "expenses",
    "operating expenses",
    "less operating expenses",
    "other expenses",
    "other expense",
    "less other expenses",
}
#: Derived lines: never accounts.
DERIVED = re.compile(
    r"^(total\b.*|gross profit|gross margin|net (operating )?(income|profit|loss|other income)|"
    r"operating (profit|income)|net profit after tax|ebitda?)$",
    re.IGNORECASE,
)
MONTH_FORMATS = ("%b %Y", "%B %Y", "%b-%y", "%b-%Y", "%B-%Y", "%b %y", "%d %b %Y", "%d %B %Y", "%Y-%m", "%m/%Y")


def month_of(label: object) -> pd.Timestamp | None:
    """The month a column header names (``Jan 2025``, ``30 Jun 2024``, ``Apr-25``), or None.

    >>> month_of("January 2025"), month_of("30 Jun 2024"), month_of("Apr-25"), month_of("Total")
    (Timestamp('2025-01-01 00:00:00'), Timestamp('2024-06-01 00:00:00'), Timestamp('2025-04-01 00:00:00'), None)
    """
    if isinstance(label, dt.datetime | dt.date):
        return pd.Timestamp(label.year, label.month, 1)
    text = re.sub(r"\s+", " ", str(label or "").strip())
    for fmt in MONTH_FORMATS:
        try:
            day = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return pd.Timestamp(day.year, day.month, 1)
    return None


def amount_of(value: object) -> float | None:
    """A P&L cell as a number: ``1,200.00``, ``$1,200.00``, ``(50.00)``, ``-50``; blank is 0; None if not a number.

    >>> amount_of("$1,200.50"), amount_of("(50.00)"), amount_of(""), amount_of("n/a")
    (1200.5, -50.0, 0.0, None)
    """
    if value is None:
        return 0.0
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text in ("", "-", "–"):
        return 0.0
    negative = text.startswith("(") and text.endswith(")")
    text = text.strip("()").replace(",", "")
    text = re.sub(r"^[-]?[$£€¥₩]|[$£€¥₩]$", lambda m: "-" if m.group(0).startswith("-") else "", text)
    try:
        number = float(text)
    except ValueError:
        return None
    return -number if negative else number


@dataclass
class AccountsMap:
    """The ``[accounts]`` table of a TOML file: P&L account (or parent, or section) → cost column."""

    path: Path
    targets: dict[str, str] = field(default_factory=dict)  # lowercased name → target

    @classmethod
    def load(cls, path: Path) -> AccountsMap:
        def problem(message: str) -> InputError:
            return InputError([Problem(str(path), message)])

        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise problem(f"no such file (an example: {EXAMPLE_MAP})") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise problem(f"not valid TOML: {exc}") from None
        unknown = [k for k in data if k != "accounts"]
        if unknown or not isinstance(data.get("accounts"), dict):
            raise problem(f"needs one [accounts] table of account = cost column (an example: {EXAMPLE_MAP})")
        mapping = cls(path)
        for name, target in data["accounts"].items():
            if not isinstance(target, str) or target.strip().lower() not in TARGETS:
                raise problem(f"accounts.{name!r}: {target!r} is not one of {', '.join(TARGETS)}")
            mapping.targets[_key(name)] = target.strip().lower()
        return mapping

    def target(self, names: list[str]) -> str | None:
        """The target of the first of ``names`` (the account, then its parents) the map names."""
        for name in names:
            for key in (_key(name), _key(_without_number(name))):
                if key in self.targets:
                    return self.targets[key]
        return None


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def _without_number(name: str) -> str:
    """``6010 Google Ads`` / ``6010 - Google Ads`` → ``Google Ads``."""
    return re.sub(r"^\d[\d.\-]*\s*(-\s*)?", "", name.strip())


def _grid(path: Path) -> tuple[list[list[Any]], str]:
    """All cells of the file (the first sheet of a workbook) and the label used in messages."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            workbook = CalamineWorkbook.from_path(str(path))
            sheet = workbook.sheet_names[0]
            return workbook.get_sheet_by_name(sheet).to_python(skip_empty_area=False), f"{path.name} {sheet}"
        except (CalamineError, OSError, ValueError, IndexError) as exc:
            raise InputError([Problem(str(path), f"not a readable Excel workbook ({exc})")]) from None
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem(str(path), "no such file")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")  # Excel on Windows saves CSV as ANSI
    return [list(row) for row in csv.reader(text.splitlines())], path.name


@dataclass
class CostsRead:
    """What a P&L gave: the canonical costs sheet and notes on what was read and left out."""

    sheet: RawSheet
    notes: list[str]
    layout: str


def read_costs(path: Path, accounts: Path) -> CostsRead:
    """Read a P&L by month into the canonical ``costs`` sheet; raises :class:`InputError` naming bad cells."""
    mapping = AccountsMap.load(accounts)
    grid, label = _grid(path)
    header_at = next(
        (i for i, row in enumerate(grid) if sum(month_of(c) is not None for c in row[1:]) >= 1),
        None,
    )
    if header_at is None:
        raise InputError(
            [
                Problem(
                    str(path),
                    "not a Profit and Loss by month: no header row with months (Jan 2025, 31 Jan 2025) found",
                )
            ]
        )
    header = grid[header_at]
    months: dict[int, pd.Timestamp] = {}
    for i, cell in enumerate(header):
        month = month_of(cell) if i > 0 else None
        if month is not None:
            months[i] = month
    texts = " | ".join(str(r[0]).strip().lower() for r in grid if r)
    if str(header[0]).strip().lower() == "account" or "less operating expenses" in texts or "net profit" in texts:
        layout = "Xero Profit and Loss"
    elif "total for " in texts or "net operating income" in texts or "distribution account" in texts:
        layout = "QuickBooks Online Profit and Loss"
    else:
        layout = "Profit and Loss"
    problems: list[Problem] = []
    totals = {c: dict.fromkeys(months.values(), 0.0) for c in COST_COLUMNS}
    unmapped: dict[str, float] = {}
    ignored: dict[str, float] = {}
    income = 0.0
    mapped: set[str] = set()
    parents: list[str] = []
    section = ""
    for at in range(header_at + 1, len(grid)):
        row = grid[at]
        name = str(row[0]).strip() if row and row[0] is not None else ""
        if not name:
            continue
        cells = {i: row[i] if i < len(row) else None for i in months}
        values = {i: amount_of(v) for i, v in cells.items()}
        has_amounts = any(v not in (None, "") for v in cells.values())
        if DERIVED.match(name):
            closed = _key(re.sub(r"^total( for)?\s+", "", name, flags=re.IGNORECASE))
            keys = [_key(p.removeprefix("Less ").removeprefix("less ")) for p in parents]
            if closed in keys:  # "Total for X" closes X and everything opened inside it
                del parents[keys.index(closed) :]
            continue
        if not has_amounts:
            if _key(name) in SECTIONS:
                section, parents = name, [name]
            else:
                parents.append(name)
            continue
        for i, value in values.items():
            if value is None:
                problems.append(
                    Problem(
                        str(path),
                        f"{cells[i]!r} is not an amount (account {name!r})",
                        label,
                        at + 1,
                        str(header[i]),
                        column_letter(i),
                    )
                )
        if problems:
            continue
        amounts = {months[i]: values[i] or 0.0 for i in months}
        if _key(section) in INCOME_SECTIONS:
            income += sum(amounts.values())
            continue
        target = mapping.target([name, *reversed(parents)])
        total = sum(amounts.values())
        where = f"{name} ({' › '.join(parents)})" if parents else name
        if target is None:
            unmapped[where] = unmapped.get(where, 0.0) + total
        elif target == IGNORE:
            ignored[where] = ignored.get(where, 0.0) + total
        else:
            mapped.add(target)
            for month, value in amounts.items():
                totals[target][month] += value
    if problems:
        raise InputError(problems)
    ordered = sorted(set(months.values()))
    frame = pd.DataFrame(
        {"month": [m.strftime("%Y-%m") for m in ordered], **{c: [totals[c][m] for m in ordered] for c in COST_COLUMNS}}
    )
    # The P&L lists every account with activity, and each is mapped or noted: a column
    # no account fed is a cost of 0, said in a note (not absent, which would blank KPIs).
    unfed = [c for c in COST_COLUMNS if c not in mapped]
    notes = [
        f"{path.name}: recognised as a {layout} ({len(ordered)} months, "
        f"{ordered[0]:%Y-%m} to {ordered[-1]:%Y-%m}); accounts mapped by {accounts.name}"
    ]
    if income:
        notes.append(f"{path.name}: income accounts ({income:,.2f}) are revenue, not costs: not read")
    if unmapped:
        listed = "; ".join(f"{k}: {v:,.2f}" for k, v in sorted(unmapped.items(), key=lambda kv: -abs(kv[1])))
        notes.append(
            f"{path.name}: {len(unmapped)} account(s) not in {accounts.name}, left out of the costs "
            f'({sum(unmapped.values()):,.2f} in all): {listed}. Map each to a cost column or to "ignore"'
        )
    if unfed:
        notes.append(f"{path.name}: no account is mapped to {', '.join(unfed)}: 0 in every month")
    if ignored:
        notes.append(
            f'{path.name}: {len(ignored)} account(s) mapped to "ignore" ({sum(ignored.values()):,.2f}): '
            + "; ".join(ignored)
        )
    letters = {"month": column_letter(min(months))}
    rows = np.full(len(frame), header_at + 1, dtype=np.int64)
    return CostsRead(RawSheet("costs", str(path), label, frame.reset_index(drop=True), rows, letters), notes, layout)
