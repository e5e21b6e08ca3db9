"""Time ``kpi-addin metrics --format json`` with and without ``--by plan`` on a generated ledger.

    python benchmarks/segments_benchmark.py [--case 1m] [--repeat 3] [--by plan] [--profile]

The issue asks for ``--by plan`` within 1.5× the time without it on the 1,000,000-subscription
ledger of ``make_ledger.py`` (600,000 customers, 36 months, 6 plans; made on first use under
``benchmarks/data/``).  Both commands run as whole processes, alternately, ``--repeat`` rounds
(a busy machine slows each alike); the table shows the best wall time, the CPU time of that
run and the peak resident memory, and the ratio of the best times.  The company's months of
both outputs must be identical (``--by`` only adds the ``segments`` object), and the segments'
MRR must add up to the company's in every month (to 1e-6 relative), or the benchmark fails.

``--profile`` also times the steps of ``segment_report`` in-process (reading excluded).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from run_metrics_benchmark import CASES, ledger, measure


def check(plain: str, by: str) -> None:
    """The company's figures are the same with ``--by``; the segments' MRR adds up to the company's."""
    company, segmented = json.loads(plain), json.loads(by)
    if company["months"] != segmented["months"]:
        raise SystemExit("--by changed the company's figures")
    totals: dict[str, float] = {}
    for row in segmented["segments"]["months"]:
        totals[row["month"]] = totals.get(row["month"], 0.0) + row["mrr"]
    for month in company["months"]:
        if not math.isclose(totals[month["month"]], month["mrr"], rel_tol=1e-6, abs_tol=0.01):
            raise SystemExit(f"{month['month']}: the segments' MRR {totals[month['month']]} is not {month['mrr']}")


def profile(folder: Path, by: str) -> None:
    import cProfile
    import pstats

    from kpi_addin.io.reader import read_company_data
    from kpi_addin.metrics import monthly_kpis
    from kpi_addin.metrics.segments import segment_report

    company = read_company_data(folder)[0]
    t = time.perf_counter()
    report = monthly_kpis(company)
    print(f"monthly_kpis: {time.perf_counter() - t:.2f} s")
    profiler = cProfile.Profile()
    t = time.perf_counter()
    profiler.enable()
    segment_report(company, report, [by])
    profiler.disable()
    print(f"segment_report: {time.perf_counter() - t:.2f} s")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", default="1m", choices=sorted(CASES))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--by", default="plan")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    folder = ledger(args.case)
    base = [sys.executable, "-m", "kpi_addin", "metrics", "--format", "json", "--data", str(folder)]
    commands = {"without --by": base, f"--by {args.by}": [*base, "--by", args.by]}
    best: dict[str, tuple[float, float, float]] = {}
    outputs: dict[str, str] = {}
    for _ in range(args.repeat):
        for name, command in commands.items():
            seconds, rss, out, cpu = measure(command)
            outputs[name] = out
            if name not in best or seconds < best[name][0]:
                best[name] = (seconds, cpu, rss)
    check(*outputs.values())
    print(f"case {args.case}: {CASES[args.case][0]:,} subscriptions, best of {args.repeat}")
    print(f"{'command':<16}{'wall s':>9}{'cpu s':>9}{'peak MB':>10}")
    for name, (seconds, cpu, rss) in best.items():
        print(f"{name:<16}{seconds:>9.2f}{cpu:>9.2f}{rss:>10.0f}")
    plain, by = (best[name][0] for name in commands)
    print(f"ratio: {by / plain:.2f}x (the issue asks for 1.5x or less)")
    if args.profile:
        profile(folder, args.by)


if __name__ == "__main__":
    main()
