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

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import export_dates, files, schema
from .. import values as values_
from ..problems import Problem, RawSheet, ReadNote, column_letter
from .attributes import export_attributes

#: The canonical subscriptions columns an export becomes, in the schema's order (one table: io/schema.py).
CANONICAL = tuple(c.name for c in schema.SUBSCRIPTIONS.columns)
#: Interval words in exports → (canonical interval, multiplier of the count): the schema's one table.
INTERVAL_UNITS = schema.INTERVAL_UNITS


def normalise(name: object) -> str:
    """A header as compared: ``'Current Period End (UTC)'`` → ``current_period_end_utc``."""
    return re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")


@dataclass(frozen=True)
class Aliases:
    """One layout's column table: each role (``amount``, ``status``, ...) → the export
    headers it may have (normalised, preferred first).  The layout reads its cells and
    reports their places through this one table, so a message never loses its cell."""

    names: dict[str, tuple[str, ...]]
    required: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = [r for r in self.required if r not in self.names]
        if unknown:
            raise ValueError(f"required roles without aliases: {unknown}")

    def column(self, export: Export, role: str) -> str | None:
        """The export's column for ``role`` (the first alias it has), or None."""
        return export.has(*self.names[role])

    def missing(self, export: Export) -> list[str]:
        return [self.names[role][0] for role in self.required if self.column(export, role) is None]


@dataclass
class Export:
    """An export file read as text: normalised header → column, plus where each cell is."""

    path: Path
    frame: pd.DataFrame  # all text, "" for blank; columns are normalised names
    letters: dict[str, str]  # normalised name → column letter in the file
    rows: np.ndarray  # file line of each row
    originals: dict[str, str]  # normalised name → header as written
    notes: list[str] = field(default_factory=list)  # how the file was read (encoding, duplicates)
    aliases: Aliases | None = None  # the layout's column table, once a layout reads the export
    #: problems found while converting (e.g. an amount), reported at their cells ...
    problems: list[Problem] = field(default_factory=list)
    #: ... and, per canonical column, the cells they cover (validation does not report them again)
    reported: dict[str, pd.Series] = field(default_factory=dict)
    #: the readers' rule options chosen (:data:`kpi_addin.io.sources.RULES`)
    rules: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.path.name

    def has(self, *names: str) -> str | None:
        """The first of ``names`` the export has (normalised), or None."""
        return next((n for n in names if n in self.frame.columns), None)

    def role(self, role: str) -> str | None:
        """The column of ``role`` in the layout's alias table, or None."""
        assert self.aliases is not None, "a layout sets export.aliases before reading roles"
        return self.aliases.column(self, role)

    def text(self, *names: str) -> pd.Series:
        """Cells of the first of ``names`` present (a role of the alias table, or a header), as stripped text."""
        column = None
        for name in names:
            if self.aliases is not None and name in self.aliases.names:
                column = self.role(name)
            elif name in self.frame.columns:
                column = name
            if column is not None:
                break
        if column is None:
            return pd.Series("", index=self.frame.index, dtype=object)
        return self.frame[column].astype(object).fillna("").astype(str).str.strip().astype(object)

    def problem(self, message: str, column: str | None, position: int | None) -> Problem:
        """A problem at a cell; ``column`` is a role of the alias table or a header."""
        if column is not None and self.aliases is not None and column in self.aliases.names:
            column = self.role(column) or self.aliases.names[column][0]
        return Problem(
            str(self.path),
            message,
            self.label,
            int(self.rows[position]) if position is not None else None,
            self.originals.get(column, column) if column else None,
            self.letters.get(column) if column else None,
        )


