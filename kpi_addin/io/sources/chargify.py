"""Chargify / Maxio Advanced Billing: its subscriptions export.

Columns follow Maxio's Subscription and Product fields (``id``, ``state``, ``customer_id``
or ``customer_reference``, ``product_name``, ``product_price_in_cents``,
``product_interval`` / ``product_interval_unit``, ``currency``, ``activated_at``,
``canceled_at``, ``expires_at``, ``current_period_ends_at``, ``cancel_at_end_of_period``,
``trial_ended_at``): https://developers.maxio.com/http/advanced-billing-api/api-endpoints/subscriptions
States as documented there: active, past_due, soft_failure, unpaid, trialing,
pending_cancellation (live until the period end), canceled, expired, trial_ended,
on_hold, paused, suspended, awaiting_signup, failed_to_create.
"""

from __future__ import annotations

import pandas as pd

from .base import Converted, Export, Layout, amounts, canonical_sheet, intervals, left_out_note, status_problems

LIVE = {"active", "past_due", "soft_failure", "unpaid", "trialing", "assessing", "pending_renewal"}
AT_PERIOD_END = {"pending_cancellation"}
ENDED = {"canceled", "expired", "trial_ended"}
HELD = {"on_hold", "paused", "suspended"}
LEFT_OUT = {"awaiting_signup", "failed_to_create", "pending"}


def convert(export: Export) -> Converted:
    state_col = export.has("state", "subscription_state")
    state = export.text("state", "subscription_state").str.lower()
    problems = status_problems(state, LIVE | AT_PERIOD_END | ENDED | HELD | LEFT_OUT, export, state_col)
    unit_col = export.has("product_interval_unit", "interval_unit")
    count_col = export.has("product_interval", "interval")
    interval, divisor, found = intervals(
        export.text("product_interval_unit", "interval_unit"),
        export.text("product_interval", "interval"),
        export,
        unit_col,
        count_col,
    )
    problems += found
    amount_col = export.has("product_price_in_cents", "product_price")
    amount = amounts(
        export.text(amount_col) if amount_col else export.text("product_price_in_cents"),
        cents=amount_col == "product_price_in_cents",
        per=divisor,
    )
    period_end, canceled, expires = (
        export.text("current_period_ends_at"),
        export.text("canceled_at"),
        export.text("expires_at"),
    )
    at_end = export.text("cancel_at_end_of_period").str.lower().isin(["true", "yes", "1"])
    end = pd.Series("", index=state.index, dtype=object)
    end = end.where(~(state.isin(AT_PERIOD_END) | (state.isin(LIVE) & at_end)), period_end)
    end = end.where(~state.isin(ENDED), canceled.where(canceled != "", expires.where(expires != "", period_end)))
    end = end.where(~state.isin(HELD), period_end)  # on hold: no MRR after the period it paid for
    start_col = export.has("activated_at", "created_at")
    columns = {
        "customer_id": export.text("customer_id", "customer_reference"),
        "customer_name": export.text("customer_organization", "organization", "customer_email"),
        "plan": export.text("product_name", "product_handle"),
        "amount": amount,
        "interval": interval,
        "currency": export.text("currency", "product_currency").str.upper(),
        "start_date": export.text("activated_at").where(export.text("activated_at") != "", export.text("created_at")),
        "end_date": end,
        "trial_end": export.text("trial_ended_at"),
    }
    sources = {
        "customer_id": export.has("customer_id", "customer_reference"),
        "customer_name": export.has("customer_organization", "organization"),
        "plan": export.has("product_name", "product_handle"),
        "amount": amount_col,
        "interval": unit_col,
        "currency": export.has("currency", "product_currency"),
        "start_date": start_col,
        "end_date": "canceled_at",
        "trial_end": "trial_ended_at",
    }
    keep = ~state.isin(LEFT_OUT)
    notes = left_out_note(export, keep, "subscription(s) never activated are")
    return canonical_sheet(export, columns, sources, keep), problems, notes


LAYOUT = Layout(
    name="chargify",
    title="Chargify / Maxio subscriptions export",
    source="https://developers.maxio.com/http/advanced-billing-api/api-endpoints/subscriptions",
    required=(
        ("customer_id", "customer_reference"),
        ("product_price_in_cents", "product_price"),
        ("product_interval_unit", "interval_unit"),
        ("state", "subscription_state"),
        ("activated_at", "created_at"),
    ),
    convert=convert,
)
