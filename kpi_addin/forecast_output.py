"""The forecast as ``kpi-addin forecast`` prints it: a terminal table, JSON or CSV.

The figures are :func:`kpi_addin.metrics.forecast.build_forecast`'s (committed MRR, the
projection under a scenario's drivers, the month each target is reached, the gap to
plan); this module only lays them out.  Forecast months are never mixed with actuals:
JSON holds them in its own ``forecast`` object, the CSV says the layer in every column
name, the table labels each block.
"""

from __future__ import annotations

import csv
import io
import json

from .formatting import format_unit, terminal_text, text_table
from .metrics import KPIReport
from .metrics.company import CompanyData
from .metrics.forecast import DRIVER_KEYS, OUTPUT_KEYS, Forecast, build_forecast
from .metrics.plan import selected_plan

#: How each driver is shown: money or customers per month, or a monthly rate.
DRIVER_UNITS = {
    "new_mrr": "money",
    "reactivation_mrr": "money",
    "new_customers": "count1",
    "reactivated_customers": "count1",
}
LAYER_ROWS = ("mrr", "arr", "customers", "net_new_mrr")


def make_forecast(data: CompanyData, report: KPIReport, months: int, scenario: str) -> Forecast:
    """The forecast of ``data`` from the report's month, with the plan (if any) for the gap."""
    chosen = selected_plan(data)
    return build_forecast(report, data, months=months, scenario=scenario, plan=None if chosen is None else chosen[1])


def forecast_text(data: CompanyData, report: KPIReport, months: int, scenario: str, fmt: str) -> str:
    """What ``kpi-addin forecast`` prints (``fmt``: table, json or csv), ending in a newline."""
    forecast = make_forecast(data, report, months, scenario)
    if fmt == "json":
        out = {
            "reporting_currency": report.reporting_currency,
            "as_of": str(report.as_of),
            "convention": report.convention,
            "forecast": forecast.to_dict(),
        }
        return json.dumps(out, indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        return forecast_csv(forecast)
    text = forecast_table(forecast, report)
    return "\n".join(terminal_text(line) for line in text.split("\n")) + "\n"


def forecast_csv(forecast: Forecast) -> str:
    """One row per forecast month: ``committed_<key>`` and ``projected_<key>`` columns,
    then ``plan_gap_<key>`` for the planned MRR, ARR and customers."""
    gap_keys = list(forecast.plan_gap.columns)
    header = [
        "month",
        *(f"committed_{k}" for k in OUTPUT_KEYS),
        *(f"projected_{k}" for k in OUTPUT_KEYS),
        *(f"plan_gap_{k}" for k in gap_keys),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for month in forecast.projected.index:
        committed = forecast.committed.loc[month]
        projected = forecast.projected.loc[month]
        gap = forecast.plan_gap.loc[month] if gap_keys else {}
        writer.writerow(
            [
                str(month),
                *(_cell(committed[k]) for k in OUTPUT_KEYS),
                *(_cell(projected[k]) for k in OUTPUT_KEYS),
                *(_cell(gap[k]) for k in gap_keys),
            ]
        )
    return buffer.getvalue()


def forecast_table(forecast: Forecast, report: KPIReport) -> str:
    """The drivers, then each layer's MRR, ARR, customers and net new MRR by month (columns),
    the targets and the gap to plan."""
    currency = report.reporting_currency
    months = [str(m) for m in forecast.projected.index]
    title = (
        f"{report.company or 'KPIs'} — forecast from {forecast.as_of} (the last actual month), "
        f"{len(months)} months, scenario {forecast.scenario}, {currency}"
    )
    driver_rows = [
        [
            key,
            _driver(key, getattr(forecast.drivers, key), currency),
            _driver(key, getattr(forecast.base, key), currency),
            _driver(key, getattr(forecast.variability, key), currency),
        ]
        for key in DRIVER_KEYS
    ]
    parts = [
        title,
        "",
        text_table(["Driver (per month)", forecast.scenario, "base (trailing 6)", "variability"], driver_rows),
    ]

    def unit(key: str) -> str:
        return "count" if key == "customers" else "money"

    for layer, frame in (
        ("Committed (ledger only, no new business)", forecast.committed),
        ("Projected (committed + drivers)", forecast.projected),
    ):
        rows = [
            [key, *(format_unit(unit(key), frame.loc[m, key], currency) for m in frame.index)] for key in LAYER_ROWS
        ]
        parts += ["", text_table([f"{layer}: forecast", *months], rows)]
    gap = forecast.plan_gap.dropna(axis=1, how="all")
    if len(gap.columns):
        rows = [[f"{key}: projected - plan", *(format_unit(unit(key), gap.loc[m, key], currency) for m in gap.index)]
                for key in gap.columns]  # fmt: skip
        parts += ["", text_table(["Gap to plan", *months], rows)]
    elif len(forecast.plan_gap.columns):
        parts += ["", "Gap to plan: the plan has no MRR, ARR or customers for the forecast months."]
    for target in forecast.targets:
        reached = target["reached"] or f"not within {len(months)} months"
        shown = format_unit("money", target["target"], currency)
        parts.append(f"Target {target['kpi']} {shown}: reached {reached} (projected, scenario {forecast.scenario}).")
    parts += [
        "",
        "Forecast months, never actuals. Committed: what the ledger already holds (end dates, "
        "scheduled changes, trials converting at their price), no new business. Projected: each "
        "flow the larger of the committed one and its driver; drivers default to the trailing "
        "6-month means; low/high move each by one standard deviation of its trailing months.",
    ]
    return "\n".join(parts)


def _driver(key: str, value: float, currency: str) -> str:
    unit = DRIVER_UNITS.get(key, "rate")
    if unit == "count1":
        return f"{value:,.1f}"
    return format_unit(unit, value, currency)


def _cell(value: object) -> object:
    number = float(value)  # type: ignore[arg-type]  # a cell of a numeric frame
    return "" if number != number else number
