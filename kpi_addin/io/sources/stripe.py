"""Stripe: the Dashboard's subscriptions CSV export (Billing → Subscriptions → Export).

Columns as the Dashboard writes them (``id``, ``Customer ID``, ``Customer Name``, ``Plan``,
``Quantity``, ``Currency``, ``Interval``, ``Amount``, ``Status``, ``Start (UTC)`` or ``Start
Date (UTC)``, ``Current Period End (UTC)``, ``Trial End (UTC)``, ``Canceled At (UTC)``,
``Cancel At Period End``, ``Ended At (UTC)``; ``Interval Count`` when present).  Field
meanings and statuses follow Stripe's Subscription object:
https://docs.stripe.com/api/subscriptions/object

Amounts are in currency units (49.00), as the Dashboard shows them.
"""

from __future__ import annotations

import pandas as pd

from .base import (
    Converted,
    Export,
    ExportWarning,
    Layout,
    amounts,
    canonical_sheet,
    intervals,
    left_out_note,
    status_problems,
)

#: A subscriptions export holds each subscription at its current price only.
SNAPSHOT_WARNING = (
    "{file}: a subscriptions export is a snapshot: each subscription at its current price, so an "
    "upgrade or downgrade counts as if that price had been paid from the start. Its history is in "
    "the invoices export (Billing → Invoices → Export; read it with --source stripe-invoices)"
)
LIVE = {"active", "past_due", "unpaid", "trialing"}
ENDED = {"canceled"}
NEVER_PAID = {"incomplete", "incomplete_expired", "paused"}


def convert(export: Export) -> Converted:
    status_col = export.has("status")
    status = export.text("status").str.lower()
    problems = status_problems(status, LIVE | ENDED | NEVER_PAID, export, status_col)
    unit_col, count_col = export.has("interval"), export.has("interval_count")
    interval, divisor, found = intervals(
        export.text("interval"), export.text("interval_count"), export, unit_col, count_col
    )
    problems += found
    start_col = export.has("start_date_utc", "start_utc", "created_utc")
    at_period_end = export.text("cancel_at_period_end").str.lower().isin(["true", "yes", "1"])
    ended = export.text("ended_at_utc")
    period_end = export.text("current_period_end_utc")
    canceled = export.text("canceled_at_utc")
    # canceled at period end: stops at the period end; canceled outright: stops when it ended
    end = pd.Series("", index=status.index, dtype=object)
    end = end.where(~(status.isin(LIVE) & at_period_end), period_end)
    end = end.where(~status.isin(ENDED), ended.where(ended != "", canceled))
    end_source = "ended_at_utc" if export.has("ended_at_utc") else "canceled_at_utc"
    columns = {
        "customer_id": export.text("customer_id"),
        "customer_name": export.text("customer_name", "customer_description", "customer_email"),
        "plan": export.text("plan", "product", "price"),
        "amount": amounts(export.text("amount"), cents=False, per=divisor),
        "interval": interval,
        "quantity": export.text("quantity"),
        "currency": export.text("currency").str.upper(),
        "start_date": export.text(start_col) if start_col else export.text("start_utc"),
        "end_date": end,
        # a trial earns nothing, whatever the status is now (a past trial is simply over)
        "trial_end": export.text("trial_end_utc"),
    }
    sources = {
        "customer_id": "customer_id",
        "customer_name": export.has("customer_name", "customer_description"),
        "plan": export.has("plan", "product"),
        "amount": "amount",
        "interval": unit_col,
        "quantity": "quantity",
        "currency": "currency",
        "start_date": start_col,
        "end_date": end_source,
        "trial_end": "trial_end_utc",
    }
    keep = ~status.isin(NEVER_PAID)
    notes = left_out_note(export, keep, "subscription(s) never paid (incomplete, incomplete_expired or paused) are")
    notes.append(ExportWarning(SNAPSHOT_WARNING.format(file=export.label)))
    return canonical_sheet(export, columns, sources, keep), problems, notes


LAYOUT = Layout(
    name="stripe",
    title="Stripe subscriptions export",
    source="https://docs.stripe.com/api/subscriptions/object",
    required=(
        ("customer_id",),
        ("amount",),
        ("interval",),
        ("status",),
        ("start_date_utc", "start_utc"),
        ("current_period_end_utc",),
    ),
    convert=convert,
)
