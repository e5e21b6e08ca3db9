"""Stripe synced into a warehouse by Fivetran (the ``stripe`` schema), read by the Stripe
invoice rules: ``--source fivetran-stripe --db URL --schema stripe``.

An adapter, not a second set of rules: one query joins Fivetran's ``invoice_line_item``
to its ``invoice`` (status, customer, creation date) and ``customer`` (name), and hands
the rows to :func:`.stripe_invoices.convert` shaped as the line-item export it reads
(``period_start``, ``period_end``, ``amount`` in cents, ``proration``, ``type``,
``subscription``, ``customer``, ``invoice_status``, ``currency``, ``created``).  Every
rule — service periods, prorations, one-off lines, left-out statuses, billed in advance —
is that module's.  Rows Fivetran marks deleted (``_fivetran_deleted``) are not read, and
only lines whose service period starts by the end of the last month reported cross the
connection (a later invoice may bill an earlier change: its proration lines start then).

Fivetran's Stripe schema: https://fivetran.com/docs/connectors/applications/stripe#schemainformation
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..database import Connection, DatabaseError, TableProblem, TableSheet
from ..problems import Problem, RawSheet
from . import stripe_invoices
from .base import Export

#: Fivetran table → (the columns read, as the line-item export names them).
LINE_COLUMNS = {
    "id": "id",
    "invoice_id": "invoice_id",
    "amount": "amount",
    "currency": "currency",
    "period_start": "period_start",
    "period_end": "period_end",
    "proration": "proration",
    "subscription_id": "subscription",
    "type": "type",
}
INVOICE_COLUMNS = {"customer_id": "customer", "status": "invoice_status", "created": "created"}
CUSTOMER_COLUMNS = {"name": "customer_name"}


@dataclass
class TableExport(Export):
    """Rows of a table read as an export; a problem is located by the line item's id."""

    source: str = ""
    ids: np.ndarray | None = None

    @property
    def label(self) -> str:
        return str(self.path)

    def problem(self, message: str, column: str | None, position: int | None) -> Problem:
        key = None if position is None or self.ids is None else f"id={self.ids[int(self.rows[position]) - 1]!r}"
        return TableProblem(self.source, message, self.label, column=column, key=key)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _query(conn: Connection, schema: str, as_of: pd.Period | None) -> tuple[str, list[Problem]]:
    """The join, in the connection's dialect; problems if a table or a column is missing."""
    from ...metrics.sql import compile_sql

    problems: list[Problem] = []
    found: dict[str, set[str]] = {}
    for table, needed in (("invoice_line_item", LINE_COLUMNS), ("invoice", {"id": "", **INVOICE_COLUMNS}),
                          ("customer", {"id": "", **CUSTOMER_COLUMNS})):  # fmt: skip
        try:
            columns = {c.lower() for c in conn.columns(f"{schema}.{table}")}
        except DatabaseError:
            if table == "customer":  # names are optional
                continue
            problems.append(
                TableProblem(conn.url.shown, "no such table in the Fivetran Stripe schema", f"{schema}.{table}")
            )
            continue
        missing = [c for c in needed if c not in columns]
        if missing:
            problems.append(
                TableProblem(conn.url.shown, f"missing column(s) {', '.join(missing)}", f"{schema}.{table}")
            )
        found[table] = columns
    if problems:
        return "", problems

    def live(alias: str, table: str) -> str:
        return f" AND NOT COALESCE({alias}._fivetran_deleted, FALSE)" if "_fivetran_deleted" in found[table] else ""

    s = _quote(schema)
    picked = [f"li.{_quote(c)} AS {_quote(name)}" for c, name in LINE_COLUMNS.items()]
    picked += [f"i.{_quote(c)} AS {_quote(name)}" for c, name in INVOICE_COLUMNS.items()]
    joined = f"FROM {s}.invoice_line_item AS li JOIN {s}.invoice AS i ON i.id = li.invoice_id{live('i', 'invoice')}"
    if "customer" in found and "name" in found["customer"]:
        picked += [f"c.{_quote(c)} AS {_quote(name)}" for c, name in CUSTOMER_COLUMNS.items()]
        joined += f" LEFT JOIN {s}.customer AS c ON c.id = i.customer_id{live('c', 'customer')}"
    where = "WHERE 1 = 1" + live("li", "invoice_line_item")
    if as_of is not None:
        # a service period that starts after the last month reported cannot count in it
        where += f" AND li.period_start < CAST('{(as_of + 1).to_timestamp().date()}' AS TIMESTAMP)"
    return compile_sql(f"SELECT {', '.join(picked)} {joined} {where} ORDER BY li.id", conn.dialect), []


def _as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column as the export's text: timestamps ``YYYY-MM-DD HH:MM:SS``, booleans ``true``/``false``."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            text = column.dt.tz_localize(None) if getattr(column.dt, "tz", None) is not None else column
            out[name] = text.dt.strftime("%Y-%m-%d %H:%M:%S").astype(object).fillna("")
        elif pd.api.types.is_bool_dtype(column):
            out[name] = column.map({True: "true", False: "false"}).astype(object)
        else:
            values = column.astype(object)
            out[name] = values.where(values.notna(), "").map(
                lambda v: str(int(v)) if isinstance(v, float) and v == int(v) else str(v)
            )
    return pd.DataFrame(out, index=frame.index)


def read_fivetran_stripe(
    conn: Connection, schema: str, *, as_of: pd.Period | None = None
) -> tuple[RawSheet | None, list[Problem], list[str]]:
    """The canonical subscriptions from a Fivetran Stripe schema, by the Stripe invoice rules."""
    sql, problems = _query(conn, schema, as_of)
    if problems:
        return None, problems, []
    frame = conn.arrow(sql).to_pandas()
    label = f"{schema}.invoice_line_item"
    if frame.empty:
        return None, [TableProblem(conn.url.shown, "holds no invoice line items", label)], []
    ids = frame["id"].astype(str).to_numpy()
    text = _as_text(frame)
    rows = np.arange(len(text), dtype=np.int64) + 1
    export = TableExport(Path(label), text, {}, rows, {c: c for c in text.columns}, source=conn.url.shown, ids=ids)
    raw, found, notes = stripe_invoices.convert(export)
    problems = found + export.problems
    if problems or raw.frame.empty:
        return None, problems or [TableProblem(conn.url.shown, "no subscription line item earns MRR", label)], notes
    sheet = TableSheet("subscriptions", conn.url.shown, label, raw.frame, raw.rows, {})
    sheet.key_frame = pd.DataFrame({"id": ids})
    return sheet, [], notes
