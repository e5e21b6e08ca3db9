"""``=KPI_REPORT()`` and what reads it: ``=KPI()``, ``=KPI_TABLE()``, ``=KPI_MOVEMENTS()``, ``=KPI_WARNINGS()``.

One report object behind the formulas: ``KPI_REPORT`` reads the ranges exactly as
``kpi-addin metrics`` reads files (:mod:`kpi_addin.io.ranges`), computes every KPI once
with :func:`kpi_addin.metrics.monthly_kpis`, and returns a handle (see
:mod:`kpi_addin.excel.handles`).  ``KPI`` takes any key of the KPI registry, so a KPI
added to the registry is reachable from Excel with no Excel code.
"""

from __future__ import annotations

import math

import numpy as np

from ..metrics import monthly_kpis
from ..metrics.catalogue import BALANCE_SHEET_KEYS, COUNT_KEYS, MONTHLY_KEYS, REGISTRY
from ..metrics.segments import SEGMENT_KEYS, attribute_columns
from . import handles
from .convert import DIV0, EXCEL_ERRORS, NA, flatten, optional, scalar_call, table_call, worksheet_function
from .segment_figures import parse_segment, segment_rows, segment_value, segments_of

SUBSCRIPTIONS_DOC = "The subscriptions range (customer_id, amount, interval, start_date, ...); a header row is optional"
FX_DOC = "Optional FX rates range: currency, rate, month"
SETTINGS_DOC = (
    'Optional settings: a key/value range, or text such as "as_of=2025-12; history_start=2024-01; '
    'convention=month-start"'
)
INPUT_DOCS = {
    "fx_rates": FX_DOC,
    "costs": "Optional costs range: month, sales, marketing, customer_success, infrastructure, ...",
    "funnel": "Optional funnel range: month, visitors, leads, mql, sql, pql, pql_converted, ...",
    "nps": "Optional NPS answers range: date, score (0-10)",
    "balance_sheet": "Optional balance sheet range: period, current_assets, current_liabilities, ...",
}
HANDLE_DOC = "The cell holding =KPI_REPORT(...)"
PERIODS = ("month", "quarter", "year")


def report_entry(
    subscriptions: object,
    *,
    as_of: object = None,
    settings: object = None,
    **inputs: object,
) -> handles.Entry:
    """The report of these ranges: from the cache when their content is unchanged, else computed."""
    given = {name: optional(value, None) for name, value in inputs.items()}
    chosen_as_of, chosen_settings = optional(as_of, None), optional(settings, None)
    key = handles.cache_key(handles.digest(subscriptions, sorted(given.items()), chosen_as_of, chosen_settings))
    entry = handles.lookup(key)
    if entry is not None:
        return entry
    from ..io.ranges import read_ranges  # the range reader: loaded on the first report

    data, warnings, notes = read_ranges(
        subscriptions,
        given.pop("fx_rates", None),
        chosen_as_of,
        settings=chosen_settings,
        **{k: v for k, v in given.items() if v is not None},
    )
    report = monthly_kpis(data)
    report.notes = [*notes, *report.notes]
    report.warnings[:0] = warnings
    return handles.store(key, data, report)


@worksheet_function(
    {
        "subscriptions": SUBSCRIPTIONS_DOC,
        "fx_rates": FX_DOC,
        "costs": INPUT_DOCS["costs"],
        "funnel": INPUT_DOCS["funnel"],
        "nps": INPUT_DOCS["nps"],
        "settings": SETTINGS_DOC,
        "balance_sheet": INPUT_DOCS["balance_sheet"],
    },
    ranges=("subscriptions", "fx_rates", "costs", "funnel", "nps", "settings", "balance_sheet"),
)
def KPI_REPORT(subscriptions, fx_rates=None, costs=None, funnel=None, nps=None, settings=None, balance_sheet=None):
    """Every KPI of these ranges, computed once: a handle (kpi#...) for KPI, KPI_TABLE and the rest."""

    def build() -> list[list[object]]:
        entry = report_entry(
            subscriptions,
            settings=settings_arg(settings),
            fx_rates=fx_rates,
            costs=costs,
            funnel=funnel,
            nps=nps,
            balance_sheet=balance_sheet,
        )
        return [[entry.handle]]

    result = table_call(build)
    return result[0][0] if len(result) == 1 and len(result[0]) == 1 else result


