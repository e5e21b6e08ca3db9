"""Compare ways of writing the dashboard's big parts, side by side on the 1M-subscription ledger.

    python benchmarks/compare_writers.py [--repeat 3] [--cases today,write-only,...] [--fill-cost]

Each case writes one workbook with the two parts of the dashboard that are not plain
openpyxl: the subscriptions ledger sheet (1,000,000 rows × 8 columns, dates styled, text
that starts like a formula quote-prefixed) and a MonthlyKPIs-sized formula table (36 rows ×
40 formula columns over an inputs sheet, some of them ``#DIV/0!``) whose cells carry cached
values.  The cases:

* ``load``        — read the CSV into a typed frame and stop: the baseline every case pays.
* ``today``       — what the dashboard does: openpyxl (normal mode) writes everything but the
  ledger's rows and both Excel Tables; the ledger rows are streamed as XML built with pandas
  (:mod:`kpi_addin.dashboard.stream`) and the formulas' ``<v/>`` filled by the regex pass
  (:mod:`kpi_addin.dashboard.cache`), in one rewrite of the saved file.
* ``write-only``  — openpyxl's write-only mode appends the ledger row by row (and the formula
  rows); Tables as today; cached values by the same regex pass.
* ``xlsxwriter-cm`` — XlsxWriter with ``constant_memory``: the ledger row by row, the
  formulas by ``write_formula(..., value=...)``.  It cannot add an Excel Table in this mode
  (``add_table`` returns -3), so neither Table is there: not what the dashboard needs.
* ``xlsxwriter``  — XlsxWriter in its normal mode, with both Tables: what a switch would use.

Cases run in fresh processes, alternating (every case once, then again), best of N.  Time
is wall time inside the process after the frame is loaded (``write``) and of the whole
process (``process``); memory is the whole process's peak resident set (``ru_maxrss`` of the
child), so the writer's own share is that minus the ``load`` case's.  Every output is read
back with python-calamine: the ledger's row count and sampled rows equal the frame, and
every formula's cached value equals the value the case meant to cache.

``--fill-cost`` also times the cached-value pass of the real dashboard (the bundled sample,
and the 1M ledger with ``--include-ledger``) with and without the regex fill, so its own cost
is the difference.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from run_metrics_benchmark import DATA, HERE, measure

CASES = ("load", "today", "write-only", "xlsxwriter-cm", "xlsxwriter")
KINDS = {
    "customer_id": "text",
    "amount": "number",
    "interval": "text",
    "quantity": "number",
    "currency": "text",
    "start_date": "date",
    "end_date": "date",
    "trial_end": "date",
}
FORMULA_ROWS, FORMULA_COLUMNS, INPUT_COLUMNS = 36, 40, 10
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")  # kpi_addin.dashboard.cells.FORMULA_TRIGGERS
LEDGER, INPUTS, MONTHLY = "Subscriptions", "Inputs", "MonthlyKPIs"
DATE_FORMAT = "yyyy-mm-dd"
CHUNK_ROWS = 50_000  # as kpi_addin.dashboard.stream: rows turned into Python values at a time
EPOCH = np.datetime64("1899-12-30")


# ---------------------------------------------------------------------------- the data


def load_ledger(path: Path, rows: int | None = None) -> pd.DataFrame:
    """The ledger (its first ``rows``) typed as the reader types it: text, float numbers, datetime64 dates."""
    frame = pd.read_csv(path, engine="pyarrow")
    if rows is not None:
        frame = frame.head(rows).copy()
    for column, kind in KINDS.items():
        if kind == "date":
            frame[column] = pd.to_datetime(frame[column])
        elif kind == "number":
            frame[column] = frame[column].astype(float)
        else:
            frame[column] = frame[column].astype(object)
    return frame


def formula_table() -> tuple[np.ndarray, list[list[tuple[str, object]]]]:
    """An inputs block (36 × 10 numbers, some zeros) and 36 × 40 (formula, cached value):
    products, sums and ratios of the inputs, the ratios ``#DIV/0!`` where the divisor is 0."""
    rng = np.random.default_rng(7)
    inputs = np.round(rng.uniform(0, 1000, size=(FORMULA_ROWS, INPUT_COLUMNS)), 2)
    inputs[::5, 3] = 0.0
    rows = []
    for i in range(FORMULA_ROWS):
        r = i + 2  # inputs and formulas from row 2, headers on row 1
        row = []
        for j in range(FORMULA_COLUMNS):
            a, b = j % INPUT_COLUMNS, (j + 3) % INPUT_COLUMNS
            la, lb = chr(ord("A") + a), chr(ord("A") + b)
            x, y = float(inputs[i, a]), float(inputs[i, b])
            if j % 3 == 0:
                row.append((f"{INPUTS}!{la}{r}*12+{INPUTS}!{lb}{r}", x * 12 + y))
            elif j % 3 == 1:
                row.append((f"{INPUTS}!{la}{r}-{INPUTS}!{lb}{r}", x - y))
            else:
                row.append((f"{INPUTS}!{la}{r}/{INPUTS}!{lb}{r}", x / y if y else "#DIV/0!"))
        rows.append(row)
    return inputs, rows


