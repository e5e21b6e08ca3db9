"""The subscription rules as SQL, for ``--engine database``: MRR, the bridge, customer counts
and the 12-month cohort sums, computed inside the warehouse; only one row per month leaves it.

The query is written once, here, in DuckDB's dialect and compiled by sqlglot for each
warehouse (DuckDB, Postgres, Snowflake, BigQuery).  It follows :mod:`.mrr`'s rules step by
step, with :mod:`.mrr`'s constants (interval factors, the currency's smallest unit), and
the tests tie the two engines on random ledgers, every key of every month to the cent
(``tests/test_engine_database.py``):

* a subscription earns ``amount × quantity × numerator / denominator`` in the months
  ``[month(max(start, trial_end)), month(end_date))`` (up to the last month reported);
  under month-start every date that is not a 1st counts from the next month;
* each customer's MRR is kept as change points: +value in the first earning month and
  −value in the first month after, summed per customer and month, and a running sum
  per customer.  Foreign-currency levels are expanded month by month over the months
  they are not 0 and converted at each month's rate (a dated rate wins over an undated one);
* MRR below half a cent is 0; movements are classified at the smallest unit (new: the
  first gain; reactivation: a later gain; churned; expansion and contraction among the
  customers paying in both months, ignoring relative float noise below 1e-9);
* FX impact: for a customer paying in both months, the previous month's local amounts ×
  (this month's rate − last month's), from each foreign cell's level and the next
  month's rate; expansion and contraction are the rest of the change (their customers
  counted against the previous MRR at this month's rate);
* the ten largest customers' MRR (``top10_share``): each customer's MRR is constant over a
  span (from one change point to its next), so a month's ten largest are its ten largest
  spans covering it.  The :data:`TOP_CANDIDATES` largest spans give each month a floor (its
  10th largest among them, at most its true 10th largest); only spans at or above the
  lowest floor — and every span touching a month with fewer than ten candidates — are
  ranked month by month, so no customer × month table either;
* the 12-month cohort: for month M, the customers paying at the end of M−12, their MRR
  then and at M.  Two running sums per customer (its MRR now, and its MRR shifted by 12
  months) give both levels at each of its change points, so no customer × month table.

Pure: text in, text out.  Connections are in :mod:`kpi_addin.io.database`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bridge import BRIDGE_COLUMNS
from .currency import minor_unit_digits
from .finance import TOP_CUSTOMERS
from .spans import INTERVAL_FACTORS

#: The dialects the query is compiled for (sqlglot's names).
DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery")
#: The 12-month cohort sums each month's row carries (see :func:`cohort_12m`).
COHORT_SUMS = ("cohort_customers", "cohort_base_mrr", "cohort_mrr", "cohort_kept_mrr", "cohort_paying")
#: What the monthly query returns, in order.
RESULT_COLUMNS = ("month", *BRIDGE_COLUMNS, *COHORT_SUMS, "missing_rates")
#: How many of the largest constant-MRR spans set the floor below which no span can be among
#: a month's ten largest customers (see :func:`monthly_sql`; the result is exact for any number).
TOP_CANDIDATES = 100_000
#: The ledger's columns the query reads (canonical names).
LEDGER_COLUMNS = ("customer_id", "amount", "interval", "quantity", "currency", "start_date", "end_date", "trial_end")


@dataclass(frozen=True)
class Ledger:
    """Where the subscriptions are: a table, and its own name of each canonical column."""

    table: str
    columns: Mapping[str, str]
    #: the user's query (``--query subscriptions=FILE.sql``) read as a subquery instead of ``table``
    query: str | None = None

    def column(self, name: str) -> str | None:
        original = self.columns.get(name)
        return None if original is None else '"' + original.replace('"', '""') + '"'

    def from_clause(self) -> str:
        if self.query is not None:
            return f"({self.query}) AS ledger"
        return ".".join('"' + part.replace('"', '""') + '"' for part in self.table.split("."))


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _month(expression: str, convention: str) -> str:
    """Months since 1970-01 of a date; month-start moves a date that is not a 1st to the next month."""
    number = f"((CAST(EXTRACT(YEAR FROM {expression}) AS INT) - 1970) * 12 + CAST(EXTRACT(MONTH FROM {expression}) AS INT) - 1)"  # noqa: E501
    if convention == "month-start":
        return f"({number} + CASE WHEN CAST(EXTRACT(DAY FROM {expression}) AS INT) = 1 THEN 0 ELSE 1 END)"
    return number


def _units(expression: str, currency: str) -> str:
    """:func:`.mrr.to_units` in SQL: the amount at the currency's smallest unit, rounded half up."""
    scale = float(10 ** minor_unit_digits(currency))
    return f"FLOOR({expression} * {scale!r} + {0.5 + 1e-6!r})"


