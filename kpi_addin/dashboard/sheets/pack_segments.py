"""The board pack's segments page: the month by segment and MRR by segment over the year.

One table — MRR, share, net new MRR, customers, ARPU, churn rate over 3 months and NRR over
12 months for the largest :data:`PAGE_SEGMENTS` segments, the others as one ``(other)`` row,
and the total (the company's, by the Segments sheet's check) — and one stacked column chart
of MRR by segment over the last thirteen months (never the opening month).  Every figure is
a formula over the Segments sheet.  Without segments (none chosen, the attribute missing, or
a single segment) the page is not printed.
"""

from __future__ import annotations

from openpyxl.chart import BarChart, Reference
from openpyxl.utils import get_column_letter

from ...metrics.segments import OTHER_LABEL
from ..cells import put_text
from . import charts
from .common import Context
from .page import BOLD, HELPER, HELPER_COLUMN, Page, PageColumn, month_title, page_months
from .segments import CHART_COLUMN, SegmentsSheet

#: Segments with a row of their own on the page (with "(other)" and the total: at most 10 rows).
PAGE_SEGMENTS = 8
#: The page's columns: (key on the Segments sheet, label, page unit).
COLUMNS = (
    ("mrr", "mrr", "money"),
    ("share", "segment_share", "rate"),
    ("net_new", "segment_net_new_mrr", "money"),
    ("customers", "customers", "count"),
    ("arpu", "arpu", "money"),
    ("churn", "customer_churn_rate_3m", "rate"),
    ("nrr", "nrr_12m", "rate"),
)
#: Columns summed over segments (the others are ratios of these).
SUMS = ("mrr", "net_new", "customers", "customer_mrr", "churned_3m", "start_3m")


def build(ctx: Context, segments: SegmentsSheet) -> None:
    if "pack_segments" not in ctx.sheets:
        return
    ws = ctx.sheets["pack_segments"]
    page = Page(ctx, ws)
    title = f"{ctx.ui('title_pack_segments')} — {month_title(ctx.report.as_of, ctx.lang.code)}"
    table = segments.table
    # a segment with no MRR, no customers and no change this month (a plan whose last customer
    # left earlier in the churn window) has nothing to print: its zeros add nothing up
    active = [k for k, v in enumerate(segments.values) if any(v[key] != 0 for key in ("mrr", "customers", "net_new"))]
    if table.result is None or len(active) < 2 or segments.ws is None:
        page.title(title, ctx.subtitle())
        page.note(table.note or ctx.ui("segments_one"))
        page.finish()
        ws.sheet_state = "hidden"
        ctx.unprinted.add("pack_segments")
        return
    by = " × ".join(table.by)
    page.title(title, f"{ctx.subtitle()} · {ctx.ui('segments_by', by=by)}")
    source = segments.ws
    n = len(segments.labels)
    rows = active if len(active) <= PAGE_SEGMENTS + 1 else active[:PAGE_SEGMENTS]
    capped = len(rows) < len(active)

    def ref(cell: str) -> str:
        return ctx.book.ref(source, cell).excel()

    def letter_of(key: str) -> str:
        return segments.cells[0][key].rstrip("0123456789")

    total_row = segments.total_row
    labels: list[tuple[str, object, str]] = [(segments.labels[k], None, "") for k in rows]
    formulas: dict[str, list[str]] = {key: [ref(segments.cells[k][key]) for k in rows] for key, _l, _u in COLUMNS}
    values: dict[str, list[float]] = {key: [segments.values[k][key] for k in rows] for key, _l, _u in COLUMNS}
    if capped:
        labels.append((OTHER_LABEL, None, ""))
        other: dict[str, str] = {}
        other_values: dict[str, float] = {}
        for key in SUMS:
            shown_cells = ",".join(ref(segments.cells[k][key]) for k in rows)
            other[key] = f"({ref(f'{letter_of(key)}{total_row}')}-SUM({shown_cells}))"
            other_values[key] = sum(segments.values[k][key] for k in range(n)) - sum(
                segments.values[k][key] for k in rows
            )
        company_mrr = float(ctx.report.monthly["mrr"].iloc[-1])
        ratios = {
            "share": (("mrr", None), other_values["mrr"] / company_mrr if company_mrr else float("nan")),
            "arpu": (("customer_mrr", "customers"), _div(other_values["customer_mrr"], other_values["customers"])),
            "churn": (("churned_3m", "start_3m"), _div(other_values["churned_3m"], other_values["start_3m"])),
        }
        for key, _l, _u in COLUMNS:
            if key in other:
                formulas[key].append(other[key])
                values[key].append(other_values[key])
            elif key in ratios:
                (num, den), value = ratios[key]
                divisor = other[den] if den else ref(f"{letter_of('mrr')}{total_row + 1}")
                formulas[key].append(f"{other[num]}/{divisor}")
                values[key].append(value)
            else:  # NRR of the others together: not a sum of theirs
                formulas[key].append("NA()")
                values[key].append(float("nan"))
    labels.append((ctx.ui("segments_total"), None, ""))
    for key, _l, _u in COLUMNS:
        cell = f"{letter_of(key)}{total_row if key != 'nrr' else total_row + 1}"
        formulas[key].append(ref(cell))
        values[key].append(_total_value(ctx, segments, key))
    columns = [
        PageColumn(ctx.lang.label(label) if label in ctx.lang.kpis else ctx.ui(label), unit, formulas[key], values[key])
        for key, label, unit in COLUMNS
    ]
    top = page.table(labels, columns)
    last = top + len(labels)
    for c in range(1, len(COLUMNS) + 2):
        ws.cell(row=last, column=c).font = BOLD
    anchor_row = page.row
    _chart(ctx, page, segments)
    _moves_chart(ctx, page, segments, [segments.labels[k] for k in rows], rows, capped, anchor_row)
    notes = [ctx.ui("pack_segments_note")]
    if capped:
        notes += [ctx.ui("segments_capped", shown=len(rows), total=len(active)), ctx.ui("pack_segments_other_nrr")]
    page.note(" ".join(notes))
    page.finish()


