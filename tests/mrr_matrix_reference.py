"""The customer × month MRR engine that the change-point engine replaced, kept as a reference.

The change-point engine promises month-end MRR bit-identical to this one (the same sums in
the same order); ``test_mrr_changes`` checks it on random ledgers with foreign currencies.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpi_addin.metrics import KPIInputError
from kpi_addin.metrics._core import KPIValueError
from kpi_addin.metrics.bridge import BRIDGE_COLUMNS
from kpi_addin.metrics.change_points import missing_rates_message
from kpi_addin.metrics.currency import to_units
from kpi_addin.metrics.months import month_number, number_of, period_of
from kpi_addin.metrics.mrr import rate_table
from kpi_addin.metrics.spans import subscription_monthly_value


def matrix_mrr(
    subscriptions: pd.DataFrame,
    *,
    reporting_currency: str = "USD",
    fx_rates: pd.DataFrame | None = None,
    as_of: pd.Period | None = None,
) -> pd.DataFrame:
    """The customer × month engine as it was before change points (the bit-for-bit reference)."""
    return matrix_mrr_and_fx(subscriptions, reporting_currency=reporting_currency, fx_rates=fx_rates, as_of=as_of)[0]


def matrix_mrr_and_fx(
    subscriptions: pd.DataFrame,
    *,
    reporting_currency: str = "USD",
    fx_rates: pd.DataFrame | None = None,
    as_of: pd.Period | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`matrix_mrr` and, in the same shape, each cell's rate part: the previous month's
    local amounts × (this month's rate − last month's), summed over the currencies."""
    currency_code = reporting_currency.upper()
    subs = subscriptions
    start = month_number(subs["start_date"])
    end = month_number(subs["end_date"]) if "end_date" in subs else np.full(len(subs), -(2**62))
    trial = month_number(subs["trial_end"]) if "trial_end" in subs else np.full(len(subs), -(2**62))
    if as_of is None:
        known = np.concatenate([start, end[end > -(2**62)], trial[trial > -(2**62)]])
        if known.size == 0:
            raise KPIValueError("subscriptions", "has no rows")
        last = int(known.max())
    else:
        last = number_of(as_of)

    no_end = end == -(2**62)
    first_earning = np.maximum(start, trial)
    stop = np.where(no_end, last + 1, np.minimum(end, last + 1))  # first month not earning
    value = subscription_monthly_value(subs)
    earning = (stop > first_earning) & (value != 0)
    if not earning.any():
        raise KPIInputError(
            "subscriptions",
            "no subscription earns MRR at any month end up to "
            f"{period_of(last)} (all start after it, end within their first month or are in trial)",
        )
    first = int(first_earning[earning].min())
    n_months = last - first + 1

    idx = np.flatnonzero(earning)
    ids = subs["customer_id"]
    customer_codes, customer_ids = pd.factorize(ids if len(idx) == len(subs) else ids.iloc[idx])
    n_customers = len(customer_ids)
    begin = (first_earning[idx] - first).astype(np.int64)
    finish = (stop[idx] - first).astype(np.int64)  # first month not earning; n_months if still earning
    value = value[idx]

    foreign = np.zeros(len(idx), dtype=bool)
    if "currency" in subs:
        currency = subs["currency"] if len(idx) == len(subs) else subs["currency"].iloc[idx]
        currency_codes, currency_names = pd.factorize(currency)
        foreign_names = [str(n) for n in currency_names if str(n).upper() != currency_code]
        foreign = np.isin(currency_codes, [i for i, n in enumerate(currency_names) if str(n) in foreign_names])

    # A difference array per customer: +value in the first earning month, -value in the first
    # month after.  The cumulative sum along months is the month-end MRR.  A month without an
    # event adds exactly 0.0, so an unchanged customer keeps a bit-identical MRR.
    by_month = _accumulate(
        customer_codes[~foreign], begin[~foreign], finish[~foreign], value[~foreign], n_customers, n_months
    )
    fx_part = np.zeros_like(by_month)
    if foreign.any():
        rates = rate_table(np.asarray(foreign_names), first, n_months, fx_rates)
        for k, name in enumerate(foreign_names):
            rows = foreign & (currency_codes == list(map(str, currency_names)).index(name))
            owners, local_codes = np.unique(customer_codes[rows], return_inverse=True)
            local = _accumulate(local_codes, begin[rows], finish[rows], value[rows], len(owners), n_months)
            missing = np.isnan(rates[k]) & (np.abs(local) > 1e-9).any(axis=1)  # noise is not MRR
            if missing.any():
                raise KPIInputError("fx_rates", missing_rates_message(name, np.flatnonzero(missing) + first))
            move = np.zeros(n_months)
            move[1:] = np.nan_to_num(rates[k][1:] - rates[k][:-1])
            fx_part[1:, owners] += local[:-1] * move[1:, None]
            by_month[:, owners] += local * np.nan_to_num(rates[k])[:, None]
    # MRR below half a cent is no MRR: that customer is not paying.
    for row in by_month:
        row[to_units(row, currency_code) <= 0] = 0.0
    months = pd.period_range(period_of(first), periods=n_months, freq="M", name="month")
    index = pd.Index(np.asarray(customer_ids), name="customer_id")
    return (
        pd.DataFrame(by_month.T, index=index, columns=months),
        pd.DataFrame(fx_part.T, index=index, columns=months),
    )


