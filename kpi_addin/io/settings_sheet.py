"""The input's ``settings`` sheet: its keys read and checked once, into the values the
:class:`~kpi_addin.metrics.settings.ReportSettings` are resolved from (the command line
wins over them, they win over the defaults)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from ..metrics import KPIInputError
from ..metrics.conventions import check_convention
from . import values as values_
from .problems import Problem, RawSheet

#: Settings and the value a blank one falls back to.
SETTING_DEFAULTS: dict[str, str | None] = {
    "reporting_currency": "USD",
    "company": None,
    "as_of": None,
    "history_start": None,
    "convention": "month-end",
    "plan_scenario": None,
    "data_through": None,
}


def read_settings_sheet(
    frame: pd.DataFrame | None, raw: RawSheet | None
) -> tuple[dict[str, str], list[Problem], list[str]]:
    """(settings given, problems, notes); a blank value falls back to its default with a note."""
    if frame is None or raw is None:
        return {}, [], []
    problems: list[Problem] = []
    notes: list[str] = []
    values: dict[str, str] = {}
    for position, (key, value) in enumerate(zip(frame["key"], frame["value"], strict=True)):
        if key is None:
            continue
        name = str(key).strip().lower()
        if name not in SETTING_DEFAULTS:
            problems.append(
                raw.problem(
                    f"unknown setting {key!r} (known: {', '.join(sorted(SETTING_DEFAULTS))})",
                    column="key",
                    position=position,
                )
            )
            continue
        if value is None:
            default = SETTING_DEFAULTS[name]
            fallback = f"the default {default}" if default else "none"
            cell = f"{raw.letters.get('value', 'B')}{raw.rows[position]}"
            notes.append(f"{raw.where('value')}: {name} is blank at {cell}; using {fallback}")
            continue
        values[name] = str(value)
    return values, problems, notes


def sheet_settings(
    sheet: Mapping[str, str], source: str, given: Mapping[str, object], default_currency: str = "USD"
) -> tuple[dict[str, object], str, list[Problem]]:
    """The settings sheet's values, checked: ``(values, reporting currency, problems)``.

    ``as_of`` is read only when not ``given`` (the command line wins); a blank or absent
    reporting currency is ``default_currency``."""
    problems: list[Problem] = []
    values: dict[str, object] = {}
    currency = str(sheet.get("reporting_currency", default_currency)).strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        problems.append(
            Problem(source, f"reporting_currency {currency!r} is not a three-letter currency code", "settings")
        )
    if sheet.get("reporting_currency") is not None:
        values["reporting_currency"] = currency
    if given.get("as_of") is None and sheet.get("as_of") not in (None, ""):
        try:
            values["as_of"] = parse_month(sheet["as_of"], "settings as_of")
        except ValueError as exc:
            problems.append(Problem(source, str(exc), "settings"))
    if sheet.get("history_start") not in (None, ""):
        try:
            values["history_start"] = parse_month(sheet["history_start"], "settings history_start")
        except ValueError as exc:
            problems.append(Problem(source, str(exc), "settings"))
    if sheet.get("data_through") not in (None, ""):
        try:
            values["data_through"] = parse_month(sheet["data_through"], "settings data_through")
        except ValueError as exc:
            problems.append(Problem(source, str(exc), "settings"))
    if sheet.get("plan_scenario") not in (None, ""):
        values["plan_scenario"] = str(sheet["plan_scenario"]).strip()
    if sheet.get("convention") not in (None, ""):
        try:
            values["convention"] = check_convention(sheet["convention"])
        except KPIInputError as exc:
            problems.append(Problem(source, f"settings {exc}", "settings"))
    return values, currency, problems


def parse_month(text: object, argument: str) -> pd.Period:
    """``YYYY-MM`` (or a date, or an Excel date) → a monthly period; ValueError naming ``argument``."""
    parsed = values_.parse_dates(pd.Series([text], dtype=object))
    for mask, message in parsed.checks:
        if bool(mask.iloc[0]):
            raise ValueError(f"{argument}: {message(text)}".replace(values_.DATE_HINT, "a month (YYYY-MM)"))
    if pd.isna(parsed.values.iloc[0]):
        raise ValueError(f"{argument}: {text!r} is not a month (YYYY-MM)")
    return parsed.values.iloc[0].to_period("M")
