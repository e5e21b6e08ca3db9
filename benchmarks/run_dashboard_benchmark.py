"""Time ``kpi-addin dashboard`` on the 1,000,000-subscription ledger.

    python benchmarks/run_dashboard_benchmark.py [--include-ledger] [--modes] [--pdf]

Reports wall time, peak memory and file size of the dashboard without the ledger sheet
and, with ``--include-ledger``, with it.  ``--pdf`` also times ``--pdf`` (the board pack
through LibreOffice) with and without the ledger sheet, and prints the page count.
``--modes`` writes the ledger sheet alone with openpyxl's normal mode (what the dashboard uses)
and its write-only mode, to compare.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from run_metrics_benchmark import DATA, HERE, measure


def dashboard(out: Path, *extra: str) -> float:
    seconds, rss, *_ = measure(
        [sys.executable, "-m", "kpi_addin.cli", "dashboard", "--data", str(DATA), "--out", str(out), "--force", *extra]
    )
    print(
        f"kpi-addin dashboard {' '.join(extra) or '(no ledger sheet)'}: {seconds:.2f} s, peak RSS {rss:.0f} MB, "
        f"file {out.stat().st_size / 1e6:.1f} MB"
    )
    return seconds


def pdf(out: Path, *extra: str) -> None:
    """The board pack's extra time: the same build with and without --pdf."""
    without = dashboard(out, *extra)
    pack = out.with_suffix(".pdf")
    with_pdf = dashboard(out, *extra, "--pdf", str(pack))
    info = subprocess.run(["pdfinfo", str(pack)], capture_output=True, text=True).stdout
    pages = next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")
    print(f"  --pdf adds {with_pdf - without:.2f} s ({pages} pages, {pack.stat().st_size / 1e6:.2f} MB)")


MODES = """
import sys, time, resource
import pandas as pd
from openpyxl import Workbook
mode = sys.argv[1]
frame = pd.read_csv(sys.argv[2], engine="pyarrow")
rows = frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)
t = time.perf_counter()
wb = Workbook(write_only=(mode == "write-only"))
ws = wb.create_sheet("ledger") if mode == "write-only" else wb.active
ws.append(list(frame.columns))
for row in rows:
    ws.append(row)
wb.save(sys.argv[3])
print(f"{time.perf_counter() - t:.2f}")
"""


def modes(out_dir: Path) -> None:
    for mode in ("normal", "write-only"):
        out = out_dir / f"{mode}.xlsx"
        command = [sys.executable, "-c", MODES, mode, str(DATA / "subscriptions.csv"), str(out)]
        seconds, rss, printed, _cpu = measure(command)
        print(
            f"ledger sheet alone, openpyxl {mode} mode: {printed.strip()} s writing, "
            f"{seconds:.2f} s in all, peak RSS {rss:.0f} MB, file {out.stat().st_size / 1e6:.1f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--include-ledger", action="store_true")
    parser.add_argument("--modes", action="store_true")
    parser.add_argument("--pdf", action="store_true")
    args = parser.parse_args()
    if not (DATA / "subscriptions.csv").exists():
        subprocess.run([sys.executable, str(HERE / "make_ledger.py"), "--out", str(DATA)], check=True)
    with tempfile.TemporaryDirectory() as work:
        dashboard(Path(work) / "dashboard.xlsx")
        if args.include_ledger:
            dashboard(Path(work) / "dashboard-ledger.xlsx", "--include-ledger")
        if args.modes:
            modes(Path(work))
        if args.pdf:
            pdf(Path(work) / "pack.xlsx")
            if args.include_ledger:
                pdf(Path(work) / "pack-ledger.xlsx", "--include-ledger")


if __name__ == "__main__":
    main()
