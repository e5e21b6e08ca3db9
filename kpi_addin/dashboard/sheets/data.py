"""The Data sheets: the inputs as Excel Tables (the subscriptions ledger streamed, up to a limit)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ...io.schema import SHEETS
from ..cells import excel_value, put_text
from ..expr import Ref
from ..stream import StreamedRows
from .common import Context, add_table, number_format

HEADER_ROW = 3
EXCEL_MAX_ROWS = 1_048_576  # rows in one Excel sheet
TABLES = {  # canonical sheet → (Excel Table name, language key of the sheet)
    "subscriptions": ("Subscriptions", "data_subscriptions"),
    "funnel": ("Funnel", "data_funnel"),
    "costs": ("Costs", "data_costs"),
    "nps": ("NPS", "data_nps"),
    "balance_sheet": ("BalanceSheet", "data_balance_sheet"),
    "targets": ("Targets", "data_targets"),
    "fx_rates": ("FXRates", "data_fx_rates"),
}
SHEET_KEYS = tuple(key for _table, key in TABLES.values())


@dataclass
class DataTables:
    """Where each input row sits: ``ref("targets", "target", i)`` is row ``i`` of the input."""

    sheets: dict[str, Worksheet]
    ledger_note: str = ""
    columns: dict[str, dict[str, str]] = field(default_factory=dict)

    def ref(self, ctx: Context, name: str, column: str, i: int) -> Ref:
        return ctx.book.ref(self.sheets[name], f"{self.columns[name][column]}{HEADER_ROW + 1 + i}")


def build(ctx: Context) -> DataTables:
    anchors = DataTables({name: ctx.sheets[key] for name, (_t, key) in TABLES.items()})
    for name, (table_name, key) in TABLES.items():
        ws = ctx.sheets[key]
        frame: pd.DataFrame | None = getattr(ctx.data, name)
        columns = [c.name for c in SHEETS[name].columns]
        anchors.columns[name] = {c: get_column_letter(i + 1) for i, c in enumerate(columns)}
        ctx.title(ws, ctx.lang.sheets[key], ctx.ui("data_note"))
        if frame is None:
            put_text(ws["A2"], ctx.ui("absent", sheet=name))
            frame = pd.DataFrame(columns=columns)
        rows = len(frame)
        too_many = rows > ctx.options.ledger_limit and not ctx.options.include_ledger
        private = not ctx.template.customer_data and not ctx.options.include_ledger
        if name == "subscriptions" and (private or too_many or HEADER_ROW + rows > EXCEL_MAX_ROWS):
            note = "ledger_omitted" if HEADER_ROW + rows <= EXCEL_MAX_ROWS else "ledger_too_big"
            if private and HEADER_ROW + rows <= EXCEL_MAX_ROWS:
                note = "ledger_private"
            put_text(ws["A2"], ctx.ui(note, rows=f"{rows:,}", limit=f"{ctx.options.ledger_limit:,}"))
            anchors.ledger_note = ws["A2"].value
            continue
        if name == "nps" and private and "respondent" in frame:
            frame = frame.drop(columns="respondent")  # who answered is customer-level data
        ctx.header(ws, HEADER_ROW, columns)
        if name == "subscriptions":
            anchors.ledger_note = ctx.ui("ledger_included", rows=f"{rows:,}", sheet=f"'{ws.title}'")
            _stream_ledger(ctx, ws, frame, columns)
        else:
            _write_frame(ctx, ws, frame, columns, name)
        last_row = HEADER_ROW + max(rows, 1)  # a table needs one row, even blank
        ref = f"A{HEADER_ROW}:{get_column_letter(len(columns))}{last_row}"
        add_table(ws, table_name, ref, columns, "TableStyleLight9")
        ws.freeze_panes = f"A{HEADER_ROW + 1}"
        for i, column in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(12, len(column) + 3)
    return anchors


def _stream_ledger(ctx: Context, ws: Worksheet, frame: pd.DataFrame, columns: list[str]) -> None:
    """Leave the ledger's rows to :mod:`..stream`; register the two styles they use."""
    # openpyxl registers a cell's style object itself: one scratch cell per style, never changed after
    dates = ws.cell(row=1, column=len(columns) + 30)
    dates.number_format = "yyyy-mm-dd"
    date_style = dates.style_id
    prefixed = ws.cell(row=1, column=len(columns) + 31)
    prefixed.quotePrefix = True
    prefix_style = prefixed.style_id
    for scratch in (dates, prefixed):
        del ws._cells[(scratch.row, scratch.column)]  # the styles stay registered in the workbook
    kinds = {
        c.name: {"date": "date", "money": "number", "number": "number"}.get(c.kind, "text")
        for c in SHEETS["subscriptions"].columns
    }
    ctx.streamed[ws.title] = StreamedRows(frame, columns, kinds, HEADER_ROW + 1, date_style, prefix_style)


def _write_frame(ctx: Context, ws: Worksheet, frame: pd.DataFrame, columns: list[str], name: str) -> None:
    kinds = {c.name: c.kind for c in SHEETS[name].columns}
    record_env = name in ("balance_sheet", "targets")
    for j, column in enumerate(columns, start=1):
        letter = get_column_letter(j)
        kind = kinds[column]
        if column not in frame:
            continue
        values = frame[column]
        fmt = {"date": "yyyy-mm-dd", "month": "yyyy-mm"}.get(kind)
        if kind == "money":
            fmt = number_format("money", ctx.currency, cents=True)  # input data as given
        for i, value in enumerate(values.tolist()):
            row = HEADER_ROW + 1 + i
            cell = ws.cell(row=row, column=j)
            value = excel_value(value)
            if value is None:
                if name == "balance_sheet" and kind in ("money", "number"):
                    # a blank input: #N/A, so the ratios reading it show "no input" in Excel too, never a 0
                    ctx.book.formula(ws, f"{letter}{row}", "NA()", math.nan, fmt, error="#N/A")
                continue
            if isinstance(value, str):
                put_text(cell, value)
            else:
                cell.value = value
            if fmt:
                cell.number_format = fmt
            if record_env:
                ctx.book.env[f"{ws.title}!{letter}{row}"] = (
                    float(value) if isinstance(value, int | float) else str(value)
                )
