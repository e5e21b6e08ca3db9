"""Customer KPIs: churn, annualised churn, retention (CRR), lifetime and NPS."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ._core import (
    KPIValueError,
    NumberOrSeries,
    check_count,
    check_not_above,
    check_number,
    divide,
)

__all__ = [
    "DETRACTOR_MAX",
    "PROMOTER_MIN",
    "annualized_churn",
    "customer_churn_rate",
    "customer_lifetime_months",
    "customer_retention_rate",
    "net_promoter_score",
    "nps_from_counts",
]


#: NPS cut-offs on the 0–10 scale: promoters answer 9 or 10, detractors 0 to 6.
PROMOTER_MIN = 9
DETRACTOR_MAX = 6


def customer_churn_rate(lost_customers: NumberOrSeries, customers_at_start: NumberOrSeries) -> NumberOrSeries:
    """Customer (logo) churn rate = customers lost in the period / paying customers at its start.

    Monthly: churned customers of month M / paying customers at the end of M−1.
    Fraction.  Edge cases: no customers at the start → undefined (``#DIV/0!``);
    more lost than there were → :class:`KPINumError`.

    Examples
    --------
    >>> customer_churn_rate(3, 200)
    0.015
    """
    lost = check_count("lost_customers", lost_customers)
    start = check_count("customers_at_start", customers_at_start)
    check_not_above("lost_customers", lost, "customers_at_start", start)
    return divide(lost, start)


def annualized_churn(monthly_rate: NumberOrSeries) -> NumberOrSeries:
    """Annualised churn = 1 − (1 − monthly churn)^12 (compounded, not × 12); a fraction.

    Edge cases: a rate outside 0..1 raises :class:`KPINumError`; an undefined rate stays undefined.

    Examples
    --------
    >>> round(annualized_churn(0.02), 6)
    0.215283
    """
    rate = check_number("monthly_rate", monthly_rate, minimum=0, maximum=1)
    return 1 - (1 - rate) ** 12


def customer_lifetime_months(churn_rate: NumberOrSeries) -> NumberOrSeries:
    """Average customer lifetime in months = 1 / monthly churn rate; churn 0 → undefined.

    Examples
    --------
    >>> customer_lifetime_months(0.04)
    25.0
    """
    rate = check_number("churn_rate", churn_rate, minimum=0, maximum=1)
    return divide(1.0, rate)


def customer_retention_rate(
    customers_at_end: NumberOrSeries,
    customers_gained: NumberOrSeries,
    customers_at_start: NumberOrSeries,
) -> NumberOrSeries:
    """CRR = (customers at end − customers gained in the period) / customers at start.

    Customers gained are new plus reactivated customers.  Fraction between 0 and 1;
    no customers at the start → undefined.

    Examples
    --------
    >>> customer_retention_rate(210, 15, 200)
    0.975
    """
    end = check_count("customers_at_end", customers_at_end)
    gained = check_count("customers_gained", customers_gained)
    start = check_count("customers_at_start", customers_at_start)
    check_not_above("customers_gained", gained, "customers_at_end", end)
    return divide(end - gained, start)


def net_promoter_score(scores: Iterable[object] | pd.Series) -> float:
    """NPS = % promoters (9–10) − % detractors (0–6), on a −100..100 scale.

    Blanks (``None``/``nan``) are ignored; any other value must be a whole number
    from 0 to 10.  No answers → undefined.

    Examples
    --------
    >>> net_promoter_score([10, 9, 8, 7, 3, None])
    20.0
    """
    values = pd.Series(list(scores) if not isinstance(scores, pd.Series) else scores, dtype=object)
    values = values[~values.map(lambda v: v is None or (isinstance(v, float) and np.isnan(v)))]
    for position, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise KPIValueError(
                "scores",
                f"answer {position + 1 if isinstance(position, int) else position} ({value!r}) is not a number",
            )
    numbers = check_number("scores", values.astype(float).to_numpy(), minimum=0, maximum=10, integer=True)
    answers = np.asarray(numbers, dtype=float)
    promoters, detractors = int((answers >= PROMOTER_MIN).sum()), int((answers <= DETRACTOR_MAX).sum())
    return float(nps_from_counts(promoters, detractors, len(answers)))  # type: ignore[arg-type]  # counts in, a float out


def nps_from_counts(promoters: NumberOrSeries, detractors: NumberOrSeries, answers: NumberOrSeries) -> NumberOrSeries:
    """NPS from counts: 100 × (promoters − detractors) / answers; no answers → undefined.

    Examples
    --------
    >>> nps_from_counts(2, 1, 5)
    20.0
    """
    promoters = check_count("promoters", promoters)
    detractors = check_count("detractors", detractors)
    answers = check_count("answers", answers)
    check_not_above("promoters + detractors", promoters + detractors, "answers", answers)
    return divide(100.0 * (promoters - detractors), answers)
