"""The KPI registry against every surface that shows a KPI.

Each test names the KPI and the surface it is missing from, so adding a KPI to
``kpi_addin/metrics/catalogue.py`` and forgetting one place fails with a message that
says where to add it.
"""

from __future__ import annotations

import inspect
import math
import re
from pathlib import Path

import pandas as pd
import pytest

import kpi_addin.metrics as metrics
from kpi_addin.dashboard.template import load_template
from kpi_addin.docs import definitions_markdown, library_function
from kpi_addin.lang import LANGUAGES, load_language, templates_dir
from kpi_addin.metrics import KPINumError, KPIValueError, catalogue
from kpi_addin.metrics.catalogue import KPIS, MONTHLY_KEYS, REGISTRY

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
EXCEL_DOC = (ROOT / "docs" / "excel-functions.md").read_text(encoding="utf-8")


def test_keys_are_unique_snake_case_and_month_comes_first():
    keys = [k.key for k in KPIS]
    assert len(keys) == len(set(keys))
    assert keys[0] == "month"
    for key in keys:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", key), key


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_kpi_has_a_label_definition_and_tells_in_every_language(code):
    lang = load_language(code)
    for entry in KPIS:
        text = lang.kpis.get(entry.key)
        assert text is not None, f"{entry.key}: add [{entry.text_key}] to templates/lang/{code}.toml"
        for field in ("label", "definition"):
            assert text.get(field, "").strip(), f"{entry.key}: {entry.text_key}.{field} is empty in {code}.toml"
    unknown = set(lang.kpis) - set(REGISTRY)
    assert not unknown, f"templates/lang/{code}.toml describes KPIs the registry does not have: {sorted(unknown)}"


def test_the_readme_json_key_list_is_the_registry():
    from kpi_addin.docs import KEYS_END, KEYS_START

    block = README.split(KEYS_START, 1)[1].split(KEYS_END, 1)[0]
    listed = [k.strip() for k in block.replace("```text", "").replace("```", "").split(",")]
    missing = [k for k in MONTHLY_KEYS if k not in listed]
    assert not missing, f"README's JSON key list lacks {missing}: run `python scripts/regenerate.py`"
    assert listed == list(MONTHLY_KEYS), "README's JSON key list is out of date: run `python scripts/regenerate.py`"


def test_json_csv_and_table_carry_every_monthly_key(sample_company):
    from kpi_addin.metrics import monthly_kpis
    from kpi_addin.metrics_output import metrics_table, monthly_csv

    report = monthly_kpis(sample_company)
    month = report.to_dict()["months"][-1]
    assert list(month) == list(MONTHLY_KEYS)
    assert monthly_csv(report).splitlines()[0] == ",".join(MONTHLY_KEYS)
    table = metrics_table(report, 2)
    english = load_language("en")
    for entry in KPIS:
        if entry.key != "month":
            assert english.label(entry.key) in table, f"{entry.key}: not in `kpi-addin metrics --format table`"
    for key in catalogue.COUNT_KEYS:
        value = month[key]
        assert value is None or isinstance(value, int), f"{key} is a count: an integer in JSON"


def test_every_registry_excel_function_exists_and_is_documented():
    from kpi_addin.excel import functions

    for name, key in catalogue.excel_functions().items():
        assert name in functions.__all__, f"{key}: the registry names Excel function {name}, which does not exist"
        assert f"`{name}(" in EXCEL_DOC, f"{key}: Excel function {name} is not in docs/excel-functions.md's table"


def test_every_excel_function_is_documented():
    from kpi_addin.excel import functions

    for name in functions.__all__:
        if name.isupper() and callable(getattr(functions, name)):
            assert f"`{name}(" in EXCEL_DOC, f"Excel function {name} is not in docs/excel-functions.md's table"


def test_excel_functions_compute_with_the_registry_formula_or_function():
    """Each KPI's Excel function is made from its registry entry (the entry's formula), or —
    written by hand for a stated reason — calls the library function the registry names."""
    from kpi_addin.excel import functions

    for name, key in catalogue.excel_functions().items():
        entry = REGISTRY[key]
        made = getattr(getattr(functions, name), "__kpi__", None)
        if name not in functions.HAND_WRITTEN:
            assert made is entry, f"{name}: not made from the registry entry {key}"
            continue
        assert made is None, f"{name} is listed as hand-written but is made from the registry"
        function = library_function(entry)
        if function is None:  # MRR: the registry's mrr is the bridge's column; =MRR() is the simple form
            continue
        called = re.search(r"excel_call\(_\w+\.(\w+)", inspect.getsource(getattr(functions, name)))
        assert called, f"{name}: computes through excel_call(<library function>, ...)"
        callee = getattr(metrics, called.group(1))
        # the registry's function itself, or a library function over it (NPS from scores → from counts)
        assert callee is function or f"{function.__name__}(" in inspect.getsource(callee), (
            f"{name} does not call {function.__name__}, the function the registry names for {key}"
        )


