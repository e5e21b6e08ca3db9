"""Goal status: the library's rule (kpi_addin/metrics/goals.py) and the dashboard's Excel
formula are two implementations of one rule. These tests reach every status — complete, on
track, at risk, off track by shortfall, by a zero target and by a passed due date, for
higher- and lower-is-better KPIs — in the library by hand, and in the dashboard through
LibreOffice's recalculation of the status formulas, so the two cannot drift apart.
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from kpi_addin.dashboard.template import load_language
from kpi_addin.metrics import goal_status, monthly_kpis
from kpi_addin.metrics.report import evaluate_goals

from .dashboard_helpers import build, mismatches
from .libreoffice import recalculated_values

M = pd.Period("2025-06", "M")


@pytest.mark.parametrize(
    ("actual", "target", "direction", "due", "status"),
    [
        (100, 100, "higher", None, "complete"),  # met exactly
        (97, 100, "higher", None, "on track"),  # 3 % short
        (95, 100, "higher", None, "on track"),  # 5 % short: the on-track band's edge
        (90, 100, "higher", None, "at risk"),  # 10 % short
        (85, 100, "higher", None, "at risk"),  # 15 %: the at-risk band's edge
        (84, 100, "higher", None, "off track"),  # 16 % short
        (105, 100, "lower", None, "on track"),  # 5 % above a lower-is-better target: the edge
        (115, 100, "lower", None, "at risk"),  # 15 % above: the edge
        (116, 100, "lower", None, "off track"),
        (0.022, 0.02, "lower", None, "at risk"),  # 10 % above
        (0.019, 0.02, "lower", None, "complete"),
        (0.01, 0, "lower", None, "off track"),  # a zero target not met is off track
        (0, 0, "lower", None, "complete"),
        (-5, 0, "higher", None, "off track"),
        (99, 100, "higher", pd.Period("2025-05", "M"), "off track"),  # due month passed
        (99, 100, "higher", pd.Period("2025-06", "M"), "on track"),  # due this month: not passed yet
        (101, 100, "higher", pd.Period("2025-01", "M"), "complete"),  # met: the due date no longer matters
        (float("nan"), 100, "higher", None, None),  # undefined actual: no status
    ],
)
def test_goal_status_by_hand(actual, target, direction, due, status):
    assert goal_status(actual, target, direction, due, M) == status


@pytest.fixture(scope="module")
def company_with_goals(sample_company):
    """The sample with one goal for each status, each target set against the latest actual."""
    latest = monthly_kpis(sample_company)
    actual = {k: float(latest.monthly[k].iloc[-1]) for k in ("mrr", "arr", "customers", "arpu", "cac", "nrr")}
    as_of = latest.as_of
    targets = pd.DataFrame(
        [
            ("mrr", actual["mrr"] * 0.9, "higher", pd.NaT),  # complete
            ("arr", actual["arr"] / 0.97, "higher", pd.NaT),  # on track (3 % short)
            ("customers", actual["customers"] / 0.9, "higher", pd.NaT),  # at risk (10 % short)
            ("arpu", actual["arpu"] / 0.5, "higher", pd.NaT),  # off track (50 % short)
            ("cac", actual["cac"] / 1.1, "lower", pd.NaT),  # at risk (10 % above)
            ("customer_churn_rate", 0.0, "lower", pd.NaT),  # off track: zero target not met
            ("nrr", actual["nrr"] / 0.99, "higher", (as_of - 1).to_timestamp()),  # off track: due passed
        ],
        columns=["kpi", "target", "direction", "due"],
    )
    targets["due"] = pd.to_datetime(targets["due"])
    return dataclasses.replace(sample_company, targets=targets)


def test_the_library_reaches_every_status(company_with_goals):
    report = monthly_kpis(company_with_goals)
    assert report.latest("customer_churn_rate") > 0
    statuses = evaluate_goals(company_with_goals.targets, report).set_index("kpi")["status"].to_dict()
    assert statuses == {
        "mrr": "complete",
        "arr": "on track",
        "customers": "at risk",
        "arpu": "off track",
        "cac": "at risk",
        "customer_churn_rate": "off track",
        "nrr": "off track",
    }


@pytest.mark.libreoffice
@pytest.mark.parametrize("lang", ["en", "ko"])
def test_the_dashboards_status_formula_agrees_with_the_library(company_with_goals, tmp_path, lang):
    path = tmp_path / "goals.xlsx"
    _report, expected = build(company_with_goals, path, lang=lang)
    language = load_language(lang)
    shown = set(expected[language.sheets["goals"]].values())
    status = language.status
    assert {status["complete"], status["on_track"], status["at_risk"], status["off_track"]} <= shown
    assert mismatches(expected, recalculated_values(path, tmp_path)) == []
