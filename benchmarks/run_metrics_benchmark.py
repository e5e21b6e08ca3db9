"""Time ``kpi-addin metrics --format json`` on a 1,000,000-subscription ledger as a whole
process, beside the DuckDB SQL yardstick, and check that both give the same numbers.

    python benchmarks/run_metrics_benchmark.py [--repeat 3]

Reports wall time (best of N), peak resident memory (the process's max RSS) and the ratio
to DuckDB.  Generates the ledger first if it is not there.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "1m"


def measure(command: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one run of ``command`` in a fresh wrapper process."""
    wrapper = (
        "import resource, subprocess, sys, time, json;"
        "t = time.perf_counter();"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "s = time.perf_counter() - t;"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024;"
        "sys.stderr.write(p.stderr); sys.stdout.write(json.dumps([s, rss, p.stdout, p.returncode]))"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True)
    seconds, rss, out, code = json.loads(done.stdout)
    if code != 0:
        raise SystemExit(f"{command} failed:\n{done.stderr}")
    return seconds, rss, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (DATA / "subscriptions.csv").exists():
        subprocess.run([sys.executable, str(HERE / "make_ledger.py"), "--out", str(DATA)], check=True)
    ours = [
        measure([sys.executable, "-m", "kpi_addin.cli", "metrics", "--data", str(DATA), "--format", "json"])
        for _ in range(args.repeat)
    ]
    theirs = [measure([sys.executable, str(HERE / "duckdb_mrr.py"), str(DATA), "2025-12"]) for _ in range(args.repeat)]
    best_ours, best_theirs = min(o[0] for o in ours), min(t[0] for t in theirs)
    print(
        f"kpi-addin metrics --format json : {best_ours:.2f} s (best of {args.repeat}), "
        f"peak RSS {max(o[1] for o in ours):.0f} MB"
    )
    print(
        f"DuckDB SQL (same conventions)   : {best_theirs:.2f} s (best of {args.repeat}), "
        f"peak RSS {max(t[1] for t in theirs):.0f} MB"
    )
    print(f"ratio kpi-addin / DuckDB         : {best_ours / best_theirs:.2f}")

    months = {m["month"]: m for m in json.loads(ours[0][2])["months"]}
    mismatches = 0
    for row in json.loads(theirs[0][2]):
        mine = months[row["month"]]
        for key, value in row.items():
            if key == "month":
                continue
            expected = value or 0
            if not math.isclose(mine[key] or 0, expected, rel_tol=1e-9, abs_tol=1e-6):
                mismatches += 1
                print(f"  differs: {row['month']} {key}: kpi-addin {mine[key]} vs DuckDB {expected}")
    print(f"cross-check against DuckDB: {len(months)} months, {mismatches} differing values")


if __name__ == "__main__":
    main()
