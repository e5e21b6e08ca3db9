"""Backtest the MRR projection against two naive baselines (docs/forecast.md has the figures).

    python benchmarks/forecast_backtest.py [--horizon 6]

The bundled sample and two random ledgers (``make_ledger``, seeds 1 and 2: 4,000
subscriptions, 2,500 customers, 36 months) are cut at every month that has at least 12
months of history before it and ``horizon`` months of actuals after it; each cut is
forecast ``horizon`` months ahead by the projection (base scenario), by the last value
held and by the last six months' linear trend, and scored by the mean absolute
percentage error against what happened (:mod:`kpi_addin.metrics.backtest`).  The sample
is also scored from its 9th month, where its first-year ramp makes every method worse.
"""

from __future__ import annotations

import argparse

import pandas as pd
from make_ledger import make_ledger

from kpi_addin.io.reader import read_company_data
from kpi_addin.io.sample import sample_path
from kpi_addin.metrics import CompanyData, ReportSettings
from kpi_addin.metrics.backtest import backtest

HISTORY = 12


def random_ledger(seed: int) -> CompanyData:
    frames = make_ledger(4000, 2500, 36, seed)
    subs = frames["subscriptions"].copy()
    for column in ("start_date", "end_date", "trial_end"):
        subs[column] = pd.to_datetime(subs[column])
    fx = frames["fx_rates"].assign(month=lambda f: pd.to_datetime(f["month"]))
    return CompanyData(subs, fx_rates=fx, settings=ReportSettings(as_of=pd.Period("2025-12", "M")))


def cuts(data: CompanyData, horizon: int, history: int = HISTORY) -> list[pd.Period]:
    first = pd.Period(data.subscriptions["start_date"].min(), "M")
    assert data.settings.as_of is not None
    return list(pd.period_range(first + history - 1, data.settings.as_of - horizon, freq="M"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--horizon", type=int, default=6)
    args = parser.parse_args()
    sample, _ = read_company_data(sample_path())
    cases = [
        ("sample", sample, cuts(sample, args.horizon)),
        ("sample, from month 9", sample, cuts(sample, args.horizon, 9)),
        ("random ledger, seed 1", random_ledger(1), None),
        ("random ledger, seed 2", random_ledger(2), None),
    ]
    print(f"| ledger | cuts | projection | last value | linear trend |  (MAPE, {args.horizon} months ahead)")
    print("| --- | --- | --- | --- | --- |")
    for name, data, chosen in cases:
        at = chosen if chosen is not None else cuts(data, args.horizon)
        mape = backtest(data, at, args.horizon).mape()
        shown = " | ".join(f"{mape[k]:.1%}" for k in ("projection", "last_value", "linear_trend"))
        print(f"| {name} | {at[0]}..{at[-1]} ({len(at)}) | {shown} |")


if __name__ == "__main__":
    main()
