"""xlwings Lite as it runs: Pyodide's packages only, xlwings' Office.js custom-function code.

An interpreter is given exactly the packages of a Pyodide release — pandas, NumPy and their
own dependencies at the versions of its ``pyodide-lock.json``, no pyarrow, python-calamine,
openpyxl or click — plus xlwings, whose ``custom_functions_call`` is the code Lite runs for
a formula.  It loads the ``main.py`` that ``kpi-addin lite`` writes (nothing of kpi_addin is
on its path) and calls every worksheet function; each result must equal what the Windows
path (``XLPython().CallUDF``, :mod:`tests.xlwings_windows`) gives for the same cells, and
every KPI read through ``KPI()`` must equal ``kpi-addin metrics --format json`` on the
sample, under both conventions and with a history start.

What differs from the browser: CPython 3.11 on Linux instead of Pyodide's CPython
3.12 / 3.13 in WebAssembly, and pandas' and NumPy's manylinux wheels of the same versions.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.excel.lite import write_lite
from kpi_addin.io import sample_path
from kpi_addin.metrics.catalogue import BALANCE_SHEET_KEYS, MONTHLY_KEYS

from .excel_ranges import error_cell, from_lite, sample_ranges, to_office_js
from .test_excel_functions import ERROR_CASES, MISSING, VALUE_CASES
from .xlwings_windows import UDF_MODULE, windows_xlwings

#: Read from each release's pyodide-lock.json (npm package ``pyodide@<version>``, file
#: ``pyodide-lock.json``): pandas, NumPy and the packages pandas depends on there.
#: xlwings Lite 0.37 runs Pyodide 0.28 or later (its Office.js code handles 0.28's JsNull);
#: 0.28.3 ships no pyarrow at all.  0.27.7 is the last release before, for the older pandas.
#: (0.29.3 ships pandas 2.3.3 and NumPy 2.2.5.)
PYODIDE = {
    "0.28.3": (
        "pandas==2.3.1",
        "numpy==2.2.5",
        "python-dateutil==2.9.0.post0",
        "pytz==2025.2",
        "six==1.17.0",
        "tzdata==2025.2",
    ),
    "0.27.7": (
        "pandas==2.2.3",
        "numpy==2.0.2",
        "python-dateutil==2.9.0.post0",
        "pytz==2024.1",
        "six==1.16.0",
        "tzdata==2024.1",
    ),
}
#: The xlwings whose Office.js code runs the calls (the add-in brings its own; pyproject pins this one).
XLWINGS = "xlwings==0.37.8"
RUNNER = Path(__file__).with_name("lite_runner.py")
HISTORY_START = "2024-07"
VARIANTS = {
    "month-end": (),
    "month-start": (("convention", "month-start"),),
    "history-start": (("history_start", HISTORY_START),),
}


def _site(version: str) -> Path:
    """A folder holding exactly the Pyodide release's packages (built once, then reused)."""
    pins = (*PYODIDE[version], XLWINGS)
    tag = f"{sys.version_info.major}{sys.version_info.minor}"
    site = Path(tempfile.gettempdir()) / f"kpi-addin-pyodide-{version}-py{tag}"
    marker = site / "PINS"
    if marker.is_file() and marker.read_text() == "\n".join(pins):
        return site
    command = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps"]
    command += ["--only-binary=:all:", "--upgrade", "--target", str(site), *pins]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"could not install Pyodide {version}'s packages: {done.stderr[-2000:]}"
    marker.write_text("\n".join(pins))
    return site


