"""Plan against actual as ``kpi-addin metrics`` prints it: each month's (or period's)
``plan`` and ``variance`` objects in JSON, ``<key>_plan``, ``<key>_variance`` and
``<key>_variance_pct`` columns in CSV, and actual / plan / variance rows in the table.

The figures are :mod:`kpi_addin.metrics.plan`'s; this module only lays them out."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from .formatting import format_unit, text_table
from .metrics import KPIReport
from .metrics.catalogue import COST_COLUMNS, unit_of
from .metrics.company import CompanyData
from .metrics.plan import period_plan, plan_direction, plan_variance, selected_plan, variance

Variance = dict[str, float | bool | None]


class PlanView:
    """The plan compared with a report: its scenario, keys and, by month or period, the
    planned values and variances (only months or periods that have a plan)."""

    def __init__(self, report: KPIReport, data: CompanyData, period: str = "month") -> None:
        chosen = selected_plan(data)
        self.scenario: str | None = None
        self.keys: list[str] = []
        self.rows: dict[str, tuple[dict[str, float | None], dict[str, Variance]]] = {}
        self.actual: dict[str, dict[str, float | None]] = {}
        if chosen is None:
            self.present = False
            return
        self.present = True
        self.scenario, plan = chosen
        if period == "month":
            self.keys = list(plan.columns)
            self.rows = plan_variance(report.monthly, report.inputs, plan)
            return
        planned, actual = period_plan(report, plan, period)
        self.keys = list(planned.columns)
        for label in planned.index:
            values: dict[str, float | None] = {
                k: float(planned.loc[label, k]) for k in self.keys if not math.isnan(planned.loc[label, k])
            }
            if not values:
                continue
            self.rows[str(label)] = (
                values,
                {
                    k: variance(float(actual.loc[label, k]), float(v or 0.0), plan_direction(k))
                    for k, v in values.items()
                },
            )
            self.actual[str(label)] = {k: float(actual.loc[label, k]) for k in self.keys}

    def json_fields(self, label: str) -> dict[str, object]:
        """``{"plan": {...}, "variance": {...}}`` of a month or period (empty when unplanned);
        nothing at all when the input has no plan."""
        if not self.present:
            return {}
        planned, variances = self.rows.get(label, ({}, {}))
        return {"plan": dict(planned), "variance": {k: dict(v) for k, v in variances.items()}}

    def csv_header(self) -> list[str]:
        return [f"{k}_{part}" for k in self.keys for part in ("plan", "variance", "variance_pct")]

    def csv_cells(self, label: str) -> list[object]:
        planned, variances = self.rows.get(label, ({}, {}))
        cells: list[object] = []
        for key in self.keys:
            v = variances.get(key, {})
            cells += [_blank(planned.get(key)), _blank(v.get("abs")), _blank(v.get("pct"))]
        return cells

    def table(
        self, labels: list[str], actual: dict[str, dict[str, float | None]], currency: str, label: Callable[[str], str]
    ) -> str:
        """Actual, plan, variance and variance % of each planned key (rows) for ``labels`` (columns);
        a favourable variance is marked ``+``, an unfavourable one ``!``."""
        title = f"Plan ({self.scenario})" if self.scenario else "Plan"
        rows = []
        for key in self.keys:
            unit = "money" if key in COST_COLUMNS else unit_of(key)
            name = key.replace("_", " ").capitalize() if key in COST_COLUMNS else label(key)
            cells: dict[str, list[str]] = {"actual": [], "plan": [], "variance": [], "variance %": []}
            for column in labels:
                planned, variances = self.rows.get(column, ({}, {}))
                v = variances.get(key, {"abs": None, "pct": None, "favourable": None})
                mark = {True: " +", False: " !", None: ""}[v["favourable"]]  # type: ignore[index]  # a bool or None
                cells["actual"].append(format_unit(unit, actual.get(column, {}).get(key), currency))
                cells["plan"].append(format_unit(unit, planned.get(key), currency) if key in planned else "")
                cells["variance"].append(format_unit(unit, v["abs"], currency) + mark if key in planned else "")
                cells["variance %"].append(format_unit("rate", v["pct"], currency) if key in planned else "")
            rows += [[f"{name}: {part}", *values] for part, values in cells.items()]
        note = (
            "variance = actual - plan; variance % = variance / |plan|; + favourable, ! unfavourable "
            "(by the KPI's direction; a cost is better lower); blank: not planned."
        )
        return "\n".join([text_table([title, *labels], rows), note])


def monthly_actuals(report: KPIReport, keys: list[str], months: list[str]) -> dict[str, dict[str, float | None]]:
    """The actual of each planned key in each of ``months`` (a KPI, or a costs column)."""
    out: dict[str, dict[str, float | None]] = {}
    for month in months:
        period = pd.Period(month, "M")
        row: dict[str, float | None] = {}
        for key in keys:
            frame = report.inputs if key in COST_COLUMNS else report.monthly
            value = frame[key].get(period) if key in frame else None
            row[key] = None if value is None or pd.isna(value) else float(value)
        out[month] = row
    return out


def _blank(value: object) -> object:
    return "" if value is None else value
