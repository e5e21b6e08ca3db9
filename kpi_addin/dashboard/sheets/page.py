"""A printed page of the board pack: the layout every pack page shares.

A pack page is a sheet designed as one landscape page (A4, or Letter for a US-dollar
company), printed at its own size: a title band, up to six headline tiles, one table of at
most :data:`PAGE_MONTHS` month rows (or a few quarters), at most two charts, and a note line.
Every cell is 8 pt or larger, every cell's value on the page is a formula over the working
sheets (``MonthlyKPIs``, ``Ledger aggregates``) that shows ``n/a`` where the library says
undefined — never an Excel error code — and money is scaled for reading (``$105.7M``,
``$2.7k``); the exact figure stays in the working sheets.

Data a chart needs but a reader does not (a negative copy of the losses for a stacked
column chart) sits in :data:`HELPER_COLUMN` and beyond, outside the print area.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...formatting import CURRENCY_SYMBOLS
from ...metrics.catalogue import kpi
from ..cells import put_text
from ..expr import Expr, Ref
from .common import Context

#: Month rows a page's table shows at most (a year and the same month a year before).
PAGE_MONTHS = 13
#: The smallest type on a page (points) and the body size: at the 90 % a page may be fitted
#: to, the body still prints at 8.1 pt.
BODY_PT, SMALL_PT, HEADLINE_PT, TITLE_PT = 9, 9, 16, 16
#: The page's printed columns: A (labels or months) and B.. (figures).
#: 16 + 9 × 10.5 characters ≈ 21.7 cm: inside a landscape A4 or Letter page at 100 %.
LABEL_WIDTH, FIGURE_WIDTH, PAGE_COLUMNS = 16, 10.5, 10
#: Where chart data that is not for reading starts (outside the print area).
HELPER_COLUMN = 20
NAVY, GREY, LIGHT = "1F3864", "595959", "D9E1F2"
NA_TEXT = "n/a"

TITLE = Font(bold=True, size=TITLE_PT, color=NAVY)
SUBTITLE = Font(size=SMALL_PT, color=GREY)
HEADER = Font(bold=True, size=BODY_PT, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor=NAVY)
BODY = Font(size=BODY_PT)
BOLD = Font(size=BODY_PT, bold=True)
NOTE = Font(size=SMALL_PT, italic=True, color=GREY)
TILE_LABEL = Font(size=SMALL_PT, color=GREY)
TILE_VALUE = Font(size=HEADLINE_PT, bold=True, color=NAVY)
HELPER = Font(size=BODY_PT, color="A6A6A6")
RULE = Side(style="thin", color="BFBFBF")


def scale_of(values: Sequence[float]) -> tuple[float, str]:
    """(divisor, suffix) for money of this magnitude: millions from 1M, thousands from 10k."""
    finite = [abs(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    top = max(finite, default=0.0)
    if top >= 1e6:
        return 1e6, "M"
    if top >= 1e4:
        return 1e3, "k"
    return 1.0, ""


def money_format(ctx: Context, values: Sequence[float]) -> str:
    """An Excel format showing money scaled for the page: ``$105.7M``, ``$2.7k``, ``$830``; negatives
    ``-$1.2k``.  Millions under ten get two decimals (``$0.87M``, ``$1.27M``): one would print
    $871k as ``$0.9M``, a tenth of the figure lost."""
    divisor, suffix = scale_of(values)
    commas = {1e6: ",,", 1e3: ",", 1.0: ""}[divisor]
    top = max((abs(v) for v in values if v is not None and not math.isnan(v)), default=0.0)
    digits = ("#,##0.00" if top < 1e7 else "#,##0.0") if divisor == 1e6 else "#,##0.0" if divisor > 1 else "#,##0"
    body = f'{digits}{commas}"{suffix}"' if suffix else digits
    symbol = CURRENCY_SYMBOLS.get(ctx.currency)
    if symbol:
        return f'"{symbol}"{body};-"{symbol}"{body};"{symbol}"0'
    return f'{body} "{ctx.currency}";-{body} "{ctx.currency}";0 "{ctx.currency}"'


def unit_format(ctx: Context, unit: str, values: Sequence[float]) -> str:
    """The page format of a figure of ``unit`` (money scaled; rates with one decimal, two
    when every value is under 1 %, as a visitor-to-customer conversion is)."""
    if unit == "money":
        return money_format(ctx, values)
    finite = [abs(float(v)) for v in values if v is not None and not math.isnan(float(v))]
    if unit == "rate" and finite and max(finite) < 0.01:
        return "0.00%"
    return {
        "rate": "0.0%",
        "count": "#,##0",
        "ratio": '0.0"x"',
        "months": "0.0",
        "score": "0.0",
        "points": '0.0" pp"',
    }.get(unit, "General")


def shown(expected: object) -> object:
    """The cached value of a page cell: the library's number, or ``n/a`` where it is undefined."""
    if expected is None:
        return NA_TEXT
    if isinstance(expected, float | int) and math.isnan(float(expected)):
        return NA_TEXT
    return expected


