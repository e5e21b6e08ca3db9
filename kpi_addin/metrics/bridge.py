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


#: A change's movement, as a code (0: none of them: a change under one cent, or nothing paid).
NEW, REACTIVATED, CHURNED, EXPANDED, CONTRACTED = 1, 2, 3, 4, 5
KINDS = 6


def mrr_bridge(cm: CustomerMRR, month_totals: np.ndarray | None = None) -> pd.DataFrame:
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
    ``month_totals``: each month's MRR as :func:`month_ends` sums it, when already known
    (:func:`.month_end_walk.month_end_figures` walks the month ends once for several figures).

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
    currency = cm.reporting_currency
    # Few change-log-sized temporaries, written in place (long FX histories have millions of
    # changes: each fresh 50 MB array costs ~12,700 page faults).
    fx = fx_parts(prev, cur, cm.fx_change)
    # The previous MRR valued at this month's rate (itself when no rate moved: + 0.0 is exact).
    units = to_units(np.add(prev, fx), currency)
    scratch = to_units(cur, currency)
    expanded, contracted = scratch > units, scratch < units
    now = scratch > 0
    was = to_units(prev, currency, out=scratch) > 0  # sub-unit MRR is already 0
    del units, scratch
    gained = now & ~was
    # A customer's first gain is its first paying month: new; any later gain is a return.
    gain_rows = rows[gained]
    new = np.zeros_like(gained)
    new[np.flatnonzero(gained)[np.r_[True, gain_rows[1:] != gain_rows[:-1]]] if len(gain_rows) else []] = True
    stayed = was & now
    # A relative change below 1e-9 is floating-point noise from the running sums, not money.
    whole = cur - prev
    delta = whole - fx
    noise = np.maximum(cur, prev)
    noise *= 1e-9
    moved = delta > noise  # |delta| > noise, without an |delta| array (negating is exact)
    np.negative(noise, out=noise)
    moved |= delta < noise
    falls = whole < noise
    falls &= stayed
    del noise
    moved &= stayed
    # Each change's movement, one code (they exclude each other): the counts and the sums of
    # each movement come from one count per (movement, month) cell, each cell adding its own
    # changes in order, as a sum of that movement's changes alone would.
    kind = np.zeros(len(cols), dtype=np.int8)
    kind[gained] = REACTIVATED
    kind[new] = NEW
    kind[was & ~now] = CHURNED
    kind[stayed & expanded] = EXPANDED
    kind[stayed & contracted] = CONTRACTED
    del gained, new, expanded, contracted
    cell = np.multiply(kind, n_months, dtype=np.int64)
    cell += cols
    del kind
    counted = np.bincount(cell, minlength=KINDS * n_months).reshape(KINDS, n_months)
    # money sums as floats even where nothing moved (a count of no changes is an integer 0)
    cur_sums = np.bincount(cell, weights=cur, minlength=KINDS * n_months).astype(float).reshape(KINDS, n_months)
    prev_sums = np.bincount(cell, weights=prev, minlength=KINDS * n_months).astype(float).reshape(KINDS, n_months)

    # Month sums of some changes: the others' weights set to 0 (adding +0.0 to a sum started at
    # +0.0 changes no bit, so each month adds its own changes in order, as a sum of them alone).
    np.copyto(cell, cols)  # an index array of the platform's width: bincount copies any other

    fx[~stayed] = 0.0
    fx_mrr = np.bincount(cell, weights=fx, minlength=n_months).astype(float)
    whole[~falls] = 0.0
    net_contraction = np.negative(np.bincount(cell, weights=whole, minlength=n_months).astype(float))
    net_contraction[net_contraction == 0] = 0
    del fx, whole
    # Rises and falls by sign, each a cell of its own (0: no move): (sign + 1) * n_months + month.
    delta[~moved] = 0.0
    sign = (delta > 0).view(np.int8) - (delta < 0).view(np.int8)
    np.multiply(sign, n_months, out=cell, dtype=np.int64)
    del sign
    cell += cols
    cell += n_months
    by_sign = np.bincount(cell, weights=delta, minlength=3 * n_months).astype(float).reshape(3, n_months)
    del delta, cell
    contraction = np.negative(by_sign[0])  # negating the sum is exact: no -delta copy
    contraction[contraction == 0] = 0  # and no -0.0

    customers = np.cumsum(counted[NEW] + counted[REACTIVATED] - counted[CHURNED])
    # Last, with no change-log-sized temporary left: the month-end walk's own arrays come on top.
    totals = np.array([level.sum() for level in month_ends(cm)]) if month_totals is None else month_totals
    bridge = pd.DataFrame(
        {
            "start_mrr": np.concatenate([[0.0], totals[:-1]]),
            "new_mrr": cur_sums[NEW],
            "expansion_mrr": by_sign[2],
            "reactivation_mrr": cur_sums[REACTIVATED],
            "fx_mrr": fx_mrr,
            "contraction_mrr": contraction,
            "churned_mrr": prev_sums[CHURNED],
            "mrr": totals,
            "net_contraction_mrr": net_contraction,
            "start_customers": np.concatenate([[0], customers[:-1]]),
            "new_customers": counted[NEW],
            "expanded_customers": counted[EXPANDED],
            "reactivated_customers": counted[REACTIVATED],
            "contracted_customers": counted[CONTRACTED],
            "churned_customers": counted[CHURNED],
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
