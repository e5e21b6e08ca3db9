"""Costs from the books: a "Profit and Loss" report by month, mapped account by account.

Read as exported (CSV with any separator and encoding, or the ``.xlsx`` Xero and
QuickBooks write), in the locale it was written in:

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

**Structure, never names.**  The statement's own structure says what a row is: a row
without amounts opens a group that its ``Total …`` row closes; a group opened when no
other is open is a *section*; ``Gross Profit``, ``Net Income`` and the like stand between
sections.  A section is income or costs by its heading (Income, Trading Income, Revenue,
Other Income — Cost of Goods Sold, Cost of Sales, Expenses, Operating Expenses, Other
Expenses, and the same headings in French, German and Korean: :data:`INCOME_HEADINGS`,
:data:`COST_HEADINGS`); the statement's first section is its income whatever it is called.
An account's own name never moves it: an expense parent called ``Sales`` (sales salaries
under it) is a parent inside Expenses, not an income section.  Accounts under a heading
the reader does not know are **listed with their totals** and counted only when the map
names them.

**Amounts** are read by the one number reader (:mod:`kpi_addin.io.values`): ``1,200.00``,
``$1,200.00``, ``-$5,396.47``, ``(50.00)``, ``1 000,00`` (French), ``1.000,00`` (German),
``₩1,200,000``; the decimal convention is decided by the whole statement's cells.  A blank
is 0.  A workbook cell holding a formula saved without its value, or an Excel error, is an
error naming the cell (never read as 0).

Rules: only leaf account rows are read (totals, subtotals and profit lines are derived
and skipped, so nothing counts twice); a month column is one a month can be read from
(the ``Total`` column is not); income accounts are never costs: they are ``revenue`` (as
booked; one mapped to "ignore", such as interest income, is left out) and, when the map
names them ``recurring_revenue``, recurring revenue too (their totals are noted).
Each cost account is looked up in the accounts map by its name, its name
without the account number, then each parent above it and finally its section, so one
line can map a whole group (``"Cost of Goods Sold" = "cogs"``).  An account the map does
not name is **listed in a note with its total** — never silently dropped; map it to
``"ignore"`` to leave it out on purpose (depreciation, interest, tax).  A cost column
that nets negative in a month (a credit larger than the month's spend) is a warning
naming the month and the accounts, and counts as 0 that month.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import files, workbook_guard
from .. import values as values_
from ..problems import InputError, Problem, RawSheet, column_letter
from ..schema import COST_COLUMNS
from .base import ExportWarning
from .pnl_lines import LINE_TARGETS, Amounts, profit_lines
from .pnl_words import COST_HEADINGS, DERIVED, INCOME_HEADINGS, LESS, TOTAL, month_of

IGNORE = "ignore"
#: The operating expenses beyond the costs a P&L account can be (a column no account feeds is 0).
EXPENSE_COLUMNS = (*COST_COLUMNS, "research_development", "general_administrative")
#: Income accounts: every one counts in ``revenue`` (revenue as booked) unless mapped to
#: "ignore" (interest income); those mapped here are also ``recurring_revenue``.
RECURRING = "recurring_revenue"
#: Balance-sheet accounts (bank, cash equivalents) whose month-end balances are the cash.
CASH = "cash"
TARGETS = (*EXPENSE_COLUMNS, RECURRING, CASH, *LINE_TARGETS, IGNORE)
EXAMPLE_MAP = Path(__file__).resolve().parents[2] / "sample_data" / "accounts_map.example.toml"


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
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except FileNotFoundError:
            raise problem(f"no such file (an example: {EXAMPLE_MAP})") from None
        except IsADirectoryError:
            raise problem("is a folder, not an accounts map") from None
        except OSError as exc:
            raise problem(f"cannot be read ({exc.strerror or exc})") from None
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


def _heading(name: str) -> str:
    """A heading as compared: lower case, no account number, no ``Less``."""
    return LESS.sub("", _key(_without_number(name)))


def _without_number(name: str) -> str:
    """``6010 Google Ads`` / ``6010 - Google Ads`` → ``Google Ads``."""
    return re.sub(r"^\d[\d.\-]*\s*(-\s*)?", "", name.strip())


def _grid(path: Path) -> tuple[list[list[object]], str, list[str]]:
    """All cells of the file (the first sheet of a workbook) and the label used in messages.

    A workbook passes the workbook guard first; a CSV the sniffer (encoding, separator).
    """
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        try:
            cells, sheet, scan = workbook_guard.first_sheet(path)
        except workbook_guard.WorkbookRefused as exc:
            raise InputError([Problem(str(path), str(exc))]) from None
        if scan.bad_cells:
            problems = [
                Problem(str(path), message, sheet, row, None, letter) for letter, row, message in scan.bad_cells
            ]
            if scan.more_bad_cells:
                problems.append(Problem(str(path), f"... and {scan.more_bad_cells:,} more such cells", sheet))
            raise InputError(problems)
        return [list(row) for row in cells], f"{path.name} {sheet}", []
    try:
        text, fmt = files.read_text(path)
    except files.TextFileError as exc:
        raise InputError([Problem(str(path), str(exc))]) from None
    except OSError as exc:
        raise InputError([Problem(str(path), f"cannot read the file ({exc.strerror or exc})")]) from None
    try:
        # one record per spreadsheet row: a blank line is an empty row, as a spreadsheet shows it
        rows: list[list[object]] = [
            list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=fmt.delimiter)
        ]
    except csv.Error as exc:
        raise InputError([Problem(str(path), f"not a readable CSV file ({exc})")]) from None
    notes = [f"{path.name}: {fmt.note}"] if fmt.note else []
    if fmt.delimiter != ",":
        notes.append(f"{path.name}: fields separated by {'tabs' if fmt.delimiter == chr(9) else repr(fmt.delimiter)}")
    return rows, path.name, notes


@dataclass
class CostsRead:
    """What a P&L gave: the canonical costs sheet and notes on what was read and left out."""

    sheet: RawSheet
    notes: list[str]
    layout: str


@dataclass
class _Account:
    name: str
    parents: list[str]  # the open groups above it, the section first
    section: str  # "income", "cost" or "" (a heading the reader does not know)
    amounts: dict[pd.Timestamp, float]
    row: int  # the spreadsheet row


def _section_kind(name: str, first: bool) -> str:
    heading = _heading(name)
    if heading in INCOME_HEADINGS:
        return "income"
    if heading in COST_HEADINGS:
        return "cost"
    return "income" if first else ""


def _closed(name: str) -> tuple[str | None, bool]:
    """The group a total row would close (``Total for Expenses`` → ``expenses``; ``매출원가 합계``
    → ``매출원가``), and whether the row starts with a total word (then it is never an account;
    a trailing one, as in ``회계``, counts only when it closes an open group)."""
    match = TOTAL.match(name.strip())
    if match is None:
        return None, False
    if match.group("a") is not None:
        return _heading(match.group("a")), True
    return _heading(match.group("b") or ""), False


def _amounts(grid: list[list[object]], header_at: int, months: dict[int, pd.Timestamp]) -> values_.Parsed:
    """Every month cell below the header, read by the one number reader as one column (the
    statement's decimal convention is decided by all its cells)."""
    cells = [
        (grid[at][i] if i < len(grid[at]) else None) for at in range(header_at + 1, len(grid)) for i in sorted(months)
    ]
    series = pd.Series(cells, dtype=object).map(lambda v: None if isinstance(v, str) and v.strip() == "–" else v)
    return values_.parse_numbers(series, written=True)


def read_costs(path: Path, accounts: Path) -> CostsRead:
    """Read a P&L by month into the canonical ``costs`` sheet; raises :class:`InputError` naming bad cells."""
    mapping = AccountsMap.load(accounts)
    statement = _statement(path, "Profit and Loss")
    grid, label, read_notes, header_at, months, parsed, found, unknown, lines = statement
    layout = _layout(grid, grid[header_at])
    read = _costs(path, accounts, label, layout, mapping, found, unknown, months, header_at, parsed)
    profit, notes = profit_lines(lines, lambda name: mapping.target([name]), path.name, accounts.name)
    frame = read.sheet.frame
    for column, amounts in profit.items():
        frame[column] = [amounts[pd.Timestamp(f"{m}-01")] for m in frame["month"]]
    read.notes[1:1] = notes
    read.notes[1:1] = read_notes
    return read


def read_cash(path: Path, accounts: Path) -> CostsRead:
    """Cash at each month end from a Balance Sheet by month (QuickBooks Online or Xero, CSV or
    xlsx): the balances of the accounts the map names ``cash`` (an account, its parent such as
    QuickBooks' ``Bank Accounts``, or its section such as Xero's ``Bank``), summed by month.
    Read like a P&L (the same structure, amounts and month headers); every other account is
    left out, counted in a note.  Raises :class:`InputError` when no account is cash."""
    mapping = AccountsMap.load(accounts)
    grid, label, read_notes, header_at, months, parsed, found, _unknown, _lines = _statement(path, "Balance Sheet")
    ordered = sorted(set(months.values()))
    cash = dict.fromkeys(ordered, 0.0)
    named: list[str] = []
    for account in found:
        if mapping.target([account.name, *reversed(account.parents)]) == CASH:
            named.append(account.name)
            for month, value in account.amounts.items():
                cash[month] += value
    if not named:
        raise InputError(
            [Problem(str(path), f'no account is mapped to cash in {accounts.name} (e.g. "Bank Accounts" = "cash")')]
        )
    texts = " | ".join(str(r[0]).strip().lower() for r in grid if r and r[0] is not None)
    header = grid[header_at]
    layout = "Xero Balance Sheet" if str(header[0]).strip().lower() == "account" else "Balance Sheet"
    layout = "QuickBooks Online Balance Sheet" if "total for " in texts else layout
    notes = [
        f"{path.name}: recognised as a {layout} ({len(ordered)} months, {ordered[0]:%Y-%m} to {ordered[-1]:%Y-%m}); "
        f"cash at month end = {', '.join(named)}; {len(found) - len(named)} other account(s) not read",
        *read_notes,
        *(f"{path.name}: amounts {n}" for n in parsed.notes),
    ]
    frame = pd.DataFrame({"month": [m.strftime("%Y-%m") for m in ordered], CASH: [cash[m] for m in ordered]})
    rows = np.full(len(frame), header_at + 1, dtype=np.int64)
    letters = {"month": column_letter(min(months))}
    return CostsRead(RawSheet("costs", str(path), label, frame, rows, letters), notes, layout)


_Grid = list[list[object]]
#: A statement read: grid, label, notes, header row, month columns, amounts, accounts, unknown headings, lines.
_Read = tuple[_Grid, str, list[str], int, dict[int, pd.Timestamp], values_.Parsed, list[_Account], list[str], list]


def _statement(path: Path, what: str) -> _Read:
    """A statement by month read to its accounts: the grid, its label, notes on how it was
    read, the header row, the month columns, the parsed amounts, the accounts with their
    place and the headings not known as income or costs."""
    grid, label, read_notes = _grid(path)
    header_at = next(
        (i for i, row in enumerate(grid) if sum(month_of(c) is not None for c in row[1:]) >= 1),
        None,
    )
    if header_at is None:
        raise InputError(
            [
                Problem(
                    str(path),
                    f"not a {what} by month: no header row with months (Jan 2025, 31 Jan 2025) found",
                )
            ]
        )
    header = grid[header_at]
    months = {i: m for i, cell in enumerate(header) if i > 0 and (m := month_of(cell)) is not None}
    parsed = _amounts(grid, header_at, months)
    order = sorted(months)
    width = len(order)
    bad = np.zeros(len(parsed.values), dtype=bool)
    problems: list[Problem] = []
    for mask, message in parsed.checks:
        for position in np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool) & ~bad)[:10]:
            at, i = header_at + 1 + position // width, order[position % width]
            account = str(grid[at][0]).strip() if grid[at] and grid[at][0] is not None else ""
            value = grid[at][i]
            problems.append(
                Problem(
                    str(path),
                    f"{message(value)} (account {account!r})",
                    label,
                    at + 1,
                    str(header[i]),
                    column_letter(i),
                )
            )
        bad |= mask.fillna(False).to_numpy(dtype=bool)
    if problems:
        raise InputError(problems)
    number = parsed.values.fillna(0.0).to_numpy(dtype=float).reshape(-1, width) if width else np.zeros((0, 0))
    filled = (~values_.blank_mask(parsed.values)[0]).to_numpy(dtype=bool).reshape(-1, width)
    found, unknown, lines = _structure(grid, header_at, months, order, number, filled)
    return grid, label, read_notes, header_at, months, parsed, found, unknown, lines


