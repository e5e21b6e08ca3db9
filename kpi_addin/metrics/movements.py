"""The movement log: which customers make each number of the MRR bridge.

One row per customer per month in which that customer's month-end MRR moved, typed
the way :func:`~kpi_addin.metrics.bridge.mrr_bridge` classifies it, so that the log's
sums by month and type *are* the bridge:

* ``new`` — 0 → above 0, never paying before; ``change`` = MRR after.
* ``reactivation`` — 0 → above 0, paid at an earlier month end; ``change`` = MRR after.
* ``churned`` — above 0 → 0; ``change`` = −MRR before.
* ``fx`` — paying at both month ends: the part of the change due to exchange rates
  alone, the previous month's local amounts × (this month's rate − last month's);
  ``mrr_before`` is the MRR of the month before, ``mrr_after`` the same subscriptions
  valued at this month's rate.  It counts no customer (``counted`` False).
* ``expansion`` / ``contraction`` — paying at both month ends and MRR rose / fell
  beyond the FX part: the change of local amounts valued at this month's rate;
  ``change`` = after − before (``mrr_before`` is the previous MRR at this month's rate
  when an ``fx`` row of the same customer and month comes first).

The cent rule (``mrr.py``): MRR under half a cent is no MRR; a rise or fall is counted
as a customer only when it shows at the currency's smallest unit, but its amount is
always kept, so the bridge ties.  A row whose change is smaller than one cent (a
monthly price against the same annual price ÷ 12) is in the log, typed expansion or
contraction by its sign, with ``counted`` False: it adds to expansion / contraction
MRR but not to the expanded / contracted customers.  Floating-point noise (a relative
change under 1e-9) is not a movement and is not listed.

A customer whose plan and exchange rate both moved has two rows that month: ``fx``
(the rate's part) and ``expansion`` or ``contraction`` (the rest); one whose rate alone
moved has the ``fx`` row only.  So the moves customers made are the rows other than
``fx``, and every row's ``change`` is its ``mrr_after − mrr_before``.

``plans_before`` / ``plans_after`` are the plans of the subscriptions earning MRR at
the previous and at this month end (names sorted, joined by ``" + "``; a quantity
above 1 shows as ``Growth ×3``; blank where the customer was not paying).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .currency import to_units
from .months import month_number, number_of
from .mrr import CustomerMRR
from .report import KPIReport
from .spans import subscription_monthly_value

#: Movement types, in the order the bridge lists them.
MOVEMENT_TYPES = ("new", "expansion", "reactivation", "fx", "contraction", "churned")

#: Columns of :func:`movement_log`.
MOVEMENT_COLUMNS = (
    "month",
    "customer_id",
    "customer_name",
    "type",
    "mrr_before",
    "mrr_after",
    "change",
    "counted",
    "plans_before",
    "plans_after",
)

#: Bridge column of each movement type: (amount column, customer-count column or None, sign of ``change``).
BRIDGE_OF_TYPE: dict[str, tuple[str, str | None, float]] = {
    "new": ("new_mrr", "new_customers", 1.0),
    "expansion": ("expansion_mrr", "expanded_customers", 1.0),
    "reactivation": ("reactivation_mrr", "reactivated_customers", 1.0),
    "fx": ("fx_mrr", None, 1.0),
    "contraction": ("contraction_mrr", "contracted_customers", -1.0),
    "churned": ("churned_mrr", "churned_customers", -1.0),
}

_NOT_A_MONTH = -(2**62)


def customer_changes(cm: CustomerMRR) -> pd.DataFrame:
    """Every change of a customer's month-end MRR: ``month``, ``customer_id``, ``mrr_before``, ``mrr_after``, ``fx``.

    The facts the bridge classifies, one row per customer per month whose MRR differs
    from the month before (the first month compares against 0), ordered by customer
    then month: :meth:`CustomerMRR.changes`.

    Examples
    --------
    >>> from kpi_addin.metrics.mrr import customer_mrr
    >>> subs = pd.DataFrame({"customer_id": ["a", "a"], "amount": [10.0, 25.0],
    ...     "interval": ["month"] * 2,
    ...     "start_date": pd.to_datetime(["2025-01-05", "2025-02-10"]),
    ...     "end_date": pd.to_datetime(["2025-02-10", "2025-04-01"])})
    >>> customer_changes(customer_mrr(subs, as_of=pd.Period("2025-04", "M")))
         month customer_id  mrr_before  mrr_after   fx
    0  2025-01           a         0.0       10.0  0.0
    1  2025-02           a        10.0       25.0  0.0
    2  2025-04           a        25.0        0.0  0.0
    """
    return cm.changes()


def classify_changes(
    changes: pd.DataFrame,
    reporting_currency: str,
    *,
    start: pd.Period | None = None,
    end: pd.Period | None = None,
) -> pd.DataFrame:
    """Type each change as the bridge does; drop float noise.

    ``changes`` is :func:`customer_changes`' frame (the whole history: a customer is new
    only in its first paying month; an ``fx`` column, the FX impact, is 0 when absent).
    Returns the moves of the months ``start`` to ``end`` (default all) with ``type``,
    ``change`` (signed, reporting currency) and ``counted`` (whether the row counts a
    customer in the bridge's customer counts) added.  A change with an FX part gives an
    ``fx`` row, then, when local amounts moved too, its expansion or contraction row.

    Examples
    --------
    >>> changes = pd.DataFrame({"month": pd.period_range("2025-01", periods=5, freq="M"),
    ...     "customer_id": ["a"] * 5, "mrr_before": [0.0, 10.0, 8.33, 8.3333333, 9.0],
    ...     "mrr_after": [10.0, 8.33, 8.3333333, 9.0, 0.0], "fx": [0.0, 0.0, 0.0, 0.5, 0.0]})
    >>> classify_changes(changes, "USD")[["month", "type", "mrr_before", "mrr_after", "change", "counted"]].round(
    ...     {"mrr_before": 4, "mrr_after": 4, "change": 4})
         month         type  mrr_before  mrr_after  change  counted
    0  2025-01          new      0.0000    10.0000 10.0000     True
    1  2025-02  contraction     10.0000     8.3300 -1.6700     True
    2  2025-03    expansion      8.3300     8.3333  0.0033    False
    3  2025-04           fx      8.3333     8.8333  0.5000    False
    4  2025-04    expansion      8.8333     9.0000  0.1667     True
    5  2025-05      churned      9.0000     0.0000 -9.0000     True
    """
    before = changes["mrr_before"].to_numpy(dtype=float)
    after = changes["mrr_after"].to_numpy(dtype=float)
    was = to_units(before, reporting_currency) > 0
    gained = (to_units(after, reporting_currency) > 0) & ~was
    # The first gain of a customer is "new" (its first paying month); later gains are reactivations.
    customer, _ = pd.factorize(changes["customer_id"])
    month = _month_numbers(changes["month"])
    order = np.lexsort((month, customer))
    gains = order[gained[order]]
    _customers, first_index = np.unique(customer[gains], return_index=True)
    first_gain = np.zeros(len(changes), dtype=bool)
    first_gain[gains[first_index]] = True
    # Everything else only for the months asked for.
    inside = np.ones(len(changes), dtype=bool)
    if start is not None:
        inside &= month >= number_of(start)
    if end is not None:
        inside &= month <= number_of(end)
    rows = np.flatnonzero(inside)
    fx_all = changes["fx"].to_numpy(dtype=float) if "fx" in changes else np.zeros(len(changes))
    before, after, was, gained, first_gain = before[rows], after[rows], was[rows], gained[rows], first_gain[rows]
    after_units = to_units(after, reporting_currency)
    now = after_units > 0
    stayed = was & now
    fx = np.where(stayed, fx_all[rows], 0.0)
    revalued = before + fx  # the previous MRR at this month's rate (itself when no rate moved)
    # A relative change below 1e-9 is floating-point noise from summing, not money (as in mrr_bridge).
    rest = after - before - fx
    delta = np.where(stayed & (np.abs(rest) > 1e-9 * np.maximum(after, before)), rest, 0.0)
    revalued_units = to_units(revalued, reporting_currency)
    units_moved = stayed & (after_units != revalued_units)
    kind = np.select(
        [gained & first_gain, gained, was & ~now, delta > 0, delta < 0, after_units > revalued_units],
        [0, 2, 5, 1, 4, 1],  # positions in MOVEMENT_TYPES
        default=4,
    )
    change = np.select([gained, was & ~now], [after, -before], default=delta)
    keep = gained | (was & ~now) | (delta != 0) | units_moved
    fx_row = fx != 0
    # The fx rows (before → before + fx), then the customers' own moves (before + fx → after).
    picked = np.concatenate([np.flatnonzero(fx_row), np.flatnonzero(keep)])
    out: pd.DataFrame = changes.iloc[rows[picked]].drop(columns="fx", errors="ignore").reset_index(drop=True)
    n_fx = int(fx_row.sum())
    out["mrr_before"] = np.concatenate([before[fx_row], np.where(stayed, revalued, before)[keep]])
    # An fx row alone (the rate was all that moved) ends at the month's MRR itself.
    out["mrr_after"] = np.concatenate([np.where(keep, revalued, after)[fx_row], after[keep]])
    out["type"] = pd.Series(
        np.asarray(MOVEMENT_TYPES, dtype=object)[np.concatenate([np.full(n_fx, 3), kind[keep]])], dtype="str"
    )
    out["change"] = np.concatenate([fx[fx_row], change[keep]])
    out["counted"] = np.concatenate([np.zeros(n_fx, dtype=bool), (~stayed | units_moved)[keep]])
    # In the order of the changes: a change's fx row before its own move.
    position = np.concatenate([np.flatnonzero(fx_row) * 2, np.flatnonzero(keep) * 2 + 1])
    result: pd.DataFrame = out.iloc[np.argsort(position, kind="stable")].reset_index(drop=True)
    return result


def movement_log(
    cm: CustomerMRR,
    subscriptions: pd.DataFrame | None = None,
    *,
    start: pd.Period | None = None,
    end: pd.Period | None = None,
    max_rows: int | None = None,
) -> pd.DataFrame:
    """One row per customer per month in which its MRR moved: the customers behind the bridge.

    Parameters
    ----------
    cm
        Month-end MRR per customer (:func:`~kpi_addin.metrics.mrr.customer_mrr`).
    subscriptions
        The ledger ``cm`` was computed from; gives ``customer_name`` and the plans
        (blank when absent).
    start, end
        First and last month to list (default: all of ``cm.months``).  Types are
        decided on the whole history (a customer is new only in its first paying month).
    max_rows
        Keep only the latest months whose rows fit (the latest month always), so that a
        year of a million-subscription ledger does not become a million rows.

    Returns
    -------
    DataFrame with :data:`MOVEMENT_COLUMNS`, ordered by month, type (as
    :data:`MOVEMENT_TYPES`), then customer id.  ``month`` is a Period; money is in the
    reporting currency, unrounded.  See the module docstring for the types, the cent
    rule, the ``fx`` rows and the plans.  For every month, the sums of ``change`` by type
    equal :func:`~kpi_addin.metrics.bridge.mrr_bridge` (contraction and churned with a
    minus sign) and the ``counted`` rows are its customer counts (:func:`movement_totals`).

    Examples
    --------
    >>> from kpi_addin.metrics.mrr import customer_mrr
    >>> subs = pd.DataFrame({"customer_id": ["a", "a", "b"], "customer_name": ["Acme", "Acme", "Bolt"],
    ...     "plan": ["Starter", "Growth", "Pro"], "amount": [10.0, 25.0, 40.0], "interval": ["month"] * 3,
    ...     "start_date": pd.to_datetime(["2025-01-05", "2025-02-10", "2025-01-20"]),
    ...     "end_date": pd.to_datetime(["2025-02-10", None, "2025-03-02"])})
    >>> log = movement_log(customer_mrr(subs), subs)
    >>> log[["month", "customer_name", "type", "change", "plans_before", "plans_after"]]
         month customer_name       type  change plans_before plans_after
    0  2025-01          Acme        new    10.0                  Starter
    1  2025-01          Bolt        new    40.0                      Pro
    2  2025-02          Acme  expansion    15.0      Starter      Growth
    3  2025-03          Bolt    churned   -40.0          Pro
    """
    log = classify_changes(customer_changes(cm), cm.reporting_currency, start=start, end=end)
    if max_rows is not None and len(log) > max_rows:
        per_month = log["month"].value_counts().sort_index(ascending=False)
        fits = per_month.cumsum() <= max_rows
        fits.iloc[0] = True
        log = log[log["month"] >= per_month.index[fits.to_numpy()].min()]
    order = {t: i for i, t in enumerate(MOVEMENT_TYPES)}
    log = (
        log.assign(_order=log["type"].map(order))
        .sort_values(["month", "_order", "customer_id"], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    names, plans_before, plans_after = _ledger_facts(log, subscriptions)
    for column, values in (("customer_name", names), ("plans_before", plans_before), ("plans_after", plans_after)):
        log[column] = pd.Series(values, index=log.index, dtype="str")
    log["type"] = log["type"].astype("str")
    log["counted"] = log["counted"].astype(bool)
    return log[list(MOVEMENT_COLUMNS)]


def report_movements(
    report: KPIReport,
    *,
    start: pd.Period | None = None,
    end: pd.Period | None = None,
    max_rows: int | None = None,
) -> pd.DataFrame:
    """:func:`movement_log` of a report: its months (from ``history_start``, to ``as_of``),
    the plans read from the ledger the report counted (its convention applied).

    ``start`` and ``end`` narrow the months (clipped to the report's).
    """
    months = report.monthly.index
    first = months[0] if start is None or start < months[0] else start
    last = months[-1] if end is None or end > months[-1] else end
    return movement_log(report.customer_mrr, report.ledger, start=first, end=last, max_rows=max_rows)


def _ledger_facts(log: pd.DataFrame, subscriptions: pd.DataFrame | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Customer names and the plans at the two month ends of each row."""
    n = len(log)
    blank = np.full(n, "", dtype=object)
    if subscriptions is None or n == 0:
        return blank, blank.copy(), blank.copy()
    ids = log["customer_id"].to_numpy()
    # only the customers in the log: a year's moves of a big ledger touch a fraction of it
    subs = subscriptions[subscriptions["customer_id"].isin(pd.unique(ids))]
    if "customer_name" in subs:
        named = subs.loc[subs["customer_name"].notna(), ["customer_id", "customer_name"]]
        latest_name = named.drop_duplicates("customer_id", keep="last").set_index("customer_id")["customer_name"]
        names = pd.Series(ids).map(latest_name).astype(object).fillna("").astype(str).to_numpy(dtype=object)
    else:
        names = blank.copy()

    # The months in which each subscription earns: [max(start, trial end), end), as customer_mrr counts them.
    start = month_number(subs["start_date"])
    trial = month_number(subs["trial_end"]) if "trial_end" in subs else np.full(len(subs), _NOT_A_MONTH)
    end = month_number(subs["end_date"]) if "end_date" in subs else np.full(len(subs), _NOT_A_MONTH)
    first = np.maximum(start, trial)
    stop = np.where(end == _NOT_A_MONTH, np.iinfo(np.int64).max, end)
    plan = subs["plan"].fillna("").astype(str) if "plan" in subs else pd.Series("", index=subs.index)
    quantity = subs["quantity"].to_numpy(dtype=float) if "quantity" in subs else np.ones(len(subs))
    label = pd.Series(
        np.where(
            quantity == 1,
            plan.to_numpy(dtype=object),
            plan + " ×" + pd.Series(quantity, index=subs.index).map("{:g}".format),
        )
    )
    label_codes, label_names = pd.factorize(label, sort=True)  # codes in alphabetical order

    # Integer customer codes (one factorisation for the ledger and the log); earning subscriptions by customer.
    codes, _customers = pd.factorize(np.concatenate([subs["customer_id"].to_numpy(dtype=object), ids.astype(object)]))
    sub_customer, log_customer = codes[: len(subs)], codes[len(subs) :]
    earning = np.flatnonzero((stop > first) & (subscription_monthly_value(subs) != 0))
    earning = earning[np.argsort(sub_customer[earning], kind="stable")]
    earning_customer = sub_customer[earning]
    month = _month_numbers(log["month"])
    # The two month ends of every row: pair k < n is row k's previous month end, k >= n its own.
    pair_customer = np.tile(log_customer, 2)
    pair_month = np.concatenate([month - 1, month])
    lo = np.searchsorted(earning_customer, pair_customer, "left")
    counts = np.searchsorted(earning_customer, pair_customer, "right") - lo
    pair = np.repeat(np.arange(2 * n), counts)
    offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    sub = earning[np.repeat(lo, counts) + offset]
    active = (first[sub] <= pair_month[pair]) & (pair_month[pair] < stop[sub])
    pair, sub = pair[active], sub[active]

    # Plans: the distinct labels of each pair in alphabetical order, joined by " + ".
    pair_labels = _distinct(pair * len(label_names) + label_codes[sub])
    owner, code = pair_labels // len(label_names), pair_labels % len(label_names)
    names_of = np.asarray(label_names, dtype=object)[code]
    rank = np.arange(len(owner)) - np.searchsorted(owner, owner, "left")
    plans = np.full(2 * n, "", dtype=object)
    for k in range(int(rank.max()) + 1 if len(rank) else 0):
        at = rank == k
        plans[owner[at]] = plans[owner[at]] + (" + " if k else "") + names_of[at]
    # Subscriptions earning under half a cent in all make no paying customer: no plan.
    plans[:n][log["mrr_before"].to_numpy() == 0] = ""
    plans[n:][log["mrr_after"].to_numpy() == 0] = ""

    return names, plans[:n], plans[n:]


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct integers (a sort beats hashing at this size)."""
    ordered = np.sort(values)
    return ordered[np.concatenate([[True], ordered[1:] != ordered[:-1]])] if len(ordered) else ordered


def _month_numbers(months: pd.Series) -> np.ndarray:
    """Months since 1970-01 of a Series of monthly periods (as :func:`~.months.number_of`)."""
    years = months.dt.year.to_numpy(dtype=np.int64)
    numbers: np.ndarray = (years - 1970) * 12 + months.dt.month.to_numpy(dtype=np.int64) - 1
    return numbers


def movement_totals(log: pd.DataFrame, months: pd.PeriodIndex) -> pd.DataFrame:
    """The bridge's movement columns, summed from the log by month and type.

    Amount columns (``new_mrr`` … ``churned_mrr``, ``fx_mrr``) are the sums of ``change`` (with the
    sign of :data:`BRIDGE_OF_TYPE`, so contraction and churned are positive, as in the
    bridge); count columns are the numbers of ``counted`` rows.  Months without a row
    are 0.

    Examples
    --------
    >>> log = pd.DataFrame({"month": pd.PeriodIndex(["2025-02", "2025-02", "2025-02"], freq="M"),
    ...     "type": ["expansion", "expansion", "churned"], "change": [15.0, 0.004, -40.0],
    ...     "counted": [True, False, True]})
    >>> movement_totals(log, pd.period_range("2025-01", "2025-02", freq="M"))[
    ...     ["expansion_mrr", "expanded_customers", "churned_mrr", "churned_customers"]]
             expansion_mrr  expanded_customers  churned_mrr  churned_customers
    month
    2025-01          0.000                   0          0.0                  0
    2025-02         15.004                   1         40.0                  1
    """
    position = {p: i for i, p in enumerate(months)}
    cols = log["month"].map(position).to_numpy()
    inside = ~pd.isna(cols)
    cols = cols[inside].astype(np.int64)
    kind = log["type"].to_numpy()[inside]
    change = log["change"].to_numpy(dtype=float)[inside]
    counted = log["counted"].to_numpy(dtype=bool)[inside]
    out: dict[str, np.ndarray] = {}
    for name, (amount, count, sign) in BRIDGE_OF_TYPE.items():
        mask = kind == name
        out[amount] = np.bincount(cols[mask], weights=sign * change[mask], minlength=len(months))
        if count is not None:
            out[count] = np.bincount(cols[mask & counted], minlength=len(months)).astype(np.int64)
    frame = pd.DataFrame(out, index=pd.PeriodIndex(months, name="month"))
    amounts = [a for a, _c, _s in BRIDGE_OF_TYPE.values()]
    counts = [c for _a, c, _s in BRIDGE_OF_TYPE.values() if c is not None]
    return frame[[*amounts, *counts]]
