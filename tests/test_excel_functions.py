"""The worksheet functions, through xlwings' own Windows machinery (no Excel here).

* Registration: the real ``xlwings.udfs`` decorators give every function its Excel name,
  arguments, optional arguments, docs and category (``__xlfunc__``), and ``import_udfs``
  hands Excel's function wizard those docs.
* The VBA Excel gets is a reviewed golden file.
* Calls go through ``XLPython().CallUDF`` — xlwings' COM-server path — with arguments
  shaped as pywin32 delivers them, and return what Excel would receive.
"""

from __future__ import annotations

import io
import math
import sys
from pathlib import Path
from unittest import mock

import pytest

from kpi_addin.excel import handles
from kpi_addin.metrics import monthly_kpis
from kpi_addin.metrics.catalogue import SUBSCRIPTION_KEYS, excel_functions
from kpi_addin.metrics.kpi_entry import KPI as KPIEntry

from .xlwings_windows import UDF_MODULE, windows_xlwings

GOLDEN = Path(__file__).parent / "golden" / "xlwings_udfs.bas"
MISSING = -2147352572  # an omitted optional argument, as pywin32 passes it


def _signatures() -> dict[str, list[str]]:
    """Excel name → argument names (optional ones marked ``?``), from the Python functions the
    module exports; the golden VBA file below pins them as Excel sees them."""
    import inspect

    from kpi_addin.excel import functions

    out = {}
    for name in functions.__all__:
        function = getattr(functions, name)
        if not hasattr(function, "__excel_args__"):
            continue
        parameters = inspect.signature(function).parameters.values()
        out[name] = [p.name + ("" if p.default is inspect.Parameter.empty else "?") for p in parameters]
    return out


SIGNATURES = _signatures()


@pytest.fixture(scope="module")
def udfs():
    with windows_xlwings() as module:
        from xlwings.com_server import XLPython

        yield module, XLPython()


def call(udfs, name: str, *args: object) -> object:
    _module, server = udfs
    return server.CallUDF(UDF_MODULE, name, args, None, None)


def test_every_function_is_registered_with_name_arguments_docs_and_category(udfs):
    module, _ = udfs
    registered = {v.__xlfunc__["name"]: v.__xlfunc__ for v in vars(module).values() if hasattr(v, "__xlfunc__")}
    assert set(registered) == set(SIGNATURES)
    assert set(excel_functions()) <= set(registered)  # every Excel name the KPI registry gives exists
    assert {"KPI_REPORT", "KPI", "KPI_TABLE", "KPI_MOVEMENTS", "KPI_WARNINGS"} <= set(registered)
    for name, expected_args in SIGNATURES.items():
        info = registered[name]
        assert info["category"] == "SaaS KPIs"
        args = [a["name"] + ("?" if "optional" in a else "") for a in info["args"]]
        assert args == expected_args, name
        assert info["ret"]["doc"] and "\n" not in info["ret"]["doc"].strip(), f"{name}: a one-line docstring"
        for arg in info["args"]:
            assert not arg["doc"].startswith("Positional argument"), f"{name}({arg['name']}) has no help text"


def test_function_wizard_gets_descriptions_and_argument_help(udfs):
    _module, _ = udfs
    from xlwings import udfs as xlwings_udfs

    workbook = mock.MagicMock()
    workbook.Name = "kpi_functions.xlsm"
    workbook.Application.Version = "16.0"
    imported: list[str] = []  # the VBA module xlwings writes, read while the file still exists
    workbook.VBProject.VBComponents.Import.side_effect = lambda path: imported.append(Path(path).read_text())
    xlwings_udfs.import_udfs(UDF_MODULE, workbook)
    options = {c.args[0]: c.kwargs for c in workbook.Application.MacroOptions.call_args_list}
    assert set(options) == {f"'kpi_functions.xlsm'!{name}" for name in SIGNATURES}
    churn = options["'kpi_functions.xlsm'!CHURN"]
    assert churn["Category"] == "SaaS KPIs"
    assert churn["Description"].startswith("Customer churn rate")
    assert churn["ArgumentDescriptions"] == [
        "Customers lost in the period (a whole number, 0 or more)",
        "Paying customers at the start of the period (a whole number, 0 or more)",
    ]
    assert len(imported) == 1
    for name in SIGNATURES:
        assert f"Function {name}(" in imported[0], f"{name} missing from the VBA module Excel imports"


