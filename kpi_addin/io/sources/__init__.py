"""Billing and analytics exports finance already has: Stripe (subscriptions or invoices),
Recurly, Chargify / Maxio, Baremetrics, any CSV with a mapping file, and GA4 visitors."""

from __future__ import annotations

from collections.abc import Mapping as Choices
from pathlib import Path

from ..problems import Problem, RawSheet
from . import baremetrics, chargify, recurly, stripe, stripe_invoices
from .base import Layout, read_export, settle_dates
from .ga4 import read_visitors
from .mapped import Mapping, MappingError, layout_for

LAYOUTS: dict[str, Layout] = {
    m.LAYOUT.name: m.LAYOUT for m in (stripe, recurly, chargify, baremetrics, stripe_invoices)
}
SOURCES = ("auto", *LAYOUTS)
#: Rule options of the readers, where we differ from a vendor's default: name → (our default,
#: the vendor's).  Given on the command line as --stripe-coupons and --stripe-cancel.
RULES = {
    "stripe_coupons": ("billed", "forever-only"),
    "stripe_cancel": ("at-period-end", "immediately"),
}


def read_subscriptions_export(
    path: Path, source: str = "auto", mapping: Path | None = None, rules: Choices[str, str] | None = None
) -> tuple[RawSheet | None, list[Problem], list[str]]:
    """The export as the canonical subscriptions sheet, the problems found, and notes
    (which layout was recognised, rows left out).  ``rules``: :data:`RULES` chosen (the
    defaults where not given)."""
    export, problems = read_export(path)
    if export is None:
        return None, problems, []
    export.rules = {name: choices[0] for name, choices in RULES.items()} | dict(rules or {})
    notes: list[str] = []
    date_format = None
    if mapping is not None:
        try:
            mapped = Mapping(mapping)
            layout = layout_for(mapped)
        except MappingError as exc:
            return None, [Problem(str(mapping), str(exc).removeprefix(f"{mapping}: "))], []
        date_format = mapped.date_format
    elif source == "auto":
        matching = [layout for layout in LAYOUTS.values() if not layout.missing(export)]
        if not matching:
            reasons = "; ".join(
                f"{layout.title} needs {', '.join(layout.missing(export))}" for layout in LAYOUTS.values()
            )
            found = ", ".join(export.originals.values())
            return (
                None,
                [
                    Problem(
                        str(path),
                        f"matches no known layout ({reasons}). Columns found: {found}. "
                        "Use --map FILE to say which column is which.",
                    )
                ],
                [],
            )
        layout = matching[0]
        notes.append(f"{path.name}: recognised as a {layout.title} (--source auto)")
    else:
        layout = LAYOUTS[source]
        missing = layout.missing(export)
        if missing:
            found = ", ".join(export.originals.values())
            return (
                None,
                [Problem(str(path), f"not a {layout.title}: missing column(s) {', '.join(missing)} (found: {found})")],
                [],
            )
    if date_format is None:  # a mapping's [dates] format says the order itself
        settle_dates(export)
    raw, converted_problems, converted_notes = layout.convert(export)
    return raw, converted_problems + export.problems, notes + converted_notes


__all__ = ["LAYOUTS", "RULES", "SOURCES", "read_subscriptions_export", "read_visitors"]
