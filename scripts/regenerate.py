"""Regenerate every file derived from the code, or check that none is stale.

    python scripts/regenerate.py           # rewrite each derived file that differs
    python scripts/regenerate.py --check   # change nothing; exit 1 naming each stale file

The derived files, and what they come from:

* ``README.md``, the block between ``<!-- monthly-keys -->`` markers: the registry's JSON keys;
* ``docs/excel-functions.md``, the function reference between ``<!-- functions -->`` markers:
  the worksheet functions and their argument help;
* ``docs/definitions.md``: the registry (formulas, units, inputs), ``templates/lang/en.toml``
  and the library functions' worked examples;
* ``tests/golden/xlwings_udfs.bas``: the VBA module xlwings writes for our worksheet functions;
* ``workbooks/kpi_functions.xlsm``: every worksheet function on the sample company
  (``scripts/build_functions_workbook.py``; compared by the values of its sheets, since the
  file itself changes on every save);
* ``tests/golden/dashboard_<template>_<lang>/``: the dashboard's reviewed structure, one
  small file per sheet (tables, charts, panes, the defined names pointing into it) and
  ``workbook.json`` (sheet order and state, the other names).

``scripts/test.sh`` (CI) runs ``--check``; the tests compare the same files.  After an
intended change, run this and review ``git diff``.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GOLDEN = ROOT / "tests" / "golden"
#: The dashboards whose structure is golden: (template, language).
DASHBOARDS = (("full", "en"), ("executive", "ko"))
WORKBOOK_SHEETS = ("Examples", "Tables")  # the sheets of kpi_functions.xlsm whose values are checked


@dataclass
class Derived:
    """One derived file: ``fresh()`` gives its content; ``same(committed, fresh)`` compares."""

    path: Path
    fresh: Callable[[], bytes]
    same: Callable[[bytes, bytes], bool] = bytes.__eq__


def _text(make: Callable[[], str]) -> Callable[[], bytes]:
    return lambda: make().encode("utf-8")


def readme() -> str:
    from kpi_addin.docs import readme_with_keys

    return readme_with_keys((ROOT / "README.md").read_text(encoding="utf-8"))


def definitions() -> str:
    from kpi_addin.docs import definitions_markdown

    return definitions_markdown()


def excel_functions_doc() -> str:
    from kpi_addin.docs import FUNCTIONS_END, FUNCTIONS_START, functions_reference, with_block

    text = (ROOT / "docs" / "excel-functions.md").read_text(encoding="utf-8")
    return with_block(text, FUNCTIONS_START, FUNCTIONS_END, functions_reference(), "docs/excel-functions.md")


def vba() -> str:
    from tests.xlwings_windows import UDF_MODULE, windows_xlwings

    with windows_xlwings() as module:
        from xlwings.udfs import generate_vba_wrapper

        workbook = mock.MagicMock()
        workbook.Name = "kpi_functions.xlsm"
        buffer = io.StringIO()
        generate_vba_wrapper(UDF_MODULE, module, buffer, workbook)
        return buffer.getvalue()


def _functions_workbook_builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_functions_workbook", ROOT / "scripts" / "build_functions_workbook.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def functions_workbook() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = _functions_workbook_builder().build(Path(tmp) / "kpi_functions.xlsm")
        return Path(out).read_bytes()


def sheet_values(content: bytes) -> dict[str, list[list[object]]]:
    """The values of the checked sheets of a functions workbook (the file changes on every save)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), data_only=True)
    return {s: [[c.value for c in row] for row in book[s].iter_rows()] for s in WORKBOOK_SHEETS}


def dashboard_description(template: str, lang: str) -> dict[str, object]:
    from kpi_addin.io import read_company_data, sample_path
    from tests.dashboard_helpers import build, describe

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dashboard.xlsx"
        build(read_company_data(sample_path())[0], path, template=template, lang=lang)
        return describe(path)


def dashboard_files(template: str, lang: str) -> dict[str, bytes]:
    from tests.dashboard_helpers import split_description

    files = split_description(dashboard_description(template, lang), lang)
    return {
        name: (json.dumps(part, indent=1, ensure_ascii=False) + "\n").encode("utf-8") for name, part in files.items()
    }


def derived_files() -> list[Derived]:
    files = [
        Derived(ROOT / "README.md", _text(readme)),
        Derived(ROOT / "docs" / "definitions.md", _text(definitions)),
        Derived(ROOT / "docs" / "excel-functions.md", _text(excel_functions_doc)),
        Derived(GOLDEN / "xlwings_udfs.bas", _text(vba)),
        Derived(
            ROOT / "workbooks" / "kpi_functions.xlsm",
            functions_workbook,
            lambda committed, fresh: sheet_values(committed) == sheet_values(fresh),
        ),
    ]
    for template, lang in DASHBOARDS:
        folder = GOLDEN / f"dashboard_{template}_{lang}"
        produced = dashboard_files(template, lang)  # one build gives every file of the folder
        files += [Derived(folder / name, lambda content=content: content) for name, content in produced.items()]
        # a file for a sheet that is gone is stale too (fresh content: none)
        files += [Derived(old, lambda: b"") for old in sorted(folder.glob("*.json")) if old.name not in produced]
    return files


def stale(files: list[Derived]) -> list[tuple[Derived, bytes]]:
    out = []
    for item in files:
        fresh = item.fresh()
        committed = item.path.read_bytes() if item.path.exists() else None
        if committed is None or not fresh or not item.same(committed, fresh):
            if committed is None and not fresh:
                continue
            out.append((item, fresh))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 naming each stale file")
    args = parser.parse_args(argv)
    outdated = stale(derived_files())
    for item, fresh in outdated:
        name = item.path.relative_to(ROOT)
        if args.check:
            print(f"stale: {name}", file=sys.stderr)
        elif fresh:
            item.path.parent.mkdir(parents=True, exist_ok=True)
            item.path.write_bytes(fresh)
            print(f"wrote {name}")
        else:
            item.path.unlink()
            print(f"removed {name}")
    if args.check and outdated:
        print(f"{len(outdated)} derived file(s) out of date: run python scripts/regenerate.py", file=sys.stderr)
        return 1
    if not outdated:
        print("every derived file is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
