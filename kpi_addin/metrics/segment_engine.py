"""The segmented MRR engine: month-end MRR, its bridge, counts and retention by segment.

The rules (``docs/conventions.md``, *Segments*):

* **Money by where it is billed.**  A customer's MRR in segment S is the MRR of its
  subscriptions in S.  For customer c and month M let a and b be its MRR in S at the
  ends of M−1 and M, and A and B its whole MRR (the company's figures).  A = 0 < B: S
  gets new (or reactivation) b.  B = 0 < A: S gets churned a.  Both paying: S gets the
  FX part of its previous local amounts (``fx``), then expansion or contraction by the
  rest (a, b > 0), ``entered`` b (a = 0) or ``left`` a + its FX part (b = 0).
* **Customers and retention by where the customer started.**  A customer's segment at a
  month is the one holding most of its MRR then (ties: the first by name).  Counts at a
  month use it then; churn and retention use it at the start of their window and follow
  the customer's whole MRR.

How it is computed, without a customer × month table and without a Python loop over
customers: the ledger is run through :func:`~.mrr.customer_mrr` a second time with each
(customer, segment) *pair* as the customer, keeping sub-cent levels (``paying_only``
False), so each pair's changes carry their own FX part.  Every pair change, and every
pair of a customer at a month its whole MRR starts or stops paying, is an *event*; the
pair's MRR before and after and the customer's before and after are looked up by binary
search in the two change logs, the rules above are applied to the event arrays at once,
and ``np.bincount`` sums them per (segment, month).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .mrr import CustomerMRR, MonthEndCursor

#: Per (segment, month) arrays of :class:`SegmentArrays`, money by where it is billed.
MONEY_MOVES = (
    "new_mrr",
    "expansion_mrr",
    "reactivation_mrr",
    "fx_mrr",
    "entered_mrr",
    "contraction_mrr",
    "churned_mrr",
    "left_mrr",
)

#: The twelve-month cohort sums of :class:`SegmentArrays` (``cohorts``).
COHORT_SUMS = ("cohort_mrr", "kept_mrr", "floor_mrr", "cohort_customers", "paying_customers")


@dataclass(frozen=True)
class SegmentArrays:
    """Per segment (rows, in segment code order) and month (columns, ``cm.months``).

    ``money``: ``mrr``, ``start_mrr`` and :data:`MONEY_MOVES` by where it is billed.
    ``customers``: ``customers``, ``start_customers``, ``new_customers``,
    ``reactivated_customers`` (segment at the month), ``churned_customers`` (at the start).
    ``retention``: by the customers' segment at the start of the month and their whole
    MRR: ``customer_mrr`` (the MRR of the customers whose segment it is, for ARPU),
    ``retention_start_mrr``, ``retention_expansion_mrr`` (rises, FX included),
    ``net_contraction_mrr`` (falls, FX included), ``retention_churned_mrr``.
    ``single``: each customer's segment when all its subscriptions are in one (−1: several).
    ``cohorts``: the twelve-month cohort of each month (the customers paying twelve months
    before, by their segment then): ``cohort_mrr`` (their MRR then), ``kept_mrr`` (now),
    ``floor_mrr`` (the lesser of the two, summed), ``cohort_customers``, ``paying_customers``
    (still paying); 0 in the first twelve months.
    ``parts``: the events of the customers in one segment (their changes) and of the others
    (their pairs' changes and flips), each ``customer``, ``segment``, ``month``,
    ``whole_before``, ``whole_after``, ``before``, ``after``, ``fx`` and ``is_new``.
    """

    money: dict[str, np.ndarray]
    customers: dict[str, np.ndarray]
    retention: dict[str, np.ndarray]
    single: np.ndarray
    parts: tuple[dict[str, np.ndarray], ...]
    cohorts: dict[str, np.ndarray]

    @cached_property
    def events(self) -> dict[str, np.ndarray]:
        """One entry per (customer, segment, month) whose MRR in the segment moved:
        ``customer`` (code in ``cm``), ``segment``, ``month`` (position), ``before``, ``after``
        and each of :data:`MONEY_MOVES` (its amount, 0 if none) — the rows of the segment
        movement log, whose sums are ``money``.  Built when asked (the log), not for the sums."""
        keys = ("customer", "segment", "month", "before", "after")
        moved = [segment_moves(part) for part in self.parts]
        out = {k: np.concatenate([part[k] for part in self.parts]) for k in keys}
        out.update({k: np.concatenate([m[k] for m in moved]) for k in MONEY_MOVES})
        return out


#: The code of an event with no move but its FX part (:func:`segment_move_codes`).
NO_MOVE = len(MONEY_MOVES)
NEW, EXPANSION, REACTIVATION, FX, ENTERED, CONTRACTION, CHURNED, LEFT = range(NO_MOVE)


def segment_move_codes(part: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rules of *money by where it is billed* on events: (code, amount, fx).

    ``whole_before``/``whole_after`` are the customer's MRR at the two month ends (A, B),
    ``before``/``after`` its MRR in the segment (a, b; 0 where the customer is not paying),
    ``fx`` the FX part of the segment's previous local amounts, ``is_new`` its first gain.
    Each event makes at most one move besides its FX part: ``code`` is its position in
    :data:`MONEY_MOVES` (:data:`NO_MOVE`: none) and ``amount`` its size (≥ 0); the returned
    ``fx`` is the event's FX part (0 unless the customer pays in both months and the
    segment held MRR before).
    """
    big_a, big_b, a, b = part["whole_before"], part["whole_after"], part["before"], part["after"]
    had, has = a != 0, b != 0
    staying = (big_a > 0) & (big_b > 0)
    kept = staying & had
    fx = np.where(kept, part["fx"], 0.0)
    code = np.full(len(a), NO_MOVE, dtype=np.int8)
    amount = np.zeros(len(a))
    joined = np.flatnonzero((big_a <= 0) & (big_b > 0))
    code[joined] = np.where(part["is_new"][joined], NEW, REACTIVATION)
    amount[joined] = b[joined]
    leaving = np.flatnonzero((big_a > 0) & (big_b <= 0))
    code[leaving], amount[leaving] = CHURNED, a[leaving]
    entered = np.flatnonzero(staying & ~had & has)
    code[entered], amount[entered] = ENTERED, b[entered]
    left = np.flatnonzero(kept & ~has)
    code[left], amount[left] = LEFT, a[left] + fx[left]
    both = np.flatnonzero(kept & has)
    a_both, b_both = a[both], b[both]
    rest = b_both - a_both - fx[both]
    rest[np.abs(rest) <= 1e-9 * np.maximum(np.abs(a_both), np.abs(b_both))] = 0.0  # float noise is not a move
    code[both] = np.where(rest > 0, EXPANSION, np.where(rest < 0, CONTRACTION, NO_MOVE))
    amount[both] = np.abs(rest)
    return code, amount, fx


def segment_moves(part: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each of :data:`MONEY_MOVES` per event (its amount, 0 if none): :func:`segment_move_codes` spread out."""
    code, amount, fx = segment_move_codes(part)
    moves = {k: np.where(code == i, amount, 0.0) for i, k in enumerate(MONEY_MOVES)}
    moves["fx_mrr"] = fx
    return moves


def _at(keys: np.ndarray, values: np.ndarray, owner: np.ndarray, month: np.ndarray, height: int) -> np.ndarray:
    """Each ``owner``'s value at the end of ``month``: its latest change at or before it (0 if none).

    ``keys`` = owner × ``height`` + month of the changes, ascending; ``month`` may be −1 (before any).
    """
    idx = np.searchsorted(keys, owner * height + month, side="right") - 1
    ok = (idx >= 0) & (month >= 0)
    ok[ok] = keys[idx[ok]] // height == owner[ok]
    return np.where(ok, values[np.maximum(idx, 0)], 0.0)


def _exact(keys: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index, found) of each ``query`` key among ``keys`` (ascending)."""
    if not len(keys):
        return np.zeros(len(query), dtype=np.int64), np.zeros(len(query), dtype=bool)
    idx = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    return idx, keys[idx] == query


def _distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct integers (a sort: numpy's hashing ``unique`` is several times slower here;
    a stable sort, which merges the sorted runs these keys come in, not a quicksort)."""
    ordered = np.sort(values, kind="stable")
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def _expand(groups: np.ndarray, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each entry of ``groups``, every position ``bounds[g]..bounds[g + 1]``: (entry, position)."""
    counts = bounds[groups + 1] - bounds[groups]
    entry = np.repeat(np.arange(len(groups)), counts)
    offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return entry, np.repeat(bounds[groups], counts) + offset


def segment_arrays(
    cm: CustomerMRR,
    pairs: CustomerMRR,
    pair_customer: np.ndarray,
    pair_segment: np.ndarray,
    n_segments: int,
    single: np.ndarray,
) -> SegmentArrays:
    """Apply the segment rules to the company's and the pairs' change logs.

    ``single[c]`` is customer ``c``'s segment when all its subscriptions are in one, else
    −1: such a customer's MRR in its segment is its MRR, so its changes are the company's.
    ``pairs`` is :func:`~.mrr.customer_mrr` of the other customers' subscriptions with each
    (customer, segment) pair as the customer (``paying_only=False``), over the same months
    as ``cm``; ``pair_customer[p]`` / ``pair_segment[p]`` are pair ``p``'s customer code in
    ``cm`` and its segment code (segment codes in name order: the lower wins a tie).
    """
    n = len(cm.months)
    height = n + 1
    cells = n_segments * n

    def per_cell(cell: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Sums by (segment, month) cell; a cell index of ``cells`` (no segment) is left out."""
        total = np.bincount(cell, weights=weights, minlength=cells + 1)[:cells]
        return total.reshape(n_segments, n).astype(float)

    # The company: each change's key, paying before and after, new (a customer's first gain).
    c_customer = cm.change_customer.astype(np.int64)
    c_month = cm.change_month.astype(np.int64)
    c_key = c_customer * height + c_month
    c_was, c_now = cm.mrr_before > 0, cm.mrr_after > 0  # sub-unit MRR is already 0
    gained = c_now & ~c_was
    first_gain = np.zeros(len(c_key), dtype=bool)
    gains = np.flatnonzero(gained)
    if len(gains):
        first_gain[gains[np.r_[True, c_customer[gains][1:] != c_customer[gains][:-1]]]] = True
    c_single = single[c_customer]
    one = np.flatnonzero(c_single >= 0)  # the changes of customers in one segment
    many = np.flatnonzero(c_single < 0)

    # The pairs of the other customers: keys, and each customer's pairs (positions by customer).
    p_key = pairs.change_customer.astype(np.int64) * height + pairs.change_month
    p_level = pairs.mrr_after.copy()
    p_level[np.abs(p_level) < 1e-7] = 0.0  # a running sum's float residue is no MRR
    p_before = np.r_[0.0, p_level[:-1]] if len(p_level) else p_level.copy()
    if len(p_level):
        p_before[np.r_[True, pairs.change_customer[1:] != pairs.change_customer[:-1]]] = 0.0
    by_customer = np.argsort(pair_customer, kind="stable")
    bounds = np.searchsorted(pair_customer[by_customer], np.arange(len(cm.customer_ids) + 1))

    # Their events: every pair change, and every pair of a customer whose whole MRR starts or
    # stops paying (a change of the customer that its pair did not make).
    flips = many[c_was[many] != c_now[many]]
    entry, position = _expand(c_customer[flips], bounds)
    flip_keys = by_customer[position].astype(np.int64) * height + c_month[flips][entry]
    _idx, known = _exact(p_key, flip_keys)
    extra = _distinct(flip_keys[~known])
    x_pair, x_month = np.divmod(extra, height)
    e_pair = np.concatenate([pairs.change_customer.astype(np.int64), x_pair])
    e_month = np.concatenate([pairs.change_month.astype(np.int64), x_month])
    # An extra pair did not change in its month: its level before is its level after.
    x_level = _at(p_key, p_level, x_pair, x_month, height)
    a_raw = np.concatenate([p_before, x_level])
    b_raw = np.concatenate([p_level, x_level])
    del x_level
    fx_raw = np.concatenate([pairs.fx_change, np.zeros(len(extra))])
    e_customer = pair_customer[e_pair].astype(np.int64)
    # The customer's MRR at the two month ends: one search finds its latest change at or
    # before the month; a change in the month gives both, an earlier one the level of both.
    # (Among the changes of the customers in several segments, the only ones asked about: a
    # third of the keys to search.)
    many_key = c_key[many]
    e_key = e_customer * height + e_month  # (customer, month) of each event
    idx = np.searchsorted(many_key, e_key, side="right") - 1
    ok = idx >= 0
    idx = many[np.maximum(idx, 0)] if len(many) else np.maximum(idx, 0)
    ok &= c_customer[idx] == e_customer if len(c_key) else ok
    found = ok & (c_month[idx] == e_month) if len(c_key) else ok
    big_b = np.where(ok, cm.mrr_after[idx], 0.0) if len(c_key) else np.zeros(len(e_customer))
    big_a = np.where(found, cm.mrr_before[idx], big_b) if len(c_key) else big_b
    is_new = found & (first_gain[idx] if len(c_key) else found)

    # The single-segment customers' events are their changes, as they are (a = A, b = B).
    one_before, one_after = cm.mrr_before[one], cm.mrr_after[one]
    parts = (
        {
            "customer": c_customer[one],
            "segment": c_single[one],
            "month": c_month[one],
            "whole_before": one_before,
            "whole_after": one_after,
            "before": one_before,
            "after": one_after,
            "fx": cm.fx_change[one],
            "is_new": first_gain[one],
        },
        {
            "customer": e_customer,
            "segment": pair_segment[e_pair].astype(np.int64),
            "month": e_month,
            "whole_before": big_a,
            "whole_after": big_b,
            "before": np.where(big_a > 0, a_raw, 0.0),
            "after": np.where(big_b > 0, b_raw, 0.0),
            "fx": fx_raw,
            "is_new": is_new,
        },
    )
    del a_raw, b_raw, fx_raw, idx, ok, found, x_pair, x_month  # event-sized temporaries: a smaller peak
    # Sums per (segment, month) cell, part by part: no event table of both is built.
    money = {k: np.zeros((n_segments, n)) for k in (*MONEY_MOVES, "mrr")}
    for part in parts:
        e_cell = part["segment"] * n + part["month"]  # every event has a segment: one cell index for every sum
        code, amount, fx = segment_move_codes(part)
        # One sum over (cell, move): each cell's amounts add in event order, as eight sums would.
        by_move = np.bincount(e_cell * (NO_MOVE + 1) + code, weights=amount, minlength=cells * (NO_MOVE + 1))
        by_move = by_move.reshape(n_segments, n, NO_MOVE + 1)
        for i, k in enumerate(MONEY_MOVES):
            if i != FX:  # never a code: an event's FX part is beside its move
                money[k] += by_move[:, :, i]
        money["fx_mrr"] += np.bincount(e_cell, weights=fx, minlength=cells).reshape(n_segments, n)
        money["mrr"] += np.bincount(e_cell, weights=part["after"] - part["before"], minlength=cells).reshape(
            n_segments, n
        )
        del code, amount, fx, by_move, e_cell
    mrr = np.cumsum(money["mrr"], axis=1)
    mrr[np.abs(mrr) < 1e-7] = 0.0  # a segment emptied is 0, not the running sum's float residue
    money["mrr"] = mrr
    money["start_mrr"] = np.concatenate([np.zeros((n_segments, 1)), mrr[:, :-1]], axis=1)

    # Each customer's segment whenever it may change: the one holding most of its MRR.
    # One segment: it while paying.  Several: the pair holding most, at each month one moves.
    moments = _distinct(np.concatenate([e_key, many_key]))
    del e_key
    m_customer, m_month = np.divmod(moments, height)
    level_now = _at(many_key, cm.mrr_after[many], m_customer, m_month, height)
    entry, position = _expand(m_customer, bounds)
    candidate = by_customer[position].astype(np.int64)
    held = _at(p_key, p_level, candidate, m_month[entry], height)
    # Per moment (``entry`` ascends): the most held, then the lowest segment holding it; no sort.
    dominant = np.full(len(moments), -1, dtype=np.int64)
    if len(entry):
        starts = np.flatnonzero(np.r_[True, entry[1:] != entry[:-1]])
        most = np.repeat(np.maximum.reduceat(held, starts), np.diff(np.r_[starts, len(entry)]))
        segment_held = np.where(held == most, pair_segment[candidate], n_segments)
        dominant[entry[starts]] = np.minimum.reduceat(segment_held, starts)
    dominant[level_now <= 0] = -1
    same_customer = np.concatenate([[False], m_customer[1:] == m_customer[:-1]])[: len(m_customer)]
    previous = np.where(same_customer, np.concatenate([[-1], dominant[:-1]])[: len(dominant)], -1)
    # The log of the customers in several segments (the moments are sorted: customer, then month).
    changed = np.flatnonzero(dominant != previous)
    log_customer, log_month = np.divmod(moments[changed], height)
    log_segment = dominant[changed]
    # Each month end: the customers and their MRR by their segment, summed (not a running sum:
    # a part summed so stays below its whole, as a churn rate's numerator must).
    customer_mrr = np.zeros((n_segments, n))
    counts = {"customers": np.zeros((n_segments, n))}
    cohorts = {k: np.zeros((n_segments, n)) for k in COHORT_SUMS}
    # The same walk gives the twelve-month cohorts: each month's paying customers, their MRR
    # and segment are kept twelve months and read against the MRR then (no second walk).
    waiting: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    levels = MonthEndCursor(cm)
    # Every customer's segment at the month end (read where it pays): its one segment, or the
    # segment log's, applied month by month.
    segment_now = single.astype(np.int64)  # (np.bincount counts by int64: no conversion a month)
    by_month = np.argsort(log_month, kind="stable")
    log_bounds = np.searchsorted(log_month[by_month], np.arange(n + 1))
    log_customer, log_segment = log_customer[by_month], log_segment[by_month]
    for j, period in enumerate(cm.months):
        level = levels.at(period)
        step = slice(log_bounds[j], log_bounds[j + 1])
        segment_now[log_customer[step]] = log_segment[step]
        paying = np.flatnonzero(level > 0)
        segment = segment_now[paying]
        paid = level[paying]
        customer_mrr[:, j] = np.bincount(segment, weights=paid, minlength=n_segments)
        counts["customers"][:, j] = np.bincount(segment, minlength=n_segments)
        if j >= 12:
            cohort, before, cohort_segment = waiting.pop(j - 12)
            now = level[cohort]
            for k, weights in zip(
                COHORT_SUMS, (before, now, np.minimum(now, before), None, (now > 0).astype(float)), strict=True
            ):
                cohorts[k][:, j] = np.bincount(cohort_segment, weights=weights, minlength=n_segments)
        if j + 12 < n:
            waiting[j] = (paying, paid, segment)
    counts["start_customers"] = np.concatenate([np.zeros((n_segments, 1)), counts["customers"][:, :-1]], axis=1)

    # The company's changes: each customer's segment at the start and at the end of the month
    # (in one segment: it, while paying; −1: not paying).
    start_segment = np.where(c_was, c_single, -1)
    now_segment = np.where(c_now, c_single, -1)
    at, _found = _exact(moments, many_key)
    start_segment[many], now_segment[many] = previous[at], dominant[at]

    def cell_of(segment: np.ndarray, month: np.ndarray) -> np.ndarray:
        return np.where(segment >= 0, segment * n + month, cells)

    # Each sum over the changes it counts (in change order, as over all of them with zeros).
    gain = np.flatnonzero(gained)
    gain_cell, first = cell_of(now_segment[gain], c_month[gain]), first_gain[gain]
    counts["new_customers"] = per_cell(gain_cell[first])
    counts["reactivated_customers"] = per_cell(gain_cell[~first])
    was = np.flatnonzero(c_was)
    was_cell, before, after = cell_of(start_segment[was], c_month[was]), cm.mrr_before[was], cm.mrr_after[was]
    del start_segment, now_segment
    churned = after <= 0
    counts["churned_customers"] = per_cell(was_cell[churned])
    whole = after - before
    noise = 1e-9 * np.maximum(after, before)
    retention = {
        "customer_mrr": customer_mrr,
        "retention_start_mrr": np.concatenate([np.zeros((n_segments, 1)), customer_mrr[:, :-1]], axis=1),
        "retention_expansion_mrr": per_cell(was_cell, np.where(~churned & (whole > noise), whole, 0.0)),
        "net_contraction_mrr": per_cell(was_cell, np.where(~churned & (whole < -noise), -whole, 0.0)),
        "retention_churned_mrr": per_cell(was_cell[churned], before[churned]),
    }
    for name in counts:
        counts[name] = np.rint(counts[name])
    return SegmentArrays(money, counts, retention, single, parts, cohorts)


def cohorts_12m_by_segment(arrays: SegmentArrays, months: list[int], earliest: int) -> dict[str, np.ndarray]:
    """``nrr_12m``, ``grr_12m``, ``logo_retention_12m`` by the customers' segment twelve months before.

    ``months`` and ``earliest`` are positions in the company's months (as
    :func:`~.trailing.cohort_retention_12m`: a window reaching before ``earliest`` is
    undefined).  Returns (segment × len(months)) arrays.
    """
    sums = {k: v[:, months] for k, v in arrays.cohorts.items()}
    defined = np.array([j - 12 >= max(earliest, 0) for j in months])
    total, size = sums["cohort_mrr"], sums["cohort_customers"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out = {
            "nrr_12m": np.where(total > 0, sums["kept_mrr"] / total, np.nan),
            "grr_12m": np.where(total > 0, sums["floor_mrr"] / total, np.nan),
            "logo_retention_12m": np.where(size > 0, sums["paying_customers"] / size, np.nan),
        }
    return {k: np.where(defined, v, np.nan) for k, v in out.items()}
