"""Goals: a KPI's target, direction and due date, its status now and its course to the due date.

The status is judged on the reporting month alone, in words that say where the KPI stands:

* ``met``          — the target is met (``actual >= target`` when higher is better,
  ``actual <= target`` when lower is better);
* ``below target`` — not met, short by up to ``far_below_band`` (15 %) of ``|target|``;
* ``far below``    — short by more (and any shortfall against a target of 0).

"Below" means on the wrong side of the target whichever way is better: a churn rate above
its ceiling is below target.  A goal with a due month also has a *course*: ``missed`` when
the due month has come and the target is not met; otherwise, while not met, ``on course``
when the KPI's pace over the last three months, carried on to the due month, meets the
target, and ``off course`` when it does not.  A met goal, or one without a due month or
without three months of history, has no course (``None``).  An undefined actual has no
status.  The dashboard writes the same rules as Excel formulas; ``tests/test_goals.py``
reaches every status and course in both (the formulas through LibreOffice) and checks they agree.
"""

from __future__ import annotations

import math
from typing import Literal, cast

import pandas as pd

from ._core import KPINumError, KPIValueError, check_scalar, divide, is_undefined

__all__ = [
    "COURSE_MONTHS",
    "COURSE_STATUSES",
    "FAR_BELOW_BAND",
    "GOAL_STATUSES",
    "check_direction",
    "goal_course",
    "goal_progress",
    "goal_shortfall",
    "goal_status",
]


Direction = Literal["higher", "lower"]
GOAL_STATUSES = ("met", "below target", "far below")
COURSE_STATUSES = ("on course", "off course", "missed")
FAR_BELOW_BAND = 0.15
#: Months of history the course's pace is measured over.
COURSE_MONTHS = 3


def check_direction(direction: object) -> Direction:
    """``higher`` or ``lower`` (case-insensitive), else :class:`KPIValueError`."""
    text = str(direction).strip().lower() if direction is not None else ""
    if text not in ("higher", "lower"):
        raise KPIValueError("direction", f"{direction!r} is not 'higher' or 'lower'")
    return cast(Direction, text)


def goal_shortfall(actual: float, target: float, direction: Direction) -> float:
    """How far ``actual`` falls short of ``target``, as a fraction of ``|target|``.

    0 or less means the target is met.  Target 0 and not met → ``inf``.

    Examples
    --------
    >>> goal_shortfall(90, 100, "higher")
    0.1
    >>> goal_shortfall(0.04, 0.02, "lower")
    1.0
    """
    actual = check_scalar("actual", actual)
    target = check_scalar("target", target)
    gap = target - actual if check_direction(direction) == "higher" else actual - target
    if gap <= 0:
        return gap / abs(target) if target else 0.0
    return divide(gap, abs(target)) if target else math.inf


def goal_progress(actual: float, target: float, direction: Direction) -> float:
    """Progress towards the target: actual / target (higher is better) or
    target / actual (lower is better); 1 or more means met.  Zero denominators → undefined.

    Examples
    --------
    >>> goal_progress(90, 100, "higher")
    0.9
    >>> goal_progress(0.04, 0.02, "lower")
    0.5
    """
    actual = check_scalar("actual", actual)
    target = check_scalar("target", target)
    if check_direction(direction) == "higher":
        return divide(actual, target)
    return divide(target, actual)


def goal_status(
    actual: float | None,
    target: float,
    direction: Direction,
    *,
    far_below_band: float = FAR_BELOW_BAND,
) -> str | None:
    """The status of one goal now: met, below target or far below (see module doc).

    Edge cases: an undefined actual has no status (None); a target of 0 not met is far below.

    Examples
    --------
    >>> goal_status(101, 100, "higher")
    'met'
    >>> goal_status(88, 100, "higher")
    'below target'
    >>> goal_status(0.03, 0.02, "lower")
    'far below'
    """
    if far_below_band < 0:
        raise KPINumError("far_below_band", "must be 0 or more")
    if is_undefined(actual):
        return None
    shortfall = goal_shortfall(cast(float, actual), target, direction)
    if shortfall <= 0:
        return "met"
    return "below target" if shortfall <= far_below_band else "far below"


def goal_course(
    actual: float | None,
    earlier: float | None,
    target: float,
    direction: Direction,
    due: pd.Period | None,
    as_of: pd.Period,
    *,
    months: int = COURSE_MONTHS,
) -> str | None:
    """The course of a goal with a due month: missed, on course or off course (see module doc).

    ``earlier`` is the KPI ``months`` months before ``as_of``; the pace is
    ``(actual − earlier) ÷ months`` a month, carried on for the months left to ``due``.

    Examples
    --------
    >>> M = pd.Period("2025-06", "M")
    >>> goal_course(90, 84, 100, "higher", pd.Period("2025-12", "M"), M)  # +2 a month, 6 months left
    'on course'
    >>> goal_course(90, 89, 100, "higher", pd.Period("2025-09", "M"), M)
    'off course'
    >>> goal_course(90, 80, 100, "higher", pd.Period("2025-06", "M"), M)
    'missed'
    >>> goal_course(101, 90, 100, "higher", pd.Period("2025-12", "M"), M) is None  # met
    True
    """
    if due is None or is_undefined(actual):
        return None
    value = cast(float, actual)
    if goal_shortfall(value, target, direction) <= 0:
        return None
    left = (due.year - as_of.year) * 12 + due.month - as_of.month
    if left <= 0:
        return "missed"
    if is_undefined(earlier):
        return None
    projected = value + (value - cast(float, earlier)) / months * left
    return "on course" if goal_shortfall(projected, target, direction) <= 0 else "off course"
