"""Segments: the reporting month by segment (plan, currency, country, …) and its MRR bridge.

Two tables and a chart, every figure a ``SUMIFS`` over the ``SegmentData`` table
(:mod:`.segment_data`) for the month in cell ``B3``:

* by segment — MRR, share of the company's MRR, net new MRR, customers, ARPU, churn rate
  over 3 months and NRR over 12 months (churn and ARPU as sums of the table's counts and
  MRR, so the total row is the company's by the same formula);
* the segment bridge — start + new + expansion + reactivation + entered − contraction −
  churned − left + FX = end;
* each table ends with the total of the segments, the company's figure from
  ``MonthlyKPIs`` / ``Ledger aggregates`` and a check row (total − company = 0): new,
  reactivation, churned and FX tie column by column; expansion, contraction, entered and
  left tie together (a switch between segments is no movement for the company);
* a stacked column chart of MRR by segment over the months (the largest segments and
  ``(other)``).

At most :data:`SHEET_ROWS` segments get a row (the largest by MRR); the rest are one
``(other)`` row, the table's total less the rows above.  Segment names are the ledger's
text, written as text.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...metrics.segments import OTHER_LABEL
from ..cells import put_text
from ..expr import NA
from . import charts
from .common import NOTE_FONT, Context, grey_errors, number_format
from .ledger import LedgerAggregates
from .monthly import MonthlyTable
from .page import month_title
from .segment_data import BRIDGE, SegmentTable

#: Segments with a row of their own on the sheet; the rest are one "(other)" row.
SHEET_ROWS = 24
#: Series of the MRR-by-segment chart: the largest segments, then "(other)".
CHART_SEGMENTS = 8
MONTH, SINCE = "$B$3", "$D$3"
CHECK_FONT = Font(bold=True, color="2E7D32")


@dataclass
class SegmentsSheet:
    """Where the sheet's figures are: per shown row (``labels``: its name), the cell of each
    column (``cells[row][key]``), the library value (``values[row][key]``); the chart data."""

    ctx: Context
    table: SegmentTable
    ws: Worksheet | None = None
    labels: list[str] = field(default_factory=list)
    cells: list[dict[str, str]] = field(default_factory=list)
    values: list[dict[str, float]] = field(default_factory=list)
    total_row: int = 0
    bridge_total_row: int = 0  # the bridge's total row (its cells: ``cells[row]["bridge_<key>"]``)
    chart_names: list[str] = field(default_factory=list)  # the chart's series, in columns CHART_COLUMN + 1 ..
    chart_first: int = 0  # the first month's row of the chart data (month in column CHART_COLUMN)


CHART_COLUMN = 14  # N: the chart data, right of the tables


def build(ctx: Context, monthly: MonthlyTable, ledger: LedgerAggregates, segment_data: SegmentTable) -> SegmentsSheet:
    ws = ctx.sheets["segments"]
    table = segment_data
    sheet = SegmentsSheet(ctx, table, ws)
    by = " × ".join(table.by)
    ctx.title(ws, ctx.lang.sheets["segments"], ctx.subtitle() + (f" · {ctx.ui('segments_by', by=by)}" if by else ""))
    ws.column_dimensions["A"].width = 26
    for c in range(2, CHART_COLUMN + 2 + CHART_SEGMENTS):
        ws.column_dimensions[get_column_letter(c)].width = 14
    if table.result is None:
        put_text(ws["A3"], table.note)
        ws["A3"].font = NOTE_FONT
        return sheet
    as_of = ctx.report.as_of
    put_text(ws["A3"], ctx.ui("month"))
    ctx.book.value(ws, "B3", _date(as_of), "yyyy-mm")
    put_text(ws["C3"], ctx.ui("segments_window_from"))
    ctx.book.formula(ws, "D3", "DATE(YEAR($B$3),MONTH($B$3)-2,1)", _date(as_of - 2), "yyyy-mm")
    for cell in ("B3", "D3"):  # beside their labels, not against the next one
        ws[cell].alignment = Alignment(horizontal="left")
    put_text(ws["A4"], ctx.ui("segments_rules"))
    ws["A4"].font = NOTE_FONT
    shown = table.order[:SHEET_ROWS] if len(table.order) > SHEET_ROWS + 1 else table.order
    capped = len(shown) < len(table.order)
    row = _kpi_block(ctx, sheet, monthly, ledger, shown, capped, 6)
    row = _bridge_block(ctx, sheet, monthly, ledger, shown, capped, row + 2)
    _chart(ctx, sheet, monthly, row + 2)
    notes = ([ctx.ui("segments_capped", shown=len(shown), total=len(table.order))] if capped else []) + [
        ctx.ui("segments_not_segmentable")
    ]
    r = max(ws.max_row, ctx.extents.get(ws.title, (0, 0))[1]) + 2
    for note in notes:
        put_text(ws.cell(row=r, column=1), note)
        ws.cell(row=r, column=1).font = NOTE_FONT
        r += 1
    grey_errors(ws, f"B7:M{r}")
    ws.freeze_panes = "B5"
    return sheet


def _date(month: object) -> dt.datetime:
    return month.to_timestamp().to_pydatetime()  # type: ignore[attr-defined]  # a pd.Period


def _fmt(ctx: Context, unit: str) -> str:
    if unit == "cents":
        return number_format("money", ctx.currency, cents=True)
    return number_format(unit, ctx.currency)


def _put(ctx: Context, ws: Worksheet, cell: str, formula: str, expected: float, fmt: str) -> None:
    """A formula cell; an undefined library value is ``NA()`` (the library says undefined)."""
    if isinstance(expected, float) and math.isnan(expected):
        ctx.book.formula(ws, cell, "NA()", math.nan, fmt, error=NA)
    else:
        ctx.book.formula(ws, cell, formula, expected, fmt)


#: Decimals a check is rounded to, by number format (float noise must not print as "($0)").
CHECK_DECIMALS = {"0.00%": 6, "0.0%": 6, "#,##0": 0}


def _check(ctx: Context, ws: Worksheet, cell: str, difference: str, value: float, col: Col) -> float:
    """A check cell: ``difference`` rounded to the cent (a rate to 6 decimals): 0 when the figures tie."""
    digits = CHECK_DECIMALS.get(col.fmt, 2)
    rounded = value if math.isnan(value) else round(value, digits) + 0.0
    _put(ctx, ws, cell, f"ROUND({difference},{digits})", rounded, col.fmt)
    ws[cell].font = CHECK_FONT
    return rounded


def _ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


@dataclass
class Col:
    """A column of a block.  ``table``: the SegmentData column summed (``minus`` subtracted;
    ``window``: over the 3 months to B3) — additive, so ``(other)`` is the table's total less the
    rows above and the total is their sum; ``ratio``: the quotient of two columns of the row
    (``company`` as divisor: the company's figure); ``lookup``: the library's segment value read
    from the table (segment rows only); ``row``: a formula over the row's other columns (with
    signs); ``company``: the company's cell and value; ``check``: a check cell under it."""

    key: str
    label: str
    fmt: str
    table: str | None = None
    minus: str | None = None
    window: bool = False
    ratio: tuple[str, str] | None = None
    lookup: str | None = None
    row: tuple[tuple[str, int], ...] = ()
    company: tuple[str, float] | None = None
    check: bool = True
    helper: bool = False
    library: str | None = None  # a ratio's library figure per segment (SegmentReport.monthly column)


