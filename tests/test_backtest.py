"""The backtest: the ledger as known at a cut, and the projection against both baselines on the sample."""

from __future__ import annotations

import pandas as pd
import pytest

from kpi_addin.io.reader import read_company_data
from kpi_addin.io.sample import sample_path
from kpi_addin.metrics.backtest import backtest, ledger_as_known


def test_ledger_as_known_drops_later_starts_and_blanks_later_ends() -> None:
    subs = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d"],
            "start_date": pd.to_datetime(["2025-01-05", "2025-02-28", "2025-03-01", "2025-01-10"]),
            "end_date": pd.to_datetime(["2025-02-28", "2025-05-01", None, "2025-03-01"]),
            "trial_end": pd.to_datetime([None, "2025-03-14", None, None]),
        }
    )
    known = ledger_as_known(subs, pd.Period("2025-02", "M"))
    assert known["customer_id"].tolist() == ["a", "b", "d"]  # c starts after February
    assert known["end_date"].tolist()[0] == pd.Timestamp("2025-02-28")  # an end in the cut month was known
    assert known["end_date"].isna().tolist() == [False, True, True]  # later ends were not
    assert known["trial_end"].tolist()[1] == pd.Timestamp("2025-03-14")  # a trial's end is known at its start


def test_projection_beats_both_baselines_on_the_sample() -> None:
    """Cuts with 12 months of history (Dec 2024 to Jun 2025), six months ahead (docs/forecast.md)."""
    data, _ = read_company_data(sample_path())
    result = backtest(data, list(pd.period_range("2024-12", "2025-06", freq="M")), horizon=6)
    mape = result.mape()
    assert len(result.errors) == 7 * 6
    assert mape["projection"] == pytest.approx(0.0487, abs=5e-4)
    assert mape["last_value"] == pytest.approx(0.2003, abs=5e-4)
    assert mape["linear_trend"] == pytest.approx(0.0520, abs=5e-4)
    assert mape["projection"] < mape["linear_trend"] < mape["last_value"]