def settings_arg(settings: object) -> object:
    """Settings text arrives as a 1×1 range: the text itself."""
    if isinstance(settings, list | tuple) and len(settings) == 1 and len(settings[0]) == 1:
        only = settings[0][0]
        if isinstance(only, str) and "=" in only:
            return only
    return settings


@worksheet_function(
    {
        "handle": HANDLE_DOC,
        "key": "The KPI's key, as in kpi-addin metrics' JSON: mrr, customer_churn_rate, nrr_12m, cac_trailing, ...",
        "month": "Optional month (YYYY-MM or a date; default the reporting month), quarter (2025Q3) or year (2025)",
        "segment": 'Optional segment, as "plan=Pro" (several: "plan=Pro; country=KR"); default the whole company',
    },
)
def KPI(handle, key, month=None, segment=None):
    """One figure of a KPI_REPORT: any KPI key, for a month (default the last), quarter, year or segment."""
    return scalar_call(lambda: _figure(handle, key, optional(month, None), optional(segment, None)))


def _figure(handle: object, key: object, month: object, segment: object = None) -> object:
    passed = _passed_error(handle)
    if passed:
        return passed
    entry = handles.entry_of(handle)
    label = handles.period_label(month)
    if segment is not None and str(segment).strip():
        if label is not None and len(label) != 7:
            raise LookupError(f"month: {label} — figures by segment are monthly; give a month (YYYY-MM)")
        figure = segment_value(entry, key, label or entry.months[-1], segment)
        blank = segments_of(entry, tuple(parse_segment(segment, entry))).blank
        return _shown_segment(entry, str(key).strip().lower(), figure, blank)
    if label is not None and len(label) != 7:  # a quarter or a year
        return _period_figure(entry, str(key).strip().lower(), label)
    name = handles.known_key(key)
    if name in BALANCE_SHEET_KEYS:
        if label is None:
            return _shown(entry, name, entry.figures[name][""])
        from ..metrics.report import latest_balance_sheet

        ratios = latest_balance_sheet(entry.data.balance_sheet, handles.month_period(label))
        value = ratios.get(name)
        return _shown(entry, name, math.nan if value is None else float(value))  # type: ignore[arg-type]  # the ratios are floats or None
    by_month = entry.figures[name]
    if label is None:
        label = entry.months[-1]
    if label not in by_month:
        raise LookupError(f"month: {label} is not in the report ({entry.months[0]} to {entry.months[-1]})")
    return _shown(entry, name, by_month[label])


def _period_figure(entry: handles.Entry, name: str, label: str) -> object:
    from ..metrics.periods import PERIOD_KEYS, period_kpis

    period = "year" if len(label) == 4 else "quarter"
    table = entry.periods.get(period)
    if table is None:
        table = entry.periods[period] = period_kpis(entry.report, period)
    column = {"mrr": "end_mrr", "arr": "end_arr", "customers": "end_customers"}.get(name, name)
    if column not in PERIOD_KEYS:
        raise LookupError(f"key: {name} has no {period} figure (those are: {', '.join(PERIOD_KEYS[5:])})")
    if label not in table.index:
        raise LookupError(f"month: {label} is not in the report ({table.index[0]} to {table.index[-1]})")
    return _shown(entry, name, _period_cell(table.loc[label, column]))


def _shown(entry: handles.Entry, name: str, value: object) -> object:
    """A figure as the cell shows it: a number; undefined is #DIV/0!, a KPI whose input is absent #N/A."""
    if isinstance(value, float) and math.isnan(value):
        needed = REGISTRY[name].input_sheets if name in REGISTRY else frozenset()
        return NA if needed - entry.report.present else DIV0
    if name in COUNT_KEYS and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _passed_error(value: object) -> str | None:
    """An Excel error given for the handle (a failed KPI_REPORT) is passed on, as Excel does."""
    if isinstance(value, list | tuple):
        value = flatten(value)[0]
    if isinstance(value, str) and value.startswith("#"):
        return value if value in EXCEL_ERRORS else None
    return None


