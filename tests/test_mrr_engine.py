"""The subscriptions → MRR engine: normalisation, month-end snapshots, the bridge, cohorts.

Hand-worked ledgers for each rule of docs/conventions.md, a plain per-date reference implementation
for random ledgers (hypothesis), and the bridge identity for every month.
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


def mrr_of(subs: pd.DataFrame, **kwargs) -> pd.DataFrame:
    return customer_mrr(subs, **kwargs).to_frame()


def test_interval_normalisation():
    subs = ledger(
        ("annual", 1200.0, "year", "2025-01-01", None),  # 1,200 / 12 = 100
        ("quarterly", 300.0, "quarter", "2025-01-01", None),  # 300 / 3 = 100
        ("weekly", 30.0, "week", "2025-01-01", None),  # 30 x 52 / 12 = 130
        ("monthly", 99.0, "month", "2025-01-01", None),
    )
    frame = mrr_of(subs, as_of=month("2025-01"))
    assert frame.loc["annual", month("2025-01")] == pytest.approx(100)
    assert frame.loc["quarterly", month("2025-01")] == pytest.approx(100)
    assert frame.loc["weekly", month("2025-01")] == pytest.approx(130)
    assert frame.loc["monthly", month("2025-01")] == pytest.approx(99)


def test_quantity_multiplies():
    subs = ledger(
        ("a", 29.0, "month", "2025-01-01", None, 5.0),
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "quantity"),
    )
    assert mrr_of(subs).iloc[0, 0] == pytest.approx(145)  # 29 x 5 seats


def test_month_end_snapshot_and_end_date_is_first_inactive_day():
    subs = ledger(
        ("a", 10.0, "month", "2025-01-31", "2025-03-31"),  # active at Jan and Feb ends; 03-31 is not after 03-31
        ("b", 20.0, "month", "2025-02-01", "2025-04-01"),  # active at Feb and Mar ends
    )
    frame = mrr_of(subs, as_of=month("2025-04"))
    assert frame.loc["a"].tolist() == [10, 10, 0, 0]
    assert frame.loc["b"].tolist() == [0, 20, 20, 0]


def test_subscription_inside_one_month_never_counts():
    subs = ledger(
        ("flash", 500.0, "month", "2025-02-03", "2025-02-20"),
        ("steady", 10.0, "month", "2025-01-01", None),
    )
    frame = mrr_of(subs, as_of=month("2025-03"))
    assert "flash" not in frame.index
    bridge = mrr_bridge(customer_mrr(subs, as_of=month("2025-03")))
    assert bridge["new_customers"].tolist() == [1, 0, 0]
    assert bridge["churned_customers"].sum() == 0


def test_two_overlapping_subscriptions_of_one_customer_add_up():
    subs = ledger(
        ("a", 100.0, "month", "2025-01-10", None),
        ("a", 50.0, "month", "2025-02-10", "2025-04-10"),
    )
    bridge = mrr_bridge(customer_mrr(subs, as_of=month("2025-04")))
    assert bridge["mrr"].tolist() == [100, 150, 150, 100]
    assert bridge["customers"].tolist() == [1, 1, 1, 1]
    assert bridge["expansion_mrr"].tolist() == [0, 50, 0, 0]
    assert bridge["contraction_mrr"].tolist() == [0, 0, 0, 50]


@pytest.mark.parametrize(("new_amount", "movement"), [(250.0, "expansion"), (40.0, "contraction")])
def test_same_day_plan_change_is_expansion_or_contraction_never_churn_plus_new(new_amount, movement):
    subs = ledger(
        ("a", 100.0, "month", "2025-01-15", "2025-03-15"),
        ("a", new_amount, "month", "2025-03-15", None),
    )
    bridge = mrr_bridge(customer_mrr(subs, as_of=month("2025-03")))
    march = bridge.loc[month("2025-03")]
    assert march["churned_customers"] == 0 and march["new_customers"] == 0
    assert march[f"{movement}_mrr"] == pytest.approx(abs(new_amount - 100))
    assert march["expanded_customers" if movement == "expansion" else "contracted_customers"] == 1


def test_leave_and_return_is_reactivation():
    subs = ledger(
        ("a", 100.0, "month", "2025-01-05", "2025-02-05"),  # paying at Jan end only
        ("a", 120.0, "month", "2025-04-01", None),  # back at Apr end
    )
    bridge = mrr_bridge(customer_mrr(subs, as_of=month("2025-05")))
    assert bridge["new_customers"].tolist() == [1, 0, 0, 0, 0]
    assert bridge["churned_customers"].tolist() == [0, 1, 0, 0, 0]
    assert bridge["reactivated_customers"].tolist() == [0, 0, 0, 1, 0]
    assert bridge.loc[month("2025-04"), "reactivation_mrr"] == 120
    assert bridge.loc[month("2025-02"), "churned_mrr"] == 100


def test_trial_earns_nothing_until_it_ends():
    subs = ledger(
        ("a", 100.0, "month", "2025-01-20", None, "2025-02-03"),
        ("b", 100.0, "month", "2025-01-05", None, "2025-01-31"),  # trial ends on the month end: earns then
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "trial_end"),
    )
    frame = mrr_of(subs, as_of=month("2025-02"))
    assert frame.loc["a"].tolist() == [0, 100]
    assert frame.loc["b"].tolist() == [100, 100]


def test_fx_rates_month_specific_then_undated():
    subs = ledger(
        ("eu", 100.0, "month", "2025-01-01", None, "EUR"),
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "currency"),
    )
    fx = pd.DataFrame({"currency": ["EUR", "EUR"], "rate": [1.10, 1.05], "month": pd.to_datetime(["2025-02-01", None])})
    frame = mrr_of(subs, fx_rates=fx, as_of=month("2025-03"))
    assert frame.loc["eu"].tolist() == pytest.approx([105, 110, 105])
    bridge = mrr_bridge(customer_mrr(subs, fx_rates=fx, as_of=month("2025-03")))
    # an exchange-rate move is FX impact, its own line: 100 EUR × (1.10 − 1.05), then × (1.05 − 1.10)
    assert bridge["fx_mrr"].tolist() == pytest.approx([0, 5, -5])
    assert bridge["expansion_mrr"].tolist() == [0, 0, 0]
    assert bridge["contraction_mrr"].tolist() == [0, 0, 0]
    assert bridge["expanded_customers"].tolist() == [0, 0, 0] == bridge["contracted_customers"].tolist()
    # GRR and revenue churn count the customer's whole change: the March fall of 5 is a loss
    assert bridge["net_contraction_mrr"].tolist() == pytest.approx([0, 0, 5])


def test_fx_impact_when_the_plan_changes_with_the_rate():
    """100 EUR at 1.20, then 150 EUR at 1.25: FX 100 × 0.05 = 5; expansion the local 50 at 1.25 = 62.5."""
    subs = ledger(
        ("eu", 100.0, "month", "2025-01-01", "2025-02-01", "EUR"),
        ("eu", 150.0, "month", "2025-02-01", None, "EUR"),
        ("us", 40.0, "month", "2025-01-01", None, "USD"),
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "currency"),
    )
    fx = pd.DataFrame({"currency": ["EUR"] * 2, "rate": [1.20, 1.25], "month": pd.to_datetime(["2025-01", "2025-02"])})
    bridge = mrr_bridge(customer_mrr(subs, fx_rates=fx, as_of=month("2025-02")))
    feb = bridge.loc[month("2025-02")]
    assert (feb["start_mrr"], feb["mrr"]) == (pytest.approx(160.0), pytest.approx(227.5))
    assert (feb["fx_mrr"], feb["expansion_mrr"], feb["expanded_customers"]) == (
        pytest.approx(5.0),
        pytest.approx(62.5),
        1,
    )
    assert feb["start_mrr"] + feb["expansion_mrr"] + feb["fx_mrr"] == pytest.approx(feb["mrr"])


def test_missing_fx_rate_is_an_error_never_one_to_one():
    subs = ledger(
        ("eu", 100.0, "month", "2025-01-01", None, "EUR"),
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "currency"),
    )
    fx = pd.DataFrame({"currency": ["EUR"], "rate": [1.1], "month": pd.to_datetime(["2025-01-01"])})
    with pytest.raises(KPIInputError, match=r"no exchange rate for EUR in 2025-02, 2025-03"):
        customer_mrr(subs, fx_rates=fx, as_of=month("2025-03"))
    with pytest.raises(KPIInputError, match="EUR"):
        customer_mrr(subs, as_of=month("2025-03"))


def test_float_noise_is_not_a_movement():
    # 0.1 + 0.2 != 0.3 in binary floating point: the same customer, split differently
    subs = ledger(
        ("a", 0.1, "month", "2025-01-01", "2025-02-01"),
        ("a", 0.2, "month", "2025-01-01", "2025-02-01"),
        ("a", 0.3, "month", "2025-02-01", None),
    )
    bridge = mrr_bridge(customer_mrr(subs, as_of=month("2025-02")))
    february = bridge.loc[month("2025-02")]
    assert february["expanded_customers"] == 0 and february["contracted_customers"] == 0
    assert february["start_mrr"] + february["expansion_mrr"] - february["contraction_mrr"] == pytest.approx(
        february["mrr"], abs=1e-12
    )


def test_sub_cent_change_counts_no_customer_but_the_bridge_ties():
    # 8.33 monthly, then 100 a year (8.3333...): 0.0033 more, under one cent
    subs = ledger(("a", 8.33, "month", "2025-01-01", "2025-02-01"), ("a", 100.0, "year", "2025-02-01", None))
    bridge = mrr_bridge(customer_mrr(subs, as_of=month("2025-02")))
    february = bridge.loc[month("2025-02")]
    assert february["expanded_customers"] == 0
    assert february["start_mrr"] + february["expansion_mrr"] == pytest.approx(february["mrr"], abs=1e-12)


def test_krw_is_compared_in_whole_won():
    subs = ledger(
        ("a", 10000.4, "month", "2025-01-01", "2025-02-01", "KRW"),
        ("a", 10000.0, "month", "2025-02-01", None, "KRW"),
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "currency"),
    )
    bridge = mrr_bridge(customer_mrr(subs, reporting_currency="KRW", as_of=month("2025-02")))
    assert bridge.loc[month("2025-02"), "contracted_customers"] == 0


def test_unknown_interval_is_an_error():
    subs = ledger(("a", 10.0, "fortnight", "2025-01-01", None))
    with pytest.raises(KPIInputError, match="fortnight"):
        customer_mrr(subs)


def test_cohort_retention_hand_worked():
    subs = ledger(
        ("a", 10.0, "month", "2025-01-05", None),
        ("b", 30.0, "month", "2025-01-20", "2025-02-15"),  # leaves in February
        ("c", 30.0, "month", "2025-02-03", None),
        ("a", 20.0, "month", "2025-03-01", None),  # a expands in March
    )
    cm = customer_mrr(subs, as_of=month("2025-03"))
    logo = cohort_retention(cm, "logo")
    # Jan cohort: a, b (2). Feb: a only -> 1/2; Mar: a -> 1/2
    assert logo.loc[month("2025-01")].tolist()[:4] == [2, 1, 0.5, 0.5]
    revenue = cohort_retention(cm, "revenue")
    # Jan cohort MRR 40; Feb 10 -> 0.25; Mar 30 -> 0.75
    assert revenue.loc[month("2025-01")].tolist()[:4] == pytest.approx([40, 1, 0.25, 0.75])
    assert np.isnan(revenue.loc[month("2025-02"), 2])  # beyond the last month


# --------------------------------------------------------------------------- random ledgers


def reference_mrr(subs: pd.DataFrame, months: pd.PeriodIndex) -> dict[tuple[str, pd.Period], float]:
    """The spec's definition, date by date, with no vectorisation: the independent check."""
    result: dict[tuple[str, pd.Period], float] = {}
    for period in months:
        month_end = period.to_timestamp(how="end").normalize()
        for row in subs.itertuples():
            active = row.start_date <= month_end and (pd.isna(row.end_date) or row.end_date > month_end)
            earning = active and (pd.isna(row.trial_end) or row.trial_end <= month_end)
            if earning:
                num, den = INTERVAL_FACTORS[row.interval]
                key = (row.customer_id, period)
                result[key] = result.get(key, 0.0) + row.amount * row.quantity * num / den
    return result