def _subscriptions(ledger: Ledger, reporting_currency: str, interval_names: Mapping[str, str], convention: str) -> str:
    """One row per ledger row: customer, monthly value (own currency), currency, month numbers."""
    factor = " ".join(
        f"WHEN {_literal(alias)} THEN CAST({INTERVAL_FACTORS[name][0]} AS DOUBLE) / {INTERVAL_FACTORS[name][1]}"
        for alias, name in sorted(interval_names.items())
    )
    interval = ledger.column("interval")
    interval_factor = f"CASE LOWER(TRIM({interval})) {factor} END" if interval else "CAST(1 AS DOUBLE)"
    quantity = ledger.column("quantity")
    currency = ledger.column("currency")
    currency_code = (
        f"COALESCE(NULLIF(UPPER(TRIM({currency})), ''), {_literal(reporting_currency)})"
        if currency
        else _literal(reporting_currency)
    )
    end, trial = ledger.column("end_date"), ledger.column("trial_end")
    return (
        f"SELECT CAST({ledger.column('customer_id')} AS VARCHAR) AS c, "
        f"CAST({ledger.column('amount')} AS DOUBLE) * "
        f"{f'CAST(COALESCE({quantity}, 1) AS DOUBLE)' if quantity else 'CAST(1 AS DOUBLE)'} * {interval_factor} AS v, "
        f"{currency_code} AS cur, "
        f"{_month(str(ledger.column('start_date')), convention)} AS s, "
        f"{_month(end, convention) if end else 'CAST(NULL AS INT)'} AS e, "
        f"{_month(trial, convention) if trial else 'CAST(NULL AS INT)'} AS t "
        f"FROM {ledger.from_clause()}"
    )


def profile_sql(
    ledger: Ledger,
    *,
    dialect: str,
    reporting_currency: str,
    interval_names: Mapping[str, str],
    convention: str,
    last: int,
) -> str:
    """One row: the first earning month up to ``last``, the latest start and end up to
    ``last`` (the data's activity), and the foreign currencies that earn."""
    src = _subscriptions(ledger, reporting_currency, interval_names, convention)
    earning = (
        f"(CASE WHEN t IS NOT NULL AND t > s THEN t ELSE s END) < "
        f"(CASE WHEN e IS NULL OR e > {last + 1} THEN {last + 1} ELSE e END) AND v <> 0"
    )
    query = (
        f"WITH src AS ({src}) SELECT "
        f"MIN(CASE WHEN {earning} THEN (CASE WHEN t IS NOT NULL AND t > s THEN t ELSE s END) END) AS first_month, "
        f"MAX(CASE WHEN s <= {last} THEN s END) AS last_start, "
        f"MAX(CASE WHEN e <= {last} THEN e END) AS last_end, "
        f"COUNT(*) AS n_rows, "
        f"COUNT(DISTINCT CASE WHEN {earning} AND cur <> {_literal(reporting_currency)} THEN cur END) AS n_foreign "
        f"FROM src"
    )
    return compile_sql(query, dialect)


