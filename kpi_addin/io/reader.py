"""Read the canonical input into the company data: one ``.xlsx`` workbook, a folder of CSV
files (``subscriptions.csv``, ``funnel.csv``, ...) or a single subscriptions CSV.

The sheets are loaded (:mod:`.loading`) and validated (:mod:`.validation`); this module puts
them together, reads the settings and checks what spans sheets (a currency without a rate).
Every problem is collected, each with where it is
(``kpi_input.xlsx subscriptions!E17 (amount): 'abc' is not a number``), and one
:class:`InputError` holding them all is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..metrics import KPIInputError
from ..metrics.company import CompanyData
from ..metrics.plan import select_scenario
from ..metrics.report import BALANCE_SHEET_KEYS, MONTHLY_KEYS
from ..metrics.settings import Origin, ReportSettings
from . import schema
from .customers import attach_customer_attributes
from .loading import load_raw_sheets
from .plan import read_plan
from .problems import InputError, Problem, RawSheet, report
from .settings_sheet import read_settings_sheet, sheet_settings
from .validation import validate_sheet


def read_company_data(path: str | Path, *, given: Mapping[str, object] | None = None) -> tuple[CompanyData, list[str]]:
    """Read, validate and type the canonical input at ``path``; ``given``: settings given on
    the command line (they win over the settings sheet).

    Returns the data and warnings (e.g. an empty optional sheet); raises
    :class:`InputError` listing every problem found.
    """
    path = Path(path)
    raws, problems = load_raw_sheets(path)
    if not raws and not problems:
        problems.append(Problem(str(path), "no 'subscriptions' sheet found (sheet names are case-insensitive)"))
    return company_from_sheets(raws, str(path), given=given, problems=problems)


def company_from_sheets(
    raws: dict[str, RawSheet],
    source: str,
    *,
    given: Mapping[str, object] | None = None,
    by: Origin = "command line",
    problems: list[Problem] | None = None,
    default_currency: str = "USD",
    ledger_elsewhere: bool = False,
) -> tuple[CompanyData, list[str]]:
    """Validate raw sheets (from files or Excel ranges) into the canonical company data.

    Its settings are resolved here, once: ``given`` (by the command line, or ``by`` an Excel
    function's arguments) over the settings sheet over the defaults.  ``ledger_elsewhere``:
    the subscriptions stay in a database (``--engine database``); the data's ledger is empty."""
    given = {k: v for k, v in (given or {}).items() if v is not None}
    problems = list(problems or [])
    warnings: list[str] = []
    frames: dict[str, pd.DataFrame | None] = {}
    for name, sheet in schema.SHEETS.items():
        raw = raws.get(name)
        if raw is None:
            frames[name] = None
            continue
        if raw.frame.shape == (0, 0) and name != "subscriptions":  # an empty file or sheet: no header row
            warnings.append(f"{raw.file} {raw.label}: the sheet is empty; treated as absent")
            frames[name] = None
            continue
        if raw.frame.shape == (0, 0):
            problems.append(raw.problem("the sheet is empty: it has no header row"))
            frames[name] = None
            continue
        frame, found = read_plan(raw) if name == "plan" else validate_sheet(raw, sheet)
        if frame is not None and frame.empty and name != "subscriptions":
            warnings.append(f"{raw.file} {raw.label}: the sheet has no data rows; treated as absent")
            frames[name] = None
            continue
        problems += found
        warnings += raw.notes
        frames[name] = frame
    missing = "subscriptions" not in raws and not ledger_elsewhere
    if raws and missing and not any(p.sheet == "subscriptions" for p in problems):
        names = ", ".join(sorted(raws)) or "none"
        problems.append(Problem(source, f"no 'subscriptions' sheet found (canonical sheets found: {names})"))

    sheet_values, found, notes = read_settings_sheet(frames.get("settings"), raws.get("settings"))
    problems += found
    warnings += notes
    values, currency, found = sheet_settings(sheet_values, source, given, default_currency)
    problems += found

    subs = frames.get("subscriptions")
    if subs is not None and not subs.empty and "subscriptions" in raws:
        problems += _check_subscriptions(raws["subscriptions"], subs, frames.get("fx_rates"), currency)
    targets = frames.get("targets")
    if targets is not None and "targets" in raws:
        problems += _check_targets(raws["targets"], targets)
    fx = frames.get("fx_rates")
    if fx is not None and "fx_rates" in raws:
        problems += _check_fx_rates(raws["fx_rates"], fx)
    customers = frames.get("customers")
    if customers is not None and subs is not None and not subs.empty and "customers" in raws:
        subs, found = attach_customer_attributes(customers, raws["customers"], subs)  # attributes for --by
        problems += found
    if not problems:
        try:
            settings = ReportSettings.resolve(given, values, by=by, defaults={"reporting_currency": currency})
        except KPIInputError as exc:
            problems.append(Problem(source, str(exc)))
        else:
            problems += _check_scenario(frames.get("plan"), raws.get("plan"), settings, source)
    if problems:
        raise InputError(problems)
    if subs is None and ledger_elsewhere:
        kinds = {"date": "datetime64[ns]", "money": "float64", "number": "float64"}
        subs = pd.DataFrame(
            {c.name: pd.Series([], dtype=kinds.get(c.kind, "object")) for c in schema.SUBSCRIPTIONS.columns}
        )
        return _company(subs, frames, sheet_values, source, settings), warnings
    assert subs is not None
    raw_subs = raws["subscriptions"]
    if "interval" not in raw_subs.frame:
        warnings.append(f"{raw_subs.where()}: no interval column; every subscription is read as monthly")
        subs["interval"] = "month"
    subs["quantity"] = subs["quantity"].fillna(1.0)
    codes, written = _codes(subs["currency"])
    blank_currency = codes < 0
    if blank_currency.any() and "currency" in raw_subs.frame:
        first = int(np.flatnonzero(blank_currency)[0])
        warnings.append(
            f"{raw_subs.where('currency')}: {int(blank_currency.sum()):,} cell(s) blank, read as {currency} "
            f"(the reporting currency), first at {raw_subs.letters.get('currency', '')}{raw_subs.rows[first]}"
        )
    filled = np.array([*written, currency], dtype=object)[codes]  # a blank (code -1): the reporting currency
    subs["currency"] = pd.Series(filled, index=subs.index, dtype=object, copy=False)
    return _company(subs, frames, sheet_values, source, settings), warnings


def _company(
    subs: pd.DataFrame,
    frames: dict[str, pd.DataFrame | None],
    sheet_values: Mapping[str, object],
    source: str,
    settings: ReportSettings,
) -> CompanyData:
    return CompanyData(
        subscriptions=subs,
        funnel=frames.get("funnel"),
        costs=frames.get("costs"),
        nps=frames.get("nps"),
        balance_sheet=frames.get("balance_sheet"),
        targets=frames.get("targets"),
        fx_rates=frames.get("fx_rates"),
        plan=frames.get("plan"),
        company=str(sheet_values["company"]) if sheet_values.get("company") else None,
        source=source,
        settings=settings,
    )


def _check_scenario(
    plan: pd.DataFrame | None, raw: RawSheet | None, settings: ReportSettings, source: str
) -> list[Problem]:
    """The plan scenario asked for (``--plan-scenario``, settings ``plan_scenario``) is one the plan has."""
    asked = settings.plan_scenario
    if asked is None:
        return []
    by = "--plan-scenario" if settings.origin["plan_scenario"] == "command line" else "plan_scenario"
    if plan is None or raw is None:
        return [Problem(source, f"{by} {asked!r}: the input has no plan sheet")]
    try:
        select_scenario(plan, asked)
    except KPIInputError as exc:
        return [raw.problem(f"{by} {str(exc).removeprefix('plan scenario: ')}", column="scenario")]
    return []


def _check_subscriptions(raw: RawSheet, subs: pd.DataFrame, fx: pd.DataFrame | None, currency: str) -> list[Problem]:
    problems: list[Problem] = []
    if "end_date" in subs:
        before = subs["end_date"].notna() & (subs["end_date"] < subs["start_date"])
        if before.any():
            shown = pd.Series("", index=subs.index, dtype=object)
            shown[before] = (
                subs.loc[before, "end_date"].dt.strftime("%Y-%m-%d")
                + " is before start_date "
                + subs.loc[before, "start_date"].dt.strftime("%Y-%m-%d")
            )
            problems += report(raw, "end_date", before, shown, lambda v: f"end_date {v}")
    if "currency" in subs:
        codes, names = _codes(subs["currency"])  # a blank cell is the reporting currency: never unrated
        rated = set(fx["currency"].dropna()) if fx is not None else set()
        used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=len(names)))
        for code, number in sorted((names[i], i) for i in used if names[i] not in rated | {currency}):
            rows = codes == number
            where = "the fx_rates sheet has no rate for it" if fx is not None else "there is no fx_rates sheet"
            first = int(np.flatnonzero(rows)[0])
            problems.append(
                raw.problem(
                    f"currency {code} is used by {int(rows.sum()):,} row(s) but {where} "
                    f"(reporting currency {currency}; rates are never assumed 1:1)",
                    column="currency",
                    position=first,
                )
            )
    return problems


