"""Each KPI's registry formula on numbers worked by hand.

One row per KPI: its inputs for one month and the value worked out on paper (in the
comment).  ``KPI.evaluate`` is what the library applies to every month and what a
worksheet function derived from the entry computes, so a wrong formula fails here with
the KPI's name.  Adding a KPI (CONTRIBUTING.md): add its row.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from kpi_addin.metrics import REGISTRY

EXAMPLES: list[tuple[str, dict[str, float], float]] = [
    ("arr", {"mrr": 5_940}, 71_280),  # 5,940 × 12
    ("customer_churn_rate", {"churned_customers": 3, "start_customers": 200}, 0.015),  # 3 / 200
    ("revenue_churn_rate", {"lost_mrr": 300, "start_mrr": 10_000}, 0.03),  # 300 / 10,000
    # FX impact counts as the starting customers' change: (10,000 + 800 − 200 − 300 − 100) / 10,000
    (
        "nrr",
        {"start_mrr": 10_000, "expansion_mrr": 800, "contraction_mrr": 200, "churned_mrr": 300, "fx_mrr": -100},
        1.02,
    ),
    # each staying customer's whole fall (FX included): 9,500 / 10,000
    ("grr", {"start_mrr": 10_000, "net_contraction_mrr": 200, "churned_mrr": 300}, 0.95),
    ("crr", {"customers": 110, "gained_customers": 20, "start_customers": 100}, 0.9),  # (110 − 20) / 100
    ("arpu", {"mrr": 5_940, "customers": 120}, 49.5),
    ("ltv", {"arpu": 50, "customer_churn_rate": 0.005}, 10_000),  # the spec's example
    ("cac", {"sales": 20_000, "marketing": 10_000, "acquired_customers": 12}, 2_500),  # 30,000 / 12
    ("ltv_cac", {"ltv": 12_000, "cac": 4_000}, 3),
    ("ltv_cac_trailing", {"ltv_trailing": 12_500, "cac_trailing": 3_000}, 12_500 / 3_000),
    ("cac_payback_months", {"cac": 1_200, "arpu": 100, "gross_margin": 0.8}, 15),  # 1,200 / 80
    ("cts", {"cts_total": 9_000, "customers": 300}, 30),
    # (1,000 + 500 + 100) / (150 + 250)
    (
        "saas_quick_ratio",
        {"new_mrr": 1_000, "expansion_mrr": 500, "reactivation_mrr": 100, "contraction_mrr": 150, "churned_mrr": 250},
        4,
    ),
    ("ccr", {"new_customers": 30, "visitors": 12_000}, 0.0025),
    ("pql_conversion", {"pql_converted": 6, "pql": 40}, 0.15),
    ("nps", {"nps_promoters": 6, "nps_detractors": 1, "nps_answers": 10}, 50),  # 60 % − 10 %
    # issue 21 — the hand-worked company of tests/test_finance.py, January and March 2026
    ("gross_margin", {"cogs": 600, "margin_revenue": 2_850}, 2_250 / 2_850),  # 1 − 600 / 2,850
    # 200 × (2,250 / 2,850) / (1 / 15) = 2,368.42
    ("ltv_gm", {"arpu": 200, "gross_margin": 2_250 / 2_850, "customer_churn_rate": 1 / 15}, 200 * 15 * 2_250 / 2_850),
    ("ltv_cac_gm_trailing", {"ltv_gm_trailing": 9_000, "cac_trailing": 3_000}, 3),
    ("cash_balance", {"cash": 63_000}, 63_000),
    ("runway_months", {"cash": 63_000, "burn_3m": 7_000 / 3}, 27),  # 63,000 / 2,333.33
    ("asp_new", {"new_mrr": 500, "acquired_customers": 1}, 500),
    ("arr_per_customer", {"arr": 39_600, "customers": 15}, 2_640),
    ("opex_share_sales", {"sales": 2_000, "revenue": 3_450}, 2_000 / 3_450),
    ("opex_share_marketing", {"marketing": 1_000, "revenue": 3_450}, 1_000 / 3_450),
    ("opex_share_rd", {"research_development": 1_500, "revenue": 3_450}, 1_500 / 3_450),
    ("opex_share_ga", {"general_administrative": 800, "revenue": 3_450}, 800 / 3_450),
    ("opex_share_cs", {"customer_success": 400, "revenue": 3_450}, 400 / 3_450),
    # issue 23: the payback of the 3-month CAC, 3,000 / (250 × 80 %)
    ("cac_payback_trailing", {"cac_trailing": 3_000, "arpu": 250, "gross_margin": 0.8}, 15),
    # ↑ new monthly KPIs' rows go above this line
    ("current_ratio", {"current_assets": 300_000, "current_liabilities": 150_000}, 2),
    ("quick_ratio", {"current_assets": 300_000, "inventories": 60_000, "current_liabilities": 150_000}, 1.6),
    ("debt_to_equity", {"total_liabilities": 400_000, "shareholders_equity": 800_000}, 0.5),
    ("equity_ratio", {"shareholders_equity": 800_000, "total_assets": 1_200_000}, 2 / 3),
    ("interest_coverage", {"ebit": 90_000, "interest_expense": 15_000}, 6),
]

#: Formulas over several months: each input a range of months (oldest first), the last month's value.
WINDOW_EXAMPLES: list[tuple[str, dict[str, list[float]], float]] = [
    ("mrr_growth_mom", {"mrr": [100_000, 110_000]}, 0.1),  # 110,000 / 100,000 − 1
    ("mrr_growth_yoy", {"mrr": [110_000] + [120_000] * 11 + [132_000]}, 0.2),  # 132,000 / 110,000 − 1
    # (2 + 3 + 1) / (100 + 98 + 101): the starts are the customers at the end of the month before
    ("customer_churn_rate_3m", {"churned_customers": [0, 2, 3, 1], "customers": [100, 98, 101, 100]}, 6 / 299),
    ("revenue_churn_rate_3m", {"lost_mrr": [0, 300, 100, 200], "mrr": [10_000, 9_800, 10_200, 9_900]}, 600 / 30_000),
    # 250 / mean(1 %, 2 %, 3 %, 2 %, 1 %, 3 %) = 250 / 2 %
    ("ltv_trailing", {"arpu": [250] * 6, "customer_churn_rate": [0.01, 0.02, 0.03, 0.02, 0.01, 0.03]}, 12_500),
    # (30,000 + 36,000 + 24,000) / (10 + 8 + 12)
    (
        "cac_trailing",
        {"sales": [20_000, 24_000, 16_000], "marketing": [10_000, 12_000, 8_000], "acquired_customers": [10, 8, 12]},
        3_000,
    ),
    # issue 21: March 2026 of the hand-worked company (tests/test_finance.py)
    # 220 × (2,750 / 3,350) / mean(0, 0, 0, 1/15, 0, 0) = 220 × 90 × 2,750 / 3,350 = 16,253.73
    (
        "ltv_gm_trailing",
        {"arpu": [220] * 6, "gross_margin": [2_750 / 3_350] * 6, "customer_churn_rate": [0, 0, 0, 1 / 15, 0, 0]},
        220 * 90 * 2_750 / 3_350,
    ),
    ("net_burn", {"cash": [65_000, 63_000]}, 2_000),  # 65,000 − 63,000
    ("burn_3m", {"net_burn": [3_000, 2_000, 2_000]}, 7_000 / 3),
    # 3 × 2,333.33 = 7,000 burnt while ARR went from 2,900 × 12 (December) to 3,300 × 12: 7,000 / 4,800
    ("burn_multiple", {"burn_3m": [0, 0, 0, 7_000 / 3], "arr": [34_800, 33_600, 39_600, 39_600]}, 7_000 / 4_800),
    # ARR growth 3,300 / 2,700 − 1 = 22.2 %; EBITDA (margin_profit) margin of Apr 2025..Mar 2026 −42,900 / 37,500
    (
        "rule_of_40",
        {
            "mrr_growth_yoy": [0.0] * 11 + [3_300 / 2_700 - 1],
            "margin_profit": [
                -3_450,
                -3_450,
                -3_250,
                -3_250,
                -4_050,
                -3_950,
                -3_950,
                -3_650,
                -3_650,
                -3_750,
                -3_250,
                -3_250,
            ],
            "revenue": [3_250, 3_250, 3_450, 3_450, 2_650, 2_750, 2_750, 3_050, 3_050, 2_950, 3_450, 3_450],
        },
        100 * (3_300 / 2_700 - 1 - 42_900 / 37_500),
    ),
    # issue 23: the sample's October..December 2025 answers, 41 + 58 + 45
    ("nps_answers_3m", {"nps_answers": [0, 41, 58, 45]}, 144),
    # 60 promoters and 20 detractors of 144 answers pooled: 100 × 40 / 144 (the months' own
    # scores, 50, 20.7 and 11.1, would average 27.3)
    (
        "nps_3m",
        {"nps_answers": [0, 41, 58, 45], "nps_promoters": [0, 25, 20, 15], "nps_detractors": [0, 5, 8, 7]},
        100 * 40 / 144,
    ),
    # Q1 2026: ARR 2,900 × 12 at December → 3,300 × 12 at March; Q4 2025's sales and marketing 9,000
    (
        "magic_number",
        {
            "quarter_end": [0, 0, 1, 0, 0, 1],  # October 2025 .. March 2026
            "arr": [31_200, 34_800, 34_800, 33_600, 39_600, 39_600],
            "sales": [2_000] * 6,
            "marketing": [1_000] * 6,
        },
        4_800 / 9_000,
    ),
]


@pytest.mark.parametrize(("key", "inputs", "expected"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_formula_on_one_months_numbers(key, inputs, expected):
    entry = REGISTRY[key]
    assert set(entry.arguments) == set(inputs), f"{key}: its formula reads {entry.arguments}"
    assert entry.evaluate(inputs) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("key", "inputs", "expected"), WINDOW_EXAMPLES, ids=[e[0] for e in WINDOW_EXAMPLES])
def test_formula_over_months(key, inputs, expected):
    entry = REGISTRY[key]
    assert set(entry.arguments) == set(inputs), f"{key}: its formula reads {entry.arguments}"
    value = entry.evaluate({k: pd.Series(v, dtype=float) for k, v in inputs.items()})
    assert float(value.iloc[-1]) == pytest.approx(expected, rel=1e-12)
    assert math.isnan(float(value.iloc[0])), f"{key}: the first month has no complete window"


def test_every_formula_kpi_has_a_hand_worked_example():
    worked = {e[0] for e in EXAMPLES} | {e[0] for e in WINDOW_EXAMPLES}
    missing = [k.key for k in REGISTRY.values() if k.formula is not None and k.taken is None and k.key not in worked]
    assert missing == [], f"add a hand-worked row for {missing} to tests/test_kpi_formulas.py"
