"""Plan against actual: a monthly plan (budget, reforecast) and each month's variance.

A plan holds, for some months and some keys, the value the company planned.  A key is
any monthly KPI of the registry (``mrr``, ``new_mrr``, ``customers``, ...) or a
cost column (``sales``, ``marketing``, ...); months may run past the data.

Variance of a planned key in a month: ``abs = actual − plan``, ``pct = abs ÷ |plan|``
(undefined when the plan is 0), ``favourable`` when the actual is on the good side of
the plan by the KPI's direction (costs: lower is better); equal is favourable.

Over a quarter or a year (:func:`period_plan`), each key is aggregated as its unit
requires: a flow (money moved or customers counted in the month, costs) is summed, a
level (MRR, ARR, customers, ARPU) is the period's last month, and a rate is recomputed
from its summed parts — the planned rate of each month applied to that month's actual
base (start customers or start MRR), summed, over the summed base; never averaged.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable
from typing import Literal

import pandas as pd

from ._core import KPIValueError
from .catalogue import COST_COLUMNS, MONTHLY_KEYS, REGISTRY
from .company import CompanyData
from .periods import COUNTS, MOVEMENTS, period_kpis
from .report import KPIReport

__all__ = [
    "PLAN_KEYS",
    "check_plan_key",
    "period_plan",
    "plan_direction",
    "plan_variance",
    "select_scenario",
    "selected_plan",
    "variance",
]

#: The keys a plan may hold: every monthly KPI, then the cost columns.
PLAN_KEYS: tuple[str, ...] = (*MONTHLY_KEYS[1:], *COST_COLUMNS)

Aggregation = Literal["sum", "end", "rate"]

#: How a rate is recomputed from parts over a period: its base column in the MRR bridge.
RATE_BASES: dict[str, str] = {"customer_churn_rate": "start_customers", "revenue_churn_rate": "start_mrr"}
#: A planned key's actual over a period, from :data:`kpi_addin.metrics.periods.PERIOD_KEYS`.
_PERIOD_COLUMN: dict[str, str] = {
    "mrr": "end_mrr",
    "arr": "end_arr",
    "customers": "end_customers",
    **{k: k for k in (*MOVEMENTS, *COUNTS)},
    # a monthly churn rate over a period: churned over the mean of the months' starts
    "customer_churn_rate": "customer_churn_on_average",
    "revenue_churn_rate": "revenue_churn_on_average",
}
_LEVELS = frozenset({"mrr", "arr", "customers"})


def plan_direction(key: str) -> Literal["higher", "lower"]:
    """Which side of the plan is favourable: the KPI's direction; a cost is better lower."""
    if key in COST_COLUMNS:
        return "lower"
    return REGISTRY[key].direction or "higher"


def aggregation(key: str) -> Aggregation | None:
    """How ``key`` is carried over a quarter or year; None: a month-only figure."""
    if key in COST_COLUMNS:
        return "sum"
    if key in RATE_BASES:
        return "rate"
    if key in _LEVELS:
        return "end"
    entry = REGISTRY[key]
    taken_as_is = entry.formula is None or entry.taken is not None
    if entry.unit in ("money", "count") and taken_as_is and entry.window is None:
        return "sum"  # a movement or a count of the month (new_mrr, churned_customers, leads)
    return None


def check_plan_key(name: object) -> str:
    """The plan key ``name`` names (case and spaces ignored), else :class:`KPIValueError`
    suggesting the nearest key.

    Examples
    --------
    >>> check_plan_key(" New_MRR ")
    'new_mrr'
    >>> check_plan_key("mmr")
    Traceback (most recent call last):
    ...
    kpi_addin.metrics._core.KPIValueError: plan key: 'mmr' is not a KPI key or cost column (did you mean 'mrr'?)
    """
    key = str(name).strip().lower().replace(" ", "_")
    if key in PLAN_KEYS:
        return key
    near = difflib.get_close_matches(key, PLAN_KEYS, n=1, cutoff=0.5)
    hint = f" (did you mean {near[0]!r}?)" if near else " (a JSON key of kpi-addin metrics, or a costs column)"
    raise KPIValueError("plan key", f"{str(name).strip()!r} is not a KPI key or cost column{hint}")