def _codes(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    """(codes, distinct values) of a column; a missing cell's code is -1.  A categorical column
    (the validated currency) has them already."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), list(values.cat.categories)
    codes, uniques = pd.factorize(values)
    return codes, list(uniques)


def _check_fx_rates(raw: RawSheet, fx: pd.DataFrame) -> list[Problem]:
    """Two rates for one currency and month (or two undated rates for one currency) conflict."""
    key = fx["currency"].astype(object).fillna("") + " " + fx["month"].dt.strftime("%Y-%m").fillna("every month")
    repeated = key.duplicated(keep=False) & fx["currency"].notna()
    if not repeated.any():
        return []
    rates = fx["rate"].groupby(key[repeated]).nunique()
    conflicting = key.isin(rates[rates > 1].index) & key.duplicated(keep="first")
    return report(
        raw,
        "rate",
        conflicting,
        key,
        lambda v: f"a second, different rate for {v}; give one rate per currency and month",
    )


def _check_targets(raw: RawSheet, targets: pd.DataFrame) -> list[Problem]:
    known = set(MONTHLY_KEYS[1:]) | set(BALANCE_SHEET_KEYS)
    kpi = targets["kpi"].str.strip().str.lower()
    targets["kpi"] = kpi
    unknown = kpi.notna() & ~kpi.isin(known)
    problems = report(
        raw,
        "kpi",
        unknown,
        kpi,
        lambda v: f"unknown KPI {v!r} (use a key of kpi-addin metrics, e.g. mrr, customer_churn_rate)",
    )
    direction = targets["direction"] if "direction" in targets else pd.Series(None, index=targets.index, dtype=object)
    default = kpi.map(lambda k: "lower" if k in schema.LOWER_IS_BETTER else "higher")
    targets["direction"] = direction.where(direction.notna(), default)
    if "due" not in targets:
        targets["due"] = pd.NaT
    return problems
