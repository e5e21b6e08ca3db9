"""LibreOffice Calc as the second engine: recalculate a workbook headless, export PDF.

LibreOffice keeps an ``.xlsx`` file's stored formula results by default, so a check
that writes cached values and then "recalculates" would compare them with themselves.
We start ``soffice`` with a fresh user profile whose settings force a full
recalculation on load, and check that the output file exists (``--convert-to`` exits 0
even when it could not load the input).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

RECALC_ALWAYS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def require_soffice() -> str:
    """The soffice binary; skips the test without it, fails instead when CI requires it."""
    binary = soffice()
    if binary is None:
        if os.environ.get("KPI_REQUIRE_LIBREOFFICE"):
            pytest.fail("LibreOffice (soffice) is required here (KPI_REQUIRE_LIBREOFFICE is set) but not installed")
        pytest.skip("LibreOffice (soffice) is not installed")
    return binary


def convert(source: Path, target_format: str, out_dir: Path) -> Path:
    """``soffice --convert-to`` with a fresh profile that recalculates every formula on load."""
    binary = require_soffice()
    with tempfile.TemporaryDirectory(prefix="lo-profile-") as profile:
        user = Path(profile) / "user"
        user.mkdir(parents=True)
        (user / "registrymodifications.xcu").write_text(RECALC_ALWAYS)
        out_dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [
                binary,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                target_format,
                "--outdir",
                str(out_dir),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
    result = out_dir / f"{source.stem}.{target_format.split(':')[0]}"
    if not result.exists():
        raise AssertionError(f"LibreOffice did not convert {source}: {done.stdout} {done.stderr}")
    return result


def recalculated_values(source: Path, work: Path) -> dict[str, dict[str, object]]:
    """Every cell value after LibreOffice recalculated ``source``: {sheet: {cell: value}}."""
    from openpyxl import load_workbook

    converted = convert(source, "xlsx", work / "recalculated")
    workbook = load_workbook(converted, data_only=True)
    values: dict[str, dict[str, object]] = {}
    for ws in workbook.worksheets:
        values[ws.title] = {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None}
    return values


def summary_pdf(workbook: Path, sheet: str, work: Path) -> Path:
    """Export one sheet to PDF: a copy of the workbook with every other sheet hidden (and its
    print area dropped: LibreOffice prints a hidden sheet that has one).

    The copy is made by editing ``xl/workbook.xml`` in the archive; loading and saving
    with openpyxl would drop the charts.
    """
    from kpi_addin.dashboard.pdf import printable_copy

    work.mkdir(parents=True, exist_ok=True)
    copy = printable_copy(workbook, work / f"{workbook.stem}-one-sheet.xlsx", [sheet])
    return convert(copy, "pdf", work / "pdf")
