"""The MRR forecast: what the ledger already commits, and a projection from trailing drivers.

Two layers, never mixed with actuals (a forecast month is always after ``as_of``):

* **Committed MRR** — what the ledger already holds for future months, with no new
  business: subscriptions run to their recorded end dates, scheduled changes (a
  subscription recorded to start or end after ``as_of``) take effect, and trials convert
  at their recorded price when they end.  It is the ledger's own MRR bridge for the
  months after ``as_of`` (:func:`committed_bridge`), with exchange rates held at their
  ``as_of`` values.
* **Projected MRR** — the committed flows plus the drivers (:class:`Drivers`), each
  defaulting to its trailing-six-month value (:func:`trailing_drivers`).  Month by
  month, from the start MRR ``S`` (the previous month's projection; actual MRR at
  ``as_of`` for the first)::

      new          = max(committed new MRR,          new_mrr)
      expansion    = max(committed expansion,        expansion_rate   × S)
      reactivation = max(committed reactivation,     reactivation_mrr)
      contraction  = max(committed contraction,      contraction_rate × S)
      churned      = max(committed churned MRR,      churn_rate       × S)
      MRR          = S + new + expansion + reactivation − contraction − churned

  and customers likewise (new and reactivated customers per month, customer churn rate
  × start customers).  The committed flow is what is already known to happen; a driver
  is the pace the trailing months say to expect in total, so the larger of the two is
  taken (a known cancellation is part of the churn the rate expects, never on top of
  it).  With every driver 0 the projection is the committed forecast exactly.

The dashboard's Forecast sheet writes the same arithmetic as Excel formulas over the
driver input cells; :func:`project` is the one definition both follow.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Literal

import numpy as np
import pandas as pd

from ._core import KPIValueError, divide
from .bridge import mrr_bridge
from .company import CompanyData
from .conventions import apply_convention
from .months import month_number, number_of
from .mrr import customer_mrr
from .report import KPIReport

__all__ = [
    "DRIVER_DIRECTIONS",
    "DRIVER_KEYS",
    "FLOW_COLUMNS",
    "SCENARIOS",
    "TRAILING_MONTHS",
    "Drivers",
    "Forecast",
    "build_forecast",
    "committed_bridge",
    "project",
    "scenario_drivers",
    "trailing_drivers",
]

Scenario = Literal["base", "low", "high"]
SCENARIOS: tuple[Scenario, ...] = ("base", "low", "high")
#: How many months the default drivers look back.
TRAILING_MONTHS = 6
#: The committed (and projected) movements per month.
FLOW_COLUMNS = (
    "new_mrr",
    "expansion_mrr",
    "reactivation_mrr",
    "contraction_mrr",
    "churned_mrr",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
)


@dataclass(frozen=True)
class Drivers:
    """The projection's drivers, per month.

    ``new_mrr`` / ``reactivation_mrr`` are money per month, ``new_customers`` /
    ``reactivated_customers`` customers per month; ``expansion_rate``,
    ``contraction_rate`` and ``churn_rate`` are fractions of the month's start MRR
    (``churn_rate``: MRR of customers who leave); ``customer_churn_rate`` a fraction
    of the month's start customers.
    """

    new_mrr: float
    expansion_rate: float
    contraction_rate: float
    churn_rate: float
    reactivation_mrr: float
    new_customers: float
    reactivated_customers: float
    customer_churn_rate: float

    def as_dict(self) -> dict[str, float]:
        return {f.name: float(getattr(self, f.name)) for f in fields(self)}


DRIVER_KEYS: tuple[str, ...] = tuple(f.name for f in fields(Drivers))
#: Which way each driver helps MRR: ``higher`` (more is better) or ``lower``.
DRIVER_DIRECTIONS: dict[str, str] = {
    "new_mrr": "higher",
    "expansion_rate": "higher",
    "contraction_rate": "lower",
    "churn_rate": "lower",
    "reactivation_mrr": "higher",
    "new_customers": "higher",
    "reactivated_customers": "higher",
    "customer_churn_rate": "lower",
}


def _trailing_rows(bridge: pd.DataFrame, as_of: pd.Period, opening_month: pd.Period | None) -> pd.DataFrame:
    rows = bridge.loc[: str(as_of)]
    if opening_month is not None:
        rows = rows[rows.index != opening_month]  # its "new" customers are the opening balance
    rows = rows.iloc[-TRAILING_MONTHS:]
    if rows.empty:
        raise KPIValueError(
            "as_of", f"{as_of} has no month with movements before it to take drivers from (the ledger starts there)"
        )
    return rows


def _monthly_driver_values(rows: pd.DataFrame) -> pd.DataFrame:
    """Each trailing month's own driver values (the rates against that month's start)."""
    start = rows["start_mrr"].astype(float)
    start_customers = rows["start_customers"].astype(float)
    return pd.DataFrame(
        {
            "new_mrr": rows["new_mrr"].astype(float),
            "expansion_rate": divide(rows["expansion_mrr"].astype(float), start),
            "contraction_rate": divide(rows["contraction_mrr"].astype(float), start),
            "churn_rate": divide(rows["churned_mrr"].astype(float), start),
            "reactivation_mrr": rows["reactivation_mrr"].astype(float),
            "new_customers": rows["new_customers"].astype(float),
            "reactivated_customers": rows["reactivated_customers"].astype(float),
            "customer_churn_rate": divide(rows["churned_customers"].astype(float), start_customers),
        },
        index=rows.index,
    )


def trailing_drivers(
    bridge: pd.DataFrame, as_of: pd.Period, opening_month: pd.Period | None = None
) -> tuple[Drivers, Drivers]:
    """``(drivers, variability)`` from the ``TRAILING_MONTHS`` months up to ``as_of``.

    Amounts per month are the mean of those months; each rate is recomputed from its
    summed parts (Σ expansion ÷ Σ start MRR, Σ churned customers ÷ Σ start customers),
    so a small month weighs less, never averaged.  ``variability`` is the sample standard
    deviation of the months' own values (0 with one month).  The opening month (no start)
    is left out.  Edge cases: no month with movements → :class:`KPIValueError`; a
    zero start over the whole window makes that rate 0.

    Examples
    --------
    >>> bridge = pd.DataFrame({"start_mrr": [100.0, 120.0], "new_mrr": [20.0, 10.0],
    ...     "expansion_mrr": [2.0, 0.0], "contraction_mrr": [0.0, 2.2], "churned_mrr": [2.0, 4.4],
    ...     "reactivation_mrr": [0.0, 0.0], "start_customers": [10, 12], "new_customers": [2, 1],
    ...     "reactivated_customers": [0, 0], "churned_customers": [0, 1]},
    ...     index=pd.period_range("2025-01", periods=2, freq="M"))
    >>> drivers, spread = trailing_drivers(bridge, pd.Period("2025-02", "M"))
    >>> drivers.new_mrr, round(drivers.churn_rate, 4), round(drivers.customer_churn_rate, 4)
    (15.0, 0.0291, 0.0455)
    >>> round(spread.new_mrr, 4)
    7.0711
    """
    rows = _trailing_rows(bridge, as_of, opening_month)

    def ratio(part: str, whole: str) -> float:
        total = float(rows[whole].astype(float).sum())
        return float(rows[part].astype(float).sum()) / total if total else 0.0

    drivers = Drivers(
        new_mrr=float(rows["new_mrr"].mean()),
        expansion_rate=ratio("expansion_mrr", "start_mrr"),
        contraction_rate=ratio("contraction_mrr", "start_mrr"),
        churn_rate=ratio("churned_mrr", "start_mrr"),
        reactivation_mrr=float(rows["reactivation_mrr"].mean()),
        new_customers=float(rows["new_customers"].astype(float).mean()),
        reactivated_customers=float(rows["reactivated_customers"].astype(float).mean()),
        customer_churn_rate=ratio("churned_customers", "start_customers"),
    )
    values = _monthly_driver_values(rows)
    spread = {k: float(values[k].std(ddof=1)) if len(values) > 1 else 0.0 for k in DRIVER_KEYS}
    return drivers, Drivers(**{k: 0.0 if math.isnan(v) else v for k, v in spread.items()})


def scenario_drivers(drivers: Drivers, variability: Drivers, scenario: str) -> Drivers:
    """The drivers of ``scenario``: ``base`` as they are; ``low`` moves each driver one
    standard deviation of its own trailing months against MRR (less new business and
    expansion, more contraction and churn), ``high`` one in its favour; never below 0.

    Examples
    --------
    >>> d = Drivers(100.0, 0.01, 0.01, 0.02, 0.0, 2.0, 0.0, 0.03)
    >>> s = Drivers(30.0, 0.005, 0.02, 0.01, 0.0, 1.0, 0.0, 0.01)
    >>> low = scenario_drivers(d, s, "low")
    >>> low.new_mrr, low.expansion_rate, low.contraction_rate, low.churn_rate
    (70.0, 0.005, 0.03, 0.03)
    >>> scenario_drivers(d, s, "high").contraction_rate
    0.0
    """
    if scenario not in SCENARIOS:
        raise KPIValueError("scenario", f"{scenario!r} is not base, low or high")
    if scenario == "base":
        return drivers
    sign = 1.0 if scenario == "high" else -1.0
    moved = {}
    for key in DRIVER_KEYS:
        toward = sign if DRIVER_DIRECTIONS[key] == "higher" else -sign
        moved[key] = max(0.0, getattr(drivers, key) + toward * getattr(variability, key))
    return replace(drivers, **moved)


def _held_rates(fx_rates: pd.DataFrame | None, as_of: pd.Period, last: pd.Period) -> pd.DataFrame | None:
    """``fx_rates`` with each currency's rate of ``as_of`` (or its latest before) held for
    the months after it up to ``last``: a forecast moves no money through exchange rates."""
    if fx_rates is None or fx_rates.empty:
        return fx_rates
    dated = fx_rates[fx_rates["month"].notna()]
    if dated.empty:
        return fx_rates
    months = month_number(dated["month"])
    known = dated[months <= number_of(as_of)]
    if known.empty:
        return fx_rates
    latest = known.assign(_m=month_number(known["month"])).sort_values("_m").groupby("currency").tail(1)
    future = pd.period_range(as_of + 1, last, freq="M").to_timestamp()
    held = pd.DataFrame(
        [(c, r, m) for c, r in zip(latest["currency"], latest["rate"], strict=True) for m in future],
        columns=["currency", "rate", "month"],
    )
    keep = fx_rates[~(fx_rates["month"].notna() & (month_number(fx_rates["month"]) > number_of(as_of)))]
    return pd.concat([keep[["currency", "rate", "month"]], held], ignore_index=True)


def committed_bridge(
    subscriptions: pd.DataFrame,
    *,
    as_of: pd.Period,
    months: int,
    reporting_currency: str = "USD",
    fx_rates: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The ledger's own MRR bridge for the ``months`` months after ``as_of``.

    What the ledger already holds: recorded end dates, subscriptions recorded to start
    later (a scheduled upgrade or downgrade is an end and a start), trials converting at
    their recorded price; no new business.  Exchange rates are held at ``as_of``.
    Columns as :func:`kpi_addin.metrics.mrr.mrr_bridge`; the first row's ``start_mrr`` is
    MRR at ``as_of``.  ``subscriptions`` has the counting convention applied already.

    Examples
    --------
    An annual contract (1,200 a year) ends in April; a monthly plan of 50 is replaced by
    one of 30 from March; a trial converts at 40 when it ends in March:

    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "b", "c"], "amount": [1200.0, 50.0, 30.0, 40.0],
    ...     "interval": ["year", "month", "month", "month"],
    ...     "start_date": pd.to_datetime(["2024-04-15", "2024-06-01", "2025-03-01", "2025-01-20"]),
    ...     "end_date": pd.to_datetime(["2025-04-15", "2025-03-01", None, None]),
    ...     "trial_end": pd.to_datetime([None, None, None, "2025-03-05"])})
    >>> c = committed_bridge(subs, as_of=pd.Period("2025-01", "M"), months=4)
    >>> c[["start_mrr", "new_mrr", "contraction_mrr", "churned_mrr", "mrr", "customers"]]
             start_mrr  new_mrr  contraction_mrr  churned_mrr    mrr  customers
    month
    2025-02      150.0      0.0              0.0          0.0  150.0          2
    2025-03      150.0     40.0             20.0          0.0  170.0          3
    2025-04      170.0      0.0              0.0        100.0   70.0          2
    2025-05       70.0      0.0              0.0          0.0   70.0          2
    """
    if months < 1:
        raise KPIValueError("months", f"{months} must be at least 1")
    last = as_of + months
    cm = customer_mrr(
        subscriptions,
        reporting_currency=reporting_currency,
        fx_rates=_held_rates(fx_rates, as_of, last),
        as_of=last,
    )
    bridge = mrr_bridge(cm)
    return bridge.reindex(pd.period_range(as_of + 1, last, freq="M", name="month")).pipe(_fill_before_first, bridge)


