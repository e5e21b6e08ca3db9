"""``kpi-addin lite``: the main.py for xlwings Lite compiles, defines every function with its
docs, needs nothing from disk but pandas and NumPy, and gives the library's values."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from click.testing import CliRunner

from kpi_addin.cli import cli

from .test_excel_functions import SIGNATURES

# Runs main.py the way Lite does: a fresh interpreter whose xlwings decorators are Lite's
# (a minimal stand-in recording what they are given; the real ones need Pyodide), and where
# importing kpi_addin from disk is forbidden, so everything must come from main.py.
RUNNER = textwrap.dedent("""
    import importlib.abc, json, sys, types

    class NoDisk(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "kpi_addin" or name.startswith("kpi_addin."):
                raise ImportError(name + " must come from main.py")

    sys.meta_path.insert(0, NoDisk())
    lite = types.ModuleType("xlwings")

    def meta(f):
        if not hasattr(f, "__lite__"):
            f.__lite__ = {"doc": f.__doc__, "args": {}}
        return f.__lite__

    def func(f=None, **options):
        def inner(g):
            meta(g)
            return g
        return inner if f is None else inner(f)

    def arg(name, convert=None, **options):
        def inner(g):
            meta(g)["args"][name] = options.get("doc")
            return g
        return inner

    lite.func, lite.arg, lite.ret = func, arg, lambda *a, **k: (lambda g: g)
    sys.modules["xlwings"] = lite
    main = {"__name__": "main"}
    exec(compile(open(sys.argv[1]).read(), "main.py", "exec"), main)
    functions = {k: v for k, v in main.items() if hasattr(v, "__lite__")}
    calls = json.loads(sys.argv[2])
    print(json.dumps({
        "functions": {k: v.__lite__ for k, v in functions.items()},
        "results": [functions[name](*args) for name, args in calls],
        "interfaces_loaded": [m for m in ("openpyxl", "click", "python_calamine") if m in sys.modules],
    }))
""")

LEDGER = [
    ["customer_id", "amount", "interval", "start_date", "end_date"],
    ["a", 100.0, "month", "2025-01-05", None],
    ["b", 50.0, "month", "2025-01-20", "2025-03-01"],
]


def test_lite_main_py_defines_every_function_and_gives_the_same_values(tmp_path):
    result = CliRunner().invoke(cli, ["lite", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "requirements.txt").read_text().splitlines()[-2:] == ["pandas", "numpy"]
    main_py = tmp_path / "main.py"
    compile(main_py.read_text(), "main.py", "exec")
    calls = [
        ["CHURN", [3, 200]],
        ["LTV", [50, 0.005]],
        ["CHURN", [0, 0]],
        ["CHURN", [-1, 5]],
        ["NPS", [[[10], [9], [None], [3]]]],
        ["MRR_MOVEMENTS", [LEDGER]],
    ]
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, str(main_py), json.dumps(calls)], capture_output=True, text=True, check=True
    )
    out = json.loads(done.stdout)
    functions = out["functions"]
    assert set(functions) == set(SIGNATURES)
    for name, expected in SIGNATURES.items():
        assert sorted(functions[name]["args"]) == sorted(a.rstrip("?") for a in expected)  # decorators run bottom-up
        assert functions[name]["doc"] and all(functions[name]["args"].values()), name
    assert out["results"][:5] == [0.015, 10_000.0, "#DIV/0!", "#NUM!", 100 / 3]
    assert out["results"][5][-1] == ["2025-03", 0.0, 0.0, 0.0, 50.0, 0.0, 0.0, -50.0]
    assert out["interfaces_loaded"] == []


def test_lite_keeps_existing_files_without_force(tmp_path):
    (tmp_path / "main.py").write_text("# my own code")
    result = CliRunner().invoke(cli, ["lite", "--out", str(tmp_path)])
    assert result.exit_code == 1 and "use --force" in result.output
    assert (tmp_path / "main.py").read_text() == "# my own code"


# The library without its interface dependencies, as in xlwings Lite (Pyodide's pandas has no
# pyarrow): any import of them fails, and the range path must still read and compute.
WITHOUT_INTERFACES = textwrap.dedent("""
    import importlib.abc, json, sys

    BLOCKED = ("pyarrow", "python_calamine", "openpyxl", "click")

    class Blocked(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(name + " is not installed here")

    sys.meta_path.insert(0, Blocked())
    from kpi_addin.io.ranges import company_from_ranges
    from kpi_addin.io.values import TEXT
    from kpi_addin.metrics import monthly_kpis

    ledger = json.loads(sys.argv[1])
    report = monthly_kpis(company_from_ranges(ledger))
    print(json.dumps({"storage": TEXT.storage, "mrr": report.monthly["mrr"].tolist(),
                      "loaded": sorted(m for m in BLOCKED if m in sys.modules)}))
""")


def test_the_library_reads_ranges_and_computes_without_pyarrow_calamine_openpyxl_click():
    ledger = [*LEDGER, ["c", "30", "month", "01.02.2025", ""]]  # text cells: the string rules run too
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", WITHOUT_INTERFACES, json.dumps(ledger)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out == {"storage": "python", "mrr": [150.0, 180.0, 130.0], "loaded": []}
