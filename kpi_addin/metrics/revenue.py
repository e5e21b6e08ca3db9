"""Revenue KPIs: MRR, ARR, ARPU, revenue churn, NRR, GRR and the SaaS quick ratio.

Money is in the reporting currency, rates are fractions (0.05 = 5 %).  Each function
takes plain numbers or aligned pandas Series; see :mod:`kpi_addin.metrics._core` for
the undefined (``nan``) and error conventions.
"""

from __future__ import annotations

from ._core import NumberOrSeries, check_count, check_not_above, check_number, divide

__all__ = [
    "annual_recurring_revenue",
    "average_revenue_per_user",
    "gross_revenue_retention",
    "monthly_recurring_revenue",
    "net_new_mrr",
    "net_revenue_retention",
    "revenue_churn_rate",
    "saas_quick_ratio",
]


def monthly_recurring_revenue(customers: NumberOrSeries, avg_revenue_per_customer: NumberOrSeries) -> NumberOrSeries:
    """MRR in its simple form: paying customers × average monthly revenue per customer.

    Formula: ``customers * avg_revenue_per_customer`` (money per month).
    Edge cases: negative inputs raise :class:`KPINumError`.

    Examples
    --------
    >>> monthly_recurring_revenue(120, 49.5)
    5940.0
    """
    customers = check_count("customers", customers)
    arpc = check_number("avg_revenue_per_customer", avg_revenue_per_customer, minimum=0)
    return customers * arpc


def annual_recurring_revenue(mrr: NumberOrSeries) -> NumberOrSeries:
    """ARR = MRR × 12 (money per year).

    Edge cases: a negative or text MRR raises :class:`KPINumError` / :class:`KPIValueError`.

    Examples
    --------
    >>> annual_recurring_revenue(5940)
    71280.0
    """
    return check_number("mrr", mrr, minimum=0) * 12


def average_revenue_per_user(revenue: NumberOrSeries, customers: NumberOrSeries) -> NumberOrSeries:
    """ARPU / ARPA = revenue / customers (money per customer per month when revenue is MRR).

    Edge cases: no customers → undefined (``nan``, Excel ``#DIV/0!``).

    Examples
    --------
    >>> average_revenue_per_user(5940, 120)
    49.5
    """
    revenue = check_number("revenue", revenue, minimum=0)
    customers = check_count("customers", customers)
    return divide(revenue, customers)


def revenue_churn_rate(mrr_lost: NumberOrSeries, mrr_at_start: NumberOrSeries) -> NumberOrSeries:
    """Gross MRR churn rate = MRR lost to cancellations and downgrades / MRR at the start.

    ``mrr_lost`` is churned MRR + contraction MRR of the period; the start is the
    previous month end.  Fraction per month.
    Edge cases: start MRR 0 → undefined; lost above start → :class:`KPINumError`.

    Examples
    --------
    >>> revenue_churn_rate(300, 10_000)
    0.03
    """
    lost = check_number("mrr_lost", mrr_lost, minimum=0)
    start = check_number("mrr_at_start", mrr_at_start, minimum=0)
    check_not_above("mrr_lost", lost, "mrr_at_start", start)
    return divide(lost, start)


def _movements(
    new_mrr: NumberOrSeries,
    expansion_mrr: NumberOrSeries,
    reactivation_mrr: NumberOrSeries,
    contraction_mrr: NumberOrSeries,
    churned_mrr: NumberOrSeries,
) -> tuple[NumberOrSeries, NumberOrSeries]:
    """(MRR gained, MRR lost) of a period's movements, each checked to be 0 or more."""
    gained = (
        check_number("new_mrr", new_mrr, minimum=0)
        + check_number("expansion_mrr", expansion_mrr, minimum=0)
        + check_number("reactivation_mrr", reactivation_mrr, minimum=0)
    )
    lost = check_number("contraction_mrr", contraction_mrr, minimum=0) + check_number(
        "churned_mrr", churned_mrr, minimum=0
    )
    return gained, lost


