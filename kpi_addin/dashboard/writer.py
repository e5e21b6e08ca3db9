"""Write the dashboard: build, save, give formulas their cached values, rename into place."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from ..io.safe_write import atomic_output
from ..metrics import CompanyData, KPIReport
from .builder import BuildOptions, build_workbook
from .cache import fill_cached_values


def write_dashboard(
    data: CompanyData,
    report: KPIReport,
    out: Path,
    options: BuildOptions,
    *,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> dict[str, dict[str, object]]:
    """Write the dashboard to ``out`` atomically; returns the expected value of every formula cell.

    A failure at any step leaves an existing ``out`` exactly as it was.
    """
    built = build_workbook(data, report, options, progress)
    with atomic_output(out, force=force) as final, tempfile.TemporaryDirectory(dir=out.parent) as work:
        raw = Path(work) / "openpyxl.xlsx"
        if progress:
            progress("saving")
        built.workbook.save(raw)
        if progress:
            progress("cached values")
        fill_cached_values(raw, final, built.expected, built.streamed)  # type: ignore[arg-type]  # cached values are Value or None
    return built.expected