def foreign_currencies_sql(
    ledger: Ledger, *, dialect: str, reporting_currency: str, interval_names: Mapping[str, str], convention: str
) -> str:
    """The foreign currencies of the ledger (their rates go into the monthly query)."""
    src = _subscriptions(ledger, reporting_currency, interval_names, convention)
    return compile_sql(
        f"WITH src AS ({src}) SELECT DISTINCT cur FROM src WHERE cur <> {_literal(reporting_currency)} ORDER BY cur",
        dialect,
    )


def _levels_ctes(
    ledger: Ledger,
    reporting_currency: str,
    interval_names: Mapping[str, str],
    convention: str,
    first: int,
    last: int,
    rates: list[tuple[str, int | None, float]],
) -> str:
    """The query's first steps, shared by :func:`monthly_sql` and :func:`top_sql`: ``months``
    and ``levels`` — each customer's MRR (reporting currency, sub-unit amounts 0) at each of
    its change points — with ``foreign_cells``, ``no_rates`` and the others they need."""
    end = last + 1
    currency = _literal(reporting_currency)
    rate_rows = (
        " UNION ALL ".join(
            f"SELECT {_literal(code)} AS cur, CAST({'NULL' if month is None else month} AS INT) AS m, "
            f"CAST({float(rate)!r} AS DOUBLE) AS rate"
            for code, month, rate in sorted(set(rates), key=lambda r: (r[0], -1 if r[1] is None else r[1]))
        )
        or "SELECT CAST(NULL AS VARCHAR) AS cur, CAST(NULL AS INT) AS m, CAST(NULL AS DOUBLE) AS rate WHERE 1 = 0"
    )
    running = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    units = _units("x", reporting_currency)
    return f"""
WITH RECURSIVE months(m) AS (SELECT {first} UNION ALL SELECT m + 1 FROM months WHERE m < {last}),
src AS ({_subscriptions(ledger, reporting_currency, interval_names, convention)}),
spans AS (
  SELECT c, cur, v, CASE WHEN t IS NOT NULL AND t > s THEN t ELSE s END AS b,
         CASE WHEN e IS NULL OR e > {end} THEN {end} ELSE e END AS f
  FROM src),
earning AS (SELECT c, cur, v, b, f FROM spans WHERE f > b AND v <> 0),
domestic AS (
  SELECT c, b AS m, v AS d FROM earning WHERE cur = {currency}
  UNION ALL SELECT c, f AS m, -v AS d FROM earning WHERE cur = {currency} AND f <= {last}),
foreign_events AS (
  SELECT c, cur, m, SUM(d) AS d FROM (
    SELECT c, cur, b AS m, v AS d FROM earning WHERE cur <> {currency}
    UNION ALL SELECT c, cur, f AS m, -v AS d FROM earning WHERE cur <> {currency} AND f <= {last}) AS fe
  GROUP BY c, cur, m),
foreign_levels AS (
  SELECT c, cur, m, SUM(d) OVER (PARTITION BY c, cur ORDER BY m {running}) AS lvl,
         LEAD(m, 1, {end}) OVER (PARTITION BY c, cur ORDER BY m) AS m_next
  FROM foreign_events),
rates AS ({rate_rows}),
foreign_cells AS (
  SELECT l.c, mo.m, l.lvl * COALESCE(rd.rate, ru.rate) AS amt,
         CASE WHEN COALESCE(rd.rate, ru.rate) IS NULL AND ABS(l.lvl) > 1e-9 THEN 1 ELSE 0 END AS no_rate,
         l.lvl * COALESCE(COALESCE(rn.rate, ru.rate) - COALESCE(rd.rate, ru.rate), CAST(0 AS DOUBLE)) AS fx_next
  FROM foreign_levels AS l
  JOIN months AS mo ON mo.m >= l.m AND mo.m < l.m_next
  LEFT JOIN rates AS rd ON rd.cur = l.cur AND rd.m = mo.m
  LEFT JOIN rates AS rn ON rn.cur = l.cur AND rn.m = mo.m + 1
  LEFT JOIN rates AS ru ON ru.cur = l.cur AND ru.m IS NULL
  WHERE l.lvl <> 0),
no_rates AS (SELECT m, SUM(no_rate) AS no_rate FROM foreign_cells GROUP BY m),
points AS (
  SELECT c, m, d, CAST(0 AS DOUBLE) AS fx, CAST(0 AS DOUBLE) AS fxc FROM domestic
  UNION ALL SELECT c, m, CAST(0 AS DOUBLE) AS d, COALESCE(amt, CAST(0 AS DOUBLE)) AS fx, CAST(0 AS DOUBLE) AS fxc
    FROM foreign_cells
  UNION ALL SELECT c, m + 1 AS m, CAST(0 AS DOUBLE) AS d, CAST(0 AS DOUBLE) AS fx, fx_next AS fxc
    FROM foreign_cells WHERE m < {last}
  UNION ALL SELECT c, m_next AS m, CAST(0 AS DOUBLE) AS d, CAST(0 AS DOUBLE) AS fx, CAST(0 AS DOUBLE) AS fxc
    FROM foreign_levels WHERE lvl <> 0 AND m_next <= {last}),
summed AS (SELECT c, m, SUM(d) AS d, SUM(fx) AS fx, SUM(fxc) AS fxc FROM points GROUP BY c, m),
raw_levels AS (SELECT c, m, SUM(d) OVER (PARTITION BY c ORDER BY m {running}) + fx AS x, fxc FROM summed),
levels AS (SELECT c, m, CASE WHEN {units} <= 0 THEN CAST(0 AS DOUBLE) ELSE x END AS lvl, fxc FROM raw_levels),
"""


