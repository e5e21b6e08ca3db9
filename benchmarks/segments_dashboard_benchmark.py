"""Time ``kpi-addin dashboard`` with and without its Segments sheet (``segments = ["plan"]``).

    python benchmarks/segments_dashboard_benchmark.py [--case sample|1m] [--repeat 2]

The shipped templates segment by plan, so the plain ``full`` template *is* the build with
segments; the build without them uses a copy of ``full.toml`` with ``segments = []`` and
without the segments page.  Both run as whole processes, alternately, ``--repeat`` rounds (a
busy machine slows each alike); the best wall time, its CPU time, the peak resident memory
and the ratio are printed.  ``1m`` is ``make_ledger.py``'s 1,000,000-subscription ledger
(600,000 customers, 36 months, 6 plans; made on first use under ``benchmarks/data/``).
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from run_metrics_benchmark import ledger, measure

ROOT = Path(__file__).resolve().parents[1]


def without_segments(folder: Path) -> Path:
    """``full.toml`` with no segments and no segments page."""
    text = (ROOT / "templates" / "full.toml").read_text(encoding="utf-8")
    text = re.sub(r"(?m)^segments = \[.*\]$", "segments = []", text)
    text = text.replace('"pack_segments", ', "")
    path = folder / "full_without_segments.toml"
    path.write_text(text, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", default="1m", help="sample (the bundled company) or a make_ledger case (1m)")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    data = [] if args.case == "sample" else ["--data", str(ledger(args.case))]
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        runs = {
            "without segments": ["--template", str(without_segments(folder))],
            "with segments by plan": ["--template", "full"],
        }
        best: dict[str, tuple[float, float, float]] = {}
        for _round in range(args.repeat):
            for name, options in runs.items():
                out = folder / f"{name.replace(' ', '_')}.xlsx"
                command = [sys.executable, "-m", "kpi_addin", "dashboard", *data, *options, "--out", str(out)]
                seconds, rss, _out, cpu = measure([*command, "--force"])
                if name not in best or seconds < best[name][0]:
                    best[name] = (seconds, cpu, rss)
        for name, (seconds, cpu, rss) in best.items():
            print(f"{args.case}, {name}: {seconds:.2f} s wall, {cpu:.2f} s CPU, peak RSS {rss:.0f} MB")
        ratio = best["with segments by plan"][0] / best["without segments"][0]
        print(f"{args.case}: with / without = {ratio:.2f}x")


if __name__ == "__main__":
    main()
