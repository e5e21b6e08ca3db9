"""The second yardstick: month-end MRR and movements with Polars, written for speed.

    python benchmarks/polars_mrr.py benchmarks/data/1m 2025-12 > polars.json

Same conventions as kpi_addin and ``duckdb_mrr.py`` (month-end snapshot, trial,
interval normalisation, FX per month, movements at cents).  Tuned the way a Polars user
would: one lazy query (both cores), never a customer × month table.  A customer's MRR is
kept as change points (+value in a subscription's first earning month, −value in its
first month after, summed per customer and month, a running sum per customer); only
customers billed in a foreign currency are expanded month by month, as their rate moves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl

FACTOR = {"month": 1.0, "quarter": 1.0 / 3, "year": 1.0 / 12, "week": 52.0 / 12}


def month_index(column: pl.Expr) -> pl.Expr:
    """Months since year 0 of a date column."""
    return column.dt.year().cast(pl.Int32) * 12 + column.dt.month().cast(pl.Int32) - 1


def monthly(folder: Path, as_of: str, reporting: str = "USD") -> pl.DataFrame:
    year, month = map(int, as_of.split("-"))
    last = year * 12 + month - 1
    subs = (
        pl.scan_csv(folder / "subscriptions.csv", try_parse_dates=True, schema_overrides={"customer_id": pl.Utf8})
        .with_columns(
            value=pl.col("amount") * pl.col("quantity") * pl.col("interval").replace_strict(FACTOR, default=None),
            first=pl.max_horizontal(month_index(pl.col("start_date")), month_index(pl.col("trial_end"))),
            stop=pl.min_horizontal(month_index(pl.col("end_date")).fill_null(last + 1), pl.lit(last + 1)),
        )
        .filter((pl.col("stop") > pl.col("first")) & (pl.col("value") != 0))
        .select("customer_id", "currency", "value", "first", "stop")
    )
    # Integer customer codes: grouping and sorting on them is what a tuned query does.
    subs = subs.with_columns(customer=pl.col("customer_id").cast(pl.Categorical).to_physical().cast(pl.Int64))
    foreign_customers = subs.filter(pl.col("currency") != reporting).select("customer").unique()

    # Domestic-only customers: change points from +value / -value events and a running sum.
    domestic = subs.join(foreign_customers, on="customer", how="anti")
    events = pl.concat(
        [
            domestic.select("customer", month="first", delta="value"),
            domestic.select("customer", month="stop", delta=-pl.col("value")),
        ]
    )
    domestic_levels = (
        events.group_by("customer", "month")
        .agg(pl.col("delta").sum())
        .sort("customer", "month")
        .with_columns(level=pl.col("delta").cum_sum().over("customer"))
        .filter(pl.col("month") <= last)
        .select("customer", "month", "level")
    )

    # Customers with a foreign subscription: every earning month, at that month's rate.
    rates = pl.scan_csv(folder / "fx_rates.csv").select(
        "currency", pl.col("rate").cast(pl.Float64), month=month_index(pl.col("month").str.to_date("%Y-%m"))
    )
    expanded = (
        subs.join(foreign_customers, on="customer", how="semi")
        .with_columns(month=pl.int_ranges("first", "stop", dtype=pl.Int32))
        .explode("month")
        .join(rates, on=["currency", "month"], how="left")
        .with_columns(rate=pl.when(pl.col("currency") == reporting).then(1.0).otherwise(pl.col("rate")))
        .group_by("customer", "month")
        .agg(level=(pl.col("value") * pl.col("rate")).sum())
    )
    # ... and a 0 in the month after a run of earning months, where the customer stops.
    stops = (
        expanded.select("customer", month=pl.col("month") + 1, level=pl.lit(0.0))
        .filter(pl.col("month") <= last)
        .join(expanded, on=["customer", "month"], how="anti")
    )
    levels = pl.concat([domestic_levels, expanded.select("customer", "month", "level"), stops])

    cents = pl.col("level").mul(100).add(0.500001).floor()
    same_customer = pl.col("customer") == pl.col("customer").shift(1)
    changes = (
        levels.with_columns(level=pl.when(cents > 0).then(pl.col("level")).otherwise(0.0))
        .sort("customer", "month")
        .with_columns(
            prev=pl.when(same_customer).then(pl.col("level").shift(1)).otherwise(0.0),
            first_change=~same_customer.fill_null(False),
        )
        .filter(pl.col("level") != pl.col("prev"))
        .with_columns(first_change=pl.col("customer") != pl.col("customer").shift(1).fill_null(-1))
    )
    cur, prev = pl.col("level"), pl.col("prev")
    cur_c, prev_c = cur.mul(100).add(0.500001).floor(), prev.mul(100).add(0.500001).floor()
    gained = (prev_c <= 0) & (cur_c > 0)
    new = gained & pl.col("first_change")  # a customer's first change is its first paying month
    stayed = (prev_c > 0) & (cur_c > 0)
    moved = stayed & ((cur - prev).abs() > 1e-9 * pl.max_horizontal(cur, prev))
    out = (
        changes.group_by("month")
        .agg(
            delta=(cur - prev).sum(),
            net_customers=(cur_c > 0).cast(pl.Int64).sum() - (prev_c > 0).cast(pl.Int64).sum(),
            new_mrr=cur.filter(new).sum(),
            new_customers=new.sum(),
            reactivation_mrr=cur.filter(gained & ~new).sum(),
            reactivated_customers=(gained & ~new).sum(),
            churned_mrr=prev.filter((prev_c > 0) & (cur_c <= 0)).sum(),
            churned_customers=((prev_c > 0) & (cur_c <= 0)).sum(),
            expansion_mrr=(cur - prev).filter(moved & (cur > prev)).sum(),
            contraction_mrr=(prev - cur).filter(moved & (cur < prev)).sum(),
        )
        .sort("month")
        .with_columns(mrr=pl.col("delta").cum_sum(), customers=pl.col("net_customers").cum_sum())
        .with_columns(
            month=pl.format("{}-{}", pl.col("month") // 12, (pl.col("month") % 12 + 1).cast(pl.Utf8).str.zfill(2))
        )
        .drop("delta", "net_customers")
    )
    return out.collect()


def main() -> None:
    folder = Path(sys.argv[1])
    as_of = sys.argv[2] if len(sys.argv) > 2 else "2025-12"
    print(json.dumps(monthly(folder, as_of).to_dicts()))


if __name__ == "__main__":
    main()
