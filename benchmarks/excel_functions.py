"""The Excel functions' costs: KPI_REPORT on 50,000 rows, a cached KPI read, imports, Lite's load.

    python benchmarks/excel_functions.py [--rows 50000]

What is measured:

* ``KPI_REPORT`` through xlwings' own Windows call path (``XLPython().CallUDF``, with the
  stand-ins for pywin32 of ``tests/xlwings_windows.py``): xlwings' conversion of the cells,
  our range reading and validation, the whole report.  Not measured: Excel handing the range
  to Python over COM (pywin32's transfer of the cells), which happens before CallUDF.
* The same range as a whole column (1,048,576 rows, the rest blank): our trimming before
  conversion; xlwings' own cleaning of the blank rows is in the figure.
* A second ``KPI_REPORT`` of unchanged cells (the cache), and ``KPI`` reads of a cached report
  (through CallUDF, and the function alone).
* The import of the functions module in a fresh interpreter (pandas' own import shown apart),
  and the load of the ``main.py`` of ``kpi-addin lite`` in an interpreter holding only
  Pyodide 0.28.3's packages (when ``tests/test_lite_pyodide.py`` has built it).

Times are wall-clock on whatever machine runs it (shared CI machines vary: read them as
orders of magnitude).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

from make_ledger import make_ledger  # noqa: E402
from run_range_benchmark import excel_range  # noqa: E402

from tests.xlwings_windows import UDF_MODULE, windows_xlwings  # noqa: E402

MISSING = -2147352572


def fresh_import(statement: str, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        timed = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        done = subprocess.run(
            [sys.executable, "-c", timed],
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(done.stdout))
    return min(times)


def lite_load() -> tuple[float, float] | None:
    site = Path(tempfile.gettempdir()) / f"kpi-addin-pyodide-0.28.3-py{sys.version_info.major}{sys.version_info.minor}"
    if not (site / "PINS").is_file():
        return None
    from kpi_addin.excel.lite import write_lite

    with tempfile.TemporaryDirectory() as work:
        write_lite(Path(work))
        request = Path(work) / "request.json"
        request.write_text(json.dumps({"main": str(Path(work) / "main.py"), "site": str(site), "calls": []}))
        env = {"PATH": "/usr/bin:/bin"}
        done = subprocess.run(
            [sys.executable, "-S", str(ROOT / "tests" / "lite_runner.py"), str(request)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        out = json.loads(done.stdout)
        return float(out["pandas_seconds"]), float(out["load_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    ledger = make_ledger(args.rows, int(args.rows * 0.6), 36)
    subs = excel_range(ledger["subscriptions"])
    fx = excel_range(ledger["fx_rates"])
    settings = [["key", "value"], ["as_of", str(ledger["settings"].set_index("key").loc["as_of", "value"])]]
    whole = [*subs, *([[None] * len(subs[0])] * (1_048_576 - len(subs)))]
    lines = [f"ledger: {args.rows:,} subscription rows, {len(ledger['fx_rates']):,} FX rows"]

    with windows_xlwings():
        from xlwings.com_server import XLPython

        from kpi_addin.excel import functions, handles

        server = XLPython()

        def call(name: str, *values: object) -> object:
            return server.CallUDF(UDF_MODULE, name, values, None, None)

        report_args = (subs, fx, MISSING, MISSING, MISSING, settings, MISSING)
        handles.clear()
        t = time.perf_counter()
        handle = call("KPI_REPORT", *report_args)
        first = time.perf_counter() - t
        assert isinstance(handle, str) and handle.startswith("kpi#"), handle
        t = time.perf_counter()
        again = call("KPI_REPORT", *report_args)
        cached = time.perf_counter() - t
        assert again == handle
        handles.clear()
        t = time.perf_counter()
        column = call("KPI_REPORT", whole, fx, MISSING, MISSING, MISSING, settings, MISSING)
        whole_seconds = time.perf_counter() - t
        assert column.partition(":")[2] == handle.partition(":")[2], column
        months = [str(m) for m in handles.entry_of(column).months]
        reads = []
        for i in range(2000):
            t = time.perf_counter()
            value = call("KPI", column, "nrr", months[i % len(months)])
            reads.append(time.perf_counter() - t)
        assert isinstance(value, float)
        direct = []
        for i in range(2000):
            t = time.perf_counter()
            functions.KPI(column, "nrr", months[i % len(months)])
            direct.append(time.perf_counter() - t)
    lines += [
        f"KPI_REPORT through xlwings' CallUDF: {first:.2f} s (xlwings' conversion, reading, the whole report)",
        f"KPI_REPORT again, cells unchanged (cache): {cached:.3f} s (xlwings' conversion of the cells and the digest)",
        f"KPI_REPORT of the whole column A:J (1,048,576 rows): {whole_seconds:.2f} s",
        f"KPI read through CallUDF: median {statistics.median(reads) * 1e3:.3f} ms, "
        f"the function alone {statistics.median(direct) * 1e6:.1f} µs",
    ]
    pandas_import = fresh_import("import pandas")
    functions_import = fresh_import("import kpi_addin.excel.functions")
    lines.append(
        f"import kpi_addin.excel.functions in a fresh interpreter: {functions_import:.2f} s "
        f"(pandas alone {pandas_import:.2f} s)"
    )
    load = lite_load()
    from kpi_addin.excel.lite import lite_main_py

    size = len(lite_main_py().encode("utf-8"))
    lines.append(
        f"Lite main.py: {size / 1024:.0f} KB; loading it with Pyodide 0.28.3's packages: "
        + (
            f"import pandas {load[0]:.2f} s, then main.py (xlwings and our modules) {load[1]:.2f} s"
            if load is not None
            else "not measured (run tests/test_lite_pyodide.py first)"
        )
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
