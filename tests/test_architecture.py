"""Dependencies point inward: the metric library loads without any interface package."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

INTERFACE_MODULES = [
    "xlwings",
    "openpyxl",
    "click",
    "python_calamine",
    "kpi_addin.cli",
    "kpi_addin.io",
    "kpi_addin.excel",
    "kpi_addin.dashboard",
]


def test_metrics_import_alone_in_a_fresh_interpreter():
    code = (
        "import sys, json; import kpi_addin.metrics; "
        f"print(json.dumps([m for m in {INTERFACE_MODULES!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_the_metrics_command_imports_nothing_of_the_dashboard():
    # `kpi-addin metrics` runs in a fresh interpreter: the dashboard (openpyxl), the Excel
    # functions (xlwings) and the workbook reader load only for the commands that use them.
    code = (
        "import sys, json, io, contextlib, runpy; sys.argv = ['kpi-addin', 'metrics', '--format', 'json'];\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    try: runpy.run_module('kpi_addin.cli', run_name='__main__')\n"
        "    except SystemExit as exc: assert not exc.code, exc.code\n"
        "assert json.loads(out.getvalue())['months']\n"
        "heavy = ('openpyxl', 'xlwings', 'python_calamine', 'kpi_addin.dashboard', 'kpi_addin.excel')\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in heavy or m.startswith(heavy))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_the_ledger_limit_in_the_help_is_the_dashboards():
    from kpi_addin import cli_options
    from kpi_addin.dashboard.builder import DEFAULT_LEDGER_LIMIT

    assert cli_options.DEFAULT_LEDGER_LIMIT == DEFAULT_LEDGER_LIMIT


def test_every_type_ignore_names_its_code_and_says_why():
    """mypy runs in CI; a silenced error must say which one and why, so the next person can judge it."""
    import re
    from pathlib import Path

    bad = []
    for path in sorted(Path(__file__).resolve().parents[1].joinpath("kpi_addin").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "type: ignore" in line and not re.search(r"type: ignore\[[\w, -]+\]\s+#\s*\S", line):
                bad.append(f"{path.name}:{number}")
    assert not bad, f"type: ignore without [code] and a '# reason': {bad}"


def test_every_public_metric_function_is_exported():
    """A function added to a family module is public once it is in that module's __all__."""
    import importlib
    import inspect

    import kpi_addin.metrics as metrics

    for family in ("revenue", "customers", "funnel", "unit_economics", "balance_sheet", "goals"):
        module = importlib.import_module(f"kpi_addin.metrics.{family}")
        defined = {
            name
            for name, value in vars(module).items()
            if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")
        }
        missing = defined - set(module.__all__)
        assert not missing, f"kpi_addin/metrics/{family}.py: add {sorted(missing)} to __all__"
        assert set(module.__all__) <= set(metrics.__all__)


PACKAGE = Path(__file__).resolve().parents[1] / "kpi_addin"


