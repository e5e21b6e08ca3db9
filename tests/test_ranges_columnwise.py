"""Excel ranges are converted column by column; the result must equal reading every cell as it is.

The reference is the same range with every column left as Python objects (what the range
reader did before), validated by the same code: the company data, and the problems with
their cells, must come out the same.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from kpi_addin.io.problems import InputError, RawSheet
from kpi_addin.io.ranges import RANGE_SOURCE, raw_sheet_from_range
from kpi_addin.io.reader import company_from_sheets

HEADER = ["customer_id", "amount", "interval", "quantity", "currency", "start_date", "end_date", "trial_end"]

CLEAN = [
    HEADER,
    ["a", 100.0, "month", 1.0, "USD", dt.datetime(2025, 1, 5), None, None],
    ["b", 1200, "year", None, "usd", dt.datetime(2025, 1, 20, 13, 30), dt.datetime(2025, 6, 1), None],
    [None, None, None, None, None, None, None, None],  # a blank row is skipped
    [" c ", 30.5, "Quarter", 2.0, "EUR", dt.date(2025, 2, 3), None, dt.datetime(2025, 2, 20)],
    ["", None, "", None, "", None, None, None],  # "" is blank too
    [1001.0, 10.0, "week", 1.0, "USD", dt.datetime(2025, 3, 1), None, None],  # an id typed as a number
]

MIXED = [
    HEADER,
    ["a", "lots", "month", 1.0, "USD", "2025-01-05", None, None],  # text in a number column
    ["b", 10.0, "fortnight", True, "US", 45678.0, "soon", None],  # a bool, a serial date, text in a date
    ["c", None, "month", 1.0, "USD", dt.datetime(2025, 1, 1), None, None],  # a required blank
    ["d", 20.0, "month", 1.0, "USD", dt.datetime(2025, 1, 1)],  # a short row
]

FX = [["currency", "rate", "month"], ["EUR", 1.1, dt.datetime(2025, 1, 1)], ["EUR", 1.2, "2025-02"]]


def as_objects(rows: list[list[object]]) -> RawSheet:
    """The range with every cell kept as it is: the reader's reference path."""
    raw, _ = raw_sheet_from_range("subscriptions", rows)
    width = len(rows[0])
    body = [list(r) + [None] * (width - len(r)) for r in rows[1:]]
    kept = [r for r in body if any(v not in (None, "") for v in r)]
    frame = pd.DataFrame(kept, columns=[c.lower() for c in rows[0]], dtype=object)
    return RawSheet(raw.name, raw.file, raw.label, frame, raw.rows, raw.letters)


def fx_raw() -> RawSheet:
    raw, _ = raw_sheet_from_range("fx_rates", FX)
    return raw


def outcome(raw: RawSheet) -> object:
    try:
        data, warnings = company_from_sheets({"subscriptions": raw, "fx_rates": fx_raw()}, RANGE_SOURCE)
    except InputError as exc:
        return [str(p) for p in exc.problems]
    return data.subscriptions, warnings


@pytest.mark.parametrize("rows", [CLEAN, MIXED], ids=["one kind per column", "mixed kinds"])
def test_column_wise_equals_cell_by_cell(rows):
    raw, problems = raw_sheet_from_range("subscriptions", rows)
    assert problems == []
    assert raw.rows.tolist() == as_objects(rows).rows.tolist()
    ours, reference = outcome(raw), outcome(as_objects(rows))
    if isinstance(reference, list):
        assert ours == reference  # the same problems, at the same cells
        assert any("subscriptions!B2" in p and "'lots'" in p for p in ours)
    else:
        pd.testing.assert_frame_equal(ours[0], reference[0])
        assert ours[1] == reference[1]


def test_clean_columns_are_typed_and_blank_rows_skipped():
    raw, _ = raw_sheet_from_range("subscriptions", CLEAN)
    frame = raw.frame
    assert raw.rows.tolist() == [2, 3, 5, 7]  # sheet rows, blank rows 4 and 6 left out
    assert frame["amount"].dtype == np.float64 and frame["amount"].tolist() == [100.0, 1200.0, 30.5, 10.0]
    assert frame["start_date"].dtype == "datetime64[ns]"
    assert frame["start_date"].iloc[1] == pd.Timestamp("2025-01-20")  # the day of a date-time cell
    assert pd.api.types.is_string_dtype(frame["interval"]) and frame["interval"].dtype != object
    assert frame["customer_id"].dtype == object  # text and a number: read cell by cell