def monthly_sql(
    ledger: Ledger,
    *,
    dialect: str,
    reporting_currency: str,
    interval_names: Mapping[str, str],
    convention: str,
    first: int,
    last: int,
    rates: list[tuple[str, int | None, float]],
) -> str:
    """The query: one row per month ``first..last`` (months since 1970-01) with
    :data:`RESULT_COLUMNS`.  ``rates`` are (currency, month or None for every month, rate)."""
    end = last + 1
    running = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    query = (
        _levels_ctes(ledger, reporting_currency, interval_names, convention, first, last, rates)
        + f"""
paired AS (
  SELECT c, m, lvl AS cur, COALESCE(LAG(lvl) OVER (PARTITION BY c ORDER BY m), CAST(0 AS DOUBLE)) AS prev, fxc
  FROM levels),
changes AS (
  SELECT c, m, cur, prev, fxc, {_units("cur", reporting_currency)} AS cu, {_units("prev", reporting_currency)} AS pu
  FROM paired WHERE cur <> prev OR fxc <> 0),
flagged AS (
  SELECT c, m, cur, prev, cu, pu,
         CASE WHEN cu > 0 AND pu <= 0 THEN 1 ELSE 0 END AS gained,
         CASE WHEN cu <= 0 AND pu > 0 THEN 1 ELSE 0 END AS churned,
         CASE WHEN cu > 0 AND pu > 0 THEN 1 ELSE 0 END AS stayed,
         CASE WHEN cu > 0 AND pu > 0 THEN fxc ELSE CAST(0 AS DOUBLE) END AS fx
  FROM changes),
classified AS (
  SELECT c, m, cur, prev, cu, pu, gained, churned, stayed, fx,
         {_units("(prev + fx)", reporting_currency)} AS ru,
         CASE WHEN gained = 1 AND SUM(gained) OVER (PARTITION BY c ORDER BY m {running}) = 1 THEN 1 ELSE 0 END
           AS is_new,
         CASE WHEN stayed = 1 AND ABS(cur - prev - fx) > (CASE WHEN cur > prev THEN cur ELSE prev END) * 1e-9
              THEN cur - prev - fx ELSE CAST(0 AS DOUBLE) END AS delta,
         CASE WHEN stayed = 1 AND cur - prev < -((CASE WHEN cur > prev THEN cur ELSE prev END) * 1e-9)
              THEN cur - prev ELSE CAST(0 AS DOUBLE) END AS fall
  FROM flagged),
by_month AS (
  SELECT m,
         SUM(cur - prev) AS net,
         SUM(CASE WHEN is_new = 1 THEN cur ELSE 0 END) AS new_mrr,
         SUM(CASE WHEN delta > 0 THEN delta ELSE 0 END) AS expansion_mrr,
         SUM(CASE WHEN gained = 1 AND is_new = 0 THEN cur ELSE 0 END) AS reactivation_mrr,
         SUM(fx) AS fx_mrr,
         -SUM(CASE WHEN delta < 0 THEN delta ELSE 0 END) AS contraction_mrr,
         -SUM(fall) AS net_contraction_mrr,
         SUM(CASE WHEN churned = 1 THEN prev ELSE 0 END) AS churned_mrr,
         SUM(gained - churned) AS net_customers,
         SUM(is_new) AS new_customers,
         SUM(CASE WHEN stayed = 1 AND cu > ru THEN 1 ELSE 0 END) AS expanded_customers,
         SUM(gained - is_new) AS reactivated_customers,
         SUM(CASE WHEN stayed = 1 AND cu < ru THEN 1 ELSE 0 END) AS contracted_customers,
         SUM(churned) AS churned_customers
  FROM classified GROUP BY m),
sweep AS (
  SELECT c, m, SUM(dn) AS dn, SUM(un) AS un, SUM(db) AS db, SUM(ub) AS ub FROM (
    SELECT c, m, cur - prev AS dn, cu - pu AS un, CAST(0 AS DOUBLE) AS db, CAST(0 AS DOUBLE) AS ub FROM changes
    UNION ALL
    SELECT c, m + 12 AS m, CAST(0 AS DOUBLE) AS dn, CAST(0 AS DOUBLE) AS un, cur - prev AS db, cu - pu AS ub
    FROM changes WHERE m + 12 <= {last}) AS sw
  GROUP BY c, m),
twelve AS (
  SELECT c, m,
         SUM(dn) OVER (PARTITION BY c ORDER BY m {running}) AS now_mrr,
         SUM(un) OVER (PARTITION BY c ORDER BY m {running}) AS now_units,
         SUM(db) OVER (PARTITION BY c ORDER BY m {running}) AS base_mrr,
         SUM(ub) OVER (PARTITION BY c ORDER BY m {running}) AS base_units,
         LEAD(m, 1, {end}) OVER (PARTITION BY c ORDER BY m) AS m_next
  FROM sweep),
cohort AS (
  SELECT m, base_mrr, CASE WHEN now_units > 0 THEN now_mrr ELSE CAST(0 AS DOUBLE) END AS now_mrr,
         CASE WHEN now_units > 0 THEN 1 ELSE 0 END AS paying, m_next
  FROM twelve WHERE base_units > 0),
cohort_steps AS (
  SELECT m, SUM(k) AS k, SUM(b) AS b, SUM(n) AS n, SUM(kept) AS kept, SUM(p) AS p FROM (
    SELECT m, 1 AS k, base_mrr AS b, now_mrr AS n,
           CASE WHEN now_mrr < base_mrr THEN now_mrr ELSE base_mrr END AS kept, paying AS p FROM cohort
    UNION ALL
    SELECT m_next AS m, -1 AS k, -base_mrr AS b, -now_mrr AS n,
           -(CASE WHEN now_mrr < base_mrr THEN now_mrr ELSE base_mrr END) AS kept, -paying AS p
    FROM cohort WHERE m_next <= {last}) AS cs
  GROUP BY m),
filled AS (
  SELECT mo.m,
         COALESCE(b.net, 0) AS net, COALESCE(b.new_mrr, 0) AS new_mrr, COALESCE(b.expansion_mrr, 0) AS expansion_mrr,
         COALESCE(b.reactivation_mrr, 0) AS reactivation_mrr, COALESCE(b.fx_mrr, 0) AS fx_mrr,
         COALESCE(b.contraction_mrr, 0) AS contraction_mrr, COALESCE(b.net_contraction_mrr, 0) AS net_contraction_mrr,
         COALESCE(b.churned_mrr, 0) AS churned_mrr, COALESCE(b.net_customers, 0) AS net_customers,
         COALESCE(b.new_customers, 0) AS new_customers, COALESCE(b.expanded_customers, 0) AS expanded_customers,
         COALESCE(b.reactivated_customers, 0) AS reactivated_customers,
         COALESCE(b.contracted_customers, 0) AS contracted_customers,
         COALESCE(b.churned_customers, 0) AS churned_customers,
         COALESCE(s.k, 0) AS k, COALESCE(s.b, 0) AS b, COALESCE(s.n, 0) AS n, COALESCE(s.kept, 0) AS kept,
         COALESCE(s.p, 0) AS p, COALESCE(r.no_rate, 0) AS no_rate
  FROM months AS mo LEFT JOIN by_month AS b ON b.m = mo.m LEFT JOIN cohort_steps AS s ON s.m = mo.m
  LEFT JOIN no_rates AS r ON r.m = mo.m),
totals AS (
  SELECT m, new_mrr, expansion_mrr, reactivation_mrr, fx_mrr, contraction_mrr, net_contraction_mrr, churned_mrr,
         new_customers,
         expanded_customers, reactivated_customers, contracted_customers, churned_customers,
         SUM(net) OVER (ORDER BY m {running}) AS mrr,
         SUM(net_customers) OVER (ORDER BY m {running}) AS customers,
         SUM(k) OVER (ORDER BY m {running}) AS cohort_customers,
         SUM(b) OVER (ORDER BY m {running}) AS cohort_base_mrr,
         SUM(n) OVER (ORDER BY m {running}) AS cohort_mrr,
         SUM(kept) OVER (ORDER BY m {running}) AS cohort_kept_mrr,
         SUM(p) OVER (ORDER BY m {running}) AS cohort_paying, no_rate
  FROM filled)
SELECT CAST(m AS BIGINT) AS month,
       CAST(COALESCE(LAG(mrr) OVER (ORDER BY m), 0) AS DOUBLE) AS start_mrr,
       CAST(new_mrr AS DOUBLE) AS new_mrr, CAST(expansion_mrr AS DOUBLE) AS expansion_mrr,
       CAST(reactivation_mrr AS DOUBLE) AS reactivation_mrr, CAST(fx_mrr AS DOUBLE) AS fx_mrr,
       CAST(contraction_mrr AS DOUBLE) AS contraction_mrr,
       CAST(churned_mrr AS DOUBLE) AS churned_mrr, CAST(mrr AS DOUBLE) AS mrr,
       CAST(net_contraction_mrr AS DOUBLE) AS net_contraction_mrr,
       CAST(COALESCE(LAG(customers) OVER (ORDER BY m), 0) AS BIGINT) AS start_customers,
       CAST(new_customers AS BIGINT) AS new_customers, CAST(expanded_customers AS BIGINT) AS expanded_customers,
       CAST(reactivated_customers AS BIGINT) AS reactivated_customers,
       CAST(contracted_customers AS BIGINT) AS contracted_customers,
       CAST(churned_customers AS BIGINT) AS churned_customers, CAST(customers AS BIGINT) AS customers,
       CAST(cohort_customers AS BIGINT) AS cohort_customers, CAST(cohort_base_mrr AS DOUBLE) AS cohort_base_mrr,
       CAST(cohort_mrr AS DOUBLE) AS cohort_mrr, CAST(cohort_kept_mrr AS DOUBLE) AS cohort_kept_mrr,
       CAST(cohort_paying AS BIGINT) AS cohort_paying, CAST(no_rate AS BIGINT) AS missing_rates
FROM totals ORDER BY m
"""
    )
    return compile_sql(query, dialect)


