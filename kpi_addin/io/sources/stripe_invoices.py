"""Stripe invoices: MRR history from what was billed, upgrades in the month they happened.

A subscriptions export is a snapshot (each subscription at its current price); invoices
carry the history.  Two shapes are read, both as ``--source stripe-invoices``:

* the Dashboard's **invoices export** (Billing → Invoices → Export; one row per invoice):
  the service period is ``Minimum Line Item Period Start (UTC)`` → ``Maximum Line Item
  Period End (UTC)`` (``Period Start/End`` is the previous billing window), the amount is
  ``Subtotal`` − ``Total Discount Amount`` (tax excluded), in currency units;
* a **line-item export** shaped like Sigma / Data Pipeline's ``invoice_line_items`` table
  (``period_start``, ``period_end``, ``amount`` in cents before tax, ``proration``,
  ``subscription``, ``type``; ``customer`` and ``invoice_status`` where the query selects
  them — without ``customer`` the subscription is the customer).

Each billed service period becomes a subscription-like row of the canonical ledger
(start = period start, end = period end, amount = the period's amount per month), so the
MRR engine's month-end rule applies unchanged: **a service period counts at a month end
that falls inside it** (``start <= month end < end``; the end is the first moment no
longer paid for).  A period of 15 Jan – 15 Feb counts at 31 January only; 1 Jan – 1 Feb
counts at 31 January; a period ending during 31 January does not count at 31 January.

Rules, with their sources:

* **Normalised by the period's length** (ChartMogul: "divides the amount paid for the
  subscription by the number of months in the subscription period",
  https://help.chartmogul.com/hc/en-us/articles/360012519560): a period within three
  days of a whole number of calendar months is that many months (28–31 days is one
  month, 365 or 366 days twelve); a whole number of weeks is weeks × 12/52; anything
  else is days ÷ (365.25 / 12).
* **Prorations** (a mid-period upgrade, downgrade or seat change) count from the change,
  at the new price, as ChartMogul does
  (https://dev.chartmogul.com/docs/how-mrr-is-calculated-from-prorated-invoices:
  ``prorate_factor = full service period / prorated service period``) and as Recurly
  describes (https://support.recurly.com/hc/en-us/articles/360029630811: the prorated
  line contributes over its own start and end dates).  A proration line's amount is
  scaled up by ``full period ÷ its period`` (the full period is the regular line it
  falls in), so "unused time on 50" and "remaining time on 150" over the last quarter
  of a month count −50 and +150 a month until the period ends; Stripe gives proration
  lines the period from the change to the period end
  (https://docs.stripe.com/changelog/2015-04-07/updates-ending-periods-prorated-invoice-line-items).
  In the one-row-per-invoice export the lines are summed, so: an invoice whose period
  lies inside the previous invoice's period holds prorations only (Stripe's "invoice
  now"); one that starts inside it and runs past its end holds the prorations and the
  next full period (Stripe's default: prorations on the next invoice), and its new
  price ``p`` solves ``amount = p + (p − old) × fraction`` (rounded to cents, as Stripe
  bills).  A change of billing interval in mid-period (monthly → yearly) resets the
  period and cannot be split from a one-row invoice: use the line-item export for those.
* **Credit notes and refunds are not MRR movements**: MRR is the recurring price, not
  cash (Stripe: "MRR is a forward looking metric that is distinct from the immediate
  cash flow", https://support.stripe.com/questions/billing-analytics; ProfitWell
  "ignores refunds", https://learn.profitwell.com/article/ecb3zzxewx-refunds).  They are
  separate Stripe exports and are not read; a negative invoice is a downgrade's
  proration credit and is read as such.
* **One-off lines are never MRR**: an invoice without a subscription, a line of type
  ``invoiceitem`` that is not a proration, or a zero-length period (a one-off item's).
* **Status**: ``paid`` and ``open`` count (open is billed); ``void``, ``draft`` and
  ``uncollectible`` are left out with a note (Stripe's invoice statuses:
  https://docs.stripe.com/invoicing/overview#invoice-statuses).  Any other status is an
  error naming its cell.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..reader import Problem, RawSheet, _dates
from .base import Converted, Export, Layout, amounts, status_problems

COUNTED = {"paid", "open"}
LEFT_OUT = {"void", "draft", "uncollectible"}
DAYS_PER_MONTH = 365.25 / 12
#: A period this close to a whole number of calendar months is that many months.
MONTH_TOLERANCE_DAYS = 3

INVOICE_START = ("minimum_line_item_period_start_utc", "minimum_line_item_period_start")
INVOICE_END = ("maximum_line_item_period_end_utc", "maximum_line_item_period_end")
LINE_START = ("period_start", "period_start_utc")
LINE_END = ("period_end", "period_end_utc")


def period_months(days: float) -> float:
    """The length of a service period in months, from its length in days.

    >>> period_months(31), period_months(28), period_months(365), period_months(90)
    (1.0, 1.0, 12.0, 3.0)
    >>> round(period_months(7) * 52 / 12, 12), round(period_months(15), 4)
    (1.0, 0.4928)
    """
    whole = round(days / DAYS_PER_MONTH)
    if whole >= 1 and abs(days - whole * DAYS_PER_MONTH) <= MONTH_TOLERANCE_DAYS:
        return float(whole)
    if days > 0 and days % 7 == 0:
        return days / 7 * 12 / 52
    return days / DAYS_PER_MONTH


def _timestamps(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(dates, bad): ISO text as the reader reads it, or Unix seconds (Data Pipeline)."""
    text = values.astype(str).str.strip()
    epoch = text.str.fullmatch(r"\d{9,11}")
    parsed, bad = _dates(text.where(~epoch, ""))
    if epoch.any():
        parsed[epoch] = pd.to_datetime(text[epoch].astype("int64"), unit="s")
    bad = bad & ~epoch
    return parsed.dt.normalize(), bad