def formula_letter(j: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(j + 1)


# ---------------------------------------------------------------------------- the cases


def case_today(frame: pd.DataFrame, out: Path) -> dict[str, float]:
    from openpyxl import Workbook
    from openpyxl.worksheet.table import Table, TableStyleInfo

    from kpi_addin.dashboard.cache import fill_cached_values
    from kpi_addin.dashboard.stream import StreamedRows

    t0 = time.perf_counter()
    wb = Workbook()
    ledger = wb.active
    ledger.title = LEDGER
    columns = list(frame.columns)
    for j, name in enumerate(columns, start=1):
        ledger.cell(row=1, column=j, value=name)
    # the builder's style registration (builder.DashboardBuilder._stream_ledger)
    dates = ledger.cell(row=1, column=len(columns) + 30)
    dates.number_format = DATE_FORMAT
    prefixed = ledger.cell(row=1, column=len(columns) + 31)
    prefixed.quotePrefix = True
    date_style, prefix_style = dates.style_id, prefixed.style_id
    for scratch in (dates, prefixed):
        del ledger._cells[(scratch.row, scratch.column)]
    _openpyxl_table(ledger, LEDGER, columns, len(frame))
    streamed = {LEDGER: StreamedRows(frame, columns, KINDS, 2, date_style, prefix_style)}
    expected = _openpyxl_formulas(wb, Table, TableStyleInfo)
    raw = out.with_suffix(".raw.xlsx")
    t1 = time.perf_counter()
    wb.save(raw)
    t2 = time.perf_counter()
    fill_cached_values(raw, out, expected, streamed)
    t3 = time.perf_counter()
    raw.unlink()
    return {"build": t1 - t0, "save": t2 - t1, "fill+stream": t3 - t2, "write": t3 - t0}


def case_write_only(frame: pd.DataFrame, out: Path) -> dict[str, float]:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.worksheet.table import Table, TableStyleInfo

    from kpi_addin.dashboard.cache import fill_cached_values

    t0 = time.perf_counter()
    wb = Workbook(write_only=True)
    ledger = wb.create_sheet(LEDGER)
    columns = list(frame.columns)
    ledger.append(columns)
    # per column of a chunk of rows (so the Python values never exist for all rows at once):
    # Python values, None for missing; text that starts like a formula as a quote-prefixed
    # text cell (openpyxl would otherwise take "=..." as a formula)
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS]
        values = []
        for column in columns:
            series = chunk[column]
            if KINDS[column] == "date":
                days = (series.to_numpy(dtype="datetime64[ns]") - EPOCH) / np.timedelta64(1, "D")
                values.append([_date_cell(ledger, d) if d == d else None for d in days])
            elif KINDS[column] == "number":
                values.append([None if v != v else v for v in series.tolist()])
            else:
                texts = series.astype(str)
                risky = texts.str.startswith(TRIGGERS).to_numpy()
                cells = texts.tolist()
                for i in np.flatnonzero(risky):
                    cell = WriteOnlyCell(ledger, value=cells[i])
                    cell.data_type, cell.quotePrefix = "s", True
                    cells[i] = cell
                values.append([None if n else v for v, n in zip(cells, series.isna().tolist(), strict=True)])
        for row in zip(*values, strict=True):
            ledger.append(row)
    _openpyxl_table(ledger, LEDGER, columns, len(frame))
    expected = _openpyxl_formulas(wb, Table, TableStyleInfo, write_only=True)
    raw = out.with_suffix(".raw.xlsx")
    t1 = time.perf_counter()
    wb.save(raw)
    t2 = time.perf_counter()
    fill_cached_values(raw, out, expected)
    t3 = time.perf_counter()
    raw.unlink()
    return {"build": t1 - t0, "save": t2 - t1, "fill+stream": t3 - t2, "write": t3 - t0}


