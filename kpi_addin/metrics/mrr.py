"""From a subscriptions ledger to month-end MRR per customer, the MRR bridge and cohorts.

The conventions (``docs/conventions.md``), which every layer follows:

* A subscription is *active* at a month end when ``start_date <= month_end`` and
  (``end_date`` is blank or ``end_date > month_end``); it *earns* MRR there when it is
  also out of its free trial (``trial_end`` blank or ``trial_end <= month_end``).
  So it earns in the months ``[month(max(start, trial_end)), month(end_date))``.
  A subscription that starts and ends inside one month never counts, for any layer.
* Its MRR is ``amount × quantity / months per interval`` (year 12, quarter 3,
  month 1, week 12/52) converted at the month's FX rate into the reporting currency.
* A customer's MRR for a month is the sum over its earning subscriptions; it is a
  *paying customer* when that MRR, at the currency's smallest unit (cents; whole won
  for KRW), is above 0.
* Movements of month M against M−1, per customer: new (0 → >0, never paying
  before), reactivation (0 → >0, paid at an earlier month end), churned (>0 → 0),
  expansion (rises), contraction (falls).  Rises and falls are classified at the
  smallest currency unit, so floating-point noise never counts a customer as
  expanded or contracted.  A rise or fall smaller than one unit (a monthly price
  against the same annual price / 12) counts no customer, but its amount is kept
  in expansion / contraction MRR so that the bridge ties out:
  ``start + new + expansion + reactivation − contraction − churned = end``.

The engine never builds a customer × month table.  It keeps each customer's MRR as
*change points*: the months where it changes, with the MRR before and after.  A
subscription is +value in its first earning month and −value in its first month after;
the events of one customer and month are summed, and a per-customer running sum gives the
level at each change.  Only customers with a foreign-currency subscription are expanded
month by month (their rate moves every month), over the months their foreign
subscriptions can change them.  The bridge, the counts and the cohorts are sums over the
changes, so the cost grows with subscriptions and changes, not with customers × months.

The sums are done in the same order as the customer × month difference array the engine
replaced (whose per-month cumulative sum added exactly 0.0 in a month without an event),
so every customer's month-end MRR is bit-identical to it.  No Python loop runs over rows
or customers: the loops run over currencies and over a customer's successive changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .change_points import customer_blocks, levels, with_foreign
from .currency import to_units
from .months import month_number, number_of, period_of
from .spans import EarningSpans, earning_spans


@dataclass(frozen=True)
class CustomerMRR:
    """Month-end MRR per customer, as the months where it changes.

    Change ``k`` says: customer ``customer_ids[change_customer[k]]``'s MRR is
    ``mrr_after[k]`` from month ``months[change_month[k]]`` on (until its next change),
    and was ``mrr_before[k]`` at the month end before.  Changes are ordered by customer
    code, then month; a customer's first change is against 0.  Values are in the
    reporting currency; sub-unit amounts (below half a cent) are 0.  ``customer_ids``
    holds every customer with an earning subscription, in order of first appearance in
    the ledger, including any whose MRR never reaches a cent.  ``fx_change[k]`` is the
    part of change ``k`` due to exchange rates alone: the previous month's local amounts
    × (this month's rate − last month's), summed over the customer's currencies (0 for
    reporting-currency money); the bridge counts it only where the customer pays at both
    month ends (:func:`fx_parts`).  ``row_customer`` is each ledger row's customer code (−1:
    the row earns at no month end; empty when not known), :func:`ledger_customer_codes`
    without hashing the ids again.
    """

    months: pd.PeriodIndex
    customer_ids: np.ndarray
    change_customer: np.ndarray
    change_month: np.ndarray
    mrr_before: np.ndarray
    mrr_after: np.ndarray
    reporting_currency: str
    fx_change: np.ndarray
    row_customer: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    #: the ledger's earning spans it was computed from (:func:`earning_spans`), for a second
    #: grouping of the same rows (segments); None when not kept
    spans: EarningSpans | None = field(default=None, repr=False, compare=False)

    @cached_property
    def by_month(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(customer, mrr_after, bounds)``: the changes reordered by month (in customer order
        within a month); month ``j``'s are ``[bounds[j]:bounds[j + 1]]``.  Built once (one
        sort), shared by every :class:`MonthEndCursor`: a month's step reads two contiguous
        slices instead of gathering 6.5M scattered changes per walk."""
        n_months = len(self.months)
        small = np.int16 if n_months < 2**15 else np.int32  # 16-bit keys sort by radix
        order = np.argsort(self.change_month.astype(small), kind="stable")
        narrow = np.int32 if len(self.customer_ids) < 2**31 else np.int64
        customer = self.change_customer.astype(narrow, copy=False)[order]
        after = self.mrr_after[order]
        del order
        bounds = np.zeros(n_months + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.change_month, minlength=n_months), out=bounds[1:])
        return customer, after, bounds

    def to_frame(self) -> pd.DataFrame:
        """A dense customer × month table (one row per customer): for small ledgers and tests.

        It holds ``len(customer_ids) × len(months)`` floats; everything else in the library
        works on the changes instead.
        """
        n_customers, n_months = len(self.customer_ids), len(self.months)
        last = np.full((n_customers, n_months), -1, dtype=np.int64)
        last[self.change_customer, self.change_month] = np.arange(len(self.change_month))
        np.maximum.accumulate(last, axis=1, out=last)  # the latest change at or before each month
        values = np.r_[self.mrr_after, 0.0][last]  # -1, before any change, picks the 0
        return pd.DataFrame(values, index=pd.Index(self.customer_ids, name="customer_id"), columns=self.months)

    def mrr_at(self, month: pd.Period) -> pd.Series:
        """Month-end MRR of each paying customer at ``month``.

        Index ``customer_id``, values in the reporting currency.  Only customers with
        MRR above 0 at that month end are listed (sub-unit MRR is 0, so not listed);
        a month outside :attr:`months` gives an empty Series.  Cost: one pass over the
        changes.

        Examples
        --------
        >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "amount": [120.0, 50.0],
        ...     "interval": ["year", "month"],
        ...     "start_date": pd.to_datetime(["2025-01-10", "2025-02-01"]),
        ...     "end_date": pd.to_datetime([None, "2025-03-15"])})
        >>> cm = customer_mrr(subs)
        >>> cm.mrr_at(pd.Period("2025-02", "M")).to_dict()
        {'a': 10.0, 'b': 50.0}
        >>> cm.mrr_at(pd.Period("2025-03", "M")).to_dict(), len(cm.mrr_at(pd.Period("2024-12", "M")))
        ({'a': 10.0}, 0)
        """
        j = number_of(month) - number_of(self.months[0])
        if not 0 <= j < len(self.months):
            return pd.Series([], index=pd.Index([], name="customer_id", dtype=object), dtype=float, name="mrr")
        upto = np.flatnonzero(self.change_month <= j)
        customer = self.change_customer[upto]
        latest = np.ones(len(upto), dtype=bool)  # the last change at or before j of each customer
        np.not_equal(customer[1:], customer[:-1], out=latest[:-1])
        level = self.mrr_after[upto[latest]]
        paying = level > 0
        return pd.Series(
            level[paying], index=pd.Index(self.customer_ids[customer[latest][paying]], name="customer_id"), name="mrr"
        )

    def changes(self) -> pd.DataFrame:
        """Every change of a customer's month-end MRR: the facts the bridge classifies.

        One row per customer per month whose MRR differs from the month before (the
        first month compares against 0), ordered by customer then month.  Columns
        ``month`` (Period), ``customer_id``, ``mrr_before``, ``mrr_after`` and ``fx`` (the
        FX impact: the part due to exchange rates alone, where the customer pays at both
        month ends, :func:`fx_parts`) — exactly the values :func:`mrr_bridge` classifies, so
        a movement log built from them ties to the bridge.  Changes smaller than one cent
        (and float noise) are listed too; the bridge's cent rule decides what they count as.

        Examples
        --------
        >>> subs = pd.DataFrame({"customer_id": ["a", "a"], "amount": [10.0, 25.0],
        ...     "interval": ["month"] * 2,
        ...     "start_date": pd.to_datetime(["2025-01-05", "2025-02-10"]),
        ...     "end_date": pd.to_datetime(["2025-02-10", "2025-04-01"])})
        >>> customer_mrr(subs, as_of=pd.Period("2025-04", "M")).changes()
             month customer_id  mrr_before  mrr_after   fx
        0  2025-01           a         0.0       10.0  0.0
        1  2025-02           a        10.0       25.0  0.0
        2  2025-04           a        25.0        0.0  0.0
        """
        return pd.DataFrame(
            {
                "month": self.months[self.change_month],
                "customer_id": self.customer_ids[self.change_customer],
                "mrr_before": self.mrr_before,
                "mrr_after": self.mrr_after,
                "fx": fx_parts(self.mrr_before, self.mrr_after, self.fx_change),
            }
        )


