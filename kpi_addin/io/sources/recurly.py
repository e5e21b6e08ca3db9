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

from .base import (
    Aliases,
    Converted,
    Export,
    Layout,
    amounts,
    canonical_sheet,
    first_of,
    intervals,
    left_out_note,
    numbers,
    require_dates,
    status_problems,
)

LIVE = {"active", "live", "in_trial", "past_due", "canceled"}
ENDED = {"expired"}
LEFT_OUT = {"future", "failed"}
PAUSED = {"paused"}

#: The one table of Recurly's columns: read through it, and every message points through it.
ALIASES = Aliases(
    {
        "customer_id": ("account_code",),
        "customer_name": ("company_name", "account_company", "email"),
        "plan": ("plan_name", "plan_code"),
        "plan_code": ("plan_code",),
        "amount": ("unit_amount", "subscription_unit_amount", "unit_amount_in_cents"),
        "add_ons": ("add_ons_total", "subscription_add_ons_total", "add_on_total"),
        "quantity": ("quantity", "subscription_quantity"),
        "currency": ("currency",),
        "status": ("state", "subscription_state"),
        "start": ("activated_at",),
        "canceled_at": ("canceled_at",),
        "expires_at": ("expires_at",),
        "period_end": ("current_period_ends_at",),
        "trial_end": ("trial_ends_at",),
        "interval": ("plan_interval_unit", "interval_unit"),
        "interval_count": ("plan_interval_length", "interval_length"),
    },
    required=("customer_id", "plan_code", "amount", "status", "start", "interval"),
)


def convert(export: Export) -> Converted:
    state = export.text("status").str.lower()
    problems = status_problems(state, LIVE | ENDED | LEFT_OUT | PAUSED, export, "status")
    interval, divisor, found = intervals(
        export.text("interval"), export.text("interval_count"), export, "interval", "interval_count"
    )
    problems += found
    quantity = export.text("quantity")
    cents = export.role("amount") == "unit_amount_in_cents"
    unit_amount = amounts(export.text("amount"), cents=cents, export=export, role="amount")
    if export.role("add_ons"):
        # add-ons are priced per subscription: spread over the quantity so amount × quantity holds
        add_ons, found, _notes = numbers(export, export.text("add_ons"), "add_ons")
        problems += found
        per_unit, _found, _notes = numbers(export, quantity.where(quantity != "", "1"), "quantity")
        per_unit = per_unit.where(per_unit > 0, 1.0)
        numeric = pd.to_numeric(unit_amount, errors="coerce")
        unit_amount = (numeric + add_ons.fillna(0) / per_unit).astype(object).where(numeric.notna(), unit_amount)
    numeric_amount = pd.to_numeric(unit_amount, errors="coerce")
    amount = (numeric_amount / divisor).astype(object).where(numeric_amount.notna(), unit_amount)
    expires, period_end, canceled_at = export.text("expires_at"), export.text("period_end"), export.text("canceled_at")
    # canceled: will not renew, so it stops when it expires (the period end), not at the cancel click
    canceled, expired, paused = state == "canceled", state.isin(ENDED), state.isin(PAUSED)
    end = pd.Series("", index=state.index, dtype=object)
    source = pd.Series(None, index=state.index, dtype=object)
    for rows, choices in (
        (canceled, [("expires_at", expires), ("period_end", period_end)]),
        (expired, [("expires_at", expires), ("canceled_at", canceled_at), ("period_end", period_end)]),
        (paused, [("period_end", period_end)]),  # a paused subscription earns nothing after its period
    ):
        values, roles = first_of(export, rows, choices)
        end, source = end.where(~rows, values), source.where(~rows, roles)
    notes: list[str] = []
    fallback = expired & (source == "period_end")
    if fallback.any():
        notes.append(
            f"{export.label}: {int(fallback.sum())} expired subscription(s) with no expires_at or canceled_at "
            "end at their current_period_ends_at"
        )
    problems += require_dates(export, canceled | expired, end, "status", "expires_at", "give the date it ends")
    problems += require_dates(
        export, state == "in_trial", export.text("trial_end"), "status", "trial_end", "give the trial's end"
    )
    columns = {
        "customer_id": export.text("customer_id"),
        "customer_name": export.text("customer_name"),
        "plan": export.text("plan"),
        "amount": amount,
        "interval": interval,
        "quantity": quantity,
        "currency": export.text("currency").str.upper(),
        "start_date": export.text("start"),
        "end_date": end,
        "trial_end": export.text("trial_end"),
    }
    sources: dict[str, str | pd.Series | None] = {name: name for name in columns}
    sources.update({"start_date": "start", "end_date": source})
    keep = ~state.isin(LEFT_OUT)
    notes += left_out_note(export, keep, "future or failed subscription(s) are")
    return canonical_sheet(export, columns, sources, keep), problems, notes


LAYOUT = Layout.from_aliases(
    "recurly",
    "Recurly subscriptions export",
    "https://docs.recurly.com/docs/subscriptions-exports",
    ALIASES,
    convert,
)
