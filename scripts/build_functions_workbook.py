"""Build workbooks/kpi_functions.xlsm: the workbook a finance user opens first.

It starts from xlwings' own quickstart workbook (openpyxl with keep_vba=True keeps its
VBA project), activates its settings sheet as ``xlwings.conf`` with ``UDF Modules`` set
to our module, and adds:

* **Examples** — every function used on the sample company's latest month, each with the
  value the cell should show (the library's) beside it;
* **Tables** — MRR_TABLE, MRR_MOVEMENTS and COHORTS over the sample's subscriptions;
* **Subscriptions**, **FX rates** — the sample data the examples read.

    python scripts/build_functions_workbook.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd
import xlwings
from openpyxl import load_workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.formula import ArrayFormula

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kpi_addin.dashboard.cache import fill_cached_values  # noqa: E402
from kpi_addin.dashboard.cells import put_text  # noqa: E402
from kpi_addin.excel import functions  # noqa: E402
from kpi_addin.io import read_company_data, sample_path, schema  # noqa: E402
from kpi_addin.metrics import monthly_kpis  # noqa: E402
from kpi_addin.metrics.customers import customer_lifetime_months  # noqa: E402

OUT = ROOT / "workbooks" / "kpi_functions.xlsm"
UDF_MODULE = "kpi_addin.excel.functions"
BOLD = Font(bold=True)
HEADER = PatternFill("solid", fgColor="DDEBF7")
#: The sample's input sheets, as sheets of the workbook (the report functions read them all).
INPUT_SHEETS = {
    "subscriptions": "Subscriptions",
    "fx_rates": "FX rates",
    "costs": "Costs",
    "funnel": "Funnel",
    "nps": "NPS",
    "balance_sheet": "Balance sheet",
    "settings": "Settings",
}
NUMBER_KINDS = {"money", "number", "count", "score", "rate"}


def build(out: Path = OUT) -> Path:
    data, _ = read_company_data(sample_path())
    report = monthly_kpis(data)
    month = report.as_of
    m = report.monthly.iloc[-1]
    extras = report.extras.iloc[-1]
    sheet = report.balance_sheet
    bs_row = data.balance_sheet.loc[data.balance_sheet["period"].dt.to_period("M") == pd.Period(sheet["period"])]
    bs = bs_row.iloc[0]
    scores = data.nps.loc[data.nps["date"].dt.to_period("M") == month, "score"].tolist()

    wb = load_workbook(Path(xlwings.__file__).parent / "quickstart.xlsm", keep_vba=True)
    conf = wb["_xlwings.conf"]
    conf.title = "xlwings.conf"
    for row in conf.iter_rows(min_col=1, max_col=2):
        if row[0].value == "UDF Modules":
            row[1].value = UDF_MODULE
    ex = wb["Sheet1"]
    ex.title = "Examples"
    wb.move_sheet("Examples", offset=-wb.index(ex))
    wb.active = 0

    put_text(ex["A1"], f"kpi-addin worksheet functions — the sample company, {month}")
    ex["A1"].font = Font(bold=True, size=14)
    put_text(
        ex["A2"],
        "Set-up (Windows): in a virtual environment, pip install -e . from the kpi-addin repository (or pip install "
        "its built kpi_addin-*.whl: it is not on the package index); xlwings addin install; open this file; "
        "xlwings tab → Import Functions. Column E shows what column D should show. "
        "Mac and Excel on the web: kpi-addin lite (xlwings Lite).",
    )
    # the inputs, as a finance user would have them: one row per column a function reads
    figures = _month_figures(report, bs)
    generated = list(functions.GENERATED.values())
    columns = list(dict.fromkeys(a for f in generated for a in f.__kpi__.arguments))
    columns += [c for c in HAND_INPUTS if c not in columns]
    lifetime = "Average lifetime (months)"
    values: list[tuple[str, str, object]] = [(c, _label(c), figures[c]) for c in columns]
    values.append((lifetime, lifetime, customer_lifetime_months(m["customer_churn_rate"])))
    put_text(ex["A4"], "Input")
    put_text(ex["B4"], "Value")
    cell: dict[str, str] = {}
    for i, (name, label, value) in enumerate(values):
        r = 5 + i
        put_text(ex[f"A{r}"], label)
        ex[f"B{r}"] = float(value)
        cell[name] = f"B{r}"
    scores_top = 5 + len(values) + 1
    put_text(ex[f"A{scores_top}"], f"NPS answers in {month}")
    for i, score in enumerate(scores):
        ex[f"B{scores_top + 1 + i}"] = float(score)
    scores_range = f"B{scores_top + 1}:B{scores_top + len(scores)}"
    c = cell.__getitem__
    cts_range = f"{c('customer_success')}:{c('retention_programs')}"
    # the functions made from the registry: each reads the cells of its formula's columns and
    # should show the KPI's figure of the report (the month's, or the balance sheet's)
    examples = [
        (
            f.__name__,
            ",".join(c(a) for a in f.__kpi__.arguments),
            m[f.__kpi__.key] if f.__kpi__.monthly else sheet[f.__kpi__.key],
        )
        for f in generated
    ]
    # the functions written by hand
    examples += [
        ("MRR", f"{c('customers')},{c('arpu')}", m["mrr"]),
        ("LTV", f"{c('arpu')},{c('customer_churn_rate')}", m["ltv"]),
        ("CLV", f"{c('arpu')},{c(lifetime)}", m["ltv"]),
        ("CTS", f"{cts_range},{c('customers')}", m["cts"]),
        ("ANNUALIZE_CHURN", c("customer_churn_rate"), extras["annualized_churn"]),
        ("NPS", scores_range, m["nps"]),
        ("CONVERSION", f"{c('leads')},{c('visitors')}", extras["visitor_to_lead"]),
    ]
    for j, title in enumerate(("Function", "What it is", "Formula", "Result", "Should show"), start=3):
        put_text(ex.cell(row=4, column=j), title)
    for col in "ABCDEFG":
        ex[f"{col}4"].font, ex[f"{col}4"].fill = BOLD, HEADER
    expected: dict[str, object] = {}
    rows = {name: 5 + i for i, (name, _args, _value) in enumerate(examples)}
    for name, args, value in examples:
        r = rows[name]
        formula = f"={name}({args})"
        put_text(ex[f"C{r}"], name)
        put_text(ex[f"D{r}"], (getattr(functions, name).__doc__ or "").strip())
        put_text(ex[f"E{r}"], formula)  # the formula as text, to read
        ex[f"F{r}"] = formula  # the live formula
        ex[f"G{r}"] = float(value)
        expected[f"F{r}"] = float(value)
    for col, width in {"A": 36, "B": 14, "C": 20, "D": 60, "E": 44, "F": 14, "G": 14}.items():
        ex.column_dimensions[col].width = width

    subs = pd.read_csv(sample_path() / "subscriptions.csv", dtype=str, keep_default_na=False)
    fx = pd.read_csv(sample_path() / "fx_rates.csv", dtype=str, keep_default_na=False)
    ranges: dict[str, str] = {}
    for name, title in INPUT_SHEETS.items():
        frame = pd.read_csv(sample_path() / f"{name}.csv", dtype=str, keep_default_na=False)
        ws = wb.create_sheet(title)
        for record in as_range(frame, _numeric(name)):
            ws.append(record)
        for row in ws.iter_rows(min_row=2):
            for c_ in row:
                if isinstance(c_.value, str):
                    c_.data_type = "s"
        ranges[name] = f"{_quoted(title)}!$A$1:${_col(len(frame.columns))}${len(frame) + 1}"
    sub_range, fx_range = ranges["subscriptions"], ranges["fx_rates"]
    tables = wb.create_sheet("Tables", 1)
    put_text(
        tables["A1"],
        "Table functions: each spills a block with a header row (legacy array formulas here, so "
        "they also work in Excel 2016).",
    )
    blocks = [
        ("MRR_TABLE", f'{sub_range},{fx_range},"{month}"', functions.MRR_TABLE),
        ("MRR_MOVEMENTS", f'{sub_range},{fx_range},"{month}"', functions.MRR_MOVEMENTS),
        ("COHORTS", f"{sub_range},,{fx_range}", functions.COHORTS),
    ]
    row = 3
    table_expected: dict[str, object] = {}
    for name, args, function in blocks:
        put_text(tables[f"A{row}"], f"={name}(…)")
        tables[f"A{row}"].font = BOLD
        result = _call_with_sheet_ranges(function, name, subs, fx, str(month))
        assert not str(result[0][0]).startswith("#"), f"{name} example fails: {result}"
        height, width = len(result), max(len(r) for r in result)
        top = row + 1
        ref = f"A{top}:{_col(width)}{top + height - 1}"
        tables[f"A{top}"] = ArrayFormula(ref, f"={name}({args})")
        table_expected[f"A{top}"] = result[0][0]
        # the other cells of an array formula hold its cached results as plain values
        for i, values_row in enumerate(result):
            for j, value in enumerate(values_row):
                if (i, j) == (0, 0) or value is None:
                    continue
                target = tables.cell(row=top + i, column=j + 1)
                if isinstance(value, str):
                    put_text(target, value)
                else:
                    target.value = value
        row = top + height + 2

    report_expected = _report_sheet(wb, ranges, report)

    with tempfile.TemporaryDirectory() as work:
        raw = Path(work) / "raw.xlsm"
        wb.save(raw)
        out.parent.mkdir(parents=True, exist_ok=True)
        fill_cached_values(raw, out, {"Examples": expected, "Tables": table_expected, "Report": report_expected})  # type: ignore[dict-item]
    return out


#: Inputs of the hand-written functions' examples beyond the registry functions' columns
#: (the cost-to-serve components in this order: CTS reads them as one range).
HAND_INPUTS = (
    "customers",
    "arpu",
    "customer_churn_rate",
    "customer_success",
    "infrastructure",
    "retention_programs",
    "leads",
    "visitors",
)


def _month_figures(report, bs) -> dict[str, float]:
    """Every column a formula may read, at the as-of month (the balance sheet: its period)."""
    figures: dict[str, float] = {}
    for frame in (report.bridge, report.inputs, report.derived, report.monthly):
        figures.update({name: value for name, value in frame.iloc[-1].items() if name != "month"})
    figures.update({name: value for name, value in bs.items() if name != "period"})
    return figures


def _label(column: str) -> str:
    """The input's label: its argument help up to the bracket ("Customers lost in the period")."""
    return functions.HELP.argument(column).split(" (")[0]


