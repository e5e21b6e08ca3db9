"""A customer's MRR as change points: the months where it changes, summed per customer.

A subscription is +value in its first earning month and −value in its first month after;
the events of one customer and month are summed, and a per-customer running sum gives the
level at each change.  Customers with a foreign-currency subscription are expanded month by
month over the months their foreign subscriptions can move them (see :mod:`.mrr`).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np

from ._core import KPIInputError
from .months import period_of


def levels(
    customer: np.ndarray, begin: np.ndarray, finish: np.ndarray, value: np.ndarray, n_months: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each customer's running MRR at the months where one of its subscriptions starts or stops.

    Subscriptions earn ``value`` in months ``[begin, finish)``.  Returns ``(customer,
    month, level)`` sorted by customer then month (months below ``n_months`` only):
    ``level`` is the customer's MRR from that month on.  The events of one customer and
    month are summed in ledger order (starts, then stops) and the levels run month after
    month, exactly as a customer × month difference array and its cumulative sum would.
    """
    height = n_months + 1  # the month after the last takes the -value of subscriptions still earning
    n = len(customer)
    # Keys (customer, month) in 32 bits where they fit: half the memory, and a faster sort.
    wide = (int(customer.max(initial=0)) + 1) * height >= 2**31
    key = np.empty(2 * n, dtype=np.int64 if wide else np.int32)
    np.multiply(customer, height, out=key[:n], casting="unsafe")
    key[n:] = key[:n]
    np.add(key[:n], begin, out=key[:n], casting="unsafe")
    np.add(key[n:], finish, out=key[n:], casting="unsafe")
    order, sorted_key = _sort_with_positions(key)
    del key
    first_of_group = np.ones(2 * n, dtype=bool)
    np.not_equal(sorted_key[1:], sorted_key[:-1], out=first_of_group[1:])
    group = np.empty(2 * n, dtype=np.intp)
    group[order] = np.cumsum(first_of_group) - 1
    del order
    # bincount adds each group's events in the order given: starts, then stops, by ledger row.
    level = np.bincount(group, weights=np.concatenate([value, -value]))
    del group
    customer, month = np.divmod(sorted_key[first_of_group], height)
    del sorted_key, first_of_group
    # A running sum per customer over its months: one vectorised step per change rank.
    starts = np.flatnonzero(np.r_[True, customer[1:] != customer[:-1]]) if len(level) else np.empty(0, np.int64)
    counts = np.diff(np.r_[starts, len(level)])
    by_count = np.argsort(-counts, kind="stable")
    starts, counts = starts[by_count], counts[by_count]
    for rank in range(1, int(counts[0]) if len(counts) else 0):
        at = starts[: np.searchsorted(-counts, -rank, side="left")] + rank
        level[at] += level[at - 1]
    keep = month < n_months
    return customer[keep], month[keep], level[keep]