@dataclass
class _Piece:
    """A monthly rate over [start, end) for one customer's subscription."""

    start: pd.Timestamp
    end: pd.Timestamp
    rate: float
    position: int  # the export row it came from


@dataclass
class _Subscription:
    customer: str
    name: str
    subscription: str
    currency: str
    pieces: list[_Piece] = field(default_factory=list)


def _segments(pieces: list[_Piece]) -> list[_Piece]:
    """Sum overlapping pieces into consecutive segments of one rate each (adjacent equal rates merged)."""
    points = sorted({p.start for p in pieces} | {p.end for p in pieces})
    out: list[_Piece] = []
    for left, right in itertools.pairwise(points):
        live = [p for p in pieces if p.start <= left and p.end >= right]
        if not live:
            continue
        rate = round(sum(p.rate for p in live), 9)
        first = min(live, key=lambda p: p.start).position
        if out and out[-1].end == left and abs(out[-1].rate - rate) < 1e-9:
            out[-1].end = right
        else:
            out.append(_Piece(left, right, rate, first))
    return out


def _frame_rows(
    subscriptions: list[_Subscription], billed_until: pd.Timestamp
) -> tuple[pd.DataFrame, list[int], float]:
    """The canonical rows of every segment above zero, their export positions, and the
    total monthly rate of segments at or below zero (a credit larger than the price).

    A subscription's last segment that runs past ``billed_until`` (the latest invoice)
    is left open: the export cannot know whether the next invoice will come, so a
    period billed in advance is never read as a churn to come.  It is split at
    ``billed_until`` (same customer, same rate: no movement) so that the ledger's latest
    date, the default last month reported, is the export's.
    """
    records: list[dict[str, object]] = []
    positions: list[int] = []
    below = 0.0
    day = "%Y-%m-%d"
    for sub in subscriptions:
        segments = _segments(sub.pieces)
        for index, seg in enumerate(segments):
            if seg.rate <= 0.005:
                below += min(seg.rate, 0.0)
                continue
            spans: list[tuple[pd.Timestamp, str | None]] = [(seg.start, seg.end.strftime(day))]
            if index == len(segments) - 1 and seg.end > billed_until:
                spans = [(seg.start, billed_until.strftime(day)), (billed_until, None)]
                spans = spans[1:] if seg.start >= billed_until else spans
            for start, end in spans:
                records.append(
                    {
                        "customer_id": sub.customer,
                        "customer_name": sub.name or None,
                        "plan": sub.subscription or None,
                        "amount": seg.rate,
                        "interval": "month",
                        "quantity": 1,
                        "currency": sub.currency or None,
                        "start_date": start.strftime(day),
                        "end_date": end,
                    }
                )
                positions.append(seg.position)
    columns = ["customer_id", "customer_name", "plan", "amount", "interval", "quantity", "currency"]
    frame = pd.DataFrame(records, columns=[*columns, "start_date", "end_date"])
    return frame, positions, below


