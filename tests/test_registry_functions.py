"""The worksheet functions made from the KPI registry (kpi_addin/excel/registry_functions.py).

Their values and errors are checked against two independent writings of each KPI: the
library's scalar function the registry names (through the same Excel conversion the
hand-written functions used, over a grid of good and bad cells), and the report's figures of
every month of the sample.  Their calls through xlwings' Windows and Lite machinery are in
``tests/test_excel_functions.py`` and ``tests/test_lite_pyodide.py``.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import replace
from pathlib import Path

import pytest

from kpi_addin.docs import library_function
from kpi_addin.excel import functions
from kpi_addin.excel.convert import excel_call, optional
from kpi_addin.excel.help_text import MAX_DESCRIPTION
from kpi_addin.metrics import monthly_kpis
from kpi_addin.metrics.catalogue import excel_functions
from kpi_addin.metrics.expression import closed_gate

GENERATED = functions.GENERATED
empty = inspect.Parameter.empty
#: Cells that are no number a KPI can take, or an edge of one: each put in each argument in turn.
ODD_CELLS = (0.0, -1.0, 2.5, 0.5, 1.5, 1e9, None, "", "ten", True, ((1.0, 2.0),))


def _good_cells(function, report, company) -> list[object]:
    """The as-of month's figures for each argument (a month where every KPI is defined), or
    the balance sheet's last period."""
    columns = {}
    for frame in (report.bridge, report.inputs, report.derived, report.monthly):
        columns.update(frame.iloc[-1].to_dict())
    if not function.__kpi__.monthly:
        columns.update(company.balance_sheet.iloc[-1].to_dict())
    return [float(columns[a]) for a in function.__kpi__.arguments]


def test_every_registry_function_is_made_unless_written_by_hand_for_a_reason():
    registry = excel_functions()
    assert set(functions.HAND_WRITTEN) <= set(registry)  # a reason is given only for a registry KPI
    assert set(GENERATED) == set(registry) - set(functions.HAND_WRITTEN)
    source = Path(inspect.getsourcefile(functions)).read_text(encoding="utf-8")
    for name in functions.HAND_WRITTEN:
        assert f"\ndef {name}(" in source, f"{name} is listed as hand-written: write it in functions.py"
    for name, function in GENERATED.items():
        assert getattr(functions, name) is function and name in functions.__all__
        assert function.__module__ == "kpi_addin.excel.functions"  # where xlwings calls it


