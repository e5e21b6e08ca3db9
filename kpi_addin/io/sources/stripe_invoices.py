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
  error naming its cell.  An ``open`` invoice with ``Marked Uncollectible At`` is
  uncollectible: its subscription is unpaid, and "once a subscription is unpaid rather
  than active, the amount does not count towards your MRR"
  (https://support.stripe.com/questions/billing-analytics).
* **Metered usage is not MRR** (Stripe: "MRR calculations exclude ... any metered (usage
  based) products", https://docs.stripe.com/billing/subscriptions/analytics/glossary).
  Line items of a metered price (``price.recurring.usage_type`` / ``Usage Type`` =
  ``metered``) are left out with a note.  In the one-row export, usage is billed in
  arrears: an invoice whose service period *is* its own billing window (``Period
  Start/End``, the window before the invoice) bills only usage and is left out; an
  invoice that starts at the start of the previous full period and runs past its end
  bills that period's usage beside the next period in advance — never a proration (a
  change mid-period does not start at the period's start), so the previous month is not
  rewritten: the recurring price stays the previous period's and the rest is usage.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import export_dates
from ..problems import Problem, RawSheet
from .base import Converted, Export, Layout, numbers, status_problems
from .coupons import forever_only

COUNTED = {"paid", "open"}
LEFT_OUT = {"void", "draft", "uncollectible"}
DAYS_PER_MONTH = 365.25 / 12
#: A period this close to a whole number of calendar months is that many months.
MONTH_TOLERANCE_DAYS = 3

INVOICE_START = ("minimum_line_item_period_start_utc", "minimum_line_item_period_start")
INVOICE_END = ("maximum_line_item_period_end_utc", "maximum_line_item_period_end")
LINE_START = ("period_start", "period_start_utc")
LINE_END = ("period_end", "period_end_utc")
INVOICE_DATE = ("date_utc", "date", "created_utc", "created")
#: The invoice's own period: the billing window before it, whose usage it bills.
WINDOW_START = ("period_start_utc",)
WINDOW_END = ("period_end_utc",)
#: A price's usage type: ``licensed`` (a recurring price) or ``metered`` (usage).
USAGE_TYPE = ("price_recurring_usage_type", "usage_type", "plan_usage_type", "price_usage_type")


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
    """(dates, bad): dates as the one date reader reads them (:mod:`kpi_addin.io.values`), or
    Unix seconds (Data Pipeline)."""
    text = values.astype(str).str.strip()
    epoch = text.str.fullmatch(r"\d{9,11}")
    parsed_column, bad = export_dates.dates_and_bad(text.where(~epoch & (text != ""), None))
    parsed = parsed_column.values
    if epoch.any():
        parsed[epoch] = pd.to_datetime(text[epoch].astype("int64"), unit="s")
    bad = bad & ~epoch
    return parsed.dt.normalize(), bad


@dataclass
class _Piece:
    """A monthly rate over [start, end) — days since 1970-01-01 — for one subscription."""

    start: int
    end: int
    rate: float
    position: int  # the export row it came from


@dataclass
class _Subscription:
    customer: str
    name: str
    subscription: str
    currency: str
    pieces: list[_Piece] = field(default_factory=list)


#: One billed row as the loops read it: start day, end day, amount, proration?, export position.
_Row = tuple[int, int, float, bool, int]


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


def _day_text(days: list[int]) -> list[str]:
    return list(np.asarray(days, dtype="datetime64[D]").astype(str))


def _frame_rows(subscriptions: list[_Subscription], billed_until: int) -> tuple[pd.DataFrame, list[int], float]:
    """The canonical rows of every segment above zero, their export positions, and the
    total monthly rate of segments at or below zero (a credit larger than the price).

    A subscription's last segment that runs past ``billed_until`` (the latest invoice)
    is left open: the export cannot know whether the next invoice will come, so a
    period billed in advance is never read as a churn to come.  One such segment is
    split at ``billed_until`` (same customer, same rate: no movement) so that the
    ledger's latest date, the default last month reported, is the export's.
    """
    columns: dict[str, list] = {c: [] for c in ("customer_id", "customer_name", "plan", "amount", "currency")}
    starts: list[int] = []
    ends: list[int | None] = []
    positions: list[int] = []
    below = 0.0
    anchored = False
    for sub in subscriptions:
        segments = _segments(sub.pieces)
        for index, seg in enumerate(segments):
            if seg.rate <= 0.005:
                below += min(seg.rate, 0.0)
                continue
            spans: list[tuple[int, int | None]] = [(seg.start, seg.end)]
            if index == len(segments) - 1 and seg.end > billed_until:
                spans = [(seg.start, None)]
                if not anchored and seg.start < billed_until:  # one split row carries the date
                    spans, anchored = [(seg.start, billed_until), (billed_until, None)], True
            for start, end in spans:
                columns["customer_id"].append(sub.customer)
                columns["customer_name"].append(sub.name or None)
                columns["plan"].append(sub.subscription or None)
                columns["amount"].append(seg.rate)
                columns["currency"].append(sub.currency or None)
                starts.append(start)
                ends.append(end)
                positions.append(seg.position)
    frame = pd.DataFrame(columns)
    frame.insert(4, "interval", "month")
    frame.insert(5, "quantity", 1)
    frame["start_date"] = _day_text(starts)
    closed = [e if e is not None else 0 for e in ends]
    frame["end_date"] = [t if e is not None else None for t, e in zip(_day_text(closed), ends, strict=True)]
    return frame, positions, below


def _check(
    export: Export,
) -> tuple[dict[str, pd.Series], dict[str, str | None], list[Problem], bool]:
    """Parse the cells both shapes share; returns the columns, where they came from, the
    problems found, and whether this is the line-item shape."""
    lines = export.has(*INVOICE_START) is None
    # the layout's required columns: present, or convert is never called
    start_col = export.has(*(LINE_START if lines else INVOICE_START)) or ""
    end_col = export.has(*(LINE_END if lines else INVOICE_END)) or ""
    amount_col = (export.has("amount") if lines else export.has("subtotal")) or ""
    problems: list[Problem] = []
    start, bad_start = _timestamps(export.text(start_col))
    end, bad_end = _timestamps(export.text(end_col))
    # amounts by the one number reader: 49,00 and "104,40" (a decimal-comma locale),
    # 1,188.00 (thousands), $49.00 — the file's convention decided by its cells
    raw_amount = export.text(amount_col)
    amount, found, notes = numbers(export, raw_amount, amount_col, written=True)
    problems += found
    if lines:
        amount = amount / 100
    discount_col = "" if lines else export.has("total_discount_amount") or ""
    discount, found, more = numbers(export, export.text(discount_col), discount_col or None, written=True)
    problems += found
    if export.rules.get("stripe_coupons") == "forever-only":
        discount, found = forever_only(export, discount, discount_col)
        problems += found
    export.notes += notes + more
    blank_amount = amount.isna() & (raw_amount == "") & (export.text("subscription", "subscription_id") != "")
    for position in np.flatnonzero(blank_amount.to_numpy())[:10]:
        problems.append(export.problem("is blank; an invoice needs its amount", amount_col, int(position)))
    for mask, column, what in (
        (bad_start, start_col, "a date"),
        (bad_end, end_col, "a date"),
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
    # an open invoice marked uncollectible at the end of dunning: the subscription is unpaid,
    # not MRR (Stripe), whatever the status column was exported as
    marked = export.text("marked_uncollectible_at_utc", "marked_uncollectible_at") != ""
    status = status.where(~(marked & (status == "open")), "uncollectible")
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
        "usage_type": export.text(*USAGE_TYPE).str.lower(),
        "window_start": _timestamps(export.text(*WINDOW_START))[0],
        "window_end": _timestamps(export.text(*WINDOW_END))[0],
    }
    sources = {
        "customer_id": customer_col or export.has("subscription", "subscription_id"),
        "amount": amount_col,
        "start_date": start_col,
        "end_date": end_col,
        "currency": export.has("currency"),
    }
    return columns, sources, problems, lines


def _invoice_pieces(rows: list[_Row], sub: _Subscription, usage: list[float]) -> int:
    """One subscription's invoices (sorted by period) → pieces; returns how many carried prorations.

    An invoice that starts at the start of the previous full period and runs past its end
    bills that whole period again: metered usage billed in arrears beside the next period
    in advance (a mid-period change never starts at the period's start).  Its usage —
    the amount above the previous period's price — is not MRR and is added to ``usage``.
    """
    prorated = 0
    period: tuple[int, int] | None = None  # the latest full period
    price = 0.0  # its price per period, prorations included
    for start, end, amount, _proration, position in rows:
        if period is None or start >= period[1]:
            sub.pieces.append(_Piece(start, end, amount / period_months(end - start), position))
            period, price = (start, end), amount
            continue
        if start == period[0] and end > period[1]:  # usage in arrears + the next period in advance
            recurring = min(price, amount)
            usage.append(amount - recurring)
            sub.pieces.append(_Piece(period[1], end, recurring / period_months(end - period[1]), position))
            period, price = (period[1], end), recurring
            continue
        full_days = period[1] - period[0]
        full_months = period_months(full_days)
        fraction = (min(end, period[1]) - start) / full_days
        prorated += 1
        if fraction <= 0:
            continue
        if end <= period[1]:  # prorations only ("invoice now")
            change = round(amount / fraction, 2)
            sub.pieces.append(_Piece(start, end, change / full_months, position))
            price += change
            continue
        # prorations of the change, then the next full period at the new price p:
        # amount = p + (p − price) × fraction
        new = round((amount + price * fraction) / (1 + fraction), 2)
        sub.pieces.append(_Piece(start, period[1], (new - price) / full_months, position))
        sub.pieces.append(_Piece(period[1], end, new / period_months(end - period[1]), position))
        period, price = (period[1], end), new
    return prorated


def _line_pieces(rows: list[_Row], sub: _Subscription) -> int:
    """One subscription's lines → pieces; prorations scaled to their full period."""
    regular = [r for r in rows if not r[3]]
    for start, end, amount, _proration, position in regular:
        sub.pieces.append(_Piece(start, end, amount / period_months(end - start), position))
    prorations = [r for r in rows if r[3]]
    for start, end, amount, _proration, position in prorations:
        covering = next((r for r in regular if r[0] <= start < r[1]), None)
        days = end - start
        if covering is None:  # no full period known: the line's own per-day rate (Recurly)
            rate = amount / (days / DAYS_PER_MONTH)
        else:
            full_days = covering[1] - covering[0]
            rate = round(amount * full_days / days, 2) / period_months(full_days)
        sub.pieces.append(_Piece(start, end, rate, position))
    return len(prorations)


def convert(export: Export) -> Converted:
    columns, sources, problems, lines = _check(export)
    if problems:
        return _empty(export), problems, []
    frame = pd.DataFrame(columns)
    notes: list[str] = list(export.notes)
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
    # metered usage is not MRR (Stripe excludes "any metered (usage based) products"): a line
    # of a metered price, or an invoice whose service period is its own billing window (the
    # window before the invoice: what was used in it, billed in arrears)
    metered = frame["usage_type"] == "metered"
    if not lines:
        metered |= (frame["window_start"] == frame["start"]) & (frame["window_end"] == frame["end"])
    if metered.any():
        notes.append(
            f"{export.label}: {int(metered.sum())} metered usage {shape} "
            f"({frame.loc[metered, 'amount'].sum():,.2f}) are not MRR (Stripe leaves usage out of MRR)"
        )
    frame = frame[~metered]
    frame = frame.assign(
        start_day=frame["start"].to_numpy("datetime64[D]").astype(np.int64),
        end_day=frame["end"].to_numpy("datetime64[D]").astype(np.int64),
        position=frame.index,
    ).sort_values(["customer", "subscription", "currency", "start_day", "end_day"], kind="stable")
    subscriptions: list[_Subscription] = []
    prorated = 0
    keys = list(zip(frame["customer"], frame["subscription"], frame["currency"], strict=True))
    names = list(frame["name"])
    billed: list[_Row] = list(
        zip(
            frame["start_day"].tolist(),
            frame["end_day"].tolist(),
            frame["amount"].astype(float).tolist(),
            frame["proration"].tolist(),
            frame["position"].tolist(),
            strict=True,
        )
    )
    usage: list[float] = []
    at = 0
    while at < len(keys):  # one subscription at a time (the frame is sorted by it)
        upto = at
        while upto < len(keys) and keys[upto] == keys[at]:
            upto += 1
        name = next((n for n in names[at:upto] if n), "")
        sub = _Subscription(keys[at][0], name, keys[at][1], keys[at][2])
        prorated += _line_pieces(billed[at:upto], sub) if lines else _invoice_pieces(billed[at:upto], sub, usage)
        subscriptions.append(sub)
        at = upto
    if prorated:
        what = "proration line(s)" if lines else "invoice(s) with prorations"
        notes.append(
            f"{export.label}: {prorated} {what}: a mid-period change counts from the day it was made, at the new price"
        )
    if usage:
        notes.append(
            f"{export.label}: {len(usage)} invoice(s) bill the previous period's metered usage in arrears beside "
            f"the next period ({sum(usage):,.2f} of usage in all): the usage is not MRR and the previous "
            "month is not rewritten; the recurring price is the previous period's"
        )
    dated = _timestamps(export.text(*INVOICE_DATE))[0]
    # the export's date: its latest invoice, counted or not (an uncollectible or void invoice
    # also shows the time that has passed: the period before it was not renewed)
    latest = dated.max() if dated.notna().any() else frame["start"].max()
    billed_until = int(np.datetime64(latest.normalize(), "D").astype(np.int64)) if pd.notna(latest) else 0
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
