"""Chargify / Maxio Advanced Billing: its subscriptions export.

Columns follow Maxio's Subscription and Product fields (``id``, ``state``, ``customer_id``
or ``customer_reference``, ``product_name``, ``product_price_in_cents``,
``product_interval`` / ``product_interval_unit``, ``currency``, ``activated_at``,
``canceled_at``, ``expires_at``, ``current_period_ends_at``, ``cancel_at_end_of_period``,
``trial_ended_at``): https://developers.maxio.com/http/advanced-billing-api/api-endpoints/subscriptions
States as documented there: active, past_due, soft_failure, unpaid, trialing,
pending_cancellation (live until the period end), canceled, expired, trial_ended,
on_hold, paused, suspended, awaiting_signup, failed_to_create.  ``unpaid`` (dunning ended
without payment) is not MRR from ``current_period_started_at``, the start of the period
that was not paid for, as Stripe counts unpaid
(https://docs.stripe.com/billing/subscriptions/analytics/glossary).
"""

from __future__ import annotations

import pandas as pd

from .base import (
    Aliases,
    Converted,
    Export,
    ExportWarning,
    Layout,
    amounts,
    canonical_sheet,
    first_of,
    intervals,
    left_out_note,
    require_dates,
    status_problems,
)

LIVE = {"active", "past_due", "soft_failure", "trialing", "assessing", "pending_renewal"}
#: Dunning ended without payment: not MRR from the unpaid period's start (Stripe's rule, which
#: the other billing readers share: "canceled or marked as unpaid ... no longer counts towards MRR").
UNPAID = {"unpaid"}
AT_PERIOD_END = {"pending_cancellation"}
ENDED = {"canceled", "expired", "trial_ended"}
HELD = {"on_hold", "paused", "suspended"}
LEFT_OUT = {"awaiting_signup", "failed_to_create", "pending"}

#: The one table of Chargify's columns: read through it, and every message points through it.
ALIASES = Aliases(
    {
        "customer_id": ("customer_id", "customer_reference"),
        "customer_name": ("customer_organization", "organization", "customer_email"),
        "plan": ("product_name", "product_handle"),
        "amount": ("product_price_in_cents", "product_price"),
        "interval": ("product_interval_unit", "interval_unit"),
        "interval_count": ("product_interval", "interval"),
        "currency": ("currency", "product_currency"),
        "status": ("state", "subscription_state"),
        "start": ("activated_at", "created_at"),
        "created_at": ("created_at",),
        "canceled_at": ("canceled_at",),
        "expires_at": ("expires_at",),
        "period_start": ("current_period_started_at",),
        "period_end": ("current_period_ends_at",),
        "cancel_at_end_of_period": ("cancel_at_end_of_period",),
        "trial_end": ("trial_ended_at",),
    },
    required=("customer_id", "amount", "interval", "status", "start"),
)


def convert(export: Export) -> Converted:
    state = export.text("status").str.lower()
    problems = status_problems(state, LIVE | UNPAID | AT_PERIOD_END | ENDED | HELD | LEFT_OUT, export, "status")
    interval, divisor, found = intervals(
        export.text("interval"), export.text("interval_count"), export, "interval", "interval_count"
    )
    problems += found
    cents = export.role("amount") == "product_price_in_cents"
    amount = amounts(export.text("amount"), cents=cents, per=divisor, export=export, role="amount")
    period_end, canceled, expires = export.text("period_end"), export.text("canceled_at"), export.text("expires_at")
    at_end = export.text("cancel_at_end_of_period").str.lower().isin(["true", "yes", "1"])
    to_period_end = state.isin(AT_PERIOD_END) | (state.isin(LIVE) & at_end) | state.isin(HELD)
    ended = state.isin(ENDED)
    end, source = first_of(
        export, ended, [("canceled_at", canceled), ("expires_at", expires), ("period_end", period_end)]
    )
    # pending cancellation and on hold: no MRR after the period already paid for
    end = end.where(~to_period_end, period_end)
    source = source.where(~to_period_end, "period_end")
    unpaid = state.isin(UNPAID)
    period_start = export.text("period_start")
    end, source = end.where(~unpaid, period_start), source.where(~unpaid, "period_start")
    notes: list[str] = []
    if unpaid.any():
        notes.append(
            ExportWarning(
                f"{export.label}: {int(unpaid.sum())} unpaid subscription(s) are not MRR from their "
                "current_period_started_at (unpaid counts as churn, as Stripe counts it)"
            )
        )
    problems += require_dates(
        export, unpaid, period_start, "status", "period_start", "give the start of the unpaid period"
    )
    fallback = ended & (source == "period_end")
    if fallback.any():
        notes.append(
            f"{export.label}: {int(fallback.sum())} ended subscription(s) with no canceled_at or expires_at "
            "end at their current_period_ends_at"
        )
    problems += require_dates(export, ended | to_period_end, end, "status", "canceled_at", "give the date it ends")
    problems += require_dates(
        export, state == "trialing", export.text("trial_end"), "status", "trial_end", "give the trial's end"
    )
    activated = export.text("start")
    created = export.text("created_at")
    start_source = pd.Series("start", index=state.index, dtype=object).where(activated != "", "created_at")
    columns = {
        "customer_id": export.text("customer_id"),
        "customer_name": export.text("customer_name"),
        "plan": export.text("plan"),
        "amount": amount,
        "interval": interval,
        "currency": export.text("currency").str.upper(),
        "start_date": activated.where(activated != "", created),
        "end_date": end,
        "trial_end": export.text("trial_end"),
    }
    sources: dict[str, str | pd.Series | None] = {name: name for name in columns}
    sources.update({"start_date": start_source, "end_date": source})
    keep = ~state.isin(LEFT_OUT)
    notes += left_out_note(export, keep, "subscription(s) never activated are")
    return canonical_sheet(export, columns, sources, keep), problems, notes


LAYOUT = Layout.from_aliases(
    "chargify",
    "Chargify / Maxio subscriptions export",
    "https://developers.maxio.com/http/advanced-billing-api/api-endpoints/subscriptions",
    ALIASES,
    convert,
)
