"""The reporting settings: one immutable object, read once and passed down.

Each setting comes from the command line (or an Excel function's argument), else the input's
``settings`` sheet, else its default; :attr:`ReportSettings.origin` records which.  The
values are validated here, once: a convention is ``month-end`` or ``month-start``, a
currency a three-letter code, a period ``month``, ``quarter`` or ``year``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Literal

import pandas as pd

from ._core import KPIValueError
from .conventions import Convention, check_convention

Origin = Literal["command line", "function argument", "settings sheet", "default"]
PERIODS = ("month", "quarter", "year")
LANGUAGES = ("en", "ko")


@dataclass(frozen=True)
class ReportSettings:
    """How to report: up to which month, from which month, by which convention, per which
    period, in which currency and language.

    ``as_of`` None: the last complete month (:meth:`CompanyData.reporting_month`);
    ``history_start`` None: the ledger's first month, reported as the opening balance.

    Examples
    --------
    >>> sheet = {"convention": "month-end", "reporting_currency": "krw"}
    >>> s = ReportSettings.resolve({"convention": "month_start"}, sheet)
    >>> s.convention, s.reporting_currency, s.origin["convention"], s.origin["reporting_currency"], s.origin["period"]
    ('month-start', 'KRW', 'command line', 'settings sheet', 'default')
    """

    as_of: pd.Period | None = None
    history_start: pd.Period | None = None
    convention: Convention = "month-end"
    period: str = "month"
    reporting_currency: str = "USD"
    language: str = "en"
    #: the plan scenario compared with the actuals (None: the plan's first)
    plan_scenario: str | None = None
    #: the last month the data is known through (None: the month of its latest date)
    data_through: pd.Period | None = None
    #: where each setting came from: "command line", "settings sheet" or "default"
    origin: Mapping[str, Origin] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: the validated values are set once, here
        set_(self, "convention", check_convention(self.convention))
        currency = str(self.reporting_currency).strip().upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise KPIValueError(
                "reporting_currency", f"{self.reporting_currency!r} is not a three-letter currency code"
            )
        set_(self, "reporting_currency", currency)
        if self.period not in PERIODS:
            raise KPIValueError("period", f"{self.period!r} is not one of {', '.join(PERIODS)}")
        if self.language not in LANGUAGES:
            raise KPIValueError("language", f"{self.language!r} is not one of {', '.join(LANGUAGES)}")
        if self.plan_scenario is not None:
            set_(self, "plan_scenario", str(self.plan_scenario).strip() or None)
        origin = {name: self.origin.get(name, "default") for name in SETTING_NAMES}
        set_(self, "origin", MappingProxyType(origin))

    @classmethod
    def resolve(
        cls,
        given: Mapping[str, object],
        sheet: Mapping[str, object] | None = None,
        *,
        by: Origin = "command line",
        defaults: Mapping[str, object] | None = None,
    ) -> ReportSettings:
        """The command line (``given``, None meaning not given) over the settings sheet over
        the ``defaults`` (the caller's, else the class's), each setting's origin recorded."""
        values: dict[str, object] = {}
        origin: dict[str, Origin] = {}
        for name in SETTING_NAMES:
            if given.get(name) is not None:
                values[name], origin[name] = given[name], by
            elif sheet is not None and sheet.get(name) is not None:
                values[name], origin[name] = sheet[name], "settings sheet"
            elif defaults is not None and defaults.get(name) is not None:
                values[name] = defaults[name]
        return cls(**values, origin=origin)  # type: ignore[arg-type]  # each value is checked in __post_init__

    def given(self, by: Origin = "command line", **values: object) -> ReportSettings:
        """These settings with ``values`` given (None: not given) over them, by ``by``."""
        changes = {name: value for name, value in values.items() if value is not None}
        return replace(self, **changes, origin={**self.origin, **dict.fromkeys(changes, by)})  # type: ignore[arg-type]  # checked in __post_init__


SETTING_NAMES = tuple(f.name for f in fields(ReportSettings) if f.name != "origin")