def test_every_library_function_is_exported_documented_and_has_a_worked_example():
    for entry in KPIS:
        function = library_function(entry)
        if function is None:
            continue
        name = function.__name__
        assert getattr(metrics, name, None) is function, f"{entry.key}: export {name} from kpi_addin.metrics"
        doc = inspect.getdoc(function) or ""
        assert "Examples\n--------" in doc, f"{entry.key}: {name} needs a worked example (Examples section)"
        params = list(inspect.signature(function).parameters)
        assert len(entry.arguments) <= len(params), f"{entry.key}: its formula reads more columns than {name} takes"


def test_every_kpi_has_a_formula_or_says_what_computes_it():
    for entry in KPIS[1:]:
        assert (entry.formula is None) != (entry.computed_by is None), (
            f"{entry.key}: give it a formula, or (only where no monthly expression can) name computed_by"
        )


def test_every_column_a_formula_reads_is_a_column_the_report_provides(sample_company):
    from kpi_addin.metrics import monthly_kpis

    report = monthly_kpis(sample_company)
    provided = set(report.bridge.columns) | set(report.inputs.columns) | set(report.derived.columns)
    seen: set[str] = set()
    for entry in KPIS:
        if not entry.monthly or entry.key == "month":
            continue
        for arg in entry.arguments:
            assert arg in provided or arg in seen, f"{entry.key}: its formula reads {arg!r}, no column of the report"
        seen.add(entry.key)
    assert set(catalogue.DERIVED) <= set(report.derived.columns)


#: The trailing library functions take each month's start (M−1's end, unknown in the opening month).
START_ARGUMENTS = {
    "mrr_growth_mom": ("mrr", "known_start_mrr"),
    "mrr_growth_yoy": ("mrr", "known_start_mrr"),
    "customer_churn_rate_3m": ("churned_customers", "known_start_customers"),
    "revenue_churn_rate_3m": ("lost_mrr", "known_start_mrr"),
}


def report_columns(report) -> dict[str, pd.Series]:
    """Every column of a report by name (KPIs last, as formulas read them)."""
    columns = {c: report.bridge[c] for c in report.bridge}
    columns.update({c: report.inputs[c] for c in report.inputs})
    columns.update({c: report.derived[c] for c in report.derived})
    opening = pd.Series(report.monthly.index == report.opening_month, index=report.monthly.index)
    columns["known_start_mrr"] = report.bridge["start_mrr"].astype(float).mask(opening)
    columns["known_start_customers"] = report.bridge["start_customers"].astype(float).mask(opening)
    columns.update({c: report.monthly[c] for c in report.monthly})
    return columns


def companies_to_check(sample_company):
    from .test_dashboard_values import history_start_company, krw_company
    from .test_formulas_libreoffice import random_company

    return [sample_company, history_start_company(), krw_company(), random_company(1), random_company(2)]


def test_each_formula_gives_what_its_library_function_gives(sample_company):
    """The registry formula (the library's value) against the family function of the same KPI,
    applied to the report's columns: two independent writings of each definition, bit for bit."""
    from kpi_addin.metrics import monthly_kpis

    for company in companies_to_check(sample_company):
        report = monthly_kpis(company)
        columns = report_columns(report)
        for entry in KPIS:
            if not entry.monthly or entry.key == "month" or entry.formula is None or entry.taken:
                continue
            function = library_function(entry)
            if function is None:  # a KPI defined by its formula alone (its tests work an example by hand)
                continue
            names = START_ARGUMENTS.get(entry.key, entry.arguments)
            expected = function(*[pd.Series(columns[a], dtype=float) for a in names])
            if report.monthly[entry.key].isna().all() and pd.Series(expected).notna().any():
                continue  # its input is absent: null by rule, whatever the function would say
            pd.testing.assert_series_equal(
                report.monthly[entry.key].astype(float),
                pd.Series(expected, index=report.monthly.index).astype(float),
                check_names=False,
                check_exact=True,
                obj=entry.key,
            )


