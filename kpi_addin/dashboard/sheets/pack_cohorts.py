"""The board pack's cohort page: quarterly vintages at M0, M3, M6, M12 and M24, with the average.

A vintage is the customers whose first paying month falls in one calendar quarter. Its
retention at age *k* months is the weighted share over its monthly cohorts that have all
reached age *k* (logo: customers still paying ÷ customers who started; revenue: their MRR ÷
their first month's MRR, which expansion can take above 100 %, shown with ▲). A vintage
that has not yet reached an age shows a dash. The opening month's "cohort" is the book
the ledger opened with, not customers who joined then, and is left out.

The figures come from the ledger, whose per-customer history the workbook does not hold as
formulas: they are values (the page says so), computed by
:func:`kpi_addin.metrics.mrr.cohort_retention`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from openpyxl.chart import LineChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from . import charts
from .common import Context
from .page import BODY, BOLD, HELPER, HELPER_COLUMN, Page, money_format, month_title

AGES = (0, 3, 6, 12, 24)
VINTAGES = 8  # quarters shown, latest last
#: Above 100 % (expansion): shown with a triangle, so it reads in black and white.
RETENTION_FORMAT = '[>1]0%" ▲";0%'


def vintages(matrix: pd.DataFrame, opening: pd.Period | None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(labels, retention[v, a], size[v]) of the quarterly vintages (nan where not reached)."""
    if opening is not None:
        matrix = matrix[matrix.index != opening]
    if matrix.empty:
        return [], np.empty((0, len(AGES))), np.empty(0)
    quarter = pd.PeriodIndex(matrix.index).asfreq("Q")
    labels, rows, sizes = [], [], []
    for q in sorted(set(quarter))[-VINTAGES:]:
        part = matrix[quarter == q]
        size = part["size"].to_numpy(dtype=float)
        row = []
        for age in AGES:
            if age not in part.columns:
                row.append(math.nan)
                continue
            share = part[age].to_numpy(dtype=float)
            row.append(
                float((share * size).sum() / size.sum()) if not np.isnan(share).any() and size.sum() else math.nan
            )
        labels.append(f"Q{q.quarter} {q.year}")
        rows.append(row)
        sizes.append(float(size.sum()))
    return labels, np.array(rows), np.array(sizes)


def average(retention: np.ndarray, sizes: np.ndarray) -> list[float]:
    """The size-weighted mean of each age over the vintages that reached it."""
    out = []
    for a in range(retention.shape[1]):
        reached = ~np.isnan(retention[:, a])
        weight = sizes[reached].sum()
        out.append(float((retention[reached, a] * sizes[reached]).sum() / weight) if weight else math.nan)
    return out


def build(ctx: Context) -> None:
    if "pack_cohorts" not in ctx.sheets:
        return
    ws = ctx.sheets["pack_cohorts"]
    page = Page(ctx, ws)
    page.title(f"{ctx.ui('title_pack_cohorts')} — {month_title(ctx.report.as_of, ctx.lang.code)}", ctx.subtitle())
    averages = {}
    for basis in ("logo", "revenue"):
        labels, retention, sizes = vintages(ctx.report.cohorts(basis), ctx.report.opening_month)
        page.section(ctx.ui(f"pack_cohorts_{basis}"))
        top = page.row
        headers = [ctx.ui("pack_vintage"), ctx.ui(f"pack_cohort_size_{basis}"), *(f"M{a}" for a in AGES)]
        ctx.header(ws, top, headers)
        for c in range(1, len(headers) + 1):
            ws.cell(row=top, column=c).font = Font(bold=True, size=9, color="FFFFFF")
            ws.cell(row=top, column=c).alignment = Alignment(horizontal="left" if c == 1 else "right")
        size_format = "#,##0" if basis == "logo" else page_money(ctx, sizes)
        for v, label in enumerate(labels):
            r = top + 1 + v
            page.text(f"A{r}", label)
            write(ctx, ws, f"B{r}", float(sizes[v]), size_format, BODY)
            for a in range(len(AGES)):
                write(ctx, ws, f"{get_column_letter(3 + a)}{r}", float(retention[v, a]), RETENTION_FORMAT, BODY)
        r = top + 1 + len(labels)
        page.text(f"A{r}", ctx.ui("pack_cohort_average"), BOLD)
        mean = average(retention, sizes) if len(labels) else [math.nan] * len(AGES)
        averages[basis] = mean
        for a, value in enumerate(mean):
            write(ctx, ws, f"{get_column_letter(3 + a)}{r}", value, RETENTION_FORMAT, BOLD)
        page.row = r + 2
    # the average curves, drawn from a copy outside the print area
    h = HELPER_COLUMN
    ws.cell(row=4, column=h).value = ""
    for a, age in enumerate(AGES):
        ws.cell(row=5 + a, column=h).value = f"M{age}"
        ws.cell(row=5 + a, column=h).font = HELPER
    for b, basis in enumerate(("logo", "revenue")):
        ws.cell(row=4, column=h + 1 + b).value = ctx.ui(f"pack_cohorts_{basis}")
        for a, value in enumerate(averages[basis]):
            cell = ws.cell(row=5 + a, column=h + 1 + b)
            cell.value = None if math.isnan(value) else value
            cell.font = HELPER
    page.helper_next = h + 3
    chart = LineChart()
    for b, colour in enumerate(("mrr", "expansion")):
        chart.add_data(Reference(ws, min_col=h + 1 + b, min_row=4, max_row=4 + len(AGES)), titles_from_data=True)
        charts.stroke(chart.series[-1], charts.COLOURS[colour])
        chart.series[-1].tx = SeriesLabel(v=ctx.ui(f"pack_cohorts_{('logo', 'revenue')[b]}"))
    chart.set_categories(Reference(ws, min_col=h, min_row=5, max_row=4 + len(AGES)))
    chart.y_axis.number_format = "0%"
    chart.y_axis.scaling.min = 0
    chart.legend.position = "b"
    has_data = any(not math.isnan(v) for mean in averages.values() for v in mean)
    anchor = f"H{4}"
    charts.place(ctx, ws, "pack_cohort_curve", chart if has_data else None, anchor, "pack_narrow")
    page.charts_at.append(charts.span(ws, anchor, *charts.SIZES["pack_narrow"])[1])
    page.note(ctx.ui("pack_cohorts_note"))
    page.finish()


def write(ctx: Context, ws: Worksheet, cell: str, value: float, number_format: str, font: Font) -> None:
    """A value from the ledger (not a formula): a dash where the vintage has not reached the age."""
    target = ws[cell]
    if math.isnan(value):
        target.value = "–"
        target.alignment = Alignment(horizontal="right")
    else:
        ctx.book.value(ws, cell, value, number_format)
        target.alignment = Alignment(horizontal="right")
    target.font = font


def page_money(ctx: Context, sizes: np.ndarray) -> str:
    return money_format(ctx, [float(s) for s in sizes])
