"""Every KPI defined by a registry formula, recomputed by LibreOffice from the formulas the
dashboard wrote (a second engine, a full recalculation), equals the library's value —
over the sample company and two random ledgers (one from ``history_start``).

The library evaluates each formula over pandas Series; the workbook's cells were rendered
from the same formula by ``kpi_addin.dashboard.expr.to_cells``.  Only the formula object is
shared: the arithmetic, the windows and the zero denominators are each engine's own.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kpi_addin.metrics import MONTHLY_KEYS, REGISTRY, CompanyData, ReportSettings
from kpi_addin.metrics.catalogue import BALANCE_SHEET_KEYS

from .conftest import month
from .dashboard_helpers import build
from .libreoffice import recalculated_values

FIRST_ROW = 5  # MonthlyKPIs and the Balance sheet: data from row 5


def random_company(seed: int) -> CompanyData:
    """A random company: 80 customers with monthly, quarterly, yearly and weekly plans,
    upgrades (a second subscription), cancellations, returns and trials; costs with a gap,
    the P&L and cash, a funnel, NPS answers and a balance sheet.  Seed 2 reports from ``history_start``."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2023-07", "2025-06", freq="M")
    rows = []
    for i in range(80):
        for _ in range(int(rng.integers(1, 4))):
            start = months[int(rng.integers(0, len(months)))].to_timestamp() + pd.Timedelta(
                days=int(rng.integers(0, 28))
            )
            end = start + pd.Timedelta(days=int(rng.integers(20, 500))) if rng.random() < 0.5 else pd.NaT
            trial = start + pd.Timedelta(days=14) if rng.random() < 0.15 else pd.NaT
            rows.append(
                {
                    "customer_id": f"c{i:03d}",
                    "amount": round(float(rng.uniform(9, 900)), 2),
                    "interval": str(rng.choice(["month", "month", "quarter", "year", "week"])),
                    "quantity": float(rng.integers(1, 4)),
                    "currency": "USD",
                    "start_date": start,
                    "end_date": end,
                    "trial_end": trial,
                }
            )
    subscriptions = pd.DataFrame(rows)
    starts = months.to_timestamp()
    costs = pd.DataFrame({"month": starts})
    for column in ("sales", "marketing", "customer_success", "infrastructure", "retention_programs", "cogs"):
        costs[column] = np.round(rng.uniform(100, 20_000, len(months)), 2)
    costs.loc[int(rng.integers(3, len(months) - 3)), "marketing"] = np.nan  # a gap breaks the CAC windows
    # the P&L and cash (a generator of their own: the draws above stay as they were)
    pnl = np.random.default_rng(seed + 100)
    costs["revenue"] = np.round(pnl.uniform(20_000, 80_000, len(months)), 2)
    costs["recurring_revenue"] = np.round(costs["revenue"] * pnl.uniform(0.7, 1.0, len(months)), 2)
    for column in ("research_development", "general_administrative"):
        costs[column] = np.round(pnl.uniform(1_000, 30_000, len(months)), 2)
    costs["ebitda"] = np.round(pnl.uniform(-60_000, 20_000, len(months)), 2)
    # mostly burning, some months cash-flow positive
    costs["cash"] = np.round(2_000_000 - np.cumsum(pnl.uniform(-40_000, 80_000, len(months))), 2)
    pql = rng.integers(0, 40, len(months)).astype(float)
    funnel = pd.DataFrame(
        {
            "month": starts,
            "visitors": rng.integers(0, 50_000, len(months)).astype(float),
            "leads": rng.integers(0, 900, len(months)).astype(float),
            "mql": rng.integers(0, 300, len(months)).astype(float),
            "sql": rng.integers(0, 100, len(months)).astype(float),
            "pql": pql,
            "pql_converted": np.floor(pql * rng.uniform(0, 1, len(months))),
        }
    )
    answers = 300
    nps = pd.DataFrame(
        {
            "date": pd.Timestamp("2023-07-01") + pd.to_timedelta(rng.integers(0, 700, answers), unit="D"),
            "score": rng.integers(0, 11, answers).astype(float),
        }
    )
    balance_sheet = pd.DataFrame(
        {
            "period": pd.to_datetime(["2024-12-01", "2025-03-01", "2025-06-01"]),
            "current_assets": rng.uniform(1e5, 1e6, 3).round(2),
            "inventories": rng.uniform(0, 5e4, 3).round(2),
            "current_liabilities": [rng.uniform(1e4, 5e5), 0.0, rng.uniform(1e4, 5e5)],  # one ratio undefined
            "total_liabilities": rng.uniform(1e4, 8e5, 3).round(2),
            "shareholders_equity": rng.uniform(-1e5, 9e5, 3).round(2),
            "total_assets": rng.uniform(2e5, 2e6, 3).round(2),
            "ebit": rng.uniform(-5e4, 2e5, 3).round(2),
            "interest_expense": rng.uniform(1e3, 2e4, 3).round(2),
        }
    )
    return CompanyData(
        subscriptions=subscriptions,
        costs=costs,
        funnel=funnel,
        nps=nps,
        balance_sheet=balance_sheet,
        settings=ReportSettings(as_of=month("2025-06"), history_start=month("2024-01") if seed == 2 else None),
    )