def test_generated_vba_matches_the_reviewed_golden_file(udfs):
    module, _ = udfs
    from xlwings.udfs import generate_vba_wrapper

    workbook = mock.MagicMock()
    workbook.Name = "kpi_functions.xlsm"
    buffer = io.StringIO()
    generate_vba_wrapper(UDF_MODULE, module, buffer, workbook)
    vba = buffer.getvalue()
    assert vba == GOLDEN.read_text(encoding="utf-8"), f"{GOLDEN.name} differs: run python scripts/regenerate.py"
    assert "Function LTV(arpu, churn_rate, Optional gross_margin)" in vba
    assert 'CHURN = XLPy.CallUDF("kpi_addin.excel.functions", "CHURN"' in vba


#: (function, arguments as pywin32 passes them, the value Excel shows): hand-worked examples
VALUE_CASES = [
    ("CHURN", (3.0, 200.0), 0.015),  # 3 / 200
    ("REVENUE_CHURN", (300.0, 10_000.0), 0.03),
    ("MRR", (120.0, 49.5), 5_940.0),
    ("ARR", (5_940.0,), 71_280.0),
    ("ARPU", (5_940.0, 120.0), 49.5),
    ("LTV", (50.0, 0.005, MISSING), 10_000.0),  # the spec's example, margin omitted
    ("LTV", (50.0, 0.005, 0.8), 8_000.0),
    ("LTV", (50.0, 0.005, None), 10_000.0),  # a blank cell for an optional argument: omitted
    ("CLV", (50.0, 24.0), 1_200.0),
    ("CAC", (30_000.0, 20_000.0, 25.0), 2_000.0),
    ("LTV_CAC", (10_000.0, 2_000.0), 5.0),
    ("CAC_PAYBACK", (2_000.0, 50.0, 0.8), 50.0),
    ("CAC_PAYBACK", (2_000.0, 50.0, MISSING), 40.0),
    # issue 21, the hand-worked company of tests/test_finance.py
    ("GROSS_MARGIN", (600.0, 2_850.0), 2_250 / 2_850),
    ("RUNWAY", (63_000.0, 7_000 / 3), 27.0),
    ("ASP_NEW", (500.0, 1.0), 500.0),
    ("ARR_PER_CUSTOMER", (39_600.0, 15.0), 2_640.0),
    ("CTS", (((3_000.0, 1_500.0, None, 500.0),), 250.0), 20.0),  # a range with a blank
    ("CTS", (5_000.0, 250.0), 20.0),
    ("RETENTION", (210.0, 15.0, 200.0), 0.975),
    ("NRR", (10_000.0, 800.0, 200.0, 300.0), 1.03),
    ("GRR", (10_000.0, 200.0, 300.0), 0.95),
    ("SAAS_QUICK_RATIO", (1_000.0, 500.0, 100.0, 150.0, 250.0), 4.0),
    ("ANNUALIZE_CHURN", (0.02,), 1 - 0.98**12),
    ("NPS", (((10.0,), (9.0,), (9.0,), (8.0,), (7.0,), (6.0,), (0.0,), (None,)),), 100 / 7),
    ("CONVERSION", (40.0, 800.0), 0.05),
    ("CCR", (25.0, 50_000.0), 0.0005),
    ("PQL_CONVERSION", (12.0, 80.0), 0.15),
    ("CURRENT_RATIO", (300_000.0, 150_000.0), 2.0),
    ("ACID_TEST_RATIO", (300_000.0, 60_000.0, 150_000.0), 1.6),
    ("DEBT_TO_EQUITY", (400_000.0, 800_000.0), 0.5),
    ("EQUITY_RATIO", (800_000.0, 1_200_000.0), 2 / 3),
    ("INTEREST_COVERAGE", (90_000.0, 15_000.0), 6.0),
]