@worksheet_function(
    {
        "handle": HANDLE_DOC,
        "keys": 'Optional KPI keys: a range of keys or text such as "mrr, nrr, cac"; default every monthly KPI',
        "months": 'Optional: the last N months (a number), a range of months, or "2025-01:2025-06"; default all',
        "by": 'Optional "month" (default), "quarter", "year", or attributes to segment by ("plan", "plan, country")',
    },
)
def KPI_TABLE(handle, keys=None, months=None, by=None):
    """A table of a KPI_REPORT: a row per month (or quarter, year, month and segment), a column per KPI key."""

    def build() -> list[list[object]]:
        passed = _passed_error(handle)
        if passed:
            return [[passed]]
        entry = handles.entry_of(handle)
        period = str(optional(by, "month")).strip().lower()
        if period not in PERIODS:
            return _segment_table(entry, keys, months, period)
        if period == "month":
            return _monthly_table(entry, keys, months)
        return _period_table(entry, keys, months, period)

    return table_call(build)


def _chosen_keys(keys: object, default: tuple[str, ...]) -> list[str]:
    given = optional(keys, None)
    if given is None:
        return list(default)
    cells = [c for c in flatten(given) if c not in (None, "")]
    names = [part for c in cells for part in str(c).split(",") if part.strip()]
    return [handles.known_key(n) for n in names]


def _chosen_labels(months: object, labels: list[str]) -> list[str]:
    given = optional(months, None)
    if given is None:
        return labels
    cells = [c for c in flatten(given) if c not in (None, "")]
    if len(cells) == 1 and isinstance(cells[0], int | float) and not isinstance(cells[0], bool) and cells[0] < 1000:
        count = int(cells[0])
        if count < 1:
            raise ValueError(f"months: {cells[0]!r} is not a number of months (1 or more)")
        return labels[-count:]
    if len(cells) == 1 and isinstance(cells[0], str) and ":" in cells[0]:
        first, _, last = cells[0].partition(":")
        low, high = handles.period_label(first.strip()), handles.period_label(last.strip())
        return [m for m in labels if low is not None and high is not None and low <= m <= high]
    chosen = [handles.period_label(c) for c in cells]
    missing = [c for c in chosen if c not in labels]
    if missing:
        raise LookupError(
            f"months: {', '.join(str(m) for m in missing)} not in the report ({labels[0]} to {labels[-1]})"
        )
    return [c for c in chosen if c is not None]


def _monthly_table(entry: handles.Entry, keys: object, months: object) -> list[list[object]]:
    names = _chosen_keys(keys, MONTHLY_KEYS[1:])
    labels = _chosen_labels(months, list(entry.months))
    rows: list[list[object]] = [["month", *names]]
    for label in labels:
        row: list[object] = [label]
        for name in names:
            value = entry.figures[name][""] if name in BALANCE_SHEET_KEYS else entry.figures[name][label]
            row.append(_shown(entry, name, value))
        rows.append(row)
    return rows


def _segment_table(entry: handles.Entry, keys: object, months: object, by: str) -> list[list[object]]:
    """``KPI_TABLE(handle, keys, months, "plan")``: one row per month and segment."""
    attributes = tuple(dict.fromkeys(a.strip() for a in by.split(",") if a.strip()))
    known = attribute_columns(entry.report.ledger)
    unknown = [a for a in attributes if a not in known]
    if not attributes or unknown:
        raise ValueError(
            f"by: {by!r} is not month, quarter, year or attributes of the ledger ({', '.join(known) or 'none'})"
        )
    given = optional(keys, None)
    cells = [] if given is None else [c for c in flatten(given) if c not in (None, "")]
    names = [p.strip() for c in cells for p in str(c).split(",") if p.strip()] or list(SEGMENT_KEYS)
    header, rows = segment_rows(entry, attributes, names, _chosen_labels(months, list(entry.months)))
    width = len(attributes) + 1
    blank = segments_of(entry, attributes).blank
    shown = [
        [*row[:width], *(_shown_segment(entry, n, v, blank) for n, v in zip(header[width:], row[width:], strict=True))]
        for row in rows
    ]
    return [list[object](header), *shown]


