"""From a subscriptions ledger to month-end MRR per customer, the MRR bridge and cohorts.

The conventions (``SPEC.md``), which every layer follows:

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

    @property
    def units(self) -> np.ndarray:
        """MRR at the currency's smallest unit (cents), as whole floats."""
        return np.rint(self.mrr * 10 ** minor_unit_digits(self.reporting_currency))

    def to_frame(self) -> pd.DataFrame:
        """The matrix as a DataFrame: one row per customer, one column per month."""
        return pd.DataFrame(self.mrr, index=pd.Index(self.customer_ids, name="customer_id"), columns=self.months)


def subscription_monthly_value(subscriptions: pd.DataFrame) -> np.ndarray:
    """Normalised monthly value of each subscription in its own currency.

    ``amount × quantity × numerator / denominator`` of :data:`INTERVAL_FACTORS`.

    Examples
    --------
    >>> subs = pd.DataFrame({"amount": [1200.0, 300.0, 10.0], "quantity": [1.0, 2.0, 1.0],
    ...                      "interval": ["year", "quarter", "week"]})
    >>> subscription_monthly_value(subs).round(4).tolist()
    [100.0, 200.0, 43.3333]
    """
    interval = subscriptions["interval"].astype(str).to_numpy()
    unknown = sorted(set(np.unique(interval)) - INTERVAL_FACTORS.keys())
    if unknown:
        raise KPIValueError("interval", f"unknown interval(s) {', '.join(map(repr, unknown))}")
    numerator = np.ones(len(interval))
    denominator = np.ones(len(interval))
    for name, (num, den) in INTERVAL_FACTORS.items():
        mask = interval == name
        numerator[mask] = num
        denominator[mask] = den
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
    customer_codes, customer_ids = pd.factorize(subs["customer_id"].to_numpy()[idx])
    n_customers = len(customer_ids)
    if n_customers * n_months > MAX_MATRIX_CELLS:
        raise KPIInputError(
            "as_of",
            f"the data spans {n_months} months ({period_of(first)} to {period_of(last)}) for "
            f"{n_customers} customers, too many to report at once; set a later start or an earlier as_of",
        )
    a = (first_earning[idx] - first).astype(np.int64)
    lengths = (stop[idx] - first_earning[idx]).astype(np.int64)
    # One row per (subscription, earning month): the month index runs a, a+1, ..., stop-1.
    rep = np.repeat(np.arange(len(idx)), lengths)
    offsets = np.cumsum(lengths) - lengths
    month_rel = np.arange(lengths.sum(), dtype=np.int64) - np.repeat(offsets - a, lengths)
    weights = value[idx][rep]

    if "currency" in subs:
        currency = subs["currency"].to_numpy()[idx]
        foreign = currency != currency_code
        if foreign.any():
            codes, names = pd.factorize(currency)
            rates = _rate_table(np.asarray(names), first, n_months, fx_rates)
            rates[np.asarray(names) == currency_code, :] = 1.0
            row_rates = rates[codes[rep], month_rel]
            missing = np.isnan(row_rates)
            if missing.any():
                raise KPIInputError(
                    "fx_rates", _missing_rates_message(codes[rep][missing], month_rel[missing], names, first)
                )
            weights = weights * row_rates
            del row_rates

    flat = customer_codes[rep] * n_months + month_rel
    del rep, month_rel
    # bincount adds each cell's contributions in subscription order, so a customer whose
    # subscriptions do not change gets bit-identical MRR from month to month.
    matrix = np.bincount(flat, weights=weights, minlength=n_customers * n_months).reshape(n_customers, n_months)
    matrix[np.rint(matrix * 10 ** minor_unit_digits(currency_code)) == 0] = 0.0
    months = pd.period_range(period_of(first), periods=n_months, freq="M", name="month")
    return CustomerMRR(
        months=months, customer_ids=np.asarray(customer_ids), mrr=matrix, reporting_currency=currency_code
    )


def _missing_rates_message(codes: np.ndarray, months: np.ndarray, names: pd.Index, first: int) -> str:
    pairs = pd.DataFrame({"currency": np.asarray(names)[codes], "month": months + first}).drop_duplicates()
    parts = []
    for currency, group in pairs.groupby("currency"):
        listed = [str(period_of(int(m))) for m in sorted(group["month"])]
        shown = ", ".join(listed[:4]) + (f" and {len(listed) - 4} more months" if len(listed) > 4 else "")
        parts.append(f"{currency} in {shown}")
    return (
        "no exchange rate for " + "; ".join(parts) + " (add a row to the fx_rates sheet; rates are never assumed 1:1)"
    )


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
    mrr, units = cm.mrr, cm.units
    n_customers, n_months = mrr.shape
    rows = []
    ever_paid = np.zeros(n_customers, dtype=bool)
    prev = np.zeros(n_customers)
    prev_units = np.zeros(n_customers)
    for j in range(n_months):
        cur, cur_units = mrr[:, j], units[:, j]
        was, now = prev_units > 0, cur_units > 0
        gained = now & ~was
        new, reactivated = gained & ~ever_paid, gained & ever_paid
        churned = was & ~now
        stayed = was & now
        delta = np.where(stayed, cur - prev, 0.0)
        rows.append(
            (
                prev.sum(),
                cur[new].sum(),
                delta[delta > 0].sum(),
                cur[reactivated].sum(),
                (-delta)[delta < 0].sum(),
                prev[churned].sum(),
                cur.sum(),
                int(was.sum()),
                int(new.sum()),
                int((stayed & (cur_units > prev_units)).sum()),
                int(reactivated.sum()),
                int((stayed & (cur_units < prev_units)).sum()),
                int(churned.sum()),
                int(now.sum()),
            )
        )
        ever_paid |= now
        prev, prev_units = cur, cur_units
    bridge = pd.DataFrame(rows, columns=list(BRIDGE_COLUMNS), index=cm.months)
    return bridge


def cohort_retention(cm: CustomerMRR, basis: str = "logo") -> pd.DataFrame:
    """Cohort retention matrix by first paying month.

    ``basis="logo"``: share of the cohort's customers paying k months later.
    ``basis="revenue"``: the cohort's MRR k months later / its MRR in its first
    month (can exceed 1 through expansion).  Rows are cohorts (first paying month),
    column ``size`` holds the cohort's customers (logo) or starting MRR (revenue),
    columns ``0, 1, ...`` the months since joining; cells past the last month are nan.

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
    paying = cm.units > 0
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
