"""CONTRIBUTING.md's "Add a KPI" recipe, followed on a scratch copy of the repository.

The snippets are read from CONTRIBUTING.md itself and put where it says; then the one
regeneration command runs, and the new KPI must show in the JSON, in the dashboard's
``MonthlyKPIs`` table as an Excel formula, in the docs, and as the worksheet function
``=EXPANSION_RATE()`` called through xlwings' own Windows path and xlwings Lite's Office.js
code — with no other file edited.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kpi_addin.metrics import MONTHLY_KEYS

from .libreoffice import recalculated_values, soffice

ROOT = Path(__file__).resolve().parents[1]
RECIPE = re.compile(r"<!-- recipe: (\S+) \| (end|before: (.*?)) -->\s*(?:<!-- fmt: off -->\s*)?```\w*\n(.*?)```", re.S)
KEY = "expansion_rate"
FUNCTION = "EXPANSION_RATE"
#: (cells as pywin32 hands them over, what Excel shows): worked by hand
CALLS = [
    ((500.0, 10_000.0), 0.05),  # 500 / 10,000
    ((0.0, 0.0), "#DIV/0!"),  # no MRR at the start: undefined
    (("ten", 10_000.0), "#VALUE!"),  # text where a number belongs
    ((None, 10_000.0), "#VALUE!"),  # a blank is not zero
    ((-1.0, 10_000.0), "#NUM!"),  # negative MRR
]
#: Runs in the scratch copy: the new function through xlwings' real Windows machinery.
WINDOWS_CALLS = f"""
import json
from tests.xlwings_windows import UDF_MODULE, windows_xlwings
with windows_xlwings() as module:
    from xlwings.com_server import XLPython
    server = XLPython()
    results = [server.CallUDF(UDF_MODULE, "{FUNCTION}", args, None, None) for args, _ in {CALLS!r}]
    info = getattr(module, "{FUNCTION}").__xlfunc__
