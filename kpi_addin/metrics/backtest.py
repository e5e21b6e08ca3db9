"""Backtest of the MRR projection: cut a ledger at past months, forecast, compare with what happened.

For each cut month ``K`` the ledger is taken **as it was known at the end of K**:
subscriptions that start after K are dropped, end dates after K are blanked (a
cancellation recorded later was not known), trial ends are kept (they are recorded when a
trial starts), and exchange rates after K are not used.  The projection
(:func:`kpi_addin.metrics.forecast.build_forecast`, base scenario) forecasts MRR for the
next ``horizon`` months, and so do two naive baselines:

* **last value** — MRR at K held flat;
* **linear trend** — the least-squares line through MRR of the six months K−5..K, extended.

Each is scored against the full ledger's actual MRR by the mean absolute percentage error
over every cut and horizon month: ``mean(|forecast − actual| ÷ actual)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .company import CompanyData
from .forecast import build_forecast
from .report import monthly_kpis

__all__ = ["BacktestResult", "backtest", "ledger_as_known"]

TREND_MONTHS = 6


def ledger_as_known(subscriptions: pd.DataFrame, cut: pd.Period) -> pd.DataFrame:
    """The ledger as exported at the end of month ``cut`` (the rules in the module docstring)."""
    after = cut.asfreq("D", how="end").to_timestamp() + pd.Timedelta(days=1)
    known = subscriptions[subscriptions["start_date"] < after].copy()
    if "end_date" in known:
        known["end_date"] = known["end_date"].where(known["end_date"] < after)
    return known


@dataclass
class BacktestResult:
    """Absolute percentage errors per cut and horizon month of the three methods."""

    errors: pd.DataFrame  # index (cut, month); columns projection, last_value, linear_trend

    def mape(self) -> dict[str, float]:
        """Mean absolute percentage error of each method (a fraction)."""
        return {str(k): float(v) for k, v in self.errors.mean().items()}


def backtest(data: CompanyData, cuts: list[pd.Period], horizon: int = 6) -> BacktestResult:
    """Score the projection and both baselines at each cut month (``data.settings.as_of`` must
    cover the last cut + ``horizon``; the actuals come from ``data`` as it is)."""
    actual = monthly_kpis(data).monthly["mrr"]
    rows = []
    for cut in cuts:
        fx = data.fx_rates
        if fx is not None and "month" in fx:
            fx = fx[fx["month"].isna() | (fx["month"].dt.to_period("M") <= cut)]
        known = CompanyData(
            ledger_as_known(data.subscriptions, cut),
            fx_rates=fx,
            settings=replace(data.settings, as_of=cut),
        )
        report = monthly_kpis(known, today=(cut + 1).to_timestamp().date())
        projected = build_forecast(report, known, months=horizon).projected["mrr"]
        history = report.monthly["mrr"].iloc[-TREND_MONTHS:]
        slope, intercept = np.polyfit(np.arange(len(history)), history.to_numpy(dtype=float), 1)
        for h in range(1, horizon + 1):
            month = cut + h
            truth = float(actual.to_numpy()[actual.index.get_loc(month)])
            guesses = {
                "projection": float(projected.to_numpy()[h - 1]),
                "last_value": float(history.iloc[-1]),
                "linear_trend": float(intercept + slope * (len(history) - 1 + h)),
            }
            rows.append(
                {"cut": str(cut), "month": str(month), **{k: abs(v - truth) / truth for k, v in guesses.items()}}
            )
    return BacktestResult(pd.DataFrame(rows).set_index(["cut", "month"]))