@pytest.mark.parametrize(("name", "args", "expected"), VALUE_CASES)
def test_values_excel_receives(udfs, name, args, expected):
    assert call(udfs, name, *args) == pytest.approx(expected, rel=1e-12)


#: (function, arguments, the error Excel shows)
ERROR_CASES = [
    ("CHURN", (0.0, 0.0), "#DIV/0!"),  # no customers at the start: undefined, not 0
    ("LTV", (50.0, 0.0, MISSING), "#DIV/0!"),  # no churn
    ("CAC", (1_000.0, 500.0, 0.0), "#DIV/0!"),
    ("NPS", (((None,), (None,)),), "#DIV/0!"),  # no answers
    # a test of the formula that fails is #N/A, as the workbook's IF(...,NA()): cash-flow positive
    ("RUNWAY", (70_000.0, -1_000 / 3), "#N/A"),
    ("RUNWAY", (70_000.0, 0.0), "#N/A"),
    ("CHURN", ("ten", 200.0), "#VALUE!"),  # text where a number belongs
    ("CHURN", (None, 200.0), "#VALUE!"),  # a blank is not zero
    ("CHURN", (True, 200.0), "#VALUE!"),
    ("CHURN", (-1.0, 200.0), "#NUM!"),  # a negative count
    ("CHURN", (2.5, 200.0), "#NUM!"),  # not a whole number of customers
    ("CHURN", (300.0, 200.0), "#NUM!"),  # churn above 100 %
    ("LTV", (50.0, 1.5, MISSING), "#NUM!"),
    ("LTV", (50.0, 0.01, 1.5), "#NUM!"),
    ("NPS", (((9.0,), (11.0,)),), "#NUM!"),
    ("NPS", (((9.0,), ("great",)),), "#VALUE!"),
    ("CTS", (((100.0, -5.0),), 10.0), "#NUM!"),
]


@pytest.mark.parametrize(("name", "args", "shown"), ERROR_CASES)
def test_errors_excel_receives(udfs, name, args, shown):
    assert call(udfs, name, *args) == shown


LEDGER = (
    ("customer_id", "amount", "interval", "start_date", "end_date", "currency"),
    ("a", 100.0, "month", "2025-01-05", None, "USD"),
    ("b", 1200.0, "year", "2025-01-20", "2025-03-01", "USD"),  # 100 a month; leaves in March
    ("c", 50.0, "month", "2025-02-10", None, "USD"),
    ("a", 30.0, "month", "2025-03-02", None, "USD"),  # a expands in March
)


def test_mrr_table_spills_the_metrics_columns(udfs):
    table = call(udfs, "MRR_TABLE", LEDGER, MISSING, MISSING)
    header, *rows = table
    assert header == list(SUBSCRIPTION_KEYS)
    by_month = {row[0]: dict(zip(header, row, strict=True)) for row in rows}
    assert by_month["2025-01"]["mrr"] == 200.0 and by_month["2025-01"]["customers"] == 2
    assert by_month["2025-01"]["customer_churn_rate"] == "#DIV/0!"  # no start
    march = by_month["2025-03"]
    assert (march["mrr"], march["churned_mrr"], march["expansion_mrr"]) == (180.0, 100.0, 30.0)
    assert march["customer_churn_rate"] == pytest.approx(1 / 3)
    assert march["nrr"] == pytest.approx((250 + 30 - 100) / 250)