def select_scenario(plan: pd.DataFrame, scenario: str | None = None) -> tuple[str | None, pd.DataFrame]:
    """``(scenario, wide plan)`` from a long plan (``scenario``, ``month``, ``kpi``, ``value``).

    The first scenario listed is the default; ``scenario`` picks another (unknown:
    :class:`KPIValueError` naming the ones there are).  The wide plan has one row per
    month (a monthly PeriodIndex, sorted) and one column per key planned.  A key with
    no value in a month is nan there (unplanned, not 0).

    Examples
    --------
    >>> long = pd.DataFrame({"scenario": ["budget", "budget", "reforecast"],
    ...     "month": pd.PeriodIndex(["2025-01", "2025-02", "2025-01"], freq="M"),
    ...     "kpi": ["mrr", "mrr", "mrr"], "value": [100.0, 110.0, 95.0]})
    >>> name, wide = select_scenario(long)
    >>> name, wide["mrr"].tolist()
    ('budget', [100.0, 110.0])
    >>> select_scenario(long, "reforecast")[1]["mrr"].tolist()
    [95.0]
    """
    names = list(dict.fromkeys(plan["scenario"].dropna())) if "scenario" in plan else []
    chosen: str | None = None
    rows = plan
    if names:
        if scenario is None:
            chosen = str(names[0])
        else:
            match = [n for n in names if str(n).strip().lower() == scenario.strip().lower()]
            if not match:
                raise KPIValueError("plan scenario", f"{scenario!r} is not in the plan (it has {', '.join(names)})")
            chosen = str(match[0])
        rows = plan[plan["scenario"] == chosen]
    elif scenario is not None:
        raise KPIValueError("plan scenario", f"{scenario!r} was asked for but the plan has no scenario column")
    wide = rows.pivot_table(index="month", columns="kpi", values="value", aggfunc="last", dropna=False)
    wide = wide.reindex(columns=[k for k in PLAN_KEYS if k in wide.columns]).sort_index()
    wide.index = pd.PeriodIndex(wide.index, freq="M", name="month")
    wide.columns.name = None
    return chosen, wide.astype(float)


def selected_plan(data: CompanyData) -> tuple[str | None, pd.DataFrame] | None:
    """``(scenario, wide plan)`` of ``data``'s plan in its ``plan_scenario`` (None: no plan)."""
    if data.plan is None or data.plan.empty:
        if data.plan_scenario is not None:
            raise KPIValueError("plan scenario", f"{data.plan_scenario!r} was asked for but the input has no plan")
        return None
    return select_scenario(data.plan, data.plan_scenario)


def variance(actual: float, plan: float, direction: str) -> dict[str, float | bool | None]:
    """``{"abs", "pct", "favourable"}`` of ``actual`` against ``plan`` (None where undefined).

    Examples
    --------
    >>> variance(110.0, 100.0, "higher")
    {'abs': 10.0, 'pct': 0.1, 'favourable': True}
    >>> variance(0.03, 0.02, "lower")["favourable"], variance(5.0, 0.0, "higher")["pct"]
    (False, None)
    >>> variance(-20.0, -10.0, "higher")
    {'abs': -10.0, 'pct': -1.0, 'favourable': False}
    """
    if _missing(actual) or _missing(plan):
        return {"abs": None, "pct": None, "favourable": None}
    diff = float(actual) - float(plan)
    pct = None if plan == 0 else diff / abs(float(plan))
    good = diff >= 0 if direction == "higher" else diff <= 0
    return {"abs": diff, "pct": pct, "favourable": bool(good)}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def actual_values(monthly: pd.DataFrame, inputs: pd.DataFrame, keys: Iterable[str]) -> pd.DataFrame:
    """The actual of each planned key by month: a monthly KPI, or a cost column of the inputs."""
    out = pd.DataFrame(index=monthly.index)
    for key in keys:
        out[key] = inputs[key] if key in COST_COLUMNS else monthly[key]
    return out.astype(float)


def plan_variance(
    monthly: pd.DataFrame, inputs: pd.DataFrame, plan: pd.DataFrame
) -> dict[str, tuple[dict[str, float | None], dict[str, dict[str, float | bool | None]]]]:
    """For each reported month with a plan: ``(plan values, variances)`` of its planned keys.

    ``monthly`` is the report's monthly table, ``inputs`` its inputs by month (the costs),
    ``plan`` a wide plan (:func:`select_scenario`).  Months of the plan past the report
    are not here (they have no actual).  A month with no plan row is left out.
    """
    actual = actual_values(monthly, inputs, plan.columns)
    out: dict[str, tuple[dict[str, float | None], dict[str, dict[str, float | bool | None]]]] = {}
    for month in monthly.index:
        if month not in plan.index:
            continue
        row = plan.loc[month]
        planned = {k: float(row[k]) for k in plan.columns if not math.isnan(float(row[k]))}
        if not planned:
            continue
        out[str(month)] = (
            dict(planned),
            {k: variance(float(actual[k].loc[month]), v, plan_direction(k)) for k, v in planned.items()},
        )
    return out


