"""Baremetrics: its manual subscription import template.

Columns and rules from Baremetrics' guide (plan_amount in cents, intervals week, month or
year with a count, dates YYYY-MM-DD, subscription_canceled_at only when the subscription
ends): https://help.baremetrics.com/en/articles/5380088-manual-subscription-import-guide
"""

from __future__ import annotations

import pandas as pd

from .base import Aliases, Converted, Export, Layout, amounts, canonical_sheet, intervals

#: The one table of Baremetrics' columns: read through it, and every message points through it.
ALIASES = Aliases(
    {
        "plan_oid": ("plan_oid",),
        "customer_id": ("customer_oid",),
        "customer_name": ("customer_name",),
        "plan": ("plan_name", "plan_oid"),
        "amount": ("plan_amount",),
        "interval": ("plan_interval",),
        "interval_count": ("plan_interval_count",),
        "quantity": ("subscription_quantity",),
        "currency": ("plan_currency",),
        "start": ("subscription_started_at",),
        "end": ("subscription_canceled_at",),
    },
    required=("plan_oid", "amount", "interval", "customer_id", "start"),
)


def convert(export: Export) -> Converted:
    interval, divisor, problems = intervals(
        export.text("interval"), export.text("interval_count"), export, "interval", "interval_count"
    )
    columns = {
        "customer_id": export.text("customer_id"),
        "customer_name": export.text("customer_name"),
        "plan": export.text("plan"),
        "amount": amounts(export.text("amount"), cents=True, per=divisor, export=export, role="amount"),
        "interval": interval,
        "quantity": export.text("quantity"),
        "currency": export.text("currency").str.upper(),
        "start_date": export.text("start"),
        "end_date": export.text("end"),
    }
    sources: dict[str, str | pd.Series | None] = {name: name for name in columns}
    sources.update({"start_date": "start", "end_date": "end"})
    return canonical_sheet(export, columns, sources), problems, []


LAYOUT = Layout.from_aliases(
    "baremetrics",
    "Baremetrics import template",
    "https://help.baremetrics.com/en/articles/5380088-manual-subscription-import-guide",
    ALIASES,
    convert,
)
