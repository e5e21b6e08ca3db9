"""The month-end walk and the engine's in-place steps give the old values bit for bit.

``month_end_figures`` (one walk for the bridge's MRR, the top-10 share and the 12-month
cohorts) against the functions that each walk on their own; the cursor against ``mrr_at``
month by month; ``fill`` (the FX cells carried forward) against a loop; ``to_units`` with
``out=`` against the formula.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from kpi_addin.metrics import KPIInputError, customer_mrr, mrr_bridge
from kpi_addin.metrics import bridge as bridge_module
from kpi_addin.metrics.bridge import month_ends
from kpi_addin.metrics.change_points import fill
from kpi_addin.metrics.concentration import top_shares
from kpi_addin.metrics.currency import to_units
from kpi_addin.metrics.month_end_walk import month_end_figures
from kpi_addin.metrics.mrr import MonthEndCursor, month_rows
from kpi_addin.metrics.trailing import cohort_retention_12m

from .conftest import month
from .test_concentration import many_customers
from .test_mrr_changes import fx_ledgers
from .test_mrr_engine import ledgers


def same_bits(got: np.ndarray, expected: np.ndarray) -> bool:
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    return got.shape == expected.shape and got.tobytes() == expected.tobytes()


def assert_walk_equals_the_separate_walks(cm) -> None:
    walked = month_end_figures(cm)
    assert same_bits(walked.totals, [level.sum() for level in month_ends(cm)])
    assert same_bits(walked.top_share, top_shares(cm, cm.months).to_numpy())
    assert same_bits(walked.cohort_12m, cohort_retention_12m(cm, cm.months).to_numpy())
    pd.testing.assert_frame_equal(mrr_bridge(cm, walked.totals), mrr_bridge(cm), check_exact=True)
    # As the report reads them: later months (history_start), an earliest trusted month.
    for start in (0, 3, 13):
        months = cm.months[start:]
        for earliest in (None, cm.months[0] + 2, cm.months[0] + start - 1):
            pd.testing.assert_frame_equal(
                cohort_retention_12m(cm, months, earliest, walked.cohort_12m),
                cohort_retention_12m(cm, months, earliest),
                check_exact=True,
            )
        pd.testing.assert_series_equal(
            top_shares(cm, months, walked=walked.top_share), top_shares(cm, months), check_exact=True
        )


def test_hand_worked_walk():
    # a pays 100 from January 2024, 120 from June; b 50 January to April; c 80 from August.
    subs = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "amount": [100.0, 120.0, 50.0, 80.0],
            "interval": ["month"] * 4,
            "start_date": pd.to_datetime(["2024-01-05", "2024-06-01", "2024-01-10", "2024-08-01"]),
            "end_date": pd.to_datetime(["2024-06-01", None, "2024-05-01", None]),
        }
    )
    cm = customer_mrr(subs, as_of=month("2025-02"))
    walked = month_end_figures(cm, top=1)
    assert walked.totals.tolist() == [150.0] * 4 + [100.0, 120.0, 120.0] + [200.0] * 7
    assert walked.top_share.tolist() == pytest.approx([100 / 150] * 4 + [1.0] * 3 + [0.6] * 7)
    # January 2025: the cohort of January 2024 (a 100, b 50) now a 120, b 0; February: the same cohort.
    assert np.isnan(walked.cohort_12m[:12]).all()
    assert walked.cohort_12m[12:].tolist() == [[0.8, 100 / 150, 0.5]] * 2
    assert_walk_equals_the_separate_walks(cm)


@settings(max_examples=60, deadline=None)
@given(ledgers())
def test_random_ledgers_walk_once_as_the_separate_walks(subs):
    try:
        cm = customer_mrr(subs, as_of=month("2025-09"))
    except ValueError:
        return
    assert_walk_equals_the_separate_walks(cm)


@settings(max_examples=40, deadline=None)
@given(fx_ledgers())
def test_random_fx_ledgers_walk_once_as_the_separate_walks(case):
    subs, fx = case
    try:
        cm = customer_mrr(subs, fx_rates=fx, as_of=month("2025-10"))
    except ValueError:
        return
    assert_walk_equals_the_separate_walks(cm)


def test_many_customers_walk_once_as_the_separate_walks():
    assert_walk_equals_the_separate_walks(customer_mrr(many_customers(), as_of=month("2025-12")))


def test_months_outside_the_walk_are_walked_as_before():
    cm = customer_mrr(many_customers(), as_of=month("2025-12"))
    walked = month_end_figures(cm)
    beyond = pd.period_range(cm.months[-3], periods=5, freq="M")  # two months past the ledger
    assert month_rows(cm.months, beyond) is None
    pd.testing.assert_frame_equal(
        cohort_retention_12m(cm, beyond, None, walked.cohort_12m), cohort_retention_12m(cm, beyond), check_exact=True
    )
    pd.testing.assert_series_equal(
        top_shares(cm, beyond, walked=walked.top_share), top_shares(cm, beyond), check_exact=True
    )


def test_the_cursor_gives_each_months_mrr_when_months_are_skipped():
    cm = customer_mrr(many_customers(), as_of=month("2025-12"))
    cursor = MonthEndCursor(cm)
    ids = pd.Index(cm.customer_ids)
    for period in [cm.months[0] - 1, cm.months[0], cm.months[4], cm.months[4], cm.months[11], cm.months[-1]]:
        level = cursor.at(period)
        expected = np.zeros(len(ids))
        paying = cm.mrr_at(period)
        expected[ids.get_indexer(paying.index)] = paying.to_numpy()
        assert same_bits(level, expected)
    assert not cursor.at(cm.months[-1] + 1).any()  # after the last month: no MRR known, as mrr_at
    with pytest.raises(ValueError, match="months must not decrease"):
        cursor.at(cm.months[3])


def naive_fill(n_cells, heads, head_values, cells, values):
    out, current = np.empty(n_cells), 0.0
    at_head = dict(zip(heads.tolist(), head_values.tolist(), strict=True))
    at_cell = dict(zip(cells.tolist(), values.tolist(), strict=True))
    for k in range(n_cells):
        current = at_cell.get(k, at_head.get(k, current))
        out[k] = current
    return out


@pytest.mark.parametrize("seed", range(6))
def test_fill_carries_each_value_forward_as_a_loop_does(seed):
    rng = np.random.default_rng(seed)
    n_cells = int(rng.integers(1, 300))
    heads = np.unique(np.r_[0, rng.integers(0, n_cells, int(rng.integers(0, 20)))])
    cells = np.unique(rng.integers(0, n_cells, int(rng.integers(0, 60))))
    if seed % 2:  # a cell at every head: the cells win
        cells = np.union1d(cells, heads)
    head_values, values = rng.normal(size=len(heads)), rng.normal(size=len(cells))
    assert same_bits(
        fill(n_cells, heads, head_values, cells, values), naive_fill(n_cells, heads, head_values, cells, values)
    )


def test_fill_of_no_cells():
    assert fill(0, np.empty(0, np.int64), np.empty(0), np.empty(0, np.int64), np.empty(0)).tolist() == []


def test_to_units_in_place_equals_the_formula():
    rng = np.random.default_rng(5)
    money = np.r_[rng.normal(0, 1_000, 5_000), rng.integers(0, 10**6, 5_000) / 200, [43.595, 0.005, -0.0, 0.0]]
    for currency, digits in (("USD", 2), ("KRW", 0), ("KWD", 3)):
        expected = np.floor(money * 10**digits + (0.5 + 1e-6))
        buffer = money.copy()
        assert same_bits(to_units(money, currency), expected)
        assert to_units(buffer, currency, out=buffer) is buffer
        assert same_bits(buffer, expected)


def bridge_in_steps_of(cm, steps: int, monkeypatch) -> pd.DataFrame:
    monkeypatch.setattr(bridge_module, "CHUNK", steps)
    return mrr_bridge(cm)


@pytest.mark.parametrize("steps", [1, 2, 7, 64])
def test_the_bridge_in_steps_equals_one_pass(monkeypatch, steps):
    # Sums run on from step to step in order, and a customer's first gain is new across steps.
    cm = customer_mrr(many_customers(), as_of=month("2025-12"))
    assert len(cm.change_month) > 64 * 10
    whole = bridge_in_steps_of(cm, 10**9, monkeypatch)
    pd.testing.assert_frame_equal(bridge_in_steps_of(cm, steps, monkeypatch), whole, check_exact=True)


@settings(max_examples=30, deadline=None)
@given(fx_ledgers())
def test_random_fx_bridges_in_steps_equal_one_pass(case):
    subs, fx = case
    try:
        cm = customer_mrr(subs, fx_rates=fx, as_of=month("2025-10"))
    except ValueError:
        return
    with pytest.MonkeyPatch.context() as patch:
        whole = bridge_in_steps_of(cm, 10**9, patch)
        for steps in (1, 3):
            pd.testing.assert_frame_equal(bridge_in_steps_of(cm, steps, patch), whole, check_exact=True)


def months_by_iterrows(report) -> list[dict[str, object]]:
    """``KPIReport.months_as_dicts`` as it was: one Series per row."""
    from kpi_addin.metrics import report as report_module
    from kpi_addin.metrics.catalogue import COUNT_KEYS, MONTHLY_KEYS

    json_number = report_module._json_number  # the rule for one cell, as the report applies it
    months = []
    for period, row in report.monthly.iterrows():
        entry: dict[str, object] = {"month": str(period)}
        for key in MONTHLY_KEYS[1:]:
            entry[key] = json_number(row[key], integer=key in COUNT_KEYS)
        months.append(entry)
    return months


def test_the_json_months_are_the_rows_as_iterrows_gave_them(sample_company):
    from dataclasses import replace

    from kpi_addin.metrics import monthly_kpis

    report = monthly_kpis(sample_company, today=pd.Timestamp("2026-01-15").date())
    json_months = report.months_as_dicts()
    assert json_months == months_by_iterrows(report)
    assert repr(json_months) == repr(months_by_iterrows(report))  # ints stay ints, nulls None
    # A frame of mixed columns (an object column with None, a nullable integer with NA): rows of objects.
    mixed = report.monthly.copy()
    mixed["mrr"] = mixed["mrr"].astype(object)
    mixed.iloc[0, mixed.columns.get_loc("mrr")] = None
    mixed["customers"] = mixed["customers"].astype("Int64")
    mixed.iloc[1, mixed.columns.get_loc("customers")] = pd.NA
    odd = replace(report, monthly=mixed)
    assert repr(odd.months_as_dicts()) == repr(months_by_iterrows(odd))
    assert odd.months_as_dicts()[0]["mrr"] is None and odd.months_as_dicts()[1]["customers"] is None


def fx_many_customers() -> tuple[pd.DataFrame, pd.DataFrame]:
    """many_customers with a third of the subscriptions in EUR or GBP, rates moving monthly (a
    month without a GBP rate where no GBP amount is)."""
    subs = many_customers()
    rng = np.random.default_rng(8)
    subs["currency"] = rng.choice(["USD", "USD", "EUR", "GBP"], size=len(subs))
    months = pd.date_range("2024-01-01", "2025-12-01", freq="MS")
    fx = pd.DataFrame(
        {
            "currency": ["EUR"] * len(months) + ["GBP"] * len(months),
            "rate": np.r_[1.05 + rng.random(len(months)) / 10, 1.2 + rng.random(len(months)) / 10],
            "month": list(months) * 2,
        }
    )
    return subs, fx


def change_log(cm) -> list[np.ndarray]:
    return [cm.change_customer, cm.change_month, cm.mrr_before, cm.mrr_after, cm.fx_change]


@pytest.mark.parametrize("block", [1, 5, 97, 1_000])
def test_the_change_points_in_blocks_equal_one_block(monkeypatch, block):
    # Blocks of whole customers: one customer's points (more than a block) are never split.
    from kpi_addin.metrics import change_points

    subs, fx = fx_many_customers()
    for rates in (fx, None):
        ledger = subs if rates is not None else subs.drop(columns="currency")
        whole = customer_mrr(ledger, fx_rates=rates, as_of=month("2025-12"))
        monkeypatch.setattr(change_points, "BLOCK", block)
        cut = customer_mrr(ledger, fx_rates=rates, as_of=month("2025-12"))
        monkeypatch.setattr(change_points, "BLOCK", 1 << 20)
        assert len(whole.change_month) > 20 * block or block == 1_000
        for got, expected in zip(change_log(cut), change_log(whole), strict=True):
            assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


def test_a_missing_rate_is_named_for_every_month_it_is_missing():
    subs, fx = fx_many_customers()
    gone = fx[~((fx["currency"] == "GBP") & fx["month"].isin(pd.to_datetime(["2024-05-01", "2025-02-01"])))]
    with pytest.raises(KPIInputError, match="no exchange rate for GBP in 2024-05, 2025-02 "):
        customer_mrr(subs, fx_rates=gone, as_of=month("2025-12"))
