"""What people type into the dashboard: input cells, the kpi-addin marker, and what a refresh carries.

The dashboard marks every cell meant for typing — the targets, directions and due
dates on Goals, the commentary cells of the Summary — with one visible cell style
(:data:`INPUT_STYLE_NAME`: pale yellow, blue text, as finance models mark inputs) and a
defined name each (``Goal_MRR_Target``, ``Goal_MRR_Direction``, ``Goal_MRR_Due``,
``Comment_MRR``).  Every build also writes a marker (the defined name
:data:`MARKER_NAME` and the custom document property :data:`MARKER_PROPERTY`, both
surviving a LibreOffice round trip) so that ``kpi-addin dashboard --update`` can tell
its own workbooks from others, and the defined name :data:`GOALS_NAME` on the Goals
header row, so the goals are found after rows are added or deleted.

:class:`Carried` is what :mod:`kpi_addin.dashboard.update` reads from last month's file
and the builder writes into the new one; what it cannot place is a :class:`Leftover`,
listed on the ``Carried over`` sheet and in a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import absolute_coordinate, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.worksheet import Worksheet

from .. import __version__
from .cells import XML_ILLEGAL_RE

MARKER_NAME = "KPIADDIN_DASHBOARD"
MARKER_PROPERTY = "kpi-addin dashboard"
#: The custom document property naming the company a dashboard is for (any text: not in the name).
COMPANY_PROPERTY = "kpi-addin company"
GOALS_NAME = "KPIADDIN_GOALS"
INPUT_STYLE_NAME = "kpi-addin input"
#: Defined names of input cells: Goal_<KEY>_Target|Direction|Due and Comment_<KEY>.
INPUT_NAME = re.compile(
    r"^(?:Goal_(?P<goal>[A-Z0-9_]+)_(?P<role>Target|Direction|Due)|Comment_(?P<comment>[A-Z0-9_]+))$"
)
#: Goals columns a person types into (and may leave a note on), by role.
GOAL_COLUMNS = {"kpi": "A", "target": "C", "direction": "D", "due": "E"}
NOTE_AUTHOR = "kpi-addin"


@dataclass
class GoalInput:
    """One goal as a person left it: KPI key, target, direction (higher/lower), due month, notes by role."""

    kpi: str
    target: float
    direction: str
    due: pd.Timestamp | None = None
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class Leftover:
    """Something typed in last month's file that has no place in the new one."""

    where: str  # sheet!cell in the old file
    kind: str  # goal, comment, note
    kpi: str
    value: str
    reason: str

    def warning(self) -> str:
        about = f"{self.kind}, {self.kpi}" if self.kpi else self.kind
        kept = "; kept on the Carried over sheet" if self.value else ""
        return f"{self.where} ({about}): {self.reason}{kept}"


@dataclass
class Carried:
    """Values typed into last month's dashboard, to be written into the new build."""

    source: str
    as_of: str | None
    goals: list[GoalInput]
    #: the reporting currency and the company last month's file was built for (None: not said)
    currency: str | None = None
    company: str | None = None
    comments: dict[str, str] = field(default_factory=dict)  # KPI key → Summary commentary
    comment_notes: dict[str, str] = field(default_factory=dict)  # KPI key → note on its commentary cell
    leftovers: list[Leftover] = field(default_factory=list)
    #: False when last month's file has no Goals table left: the new build's goals then
    #: come from the input's targets and the template's defaults, never from nothing
    goals_found: bool = True
    #: the Plan table as typed (long: month, kpi, value); None when the file has none
    plan: pd.DataFrame | None = None

    def goals_frame(self) -> pd.DataFrame:
        """The goals as the builder's targets frame: kpi, target, direction, due."""
        frame = pd.DataFrame(
            [{"kpi": g.kpi, "target": g.target, "direction": g.direction, "due": g.due} for g in self.goals],
            columns=["kpi", "target", "direction", "due"],
        )
        frame["due"] = pd.to_datetime(frame["due"])
        return frame