def _fill_before_first(frame: pd.DataFrame, bridge: pd.DataFrame) -> pd.DataFrame:
    """Months before the ledger's first earning month (a ledger that only starts later): nothing."""
    if not frame.isna().any().any():
        return frame
    return frame.fillna(0).astype(bridge.dtypes.to_dict())


def project(start_mrr: float, start_customers: float, committed: pd.DataFrame, drivers: Drivers) -> pd.DataFrame:
    """The projected MRR and customers, month by month (the rule in the module docstring).

    ``committed`` holds the committed flows (:data:`FLOW_COLUMNS`) per forecast month.
    Returns one row per month: ``start_mrr``, each flow, ``mrr``, ``arr``,
    ``net_new_mrr``, ``start_customers``, ``customers``.

    Examples
    --------
    Start 1,000 MRR and 10 customers; new 100 a month (committed 150 in the first),
    expansion 2 %, contraction 1 %, churn 3 % (committed 50 in the second), one new
    customer a month, 10 % customer churn:

    >>> committed = pd.DataFrame(0.0, index=pd.period_range("2025-01", periods=2, freq="M"),
    ...     columns=list(FLOW_COLUMNS))
    >>> committed.loc["2025-01", "new_mrr"] = 150.0
    >>> committed.loc["2025-02", "churned_mrr"] = 50.0
    >>> d = Drivers(100.0, 0.02, 0.01, 0.03, 0.0, 1.0, 0.0, 0.1)
    >>> p = project(1000.0, 10.0, committed, d)
    >>> p[["start_mrr", "new_mrr", "expansion_mrr", "churned_mrr", "mrr", "customers"]].round(2)
             start_mrr  new_mrr  expansion_mrr  churned_mrr     mrr  customers
    month
    2025-01     1000.0    150.0          20.0         30.0  1130.0       10.0
    2025-02     1130.0    100.0          22.6         50.0  1191.3       10.0
    """
    rows = []
    mrr, customers = float(start_mrr), float(start_customers)
    for month, flows in committed.iterrows():
        start = mrr
        new = max(float(flows["new_mrr"]), drivers.new_mrr)
        expansion = max(float(flows["expansion_mrr"]), drivers.expansion_rate * start)
        reactivation = max(float(flows["reactivation_mrr"]), drivers.reactivation_mrr)
        contraction = max(float(flows["contraction_mrr"]), drivers.contraction_rate * start)
        churned = max(float(flows["churned_mrr"]), drivers.churn_rate * start)
        mrr = start + new + expansion + reactivation - contraction - churned
        start_customers_m = customers
        new_c = max(float(flows["new_customers"]), drivers.new_customers)
        react_c = max(float(flows["reactivated_customers"]), drivers.reactivated_customers)
        churn_c = max(float(flows["churned_customers"]), drivers.customer_churn_rate * start_customers_m)
        customers = start_customers_m + new_c + react_c - churn_c
        rows.append(
            {
                "month": month,
                "start_mrr": start,
                "new_mrr": new,
                "expansion_mrr": expansion,
                "reactivation_mrr": reactivation,
                "contraction_mrr": contraction,
                "churned_mrr": churned,
                "mrr": mrr,
                "arr": mrr * 12,
                "net_new_mrr": mrr - start,
                "start_customers": start_customers_m,
                "new_customers": new_c,
                "reactivated_customers": react_c,
                "churned_customers": churn_c,
                "customers": customers,
            }
        )
    out = pd.DataFrame(rows)
    return out.set_index(pd.PeriodIndex(out.pop("month"), freq="M")) if rows else out


