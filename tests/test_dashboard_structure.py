"""The dashboard's structure, its safety and its templates.

Structure is compared with a reviewed golden description (in the manner of XlsxWriter's
tests): sheets, tables, defined names, charts and their series ranges, one small file per
sheet under ``tests/golden/dashboard_<template>_<lang>/``.  Regenerate them after an
intended change with ``python scripts/regenerate.py`` and review the diff.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kpi_addin.cli import cli
from kpi_addin.dashboard import writer
from kpi_addin.dashboard.template import load_template
from kpi_addin.io import read_company_data, sample_path
from kpi_addin.lang import TemplateError, load_language
from kpi_addin.metrics import MONTHLY_KEYS, CompanyData, ReportSettings

from .conftest import ledger, month
from .dashboard_helpers import build, describe, split_description
from .libreoffice import recalculated_values

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(scope="module")
def sample_data():
    return read_company_data(sample_path())[0]


@pytest.mark.parametrize(("template", "lang"), [("full", "en"), ("executive", "ko")])
def test_structure_matches_the_golden_description(sample_data, tmp_path, template, lang):
    path = tmp_path / "dashboard.xlsx"
    build(sample_data, path, template=template, lang=lang)
    files = split_description(describe(path), lang)
    folder = GOLDEN / f"dashboard_{template}_{lang}"
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(files), "run python scripts/regenerate.py"
    for name, part in files.items():
        golden = json.loads((folder / name).read_text(encoding="utf-8"))
        assert part == golden, f"{folder.name}/{name} differs: run python scripts/regenerate.py and review the diff"


def test_monthly_table_and_defined_names(sample_data, tmp_path):
    path = tmp_path / "dashboard.xlsx"
    report, _ = build(sample_data, path)
    description = describe(path)
    monthly = next(s for s in description["sheets"] if s["name"] == "Monthly KPIs")
    last_row = 4 + len(report.monthly)  # header on row 4, one row a month

    def column(key: str) -> str:
        return get_column_letter(MONTHLY_KEYS.index(key) + 1)

    ref = f"A4:{column(MONTHLY_KEYS[-1])}{last_row}"
    assert monthly["tables"] == [{"name": "MonthlyKPIs", "ref": ref, "columns": list(MONTHLY_KEYS)}]
    names = description["defined_names"]
    assert names["KPI_MRR"] == f"'Monthly KPIs'!$B${last_row}"  # the latest month
    assert names["KPI_CUSTOMER_CHURN_RATE"] == f"'Monthly KPIs'!${column('customer_churn_rate')}${last_row}"
    assert names["KPI_CURRENT_RATIO"].startswith("'Balance sheet'!$B$")
    assert {f"KPI_{k.upper()}" for k in MONTHLY_KEYS[1:]} <= set(names)
    values = load_workbook(path, data_only=True)["Monthly KPIs"]
    assert values["B28"].value == pytest.approx(report.monthly["mrr"].iloc[-1])


def test_executive_shows_summary_segments_and_goals_only(sample_data, tmp_path):
    path = tmp_path / "dashboard.xlsx"
    build(sample_data, path, template="executive")
    visible = [s["name"] for s in describe(path)["sheets"] if s["state"] == "visible"]
    pack = ["Pack overview", "Pack scorecard", "Pack revenue", "Pack retention", "Pack segments"]
    pack += ["Pack unit economics", "Pack cash", "Pack plan", "Pack forecast", "Pack goals"]  # the sample's budget
    assert visible == ["Summary", "Goals", "Segments", "Definitions", *pack]  # segments by plan: no customer


HOSTILE = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "＝1+1", "\t=1+1", "a\x07b"]


def test_untrusted_text_stays_text(tmp_path):
    subs = ledger(*[(f"c{i}", 10.0, "month", "2025-01-01", None) for i in range(len(HOSTILE))])
    subs["customer_name"] = HOSTILE
    subs["plan"] = HOSTILE
    path = tmp_path / "dashboard.xlsx"
    build(CompanyData(subscriptions=subs, settings=ReportSettings(as_of=month("2025-02"))), path)
    sheet = load_workbook(path)["Data subscriptions"]
    header = [c.value for c in sheet[3]]
    name_col = header.index("customer_name") + 1
    for i, text in enumerate(HOSTILE):
        cell = sheet.cell(row=4 + i, column=name_col)
        assert cell.data_type == "s"
        assert cell.value == text.replace("\x07", "")  # control characters are dropped, nothing else
        if text[0] in "=+-@＝\t":
            assert cell.quotePrefix
    # a second engine agrees: after a full recalculation the cells are still the text
    recalculated = recalculated_values(path, tmp_path)["Data subscriptions"]
    shown = [recalculated[f"{chr(64 + name_col)}{4 + i}"] for i in range(len(HOSTILE))]
    assert shown == [t.replace("\x07", "") for t in HOSTILE]


def test_undefined_kpi_shows_a_mark_with_a_note_not_zero(tmp_path):
    template = tmp_path / "monthly.toml"
    template.write_text('[summary]\nkpis = ["mrr", "ltv"]\n', encoding="utf-8")  # the monthly LTV, not the trailing
    path = tmp_path / "dashboard.xlsx"
    data = CompanyData(
        subscriptions=ledger(("only", 100.0, "month", "2025-01-15", None)),
        settings=ReportSettings(as_of=month("2025-03")),
    )
    build(data, path, template=str(template))
    sheet = load_workbook(path, data_only=True)["Summary"]
    row = next(r for r in range(6, 30) if sheet[f"A{r}"].value == "LTV")
    assert sheet[f"B{row}"].value == "#DIV/0!"
    note = load_workbook(path)["Summary"][f"B{row}"].comment
    assert note is not None and "no customer churned" in note.text


def test_money_format_follows_the_reporting_currency(tmp_path):
    subs = ledger(
        ("a", 99_000.0, "month", "2025-01-03", None, "KRW"),
        columns=("customer_id", "amount", "interval", "start_date", "end_date", "currency"),
    )
    path = tmp_path / "dashboard.xlsx"
    build(
        CompanyData(subscriptions=subs, settings=ReportSettings(reporting_currency="KRW", as_of=month("2025-02"))), path
    )
    sheet = load_workbook(path)["Monthly KPIs"]
    assert sheet["B5"].number_format == '"₩"#,##0;("₩"#,##0)'
    churn = get_column_letter(MONTHLY_KEYS.index("customer_churn_rate") + 1)
    assert sheet[f"{churn}5"].number_format == "0.00%"
    assert sheet["A5"].number_format == "yyyy-mm"


def test_ledger_above_the_limit_is_left_out_and_the_workbook_says_so(sample_data, tmp_path):
    path = tmp_path / "dashboard.xlsx"
    build(sample_data, path, ledger_limit=100)
    sheet = load_workbook(path)["Data subscriptions"]
    assert "is not included" in sheet["A2"].value and "--include-ledger" in sheet["A2"].value
    assert sheet.max_row == 2
    build(sample_data, path, ledger_limit=100, include_ledger=True)
    assert load_workbook(path)["Data subscriptions"].max_row == 3 + len(sample_data.subscriptions)


# ------------------------------------------------------------------ writing safely


def test_existing_output_is_kept_without_force(tmp_path):
    out = tmp_path / "dashboard.xlsx"
    out.write_bytes(b"the finance team's file")
    result = CliRunner().invoke(cli, ["dashboard", "--out", str(out)])
    assert result.exit_code == 1 and "use --force" in result.output
    assert out.read_bytes() == b"the finance team's file"


def test_a_failure_mid_write_leaves_the_old_file_whole(tmp_path, monkeypatch, sample_data):
    out = tmp_path / "dashboard.xlsx"
    out.write_bytes(b"last month's dashboard")

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "fill_cached_values", broken)
    result = CliRunner().invoke(cli, ["dashboard", "--out", str(out), "--force"])
    assert result.exit_code == 1
    assert "cannot write (No space left on device); nothing was changed" in result.output
    assert out.read_bytes() == b"last month's dashboard"
    assert [p.name for p in tmp_path.iterdir()] == ["dashboard.xlsx"]  # no temporary files left behind


def test_cli_builds_the_sample_dashboard(tmp_path):
    out = tmp_path / "dash.xlsx"
    result = CliRunner().invoke(cli, ["dashboard", "--out", str(out), "--lang", "ko", "--template", "executive"])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.stdout
    assert load_workbook(out, read_only=True).sheetnames[:2] == ["요약", "목표"]


# ------------------------------------------------------------------ templates


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('name = "x"\nsheets = ["summary"\n', "not valid TOML"),
        ('sheets = ["summary", "cashflow"]\n', "sheets[1]: unknown name 'cashflow'"),
        ('[summary]\nkpis = ["mrr", "mmr"]\n', "summary.kpis[1]: unknown name 'mmr'"),
        ('[targets.mrr]\ntarget = "lots"\n', "targets.mrr.target: must be a number"),
        ('colour = "blue"\n', "colour: unknown key"),
        ('sheets = ["goals"]\n', "sheets: must include 'summary'"),
    ],
)
def test_a_broken_template_names_the_file_the_key_or_line_and_the_problem(tmp_path, text, message):
    path = tmp_path / "mine.toml"
    path.write_text(text)
    with pytest.raises(TemplateError) as info:
        load_template(str(path))
    assert str(info.value).startswith(str(path))
    assert message in str(info.value)
    result = CliRunner().invoke(cli, ["dashboard", "--template", str(path), "--out", str(tmp_path / "d.xlsx")])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output


def test_toml_syntax_errors_give_the_line(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text('name = "x"\n\nsheets = ["summary",\n  oops]\n')
    with pytest.raises(TemplateError, match=r"line 4"):
        load_template(str(path))


def test_languages_cover_every_kpi():
    for code in ("en", "ko"):
        language = load_language(code)
        assert set(MONTHLY_KEYS) <= set(language.kpis)
    assert load_language("ko").sheets["summary"] == "요약"


def test_data_sheets_are_tables_a_user_can_extend(sample_data, tmp_path):
    path = tmp_path / "dashboard.xlsx"
    build(sample_data, path)
    tables = {t["name"] for s in describe(path)["sheets"] for t in s["tables"]}
    assert {"Subscriptions", "Funnel", "Costs", "NPS", "BalanceSheet", "Targets", "FXRates", "MonthlyKPIs"} <= tables
    costs = pd.read_excel(path, sheet_name="Data costs", header=2, engine="calamine")
    assert len(costs) == len(sample_data.costs)


def test_the_streamed_ledger_sheet_reads_back_as_the_input(sample_data, tmp_path):
    path = tmp_path / "dashboard.xlsx"
    build(sample_data, path)
    back = pd.read_excel(path, sheet_name="Data subscriptions", header=2, engine="openpyxl")
    subs = sample_data.subscriptions
    assert len(back) == len(subs)
    assert back["customer_id"].tolist() == subs["customer_id"].tolist()
    assert back["amount"].tolist() == pytest.approx(subs["amount"].tolist())
    assert (pd.to_datetime(back["start_date"]) == subs["start_date"]).all()  # real dates, not serial numbers
    assert back["end_date"].isna().tolist() == subs["end_date"].isna().tolist()  # blanks stay blank
    sheet = load_workbook(path)["Data subscriptions"]
    assert sheet["H4"].number_format == "yyyy-mm-dd" and not sheet["H4"].quotePrefix


def test_a_ledger_larger_than_an_excel_sheet_is_never_written(sample_data, tmp_path, monkeypatch):
    from kpi_addin.dashboard.sheets import data

    monkeypatch.setattr(data, "EXCEL_MAX_ROWS", 100)  # the sample's 512 rows stand in for 1,048,577
    path = tmp_path / "dashboard.xlsx"
    build(sample_data, path, include_ledger=True)
    sheet = load_workbook(path)["Data subscriptions"]
    assert "more rows than an Excel sheet holds" in sheet["A2"].value and sheet.max_row == 2


def test_output_is_readable_like_any_new_file_and_keeps_a_replaced_files_mode(tmp_path):
    import stat

    out = tmp_path / "dash.xlsx"
    old_mask = os.umask(0o022)
    try:
        assert CliRunner().invoke(cli, ["dashboard", "--out", str(out)]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o644  # not mkstemp's private 0600
        out.chmod(0o664)
        assert CliRunner().invoke(cli, ["dashboard", "--out", str(out), "--force"]).exit_code == 0
        assert stat.S_IMODE(out.stat().st_mode) == 0o664
    finally:
        os.umask(old_mask)


def test_every_xml_part_is_well_formed_with_cells_in_order(sample_data, tmp_path):
    import re
    import zipfile
    from xml.etree import ElementTree

    from openpyxl.utils import column_index_from_string

    path = tmp_path / "dashboard.xlsx"
    build(sample_data, path)  # with the streamed ledger and the filled cached values
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            root = ElementTree.fromstring(archive.read(name))  # raises on malformed XML
            if name.startswith("xl/worksheets/sheet"):
                rows = [
                    int(r.get("r")) for r in root.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}row")
                ]
                assert rows == sorted(rows) and len(rows) == len(set(rows)), name
                for row in root.iter("{http://schemas.openxmlformats.org/spreadsheetml/2006/main}row"):
                    columns = [column_index_from_string(re.match(r"[A-Z]+", c.get("r")).group()) for c in row]
                    assert columns == sorted(columns), (name, row.get("r"))


def test_an_incomplete_window_on_the_summary_says_so(tmp_path):
    path = tmp_path / "dashboard.xlsx"
    data = CompanyData(
        subscriptions=ledger(("only", 100.0, "month", "2025-01-15", None)),
        settings=ReportSettings(as_of=month("2025-06")),
    )
    build(data, path)  # the full template's headline holds nrr_12m
    sheet = load_workbook(path)["Summary"]
    row = next(r for r in range(6, 30) if sheet[f"A{r}"].value == "Net revenue retention, 12 months")
    note = sheet[f"B{row}"].comment
    assert note is not None and "its window is not complete yet" in note.text


def test_the_opening_month_is_named_where_movements_show(sample_data, tmp_path):
    path = tmp_path / "dashboard.xlsx"
    build(sample_data, path)
    wb = load_workbook(path)
    for sheet in ("Monthly KPIs", "Ledger aggregates", "Revenue"):
        assert "2024-01: opening balance, no movements of its own" in wb[sheet]["A2"].value, sheet
    later = replace(sample_data, settings=replace(sample_data.settings, history_start=month("2025-01")))
    build(later, path)
    assert "opening" not in load_workbook(path)["Revenue"]["A2"].value