def net_new_mrr(
    new_mrr: NumberOrSeries,
    expansion_mrr: NumberOrSeries,
    reactivation_mrr: NumberOrSeries,
    contraction_mrr: NumberOrSeries,
    churned_mrr: NumberOrSeries,
    fx_mrr: NumberOrSeries = 0.0,
) -> NumberOrSeries:
    """Net new MRR = new + expansion + reactivation − contraction − churned + FX impact (end − start MRR).

    ``fx_mrr`` (any sign) is the change due to exchange rates alone (0 in one currency).

    Examples
    --------
    >>> net_new_mrr(1000, 500, 100, 150, 250)
    1200.0
    >>> net_new_mrr(1000, 500, 100, 150, 250, -30)
    1170.0
    """
    gained, lost = _movements(new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr)
    return gained - lost + check_number("fx_mrr", fx_mrr)


def net_revenue_retention(
    mrr_at_start: NumberOrSeries,
    expansion: NumberOrSeries,
    contraction: NumberOrSeries,
    churned: NumberOrSeries,
    fx: NumberOrSeries = 0.0,
) -> NumberOrSeries:
    """NRR = (start MRR + expansion − contraction − churned + FX impact) / start MRR.

    Reactivation and new MRR are excluded: NRR measures the customers you started
    with.  FX impact (``fx``, any sign: the change of those customers' MRR due to
    exchange rates alone) counts as their change.  A fraction that can exceed 1.
    Start MRR 0 → undefined.

    Examples
    --------
    >>> net_revenue_retention(10_000, 800, 200, 300)
    1.03
    >>> net_revenue_retention(10_000, 800, 200, 300, -100)
    1.02
    """
    start = check_number("mrr_at_start", mrr_at_start, minimum=0)
    expansion = check_number("expansion", expansion, minimum=0)
    contraction = check_number("contraction", contraction, minimum=0)
    churned = check_number("churned", churned, minimum=0)
    fx = check_number("fx", fx)
    # Contraction is valued at this month's rate, so with FX it may exceed the start; the kept MRR may not go below 0.
    check_not_above(
        "contraction + churned", contraction + churned, "mrr_at_start + expansion + fx", start + expansion + fx
    )
    return divide(start + expansion - contraction - churned + fx, start)


def gross_revenue_retention(
    mrr_at_start: NumberOrSeries, contraction: NumberOrSeries, churned: NumberOrSeries
) -> NumberOrSeries:
    """GRR = (start MRR − contraction − churned) / start MRR, between 0 and 1.

    In the monthly KPIs ``contraction`` is the customers' falls with their FX part
    included (``net_contraction_mrr``): each customer's whole change counts, as in NRR.

    Edge cases: start MRR 0 → undefined; losses above the start → :class:`KPINumError`.

    Examples
    --------
    >>> gross_revenue_retention(10_000, 200, 300)
    0.95
    """
    start = check_number("mrr_at_start", mrr_at_start, minimum=0)
    contraction = check_number("contraction", contraction, minimum=0)
    churned = check_number("churned", churned, minimum=0)
    check_not_above("contraction + churned", contraction + churned, "mrr_at_start", start)
    return divide(start - contraction - churned, start)


def saas_quick_ratio(
    new_mrr: NumberOrSeries,
    expansion_mrr: NumberOrSeries,
    reactivation_mrr: NumberOrSeries,
    contraction_mrr: NumberOrSeries,
    churned_mrr: NumberOrSeries,
) -> NumberOrSeries:
    """SaaS quick ratio = (new + expansion + reactivation) / (contraction + churned).

    Growth bought per unit of revenue lost; above 4 is usually called efficient.
    No lost MRR → undefined (an infinite ratio is not a number to chart).

    Examples
    --------
    >>> saas_quick_ratio(1000, 500, 100, 150, 250)
    4.0
    """
    gained, lost = _movements(new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr)
    return divide(gained, lost)