def _sort_with_positions(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(np.argsort(key), np.sort(key))`` for non-negative keys, by one sort of 64-bit words
    holding each key above its position when both fit (a sort of plain integers is
    vectorised where an argsort is not: 0.16 s against 0.26 s for 2M keys)."""
    n = len(key)
    position_bits = max(int(n - 1).bit_length(), 1)
    if n == 0 or int(key.max()).bit_length() + position_bits > 62:
        order = np.argsort(key, kind="stable")
        return order, key[order]
    packed = key.astype(np.int64) << position_bits
    packed |= np.arange(n, dtype=np.int64)
    packed.sort()
    order = packed & ((1 << position_bits) - 1)
    packed >>= position_bits
    return order, packed.astype(key.dtype, copy=False)


#: Points (customer months) worked out at a time: arrays of 8 MB at most, below glibc's
#: threshold for memory mapped afresh, so each block reuses the last one's memory (no page
#: faults, cache-warm).  Blocks hold whole customers, so each is worked out on its own.
BLOCK = 1 << 20


def with_foreign(
    domestic: tuple[np.ndarray, np.ndarray, np.ndarray],
    local: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    rates: np.ndarray,
    currencies: list[str],
    n_customers: int,
    n_months: int,
    first: int,
) -> tuple[int, Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]]:
    """Domestic levels plus each foreign currency's levels at each month's rate, and the FX parts.

    A customer with a foreign subscription is expanded month by month over the months
    its foreign levels can move it: from its first foreign change to its last (to the
    end while a foreign level is still nonzero there).  Outside them the foreign levels
    are exactly 0, so its MRR is its domestic level, as it would be in a full table.
    The FX part of a cell is the previous month's local amounts × (this month's rate −
    last month's), summed over the currencies (0 outside the cells; a rate missing in a
    month where the amount is gone counts as unchanged).

    Returns the number of points and an iterator of ``(customer, month, level, fx)`` in
    blocks of whole customers (:data:`BLOCK` points or so), in customer order: put end to
    end, every customer's points by month.  A rate missing where an amount is raises
    :class:`KPIInputError` here, before any block.
    """
    height = n_months + 1
    lo = np.full(n_customers, n_months, dtype=np.int64)
    hi = np.zeros(n_customers, dtype=np.int64)
    for customer, month, level in local:
        if not len(customer):
            continue
        head = np.r_[True, customer[1:] != customer[:-1]]
        tail = np.r_[customer[1:] != customer[:-1], True]
        owners = customer[head]
        lo[owners] = np.minimum(lo[owners], month[head])
        reach = np.where(level[tail] != 0.0, n_months, month[tail] + 1)
        hi[owners] = np.maximum(hi[owners], reach)
    for k, (customer, month, level) in enumerate(local):
        _check_rates(customer, month, level, hi, rates[k], currencies[k], first)
    expanded = np.flatnonzero(hi > lo)
    span = hi[expanded] - lo[expanded]
    offset = np.zeros(n_customers, dtype=np.int64)
    offset[expanded] = np.cumsum(span) - span
    n_cells = int(span.sum())
    heads = offset[expanded]
    cell_bounds = np.r_[heads, n_cells]  # the cells of expanded customers e..e' - 1: [cell_bounds[e], cell_bounds[e'])

    # Domestic level on the cells: the level before the first cell, then its changes.
    d_customer, d_month, d_level = domestic
    d_key = d_customer.astype(np.int64) * height + d_month
    previous = np.searchsorted(d_key, expanded * height + lo[expanded]) - 1
    del d_key
    known = previous >= 0
    known[known] = d_customer[previous[known]] == expanded[known]
    before = np.zeros(len(expanded))
    before[known] = d_level[previous[known]]
    inside = (lo[d_customer] <= d_month) & (d_month < hi[d_customer])
    d_cells = offset[d_customer[inside]] + d_month[inside] - lo[d_customer[inside]]
    d_inside = d_level[inside]
    local_cells = [offset[customer] + month - lo[customer] for customer, month, _ in local]
    # Each month's rate and rate move, worked out once and read per cell.
    month_rates = [np.nan_to_num(rates[k]) for k in range(len(local))]
    moves = [np.nan_to_num(rates[k] - rates[k][np.maximum(np.arange(n_months) - 1, 0)]) for k in range(len(local))]

    # The result, customer by customer: its domestic points before its cells, the cells, its
    # domestic points after.  The points that are not cells are the domestic points left
    # outside the cells, in their order, so each column is filled by two masked copies.
    span_of = np.maximum(hi - lo, 0)
    n_domestic = np.bincount(d_customer, minlength=n_customers)
    n_outside = n_domestic - np.bincount(d_customer[inside], minlength=n_customers)
    n_before = np.bincount(d_customer[d_month < lo[d_customer]], minlength=n_customers)
    n_out = n_outside + span_of
    ends = np.cumsum(n_out)
    cuts = np.unique(np.r_[0, np.searchsorted(ends, np.arange(BLOCK, int(ends[-1]) if n_customers else 0, BLOCK)) + 1])
    cuts = np.r_[cuts[cuts < n_customers], n_customers]

    def blocks() -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        for c0, c1 in pairwise(cuts.tolist()):
            e0, e1 = np.searchsorted(expanded, [c0, c1]).tolist()
            x0, x1 = int(cell_bounds[e0]), int(cell_bounds[e1])
            m = x1 - x0
            block_heads = heads[e0:e1] - x0
            cell_month = np.arange(x0, x1) - np.repeat(offset[expanded[e0:e1]] - lo[expanded[e0:e1]], span[e0:e1])
            a, b = np.searchsorted(d_cells, [x0, x1]).tolist()
            total = fill(m, block_heads, before[e0:e1], d_cells[a:b] - x0, d_inside[a:b])
            fx = np.zeros(m)
            for k, (_, _, level) in enumerate(local):
                a, b = np.searchsorted(local_cells[k], [x0, x1]).tolist()
                amounts = fill(m, block_heads, np.zeros(len(block_heads)), local_cells[k][a:b] - x0, level[a:b])
                # The previous month's local amount (0 at a head: no foreign level before it) × the rate's move.
                moved = np.empty(m)
                moved[1:] = amounts[:-1]
                moved[block_heads] = 0.0
                moved *= moves[k][cell_month]
                fx += moved
                amounts *= month_rates[k][cell_month]
                total += amounts
            p0, p1 = np.searchsorted(d_customer, [c0, c1]).tolist()
            outside = ~inside[p0:p1]
            runs = np.stack([n_before[c0:c1], span_of[c0:c1], n_outside[c0:c1] - n_before[c0:c1]], axis=1).ravel()
            is_cell = np.repeat(np.tile(np.array([False, True, False]), c1 - c0), runs)
            size = int(n_out[c0:c1].sum())
            customer_out = np.repeat(np.arange(c0, c1, dtype=d_customer.dtype), n_out[c0:c1])
            month_out = np.empty(size, dtype=d_month.dtype)
            level_out = np.empty(size)
            fx_out = np.zeros(size)
            month_out[is_cell], level_out[is_cell], fx_out[is_cell] = cell_month, total, fx
            np.logical_not(is_cell, out=is_cell)
            month_out[is_cell], level_out[is_cell] = d_month[p0:p1][outside], d_level[p0:p1][outside]
            yield customer_out, month_out, level_out, fx_out

    return int(ends[-1]) if n_customers else 0, blocks()


def customer_blocks(customer: np.ndarray) -> list[tuple[int, int]]:
    """``customer`` (sorted) cut into ranges of whole customers of :data:`BLOCK` points or so.

    Examples
    --------
    >>> customer_blocks(np.array([0, 0, 1, 1, 1, 2]))  # one block: fewer points than BLOCK
    [(0, 6)]
    """
    n = len(customer)
    edges = np.unique(np.r_[0, np.searchsorted(customer, customer[np.arange(BLOCK, n, BLOCK)]), n]).tolist()
    return list(pairwise(edges))


def _check_rates(
    customer: np.ndarray,
    month: np.ndarray,
    level: np.ndarray,
    hi: np.ndarray,
    rate: np.ndarray,
    currency: str,
    first: int,
) -> None:
    """Raise :class:`KPIInputError` naming the months without ``rate`` where a local amount is
    (above 1e-9: noise is not MRR): each level holds from its month to the customer's next
    one, or to the end of its cells (``hi``)."""
    no_rate = np.isnan(rate)
    if not no_rate.any() or not len(customer):
        return
    last = np.r_[customer[1:] != customer[:-1], True]
    until = np.where(last, hi[customer], np.r_[month[1:], 0])
    held = np.abs(level) > 1e-9
    covered = np.zeros(len(rate) + 1, dtype=np.int64)
    np.add.at(covered, month[held], 1)
    np.add.at(covered, until[held], -1)
    missing = np.flatnonzero(no_rate & (np.cumsum(covered[:-1]) > 0))
    if len(missing):
        raise KPIInputError("fx_rates", missing_rates_message(currency, missing + first))


def fill(n_cells: int, heads: np.ndarray, head_values: np.ndarray, cells: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Cells holding ``values`` at ``cells`` and carried forward, each run starting at a head.

    ``heads`` and ``cells`` are increasing positions below ``n_cells``, the first head 0; a
    cell at a head wins over the head's value.  Each value is repeated up to the next point
    (one pass writing the cells, no index array of their size).

    Examples
    --------
    >>> fill(7, np.array([0, 4]), np.array([1.0, 2.0]), np.array([2, 4, 5]), np.array([7.0, 8.0, 9.0])).tolist()
    [1.0, 1.0, 7.0, 7.0, 8.0, 9.0, 9.0]
    """
    at = np.searchsorted(cells, heads)
    taken = at < len(cells)
    taken[taken] = cells[at[taken]] == heads[taken]  # a cell at the head: its value wins
    free = np.flatnonzero(~taken)
    n_points = len(cells) + len(free)
    points = np.empty(n_points, dtype=np.int64)
    point_values = np.empty(n_points)
    cell_place = np.searchsorted(heads[free], cells)  # the free heads before each cell
    cell_place += np.arange(len(cells))
    head_place = at[free] + np.arange(len(free))  # the cells before each free head
    points[cell_place], point_values[cell_place] = cells, values
    points[head_place], point_values[head_place] = heads[free], head_values[free]
    carried: np.ndarray = np.repeat(point_values, np.diff(points, append=n_cells))
    return carried


def missing_rates_message(currency: str, months: np.ndarray) -> str:
    listed = [str(period_of(int(m))) for m in months]
    shown = ", ".join(listed[:4]) + (f" and {len(listed) - 4} more months" if len(listed) > 4 else "")
    return f"no exchange rate for {currency} in {shown} (add a row to the fx_rates sheet; rates are never assumed 1:1)"
