"""Goals: a KPI's target, direction and due date, and its status.

Status follows the common KPI-tracker scale:

* ``complete``  — the target is met (``actual >= target`` when higher is better,
  ``actual <= target`` when lower is better);
* ``off track`` — not met and the due month has passed, or the shortfall is more than
  ``at_risk_band`` (15 %) of the target;
* ``at risk``   — shortfall more than ``on_track_band`` (5 %) and up to 15 %;
* ``on track``  — shortfall up to 5 % of the target.

The shortfall is measured relative to ``|target|``; with a target of 0 any shortfall
is off track.  An undefined actual has no status (``None``).  The dashboard writes
the same rule as an Excel formula; ``tests/test_goals.py`` reaches every status in both (the
formula through LibreOffice's recalculation) and checks they agree.
"""

from __future__ import annotations

import math
from typing import Literal, cast

import pandas as pd

from ._core import KPINumError, KPIValueError, check_scalar, divide, is_undefined

__all__ = [
    "AT_RISK_BAND",
    "GOAL_STATUSES",
    "ON_TRACK_BAND",
    "check_direction",
    "goal_progress",
    "goal_shortfall",
    "goal_status",
]


Direction = Literal["higher", "lower"]
GOAL_STATUSES = ("complete", "on track", "at risk", "off track")
ON_TRACK_BAND = 0.05
AT_RISK_BAND = 0.15


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
    due: pd.Period | None = None,
    as_of: pd.Period | None = None,
    *,
    on_track_band: float = ON_TRACK_BAND,
    at_risk_band: float = AT_RISK_BAND,
) -> str | None:
    """The status of one goal: complete, on track, at risk or off track (see module doc).

    Edge cases: an undefined actual has no status (None); a target of 0 not met is off track.

    Examples
    --------
    >>> goal_status(101, 100, "higher")
    'complete'
    >>> goal_status(97, 100, "higher")
    'on track'
    >>> goal_status(88, 100, "higher")
    'at risk'
    >>> goal_status(97, 100, "higher", due=pd.Period("2025-01", "M"), as_of=pd.Period("2025-02", "M"))
    'off track'
    """
    if on_track_band < 0 or at_risk_band < on_track_band:
        raise KPINumError("at_risk_band", "bands must satisfy 0 <= on_track_band <= at_risk_band")
    if is_undefined(actual):
        return None
    shortfall = goal_shortfall(cast(float, actual), target, direction)
    if shortfall <= 0:
        return "complete"
    if due is not None and as_of is not None and as_of > due:
        return "off track"
    if shortfall <= on_track_band:
        return "on track"
    if shortfall <= at_risk_band:
        return "at risk"
    return "off track"
