"""Generate the bundled sample company (``kpi_addin/sample_data/*.csv``).

A fictional SaaS company over 24 months (2024-01 .. 2025-12): a few hundred customers
on monthly, quarterly and annual plans, in USD and EUR, with trials, upgrades,
downgrades, cancellations and reactivations, and every optional sheet filled.
Deterministic (seeded): run it again and the files do not change.

    python scripts/generate_sample.py
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "kpi_addin" / "sample_data"
FIRST = dt.date(2024, 1, 1)
MONTHS = 24
PLANS = {"Starter": 49.0, "Growth": 149.0, "Scale": 499.0}
EUR_PRICES = {"Starter": 45.0, "Growth": 139.0, "Scale": 459.0}
ORDER = list(PLANS)
INTERVAL_MONTHS = {"month": 1, "quarter": 3, "year": 12}
FIRST_NAMES = [
    "Acme",
    "Blue",
    "Cobalt",
    "Delta",
    "Echo",
    "Fjord",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kite",
    "Lumen",
    "Maple",
    "Nimbus",
    "Orbit",
    "Pioneer",
    "Quartz",
    "Raven",
    "Summit",
    "Tidal",
    "Umber",
    "Vertex",
    "Willow",
    "Xenon",
    "Yonder",
    "Zephyr",
]
LAST_NAMES = [
    "Analytics",
    "Labs",
    "Logistics",
    "Health",
    "Foods",
    "Studio",
    "Systems",
    "Partners",
    "Retail",
    "Robotics",
    "Media",
    "Energy",
    "Travel",
    "Capital",
    "Works",
]


def add_months(day: dt.date, months: int) -> dt.date:
    year, month = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + year, month + 1, min(day.day, 28))


def month_start(index: int) -> dt.date:
    return add_months(FIRST, index)


def price(plan: str, interval: str, currency: str) -> float:
    monthly = (EUR_PRICES if currency == "EUR" else PLANS)[plan]
    if interval == "year":
        return monthly * 10  # two months free
    if interval == "quarter":
        return round(monthly * 3 * 0.95, 2)
    return monthly


def main() -> None:
    rng = np.random.default_rng(20240101)
    end_of_data = month_start(MONTHS)  # 2026-01-01: nothing after this
    subscriptions: list[dict[str, object]] = []
    trials_by_month = np.zeros(MONTHS, dtype=int)
    converted_pqls = np.zeros(MONTHS, dtype=int)
    customer_number = 0
    for m in range(MONTHS):
        for _ in range(int(rng.poisson(11 + m * 0.6))):
            customer_number += 1
            cid = f"C{customer_number:04d}"
            name = f"{FIRST_NAMES[rng.integers(len(FIRST_NAMES))]} {LAST_NAMES[rng.integers(len(LAST_NAMES))]}"
            currency = "EUR" if rng.random() < 0.25 else "USD"
            plan = rng.choice(ORDER, p=[0.55, 0.35, 0.10])
            interval = rng.choice(["month", "quarter", "year"], p=[0.7, 0.1, 0.2])
            seats = int(rng.choice([1, 1, 1, 2, 3, 5])) if plan == "Growth" else 1
            day = add_months(FIRST, m).replace(day=int(rng.integers(1, 29)))
            trial = rng.random() < 0.4
            trial_end = day + dt.timedelta(days=14) if trial else None
            if trial:
                trials_by_month[m] += 1
                converted_pqls[m] += 1
            start = day
            cursor = day
            while cursor < end_of_data:
                months_in = INTERVAL_MONTHS[interval]
                # how many billing periods before the next event
                periods = 1
                while rng.random() > (0.06 if interval == "month" else 0.25) and periods < 40:
                    periods += 1
                event_day = add_months(cursor, periods * months_in)
                event = rng.choice(["churn", "upgrade", "downgrade"], p=[0.55, 0.3, 0.15])
                row = {
                    "customer_id": cid,
                    "customer_name": name,
                    "plan": plan,
                    "amount": price(plan, interval, currency),
                    "interval": interval,
                    "quantity": seats,
                    "currency": currency,
                    "start_date": start.isoformat(),
                    "end_date": "",
                    "trial_end": trial_end.isoformat() if trial_end and start == day else "",
                }
                if event_day >= end_of_data:
                    subscriptions.append(row)
                    break
                row["end_date"] = event_day.isoformat()
                subscriptions.append(row)
                position = ORDER.index(plan)
                if event == "upgrade" and position < 2:
                    plan = ORDER[position + 1]
                elif event == "upgrade" and plan == "Growth":
                    seats += 2
                elif event == "downgrade" and position > 0:
                    plan = ORDER[position - 1]
                    seats = 1
                elif event != "churn":
                    seats = seats + 1 if event == "upgrade" else max(1, seats - 1)
                if event == "churn":
                    if rng.random() < 0.2:  # comes back a few months later
                        event_day = add_months(event_day, int(rng.integers(2, 7)))
                        if event_day >= end_of_data:
                            break
                        plan = ORDER[int(rng.integers(0, 2))]
                        interval = "month"
                    else:
                        break
                start = cursor = event_day
    # a weekly pilot, to show the weekly normalisation
    subscriptions.append(
        {
            "customer_id": "C9001",
            "customer_name": "Weekly Pilot GmbH",
            "plan": "Pilot",
            "amount": 60.0,
            "interval": "week",
            "quantity": 1,
            "currency": "EUR",
            "start_date": "2025-06-02",
            "end_date": "2025-10-06",
            "trial_end": "",
        }
    )

    months = [month_start(i).strftime("%Y-%m") for i in range(MONTHS)]
    new_by_month = np.bincount(
        [
            int(
                (dt.date.fromisoformat(str(s["start_date"])).year - 2024) * 12
                + dt.date.fromisoformat(str(s["start_date"])).month
                - 1
            )
            for s in subscriptions
        ],
        minlength=MONTHS,
    )[:MONTHS]
    funnel, costs, nps_rows, fx = [], [], [], []
    for i, month in enumerate(months):
        visitors = int(38_000 * 1.03**i + rng.normal(0, 1500))
        leads = int(visitors * rng.uniform(0.018, 0.024))
        mql = int(leads * rng.uniform(0.38, 0.45))
        sal = int(mql * rng.uniform(0.65, 0.75))
        sql = int(sal * rng.uniform(0.55, 0.65))
        pql = int(trials_by_month[i] + rng.integers(8, 20))
        funnel.append(
            {
                "month": month,
                "visitors": visitors,
                "contacts": int(visitors * 0.06),
                "leads": leads,
                "mql": mql,
                "sal": sal,
                "sql": sql,
                "pql": pql,
                "pql_converted": int(converted_pqls[i]),
            }
        )
        costs.append(
            {
                "month": month,
                "sales": round(18_000 * 1.02**i + rng.normal(0, 800), 2),
                "marketing": round(12_000 * 1.025**i + rng.normal(0, 600), 2),
                "customer_success": round(5_000 * 1.02**i, 2),
                "infrastructure": round(3_200 * 1.03**i, 2),
                "retention_programs": round(900 + 40 * i, 2),
                "cogs": round(250 * 1.17**i, 2),
            }
        )
        for _ in range(int(rng.integers(30, 60))):
            score = int(rng.choice(range(11), p=[0.02, 0.01, 0.02, 0.03, 0.04, 0.06, 0.07, 0.15, 0.2, 0.2, 0.2]))
            day = month_start(i).replace(day=int(rng.integers(1, 29)))
            nps_rows.append({"date": day.isoformat(), "score": score, "respondent": f"R{len(nps_rows) + 1:05d}"})
        fx.append({"currency": "EUR", "rate": round(1.08 + 0.03 * np.sin(i / 4), 4), "month": month})
    fx.append({"currency": "EUR", "rate": 1.08, "month": ""})  # the fallback rate for any other month
    balance = []
    for q in range(8):
        growth = 1.06**q
        balance.append(
            {
                "period": month_start(q * 3 + 2).strftime("%Y-%m"),
                "current_assets": round(1_400_000 * growth, 2),
                "inventories": round(25_000 * growth, 2),
                "current_liabilities": round(620_000 * 1.03**q, 2),
                "total_liabilities": round(900_000 * 1.03**q, 2),
                "shareholders_equity": round(1_150_000 * growth, 2),
                "total_assets": round(2_050_000 * 1.045**q, 2),
                "ebit": round(-60_000 + 35_000 * q, 2),
                "interest_expense": 12_000.0,
            }
        )
    targets = [
        {"kpi": "mrr", "target": 120_000, "direction": "higher", "due": "2025-12"},
        {"kpi": "customer_churn_rate_3m", "target": 0.02, "direction": "lower", "due": ""},
        {"kpi": "revenue_churn_rate_3m", "target": 0.02, "direction": "lower", "due": ""},
        {"kpi": "nrr_12m", "target": 1.0, "direction": "higher", "due": ""},
        {"kpi": "ltv_cac_trailing", "target": 3.0, "direction": "higher", "due": ""},
        {"kpi": "cac_payback_months", "target": 12, "direction": "lower", "due": ""},
        {"kpi": "nps", "target": 40, "direction": "higher", "due": "2026-06"},
        {"kpi": "saas_quick_ratio", "target": 4.0, "direction": "higher", "due": ""},
        {"kpi": "current_ratio", "target": 2.0, "direction": "higher", "due": ""},
    ]
    plan = budget()
    # as_of is not pinned: a user who appends 2026 data sees 2026 (the note says how to pin it)
    settings = [
        {"key": "reporting_currency", "value": "USD", "note": "The currency every figure is reported in."},
        {
            "key": "company",
            "value": "Northwind Cloud Inc.",
            "note": "To pin the reporting month add a row: as_of, YYYY-MM (without it: the last complete "
            "month, up to the month the data runs through). data_through, YYYY-MM says the data runs "
            "through a later month than its latest date (a ledger exported later, with no changes since).",
        },
    ]
    del new_by_month
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in [
        ("subscriptions", subscriptions),
        ("funnel", funnel),
        ("costs", costs),
        ("nps", nps_rows),
        ("balance_sheet", balance),
        ("targets", targets),
        ("fx_rates", fx),
        ("plan", plan),
        ("settings", settings),
    ]:
        with open(OUT / f"{name}.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        print(f"{name}: {len(rows)} rows")


def budget() -> list[dict[str, object]]:
    """The 2025 budget, as it was set at the end of 2024 from 2024's second half.

    From the 2024-12 close (MRR 30,118, 139 customers): new MRR 3,400 in January (the H2
    mean was 3,124), growing 3 % a month; net expansion (expansion − contraction +
    reactivation) 290 a month (H2: 289); churned MRR 4.5 % of the month's opening MRR (H2
    revenue churn 4.75 %); 17 new customers a month (H2: 15.3) and 3 % of the opening
    customers churned (H2: 3.2 %); sales 23,000 and marketing 16,000 in January (H2 ended
    at 22,594 and 15,807), each growing 2 % a month.  MRR and money are rounded to tens,
    costs to hundreds.
    """
    mrr, customers = 30_118.0, 139
    rows: list[dict[str, object]] = []
    for i in range(12):
        new = round(3_400 * 1.03**i, -1)
        churned = round(0.045 * mrr, -1)
        mrr = round(mrr + new + 290 - churned, -1)
        customers = customers + 17 - round(0.03 * customers)
        rows.append(
            {
                "month": f"2025-{i + 1:02d}",
                "scenario": "budget",
                "mrr": int(mrr),
                "new_mrr": int(new),
                "churned_mrr": int(churned),
                "customers": customers,
                "sales": int(round(23_000 * 1.02**i, -2)),
                "marketing": int(round(16_000 * 1.02**i, -2)),
            }
        )
    return rows


if __name__ == "__main__":
    main()
