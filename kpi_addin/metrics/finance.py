"""Cash, burn, runway, efficiency and margins: the figures a board pack opens with.

Inputs come from the ``costs`` sheet, the company's monthly P&L and cash (see
``docs/inputs.md``): revenue as booked (``revenue`` total, ``recurring_revenue``),
``cogs``, operating expenses by function (``sales``, ``marketing``,
``research_development``, ``general_administrative``, ``customer_success``), ``ebitda``
or ``net_income``, ``cash`` at month end and, optionally, ``headcount``.

Conventions (those of :mod:`kpi_addin.metrics._core` and :mod:`kpi_addin.metrics.trailing`):

* Series are aligned on a contiguous monthly index (``pd.PeriodIndex``), oldest first.
* A window is complete only when every month in it is known, never a partial sum.
* A zero denominator is undefined (``nan``).  Burn, runway and the burn multiple are also
  undefined where the company is **cash-flow positive** (burn ≤ 0): a runway is infinite
  then, and no multiple of nothing is a measure.
* Money may be negative here (EBITDA, net income, a month's net burn); counts may not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._core import NumberOrSeries, check_count, check_number, divide, positive_part

__all__ = [
    "arr_per_customer",
    "asp_new",
    "burn_3m",
    "burn_multiple",
    "magic_number",
    "margin_12m",
    "margin_profit",
    "net_burn",
    "opex_share",
    "rule_of_40",
    "runway_months",
    "top_share",
]

#: Months averaged by ``burn_3m`` and summed by ``burn_multiple``.
BURN_WINDOW = 3
#: Months of the margin of the Rule of 40.
MARGIN_WINDOW = 12
#: The number of largest customers of ``top10_share``.
TOP_CUSTOMERS = 10
#: Which profit the Rule of 40's margin is taken on (the JSON's ``rule_of_40_margin``).
EBITDA_MARGIN, FCF_MARGIN = "ebitda", "free_cash_flow"


def net_burn(cash_start: NumberOrSeries, cash_end: NumberOrSeries) -> NumberOrSeries:
    """Net burn of a month = cash at the end of M−1 − cash at the end of M (money).

    The cash the company used in the month, all flows included (−net cash flow);
    negative in a cash-flow positive month.

    Examples
    --------
    >>> net_burn(100_000, 95_000)
    5000.0
    >>> net_burn(64_000, 70_000)  # cash-flow positive
    -6000.0
    """
    return check_number("cash_start", cash_start) - check_number("cash_end", cash_end)


def burn_3m(burn: pd.Series) -> pd.Series:
    """Burn over three months = the mean of the monthly net burns M−2..M (money per month).

    Edge cases: undefined unless all three are known.

    Examples
    --------
    >>> burn_3m(pd.Series([5000.0, 4000.0, -6000.0, 3000.0])).round(2).tolist()
    [nan, nan, 1000.0, 333.33]
    """
    burn = pd.Series(np.asarray(check_number("net_burn", burn), dtype=float), index=burn.index)
    return burn.rolling(BURN_WINDOW, min_periods=BURN_WINDOW).mean()


def runway_months(cash: NumberOrSeries, burn: NumberOrSeries) -> NumberOrSeries:
    """Runway = cash at month end ÷ the three-month burn (months of cash left).

    Edge cases: burn ≤ 0 (cash-flow positive) → undefined (the runway is not limited by
    burn; the dashboard says "cash-flow positive").

    Examples
    --------
    >>> runway_months(63_000, 7_000 / 3)
    27.0
    >>> runway_months(70_000, -1_000 / 3)
    nan
    """
    return divide(check_number("cash", cash), positive_part(check_number("burn_3m", burn)))


def burn_multiple(burn_sum: NumberOrSeries, net_new_arr: NumberOrSeries) -> NumberOrSeries:
    """Burn multiple = net burn over the last three months ÷ net new ARR over them.

    How many dollars burnt for each dollar of ARR added (below 1 is excellent, above 2
    poor).  Edge cases: undefined when the burn is ≤ 0 (cash-flow positive) or net new
    ARR is ≤ 0 (the burn bought no growth: no multiple measures it).

    Examples
    --------
    >>> round(burn_multiple(7_000, 4_800), 4)
    1.4583
    >>> burn_multiple(9_000, -8_400)
    nan
    """
    burn = positive_part(check_number("burn_sum", burn_sum))
    return divide(burn, positive_part(check_number("net_new_arr", net_new_arr)))


def margin_12m(profit: pd.Series, revenue: pd.Series) -> pd.Series:
    """A twelve-month margin = Σ profit M−11..M ÷ Σ revenue M−11..M (fraction).

    ``profit`` is EBITDA, net income or free cash flow; undefined unless all twelve months
    of both are known.

    Examples
    --------
    >>> m = margin_12m(pd.Series([-1000.0] * 12), pd.Series([3000.0] * 6 + [3250.0] * 6))
    >>> round(float(m.iloc[-1]), 4)
    -0.32
    """
    profit = pd.Series(np.asarray(check_number("profit", profit), dtype=float), index=profit.index)
    revenue = pd.Series(np.asarray(check_number("revenue", revenue, minimum=0), dtype=float), index=revenue.index)
    window = MARGIN_WINDOW
    return pd.Series(
        divide(profit.rolling(window, min_periods=window).sum(), revenue.rolling(window, min_periods=window).sum()),
        index=profit.index,
    )


def margin_profit(given: pd.DataFrame | None, costs: pd.DataFrame) -> tuple[pd.Series, str | None]:
    """The profit the Rule of 40's margin is taken on, by month, and which profit it is:
    ``ebitda`` when the costs sheet (``given``, as read) has any; else the **free cash
    flow**, taken as the month's change in cash (−net burn: cash at M − cash at M−1, so a
    funding round counts in it), when it has cash; else none (undefined, ``None``).
    ``costs`` is the costs sheet by month.

    Examples
    --------
    >>> costs = pd.DataFrame({"ebitda": [np.nan] * 3, "cash": [100.0, 80.0, 90.0]})
    >>> profit, basis = margin_profit(costs, costs)
    >>> profit.tolist(), basis
    ([nan, -20.0, 10.0], 'free_cash_flow')
    """

    def has(column: str) -> bool:
        return given is not None and column in given and bool(given[column].notna().any())

    if has("ebitda"):
        return costs["ebitda"].astype(float), EBITDA_MARGIN
    if has("cash"):
        cash = costs["cash"].astype(float)
        return pd.Series(-np.asarray(net_burn(cash.shift(1), cash), dtype=float), index=costs.index), FCF_MARGIN
    return pd.Series(np.nan, index=costs.index), None


def rule_of_40(growth: NumberOrSeries, margin: NumberOrSeries) -> NumberOrSeries:
    """Rule of 40 = (ARR growth year on year + profit margin of the last twelve months) × 100,
    in percentage points (40 or more is the mark).

    Examples
    --------
    >>> round(rule_of_40(3300 / 2700 - 1, -0.32), 4)
    -9.7778
    """
    return 100 * (check_number("growth", growth, minimum=-1) + check_number("margin", margin))


def magic_number(arr_change: NumberOrSeries, sales_marketing_before: NumberOrSeries) -> NumberOrSeries:
    """Magic number = (ARR at a quarter's end − ARR at the previous quarter's end) ÷ sales and
    marketing spend of the previous quarter.

    Negative when ARR fell.  Edge cases: no spend → undefined.

    Examples
    --------
    >>> round(magic_number((3300 - 2900) * 12, 9_000), 4)
    0.5333
    """
    return divide(
        check_number("arr_change", arr_change), check_number("sales_marketing", sales_marketing_before, minimum=0)
    )


def asp_new(new_mrr: NumberOrSeries, new_customers: NumberOrSeries) -> NumberOrSeries:
    """Average selling price to new customers = new MRR ÷ new customers (MRR per new customer).

    Edge cases: no new customers → undefined.

    Examples
    --------
    >>> asp_new(500, 1)
    500.0
    """
    return divide(check_number("new_mrr", new_mrr, minimum=0), check_count("new_customers", new_customers))


def arr_per_customer(arr: NumberOrSeries, customers: NumberOrSeries) -> NumberOrSeries:
    """ARR per customer = ARR ÷ paying customers.

    Examples
    --------
    >>> arr_per_customer(39_600, 15)
    2640.0
    """
    return divide(check_number("arr", arr, minimum=0), check_count("customers", customers))


def opex_share(expense: NumberOrSeries, revenue: NumberOrSeries) -> NumberOrSeries:
    """An operating expense as a share of revenue = expense ÷ revenue as booked (fraction).

    Examples
    --------
    >>> round(opex_share(2_000, 3_450), 4)
    0.5797
    """
    return divide(check_number("expense", expense, minimum=0), check_number("revenue", revenue, minimum=0))


def top_share(mrr_by_customer: pd.Series | np.ndarray, top: int = TOP_CUSTOMERS) -> float:
    """Concentration: the share of MRR from the ``top`` largest customers (one month's MRR per customer).

    A ledger aggregate (it needs each customer's MRR, not a monthly total).  Edge cases:
    no MRR → undefined; fewer customers than ``top`` → 1.

    Examples
    --------
    >>> mrr = pd.Series([1000.0, 500, 400, 300, 200] + [100.0] * 8 + [50.0, 50.0])
    >>> round(top_share(mrr), 6)
    0.878788
    """
    values = np.asarray(check_number("mrr", mrr_by_customer, minimum=0), dtype=float)
    values = values[values > 0]
    largest = np.sort(values)[::-1][:top]
    return float(divide(float(largest.sum()), float(values.sum())))
