"""Unit economics: LTV, CLV, CAC, LTV:CAC, CAC payback and cost to serve."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ._core import KPIValueError, NumberOrSeries, check_count, check_number, check_scalar, divide, positive_part

__all__ = [
    "cac_payback_months",
    "cost_to_serve",
    "cost_to_serve_share",
    "customer_acquisition_cost",
    "customer_lifetime_value",
    "gross_margin",
    "lifetime_value",
    "ltv_to_cac",
    "total_cost_to_serve",
]


def lifetime_value(
    arpu: NumberOrSeries, churn_rate: NumberOrSeries, gross_margin: NumberOrSeries = 1.0
) -> NumberOrSeries:
    """LTV = ARPU × gross margin / customer churn rate (money per customer).

    ``arpu`` is monthly revenue per customer, ``churn_rate`` the monthly customer
    churn rate; with the default margin of 1 this is the articles' ARPU / churn.
    Edge cases: churn 0 → undefined (an infinite lifetime); churn above 1 or a
    margin outside 0..1 → :class:`KPINumError`.

    Examples
    --------
    >>> lifetime_value(50, 0.005)
    10000.0
    >>> lifetime_value(50, 0.005, 0.8)
    8000.0
    """
    arpu = check_number("arpu", arpu, minimum=0)
    churn = check_number("churn_rate", churn_rate, minimum=0, maximum=1)
    margin = check_number("gross_margin", gross_margin, minimum=0, maximum=1)
    return divide(arpu * margin, churn)


def customer_lifetime_value(customer_value: NumberOrSeries, avg_lifetime_months: NumberOrSeries) -> NumberOrSeries:
    """CLV = customer value per month × average customer lifetime in months (money per customer).

    Edge cases: an undefined lifetime (churn 0) gives an undefined CLV; negatives → :class:`KPINumError`.

    The lifetime is 1 / churn rate (:func:`customer_lifetime_months`).

    Examples
    --------
    >>> customer_lifetime_value(50, 24)
    1200.0
    """
    value = check_number("customer_value", customer_value, minimum=0)
    lifetime = check_number("avg_lifetime_months", avg_lifetime_months, minimum=0)
    return value * lifetime


def customer_acquisition_cost(
    sales_cost: NumberOrSeries, marketing_cost: NumberOrSeries, new_customers: NumberOrSeries
) -> NumberOrSeries:
    """CAC = (sales cost + marketing cost, people included) / new paying customers.

    Only new customers count (reactivated ones were acquired before).  No new
    customers → undefined.

    Examples
    --------
    >>> customer_acquisition_cost(30_000, 20_000, 25)
    2000.0
    """
    sales = check_number("sales_cost", sales_cost, minimum=0)
    marketing = check_number("marketing_cost", marketing_cost, minimum=0)
    new = check_count("new_customers", new_customers)
    return divide(sales + marketing, new)


def ltv_to_cac(ltv: NumberOrSeries, cac: NumberOrSeries) -> NumberOrSeries:
    """LTV:CAC = LTV / CAC; 3 or more is the usual health mark.  CAC 0 → undefined.

    Examples
    --------
    >>> ltv_to_cac(10_000, 2_000)
    5.0
    """
    return divide(check_number("ltv", ltv, minimum=0), check_number("cac", cac, minimum=0))


def cac_payback_months(cac: NumberOrSeries, arpu: NumberOrSeries, gross_margin: NumberOrSeries = 1.0) -> NumberOrSeries:
    """CAC payback = CAC / (ARPU × gross margin), in months.

    Edge cases: ARPU 0 → undefined; a gross margin of 0 or below (cogs at or above
    revenue) → undefined (never paid back); a margin above 1 → :class:`KPINumError`.

    Examples
    --------
    >>> cac_payback_months(2_000, 50, 0.8)
    50.0
    >>> cac_payback_months(2_000, 50, -0.1)
    nan
    """
    cac = check_number("cac", cac, minimum=0)
    arpu = check_number("arpu", arpu, minimum=0)
    margin = check_number("gross_margin", gross_margin, maximum=1)
    return divide(cac, arpu * positive_part(margin))


def gross_margin(cogs: NumberOrSeries, revenue: NumberOrSeries) -> NumberOrSeries:
    """Gross margin = 1 − COGS / revenue (fraction; negative when COGS exceed revenue).

    Revenue 0 → undefined.

    Examples
    --------
    >>> gross_margin(2_000, 10_000)
    0.8
    """
    cogs = check_number("cogs", cogs, minimum=0)
    revenue = check_number("revenue", revenue, minimum=0)
    return 1 - divide(cogs, revenue)


def cost_to_serve(costs: NumberOrSeries | Iterable[float], paying_customers: NumberOrSeries) -> NumberOrSeries:
    """Cost to serve per paying customer = (customer success + infrastructure and product
    + retention programs) / paying customers.

    ``costs`` is one total or the list of its components (blanks ignored).
    No paying customers → undefined.

    Examples
    --------
    >>> cost_to_serve([3_000, 1_500, 500], 250)
    20.0
    """
    total = total_cost_to_serve(costs)
    customers = check_count("paying_customers", paying_customers)
    return divide(total, customers)


def total_cost_to_serve(costs: NumberOrSeries | Iterable[float]) -> NumberOrSeries:
    """The sum of cost-to-serve components (money per month), blanks ignored.

    Edge cases: all blank → :class:`KPIValueError`; a negative component → :class:`KPINumError`
    naming it (``costs[2]``).

    Examples
    --------
    >>> total_cost_to_serve([3_000, None, 500])
    3500.0
    """
    if isinstance(costs, int | float) or hasattr(costs, "dtype"):
        return check_number("costs", costs, minimum=0)
    components = [c for c in costs if c is not None and not (isinstance(c, float) and np.isnan(c))]
    if not components:
        raise KPIValueError("costs", "is blank; at least one cost is required")
    return sum(check_scalar(f"costs[{i + 1}]", c, minimum=0) for i, c in enumerate(components))


def cost_to_serve_share(total_cost: NumberOrSeries, revenue: NumberOrSeries) -> NumberOrSeries:
    """Cost to serve as a share of revenue = total cost to serve / revenue (fraction).

    Edge cases: revenue 0 → undefined.

    Examples
    --------
    >>> cost_to_serve_share(5_000, 20_000)
    0.25
    """
    return divide(check_number("total_cost", total_cost, minimum=0), check_number("revenue", revenue, minimum=0))