def sample() -> CompanyData:
    from kpi_addin.io import read_company_data, sample_path

    return read_company_data(sample_path())[0]


def agrees(library: float, shown: object) -> bool:
    if math.isnan(library):  # undefined: an error, never a number or a blank that reads as 0
        return isinstance(shown, str) and shown in ("#DIV/0!", "#N/A")
    return isinstance(shown, int | float) and math.isclose(float(shown), library, rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "make",
    [sample, lambda: random_company(1), lambda: random_company(2)],
    ids=["sample", "random-1", "random-2-history-start"],
)
def test_every_formula_recomputed_by_libreoffice_equals_the_library(make, tmp_path):
    data = make()
    path = tmp_path / "dashboard.xlsx"
    report, _expected = build(data, path)
    written = load_workbook(path)["Monthly KPIs"]
    recalculated = recalculated_values(path, tmp_path)
    shown = recalculated["Monthly KPIs"]
    problems, defined = [], set()
    for j, key in enumerate(MONTHLY_KEYS[1:], start=2):
        entry = REGISTRY[key]
        for i in range(len(report.monthly)):
            cell = f"{get_column_letter(j)}{FIRST_ROW + i}"
            assert str(written[cell].value).startswith("="), f"{key}: {cell} holds no formula"
            library = float(report.monthly[key].iloc[i])
            if not agrees(library, shown.get(cell)):
                problems.append(
                    f"{key} {report.monthly.index[i]} ({cell}): library {library!r}, LibreOffice {shown.get(cell)!r}"
                )
            if entry.formula is not None and not math.isnan(library):
                defined.add(key)
    assert problems == []
    # cash-flow positive (3-month burn 0 or below): the runway is #N/A, as =RUNWAY() gives it
    # (tests/test_excel_functions.py), never #DIV/0! or a number
    runway = get_column_letter(MONTHLY_KEYS.index("runway_months") + 1)
    positive = [i for i, burn in enumerate(report.monthly["burn_3m"]) if burn <= 0]
    assert positive or make is sample
    assert [shown.get(f"{runway}{FIRST_ROW + i}") for i in positive] == ["#N/A"] * len(positive)
    # every formula is exercised with numbers somewhere (the inputs are complete enough)
    with_formula = {k for k in MONTHLY_KEYS[1:] if REGISTRY[k].formula is not None}
    assert with_formula - defined == set()
    # the balance-sheet ratios, per period, from their registry formulas
    sheet = recalculated["Balance sheet"]
    ratios = data.balance_sheet.sort_values("period").reset_index(drop=True)
    from kpi_addin.metrics.balance_sheet import balance_sheet_ratios

    library_ratios = balance_sheet_ratios(ratios)
    for r in range(len(ratios)):
        for j, key in enumerate(BALANCE_SHEET_KEYS, start=2):
            cell = f"{get_column_letter(j)}{FIRST_ROW + r}"
            assert agrees(float(library_ratios[key].iloc[r]), sheet.get(cell)), (key, r, sheet.get(cell))


def test_the_random_ledgers_are_not_trivial():
    from kpi_addin.metrics import monthly_kpis

    for seed in (1, 2):
        report = monthly_kpis(random_company(seed))
        monthly = report.monthly
        assert len(monthly) >= 18
        for key in ("expansion_mrr", "contraction_mrr", "churned_mrr", "reactivation_mrr", "new_mrr"):
            assert (monthly[key] > 0).sum() >= 3, (seed, key)
        assert monthly["cac_trailing"].isna().sum() > 2 and monthly["cac_trailing"].notna().sum() > 5  # the gap
    assert monthly_kpis(random_company(2)).opening_month is None