def _date_cell(ws: object, serial: float) -> object:
    """A date as a styled write-only cell (a number with the date format, as Excel stores it)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=serial)
    cell.number_format = DATE_FORMAT
    return cell


def _openpyxl_table(ws: object, name: str, columns: list[str], rows: int) -> None:
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    table = Table(displayName=name, ref=f"A1:{get_column_letter(len(columns))}{rows + 1}")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    table._initialise_columns()  # as builder.add_table: names given, the header cells never read
    for column, header in zip(table.tableColumns, columns, strict=True):
        column.name = header
    ws.add_table(table)  # type: ignore[attr-defined]


def _openpyxl_formulas(wb: object, table_cls: type, style_cls: type, write_only: bool = False) -> dict:
    inputs_block, rows = formula_table()
    inputs = wb.create_sheet(INPUTS)  # type: ignore[attr-defined]
    monthly = wb.create_sheet(MONTHLY)  # type: ignore[attr-defined]
    inputs.append([f"in{j}" for j in range(INPUT_COLUMNS)])
    for values in inputs_block.tolist():
        inputs.append(values)
    monthly.append([f"kpi{j}" for j in range(FORMULA_COLUMNS)])
    expected: dict[str, object] = {}
    for i, row in enumerate(rows):
        monthly.append(["=" + formula for formula, _ in row])
        for j, (_, value) in enumerate(row):
            expected[f"{formula_letter(j)}{i + 2}"] = value
    table = table_cls(displayName=MONTHLY, ref=f"A1:{formula_letter(FORMULA_COLUMNS - 1)}{FORMULA_ROWS + 1}")
    table.tableStyleInfo = style_cls(name="TableStyleMedium2", showRowStripes=True)
    table._initialise_columns()
    for column, j in zip(table.tableColumns, range(FORMULA_COLUMNS), strict=True):
        column.name = f"kpi{j}"
    monthly.add_table(table)
    return {MONTHLY: expected}


def case_xlsxwriter(frame: pd.DataFrame, out: Path, constant_memory: bool) -> dict[str, float]:
    import xlsxwriter

    t0 = time.perf_counter()
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": constant_memory})
    date_format = wb.add_format({"num_format": DATE_FORMAT})
    prefix_format = wb.add_format({"quote_prefix": True})
    ledger = wb.add_worksheet(LEDGER)
    columns = list(frame.columns)
    ledger.write_row(0, 0, columns)
    # per column of a chunk of rows: (writer, values, formats, blanks), so the row loop does no
    # type dispatch and the Python values never exist for all rows at once
    for start in range(0, len(frame), CHUNK_ROWS):
        chunk = frame.iloc[start : start + CHUNK_ROWS]
        plans = []
        for column in columns:
            series = chunk[column]
            blank = series.isna().to_numpy()
            if KINDS[column] == "date":
                days = ((series.to_numpy(dtype="datetime64[ns]") - EPOCH) / np.timedelta64(1, "D")).tolist()
                plans.append((ledger.write_number, days, [date_format] * len(days), blank))
            elif KINDS[column] == "number":
                plans.append((ledger.write_number, series.tolist(), [None] * len(series), blank))
            else:
                texts = series.astype(str)
                formats = np.where(texts.str.startswith(TRIGGERS).to_numpy(), prefix_format, None).tolist()
                plans.append((ledger.write_string, texts.tolist(), formats, blank))
        for i in range(len(chunk)):
            r = start + i + 1
            for j, (write, values, formats, blank) in enumerate(plans):
                if not blank[i]:
                    write(r, j, values[i], formats[i])
    if not constant_memory:
        ledger.add_table(
            0, 0, len(frame), len(columns) - 1, {"name": LEDGER, "columns": [{"header": c} for c in columns]}
        )
    inputs_block, rows = formula_table()
    inputs = wb.add_worksheet(INPUTS)
    monthly = wb.add_worksheet(MONTHLY)
    inputs.write_row(0, 0, [f"in{j}" for j in range(INPUT_COLUMNS)])
    for i, values in enumerate(inputs_block.tolist()):
        inputs.write_row(i + 1, 0, values)
    monthly.write_row(0, 0, [f"kpi{j}" for j in range(FORMULA_COLUMNS)])
    for i, row in enumerate(rows):
        for j, (formula, value) in enumerate(row):
            monthly.write_formula(i + 1, j, "=" + formula, None, value)
    if not constant_memory:
        monthly.add_table(
            0,
            0,
            FORMULA_ROWS,
            FORMULA_COLUMNS - 1,
            {
                "name": MONTHLY,
                "columns": [{"header": f"kpi{j}"} for j in range(FORMULA_COLUMNS)],
            },
        )
    t1 = time.perf_counter()
    wb.close()
    t2 = time.perf_counter()
    return {"build": t1 - t0, "save": t2 - t1, "fill+stream": 0.0, "write": t2 - t0}


def child(case: str, out: Path, rows: int | None) -> None:
    frame = load_ledger(DATA / "subscriptions.csv", rows)
    cpu = time.process_time()
    if case == "load":
        result = {"build": 0.0, "save": 0.0, "fill+stream": 0.0, "write": 0.0}
    elif case == "today":
        result = case_today(frame, out)
    elif case == "write-only":
        result = case_write_only(frame, out)
    elif case == "xlsxwriter-cm":
        result = case_xlsxwriter(frame, out, constant_memory=True)
    else:
        result = case_xlsxwriter(frame, out, constant_memory=False)
    result["cpu"] = time.process_time() - cpu  # CPU seconds of the writing: steadier than wall time on a busy machine
    print(json.dumps(result))


# ---------------------------------------------------------------------------- checking outputs


def check_output(path: Path, frame: pd.DataFrame, tables: bool) -> str:
    """Read ``path`` back (python-calamine: cached values) and compare with what was written."""
    import re
    import zipfile

    from python_calamine import CalamineWorkbook

    from kpi_addin.dashboard.cache import sheet_paths

    book = CalamineWorkbook.from_path(str(path))
    ledger = book.get_sheet_by_name(LEDGER).to_python(skip_empty_area=False)
    assert len(ledger) == len(frame) + 1, f"{path.name}: {len(ledger) - 1} ledger rows, expected {len(frame)}"
    assert list(ledger[0]) == list(frame.columns), f"{path.name}: ledger header {ledger[0]}"
    rng = np.random.default_rng(3)
    for i in [0, len(frame) - 1, *rng.integers(0, len(frame), 200).tolist()]:
        for j, column in enumerate(frame.columns):
            want, got = frame[column].iloc[i], ledger[i + 1][j]
            if pd.isna(want):
                assert got in ("", None), f"{path.name}: row {i} {column}: {got!r}, expected blank"
            elif KINDS[column] == "date":
                assert pd.Timestamp(got) == want, f"{path.name}: row {i} {column}: {got!r} != {want!r}"
            elif KINDS[column] == "number":
                assert float(got) == float(want), f"{path.name}: row {i} {column}: {got!r} != {want!r}"
            else:
                assert got == want, f"{path.name}: row {i} {column}: {got!r} != {want!r}"
    monthly = book.get_sheet_by_name(MONTHLY).to_python(skip_empty_area=False)
    with zipfile.ZipFile(path) as archive:
        n_tables = sum(name.startswith("xl/tables/") for name in archive.namelist())
        xml = archive.read(sheet_paths(archive)[MONTHLY]).decode("utf-8")
    # calamine reads an error as "": the errors are checked in the XML, as t="e" cells
    errors = dict(re.findall(r'<c r="([A-Z]+[0-9]+)"[^>]* t="e"[^>]*><f>[^<]*</f><v>([^<]*)</v></c>', xml))
    _, rows = formula_table()
    for i, row in enumerate(rows):
        for j, (_, value) in enumerate(row):
            ref = f"{formula_letter(j)}{i + 2}"
            got = errors.get(ref) if isinstance(value, str) else monthly[i + 1][j]
            ok = got == value if isinstance(value, str) else isinstance(got, float) and math.isclose(got, value)
            assert ok, f"{path.name}: {MONTHLY}!{ref} cached {got!r}, expected {value!r}"
    assert n_tables == (2 if tables else 0), f"{path.name}: {n_tables} tables"
    cached = FORMULA_ROWS * FORMULA_COLUMNS
    return f"ledger {len(frame):,} rows and {cached} cached values read back equal; {n_tables} tables"


# ---------------------------------------------------------------------------- the cached-value pass


FILL_COST = """
import sys, time, tempfile, json
from pathlib import Path
from kpi_addin.cli import load_report
from kpi_addin.dashboard.builder import BuildOptions, build_workbook
from kpi_addin.dashboard.cache import fill_cached_values
from kpi_addin.dashboard.template import load_template
from kpi_addin.lang import load_language
data = Path(sys.argv[1]) if sys.argv[1] != "sample" else None
repeat = int(sys.argv[2])
company, report = load_report(data, None)
built = build_workbook(company, report, BuildOptions(load_template("full"), load_language("en"), include_ledger=True))
with tempfile.TemporaryDirectory() as work:
    raw, out = Path(work) / "raw.xlsx", Path(work) / "out.xlsx"
    built.workbook.save(raw)
    n = 0
    runs = {"fill": [], "copy": [], "fill+stream": [], "stream": []}
    passes = (("fill", built.expected, None), ("copy", {}, None),
              ("fill+stream", built.expected, built.streamed), ("stream", {}, built.streamed))
    for _ in range(repeat):
        for key, expected, streamed in passes:
            t = time.perf_counter()
            n = fill_cached_values(raw, out, expected, streamed) or n
            runs[key].append(time.perf_counter() - t)
    best = {key: min(times) for key, times in runs.items()}
    cells = sum(len(c) for c in built.expected.values())
    print(json.dumps({**best, "filled": n, "cells": cells, "raw_mb": raw.stat().st_size / 1e6,
                      "ledger_rows": sum(len(s.frame) for s in built.streamed.values())}))