def _div(a: float, b: float) -> float:
    return a / b if b else float("nan")


def _total_value(ctx: Context, segments: SegmentsSheet, key: str) -> float:
    """The total row's figure (the company's NRR: segments' NRR do not add up)."""
    i = ctx.n - 1
    m = ctx.report.monthly
    if key == "nrr":
        return float(m["nrr_12m"].iloc[i])
    n = range(len(segments.values))
    sums = {k: sum(segments.values[j][k] for j in n) for k in SUMS}
    if key in sums:
        return sums[key]
    if key == "share":
        return _div(sums["mrr"], float(m["mrr"].iloc[i]))
    if key == "arpu":
        return _div(sums["customer_mrr"], sums["customers"])
    return _div(sums["churned_3m"], sums["start_3m"])


def _chart(ctx: Context, page: Page, segments: SegmentsSheet) -> None:
    """MRR by segment, stacked, over the page's months: formulas over the Segments sheet's chart data."""
    ws, source = page.ws, segments.ws
    assert source is not None
    months = page_months(ctx)
    names = segments.chart_names
    col0 = HELPER_COLUMN + 10
    head = page.row
    ws.cell(row=head, column=col0).font = HELPER
    for k, name in enumerate(names, start=1):
        cell = ws.cell(row=head, column=col0 + k)
        put_text(cell, name)
        cell.font = HELPER
    for r, i in enumerate(months, start=head + 1):
        ctx.book.value(ws, f"{get_column_letter(col0)}{r}", ctx.months[i].to_timestamp().to_pydatetime(), "mmm yy")
        ws.cell(row=r, column=col0).font = HELPER
        for k in range(1, len(names) + 1):
            src = f"{get_column_letter(CHART_COLUMN + k)}{segments.chart_first + i}"
            value = segments.ctx.book.expected.get(source.title, {}).get(src)
            ctx.book.formula(ws, f"{get_column_letter(col0 + k)}{r}", ctx.book.ref(source, src), value)
            ws.cell(row=r, column=col0 + k).font = HELPER
    last = head + len(months)
    other = bool(names) and names[-1] == OTHER_LABEL
    chart = charts.stacked_by_segment(ctx, ws, col0, head, last, len(names), other)
    anchor = f"A{page.row}"
    charts.place(ctx, ws, "pack_segments_chart", chart, anchor, "pack")
    page.charts_at.append(charts.span(ws, anchor, *charts.SIZES["pack"])[1])


