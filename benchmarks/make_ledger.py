"""Write a large synthetic ledger as a canonical CSV folder (vectorised, seeded).

    python benchmarks/make_ledger.py --subscriptions 1000000 --customers 600000 --months 36 --out benchmarks/data/1m

Every customer has one subscription; the remaining ones are plan changes on the same
day (expansion / contraction), returns after a gap (reactivation) or add-ons that
overlap.  Monthly / quarterly / annual / weekly intervals, seats, trials, and 10 % of
customers billed in EUR with a rate per month.  A ``plan`` column names each price
(Starter … Enterprise), for ``kpi-addin metrics --by plan``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

#: monthly price → plan name (the plan column; no random draw, so the other columns are as before)
PLANS = {29.0: "Starter", 49.0: "Basic", 99.0: "Growth", 149.0: "Pro", 299.0: "Scale", 499.0: "Enterprise"}


def make_ledger(n_subs: int, n_customers: int, n_months: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    # Histories end in December 2025 (an as_of that has happened), however long they are.
    start_month = pd.Period("2025-12", "M") - (n_months - 1)
    first = np.datetime64(start_month.start_time.date(), "D")
    span_days = n_months * 31
    span_days = min(span_days, n_months * 30)
    cust = np.arange(n_customers)
    extra = n_subs - n_customers
    owner = np.concatenate([cust, rng.choice(cust, size=extra, replace=False if extra <= n_customers else True)])
    kind = np.concatenate([np.zeros(n_customers, int), rng.choice([1, 2, 3], size=extra, p=[0.5, 0.3, 0.2])])
    start_day = rng.integers(0, span_days, size=n_customers)
    life = rng.exponential(420, size=n_customers).astype(int) + 1
    base_start = start_day[owner]
    base_end = base_start + life[owner]
    # kind 1: plan change on the first subscription's end day; 2: return after a gap; 3: overlapping add-on
    change_day = base_end
    gap = rng.integers(40, 200, size=len(owner))
    start = np.where(
        kind == 0, base_start, np.where(kind == 1, change_day, np.where(kind == 2, base_end + gap, base_start + 15))
    )
    length = rng.exponential(500, size=len(owner)).astype(int) + 1
    end = start + length
    open_ended = rng.random(len(owner)) < 0.35
    ends_day = np.where(kind == 0, base_end, end)
    has_end = ~open_ended | (kind == 0) & (np.isin(owner, owner[kind == 1]) | np.isin(owner, owner[kind == 2]))
    interval = rng.choice(np.array(["month", "quarter", "year", "week"]), size=len(owner), p=[0.7, 0.1, 0.19, 0.01])
    monthly_price = rng.choice(np.array([29.0, 49.0, 99.0, 149.0, 299.0, 499.0]), size=len(owner))
    factor = pd.Series(interval).map({"month": 1.0, "quarter": 3.0, "year": 10.0, "week": 0.25}).to_numpy()
    amount = np.round(monthly_price * factor, 2)
    quantity = rng.choice(np.array([1, 1, 1, 2, 3, 5]), size=len(owner))
    euro_customer = rng.random(n_customers) < 0.1
    currency = np.where(euro_customer[owner], "EUR", "USD")
    trial = (kind == 0) & (rng.random(len(owner)) < 0.2)
    days = np.timedelta64(1, "D")
    subs = pd.DataFrame(
        {
            "customer_id": pd.Series(owner).map(lambda i: f"C{i:07d}")
            if len(owner) < 50_000
            else np.char.add("C", np.char.zfill(owner.astype(str), 7)),
            "plan": pd.Categorical(monthly_price, categories=list(PLANS)).rename_categories(list(PLANS.values())),
            "amount": amount,
            "interval": interval,
            "quantity": quantity,
            "currency": currency,
            "start_date": first + start * days,
            "end_date": pd.Series(first + ends_day * days).where(has_end),
            "trial_end": pd.Series(first + (start + 14) * days).where(trial),
        }
    )
    months = pd.period_range(start_month, periods=n_months, freq="M")
    fx = pd.DataFrame(
        {
            "currency": "EUR",
            "rate": np.round(1.08 + 0.03 * np.sin(np.arange(n_months) / 4), 4),
            "month": months.strftime("%Y-%m"),
        }
    )
    settings = pd.DataFrame({"key": ["reporting_currency", "as_of"], "value": ["USD", str(months[-1])]})
    return {"subscriptions": subs, "fx_rates": fx, "settings": settings}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subscriptions", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=600_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/data/1m"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name, frame in make_ledger(args.subscriptions, args.customers, args.months).items():
        frame.to_csv(args.out / f"{name}.csv", index=False, date_format="%Y-%m-%d")
        print(f"wrote {args.out / name}.csv ({len(frame):,} rows)")


if __name__ == "__main__":
    main()
