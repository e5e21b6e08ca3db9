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

Everything is vectorised over subscriptions and customers; the only Python loop
runs over months.
"""

from __future__ import annotations

from dataclasses import dataclass

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

#: Most months the customer × month matrix may hold before we ask for an as_of.
MAX_MATRIX_CELLS = 400_000_000


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
    """Months since 1970-01 for datetime values (``NaT`` → ``-2**62``)."""
    arr = np.asarray(values, dtype="datetime64[ns]")
    months = arr.astype("datetime64[M]").astype(np.int64)
    return np.where(np.isnat(arr), np.int64(-(2**62)), months)


def period_of(month: int) -> pd.Period:
    """The calendar month ``month`` months after 1970-01."""
    return pd.Period(year=1970 + month // 12, month=month % 12 + 1, freq="M")


def number_of(period: pd.Period) -> int:
    """Months since 1970-01 of a monthly period."""
    return (period.year - 1970) * 12 + period.month - 1


@dataclass(frozen=True)
class CustomerMRR:
    """Month-end MRR per customer: ``mrr[i, j]`` for ``customer_ids[i]`` and ``months[j]``.

    Values are in the reporting currency, sub-unit amounts (below one cent) are 0.
    """

    months: pd.PeriodIndex
    customer_ids: np.ndarray
    mrr: np.ndarray
    reporting_currency: str

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame: one row per customer, one column per month."""
        return pd.DataFrame(self.mrr, index=pd.Index(self.customer_ids, name="customer_id"), columns=self.months)

    def mrr_at(self, month: pd.Period) -> pd.Series:
        """Month-end MRR of each paying customer at ``month``.

        Index ``customer_id``, values in the reporting currency.  Only customers with
        MRR above 0 at that month end are listed (sub-unit MRR is 0, so not listed);
        a month outside :attr:`months` gives an empty Series.

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
        column = self.mrr[:, j]
        paying = column > 0
        return pd.Series(column[paying], index=pd.Index(self.customer_ids[paying], name="customer_id"), name="mrr")

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
        mrr = self.mrr
        changed = np.empty(mrr.shape, dtype=bool)
        changed[:, 0] = mrr[:, 0] != 0
        np.not_equal(mrr[:, 1:], mrr[:, :-1], out=changed[:, 1:])
        rows, cols = np.nonzero(changed)
        before = np.where(cols > 0, mrr[rows, np.maximum(cols - 1, 0)], 0.0)
        return pd.DataFrame(
            {
                "month": self.months[cols],
                "customer_id": self.customer_ids[rows],
                "mrr_before": before,
                "mrr_after": mrr[rows, cols],
            }
        )


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
    if n_customers * n_months > MAX_MATRIX_CELLS:
        raise KPIInputError(
            "as_of",
            f"the data spans {n_months} months ({period_of(first)} to {period_of(last)}) for "
            f"{n_customers} customers, too many to report at once; set a later start or an earlier as_of",
        )
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
    if foreign.any():
        rates = _rate_table(np.asarray(foreign_names), first, n_months, fx_rates)
        for k, name in enumerate(foreign_names):
            rows = foreign & (currency_codes == list(map(str, currency_names)).index(name))
            owners, local_codes = np.unique(customer_codes[rows], return_inverse=True)
            local = _accumulate(local_codes, begin[rows], finish[rows], value[rows], len(owners), n_months)
            missing = np.isnan(rates[k]) & (np.abs(local) > 1e-9).any(axis=1)  # noise is not MRR
            if missing.any():
                raise KPIInputError("fx_rates", _missing_rates_message(name, np.flatnonzero(missing) + first))
            by_month[:, owners] += local * np.nan_to_num(rates[k])[:, None]
    # MRR below half a cent is no MRR: that customer is not paying.
    for row in by_month:
        row[to_units(row, currency_code) <= 0] = 0.0
    matrix = by_month.T
    months = pd.period_range(period_of(first), periods=n_months, freq="M", name="month")
    return CustomerMRR(
        months=months, customer_ids=np.asarray(customer_ids), mrr=matrix, reporting_currency=currency_code
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
    mrr = cm.mrr
    _n_customers, n_months = mrr.shape
    paying = mrr > 0  # sub-unit MRR is already 0
    totals = mrr.sum(axis=0)
    customers = paying.sum(axis=0)
    first_paying = np.where(paying.any(axis=1), paying.argmax(axis=1), n_months)
    # Only cells where a customer's MRR differs from the month before can hold a movement.
    changed = np.empty_like(paying)
    changed[:, 0] = mrr[:, 0] != 0
    np.not_equal(mrr[:, 1:], mrr[:, :-1], out=changed[:, 1:])
    rows, cols = np.nonzero(changed)
    del changed
    cur = mrr[rows, cols]
    prev = np.where(cols > 0, mrr[rows, np.maximum(cols - 1, 0)], 0.0)
    cur_units, prev_units = to_units(cur, cm.reporting_currency), to_units(prev, cm.reporting_currency)
    was, now = prev_units > 0, cur_units > 0
    gained = now & ~was
    new = gained & (cols == first_paying[rows])
    reactivated = gained & ~new
    churned = was & ~now
    stayed = was & now
    # A relative change below 1e-9 is floating-point noise from the cumulative sum, not money.
    delta = np.where(stayed & (np.abs(cur - prev) > 1e-9 * np.maximum(cur, prev)), cur - prev, 0.0)

    def per_month(mask: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        w = None if weights is None else weights[mask]
        return np.bincount(cols[mask], weights=w, minlength=n_months)

    bridge = pd.DataFrame(
        {
            "start_mrr": np.concatenate([[0.0], totals[:-1]]),
            "new_mrr": per_month(new, cur),
            "expansion_mrr": per_month(delta > 0, delta),
            "reactivation_mrr": per_month(reactivated, cur),
            "contraction_mrr": per_month(delta < 0, -delta),
            "churned_mrr": per_month(churned, prev),
            "mrr": totals,
            "start_customers": np.concatenate([[0], customers[:-1]]),
            "new_customers": per_month(new),
            "expanded_customers": per_month(stayed & (cur_units > prev_units)),
            "reactivated_customers": per_month(reactivated),
            "contracted_customers": per_month(stayed & (cur_units < prev_units)),
            "churned_customers": per_month(churned),
            "customers": customers,
        },
        index=cm.months,
    )
    counts = [c for c in BRIDGE_COLUMNS if c.endswith("customers")]
    bridge[counts] = bridge[counts].astype(np.int64)
    return bridge


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
    paying = cm.mrr > 0  # sub-unit MRR is already 0
    has_paid = paying.any(axis=1)
    cohort = paying.argmax(axis=1)[has_paid]
    n_months = len(cm.months)
    totals = np.zeros((n_months, n_months))  # [cohort, calendar month]
    for j in range(n_months):
        if basis == "logo":
            totals[:, j] = np.bincount(cohort, weights=paying[has_paid, j], minlength=n_months)
        else:
            totals[:, j] = np.bincount(cohort, weights=cm.mrr[has_paid, j], minlength=n_months)
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