def input_style() -> NamedStyle:
    """The one style of every input cell: pale yellow fill, dark blue text, a thin border."""
    side = Side(style="thin", color="BF9000")
    return NamedStyle(
        name=INPUT_STYLE_NAME,
        font=Font(color="1F4E79"),
        fill=PatternFill("solid", fgColor="FFF2CC"),
        border=Border(left=side, right=side, top=side, bottom=side),
        alignment=Alignment(vertical="top", wrap_text=True),
    )


def mark_input(wb: Workbook, ws: Worksheet, cell: str, name: str, number_format: str | None = None) -> None:
    """Give ``ws!cell`` the input style and the defined name ``name``."""
    if INPUT_STYLE_NAME not in wb.named_styles:
        wb.add_named_style(input_style())
    target = ws[cell]
    target.style = INPUT_STYLE_NAME
    if number_format:
        target.number_format = number_format
    wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(ws.title)}!{absolute_coordinate(cell)}")


def goal_name(key: str, role: str) -> str:
    return f"Goal_{key.upper()}_{role.capitalize()}"


def comment_name(key: str) -> str:
    return f"Comment_{key.upper()}"


def add_note(ws: Worksheet, cell: str, text: str) -> None:
    ws[cell].comment = Comment(text, NOTE_AUTHOR, width=240, height=90)


def mark_workbook(
    wb: Workbook,
    as_of: pd.Period,
    goals: Worksheet,
    header_row: int,
    last_column: str,
    *,
    currency: str,
    company: str | None,
) -> None:
    """The marker every build writes (version, as-of month, reporting currency; the company
    as a document property), and the name of the Goals header row."""
    text = f"kpi-addin {__version__} as_of {as_of} currency {currency}"
    wb.defined_names[MARKER_NAME] = DefinedName(MARKER_NAME, attr_text=f'"{text}"')
    wb.custom_doc_props.append(StringProperty(name=MARKER_PROPERTY, value=text))
    if company and company_mark(company):
        wb.custom_doc_props.append(StringProperty(name=COMPANY_PROPERTY, value=company_mark(company)))
    ref = f"{quote_sheetname(goals.title)}!$A${header_row}:${last_column}${header_row}"
    wb.defined_names[GOALS_NAME] = DefinedName(GOALS_NAME, attr_text=ref)


def marker_as_of(text: str) -> str | None:
    """The ``as_of`` month a marker names (``kpi-addin 0.1.0 as_of 2025-11`` → ``2025-11``)."""
    found = re.search(r"as_of (\d{4}-\d{2})", text)
    return found.group(1) if found else None


def company_mark(company: str) -> str:
    """The company as the file records it: untrusted text, so XML-illegal characters dropped
    and cut at 255 characters (a document property Excel shows whole)."""
    return XML_ILLEGAL_RE.sub("", company).strip()[:255]


def marker_currency(text: str) -> str | None:
    """The reporting currency a marker names (None: a file from a version that did not say)."""
    found = re.search(r"currency ([A-Z]{3})", text)
    return found.group(1) if found else None


def unplaced(carried: Carried, summary_kpis: tuple[str, ...]) -> list[Leftover]:
    """What the new build cannot place: the reader's leftovers, and commentary (or notes on it)
    for KPIs the Summary no longer lists."""
    out = list(carried.leftovers)
    for kind, texts in (("comment", carried.comments), ("note", carried.comment_notes)):
        for key, text in texts.items():
            if key not in summary_kpis:
                out.append(Leftover(comment_name(key), kind, key, text, "the Summary no longer lists this KPI"))
    return out


#: The mark a carried commentary starts with until a person rewrites it: the month it was written for.
WRITTEN_FOR = re.compile(r"^\[(\d{4}-\d{2})\] ")


def mark_carried_comments(carried: Carried, as_of: pd.Period) -> None:
    """Commentary carried into a later month starts with the month it was written for
    (``[2025-11] Churn up on the price change``), so last month's words never print as this
    month's; a text already marked keeps its first month; a person who rewrites it deletes
    the mark.  Rebuilding the same month marks nothing."""
    written = carried.as_of
    if written is None or written == str(as_of):
        return
    for key, text in carried.comments.items():
        if not WRITTEN_FOR.match(text):
            carried.comments[key] = f"[{written}] {text}"
