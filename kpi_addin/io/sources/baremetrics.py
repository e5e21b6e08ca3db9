"""Baremetrics: its manual subscription import template.

Columns and rules from Baremetrics' guide (plan_amount in cents, intervals week, month or
year with a count, dates YYYY-MM-DD, subscription_canceled_at only when the subscription
ends): https://help.baremetrics.com/en/articles/5380088-manual-subscription-import-guide
"""

from __future__ import annotations

from .base import Converted, Export, Layout, amounts, canonical_sheet, intervals


def convert(export: Export) -> Converted:
    interval, divisor, problems = intervals(
        export.text("plan_interval"),
        export.text("plan_interval_count"),
        export,
        "plan_interval",
        export.has("plan_interval_count"),
    )
    columns = {
        "customer_id": export.text("customer_oid"),
        "customer_name": export.text("customer_name"),
        "plan": export.text("plan_name", "plan_oid"),
        "amount": amounts(export.text("plan_amount"), cents=True, per=divisor),
        "interval": interval,
        "quantity": export.text("subscription_quantity"),
        "currency": export.text("plan_currency").str.upper(),
        "start_date": export.text("subscription_started_at"),
        "end_date": export.text("subscription_canceled_at"),
    }
    sources = {
        "customer_id": "customer_oid",
        "customer_name": "customer_name",
        "plan": export.has("plan_name", "plan_oid"),
        "amount": "plan_amount",
        "interval": "plan_interval",
        "quantity": "subscription_quantity",
        "currency": "plan_currency",
        "start_date": "subscription_started_at",
        "end_date": "subscription_canceled_at",
    }
    return canonical_sheet(export, columns, sources), problems, []


LAYOUT = Layout(
    name="baremetrics",
    title="Baremetrics import template",
    source="https://help.baremetrics.com/en/articles/5380088-manual-subscription-import-guide",
    required=(("plan_oid",), ("plan_amount",), ("plan_interval",), ("customer_oid",), ("subscription_started_at",)),
    convert=convert,
)
