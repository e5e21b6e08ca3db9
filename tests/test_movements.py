"""The movement log: hand-worked cases of each type and rule, and on random ledgers the
log's sums by month and type equal the MRR bridge (amounts to the cent, counts exactly)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_addin.metrics import KPIInputError, customer_mrr, mrr_bridge
from kpi_addin.metrics.movements import (
    BRIDGE_OF_TYPE,
    MOVEMENT_COLUMNS,
    MOVEMENT_TYPES,
    movement_log,
    movement_totals,
)
from kpi_addin.metrics.spans import INTERVAL_FACTORS

from .conftest import ledger, month

COLUMNS = ("customer_id", "customer_name", "plan", "amount", "interval", "quantity", "start_date", "end_date")


def log_of(*rows: tuple, as_of: str, columns: tuple[str, ...] = COLUMNS, **kwargs: object) -> pd.DataFrame:
    subs = ledger(*rows, columns=columns)
    return movement_log(customer_mrr(subs, as_of=month(as_of), **kwargs), subs)


def rows_of(log: pd.DataFrame, *columns: str) -> list[tuple]:
    frame = log[list(columns)]
    if "month" in frame:
        frame = frame.astype({"month": str})
    return [tuple(r) for r in frame.itertuples(index=False)]


def test_each_type_hand_worked():
    log = log_of(
        ("a", "Acme", "Starter", 10.0, "month", 1.0, "2025-01-05", "2025-02-10"),
        ("a", "Acme", "Growth", 25.0, "month", 2.0, "2025-02-10", None),  # same-day upgrade: 10 -> 50
        ("b", "Bolt", "Pro", 40.0, "month", 1.0, "2025-01-20", "2025-03-02"),  # churns in March
        ("b", "Bolt", "Pro", 30.0, "month", 1.0, "2025-04-01", None),  # back in April at 30
        ("c", "Cask", "Scale", 1200.0, "year", 1.0, "2025-02-01", "2025-04-15"),  # 100 a month
        ("c", "Cask", "Starter", 20.0, "month", 1.0, "2025-04-15", None),  # downgrade: 100 -> 20
        as_of="2025-04",
    )
    assert list(log.columns) == list(MOVEMENT_COLUMNS)
    assert rows_of(log, "month", "customer_id", "type", "mrr_before", "mrr_after", "change") == [
        ("2025-01", "a", "new", 0.0, 10.0, 10.0),
        ("2025-01", "b", "new", 0.0, 40.0, 40.0),
        ("2025-02", "c", "new", 0.0, 100.0, 100.0),
        ("2025-02", "a", "expansion", 10.0, 50.0, 40.0),
        ("2025-03", "b", "churned", 40.0, 0.0, -40.0),
        ("2025-04", "b", "reactivation", 0.0, 30.0, 30.0),
        ("2025-04", "c", "contraction", 100.0, 20.0, -80.0),
    ]
    assert rows_of(log, "customer_name", "plans_before", "plans_after")[3:] == [
        ("Acme", "Starter", "Growth ×2"),
        ("Bolt", "Pro", ""),
        ("Bolt", "", "Pro"),
        ("Cask", "Scale", "Starter"),
    ]
    assert log["counted"].all() and "fx" not in set(log["type"])


def test_a_change_under_one_cent_is_listed_but_counts_no_customer():
    # 100/12 = 8.3333 a month against 8.33 monthly: 0.0033 of expansion, the same cents
    log = log_of(
        ("a", "Acme", "Monthly", 8.33, "month", 1.0, "2025-01-01", "2025-02-01"),
        ("a", "Acme", "Annual", 100.0, "year", 1.0, "2025-02-01", None),
        as_of="2025-02",
    )
    row = log.iloc[1]
    assert (row["type"], bool(row["counted"])) == ("expansion", False)
    assert row["change"] == pytest.approx(100 / 12 - 8.33)
    bridge = mrr_bridge(
        customer_mrr(
            ledger(("a", 8.33, "month", "2025-01-01", "2025-02-01"), ("a", 100.0, "year", "2025-02-01", None)),
            as_of=month("2025-02"),
        )
    )
    assert bridge["expanded_customers"].tolist() == [0, 0]
    assert bridge["expansion_mrr"].iloc[1] == row["change"]


def test_an_exchange_rate_move_is_an_fx_row_and_the_rest_expansion_at_this_months_rate():
    columns = (*COLUMNS, "currency")
    fx = pd.DataFrame(
        {
            "currency": ["EUR"] * 3,
            "rate": [1.10, 1.08, 1.12],
            "month": pd.to_datetime(["2025-01", "2025-02", "2025-03"]),
        }
    )
    log = log_of(
        ("e", "Euro GmbH", "Growth", 100.0, "month", 1.0, "2025-01-10", None, "EUR"),
        ("e", "Euro GmbH", "Seats", 10.0, "month", 1.0, "2025-03-05", None, "EUR"),  # a real expansion in March
        as_of="2025-03",
        columns=columns,
        reporting_currency="USD",
        fx_rates=fx,
    )
    assert rows_of(log, "month", "type", "counted", "plans_before", "plans_after") == [
        ("2025-01", "new", True, "", "Growth"),
        ("2025-02", "fx", False, "Growth", "Growth"),  # 110 -> 108: only the rate moved, 100 × (1.08 − 1.10)
        # ordered by type as the bridge lists them: expansion, then fx
        ("2025-03", "expansion", True, "Growth", "Growth + Seats"),  # the 10 EUR of seats at 1.12: 112 -> 123.2
        ("2025-03", "fx", False, "Growth", "Growth + Seats"),  # 100 × (1.12 − 1.08) = 4: 108 -> 112
    ]
    assert log["change"].tolist() == pytest.approx([110.0, -2.0, 11.2, 4.0])
    assert log["mrr_before"].tolist() == pytest.approx([0.0, 110.0, 112.0, 108.0])
    assert log["mrr_after"].tolist() == pytest.approx([110.0, 108.0, 123.2, 112.0])


def test_window_keeps_types_decided_on_the_whole_history():
    rows = (
        ("a", "Acme", "P", 10.0, "month", 1.0, "2025-01-05", "2025-02-03"),
        ("a", "Acme", "P", 10.0, "month", 1.0, "2025-04-01", None),
    )
    subs = ledger(*rows, columns=COLUMNS)
    cm = customer_mrr(subs, as_of=month("2025-04"))
    window = movement_log(cm, subs, start=month("2025-03"), end=month("2025-04"))
    assert rows_of(window, "month", "type") == [("2025-04", "reactivation")]  # not "new"


def test_names_and_plans_are_blank_without_the_ledger_columns():
    subs = ledger(("a", 10.0, "month", "2025-01-05", None))
    log = movement_log(customer_mrr(subs), subs)
    assert rows_of(log, "customer_name", "plans_after") == [("", "")]
    assert movement_log(customer_mrr(subs))["customer_name"].tolist() == [""]


def test_sample_latest_month_churn_ties_to_the_bridge():
    from kpi_addin.io.inputs import load_company
    from kpi_addin.metrics import monthly_kpis

    company, _notes, _warnings = load_company(None)
    report = monthly_kpis(company)
    log = movement_log(report.customer_mrr, company.subscriptions, start=report.as_of)
    churned = log[log["type"] == "churned"]
    assert len(churned) == report.monthly["churned_customers"].iloc[-1] == 6
    assert -churned["change"].sum() == pytest.approx(1169.46, abs=0.005)
    assert sorted(churned["customer_name"]) == [
        "Blue Systems",
        "Juniper Works",
        "Quartz Labs",
        "Umber Partners",
        "Umber Travel",
        "Vertex Robotics",
    ]


def test_max_rows_keeps_the_latest_months_that_fit():
    rows = [("a", "A", "P", 10.0, "month", 1.0, "2025-01-05", None)]
    rows += [(f"c{m}", "C", "P", 10.0, "month", 1.0, f"2025-0{m}-05", None) for m in (2, 3, 3, 4)]
    rows = [(r[0] + str(i), *r[1:]) for i, r in enumerate(rows)]  # one new customer per row
    subs = ledger(*rows, columns=COLUMNS)
    cm = customer_mrr(subs, as_of=month("2025-04"))
    assert movement_log(cm, subs).groupby("month").size().tolist() == [1, 1, 2, 1]
    months = lambda limit: sorted({str(m) for m in movement_log(cm, subs, max_rows=limit)["month"]})  # noqa: E731
    assert months(3) == ["2025-03", "2025-04"]
    assert months(4) == ["2025-02", "2025-03", "2025-04"]
    assert months(0) == ["2025-04"]  # the latest month always


# --------------------------------------------------------------------------- random ledgers


@st.composite
def ledgers(draw):
    """Random ledgers in USD and EUR (monthly rates), with annual prices beside monthly ones
    so that changes under one cent, reactivations and FX-only moves all occur."""
    n = draw(st.integers(1, 25))
    rows = []
    base = dt.date(2024, 1, 1)
    for _ in range(n):
        start = base + dt.timedelta(days=draw(st.integers(0, 540)))
        end = start + dt.timedelta(days=draw(st.integers(0, 400))) if draw(st.booleans()) else None
        trial = start + dt.timedelta(days=draw(st.integers(0, 45))) if draw(st.integers(0, 3)) == 0 else None
        price = draw(st.sampled_from([8.33, 100.0, 49.0, 588.0])) if draw(st.booleans()) else None
        rows.append(
            (
                f"c{draw(st.integers(0, 6))}",
                draw(st.sampled_from(["Starter", "Growth", "=HYPERLINK(1)"])),
                price if price is not None else draw(st.integers(0, 200_000)) / 100,
                draw(st.sampled_from(list(INTERVAL_FACTORS))),
                float(draw(st.integers(1, 3))),
                draw(st.sampled_from(["USD", "USD", "EUR"])),
                start,
                end,
                trial,
            )
        )
    subs = ledger(
        *rows,
        columns=(
            "customer_id",
            "plan",
            "amount",
            "interval",
            "quantity",
            "currency",
            "start_date",
            "end_date",
            "trial_end",
        ),
    )
    subs["customer_name"] = "Name of " + subs["customer_id"]
    return subs


FX = pd.DataFrame(
    {
        "currency": "EUR",
        "rate": [1.08 + 0.01 * ((i * 7) % 5) for i in range(21)],
        "month": pd.date_range("2024-01-01", periods=21, freq="MS"),
    }
)


@settings(max_examples=60, deadline=None)
@given(ledgers())
def test_random_ledgers_log_sums_are_the_bridge(subs):
    as_of = month("2025-09")
    try:
        cm = customer_mrr(subs, as_of=as_of, fx_rates=FX)
    except KPIInputError:
        return
    bridge = mrr_bridge(cm)
    log = movement_log(cm, subs)
    totals = movement_totals(log, cm.months)
    for amount, count, _sign in BRIDGE_OF_TYPE.values():
        np.testing.assert_allclose(totals[amount], bridge[amount], rtol=0, atol=1e-9)
        assert (np.round(totals[amount] * 100) == np.round(bridge[amount] * 100)).all()
        if count is not None:  # FX impact counts no customers
            assert totals[count].tolist() == bridge[count].tolist()
    # the same with a plain pandas group-by, as a person summing the log would
    summed = log.groupby(["month", "type"])["change"].sum().unstack(fill_value=0.0)
    for kind in MOVEMENT_TYPES:
        amount, _count, sign = BRIDGE_OF_TYPE[kind]
        got = summed[kind].reindex(cm.months, fill_value=0.0) if kind in summed else 0.0 * bridge[amount]
        np.testing.assert_allclose(sign * got, bridge[amount], rtol=0, atol=1e-9)
    # every customer and month's rows chain its month-end MRR: fx (before → at this month's rate), then its move
    frame = cm.to_frame()
    fx_first = log.assign(_own=log["type"] != "fx").sort_values(["customer_id", "month", "_own"], kind="stable")
    for (customer, period), rows in fx_first.groupby(["customer_id", "month"], sort=False):
        assert frame.loc[customer, period] == rows["mrr_after"].iloc[-1]
        before = frame.loc[customer, period - 1] if period - 1 in frame.columns else 0.0
        assert rows["mrr_before"].iloc[0] == before
        assert rows["mrr_before"].iloc[1:].tolist() == rows["mrr_after"].iloc[:-1].tolist()
        assert len(rows) == 1 or (len(rows) == 2 and rows["type"].iloc[0] == "fx")
    for row in log.itertuples():
        assert row.change == pytest.approx(row.mrr_after - row.mrr_before, abs=1e-9)
        assert row.type in MOVEMENT_TYPES and row.customer_name == f"Name of {row.customer_id}"
        if row.type in ("new", "reactivation"):
            assert row.plans_after and not row.plans_before and row.mrr_before == 0
        if row.type == "churned":
            assert row.plans_before and not row.plans_after and row.mrr_after == 0
        if row.type == "fx":
            assert row.mrr_before > 0 and row.mrr_after > 0 and not row.counted
    # a window of months is the same rows as the whole log cut to it
    window = movement_log(cm, subs, start=cm.months[len(cm.months) // 2], end=cm.months[-2])
    cut = log[(log["month"] >= cm.months[len(cm.months) // 2]) & (log["month"] <= cm.months[-2])]
    pd.testing.assert_frame_equal(window, cut.reset_index(drop=True))