def _amount(table: SegmentTable, col: Col, i: int, code: int | None) -> float:
    assert col.table is not None
    read = (
        table.window
        if col.window
        else (lambda c, j, k=None: table.value(c, j, k) if k is not None else table.total(c, j))
    )
    value = read(col.table, i, code)
    return value - read(col.minus, i, code) if col.minus else value


def _sumifs(table: SegmentTable, col: Col, code: str | None) -> str:
    assert col.table is not None
    since = SINCE if col.window else None
    text = table.sumifs(col.table, MONTH, code, since)
    return f"{text}-{table.sumifs(col.minus, MONTH, code, since)}" if col.minus else text


def _block(
    ctx: Context,
    sheet: SegmentsSheet,
    title: str,
    columns: list[Col],
    shown: list[int],
    capped: bool,
    top: int,
    *,
    record: str | None = None,
) -> tuple[int, dict[str, str], dict[str, dict[str, float]]]:
    """A table from row ``top``: segment rows, ``(other)``, the total, the company, the check.

    Returns (the check row, the column letters, the values of the total / company / check rows)."""
    ws, table = sheet.ws, sheet.table
    assert ws is not None and table.result is not None
    i = ctx.n - 1
    ctx.section(ws, top, title)
    head = top + 1
    letters = {col.key: get_column_letter(j) for j, col in enumerate(columns, start=2)}
    code_letter = get_column_letter(len(columns) + 2)
    ctx.header(ws, head, [ctx.ui("segment"), *[col.label for col in columns], ctx.ui("segment_code")])
    for j, col in enumerate(columns, start=2):
        if col.helper:
            ws.cell(row=head, column=j).font = Font(bold=True, color="FFFFFF", italic=True)
    for j in range(2, len(columns) + 3):  # figures are right-aligned: so are their headers
        ws.cell(row=head, column=j).alignment = Alignment(horizontal="right", vertical="center", wrap_text=True)
    ws.row_dimensions[head].height = 42
    lookups = table.result.monthly.xs(ctx.report.as_of, level="month")
    first = head + 1
    r = first

    def fill(r: int, values: dict[str, float], formulas: dict[str, str]) -> None:
        for col in columns:
            if col.ratio is not None:
                num, den = col.ratio
                values[col.key] = _ratio(
                    values[num], col.company[1] if den == "company" and col.company else values[den]
                )
                divisor = col.company[0] if den == "company" and col.company else f"{letters[den]}{r}"
                formulas[col.key] = f"{letters[num]}{r}/{divisor}"
            elif col.row:
                values[col.key] = sum(sign * values[k] for k, sign in col.row)
                formulas[col.key] = "".join(f"{'+' if sign > 0 else '-'}{letters[k]}{r}" for k, sign in col.row).lstrip(
                    "+"
                )
        for col in columns:
            if col.key in formulas:
                _put(ctx, ws, f"{letters[col.key]}{r}", formulas[col.key], values[col.key], col.fmt)
                if col.helper:
                    ws[f"{letters[col.key]}{r}"].font = Font(color="808080")

    sums = {col.key: 0.0 for col in columns if col.table}
    for code in shown:
        name = table.name(code)
        put_text(ws[f"A{r}"], name)
        ctx.book.value(ws, f"{code_letter}{r}", code, "0")
        ws[f"{code_letter}{r}"].font = Font(color="808080")
        c = f"${code_letter}{r}"
        values: dict[str, float] = {}
        formulas: dict[str, str] = {}
        for col in columns:
            if col.table:
                values[col.key] = _amount(table, col, i, code)
                formulas[col.key] = _sumifs(table, col, c)
                sums[col.key] += values[col.key]
            elif col.lookup:
                values[col.key] = float(lookups[col.lookup].iloc[code])
                formulas[col.key] = table.sumifs(col.lookup, MONTH, c)
        fill(r, values, formulas)
        for col in columns:  # where the sheet divides sums (ARPU, churn) the library's own figure is cached
            if col.library is not None:
                library = float(lookups[col.library].iloc[code])
                values[col.key] = library
                _put(ctx, ws, f"{letters[col.key]}{r}", formulas[col.key], library, col.fmt)
        _remember(sheet, record, r - first, name, {k: f"{letters[k]}{r}" for k in letters}, values)
        r += 1
    every = {col.key: _amount(table, col, i, None) for col in columns if col.table}
    if capped:
        put_text(ws[f"A{r}"], OTHER_LABEL)
        values = {k: every[k] - sums[k] for k in every}
        formulas = {
            k: f"{_sumifs(table, col, None)}-SUM({letters[k]}{first}:{letters[k]}{r - 1})"
            for col in columns
            if (k := col.key) in every
        }
        fill(r, values, formulas)
        _remember(sheet, record, r - first, OTHER_LABEL, {k: f"{letters[k]}{r}" for k in letters}, values)
        r += 1
    last = r - 1
    total, company, check = r, r + 1, r + 2
    put_text(ws[f"A{total}"], ctx.ui("segments_total"))
    put_text(ws[f"A{company}"], ctx.ui("segments_company"))
    put_text(ws[f"A{check}"], ctx.ui("segments_check"))
    for rr in (total, company):
        ws[f"A{rr}"].font = Font(bold=True)
    ws[f"A{check}"].font = CHECK_FONT
    totals = dict(every)
    fill(total, totals, {k: f"SUM({letters[k]}{first}:{letters[k]}{last})" for k in every})
    company_values: dict[str, float] = {}
    checks: dict[str, float] = {}
    for col in columns:
        if col.company is None or col.helper or (col.ratio and col.ratio[1] == "company"):
            continue
        L = letters[col.key]
        formula, value = col.company
        company_values[col.key] = value
        _put(ctx, ws, f"{L}{company}", formula, value, col.fmt)
        if col.check:
            checks[col.key] = _check(ctx, ws, f"{L}{check}", f"{L}{total}-{L}{company}", totals[col.key] - value, col)
    return check, letters, {"total": totals, "company": company_values, "check": checks}