def fx_parts(mrr_before: np.ndarray, mrr_after: np.ndarray, fx_change: np.ndarray) -> np.ndarray:
    """The FX impact of each change: its rate part where the customer pays at both month ends, else 0.

    New, reactivation and churn carry no FX part (their whole amount is that movement).

    Examples
    --------
    >>> fx_parts(np.array([110.0, 0.0, 120.0]), np.array([120.0, 50.0, 0.0]), np.array([10.0, 0.0, 5.0])).tolist()
    [10.0, 0.0, 0.0]
    """
    parts: np.ndarray = np.where((mrr_before > 0) & (mrr_after > 0), fx_change, 0.0)  # sub-unit MRR is already 0
    return parts


class MonthEndCursor:
    """Every customer's month-end MRR, month after month, in one pass over the changes.

    :meth:`at` returns a vector indexed by customer code (``customer_ids``): the month-end
    MRR of every customer at that month (0 when not paying).  Months must not decrease
    from one call to the next; the vector is the cursor's own and changes at the next
    call (copy it to keep it).  Cost: each change is applied once, each call reads nothing
    else — against one pass over all changes per :meth:`CustomerMRR.mrr_at`.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "amount": [10.0, 50.0],
    ...     "interval": ["month"] * 2, "start_date": pd.to_datetime(["2025-01-10", "2025-02-01"]),
    ...     "end_date": pd.to_datetime([None, "2025-03-15"])})
    >>> cursor = MonthEndCursor(customer_mrr(subs))
    >>> [cursor.at(pd.Period(m, "M")).tolist() for m in ("2025-01", "2025-02", "2025-03")]
    [[10.0, 0.0], [10.0, 50.0], [10.0, 0.0]]
    """

    def __init__(self, cm: CustomerMRR) -> None:
        self._customer, self._after, self._bounds = cm.by_month
        self._n_months = len(cm.months)
        self._first = number_of(cm.months[0]) if len(cm.months) else 0
        self._next = 0  # the first month not applied yet
        self.level = np.zeros(len(cm.customer_ids))

    def at(self, month: pd.Period) -> np.ndarray:
        """Month-end MRR by customer code at ``month`` (all 0 before the first month)."""
        j = number_of(month) - self._first
        if j < self._next - 1:
            raise ValueError(f"{month} is before the cursor's month; months must not decrease")
        last = min(j, self._n_months - 1)
        for step in range(self._next, last + 1):  # a customer changes at most once a month
            begin, end = self._bounds[step], self._bounds[step + 1]
            self.level[self._customer[begin:end]] = self._after[begin:end]
        self._next = max(self._next, last + 1)
        if not 0 <= j < self._n_months:
            return np.zeros_like(self.level)  # outside the report, as mrr_at: no MRR known
        return self.level


