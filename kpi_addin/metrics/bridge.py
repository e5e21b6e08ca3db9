"""The MRR bridge: each month's movements (new, expansion, reactivation, FX impact, contraction, churn)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from .currency import to_units
from .mrr import CustomerMRR, MonthEndCursor, customer_mrr, fx_parts  # noqa: F401 - customer_mrr: the doctests use it

BRIDGE_COLUMNS = (
    "start_mrr",
    "new_mrr",
    "expansion_mrr",
    "reactivation_mrr",
    "fx_mrr",
    "contraction_mrr",
    "churned_mrr",
    "mrr",
    "net_contraction_mrr",
    "start_customers",
    "new_customers",
    "expanded_customers",
    "reactivated_customers",
    "contracted_customers",
    "churned_customers",
    "customers",
)


def mrr_bridge(cm: CustomerMRR) -> pd.DataFrame:
    """The MRR bridge per month: amounts and customer counts of each movement.

    Columns: :data:`BRIDGE_COLUMNS`.  ``start_*`` is the previous month end (0 in the
    first month, when every paying customer is new).  The identity
    ``start_mrr + new_mrr + expansion_mrr + reactivation_mrr + fx_mrr − contraction_mrr
    − churned_mrr == mrr`` holds in every month (up to float rounding of the sums).
    For a customer paying at both month ends, ``fx_mrr`` takes the part of its change due
    to exchange rates alone (:attr:`CustomerMRR.fx_change`); expansion and contraction
    (and their customer counts) are the rest: the change of its local amounts valued at
    this month's rate.  ``net_contraction_mrr`` is the paying customers' falls with their
    FX part included (each customer's whole change, as GRR and revenue churn count it).
    Edge cases: a change under one cent counts no customer but keeps its amount; the
    first month has no start, so all its paying customers are new.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "a", "b"], "amount": [10.0, 25.0, 40.0],
    ...     "interval": ["month"] * 3,
    ...     "start_date": pd.to_datetime(["2025-01-05", "2025-02-10", "2025-01-20"]),
    ...     "end_date": pd.to_datetime(["2025-02-10", None, "2025-03-02"])})
    >>> b = mrr_bridge(customer_mrr(subs))
    >>> b[["start_mrr", "new_mrr", "expansion_mrr", "churned_mrr", "mrr"]]
             start_mrr  new_mrr  expansion_mrr  churned_mrr   mrr
    month
    2025-01        0.0     50.0            0.0          0.0  50.0
    2025-02       50.0      0.0           15.0          0.0  65.0
    2025-03       65.0      0.0            0.0         40.0  25.0
    """
    n_months = len(cm.months)
    cols, rows = cm.change_month, cm.change_customer
    cur, prev = cm.mrr_after, cm.mrr_before
    fx = fx_parts(prev, cur, cm.fx_change)
    cur_units, prev_units = to_units(cur, cm.reporting_currency), to_units(prev, cm.reporting_currency)
    was, now = prev_units > 0, cur_units > 0  # sub-unit MRR is already 0
    # The previous MRR valued at this month's rate (itself when no rate moved: + 0.0 is exact).
    revalued_units = to_units(prev + fx, cm.reporting_currency)
    expanded, contracted = cur_units > revalued_units, cur_units < revalued_units
    del cur_units, prev_units, revalued_units  # one change-log-sized array at a time: long FX histories have millions
    gained = now & ~was
    # A customer's first gain is its first paying month: new; any later gain is a return.
    gain_rows = rows[gained]
    new = np.zeros_like(gained)
    new[np.flatnonzero(gained)[np.r_[True, gain_rows[1:] != gain_rows[:-1]]] if len(gain_rows) else []] = True
    reactivated = gained & ~new
    churned = was & ~now
    stayed = was & now
    # A relative change below 1e-9 is floating-point noise from the running sums, not money.
    whole = cur - prev
    delta = whole - fx
    noise = np.maximum(cur, prev)
    noise *= 1e-9
    moved = np.abs(delta) > noise
    falls = stayed & (whole < -noise)
    del noise
    moved &= stayed
    delta[~moved] = 0.0

    def per_month(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(cols[mask], weights=w, minlength=n_months)

    customers = np.cumsum(per_month(gained) - per_month(churned))
    totals = np.array([level.sum() for level in month_ends(cm)])
    contraction = np.negative(per_month(delta < 0, delta))  # negating the sum is exact: no -delta copy
    contraction[contraction == 0] = 0  # and no -0.0
    net_contraction = np.negative(per_month(falls, whole))
    net_contraction[net_contraction == 0] = 0
    bridge = pd.DataFrame(
        {
            "start_mrr": np.concatenate([[0.0], totals[:-1]]),
            "new_mrr": per_month(new, cur),
            "expansion_mrr": per_month(delta > 0, delta),
            "reactivation_mrr": per_month(reactivated, cur),
            "fx_mrr": per_month(stayed, fx),
            "contraction_mrr": contraction,
            "churned_mrr": per_month(churned, prev),
            "mrr": totals,
            "net_contraction_mrr": net_contraction,
            "start_customers": np.concatenate([[0], customers[:-1]]),
            "new_customers": per_month(new),
            "expanded_customers": per_month(stayed & expanded),
            "reactivated_customers": per_month(reactivated),
            "contracted_customers": per_month(stayed & contracted),
            "churned_customers": per_month(churned),
            "customers": customers,
        },
        index=cm.months,
    )
    counts = [c for c in BRIDGE_COLUMNS if c.endswith("customers")]
    bridge[counts] = bridge[counts].astype(np.int64)
    return bridge


def month_ends(cm: CustomerMRR) -> Iterator[np.ndarray]:
    """Every customer's MRR at each month end in turn, one reused vector (not a table).

    Summing the whole vector (zeros included) adds in the same order as the customer ×
    month table did, so month totals are bit-identical to it; it reads every customer
    once a month, at memory speed, but holds one month at a time.
    """
    cursor = MonthEndCursor(cm)
    for month in cm.months:
        yield cursor.at(month)
