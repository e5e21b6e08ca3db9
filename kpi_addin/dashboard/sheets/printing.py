"""Print setup of every sheet: print area, fit to one page wide, repeated headers, footer.

Runs after every sheet is built (the last step of the registry), from what each sheet
holds: its used cells and the charts placed on it (``ctx.extents``).  The subscriptions
ledger never prints: its print area is the sheet's title and header only, so a PDF of a
million-row workbook stays a few pages.
"""

from __future__ import annotations

from copy import copy

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.indexed_list import IndexedList
from openpyxl.worksheet.worksheet import Worksheet

from ..cells import XML_ILLEGAL_RE
from ..template import PACK_PAGES
from .common import Context
from .data import HEADER_ROW as DATA_HEADER_ROW

#: Characters of the company name the footer shows (Excel allows 255 in a whole footer).
FOOTER_COMPANY_CHARS = 80

#: Sheets whose header row and month column repeat on every printed page: sheet key → header row.
TITLE_ROWS = {
    "revenue": 4,
    "funnel": 4,
    "unit_economics": 4,
    "nps": 4,
    "balance_sheet": 4,
    "goals": 4,
    "definitions": 3,
    "monthly": 4,
    "ledger": 4,
    "inputs": 4,
}
ONE_PAGE = ("summary",)


def build(ctx: Context) -> None:
    for key, ws in ctx.sheets.items():
        if key in PACK_PAGES:  # a pack page is laid out as its page (sheets/page.py): only the footer here
            footer(ctx, ws, size=9)
            continue
        setup(ctx, key, ws)
    if ctx.font:
        name_the_font(ctx.wb, ctx.font, hangul=ctx.lang.code == "ko")


def name_the_font(wb: Workbook, name: str, *, hangul: bool = False) -> None:
    """Give every font of the workbook the typeface ``name`` (Malgun Gothic for Korean).

    Cells refer to fonts by their index in the workbook's font list, so the list is
    rewritten in place, in order.  ``charset`` 129 (Hangul) lets Excel and LibreOffice pick
    an installed Hangul font where the named one is missing.
    """
    fonts = []
    for font in wb._fonts:
        named = copy(font)
        named.name, named.family, named.scheme = name, 2, None
        # charset 129 (Hangul) lets Excel pick an installed Hangul font where the named one is missing
        named.charset = 129 if hangul else None
        fonts.append(named)
    wb._fonts = IndexedList(fonts)
    normal = next((s for s in wb._named_styles if s.name == "Normal"), None)
    if normal is not None:
        normal.font = fonts[0]


def setup(ctx: Context, key: str, ws: Worksheet) -> None:
    last_col, last_row = max(ws.max_column, 1), max(ws.max_row, 1)
    chart_col, chart_row = ctx.extents.get(ws.title, (0, 0))
    last_col, last_row = max(last_col, chart_col), max(last_row, chart_row)
    if key == "data_subscriptions":
        last_row = min(last_row, DATA_HEADER_ROW)  # the title, the note and the header: never the rows
    if key == "summary" and ws.print_area:
        pass  # the Summary sets its own one-page area
    else:
        ws.print_area = f"A1:{get_column_letter(last_col)}{last_row}"
    setup = ws.page_setup
    setup.orientation = "landscape"
    setup.paperSize = ws.PAPERSIZE_A4
    setup.fitToWidth = 1
    setup.fitToHeight = 1 if key in ONE_PAGE else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.5, 0.6
    ws.page_margins.footer = 0.25
    if key in TITLE_ROWS:
        row = TITLE_ROWS[key]
        ws.print_title_rows = f"{row}:{row}"
    if key in TITLE_ROWS or key == "customers":
        ws.print_title_cols = "A:A"
    footer(ctx, ws)


def footer(ctx: Context, ws: Worksheet, size: int = 8) -> None:
    """Company on the left; as-of month and "Confidential" in the middle; page x of y on the right."""
    font = f'&"{ctx.font},Regular"&{size}' if ctx.font else f"&{size}"
    # a footer holds at most 255 characters in all (Excel), and only characters XML allows
    company = XML_ILLEGAL_RE.sub("", ctx.report.company or "")
    if len(company) > FOOTER_COMPANY_CHARS:
        company = company[: FOOTER_COMPANY_CHARS - 1] + "…"
    company = company.replace("&", "&&")
    ws.oddFooter.left.text = f"{font}{company}"
    ws.oddFooter.center.text = f"{font}{ctx.ui('as_of')} {ctx.report.as_of} · {ctx.ui('confidential')}"
    ws.oddFooter.right.text = f"{font}{ctx.ui('page_of')}"
