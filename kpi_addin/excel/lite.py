"""The xlwings Lite route (Excel on Mac, Windows and the web, free): ``kpi-addin lite``.

Lite runs Python in the browser (Pyodide) from one ``main.py`` and a ``requirements.txt``
pasted into its editor.  We generate a ``main.py`` that carries the modules the worksheet
functions need — found by following :mod:`kpi_addin.excel.functions`' imports, nothing
of the dashboard, the command line or the file readers — zlib-compressed, and serves them
as the ``kpi_addin`` package through an import hook when Lite loads it.  It exposes the
very same functions, so =CHURN() in Lite and on Windows run the same code; the help words
of the functions made from the registry travel with it (``kpi_addin.excel.embedded_help``).

The library needs only pandas and NumPy there (no pyarrow: Pyodide 0.28's pandas has none).
"""

from __future__ import annotations

import ast
import base64
import json
import textwrap
import zlib
from importlib import resources
from pathlib import Path

from .. import __version__

ROOT_MODULE = "kpi_addin.excel.functions"
REQUIREMENTS = """\
# kpi-addin for xlwings Lite: paste into the requirements.txt tab of the Lite editor.
# Both are built into Pyodide (their versions are Pyodide's: do not pin them).
# xlwings itself comes with the add-in.
pandas
numpy
"""

LOADER = '''\
def _install_kpi_addin():
    """Serve the embedded modules as the kpi_addin package (once per Python session)."""
    import base64, importlib.abc, importlib.util, json, sys, zlib

    sources = json.loads(zlib.decompress(base64.b85decode(_PAYLOAD)).decode("utf-8"))

    class Embedded(importlib.abc.MetaPathFinder, importlib.abc.Loader):
        def find_spec(self, name, path=None, target=None):
            if name not in sources:
                return None
            package = sources[name][0]
            return importlib.util.spec_from_loader(name, self, is_package=package)

        def create_module(self, spec):
            return None

        def exec_module(self, module):
            if sources[module.__name__][0]:
                module.__path__ = []
            code = compile(sources[module.__name__][1], f"<kpi_addin {module.__name__}>", "exec")
            exec(code, module.__dict__)

    if not any(type(f).__name__ == "Embedded" for f in sys.meta_path):
        sys.meta_path.insert(0, Embedded())


_install_kpi_addin()
'''


def _package_root() -> Path:
    return Path(str(resources.files("kpi_addin")))


def _path_of(module: str) -> tuple[Path, bool]:
    """The source file of a kpi_addin module, and whether it is a package."""
    relative = Path(*module.split(".")[1:])
    package = _package_root() / relative / "__init__.py"
    if package.is_file():
        return package, True
    return (_package_root() / relative).with_suffix(".py"), False


def _imports(module: str, tree: ast.Module, package: bool) -> set[str]:
    """The kpi_addin modules ``module`` imports: at module level, and for the Excel layer also
    inside its functions (what the worksheet functions load on first use).  The other modules'
    imports inside functions (a file reader's) serve what the functions never call."""
    found: set[str] = set()
    base = module.split(".") if package else module.split(".")[:-1]
    nodes = ast.walk(tree) if module.startswith("kpi_addin.excel") else iter(tree.body)
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base[: len(base) - node.level + 1]
                target = ".".join([*parts, node.module] if node.module else parts)
            else:
                target = node.module or ""
            if not target.startswith("kpi_addin"):
                continue
            found.add(target)
            for alias in node.names:  # "from . import revenue": a module, if there is one
                candidate = f"{target}.{alias.name}"
                if _path_of(candidate)[0].is_file():
                    found.add(candidate)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("kpi_addin"))
    return found


def needed_modules(root: str = ROOT_MODULE) -> dict[str, tuple[bool, str]]:
    """Every kpi_addin module ``root`` imports, directly or not, with its parents: name → (package?, source)."""
    todo, seen = [root], {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path, package = _path_of(name)
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        seen[name] = (package, source if name.startswith("kpi_addin.excel") else _without_docstrings(tree))
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(_imports(name, tree, package))
    return dict(sorted(seen.items()))


def _without_docstrings(tree: ast.Module) -> str:
    """The module's code without its docstrings and comments (half its size): the library's
    documentation lives in the repository; the Excel layer keeps its own, which Excel shows."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree)


def lite_main_py() -> str:
    """The text of ``main.py`` for the xlwings Lite editor."""
    from ..metrics.catalogue import KPIS
    from .functions import GENERATED
    from .functions import __all__ as exported
    from .help_text import EMBEDDED, embedded_source

    modules = needed_modules()
    # the help words of the functions made from the registry (Lite has no templates folder)
    modules[EMBEDDED] = (False, embedded_source(k for k in KPIS if k.excel in GENERATED))
    payload = base64.b85encode(zlib.compress(json.dumps(modules).encode("utf-8"), 9)).decode("ascii")
    lines = textwrap.wrap(payload, 100)
    names = ", ".join(n for n in exported if n != "CATEGORY")
    header = textwrap.dedent(f'''\
        """SaaS KPI functions for xlwings Lite: =KPI_REPORT(), =KPI(), =CHURN(), =MRR_TABLE() and the rest.

        Generated by `kpi-addin lite` (kpi-addin {__version__}); paste it into the main.py tab of
        the xlwings Lite editor and requirements.txt into its requirements tab.  It carries the
        kpi-addin modules the functions need ({len(modules)} modules, compressed below), so these
        functions give the same numbers as `kpi-addin metrics` and the Windows add-in.
        Regenerate it rather than editing it.
        """
        # ruff: noqa
        ''')
    body = "_PAYLOAD = (\n" + "\n".join(f'    "{line}"' for line in lines) + "\n)\n\n"
    return header + "\n" + body + LOADER + f"\nfrom kpi_addin.excel.functions import {names}  # what Lite registers\n"


def write_lite(out: Path, *, force: bool = False) -> list[Path]:
    """Write ``main.py`` and ``requirements.txt`` into ``out`` (atomically each)."""
    from ..io.safe_write import atomic_output

    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in (("main.py", lite_main_py()), ("requirements.txt", REQUIREMENTS)):
        target = out / name
        with atomic_output(target, force=force) as tmp:
            tmp.write_text(text, encoding="utf-8")
        written.append(target)
    return written