def _kpi_block(
    ctx: Context,
    sheet: SegmentsSheet,
    monthly: MonthlyTable,
    ledger: LedgerAggregates,
    shown: list[int],
    capped: bool,
    top: int,
) -> int:
    i = ctx.n - 1
    m, money = ctx.report.monthly, _fmt(ctx, "money")
    company_mrr = float(m["mrr"].iloc[i])
    start = float(ctx.report.bridge["start_mrr"].iloc[i])

    def company(key: str) -> tuple[str, float]:
        return monthly.latest(key).excel(), float(m[key].iloc[i])

    columns = [
        Col("mrr", ctx.lang.label("mrr"), money, table="mrr", company=company("mrr")),
        Col("share", ctx.ui("segment_share"), "0.0%", ratio=("mrr", "company"), company=company("mrr")),
        Col(
            "net_new",
            ctx.ui("segment_net_new_mrr"),
            money,
            table="mrr",
            minus="start_mrr",
            company=(f"{monthly.latest('mrr').excel()}-{ledger.ref('start_mrr', i).excel()}", company_mrr - start),
        ),
        Col(
            "customers",
            ctx.lang.label("customers"),
            _fmt(ctx, "count"),
            table="customers",
            company=company("customers"),
        ),
        Col(
            "arpu",
            ctx.lang.label("arpu"),
            _fmt(ctx, "cents"),
            ratio=("customer_mrr", "customers"),
            company=company("arpu"),
            library="arpu",
        ),
        Col(
            "churn",
            ctx.lang.label("customer_churn_rate_3m"),
            "0.00%",
            ratio=("churned_3m", "start_3m"),
            company=company("customer_churn_rate_3m"),
            library="customer_churn_rate_3m",
        ),
        Col("nrr", ctx.lang.label("nrr_12m"), "0.00%", lookup="nrr_12m", company=company("nrr_12m"), check=False),
        Col("customer_mrr", ctx.ui("segment_customer_mrr"), money, table="customer_mrr", helper=True),
        Col("churned_3m", ctx.ui("segment_churned_3m"), "#,##0", table="churned_customers", window=True, helper=True),
        Col("start_3m", ctx.ui("segment_start_3m"), "#,##0", table="start_customers", window=True, helper=True),
    ]
    title = f"{ctx.ui('segments_by_segment')} — {month_title(ctx.report.as_of, ctx.lang.code)}"
    check, _letters, _rows = _block(ctx, sheet, title, columns, shown, capped, top, record="")
    sheet.total_row = check - 2
    return check


