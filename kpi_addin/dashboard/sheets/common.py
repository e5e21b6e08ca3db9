"""What every sheet module shares: the build context, styles, number formats, small writers.

A sheet module writes its own cells at positions it chooses; positions on *another* sheet
are reached only through the anchors that sheet's module returned (see
:mod:`kpi_addin.dashboard.sheets`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ...lang import Language
from ...metrics import CompanyData, KPIReport
from ...metrics.catalogue import kpi
from ...metrics.currency import CURRENCY_SYMBOLS, minor_unit_digits
from ..cells import Book, put_text
from ..expr import Ref
from ..stream import StreamedRows
from ..template import Template
from ..typed import Carried

DEFAULT_LEDGER_LIMIT = 100_000

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
TITLE_FONT = Font(bold=True, size=16, color="1F3864")
SECTION_FONT = Font(bold=True, color="1F3864")
NOTE_FONT = Font(italic=True, color="595959")
ERROR_FONT = Font(italic=True, color="A6A6A6")
#: Status colours: green only for a met target; amber below it, red far below or missed;
#: a course toward a due month is light blue (on course) or red (off course).
STATUS_FILLS = {
    "met": "C6EFCE",
    "below": "FFEB9C",
    "far_below": "FFC7CE",
    "on_course": "DDEBF7",
    "off_course": "FFC7CE",
    "missed": "FFC7CE",
}
#: The library's status words (metrics/goals.py) → their key in the language files' [status].
STATUS_KEYS = {
    "met": "met",
    "below target": "below",
    "far below": "far_below",
    "on course": "on_course",
    "off course": "off_course",
    "missed": "missed",
}


@dataclass
class BuildOptions:
    template: Template
    language: Language
    include_ledger: bool = False
    ledger_limit: int = DEFAULT_LEDGER_LIMIT
    movements_months: int = 12  # months of the movement log on the Movements sheet (all with include_ledger)
    carried: Carried | None = None  # what a person typed into last month's file (dashboard --update)
    by: tuple[str, ...] = ()  # --by: the attributes of the Segments sheet (else the template's)


def number_format(unit: str, currency: str, *, cents: bool = False) -> str:
    """The Excel number format of a KPI unit.

    Money is in the reporting currency, in whole units unless ``cents`` (and never with
    decimals for a currency without a minor unit, such as KRW), negatives in parentheses:
    ``"$"#,##0;("$"#,##0)``.
    """
    if unit == "money":
        digits = minor_unit_digits(currency) if cents else 0
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        symbol = CURRENCY_SYMBOLS.get(currency)
        if symbol:
            return f'"{symbol}"{pattern};("{symbol}"{pattern})'
        return f'{pattern} "{currency}";({pattern}) "{currency}"'
    return {
        "rate": "0.00%",
        "count": "#,##0",
        "ratio": '0.00"x"',
        "months": "0.0",
        "score": "0.0",
        "month": "yyyy-mm",
    }.get(unit, "General")


def add_table(ws: Worksheet, name: str, ref: str, headers: list[str], style: str) -> None:
    """An Excel Table whose column names are given, not read back from the sheet: openpyxl
    would otherwise make a cell object for every cell of the range (a million for a ledger)."""
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
    table._initialise_columns()
    for column, header in zip(table.tableColumns, headers, strict=True):
        column.name = header
    ws.add_table(table)


@dataclass
class Context:
    """The inputs of a build and the workbook being written (no sheet's cell positions)."""

    data: CompanyData
    report: KPIReport
    options: BuildOptions
    wb: Workbook
    book: Book = field(default_factory=Book)
    sheets: dict[str, Worksheet] = field(default_factory=dict)
    streamed: dict[str, StreamedRows] = field(default_factory=dict)
    progress: Callable[[str], None] = lambda _step: None
    #: per sheet title, the last column and row its charts reach (for the print area)
    extents: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: per sheet title, sparklines as (cell, source range): written into the sheet XML on saving
    sparklines: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    #: per sheet title, the same trends as text (▁▂▃…█), for the PDF: LibreOffice does not print sparklines
    trend_text: dict[str, dict[str, str]] = field(default_factory=dict)
    #: pack pages with nothing to show (no plan, no forecast): hidden and never printed
    unprinted: set[str] = field(default_factory=set)

    @property
    def lang(self) -> Language:
        return self.options.language

    @property
    def template(self) -> Template:
        return self.options.template

    @property
    def currency(self) -> str:
        return self.report.reporting_currency

    @property
    def months(self) -> list[pd.Period]:
        return list(self.report.monthly.index)

    @property
    def n(self) -> int:
        return len(self.report.monthly)

    @property
    def font(self) -> str | None:
        """The font named for the dashboard's text: one that has Hangul for Korean, else the theme's."""
        return self.lang.ui.get("font") or None

    def fmt(self, key: str) -> str:
        entry = kpi(key)
        return number_format(entry.unit, self.currency, cents=entry.cents)

    def money(self) -> str:
        return number_format("money", self.currency)

    def ui(self, key: str, **kwargs: object) -> str:
        return self.lang.ui[key].format(**kwargs)

    def header(self, ws: Worksheet, row: int, labels: list[str], start_col: int = 1) -> None:
        for i, label in enumerate(labels):
            cell = ws.cell(row=row, column=start_col + i)
            put_text(cell, label)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")

    def title(self, ws: Worksheet, text: str, note: str | None = None) -> None:
        put_text(ws["A1"], text)
        ws["A1"].font = TITLE_FONT
        if note:
            put_text(ws["A2"], note)
            ws["A2"].font = NOTE_FONT

    def section(self, ws: Worksheet, row: int, text: str) -> None:
        put_text(ws.cell(row=row, column=1), text)
        ws.cell(row=row, column=1).font = SECTION_FONT

    def month_column(self, ws: Worksheet, first: int) -> None:
        for i, period in enumerate(self.months):
            self.book.value(ws, f"A{first + i}", period, "yyyy-mm")
        ws.column_dimensions["A"].width = 10

    def column_label(self, column: str) -> str:
        """A supporting sheet's column in words: the KPI's label, else the language's ``col_<name>``."""
        if column in self.lang.kpis:
            return self.lang.label(column)
        return self.lang.ui.get(f"col_{column}") or self.lang.ui.get(column) or column

    def label_row(self, ws: Worksheet, row: int, columns: list[str]) -> None:
        """Labels above a row of snake_case column keys (which stay: formulas and users refer to them)."""
        for i, column in enumerate(columns, start=1):
            cell = ws.cell(row=row, column=i)
            put_text(cell, self.column_label(column))
            cell.font, cell.alignment = Font(bold=True, color="1F3864"), Alignment(wrap_text=True, vertical="bottom")
        ws.row_dimensions[row].height = 30

    def opening_note(self) -> str:
        """ " · 2024-01: opening balance, no movements of its own" when the ledger's first month is the opening."""
        if self.report.opening_month is None:
            return ""
        return f" · {self.ui('opening_note', month=str(self.report.opening_month))}"

    def subtitle(self) -> str:
        marks = f" ({self.ui('month_to_date')})" if self.report.month_to_date else ""
        marks += self.opening_note()
        return (
            f"{self.report.company or ''} · {self.ui('as_of')} {self.report.as_of}{marks} · "
            f"{self.ui('reporting_currency')} {self.currency}".lstrip(" ·")
        )


def grey_errors(ws: Worksheet, area: str) -> None:
    top_left = area.split(":")[0]
    ws.conditional_formatting.add(area, FormulaRule(formula=[f"ISERROR({top_left})"], font=ERROR_FONT))


def status_colours(ws: Worksheet, area: str, status_texts: dict[str, str]) -> None:
    top_left = area.split(":")[0]
    for key, colour in STATUS_FILLS.items():
        ws.conditional_formatting.add(
            area,
            FormulaRule(formula=[f'{top_left}="{status_texts[key]}"'], fill=PatternFill("solid", bgColor=colour)),
        )


def column(j: int) -> str:
    return get_column_letter(j)


def text_width(text: str) -> float:
    """Width in Latin letters: a Hangul syllable (or another wide character) is about 1.7."""
    return sum(1.7 if ord(c) >= 0x1100 else 1.0 for c in text)


@dataclass
class MonthRows:
    """A sheet with one row a month from row ``first``: ``ref(column, i)`` is the cell of
    ``column`` (a name its builder chose) in month ``i`` (0 = the first month)."""

    ctx: Context
    ws: Worksheet
    columns: dict[str, str]
    first: int

    def ref(self, column: str, i: int) -> Ref:
        return self.ctx.book.ref(self.ws, f"{self.columns[column]}{self.first + i}")
