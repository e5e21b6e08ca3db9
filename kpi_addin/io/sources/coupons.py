"""Stripe's coupon rule, ``--stripe-coupons forever-only``, for the invoices export
(:mod:`.stripe_invoices`): where we read what was billed, Stripe's MRR lowers only for a
``forever`` coupon."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..problems import Problem
from .base import Export

#: The duration of an invoice's coupon (``once``, ``repeating`` or ``forever``): not in the
#: Dashboard's export; a Sigma query selects it from ``coupons.duration``.
COUPON_DURATION = ("coupon_duration", "discount_coupon_duration", "applied_coupon_duration", "duration")
DURATIONS = ("once", "repeating", "forever")


def forever_only(export: Export, discount: pd.Series, discount_col: str) -> tuple[pd.Series, list[Problem]]:
    """``--stripe-coupons forever-only``, Stripe's MRR: a discount lowers MRR only when its
    coupon is ``forever``; a ``once`` or ``repeating`` one leaves MRR at the price before it
    (https://support.stripe.com/questions/billing-analytics).  The duration comes from a
    Coupon Duration column; a discount without one is an error at its cell."""
    column = export.has(*COUPON_DURATION)
    duration = export.text(column).str.strip().str.lower() if column else pd.Series("", index=discount.index)
    discounted = discount.fillna(0.0) != 0
    unknown = discounted & ~duration.isin(DURATIONS)
    problems = []
    for position in np.flatnonzero(unknown.to_numpy())[:10]:
        if column:
            written = export.text(column).iloc[position]
            said = f"{written!r} is not a coupon duration" if written else "the coupon duration is blank"
            said += " (once, repeating or forever; --stripe-coupons forever-only)"
            problems.append(export.problem(said, column, int(position)))
        else:
            problems.append(
                export.problem(
                    "--stripe-coupons forever-only needs each coupon's duration: add a Coupon Duration column "
                    "(once, repeating or forever: Stripe's coupons.duration)",
                    discount_col or None,
                    int(position),
                )
            )
    return discount.where(duration == "forever", 0.0), problems