def _check(
    export: Export,
) -> tuple[dict[str, pd.Series], dict[str, str | None], list[Problem], bool]:
    """Parse the cells both shapes share; returns the columns, where they came from, the
    problems found, and whether this is the line-item shape."""
    lines = export.has(*INVOICE_START) is None
    start_col = export.has(*(LINE_START if lines else INVOICE_START))
    end_col = export.has(*(LINE_END if lines else INVOICE_END))
    amount_col = export.has("amount") if lines else export.has("subtotal")
    problems: list[Problem] = []
    start, bad_start = _timestamps(export.text(start_col))
    end, bad_end = _timestamps(export.text(end_col))
    raw_amount = export.text(amount_col)
    amount = pd.to_numeric(amounts(raw_amount, cents=lines), errors="coerce")
    discount_col = None if lines else export.has("total_discount_amount")
    discount = pd.to_numeric(amounts(export.text(discount_col), cents=False), errors="coerce")
    bad_discount = discount.isna() & (export.text(discount_col) != "")
    for mask, column, what in (
        (bad_start, start_col, "a date"),
        (bad_end, end_col, "a date"),
        (amount.isna(), amount_col, "an amount"),
        (bad_discount, discount_col, "an amount"),
    ):
        for position in np.flatnonzero(mask.to_numpy())[:10]:
            problems.append(
                export.problem(f"{export.text(column).iloc[position]!r} is not {what}", column, int(position))
            )
    subscription = export.text("subscription", "subscription_id")
    for mask, column in ((start.isna() & ~bad_start, start_col), (end.isna() & ~bad_end, end_col)):
        for position in np.flatnonzero((mask & (subscription != "")).to_numpy())[:10]:
            problems.append(
                export.problem("is blank; a subscription's invoice needs its service period", column, int(position))
            )
    backwards = ~bad_start & ~bad_end & start.notna() & end.notna() & (end < start)
    for position in np.flatnonzero(backwards.to_numpy())[:10]:
        problems.append(
            export.problem(
                f"the period ends ({end.iloc[position]:%Y-%m-%d}) before it starts ({start.iloc[position]:%Y-%m-%d})",
                end_col,
                int(position),
            )
        )
    status_col = export.has("status", "invoice_status")
    status = export.text(status_col).str.lower() if status_col else pd.Series("paid", index=export.frame.index)
    if status_col:
        problems += status_problems(status, COUNTED | LEFT_OUT, export, status_col)
    customer_col = export.has("customer", "customer_id")
    columns = {
        "start": start,
        "end": end,
        "amount": amount - discount.fillna(0.0),
        "status": status,
        "customer": export.text(customer_col) if customer_col else subscription,
        "name": export.text("customer_name", "customer_email"),
        "subscription": subscription,
        "currency": export.text("currency").str.upper(),
        "proration": export.text("proration").str.lower().isin(["true", "1", "yes", "t"]),
        "type": export.text("type").str.lower(),
    }
    sources = {
        "customer_id": customer_col or export.has("subscription", "subscription_id"),
        "amount": amount_col,
        "start_date": start_col,
        "end_date": end_col,
        "currency": export.has("currency"),
    }
    return columns, sources, problems, lines


def _invoice_pieces(rows: pd.DataFrame, sub: _Subscription) -> int:
    """One subscription's invoices → pieces; returns how many carried prorations."""
    prorated = 0
    period: tuple[pd.Timestamp, pd.Timestamp] | None = None  # the latest full period
    price = 0.0  # its price per period, prorations included
    for position, row in rows.sort_values(["start", "end"], kind="stable").iterrows():
        start, end, amount = row["start"], row["end"], float(row["amount"])
        if period is None or start >= period[1]:
            months = period_months((end - start).days)
            sub.pieces.append(_Piece(start, end, amount / months, int(position)))
            period, price = (start, end), amount
            continue
        full_days = (period[1] - period[0]).days
        full_months = period_months(full_days)
        fraction = (min(end, period[1]) - start).days / full_days
        prorated += 1
        if fraction <= 0:
            continue
        if end <= period[1]:  # prorations only ("invoice now")
            change = round(amount / fraction, 2)
            sub.pieces.append(_Piece(start, end, change / full_months, int(position)))
            price += change
            continue
        # prorations of the change, then the next full period at the new price p:
        # amount = p + (p − price) × fraction
        new = round((amount + price * fraction) / (1 + fraction), 2)
        sub.pieces.append(_Piece(start, period[1], (new - price) / full_months, int(position)))
        sub.pieces.append(_Piece(period[1], end, new / period_months((end - period[1]).days), int(position)))
        period, price = (period[1], end), new
    return prorated