def guarded(formula: Expr | str) -> str:
    """``formula`` that shows ``n/a`` instead of an error (a page never prints ``#DIV/0!``)."""
    text = formula.excel() if isinstance(formula, Expr) else formula
    return f'IFERROR({text},"{NA_TEXT}")'


def header_lines(header: str) -> str:
    r"""A printed column header with a line break before a parenthesis written without a space
    (Korean "고객 이탈률(3개월)"): a narrow column then breaks before "(3개월)", not inside it
    (LibreOffice and Excel break such text anywhere, leaving ")" alone on a line).

    >>> header_lines("고객 이탈률(3개월)"), header_lines("Churn rate (3 months)")
    ('고객 이탈률\n(3개월)', 'Churn rate (3 months)')
    """
    return re.sub(r"(?<=\S)\(", "\n(", header, count=1)


@dataclass
class PageColumn:
    """One figure column of a page table: its header, unit, and per row its formula and library value."""

    header: str
    unit: str
    formulas: Sequence[Expr | str]
    values: Sequence[float]
    helper: bool = False  # chart data, outside the print area


@dataclass
class Page:
    """A pack page being written: its sheet and the next free row."""

    ctx: Context
    ws: Worksheet
    row: int = 1
    last_column: int = PAGE_COLUMNS
    helper_next: int = HELPER_COLUMN
    charts_at: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        # widths first: a chart (or its no-data note) placed later measures its span by them
        self.ws.column_dimensions["A"].width = LABEL_WIDTH
        for c in range(2, self.last_column + 1):
            self.ws.column_dimensions[get_column_letter(c)].width = FIGURE_WIDTH

    def text(self, cell: str, text: str, font: Font = BODY, *, wrap: bool = False, align: str | None = None) -> None:
        put_text(self.ws[cell], text)
        self.ws[cell].font = font
        self.ws[cell].alignment = Alignment(wrap_text=wrap, vertical="center", horizontal=align)

    def title(self, title: str, subtitle: str) -> None:
        """The title band: the page's name and month, then company and currency."""
        self.text("A1", title, TITLE)
        self.text("A2", subtitle, SUBTITLE)
        self.ws.row_dimensions[1].height = 24
        for c in range(1, self.last_column + 1):
            self.ws.cell(row=2, column=c).border = Border(bottom=Side(style="medium", color=NAVY))
        self.row = 4

    def figure(self, cell: str, formula: Expr | str, expected: object, number_format: str, font: Font = BODY) -> None:
        self.ctx.book.formula(self.ws, cell, guarded(formula), shown(expected), number_format)
        self.ws[cell].font = font
        self.ws[cell].alignment = Alignment(horizontal="right", vertical="center")

    def tiles(self, tiles: Sequence[tuple[str, Expr | str, object, str, str]]) -> None:
        """Headline tiles, two columns each: label above, value below, a change line under it.

        Each tile is (label, formula, library value, number format, change text)."""
        r = self.row
        for k, (label, formula, expected, fmt, change) in enumerate(tiles):
            col = 2 * k if k else 1  # A is about as wide as two figure columns
            letter = get_column_letter(col)
            if k:
                for row in (r, r + 2):
                    self.ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + 1)
            self.text(f"{letter}{r}", label, TILE_LABEL, wrap=True)
            self.ctx.book.formula(self.ws, f"{letter}{r + 1}", guarded(formula), shown(expected), fmt)
            self.ws[f"{letter}{r + 1}"].font = TILE_VALUE
            self.ws[f"{letter}{r + 1}"].alignment = Alignment(horizontal="left", vertical="center")
            self.text(f"{letter}{r + 2}", change, NOTE)
        self.ws.row_dimensions[r].height = 24  # a long label takes two lines
        self.ws.row_dimensions[r + 1].height = 24
        self.row = r + 4

    def section(self, text: str) -> None:
        self.text(f"A{self.row}", text, Font(bold=True, size=11, color=NAVY))
        self.row += 1

    def table(self, row_labels: Sequence[tuple[Expr | str | None, object, str]], columns: Sequence[PageColumn]) -> int:
        """A table: a header row, then one row per label (formula, value, format) with each column's figure.

        Returns the header row.  Helper columns go to :data:`HELPER_COLUMN` and beyond."""
        top = self.row
        ws = self.ws
        put_text(ws.cell(row=top, column=1), "")
        ws.cell(row=top, column=1).fill = HEADER_FILL
        placed: list[int] = []
        col = 2
        for column in columns:
            if column.helper:
                placed.append(self.helper_next)
                self.helper_next += 1
            else:
                placed.append(col)
                col += 1
        for column, c in zip(columns, placed, strict=True):
            cell = ws.cell(row=top, column=c)
            put_text(cell, header_lines(column.header))
            cell.font = HELPER if column.helper else HEADER
            if not column.helper:
                cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="right", vertical="center", wrap_text=True)
        ws.row_dimensions[top].height = 38  # three lines of a wrapped header
        for i, (label, expected, fmt) in enumerate(row_labels):
            r = top + 1 + i
            if isinstance(label, Expr):
                self.ctx.book.formula(ws, f"A{r}", label, expected, fmt)
                ws[f"A{r}"].font = BODY
                ws[f"A{r}"].alignment = Alignment(horizontal="left")
            elif label is not None:
                self.text(f"A{r}", str(label))
            for column, c in zip(columns, placed, strict=True):
                letter = get_column_letter(c)
                fmt_c = unit_format(self.ctx, column.unit, column.values)
                if column.helper:  # chart data: errors stay errors (gaps in a chart), outside the print area
                    self.ctx.book.formula(ws, f"{letter}{r}", column.formulas[i], column.values[i], fmt_c)
                    ws[f"{letter}{r}"].font = HELPER
                else:
                    self.figure(f"{letter}{r}", column.formulas[i], column.values[i], fmt_c, BODY)
            if i % 2 == 1:
                for c in range(1, col):
                    ws.cell(row=r, column=c).fill = PatternFill("solid", fgColor="F2F2F2")
        for c in range(1, col):
            ws.cell(row=top + len(row_labels), column=c).border = Border(bottom=RULE)
        self.row = top + len(row_labels) + 2
        return top

    def note(self, text: str) -> None:
        """A line of small print under the content (merged across the page, wrapped)."""
        r = self.row
        self.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=self.last_column)
        self.text(f"A{r}", text, NOTE, wrap=True)
        lines = max(1, math.ceil(len(text) / 190))
        self.ws.row_dimensions[r].height = 13 * lines + 2
        self.row = r + 2

    def finish(self, last_row: int | None = None) -> None:
        """Column widths, fonts, and the print setup of one landscape page at its own size."""
        ws = self.ws
        for c in range(HELPER_COLUMN, self.helper_next):
            ws.column_dimensions[get_column_letter(c)].width = FIGURE_WIDTH
        end = max(last_row or 0, self.row, *self.charts_at)
        ws.print_area = f"A1:{get_column_letter(self.last_column)}{end}"
        setup = ws.page_setup
        setup.orientation = "landscape"
        setup.paperSize = ws.PAPERSIZE_LETTER if self.ctx.currency == "USD" else ws.PAPERSIZE_A4
        setup.fitToWidth, setup.fitToHeight = 1, 1
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_margins.left = ws.page_margins.right = 0.5
        ws.page_margins.top, ws.page_margins.bottom, ws.page_margins.footer = 0.5, 0.6, 0.25
        ws.print_options.horizontalCentered = True
        ws.sheet_view.showGridLines = False