def test_arguments_are_the_formulas_columns_with_the_existing_positions():
    shown = {name: list(inspect.signature(f).parameters) for name, f in GENERATED.items()}
    assert shown["CHURN"] == ["churned_customers", "start_customers"]
    # the FX impact (issue 19) is an optional fifth argument: the four existing positions hold
    assert shown["NRR"] == ["start_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "fx_mrr"]
    assert inspect.signature(GENERATED["NRR"]).parameters["fx_mrr"].default == 0.0
    assert shown["CAC"] == ["sales", "marketing", "acquired_customers"]
    assert shown["RETENTION"] == ["customers", "gained_customers", "start_customers"]
    assert shown["ACID_TEST_RATIO"] == ["current_assets", "inventories", "current_liabilities"]
    payback = inspect.signature(GENERATED["CAC_PAYBACK"]).parameters
    assert [p.default for p in payback.values()] == [inspect.Parameter.empty, inspect.Parameter.empty, 1.0]
    for name, function in GENERATED.items():
        assert list(inspect.signature(function).parameters) == list(function.__kpi__.arguments), name


def test_every_argument_has_its_own_help_and_every_description_fits_the_wizard():
    for name, function in GENERATED.items():
        for argument in function.__kpi__.arguments:
            assert functions.HELP.has_argument(argument), (
                f"{name}({argument}): give it help under [arguments] in templates/lang/en.toml"
            )
        assert function.__excel_args__ == {a: functions.HELP.arguments[a] for a in function.__kpi__.arguments}
        description = function.__doc__
        assert description and "\n" not in description and len(description) <= MAX_DESCRIPTION, name
        assert "see docs/definitions.md" not in description, f"{name}: its KPI has no label in en.toml"
    assert GENERATED["CHURN"].__doc__ == (
        "Customer churn rate: customers lost in the month / paying customers at the end of the month before."
    )


def test_values_and_errors_are_the_library_functions_over_a_grid_of_cells(sample_company):
    """The hand-written functions these replace called the library's scalar function through
    excel_call: for each argument in turn, good and bad cells give what that call gives."""
    report = monthly_kpis(sample_company)
    compared = 0
    for name, function in GENERATED.items():
        library = library_function(function.__kpi__)
        if library is None:  # a KPI defined by its formula alone: its hand-worked example and the months below
            continue
        good = _good_cells(function, report, sample_company)
        defaults = [p.default for p in inspect.signature(function).parameters.values()]
        cases = [good] + [[*good[:i], odd, *good[i + 1 :]] for i in range(len(good)) for odd in ODD_CELLS]
        cases.append([0.0] * len(good))
        for cells in cases:
            # as the hand-written function did: an omitted or blank optional argument takes its default
            given = [optional(c, d) if d is not empty else c for c, d in zip(cells, defaults, strict=True)]
            expected = excel_call(library, *given)
            values = dict(zip(function.__kpi__.arguments, given, strict=True))
            if expected == "#DIV/0!" and closed_gate(function.__kpi__.formula, values):
                expected = "#N/A"  # the formula's own test failed (RUNWAY, cash-flow positive): the workbook's NA()
            got = function(*cells)
            if isinstance(expected, float):
                assert got == pytest.approx(expected, rel=1e-12), (name, cells)
            else:
                assert got == expected, (name, cells, got, expected)
            compared += 1
    assert compared > 500  # the functions that replaced hand-written ones all name their library function


def test_every_month_of_the_sample_gives_the_reports_figure(sample_company):
    report = monthly_kpis(sample_company)
    frames = (report.bridge, report.inputs, report.derived, report.monthly)
    for name, function in GENERATED.items():
        entry = function.__kpi__
        if not entry.monthly:
            continue
        for month in report.monthly.index:
            columns = {}
            for frame in frames:
                columns.update(frame.loc[month].to_dict())
            got = function(*[float(columns[a]) for a in entry.arguments])
            want = float(report.monthly.loc[month, entry.key])
            if math.isnan(want):
                assert got == "#DIV/0!", (name, month)
            else:
                assert got == pytest.approx(want, rel=1e-12), (name, month)


def test_an_omitted_or_blank_optional_argument_takes_its_default():
    payback = GENERATED["CAC_PAYBACK"]
    assert payback(2_000.0, 50.0) == payback(2_000.0, 50.0, None) == payback(2_000.0, 50.0, -2147352572) == 40.0
    assert payback(2_000.0, 50.0, 0.8) == 50.0  # 2,000 / (50 × 0.8)
    assert payback(cac=2_000.0, arpu=50.0, gross_margin=0.5) == 80.0  # called from Python by name
    assert payback(2_000.0, 50.0, 1.2) == "#NUM!"  # a margin above 100 %


def test_a_registry_entry_names_what_cannot_be_a_one_month_function():
    from kpi_addin.excel.registry_functions import kpi_function
    from kpi_addin.metrics.catalogue import REGISTRY

    trailing = replace(REGISTRY["cac_trailing"], excel="CAC_TRAILING")
    with pytest.raises(ValueError, match="cac_trailing: its formula reads other months"):
        kpi_function(trailing, functions.HELP)
    misplaced = replace(REGISTRY["cac_payback_months"], excel_defaults={"cac": 0.0})
    with pytest.raises(ValueError, match=r"excel_defaults \['cac'\] must be the last arguments"):
        kpi_function(misplaced, functions.HELP)
    with pytest.raises(ValueError, match="nrr_12m: only an entry with a formula"):
        kpi_function(replace(REGISTRY["nrr_12m"], excel="NRR_12M"), functions.HELP)
