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
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ._core import KPIInputError, KPIValueError

#: interval → (numerator, denominator) of the monthly normalisation factor.
INTERVAL_FACTORS: dict[str, tuple[int, int]] = {
    "month": (1, 1),
    "quarter": (1, 3),
    "year": (1, 12),
    "week": (52, 12),
}

#: ISO 4217 currencies whose smallest unit is not the hundredth.
_MINOR_UNITS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
}


def minor_unit_digits(currency: str) -> int:
    """Decimal digits of a currency's smallest unit: 2 (USD cents), 0 (KRW, JPY), 3 (KWD)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def to_units(money: np.ndarray, currency: str) -> np.ndarray:
    """Money at the currency's smallest unit (cents), rounded half up, as whole floats.

    A tolerance of 1e-6 unit keeps float noise from flipping a value that lies exactly
    on a half cent (43.595 summed in another order is 43.594999999999999).

    Examples
    --------
    >>> to_units(np.array([43.595, 0.004, 0.005, 10.0]), "USD").tolist()
    [4360.0, 0.0, 1.0, 1000.0]
    """
    return np.floor(money * 10 ** minor_unit_digits(currency) + (0.5 + 1e-6))


def month_number(values: pd.Series | np.ndarray) -> np.ndarray:
    """Months since 1970-01 for datetime values (``NaT`` → ``-2**62``).

    Examples
    --------
    >>> month_number(pd.to_datetime(["1970-01-31 00:00", "2025-03-01 18:00", None, "1969-12-31 23:59"])).tolist()
    [0, 662, -4611686018427387904, -1]
    """
    arr = np.asarray(values, dtype="datetime64[ns]")
    nat = np.isnat(arr)
    days = arr.view(np.int64) // 86_400_000_000_000  # floor: a time of day stays in its day
    known = days[~nat]
    if not known.size:
        return np.full(len(arr), np.int64(-(2**62)))
    first, last = int(known.min()), int(known.max())
    if last - first > 1_000_000:  # dates over ~2,700 years apart: convert each (slower, same result)
        return np.where(nat, np.int64(-(2**62)), arr.astype("datetime64[M]").astype(np.int64))
    # The month of each day in the span, looked up: numpy's calendar conversion per value is slower.
    month_of_day = np.arange(first, last + 1).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    months = month_of_day[np.where(nat, first, days) - first]
    months[nat] = -(2**62)
    return months


def period_of(month: int) -> pd.Period:
    """The calendar month ``month`` months after 1970-01."""
    return pd.Period(year=1970 + month // 12, month=month % 12 + 1, freq="M")


def number_of(period: pd.Period) -> int:
    """Months since 1970-01 of a monthly period."""
    return (period.year - 1970) * 12 + period.month - 1


@dataclass(frozen=True)
class CustomerMRR:
    """Month-end MRR per customer, as the months where it changes.

    Change ``k`` says: customer ``customer_ids[change_customer[k]]``'s MRR is
    ``mrr_after[k]`` from month ``months[change_month[k]]`` on (until its next change),
    and was ``mrr_before[k]`` at the month end before.  Changes are ordered by customer
    code, then month; a customer's first change is against 0.  Values are in the
    reporting currency; sub-unit amounts (below half a cent) are 0.  ``customer_ids``
    holds every customer with an earning subscription, in order of first appearance in
    the ledger, including any whose MRR never reaches a cent.
    """

    months: pd.PeriodIndex
    customer_ids: np.ndarray
    change_customer: np.ndarray
    change_month: np.ndarray
    mrr_before: np.ndarray
    mrr_after: np.ndarray
    reporting_currency: str

    @cached_property
    def by_month(self) -> tuple[np.ndarray, np.ndarray]:
        """``(order, bounds)``: the changes of month ``j`` are ``order[bounds[j]:bounds[j + 1]]``
        (in customer order); sorted once, shared by every :class:`MonthEndCursor`."""
        small = np.int16 if len(self.months) < 2**15 else np.int32  # 16-bit keys sort by radix
        order = np.argsort(self.change_month.astype(small), kind="stable")
        return order, np.searchsorted(self.change_month[order], np.arange(len(self.months) + 1))

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
        ``month`` (Period), ``customer_id``, ``mrr_before``, ``mrr_after`` — exactly the
        values :func:`mrr_bridge` classifies, so a movement log built from them ties to
        the bridge.  Changes smaller than one cent (and float noise) are listed too; the
        bridge's cent rule decides what they count as.

        Examples
        --------
        >>> subs = pd.DataFrame({"customer_id": ["a", "a"], "amount": [10.0, 25.0],
        ...     "interval": ["month"] * 2,
        ...     "start_date": pd.to_datetime(["2025-01-05", "2025-02-10"]),
        ...     "end_date": pd.to_datetime(["2025-02-10", "2025-04-01"])})
        >>> customer_mrr(subs, as_of=pd.Period("2025-04", "M")).changes()
             month customer_id  mrr_before  mrr_after
        0  2025-01           a         0.0       10.0
        1  2025-02           a        10.0       25.0
        2  2025-04           a        25.0        0.0
        """
        return pd.DataFrame(
            {
                "month": self.months[self.change_month],
                "customer_id": self.customer_ids[self.change_customer],
                "mrr_before": self.mrr_before,
                "mrr_after": self.mrr_after,
            }
        )


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
        self._order, self._bounds = cm.by_month
        self._cm = cm
        self._first = number_of(cm.months[0]) if len(cm.months) else 0
        self._next = 0  # the first month not applied yet
        self.level = np.zeros(len(cm.customer_ids))

    def at(self, month: pd.Period) -> np.ndarray:
        """Month-end MRR by customer code at ``month`` (all 0 before the first month)."""
        j = number_of(month) - self._first
        if j < self._next - 1:
            raise ValueError(f"{month} is before the cursor's month; months must not decrease")
        for step in range(self._next, min(j, len(self._cm.months) - 1) + 1):
            at = self._order[self._bounds[step] : self._bounds[step + 1]]
            self.level[self._cm.change_customer[at]] = self._cm.mrr_after[at]
        self._next = max(self._next, min(j, len(self._cm.months) - 1) + 1)
        if not 0 <= j < len(self._cm.months):
            return np.zeros_like(self.level)  # outside the report, as mrr_at: no MRR known
        return self.level