def test_mrr_table_equals_kpi_addin_metrics_on_the_sample(udfs, sample_dir):
    import pandas as pd

    from kpi_addin.io import read_company_data

    subs = pd.read_csv(sample_dir / "subscriptions.csv", dtype=str, keep_default_na=False)
    fx = pd.read_csv(sample_dir / "fx_rates.csv", dtype=str, keep_default_na=False)

    def as_range(frame):  # what pywin32 hands over: nested tuples, None for blanks
        rows = [tuple(frame.columns)]
        for record in frame.itertuples(index=False):
            rows.append(
                tuple(
                    None if v == "" else (float(v) if k in ("amount", "quantity", "rate") else v)
                    for k, v in zip(frame.columns, record, strict=True)
                )
            )
        return tuple(rows)

    table = call(udfs, "MRR_TABLE", as_range(subs), as_range(fx), "2025-12")
    header, *rows = table
    report = monthly_kpis(read_company_data(sample_dir)[0])
    assert [r[0] for r in rows] == [str(p) for p in report.monthly.index]
    for row in rows:
        month = report.monthly.loc[pd.Period(row[0], "M")]
        for key, value in zip(header[1:], row[1:], strict=True):
            want = float(month[key])
            if math.isnan(want):
                assert value == "#DIV/0!", key
            else:
                assert value == pytest.approx(want, rel=1e-12), key


def test_movements_and_cohorts(udfs):
    movements = call(udfs, "MRR_MOVEMENTS", LEDGER, MISSING, MISSING)
    assert movements[0] == ["month", "new", "expansion", "contraction", "churned", "reactivation", "fx", "net"]
    assert movements[3] == ["2025-03", 0.0, 30.0, 0.0, 100.0, 0.0, 0.0, -70.0]
    cohorts = call(udfs, "COHORTS", LEDGER, MISSING)
    assert cohorts[0][:4] == ["cohort", "customers", "0", "1"]
    assert cohorts[1][:5] == ["2025-01", 2.0, 1.0, 1.0, 0.5]  # b leaves in March
    revenue = call(udfs, "COHORTS", LEDGER, "revenue")
    assert revenue[0][1] == "starting_mrr" and revenue[1][:5] == ["2025-01", 200.0, 1.0, 1.0, 0.65]
    assert call(udfs, "COHORTS", LEDGER, "seats")[0] == ["#VALUE!"]


def test_bad_ranges_say_what_and_where(udfs):
    bad = (
        LEDGER[0],
        ("a", "lots", "month", "2025-01-05", None, "USD"),
        ("b", 10.0, "fortnight", "2025-01-05", None, "EUR"),
    )
    table = call(udfs, "MRR_TABLE", bad, MISSING, MISSING)
    assert table[0] == ["#VALUE!"]
    lines = [row[0] for row in table[1:]]
    assert "range subscriptions!B2 (amount): 'lots' is not a number" in lines
    assert any("subscriptions!C3 (interval): unknown interval 'fortnight'" in line for line in lines)
    assert any("currency EUR" in line for line in lines)


def test_an_unexpected_failure_is_an_excel_error_not_a_traceback(udfs, monkeypatch):

    def broken(*_args):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(KPIEntry, "evaluate", broken)  # =CHURN() is the registry entry's formula
    monkeypatch.setattr(sys.modules["kpi_addin.excel.report_functions"], "monthly_kpis", broken)
    handles.clear()  # the ledger's report computed by the tests above is kept: compute afresh
    assert call(udfs, "CHURN", 3.0, 200.0) == "#VALUE!"
    table = call(udfs, "MRR_TABLE", LEDGER, MISSING, MISSING)
    assert table[0] == ["#VALUE!"] and "disk on fire" in table[1][0] and "Traceback" not in table[1][0]


