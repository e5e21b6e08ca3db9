"""The input contract: the canonical, validated inputs of one company and its reporting settings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from ._core import KPIInputError
from .months import latest_month, number_of, period_of
from .settings import ReportSettings

__all__ = ["CompanyData"]


@dataclass
class CompanyData:
    """The canonical, validated inputs (see the README's *Input data*); only ``subscriptions`` is required.

    Month columns hold the first day of the month as a datetime.
    """

    subscriptions: pd.DataFrame
    funnel: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    nps: pd.DataFrame | None = None
    balance_sheet: pd.DataFrame | None = None
    targets: pd.DataFrame | None = None
    fx_rates: pd.DataFrame | None = None
    company: str | None = None
    source: str = ""
    #: how to report (as-of, history start, convention, currency, ...): read once, immutable
    settings: ReportSettings = field(default_factory=ReportSettings)
    #: the CRM's customers by month (``month``, ``customers``), checked against billing's new customers
    crm_customers: pd.DataFrame | None = None
    #: The plan, long: ``scenario`` (or None), ``month`` (Period), ``kpi`` (a plan key), ``value``.
    plan: pd.DataFrame | None = None

    @property
    def plan_scenario(self) -> str | None:
        """The plan scenario to compare with (None: the plan's first); a setting."""
        return self.settings.plan_scenario

    @property
    def reporting_currency(self) -> str:
        return self.settings.reporting_currency

    def _latest_activity(self, through: int | None = None, *, trials: bool = False) -> int | None:
        """The month (since 1970-01) of the latest start, end or input date (up to month ``through``
        when given); trial ends are not activity unless ``trials``.  None: no such date."""
        dates: list[pd.Series] = []
        for column in ("start_date", "end_date", *(("trial_end",) if trials else ())):
            if column in self.subscriptions:
                dates.append(self.subscriptions[column])
        for frame, column in ((self.funnel, "month"), (self.costs, "month"), (self.nps, "date")):
            if frame is not None and column in frame:
                dates.append(frame[column])
        latest = [m for m in (latest_month(d, through) for d in dates) if m is not None]
        return max(latest) if latest else None

    def known_through(self) -> pd.Period | None:
        """The last month the data is known through: the ``data_through`` setting, else the
        month of the latest date anywhere in the inputs — a start, end or trial end, a
        funnel, cost or NPS month (None: no dates at all).

        Examples
        --------
        >>> subs = pd.DataFrame({"customer_id": ["a"], "amount": [10.0], "interval": ["month"],
        ...     "start_date": pd.to_datetime(["2025-01-05"]), "end_date": pd.to_datetime([None]),
        ...     "trial_end": pd.to_datetime(["2025-02-03"])})
        >>> CompanyData(subs).known_through()
        Period('2025-02', 'M')
        >>> CompanyData(subs, settings=ReportSettings(data_through=pd.Period("2025-06", "M"))).known_through()
        Period('2025-06', 'M')
        """
        if self.settings.data_through is not None:
            return self.settings.data_through
        latest = self._latest_activity(trials=True)
        return period_of(latest) if latest is not None else None

    def reporting_month(self, today: dt.date | None = None) -> tuple[pd.Period, bool]:
        """The month to report up to, and whether it is month-to-date (still running).

        Default: the last complete calendar month by ``today`` (the run date), capped at
        the data's last month of activity — the latest start, end or input month that
        has already happened.  A trial end is never activity, and a date after today
        (a cancellation scheduled for next June) never extends the report.  An explicit
        ``as_of`` wins; it may be the current month (then month-to-date), never a later one.

        Examples
        --------
        >>> subs = pd.DataFrame({"customer_id": ["a", "b"], "amount": [10.0, 20.0], "interval": ["month"] * 2,
        ...     "start_date": pd.to_datetime(["2025-01-05", "2025-03-10"]),
        ...     "end_date": pd.to_datetime(["2026-06-01", None])})
        >>> CompanyData(subs).reporting_month(dt.date(2025, 5, 20))  # the June end is in the future
        (Period('2025-03', 'M'), False)
        >>> CompanyData(subs).reporting_month(dt.date(2025, 3, 20))  # March is still running
        (Period('2025-02', 'M'), False)
        >>> march = ReportSettings(as_of=pd.Period("2025-03", "M"))
        >>> CompanyData(subs, settings=march).reporting_month(dt.date(2025, 3, 20))
        (Period('2025-03', 'M'), True)
        """
        current = pd.Period(today or dt.date.today(), "M")
        as_of = self.settings.as_of
        through = self.known_through()
        if as_of is not None:
            if as_of > current:
                raise KPIInputError(
                    "as_of",
                    f"{as_of} has not begun (today is {today or dt.date.today()}); report {current} or earlier",
                )
            # checked when a person gave the as-of (command line, settings sheet, function
            # argument) or said how far the data runs; a program building ReportSettings itself
            # (a hand-worked test, a backtest cutting a ledger) reports what it asks for
            asked = self.settings.origin["as_of"] != "default" or self.settings.data_through is not None
            if asked and through is not None and as_of > through:
                how = "by data_through" if self.settings.data_through is not None else "its latest date"
                raise KPIInputError(
                    "as_of",
                    f"{as_of} is after {through}, the month the data runs through ({how}): a month after it "
                    f"would be reported as actuals with no data; report {through} or earlier, project the months "
                    f"after it with `kpi-addin forecast --as-of {through}`, or, if the ledger was exported later "
                    "with no changes since, say so with --data-through YYYY-MM",
                )
            return as_of, as_of == current
        if self.settings.data_through is not None:  # said by the user: the data runs through it
            last_complete = current - 1
            return min(last_complete, self.settings.data_through), False
        happened = self._latest_activity(number_of(current))
        last_complete = current - 1
        if happened is None:
            return last_complete, False
        return min(last_complete, period_of(happened)), False