def read_export(path: Path) -> tuple[Export | None, list[Problem]]:
    """Read a CSV export as text; lines starting with '#' before the header are skipped (GA4).

    The encoding and separator are sniffed (:mod:`kpi_addin.io.files`); duplicate
    headers are an error; exact duplicate rows are counted once, with a note.
    """
    try:
        text, fmt = files.read_text(path)
    except files.TextFileError as exc:
        return None, [Problem(str(path), str(exc))]
    except OSError as exc:
        return None, [Problem(str(path), f"cannot read the file ({exc.strerror or exc})")]
    lines = text.splitlines()
    skip = 0
    while skip < len(lines) and (lines[skip].startswith("#") or not lines[skip].strip()):
        skip += 1
    if skip >= len(lines):
        return None, [Problem(str(path), "the file is empty: it has no header row")]
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join(lines[skip:])),
            dtype=str,
            keep_default_na=False,
            header=None,
            sep=fmt.delimiter,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        reason = str(exc).strip().replace("Error tokenizing data. C error: ", "")
        return None, [Problem(str(path), f"not a readable CSV file ({reason})")]
    headers = [str(c) for c in frame.iloc[0]]
    frame = frame.iloc[1:].reset_index(drop=True)
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, header in enumerate(headers):
        key = normalise(header)
        if key and key in seen:
            problems.append(
                Problem(
                    str(path),
                    f"column {header!r} appears twice (also in {column_letter(seen[key])}1)",
                    path.name,
                    skip + 1,
                    header,
                    column_letter(i),
                )
            )
        seen.setdefault(key, i)
    if problems:
        return None, problems
    originals = {normalise(c): c for c in headers}
    letters = {normalise(c): column_letter(i) for i, c in enumerate(headers)}
    frame.columns = [normalise(c) for c in headers]
    rows = np.arange(len(frame)) + skip + 2
    # a blank line is a line of the file: later rows are numbered as an editor shows them
    # (when a quoted cell holds a line break, rows and lines differ: then counted as rows)
    filled = [n for n, line in enumerate(lines[skip + 1 :], start=skip + 2) if line.strip()]
    if len(filled) == len(frame):
        rows = np.array(filled, dtype=int)
    notes: list[str] = [ReadNote(f"{path.name}: {fmt.note}")] if fmt.note else []
    duplicated = frame.duplicated(keep="first").to_numpy() if len(frame.columns) else np.zeros(len(frame), bool)
    if duplicated.any():
        first = int(rows[np.flatnonzero(duplicated)[0]])
        notes.append(
            f"{path.name}: {int(duplicated.sum())} exact duplicate row(s) counted once (first at line {first})"
        )
        frame, rows = frame[~duplicated].reset_index(drop=True), rows[~duplicated]
    return Export(path, frame.reset_index(drop=True), letters, rows, originals, notes), []


def settle_dates(export: Export) -> None:
    """Read every slashed date of the file in one day/month order, decided across its date columns.

    Excel re-saves a whole file in one locale: a column whose dates are all ambiguous
    (``4/3/2025 10:30``) takes the order another column of the file proves
    (``1/20/2026 12:00``), and is rewritten ISO with a note.  When nothing in the file
    settles the order, or its columns disagree, the cells stay as written and the date
    reader reports them (an error naming the cell, never a guess).
    """
    named = {export.originals.get(c, c): export.frame[c] for c in export.frame.columns}
    order, source = export_dates.file_date_order(named)
    if order is None:
        return
    settled = []
    for column in export.frame.columns:
        seen, _example = export_dates.date_orders(export.frame[column])
        if seen - {order}:
            continue  # the column says otherwise (an error of its own)
        # every column, those that settle it too: a layout may take one canonical column
        # from several of the file's (an end from Ended At, else Current Period End)
        rewritten = export_dates.slashed_as_iso(export.frame[column], order)
        if rewritten is not export.frame[column]:
            export.frame[column] = rewritten
            settled.append(export.originals.get(column, column))
    if settled:
        export.notes.append(
            ReadNote(
                f"{export.label}: dates in {', '.join(settled)} read as {order}, as {source} shows "
                "(a file is saved in one locale)"
            )
        )


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
    aliases: Aliases | None = None  # the layout's column table (required is derived from it)

    def missing(self, export: Export) -> list[str]:
        if self.aliases is not None:
            return self.aliases.missing(export)
        return [names[0] for names in self.required if export.has(*names) is None]

    @classmethod
    def from_aliases(
        cls, name: str, title: str, source: str, aliases: Aliases, convert: Callable[[Export], Converted]
    ) -> Layout:
        required = tuple(aliases.names[role] for role in aliases.required)

        def read(export: Export) -> Converted:
            export.aliases = aliases
            return convert(export)

        return cls(name, title, source, required, read, aliases)