@st.composite
def ledgers(draw):
    n = draw(st.integers(1, 25))
    rows = []
    base = dt.date(2024, 1, 1)
    for _ in range(n):
        start = base + dt.timedelta(days=draw(st.integers(0, 540)))
        end = start + dt.timedelta(days=draw(st.integers(0, 400))) if draw(st.booleans()) else None
        trial = start + dt.timedelta(days=draw(st.integers(0, 45))) if draw(st.integers(0, 3)) == 0 else None
        rows.append(
            (
                f"c{draw(st.integers(0, 6))}",
                draw(st.integers(0, 200_000)) / 100,
                draw(st.sampled_from(list(INTERVAL_FACTORS))),
                float(draw(st.integers(1, 3))),
                start,
                end,
                trial,
            )
        )
    return ledger(
        *rows, columns=("customer_id", "amount", "interval", "quantity", "start_date", "end_date", "trial_end")
    )


@settings(max_examples=150, deadline=None)
@given(ledgers())
def test_random_ledgers_match_the_reference_and_the_bridge_ties(subs):
    as_of = month("2025-09")
    try:
        cm = customer_mrr(subs, as_of=as_of)
    except KPIInputError:
        assert not any(reference_mrr(subs, pd.period_range("2024-01", as_of, freq="M")).values())
        return
    expected = reference_mrr(subs, cm.months)
    frame = cm.to_frame()
    for (customer, period), value in expected.items():
        got = frame.loc[customer, period] if customer in frame.index else 0.0
        assert got == pytest.approx(value if math.floor(value * 100 + 0.5 + 1e-6) else 0.0, abs=1e-9)
    bridge = mrr_bridge(cm)
    identity = (
        bridge["start_mrr"]
        + bridge["new_mrr"]
        + bridge["expansion_mrr"]
        + bridge["reactivation_mrr"]
        - bridge["contraction_mrr"]
        - bridge["churned_mrr"]
    )
    np.testing.assert_allclose(identity, bridge["mrr"], rtol=1e-12, atol=1e-9)
    counts = (
        bridge["start_customers"]
        + bridge["new_customers"]
        + bridge["reactivated_customers"]
        - bridge["churned_customers"]
    )
    assert (counts == bridge["customers"]).all()
    assert (bridge["start_mrr"].iloc[1:].to_numpy() == bridge["mrr"].iloc[:-1].to_numpy()).all()

    shuffled = subs.sample(frac=1.0, random_state=7).reset_index(drop=True)
    again = mrr_bridge(customer_mrr(shuffled, as_of=as_of))
    count_columns = [c for c in bridge.columns if c.endswith("customers")]
    pd.testing.assert_frame_equal(again[count_columns], bridge[count_columns])
    pd.testing.assert_frame_equal(again, bridge, check_exact=False, rtol=1e-12, atol=1e-9)