"""


def fill_cost(repeat: int) -> None:
    print("\nthe cached-value pass of the real dashboard (best of", repeat, "each, alternating):")
    for label, data in (("sample dashboard", "sample"), ("1M dashboard --include-ledger", str(DATA))):
        _, rss, out = measure([sys.executable, "-c", FILL_COST, data, str(repeat)])
        r = json.loads(out.strip().splitlines()[-1])
        print(
            f"  {label} ({r['cells']:,} formula cells, {r['filled']:,} filled; openpyxl's file {r['raw_mb']:.1f} MB; "
            f"ledger rows streamed {r['ledger_rows']:,}; peak RSS {rss:.0f} MB):\n"
            f"    regex fill pass {r['fill']:.3f} s vs plain copy {r['copy']:.3f} s "
            f"→ fill {r['fill'] - r['copy']:.3f} s; "
            f"with the ledger stream {r['fill+stream']:.3f} s vs stream alone {r['stream']:.3f} s"
        )


# ---------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--fill-cost", action="store_true")
    parser.add_argument("--rows", type=int, help="only the ledger's first ROWS rows (a quick trial)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.out, args.rows)
        return
    if not (DATA / "subscriptions.csv").exists():
        subprocess.run([sys.executable, str(HERE / "make_ledger.py"), "--out", str(DATA)], check=True)
    cases = args.cases.split(",")
    results: dict[str, list[tuple[float, float, dict[str, float], int]]] = {c: [] for c in cases}
    with tempfile.TemporaryDirectory() as work:
        outs = {c: Path(work) / f"{c}.xlsx" for c in cases}
        for round_ in range(args.repeat):
            order = cases if round_ % 2 == 0 else cases[::-1]  # alternate, so no case always runs first
            for case in order:
                seconds, rss, printed = measure(
                    [sys.executable, __file__, "--child", case, "--out", str(outs[case])]
                    + (["--rows", str(args.rows)] if args.rows else [])
                )
                size = outs[case].stat().st_size if outs[case].exists() else 0
                results[case].append((seconds, rss, json.loads(printed.strip().splitlines()[-1]), size))
                print(f"  round {round_ + 1} {case}: {seconds:.1f} s, {rss:.0f} MB", file=sys.stderr)
        print(f"ledger {DATA / 'subscriptions.csv'}; best of {args.repeat}; memory = peak RSS of the whole process")
        print(
            "| case | write, wall | write, CPU | build | save | fill+stream | process | peak RSS | over load | file |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        base = min(r[1] for r in results["load"]) if "load" in results else 0.0
        for case, runs in results.items():
            best = min(runs, key=lambda r: r[2]["write"])
            rss = min(r[1] for r in runs)
            print(
                f"| {case} | {best[2]['write']:.1f} s | {min(r[2]['cpu'] for r in runs):.1f} s | "
                f"{best[2]['build']:.1f} s | {best[2]['save']:.1f} s | "
                f"{best[2]['fill+stream']:.1f} s | {min(r[0] for r in runs):.1f} s | {rss:.0f} MB | "
                f"{rss - base:+.0f} MB | {best[3] / 1e6:.1f} MB |"
            )
        frame = load_ledger(DATA / "subscriptions.csv", args.rows)
        for case in cases:
            if case != "load":
                print(f"check {case}: {check_output(outs[case], frame, tables=case != 'xlsxwriter-cm')}")
    if args.fill_cost:
        fill_cost(args.repeat)


if __name__ == "__main__":
    main()
