"""The streamed ledger rows: sheet XML built column-wise, checked cell by cell by parsing it back."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from kpi_addin.dashboard import stream
from kpi_addin.dashboard.stream import StreamedRows

KINDS = {"customer_id": "text", "amount": "number", "start_date": "date", "plan": "text"}
DATE_STYLE, PREFIX_STYLE = 7, 9


def parse(rows: StreamedRows) -> dict[str, ET.Element]:
    xml = "<sheetData>" + "".join(rows.chunks()) + "</sheetData>"
    return {c.get("r"): c for c in ET.fromstring(xml).iter("c")}


def test_cells_parse_back_to_the_values():
    frame = pd.DataFrame(
        {
            "customer_id": ["=cmd()", "a&b<c>", "x\x01y", None, "－minus", "ok", "\ttab", "é ünï", "+1", "@x"],
            "amount": [1.5, 100.0, np.nan, -0.0, 1e16, 123456789012345.67, 1e-7, 29.99, 3.0, 1e15],
            "start_date": pd.to_datetime(["2025-01-01", None, "2025-03-01", "1900-03-01", *["2025-01-31"] * 6]),
            "plan": pd.Series(["p", None, "q", "r", "s", "t", "u", "v", "w", "x"], dtype="category"),
        }
    )
    cells = parse(StreamedRows(frame, list(frame.columns), KINDS, 5, DATE_STYLE, PREFIX_STYLE))
    for i, row in enumerate(frame.itertuples(index=False), start=5):
        text, amount, start, plan = row
        if pd.isna(text):
            assert f"A{i}" not in cells
        else:
            cell = cells[f"A{i}"]
            assert cell.get("t") == "inlineStr"
            assert cell.find("is/t").text == text.replace("\x01", "")
            assert (cell.get("s") == str(PREFIX_STYLE)) == text.startswith(("=", "+", "-", "@", "\t", "－"))
        if np.isnan(amount):
            assert f"B{i}" not in cells
        else:
            assert float(cells[f"B{i}"].find("v").text) == amount  # the same double, whatever its spelling
        if pd.isna(start):
            assert f"C{i}" not in cells
        else:
            days = int(cells[f"C{i}"].find("v").text)
            assert cells[f"C{i}"].get("s") == str(DATE_STYLE)
            assert dt.date(1899, 12, 30) + dt.timedelta(days=days) == start.date()
        assert (f"D{i}" in cells) == (not pd.isna(plan))


@pytest.mark.parametrize("n", [1, 6, 7])  # one chunk, whole chunks, a partial last chunk
def test_every_row_once_in_order_across_chunks(n, monkeypatch):
    monkeypatch.setattr(stream, "CHUNK_ROWS", 3)  # several chunks without a big frame
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(n)], "amount": np.arange(n) / 4})
    xml = "".join(StreamedRows(frame, ["customer_id", "amount"], KINDS, 2, DATE_STYLE, PREFIX_STYLE).chunks())
    rows = ET.fromstring(f"<d>{xml}</d>").findall("row")
    assert [int(r.get("r")) for r in rows] == list(range(2, n + 2))
    assert float(rows[-1].find(f"c[@r='B{n + 1}']/v").text) == (n - 1) / 4
