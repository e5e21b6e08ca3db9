"""Funnel KPIs: stage conversions, customer conversion rate (CCR), PQL conversion."""

from __future__ import annotations

import pandas as pd

from ._core import NumberOrSeries, check_count, check_not_above, divide

__all__ = [
    "conversion_rate",
    "customer_conversion_rate",
    "funnel_conversions",
    "pql_conversion_rate",
]


#: Stage conversions computed by :func:`funnel_conversions`: name → (converted, entered).
STAGE_CONVERSIONS: dict[str, tuple[str, str]] = {
    "visitor_to_lead": ("leads", "visitors"),
    "lead_to_mql": ("mql", "leads"),
    "mql_to_sql": ("sql", "mql"),
    "lead_to_customer": ("new_customers", "leads"),
}


def conversion_rate(converted: NumberOrSeries, total: NumberOrSeries) -> NumberOrSeries:
    """Stage conversion = converted / entered (fraction).  Nobody entered → undefined.

    Examples
    --------
    >>> conversion_rate(40, 800)
    0.05
    """
    converted = check_count("converted", converted)
    total = check_count("total", total)
    check_not_above("converted", converted, "total", total)
    return divide(converted, total)


def customer_conversion_rate(new_customers: NumberOrSeries, visitors: NumberOrSeries) -> NumberOrSeries:
    """CCR = new customers (conversions) / website visitors (fraction).

    Edge cases: no visitors → undefined; negative or fractional counts → :class:`KPINumError`.

    Examples
    --------
    >>> customer_conversion_rate(25, 50_000)
    0.0005
    """
    new = check_count("new_customers", new_customers)
    visitors = check_count("visitors", visitors)
    return divide(new, visitors)


def pql_conversion_rate(paid_pqls: NumberOrSeries, pqls: NumberOrSeries) -> NumberOrSeries:
    """PQL→paid conversion = PQLs that became paying / PQLs (fraction).

    Examples
    --------
    >>> pql_conversion_rate(12, 80)
    0.15
    """
    paid = check_count("paid_pqls", paid_pqls)
    pqls = check_count("pqls", pqls)
    check_not_above("paid_pqls", paid, "pqls", pqls)
    return divide(paid, pqls)


def funnel_conversions(funnel: pd.DataFrame) -> pd.DataFrame:
    """Stage conversions per month for a funnel table indexed by month.

    ``funnel`` holds the counts of the spec's funnel sheet, plus ``new_customers``
    when known.  A blank count leaves the conversions that need it blank.  Stage
    conversions are ratios of counts taken in the same month (a cohort-free view),
    so a stage may exceed its predecessor in a month; such ratios are kept, not
    capped, and are not errors.

    Examples
    --------
    >>> f = pd.DataFrame({"visitors": [1000.0], "leads": [50.0], "mql": [20.0], "sql": [5.0]})
    >>> float(funnel_conversions(f)["visitor_to_lead"].iloc[0])
    0.05
    """
    out = pd.DataFrame(index=funnel.index)
    for name, (converted, entered) in STAGE_CONVERSIONS.items():
        if converted in funnel and entered in funnel:
            out[name] = divide(check_count(converted, funnel[converted]), check_count(entered, funnel[entered]))
    return out