def _kpi_calls(ranges: dict, variant: str, months: list[str]) -> list[tuple[str, tuple]]:
    """KPI_REPORT over the sample under ``variant``, then KPI() for every key and month."""
    settings = [*ranges["settings"], *[list(pair) for pair in VARIANTS[variant]]]
    report = (
        "KPI_REPORT",
        (
            ranges["subscriptions"],
            ranges["fx_rates"],
            ranges["costs"],
            ranges["funnel"],
            ranges["nps"],
            settings,
            ranges["balance_sheet"],
        ),
    )
    calls = [report]
    for month in months:
        calls += [("KPI", ("$handle", key, month)) for key in MONTHLY_KEYS[1:]]
    calls += [("KPI", ("$handle", key, MISSING)) for key in BALANCE_SHEET_KEYS]
    return calls


def _metrics_json(variant: str, sample: Path) -> dict:
    options = {"month-end": [], "month-start": ["--convention", "month-start"]}
    options["history-start"] = ["--history-start", HISTORY_START]
    done = CliRunner().invoke(cli, ["metrics", "--data", str(sample), "--format", "json", *options[variant]])
    assert done.exit_code == 0, done.output
    return json.loads(done.output)


def _other_calls(ranges: dict) -> list[tuple[str, tuple]]:
    """Every other function: the hand-worked cases, the table functions, the report's readers,
    error cells and Tables."""
    subs, fx = ranges["subscriptions"], ranges["fx_rates"]
    calls: list[tuple[str, tuple]] = [(name, args) for name, args, _ in (*VALUE_CASES, *ERROR_CASES)]
    calls += [
        ("MRR_TABLE", (subs, fx, "2025-12", MISSING)),
        ("MRR_MOVEMENTS", (subs, fx, MISSING, MISSING)),
        ("COHORTS", (subs, MISSING, fx, MISSING)),
        ("COHORTS", (subs, "revenue", fx, "convention=month-start")),
        ("KPI_TABLE", ("$handle", "mrr, nrr, cac_trailing", 3.0, MISSING)),
        ("KPI_TABLE", ("$handle", MISSING, MISSING, "quarter")),
        ("KPI_MOVEMENTS", ("$handle", "2025-06", MISSING)),
        ("KPI_MOVEMENTS", ("$handle", MISSING, "churned")),
        ("KPI_WARNINGS", ("$handle",)),
        ("KPI", ("$handle", "end_mrr", "2025Q3")),
        ("KPI", ("$handle", "nrr", "2025")),
        ("KPI", ("$handle", "not_a_kpi", MISSING)),
        ("KPI", ("$handle", "mrr", "2031-01")),
        ("KPI", ("kpi#00000000: 2025-12, 24 months", "mrr", MISSING)),
        ("KPI", ("$handle", "mrr", "2025-12", "plan=Growth")),
        ("KPI", ("$handle", "nrr", "2025-06", "currency=EUR")),
        ("KPI", ("$handle", "mrr", MISSING, "plan=Nope")),
        ("KPI_TABLE", ("$handle", "mrr, entered_mrr, left_mrr, customers", 2.0, "plan")),
    ]
    # an error cell in an end date, a Table without its header, a Table with a Total row
    broken = [list(row) for row in subs[:4]]
    broken[2][8] = error_cell("#N/A", "windows")
    calls.append(("MRR_TABLE", (broken, MISSING, "2025-12", MISSING)))
    calls.append(("MRR_TABLE", ([r for r in subs[1:] if r[6] == "USD"], MISSING, "2025-12", MISSING)))
    total = [*[r for r in subs if r[6] in ("USD", "currency")], ["Total", None, None, 1234.0, *[None] * 6]]
    calls.append(("MRR_TABLE", (total, MISSING, "2025-12", MISSING)))
    return calls


