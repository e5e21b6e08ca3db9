"""The monthly report as ``kpi-addin metrics`` prints it: a terminal table, JSON or CSV, by
month or (``--period quarter|year``) by period."""

from __future__ import annotations

import csv
import io
import json

from .formatting import format_unit, format_value, terminal_text, text_table
from .metrics import MONTHLY_KEYS, KPIReport
from .metrics.company import CompanyData
from .metrics.periods import PERIOD_DEFINITIONS, PERIOD_KEYS, PERIOD_UNITS, period_kpis, period_records
from .metrics.report import BALANCE_SHEET_KEYS
from .plan_output import PlanView, monthly_actuals


def metrics_text(report: KPIReport, fmt: str, months: int, data: CompanyData | None = None) -> str:
    """What ``kpi-addin metrics`` prints (``fmt``: table, json or csv) by the report's period
    (its settings), ending in a newline; with ``data``'s plan, if it has one, against the actuals."""
    period = report.settings.period
    view = PlanView(report, data, period) if data is not None else None
    if period != "month":
        text = periods_output(report, period, fmt, months, view)
        return text + "\n" if fmt == "table" else text
    if fmt == "json":
        out = report.to_dict()
        if view is not None and view.present:
            out["plan_scenario"] = view.scenario
            for month in out["months"]:  # type: ignore[attr-defined]  # the JSON contract's list of months
                month.update(view.json_fields(month["month"]))
        return json.dumps(out, indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        return monthly_csv(report, view)
    return "\n".join(terminal_text(line) for line in metrics_table(report, months, view).split("\n")) + "\n"


def monthly_csv(report: KPIReport, view: PlanView | None = None) -> str:
    """One row per month, the JSON keys as the header, blanks for undefined values; with a
    plan, each planned key's plan, variance and variance % after them."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    planned = view is not None and view.present
    writer.writerow([*MONTHLY_KEYS, *(view.csv_header() if view is not None and planned else [])])
    for month in report.months_as_dicts():
        extra = view.csv_cells(str(month["month"])) if view is not None and planned else []
        writer.writerow(["" if month[k] is None else month[k] for k in MONTHLY_KEYS] + extra)
    return buffer.getvalue()


def month_heading(report: KPIReport, period: object) -> str:
    """The month as a column heading: marked when it is the opening month or month-to-date."""
    if period == report.opening_month:
        return f"{period} (opening)"
    if report.month_to_date and period == report.as_of:
        return f"{period} (month to date)"
    return str(period)


def metrics_table(report: KPIReport, months: int, view: PlanView | None = None) -> str:
    """KPIs as rows, the latest ``months`` months as columns, then the balance sheet and warnings."""
    shown = report.monthly.tail(max(1, months))
    currency = report.reporting_currency
    header = ["KPI", *[month_heading(report, p) for p in shown.index]]
    from .lang import load_language  # only the table needs the labels (templates/lang)

    label = load_language("en").label  # the command line speaks English; labels live in templates/lang
    rows = [[label(k), *[format_value(k, v, currency) for v in shown[k]]] for k in MONTHLY_KEYS[1:]]
    title = f"{report.company or 'KPIs'} — reporting currency {currency}"
    parts = [title, "", text_table(header, rows)]
    if view is not None and view.present:
        labels = [str(p) for p in shown.index]
        actual = monthly_actuals(report, view.keys, labels)
        parts += ["", view.table(labels, actual, currency, label)]
    sheet = report.balance_sheet
    if sheet.get("period"):
        parts += [
            "",
            text_table(
                ["Balance sheet", str(sheet["period"])],
                [[label(k), format_value(k, sheet[k], currency)] for k in BALANCE_SHEET_KEYS],
            ),
        ]
    if report.warnings:
        parts += ["", "Warnings:", *[f"- {w}" for w in report.warnings]]
    parts += ["", "n/a: undefined (a zero denominator, e.g. no churn → no LTV) or no input for that month."]
    if report.opening_month is not None:
        parts.append(
            f"opening: {report.opening_month} is the ledger's first month; its customers are the opening "
            "balance, so it has no movements of its own (set history_start to report from a later month)."
        )
    if report.month_to_date:
        parts.append(f"month to date: {report.as_of} is still running; its figures are not final.")
    return "\n".join(parts)


def periods_output(report: KPIReport, period: str, fmt: str, months: int, view: PlanView | None = None) -> str:
    """``--period quarter|year``: one row (JSON object, CSV row, table column) per period."""
    records = period_records(period_kpis(report, period))
    planned = view is not None and view.present
    if fmt == "json":
        if view is not None and planned:
            for entry in records:
                entry.update(view.json_fields(str(entry["period"])))
        out = {
            "reporting_currency": report.reporting_currency,
            "as_of": str(report.as_of),
            "month_to_date": report.month_to_date,
            "period": period,
            "definitions": PERIOD_DEFINITIONS,
            "periods": records,
            **({"plan_scenario": view.scenario} if view is not None and planned else {}),
        }
        return json.dumps(out, indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*PERIOD_KEYS, *(view.csv_header() if view is not None and planned else [])])
        for entry in records:
            extra = view.csv_cells(str(entry["period"])) if view is not None and planned else []
            writer.writerow(["" if entry[k] is None else entry[k] for k in PERIOD_KEYS] + extra)
        return buffer.getvalue()
    shown = records[-max(1, months) :]
    currency = report.reporting_currency
    header = ["", *[str(e["period"]) + ("" if e["complete"] else " (part)") for e in shown]]
    rows = []
    for key in PERIOD_KEYS[3:]:
        if key == "complete":
            continue
        rows.append([key, *[format_unit(PERIOD_UNITS[key], e[key], currency) for e in shown]])
    notes = [
        "(part): the period is cut by the report's first or last month, or holds the opening month.",
        "logo_churn, revenue_churn: of the customers paying at the start (never above 100 %); "
        "*_on_average: churned over the period / the mean of the months' starting customers (MRR).",
    ]
    parts = [f"{report.company or 'KPIs'} — by {period}, {currency}", "", text_table(header, rows), "", *notes]
    if view is not None and planned:
        from .lang import load_language

        labels = [str(e["period"]) for e in shown]
        parts += ["", view.table(labels, view.actual, currency, load_language("en").label)]
    return "\n".join(parts)
