"""Time ``MRR_TABLE`` on a 50,000-row subscriptions range, as Excel hands it over.

    python benchmarks/run_range_benchmark.py [--rows 50000] [--repeat 5]

The range is what xlwings passes a worksheet function: a list of row lists, the header
first, numbers as floats, date cells as ``datetime``, blanks as ``None``.  Reports the best
CPU time of a call (it reruns on every recalculation; CPU time, because helpers and
other work share the machine) and of reading the range alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd
from make_ledger import make_ledger

from kpi_addin.excel import functions
from kpi_addin.io.ranges import company_from_ranges


def excel_range(frame: pd.DataFrame) -> list[list[object]]:
    rows: list[list[object]] = [list(frame.columns)]
    for record in frame.itertuples(index=False):
        row = []
        for value in record:
            if isinstance(value, pd.Timestamp):
                row.append(dt.datetime(value.year, value.month, value.day))
            elif value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
                row.append(None)
            elif isinstance(value, np.integer | int) and not isinstance(value, bool):
                row.append(float(value))
            else:
                row.append(value.item() if isinstance(value, np.generic) else value)
        rows.append(row)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    ledger = make_ledger(args.rows, int(args.rows * 0.6), 36)
    subs = excel_range(ledger["subscriptions"])
    fx = excel_range(ledger["fx_rates"])
    as_of = str(ledger["settings"].set_index("key").loc["as_of", "value"])
    best_call, best_read = float("inf"), float("inf")
    for _ in range(args.repeat):
        t = time.process_time()
        table = functions.MRR_TABLE(subs, fx, as_of)
        best_call = min(best_call, time.process_time() - t)
        t = time.process_time()
        company_from_ranges(subs, fx, as_of)
        best_read = min(best_read, time.process_time() - t)
    assert len(table) == 37 and table[0][0] == "month", table[:2]
    print(
        f"MRR_TABLE on {args.rows:,} rows: {best_call:.3f} s CPU (best of {args.repeat}); "
        f"reading the range {best_read:.3f} s"
    )


if __name__ == "__main__":
    main()