def _accumulate(
    codes: np.ndarray, begin: np.ndarray, finish: np.ndarray, value: np.ndarray, n_rows: int, n_months: int
) -> np.ndarray:
    """Months × rows MRR from subscriptions earning ``value`` in months ``[begin, finish)``."""
    # Month-major, and summed in place month by month: on this scale a fresh matrix costs
    # more in page faults than the arithmetic does.
    height = n_months + 1  # one spare month takes the -value of subscriptions still earning
    flat = np.concatenate([begin * n_rows + codes, finish * n_rows + codes])
    diffs = np.bincount(flat, weights=np.concatenate([value, -value]), minlength=height * n_rows)
    running = diffs.astype(float, copy=False).reshape(height, n_rows)[:n_months]
    for month in range(1, n_months):
        np.add(running[month], running[month - 1], out=running[month])
    return running


def matrix_bridge(
    frame: pd.DataFrame, reporting_currency: str = "USD", fx_part: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The bridge as computed from the customer × month table (the bit-for-bit reference).

    ``fx_part`` (:func:`matrix_mrr_and_fx`) splits each paying customer's change into its
    rate part (``fx_mrr``) and the rest (expansion / contraction)."""
    mrr = np.asfortranarray(frame.to_numpy())  # the layout the engine had: months × customers, transposed
    _n_customers, n_months = mrr.shape
    paying = mrr > 0  # sub-unit MRR is already 0
    totals = mrr.sum(axis=0)
    customers = paying.sum(axis=0)
    first_paying = np.where(paying.any(axis=1), paying.argmax(axis=1), n_months)
    # Only cells where a customer's MRR differs from the month before can hold a movement.
    changed = np.empty_like(paying)
    changed[:, 0] = mrr[:, 0] != 0
    np.not_equal(mrr[:, 1:], mrr[:, :-1], out=changed[:, 1:])
    if fx_part is not None:  # a rate move offset by a move of local amounts: the MRR is unchanged, not the moves
        changed |= fx_part.to_numpy() != 0
    rows, cols = np.nonzero(changed)
    del changed
    cur = mrr[rows, cols]
    prev = np.where(cols > 0, mrr[rows, np.maximum(cols - 1, 0)], 0.0)
    cur_units, prev_units = to_units(cur, reporting_currency), to_units(prev, reporting_currency)
    was, now = prev_units > 0, cur_units > 0
    gained = now & ~was
    new = gained & (cols == first_paying[rows])
    reactivated = gained & ~new
    churned = was & ~now
    stayed = was & now
    fx = np.zeros(len(rows)) if fx_part is None else fx_part.to_numpy()[rows, cols]
    fx = np.where(stayed, fx, 0.0)
    # A relative change below 1e-9 is floating-point noise from the cumulative sum, not money.
    noise = 1e-9 * np.maximum(cur, prev)
    delta = np.where(stayed & (np.abs(cur - prev - fx) > noise), cur - prev - fx, 0.0)
    whole = np.where(stayed & (cur - prev < -noise), cur - prev, 0.0)
    revalued_units = to_units(prev + fx, reporting_currency)

    def per_month(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        counted = np.bincount(cols[mask], weights=w, minlength=n_months)
        return counted if w is None else counted.astype(float)  # money is a float, even when nothing moved

    bridge = pd.DataFrame(
        {
            "start_mrr": np.concatenate([[0.0], totals[:-1]]),
            "new_mrr": per_month(new, cur),
            "expansion_mrr": per_month(delta > 0, delta),
            "reactivation_mrr": per_month(reactivated, cur),
            "fx_mrr": per_month(stayed, fx),
            "contraction_mrr": per_month(delta < 0, -delta),
            "churned_mrr": per_month(churned, prev),
            "mrr": totals,
            "net_contraction_mrr": per_month(whole < 0, -whole),
            "start_customers": np.concatenate([[0], customers[:-1]]),
            "new_customers": per_month(new),
            "expanded_customers": per_month(stayed & (cur_units > revalued_units)),
            "reactivated_customers": per_month(reactivated),
            "contracted_customers": per_month(stayed & (cur_units < revalued_units)),
            "churned_customers": per_month(churned),
            "customers": customers,
        },
        index=frame.columns,
    )
    counts = [c for c in BRIDGE_COLUMNS if c.endswith("customers")]
    bridge[counts] = bridge[counts].astype(np.int64)
    return bridge


def matrix_cohorts(frame: pd.DataFrame, basis: str = "logo") -> pd.DataFrame:
    """Cohort retention from the customer × month table (the bit-for-bit reference)."""
    mrr = np.asfortranarray(frame.to_numpy())
    paying = mrr > 0  # sub-unit MRR is already 0
    has_paid = paying.any(axis=1)
    cohort = paying.argmax(axis=1)[has_paid]
    n_months = len(frame.columns)
    totals = np.zeros((n_months, n_months))  # [cohort, calendar month]
    for j in range(n_months):
        if basis == "logo":
            totals[:, j] = np.bincount(cohort, weights=paying[has_paid, j], minlength=n_months)
        else:
            totals[:, j] = np.bincount(cohort, weights=mrr[has_paid, j], minlength=n_months)
    size = np.diag(totals).copy()
    by_age = np.full((n_months, n_months), np.nan)
    for c in range(n_months):
        by_age[c, : n_months - c] = totals[c, c:]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = by_age / size[:, None]
    present = size > 0
    out = pd.DataFrame(shares[present], index=pd.PeriodIndex(frame.columns[present], name="cohort"))
    out.insert(0, "size", size[present])
    return out