def _line_pieces(rows: pd.DataFrame, sub: _Subscription) -> int:
    """One subscription's lines → pieces; prorations scaled to their full period."""
    regular = rows[~rows["proration"]]
    for position, row in regular.iterrows():
        months = period_months((row["end"] - row["start"]).days)
        sub.pieces.append(_Piece(row["start"], row["end"], float(row["amount"]) / months, int(position)))
    prorations = rows[rows["proration"]]
    for position, row in prorations.iterrows():
        covering = regular[(regular["start"] <= row["start"]) & (regular["end"] > row["start"])]
        days = (row["end"] - row["start"]).days
        if covering.empty or days <= 0:  # no full period known: the line's own per-day rate (Recurly)
            rate = float(row["amount"]) / (days / DAYS_PER_MONTH) if days > 0 else 0.0
        else:
            full = covering.iloc[0]
            full_days = (full["end"] - full["start"]).days
            per_period = round(float(row["amount"]) * full_days / days, 2)
            rate = per_period / period_months(full_days)
        sub.pieces.append(_Piece(row["start"], row["end"], rate, int(position)))
    return len(prorations)


def convert(export: Export) -> Converted:
    columns, sources, problems, lines = _check(export)
    if problems:
        return _empty(export), problems, []
    frame = pd.DataFrame(columns)
    notes: list[str] = []
    shape = "line item(s)" if lines else "invoice(s)"
    for status in sorted(LEFT_OUT):
        left = frame["status"] == status
        if left.any():
            notes.append(
                f"{export.label}: {int(left.sum())} {status} {shape} left out "
                f"({frame.loc[left, 'amount'].sum():,.2f} before tax): not billed"
            )
    frame = frame[frame["status"].isin(COUNTED)]
    one_off = (frame["subscription"] == "") | (frame["end"] <= frame["start"])
    if lines:
        one_off |= (frame["type"] == "invoiceitem") & ~frame["proration"]
    if one_off.any():
        notes.append(
            f"{export.label}: {int(one_off.sum())} one-off {shape} "
            f"({frame.loc[one_off, 'amount'].sum():,.2f}) are never MRR"
        )
    frame = frame[~one_off]
    subscriptions: list[_Subscription] = []
    prorated = 0
    for (customer, subscription, currency), rows in frame.groupby(["customer", "subscription", "currency"], sort=True):
        names = rows["name"][rows["name"] != ""]
        sub = _Subscription(customer, names.iloc[0] if len(names) else "", subscription, currency)
        prorated += _line_pieces(rows, sub) if lines else _invoice_pieces(rows, sub)
        subscriptions.append(sub)
    if prorated:
        what = "proration line(s)" if lines else "invoice(s) with prorations"
        notes.append(
            f"{export.label}: {prorated} {what}: a mid-period change counts from the day it was made, at the new price"
        )
    dated = _timestamps(export.text("date_utc", "date", "created_utc", "created"))[0]
    billed_until = (dated[frame.index].max() if dated[frame.index].notna().any() else frame["start"].max()).normalize()
    out, positions, below = _frame_rows(subscriptions, billed_until)
    if below < -0.005:
        notes.append(
            f"{export.label}: credits larger than the price ({below:,.2f} a month in all) count as 0, never below"
        )
    letters = {name: export.letters[src] for name, src in sources.items() if src and src in export.letters}
    rows = export.rows[np.asarray(positions, dtype=np.int64)] if positions else np.array([], dtype=np.int64)
    return RawSheet("subscriptions", str(export.path), export.label, out, rows, letters), [], notes


def _empty(export: Export) -> RawSheet:
    return RawSheet("subscriptions", str(export.path), export.label, pd.DataFrame(), np.array([]), {})


LAYOUT = Layout(
    name="stripe-invoices",
    title="Stripe invoices export",
    source="https://docs.stripe.com/api/invoices/object",
    required=(
        ("customer", "customer_id", "subscription"),
        (*INVOICE_START, *LINE_START),
        (*INVOICE_END, *LINE_END),
        ("subtotal", "amount"),
    ),
    convert=convert,
)
