"""Hostile workbooks (issue 8, family 7): a few kilobytes that ask for gigabytes are refused
before anything allocates them.  Each case runs in its own process, measured with the
resource module, so the memory bound is per case."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from kpi_addin.io.sources.accounting import EXAMPLE_MAP

#: Peak memory allowed for reading a hostile file of a few kilobytes (a generous bound:
#: the interpreter with pandas and pyarrow loaded takes about 150 MB).
PEAK_LIMIT_MB = 1024
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEADER = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>customer_id</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>amount</t></is></c>'
    '<c r="C1" t="inlineStr"><is><t>start_date</t></is></c></row>'
)


def xlsx(path: Path, sheet: bytes | str, shared: bytes | str | None = None) -> Path:
    """A minimal workbook with one sheet named subscriptions (and a shared-strings part)."""
    rel_sst = (
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'sharedStrings" Target="sharedStrings.xml"/>'
        if shared is not None
        else ""
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            + (
                '<Override PartName="/xl/sharedStrings.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                if shared is not None
                else ""
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook {NS} '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="subscriptions" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="worksheets/sheet1.xml"/>{rel_sst}</Relationships>'
        ),
        "xl/worksheets/sheet1.xml": sheet,
    }
    if shared is not None:
        parts["xl/sharedStrings.xml"] = shared
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def sheet(rows: str, dimension: str | None = None) -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<?xml version="1.0"?><worksheet {NS}>{dim}<sheetData>{HEADER}{rows}</sheetData></worksheet>'


FAR_CELL = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
ONE_ROW = (
    '<row r="2"><c r="A2" t="inlineStr"><is><t>c1</t></is></c><c r="B2"><v>10</v></c><c r="C2"><v>45292</v></c></row>'
)


def far_cell(path: Path) -> Path:
    return xlsx(path, sheet(ONE_ROW + FAR_CELL))


def far_cell_lying_dimension(path: Path) -> Path:
    return xlsx(path, sheet(ONE_ROW + FAR_CELL, dimension="A1:C2"))


def declared_huge(path: Path) -> Path:
    return xlsx(path, sheet(ONE_ROW, dimension="A1:XFD1048576"))


def shared_strings_bomb(path: Path) -> Path:
    item = "<si><t>" + "A" * 1000 + "</t></si>"
    shared = f'<?xml version="1.0"?><sst {NS} count="60000" uniqueCount="60000">' + item * 60_000 + "</sst>"
    rows = '<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2"><v>10</v></c><c r="C2"><v>45292</v></c></row>'
    return xlsx(path, sheet(rows), shared)


def zip_bomb_rows(path: Path) -> Path:
    return xlsx(path, sheet(ONE_ROW + "<row/>" * 8_000_000))


CASES = {
    "a cell at XFD1048576": (far_cell, "refusing to read a sheet that large"),
    "a cell at XFD1048576 under a lying dimension": (far_cell_lying_dimension, "refusing to read a sheet that large"),
    "a declared dimension of A1:XFD1048576": (declared_huge, "refusing to read a sheet that large"),
    "a shared-strings bomb": (shared_strings_bomb, "(a zip bomb?); refusing to read it"),
    "a zip bomb of empty rows": (zip_bomb_rows, "(a zip bomb?); refusing to read it"),
}

#: Runs the command in a child and reports its exit status, stderr and peak memory (the
#: wrapper is small, so RUSAGE_CHILDREN is the command's own peak).
WRAPPER = """
import json, resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "kpi_addin.cli", *sys.argv[1:]], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"code": done.returncode, "err": done.stderr, "peak_mb": peak}))
"""


#: Every option that opens a workbook goes through the one guard (issue 18).
OPTIONS = {
    "--data": lambda path: ["--data", str(path)],
    "--costs": lambda path: ["--costs", str(path), "--accounts", str(EXAMPLE_MAP)],
    "--funnel": lambda path: ["--funnel", str(path)],
}


@pytest.mark.parametrize("option", sorted(OPTIONS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_hostile_workbook_is_refused_in_bounded_memory(tmp_path, case, option):
    make, words = CASES[case]
    path = make(tmp_path / "hostile.xlsx")
    assert path.stat().st_size < 300_000, "the point is a small file"
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, "metrics", *OPTIONS[option](path)], capture_output=True, text=True, check=True
    )
    report = json.loads(done.stdout)
    assert report["code"] == 1, report
    assert "Traceback" not in report["err"] and "panicked" not in report["err"], report["err"]
    assert words in report["err"], report["err"]
    assert report["err"].startswith(f"error: {path}"), report["err"]
    assert report["peak_mb"] < PEAK_LIMIT_MB, report
