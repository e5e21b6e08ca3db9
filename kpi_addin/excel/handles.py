"""The report behind ``=KPI_REPORT()``: computed once per content of its inputs, read by handle.

``=KPI_REPORT(...)`` returns a short text such as ``kpi#3f2a9c01: 2025-12, 24 months``; the
``kpi#...`` part starts the digest of everything the report depends on (every input cell,
the settings); the report is kept under that digest and the run date (which decides the
default reporting month).  The report is kept
here under that digest, so

* an unchanged range is never recomputed (Excel recalculates ``KPI_REPORT`` when any cell
  of its ranges changes, or on a full recalculation: the digest is the same, the report
  is taken from here);
* ``=KPI(handle, ...)`` is a dictionary look-up: every figure of every month is laid out
  as plain Python numbers when the report is computed;
* a handle whose report is not here (Python restarted, the workbook reopened without a
  recalculation) is ``#N/A`` with a message saying to recalculate (Ctrl+Alt+F9).

The last :data:`KEPT` reports are kept (least recently used first out).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import math
import pickle
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..metrics import CompanyData, KPIReport
from ..metrics.catalogue import BALANCE_SHEET_KEYS, COUNT_KEYS, MONTHLY_KEYS, REGISTRY

#: Reports kept at once (each is a few MB for a ledger of 50,000 rows).
KEPT = 8
HANDLE = re.compile(r"^\s*kpi#([0-9a-f]{8})\b")


@dataclass
class Entry:
    """A computed report, its inputs, and its figures laid out for O(1) reads."""

    handle: str
    data: CompanyData
    report: KPIReport
    #: key → month text → value (a float, an int for counts, or nan)
    figures: dict[str, dict[str, float | int]] = field(default_factory=dict)
    months: tuple[str, ...] = ()
    #: quarter / year tables, computed on first use
    periods: dict[str, pd.DataFrame] = field(default_factory=dict)
    #: figures by segment (attributes → :class:`~kpi_addin.metrics.segments.SegmentReport`), on first use
    segments: dict[tuple[str, ...], Any] = field(default_factory=dict)


_CACHE: OrderedDict[str, Entry] = OrderedDict()


def digest(*parts: object) -> str:
    """A digest of the cell values given (nested lists of numbers, text, dates, blanks): equal
    content gives the equal digest on every platform and run; any changed cell a different one."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True  # no memo: the bytes depend on the values only, not on which objects are shared
    pickler.dump(parts)
    return hashlib.blake2b(buffer.getvalue(), digest_size=16).hexdigest()


def cache_key(content: str) -> str:
    """The key a report is kept under: its content digest and the run date (which decides the
    default reporting month), so a session running past midnight recomputes it."""
    return f"{content}@{dt.date.today().isoformat()}"


def lookup(key: str) -> Entry | None:
    """The entry kept under ``key`` (a :func:`cache_key`), or the latest whose content digest
    starts with ``key`` (the 8 characters a handle shows)."""
    found = key if key in _CACHE else next((k for k in reversed(_CACHE) if k.startswith(key)), None)
    if found is None:
        return None
    _CACHE.move_to_end(found)
    return _CACHE[found]


def store(key: str, data: CompanyData, report: KPIReport) -> Entry:
    """Keep ``report`` under ``key`` (a :func:`digest`) and return its entry."""
    months = tuple(str(p) for p in report.monthly.index)
    figures: dict[str, dict[str, float | int]] = {}
    table = report.monthly
    for name in MONTHLY_KEYS[1:]:
        column = table[name].to_numpy(dtype=float)
        integer = name in COUNT_KEYS
        figures[name] = {
            m: (int(v) if integer and v == v else float(v)) for m, v in zip(months, column.tolist(), strict=True)
        }
    for name in BALANCE_SHEET_KEYS:
        value = report.balance_sheet.get(name)
        figures[name] = {"": math.nan if value is None else float(value)}  # type: ignore[arg-type]  # the ratios are floats or None
    n = len(months)
    text = f"kpi#{key[:8]}: {report.as_of}, {n} month{'s' if n != 1 else ''}"  # the content digest's start
    entry = Entry(text, data, report, figures, months)
    _CACHE[key] = entry
    _CACHE.move_to_end(key)
    while len(_CACHE) > KEPT:
        _CACHE.popitem(last=False)
    return entry


class HandleError(LookupError):
    """A handle that is not one, or whose report is no longer kept."""


def entry_of(handle: object) -> Entry:
    """The report a handle names; :class:`HandleError` saying what to do otherwise."""
    match = HANDLE.match(handle) if isinstance(handle, str) else None
    if match is None:
        raise HandleError(f"handle: {handle!r} is not a KPI_REPORT handle (kpi#...); give the cell holding KPI_REPORT")
    entry = lookup(match.group(1))
    if entry is None:
        raise HandleError(
            f"handle: the report {match.group(0).strip()} is not computed in this session; "
            "recalculate the workbook (Ctrl+Alt+F9) so KPI_REPORT runs again"
        )
    return entry


def known_key(key: object) -> str:
    """A registry key (case and spaces forgiven) or KeyError naming the argument."""
    text = str(key).strip().lower().replace(" ", "_") if key is not None else ""
    if text in REGISTRY and text != "month":
        return text
    raise KeyError(f"key: {key!r} is not a KPI key (e.g. mrr, customer_churn_rate, nrr_12m; see docs/definitions.md)")


def clear() -> None:
    """Forget every report (tests; a new Python session starts empty)."""
    _CACHE.clear()


def period_label(value: object) -> str | None:
    """``2025-06`` / a date / an Excel date serial → ``2025-06``; ``2025Q3`` / ``2025-Q3`` →
    ``2025Q3``; ``2025`` → ``2025``; None for blank.  ValueError naming the argument."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError(f"month: {value!r} is not a month (YYYY-MM)")
    if isinstance(value, int | float) and float(value).is_integer() and 1970 <= value <= 2099:
        return str(int(value))  # a year typed as a number
    if isinstance(value, dt.date):
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str):
        text = value.strip().upper()
        quarter = re.fullmatch(r"(\d{4})-?Q([1-4])", text)
        if quarter:
            return f"{quarter.group(1)}Q{quarter.group(2)}"
        if re.fullmatch(r"\d{4}", text):
            return text
        iso = re.fullmatch(r"(\d{4})-(\d{2})(?:-\d{2})?", text)
        if iso and 1 <= int(iso.group(2)) <= 12:
            return f"{iso.group(1)}-{iso.group(2)}"
    return _parsed_month(value)


@functools.lru_cache(maxsize=256)
def _parsed_month(value: object) -> str:
    """Any other way of writing a month (an Excel date serial, ``1/5/2025``): the reader's one rule."""
    from ..io.settings_sheet import parse_month

    return str(parse_month(value, "month"))


def month_period(label: str) -> pd.Period:
    return pd.Period(label, "M")