def top_sql(
    ledger: Ledger,
    *,
    dialect: str,
    reporting_currency: str,
    interval_names: Mapping[str, str],
    convention: str,
    first: int,
    last: int,
    rates: list[tuple[str, int | None, float]],
) -> str:
    """The ten largest customers' MRR of each month ``first..last`` (rows ``month``,
    ``top10_mrr``), a query of its own beside :func:`monthly_sql`, from the same ``levels``.

    A customer's MRR is constant over a span (a change point to its next), so a month's ten
    largest customers are its ten largest spans covering it.  The :data:`TOP_CANDIDATES`
    largest spans give each month a floor (its 10th largest among them — 0 when fewer than
    ten cover it — at most its true 10th largest); a span is ranked only in the months it
    covers, and only when it reaches the lowest floor over them (a table of every
    ``(first, end)`` month pair: months², not customers × months)."""
    end = last + 1
    query = (
        _levels_ctes(ledger, reporting_currency, interval_names, convention, first, last, rates)
        + f"""
level_spans AS (
  SELECT m, LEAD(m, 1, {end}) OVER (PARTITION BY c ORDER BY m) AS m_next, lvl AS cur FROM levels),
candidates AS (SELECT m, m_next, cur FROM level_spans WHERE cur > 0 ORDER BY cur DESC LIMIT {TOP_CANDIDATES}),
candidate_ranks AS (
  SELECT mo.m, s.cur, ROW_NUMBER() OVER (PARTITION BY mo.m ORDER BY s.cur DESC) AS r
  FROM candidates AS s JOIN months AS mo ON mo.m >= s.m AND mo.m < s.m_next),
floors AS (
  SELECT mo.m, COALESCE(cr.cur, CAST(0 AS DOUBLE)) AS f
  FROM months AS mo LEFT JOIN candidate_ranks AS cr ON cr.m = mo.m AND cr.r = {TOP_CUSTOMERS}),
range_floors AS (
  SELECT a.m AS a, b.m + 1 AS b, MIN(f.f) AS f
  FROM months AS a JOIN months AS b ON b.m >= a.m JOIN floors AS f ON f.m >= a.m AND f.m <= b.m
  GROUP BY a.m, b.m),
large AS (
  SELECT s.m, s.m_next, s.cur FROM level_spans AS s JOIN range_floors AS rf ON rf.a = s.m AND rf.b = s.m_next
  WHERE s.cur > 0 AND s.cur >= rf.f),
large_ranks AS (
  SELECT mo.m, s.cur, ROW_NUMBER() OVER (PARTITION BY mo.m ORDER BY s.cur DESC) AS r
  FROM large AS s JOIN months AS mo ON mo.m >= s.m AND mo.m < s.m_next)
SELECT CAST(mo.m AS BIGINT) AS month, CAST(COALESCE(SUM(lr.cur), 0) AS DOUBLE) AS top10_mrr
FROM months AS mo LEFT JOIN large_ranks AS lr ON lr.m = mo.m AND lr.r <= {TOP_CUSTOMERS}
GROUP BY mo.m ORDER BY mo.m
"""
    )
    return compile_sql(query, dialect)


