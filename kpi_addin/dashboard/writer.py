"""Write the dashboard: build, save, give formulas their cached values, rename into place;
optionally the board pack as PDF (see :mod:`kpi_addin.dashboard.pdf`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from ..io.safe_write import atomic_output, work_folder
from ..metrics import CompanyData, KPIReport
from .builder import BuildOptions, build_workbook
from .cache import fill_cached_values
from .pdf import export_pdf, printable_copy


class Written(NamedTuple):
    """What was written: the expected value of every formula cell, and the pack pages printed."""

    expected: dict[str, dict[str, object]]
    printed: list[str]


def write_dashboard(
    data: CompanyData,
    report: KPIReport,
    out: Path,
    options: BuildOptions,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
    pdf: Path | None = None,
) -> Written:
    """Write the dashboard to ``out`` atomically; returns the expected value of every formula
    cell and the titles of the board pack's printed pages.

    With ``pdf``, also the board pack (the template's report sheets) as PDF; both files
    are written or neither.  A failure at any step leaves existing files exactly as they were.
    """
    built = build_workbook(data, report, options, progress)
    with atomic_output(out, force=force) as final, work_folder() as work:
        raw = work / "openpyxl.xlsx"
        if progress:
            progress("saving")
        built.workbook.save(raw)
        if progress:
            progress("cached values")
        fill_cached_values(raw, final, built.expected, built.streamed, built.sparklines)  # type: ignore[arg-type]  # cached values are Value or None
        if pdf is not None:
            if progress:
                progress("pdf")
            # the ledger's rows are left out of the copy LibreOffice prints: they never print anyway
            filled = work / "filled.xlsx"
            fill_cached_values(raw, filled, built.expected, None)  # type: ignore[arg-type]  # cached values are Value or None
            # LibreOffice does not print sparklines: the PDF shows the same trends as text
            printable = printable_copy(filled, work / f"{out.stem}.xlsx", built.printed, built.trend_text)
            export_pdf(printable, pdf, force=force)
    return Written(built.expected, built.printed)
