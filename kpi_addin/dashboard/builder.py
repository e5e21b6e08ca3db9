"""Build the KPI dashboard workbook with openpyxl.

Layout (sheet names come from the language file):

* **Data …** — the inputs as Excel Tables (Funnel, Costs, NPS, BalanceSheet, Targets,
  FXRates, and the Subscriptions ledger up to a row limit).
* **Ledger aggregates** — month-end MRR, customer counts and movements computed by the
  library from the whole ledger: values, and the sheet says so.
* **Inputs by month** — the Data tables looked up month by month (formulas).
* **Monthly KPIs** — the Table ``MonthlyKPIs`` whose headers are the JSON keys of
  ``kpi-addin metrics``; every column after the month is a formula.
* Report sheets (Summary, Revenue, Customers, Funnel, Unit economics, NPS, Balance
  sheet, Goals, Definitions) — formulas over the sheets above, and charts.

Every formula is registered with the value the library computed, so the saved file
carries cached values and a test can hold LibreOffice's recalculation against them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, PieChart, Reference
from openpyxl.chart.series import SeriesLabel
from openpyxl.comments import Comment
from openpyxl.formatting.rule import ColorScaleRule, FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from .. import __version__
from ..formatting import CURRENCY_SYMBOLS
from ..io.schema import SHEETS
from ..metrics import MONTHLY_KEYS, CompanyData, KPIReport
from ..metrics.balance_sheet import balance_sheet_ratios
from ..metrics.catalogue import unit_of
from ..metrics.goals import AT_RISK_BAND, ON_TRACK_BAND
from ..metrics.mrr import BRIDGE_COLUMNS, minor_unit_digits
from ..metrics.report import BALANCE_SHEET_KEYS, COST_COLUMNS, FUNNEL_COLUMNS, evaluate_goals
from .cells import Book, excel_value, put_text
from .expr import DIV0, NA, Expr, Ref, is_error
from .stream import StreamedRows
from .template import REPORT_SHEETS, Language, Template

HEADER_ROW = 4  # tables of the monthly sheets: labels on row 3, keys on row 4, data from 5
FIRST = HEADER_ROW + 1
DATA_HEADER_ROW = 3
DEFAULT_LEDGER_LIMIT = 100_000
EXCEL_MAX_ROWS = 1_048_576  # rows in one Excel sheet
DATA_TABLES = {  # canonical sheet → (Excel Table name, language key of the sheet)
    "subscriptions": ("Subscriptions", "data_subscriptions"),
    "funnel": ("Funnel", "data_funnel"),
    "costs": ("Costs", "data_costs"),
    "nps": ("NPS", "data_nps"),
    "balance_sheet": ("BalanceSheet", "data_balance_sheet"),
    "targets": ("Targets", "data_targets"),
    "fx_rates": ("FXRates", "data_fx_rates"),
}
INPUT_COLUMNS = (
    *COST_COLUMNS,
    "cts_total",
    "gross_margin",
    *FUNNEL_COLUMNS,
    "nps_answers",
    "nps_promoters",
    "nps_detractors",
)
STATUS_KEYS = {"complete": "complete", "on track": "on_track", "at risk": "at_risk", "off track": "off_track"}

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
TITLE_FONT = Font(bold=True, size=16, color="1F3864")
NOTE_FONT = Font(italic=True, color="595959")
ERROR_FONT = Font(italic=True, color="A6A6A6")
STATUS_FILLS = {
    "complete": "C6EFCE",
    "on_track": "E2EFDA",
    "at_risk": "FFEB9C",
    "off_track": "FFC7CE",
}


@dataclass
class BuildOptions:
    template: Template
    language: Language
    include_ledger: bool = False
    ledger_limit: int = DEFAULT_LEDGER_LIMIT


def add_table(ws: Worksheet, name: str, ref: str, headers: list[str], style: str) -> None:
    """An Excel Table whose column names are given, not read back from the sheet: openpyxl
    would otherwise make a cell object for every cell of the range (a million for a ledger)."""
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
    table._initialise_columns()
    for column, header in zip(table.tableColumns, headers, strict=True):
        column.name = header
    ws.add_table(table)


def number_format(unit: str, currency: str) -> str:
    """The Excel number format of a KPI unit; money in the reporting currency (₩ without decimals)."""
    if unit == "money":
        digits = minor_unit_digits(currency)
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        symbol = CURRENCY_SYMBOLS.get(currency)
        return f'"{symbol}"{pattern};-"{symbol}"{pattern}' if symbol else f'{pattern} "{currency}"'
    return {
        "rate": "0.00%",
        "count": "#,##0",
        "ratio": '0.00"x"',
        "months": "0.0",
        "score": "0.0",
        "month": "yyyy-mm",
    }.get(unit, "General")


class DashboardBuilder:
    def __init__(
        self, data: CompanyData, report: KPIReport, options: BuildOptions, progress: Callable[[str], None] | None = None
    ) -> None:
        self.data, self.report, self.options = data, report, options
        self.lang, self.template = options.language, options.template
        self.book = Book()
        self.wb = Workbook()
        self.progress = progress or (lambda _step: None)
        self.currency = report.reporting_currency
        self.months = list(report.monthly.index)
        self.n = len(self.months)
        self.last = FIRST + self.n - 1
        self.sheets: dict[str, Worksheet] = {}
        self.ledger_note = ""
        self.streamed: dict[str, StreamedRows] = {}

    # ------------------------------------------------------------------ helpers

    def fmt(self, key: str) -> str:
        return number_format(unit_of(key), self.currency)

    def ui(self, key: str, **kwargs: object) -> str:
        return self.lang.ui[key].format(**kwargs)

    def header(self, ws: Worksheet, row: int, labels: list[str], start_col: int = 1) -> None:
        for i, label in enumerate(labels):
            cell = ws.cell(row=row, column=start_col + i)
            put_text(cell, label)
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center")

    def title(self, ws: Worksheet, text: str, note: str | None = None) -> None:
        put_text(ws["A1"], text)
        ws["A1"].font = TITLE_FONT
        if note:
            put_text(ws["A2"], note)
            ws["A2"].font = NOTE_FONT

    def month_column(self, ws: Worksheet) -> None:
        for i, period in enumerate(self.months):
            self.book.value(ws, f"A{FIRST + i}", period, "yyyy-mm")
        ws.column_dimensions["A"].width = 10

    def grey_errors(self, ws: Worksheet, area: str) -> None:
        top_left = area.split(":")[0]
        ws.conditional_formatting.add(area, FormulaRule(formula=[f"ISERROR({top_left})"], font=ERROR_FONT))

    # ------------------------------------------------------------------ build

    def build(self) -> Built:
        self._create_sheets()
        self.progress("data sheets")
        self._data_sheets()
        self.progress("ledger aggregates")
        self._ledger()
        self.progress("inputs by month")
        self._inputs()
        self.progress("monthly KPIs")
        self._monthly()
        self.progress("report sheets")
        self._revenue()
        self._customers()
        self._funnel()
        self._unit_economics()
        self._nps()
        self._balance_sheet()
        self._goals()
        self._summary()
        self._definitions()
        self._names()
        return Built(self.wb, self.book.expected, self.streamed)  # type: ignore[arg-type]

    def _create_sheets(self) -> None:
        order = [*self.template.sheets, *(s for s in REPORT_SHEETS if s not in self.template.sheets)]
        order += ["monthly", "ledger", "inputs", *(key for _table, key in DATA_TABLES.values())]
        self.wb.remove(self.wb.active)
        for key in order:
            ws = self.wb.create_sheet(self.lang.sheets[key])
            self.sheets[key] = ws
            visible = key in self.template.sheets or (
                self.template.show_supporting_sheets
                and key in ("monthly", "ledger", "inputs", *(k for _t, k in DATA_TABLES.values()))
            )
            ws.sheet_state = "visible" if visible else "hidden"
        self.wb.active = 0

    # ------------------------------------------------------------------ data

    def _data_sheets(self) -> None:
        for name, (table_name, key) in DATA_TABLES.items():
            ws = self.sheets[key]
            frame: pd.DataFrame | None = getattr(self.data, name)
            columns = [c.name for c in SHEETS[name].columns]
            self.title(ws, self.lang.sheets[key], self.ui("data_note"))
            if frame is None:
                put_text(ws["A2"], self.ui("absent", sheet=name))
                frame = pd.DataFrame(columns=columns)
            rows = len(frame)
            too_many = rows > self.options.ledger_limit and not self.options.include_ledger
            if name == "subscriptions" and (too_many or DATA_HEADER_ROW + rows > EXCEL_MAX_ROWS):
                key = "ledger_omitted" if DATA_HEADER_ROW + rows <= EXCEL_MAX_ROWS else "ledger_too_big"
                put_text(ws["A2"], self.ui(key, rows=f"{rows:,}", limit=f"{self.options.ledger_limit:,}"))
                self.ledger_note = ws["A2"].value
                continue
            self.header(ws, DATA_HEADER_ROW, columns)
            if name == "subscriptions":
                self.ledger_note = self.ui("ledger_included", rows=f"{rows:,}")
                self._stream_ledger(ws, frame, columns)
            else:
                self._write_frame(ws, frame, columns, name)
            last_row = DATA_HEADER_ROW + max(rows, 1)  # a table needs one row, even blank
            ref = f"A{DATA_HEADER_ROW}:{get_column_letter(len(columns))}{last_row}"
            add_table(ws, table_name, ref, columns, "TableStyleLight9")
            ws.freeze_panes = f"A{DATA_HEADER_ROW + 1}"
            for i, column in enumerate(columns, start=1):
                ws.column_dimensions[get_column_letter(i)].width = max(12, len(column) + 3)

    def _stream_ledger(self, ws: Worksheet, frame: pd.DataFrame, columns: list[str]) -> None:
        """Leave the ledger's rows to :mod:`.stream`; register the two styles they use."""
        # openpyxl registers a cell's style object itself: one scratch cell per style, never changed after
        dates = ws.cell(row=1, column=len(columns) + 30)
        dates.number_format = "yyyy-mm-dd"
        date_style = dates.style_id
        prefixed = ws.cell(row=1, column=len(columns) + 31)
        prefixed.quotePrefix = True
        prefix_style = prefixed.style_id
        for scratch in (dates, prefixed):
            del ws._cells[(scratch.row, scratch.column)]  # the styles stay registered in the workbook
        kinds = {
            c.name: {"date": "date", "money": "number", "number": "number"}.get(c.kind, "text")
            for c in SHEETS["subscriptions"].columns
        }
        self.streamed[ws.title] = StreamedRows(frame, columns, kinds, DATA_HEADER_ROW + 1, date_style, prefix_style)

    def _write_frame(self, ws: Worksheet, frame: pd.DataFrame, columns: list[str], name: str) -> None:
        kinds = {c.name: c.kind for c in SHEETS[name].columns}
        record_env = name in ("balance_sheet", "targets")
        for j, column in enumerate(columns, start=1):
            letter = get_column_letter(j)
            kind = kinds[column]
            if column not in frame:
                continue
            values = frame[column]
            fmt = {"date": "yyyy-mm-dd", "month": "yyyy-mm"}.get(kind)
            if kind in ("money",) and name != "subscriptions":
                fmt = number_format("money", self.currency)
            for i, value in enumerate(values.tolist()):
                row = DATA_HEADER_ROW + 1 + i
                cell = ws.cell(row=row, column=j)
                value = excel_value(value)
                if value is None:
                    if name == "balance_sheet" and kind in ("money", "number"):
                        # a blank input: #N/A, so the ratios reading it show "no input" in Excel too, never a 0
                        self.book.formula(ws, f"{letter}{row}", "NA()", math.nan, fmt, error="#N/A")
                    continue
                if isinstance(value, str):
                    put_text(cell, value)
                else:
                    cell.value = value
                if fmt:
                    cell.number_format = fmt
                if record_env:
                    self.book.env[f"{ws.title}!{letter}{row}"] = value if not isinstance(value, int) else float(value)

    # ------------------------------------------------------------------ ledger aggregates and inputs

    def _ledger(self) -> None:
        ws = self.sheets["ledger"]
        self.title(ws, self.lang.sheets["ledger"], self.ui("ledger_note"))
        columns = ["month", *BRIDGE_COLUMNS]
        self.header(ws, HEADER_ROW, columns)
        self.month_column(ws)
        self.ledger_col = {c: get_column_letter(i + 1) for i, c in enumerate(columns)}
        for column in BRIDGE_COLUMNS:
            fmt = number_format("count" if column.endswith("customers") else "money", self.currency)
            for i, value in enumerate(self.report.bridge[column]):
                self.book.value(ws, f"{self.ledger_col[column]}{FIRST + i}", value, fmt)
        ws.freeze_panes = f"B{FIRST}"
        for i in range(2, len(columns) + 1):
            ws.column_dimensions[get_column_letter(i)].width = 15

    def L(self, column: str, row: int) -> Ref:
        return self.book.ref(self.sheets["ledger"], f"{self.ledger_col[column]}{row}")

    def _inputs(self) -> None:
        ws = self.sheets["inputs"]
        self.title(ws, self.lang.sheets["inputs"], self.ui("inputs_note"))
        columns = ["month", *INPUT_COLUMNS]
        self.header(ws, HEADER_ROW, columns)
        self.month_column(ws)
        self.input_col = {c: get_column_letter(i + 1) for i, c in enumerate(columns)}
        inputs = self.report.inputs
        for i in range(self.n):
            row = FIRST + i
            month = f"$A{row}"
            for column in INPUT_COLUMNS:
                expected = inputs[column].iloc[i]
                cell = f"{self.input_col[column]}{row}"
                if column in COST_COLUMNS or column in FUNNEL_COLUMNS:
                    table = "Costs" if column in COST_COLUMNS else "Funnel"
                    formula = (
                        f'IF(COUNTIFS({table}[month],{month},{table}[{column}],"<>")=0,NA(),'
                        f"SUMIFS({table}[{column}],{table}[month],{month}))"
                    )
                    fmt = number_format("money" if table == "Costs" else "count", self.currency)
                    self.book.formula(ws, cell, formula, expected, fmt, error=NA)
                elif column == "cts_total":
                    parts = ("customer_success", "infrastructure", "retention_programs")
                    counted = "+".join(f'COUNTIFS(Costs[month],{month},Costs[{p}],"<>")' for p in parts)
                    summed = "+".join(f"SUMIFS(Costs[{p}],Costs[month],{month})" for p in parts)
                    self.book.formula(
                        ws,
                        cell,
                        f"IF({counted}=0,NA(),{summed})",
                        expected,
                        number_format("money", self.currency),
                        error=NA,
                    )
                elif column == "gross_margin":
                    cogs = f"{self.input_col['cogs']}{row}"
                    mrr = self.L("mrr", row).excel()
                    margin = f"1-{cogs}/{mrr}"
                    formula = f"IF(COUNT(Costs[cogs])=0,1,IF(ISNA({cogs}),NA(),IF({margin}<0,NA(),{margin})))"
                    error = (
                        NA
                        if pd.isna(inputs["cogs"].iloc[i])
                        else (DIV0 if self.report.bridge["mrr"].iloc[i] == 0 else NA)
                    )
                    self.book.formula(ws, cell, formula, expected, "0.00%", error=error)
                else:
                    window = f'NPS[date],">="&{month},NPS[date],"<"&EDATE({month},1)'
                    extra = {
                        "nps_answers": "",
                        "nps_promoters": ',NPS[score],">=9"',
                        "nps_detractors": ',NPS[score],"<=6"',
                    }[column]
                    self.book.formula(ws, cell, f"COUNTIFS({window}{extra})", expected, "#,##0")
        ws.freeze_panes = f"B{FIRST}"
        self.grey_errors(ws, f"B{FIRST}:{get_column_letter(len(columns))}{self.last}")
        for i in range(2, len(columns) + 1):
            ws.column_dimensions[get_column_letter(i)].width = 14

    def I(self, column: str, row: int) -> Ref:  # noqa: E743
        return self.book.ref(self.sheets["inputs"], f"{self.input_col[column]}{row}")

    # ------------------------------------------------------------------ the MonthlyKPIs table

    def _monthly(self) -> None:
        ws = self.sheets["monthly"]
        self.title(ws, self.lang.sheets["monthly"], f"{self.ui('monthly_note')} {self.ui('legend')}")
        keys = list(MONTHLY_KEYS)
        self.col = {k: get_column_letter(i + 1) for i, k in enumerate(keys)}
        for i, key in enumerate(keys, start=1):
            cell = ws.cell(row=HEADER_ROW - 1, column=i)
            put_text(cell, self.lang.label(key))
            cell.font, cell.alignment = Font(bold=True, color="1F3864"), Alignment(wrap_text=True)
            ws.column_dimensions[get_column_letter(i)].width = 14
        self.header(ws, HEADER_ROW, keys)
        self.month_column(ws)
        monthly = self.report.monthly
        for i in range(self.n):
            r = FIRST + i
            formulas = self._monthly_formulas(ws, r)
            for key in keys[1:]:
                self.book.formula(ws, f"{self.col[key]}{r}", formulas[key], monthly[key].iloc[i], self.fmt(key))
        add_table(ws, "MonthlyKPIs", f"A{HEADER_ROW}:{self.col[keys[-1]]}{self.last}", keys, "TableStyleMedium2")
        ws.freeze_panes = f"B{FIRST}"
        ws.row_dimensions[HEADER_ROW - 1].height = 30
        self.grey_errors(ws, f"B{FIRST}:{self.col[keys[-1]]}{self.last}")

    def M(self, key: str, row: int, ws: Worksheet | None = None) -> Ref:
        return self.book.ref(self.sheets["monthly"], f"{self.col[key]}{row}", local=ws)

    def _monthly_formulas(self, ws: Worksheet, r: int) -> dict[str, Expr]:
        L, I = self.L, self.I  # noqa: E741

        def own(key: str) -> Ref:
            return self.M(key, r, ws)

        start_mrr, start_customers = L("start_mrr", r), L("start_customers", r)
        return {
            "mrr": L("mrr", r),
            "arr": own("mrr") * 12,
            "customers": L("customers", r),
            "new_customers": L("new_customers", r),
            "reactivated_customers": L("reactivated_customers", r),
            "churned_customers": L("churned_customers", r),
            "new_mrr": L("new_mrr", r),
            "expansion_mrr": L("expansion_mrr", r),
            "contraction_mrr": L("contraction_mrr", r),
            "churned_mrr": L("churned_mrr", r),
            "reactivation_mrr": L("reactivation_mrr", r),
            "customer_churn_rate": own("churned_customers") / start_customers,
            "revenue_churn_rate": (own("churned_mrr") + own("contraction_mrr")) / start_mrr,
            "nrr": (start_mrr + own("expansion_mrr") - own("contraction_mrr") - own("churned_mrr")) / start_mrr,
            "grr": (start_mrr - own("contraction_mrr") - own("churned_mrr")) / start_mrr,
            "crr": (own("customers") - own("new_customers") - own("reactivated_customers")) / start_customers,
            "arpu": own("mrr") / own("customers"),
            "ltv": own("arpu") / own("customer_churn_rate"),
            "cac": (I("sales", r) + I("marketing", r)) / own("new_customers"),
            "ltv_cac": own("ltv") / own("cac"),
            "cac_payback_months": own("cac") / (own("arpu") * I("gross_margin", r)),
            "cts": I("cts_total", r) / own("customers"),
            "saas_quick_ratio": (own("new_mrr") + own("expansion_mrr") + own("reactivation_mrr"))
            / (own("contraction_mrr") + own("churned_mrr")),
            "visitors": I("visitors", r),
            "leads": I("leads", r),
            "mql": I("mql", r),
            "sql": I("sql", r),
            "ccr": own("new_customers") / own("visitors"),
            "pql_conversion": I("pql_converted", r) / I("pql", r),
            "nps": 100 * (I("nps_promoters", r) - I("nps_detractors", r)) / I("nps_answers", r),
        }

    # ------------------------------------------------------------------ report sheets over the table

    def _view(self, key: str, columns: list[tuple[str, str, Callable[[int], Expr], pd.Series]]) -> Worksheet:
        """A monthly sheet: the month, then (label, format, formula per row, library values) columns."""
        ws = self.sheets[key]
        self.title(ws, self.lang.sheets[key], self._subtitle())
        put_text(ws["A3"], self.ui("legend"))
        ws["A3"].font = NOTE_FONT
        self.header(ws, HEADER_ROW, [self.ui("month")] + [c[0] for c in columns])
        self.month_column(ws)
        for j, (_label, fmt, formula, expected) in enumerate(columns, start=2):
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = 15
            for i in range(self.n):
                self.book.formula(ws, f"{letter}{FIRST + i}", formula(FIRST + i), expected.iloc[i], fmt)
        ws.freeze_panes = f"B{FIRST}"
        ws.row_dimensions[HEADER_ROW].height = 32
        self.grey_errors(ws, f"B{FIRST}:{get_column_letter(len(columns) + 1)}{self.last}")
        return ws

    def _kpi_columns(self, keys: list[str]) -> list[tuple[str, str, Callable[[int], Expr], pd.Series]]:
        return [(self.lang.label(k), self.fmt(k), lambda r, k=k: self.M(k, r), self.report.monthly[k]) for k in keys]

    def _subtitle(self) -> str:
        return (
            f"{self.report.company or ''} · {self.ui('as_of')} {self.report.as_of} · "
            f"{self.ui('reporting_currency')} {self.currency}".lstrip(" ·")
        )

    def _revenue(self) -> None:
        money = number_format("money", self.currency)
        extras = self.report.extras
        columns = self._kpi_columns(
            ["mrr", "arr", "new_mrr", "expansion_mrr", "reactivation_mrr", "contraction_mrr", "churned_mrr"]
        )
        columns.append(
            (
                self.ui("net_new_mrr"),
                money,
                lambda r: (
                    self.M("new_mrr", r)
                    + self.M("expansion_mrr", r)
                    + self.M("reactivation_mrr", r)
                    - self.M("contraction_mrr", r)
                    - self.M("churned_mrr", r)
                ),
                extras["net_new_mrr"],
            )
        )
        # the movement chart stacks losses below zero
        columns.append(
            (
                self.ui("contraction_negative"),
                money,
                lambda r: -self.M("contraction_mrr", r),
                -self.report.monthly["contraction_mrr"],
            )
        )
        columns.append(
            (self.ui("churn_negative"), money, lambda r: -self.M("churned_mrr", r), -self.report.monthly["churned_mrr"])
        )
        ws = self._view("revenue", columns)
        self.revenue_sheet = ws
        self._chart(ws, "mrr_trend", f"{get_column_letter(len(columns) + 3)}4")
        self._chart(ws, "mrr_movements", f"{get_column_letter(len(columns) + 3)}20")

    def _customers(self) -> None:
        extras = self.report.extras
        columns = self._kpi_columns(
            ["customers", "new_customers", "reactivated_customers", "churned_customers", "customer_churn_rate"]
        )
        columns.append(
            (
                self.ui("annualized_churn"),
                "0.00%",
                lambda r: 1 - (1 - self.M("customer_churn_rate", r)) ** 12,
                extras["annualized_churn"],
            )
        )
        columns += self._kpi_columns(["crr"])
        ws = self._view("customers", columns)
        self._chart(ws, "customers_churn", f"{get_column_letter(len(columns) + 3)}4")
        row = self.last + 3
        for basis, title, size_label, size_fmt in (
            ("logo", "cohorts_logo", "cohort_size", "#,##0"),
            ("revenue", "cohorts_revenue", "cohort_mrr", number_format("money", self.currency)),
        ):
            row = self._cohort_table(ws, row, basis, self.ui(title), self.ui(size_label), size_fmt) + 3

    def _cohort_table(self, ws: Worksheet, row: int, basis: str, title: str, size_label: str, size_fmt: str) -> int:
        cohorts = self.report.cohorts(basis)
        put_text(ws.cell(row=row, column=1), title)
        ws.cell(row=row, column=1).font = Font(bold=True, color="1F3864")
        ages = [c for c in cohorts.columns if c != "size"]
        self.header(ws, row + 1, [self.ui("cohort"), size_label, *[str(a) for a in ages]])
        for i, (cohort, values) in enumerate(cohorts.iterrows()):
            r = row + 2 + i
            ws.cell(row=r, column=1, value=cohort.to_timestamp().to_pydatetime()).number_format = "yyyy-mm"
            ws.cell(row=r, column=2, value=float(values["size"])).number_format = size_fmt
            for j, age in enumerate(ages, start=3):
                value = values[age]
                if not (isinstance(value, float) and math.isnan(value)):
                    ws.cell(row=r, column=j, value=float(value)).number_format = "0%"
        end = row + 1 + len(cohorts)
        if len(cohorts):
            area = f"C{row + 2}:{get_column_letter(len(ages) + 2)}{end}"
            ws.conditional_formatting.add(
                area,
                ColorScaleRule(
                    start_type="num",
                    start_value=0,
                    start_color="F8696B",
                    mid_type="num",
                    mid_value=0.5,
                    mid_color="FFEB84",
                    end_type="num",
                    end_value=1,
                    end_color="63BE7B",
                ),
            )
        return end

    def _funnel(self) -> None:
        extras = self.report.extras
        count = number_format("count", self.currency)
        inputs = self.report.inputs

        def counted(column: str) -> tuple[str, str, Callable[[int], Expr], pd.Series]:
            return (self.ui(column), count, lambda r: self.I(column, r), inputs[column])

        columns = [
            *self._kpi_columns(["visitors"]),
            counted("contacts"),
            *self._kpi_columns(["leads", "mql"]),
            counted("sal"),
            *self._kpi_columns(["sql"]),
            counted("pql"),
            counted("pql_converted"),
        ]
        for name, (converted, entered) in (
            ("visitor_to_lead", ("leads", "visitors")),
            ("lead_to_mql", ("mql", "leads")),
            ("mql_to_sql", ("sql", "mql")),
            ("lead_to_customer", ("new_customers", "leads")),
        ):
            columns.append(
                (self.ui(name), "0.00%", lambda r, c=converted, e=entered: self.M(c, r) / self.M(e, r), extras[name])
            )
        columns += self._kpi_columns(["ccr", "pql_conversion"])
        ws = self._view("funnel", columns)
        # the latest month's funnel, for the chart
        row = self.last + 3
        put_text(ws.cell(row=row, column=1), self.ui("latest_funnel"))
        ws.cell(row=row, column=1).font = Font(bold=True, color="1F3864")
        self.header(ws, row + 1, [self.ui("stage"), self.ui("count")])
        monthly = self.report.monthly
        stages = ["visitors", "leads", "mql", "sql", "new_customers"]
        for i, key in enumerate(stages):
            r = row + 2 + i
            put_text(ws.cell(row=r, column=1), self.lang.label(key))
            self.book.formula(ws, f"B{r}", self.M(key, self.last), monthly[key].iloc[-1], "#,##0")
        self.funnel_block = (ws, row + 2, row + 1 + len(stages))
        self._chart(ws, "funnel", f"{get_column_letter(len(columns) + 3)}4")

    def _unit_economics(self) -> None:
        money = number_format("money", self.currency)
        columns = self._kpi_columns(["arpu", "ltv", "cac", "ltv_cac", "cac_payback_months", "cts"])
        columns.append((self.ui("cts_total"), money, lambda r: self.I("cts_total", r), self.report.inputs["cts_total"]))
        columns.append(
            (
                self.ui("cts_share"),
                "0.00%",
                lambda r: self.I("cts_total", r) / self.M("mrr", r),
                self.report.extras["cts_share"],
            )
        )
        self._view("unit_economics", columns)

    def _nps(self) -> None:
        inputs = self.report.inputs
        passives = inputs["nps_answers"] - inputs["nps_promoters"] - inputs["nps_detractors"]
        columns = [
            (self.ui("answers"), "#,##0", lambda r: self.I("nps_answers", r), inputs["nps_answers"]),
            (self.ui("promoters"), "#,##0", lambda r: self.I("nps_promoters", r), inputs["nps_promoters"]),
            (
                self.ui("passives"),
                "#,##0",
                lambda r: self.I("nps_answers", r) - self.I("nps_promoters", r) - self.I("nps_detractors", r),
                passives,
            ),
            (self.ui("detractors"), "#,##0", lambda r: self.I("nps_detractors", r), inputs["nps_detractors"]),
            *self._kpi_columns(["nps"]),
        ]
        ws = self._view("nps", columns)
        row = self.last + 3
        put_text(ws.cell(row=row, column=1), self.ui("nps_split"))
        ws.cell(row=row, column=1).font = Font(bold=True, color="1F3864")
        for i, column in enumerate(("promoters", "passives", "detractors")):
            r = row + 1 + i
            put_text(ws.cell(row=r, column=1), self.ui(column))
            source = {"promoters": "C", "passives": "D", "detractors": "E"}[column]
            expected = {
                "promoters": inputs["nps_promoters"],
                "passives": passives,
                "detractors": inputs["nps_detractors"],
            }[column].iloc[-1]
            self.book.formula(ws, f"B{r}", self.book.ref(ws, f"{source}{self.last}", local=ws), expected, "#,##0")
        self.nps_block = (ws, row + 1, row + 3)
        self._chart(ws, "nps_split", "H4")

    def _balance_sheet(self) -> None:
        ws = self.sheets["balance_sheet"]
        self.title(ws, self.lang.sheets["balance_sheet"], self._subtitle())
        self.header(ws, HEADER_ROW, [self.ui("period"), *[self.lang.label(k) for k in BALANCE_SHEET_KEYS]])
        self.balance_rows: dict[str, int] = {}
        frame = self.data.balance_sheet
        if frame is None or frame.empty:
            put_text(ws[f"A{FIRST}"], self.ui("no_balance_sheet"))
            return
        data_ws = self.sheets["data_balance_sheet"]
        col = {c.name: get_column_letter(i + 1) for i, c in enumerate(SHEETS["balance_sheet"].columns)}
        ratios = balance_sheet_ratios(frame)
        order = frame["period"].sort_values(kind="stable").index
        for i, index in enumerate(order):
            r = FIRST + i
            src = DATA_HEADER_ROW + 1 + frame.index.get_loc(index)

            def d(name: str, src: int = src) -> Ref:
                return self.book.ref(data_ws, f"{col[name]}{src}")

            self.book.formula(ws, f"A{r}", d("period"), frame.loc[index, "period"].to_pydatetime(), "yyyy-mm")
            formulas = {
                "current_ratio": d("current_assets") / d("current_liabilities"),
                "quick_ratio": (d("current_assets") - d("inventories")) / d("current_liabilities"),
                "debt_to_equity": d("total_liabilities") / d("shareholders_equity"),
                "equity_ratio": d("shareholders_equity") / d("total_assets"),
                "interest_coverage": d("ebit") / d("interest_expense"),
            }
            for j, key in enumerate(BALANCE_SHEET_KEYS, start=2):
                self.book.formula(
                    ws, f"{get_column_letter(j)}{r}", formulas[key], ratios.loc[index, key], self.fmt(key)
                )
            self.balance_rows[str(frame.loc[index, "period"].to_period("M"))] = r
        ws.freeze_panes = f"B{FIRST}"
        for j in range(1, len(BALANCE_SHEET_KEYS) + 2):
            ws.column_dimensions[get_column_letter(j)].width = 18
        self.grey_errors(ws, f"B{FIRST}:F{FIRST + len(order) - 1}")

    # ------------------------------------------------------------------ goals and summary

    def kpi_ref(self, key: str) -> Ref | None:
        """The cell a KPI_<KEY> name points at (None for a ratio with no period)."""
        if key in BALANCE_SHEET_KEYS:
            period = self.report.balance_sheet.get("period")
            if period is None:
                return None
            column = get_column_letter(2 + BALANCE_SHEET_KEYS.index(key))
            return self.book.ref(self.sheets["balance_sheet"], f"{column}{self.balance_rows[str(period)]}")
        return self.M(key, self.last)

    def _goals(self) -> None:
        ws = self.sheets["goals"]
        self.title(ws, self.lang.sheets["goals"], self.ui("goals_note"))
        self.header(
            ws,
            HEADER_ROW,
            [
                self.ui("kpi"),
                "key",
                self.ui("target"),
                self.ui("direction"),
                self.ui("due"),
                self.ui("actual"),
                self.ui("progress"),
                self.ui("status"),
            ],
        )
        goals, sources = self._goal_rows()
        evaluated = evaluate_goals(goals, self.report) if len(goals) else goals
        self.goal_cells: dict[str, tuple[int, float, str]] = {}
        as_of = self.book.ref(self.sheets["summary"], "B3")
        targets_ws = self.sheets["data_targets"]
        for i, (goal, source) in enumerate(zip(evaluated.itertuples(index=False), sources, strict=True)):
            r = FIRST + i
            key = goal.kpi
            put_text(ws[f"A{r}"], self.lang.label(key))
            put_text(ws[f"B{r}"], key)
            fmt = self.fmt(key)
            # I holds the direction as the data says it (higher / lower), for the formulas;
            # D shows it in the dashboard's language
            if source is None:  # a template default
                self.book.value(ws, f"C{r}", goal.target, fmt)
                put_text(ws[f"I{r}"], goal.direction)
                self.book.env[f"{ws.title}!I{r}"] = goal.direction
            else:  # from the input's targets table: linked, so an edit there flows through
                self.book.formula(ws, f"C{r}", self.book.ref(targets_ws, f"B{source}"), goal.target, fmt)
                self.book.formula(ws, f"I{r}", f"{quote_sheetname(targets_ws.title)}!C{source}", goal.direction)
                if not pd.isna(goal.due):
                    self.book.formula(
                        ws,
                        f"E{r}",
                        f"{quote_sheetname(targets_ws.title)}!D{source}",
                        goal.due.to_pydatetime(),
                        "yyyy-mm",
                    )
            higher, lower = self.ui("higher"), self.ui("lower")
            self.book.formula(
                ws, f"D{r}", f'IF(I{r}="higher","{higher}","{lower}")', higher if goal.direction == "higher" else lower
            )
            actual = self.kpi_ref(key)
            if actual is None:
                shown = self.book.formula(ws, f"F{r}", "NA()", math.nan, fmt, error=NA)
            else:
                shown = self.book.formula(ws, f"F{r}", actual, goal.actual, fmt)
            # an undefined actual passes its error on; otherwise only a zero can be undefined
            progress = f'IF(I{r}="higher",F{r}/C{r},C{r}/F{r})'
            self.book.formula(ws, f"G{r}", progress, goal.progress, "0%", error=shown if is_error(shown) else DIV0)  # type: ignore[arg-type]
            known = isinstance(goal.status, str)
            status = self.lang.status[STATUS_KEYS[goal.status] if known else "none"]
            self.book.formula(ws, f"H{r}", self._status_formula(r, as_of.excel()), status)
            self.goal_cells[key] = (r, goal.target, status)
        end = FIRST + max(len(goals), 1) - 1
        self._status_colours(ws, f"H{FIRST}:H{end}")
        self.grey_errors(ws, f"F{FIRST}:G{end}")
        ws.column_dimensions["A"].width = 30
        ws.column_dimensions["B"].hidden = True
        ws.column_dimensions["I"].hidden = True
        for letter in "CDEFGH":
            ws.column_dimensions[letter].width = 14
        ws.column_dimensions["D"].width = 16
        ws.freeze_panes = f"B{FIRST}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True

    def _status_formula(self, r: int, as_of: str) -> str:
        s = self.lang.status
        met = f'IF(I{r}="higher",F{r}>=C{r},F{r}<=C{r})'
        gap = f'IF(I{r}="higher",C{r}-F{r},F{r}-C{r})/ABS(C{r})'
        return (
            f'IF(ISERROR(F{r}),"{s["none"]}",IF({met},"{s["complete"]}",'
            f'IF(AND(ISNUMBER(E{r}),{as_of}>E{r}),"{s["off_track"]}",IF(C{r}=0,"{s["off_track"]}",'
            f'IF({gap}<={ON_TRACK_BAND},"{s["on_track"]}",IF({gap}<={AT_RISK_BAND},"{s["at_risk"]}",'
            f'"{s["off_track"]}"))))))'
        )

    def _status_colours(self, ws: Worksheet, area: str) -> None:
        top_left = area.split(":")[0]
        for key, colour in STATUS_FILLS.items():
            ws.conditional_formatting.add(
                area,
                FormulaRule(
                    formula=[f'{top_left}="{self.lang.status[key]}"'], fill=PatternFill("solid", bgColor=colour)
                ),
            )

    def _goal_rows(self) -> tuple[pd.DataFrame, list[int | None]]:
        """Goals from the input's targets (rows of the Data targets table), then template defaults."""
        rows: list[dict[str, object]] = []
        sources: list[int | None] = []
        targets = self.data.targets
        seen = set()
        if targets is not None:
            for i, t in enumerate(targets.itertuples(index=False)):
                rows.append(
                    {
                        "kpi": t.kpi,
                        "target": float(t.target),
                        "direction": t.direction,
                        "due": getattr(t, "due", pd.NaT),
                    }
                )
                sources.append(DATA_HEADER_ROW + 1 + i)
                seen.add(t.kpi)
        for kpi, (target, direction) in self.template.targets.items():
            if kpi not in seen:
                rows.append({"kpi": kpi, "target": target, "direction": direction, "due": pd.NaT})
                sources.append(None)
        frame = pd.DataFrame(rows, columns=["kpi", "target", "direction", "due"])
        frame["due"] = pd.to_datetime(frame["due"])
        return frame, sources

    def _summary(self) -> None:
        ws = self.sheets["summary"]
        title = f"{self.report.company} — {self.ui('title')}" if self.report.company else self.ui("title")
        put_text(ws["A1"], title)
        ws["A1"].font = TITLE_FONT
        put_text(ws["A2"], f"{self.ui('reporting_currency')}: {self.currency} · {self.ui('generated')} {__version__}")
        ws["A2"].font = NOTE_FONT
        put_text(ws["A3"], self.ui("as_of"))
        ws["A3"].font = Font(bold=True)
        self.book.value(ws, "B3", self.report.as_of, "yyyy-mm")
        self.book.env[f"{ws.title}!B3"] = self.report.as_of.to_timestamp().to_pydatetime()  # type: ignore[assignment]
        ws["B3"].alignment = Alignment(horizontal="left")
        top = 5
        self.header(
            ws,
            top,
            [
                self.ui("kpi"),
                self.ui("latest"),
                self.ui("previous"),
                self.ui("change"),
                self.ui("target"),
                self.ui("status"),
            ],
        )
        for i, key in enumerate(self.template.summary_kpis):
            r = top + 1 + i
            fmt = self.fmt(key)
            put_text(ws[f"A{r}"], self.lang.label(key))
            latest = self.kpi_ref(key)
            value = self.report.latest(key)
            if latest is None:
                self.book.formula(ws, f"B{r}", "NA()", math.nan, fmt, error=NA)
            else:
                self.book.formula(ws, f"B{r}", latest, value, fmt)
            previous = self._previous(key)
            if previous is not None:
                ref, before = previous
                self.book.formula(ws, f"C{r}", ref, before, fmt)
                change = self.book.ref(ws, f"B{r}", local=ws) - self.book.ref(ws, f"C{r}", local=ws)
                self.book.formula(ws, f"D{r}", change, value - before, fmt)
            if key in self.goal_cells:
                g, target, status = self.goal_cells[key]
                goals = self.sheets["goals"]
                self.book.formula(ws, f"E{r}", self.book.ref(goals, f"C{g}"), target, fmt)
                self.book.formula(ws, f"F{r}", self.book.ref(goals, f"H{g}"), status)
            shown = self.book.expected[ws.title].get(f"B{r}")
            if is_error(shown):
                ws[f"B{r}"].comment = Comment(
                    self.ui("undefined_note", month=str(self.report.as_of), reason=self._reason(key, shown)),
                    "kpi-addin",
                )
        end = top + len(self.template.summary_kpis)
        self.grey_errors(ws, f"B{top + 1}:D{end}")
        self._status_colours(ws, f"F{top + 1}:F{end}")
        put_text(ws[f"A{end + 2}"], self.ui("legend"))
        ws[f"A{end + 2}"].font = NOTE_FONT
        put_text(ws[f"A{end + 3}"], self.ledger_note)
        ws[f"A{end + 3}"].font = NOTE_FONT
        for warning in self.report.warnings[:4]:
            end += 1
            put_text(ws[f"A{end + 3}"], warning)
            ws[f"A{end + 3}"].font = NOTE_FONT
        widths = {"A": 30, "B": 15, "C": 15, "D": 13, "E": 12, "F": 11}
        for letter, width in widths.items():
            ws.column_dimensions[letter].width = width
        # Two columns as wide as the KPI table: one chart beside it, the others below in
        # pairs; the whole sheet prints on one landscape page.
        below = max(end + 8, 24)
        anchors = ["H5", f"A{below}", f"H{below}", f"A{below + 19}", f"H{below + 19}"]
        charts = list(self.template.summary_charts)
        for chart, anchor in zip(charts, anchors, strict=False):
            self._chart(ws, chart, anchor, width=18.0, height=9.0)
        ws.column_dimensions["G"].width = 3
        last_row = below + (19 if len(charts) <= 3 else 38)
        ws.print_area = f"A1:R{last_row}"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 1
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.freeze_panes = "A6"

    def _previous(self, key: str) -> tuple[Ref, float] | None:
        if key in BALANCE_SHEET_KEYS:
            return None
        if self.n < 2:
            return None
        return self.M(key, self.last - 1), float(self.report.monthly[key].iloc[-2])

    def _reason(self, key: str, error: str) -> str:
        r = self.lang.reasons
        if error == NA:
            return r["no_input"]
        if key in ("ltv", "ltv_cac") and self.report.latest("customer_churn_rate") == 0:
            return r["zero_churn"]
        if key in ("cac", "cac_payback_months") and self.report.monthly["new_customers"].iloc[-1] == 0:
            return r["no_new_customers"]
        if key in ("customer_churn_rate", "revenue_churn_rate", "nrr", "grr", "crr"):
            return r["no_start"]
        return r["other"]

    def _definitions(self) -> None:
        ws = self.sheets["definitions"]
        self.title(ws, self.lang.sheets["definitions"])
        self.header(ws, 3, [self.ui("kpi"), "key", self.ui("formula"), self.ui("tells")])
        for i, key in enumerate([*MONTHLY_KEYS[1:], *BALANCE_SHEET_KEYS]):
            entry = self.lang.kpis[key]
            for j, text in enumerate((entry["label"], key, entry["definition"], entry["tells"]), start=1):
                put_text(ws.cell(row=4 + i, column=j), text)
                ws.cell(row=4 + i, column=j).alignment = Alignment(wrap_text=True, vertical="top")
        for letter, width in {"A": 30, "B": 22, "C": 70, "D": 45}.items():
            ws.column_dimensions[letter].width = width

    def _names(self) -> None:
        for key in [*MONTHLY_KEYS[1:], *BALANCE_SHEET_KEYS]:
            ref = self.kpi_ref(key)
            if ref is None:
                continue
            sheet, cell = ref.text.rsplit("!", 1)
            column, row = cell.rstrip("0123456789"), cell[len(cell.rstrip("0123456789")) :]
            name = f"KPI_{key.upper()}"
            self.wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet}!${column}${row}")

    # ------------------------------------------------------------------ charts

    def _chart(self, ws: Worksheet, kind: str, anchor: str, width: float = 14.0, height: float = 8.5) -> None:
        title = self.lang.charts[kind]
        monthly = self.sheets["monthly"]
        months = Reference(monthly, min_col=1, min_row=FIRST, max_row=self.last)
        if kind == "mrr_trend":
            chart = LineChart()
            chart.add_data(Reference(monthly, min_col=2, min_row=HEADER_ROW, max_row=self.last), titles_from_data=True)
            chart.set_categories(months)
            chart.y_axis.number_format = number_format("money", self.currency)
            chart.legend = None
        elif kind == "mrr_movements":
            revenue = self.revenue_sheet
            chart = BarChart()
            chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
            # new, expansion, reactivation above zero; contraction (−) and churned (−) below
            for column in (4, 5, 6, 10, 11):
                chart.add_data(
                    Reference(revenue, min_col=column, min_row=HEADER_ROW, max_row=self.last), titles_from_data=True
                )
            chart.set_categories(Reference(revenue, min_col=1, min_row=FIRST, max_row=self.last))
            chart.y_axis.number_format = number_format("money", self.currency)
            chart.x_axis.tickLblPos = "low"  # month labels under the negative bars, not on zero
        elif kind == "customers_churn":
            # from the second month on: the first month has no start, so no churn rate
            start = FIRST + 1 if self.n > 1 else FIRST
            chart = BarChart()
            col = MONTHLY_KEYS.index("customers") + 1
            chart.add_data(Reference(monthly, min_col=col, min_row=start, max_row=self.last))
            chart.series[0].tx = SeriesLabel(v=self.lang.label("customers"))
            chart.set_categories(Reference(monthly, min_col=1, min_row=start, max_row=self.last))
            line = LineChart()
            col = MONTHLY_KEYS.index("customer_churn_rate") + 1
            line.add_data(Reference(monthly, min_col=col, min_row=start, max_row=self.last))
            line.series[0].tx = SeriesLabel(v=self.lang.label("customer_churn_rate"))
            line.y_axis.axId = 200
            line.y_axis.number_format = "0.0%"
            line.y_axis.crosses = "max"
            line.y_axis.delete = False
            line.y_axis.majorGridlines = None
            for series in line.series:
                series.smooth = False
            chart += line
        elif kind == "funnel":
            sheet, first, last = self.funnel_block
            chart = BarChart()
            chart.type = "bar"
            chart.add_data(Reference(sheet, min_col=2, min_row=first, max_row=last))
            chart.series[0].tx = SeriesLabel(v=self.ui("count"))
            chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
            chart.y_axis.scaling.logBase = 10
            chart.x_axis.scaling.orientation = "maxMin"  # the widest stage on top
            chart.legend = None
        else:  # nps_split
            sheet, first, last = self.nps_block
            chart = PieChart()
            chart.add_data(Reference(sheet, min_col=2, min_row=first, max_row=last))
            chart.series[0].tx = SeriesLabel(v=self.ui("answers"))
            chart.set_categories(Reference(sheet, min_col=1, min_row=first, max_row=last))
        chart.title = title
        chart.width, chart.height = width, height
        if not isinstance(chart, PieChart):
            chart.x_axis.delete = False
            chart.y_axis.delete = False
            for series in chart.series:
                series.smooth = False
        ws.add_chart(chart, anchor)


@dataclass
class Built:
    """The workbook, the value each formula cell should show, and rows to stream in on saving."""

    workbook: Workbook
    expected: dict[str, dict[str, object]]
    streamed: dict[str, StreamedRows]


def build_workbook(
    data: CompanyData,
    report: KPIReport,
    options: BuildOptions,
    progress: Callable[[str], None] | None = None,
) -> Built:
    """Build the dashboard (see the module docstring)."""
    return DashboardBuilder(data, report, options, progress).build()