def compile_sql(query: str, dialect: str) -> str:
    """The query (written in DuckDB's dialect) in ``dialect``, by sqlglot."""
    import sqlglot

    if dialect == "duckdb":
        return " ".join(query.split())
    return str(sqlglot.transpile(query, read="duckdb", write=dialect)[0])


def figures(
    result: pd.DataFrame, top: pd.DataFrame, months: pd.PeriodIndex
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """The monthly query's rows and :func:`top_sql`'s as ``(bridge, cohort sums, the ten
    largest customers' MRR)`` indexed by ``months``; the bridge has
    :data:`.mrr.BRIDGE_COLUMNS`, exactly what :func:`.mrr.mrr_bridge` gives."""
    frame = result.set_index(pd.PeriodIndex(months, name="month"))
    bridge = frame[list(BRIDGE_COLUMNS)].copy()
    counts = [c for c in BRIDGE_COLUMNS if c.endswith("customers")]
    bridge[counts] = bridge[counts].astype(np.int64)
    money = [c for c in BRIDGE_COLUMNS if not c.endswith("customers")]
    bridge[money] = bridge[money].astype(float)
    top_mrr = pd.Series(top["top10_mrr"].to_numpy(dtype=float), index=frame.index)
    return bridge, frame[list(COHORT_SUMS)].astype(float), top_mrr