def _remember(
    sheet: SegmentsSheet, record: str | None, k: int, name: str, cells: dict[str, str], values: dict[str, float]
) -> None:
    """Row ``k``'s cells and values for the pack page: the first table's as they are, the bridge's
    (``record`` "bridge_") added to the same row's under prefixed keys (the rows are the same)."""
    if record is None:
        return
    if not record:
        sheet.labels.append(name)
        sheet.cells.append(cells)
        sheet.values.append(values)
        return
    sheet.cells[k].update({record + key: cell for key, cell in cells.items()})
    sheet.values[k].update({record + key: value for key, value in values.items()})


def _bridge_block(
    ctx: Context,
    sheet: SegmentsSheet,
    monthly: MonthlyTable,
    ledger: LedgerAggregates,
    shown: list[int],
    capped: bool,
    top: int,
) -> int:
    i = ctx.n - 1
    m, money = ctx.report.monthly, _fmt(ctx, "money")

    def company(key: str) -> tuple[str, float]:
        return monthly.latest(key).excel(), float(m[key].iloc[i])

    moves = [
        Col(
            key,
            ctx.ui(f"segment_{key}") if key in ("entered_mrr", "left_mrr") else ctx.lang.label(key),
            money,
            table=key,
            company=company(key) if key not in ("entered_mrr", "left_mrr") else ("0", 0.0),
            check=key not in ("expansion_mrr", "contraction_mrr", "entered_mrr", "left_mrr"),
        )
        for key, _sign in BRIDGE
    ]
    columns = [
        Col(
            "start_mrr",
            ctx.ui("segment_start_mrr"),
            money,
            table="start_mrr",
            company=(ledger.ref("start_mrr", i).excel(), float(ctx.report.bridge["start_mrr"].iloc[i])),
        ),
        *moves,
        Col("end_mrr", ctx.ui("segment_end_mrr"), money, row=(("start_mrr", 1), *BRIDGE), company=company("mrr")),
    ]
    title = f"{ctx.ui('segments_bridge')} — {month_title(ctx.report.as_of, ctx.lang.code)}"
    check, letters, rows = _block(ctx, sheet, title, columns, shown, capped, top, record="bridge_")
    sheet.bridge_total_row = check - 2
    ws = sheet.ws
    assert ws is not None
    # expansion, contraction, entered and left tie together: a switch is no movement for the company
    e, c, n, lf = (letters[k] for k in ("expansion_mrr", "contraction_mrr", "entered_mrr", "left_mrr"))
    total, company_row = check - 2, check - 1
    t, k = rows["total"], rows["company"]
    value = (t["expansion_mrr"] - t["contraction_mrr"] + t["entered_mrr"] - t["left_mrr"]) - (
        k["expansion_mrr"] - k["contraction_mrr"]
    )
    formula = f"({e}{total}-{c}{total}+{n}{total}-{lf}{total})-({e}{company_row}-{c}{company_row})"
    _check(ctx, ws, f"{e}{check}", formula, value, columns[2])
    put_text(ws[f"A{check + 1}"], ctx.ui("segments_check_note"))
    ws[f"A{check + 1}"].font = NOTE_FONT
    return check + 1