def numbers(
    export: Export, values: pd.Series, role: str | None, *, whole: bool = False, written: bool = False
) -> tuple[pd.Series, list[Problem], list[str]]:
    """Numbers of one export column, read by the one cell parser (:mod:`kpi_addin.io.values`).

    Returns floats (nan where blank or bad), problems at their cells, and notes (a decimal
    comma read).  Never strips a comma blindly: ``49,00`` is 49, not 4,900.  ``written``:
    amounts as a report writes them (``$1,200.00``, ``(50.00)``, ``1 000,00 €``).
    """
    parsed = values_.parse_numbers(values.replace({"": None}), whole=whole, written=written)
    problems: list[Problem] = []
    for mask, message in parsed.checks:
        for position in np.flatnonzero(mask.fillna(False).to_numpy(dtype=bool))[:10]:
            problems.append(export.problem(message(values.iloc[position]), role, int(position)))
    column = export.role(role) if role and export.aliases and role in export.aliases.names else role
    notes: list[str] = [
        ReadNote(f"{export.label} ({export.originals.get(column or '', column)}): {n}") for n in parsed.notes
    ]
    return parsed.values, problems, notes


def amounts(
    values: pd.Series,
    *,
    cents: bool,
    export: Export,
    per: pd.Series | None = None,
    role: str | None = None,
) -> pd.Series:
    """Parse amounts by the one number reader (as a person writes them: ``$49.00``,
    ``49,00``, ``1,188.00``), converting cents and dividing by ``per``; what does not parse
    is kept as written, so that validation reports it at its cell."""
    parsed = values_.parse_numbers(values.replace({"": None}), written=True)
    # text that is no number at all stays as written: validation names it at its cell; the
    # convention problems (a decimal point among decimal commas, ...) are reported here
    unparsed, *convention = parsed.checks
    bad = unparsed[0].fillna(False).copy()
    reported = bad & False
    for mask, message in convention:
        mask = mask.fillna(False) & ~bad
        for position in np.flatnonzero(mask.to_numpy(dtype=bool))[:10]:
            export.problems.append(export.problem(message(values.iloc[position]), role, int(position)))
        reported |= mask
    column = export.role(role) if role and export.aliases and role in export.aliases.names else role
    export.notes += [
        ReadNote(f"{export.label} ({export.originals.get(column or '', column)}): {n}") for n in parsed.notes
    ]
    export.reported["amount"] = export.reported.get("amount", reported & False) | reported
    values = values.where(~reported, None)
    number = parsed.values.where(~bad & ~reported)
    if cents:
        number = number / 100
    if per is not None:
        number = number / per
    return number.astype(object).where(number.notna(), values)


def intervals(
    units: pd.Series, counts: pd.Series, export: Export, unit_column: str | None, count_column: str | None
) -> tuple[pd.Series, pd.Series, list[Problem]]:
    """(canonical interval, divisor of the amount, problems) from an interval word and count.

    ``month`` × 6 → interval month, divisor 6; ``day`` × 14 → week, divisor 2.  An unknown
    word is kept as written so that validation reports it at its cell; a blank one is an
    error here (an export always says its interval: never silently monthly).
    """
    units = units.astype(object)
    counts = counts.astype(object)
    words = units.str.lower().str.strip()
    known = words.map(lambda w: INTERVAL_UNITS.get(w))
    count, problems, _notes = numbers(export, counts.where(counts != "", "1"), count_column)
    bad_count = count.isna() | (count <= 0)
    for position in np.flatnonzero((bad_count & count.notna()).to_numpy()):
        problems.append(
            export.problem(f"{counts.iloc[position]!r} is not a positive interval count", count_column, int(position))
        )
    for position in np.flatnonzero((units == "").to_numpy())[:10]:
        problems.append(
            export.problem(
                "the interval is blank (an export always states it; never read as monthly)", unit_column, int(position)
            )
        )
    canonical = pd.Series(
        [k[0] if isinstance(k, tuple) else w for k, w in zip(known, units, strict=True)],
        index=units.index,
        dtype=object,
    )
    factor = pd.Series([k[1] if isinstance(k, tuple) else 1.0 for k in known], index=units.index, dtype=float)
    divisor = count.where(~bad_count, 1.0) * factor
    is_days = pd.Series([isinstance(k, tuple) and k[1] != 1 for k in known], index=units.index, dtype=bool)
    weekly_days = is_days & (count.fillna(0) % 7 != 0)
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
        export.problem(
            f"unknown status {statuses.iloc[p]!r} (known: {listed})"
            if statuses.iloc[p]
            else f"the status is blank (known: {listed})",
            column,
            int(p),
        )
        for p in np.flatnonzero(bad.to_numpy())[:10]
    ]


