"""Run in an interpreter holding only Pyodide's packages: load the main.py of ``kpi-addin lite``
and call its functions through xlwings' Office.js custom-function code, as xlwings Lite does.

    python lite_runner.py request.json   (request: {"main": path, "calls": [[name, args], ...]})

Prints JSON: the functions' metadata as Lite registers them (``custom_functions_meta``), each
call's result as xlwings hands it to Excel, the import time of main.py, and which of the
interface packages are importable (none should be).
"""

import asyncio
import importlib.util
import json
import os
import sys
import time

os.environ["XLWINGS_ON_SERVER"] = "true"  # xlwings binds func/arg/ret to the Office.js decorators, as in Lite
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")  # xlwings.pro's licence check (Lite needs none)


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as handle:
        request = json.load(handle)
    sys.path.insert(0, request["site"])  # run with -S: this folder holds every package there is
    absent = []
    for name in ("pyarrow", "python_calamine", "openpyxl", "click", "kpi_addin"):
        absent.append(importlib.util.find_spec(name) is None)
    started = time.perf_counter()
    import pandas  # first, on its own: its import is most of a cold start

    pandas_seconds = time.perf_counter() - started
    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location("main", request["main"])
    module = importlib.util.module_from_spec(spec)
    sys.modules["main"] = module
    spec.loader.exec_module(module)
    load_seconds = time.perf_counter() - started

    import xlwings
    from xlwings.server import custom_functions_call, custom_functions_meta

    meta = custom_functions_meta(module)

    async def run() -> list:
        results = []
        for name, args in request["calls"]:
            # {"result": n}: the value call n returned (a KPI_REPORT handle), as a cell holding it
            args = [results[a["result"]][0] if isinstance(a, dict) and "result" in a else a for a in args]
            data = {
                "func_name": name,
                "args": args,
                "version": xlwings.__version__,
                "client": "Office.js",
                "runtime": "1.4",
                "culture_info_name": "en-US",
                "date_format": None,
            }
            started = time.perf_counter()
            try:
                result = await custom_functions_call(data, module)
            except Exception as exc:  # noqa: BLE001 - what Lite would show: the call failed
                result = {"raised": f"{type(exc).__name__}: {exc}"}
            results.append([result, time.perf_counter() - started])
        return results

    results = asyncio.run(run())
    print(
        json.dumps(
            {
                "versions": {"pandas": pandas.__version__, "numpy": __import__("numpy").__version__},
                "interfaces_absent": all(absent),
                "load_seconds": load_seconds,
                "pandas_seconds": pandas_seconds,
                "meta": meta,
                "results": [r for r, _ in results],
                "seconds": [s for _, s in results],
            }
        )
    )


if __name__ == "__main__":
    main()