def month_rows(months: pd.PeriodIndex, wanted: pd.PeriodIndex) -> np.ndarray | None:
    """Each of ``wanted``'s position in ``months`` (a contiguous monthly index), or None when one
    is outside it.

    Examples
    --------
    >>> months = pd.period_range("2025-01", periods=4, freq="M")
    >>> month_rows(months, months[2:]).tolist(), month_rows(months, pd.period_range("2024-12", periods=2, freq="M"))
    ([2, 3], None)
    """
    if not len(months):
        return None if len(wanted) else np.empty(0, dtype=np.intp)
    rows = np.array([number_of(m) for m in wanted], dtype=np.intp) - number_of(months[0])
    return rows if ((rows >= 0) & (rows < len(months))).all() else None


def rate_table(currencies: np.ndarray, first_month: int, n_months: int, fx_rates: pd.DataFrame | None) -> np.ndarray:
    """rates[k, j] = reporting-currency units per unit of ``currencies[k]`` in month j (nan: none)."""
    table = np.full((len(currencies), n_months), np.nan)
    if fx_rates is None or fx_rates.empty:
        return table
    code = {c: k for k, c in enumerate(currencies)}
    fx = fx_rates[fx_rates["currency"].isin(code)]
    undated = fx[fx["month"].isna()]
    for currency, rate in zip(undated["currency"], undated["rate"], strict=True):
        table[code[currency], :] = rate
    dated = fx[fx["month"].notna()]
    if not dated.empty:
        rel = month_number(dated["month"]) - first_month
        keep = (rel >= 0) & (rel < n_months)
        rows = dated["currency"].map(code).to_numpy(dtype=np.intp)[keep]
        table[rows, rel[keep]] = dated["rate"].to_numpy(dtype=float)[keep]
    return table


