"""A reconciliation as ``kpi-addin reconcile`` prints it: per month, the differences, the
effects that explain them and the customers whose month moved (text, JSON or CSV)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .formatting import format_value
from .io.problems import CommandError
from .metrics import CompanyData, KPIInputError, KPIReport
from .metrics.reconcile import Reconciliation, reconcile


def reconcile_output(company: CompanyData, report: KPIReport, theirs: pd.DataFrame, against: Path, fmt: str) -> str:
    """Reconcile ``theirs`` (read from ``against``) with our figures; what the command prints.

    Raises :class:`CommandError` when the figures cannot be compared."""
    try:
        result = reconcile(company, theirs)
    except KPIInputError as exc:
        raise CommandError([f"{against}: {exc}"]) from None
    if result.table.empty:
        first, last = report.monthly.index[0], report.as_of
        raise CommandError([f"{against}: no month in the file is a month of our report ({first} to {last})"])
    table = result.table.reset_index()
    table["month"] = table["month"].astype(str)
    if fmt == "csv":
        return str(table.to_csv(index=False, lineterminator="\n"))
    if fmt == "json":
        records = json.loads(table.to_json(orient="records"))
        moved = {str(m): {str(c): float(v) for c, v in s.items()} for m, s in result.moved.items() if len(s)}
        return json.dumps({"rows": records, "moved_customers": moved}, indent=2, allow_nan=False) + "\n"
    text = reconcile_text(result, company.reporting_currency) + "\n"
    outside = sorted({str(m) for m in theirs["month"]} - {str(m) for m in report.monthly.index})
    if outside:
        shown = ", ".join(outside[:6]) + (f" and {len(outside) - 6} more" if len(outside) > 6 else "")
        text += f"note: {len(outside)} month(s) of {against} are not in our report and were not compared: {shown}\n"
    return text


def reconcile_text(result: Reconciliation, currency: str) -> str:
    """Each month's differences, the effects that explain them and the customers whose month moved."""
    names = {
        "convention": f"{result.other_convention} convention",
        "trials": "free trials counted as MRR",
        "fx": "every month at the latest FX rate",
        "sub_cent": "sub-cent changes left out",
    }
    lines = []
    for month in sorted(set(result.table.index.get_level_values("month"))):
        lines.append(str(month))
        rows = result.table.xs(month, level="month")
        for key, row in rows.iterrows():
            key = str(key)
            ours, theirs = format_value(key, row["ours"], currency), format_value(key, row["theirs"], currency)
            diff = format_value(key, row["difference"], currency)
            if pd.isna(row["difference"]):
                lines.append(f"  {key}: ours {ours}, theirs {theirs}: not comparable (undefined on one side)")
                continue
            if row["difference"] == 0:
                lines.append(f"  {key}: ours {ours}, theirs {theirs}: equal")
                continue
            lines.append(f"  {key}: ours {ours}, theirs {theirs}, difference {diff}")
            for effect in str(row["explained_by"]).split(", ") if row["explained_by"] else []:
                lines.append(f"    {names[effect]}: {format_value(key, row[effect], currency)}")
            status = "explained" if row["explained"] else "unexplained"
            lines.append(f"    {status}: {format_value(key, row['residual'], currency)} left")
        moved = result.moved.get(month)
        if moved is not None and len(moved):
            listed = ", ".join(f"{c} ({format_value('mrr', v, currency)})" for c, v in moved.head(8).items())
            more = f" and {len(moved) - 8} more" if len(moved) > 8 else ""
            lines.append(f"  counted in another month under {result.other_convention}: {listed}{more}")
    return "\n".join(lines)