def subscription_monthly_value(subscriptions: pd.DataFrame) -> np.ndarray:
    """Normalised monthly value of each subscription in its own currency.

    ``amount × quantity × numerator / denominator`` of :data:`INTERVAL_FACTORS`
    (money per month).  Edge cases: an unknown or blank interval raises
    :class:`KPIValueError` — never silently monthly.

    Examples
    --------
    >>> subs = pd.DataFrame({"amount": [1200.0, 300.0, 10.0], "quantity": [1.0, 2.0, 1.0],
    ...                      "interval": ["year", "quarter", "week"]})
    >>> subscription_monthly_value(subs).round(4).tolist()
    [100.0, 200.0, 43.3333]
    """
    codes, names = pd.factorize(subscriptions["interval"])
    unknown = sorted(str(n) for n in names if n not in INTERVAL_FACTORS)
    if unknown or (codes < 0).any():
        shown = ", ".join(map(repr, unknown)) or "a blank"
        raise KPIValueError("interval", f"unknown interval(s) {shown} (use month, quarter, year or week)")
    numerator = np.array([INTERVAL_FACTORS[n][0] for n in names], dtype=float)[codes]
    denominator = np.array([INTERVAL_FACTORS[n][1] for n in names], dtype=float)[codes]
    amount = subscriptions["amount"].to_numpy(dtype=float)
    quantity = subscriptions["quantity"].to_numpy(dtype=float) if "quantity" in subscriptions else 1.0
    return amount * quantity * numerator / denominator


def _rate_table(currencies: np.ndarray, first_month: int, n_months: int, fx_rates: pd.DataFrame | None) -> np.ndarray:
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
        rows = dated["currency"].map(code).to_numpy()[keep]
        table[rows, rel[keep]] = dated["rate"].to_numpy(dtype=float)[keep]
    return table