def _layout(grid: list[list[object]], header: list[object]) -> str:
    texts = " | ".join(str(r[0]).strip().lower() for r in grid if r and r[0] is not None)
    if str(header[0]).strip().lower() == "account" or "less operating expenses" in texts or "net profit" in texts:
        return "Xero Profit and Loss"
    if "total for " in texts or "net operating income" in texts or "distribution account" in texts:
        return "QuickBooks Online Profit and Loss"
    return "Profit and Loss"


def _structure(
    grid: list[list[object]],
    header_at: int,
    months: dict[int, pd.Timestamp],
    order: list[int],
    number: np.ndarray,
    filled: np.ndarray,
) -> tuple[list[_Account], list[str], list[tuple[str, Amounts]]]:
    """The accounts with their place in the statement, read from its structure alone, the
    headings not known, and the derived lines with amounts (Net Income...: :mod:`.pnl_lines`)."""
    stack: list[str] = []  # open groups, the section first
    section = ""
    sections_seen = 0
    unknown: list[str] = []
    found: list[_Account] = []
    lines: list[tuple[str, Amounts]] = []
    for offset, at in enumerate(range(header_at + 1, len(grid))):
        row = grid[at]
        name = str(row[0]).strip() if row and row[0] is not None else ""
        if not name:
            continue
        has_amounts = bool(filled[offset].any()) if len(order) else False
        if DERIVED.match(name):
            stack, section = [], ""  # between sections
            if has_amounts:
                lines.append((name, {months[i]: float(number[offset, j]) for j, i in enumerate(order)}))
            continue
        closed, prefixed = _closed(name)
        keys = [_heading(p) for p in stack]
        if closed is not None and closed in keys:  # "Total for X" closes X and everything opened inside it
            del stack[keys.index(closed) :]
            section = section if stack else ""
            continue
        if prefixed:  # "Total …" of nothing open: a derived line, never an account
            continue
        if not has_amounts:
            if not stack:  # a heading when no group is open: a section
                section = _section_kind(name, first=sections_seen == 0)
                sections_seen += 1
                if not section:
                    unknown.append(name)
            stack.append(name)
            continue
        amounts = {months[i]: float(number[offset, j]) for j, i in enumerate(order)}
        found.append(_Account(name, list(stack), section if stack else "", amounts, at + 1))
    return found, unknown, lines


