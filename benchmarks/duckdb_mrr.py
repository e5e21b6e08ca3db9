"""The yardstick: month-end MRR and movements in DuckDB SQL, on the same CSV folder.

    python benchmarks/duckdb_mrr.py benchmarks/data/1m > duckdb.json

Follows the same conventions as kpi_addin (month-end snapshot, trial, interval
normalisation, FX per month, movements at cents) so the two can be compared number by
number; ``run_metrics_benchmark.py`` does that comparison.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb

SQL = """
WITH subs AS (
    SELECT customer_id::VARCHAR AS customer_id, currency,
           amount * quantity * CASE interval WHEN 'month' THEN 1.0 WHEN 'quarter' THEN 1.0 / 3
                                             WHEN 'year' THEN 1.0 / 12 WHEN 'week' THEN 52.0 / 12 END AS value,
           greatest(date_trunc('month', start_date),
                    coalesce(date_trunc('month', trial_end), DATE '1900-01-01')) AS first_month,
           date_trunc('month', end_date) AS stop_month
    FROM read_csv('{folder}/subscriptions.csv')
),
months AS (
    SELECT unnest(generate_series((SELECT min(first_month) FROM subs), DATE '{as_of}-01', INTERVAL 1 MONTH))::DATE AS month
),
rates AS (
    SELECT currency, strptime(month, '%Y-%m')::DATE AS month, rate FROM read_csv('{folder}/fx_rates.csv')
),
customer_month AS (
    SELECT s.customer_id, m.month, sum(s.value * coalesce(r.rate, 1.0)) AS mrr
    FROM subs s
    JOIN months m ON m.month >= s.first_month AND (s.stop_month IS NULL OR m.month < s.stop_month)
    LEFT JOIN rates r ON r.currency = s.currency AND r.month = m.month AND s.currency <> 'USD'
    GROUP BY ALL
    HAVING floor(sum(s.value * coalesce(r.rate, 1.0)) * 100 + 0.500001) > 0
),
first_paid AS (SELECT customer_id, min(month) AS first_month FROM customer_month GROUP BY ALL),
pairs AS (
    SELECT coalesce(c.customer_id, p.customer_id) AS customer_id,
           coalesce(c.month, (p.month + INTERVAL 1 MONTH)::DATE) AS month,
           coalesce(c.mrr, 0) AS cur, coalesce(p.mrr, 0) AS prev
    FROM customer_month c
    FULL OUTER JOIN customer_month p
      ON c.customer_id = p.customer_id AND c.month = (p.month + INTERVAL 1 MONTH)::DATE
)
SELECT strftime(x.month, '%Y-%m') AS month,
       sum(cur) AS mrr,
       count(*) FILTER (WHERE cur > 0) AS customers,
       sum(cur) FILTER (WHERE prev = 0 AND cur > 0 AND x.month = f.first_month) AS new_mrr,
       count(*) FILTER (WHERE prev = 0 AND cur > 0 AND x.month = f.first_month) AS new_customers,
       sum(cur) FILTER (WHERE prev = 0 AND cur > 0 AND x.month > f.first_month) AS reactivation_mrr,
       sum(prev) FILTER (WHERE prev > 0 AND cur = 0) AS churned_mrr,
       count(*) FILTER (WHERE prev > 0 AND cur = 0) AS churned_customers,
       sum(cur - prev) FILTER (WHERE prev > 0 AND cur > prev) AS expansion_mrr,
       sum(prev - cur) FILTER (WHERE cur > 0 AND cur < prev) AS contraction_mrr
FROM pairs x JOIN first_paid f USING (customer_id)
WHERE x.month <= DATE '{as_of}-01'
GROUP BY ALL ORDER BY 1
"""


def main() -> None:
    folder = Path(sys.argv[1])
    as_of = sys.argv[2] if len(sys.argv) > 2 else "2025-12"
    rows = duckdb.sql(SQL.format(folder=folder, as_of=as_of)).fetchall()
    columns = [
        "month",
        "mrr",
        "customers",
        "new_mrr",
        "new_customers",
        "reactivation_mrr",
        "churned_mrr",
        "churned_customers",
        "expansion_mrr",
        "contraction_mrr",
    ]
    print(json.dumps([dict(zip(columns, r, strict=True)) for r in rows]))


if __name__ == "__main__":
    main()
