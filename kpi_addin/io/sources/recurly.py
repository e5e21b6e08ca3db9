"""Recurly: the Subscriptions export (Exports → Subscriptions).

Columns from Recurly's export reference (``account_code``, ``plan_code``, ``plan_name``,
``state``, ``quantity``, ``unit_amount``, ``currency``, ``activated_at``, ``canceled_at``,
``expires_at``, ``current_period_ends_at``, ``trial_ends_at``; the plan's
``plan_interval_length`` / ``plan_interval_unit``; an add-ons total when the export
carries one): https://docs.recurly.com/docs/subscriptions-exports  States as in Recurly's
API: active, canceled (will not renew: live until it expires), expired, future, in_trial,
live, past_due, paused.  ``unit_amount_in_cents`` is read as cents.
"""

from __future__ import annotations

import pandas as pd

from .base import Converted, Export, Layout, amounts, canonical_sheet, intervals, left_out_note, status_problems

LIVE = {"active", "live", "in_trial", "past_due", "canceled"}
ENDED = {"expired"}
LEFT_OUT = {"future", "failed"}
PAUSED = {"paused"}


def convert(export: Export) -> Converted:
    state_col = export.has("state", "subscription_state")
    state = export.text("state", "subscription_state").str.lower()
    problems = status_problems(state, LIVE | ENDED | LEFT_OUT | PAUSED, export, state_col)
    unit_col = export.has("plan_interval_unit", "interval_unit")
    count_col = export.has("plan_interval_length", "interval_length")
    interval, divisor, found = intervals(
        export.text("plan_interval_unit", "interval_unit"),
        export.text("plan_interval_length", "interval_length"),
        export,
        unit_col,
        count_col,
    )
    problems += found
    quantity = export.text("quantity", "subscription_quantity")
    amount_col = export.has("unit_amount", "subscription_unit_amount", "unit_amount_in_cents")
    unit_amount = amounts(
        export.text(amount_col) if amount_col else export.text("unit_amount"),
        cents=amount_col == "unit_amount_in_cents",
    )
    add_ons_col = export.has("add_ons_total", "subscription_add_ons_total", "add_on_total")
    if add_ons_col:
        # add-ons are priced per subscription: spread over the quantity so amount × quantity holds
        add_ons = pd.to_numeric(export.text(add_ons_col), errors="coerce").fillna(0)
        per_unit = pd.to_numeric(quantity.where(quantity != "", "1"), errors="coerce").replace(0, 1)
        numeric = pd.to_numeric(unit_amount, errors="coerce")
        unit_amount = (numeric + add_ons / per_unit).astype(object).where(numeric.notna(), unit_amount)
    numeric_amount = pd.to_numeric(unit_amount, errors="coerce")
    amount = (numeric_amount / divisor).astype(object).where(numeric_amount.notna(), unit_amount)
    expires, period_end = export.text("expires_at"), export.text("current_period_ends_at")
    # canceled: will not renew, so it stops when it expires (the period end), not at the cancel click
    end = pd.Series("", index=state.index, dtype=object)
    end = end.where(state != "canceled", expires.where(expires != "", period_end))
    end = end.where(~state.isin(ENDED), expires.where(expires != "", export.text("canceled_at")))
    end = end.where(~state.isin(PAUSED), period_end)  # a paused subscription earns nothing after its period
    columns = {
        "customer_id": export.text("account_code"),
        "customer_name": export.text("company_name", "account_company", "email"),
        "plan": export.text("plan_name", "plan_code"),
        "amount": amount,
        "interval": interval,
        "quantity": quantity,
        "currency": export.text("currency").str.upper(),
        "start_date": export.text("activated_at"),
        "end_date": end,
        "trial_end": export.text("trial_ends_at"),
    }
    sources = {
        "customer_id": "account_code",
        "customer_name": export.has("company_name", "email"),
        "plan": export.has("plan_name", "plan_code"),
        "amount": amount_col,
        "interval": unit_col,
        "quantity": export.has("quantity", "subscription_quantity"),
        "currency": "currency",
        "start_date": "activated_at",
        "end_date": "expires_at",
        "trial_end": "trial_ends_at",
    }
    keep = ~state.isin(LEFT_OUT)
    notes = left_out_note(export, keep, "future or failed subscription(s) are")
    return canonical_sheet(export, columns, sources, keep), problems, notes


LAYOUT = Layout(
    name="recurly",
    title="Recurly subscriptions export",
    source="https://docs.recurly.com/docs/subscriptions-exports",
    required=(
        ("account_code",),
        ("plan_code",),
        ("unit_amount", "subscription_unit_amount", "unit_amount_in_cents"),
        ("state", "subscription_state"),
        ("activated_at",),
        ("plan_interval_unit", "interval_unit"),
    ),
    convert=convert,
)
