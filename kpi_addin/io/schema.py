"""The canonical input sheets and their columns (the README's *Input data*)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..metrics import catalogue

Kind = Literal[
    "text", "number", "money", "count", "score", "date", "month", "interval", "currency", "direction", "rate"
]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    required: bool = False  # the column must exist and its cells must not be blank


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    unique: str | None = None  # a column whose values may appear once only
    #: any other column is read too (the plan: one column per key planned)
    open_columns: bool = False

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


SUBSCRIPTIONS = Sheet(
    "subscriptions",
    (
        Column("customer_id", "text", required=True),
        Column("customer_name", "text"),
        Column("plan", "text"),
        Column("amount", "money", required=True),
        Column("interval", "interval"),
        Column("quantity", "number"),
        Column("currency", "currency"),
        Column("start_date", "date", required=True),
        Column("end_date", "date"),
        Column("trial_end", "date"),
    ),
)
FUNNEL_COUNTS = catalogue.FUNNEL_COLUMNS
COST_COLUMNS = catalogue.COST_COLUMNS


def _cost_kind(column: str) -> Kind:
    """Money of at least 0, except profit and cash (may be negative) and headcount (people, FTE)."""
    return "number" if column in catalogue.SIGNED_COST_COLUMNS or column == "headcount" else "money"


#: ``segment`` (optional): the rows are then one per month and segment, a blank segment the
#: company-level part (``kpi_addin.metrics.segment_inputs``; checked by ``.segmented_inputs``).
FUNNEL = Sheet(
    "funnel",
    (
        Column("month", "month", required=True),
        *(Column(c, "count") for c in FUNNEL_COUNTS),
        Column("segment", "text"),
    ),
    unique="month",
)
COSTS = Sheet(
    "costs",
    (
        Column("month", "month", required=True),
        *(Column(c, _cost_kind(c)) for c in catalogue.COSTS_SHEET_COLUMNS),
        Column("segment", "text"),
    ),
    unique="month",
)
NPS = Sheet(
    "nps",
    (Column("date", "date", required=True), Column("score", "score", required=True), Column("respondent", "text")),
)
BALANCE_SHEET = Sheet(
    "balance_sheet",
    (
        Column("period", "month", required=True),
        Column("current_assets", "money"),
        Column("inventories", "money"),
        Column("current_liabilities", "money"),
        Column("total_liabilities", "money"),
        Column("shareholders_equity", "number"),
        Column("total_assets", "money"),
        Column("ebit", "number"),
        Column("interest_expense", "money"),
    ),
    unique="period",
)
TARGETS = Sheet(
    "targets",
    (
        Column("kpi", "text", required=True),
        Column("target", "number", required=True),
        Column("direction", "direction"),
        Column("due", "month"),
    ),
    unique="kpi",
)
FX_RATES = Sheet(
    "fx_rates",
    (Column("currency", "currency", required=True), Column("rate", "rate", required=True), Column("month", "month")),
)
#: Optional customer attributes (country, channel, ...): ``customer_id`` plus any columns (``io/customers.py``).
CUSTOMERS = Sheet("customers", (Column("customer_id", "text", required=True),))
#: The plan (:mod:`kpi_addin.io.plan`): wide (``month`` and one column per key planned) or
#: long (``month, kpi, value``), each with an optional ``scenario`` column.
PLAN = Sheet(
    "plan",
    (
        Column("month", "month", required=True),
        Column("scenario", "text"),
        Column("kpi", "text"),
        Column("value", "number"),
    ),
    open_columns=True,
)
SETTINGS = Sheet("settings", (Column("key", "text", required=True), Column("value", "text")), unique="key")

SHEETS: dict[str, Sheet] = {
    s.name: s for s in (SUBSCRIPTIONS, FUNNEL, COSTS, NPS, BALANCE_SHEET, TARGETS, FX_RATES, CUSTOMERS, PLAN, SETTINGS)
}

#: Interval words → (canonical interval, multiplier of the count): the one table of interval
#: words, for the canonical sheet and for exports (whose count column makes '3 months' or
#: '14 days' meaningful).
INTERVAL_UNITS = {
    "day": ("week", 1 / 7),
    "days": ("week", 1 / 7),
    "daily": ("week", 1 / 7),
    "week": ("week", 1),
    "weeks": ("week", 1),
    "weekly": ("week", 1),
    "month": ("month", 1),
    "months": ("month", 1),
    "monthly": ("month", 1),
    "quarter": ("quarter", 1),
    "quarterly": ("quarter", 1),
    "year": ("year", 1),
    "years": ("year", 1),
    "yearly": ("year", 1),
    "annual": ("year", 1),
    "annually": ("year", 1),
}

#: The words the canonical sheet's interval column takes: those naming one whole interval
#: (a plural or a day needs an export's count column: '3 months', '14 days').
INTERVAL_NAMES = {
    word: interval for word, (interval, multiple) in INTERVAL_UNITS.items() if multiple == 1 and not word.endswith("s")
}

#: KPIs where lower is better (for a target without a direction): the registry's directions.
LOWER_IS_BETTER = catalogue.LOWER_IS_BETTER
