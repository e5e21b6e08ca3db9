"""Stripe: the Dashboard's subscriptions CSV export (Billing → Subscriptions → Export).

Columns as the Dashboard writes them (``id``, ``Customer ID``, ``Customer Name``, ``Plan``,
``Quantity``, ``Currency``, ``Interval``, ``Amount``, ``Status``, ``Start (UTC)`` or ``Start
Date (UTC)``, ``Current Period End (UTC)``, ``Trial End (UTC)``, ``Canceled At (UTC)``,
``Cancel At Period End``, ``Ended At (UTC)``; ``Interval Count`` when present).  Field
meanings and statuses follow Stripe's Subscription object:
https://docs.stripe.com/api/subscriptions/object

Amounts are in currency units (49.00), as the Dashboard shows them.

**Unpaid is not MRR** (Stripe: "When a subscriber's subscription is canceled or marked as
unpaid, then the subscription is considered churn and no longer counts towards MRR",
https://docs.stripe.com/billing/subscriptions/analytics/glossary; "we consider a
subscription delinquent at the time the following invoice is generated and automatically
closed", https://support.stripe.com/questions/billing-analytics): an ``unpaid``
subscription stops counting at its status date when the export has one (``Status Date``,
``Unpaid At``), else at its ``Current Period Start`` — the start of the period whose
invoice was not paid.  ``past_due`` stays MRR until it ends (Stripe counts it).

**A cancellation counts when the paid period ends** (``Cancel At Period End``: at the
``Current Period End``; canceled: at ``Ended At``).  Stripe's own MRR stops counting "after
the time of the API call" that schedules it
(https://support.stripe.com/questions/impact-of-subscription-cancellations-on-monthly-recurring-revenue-mrr-in-billing);
``--stripe-cancel immediately`` (``export.rules["stripe_cancel"]``) applies that rule:
``Canceled At`` first.
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

#: A subscriptions export holds each subscription at its current price only.
SNAPSHOT_WARNING = (
    "{file}: a subscriptions export is a snapshot: each subscription at its current price, so an "
    "upgrade or downgrade counts as if that price had been paid from the start. Its history is in "
    "the invoices export (Billing → Invoices → Export; read it with --source stripe-invoices)"
)
LIVE = {"active", "past_due", "trialing"}
#: Delinquent at the end of dunning: churn from the unpaid period's start (Stripe's rule).
UNPAID = {"unpaid"}
ENDED = {"canceled"}
NEVER_PAID = {"incomplete", "incomplete_expired", "paused"}

#: The one table of Stripe's columns: read through it, and every message points through it.
ALIASES = Aliases(
    {
        "customer_id": ("customer_id",),
        "customer_name": ("customer_name", "customer_description", "customer_email"),
        "plan": ("plan", "product", "price"),
        "amount": ("amount",),
        "interval": ("interval",),
        "interval_count": ("interval_count",),
        "quantity": ("quantity",),
        "currency": ("currency",),
        "status": ("status",),
        "start": ("start_date_utc", "start_utc", "created_utc"),
        "period_start": ("current_period_start_utc",),
        "period_end": ("current_period_end_utc",),
        "status_date": ("status_date_utc", "status_date", "unpaid_at_utc", "unpaid_at", "status_changed_at_utc"),
        "trial_end": ("trial_end_utc",),
        "canceled_at": ("canceled_at_utc",),
        "cancel_at_period_end": ("cancel_at_period_end",),
        "ended_at": ("ended_at_utc",),
    },
    required=("customer_id", "amount", "interval", "status", "start", "period_end"),
)


def convert(export: Export) -> Converted:
    status = export.text("status").str.lower()
    problems = status_problems(status, LIVE | UNPAID | ENDED | NEVER_PAID, export, "status")
    interval, divisor, found = intervals(
        export.text("interval"), export.text("interval_count"), export, "interval", "interval_count"
    )
    problems += found
    at_period_end = export.text("cancel_at_period_end").str.lower().isin(["true", "yes", "1"])
    period_end = export.text("period_end")
    # canceled at period end: stops at the period end; canceled outright: stops when it ended
    # (Ended At, else Canceled At, else — with a note — the period end the export gives)
    renewing_end = status.isin(LIVE) & at_period_end
    ended = status.isin(ENDED)
    ended_at, canceled_at = ("ended_at", export.text("ended_at")), ("canceled_at", export.text("canceled_at"))
    # --stripe-cancel immediately (Stripe's MRR): a cancellation counts when it was made
    immediately = export.rules.get("stripe_cancel") == "immediately"
    order = [canceled_at, ended_at] if immediately else [ended_at, canceled_at]
    end, end_source = first_of(export, ended, [*order, ("period_end", period_end)])
    scheduled, scheduled_source = first_of(
        export, renewing_end, [canceled_at, ("period_end", period_end)] if immediately else [("period_end", period_end)]
    )
    end = end.where(~renewing_end, scheduled)
    end_source = end_source.where(~renewing_end, scheduled_source)
    unpaid = status.isin(UNPAID)
    unpaid_end, unpaid_source = first_of(
        export, unpaid, [("status_date", export.text("status_date")), ("period_start", export.text("period_start"))]
    )
    end, end_source = end.where(~unpaid, unpaid_end), end_source.where(~unpaid, unpaid_source)
    notes: list[str] = []
    if unpaid.any():
        notes.append(
            ExportWarning(
                f"{export.label}: {int(unpaid.sum())} unpaid subscription(s) are not MRR from their "
                "status date, else their Current Period Start (Stripe counts unpaid as churn)"
            )
        )
    problems += require_dates(
        export, unpaid, unpaid_end, "status", "period_start", "give the start of the unpaid period"
    )
    fallback = ended & (end_source == "period_end")
    if fallback.any():
        notes.append(
            f"{export.label}: {int(fallback.sum())} canceled subscription(s) with no Ended At or Canceled At "
            "end at their Current Period End"
        )
    problems += require_dates(export, ended, end, "status", "ended_at", "give the date it ended")
    problems += require_dates(
        export, status == "trialing", export.text("trial_end"), "status", "trial_end", "give the trial's end"
    )
    columns = {
        "customer_id": export.text("customer_id"),
        "customer_name": export.text("customer_name"),
        "plan": export.text("plan"),
        "amount": amounts(export.text("amount"), cents=False, per=divisor, export=export, role="amount"),
        "interval": interval,
        "quantity": export.text("quantity"),
        "currency": export.text("currency").str.upper(),
        "start_date": export.text("start"),
        "end_date": end,
        # a trial earns nothing, whatever the status is now (a past trial is simply over)
        "trial_end": export.text("trial_end"),
    }
    sources: dict[str, str | pd.Series | None] = {name: name for name in columns}
    sources.update({"start_date": "start", "end_date": end_source})
    keep = ~status.isin(NEVER_PAID)
    notes += left_out_note(export, keep, "subscription(s) never paid (incomplete, incomplete_expired or paused) are")
    notes.append(ExportWarning(SNAPSHOT_WARNING.format(file=export.label)))
    return canonical_sheet(export, columns, sources, keep), problems, notes


LAYOUT = Layout.from_aliases(
    "stripe",
    "Stripe subscriptions export",
    "https://docs.stripe.com/api/subscriptions/object",
    ALIASES,
    convert,
)