def require_dates(
    export: Export, rows: pd.Series, dates: pd.Series, status_role: str, date_role: str, what: str
) -> list[Problem]:
    """Rows of a status that needs a date (an end, a trial end) but have none: errors at the status cell."""
    missing = rows & (dates == "")
    column = export.originals.get(
        export.role(date_role) or "", export.aliases.names[date_role][0] if export.aliases else date_role
    )
    return [
        export.problem(f"{export.text(status_role).iloc[p]!r} but {column} is blank; {what}", status_role, int(p))
        for p in np.flatnonzero(missing.to_numpy())[:10]
    ]


def first_of(export: Export, rows: pd.Series, choices: list[tuple[str, pd.Series]]) -> tuple[pd.Series, pd.Series]:
    """Per row, the first non-blank of ``choices`` (role, values): (values, the role each came from)."""
    values = pd.Series("", index=rows.index, dtype=object)
    source = pd.Series(None, index=rows.index, dtype=object)
    for role, candidate in reversed(choices):
        take = rows & (candidate != "")
        values = values.where(~take, candidate)
        source = source.where(~take, role)
    return values, source


def left_out_note(export: Export, keep: pd.Series, what: str) -> list[str]:
    """A note for rows a layout leaves out (never paid), or nothing."""
    dropped = int((~keep).sum())
    return [f"{export.label}: {dropped} {what} left out"] if dropped else []


def canonical_sheet(
    export: Export,
    columns: dict[str, pd.Series],
    sources: dict[str, str | pd.Series | None],
    keep: pd.Series | None = None,
) -> RawSheet:
    """The canonical subscriptions sheet, each cell pointing at the export cell it came from.

    A source is a role of the layout's alias table (or a header), or a Series of them
    when the column is taken from different export columns row by row.
    """
    frame = pd.DataFrame({name: columns[name] for name in CANONICAL if name in columns})
    attributes = export_attributes(list(export.frame.columns), {*frame.columns, *CANONICAL})
    for name, header in attributes.items():  # segment attributes (--by), kept as the export has them
        frame[name] = export.frame[header].to_numpy()
    frame = frame.replace({"": None})
    rows = export.rows
    mask = keep.to_numpy(dtype=bool) if keep is not None else np.ones(len(frame), dtype=bool)

    def letter(name: str | None) -> str | None:
        if name is None:
            return None
        if export.aliases is not None and name in export.aliases.names:
            name = export.role(name)
        return export.letters.get(name) if name else None

    letters: dict[str, str] = {name: export.letters[h] for name, h in attributes.items() if h in export.letters}
    cell_letters: dict[str, np.ndarray] = {}
    for name, src in sources.items():
        if isinstance(src, pd.Series):
            per_row = np.array([letter(r) if isinstance(r, str) else None for r in src], dtype=object)
            cell_letters[name] = per_row[mask]
            first = next((x for x in per_row if x), None)
            if first:
                letters[name] = first
        else:
            found = letter(src)
            if found:
                letters[name] = found
    if keep is not None:
        frame, rows = frame[mask].reset_index(drop=True), rows[mask]
    sheet = RawSheet("subscriptions", str(export.path), export.label, frame, rows, letters)
    sheet.cell_letters = cell_letters
    sheet.reported = {k: pd.Series(v.to_numpy()[mask]) for k, v in export.reported.items()}
    sheet.notes.extend(export.notes)
    return sheet
