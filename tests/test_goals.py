"""Goal status and course: the library's rules (kpi_addin/metrics/goals.py) and the dashboard's
Excel formulas are two implementations of one rule. These tests reach every status — met,
below target, far below (by shortfall and by a zero target), for higher- and lower-is-better
KPIs — and every course — missed, on course, off course, none — in the library by hand, and
in the dashboard through LibreOffice's recalculation of the formulas, so the two cannot drift.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from kpi_addin.lang import load_language
from kpi_addin.metrics import goal_course, goal_status, monthly_kpis
from kpi_addin.metrics.report import evaluate_goals

from .dashboard_helpers import build, mismatches
from .libreoffice import recalculated_values

M = pd.Period("2025-06", "M")


@pytest.mark.parametrize(
    ("actual", "target", "direction", "status"),
    [
        (100, 100, "higher", "met"),  # met exactly
        (97, 100, "higher", "below target"),  # 3 % short: never "on track" in green
        (85, 100, "higher", "below target"),  # 15 %: the band's edge
        (84, 100, "higher", "far below"),  # 16 % short
        (115, 100, "lower", "below target"),  # 15 % above a lower-is-better target: the edge
        (116, 100, "lower", "far below"),
        (0.022, 0.02, "lower", "below target"),  # 10 % above
        (0.019, 0.02, "lower", "met"),
        (0.01, 0, "lower", "far below"),  # a zero target not met is far below
        (0, 0, "lower", "met"),
        (-5, 0, "higher", "far below"),
        (float("nan"), 100, "higher", None),  # undefined actual: no status
    ],
)
def test_goal_status_by_hand(actual, target, direction, status):
    assert goal_status(actual, target, direction) == status


@pytest.mark.parametrize(
    ("actual", "earlier", "target", "direction", "due", "course"),
    [
        # 90 now, 84 three months ago: +2 a month; 6 months left → 102 ≥ 100
        (90, 84, 100, "higher", "2025-12", "on course"),
        # +1 a month, 3 months left → 93 < 100
        (90, 87, 100, "higher", "2025-09", "off course"),
        # exactly reaching it: 90 + 10/3 × 3 = 100
        (90, 80, 100, "higher", "2025-09", "on course"),
        (90, 80, 100, "higher", "2025-06", "missed"),  # due this month, not met
        (90, 80, 100, "higher", "2025-01", "missed"),  # due passed
        (101, 90, 100, "higher", "2025-01", None),  # met: no course
        (90, 84, 100, "higher", None, None),  # no due month: no course
        (90, float("nan"), 100, "higher", "2025-12", None),  # no three months of history
        # a churn rate falling 0.1 pp a month from 2.6 % to 2.3 %: 1.8 % by December ≤ 2 %
        (0.023, 0.026, 0.02, "lower", "2025-12", "on course"),
        (0.023, 0.023, 0.02, "lower", "2025-12", "off course"),  # flat
        (float("nan"), 1, 100, "higher", "2025-12", None),  # undefined actual
    ],
)
def test_goal_course_by_hand(actual, earlier, target, direction, due, course):
    due_month = pd.Period(due, "M") if due else None
    assert goal_course(actual, earlier, target, direction, due_month, M) == course


@pytest.fixture(scope="module")
def company_with_goals(sample_company):
    """The sample with one goal for each status, each target set against the latest actual."""
    latest = monthly_kpis(sample_company)
    actual = {k: float(latest.monthly[k].iloc[-1]) for k in ("mrr", "arr", "customers", "arpu", "cac", "nrr")}
    as_of = latest.as_of
    # ARPU's pace over the last three months, carried on for six: a target three months' pace
    # away, due in six, is reached on that course (whichever way ARPU moves)
    pace = (actual["arpu"] - float(latest.monthly["arpu"].iloc[-4])) / 3
    assert pace != 0
    arpu_direction = "higher" if pace > 0 else "lower"
    targets = pd.DataFrame(
        [
            ("mrr", actual["mrr"] * 0.9, "higher", pd.NaT),  # met
            ("arr", actual["arr"] / 0.97, "higher", pd.NaT),  # below target (3 % short)
            ("customers", actual["customers"] / 0.5, "higher", pd.NaT),  # far below (50 % short)
            ("cac", actual["cac"] / 1.1, "lower", pd.NaT),  # below target (10 % above)
            ("customer_churn_rate", 0.0, "lower", pd.NaT),  # far below: zero target not met
            ("nrr", actual["nrr"] / 0.99, "higher", (as_of - 1).to_timestamp()),  # below target, missed
            ("mrr_growth_mom", 10.0, "higher", (as_of + 6).to_timestamp()),  # far below, off course (never 1000 %)
            ("arpu", actual["arpu"] + 3 * pace, arpu_direction, (as_of + 6).to_timestamp()),  # below, on course
        ],
        columns=["kpi", "target", "direction", "due"],
    )
    targets["due"] = pd.to_datetime(targets["due"])
    return dataclasses.replace(sample_company, targets=targets)


def test_the_library_reaches_every_status(company_with_goals):
    report = monthly_kpis(company_with_goals)
    assert report.latest("customer_churn_rate") > 0
    evaluated = evaluate_goals(company_with_goals.targets, report).set_index("kpi")
    assert evaluated["status"].to_dict() == {
        "mrr": "met",
        "arr": "below target",
        "customers": "far below",
        "cac": "below target",
        "customer_churn_rate": "far below",
        "nrr": "below target",
        "mrr_growth_mom": "far below",
        "arpu": "below target",
    }
    course = {k: v if isinstance(v, str) else None for k, v in evaluated["course"].items()}
    assert course == {
        "mrr": None,
        "arr": None,
        "customers": None,
        "cac": None,
        "customer_churn_rate": None,
        "nrr": "missed",
        "mrr_growth_mom": "off course",
        "arpu": "on course",
    }


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_dashboards_status_formula_agrees_with_the_library(company_with_goals, tmp_path, lang):
    path = tmp_path / "goals.xlsx"
    _report, expected = build(company_with_goals, path, lang=lang)
    language = load_language(lang)
    shown = set(expected[language.sheets["goals"]].values())
    status = language.status
    assert {status[k] for k in ("met", "below", "far_below", "missed", "off_course")} <= shown
    assert mismatches(expected, recalculated_values(path, tmp_path)) == []