def _shown_segment(entry: handles.Entry, name: str, value: object, blank: frozenset[str]) -> object:
    """A segment's figure as a cell shows it: a KPI whose input has no segment (``blank``) is
    ``#N/A``; one given by segment (costs by plan) is undefined as the company's is (``#DIV/0!``)."""
    unsegmented = name in blank and name in REGISTRY and REGISTRY[name].input_sheets
    if isinstance(value, float) and math.isnan(value) and unsegmented:
        return NA
    return _shown(entry, name, value) if name in REGISTRY else (DIV0 if value != value else value)


def _period_table(entry: handles.Entry, keys: object, months: object, period: str) -> list[list[object]]:
    from ..metrics.periods import PERIOD_KEYS, period_kpis

    table = entry.periods.get(period)
    if table is None:
        table = entry.periods[period] = period_kpis(entry.report, period)
    given = optional(keys, None)
    names = list(PERIOD_KEYS[1:]) if given is None else [str(c).strip() for c in flatten(given) if c not in (None, "")]
    unknown = [n for n in names if n not in PERIOD_KEYS]
    if unknown:
        raise KeyError(f"keys: {', '.join(unknown)} not {period} figures (those are: {', '.join(PERIOD_KEYS[1:])})")
    labels = _chosen_labels(months, [str(p) for p in table.index])
    rows: list[list[object]] = [[period, *names]]
    for label in labels:
        values = table.loc[label]
        rows.append([label, *[_period_cell(values[n]) for n in names]])
    return rows


def _period_cell(value: object) -> object:
    """A cell of a quarter or year table: True/False for ``complete``, text for the months."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, str):
        return value
    try:
        number = float(value)  # type: ignore[arg-type]  # a cell of a numeric frame; TypeError caught
    except (TypeError, ValueError):
        return str(value)
    return DIV0 if math.isnan(number) else number


@worksheet_function(
    {
        "handle": HANDLE_DOC,
        "month": "Optional month (YYYY-MM or a date); default every month of the report",
        "type": "Optional movement type: new, expansion, reactivation, contraction or churned",
    },
)
def KPI_MOVEMENTS(handle, month=None, type=None):
    """The movement log of a KPI_REPORT: every customer whose MRR moved, with the change and the plans."""

    def build() -> list[list[object]]:
        from ..metrics.movements import MOVEMENT_COLUMNS, MOVEMENT_TYPES, report_movements

        passed = _passed_error(handle)
        if passed:
            return [[passed]]
        entry = handles.entry_of(handle)
        label = handles.period_label(optional(month, None))
        chosen = optional(type, None)
        if chosen is not None and str(chosen).strip().lower() not in MOVEMENT_TYPES:
            raise ValueError(f"type: {chosen!r} is not one of {', '.join(MOVEMENT_TYPES)}")
        period = None if label is None else handles.month_period(label)
        if label is not None and label not in entry.months:
            raise LookupError(f"month: {label} is not in the report ({entry.months[0]} to {entry.months[-1]})")
        log = report_movements(entry.report, start=period, end=period)
        if chosen is not None:
            log = log[log["type"] == str(chosen).strip().lower()]
        rows: list[list[object]] = [list(MOVEMENT_COLUMNS)]
        for record in log.itertuples(index=False):
            rows.append([_movement_cell(column, value) for column, value in zip(MOVEMENT_COLUMNS, record, strict=True)])
        return rows

    return table_call(build)


def _movement_cell(column: str, value: object) -> object:
    if column == "month":
        return str(value)
    if column in ("counted", "fx_only"):
        return bool(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    return "" if value is None else str(value)


@worksheet_function(
    {
        "handle": HANDLE_DOC,
    },
)
def KPI_WARNINGS(handle):
    """The warnings (a figure may mislead) and notes (how the ranges were read) of a KPI_REPORT."""

    def build() -> list[list[object]]:
        passed = _passed_error(handle)
        if passed:
            return [[passed]]
        report = handles.entry_of(handle).report
        rows: list[list[object]] = [["kind", "text"]]
        rows += [["warning", str(w)] for w in report.warnings]
        rows += [["note", str(n)] for n in report.notes]
        return rows

    return table_call(build)