def period_plan(report: KPIReport, plan: pd.DataFrame, period: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(plan, actual)`` by calendar quarter or year, for the planned keys that aggregate.

    The actual is :func:`kpi_addin.metrics.periods.period_kpis`' figure where it has one
    (end MRR, ARR and customers, the summed movements, the period's churn rates), else
    the months' costs or funnel counts summed.  The plan is aggregated over the same
    months: flows summed, levels at the period's last reported month, and a churn rate
    recomputed from its parts — each month's planned rate × that month's actual start
    (customers or MRR), summed, ÷ the mean of those starts, as the actual is (the period's
    ``customer_churn_on_average`` / ``revenue_churn_on_average``).  Keys with no
    aggregation (trailing figures, unit economics, NRR/GRR) are left out.  Rows are the
    periods (``2025Q1``), with ``complete`` as in ``period_kpis``.

    Examples
    --------
    >>> from kpi_addin.metrics import CompanyData, ReportSettings, monthly_kpis
    >>> subs = pd.DataFrame({"customer_id": ["a", "b", "c"], "amount": [100.0, 50.0, 80.0],
    ...     "interval": ["month"] * 3,
    ...     "start_date": pd.to_datetime(["2024-12-10", "2024-12-15", "2025-02-03"]),
    ...     "end_date": pd.to_datetime([None, "2025-03-01", None])})
    >>> report = monthly_kpis(CompanyData(subs, settings=ReportSettings(as_of=pd.Period("2025-03", "M"))))
    >>> plan = pd.DataFrame({"new_mrr": [0.0, 100.0, 0.0], "mrr": [150.0, 250.0, 250.0],
    ...     "customer_churn_rate": [0.0, 0.0, 0.5]}, index=pd.period_range("2025-01", periods=3, freq="M"))
    >>> p, a = period_plan(report, plan, "quarter")
    >>> {k: round(v, 4) for k, v in p.loc["2025Q1"].items()}
    {'new_mrr': 100.0, 'mrr': 250.0, 'customer_churn_rate': 0.6429}
    >>> {k: round(v, 4) for k, v in a.loc["2025Q1"].items()}
    {'new_mrr': 80.0, 'mrr': 180.0, 'customer_churn_rate': 0.4286}

    January, February and March start with 2, 2 and 3 customers (7 / 3 on average): the
    plan's 50 % of March's 3 is 1.5 ÷ 7 / 3; the actual, b lost in March, 1 ÷ 7 / 3.
    """
    table = period_kpis(report, period)
    keys = [k for k in plan.columns if aggregation(k) is not None]
    bridge = report.bridge
    actual_by_month = actual_values(report.monthly, report.inputs, keys)
    plan = plan.reindex(report.monthly.index)
    plan_rows, actual_rows = {}, {}
    for label, row in table.iterrows():
        first, last = pd.Period(row["first_month"], "M"), pd.Period(row["last_month"], "M")
        months = report.monthly.index[(report.monthly.index >= first) & (report.monthly.index <= last)]
        moving = months[months != report.opening_month] if report.opening_month is not None else months
        p_row: dict[str, float] = {}
        a_row: dict[str, float] = {}
        for key in keys:
            how = aggregation(key)
            in_bridge = key in _PERIOD_COLUMN
            used = moving if in_bridge else months
            p = plan.loc[used, key]
            a_row[key] = float(row[_PERIOD_COLUMN[key]]) if in_bridge else float(actual_by_month.loc[used, key].sum())
            if len(used) == 0:
                p_row[key] = math.nan
            elif how == "sum":
                p_row[key] = float(p.sum(min_count=len(p)))
            elif how == "end":
                p_row[key] = float(p.iloc[-1])
            else:
                base = bridge.loc[used, RATE_BASES[key]].astype(float)
                average = float(base.mean())
                p_row[key] = float((p * base).sum(min_count=len(p))) / average if average else math.nan
        plan_rows[str(label)], actual_rows[str(label)] = p_row, a_row
    return (
        pd.DataFrame.from_dict(plan_rows, orient="index").reindex(columns=keys).astype(float),
        pd.DataFrame.from_dict(actual_rows, orient="index").reindex(columns=keys).astype(float),
    )
