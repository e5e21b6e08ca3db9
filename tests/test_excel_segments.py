"""Figures by segment from a formula: ``=KPI(handle, key, month, "plan=Pro")`` and
``=KPI_TABLE(handle, keys, months, "plan")``, through xlwings' own Windows call path.

A hand-worked company (the rules of docs/conventions.md, *Segments*), and on the sample
every segment figure equals ``kpi-addin metrics --by plan`` (the library's segment report)
and the segments' MRR adds up to the company's.
"""

from __future__ import annotations

import logging
import math

import pandas as pd
import pytest

from kpi_addin.metrics import monthly_kpis
from kpi_addin.metrics.segments import SEGMENT_KEYS, segment_report

from .test_excel_functions import MISSING, call, udfs  # noqa: F401  # the fixture, shared

#: a: Starter $50 from January, switches to Pro $30 in March; b: Pro $100 from January,
#: adds a Starter add-on $20 in February; c: Starter $40 in January only (churns in February).
SWITCH = (
    ("customer_id", "plan", "amount", "interval", "start_date", "end_date"),
    ("a", "Starter", 50.0, "month", "2025-01-10", "2025-03-05"),
    ("a", "Pro", 30.0, "month", "2025-03-05", None),
    ("b", "Pro", 100.0, "month", "2025-01-12", None),
    ("b", "Starter", 20.0, "month", "2025-02-03", None),
    ("c", "Starter", 40.0, "month", "2025-01-15", "2025-02-10"),
)
SETTINGS = "as_of=2025-03; history_start=2025-01"


