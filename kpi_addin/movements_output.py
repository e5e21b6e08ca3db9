"""The movement log as ``kpi-addin movements`` prints it: CSV, JSON or a terminal table.

Customer names, ids and plans are untrusted text (they come from a billing export): the
table shows them with terminal escape sequences removed, the CSV with a ``'`` before any
text a spreadsheet would read as a formula, the JSON exactly (JSON escapes controls).
Money is unrounded in CSV and JSON, as in ``kpi-addin metrics``.
"""

from __future__ import annotations

import csv
import io
import json

import pandas as pd

from .formatting import csv_text, format_value, terminal_text, text_table
from .metrics import KPIReport
from .metrics.movements import BRIDGE_OF_TYPE, MOVEMENT_COLUMNS, MOVEMENT_TYPES, report_movements

TEXT_COLUMNS = ("customer_id", "customer_name", "type", "plans_before", "plans_after")


def movements_text(report: KPIReport, start: pd.Period, fmt: str) -> str:
    """What ``kpi-addin movements`` prints (``fmt``: csv, json or table) from ``start`` to the
    report's month, ending in a newline."""
    log = report_movements(report, start=start)
    currency = report.reporting_currency
    if fmt == "json":
        return movements_json(log, currency, start, report.as_of) + "\n"
    if fmt == "csv":
        return movements_csv(log)
    return movements_table(log, currency, start, report.as_of, report.company) + "\n"


def _records(log: pd.DataFrame) -> list[dict[str, object]]:
    records = []
    for row in log.itertuples(index=False):
        record: dict[str, object] = {}
        for column, value in zip(MOVEMENT_COLUMNS, row, strict=True):
            if column == "month":
                value = str(value)
            elif column == "counted":
                value = bool(value)
            elif column in TEXT_COLUMNS:
                value = str(value)
            else:
                value = float(value)
            record[column] = value
        records.append(record)
    return records


def movements_json(log: pd.DataFrame, currency: str, first: pd.Period, last: pd.Period) -> str:
    """``{"reporting_currency", "from", "to", "movements": [{month, customer_id, ...}]}``."""
    document = {
        "reporting_currency": currency,
        "from": str(first),
        "to": str(last),
        "movements": _records(log),
    }
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)


def movements_csv(log: pd.DataFrame) -> str:
    """One row per movement, :data:`MOVEMENT_COLUMNS` as the header; text made formula-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MOVEMENT_COLUMNS)
    for record in _records(log):
        cells = []
        for key, value in record.items():
            if key in TEXT_COLUMNS:
                value = csv_text(value)
            elif isinstance(value, bool):
                value = "true" if value else "false"
            cells.append(value)
        writer.writerow(cells)
    return buffer.getvalue()


def movements_table(log: pd.DataFrame, currency: str, first: pd.Period, last: pd.Period, company: str | None) -> str:
    """The movements, then each month's totals by type (the bridge's figures)."""

    def money(value: float) -> str:
        return format_value("mrr", value, currency)

    header = ["month", "customer", "name", "type", "MRR before", "MRR after", "change", "plans"]
    rows = []
    for r in _records(log):
        before, after = str(r["plans_before"]), str(r["plans_after"])
        plans = after if before == after else f"{before or '—'} → {after or '—'}"
        kind = str(r["type"])
        kind = kind if r["counted"] or kind == "fx" else f"{kind} (<1 cent)"
        rows.append(
            [
                str(r["month"]),
                terminal_text(r["customer_id"]),
                terminal_text(r["customer_name"]),
                kind,
                money(float(r["mrr_before"])),  # type: ignore[arg-type]  # a float by _records
                money(float(r["mrr_after"])),  # type: ignore[arg-type]  # a float by _records
                money(float(r["change"])),  # type: ignore[arg-type]  # a float by _records
                terminal_text(plans),
            ]
        )
    title = f"{terminal_text(company) if company else 'MRR movements'} — {first} to {last}, {currency}"
    parts = [title, ""]
    parts.append(text_table(header, rows) if rows else "No customer's MRR moved in these months.")
    totals = []
    for month, in_month in log.groupby("month", sort=True):
        for kind in MOVEMENT_TYPES:
            of_kind = in_month[in_month["type"] == kind]
            if len(of_kind):
                _amount, _count, sign = BRIDGE_OF_TYPE[kind]  # FX impact counts no customers
                counted = f"{int(of_kind['counted'].sum()):,}" if _count is not None else ""
                totals.append([str(month), kind, counted, money(sign * of_kind["change"].sum())])
    if totals:
        parts += ["", "Totals (as in the MRR bridge of kpi-addin metrics):"]
        parts.append(text_table(["month", "type", "customers", "MRR"], totals))
    parts += [
        "",
        "fx: the part due to exchange rates alone (FX impact; counts no customer). "
        "(<1 cent): counts no customer; its amount is in the total.",
    ]
    return "\n".join(parts)