#: (key, month) read with =KPI() on the Report sheet: figures only the report has (trailing,
#: 12-month, costs, balance sheet) and a quarter.
REPORT_READS = (
    ("mrr", None),
    ("customer_churn_rate", None),
    ("nrr_12m", None),
    ("cac_trailing", None),
    ("ltv_cac_trailing", None),
    ("cac_payback_months", "2025-06"),
    ("current_ratio", None),
    ("end_mrr", "2025Q4"),
)


def _report_sheet(wb, ranges: dict[str, str], report) -> dict[str, object]:
    """The Report sheet: =KPI_REPORT over every input sheet, KPI() reads with what each should
    show (the library's figure), and the KPI_TABLE / KPI_MOVEMENTS / KPI_WARNINGS blocks."""
    from kpi_addin.metrics.periods import period_kpis

    ws = wb.create_sheet("Report", 2)
    put_text(ws["A1"], "One report behind the formulas: KPI_REPORT computes every KPI once; KPI and the rest read it.")
    ws["A1"].font = BOLD
    order = ("subscriptions", "fx_rates", "costs", "funnel", "nps", "settings", "balance_sheet")
    cells = {name: as_range(_sample(name), _numeric(name)) for name in order}
    handle = functions.KPI_REPORT(*[cells[name] for name in order])
    assert isinstance(handle, str) and handle.startswith("kpi#"), handle
    put_text(ws["A3"], "Report handle")
    ws["B3"] = f"=KPI_REPORT({','.join(ranges[name] for name in order)})"
    expected: dict[str, object] = {"B3": handle}
    for j, title in enumerate(("Key", "Month", "Formula", "Result", "Should show"), start=1):
        put_text(ws.cell(row=5, column=j), title)
        ws.cell(row=5, column=j).font, ws.cell(row=5, column=j).fill = BOLD, HEADER
    quarters = period_kpis(report, "quarter")
    for i, (key, month) in enumerate(REPORT_READS):
        r = 6 + i
        formula = f'=KPI($B$3,"{key}"' + (f',"{month}")' if month else ")")
        if month and "Q" in month:
            value = float(quarters.loc[month, key])
        elif month:
            value = float(report.monthly.loc[pd.Period(month, "M"), key])
        else:
            value = report.latest(key)
        put_text(ws[f"A{r}"], key)
        put_text(ws[f"B{r}"], month or str(report.as_of))
        put_text(ws[f"C{r}"], formula)
        ws[f"D{r}"] = formula
        ws[f"E{r}"] = value
        expected[f"D{r}"] = value
        assert functions.KPI(handle, key, month) == value, (key, month)
    row = 6 + len(REPORT_READS) + 2
    blocks = [
        ("KPI_TABLE", '$B$3,"mrr, customers, nrr, cac_trailing",6', (handle, "mrr, customers, nrr, cac_trailing", 6.0)),
        ("KPI_MOVEMENTS", f'$B$3,"{report.as_of}","churned"', (handle, str(report.as_of), "churned")),
        ("KPI_WARNINGS", "$B$3", (handle,)),
    ]
    for name, args, call in blocks:
        put_text(ws[f"A{row}"], f"={name}(…)")
        ws[f"A{row}"].font = BOLD
        result = getattr(functions, name)(*call)
        assert not str(result[0][0]).startswith("#"), f"{name} example fails: {result}"
        top = row + 1
        height, width = len(result), max(len(r_) for r_ in result)
        ws[f"A{top}"] = ArrayFormula(f"A{top}:{_col(width)}{top + height - 1}", f"={name}({args})")
        expected[f"A{top}"] = result[0][0]
        for i, values_row in enumerate(result):
            for j, value in enumerate(values_row):
                if (i, j) == (0, 0) or value is None:
                    continue
                target = ws.cell(row=top + i, column=j + 1)
                if isinstance(value, str):
                    put_text(target, value)
                else:
                    target.value = value
        row = top + height + 2
    for col, width in {"A": 24, "B": 40, "C": 44, "D": 14, "E": 14}.items():
        ws.column_dimensions[col].width = width
    return expected