def _chart(ctx: Context, sheet: SegmentsSheet, monthly: MonthlyTable, anchor_row: int) -> None:
    """MRR by segment over the months, stacked: the largest :data:`CHART_SEGMENTS` and ``(other)``."""
    ws, table = sheet.ws, sheet.table
    assert ws is not None and table.result is not None
    top = table.order[:CHART_SEGMENTS]
    other = len(table.order) > len(top)
    head = 6
    col0 = CHART_COLUMN
    put_text(ws.cell(row=head, column=col0), ctx.ui("month"))
    names = [table.name(code) for code in top] + ([OTHER_LABEL] if other else [])
    for k, name in enumerate(names, start=1):
        put_text(ws.cell(row=head, column=col0 + k), name)
        ws.cell(row=head, column=col0 + k).font = Font(bold=True, color="808080")
    money = _fmt(ctx, "money")
    for i, month in enumerate(ctx.months):
        r = head + 1 + i
        ctx.book.value(ws, f"{get_column_letter(col0)}{r}", _date(month), "yyyy-mm")
        m_cell = f"${get_column_letter(col0)}{r}"
        shown_sum = 0.0
        for k, code in enumerate(top, start=1):
            value = table.value("mrr", i, code)
            shown_sum += value
            ctx.book.formula(
                ws, f"{get_column_letter(col0 + k)}{r}", table.sumifs("mrr", m_cell, str(code)), value, money
            )
        if other:
            letter = get_column_letter(col0 + len(names))
            span = f"{get_column_letter(col0 + 1)}{r}:{get_column_letter(col0 + len(top))}{r}"
            ctx.book.formula(
                ws,
                f"{letter}{r}",
                f"{monthly.ref('mrr', i).excel()}-SUM({span})",
                float(ctx.report.monthly["mrr"].iloc[i]) - shown_sum,
                money,
            )
        for k in range(len(names) + 1):
            ws.cell(row=r, column=col0 + k).font = Font(color="808080")
    sheet.chart_first = head + 1
    sheet.chart_names = names
    last = head + ctx.n
    chart = charts.stacked_by_segment(ctx, ws, col0, head, last, len(names), other)
    charts.place(ctx, ws, "segments_mrr", chart, f"A{anchor_row}", "sheet")