def test_the_function_reference_in_the_docs_is_generated_and_lists_every_function():
    from kpi_addin.docs import FUNCTIONS_END, FUNCTIONS_START, functions_reference, with_block

    text = (Path(__file__).resolve().parents[1] / "docs" / "excel-functions.md").read_text(encoding="utf-8")
    reference = functions_reference()
    assert with_block(text, FUNCTIONS_START, FUNCTIONS_END, reference, "") == text, "run python scripts/regenerate.py"
    for name, args in SIGNATURES.items():
        shown = ", ".join(f"[{a[:-1]}]" if a.endswith("?") else a for a in args)
        assert f"| `{name}({shown})` |" in reference, name


# ------------------------------------------------------------------ ranges as analysts have them

TWO = (
    ("customer_id", "amount", "interval", "start_date", "end_date"),
    ("a", 100.0, "month", "2025-01-10", None),
    ("b", 50.0, "month", "2025-01-10", "2025-06-15"),  # leaves in June: June MRR is 100
)


def _june_mrr(udfs, ledger) -> object:
    report = call(udfs, "KPI_REPORT", ledger, MISSING, MISSING, MISSING, MISSING, "as_of=2025-06", MISSING)
    return call(udfs, "KPI", report, "mrr", "2025-06") if isinstance(report, str) else report


@pytest.mark.parametrize("cell", [-2146826246, "#N/A", "N/A", "n/a", -2146826265])  # #N/A and #REF! cells, text
def test_an_error_cell_or_na_in_an_end_date_is_an_error_naming_the_cell_never_still_active(udfs, cell):
    assert _june_mrr(udfs, TWO) == 100.0
    broken = (*TWO[:2], ("b", 50.0, "month", "2025-01-10", cell))
    shown = _june_mrr(udfs, broken)
    assert shown[0] == ["#VALUE!"], shown  # not 150: b is not counted as still active
    assert shown[1][0].startswith("range subscriptions!E3 (end_date): ")


def test_an_error_cell_in_any_column_is_a_located_error(udfs):
    broken = (*TWO[:2], ("b", -2146826281, "month", "2025-01-10", None))  # #DIV/0! in amount
    table = call(udfs, "MRR_TABLE", broken, MISSING, MISSING, MISSING)
    assert table == [
        ["#VALUE!"],
        ["range subscriptions!B3 (amount): the cell holds the error #DIV/0!; fix what it refers to, or clear it"],
    ]


def test_a_table_without_its_header_is_read_by_position_and_says_so(udfs):
    with_header = call(udfs, "MRR_TABLE", TWO, MISSING, "2025-06", MISSING)
    table1 = (  # =MRR_TABLE(Table1): the data without the header row, columns in the input sheet's order
        ("a", None, None, 100.0, "month", None, None, "2025-01-10", None),
        ("b", None, None, 50.0, "month", None, None, "2025-01-10", "2025-06-15"),
    )
    assert call(udfs, "MRR_TABLE", table1, MISSING, "2025-06", MISSING) == with_header
    report = call(udfs, "KPI_REPORT", table1, MISSING, MISSING, MISSING, MISSING, "as_of=2025-06", MISSING)
    notes = [row[1] for row in call(udfs, "KPI_WARNINGS", report) if row[0] == "note"]
    assert notes == [
        "range subscriptions: no header row (an Excel Table without its headers?); columns read by position "
        "as customer_id, customer_name, plan, amount, interval, quantity, currency, start_date, end_date"
    ]


def test_a_total_row_and_trailing_blank_rows_are_left_out(udfs):
    expected = call(udfs, "MRR_TABLE", TWO, MISSING, "2025-06", MISSING)
    total = (*TWO, ("Total", 150.0, None, None, None))
    assert call(udfs, "MRR_TABLE", total, MISSING, "2025-06", MISSING) == expected
    whole_column = (*TWO, *[(None,) * 5] * 100_000)
    assert call(udfs, "MRR_TABLE", whole_column, MISSING, "2025-06", MISSING) == expected
    both = (*total, *[(None,) * 5] * 10)
    assert call(udfs, "MRR_TABLE", both, MISSING, "2025-06", MISSING) == expected