@pytest.fixture(scope="module", params=sorted(PYODIDE))
def lite_run(request, tmp_path_factory):
    """Every call through Lite (one interpreter) and through the Windows path, and the JSON."""
    site = _site(request.param)
    folder = tmp_path_factory.mktemp("lite")
    write_lite(folder)
    windows_ranges = sample_ranges("windows")
    jsons = {variant: _metrics_json(variant, sample_path()) for variant in VARIANTS}
    groups = {}
    for variant, document in jsons.items():
        groups[variant] = _kpi_calls(windows_ranges, variant, [m["month"] for m in document["months"]])
    groups["other"] = [*_kpi_calls(windows_ranges, "month-end", [])[:1], *_other_calls(windows_ranges)]

    with windows_xlwings() as module:
        from xlwings.com_server import XLPython

        server = XLPython()
        registered = {v.__xlfunc__["name"] for v in vars(module).values() if hasattr(v, "__xlfunc__")}
        windows = {}
        for group, calls in groups.items():
            handle = None
            out = []
            for name, args in calls:
                args = tuple(handle if a == "$handle" else a for a in args)
                result = server.CallUDF(UDF_MODULE, name, args, None, None)
                if name == "KPI_REPORT":
                    handle = result
                out.append(result)
            windows[group] = out

    lite_calls, where = [], {}
    for group, calls in groups.items():
        first = len(lite_calls)
        for name, args in calls:
            lite_args = [{"result": first} if a == "$handle" else to_office_js(a) for a in args]
            lite_calls.append([name, lite_args])
        where[group] = (first, len(lite_calls))
    request_file = folder / "request.json"
    request_file.write_text(json.dumps({"main": str(folder / "main.py"), "site": str(site), "calls": lite_calls}))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-S", str(RUNNER), str(request_file)], capture_output=True, text=True, env=env, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    lite = {group: out["results"][a:b] for group, (a, b) in where.items()}
    return {
        "version": request.param,
        "out": out,
        "groups": groups,
        "windows": windows,
        "lite": lite,
        "jsons": jsons,
        "registered": registered,
    }


def _same_result(lite: object, windows: object) -> bool:
    """Lite's result (a 2-D block) equals the Windows one (a value or a block), to 1e-12."""
    lite = from_lite(lite)
    if not isinstance(windows, list | tuple) and isinstance(lite, list) and len(lite) == 1 and len(lite[0]) == 1:
        lite = lite[0][0]
    if isinstance(windows, list | tuple) and windows and not isinstance(windows[0], list | tuple):
        windows = [windows]  # one row: pywin32 hands Excel a flat list, Office.js a block of one row
    return _same(lite, windows)