def _modules() -> dict[str, Path]:
    """Every module of kpi_addin by its dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imported_names(name: str, path: Path) -> list[tuple[int, str, str]]:
    """``(line, module, name)`` of each ``from module import name`` in a module (relative
    imports resolved), ``(line, module, "")`` of each ``import module``; function-level
    imports included."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found += [(node.lineno, module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, "") for alias in node.names]
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Each module of kpi_addin → the modules of kpi_addin it imports (``from . import x``
    counts as importing module ``x`` when there is one, else its package)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for _line, module, imported in _imported_names(name, path):
            whole = f"{module}.{imported}"
            targets.add(whole if imported and whole in modules else module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def _layer(module: str) -> str:
    """A module's layer: its package below kpi_addin, or its own name for a top-level module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "kpi_addin"


#: Which layer may import which (besides itself).  The metric library is pure; the readers
#: use it; the dashboard, the Excel functions and each command's output use both; only the
#: command line uses them all, and nothing imports the command line.
ALLOWED = {
    "kpi_addin": set(),  # the version
    "__main__": {"cli"},  # the process's settings, then the command line
    "metrics": set(),
    "io": {"metrics"},
    "lang": {"metrics"},
    "formatting": {"metrics"},
    "docs": {"metrics", "lang", "excel"},  # the generated docs describe the worksheet functions
    "dashboard": {"kpi_addin", "metrics", "io", "lang", "formatting"},
    "excel": {"kpi_addin", "metrics", "io", "lang"},  # the functions' help words are the language file's
    "pipeline": {"metrics", "io"},
    "metrics_output": {"metrics", "formatting", "lang", "plan_output"},
    "plan_output": {"metrics", "formatting"},
    "forecast_output": {"metrics", "formatting"},
    "movements_output": {"metrics", "formatting"},
    "reconcile_output": {"metrics", "io", "formatting"},
    "segments_output": {"metrics", "formatting", "lang", "metrics_output", "movements_output"},
    "cli_options": {"metrics", "io"},
    "cli": {
        "kpi_addin", "metrics", "io", "formatting", "pipeline", "cli_options",
        "metrics_output", "movements_output", "reconcile_output", "segments_output", "forecast_output",
        "dashboard", "excel",
    },
}  # fmt: skip
#: The command line calls one entry point per command in the dashboard and the Excel layer.
CLI_ENTRY_POINTS = {"dashboard": {"kpi_addin.dashboard.command"}, "excel": {"kpi_addin.excel.lite"}}


def test_no_module_is_over_500_lines():
    long = {
        str(path.relative_to(PACKAGE.parent)): n
        for path in _modules().values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not long, f"split these by job (500 lines at most): {long}"


def test_no_private_name_is_imported_from_another_module():
    """``from .reader import _dates`` couples a module to another's insides: make it public
    where it belongs.  (A module imported under a private alias is fine.)"""
    modules = _modules()
    bad = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {module}.{imported}"
        for name, path in modules.items()
        for line, module, imported in _imported_names(name, path)
        if imported.startswith("_") and not imported.startswith("__") and f"{module}.{imported}" not in modules
    ]
    assert not bad, bad


def test_the_private_name_check_sees_a_private_import(tmp_path):
    """The check above can fail: a relative import of a private name is found and resolved."""
    path = tmp_path / "reader_user.py"
    path.write_text("from .reader import _dates, column_letter\nfrom . import values as _values\n")
    found = _imported_names("kpi_addin.io.sources.reader_user", path)
    assert found == [
        (1, "kpi_addin.io.sources.reader", "_dates"),
        (1, "kpi_addin.io.sources.reader", "column_letter"),
        (2, "kpi_addin.io.sources", "values"),
    ]


def test_every_module_imports_only_the_layers_its_layer_may():
    modules = _modules()
    assert {_layer(m) for m in modules} <= set(ALLOWED), (
        f"a new layer: add it to ALLOWED: {set(map(_layer, modules)) - set(ALLOWED)}"
    )
    bad = [
        f"{source} imports {target}"
        for source, targets in _imports(modules).items()
        for target in sorted(targets)
        if _layer(target) != _layer(source) and _layer(target) not in ALLOWED[_layer(source)]
    ]
    assert not bad, bad


def test_the_cli_calls_one_entry_point_per_command():
    modules = _modules()
    graph = _imports(modules)
    cli = graph["kpi_addin.cli"] | graph["kpi_addin.cli_options"]
    for layer, allowed in CLI_ENTRY_POINTS.items():
        used = {m for m in cli if _layer(m) == layer}
        assert used <= allowed, f"the CLI reaches into {sorted(used - allowed)}; call {sorted(allowed)}"


def test_the_cli_is_thin():
    lines = len((PACKAGE / "cli.py").read_text(encoding="utf-8").splitlines())
    assert lines < 300, f"cli.py has {lines} lines: formatting and work belong beside the command's output"


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    circles = [sorted(c) for c in _circles(_imports(_modules()))]
    assert not circles, f"import circles: {circles}"


def test_the_checks_see_a_forbidden_import_and_a_circle():
    graph = {
        "kpi_addin.metrics.a": {"kpi_addin.io.b"},
        "kpi_addin.io.b": {"kpi_addin.metrics.a"},
        "kpi_addin.cli": set(),
    }
    assert _circles(graph) == [{"kpi_addin.metrics.a", "kpi_addin.io.b"}]
    assert "io" not in ALLOWED[_layer("kpi_addin.metrics.a")]
    assert _layer("kpi_addin.cli") == "cli" and _layer("kpi_addin.io.sources.crm") == "io"


def test_the_command_line_turns_numpy_huge_pages_off_unless_the_user_set_them():
    # kpi_addin/__main__.py: before numpy loads; a user's own NUMPY_MADVISE_HUGEPAGE wins.
    import os

    code = (
        "import sys, os, io, contextlib; sys.argv = ['kpi-addin', '--version']\n"
        "from kpi_addin.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main()\n"
        "    except SystemExit: pass\n"
        "import numpy._core.multiarray as m\n"
        "print(os.environ['NUMPY_MADVISE_HUGEPAGE'], m._get_madvise_hugepage())"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.split() == ["0", "False"]
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**env, "NUMPY_MADVISE_HUGEPAGE": "1"},
    )
    assert done.stdout.split()[0] == "1"
