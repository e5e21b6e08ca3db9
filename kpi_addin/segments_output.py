"""``kpi-addin metrics --by``: the KPIs by segment as JSON, CSV or a terminal table.

Segment names come from the ledger (plans, countries, channels): untrusted text.  The
table removes terminal escape sequences, the CSV puts a ``'`` before text a spreadsheet
would read as a formula, the JSON carries them exactly.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from typing import TypeVar

import click
import pandas as pd

from .formatting import csv_text, format_unit, terminal_text, text_table
from .metrics import CompanyData, KPIInputError, KPIReport
from .metrics.catalogue import unit_of
from .metrics.segments import SEGMENT_KEYS, SegmentReport, segment_movements, segment_report

T = TypeVar("T")

#: Labels of the keys only segments have (the registry's labels live in templates/lang).
SEGMENT_ONLY_LABELS = {"entered_mrr": "MRR entered segment", "left_mrr": "MRR left segment"}


def _unit(key: str) -> str:
    return "money" if key in SEGMENT_ONLY_LABELS else unit_of(key)


def segments_json(result: SegmentReport) -> dict[str, object]:
    """The ``segments`` object of ``kpi-addin metrics --format json --by ...``."""
    return {"by": list(result.by), "months": result.records(), "notes": list(result.notes)}


def segments_csv(result: SegmentReport) -> str:
    """One row per month × segment: ``month``, the attributes, then :data:`SEGMENT_KEYS`; blanks for undefined."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["month", *result.by, *SEGMENT_KEYS])
    for record in result.records():
        labels = record["segment"]
        assert isinstance(labels, dict)
        values = ["" if record[k] is None else record[k] for k in SEGMENT_KEYS]
        writer.writerow([record["month"], *[csv_text(labels[b]) for b in result.by], *values])
    return buffer.getvalue()


def segments_table(result: SegmentReport, currency: str, label: object) -> str:
    """The latest month: one column per segment, one row per segmentable KPI."""
    latest = result.monthly.index.get_level_values("month").max()
    shown = result.monthly.xs(latest, level="month")
    names = [" / ".join(terminal_text(v) for v in row) for row in result.segments.itertuples(index=False)]
    keys = [k for k in SEGMENT_KEYS if shown[k].notna().any() or k in SEGMENT_ONLY_LABELS]
    rows = []
    for key in keys:
        name = SEGMENT_ONLY_LABELS.get(key) or label(key)  # type: ignore[operator]  # the language's label
        rows.append([str(name), *[format_unit(_unit(key), v, currency) for v in shown[key]]])
    by = " × ".join(result.by)
    parts = [f"By {by}, {latest}", "", text_table(["KPI", *names], rows)]
    if result.notes:
        parts += ["", *[f"- {terminal_text(n)}" for n in result.notes]]
    parts.append(
        "Money is counted where it is billed (a switch shows as MRR left and entered); customers, churn and "
        "retention by the customer's segment at the start of the month (docs/conventions.md, Segments)."
    )
    return "\n".join(parts)


def _by(output: Callable[[], T]) -> T:
    """``--by``'s output; an attribute the data does not have is a bad option, not a traceback."""
    try:
        return output()
    except KPIInputError as exc:
        raise click.BadParameter(str(exc).removeprefix("by: "), param_hint="--by") from None


def metrics_by_text(company: CompanyData, report: KPIReport, by: Sequence[str], fmt: str, months: int) -> str:
    """What ``kpi-addin metrics [--by ...]`` prints: the company as without ``--by``, and its segments.

    JSON: the company's object with a ``segments`` object; CSV: one row per month ×
    segment; table: the company's table, then the latest month by segment.
    """
    from .metrics_output import metrics_table, metrics_text

    if not by:
        return metrics_text(report, fmt, months, company)
    result = _by(lambda: segment_report(company, report, by))
    if fmt == "json":
        document = report.to_dict()
        document["segments"] = segments_json(result)
        return json.dumps(document, indent=2, allow_nan=False, ensure_ascii=False) + "\n"
    if fmt == "csv":
        return segments_csv(result)
    from .lang import load_language

    label = load_language("en").label
    company_table = "\n".join(terminal_text(line) for line in metrics_table(report, months).split("\n"))
    return company_table + "\n\n" + segments_table(result, report.reporting_currency, label) + "\n"


def segment_log(company: CompanyData, report: KPIReport, by: Sequence[str], start: pd.Period) -> pd.DataFrame:
    """The movement log by segment (:func:`~.metrics.segments.segment_movements`) with customer names."""
    log = segment_movements(segment_report(company, report, by), start=start, end=report.as_of)
    subs = report.ledger
    if "customer_name" in subs:
        named = subs.loc[subs["customer_name"].notna(), ["customer_id", "customer_name"]]
        names = named.drop_duplicates("customer_id", keep="last").set_index("customer_id")["customer_name"]
        log.insert(2, "customer_name", log["customer_id"].map(names).fillna("").astype(str))
    else:
        log.insert(2, "customer_name", "")
    return log


def movements_by_text(company: CompanyData, report: KPIReport, by: Sequence[str], start: pd.Period, fmt: str) -> str:
    """What ``kpi-addin movements [--by ...]`` prints: each customer's moves by segment, with the
    moves between segments (``entered`` / ``left``)."""
    from .movements_output import movements_text

    if not by:
        return movements_text(report, start, fmt)
    log = _by(lambda: segment_log(company, report, by, start))
    text_columns = ["customer_id", "customer_name", *by, "type"]
    if fmt == "json":
        rows = []
        for record in log.to_dict("records"):
            record["month"] = str(record["month"])
            rows.append(record)
        document = {
            "reporting_currency": report.reporting_currency,
            "by": list(by),
            "from": str(start),
            "to": str(report.as_of),
            "movements": rows,
        }
        return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(list(log.columns))
        for row in log.itertuples(index=False):
            cells = [csv_text(v) if c in text_columns else v for c, v in zip(log.columns, row, strict=True)]
            cells[0] = str(row[0])
            writer.writerow(cells)
        return buffer.getvalue()
    currency = report.reporting_currency
    header = ["month", "customer", "name", *by, "type", "MRR before", "MRR after", "change"]
    lines = [
        [
            str(r[0]),
            *[terminal_text(v) for v in r[1 : 3 + len(by) + 1]],
            *[format_unit("money", v, currency) for v in r[3 + len(by) + 1 :]],
        ]
        for r in log.itertuples(index=False)
    ]
    name = terminal_text(report.company) if report.company else "MRR movements"
    title = f"{name} by {' × '.join(by)} — {start} to {report.as_of}, {currency}"
    body = text_table(header, lines) if lines else "No customer's MRR moved in these months."
    return (
        "\n".join(
            [
                title,
                "",
                body,
                "",
                "entered / left: MRR moving between segments (a switch of plan, an add-on in another one); "
                "fx: the part due to exchange rates alone.",
            ]
        )
        + "\n"
    )