def customer_mrr(
    subscriptions: pd.DataFrame,
    *,
    reporting_currency: str = "USD",
    fx_rates: pd.DataFrame | None = None,
    as_of: pd.Period | None = None,
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
    currency_code = reporting_currency.upper()
    subs = subscriptions
    first, n_months, idx, begin, finish, value = _earning_spans(subs, as_of)
    ids = subs["customer_id"]
    customer_codes, customer_ids = pd.factorize(ids if len(idx) == len(subs) else ids.iloc[idx])
    customer_codes = customer_codes.astype(np.int64, copy=False)

    foreign = np.zeros(len(idx), dtype=bool)
    if "currency" in subs:
        currency = subs["currency"] if len(idx) == len(subs) else subs["currency"].iloc[idx]
        currency_codes, currency_names = pd.factorize(currency)
        foreign_names = [str(n) for n in currency_names if str(n).upper() != currency_code]
        foreign = np.isin(currency_codes, [i for i, n in enumerate(currency_names) if str(n) in foreign_names])

    domestic = ~foreign if foreign.any() else slice(None)
    customer, month, level = _levels(
        customer_codes[domestic], begin[domestic], finish[domestic], value[domestic], n_months
    )
    if foreign.any():
        rates = _rate_table(np.asarray(foreign_names), first, n_months, fx_rates)
        local = []
        for name in foreign_names:
            rows = foreign & (currency_codes == list(map(str, currency_names)).index(name))
            local.append(_levels(customer_codes[rows], begin[rows], finish[rows], value[rows], n_months))
        customer, month, level = _with_foreign(
            (customer, month, level), local, rates, foreign_names, len(customer_ids), n_months, first
        )
        del local
    del customer_codes, begin, finish, value, foreign
    # MRR below half a cent is no MRR: that customer is not paying.
    level[to_units(level, currency_code) <= 0] = 0.0
    before = np.empty_like(level)
    if len(level):
        before[0] = 0.0
        before[1:] = level[:-1]
        before[1:][customer[1:] != customer[:-1]] = 0.0  # a customer's first level is against 0
    changed = level != before
    months = pd.period_range(period_of(first), periods=n_months, freq="M", name="month")
    return CustomerMRR(
        months=months,
        customer_ids=customer_ids.to_numpy(),
        change_customer=customer[changed],
        change_month=month[changed],
        mrr_before=before[changed],
        mrr_after=level[changed],
        reporting_currency=currency_code,
    )


def _earning_spans(
    subs: pd.DataFrame, as_of: pd.Period | None
) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(first, n_months, rows, begin, finish, value)`` of the subscriptions that earn.

    ``rows`` are their positions in the ledger; they earn ``value`` (own currency) in the
    months ``[begin, finish)`` counted from ``first``, the first earning month
    (``finish == n_months``: still earning at ``as_of``).  The ledger-sized temporaries die here.
    """
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
    first_earning = np.maximum(start, trial, out=start)
    stop = np.where(end == -(2**62), last + 1, np.minimum(end, last + 1, out=end))  # first month not earning
    del trial
    value = subscription_monthly_value(subs)
    earning = (stop > first_earning) & (value != 0)
    if not earning.any():
        raise KPIInputError(
            "subscriptions",
            "no subscription earns MRR at any month end up to "
            f"{period_of(last)} (all start after it, end within their first month or are in trial)",
        )
    first = int(first_earning[earning].min())
    rows = np.flatnonzero(earning)
    return first, last - first + 1, rows, first_earning[rows] - first, stop[rows] - first, value[rows]


def _levels(
    customer: np.ndarray, begin: np.ndarray, finish: np.ndarray, value: np.ndarray, n_months: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each customer's running MRR at the months where one of its subscriptions starts or stops.

    Subscriptions earn ``value`` in months ``[begin, finish)``.  Returns ``(customer,
    month, level)`` sorted by customer then month (months below ``n_months`` only):
    ``level`` is the customer's MRR from that month on.  The events of one customer and
    month are summed in ledger order (starts, then stops) and the levels run month after
    month, exactly as a customer × month difference array and its cumulative sum would.
    """
    height = n_months + 1  # the month after the last takes the -value of subscriptions still earning
    n = len(customer)
    # Keys (customer, month) in 32 bits where they fit: half the memory, and a faster sort.
    wide = (int(customer.max(initial=0)) + 1) * height >= 2**31
    key = np.empty(2 * n, dtype=np.int64 if wide else np.int32)
    np.multiply(customer, height, out=key[:n], casting="unsafe")
    key[n:] = key[:n]
    np.add(key[:n], begin, out=key[:n], casting="unsafe")
    np.add(key[n:], finish, out=key[n:], casting="unsafe")
    order = np.argsort(key)
    sorted_key = key[order]
    del key
    first_of_group = np.ones(2 * n, dtype=bool)
    np.not_equal(sorted_key[1:], sorted_key[:-1], out=first_of_group[1:])
    group = np.empty(2 * n, dtype=np.intp)
    group[order] = np.cumsum(first_of_group) - 1
    del order
    # bincount adds each group's events in the order given: starts, then stops, by ledger row.
    level = np.bincount(group, weights=np.concatenate([value, -value]))
    del group
    customer, month = np.divmod(sorted_key[first_of_group], height)
    del sorted_key, first_of_group
    # A running sum per customer over its months: one vectorised step per change rank.
    starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]]) if len(level) else np.empty(0, np.int64)
    counts = np.diff(np.r_[starts, len(level)])
    by_count = np.argsort(-counts, kind="stable")
    starts, counts = starts[by_count], counts[by_count]
    for rank in range(1, int(counts[0]) if len(counts) else 0):
        at = starts[: np.searchsorted(-counts, -rank, side="left")] + rank
        level[at] += level[at - 1]
    keep = month < n_months
    return customer[keep], month[keep], level[keep]


