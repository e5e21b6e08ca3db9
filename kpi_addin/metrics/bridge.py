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
    counted, cur_sums, prev_sums, by_sign, fx_mrr, falls_mrr = _movement_sums(cm)
    contraction = np.negative(by_sign[0])  # negating the sum is exact: no -delta copy
    contraction[contraction == 0] = 0  # and no -0.0
    net_contraction = np.negative(falls_mrr)
    net_contraction[net_contraction == 0] = 0

    customers = np.cumsum(counted[NEW] + counted[REACTIVATED] - counted[CHURNED])
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


#: Changes classified at a time: arrays of 8 MB at most, below glibc's threshold for memory
#: mapped afresh, so each step reuses the last one's memory (no page faults, cache-warm); the
#: sums run on in order from step to step (``np.add.at``), so they keep every bit of one pass.
CHUNK = 1 << 20


def _movement_sums(cm: CustomerMRR) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per (movement, month) cell: the changes' count and their MRR after and before; per
    (sign, month): the rises and falls of the customers paying at both month ends, their FX
    part left out; per month: the FX parts and the falls with them (net contraction)."""
    n_months, currency = len(cm.months), cm.reporting_currency
    counted = np.zeros(KINDS * n_months, dtype=np.intp)
    cur_sums, prev_sums = np.zeros(KINDS * n_months), np.zeros(KINDS * n_months)
    by_sign, fx_mrr, falls_mrr = np.zeros(3 * n_months), np.zeros(n_months), np.zeros(n_months)
    last_gain = -1  # the customer of the last gain so far: a customer's first gain is its first paying month
    for start in range(0, len(cm.change_month), CHUNK):
        part = slice(start, start + CHUNK)
        cols, rows = cm.change_month[part].astype(np.intp), cm.change_customer[part]
        cur, prev = cm.mrr_after[part], cm.mrr_before[part]
        fx = fx_parts(prev, cur, cm.fx_change[part])
        # The previous MRR valued at this month's rate (itself when no rate moved: + 0.0 is exact).
        units = to_units(prev + fx, currency)
        scratch = to_units(cur, currency)
        expanded, contracted = scratch > units, scratch < units
        now = scratch > 0
        was = to_units(prev, currency, out=scratch) > 0  # sub-unit MRR is already 0
        gained = now & ~was
        # A customer's first gain is its first paying month: new; any later gain is a return.
        gain_rows = rows[gained]
        new = np.zeros_like(gained)
        if len(gain_rows):
            new[np.flatnonzero(gained)[np.r_[gain_rows[0] != last_gain, gain_rows[1:] != gain_rows[:-1]]]] = True
            last_gain = int(gain_rows[-1])
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
        moved &= stayed
        # Each change's movement, one code (they exclude each other): the counts and the sums of
        # each movement come from one (movement, month) cell, each cell adding its own changes in
        # order, as a sum of that movement's changes alone would.
        cell = np.zeros(len(cols), dtype=np.intp)
        cell[gained] = REACTIVATED
        cell[new] = NEW
        cell[was & ~now] = CHURNED
        cell[stayed & expanded] = EXPANDED
        cell[stayed & contracted] = CONTRACTED
        cell *= n_months
        cell += cols
        counted += np.bincount(cell, minlength=KINDS * n_months)
        np.add.at(cur_sums, cell, cur)
        np.add.at(prev_sums, cell, prev)
        # Month sums of some changes: the others' weights set to 0 (adding +0.0 to a sum started
        # at +0.0 changes no bit, so each month adds its own changes in order, as their sum alone).
        fx[~stayed] = 0.0
        np.add.at(fx_mrr, cols, fx)
        whole[~falls] = 0.0
        np.add.at(falls_mrr, cols, whole)
        # Rises and falls by sign, each a cell of its own (0: no move): (sign + 1) * n_months + month.
        delta[~moved] = 0.0
        sign = (delta > 0).view(np.int8) - (delta < 0).view(np.int8)
        np.multiply(sign, n_months, out=cell, dtype=np.intp)
        cell += cols
        cell += n_months
        np.add.at(by_sign, cell, delta)
    return (
        counted.reshape(KINDS, n_months),
        cur_sums.reshape(KINDS, n_months),
        prev_sums.reshape(KINDS, n_months),
        by_sign.reshape(3, n_months),
        fx_mrr,
        falls_mrr,
    )


def month_ends(cm: CustomerMRR) -> Iterator[np.ndarray]:
    """Every customer's MRR at each month end in turn, one reused vector (not a table).

    Summing the whole vector (zeros included) adds in the same order as the customer ×
    month table did, so month totals are bit-identical to it; it reads every customer
    once a month, at memory speed, but holds one month at a time.
    """
    cursor = MonthEndCursor(cm)
    for month in cm.months:
        yield cursor.at(month)