def customer_mrr(
    subscriptions: pd.DataFrame,
    *,
    reporting_currency: str = "USD",
    fx_rates: pd.DataFrame | None = None,
    as_of: pd.Period | None = None,
    paying_only: bool = True,
) -> CustomerMRR:
    """Month-end MRR of every customer, from the first month with MRR to ``as_of``.

    Parameters
    ----------
    subscriptions
        Canonical ledger: ``customer_id``, ``amount``, ``interval`` (month, quarter,
        year, week), ``start_date``; optional ``quantity`` (default 1), ``currency``
        (default the reporting currency), ``end_date``, ``trial_end`` (datetimes,
        ``NaT`` when blank).
    reporting_currency
        ISO code all money is converted to.
    fx_rates
        ``currency``, ``rate`` (reporting units per unit), ``month`` (a datetime or
        ``NaT`` for a rate valid in every month).  A month's own rate wins over the
        undated one.  A currency used without a rate raises :class:`KPIInputError`.
    as_of
        Last month to report; default the month of the latest date in the ledger.
    paying_only
        MRR below half a cent is no MRR (the customer is not paying).  False keeps every
        level as summed, for parts of a customer (its MRR in one segment,
        :mod:`.segments`), whose paying is decided on the whole customer.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "amount": [120.0, 50.0],
    ...     "interval": ["year", "month"],
    ...     "start_date": pd.to_datetime(["2025-01-10", "2025-02-01"]),
    ...     "end_date": pd.to_datetime([None, "2025-03-15"])})
    >>> customer_mrr(subs).to_frame()
    month        2025-01  2025-02  2025-03
    customer_id
    a               10.0     10.0     10.0
    b                0.0     50.0      0.0
    """
    spans = earning_spans(subscriptions, as_of)
    ids = subscriptions["customer_id"]
    return mrr_of_spans(
        spans,
        ids if len(spans.rows) == len(subscriptions) else ids.iloc[spans.rows],
        reporting_currency=reporting_currency,
        fx_rates=fx_rates,
        paying_only=paying_only,
        ledger_rows=len(subscriptions),
    )


def mrr_of_spans(
    spans: EarningSpans,
    ids: pd.Series | np.ndarray,
    *,
    reporting_currency: str = "USD",
    fx_rates: pd.DataFrame | None = None,
    paying_only: bool = True,
    ledger_rows: int = 0,
) -> CustomerMRR:
    """:func:`customer_mrr` of earning spans, ``ids[k]`` the customer of span ``k`` (any
    hashable ids: a segment's (customer, segment) pairs are customers here).  ``ledger_rows``:
    the ledger's length, for ``row_customer`` (0: not kept)."""
    currency_code = reporting_currency.upper()
    first, n_months = spans.first, spans.n_months
    begin, finish, value = spans.begin, spans.finish, spans.value
    customer_codes, customer_ids = pd.factorize(ids)
    customer_codes = customer_codes.astype(np.int64, copy=False)
    row_customer = np.empty(0, dtype=np.int64)
    if ledger_rows:
        row_customer = np.full(ledger_rows, -1, dtype=np.int64)
        row_customer[spans.rows] = customer_codes

    foreign_names = [n for n in spans.currencies if n.upper() != currency_code]
    foreign_codes = [k for k, n in enumerate(spans.currencies) if n in foreign_names]
    foreign = np.isin(spans.currency, foreign_codes) if foreign_codes else np.zeros(len(begin), dtype=bool)

    domestic = ~foreign if foreign.any() else slice(None)
    customer, month, level = levels(
        customer_codes[domestic], begin[domestic], finish[domestic], value[domestic], n_months
    )
    blocks: Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]]
    n_points = len(level)
    if foreign.any():
        rates = rate_table(np.asarray(foreign_names), first, n_months, fx_rates)
        local = []
        for name in foreign_names:
            rows = foreign & (spans.currency == spans.currencies.index(name))
            local.append(levels(customer_codes[rows], begin[rows], finish[rows], value[rows], n_months))
        n_points, blocks = with_foreign(
            (customer, month, level), local, rates, foreign_names, len(customer_ids), n_months, first
        )
    else:
        blocks = ((customer[a:b], month[a:b], level[a:b], None) for a, b in customer_blocks(customer))
    del customer_codes, foreign
    # Block by block (whole customers, a million points or so: no change-log-sized temporary),
    # the changes written on into arrays of the points' number (a view of their first ones kept).
    change_customer = np.empty(n_points, dtype=customer.dtype)
    change_month = np.empty(n_points, dtype=month.dtype)
    before, after, fx_change = np.empty(n_points), np.empty(n_points), np.empty(n_points)
    n_changes = 0
    for block in blocks:
        for column, part in zip(
            (change_customer, change_month, before, after, fx_change),
            changes_of_levels(*block, currency_code if paying_only else None),
            strict=True,
        ):
            column[n_changes : n_changes + len(part)] = part
        n_changes += len(part)
    del customer, month, level
    change_customer, change_month = change_customer[:n_changes], change_month[:n_changes]
    before, after, fx_change = before[:n_changes], after[:n_changes], fx_change[:n_changes]
    months = pd.period_range(period_of(first), periods=n_months, freq="M", name="month")
    return CustomerMRR(
        months=months,
        customer_ids=np.asarray(customer_ids),
        change_customer=change_customer,
        change_month=change_month,
        mrr_before=before,
        mrr_after=after,
        reporting_currency=currency_code,
        fx_change=fx_change,
        row_customer=row_customer,
        spans=spans,
    )