def _with_foreign(
    domestic: tuple[np.ndarray, np.ndarray, np.ndarray],
    local: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    rates: np.ndarray,
    currencies: list[str],
    n_customers: int,
    n_months: int,
    first: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Domestic levels plus each foreign currency's levels at each month's rate.

    A customer with a foreign subscription is expanded month by month over the months
    its foreign levels can move it: from its first foreign change to its last (to the
    end while a foreign level is still nonzero there).  Outside them the foreign levels
    are exactly 0, so its MRR is its domestic level, as it would be in a full table.
    """
    height = n_months + 1
    lo = np.full(n_customers, n_months, dtype=np.int64)
    hi = np.zeros(n_customers, dtype=np.int64)
    for customer, month, level in local:
        if not len(customer):
            continue
        head = np.r_[True, customer[1:] != customer[:-1]]
        tail = np.r_[customer[1:] != customer[:-1], True]
        owners = customer[head]
        lo[owners] = np.minimum(lo[owners], month[head])
        reach = np.where(level[tail] != 0.0, n_months, month[tail] + 1)
        hi[owners] = np.maximum(hi[owners], reach)
    expanded = np.flatnonzero(hi > lo)
    span = hi[expanded] - lo[expanded]
    offset = np.zeros(n_customers, dtype=np.int64)
    offset[expanded] = np.cumsum(span) - span
    n_cells = int(span.sum())
    cell_month = (np.arange(n_cells) - np.repeat(offset[expanded] - lo[expanded], span)).astype(np.int32)
    heads = offset[expanded]

    # Domestic level on the cells: the level before the first cell, then its changes.
    d_customer, d_month, d_level = domestic
    d_key = d_customer.astype(np.int64) * height + d_month
    previous = np.searchsorted(d_key, expanded * height + lo[expanded]) - 1
    del d_key
    known = previous >= 0
    known[known] = d_customer[previous[known]] == expanded[known]
    inside = (lo[d_customer] <= d_month) & (d_month < hi[d_customer])
    cells = offset[d_customer[inside]] + d_month[inside] - lo[d_customer[inside]]
    before = np.zeros(len(expanded))
    before[known] = d_level[previous[known]]
    total = _fill(n_cells, heads, before, cells, d_level[inside])

    for k, (customer, month, level) in enumerate(local):
        cells = offset[customer] + month - lo[customer]
        amounts = _fill(n_cells, heads, np.zeros(len(heads)), cells, level)
        rate = rates[k][cell_month]
        missing = np.isnan(rate) & (np.abs(amounts) > 1e-9)  # noise is not MRR
        if missing.any():
            months = np.unique(cell_month[missing]) + first
            raise KPIInputError("fx_rates", _missing_rates_message(currencies[k], months))
        np.multiply(amounts, np.nan_to_num(rate, copy=False), out=amounts)
        total += amounts
        del amounts, rate, missing

    # Each point's place in the result, customer by customer: its domestic points before
    # its cells, the cells, its domestic points after (placed directly, no sort).
    span_of = np.maximum(hi - lo, 0)
    n_domestic = np.bincount(d_customer, minlength=n_customers)
    n_inside = np.bincount(d_customer[inside], minlength=n_customers)
    n_before = np.bincount(d_customer[d_month < lo[d_customer]], minlength=n_customers)
    n_out = n_domestic - n_inside + span_of
    out_start = np.cumsum(n_out) - n_out
    size = int(n_out.sum())
    customer_out = np.empty(size, dtype=d_customer.dtype)
    month_out = np.empty(size, dtype=d_month.dtype)
    level_out = np.empty(size)
    kept = np.flatnonzero(~inside)
    owner = d_customer[kept]
    rank = kept - (np.cumsum(n_domestic) - n_domestic)[owner]
    after = d_month[kept] >= hi[owner]
    place = out_start[owner] + rank + np.where(after, span_of[owner] - n_inside[owner], 0)
    customer_out[place], month_out[place], level_out[place] = owner, d_month[kept], d_level[kept]
    place = np.arange(n_cells) + np.repeat(out_start[expanded] + n_before[expanded] - heads, span)
    customer_out[place] = np.repeat(expanded, span)
    month_out[place], level_out[place] = cell_month, total
    return customer_out, month_out, level_out


def _fill(
    n_cells: int, heads: np.ndarray, head_values: np.ndarray, cells: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Cells holding ``values`` at ``cells`` and carried forward, each run starting at a head."""
    source = np.zeros(n_cells, dtype=np.int64 if n_cells >= 2**31 else np.int32)
    filled = np.empty(n_cells)
    filled[heads] = head_values
    source[heads] = heads
    filled[cells] = values
    source[cells] = cells
    np.maximum.accumulate(source, out=source)
    return filled[source]


def _missing_rates_message(currency: str, months: np.ndarray) -> str:
    listed = [str(period_of(int(m))) for m in months]
    shown = ", ".join(listed[:4]) + (f" and {len(listed) - 4} more months" if len(listed) > 4 else "")
    return f"no exchange rate for {currency} in {shown} (add a row to the fx_rates sheet; rates are never assumed 1:1)"


BRIDGE_COLUMNS = (
    "start_mrr",
    "new_mrr",
    "expansion_mrr",
    "reactivation_mrr",
    "contraction_mrr",
    "churned_mrr",
    "mrr",
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
    ``start_mrr + new_mrr + expansion_mrr + reactivation_mrr − contraction_mrr −
    churned_mrr == mrr`` holds in every month (up to float rounding of the sums).
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
    cur_units, prev_units = to_units(cur, cm.reporting_currency), to_units(prev, cm.reporting_currency)
    was, now = prev_units > 0, cur_units > 0  # sub-unit MRR is already 0
    expanded, contracted = cur_units > prev_units, cur_units < prev_units
    del cur_units, prev_units  # one change-log-sized array at a time: long FX histories have millions
    gained = now & ~was
    # A customer's first gain is its first paying month: new; any later gain is a return.
    gain_rows = rows[gained]
    new = np.zeros_like(gained)
    new[np.flatnonzero(gained)[np.r_[True, gain_rows[1:] != gain_rows[:-1]]] if len(gain_rows) else []] = True
    reactivated = gained & ~new
    churned = was & ~now
    stayed = was & now
    # A relative change below 1e-9 is floating-point noise from the running sums, not money.
    delta = cur - prev
    noise = np.maximum(cur, prev)
    noise *= 1e-9
    moved = np.abs(delta) > noise
    del noise
    moved &= stayed
    delta[~moved] = 0.0

    def per_month(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(cols[mask], weights=w, minlength=n_months)

    customers = np.cumsum(per_month(gained) - per_month(churned))
    totals = np.array([level.sum() for level in _month_ends(cm)])
    contraction = np.negative(per_month(delta < 0, delta))  # negating the sum is exact: no -delta copy
    contraction[contraction == 0] = 0  # and no -0.0
    bridge = pd.DataFrame(
        {
            "start_mrr": np.concatenate([[0.0], totals[:-1]]),
            "new_mrr": per_month(new, cur),
            "expansion_mrr": per_month(delta > 0, delta),
            "reactivation_mrr": per_month(reactivated, cur),
            "contraction_mrr": contraction,
            "churned_mrr": per_month(churned, prev),
            "mrr": totals,
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


def _month_ends(cm: CustomerMRR) -> Iterator[np.ndarray]:
    """Every customer's MRR at each month end in turn, one reused vector (not a table).

    Summing the whole vector (zeros included) adds in the same order as the customer ×
    month table did, so month totals are bit-identical to it; it reads every customer
    once a month, at memory speed, but holds one month at a time.
    """
    cursor = MonthEndCursor(cm)
    for month in cm.months:
        yield cursor.at(month)


def cohort_retention(cm: CustomerMRR, basis: str = "logo") -> pd.DataFrame:
    """Cohort retention matrix by first paying month.

    ``basis="logo"``: share of the cohort's customers paying k months later.
    ``basis="revenue"``: the cohort's MRR k months later / its MRR in its first
    month (can exceed 1 through expansion).  Rows are cohorts (first paying month),
    column ``size`` holds the cohort's customers (logo) or starting MRR (revenue),
    columns ``0, 1, ...`` the months since joining; cells past the last month are nan.
    Edge cases: customers who never paid belong to no cohort; an unknown basis raises
    :class:`KPIValueError`.

    Examples
    --------
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"], "amount": [10.0, 20.0, 30.0],
    ...     "interval": ["month"] * 3,
    ...     "start_date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-03"]),
    ...     "end_date": pd.to_datetime([None, "2025-02-15", None])})
    >>> cohort_retention(customer_mrr(subs, as_of=pd.Period("2025-03", "M")))
             size    0    1    2
    cohort
    2025-01   2.0  1.0  0.5  0.5
    2025-02   1.0  1.0  1.0  NaN
    """
    if basis not in ("logo", "revenue"):
        raise KPIValueError("basis", f"{basis!r} is not 'logo' or 'revenue'")
    n_months = len(cm.months)
    rows, cols = cm.change_customer, cm.change_month
    now, was = cm.mrr_after > 0, cm.mrr_before > 0  # sub-unit MRR is already 0
    gained = now & ~was
    cohort_of = np.full(len(cm.customer_ids), -1, dtype=np.int64)
    first_gain = np.flatnonzero(gained)[::-1]  # the earliest gain of a customer is written last
    cohort_of[rows[first_gain]] = cols[first_gain]
    cohort = cohort_of[rows]
    paid = cohort >= 0
    cell = cohort[paid] * n_months + cols[paid]
    # [cohort, calendar month]: paying customers and MRR, each the running sum of its changes.
    logos = np.bincount(cell, weights=(now.astype(float) - was)[paid], minlength=n_months * n_months).astype(float)
    logos = np.cumsum(logos.reshape(n_months, n_months), axis=1)
    if basis == "logo":
        totals = logos
    else:
        # Each cohort's MRR, month by month, summed customer by customer as the table was.
        totals = np.zeros((n_months, n_months))
        for j, level in enumerate(_month_ends(cm)):
            earning = np.flatnonzero(level)  # a 0 adds nothing to a sum
            totals[:, j] = np.bincount(cohort_of[earning], weights=level[earning], minlength=n_months)
    size = np.diag(totals).copy()
    by_age = np.full((n_months, n_months), np.nan)
    for c in range(n_months):
        by_age[c, : n_months - c] = totals[c, c:]
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = by_age / size[:, None]
    present = size > 0
    out = pd.DataFrame(shares[present], index=pd.PeriodIndex(cm.months[present], name="cohort"))
    out.insert(0, "size", size[present])
    return out
