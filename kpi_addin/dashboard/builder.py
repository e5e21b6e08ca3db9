"""Build the KPI dashboard workbook with openpyxl.

Layout (sheet names come from the language file; one module per sheet in
:mod:`kpi_addin.dashboard.sheets`, built in the order of its registry):

* **Data …** — the inputs as Excel Tables (Funnel, Costs, NPS, BalanceSheet, Targets,
  FXRates, and the Subscriptions ledger up to a row limit).
* **Ledger aggregates** — month-end MRR, customer counts and movements computed by the
  library from the whole ledger: values, and the sheet says so.
* **Inputs by month** — the Data tables looked up month by month (formulas).
* **Monthly KPIs** — the Table ``MonthlyKPIs`` whose headers are the JSON keys of
  ``kpi-addin metrics``; every column after the month is a formula.
* Report sheets (Summary, Revenue, Customers, Funnel, Unit economics, NPS, Balance
  sheet, Goals, Definitions) — formulas over the sheets above, and charts.

Every formula is registered with the value the library computed, so the saved file
carries cached values and a test can hold LibreOffice's recalculation against them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from openpyxl import Workbook

from ..metrics import CompanyData, KPIReport
from .sheets import build_sheets, new_context
from .sheets.common import DEFAULT_LEDGER_LIMIT, BuildOptions, number_format
from .stream import StreamedRows

__all__ = ["DEFAULT_LEDGER_LIMIT", "BuildOptions", "Built", "build_workbook", "number_format"]


@dataclass
class Built:
    """The workbook, the value each formula cell should show, and rows to stream in on saving."""

    workbook: Workbook
    expected: dict[str, dict[str, object]]
    streamed: dict[str, StreamedRows]
    printed: list[str]  # the sheets of the board pack (PDF), in order
    sparklines: dict[str, list[tuple[str, str]]]  # sheet title → (cell, source range)
    trend_text: dict[str, dict[str, str]]  # sheet title → cell → the trend as text, for the PDF


def build_workbook(
    data: CompanyData,
    report: KPIReport,
    options: BuildOptions,
    progress: Callable[[str], None] | None = None,
) -> Built:
    """Build the dashboard (see the module docstring)."""
    ctx = new_context(data, report, options, progress)
    build_sheets(ctx)
    printed = [ctx.sheets[key].title for key in options.template.pack if key not in ctx.unprinted]
    return Built(ctx.wb, ctx.book.expected, ctx.streamed, printed, ctx.sparklines, ctx.trend_text)  # type: ignore[arg-type]  # cached values are Value or None
