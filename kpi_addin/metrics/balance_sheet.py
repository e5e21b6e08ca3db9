"""Balance-sheet ratios: current, quick (acid test), debt-to-equity, equity, interest coverage."""

from __future__ import annotations

import pandas as pd

from ._core import NumberOrSeries, check_number, divide
from .catalogue import KPIS

__all__ = [
    "balance_sheet_ratios",
    "current_ratio",
    "debt_to_equity",
    "equity_ratio",
    "interest_coverage",
    "quick_ratio",
]


def current_ratio(current_assets: NumberOrSeries, current_liabilities: NumberOrSeries) -> NumberOrSeries:
    """Current ratio = current assets / current liabilities (a multiple).

    Edge cases: no current liabilities → undefined; negative amounts → :class:`KPINumError`.

    Examples
    --------
    >>> current_ratio(300_000, 150_000)
    2.0
    """
    return divide(
        check_number("current_assets", current_assets, minimum=0),
        check_number("current_liabilities", current_liabilities, minimum=0),
    )


def quick_ratio(
    current_assets: NumberOrSeries, inventories: NumberOrSeries, current_liabilities: NumberOrSeries
) -> NumberOrSeries:
    """Quick ratio (acid test) = (current assets − inventories) / current liabilities (a multiple).

    Edge cases: no current liabilities → undefined.

    Examples
    --------
    >>> quick_ratio(300_000, 60_000, 150_000)
    1.6
    """
    assets = check_number("current_assets", current_assets, minimum=0)
    inventories = check_number("inventories", inventories, minimum=0)
    return divide(assets - inventories, check_number("current_liabilities", current_liabilities, minimum=0))


def debt_to_equity(total_liabilities: NumberOrSeries, shareholders_equity: NumberOrSeries) -> NumberOrSeries:
    """Debt-to-equity = total liabilities / shareholders' equity (a multiple).

    Edge cases: equity 0 → undefined; negative equity gives a negative ratio, kept as it is.

    Examples
    --------
    >>> debt_to_equity(400_000, 800_000)
    0.5
    """
    return divide(
        check_number("total_liabilities", total_liabilities, minimum=0),
        check_number("shareholders_equity", shareholders_equity),
    )


def equity_ratio(shareholders_equity: NumberOrSeries, total_assets: NumberOrSeries) -> NumberOrSeries:
    """Equity ratio = shareholders' equity / total assets (fraction).

    Edge cases: total assets 0 → undefined.

    Examples
    --------
    >>> equity_ratio(800_000, 1_200_000)
    0.6666666666666666
    """
    return divide(
        check_number("shareholders_equity", shareholders_equity),
        check_number("total_assets", total_assets, minimum=0),
    )


def interest_coverage(ebit: NumberOrSeries, interest_expense: NumberOrSeries) -> NumberOrSeries:
    """Interest coverage = EBIT / interest expense (a multiple; no interest → undefined).

    Examples
    --------
    >>> interest_coverage(90_000, 15_000)
    6.0
    """
    return divide(check_number("ebit", ebit), check_number("interest_expense", interest_expense, minimum=0))


def balance_sheet_ratios(balance_sheet: pd.DataFrame) -> pd.DataFrame:
    """The five ratios for every row of a balance-sheet table (same index), each from its
    registry formula (:data:`kpi_addin.metrics.catalogue.KPIS`).

    Edge cases: a blank input, or an input column the table does not have, leaves the
    ratios that need it blank (nan).

    Examples
    --------
    >>> bs = pd.DataFrame({"current_assets": [300.0], "inventories": [60.0],
    ...     "current_liabilities": [150.0], "total_liabilities": [400.0],
    ...     "shareholders_equity": [800.0], "total_assets": [1200.0],
    ...     "ebit": [90.0], "interest_expense": [15.0]})
    >>> float(balance_sheet_ratios(bs)["quick_ratio"].iloc[0])
    1.6
    >>> balance_sheet_ratios(bs[["current_assets", "current_liabilities"]]).iloc[0].tolist()
    [2.0, nan, nan, nan, nan]
    """
    b = balance_sheet
    blank = pd.Series(float("nan"), index=b.index)
    entries = [k for k in KPIS if k.family == "balance_sheet" and k.formula is not None]
    values = {a: b[a].astype(float) if a in b else blank for k in entries for a in k.arguments}
    return pd.DataFrame({k.key: k.evaluate(values) for k in entries}, index=b.index)
