"""``kpi-addin dashboard --update LAST.xlsx``: read what people typed into last month's dashboard.

The new month is always a fresh build (loading and re-saving a workbook with openpyxl
would drop its charts and cached values); this module reads from ``LAST.xlsx`` only
the values a person types — the goals (rows added or deleted included), the Summary's
commentary cells and the notes on those cells — into a :class:`~.typed.Carried` that
the builder writes into the new workbook.  A file without the kpi-addin marker is
refused.  Worksheets with no input cells are not parsed (a large ledger sheet would
cost minutes).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import warnings
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from ..io import workbook_guard
from ..lang import Language
from ..metrics.catalogue import BALANCE_SHEET_KEYS, MONTHLY_KEYS, default_direction
from .typed import (
    COMPANY_PROPERTY,
    GOAL_COLUMNS,
    GOALS_NAME,
    INPUT_NAME,
    MARKER_NAME,
    MARKER_PROPERTY,
    Carried,
    GoalInput,
    Leftover,
    marker_as_of,
    marker_currency,
)

#: KPIs a goal or a commentary cell can be about.
GOAL_KPIS = (*MONTHLY_KEYS[1:], *BALANCE_SHEET_KEYS)
MAX_UNZIPPED_BYTES = 2 * 1024**3
#: Worksheets larger than this (unzipped) are only parsed when they hold input cells.
SKIP_SHEET_BYTES = 1024**2
_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
    "rel": "http://schemas.openxmlformats.org/package/2006/relationships",
}
_EMPTY_SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData/></worksheet>'


#: What openpyxl raises for a file that is not a workbook it can read.
UNREADABLE = (KeyError, ValueError, TypeError, AttributeError, OSError, zipfile.BadZipFile, ElementTree.ParseError)


class UpdateError(Exception):
    """LAST.xlsx cannot be refreshed (not a kpi-addin dashboard, unreadable, …)."""


def read_last(path: Path, languages: list[Language]) -> Carried:
    """Everything typed into the dashboard at ``path``; :class:`UpdateError` if it is not one of ours.

    ``languages`` are those whose labels identify a KPI typed in by name (a goal row
    added by a person gives the KPI as its label, in the dashboard's language, or its key).
    """
    path = Path(path)
    if not path.is_file():
        raise UpdateError(f"{path}: no such file")
    _guard(path)
    try:
        content = _without_large_sheets(path)
        with warnings.catch_warnings():
            # openpyxl warns that it drops the sparklines it cannot read: the new build writes its own
            warnings.simplefilter("ignore", UserWarning)
            workbook = load_workbook(content, rich_text=False)
    except UpdateError:
        raise
    except UNREADABLE as exc:
        raise UpdateError(f"{path}: not an Excel workbook (.xlsx) that can be read ({exc})") from None
    marker = _marker(workbook)
    if marker is None:
        raise UpdateError(
            f"{path}: not a dashboard made by kpi-addin (it has no {MARKER_NAME} marker); "
            "--update refreshes a workbook that `kpi-addin dashboard` wrote (one from a version "
            "without --update has no marker: build this month without --update once)"
        )
    carried = Carried(
        source=path.name,
        as_of=marker_as_of(marker),
        goals=[],
        currency=marker_currency(marker),
        company=_company(workbook),
    )
    labels = _labels(languages)
    _read_goals(workbook, carried, labels, languages)
    _read_comments(workbook, carried)
    carried.plan = _read_plan(workbook, carried)
    return carried


def _guard(path: Path) -> None:
    """The one workbook guard (:mod:`kpi_addin.io.workbook_guard`) over every sheet of LAST
    before openpyxl reads any: a cell at XFD1048576 or a zip bomb is refused in one sentence."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = {name.strip().lower() for name in workbook_guard.sheet_parts(archive)}
    except (zipfile.BadZipFile, OSError):
        return  # not a workbook: said by the reading below
    try:
        workbook_guard.check_workbook(str(path), names)
    except workbook_guard.WorkbookRefused as exc:
        raise UpdateError(f"{path}: {exc}") from None


def carry_plan(plan: pd.DataFrame | None, typed: pd.DataFrame, scenario: str | None) -> pd.DataFrame:
    """The input's plan (long) with the values typed into last month's Plan table over it,
    month by month and key by key, as the compared ``scenario`` (the others are kept)."""
    typed = typed.assign(scenario=scenario)[["scenario", "month", "kpi", "value"]]
    if plan is None or plan.empty:
        return typed.reset_index(drop=True)
    if scenario is None and plan["scenario"].notna().any():
        typed["scenario"] = plan["scenario"].dropna().iloc[0]  # the default: the plan's first
    merged = pd.concat([plan, typed], ignore_index=True)
    return merged.drop_duplicates(["scenario", "month", "kpi"], keep="last").reset_index(drop=True)


def _read_plan(workbook: object, carried: Carried) -> pd.DataFrame | None:
    """The Excel Table ``Plan`` (month, then a column per key) as typed, long; blanks unplanned."""
    from ..metrics import KPIInputError
    from ..metrics.plan import check_plan_key
    from .sheets.plan import TABLE_NAME

    for ws in workbook.worksheets:  # type: ignore[attr-defined]  # an openpyxl Workbook
        if TABLE_NAME not in ws.tables:
            continue
        low_col, low_row, high_col, high_row = range_boundaries(ws.tables[TABLE_NAME].ref)
        rows = list(ws.iter_rows(min_row=low_row, max_row=high_row, min_col=low_col, max_col=high_col))
        header = [_text(c.value).lower() for c in rows[0]]
        records = []
        for row in rows[1:]:
            month = _month(row[0].value)
            for name, cell in zip(header[1:], row[1:], strict=True):
                if month is None or not isinstance(cell.value, int | float) or isinstance(cell.value, bool):
                    if month is None and cell.value not in (None, ""):
                        carried.leftovers.append(
                            Leftover(f"{ws.title}!{cell.coordinate}", "plan", name, _text(cell.value), "no month")
                        )
                    continue
                try:
                    key = check_plan_key(name)
                except KPIInputError as exc:
                    reason = str(exc).removeprefix("plan key: ")
                    carried.leftovers.append(Leftover(f"{ws.title}!{cell.coordinate}", "plan", name, "", reason))
                    continue
                records.append((month, key, float(cell.value)))
        return pd.DataFrame(records, columns=["month", "kpi", "value"])
    return None


def _month(value: object) -> pd.Period | None:
    if isinstance(value, dt.date | dt.datetime):
        return pd.Period(value, "M")
    try:
        return pd.Period(str(value).strip()[:7], "M") if value not in (None, "") else None
    except ValueError:
        return None


def default_output(last: Path, last_as_of: str | None, as_of: pd.Period) -> Path:
    """Beside LAST, named for the new month: ``kpi_2025-11.xlsx`` → ``kpi_2025-12.xlsx``,
    ``board.xlsx`` → ``board_2025-12.xlsx``."""
    month = str(as_of)
    stem = last.stem
    if last_as_of and last_as_of in stem:
        stem = stem.replace(last_as_of, month)
    elif re.search(r"\d{4}-\d{2}", stem):
        stem = re.sub(r"\d{4}-\d{2}", month, stem, count=1)
    if month not in stem:
        stem = f"{stem}_{month}"
    return last.with_name(stem + last.suffix)


# --------------------------------------------------------------------------- reading


def _without_large_sheets(path: Path) -> io.BytesIO:
    """The workbook with every large worksheet that holds no input cell emptied."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UpdateError(f"{path}: not an Excel workbook (.xlsx) ({exc})") from None
    with archive:
        members = archive.infolist()
        if sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
            raise UpdateError(f"{path}: the workbook unpacks to more than 2 GB; refusing to read it")
        names = set(archive.namelist())
        if "xl/workbook.xml" not in names:
            raise UpdateError(f"{path}: not an Excel workbook (.xlsx): no xl/workbook.xml")
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        needed = {_sheet_of(n.text or "") for n in workbook.findall("m:definedNames/m:definedName", _NS)}
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id", ""): r.get("Target", "") for r in rels.findall("rel:Relationship", _NS)}
        skip = set()
        for sheet in workbook.findall("m:sheets/m:sheet", _NS):
            target = targets.get(sheet.get(f"{{{_NS['r']}}}id", ""), "")
            part = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            if sheet.get("name") not in needed and part in names and archive.getinfo(part).file_size > SKIP_SHEET_BYTES:
                skip.add(part)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
            for member in members:
                copy.writestr(member, _EMPTY_SHEET if member.filename in skip else archive.read(member))
    out.seek(0)
    return out


def _sheet_of(reference: str) -> str:
    """The sheet name of a defined name's reference (``'Goals'!$A$4`` → ``Goals``)."""
    if "!" not in reference:
        return ""
    sheet = reference.rsplit("!", 1)[0]
    return sheet[1:-1].replace("''", "'") if sheet.startswith("'") else sheet


def _marker(workbook: object) -> str | None:
    names = workbook.defined_names  # type: ignore[attr-defined]  # an openpyxl Workbook
    if MARKER_NAME in names:
        return str(names[MARKER_NAME].attr_text).strip('"')
    for prop in workbook.custom_doc_props.props:  # type: ignore[attr-defined]  # an openpyxl Workbook
        if prop.name == MARKER_PROPERTY:
            return str(prop.value)
    return None


def _company(workbook: object) -> str | None:
    for prop in workbook.custom_doc_props.props:  # type: ignore[attr-defined]  # an openpyxl Workbook
        if prop.name == COMPANY_PROPERTY:
            return str(prop.value)
    return None


def _labels(languages: list[Language]) -> dict[str, str]:
    """A KPI's label in any language, or its key, folded → the key."""
    labels = {key.casefold(): key for key in GOAL_KPIS}
    for language in languages:
        for key in GOAL_KPIS:
            labels.setdefault(language.label(key).strip().casefold(), key)
    return labels


def _directions(languages: list[Language]) -> dict[str, str]:
    words = {"higher": "higher", "lower": "lower"}
    for language in languages:
        words[language.ui["higher"].strip().casefold()] = "higher"
        words[language.ui["lower"].strip().casefold()] = "lower"
    return words


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _cell(ws: Worksheet, ref: str) -> str:
    return f"{ws.title}!{ref}"


def _goals_table(workbook: object, languages: list[Language]) -> tuple[Worksheet, int] | None:
    """The Goals sheet and its header row: by the defined name the build wrote, else — a
    person deleted or broke the name — by the table's own header (``KPI | key | Target |
    Direction | Due`` in any language), on any sheet."""
    names = workbook.defined_names  # type: ignore[attr-defined]  # an openpyxl Workbook
    if GOALS_NAME in names and "#REF" not in str(names[GOALS_NAME].attr_text):
        destinations = list(names[GOALS_NAME].destinations)
        if destinations and destinations[0][0] in workbook.sheetnames:  # type: ignore[attr-defined]  # a Workbook
            sheet, ref = destinations[0]
            _min_col, header, _max_col, _max_row = range_boundaries(ref.replace("$", ""))
            return workbook[sheet], header  # type: ignore[index]  # an openpyxl Workbook
    headers = {
        tuple(_text(language.ui[k]).casefold() for k in ("kpi", "key", "target", "direction", "due"))
        for language in languages
    }
    for ws in workbook.worksheets:  # type: ignore[attr-defined]  # an openpyxl Workbook
        first_column = sorted({r for r, c in ws._cells if c == 1})  # existing cells (pinned in test_openpyxl_internals)
        for row in first_column[:50]:
            found = tuple(_text(ws.cell(row=row, column=c).value).casefold() for c in range(1, 6))
            if found in headers:
                return ws, row
    return None


def _rows_below(ws: Worksheet, header: int) -> list[int]:
    """The rows below ``header`` that hold a cell in the goal columns: the sheet's real used
    range (one stray cell far down must not make the reader visit a million empty rows)."""
    return sorted({r for r, c in ws._cells if r > header and c <= 5})  # ws._cells: pinned in test_openpyxl_internals


def _read_goals(workbook: object, carried: Carried, labels: dict[str, str], languages: list[Language]) -> None:
    table = _goals_table(workbook, languages)
    if table is None:
        carried.goals_found = False
        carried.leftovers.append(
            Leftover(
                carried.source,
                "goals",
                "",
                "",
                "no Goals table was found (its sheet or its header was deleted): the goals come from the "
                "input's targets and the template's defaults",
            )
        )
        return
    ws, header = table
    directions = _directions(languages)
    seen: set[str] = set()
    for row in _rows_below(ws, header):
        values = {role: ws[f"{column}{row}"].value for role, column in GOAL_COLUMNS.items()}
        key_cell = ws[f"B{row}"].value
        notes = {
            role: ws[f"{column}{row}"].comment.text
            for role, column in GOAL_COLUMNS.items()
            if ws[f"{column}{row}"].comment is not None
        }
        if all(_text(v) == "" for v in (*values.values(), key_cell)) and not notes:
            continue
        where = _cell(ws, f"A{row}")
        named = _text(values["kpi"]) or _text(key_cell)
        key = _text(key_cell) if _text(key_cell) in GOAL_KPIS else labels.get(_text(values["kpi"]).casefold())
        shown = " · ".join(_text(v) for v in values.values() if _text(v))
        if key is None:
            carried.leftovers.append(Leftover(where, "goal", named, shown, f"no KPI is called {named!r}"))
            _keep_notes(carried, ws, row, named, notes)
            continue
        if key in seen:
            carried.leftovers.append(Leftover(where, "goal", key, shown, "a second goal on the same KPI"))
            _keep_notes(carried, ws, row, key, notes)
            continue
        target = values["target"]
        if isinstance(target, str) and target.strip().startswith("="):
            reason = f"the target is a formula ({target.strip()}); type it as a number"
            carried.leftovers.append(Leftover(_cell(ws, f"C{row}"), "goal", key, shown, reason))
            _keep_notes(carried, ws, row, key, notes)
            continue
        try:
            number = float(target)
        except (TypeError, ValueError, OverflowError):
            number = math.nan
        if isinstance(target, bool) or not math.isfinite(number) or abs(number) > MAX_TARGET:
            if _text(target) == "":
                reason = "no target"
            elif isinstance(target, str) and not _is_number_text(target):
                reason = f"the target {_text(target)!r} is not a number"
            else:
                reason = f"the target {_text(target)!r} is not a finite number a KPI can reach"
            carried.leftovers.append(Leftover(_cell(ws, f"C{row}"), "goal", key, shown, reason))
            _keep_notes(carried, ws, row, key, notes)
            continue
        direction = directions.get(_text(values["direction"]).casefold())
        if direction is None:
            if _text(values["direction"]):
                reason = f"direction {_text(values['direction'])!r} is not higher or lower; the KPI's own is used"
                carried.leftovers.append(Leftover(_cell(ws, f"D{row}"), "goal", key, shown, reason))
            direction = default_direction(key)
        # a template default's due cell says so; that is no due month
        unset = {language.ui.get("template_default", "").casefold() for language in languages}
        due = None if _text(values["due"]).casefold() in unset - {""} else _due(values["due"])
        if due is False:
            reason = f"the due date {_text(values['due'])!r} is not a month; the goal has none"
            carried.leftovers.append(Leftover(_cell(ws, f"E{row}"), "goal", key, shown, reason))
            due = None
        seen.add(key)
        carried.goals.append(GoalInput(key, number, direction, due, notes))  # type: ignore[arg-type]  # False handled above


#: A target beyond this is a typo (or ``1e999``), not a goal.
MAX_TARGET = 1e15


def _is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _keep_notes(carried: Carried, ws: Worksheet, row: int, kpi: str, notes: dict[str, str]) -> None:
    for role, text in notes.items():
        where = _cell(ws, f"{GOAL_COLUMNS[role]}{row}")
        carried.leftovers.append(Leftover(where, "note", kpi, text, "a note on a goal that was not carried over"))


def _due(value: object) -> pd.Timestamp | bool | None:
    """A due month from a date cell or ``YYYY-MM`` text; None when blank; False when unreadable."""
    if value is None or _text(value) == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return pd.Timestamp(value).to_period("M").to_timestamp()
    try:
        return pd.Period(_text(value), "M").to_timestamp()
    except (ValueError, TypeError):
        return False


def _read_comments(workbook: object, carried: Carried) -> None:
    names = workbook.defined_names  # type: ignore[attr-defined]  # an openpyxl Workbook
    for name, defined in names.items():
        match = INPUT_NAME.match(name)
        if not match or not match.group("comment"):
            continue
        key = match.group("comment").lower()
        destinations = list(defined.destinations)
        if not destinations or "#REF" in str(defined.attr_text):
            continue
        sheet, ref = destinations[0]
        cell = workbook[sheet][ref.replace("$", "")]  # type: ignore[index]  # an openpyxl Workbook
        text = _text(cell.value)
        if text:
            carried.comments[key] = text
        if cell.comment is not None:
            carried.comment_notes[key] = cell.comment.text