def page_months(ctx: Context) -> list[int]:
    """The month indexes a page table shows: the last :data:`PAGE_MONTHS`, never the opening month."""
    start = 1 if ctx.report.opening_month is not None else 0
    return list(range(max(start, ctx.n - PAGE_MONTHS), ctx.n))


def month_title(month: pd.Period, lang_code: str) -> str:
    """The month spelled out: ``December 2025`` (``2025년 12월`` in Korean)."""
    if lang_code == "ko":
        return f"{month.year}년 {month.month}월"
    return month.strftime("%B %Y")


def kpi_unit(key: str) -> str:
    return kpi(key).unit


def change_text(ctx: Context, now: float, before: float, unit: str, label: str) -> str:
    """``+3.2 % m/m`` for a level, ``+0.4 pp y/y`` for a rate; empty when either is undefined."""
    if any(v is None or math.isnan(v) for v in (now, before)):
        return ""
    if unit == "rate":
        diff = (now - before) * 100
        if abs(diff) < 0.05:
            return f"{ctx.ui('pack_unchanged')} {label}"
        return f"{diff:+.1f} pp {label}"
    if before == 0:
        return ""
    pct = (now / before - 1) * 100
    if abs(pct) < 0.05:
        return f"{ctx.ui('pack_unchanged')} {label}"
    return f"{pct:+.1f} % {label}"


def ref_or_value(ref: Ref | None, value: float) -> Expr | str:
    return ref if ref is not None else repr(float(value))