def changes_of_levels(
    customer: np.ndarray, month: np.ndarray, level: np.ndarray, fx: np.ndarray | None, paying_in: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(customer, month, mrr_before, mrr_after, fx_change)`` of the points that change a
    customer's MRR, from whole customers' points in order (``level`` from each point's month
    on; ``fx`` their FX parts, None: all 0).  ``paying_in``: the currency whose half unit is
    no MRR (``level`` is set to 0 below it, in place); None keeps every level.

    A point changes the MRR where its level differs from the point before (a customer's first
    point: from 0), or where it has an FX part (a move of the rate that a move of local amounts
    offsets exactly is still two moves); the levels before are the changes' levels after
    shifted by one (a skipped point repeats the level before it).

    Examples
    --------
    >>> changes = changes_of_levels(np.array([0, 0, 0, 1]), np.array([0, 1, 2, 1]),
    ...     np.array([10.0, 10.0, 0.004, 5.0]), None, "USD")
    >>> [c.tolist() for c in changes]
    [[0, 0, 1], [0, 2, 1], [0.0, 10.0, 0.0], [10.0, 0.0, 5.0], [0.0, 0.0, 0.0]]
    """
    if paying_in is not None:  # MRR below half a cent is no MRR: that customer is not paying
        level[to_units(level, paying_in) <= 0] = 0.0
    changed = np.empty(len(level), dtype=bool)
    np.not_equal(level[1:], level[:-1], out=changed[1:])
    starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]]) if len(level) else np.empty(0, np.intp)
    changed[starts] = level[starts] != 0.0
    if fx is not None:
        changed |= fx != 0
    after = level[changed]
    who = customer[changed]
    before = np.empty_like(after)
    before[1:] = after[:-1]
    before[np.flatnonzero(np.r_[True, who[1:] != who[:-1]]) if len(after) else []] = 0.0
    return who, month[changed], before, after, fx[changed] if fx is not None else np.zeros(len(after))


def ledger_customer_codes(subs: pd.DataFrame, as_of: pd.Period) -> np.ndarray:
    """Each ledger row's customer in :func:`customer_mrr`'s numbering (its position in
    ``customer_ids`` for the same ``as_of``); −1 for a row that earns at no month end.

    The ids are hashed once (a look-up of the ids in ``customer_ids`` would hash them again):
    ``customer_mrr`` numbers customers in order of first appearance among the earning rows.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["b", "a", "b", "c"], "amount": [0.0, 10.0, 7.0, 0.0],
    ...     "interval": "month", "start_date": pd.to_datetime(["2025-01-01", "2025-01-01", "2025-02-01", "2025-01-01"]),
    ...     "end_date": pd.NaT})
    >>> ledger_customer_codes(subs, pd.Period("2025-03", "M")).tolist()
    [-1, 0, 1, -1]
    >>> customer_mrr(subs, as_of=pd.Period("2025-03", "M")).customer_ids.tolist()
    ['a', 'b']
    """
    rows = earning_spans(subs, as_of).rows
    row_code, uniques = pd.factorize(subs["customer_id"])
    earning = row_code[rows]
    valid = earning >= 0
    seen, first_at = np.unique(earning[valid], return_index=True)
    number = np.full(len(uniques), -1, dtype=np.int64)
    number[seen[np.argsort(first_at, kind="stable")]] = np.arange(len(seen))
    out = np.full(len(subs), -1, dtype=np.int64)
    out[rows[valid]] = number[earning[valid]]
    return out