print(json.dumps({{"results": results, "args": info["args"], "doc": info["ret"]["doc"]}}))
"""
#: What the recipe says the command rewrites for a KPI the subscriptions alone give.
REGENERATED = {
    "README.md",
    "docs/definitions.md",
    "docs/excel-functions.md",
    "tests/golden/xlwings_udfs.bas",
    "tests/golden/dashboard_full_en/monthly.json",
    "tests/golden/dashboard_executive_ko/monthly.json",
    "workbooks/kpi_functions.xlsm",
}
HAND_EDITED = {
    "kpi_addin/metrics/catalogue.py",
    "templates/lang/en.toml",
    "templates/lang/ko.toml",
    "tests/test_kpi_formulas.py",
}


def recipe_steps() -> list[tuple[str, str | None, str]]:
    """(file, the line to insert above or None for the end, the snippet) from CONTRIBUTING.md."""
    text = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
    section = text.split("## Add a KPI", 1)[1].split("\n## ", 1)[0]
    steps = [(m.group(1), m.group(3), textwrap.dedent(m.group(4))) for m in RECIPE.finditer(section)]
    assert len(steps) == 4, "CONTRIBUTING.md's Add a KPI recipe has lost its snippets"
    return steps


def repository_files() -> list[str]:
    if (ROOT / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(
            ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.splitlines()
        return [f for f in listed if (ROOT / f).is_file()]
    skip = {".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
    return [str(p.relative_to(ROOT)) for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.parts)]


def run(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run([sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=900)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed in the scratch copy:\n{done.stdout}\n{done.stderr}")
    return done


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    root = tmp_path_factory.mktemp("repository")
    for name in repository_files():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, root / name)
    before = snapshot(root)
    edited = set()
    for name, anchor, snippet in recipe_steps():
        path = root / name
        text = path.read_text(encoding="utf-8")
        if anchor is None:
            text = text.rstrip("\n") + "\n" + snippet
        else:
            lines = text.splitlines(keepends=True)
            at = [i for i, line in enumerate(lines) if line.strip().startswith(anchor.strip())]
            assert len(at) == 1, f"{name}: no line starts with the recipe's {anchor!r} (or more than one)"
            margin = lines[at[0]][: len(lines[at[0]]) - len(lines[at[0]].lstrip())]
            lines.insert(at[0], textwrap.indent(snippet, margin))  # as indented as the line it goes above
            text = "".join(lines)
        path.write_text(text, encoding="utf-8")
        edited.add(name)
    stale = run(root, "scripts/regenerate.py", "--check", check=False)
    regenerated = run(root, "scripts/regenerate.py")
    after = snapshot(root)
    changed = {n for n in after if before.get(n) != after[n]}
    return {
        "root": root,
        "edited": edited,
        "changed": changed,
        "stale": stale,
        "regenerated": regenerated.stdout,
    }


def test_the_recipe_edits_three_files_and_a_test(scratch):
    assert scratch["edited"] == HAND_EDITED


def test_check_names_each_stale_file_and_one_command_regenerates_them(scratch):
    stale = scratch["stale"]
    assert stale.returncode == 1
    named = set(re.findall(r"^stale: (\S+)$", stale.stderr, re.M))
    assert named == REGENERATED, stale.stderr
    assert scratch["changed"] == HAND_EDITED | REGENERATED  # nothing else moved
    assert run(scratch["root"], "scripts/regenerate.py", "--check").returncode == 0


def test_the_new_kpi_is_in_the_json_last(scratch):
    done = run(scratch["root"], "-m", "kpi_addin.cli", "metrics", "--format", "json")
    months = json.loads(done.stdout)["months"]
    assert [k for k in months[-1] if k not in ("plan", "variance")][-1] == KEY  # then the sample's plan
    # independent of the formula: the bridge's start is the month before's MRR
    for previous, current in zip(months[-6:-1], months[-5:], strict=True):
        assert current[KEY] == pytest.approx(current["expansion_mrr"] / previous["mrr"], rel=1e-12)


def test_the_new_kpi_is_a_monthly_kpis_formula_that_recalculates(scratch, tmp_path):
    root = scratch["root"]
    out = tmp_path / "dashboard.xlsx"
    run(root, "-m", "kpi_addin.cli", "dashboard", "--out", str(out), "--force")
    sheet = load_workbook(out)["Monthly KPIs"]
    headers = [c.value for c in sheet[4]]
    assert headers[-1] == KEY
    letter, expansion = get_column_letter(len(headers)), get_column_letter(headers.index("expansion_mrr") + 1)
    last = int(re.search(r"(\d+)$", sheet.tables["MonthlyKPIs"].ref).group(1))  # the as-of month
    formula = sheet[f"{letter}{last}"].value
    assert formula.startswith(f"={expansion}{last}/") and "Ledger aggregates" in formula, formula
    cached = load_workbook(out, data_only=True)["Monthly KPIs"]
    value = cached[f"{letter}{last}"].value
    expected = cached[f"{expansion}{last}"].value / cached[f"B{last - 1}"].value  # expansion ÷ last month's MRR
    assert value == pytest.approx(expected, rel=1e-12)
    if soffice():
        recalculated = recalculated_values(out, tmp_path)["Monthly KPIs"]
        assert recalculated[f"{letter}{last}"] == pytest.approx(expected, rel=1e-9)


def test_the_new_kpi_is_in_the_docs(scratch):
    root = scratch["root"]
    definitions = (root / "docs" / "definitions.md").read_text(encoding="utf-8")
    assert f"### Expansion rate — `{KEY}`" in definitions
    assert "- formula: `expansion_mrr / start_mrr`" in definitions
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert f"{MONTHLY_KEYS[-2]}, {MONTHLY_KEYS[-1]}, {KEY}" in re.sub(r"\s+", " ", readme)  # the last key


ARGUMENT_HELP = [
    "Expansion MRR of the period (money per month, 0 or more)",  # en.toml's [arguments], there already
    "MRR at the start of the period (money per month, 0 or more)",
]


def test_the_new_kpi_is_a_worksheet_function_on_windows(scratch):
    done = run(scratch["root"], "-c", WINDOWS_CALLS)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert [a["name"] for a in out["args"]] == ["expansion_mrr", "start_mrr"]  # the formula's columns
    assert [a["doc"] for a in out["args"]] == ARGUMENT_HELP
    assert out["doc"].startswith("Expansion rate: expansion MRR / MRR at the end of the month before.")
    for (args, expected), got in zip(CALLS, out["results"], strict=True):
        assert got == (pytest.approx(expected, rel=1e-12) if isinstance(expected, float) else expected), args
    reference = (scratch["root"] / "docs" / "excel-functions.md").read_text(encoding="utf-8")
    assert f"| `{FUNCTION}(expansion_mrr, start_mrr)` | Expansion rate: " in reference
    vba = (scratch["root"] / "tests" / "golden" / "xlwings_udfs.bas").read_text(encoding="utf-8")
    assert f"Function {FUNCTION}(expansion_mrr, start_mrr)" in vba


def test_the_new_kpi_is_a_worksheet_function_in_xlwings_lite(scratch, tmp_path):
    """``kpi-addin lite``'s main.py, loaded on its own (its embedded modules, no templates
    folder) and called through xlwings' Office.js custom-function code, as Lite runs it."""
    from .excel_ranges import from_lite, to_office_js

    root = scratch["root"]
    run(root, "-m", "kpi_addin.cli", "lite", "--out", str(tmp_path / "lite"))
    main = tmp_path / "lite" / "main.py"
    assert FUNCTION in main.read_text(encoding="utf-8").rsplit("\n", 2)[-2]  # what Lite registers
    calls = [[FUNCTION, to_office_js(list(args))] for args, _ in CALLS]
    request = tmp_path / "request.json"
    site = str(Path(pytest.__file__).resolve().parents[1])  # this interpreter's packages (xlwings, pandas)
    request.write_text(json.dumps({"main": str(main), "site": site, "calls": calls}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # kpi_addin only from main.py
    done = subprocess.run(
        [sys.executable, str(root / "tests" / "lite_runner.py"), str(request)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    meta = {f["name"]: f for f in out["meta"]["functions"]}[FUNCTION]
    assert [p["name"] for p in meta["parameters"]] == ["expansion_mrr", "start_mrr"]
    assert [p["description"] for p in meta["parameters"]] == ARGUMENT_HELP  # embedded in main.py
    for (args, expected), result in zip(CALLS, out["results"], strict=True):
        got = from_lite(result)[0][0]
        assert got == (pytest.approx(expected, rel=1e-12) if isinstance(expected, float) else expected), args


def test_the_registry_tests_pass_with_the_new_kpi(scratch):
    done = run(
        scratch["root"],
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_registry.py",
        "tests/test_kpi_formulas.py",
        "tests/test_registry_functions.py",
        "tests/test_excel_functions.py",
        "tests/test_functions_workbook.py",
        "tests/test_dashboard_structure.py::test_structure_matches_the_golden_description",
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    edited = [name for name in sorted(HAND_EDITED) if name.endswith(".py")]
    lint = run(scratch["root"], "-m", "ruff", "format", "--check", *edited, check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr  # the snippets are formatted as the code around them
