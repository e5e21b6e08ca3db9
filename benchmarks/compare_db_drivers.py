"""Which connection layer brings a ledger out of Postgres fastest: ADBC (Arrow, columnar on
the wire to the client) against psycopg 3 (rows as Python tuples, or COPY as CSV text), with
reading the same ledger from a CSV file as the yardstick.

    python benchmarks/compare_db_drivers.py [--subscriptions 1000000] [--repeat 3]

A Postgres server is started as the tests start it (tests/postgres.py).  Each way runs in
a fresh process, ``--repeat`` rounds alternating; the best wall time and that run's peak
resident memory are shown.  Each way must hand back the same number of rows and the same
sum of amounts.  psycopg is only needed here (``pip install 'psycopg[binary]'``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

COLUMNS = "customer_id, amount, interval, quantity, currency, start_date, end_date, trial_end"
WAYS = {
    "CSV file, pyarrow (the yardstick)": """
import pyarrow.csv as c
t = c.read_csv(FOLDER + '/subscriptions.csv').to_pandas()
""",
    "ADBC (adbc-driver-postgresql): Arrow": """
import adbc_driver_postgresql.dbapi as pg
with pg.connect(URL) as conn, conn.cursor() as cur:
    cur.execute('SELECT COLUMNS FROM subscriptions')
    t = cur.fetch_arrow_table().to_pandas()
""",
    "psycopg 3: rows (fetchall)": """
import pandas as pd, psycopg
with psycopg.connect(URL) as conn, conn.cursor() as cur:
    cur.execute('SELECT COLUMNS FROM subscriptions')
    t = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
""",
    "psycopg 3: COPY TO STDOUT (CSV) + pyarrow": """
import io, psycopg, pyarrow.csv as c
buf = io.BytesIO()
with psycopg.connect(URL) as conn, conn.cursor() as cur:
    with cur.copy('COPY (SELECT COLUMNS FROM subscriptions) TO STDOUT (FORMAT csv, HEADER)') as copy:
        for data in copy:
            buf.write(data)
buf.seek(0)
t = c.read_csv(buf).to_pandas()
""",
}
WRAP = """
import resource, time, json
start = time.perf_counter()
{body}
seconds = time.perf_counter() - start
print(json.dumps([seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, len(t), float(t['amount'].astype(float).sum())]))
"""  # noqa: E501


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import pyarrow.csv as pa_csv
    from make_ledger import make_ledger

    from kpi_addin.io.database import connection, parse_url
    from tests.postgres import postgres_server

    folder = HERE / "data" / f"csv_{args.subscriptions}_{args.months}"
    if not (folder / "subscriptions.csv").exists():
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in make_ledger(args.subscriptions, int(args.subscriptions * 0.6), args.months).items():
            frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    with postgres_server() as url:
        with connection(parse_url(url)) as conn:
            options = pa_csv.ConvertOptions(strings_can_be_null=True)
            conn.ingest("subscriptions", pa_csv.read_csv(folder / "subscriptions.csv", convert_options=options))
        best: dict[str, tuple[float, float]] = {}
        checks = set()
        for _ in range(args.repeat):
            for name, body in WAYS.items():
                code = WRAP.format(body=body.replace("COLUMNS", COLUMNS))
                code = code.replace("URL", repr(url)).replace("FOLDER", repr(str(folder)))
                done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
                seconds, rss, rows, total = json.loads(done.stdout)
                checks.add((rows, round(total, 2)))
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, rss)
        if len(checks) != 1:
            raise SystemExit(f"the ways disagree: {checks}")
        print(f"| {args.subscriptions:,} subscriptions (8 columns) | wall (best of {args.repeat}) | peak memory |")
        print("| --- | --- | --- |")
        for name, (seconds, rss) in best.items():
            print(f"| {name} | {seconds:.2f} s | {rss:,.0f} MB |")


if __name__ == "__main__":
    main()
