"""Per-customer MRR at a month and the change log (``CustomerMRR.mrr_at`` / ``changes``).

These are what the 12-month cohort KPIs and the movement log build on: checked by hand,
against the per-date reference of ``test_mrr_engine`` and against the bridge, which a
naive row-by-row classification of ``changes()`` must reproduce exactly.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_addin.metrics import KPIInputError, cohort_retention, customer_mrr, mrr_bridge
from kpi_addin.metrics.spans import INTERVAL_FACTORS

from .conftest import ledger, month
from .mrr_matrix_reference import matrix_bridge, matrix_cohorts, matrix_mrr_and_fx
from .test_mrr_engine import ledgers, reference_mrr


def test_mrr_at_hand_worked():
    subs = ledger(
        ("a", 10.0, "month", "2025-01-05", "2025-03-01"),  # Jan, Feb
        ("b", 1200.0, "year", "2025-02-10", None),  # 100 from Feb
        ("c", 0.001, "month", "2025-01-01", None),  # under a cent: never paying
    )
    cm = customer_mrr(subs, as_of=month("2025-03"))
    assert cm.mrr_at(month("2025-01")).to_dict() == {"a": 10.0}
    assert cm.mrr_at(month("2025-02")).to_dict() == {"a": 10.0, "b": 100.0}
    assert cm.mrr_at(month("2025-03")).to_dict() == {"b": 100.0}
    for outside in ("2024-12", "2025-04"):
        assert cm.mrr_at(month(outside)).empty
    assert cm.mrr_at(month("2025-02")).index.name == "customer_id"


def test_changes_hand_worked_with_reactivation_and_fx():
    subs = ledger(
        ("a", 100.0, "month", "2025-01-05", "2025-02-05", "USD"),  # Jan only
        ("a", 120.0, "month", "2025-04-01", None, "USD"),  # back in April
        ("eu", 100.0, "month", "2025-02-01", None, "EUR"),  # moves with the rate
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "currency"),
    )
    fx = pd.DataFrame(
        {"currency": ["EUR"] * 3, "rate": [1.1, 1.1, 1.2], "month": pd.to_datetime(["2025-02", "2025-03", "2025-04"])}
    )
    changes = customer_mrr(subs, fx_rates=fx, as_of=month("2025-04")).changes()
    got = [(str(r.month), r.customer_id, r.mrr_before, r.mrr_after) for r in changes.itertuples()]
    assert got == [
        ("2025-01", "a", 0.0, 100.0),
        ("2025-02", "a", 100.0, 0.0),
        ("2025-04", "a", 0.0, 120.0),
        ("2025-02", "eu", 0.0, pytest.approx(110.0)),
        ("2025-04", "eu", pytest.approx(110.0), pytest.approx(120.0)),
    ]
    assert list(changes.columns) == ["month", "customer_id", "mrr_before", "mrr_after", "fx"]
    # April: the rate alone moved eu's MRR (100 EUR × (1.2 − 1.1)); new and returning customers carry no FX part.
    assert changes["fx"].tolist() == [0.0, 0.0, 0.0, 0.0, pytest.approx(10.0)]


def classify(changes: pd.DataFrame, months: pd.PeriodIndex, currency_digits: int = 2) -> pd.DataFrame:
    """The bridge's movements from the change log, row by row (the spec's rules, plainly)."""
    out = pd.DataFrame(0.0, index=months, columns=["new", "expansion", "reactivation", "contraction", "churned"])
    counts = pd.DataFrame(0, index=months, columns=["new", "expanded", "reactivated", "contracted", "churned"])
    seen: set[str] = set()

    def units(x: float) -> float:
        return math.floor(x * 10**currency_digits + 0.5 + 1e-6)

    for row in changes.sort_values(["month", "customer_id"], kind="stable").itertuples():
        before, after = units(row.mrr_before), units(row.mrr_after)
        if before <= 0 < after:
            kind = "new" if row.customer_id not in seen else "reactivation"
            out.loc[row.month, kind] += row.mrr_after
            counts.loc[row.month, "new" if kind == "new" else "reactivated"] += 1
        elif after <= 0 < before:
            out.loc[row.month, "churned"] += row.mrr_before
            counts.loc[row.month, "churned"] += 1
        elif before > 0:
            # The rate's part is FX impact; the rest, valued at this month's rate, expansion or contraction.
            delta = row.mrr_after - row.mrr_before - row.fx
            if abs(delta) > 1e-9 * max(row.mrr_after, row.mrr_before):
                out.loc[row.month, "expansion" if delta > 0 else "contraction"] += abs(delta)
            revalued = units(row.mrr_before + row.fx)
            if after != revalued:
                counts.loc[row.month, "expanded" if after > revalued else "contracted"] += 1
        if after > 0:
            seen.add(row.customer_id)
    return out.join(counts.add_suffix("_customers"))


@settings(max_examples=80, deadline=None)
@given(ledgers())
def test_changes_and_mrr_at_match_the_reference_and_tie_to_the_bridge(subs):
    as_of = month("2025-09")
    try:
        cm = customer_mrr(subs, as_of=as_of)
    except KPIInputError:
        return
    expected = reference_mrr(subs, cm.months)
    for period in cm.months[:: max(1, len(cm.months) // 5)]:
        at = cm.mrr_at(period)
        want = {c: v for (c, p), v in expected.items() if p == period and math.floor(v * 100 + 0.5 + 1e-6) > 0}
        assert set(at.index) == set(want)
        for customer, value in want.items():
            assert at[customer] == pytest.approx(value, abs=1e-9)

    changes = cm.changes()
    # Replaying the log month by month rebuilds every customer's MRR.
    level: dict[str, float] = {}
    for period in cm.months:
        for row in changes[changes["month"] == period].itertuples():
            assert level.get(row.customer_id, 0.0) == row.mrr_before
            level[row.customer_id] = row.mrr_after
        assert {c: v for c, v in level.items() if v > 0} == cm.mrr_at(period).to_dict()

    bridge = mrr_bridge(cm)
    plain = classify(changes, cm.months)
    for ours, theirs in [
        ("new_mrr", "new"),
        ("expansion_mrr", "expansion"),
        ("reactivation_mrr", "reactivation"),
        ("contraction_mrr", "contraction"),
        ("churned_mrr", "churned"),
    ]:
        np.testing.assert_allclose(bridge[ours], plain[theirs], rtol=1e-12, atol=1e-9)
    for ours, theirs in [
        ("new_customers", "new_customers"),
        ("expanded_customers", "expanded_customers"),
        ("reactivated_customers", "reactivated_customers"),
        ("contracted_customers", "contracted_customers"),
        ("churned_customers", "churned_customers"),
    ]:
        assert bridge[ours].tolist() == plain[theirs].tolist()


@st.composite
def fx_ledgers(draw):
    """Random ledgers in three currencies, with dated and undated rates (some months missing)."""
    n = draw(st.integers(1, 30))
    base = dt.date(2024, 1, 1)
    rows = []
    for _ in range(n):
        start = base + dt.timedelta(days=draw(st.integers(0, 500)))
        end = start + dt.timedelta(days=draw(st.integers(0, 300))) if draw(st.booleans()) else None
        trial = start + dt.timedelta(days=draw(st.integers(0, 45))) if draw(st.integers(0, 4)) == 0 else None
        rows.append(
            (
                f"c{draw(st.integers(0, 5))}",
                draw(st.sampled_from([0.1, 0.2, 0.3, 0.004, 8.33, 43.55])) * draw(st.integers(1, 300)),
                draw(st.sampled_from(list(INTERVAL_FACTORS))),
                float(draw(st.integers(1, 3))),
                draw(st.sampled_from(["USD", "USD", "EUR", "GBP"])),
                start,
                end,
                trial,
            )
        )
    subs = ledger(
        *rows,
        columns=("customer_id", "amount", "interval", "quantity", "currency", "start_date", "end_date", "trial_end"),
    )
    fx_rows = []
    for currency in ("EUR", "GBP"):
        if draw(st.integers(0, 5)) > 0:
            fx_rows.append((currency, draw(st.sampled_from([0.9, 1.1, 1.27])), None))
        for m in draw(st.lists(st.integers(0, 22), max_size=12, unique=True)):
            fx_rows.append((currency, 1 + draw(st.integers(1, 400)) / 1000, f"{2024 + m // 12}-{m % 12 + 1:02d}-01"))
    fx = pd.DataFrame(fx_rows, columns=["currency", "rate", "month"])
    fx["month"] = pd.to_datetime(fx["month"])
    return subs, fx


@settings(max_examples=80, deadline=None)
@given(fx_ledgers())
def test_change_points_are_bit_identical_to_the_customer_by_month_table(case):
    subs, fx = case
    as_of = month("2025-10")
    try:
        expected, fx_part = matrix_mrr_and_fx(subs, fx_rates=fx, as_of=as_of)
    except KPIInputError as exc:
        with pytest.raises(KPIInputError) as raised:
            customer_mrr(subs, fx_rates=fx, as_of=as_of)
        assert str(raised.value) == str(exc)
        return
    cm = customer_mrr(subs, fx_rates=fx, as_of=as_of)
    got = cm.to_frame()
    assert got.index.tolist() == expected.index.tolist()
    assert (got.columns == expected.columns).all()
    assert np.array_equal(got.to_numpy(), expected.to_numpy())  # exactly, not approximately
    table = expected.to_numpy()
    previous = np.concatenate([np.zeros((len(table), 1)), table[:, :-1]], axis=1)
    rows, cols = np.nonzero((table != previous) | (fx_part.to_numpy() != 0))
    changes = cm.changes()
    assert changes["customer_id"].tolist() == expected.index[rows].tolist()
    assert changes["month"].tolist() == expected.columns[cols].tolist()
    assert np.array_equal(changes["mrr_before"].to_numpy(), previous[rows, cols])
    assert np.array_equal(changes["mrr_after"].to_numpy(), table[rows, cols])
    bridge = mrr_bridge(cm)
    pd.testing.assert_frame_equal(bridge, matrix_bridge(expected, fx_part=fx_part), check_exact=True)
    identity = (
        bridge["start_mrr"]
        + bridge["new_mrr"]
        + bridge["expansion_mrr"]
        + bridge["reactivation_mrr"]
        + bridge["fx_mrr"]
        - bridge["contraction_mrr"]
        - bridge["churned_mrr"]
    )
    np.testing.assert_allclose(identity, bridge["mrr"], atol=1e-6)
    # Booked inside expansion / contraction (the FX line's absence), the net change is the same.
    np.testing.assert_allclose(
        bridge["expansion_mrr"] - bridge["contraction_mrr"] + bridge["fx_mrr"],
        matrix_bridge(expected)["expansion_mrr"] - matrix_bridge(expected)["contraction_mrr"],
        atol=1e-6,
    )
    for basis in ("logo", "revenue"):
        pd.testing.assert_frame_equal(cohort_retention(cm, basis), matrix_cohorts(expected, basis), check_exact=True)


def test_month_number_equals_numpys_calendar():
    from kpi_addin.metrics.months import month_number

    rng = np.random.default_rng(3)
    stamps = rng.integers(-(10**18), 4 * 10**18, size=2000).astype("datetime64[ns]")
    stamps[::7] = np.datetime64("NaT")
    expected = np.where(np.isnat(stamps), -(2**62), stamps.astype("datetime64[M]").astype(np.int64))
    assert month_number(stamps).tolist() == expected.tolist()
    assert month_number(stamps[:0]).tolist() == []
    assert month_number(np.array(["NaT"], dtype="datetime64[ns]")).tolist() == [-(2**62)]


@settings(max_examples=40, deadline=None)
@given(ledgers())
def test_month_end_cursor_equals_mrr_at(subs):
    from kpi_addin.metrics.mrr import MonthEndCursor

    try:
        cm = customer_mrr(subs, as_of=month("2025-09"))
    except KPIInputError:
        return
    cursor = MonthEndCursor(cm)
    assert not cursor.at(cm.months[0] - 1).any()  # before the report: nothing known
    for period in cm.months[::2]:
        vector = cursor.at(period)
        paying = vector > 0
        assert dict(zip(cm.customer_ids[paying], vector[paying], strict=True)) == cm.mrr_at(period).to_dict()
    with pytest.raises(ValueError, match="must not decrease"):
        cursor.at(cm.months[0] - 1) if len(cm.months) > 2 else cursor.at(pd.Period("1900-01", "M"))