def test_half_cent_boundary_does_not_depend_on_row_order():
    # found by hypothesis: 0.03 + 0.01 + 43.55 + 0.06 / 12 = 43.595, exactly half a cent;
    # summed in another order it is 43.594999..., which banker's rounding would flip.
    rows = [
        ("c0", 0.01, "month", 3.0, "2024-01-01", None),
        ("c0", 0.01, "month", 1.0, "2024-01-01", None),
        ("c0", 43.55, "month", 1.0, "2024-01-01", None),
        ("c0", 0.02, "year", 3.0, "2024-01-01", "2024-02-01"),
    ]
    columns = ("customer_id", "amount", "interval", "quantity", "start_date", "end_date")
    bridges = [
        mrr_bridge(customer_mrr(ledger(*order, columns=columns), as_of=month("2024-02")))
        for order in (rows, rows[::-1], rows[1:] + rows[:1])
    ]
    for bridge in bridges:
        assert bridge["contracted_customers"].tolist() == [0, 1]  # 43.60 (half up) -> 43.59
    assert all(b.equals(bridges[0]) or np.allclose(b, bridges[0], rtol=1e-12) for b in bridges)


def test_a_rate_move_offset_by_an_upgrade_is_still_both_moves():
    """€100 at 1.20 ($120), then €120 at 1.00 ($120): MRR unchanged, but FX −20 and expansion +20."""
    subs = ledger(
        ("eu", 100.0, "month", "2025-01-01", None, "EUR"),
        ("eu", 20.0, "month", "2025-02-01", None, "EUR"),
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "currency"),
    )
    fx = pd.DataFrame({"currency": ["EUR"] * 2, "rate": [1.20, 1.00], "month": pd.to_datetime(["2025-01", "2025-02"])})
    cm = customer_mrr(subs, fx_rates=fx, as_of=month("2025-02"))
    feb = mrr_bridge(cm).loc[month("2025-02")]
    assert feb["mrr"] == feb["start_mrr"] == pytest.approx(120.0)
    assert (feb["fx_mrr"], feb["expansion_mrr"], feb["expanded_customers"]) == (
        pytest.approx(-20.0),
        pytest.approx(20.0),
        1,
    )
    assert feb["net_contraction_mrr"] == 0  # the customer's whole MRR did not fall: GRR keeps it whole
