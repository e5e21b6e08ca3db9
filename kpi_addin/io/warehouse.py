"""``--engine database``: run the SQL of :mod:`kpi_addin.metrics.sql` inside the database that
holds the subscriptions, and hand its monthly rows to the report, which computes every other
figure by the same functions as the local engine.

Only one row per month leaves the database.  The ledger is checked inside it first (the
same rules as a file's, for the columns the figures read), each problem located as
``table.column [row key]``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pandas as pd

from ..metrics import CompanyData, KPIInputError
from ..metrics import sql as rules
from ..metrics.months import month_number, number_of, period_of
from ..metrics.report import KPIReport, SubscriptionFigures, monthly_kpis
from .database import Connection, DatabaseError, TableProblem, canonical_columns
from .problems import MAX_LISTED, InputError, Problem
from .schema import INTERVAL_NAMES


def _ledger(conn: Connection, table: str | None, query: str | None) -> tuple[rules.Ledger, str]:
    """The subscriptions as a :class:`~kpi_addin.metrics.sql.Ledger` and its label."""
    if query is not None:
        probe = conn.arrow(f"SELECT * FROM ({query}) AS ledger WHERE 1 = 0")  # the query's columns, no row
        names, label = probe.column_names, "query"
    else:
        assert table is not None
        names, label = conn.columns(table), table
    columns = canonical_columns("subscriptions", names)
    missing = [c for c in ("customer_id", "amount", "start_date") if c not in columns]
    if missing:
        found = ", ".join(names) or "none"
        raise InputError(
            [TableProblem(conn.url.shown, f"required column(s) {', '.join(missing)} missing (found: {found})", label)]
        )
    return rules.Ledger(table or "", columns, query), label


def _check_types(conn: Connection, ledger: rules.Ledger, label: str) -> None:
    """The engine computes with the database's types: dates must be dates, amounts numbers."""
    import pyarrow as pa

    picked = ", ".join(f"{ledger.column(c)} AS {c}" for c in ledger.columns if c in rules.LEDGER_COLUMNS)
    schema = conn.arrow(f"SELECT {picked} FROM {ledger.from_clause()} WHERE 1 = 0").schema
    problems: list[Problem] = []
    for column_field in schema:
        kind = column_field.type
        if isinstance(kind, pa.ExtensionType):
            kind = kind.storage_type
        if column_field.name in ("start_date", "end_date", "trial_end"):
            ok = pa.types.is_date(kind) or pa.types.is_timestamp(kind) or pa.types.is_null(kind)
            want = "a DATE or TIMESTAMP column"
        elif column_field.name in ("amount", "quantity"):
            ok = pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind)
            ok = ok or isinstance(column_field.type, pa.ExtensionType) or pa.types.is_null(kind)  # Postgres NUMERIC
            want = "a number column"
        else:
            continue
        if not ok:
            problems.append(
                TableProblem(
                    conn.url.shown,
                    f"is {kind}; --engine database needs {want} (the local engine reads text; drop --engine)",
                    label,
                    column=column_field.name,
                )
            )
    if problems:
        raise InputError(problems)


def _checks(ledger: rules.Ledger) -> list[tuple[str, str, str]]:
    """(column, SQL condition of a bad row, message) — the reader's rules for the columns read."""
    col = ledger.column
    known = ", ".join(f"'{name}'" for name in sorted(INTERVAL_NAMES))
    checks = [
        ("customer_id", f"{col('customer_id')} IS NULL", "is blank; a value is required"),
        ("amount", f"{col('amount')} IS NULL", "is blank; a value is required"),
        ("amount", f"{col('amount')} < 0", "is negative"),
        ("start_date", f"{col('start_date')} IS NULL", "is blank; a value is required"),
    ]
    if col("interval"):
        checks.append(
            (
                "interval",
                f"{col('interval')} IS NOT NULL AND LOWER(TRIM({col('interval')})) NOT IN ({known})",
                "unknown interval (use month, quarter, year or week)",
            )
        )
    if col("quantity"):
        checks.append(("quantity", f"{col('quantity')} < 0", "is negative"))
    if col("end_date"):
        checks.append(("end_date", f"{col('end_date')} < {col('start_date')}", "is before start_date"))
    return checks


def _validate(conn: Connection, ledger: rules.Ledger, label: str) -> None:
    """Run each check inside the database; the first rows of each are listed with their key."""
    problems: list[Problem] = []
    keys = f"{ledger.column('customer_id')} AS customer_id, {ledger.column('start_date')} AS start_date"
    for column, condition, message in _checks(ledger):
        shown = f"{ledger.column(column)} AS bad_value"
        sql = f"SELECT {keys}, {shown} FROM {ledger.from_clause()} WHERE {condition} LIMIT {MAX_LISTED + 1}"
        rows = conn.arrow(rules.compile_sql(sql, conn.dialect)).to_pylist()
        for row in rows[:MAX_LISTED]:
            key = ", ".join(
                f"{k}={str(v)[:10] if isinstance(v, dt.date) else repr(v)}"
                for k, v in (("customer_id", row["customer_id"]), ("start_date", row["start_date"]))
                if v is not None
            )
            value = row["bad_value"]
            shown_value = str(value)[:10] if isinstance(value, dt.date) else repr(value)
            text = message if value is None else f"{shown_value} {message}"
            problems.append(TableProblem(conn.url.shown, text, label, column=column, key=key))
        if len(rows) > MAX_LISTED:
            count = (
                conn.arrow(
                    rules.compile_sql(
                        f"SELECT COUNT(*) AS n FROM {ledger.from_clause()} WHERE {condition}", conn.dialect
                    )
                )
                .column(0)[0]
                .as_py()
            )
            problems.append(
                TableProblem(
                    conn.url.shown,
                    f"... and {count - MAX_LISTED:,} more rows with the same problem",
                    label,
                    column=column,
                )
            )
    if problems:
        raise InputError(problems)