def _same(lite: object, windows: object) -> bool:
    if isinstance(windows, list | tuple):
        return (
            isinstance(lite, list)
            and len(lite) == len(windows)
            and all(_same(a, b) for a, b in zip(lite, windows, strict=True))
        )
    if isinstance(windows, float) and isinstance(lite, int | float) and not isinstance(lite, bool):
        return math.isclose(lite, windows, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(lite, str) and isinstance(windows, str) and lite.startswith("kpi#"):
        return lite.partition(":")[2] == windows.partition(":")[2]  # the digests are of each platform's cells
    return lite == windows or (lite == "" and windows is None)


def _difference(lite: object, windows: object) -> str:
    """Where two blocks differ first (for the failure message)."""
    lite = from_lite(lite)
    if isinstance(windows, list | tuple) and windows and not isinstance(windows[0], list | tuple):
        windows = [windows]
    if isinstance(lite, list) and isinstance(windows, list | tuple) and len(lite) == len(windows):
        for i, (a, b) in enumerate(zip(lite, windows, strict=True)):
            if isinstance(a, list) and isinstance(b, list | tuple) and len(a) == len(b):
                for j, (x, y) in enumerate(zip(a, b, strict=True)):
                    if not _same(x, y):
                        return f"row {i} column {j}: Lite {x!r}, Windows {y!r} (row {a[:3]})"
            elif not _same(a, b):
                return f"row {i}: Lite {str(a)[:200]}, Windows {str(b)[:200]}"
    rows_lite = len(lite) if isinstance(lite, list) else 1
    sizes = f"{rows_lite} / {len(windows) if isinstance(windows, list | tuple) else 1} rows"
    return f"{sizes}: Lite {str(lite)[-300:]}, Windows {str(windows)[-300:]}"


def test_lite_loads_with_only_pyodides_packages(lite_run):
    out = lite_run["out"]
    version = lite_run["version"]
    pins = dict(p.split("==") for p in PYODIDE[version][:2])
    assert out["versions"] == pins
    assert out["interfaces_absent"]  # no pyarrow, python-calamine, openpyxl, click, nor kpi_addin on disk
    meta = {f["name"]: f for f in out["meta"]["functions"]}
    assert set(meta) == lite_run["registered"]  # Lite registers exactly what Windows does
    for name, info in meta.items():
        assert info["description"], name
        assert all(p["description"] for p in info["parameters"]), name
    # the functions made from the registry carry their signature and help words into Lite
    # (embedded in main.py: Lite has no templates folder) exactly as on Windows
    from kpi_addin.excel import functions

    for name, function in functions.GENERATED.items():
        parameters = meta[name]["parameters"]
        assert [p["name"] for p in parameters] == list(function.__kpi__.arguments), name
        assert [p["description"] for p in parameters] == list(function.__excel_args__.values()), name
        assert meta[name]["description"] == function.__doc__, name
    assert [p["name"] for p in meta["CHURN"]["parameters"]] == ["churned_customers", "start_customers"]
    assert meta["CAC_PAYBACK"]["parameters"][-1].get("optional") is True, meta["CAC_PAYBACK"]


def test_every_function_gives_the_same_on_lite_and_windows(lite_run):
    called = {name for calls in lite_run["groups"].values() for name, _args in calls}
    assert called == lite_run["registered"]  # every function is called
    for group, calls in lite_run["groups"].items():
        for (name, args), lite, windows in zip(calls, lite_run["lite"][group], lite_run["windows"][group], strict=True):
            assert isinstance(lite, list), f"{name} raised in Lite: {lite}"
            assert _same_result(lite, windows), f"{group} {name}{str(args)[:60]}: {_difference(lite, windows)}"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_kpi_gives_every_registry_figure_of_kpi_addin_metrics(lite_run, variant):
    document = lite_run["jsons"][variant]
    calls = lite_run["groups"][variant]
    windows, lite = lite_run["windows"][variant], lite_run["lite"][variant]
    shown = f"{document['as_of']}, {len(document['months'])} months"
    assert windows[0].startswith("kpi#") and windows[0].endswith(shown)
    expected = [month[key] for month in document["months"] for key in MONTHLY_KEYS[1:]]
    expected += [document["balance_sheet"][key] for key in BALANCE_SHEET_KEYS]
    assert len(expected) == len(calls) - 1
    for (_name, args), want, got_windows, got_lite in zip(calls[1:], expected, windows[1:], lite[1:], strict=True):
        for got in (got_windows, from_lite(got_lite)[0][0]):
            if want is None:
                assert got in ("#DIV/0!", "#N/A"), (args, got)
            else:
                assert got == pytest.approx(want, rel=1e-12, abs=1e-12), (variant, args[1:], got, want)
                assert type(got) is type(want) or isinstance(want, float), (args, got, want)  # counts are integers


def test_error_cells_and_tables(lite_run):
    results = dict(enumerate(lite_run["windows"]["other"]))
    calls = lite_run["groups"]["other"]
    by_call = {i: (calls[i][0], r) for i, r in results.items()}
    error_cell_table, headerless, with_total = (by_call[i][1] for i in range(len(calls) - 3, len(calls)))
    assert error_cell_table[0] == ["#VALUE!"]
    assert error_cell_table[1] == [
        "range subscriptions!I3 (end_date): the cell holds the error #N/A; fix what it refers to, or clear it"
    ]
    assert headerless[0][0] == "month" and headerless[-1][0] == "2025-12"  # read by position
    assert with_total[0][0] == "month"  # the Total row is left out