#: The moves chart's series: (name key, bridge columns summed, sign, colour).
MOVES = (
    ("segments_gained", ("new_mrr", "expansion_mrr", "reactivation_mrr", "entered_mrr"), 1, "expansion"),
    ("segments_lost", ("contraction_mrr", "churned_mrr", "left_mrr"), -1, "churned"),
    ("fx_mrr", ("fx_mrr",), 1, "fx"),
)


def _moves_chart(
    ctx: Context, page: Page, segments: SegmentsSheet, names: list[str], rows: list[int], capped: bool, top: int
) -> None:
    """The month's MRR gained (new, expansion, reactivation, entered) and lost (contraction, churned,
    left, below zero) and FX, by segment: formulas over the Segments sheet's bridge."""
    ws, source = page.ws, segments.ws
    assert source is not None
    col0 = HELPER_COLUMN + 25
    head = page.row
    categories = [*names, OTHER_LABEL] if capped else names
    put_text(ws.cell(row=head, column=col0), "")
    for j, (key, _columns, _sign, _colour) in enumerate(MOVES, start=1):
        label = ctx.lang.label(key) if key in ctx.lang.kpis else ctx.ui(key)
        put_text(ws.cell(row=head, column=col0 + j), label)
        ws.cell(row=head, column=col0 + j).font = HELPER

    def ref(cell: str) -> str:
        return ctx.book.ref(source, cell).excel()

    money = ctx.money()
    plotted: list[float] = []
    for r, name in enumerate(categories, start=head + 1):
        put_text(ws.cell(row=r, column=col0), name)
        ws.cell(row=r, column=col0).font = HELPER
        for j, (_key, columns, sign, _colour) in enumerate(MOVES, start=1):
            parts, value = [], 0.0
            for column in columns:
                key = f"bridge_{column}"
                if capped and r == head + len(categories):
                    shown = ",".join(ref(segments.cells[k][key]) for k in rows)
                    letter = segments.cells[0][key].rstrip("0123456789")
                    parts.append(f"({ref(f'{letter}{segments.bridge_total_row}')}-SUM({shown}))")
                    every = sum(v[key] for v in segments.values)
                    value += every - sum(segments.values[k][key] for k in rows)
                else:
                    k = rows[r - head - 1]
                    parts.append(ref(segments.cells[k][key]))
                    value += segments.values[k][key]
            formula = "+".join(parts)
            formula = f"-({formula})" if sign < 0 else formula
            ctx.book.formula(ws, f"{get_column_letter(col0 + j)}{r}", formula, sign * value, money)
            plotted.append(sign * value)
            ws.cell(row=r, column=col0 + j).font = HELPER
    last = head + len(categories)
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "col", "stacked", 100, 60
    for j, (_key, _columns, _sign, colour) in enumerate(MOVES, start=1):
        chart.add_data(Reference(ws, min_col=col0 + j, min_row=head, max_row=last), titles_from_data=True)
        charts.fill(chart.series[-1], charts.COLOURS[colour])
    chart.set_categories(Reference(ws, min_col=col0, min_row=head + 1, max_row=last))
    chart.y_axis.number_format = charts.money_axis(ctx, plotted)
    chart.x_axis.tickLblPos = "low"  # the segment names below the losses, not across them
    chart.legend.position = "b"
    anchor = f"F{top}"
    charts.place(ctx, ws, "pack_segments_moves", chart, anchor, "pack")
    page.charts_at.append(charts.span(ws, anchor, *charts.SIZES["pack"])[1])
    page.row = max(page.charts_at) + 2