def _sample(name: str) -> pd.DataFrame:
    return pd.read_csv(sample_path() / f"{name}.csv", dtype=str, keep_default_na=False)


def as_range(frame: pd.DataFrame, numeric: tuple[str, ...]) -> list[list[object]]:
    """A sample CSV as the cells of its sheet: the header, numbers as numbers, text as text."""
    rows: list[list[object]] = [list(frame.columns)]
    for record in frame.itertuples(index=False):
        rows.append(
            [None if v == "" else float(v) if k in numeric else v for k, v in zip(frame.columns, record, strict=True)]
        )
    return rows


def _numeric(sheet: str) -> tuple[str, ...]:
    """The number columns of an input sheet (the schema's kinds)."""
    if sheet not in schema.SHEETS:
        return ()
    return tuple(c.name for c in schema.SHEETS[sheet].columns if c.kind in NUMBER_KINDS)


def _quoted(title: str) -> str:
    return f"'{title}'" if " " in title else title


def _col(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _call_with_sheet_ranges(function, name: str, subs: pd.DataFrame, fx: pd.DataFrame, month: str):
    subs_range, fx_range = as_range(subs, _numeric("subscriptions")), as_range(fx, _numeric("fx_rates"))
    if name == "COHORTS":
        return function(subs_range, None, fx_range)
    return function(subs_range, fx_range, month)


if __name__ == "__main__":
    print(f"wrote {build()}")