def test_a_formula_evaluates_on_one_months_numbers_as_a_worksheet_function_would():
    assert REGISTRY["nrr"].arguments == ("start_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr", "fx_mrr")
    assert REGISTRY["nrr"].evaluate(
        {"start_mrr": 10_000, "expansion_mrr": 800, "contraction_mrr": 200, "churned_mrr": 300, "fx_mrr": 0}
    ) == pytest.approx(1.03)
    # FX impact may be negative (a rate fall) and counts as the customers' change: (10,000 + 300 − 500 − 100) / 10,000
    assert REGISTRY["nrr"].evaluate(
        {"start_mrr": 10_000, "expansion_mrr": 300, "contraction_mrr": 500, "churned_mrr": 0, "fx_mrr": -100}
    ) == pytest.approx(0.97)
    assert REGISTRY["nps"].arguments == ("nps_promoters", "nps_detractors", "nps_answers")
    assert REGISTRY["nps"].evaluate({"nps_promoters": 6, "nps_detractors": 1, "nps_answers": 10}) == pytest.approx(50.0)
    assert math.isnan(REGISTRY["nps"].evaluate({"nps_promoters": 0, "nps_detractors": 0, "nps_answers": 0}))
    assert math.isnan(REGISTRY["customer_churn_rate"].evaluate({"churned_customers": 0, "start_customers": 0}))
    with pytest.raises(KPINumError, match="churned_customers"):
        REGISTRY["customer_churn_rate"].evaluate({"churned_customers": -1, "start_customers": 5})
    with pytest.raises(KPINumError, match="start_customers"):
        REGISTRY["customer_churn_rate"].evaluate({"churned_customers": 6, "start_customers": 5})
    with pytest.raises(KPIValueError, match="range of months"):
        REGISTRY["cac_trailing"].evaluate({"sales": 1.0, "marketing": 1.0, "acquired_customers": 1.0})
    # a window over ranges of months: the last month's value is Σ spend / Σ acquired = 90,000 / 30
    spend = {"sales": pd.Series([20_000.0, 24_000.0, 16_000.0]), "marketing": pd.Series([10_000.0, 12_000.0, 8_000.0])}
    assert REGISTRY["cac_trailing"].evaluate({**spend, "acquired_customers": pd.Series([10, 8, 12])}).iloc[-1] == 3000.0


def test_the_dashboard_has_a_formula_for_every_monthly_kpi(sample_company, tmp_path):
    from openpyxl import load_workbook

    from tests.dashboard_helpers import build

    path = tmp_path / "d.xlsx"
    build(sample_company, path)
    ws = load_workbook(path)["Monthly KPIs"]
    headers = [c.value for c in ws[4]]
    assert headers == list(MONTHLY_KEYS)
    for i, key in enumerate(MONTHLY_KEYS[1:], start=2):
        cell = ws.cell(row=5, column=i)
        assert isinstance(cell.value, str) and cell.value.startswith("="), f"{key}: MonthlyKPIs has no formula"


def test_template_defaults_agree_with_the_registry_direction():
    for path in sorted(templates_dir().glob("*.toml")):
        template = load_template(str(path))
        for key, (_target, direction) in template.targets.items():
            assert key in REGISTRY, f"{path.name}: target on unknown KPI {key}"
            assert direction == catalogue.default_direction(key), (
                f"{path.name}: targets.{key} says {direction!r}, the registry says {catalogue.default_direction(key)!r}"
            )


def test_a_target_without_direction_takes_the_registry_direction():
    from kpi_addin.io.schema import LOWER_IS_BETTER

    assert frozenset(k.key for k in KPIS if k.direction == "lower") == LOWER_IS_BETTER
    assert {"customer_churn_rate", "cac", "cac_payback_months", "debt_to_equity"} <= LOWER_IS_BETTER


def test_absent_input_warnings_name_exactly_the_registry_kpis(sample_company):
    import dataclasses

    from kpi_addin.metrics import monthly_kpis

    for sheet in ("costs", "funnel", "nps", "balance_sheet"):
        report = monthly_kpis(dataclasses.replace(sample_company, **{sheet: None}))
        needing = catalogue.needing(sheet)
        warning = next(w for w in report.warnings if w.startswith(f"{sheet}: sheet absent"))
        for key in needing:
            assert key in warning, f"{sheet} absent: the warning does not name {key}"
        for key in needing:
            if REGISTRY[key].monthly:
                assert report.monthly[key].isna().all(), f"{sheet} absent: {key} should be null"
            else:
                assert report.balance_sheet[key] is None


def test_docs_definitions_are_generated_from_the_registry():
    path = ROOT / "docs" / "definitions.md"
    assert path.read_text(encoding="utf-8") == definitions_markdown(), (
        "docs/definitions.md is out of date: run `python scripts/regenerate.py`"
    )
    for entry in KPIS:
        if entry.key != "month":
            assert f"`{entry.key}`" in path.read_text(encoding="utf-8")