def months_to_reach(series: pd.Series, target: float) -> pd.Period | None:
    """The first month whose value reaches ``target`` (at or above), or None."""
    reached = series.index[np.asarray(series >= target)]
    return None if len(reached) == 0 else pd.Period(reached[0], "M")


@dataclass
class Forecast:
    """A forecast from ``as_of``: the committed and the projected layers, month by month.

    ``committed`` is :func:`committed_bridge` (with ``arr`` and ``net_new_mrr``),
    ``projected`` is :func:`project` under ``drivers`` (the ``scenario``'s, from the
    trailing ``base`` drivers and their ``variability``).  ``targets`` lists each MRR or ARR
    target with the month the projection reaches it (None: not within the forecast),
    ``plan_gap`` the projection minus the plan for the planned MRR, ARR and customers of
    the forecast months.
    """

    as_of: pd.Period
    scenario: str
    base: Drivers
    variability: Drivers
    drivers: Drivers
    start_mrr: float
    start_customers: float
    committed: pd.DataFrame
    projected: pd.DataFrame
    targets: list[dict[str, object]]
    plan_gap: pd.DataFrame

    def to_dict(self) -> dict[str, object]:
        """The ``forecast`` object of ``kpi-addin forecast --format json``."""

        def rows(frame: pd.DataFrame, keys: tuple[str, ...], *, counted: bool = False) -> list[dict[str, object]]:
            return [
                {
                    "month": str(m),
                    **{k: _number(r[k], integer=k == "customers" and frame is self.committed) for k in keys},
                }
                for m, r in frame.iterrows()
            ]

        return {
            "from": str(self.as_of),
            "months": len(self.projected),
            "scenario": self.scenario,
            "start_mrr": self.start_mrr,
            "start_customers": _number(self.start_customers, integer=True),
            "drivers": self.drivers.as_dict(),
            "base_drivers": self.base.as_dict(),
            "driver_variability": self.variability.as_dict(),
            "committed": rows(self.committed, OUTPUT_KEYS, counted=True),
            "projected": rows(self.projected, OUTPUT_KEYS),
            "targets": list(self.targets),
            "plan_gap": [
                {"month": str(m), **{k: _number(r[k]) for k in self.plan_gap.columns}}
                for m, r in self.plan_gap.iterrows()
            ],
        }


