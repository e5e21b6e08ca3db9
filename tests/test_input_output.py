"""What odd input becomes in the output (issue 8, family 10): every XML part of the workbook
well formed, no character XML forbids, text cut at Excel's cell limit with a mark saying
so, and a blank balance-sheet input shown as "no input" by Excel too, never a 0."""

from __future__ import annotations

import math
import zipfile
from xml.etree import ElementTree

from openpyxl import load_workbook

from kpi_addin.dashboard.cells import MAX_CELL_CHARS, TRUNCATED_MARK
from kpi_addin.io.inputs import load_company

from .dashboard_helpers import build, mismatches
from .input_helpers import drop_column, run, sample_copy
from .libreoffice import recalculated_values, require_soffice

FORBIDDEN = ["\ufffe", "\uffff", "\x01", "\x0b", "\x1b"]


def test_text_xml_forbids_is_dropped_and_long_text_is_cut(tmp_path):
    name = "Acme\ufffe\uffff\x01\x0b\x1b[31m Corp"
    long = "L" * 40_000
    subscriptions = (
        "customer_id,customer_name,plan,amount,start_date\n"
        f'c1,"{name}",Basic,100,2024-01-01\nc2,{long},"=HYPERLINK(""http://x"")",50,2024-02-01\n'
    )
    data = sample_copy(
        tmp_path,
        {
            "subscriptions.csv": subscriptions,
            "fx_rates.csv": None,
            "settings.csv": f"key,value\ncompany,Evil\uffff\x07Co {long}\n",
        },
    )
    out = tmp_path / "dashboard.xlsx"
    result = run("dashboard", "--data", data, "--out", out)
    assert result.code == 0, result.err
    assert "\x1b" not in result.err and "\x07" not in result.err
    with zipfile.ZipFile(out) as archive:
        for part in archive.namelist():
            if part.endswith((".xml", ".rels")):
                text = archive.read(part).decode("utf-8")
                ElementTree.fromstring(text)  # well formed
                for char in FORBIDDEN:
                    assert char not in text, (part, repr(char))
    texts = [c.value for ws in load_workbook(out) for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "Acme[31m Corp" in texts
    assert max(len(t) for t in texts) == MAX_CELL_CHARS
    assert any(t.endswith(TRUNCATED_MARK) and t.startswith("LLL") for t in texts)


def test_a_blank_balance_sheet_input_recalculates_to_no_input(tmp_path):
    require_soffice()
    data = sample_copy(tmp_path, {"balance_sheet.csv": lambda t: drop_column(t, "current_assets")})
    company, _notes, _warnings = load_company(data)
    path = tmp_path / "dashboard.xlsx"
    report, expected = build(company, path)
    assert math.isnan(report.latest("current_ratio")) and not math.isnan(report.latest("debt_to_equity"))
    sheet = next(s for s in expected if s.startswith("Balance"))
    assert "#N/A" in expected[sheet].values()
    assert mismatches(expected, recalculated_values(path, tmp_path)) == []
