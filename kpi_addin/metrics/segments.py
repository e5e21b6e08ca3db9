"""Every KPI by segment: plan, currency, country, channel or any attribute of a subscription.

A *segment* is a value of one attribute (``--by plan``) or a combination of values of
several (``--by plan --by country``).  The rules (``docs/conventions.md``, *Segments*)
are applied by :mod:`.segment_engine`; this module names the segments, runs the engine
and derives each KPI of the registry from the segment's columns with the same function
the company's figure uses, so a segment's NRR is computed as the company's is.

Segments partition the company: MRR, new, churned, reactivation and FX impact MRR,
customer counts and the retention sums add up to the company's; a segment's expansion −
contraction + entered − left adds up to the company's expansion − contraction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ._core import KPIInputError
from .catalogue import DERIVED, DOMAINS, KPIS, MONTHLY_KEYS, OPENING
from .company import CompanyData
from .expression import Months
from .months import month_number, number_of
from .mrr import CustomerMRR, customer_mrr, ledger_customer_codes, mrr_of_spans
from .report import KPIReport
from .segment_engine import SegmentArrays, cohorts_12m_by_segment, segment_arrays
from .segment_inputs import SEGMENTABLE_KEYS, input_columns
from .spans import subscription_monthly_value

#: A blank attribute is this segment (never dropped).
NONE_LABEL = "(none)"
#: The segment holding the values beyond :data:`MAX_VALUES` − 1.
OTHER_LABEL = "(other)"
#: At most this many values of one attribute; beyond, the top 49 by latest MRR and ``(other)``.
MAX_VALUES = 50
#: The columns of ``subscriptions`` that are not attributes (``plan``, ``currency``,
#: ``interval`` are columns *and* attributes).
NOT_ATTRIBUTES = frozenset(
    {"customer_id", "customer_name", "amount", "quantity", "start_date", "end_date", "trial_end"}
)
#: The keys of a segment's month: the registry's, with the moves between segments after FX.
SEGMENT_KEYS: tuple[str, ...] = tuple(
    k for key in MONTHLY_KEYS[1:] for k in ((key, "entered_mrr", "left_mrr") if key == "fx_mrr" else (key,))
)
#: KPIs whose segment figure follows the customers by their segment at the start of the
#: month and their whole MRR (retention), or by their segment at the month (ARPU), rather
#: than money by where it is billed: the registry's formula reads these segment columns in
#: place of the company's columns it names (``zero``: a column of zeros).
RETENTION_COLUMNS: dict[str, dict[str, str]] = {
    "revenue_churn_rate": {"lost_mrr": "retention_lost_mrr", "start_mrr": "retention_start_mrr"},
    "revenue_churn_rate_3m": {"lost_mrr": "retention_lost_mrr", "mrr": "customer_mrr"},
    "nrr": {
        "start_mrr": "retention_start_mrr",
        "expansion_mrr": "retention_expansion_mrr",
        "contraction_mrr": "net_contraction_mrr",
        "churned_mrr": "retention_churned_mrr",
        "fx_mrr": "zero",  # the customers' whole change is in expansion / contraction here
    },
    "grr": {"start_mrr": "retention_start_mrr", "churned_mrr": "retention_churned_mrr"},
    "crr": {"customers": "retained_customers", "gained_customers": "zero"},
    "arpu": {"mrr": "customer_mrr"},
}
#: The column holding each column's value at the end of the month before (an opening
#: balance, read with ``history_start`` by a formula looking one month back).
START_OF = {"mrr": "start_mrr", "customers": "start_customers", "customer_mrr": "retention_start_mrr"}


@dataclass
class SegmentReport:
    """``monthly``: one row per (month, segment), columns :data:`SEGMENT_KEYS` (``nan`` where
    undefined or not segmentable); ``segments``: one row per segment code, its attribute
    values (columns ``by``); ``notes``: what was grouped or left out."""

    by: tuple[str, ...]
    segments: pd.DataFrame
    monthly: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: the engine's arrays, whose per-event amounts (``events``, built when asked) are the log's
    arrays: SegmentArrays | None = field(default=None, repr=False)
    customer_ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object), repr=False)
    months: pd.PeriodIndex = field(default_factory=lambda: pd.PeriodIndex([], freq="M"), repr=False)
    #: the segment columns the KPIs are computed from (segment × report month): ``start_mrr``,
    #: ``start_customers``, ``customer_mrr``, ... (for a table a workbook's formulas sum)
    columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    #: the KPIs blank for want of a segment of their input (costs, funnel, NPS, cash) or of a
    #: per-customer figure, as the notes name them
    blank: frozenset[str] = frozenset()

    def records(self) -> list[dict[str, object]]:
        """JSON-ready rows: ``{"month", "segment": {attribute: value}, <SEGMENT_KEYS>}`` (None for nan)."""
        out: list[dict[str, object]] = []
        labels = self.segments.to_dict("records")
        values = self.monthly[list(SEGMENT_KEYS)].to_numpy(dtype=float)
        counts = {k for k in SEGMENT_KEYS if _unit(k) == "count"}
        for row, (month, code) in enumerate(self.monthly.index):
            entry: dict[str, object] = {"month": str(month), "segment": {k: str(v) for k, v in labels[code].items()}}
            for key, value in zip(SEGMENT_KEYS, values[row], strict=True):
                entry[key] = None if np.isnan(value) else int(value) if key in counts else float(value)
            out.append(entry)
        return out


def _segment_values(
    col: dict[str, np.ndarray], s: int, months: pd.PeriodIndex, opening: int | None
) -> dict[str, pd.Series]:
    """Segment ``s``'s columns as the registry's formulas read them, and the derived columns
    (``opening``: the position of the opening month, which ``known`` leaves out)."""
    values = {name: pd.Series(source[s], index=months, dtype=float) for name, source in col.items()}
    scope = Months(values, DOMAINS, opening)
    for name, formula in DERIVED.items():
        if name not in values:
            values[name] = pd.Series(formula.evaluate(scope), index=months, dtype=float)
    return values


def _scope(
    values: dict[str, pd.Series], renamed: dict[str, str], col: dict[str, np.ndarray], s: int, opening: int | None
) -> Months:
    """The months a formula is evaluated over: ``renamed`` maps a column it names to the segment
    column read in its place (no derived column reads a renamed one); with ``history_start``
    (no opening month) the month-end before the first is known."""
    if renamed:
        values = {**values, **{name: values[source] for name, source in renamed.items()}}
    before = {}
    if opening is None and len(next(iter(values.values()))):
        sources = {name: renamed.get(name, name) for name in OPENING}
        before = {name: float(col[START_OF[source]][s][0]) for name, source in sources.items() if source in START_OF}
    return Months(values, DOMAINS, opening, before)


def _unit(key: str) -> str:
    return next((k.unit for k in KPIS if k.key == key), "money")


def attribute_columns(subscriptions: pd.DataFrame) -> list[str]:
    """The attributes of a ledger: every column but the identifying, money and date ones."""
    return [c for c in subscriptions.columns if c not in NOT_ATTRIBUTES]


def segment_codes(
    subscriptions: pd.DataFrame, by: Sequence[str], latest_mrr: Callable[[], np.ndarray]
) -> tuple[np.ndarray, pd.DataFrame, list[str]]:
    """Each row's segment code, the segments (attribute values, in name order) and notes.

    A blank is :data:`NONE_LABEL`.  An attribute with more than :data:`MAX_VALUES` values
    keeps the top 49 by ``latest_mrr()`` (each row's MRR at the latest month) and groups
    the rest as :data:`OTHER_LABEL`, with a note.

    Examples
    --------
    >>> subs = pd.DataFrame({"plan": ["Pro", None, "Basic", "Pro"]})
    >>> codes, segments, notes = segment_codes(subs, ["plan"], lambda: np.zeros(4))
    >>> codes.tolist(), segments["plan"].tolist(), notes
    ([2, 0, 1, 2], ['(none)', 'Basic', 'Pro'], [])
    """
    notes: list[str] = []
    names: list[np.ndarray] = []  # each attribute's segment names, sorted
    row_codes: list[np.ndarray] = []  # each row's position among them
    for column in by:
        if column not in subscriptions:
            known = ", ".join(attribute_columns(subscriptions)) or "none"
            raise KPIInputError("by", f"no attribute {column!r} in the subscriptions (attributes: {known})")
        # The distinct values are cleaned, not the rows: a million rows hold a few plans.
        raw_codes, raw_values = pd.factorize(subscriptions[column])
        stripped = pd.Series(np.asarray(raw_values, dtype=object)).astype(str).str.strip()
        cleaned: np.ndarray = np.append(stripped.where(stripped != "", NONE_LABEL).to_numpy(dtype=object), NONE_LABEL)
        # The codes present (a count, not a sort of every row); a blank cell (−1) picks the last: (none).
        seen = np.flatnonzero(np.bincount(raw_codes + 1, minlength=len(raw_values) + 1)) - 1
        values = np.unique(cleaned[seen])
        if len(values) > MAX_VALUES:
            text = cleaned[raw_codes]
            mrr = pd.Series(latest_mrr()).groupby(text).sum().sort_values(ascending=False, kind="stable")
            kept = set(mrr.index[: MAX_VALUES - 1])
            notes.append(
                f"{column}: {len(values)} values; the {MAX_VALUES - 1} with the most MRR in the latest month are "
                f"shown, the other {len(values) - MAX_VALUES + 1} as {OTHER_LABEL}"
            )
            cleaned = np.where(pd.Series(cleaned).isin(kept).to_numpy(), cleaned, OTHER_LABEL).astype(object)
        named = np.unique(cleaned[seen])  # the values present, sorted
        names.append(named)
        row_codes.append(np.searchsorted(named, cleaned).astype(np.int64)[raw_codes])
    # The combinations present, in name order (attribute by attribute): the lowest code wins a tie.
    key = np.zeros(len(subscriptions), dtype=np.int64)
    for named, code in zip(names, row_codes, strict=True):
        key = key * len(named) + code
    present, codes = _distinct_codes(key, int(np.prod([len(named) for named in names])))
    columns = {}
    for k in range(len(by) - 1, -1, -1):
        present, position = np.divmod(present, len(names[k]))
        columns[by[k]] = names[k][position]
    segments = pd.DataFrame({column: columns[column] for column in by})
    return codes.astype(np.int64).reshape(-1), segments, notes


def _distinct_codes(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(key, return_inverse=True)`` for keys in ``[0, size)``: by a count when the
    range is small (every row once, no sort of a million rows)."""
    if size > max(4 * len(key), 1 << 16):
        present, codes = np.unique(key, return_inverse=True)
        return present, codes
    present = np.flatnonzero(np.bincount(key, minlength=size))
    lookup = np.zeros(size, dtype=np.int64)
    lookup[present] = np.arange(len(present))
    return present, lookup[key]


def _grouped(subs: pd.DataFrame, by: Sequence[str], segments: pd.DataFrame) -> dict[str, str]:
    """The values of attribute ``by[0]`` shown as :data:`OTHER_LABEL` (beyond :data:`MAX_VALUES`)."""
    if len(by) != 1 or OTHER_LABEL not in set(segments[by[0]]):
        return {}
    values = pd.Series(subs[by[0]].dropna().unique()).astype(str).str.strip()
    return {v: OTHER_LABEL for v in values if v and v not in set(segments[by[0]])}


def _latest_mrr(subs: pd.DataFrame, data: CompanyData, as_of: pd.Period) -> np.ndarray:
    """Each row's MRR at the end of ``as_of`` in the reporting currency (for ranking values only)."""
    month = number_of(as_of)
    value = subscription_monthly_value(subs)
    never = -(2**62)
    first = month_number(subs["start_date"])
    if "trial_end" in subs:
        first = np.maximum(first, month_number(subs["trial_end"]))
    stop = month_number(subs["end_date"]) if "end_date" in subs else np.full(len(subs), never)
    earning = (first <= month) & ((stop == never) | (stop > month))
    rate = np.ones(len(subs))
    if "currency" in subs and data.fx_rates is not None:
        rates = data.fx_rates.sort_values("month", na_position="first").drop_duplicates("currency", keep="last")
        mapped = subs["currency"].map(rates.set_index("currency")["rate"]).to_numpy(dtype=float)
        domestic = subs["currency"].astype(str).str.upper().to_numpy() == data.settings.reporting_currency.upper()
        rate = np.where(domestic, 1.0, np.nan_to_num(mapped))
    mrr: np.ndarray = np.where(earning, value * rate, 0.0)
    return mrr


def _pair_mrr(
    subs: pd.DataFrame, rows: np.ndarray, keys: np.ndarray, data: CompanyData, cm: CustomerMRR
) -> CustomerMRR:
    """:func:`~.mrr.customer_mrr` of ledger ``rows`` with ``keys`` as the customers, on ``cm``'s months
    (from the company's earning spans when ``cm`` kept them: the dates are not read again)."""
    empty = CustomerMRR(
        cm.months,
        np.empty(0, dtype=np.int64),
        *(np.empty(0, dtype=np.int64),) * 2,
        *(np.empty(0),) * 2,
        cm.reporting_currency,
        np.empty(0),
    )
    if not len(rows):
        return empty
    spans = cm.spans
    if spans is not None and len(cm.row_customer) == len(subs):
        # Each ledger row's span (a look-up table, not a search: ``rows`` come in pair order).
        span_of_row = np.empty(len(subs), dtype=np.int64)
        span_of_row[spans.rows] = np.arange(len(spans.rows))
        return mrr_of_spans(
            spans.take(span_of_row[rows]),
            keys,
            reporting_currency=cm.reporting_currency,
            fx_rates=data.fx_rates,
            paying_only=False,
        )
    columns = [
        c for c in ("amount", "interval", "quantity", "currency", "start_date", "end_date", "trial_end") if c in subs
    ]
    ledger = subs[columns].iloc[rows].reset_index(drop=True)
    ledger["customer_id"] = keys
    try:
        pairs = customer_mrr(
            ledger,
            reporting_currency=cm.reporting_currency,
            fx_rates=data.fx_rates,
            as_of=cm.months[-1],
            paying_only=False,
        )
    except KPIInputError:  # none of them earns at a month end
        return empty
    offset = number_of(pairs.months[0]) - number_of(cm.months[0])
    return replace(pairs, months=cm.months, change_month=pairs.change_month + offset)


def segment_report(data: CompanyData, report: KPIReport, by: Sequence[str]) -> SegmentReport:
    """Every monthly KPI of every segment of ``by`` over the report's months.

    ``data`` is the company the ``report`` was computed from (:func:`~.report.monthly_kpis`).
    KPIs that need an input without a segment (costs, funnel, NPS) are ``nan`` with a note;
    costs and funnel given by segment (:mod:`.segment_inputs`) make theirs segmentable.
    Raises :class:`KPIInputError` naming ``by`` for an attribute the ledger does not have.
    """
    by = tuple(dict.fromkeys(by))
    if not by:
        raise KPIInputError("by", "name at least one attribute to segment by")
    cm = report.customer_mrr
    subs = report.ledger  # the subscriptions as counted (the convention applied)
    codes, segments, notes = segment_codes(subs, by, lambda: _latest_mrr(subs, data, report.as_of))
    n_segments = len(segments)
    # Each row's customer code in ``cm`` (−1: the row earns at no month end).
    customer = cm.row_customer if len(cm.row_customer) == len(subs) else ledger_customer_codes(subs, cm.months[-1])
    # A customer whose subscriptions are all in one segment: its changes are the segment's.
    low = np.full(len(cm.customer_ids), n_segments, dtype=np.int64)
    high = np.full(len(cm.customer_ids), -1, dtype=np.int64)
    earning = customer >= 0
    np.minimum.at(low, customer[earning], codes[earning])
    np.maximum.at(high, customer[earning], codes[earning])
    single = np.where(low == high, low, -1)
    # The others' subscriptions again, with each (customer, segment) pair as the customer.
    several = np.flatnonzero(earning & (single[np.maximum(customer, 0)] < 0))
    pair_keys = customer[several] * n_segments + codes[several]
    # Pairs numbered in (customer, segment) order: the engine's look-ups then run in order (a
    # stable sort keeps each pair's rows in ledger order, so its sums add alike).
    by_pair = np.argsort(pair_keys, kind="stable")
    pairs = _pair_mrr(subs, several[by_pair], pair_keys[by_pair], data, cm)
    pair_ids = pairs.customer_ids.astype(np.int64)
    arrays = segment_arrays(cm, pairs, pair_ids // n_segments, pair_ids % n_segments, n_segments, single)

    # Columns (segment × month) named as the registry's arguments, for the report's months.
    months = pd.PeriodIndex(report.monthly.index)
    first = number_of(cm.months[0])
    positions = [number_of(m) - first for m in months]
    col: dict[str, np.ndarray] = {}
    for group in (arrays.money, arrays.customers, arrays.retention):
        col.update({k: v[:, positions] for k, v in group.items()})
    col["retention_lost_mrr"] = col["retention_churned_mrr"] + col["net_contraction_mrr"]  # as DERIVED lost_mrr
    col["retained_customers"] = col["start_customers"] - col["churned_customers"]
    col["zero"] = np.zeros_like(col["mrr"])
    earliest = 0 if report.opening_month is not None else max(0, positions[0] - 1)
    col.update(cohorts_12m_by_segment(arrays, positions, earliest))

    # The costs and funnel by segment (their ``segment`` column), when given for this attribute.
    inputs, input_notes = input_columns(data, by, segments, months, col["mrr"], lambda: _grouped(subs, by, segments))
    col.update(inputs)
    by_input = SEGMENTABLE_KEYS if inputs else frozenset()

    out: dict[str, np.ndarray] = {}
    not_segmentable = []
    opening_at = 0 if report.opening_month is not None else None
    computed = []
    # What a segment has: its columns, the derived ones, and the KPIs segmentable so far.
    available = set(col) | set(DERIVED)
    for entry in KPIS:
        if not entry.monthly or entry.key == "month":
            continue
        readable = entry.key in col if entry.formula is None else set(entry.arguments) <= available
        if (
            entry.input_sheets and entry.key not in by_input
        ) or not readable:  # an input, or a per-customer figure, with no segment
            not_segmentable.append(entry.key)
            out[entry.key] = np.full((n_segments, len(months)), np.nan)
            continue
        available.add(entry.key)
        if entry.formula is None:  # the 12-month cohorts, computed above by segment
            out[entry.key] = col[entry.key]
        elif entry.taken is not None and entry.key not in RETENTION_COLUMNS:
            out[entry.key] = col[entry.taken]
        else:
            computed.append(entry)
            out[entry.key] = np.full((n_segments, len(months)), np.nan)
    for s in range(n_segments):
        values = _segment_values(col, s, months, opening_at)
        for entry in computed:
            scope = _scope(values, RETENTION_COLUMNS.get(entry.key, {}), col, s, opening_at)
            result = pd.Series(entry.evaluate(scope), index=months, dtype=float)
            out[entry.key][s] = result.to_numpy()
            values[entry.key] = result  # a later KPI may read it (LTV reads ARPU)
    out["entered_mrr"], out["left_mrr"] = col["entered_mrr"], col["left_mrr"]
    # The note names the KPIs the company has and its segments have not (one the company has
    # not either, for want of its input, is no news by segment).
    named = [k for k in not_segmentable if k not in report.monthly or report.monthly[k].notna().any()]
    if named:
        notes.append(
            "by segment, "
            + ", ".join(named)
            + " are blank: their inputs (costs, funnel, NPS, cash) or per-customer figures have no segment"
        )
    notes += input_notes
    index = pd.MultiIndex.from_product([months, range(n_segments)], names=["month", "segment"])
    frame = pd.DataFrame({k: out[k].T.reshape(-1) for k in SEGMENT_KEYS}, index=index)
    return SegmentReport(
        by, segments, frame, notes, arrays, cm.customer_ids, cm.months, col, frozenset(not_segmentable)
    )


#: Segment movement types, in the order of the segment bridge, with the sign of ``change``.
SEGMENT_MOVES = (
    ("new", "new_mrr", 1.0),
    ("expansion", "expansion_mrr", 1.0),
    ("reactivation", "reactivation_mrr", 1.0),
    ("fx", "fx_mrr", 1.0),
    ("entered", "entered_mrr", 1.0),
    ("contraction", "contraction_mrr", -1.0),
    ("churned", "churned_mrr", -1.0),
    ("left", "left_mrr", -1.0),
)


def segment_movements(
    result: SegmentReport, start: pd.Period | None = None, end: pd.Period | None = None
) -> pd.DataFrame:
    """The movement log by segment: one row per customer, segment, month and move.

    Columns ``month``, ``customer_id``, the attributes of ``result.by``, ``type`` (as
    :data:`SEGMENT_MOVES`: the company's types and ``entered`` / ``left``), ``mrr_before``,
    ``mrr_after`` (the customer's MRR in that segment) and ``change``.  A segment's ``fx`` row
    comes from its previous MRR to the same amounts at this month's rate, and its own move
    (expansion, contraction, left) from there, so each row's change is after − before.  Its
    sums by month, segment and type are the segment bridge (contraction, churned and left with
    a minus sign).
    """
    if result.arrays is None:
        raise ValueError("this SegmentReport has no engine arrays: make it with segment_report()")
    e = result.arrays.events
    month = e["month"]
    keep = np.ones(len(month), dtype=bool)
    first = number_of(result.months[0]) if len(result.months) else 0
    if start is not None:
        keep &= month >= number_of(start) - first
    if end is not None:
        keep &= month <= number_of(end) - first
    before, after, fx = e["before"], e["after"], e["fx_mrr"]
    revalued = before + fx
    parts = []
    for order, (kind, column, sign) in enumerate(SEGMENT_MOVES):
        amount = e[column]
        rows = np.flatnonzero(keep & (amount != 0))
        if kind in ("new", "reactivation", "entered"):
            was, now = np.zeros(len(rows)), after[rows]
        elif kind == "churned":
            was, now = before[rows], np.zeros(len(rows))
        elif kind == "fx":
            own = (e["expansion_mrr"] + e["contraction_mrr"] + e["left_mrr"])[rows] != 0
            was, now = before[rows], np.where(own, revalued[rows], after[rows])
        else:  # expansion, contraction, left: from the previous amounts at this month's rate
            was, now = revalued[rows], after[rows]
        parts.append(
            pd.DataFrame(
                {
                    "_month": month[rows],
                    "_order": order,
                    "customer_id": result.customer_ids[e["customer"][rows]],
                    "_segment": e["segment"][rows],
                    "type": kind,
                    "mrr_before": was,
                    "mrr_after": now,
                    "change": sign * amount[rows],
                }
            )
        )
    log = pd.concat(parts, ignore_index=True).sort_values(
        ["_month", "_order", "customer_id", "_segment"], kind="stable"
    )
    log.insert(0, "month", result.months[log["_month"].to_numpy()])
    labels = result.segments.iloc[log["_segment"].to_numpy()].reset_index(drop=True)
    log = log.drop(columns=["_month", "_order", "_segment"]).reset_index(drop=True)
    for k, column in enumerate(result.by):
        log.insert(2 + k, column, labels[column].astype(str).to_numpy())
    return log
