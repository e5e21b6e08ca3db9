"""Every KPI of the catalogue on plain numbers, each worked out by hand in the test.

Conventions checked here: a zero denominator is undefined (nan → Excel #DIV/0!), an
impossible input raises an error that names the argument (#VALUE! / #NUM!).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from kpi_addin import metrics as m
from kpi_addin.metrics import KPINumError, KPIValueError


def test_spec_ltv_example():
    # docs/definitions.md, LTV: ARPU 50/month, churn 0.5 %/month -> 50 / 0.005 = 10,000
    assert m.lifetime_value(50, 0.005) == pytest.approx(10_000)


@pytest.mark.parametrize(
    ("function", "args", "expected"),
    [
        # revenue
        (m.monthly_recurring_revenue, (120, 49.5), 120 * 49.5),  # 5,940
        (m.annual_recurring_revenue, (5_940,), 71_280),  # 5,940 x 12
        (m.average_revenue_per_user, (5_940, 120), 49.5),  # 5,940 / 120
        (m.revenue_churn_rate, (300, 10_000), 0.03),  # 300 / 10,000
        (m.net_revenue_retention, (10_000, 800, 200, 300), 1.03),  # (10,000 + 800 - 200 - 300) / 10,000
        (m.gross_revenue_retention, (10_000, 200, 300), 0.95),  # (10,000 - 200 - 300) / 10,000
        (m.saas_quick_ratio, (1_000, 500, 100, 150, 250), 4.0),  # 1,600 / 400
        # customers
        (m.customer_churn_rate, (3, 200), 0.015),  # 3 / 200
        (m.annualized_churn, (0.02,), 1 - 0.98**12),  # 0.21528...
        (m.customer_lifetime_months, (0.04,), 25.0),  # 1 / 0.04
        (m.customer_retention_rate, (210, 15, 200), 0.975),  # (210 - 15) / 200
        (m.nps_from_counts, (50, 20, 100), 30.0),  # 50 % - 20 %
        # unit economics
        (m.lifetime_value, (50, 0.005, 0.8), 8_000),  # 50 x 0.8 / 0.005
        (m.customer_lifetime_value, (50, 24), 1_200),  # 50 x 24
        (m.customer_acquisition_cost, (30_000, 20_000, 25), 2_000),  # 50,000 / 25
        (m.ltv_to_cac, (10_000, 2_000), 5.0),
        (m.cac_payback_months, (2_000, 50, 0.8), 50.0),  # 2,000 / (50 x 0.8)
        (m.cac_payback_months, (2_000, 50), 40.0),  # margin defaults to 1
        (m.gross_margin, (2_000, 10_000), 0.8),
        (m.cost_to_serve, ([3_000, 1_500, 500], 250), 20.0),  # 5,000 / 250
        (m.cost_to_serve, (5_000, 250), 20.0),
        (m.cost_to_serve_share, (5_000, 20_000), 0.25),
        # funnel
        (m.conversion_rate, (40, 800), 0.05),
        (m.customer_conversion_rate, (25, 50_000), 0.0005),
        (m.pql_conversion_rate, (12, 80), 0.15),
        # balance sheet
        (m.current_ratio, (300_000, 150_000), 2.0),
        (m.quick_ratio, (300_000, 60_000, 150_000), 1.6),  # 240,000 / 150,000
        (m.debt_to_equity, (400_000, 800_000), 0.5),
        (m.equity_ratio, (800_000, 1_200_000), 2 / 3),
        (m.interest_coverage, (90_000, 15_000), 6.0),
        (m.debt_to_equity, (400_000, -200_000), -2.0),  # negative equity is possible
    ],
)
def test_hand_worked(function, args, expected):
    assert function(*args) == pytest.approx(expected, rel=1e-12)


def test_nps_from_answers():
    # promoters 10, 9, 9 (3); passives 8, 7 (2); detractors 6, 0 (2); blank ignored -> 7 answers
    # (3 - 2) / 7 x 100 = 14.285714...
    assert m.net_promoter_score([10, 9, 9, 8, 7, 6, 0, None, float("nan")]) == pytest.approx(100 / 7)


@pytest.mark.parametrize(
    ("function", "args"),
    [
        (m.customer_churn_rate, (0, 0)),
        (m.revenue_churn_rate, (0, 0)),
        (m.average_revenue_per_user, (100, 0)),
        (m.lifetime_value, (50, 0)),  # no churn: an infinite lifetime is not a number
        (m.customer_acquisition_cost, (1_000, 500, 0)),
        (m.ltv_to_cac, (10_000, 0)),
        (m.cac_payback_months, (2_000, 0)),
        (m.cac_payback_months, (2_000, 50, 0)),
        (m.cost_to_serve, (5_000, 0)),
        (m.customer_retention_rate, (0, 0, 0)),
        (m.net_revenue_retention, (0, 0, 0, 0)),
        (m.gross_revenue_retention, (0, 0, 0)),
        (m.saas_quick_ratio, (100, 0, 0, 0, 0)),
        (m.customer_lifetime_months, (0,)),
        (m.conversion_rate, (0, 0)),
        (m.customer_conversion_rate, (0, 0)),
        (m.pql_conversion_rate, (0, 0)),
        (m.current_ratio, (1, 0)),
        (m.quick_ratio, (1, 0, 0)),
        (m.debt_to_equity, (1, 0)),
        (m.equity_ratio, (1, 0)),
        (m.interest_coverage, (1, 0)),
        (m.nps_from_counts, (0, 0, 0)),
    ],
)
def test_zero_denominator_is_undefined_not_zero(function, args):
    result = function(*args)
    assert math.isnan(result)
    assert m.is_undefined(result)


def test_no_answers_nps_is_undefined():
    assert math.isnan(m.net_promoter_score([None, None]))


@pytest.mark.parametrize(
    ("call", "error", "argument"),
    [
        (lambda: m.customer_churn_rate("ten", 100), KPIValueError, "lost_customers"),
        (lambda: m.customer_churn_rate(None, 100), KPIValueError, "lost_customers"),
        (lambda: m.customer_churn_rate(True, 100), KPIValueError, "lost_customers"),
        (lambda: m.customer_churn_rate(-1, 100), KPINumError, "lost_customers"),
        (lambda: m.customer_churn_rate(2.5, 100), KPINumError, "lost_customers"),
        (lambda: m.customer_churn_rate(5, 3), KPINumError, "lost_customers"),  # churn above 1
        (lambda: m.customer_churn_rate(1, -3), KPINumError, "customers_at_start"),
        (lambda: m.lifetime_value(50, 1.5), KPINumError, "churn_rate"),
        (lambda: m.lifetime_value(50, 0.1, 1.2), KPINumError, "gross_margin"),
        (lambda: m.lifetime_value("x", 0.1), KPIValueError, "arpu"),
        (lambda: m.revenue_churn_rate(200, 100), KPINumError, "mrr_lost"),
        (lambda: m.annualized_churn(1.1), KPINumError, "monthly_rate"),
        (lambda: m.net_promoter_score([9, 11]), KPINumError, "scores"),
        (lambda: m.net_promoter_score([9, 7.5]), KPINumError, "scores"),
        (lambda: m.net_promoter_score([9, "great"]), KPIValueError, "scores"),
        (lambda: m.cost_to_serve([100, -5], 10), KPINumError, "costs[2]"),
        (lambda: m.cost_to_serve([None, None], 10), KPIValueError, "costs"),
        (lambda: m.customer_acquisition_cost(100, 100, float("inf")), KPINumError, "new_customers"),
        (lambda: m.conversion_rate(900, 800), KPINumError, "converted"),
        (lambda: m.customer_retention_rate(10, 11, 12), KPINumError, "customers_gained"),
    ],
)
def test_impossible_input_names_the_argument(call, error, argument):
    with pytest.raises(error) as info:
        call()
    assert info.value.argument == argument
    assert str(info.value).startswith(argument)


def test_excel_error_kinds():
    from kpi_addin.excel.convert import excel_error

    assert excel_error(KPIValueError("a", "b")) == "#VALUE!"
    assert excel_error(KPINumError("a", "b")) == "#NUM!"


def test_scalar_functions_work_on_series_element_wise():
    lost = pd.Series([3.0, 0.0, np.nan])
    start = pd.Series([200.0, 0.0, 50.0])
    result = m.customer_churn_rate(lost, start)
    assert result.iloc[0] == pytest.approx(0.015)
    assert math.isnan(result.iloc[1])  # zero denominator
    assert math.isnan(result.iloc[2])  # no data propagates
    with pytest.raises(KPINumError):
        m.customer_churn_rate(pd.Series([5.0]), pd.Series([3.0]))


@pytest.mark.parametrize(
    ("actual", "target", "direction", "expected"),
    [
        (100, 100, "higher", "met"),
        (96, 100, "higher", "below target"),  # 4 % short
        (90, 100, "higher", "below target"),  # 10 % short
        (80, 100, "higher", "far below"),  # 20 % short
        (0.019, 0.02, "lower", "met"),
        (0.0205, 0.02, "lower", "below target"),  # 2.5 % above a lower-is-better target
        (0.03, 0.02, "lower", "far below"),  # 50 % above
        (-1, 0, "higher", "far below"),  # target 0 and not met
        (float("nan"), 100, "higher", None),  # undefined actual has no status
    ],
)
def test_goal_status(actual, target, direction, expected):
    assert m.goal_status(actual, target, direction) == expected


def test_goal_progress():
    assert m.goal_progress(90, 100, "higher") == pytest.approx(0.9)
    assert m.goal_progress(0.04, 0.02, "lower") == pytest.approx(0.5)
    with pytest.raises(KPIValueError):
        m.goal_progress(1, 1, "sideways")