def _rates(fx_rates: pd.DataFrame | None) -> list[tuple[str, int | None, float]]:
    if fx_rates is None or fx_rates.empty:
        return []
    months = month_number(fx_rates["month"])
    return sorted(
        {
            (str(currency), None if m == -(2**62) else int(m), float(rate))
            for currency, m, rate in zip(fx_rates["currency"], months, fx_rates["rate"], strict=True)
        },
        key=lambda r: (r[0], -1 if r[1] is None else r[1]),
    )


def database_report(
    conn: Connection,
    data: CompanyData,
    *,
    table: str | None = None,
    query: str | None = None,
    today: dt.date | None = None,
) -> KPIReport:
    """The monthly report with its subscription figures computed inside ``conn``'s database.

    ``data`` holds the other sheets (costs, funnel, fx_rates, settings, ...); its
    ``subscriptions`` are not read: the ledger is ``table`` (or ``query``) in the database.
    """
    ledger, label = _ledger(conn, table, query)
    _check_types(conn, ledger, label)
    _validate(conn, ledger, label)
    if conn.dialect == "duckdb" and "preserve_insertion_order" not in conn.url.url:
        # the queries below order what they return: DuckDB need not keep rows in order, so it
        # streams and spills to disk under its memory_limit (20M subscriptions: docs/performance.md)
        conn.execute("SET preserve_insertion_order = false")
    options: dict[str, Any] = {
        "dialect": conn.dialect,
        "reporting_currency": data.reporting_currency,
        "interval_names": INTERVAL_NAMES,
        "convention": data.settings.convention,
    }
    current = pd.Period(today or dt.date.today(), "M")
    profile = conn.arrow(rules.profile_sql(ledger, last=number_of(current), **options)).to_pylist()[0]
    # The data's activity (latest start and end that happened) decides the default month, by the one rule.
    activity = pd.DataFrame(
        {
            "start_date": [period_of(int(profile["last_start"])).to_timestamp()]
            if profile["last_start"] is not None
            else pd.Series([], dtype="datetime64[ns]"),
        }
    )
    if profile["last_end"] is not None and len(activity):
        activity["end_date"] = [period_of(int(profile["last_end"])).to_timestamp()]
    as_of, _ = dataclasses.replace(data, subscriptions=activity).reporting_month(today)
    last = number_of(as_of)
    first = conn.arrow(rules.profile_sql(ledger, last=last, **options)).to_pylist()[0]["first_month"]
    if first is None:
        raise KPIInputError(
            "subscriptions",
            f"no subscription earns MRR at any month end up to {as_of} "
            "(all start after it, end within their first month or are in trial)",
        )
    rates = _rates(data.fx_rates)
    used = [r["cur"] for r in conn.arrow(rules.foreign_currencies_sql(ledger, **options)).to_pylist()]
    unrated = [c for c in used if c not in {r[0] for r in rates}]
    if unrated:
        where = "the fx_rates sheet has no rate for it" if data.fx_rates is not None else "there is no fx_rates sheet"
        raise InputError(
            [
                TableProblem(
                    conn.url.shown,
                    f"currency {code} is used but {where} (reporting currency {data.reporting_currency}; "
                    "rates are never assumed 1:1)",
                    label,
                    column="currency",
                )
                for code in unrated
            ]
        )
    sql = rules.monthly_sql(ledger, first=int(first), last=last, rates=rates, **options)
    try:
        result = conn.arrow(sql).to_pandas()
    except DatabaseError:
        raise
    missing = result["missing_rates"].to_numpy() > 0
    if missing.any():
        listed = ", ".join(str(period_of(int(m))) for m in result["month"].to_numpy()[missing][:6])
        raise KPIInputError(
            "fx_rates", f"no exchange rate in {listed} (add a row to the fx_rates sheet; rates are never assumed 1:1)"
        )
    months = pd.period_range(period_of(int(first)), periods=last - int(first) + 1, freq="M", name="month")
    top = conn.arrow(rules.top_sql(ledger, first=int(first), last=last, rates=rates, **options)).to_pandas()
    bridge, cohort_sums, top_mrr = rules.figures(result, top, months)
    settings = data.settings if data.settings.as_of is not None else dataclasses.replace(data.settings, as_of=as_of)
    company = dataclasses.replace(data, settings=settings)
    return monthly_kpis(company, today=today, figures=SubscriptionFigures(bridge, cohort_sums, top_mrr))


__all__ = ["database_report"]
