"""Concentration (top10_share) month by month in one walk of the month ends equals the one-month rule
(:func:`kpi_addin.metrics.finance.top_share` of each month's MRR per customer)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings

from kpi_addin.metrics import concentration, customer_mrr
from kpi_addin.metrics.concentration import top_shares
from kpi_addin.metrics.finance import top_share

from .conftest import month
from .test_mrr_engine import ledgers


def one_month_at_a_time(cm, months, top):
    return [top_share(cm.mrr_at(m), top=top) for m in months]


def assert_same(got: pd.Series, expected: list[float]) -> None:
    for value, want in zip(got.tolist(), expected, strict=True):
        if np.isnan(want):
            assert np.isnan(value)
        else:
            assert value == want  # bit for bit


def test_hand_worked_month_by_month():
    subs = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "a"],
            "amount": [300.0, 100.0, 600.0, 50.0],
            "interval": ["month"] * 4,
            "start_date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-03", "2025-03-01"]),
            "end_date": pd.to_datetime([None, None, "2025-04-10", None]),
        }
    )
    cm = customer_mrr(subs, as_of=month("2025-05"))
    # Jan: a 300, b 100 → 300/400; Feb: c 600, a 300, b 100 → 600/1000; Mar: a 350 + c 600 of 1050 (top 2);
    # Apr and May: a 350, b 100 → two customers, all of it.
    got = top_shares(cm, cm.months, top=2)
    assert got.tolist() == [1.0, pytest.approx(900 / 1000), pytest.approx(950 / 1050), 1.0, 1.0]
    assert top_shares(cm, cm.months, top=1).tolist() == pytest.approx([0.75, 0.6, 600 / 1050, 350 / 450, 350 / 450])


@settings(max_examples=100, deadline=None)
@given(ledgers())
def test_random_ledgers_equal_the_one_month_rule(subs):
    try:
        cm = customer_mrr(subs, as_of=month("2025-09"))
    except ValueError:
        return
    for top in (1, 2, 3):
        assert_same(top_shares(cm, cm.months, top=top), one_month_at_a_time(cm, cm.months, top))


def many_customers() -> pd.DataFrame:
    """4,000 subscriptions over 24 months, prices with many ties (the ten largest share a price) and
    a few large customers that come and go."""
    rng = np.random.default_rng(3)
    n = 4_000
    start = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 700, n), unit="D")
    length = pd.to_timedelta(rng.integers(20, 400, n), unit="D")
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in rng.integers(0, 2_500, n)],
            "amount": rng.choice([10.0, 20.0, 20.0, 50.0, 5_000.0], size=n, p=[0.4, 0.3, 0.2, 0.097, 0.003]),
            "interval": rng.choice(["month", "year", "quarter"], size=n),
            "start_date": start,
            "end_date": (start + length).where(rng.random(n) < 0.6),
        }
    )


def test_many_customers_with_ties_and_large_customers_that_come_and_go():
    cm = customer_mrr(many_customers(), as_of=month("2025-12"))
    assert_same(top_shares(cm, cm.months), one_month_at_a_time(cm, cm.months, 10))
    later = cm.months[5:]  # a report that starts later (history_start) takes its months
    assert_same(top_shares(cm, later), one_month_at_a_time(cm, later, 10))


@pytest.mark.parametrize("candidates", [1, 12, 40, 200, 1_000])
def test_any_number_of_candidates_gives_the_rule_bit_for_bit(monkeypatch, candidates):
    # 2,002 customers.  Up to 40 candidates (ten times four at least): the early months, where a
    # candidate's MRR is below another customer's peak, rank every paying customer, the later ones
    # the candidates alone; 200 or more candidates decide every month.
    cm = customer_mrr(many_customers(), as_of=month("2025-12"))
    assert len(cm.customer_ids) == 2_002
    monkeypatch.setattr(concentration, "CANDIDATES", candidates)
    sizes: list[int] = []
    whole = np.partition
    monkeypatch.setattr(
        concentration.np, "partition", lambda values, kth: (sizes.append(len(values)), whole(values, kth))[1]
    )
    got = top_shares(cm, cm.months)
    monkeypatch.setattr(concentration.np, "partition", whole)
    assert_same(got, one_month_at_a_time(cm, cm.months, 10))
    ranked = max(candidates, 40)
    in_full = sum(size > ranked for size in sizes)
    # the first month has fewer than ten of 40 candidates paying: every customer ranked, no candidates
    assert (len(sizes) - in_full, in_full) == ((23, 13) if candidates <= 40 else (24, 0))
