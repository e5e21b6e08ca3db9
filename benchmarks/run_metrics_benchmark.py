"""Time ``kpi-addin metrics --format json`` as a whole process beside three yardsticks — our
own Polars query, the shared tuned Polars (``shared/yardsticks/polars_mrr.py``: lazy, change
points, every core) and DuckDB SQL, same conventions — and check all agree value by value.
Beside them, the ``pandas floor``: Python started, pandas imported and the subscriptions read
into a DataFrame by pyarrow, nothing computed (what any pandas-interface library pays first).

    python benchmarks/run_metrics_benchmark.py [--cases 1m,1m_30y,3m,1m_by_plan] [--repeat 3]
        [--tuned-polars PATH] [--tools kpi-addin,tuned Polars]

The tuned Polars lives outside this repository (the steering repository's ``shared/``);
``--tuned-polars`` names it, by default ``../shared/yardsticks/polars_mrr.py`` beside the
checkout; when it is absent that column is left out with a note.

``1m_by_plan`` runs ``metrics --by plan`` on the 1M ledger beside ``metrics`` without it
(the ratio of the two is the cost of the segments) and the tuned Polars.  Our package is
byte-compiled first (``compileall``), as an installed package is: a sandbox that sets
``PYTHONDONTWRITEBYTECODE`` would otherwise make every run compile our modules again.

Each case is a generated ledger (``make_ledger.py``; made on first use under
``benchmarks/data/``).  The tools run alternately, ``--repeat`` rounds, so a busy machine
slows each alike; the table shows the best wall time, the CPU time of that run (user +
system, all threads), the peak resident memory (the process's max RSS) and the ratios of
kpi-addin's best time to each yardstick's.  Any value that differs from kpi-addin's by
more than 1e-9 (relative) fails the benchmark (exit status 1).
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

#: case → (subscriptions, customers, months)
CASES = {
    "1m": (1_000_000, 600_000, 36),
    "1m_30y": (1_000_000, 600_000, 360),
    "3m": (3_000_000, 1_800_000, 36),
    "3m_20y": (3_000_000, 1_800_000, 240),
}
#: cases that run kpi-addin with extra options on another case's ledger
VARIANTS = {"1m_by_plan": ("1m", ["--by", "plan"])}
#: Run a script (argv[1:]) after ``import pandas``.
AFTER_PANDAS = "import runpy, sys, pandas; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
#: The least any pandas-interface library pays before computing anything: start Python, import
#: pandas, read the subscriptions CSV with pyarrow into a DataFrame (no validation, no figure).
PANDAS_FLOOR = "import sys, pandas, pyarrow.csv as csv; csv.read_csv(sys.argv[1] + '/subscriptions.csv').to_pandas()"


def measure(command: list[str]) -> tuple[float, float, str, float]:
    """(seconds, peak RSS in MB, stdout, CPU seconds) of one run of ``command`` in a fresh wrapper process."""
    wrapper = (
        "import resource, subprocess, sys, time, json;"
        "t = time.perf_counter();"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "s = time.perf_counter() - t;"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "sys.stderr.write(p.stderr);"
        "sys.stdout.write(json.dumps([s, u.ru_maxrss / 1024, p.stdout, p.returncode, u.ru_utime + u.ru_stime]))"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, check=True)
    seconds, rss, out, code, cpu = json.loads(done.stdout)
    if code != 0:
        raise SystemExit(f"{command} failed:\n{done.stderr}")
    return seconds, rss, out, cpu


def ledger(case: str) -> Path:
    folder = HERE / "data" / case
    if not (folder / "subscriptions.csv").exists():
        subs, customers, months = CASES[case]
        sizes = ["--subscriptions", str(subs), "--customers", str(customers), "--months", str(months)]
        subprocess.run([sys.executable, str(HERE / "make_ledger.py"), *sizes, "--out", str(folder)], check=True)
    return folder


def as_of(folder: Path) -> str:
    for line in (folder / "settings.csv").read_text().splitlines():
        key, _, value = line.partition(",")
        if key == "as_of":
            return value
    raise SystemExit(f"{folder}/settings.csv has no as_of")


def compare(ours: str, theirs: str, name: str) -> int:
    """Print and count the values of a yardstick that differ from kpi-addin's.

    The yardsticks have no FX impact line: they book a customer's change due to exchange
    rates inside expansion and contraction.  So their net of the two is compared with our
    expansion − contraction + fx_mrr (one value, ``net_expansion``), not each one alone.
    """
    months = {m["month"]: m for m in json.loads(ours)["months"]}
    rows = json.loads(theirs)
    mismatches = 0
    for row in rows:
        mine = months.get(row["month"])
        if mine is None:
            mismatches += 1
            print(f"  {name}: month {row['month']} is not in kpi-addin's output")
            continue
        row, mine = dict(row), dict(mine)
        if "expansion_mrr" in row and "contraction_mrr" in row:
            row["net_expansion"] = (row.pop("expansion_mrr") or 0) - (row.pop("contraction_mrr") or 0)
            mine["net_expansion"] = mine["expansion_mrr"] - mine["contraction_mrr"] + mine["fx_mrr"]
        for key, value in row.items():
            if key == "month":
                continue
            expected = value or 0
            if not math.isclose(mine[key] or 0, expected, rel_tol=1e-9, abs_tol=1e-6):
                mismatches += 1
                if mismatches <= 10:
                    print(f"  {name} differs: {row['month']} {key}: kpi-addin {mine[key]} vs {name} {expected}")
    values = sum(len(r) - 1 for r in rows)
    print(f"  cross-check against {name}: {len(rows)} months, {values} values, {mismatches} differing")
    return mismatches


def versions() -> None:
    """The library versions the figures were measured with (docs/performance.md quotes them)."""
    import importlib.metadata as md

    found = []
    for name in ("pandas", "numpy", "pyarrow", "polars", "duckdb"):
        try:
            found.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            found.append(f"{name} absent")
    print(f"Python {sys.version.split()[0]}; " + ", ".join(found))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", default="1m,1m_30y,3m,1m_by_plan")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--duckdb", default="1m,3m", help="Cases DuckDB runs on (it slows and swells with months).")
    shared = HERE.parents[1] / "shared" / "yardsticks" / "polars_mrr.py"
    parser.add_argument("--tuned-polars", type=Path, default=shared, help="The shared tuned Polars yardstick.")
    parser.add_argument(
        "--tools", default="", help="Only these tools (comma-separated names), e.g. kpi-addin,tuned Polars."
    )
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(HERE.parent / "kpi_addin")], check=True)
    tuned = args.tuned_polars if args.tuned_polars.exists() else None
    if tuned is None:
        print(f"note: no tuned Polars at {args.tuned_polars}; that yardstick is left out")
    versions()
    failed = 0
    table = []
    for case in args.cases.split(","):
        base, extra = VARIANTS.get(case, (case, []))
        folder = ledger(base)
        month = as_of(folder)
        ours = [sys.executable, "-m", "kpi_addin", "metrics", "--data", str(folder), "--format", "json"]
        tools = {"kpi-addin": [*ours, *extra]}
        if extra:
            tools["kpi-addin without " + " ".join(extra)] = ours
        tools["Polars"] = [sys.executable, str(HERE / "polars_mrr.py"), str(folder), month]
        if tuned is not None:
            tools["tuned Polars"] = [sys.executable, str(tuned), str(folder), month]
            # The same, in a process that has imported pandas first: the least a Polars engine
            # behind our pandas interface (DataFrames in and out) would pay.
            tools["tuned Polars after import pandas"] = [
                sys.executable,
                "-c",
                AFTER_PANDAS,
                str(tuned),
                str(folder),
                month,
            ]
        tools["pandas floor"] = [sys.executable, "-c", PANDAS_FLOOR, str(folder)]
        if case in args.duckdb.split(","):
            tools["DuckDB"] = [sys.executable, str(HERE / "duckdb_mrr.py"), str(folder), month]
        if args.tools:
            wanted = args.tools.split(",")
            tools = {k: v for k, v in tools.items() if k in wanted or k.startswith("kpi-addin")}
        runs: dict[str, list[tuple[float, float, str, float]]] = {name: [] for name in tools}
        for _ in range(args.repeat):
            for name, command in tools.items():  # alternating: a busy spell slows every tool alike
                runs[name].append(measure(command))
        print(f"{case}: {CASES[base][0]:,} subscriptions, {CASES[base][2]} months {' '.join(extra)}")
        best = {name: min(r, key=lambda x: x[0]) for name, r in runs.items()}
        for name in tools:
            seconds, _rss, _out, cpu = best[name]
            peak = max(r[1] for r in runs[name])
            ratio = best["kpi-addin"][0] / seconds
            print(f"  {name:10} {seconds:6.2f} s (best of {args.repeat}), CPU {cpu:5.2f} s, peak RSS {peak:5.0f} MB")
            table.append((case, name, seconds, cpu, peak, ratio))
        for name in tools:
            if not name.startswith("kpi-addin") and name != "pandas floor":
                failed += compare(runs["kpi-addin"][0][2], runs[name][0][2], name)
    print("\n| case | tool | wall (best) | CPU | peak RSS | kpi-addin ÷ tool |")
    print("| --- | --- | --- | --- | --- | --- |")
    for case, name, seconds, cpu, peak, ratio in table:
        print(f"| {case} | {name} | {seconds:.2f} s | {cpu:.2f} s | {peak:.0f} MB | {ratio:.2f} |")
    if failed:
        raise SystemExit(f"{failed} value(s) differ from kpi-addin's: the benchmark fails")


if __name__ == "__main__":
    main()
