"""Segment data: the Excel Table ``SegmentData``, one row per month × segment (a working sheet).

The library's segment figures (:func:`~kpi_addin.metrics.segments.segment_report`) as
values, like the ledger aggregates: MRR and its bridge by where it is billed (with the MRR
that entered and left the segment), the customer counts, the MRR of the customers whose
segment it is (for ARPU) and the 12-month NRR.  The Segments sheet and its pack page are
``SUMIFS`` over this table, so their totals tie to ``MonthlyKPIs`` by formula.

Segments come from ``--by`` (:attr:`BuildOptions.by`) or the template's ``segments`` list.
A template's attribute the data does not have leaves the table empty with a note (the
Segments sheet says so); ``--by`` with such an attribute is refused before the build.
Segment names are the ledger's text: written as text, never as formulas, and the
formulas select rows by the segment's *code*, a number, never by its name (a name such
as ``<5`` or ``Pro*`` would be read as a criterion).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...metrics import KPIInputError
from ...metrics.segments import SegmentReport, segment_report
from ..cells import put_text
from .common import NOTE_FONT, Context, add_table, number_format

TABLE = "SegmentData"
HEADER_ROW = 4
FIRST = HEADER_ROW + 1
#: The bridge of a segment, in order, with the sign each move takes (start + … = end).
BRIDGE = (
    ("new_mrr", 1),
    ("expansion_mrr", 1),
    ("reactivation_mrr", 1),
    ("entered_mrr", 1),
    ("contraction_mrr", -1),
    ("churned_mrr", -1),
    ("left_mrr", -1),
    ("fx_mrr", 1),
)
#: The table's figure columns (after month, code and segment).
FIGURES = (
    "mrr",
    "start_mrr",
    *(key for key, _sign in BRIDGE),
    "customers",
    "start_customers",
    "churned_customers",
    "customer_mrr",
    "nrr_12m",
)
COUNTS = ("customers", "start_customers", "churned_customers")


@dataclass
class SegmentTable:
    """The segments of the build (``result`` None: none) and how to sum the table.

    ``order``: the segment codes with anything in the last three months, largest MRR at the
    as-of month first (ties by name); ``note``: why there are no segments, if there are none."""

    ctx: Context
    by: tuple[str, ...] = ()
    result: SegmentReport | None = None
    note: str = ""
    order: list[int] = field(default_factory=list)

    def name(self, code: int) -> str:
        assert self.result is not None
        return " / ".join(str(v) for v in self.result.segments.iloc[code])

    def value(self, column: str, i: int, code: int) -> float:
        """The library's ``column`` of segment ``code`` in month ``i``."""
        assert self.result is not None
        return float(self.result.columns[column][code][i])

    def window(self, column: str, i: int, code: int | None = None, months: int = 3) -> float:
        """``column`` summed over months ``i − months + 1 .. i`` (every segment when ``code`` is None)."""
        assert self.result is not None
        source = self.result.columns[column]
        rows = source if code is None else source[code : code + 1]
        return float(np.asarray(rows)[:, max(0, i - months + 1) : i + 1].sum())

    def total(self, column: str, i: int) -> float:
        assert self.result is not None
        return float(np.asarray(self.result.columns[column])[:, i].sum())

    @staticmethod
    def sumifs(column: str, month: str, code: str | None = None, since: str | None = None) -> str:
        """``SUMIFS`` of ``column`` in the month in cell ``month`` (from cell ``since`` through it,
        when given), of the segment whose code is in cell ``code`` (every segment when None)."""
        where = f'{TABLE}[month],">="&{since},{TABLE}[month],"<="&{month}' if since else f"{TABLE}[month],{month}"
        if code is not None:
            where += f",{TABLE}[code],{code}"
        return f"SUMIFS({TABLE}[{column}],{where})"


def segments_of(ctx: Context) -> tuple[str, ...]:
    """The attributes of the build's segments: ``--by``, else the template's ``segments``."""
    return ctx.options.by or ctx.template.segments


def build(ctx: Context) -> SegmentTable:
    ws = ctx.sheets["segment_data"]
    by = segments_of(ctx)
    table = SegmentTable(ctx, by)
    note = ctx.ui("segment_data_note")
    ctx.title(
        ws, ctx.lang.sheets["segment_data"], f"{note} {ctx.ui('segment_data_by', by=' × '.join(by))}" if by else note
    )
    if not by:
        table.note = ctx.ui("segments_none")
    else:
        try:
            table.result = segment_report(ctx.data, ctx.report, by)
        except KPIInputError as exc:
            if ctx.options.by:  # asked for on the command line: a bad option, not a silent empty sheet
                raise
            table.note = ctx.ui("segments_missing", by=", ".join(by), problem=str(exc).removeprefix("by: "))
    if table.result is None:
        put_text(ws["A3"], table.note)
        ws["A3"].font = NOTE_FONT
        return table
    table.order = _order(table)
    _write(ctx, ws, table.result)
    return table


def _order(table: SegmentTable) -> list[int]:
    """Codes of the segments with MRR, customers or a move in the last three months, largest MRR first."""
    assert table.result is not None
    i = table.ctx.n - 1
    active = []
    for code in range(len(table.result.segments)):
        moved = any(table.window(c, i, code) != 0 for c in (*FIGURES[:-1],))
        if moved:
            active.append(code)
    return sorted(active, key=lambda c: (-round(table.value("mrr", i, c), 6), table.name(c)))


def _write(ctx: Context, ws: Worksheet, result: SegmentReport) -> None:
    headers = ["month", "code", "segment", *FIGURES]
    ctx.label_row(ws, HEADER_ROW - 1, headers)
    ctx.header(ws, HEADER_ROW, headers)
    money = number_format("money", ctx.currency)
    formats = {c: "#,##0" if c in COUNTS else "0.00%" if c == "nrr_12m" else money for c in FIGURES}
    names = [" / ".join(str(v) for v in row) for row in result.segments.itertuples(index=False)]
    n_segments = len(names)
    r = FIRST
    for i, month in enumerate(ctx.months):
        date = pd.Period(month, "M").to_timestamp().to_pydatetime()
        for code in range(n_segments):
            ws.cell(row=r, column=1, value=date).number_format = "yyyy-mm"
            ws.cell(row=r, column=2, value=code)
            put_text(ws.cell(row=r, column=3), names[code])
            for j, column in enumerate(FIGURES, start=4):
                value = float(result.columns[column][code][i])
                cell = ws.cell(row=r, column=j, value=None if np.isnan(value) else value)
                cell.number_format = formats[column]
            r += 1
    last = max(r - 1, FIRST)
    add_table(ws, TABLE, f"A{HEADER_ROW}:{get_column_letter(len(headers))}{last}", headers, "TableStyleLight9")
    ws.freeze_panes = f"D{FIRST}"
    ws.column_dimensions["C"].width = 24
    for j in range(4, len(headers) + 1):
        ws.column_dimensions[get_column_letter(j)].width = 14