def _costs(
    path: Path,
    accounts: Path,
    label: str,
    layout: str,
    mapping: AccountsMap,
    found: list[_Account],
    unknown_headings: list[str],
    months: dict[int, pd.Timestamp],
    header_at: int,
    parsed: values_.Parsed,
) -> CostsRead:
    ordered = sorted(set(months.values()))
    totals = {c: dict.fromkeys(ordered, 0.0) for c in (*EXPENSE_COLUMNS, "revenue", RECURRING)}
    contributions: dict[tuple[str, pd.Timestamp], list[tuple[str, float]]] = {}
    unmapped: dict[str, float] = {}
    unplaced: dict[str, float] = {}
    ignored: dict[str, float] = {}
    income = 0.0
    mapped: set[str] = set()
    for account in found:
        total = sum(account.amounts.values())
        where = f"{account.name} ({' › '.join(account.parents)})" if account.parents else account.name
        target = mapping.target([account.name, *reversed(account.parents)])
        if account.section == "income":
            if target == IGNORE:
                ignored[where] = ignored.get(where, 0.0) + total
                continue
            income += total
            for month, value in account.amounts.items():
                totals["revenue"][month] += value
                if target == RECURRING:
                    totals[RECURRING][month] += value
            mapped.update(("revenue", RECURRING) if target == RECURRING else ("revenue",))
            continue
        if target in (RECURRING, CASH, *LINE_TARGETS):  # only income is revenue; cash a balance; profit a line
            target = None
        if target is None:
            (unmapped if account.section else unplaced)[where] = (unmapped if account.section else unplaced).get(
                where, 0.0
            ) + total
        elif target == IGNORE:
            ignored[where] = ignored.get(where, 0.0) + total
        else:
            mapped.add(target)
            for month, value in account.amounts.items():
                totals[target][month] += value
                if value:
                    contributions.setdefault((target, month), []).append((account.name, value))
    notes: list[str] = [
        f"{path.name}: recognised as a {layout} ({len(ordered)} months, "
        f"{ordered[0]:%Y-%m} to {ordered[-1]:%Y-%m}); accounts mapped by {accounts.name}"
    ]
    notes += [f"{path.name}: amounts {n}" for n in parsed.notes]
    for column in EXPENSE_COLUMNS:
        for month in ordered:
            if totals[column][month] < -0.005:
                parts = sorted(contributions.get((column, month), []), key=lambda kv: kv[1])
                listed = "; ".join(f"{name} {value:,.2f}" for name, value in parts)
                notes.append(
                    ExportWarning(
                        f"{path.name}: {column} nets {totals[column][month]:,.2f} in {month:%Y-%m} "
                        f"(a credit larger than the month's spend: {listed}); counted as 0 that month"
                    )
                )
                totals[column][month] = 0.0
    # The P&L lists every account with activity, and each is mapped or noted: an expense
    # column no account fed is a cost of 0, said in a note (not absent, which would blank
    # KPIs).  Revenue is the income accounts; recurring revenue only where the map names
    # some (else absent: the gross margin takes MRR, and says so).
    columns = [*EXPENSE_COLUMNS, "revenue", *([RECURRING] if RECURRING in mapped else [])]
    frame = pd.DataFrame(
        {"month": [m.strftime("%Y-%m") for m in ordered], **{c: [totals[c][m] for m in ordered] for c in columns}}
    )
    unfed = [c for c in EXPENSE_COLUMNS if c not in mapped]
    if income:
        recurring = sum(totals[RECURRING].values())
        of_it = f", {recurring:,.2f} of it recurring (mapped to {RECURRING})" if RECURRING in mapped else ""
        notes.append(f"{path.name}: income accounts ({income:,.2f}) are revenue as booked{of_it}")
    if unmapped:
        listed = "; ".join(f"{k}: {v:,.2f}" for k, v in sorted(unmapped.items(), key=lambda kv: -abs(kv[1])))
        notes.append(
            f"{path.name}: {len(unmapped)} account(s) not in {accounts.name}, left out of the costs "
            f'({sum(unmapped.values()):,.2f} in all): {listed}. Map each to a cost column or to "ignore"'
        )
    if unplaced:
        listed = "; ".join(f"{k}: {v:,.2f}" for k, v in sorted(unplaced.items(), key=lambda kv: -abs(kv[1])))
        headings = (
            f" (headings not known as income or costs: {', '.join(unknown_headings)})" if unknown_headings else ""
        )
        notes.append(
            ExportWarning(
                f"{path.name}: {len(unplaced)} account(s) are not under an income or cost section of the "
                f"statement{headings}, left out ({sum(unplaced.values()):,.2f} in all): {listed}. "
                f"Name each in {accounts.name} to count it as a cost"
            )
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
