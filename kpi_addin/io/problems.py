"""What goes wrong reading the input, and where: a problem names its file, sheet, row and
column; a raw sheet (as read, before validation) knows the address of each of its cells."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import values as values_

#: Problems of one kind in one column that are listed before the rest are summarised.
MAX_LISTED = 10


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input, and where it is."""

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    letter: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.sheet:
            cell = f"{self.letter or ''}{self.row or ''}"
            where += f" {self.sheet}" + (f"!{cell}" if cell else "")
        if self.column:
            where += f" ({self.column})"
        return f"{where}: {self.message}"


class ReadNote(str):
    """A note on how the input was read (an encoding, a separator, a number convention, a
    date order): said among the notes, apart from warnings that a figure may mislead."""


class InputError(Exception):
    """The input cannot be used; ``problems`` lists every reason found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class CommandError(Exception):
    """A command cannot go on: ``lines`` say why (each printed as an error), ``summary`` sums up."""

    def __init__(self, lines: list[str], summary: str | None = None) -> None:
        self.lines = lines
        self.summary = summary
        super().__init__("\n".join(lines))


@dataclass
class RawSheet:
    """A sheet as read, before validation: text headers lowercased, cells as found."""

    name: str
    file: str
    label: str
    frame: pd.DataFrame
    rows: np.ndarray  # the sheet row number of each frame row
    letters: dict[str, str]
    notes: list[str] = field(default_factory=list)  # what was read, and how (see validate_sheet)
    #: per-row column letters, for a column taken from different export columns row by row
    cell_letters: dict[str, np.ndarray] = field(default_factory=dict)
    #: per column, cells whose problem was already reported where the sheet was made (an export)
    reported: dict[str, pd.Series] = field(default_factory=dict)

    def where(self, column: str | None = None) -> str:
        """``file sheet (column)``: where a note about a whole column points."""
        return f"{self.file} {self.label}" + (f" ({column})" if column else "")

    def problem(self, message: str, *, column: str | None = None, position: int | None = None) -> Problem:
        return Problem(
            file=self.file,
            sheet=self.label,
            message=message,
            row=int(self.rows[position]) if position is not None else None,
            column=column,
            letter=self._letter(column, position),
        )

    def _letter(self, column: str | None, position: int | None) -> str | None:
        if column is None:
            return None
        per_row = self.cell_letters.get(column)
        if per_row is not None and position is not None and per_row[position]:
            return str(per_row[position])
        return self.letters.get(column)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def report(
    raw: RawSheet, column: str, mask: pd.Series, originals: pd.Series, message: Callable[[object], str]
) -> list[Problem]:
    positions = np.flatnonzero(mask.to_numpy(dtype=bool))
    problems = [
        raw.problem(message(quoted(originals.iloc[p])), column=column, position=int(p)) for p in positions[:MAX_LISTED]
    ]
    if len(positions) > MAX_LISTED:
        problems.append(
            raw.problem(f"... and {len(positions) - MAX_LISTED:,} more rows with the same problem", column=column)
        )
    return problems


def quoted(value: object) -> object:
    """A cell value as a message quotes it: 12 not 12.0, -4 not np.int64(-4)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NaT:  # a typed date column's blank cell: blank, not the text 'NaT'
        return None
    if isinstance(value, float) and abs(value) < values_.MAX_MAGNITUDE and value == int(value):
        return int(value)
    if isinstance(value, pd.Timestamp | dt.date):
        return str(value)[:10]
    return value