def _as_range(path) -> tuple[tuple[object, ...], ...]:
    """A CSV as pywin32 hands a range over: nested tuples, numbers as floats, None for blanks."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows: list[tuple[object, ...]] = [tuple(frame.columns)]
    for record in frame.itertuples(index=False):
        cells = zip(frame.columns, record, strict=True)
        rows.append(
            tuple(None if v == "" else float(v) if k in ("amount", "quantity", "rate") else v for k, v in cells)
        )
    return tuple(rows)


@pytest.fixture
def switch_report(udfs):  # noqa: F811  # the fixture from test_excel_functions
    handle = call(udfs, "KPI_REPORT", SWITCH, MISSING, MISSING, MISSING, MISSING, SETTINGS, MISSING)
    assert isinstance(handle, str) and handle.startswith("kpi#"), handle
    return handle


@pytest.mark.parametrize(
    ("key", "month", "segment", "expected"),
    [
        # March: a's Starter $50 left the segment, its Pro $30 entered; b's add-on stays
        ("mrr", "2025-03", "plan=Starter", 20.0),
        ("mrr", "2025-03", "plan=Pro", 130.0),
        ("left_mrr", "2025-03", "plan=Starter", 50.0),
        ("entered_mrr", "2025-03", "plan=Pro", 30.0),
        # February: c churns out of Starter ($40); b's add-on is Starter's expansion-free entry
        ("churned_mrr", "2025-02", "plan=Starter", 40.0),
        ("entered_mrr", "2025-02", "plan=Starter", 20.0),
        ("mrr", "2025-02", "plan = Starter", 70.0),
        # customers by the segment holding most of their MRR: b is Pro, a is Starter until March
        ("customers", "2025-03", "plan=Pro", 2),
        ("customers", "2025-02", "plan=Starter", 1),
    ],
)
def test_a_segment_figure_is_the_hand_worked_one(udfs, switch_report, key, month, segment, expected):  # noqa: F811
    assert call(udfs, "KPI", switch_report, key, month, segment) == expected


def test_the_default_month_is_the_reporting_month_and_segments_add_up(udfs, switch_report):  # noqa: F811
    starter = call(udfs, "KPI", switch_report, "mrr", MISSING, "plan=Starter")
    pro = call(udfs, "KPI", switch_report, "mrr", MISSING, "plan=Pro")
    assert (starter, pro) == (20.0, 130.0)
    assert starter + pro == call(udfs, "KPI", switch_report, "mrr", MISSING, MISSING) == 150.0


def test_a_segment_table_spills_month_by_segment(udfs, switch_report):  # noqa: F811
    table = call(udfs, "KPI_TABLE", switch_report, "mrr, entered_mrr, left_mrr", "2025-03:2025-03", "plan")
    assert table == [
        ["month", "plan", "mrr", "entered_mrr", "left_mrr"],
        ["2025-03", "Pro", 130.0, 30.0, 0.0],
        ["2025-03", "Starter", 20.0, 0.0, 50.0],
    ]


@pytest.mark.parametrize(
    ("key", "segment", "shown", "message"),
    [
        (
            "mrr",
            "plan=Enterprise",
            "#N/A",
            "segment: plan=Enterprise is not a segment of the report (segments: plan=Pro",
        ),
        (
            "mrr",
            "country=KR",
            "#VALUE!",
            "segment: 'country=KR' is not attribute=value with an attribute of the ledger",
        ),
        ("mrr", "Pro", "#VALUE!", "(plan, interval, currency), e.g. plan=..."),
        ("cac", "plan=Pro", "#N/A", None),  # costs have no segment: #N/A, not a number
        ("mrr_typo", "plan=Pro", "#N/A", "key: 'mrr_typo' has no figure by segment"),
    ],
)
def test_a_wrong_segment_or_key_says_which_argument(udfs, switch_report, caplog, key, segment, shown, message):  # noqa: F811
    with caplog.at_level(logging.INFO):
        assert call(udfs, "KPI", switch_report, key, "2025-03", segment) == shown
    if message is not None:
        assert message in caplog.text


def test_a_segment_table_by_an_unknown_attribute_says_which(udfs, switch_report):  # noqa: F811
    table = call(udfs, "KPI_TABLE", switch_report, MISSING, MISSING, "country")
    assert table[0] == ["#VALUE!"]
    assert (
        table[1][0]
        == "by: 'country' is not month, quarter, year or attributes of the ledger (plan, interval, currency)"
    )


def test_every_sample_segment_figure_equals_the_library(udfs, sample_dir):  # noqa: F811
    from kpi_addin.io import read_company_data

    subs, fx = (_as_range(sample_dir / f"{name}.csv") for name in ("subscriptions", "fx_rates"))
    handle = call(udfs, "KPI_REPORT", subs, fx, MISSING, MISSING, MISSING, "as_of=2025-12", MISSING)
    data = read_company_data(sample_dir)[0]
    report = monthly_kpis(data)
    expected = segment_report(data, report, ("plan",))
    table = call(udfs, "KPI_TABLE", handle, MISSING, 3.0, "plan")
    header, *rows = table
    assert header == ["month", "plan", *SEGMENT_KEYS]
    plans = expected.segments["plan"].astype(str).tolist()
    assert len(rows) == 3 * len(plans)
    for row in rows:
        code = plans.index(row[1])
        want = expected.monthly.loc[(pd.Period(row[0], "M"), code)]
        for key, value in zip(header[2:], row[2:], strict=True):
            if math.isnan(want[key]):
                assert value in ("#DIV/0!", "#N/A"), (row[:2], key, value)
            else:
                assert value == pytest.approx(want[key], rel=1e-12), (row[:2], key)
    december = [r for r in rows if r[0] == "2025-12"]
    company = call(udfs, "KPI", handle, "mrr", "2025-12", MISSING)
    assert sum(r[2 + SEGMENT_KEYS.index("mrr")] for r in december) == pytest.approx(company, abs=1e-6)
    one = call(udfs, "KPI", handle, "nrr", "2025-12", f"plan={plans[0]}")
    assert one == pytest.approx(expected.monthly.loc[(pd.Period("2025-12", "M"), 0), "nrr"], rel=1e-12)
