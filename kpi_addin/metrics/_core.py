"""Argument checking and safe division shared by every metric family.

Every scalar KPI function accepts either plain numbers (what an Excel cell holds) or
pandas Series / NumPy arrays (what the monthly transforms pass), so the formula of a
KPI is written exactly once.  Conventions:

* A zero denominator is *undefined*: the result is ``nan`` (Excel shows ``#DIV/0!``),
  never 0 and never an exception.
* An impossible input raises :class:`KPIInputError` naming the argument:
  :class:`KPIValueError` for text or blanks, :class:`KPINumError` for numbers outside
  the possible range (the Excel layer shows them as ``#VALUE!`` and ``#NUM!``).
* ``nan`` inside an array means "no data" and propagates to the result.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, TypeAlias, overload

import numpy as np
import pandas as pd

Number: TypeAlias = float | int
NumberOrSeries: TypeAlias = float | int | pd.Series | np.ndarray

UNDEFINED = math.nan
"""The value of a KPI whose denominator is zero (Excel ``#DIV/0!``)."""


class KPIInputError(ValueError):
    """An argument that no KPI can be computed from.

    ``argument`` names the offending argument.
    """

    def __init__(self, argument: str, message: str) -> None:
        self.argument = argument
        super().__init__(f"{argument}: {message}")


class KPIValueError(KPIInputError):
    """Text, a blank or another non-number where a number belongs."""


class KPINumError(KPIInputError):
    """A number outside what the argument can be, e.g. a negative count."""


def is_undefined(value: object) -> bool:
    """True for the undefined result of a KPI (``nan``) and for a missing value.

    Examples
    --------
    >>> is_undefined(float("nan")), is_undefined(None), is_undefined(0.0)
    (True, True, False)
    """
    if value is None:
        return True
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]  # any object: pd.isna answers False
    except (TypeError, ValueError):
        return False


def _is_array(value: object) -> bool:
    return isinstance(value, pd.Series | np.ndarray)


def check_number(
    name: str,
    value: Any,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
) -> NumberOrSeries:
    """Return ``value`` as a float (or float array) after checking it.

    Raises :class:`KPIValueError` for text, booleans and blanks and
    :class:`KPINumError` for values below ``minimum``, above ``maximum`` or, with
    ``integer``, not whole.  ``nan`` passes (it means "no data" and propagates).
    """
    if _is_array(value):
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise KPIValueError(name, "must hold numbers only")
        arr = arr.astype(float)
        known = arr[~np.isnan(arr)]
        if minimum is not None and (known < minimum).any():
            raise KPINumError(name, f"must not be below {minimum:g}, got {known.min():g}")
        if maximum is not None and (known > maximum).any():
            raise KPINumError(name, f"must not be above {maximum:g}, got {known.max():g}")
        if integer and (known != np.floor(known)).any():
            raise KPINumError(name, "must hold whole numbers")
        return pd.Series(arr, index=value.index) if isinstance(value, pd.Series) else arr
    if value is None:
        raise KPIValueError(name, "is blank; a number is required")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise KPIValueError(name, f"{value!r} is not a number")
    number = float(value)
    if math.isnan(number):
        return number
    if math.isinf(number):
        raise KPINumError(name, "must be finite")
    if minimum is not None and number < minimum:
        raise KPINumError(name, f"must not be below {minimum:g}, got {number:g}")
    if maximum is not None and number > maximum:
        raise KPINumError(name, f"must not be above {maximum:g}, got {number:g}")
    if integer and number != math.floor(number):
        raise KPINumError(name, f"must be a whole number, got {number:g}")
    return number


def check_scalar(
    name: str, value: Any, *, minimum: float | None = None, maximum: float | None = None, integer: bool = False
) -> float:
    """:func:`check_number` for one value (a cell), typed as the float it returns."""
    if _is_array(value):
        raise KPIValueError(name, "must be one number, not a range")
    return float(check_number(name, value, minimum=minimum, maximum=maximum, integer=integer))  # type: ignore[arg-type]  # a scalar in gives a float out


def check_count(name: str, value: Any) -> NumberOrSeries:
    """A count of customers, leads, ...: a whole number, zero or more."""
    return check_number(name, value, minimum=0, integer=True)


def check_not_above(name: str, value: NumberOrSeries, limit_name: str, limit: NumberOrSeries) -> None:
    """Raise :class:`KPINumError` where ``value`` exceeds ``limit`` (e.g. lost > start)."""
    exceeds = np.asarray(value, dtype=float) > np.asarray(limit, dtype=float)
    if np.any(exceeds):
        if _is_array(value) or _is_array(limit):
            raise KPINumError(name, f"exceeds {limit_name} in at least one period")
        raise KPINumError(name, f"({value:g}) exceeds {limit_name} ({limit:g})")


@overload
def divide(numerator: float, denominator: float) -> float: ...
@overload
def divide(numerator: NumberOrSeries, denominator: NumberOrSeries) -> NumberOrSeries: ...
def divide(numerator: NumberOrSeries, denominator: NumberOrSeries) -> NumberOrSeries:
    """``numerator / denominator`` with a zero denominator giving ``nan`` (undefined)."""
    if _is_array(numerator) or _is_array(denominator):
        num = np.asarray(numerator, dtype=float)
        den = np.asarray(denominator, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            result = np.where(den == 0, np.nan, num / np.where(den == 0, 1.0, den))
        for original in (numerator, denominator):
            if isinstance(original, pd.Series):
                return pd.Series(result, index=original.index)
        return result
    assert isinstance(numerator, int | float) and isinstance(denominator, int | float)  # arrays returned above
    if math.isnan(numerator) or math.isnan(denominator) or denominator == 0:
        return UNDEFINED
    return numerator / denominator


def positive_part(value: NumberOrSeries) -> NumberOrSeries:
    """``value`` where above 0, else undefined (``nan``): a number, an array or a Series.

    >>> positive_part(2.5), positive_part(0.0), positive_part(-1)
    (2.5, nan, nan)
    """
    if isinstance(value, pd.Series):
        return value.where(value > 0)
    if isinstance(value, np.ndarray):
        return np.where(value > 0, value, np.nan)
    return value if value > 0 else math.nan