#: The figures of each forecast month in the output.
OUTPUT_KEYS = ("mrr", "arr", "customers", "net_new_mrr", *FLOW_COLUMNS[:5])


def _number(value: object, *, integer: bool = False) -> float | int | None:
    number = float(value)  # type: ignore[arg-type]  # a cell of a numeric frame
    if math.isnan(number):
        return None
    return round(number) if integer else number


def build_forecast(
    report: KPIReport,
    data: CompanyData,
    *,
    months: int = 12,
    scenario: str = "base",
    drivers: dict[str, float] | None = None,
    plan: pd.DataFrame | None = None,
) -> Forecast:
    """The forecast of ``data`` from the report's ``as_of`` for ``months`` months.

    ``drivers`` overrides some drivers of the scenario (by :data:`DRIVER_KEYS` name);
    ``plan`` is a wide plan (:func:`kpi_addin.metrics.plan.select_scenario`) for the gap.
    Targets come from ``data.targets`` (its ``mrr`` and ``arr`` rows).
    """
    base, spread = trailing_drivers(report.bridge, report.as_of, report.opening_month)
    chosen = scenario_drivers(base, spread, scenario)
    if drivers:
        unknown = sorted(set(drivers) - set(DRIVER_KEYS))
        if unknown:
            raise KPIValueError("drivers", f"unknown driver {unknown[0]!r} (known: {', '.join(DRIVER_KEYS)})")
        chosen = replace(chosen, **{k: float(v) for k, v in drivers.items()})
    committed = committed_bridge(
        apply_convention(data.subscriptions, report.convention),
        as_of=report.as_of,
        months=months,
        reporting_currency=report.reporting_currency,
        fx_rates=data.fx_rates,
    )
    start_mrr = float(report.bridge["mrr"].iloc[-1])
    start_customers = float(report.bridge["customers"].iloc[-1])
    committed = committed.assign(arr=committed["mrr"] * 12, net_new_mrr=committed["mrr"] - committed["start_mrr"])
    projected = project(start_mrr, start_customers, committed, chosen)
    targets: list[dict[str, object]] = []
    if data.targets is not None:
        for key, target in zip(data.targets["kpi"], data.targets["target"], strict=True):
            if key in ("mrr", "arr") and not _missing(target):
                reached = months_to_reach(projected[key], float(target))
                targets.append(
                    {"kpi": key, "target": float(target), "reached": None if reached is None else str(reached)}
                )
    gap = pd.DataFrame(index=projected.index)
    if plan is not None:
        for key in ("mrr", "arr", "customers"):
            if key in plan.columns:
                gap[key] = projected[key] - plan[key].reindex(projected.index)
    return Forecast(
        as_of=report.as_of,
        scenario=scenario,
        base=base,
        variability=spread,
        drivers=chosen,
        start_mrr=start_mrr,
        start_customers=start_customers,
        committed=committed,
        projected=projected,
        targets=targets,
        plan_gap=gap,
    )


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
