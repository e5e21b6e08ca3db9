"""Databases at scale: ``--engine database`` on a big DuckDB ledger beside the local engine,
and a ledger read from Postgres beside the same ledger read from CSV.

    python benchmarks/warehouse_benchmark.py duckdb --subscriptions 20000000 --months 120
    python benchmarks/warehouse_benchmark.py postgres --subscriptions 1000000 --months 36

Ledgers come from ``make_ledger.py`` (600,000 customers per million subscriptions, 10 % in
EUR with a rate per month), built in chunks of 2M so that building one never holds the
whole ledger; each chunk's customers are its own.  Each command runs as a fresh process
(``kpi-addin metrics --format json``); the table shows its wall time, CPU time and peak
resident memory (the process's max RSS).  The engines' JSON must agree (money to the cent,
counts exactly, rates to 1e-9) or the benchmark fails.  DuckDB runs with
``?memory_limit=...&threads=2`` in its URL: it spills to disk past the limit.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_ledger import make_ledger  # noqa: E402

CHUNK = 2_000_000


def measure(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, float, str]:
    """(wall seconds, CPU seconds, peak RSS in MB, stdout) of ``command``, run by a fresh wrapper
    process whose children's usage is that command's alone."""
    wrapper = (
        "import resource, subprocess, sys, time, json;"
        "t = time.perf_counter();"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "s = time.perf_counter() - t;"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "sys.stderr.write(p.stderr);"
        "sys.stdout.write(json.dumps([s, u.ru_utime + u.ru_stime, u.ru_maxrss / 1024, p.stdout, p.returncode]))"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *command], capture_output=True, text=True, env=env)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)}: the wrapper failed:\n{done.stderr}")
    wall, cpu, rss, out, code = json.loads(done.stdout)
    if code:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return wall, cpu, rss, out


def build_duckdb(path: Path, n_subs: int, n_months: int) -> str:
    """A DuckDB file with tables ``ledger`` and ``fx_rates``; returns the last month (as-of)."""
    import duckdb
    import pyarrow as pa

    if path.exists():
        path.unlink()
    conn = duckdb.connect(str(path))
    as_of = ""
    for chunk, offset in enumerate(range(0, n_subs, CHUNK)):
        size = min(CHUNK, n_subs - offset)
        frames = make_ledger(size, int(size * 0.6), n_months, seed=chunk + 1)
        subs = frames["subscriptions"]
        subs["customer_id"] = f"K{chunk:03d}" + subs["customer_id"].astype(str)
        table = pa.Table.from_pandas(subs, preserve_index=False)
        for name in ("start_date", "end_date", "trial_end"):
            table = table.set_column(table.schema.get_field_index(name), name, table[name].cast(pa.date32()))
        conn.register("chunk", table)
        if chunk == 0:
            conn.execute("CREATE TABLE ledger AS SELECT * FROM chunk")
            fx = frames["fx_rates"]
            conn.register("fx", pa.Table.from_pandas(fx, preserve_index=False))
            conn.execute("CREATE TABLE fx_rates AS SELECT * FROM fx")
            as_of = str(frames["settings"].set_index("key").loc["as_of", "value"])
        else:
            conn.execute("INSERT INTO ledger SELECT * FROM chunk")
        conn.unregister("chunk")
        print(f"  {offset + size:,} subscriptions written", flush=True)
    conn.close()
    return as_of


def compare(ours: str, theirs: str) -> int:
    """Values that differ: money by more than a cent, counts at all, rates by more than 1e-9."""
    a = {m["month"]: m for m in json.loads(ours)["months"]}
    b = {m["month"]: m for m in json.loads(theirs)["months"]}
    differing = 0
    if list(a) != list(b):
        return 1
    for month, row in a.items():
        for key, value in row.items():
            other = b[month][key]
            if key == "month" or (value is None and other is None):
                continue
            if value is None or other is None:
                differing += 1
            elif isinstance(value, int):
                differing += value != other
            elif key.endswith("mrr") or key in ("arr", "arpu", "ltv", "ltv_trailing", "cac", "cac_trailing"):
                differing += abs(value - other) > 0.005
            else:
                differing += not math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-12)
    return differing


def row(name: str, wall: float, cpu: float, rss: float) -> str:
    return f"| {name} | {wall:.1f} s | {cpu:.1f} s | {rss:,.0f} MB |"


def run_duckdb(args: argparse.Namespace) -> None:
    path = HERE / "data" / f"ledger_{args.subscriptions}_{args.months}.duckdb"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or args.rebuild:
        as_of = build_duckdb(path, args.subscriptions, args.months)
    else:
        as_of = "2025-12"
    url = f"duckdb:///{path}?memory_limit={args.memory_limit}&threads=2"
    base = ["kpi-addin", "metrics", "--format", "json", "--as-of", as_of, "--db", "env:KPI_BENCH_DB"]
    base += ["--table", "subscriptions=ledger", "--table", "fx_rates=fx_rates"]
    env = {**os.environ, "KPI_BENCH_DB": url}
    print(f"| DuckDB ledger, {args.subscriptions:,} subscriptions × {args.months} months | wall | CPU | peak memory |")
    print("| --- | --- | --- | --- |")
    wall, cpu, rss, database = measure([*base, "--engine", "database"], env)
    print(row("`--engine database`", wall, cpu, rss), flush=True)
    if args.local:
        wall, cpu, rss, local = measure(base, env)
        print(row("local engine (the ledger read over the connection)", wall, cpu, rss), flush=True)
        differing = compare(local, database)
        print(f"values that differ between the engines: {differing}")
        if differing:
            raise SystemExit(1)


def run_postgres(args: argparse.Namespace) -> None:
    """The same ledger from CSV and from a real Postgres server (started here, as the tests do)."""
    sys.path.insert(0, str(HERE.parent))
    import pyarrow.csv as pa_csv

    from kpi_addin.io.database import connection, parse_url
    from tests.postgres import postgres_server

    folder = HERE / "data" / f"csv_{args.subscriptions}_{args.months}"
    if not (folder / "subscriptions.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in make_ledger(args.subscriptions, int(args.subscriptions * 0.6), args.months).items():
            frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    with postgres_server() as url:
        with connection(parse_url(url)) as conn:
            for name in ("subscriptions", "fx_rates", "settings"):
                options = pa_csv.ConvertOptions(strings_can_be_null=True)
                conn.ingest(name, pa_csv.read_csv(folder / f"{name}.csv", convert_options=options))
        env = {**os.environ, "KPI_BENCH_DB": url}
        tables = ["--table", "subscriptions=subscriptions", "--table", "fx_rates=fx_rates"]
        tables += ["--table", "settings=settings"]
        print(f"| {args.subscriptions:,} subscriptions × {args.months} months | wall | CPU | peak memory |")
        print("| --- | --- | --- | --- |")
        results = {}
        metrics = ["kpi-addin", "metrics", "--format", "json"]
        for name, command in (
            ("CSV folder, local engine", [*metrics, "--data", str(folder)]),
            ("Postgres, local engine", [*metrics, "--db", "env:KPI_BENCH_DB", *tables]),
            ("Postgres, `--engine database`", [*metrics, "--db", "env:KPI_BENCH_DB", *tables, "--engine", "database"]),
        ):
            best = None
            for _ in range(args.repeat):
                wall, cpu, rss, out = measure(command, env)
                best = min(best or (wall, cpu, rss), (wall, cpu, rss))
                results[name] = out
            assert best is not None
            print(row(name, *best), flush=True)
        first = next(iter(results.values()))
        differing = sum(compare(first, other) for other in results.values())
        print(f"values that differ from the CSV run: {differing}")
        if differing:
            raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["duckdb", "postgres"])
    parser.add_argument("--subscriptions", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--memory-limit", default="600MB", help="DuckDB's memory_limit (it spills past it)")
    parser.add_argument("--local", action="store_true", help="also run the local engine (needs memory)")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    run_duckdb(args) if args.kind == "duckdb" else run_postgres(args)


if __name__ == "__main__":
    main()
