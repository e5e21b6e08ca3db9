"""``kpi-addin dashboard --update``: what a person typed last month is in the new month's file.

Month M (2025-11) of the sample is built, edited with openpyxl as a person would (targets,
a direction, a due date, notes, commentary, a goal added, one deleted, one on a KPI that
does not exist), then refreshed to M+1 (2025-12) — directly, and after a LibreOffice round
trip of the edited file.  Every typed value must be where it belongs, every number M+1's.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment

from kpi_addin.cli import cli
from kpi_addin.dashboard.builder import BuildOptions
from kpi_addin.dashboard.template import load_template
from kpi_addin.dashboard.update import read_last
from kpi_addin.dashboard.writer import write_dashboard
from kpi_addin.io.inputs import load_company
from kpi_addin.lang import load_language
from kpi_addin.metrics import monthly_kpis
from kpi_addin.metrics.report import evaluate_goals

from .conftest import month
from .dashboard_helpers import mismatches
from .libreoffice import convert, recalculated_values

EN = load_language("en")


def run(*args: str, code: int = 0):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == code, result.output + result.stderr
    return result


@pytest.fixture(scope="module")
def last_month(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("m")
    path = folder / "board_2025-11.xlsx"
    run("dashboard", "--as-of", "2025-11", "--out", str(path))
    return path


def cell_of(wb, name: str):
    sheet, ref = next(iter(wb.defined_names[name].destinations))
    return wb[sheet][ref.replace("$", "")]


def goal_rows(ws) -> dict[str, int]:
    """KPI key (hidden column B) → row on the Goals sheet."""
    return {ws[f"B{r}"].value: r for r in range(5, ws.max_row + 1) if ws[f"B{r}"].value}


def edit_as_a_person(source: Path, target: Path) -> None:
    wb = load_workbook(source)
    goals = wb[EN.sheets["goals"]]
    rows = goal_rows(goals)
    mrr = rows["mrr"]
    goals[f"C{mrr}"] = 150000  # a new target
    goals[f"E{mrr}"] = dt.datetime(2026, 6, 1)  # a new due month
    goals[f"C{mrr}"].comment = Comment("Board approved 150k in October", "Ana")
    churn = rows["customer_churn_rate_3m"]
    goals[f"C{churn}"] = 0.025
    goals[f"D{churn}"] = "lower"
    goals.delete_rows(rows["nps"])  # a goal the person removed
    free = goals.max_row + 1
    goals[f"A{free}"] = "ARPU"  # a goal the person added, by its label
    goals[f"C{free}"] = 210
    goals[f"D{free}"] = "higher"
    goals[f"E{free}"] = "2026-03"
    goals[f"C{free}"].comment = Comment("Pricing project", "Ana")
    goals[f"A{free + 1}"] = "Happiness index"  # no such KPI: carried over, not dropped
    goals[f"C{free + 1}"] = 9
    summary_comment = cell_of(wb, "Comment_MRR")
    summary_comment.value = "December: two Scale upgrades; churn lowest this year."
    summary_comment.comment = Comment("Check with sales before the board meeting", "Ana")
    wb.save(target)


def numbers_of(ws) -> list[list[object]]:
    """Every cell of a sheet but the MRR target line on Revenue, which follows the typed target."""
    target = EN.ui["mrr_target"]
    return [[c.value for c in row if ws.cell(row=4, column=c.column).value != target] for row in ws.iter_rows()]


def check_refreshed(new: Path, *, warnings: str) -> None:
    company, _notes, _warnings = load_company(None, given={"as_of": month("2025-12")})
    report = monthly_kpis(company)
    wb = load_workbook(new)
    goals = wb[EN.sheets["goals"]]
    rows = goal_rows(goals)
    # typed values, in their places
    assert "nps" not in rows and "arpu" in rows
    assert cell_of(wb, "Goal_MRR_Target").value == 150000
    assert cell_of(wb, "Goal_MRR_Target").comment.text.startswith("Board approved 150k")
    assert cell_of(wb, "Goal_MRR_Due").value == dt.datetime(2026, 6, 1)
    assert cell_of(wb, "Goal_CUSTOMER_CHURN_RATE_3M_Target").value == 0.025
    assert cell_of(wb, "Goal_CUSTOMER_CHURN_RATE_3M_Direction").value == EN.ui["lower"]
    assert cell_of(wb, "Goal_ARPU_Target").value == 210
    assert cell_of(wb, "Goal_ARPU_Due").value == dt.datetime(2026, 3, 1)
    assert cell_of(wb, "Goal_ARPU_Target").comment.text.startswith("Pricing project")
    # written for November, carried into December: marked with its month until rewritten
    assert cell_of(wb, "Comment_MRR").value == "[2025-11] December: two Scale upgrades; churn lowest this year."
    assert cell_of(wb, "Comment_MRR").comment.text.startswith("Check with sales")
    # what had no place: a warning and the Carried over sheet
    assert "Happiness index" in warnings
    carried = wb["Carried over"]
    kept = [c.value for row in carried.iter_rows() for c in row if c.value is not None]
    assert "Happiness index" in kept
    # every number is M+1's
    values = load_workbook(new, data_only=True)
    monthly = values[EN.sheets["monthly"]]
    last = monthly.max_row
    assert monthly[f"A{last}"].value == dt.datetime(2025, 12, 1)
    assert monthly[f"B{last}"].value == pytest.approx(report.monthly["mrr"].iloc[-1])
    fresh = new.parent / "fresh_build.xlsx"  # the same month built from scratch
    run("dashboard", "--as-of", "2025-12", "--out", str(fresh), "--force")
    built = load_workbook(fresh, data_only=True)
    for sheet in ("monthly", "ledger", "revenue", "customers", "movements"):
        title = EN.sheets[sheet]
        assert numbers_of(values[title]) == numbers_of(built[title]), title
    summary = EN.sheets["summary"]
    latest = [[c.value for c in row[:4]] for row in values[summary].iter_rows(min_row=3, max_row=20)]
    assert latest == [[c.value for c in row[:4]] for row in built[summary].iter_rows(min_row=3, max_row=20)]
    goals_values = values[EN.sheets["goals"]]
    targets = company.targets.copy()
    targets.loc[targets["kpi"] == "mrr", ["target", "due"]] = [150000.0, dt.datetime(2026, 6, 1)]
    evaluated = evaluate_goals(targets[targets["kpi"] == "mrr"], report).iloc[0]
    assert goals_values[f"F{rows['mrr']}"].value == pytest.approx(report.monthly["mrr"].iloc[-1])
    assert goals_values[f"H{rows['mrr']}"].value == EN.status[evaluated["status"].replace(" ", "_")]


def test_update_keeps_what_was_typed_and_shows_the_new_month(last_month, tmp_path):
    edited = tmp_path / "board_2025-11.xlsx"
    edit_as_a_person(last_month, edited)
    result = run("dashboard", "--update", str(edited), "--as-of", "2025-12")
    new = tmp_path / "board_2025-12.xlsx"  # beside LAST, the new month in the name
    assert new.exists() and edited.exists()
    check_refreshed(new, warnings=result.stderr)


@pytest.mark.libreoffice
def test_update_after_a_libreoffice_round_trip(last_month, tmp_path):
    edited = tmp_path / "edited" / "board_2025-11.xlsx"
    edited.parent.mkdir()
    edit_as_a_person(last_month, edited)
    saved = convert(edited, "xlsx", tmp_path / "saved")  # opened and saved in LibreOffice
    out = tmp_path / "december.xlsx"
    result = run("dashboard", "--update", str(saved), "--as-of", "2025-12", "--out", str(out))
    check_refreshed(out, warnings=result.stderr)
    # LibreOffice recalculates the refreshed goals (typed targets, an added goal) as the library does
    carried = read_last(saved, [EN, load_language("ko")])
    company, _notes, _warnings = load_company(None, given={"as_of": month("2025-12")})
    options = BuildOptions(load_template("full"), EN, carried=carried)
    expected = write_dashboard(company, monthly_kpis(company), tmp_path / "library.xlsx", options).expected
    assert mismatches(expected, recalculated_values(tmp_path / "library.xlsx", tmp_path)) == []


def test_a_workbook_not_made_by_kpi_addin_is_refused(tmp_path):
    other = tmp_path / "budget.xlsx"
    Workbook().save(other)
    result = run("dashboard", "--update", str(other), code=1)
    assert "not a dashboard made by kpi-addin" in result.stderr and "Traceback" not in result.output
    text = tmp_path / "notes.xlsx"
    text.write_text("not a workbook")
    assert "not an Excel workbook" in run("dashboard", "--update", str(text), code=1).stderr
    assert not (tmp_path / "budget_2025-12.xlsx").exists()


def test_never_over_last(last_month, tmp_path):
    copy = tmp_path / "board_2025-11.xlsx"
    shutil.copy(last_month, copy)
    before = copy.read_bytes()
    result = run("dashboard", "--update", str(copy), "--as-of", "2025-11", code=1)
    assert "would replace" in result.stderr
    result = run("dashboard", "--update", str(copy), "--out", str(copy), "--force", code=1)
    assert "would replace" in result.stderr
    assert copy.read_bytes() == before


@pytest.mark.parametrize(
    ("last", "as_of", "expected"),
    [
        ("kpi_2025-11.xlsx", "2025-11", "kpi_2025-12.xlsx"),
        ("board.xlsx", "2025-11", "board_2025-12.xlsx"),
        ("2025-11 board pack.xlsx", None, "2025-12 board pack.xlsx"),
    ],
)
def test_default_output_name(last, as_of, expected):
    from kpi_addin.dashboard.update import default_output

    assert default_output(Path("/x") / last, as_of, month("2025-12")) == Path("/x") / expected


def test_commentary_on_a_kpi_the_new_template_leaves_out_is_carried_over(last_month, tmp_path):
    edited = tmp_path / "board_2025-11.xlsx"
    wb = load_workbook(last_month)
    cell_of(wb, "Comment_ARPU").value = "ARPU up on the Scale plan"
    cell_of(wb, "Comment_MRR").value = "MRR on plan"
    wb.save(edited)
    result = run("dashboard", "--update", str(edited), "--as-of", "2025-12", "--template", "executive")
    assert "Comment_ARPU (comment, arpu): the Summary no longer lists this KPI" in result.stderr
    new = load_workbook(tmp_path / "board_2025-12.xlsx")
    assert cell_of(new, "Comment_MRR").value == "[2025-11] MRR on plan"
    kept = [[c.value for c in row] for row in new["Carried over"].iter_rows(min_row=5)]
    assert kept == [
        [
            "Comment_ARPU",
            "comment",
            "arpu",
            "[2025-11] ARPU up on the Scale plan",
            "the Summary no longer lists this KPI",
        ]
    ]


def test_korean_dashboard_directions_and_goals_carry_over(tmp_path):
    ko = load_language("ko")
    last = tmp_path / "ko_2025-11.xlsx"
    run("dashboard", "--as-of", "2025-11", "--lang", "ko", "--out", str(last))
    wb = load_workbook(last)
    cell_of(wb, "Goal_NRR_12M_Direction").value = ko.ui["lower"]
    goals = wb[ko.sheets["goals"]]
    free = goals.max_row + 1
    goals[f"A{free}"] = ko.label("arpu")  # added by its Korean label
    goals[f"C{free}"] = 200
    wb.save(last)
    run("dashboard", "--update", str(last), "--as-of", "2025-12", "--lang", "ko")
    new = load_workbook(tmp_path / "ko_2025-12.xlsx")
    assert cell_of(new, "Goal_NRR_12M_Direction").value == ko.ui["lower"]
    assert cell_of(new, "Goal_ARPU_Target").value == 200
    assert cell_of(new, "Goal_ARPU_Direction").value == ko.ui["higher"]  # the KPI's own direction


@pytest.mark.parametrize(
    ("column", "typed", "placed", "reason"),
    [
        ("C", "lots", False, "the target 'lots' is not a number"),
        ("C", "=100000*1.2", False, "the target is a formula (=100000*1.2); type it as a number"),
        ("C", None, False, "no target"),
        ("D", "sideways", True, "direction 'sideways' is not higher or lower; the KPI's own is used"),
        ("E", "soon", True, "the due date 'soon' is not a month; the goal has none"),
    ],
)
def test_what_a_goal_row_cannot_carry_is_listed(last_month, tmp_path, column, typed, placed, reason):
    wb = load_workbook(last_month)
    goals = wb[EN.sheets["goals"]]
    row = goal_rows(goals)["mrr"]
    goals[f"{column}{row}"] = typed
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    carried = read_last(edited, [EN])
    assert [item.reason for item in carried.leftovers] == [reason]
    assert carried.leftovers[0].where == f"{EN.sheets['goals']}!{column}{row}"
    assert ("mrr" in [g.kpi for g in carried.goals]) is placed


def test_a_second_goal_on_the_same_kpi_is_listed(last_month, tmp_path):
    wb = load_workbook(last_month)
    goals = wb[EN.sheets["goals"]]
    free = goals.max_row + 1
    goals[f"A{free}"], goals[f"C{free}"] = "mrr", 1  # by its key, a second time
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    carried = read_last(edited, [EN])
    assert [(item.kpi, item.reason) for item in carried.leftovers] == [("mrr", "a second goal on the same KPI")]
    assert [g.target for g in carried.goals if g.kpi == "mrr"] == [120000]


def test_a_template_default_goal_carries_without_a_due_month(tmp_path):
    import dataclasses

    from kpi_addin.io import read_company_data, sample_path

    from .dashboard_helpers import build

    company = dataclasses.replace(read_company_data(sample_path())[0], targets=None)  # goals from the template
    path = tmp_path / "defaults.xlsx"
    build(company, path)
    wb = load_workbook(path)
    assert cell_of(wb, "Goal_NRR_12M_Due").value == EN.ui["template_default"]  # says so where the due month goes
    carried = read_last(path, [EN])
    assert carried.leftovers == [] and {g.kpi for g in carried.goals} == set(load_template("full").targets)
    assert all(g.due is None for g in carried.goals)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("nan", "the target 'nan' is not a finite number a KPI can reach"),
        ("1e999", "the target '1e999' is not a finite number a KPI can reach"),
        ("inf", "the target 'inf' is not a finite number a KPI can reach"),
        (1e300, "the target '1e+300' is not a finite number a KPI can reach"),
    ],
)
def test_a_target_that_is_no_finite_number_is_kept_with_a_warning(last_month, tmp_path, typed, reason):
    # before: 'nan' was dropped silently and 1e999 ended in a traceback
    wb = load_workbook(last_month)
    goals = wb[EN.sheets["goals"]]
    row = goal_rows(goals)["mrr"]
    goals[f"C{row}"] = typed
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    carried = read_last(edited, [EN])
    assert [item.reason for item in carried.leftovers] == [reason]
    assert carried.leftovers[0].where == f"{EN.sheets['goals']}!C{row}"
    assert "mrr" not in [g.kpi for g in carried.goals]
    result = run("dashboard", "--update", str(edited), "--as-of", "2025-12", "--out", str(tmp_path / "new.xlsx"))
    assert reason in result.stderr and "Traceback" not in result.output


def test_goals_are_found_by_the_tables_header_when_their_name_is_gone(last_month, tmp_path):
    wb = load_workbook(last_month)
    goals = wb[EN.sheets["goals"]]
    row = goal_rows(goals)["mrr"]
    goals[f"C{row}"] = 150000
    for name in list(wb.defined_names):
        del wb.defined_names[name]  # every defined name deleted (the marker lives on as a property)
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    carried = read_last(edited, [EN])
    assert carried.goals_found and [g.target for g in carried.goals if g.kpi == "mrr"] == [150000]
    assert len(carried.goals) == len(read_last(last_month, [EN]).goals)


def test_a_deleted_goals_sheet_keeps_the_input_targets_and_template_defaults(last_month, tmp_path):
    # before: no goals at all in the new board, silently
    wb = load_workbook(last_month)
    del wb[EN.sheets["goals"]]
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    carried = read_last(edited, [EN])
    assert not carried.goals_found and carried.goals == []
    new = tmp_path / "new.xlsx"
    result = run("dashboard", "--update", str(edited), "--as-of", "2025-12", "--out", str(new))
    assert "no Goals table was found" in result.stderr
    fresh = tmp_path / "fresh.xlsx"
    run("dashboard", "--as-of", "2025-12", "--out", str(fresh))
    assert goal_rows(load_workbook(new)[EN.sheets["goals"]]) == goal_rows(load_workbook(fresh)[EN.sheets["goals"]])
    assert goal_rows(load_workbook(new)[EN.sheets["goals"]])  # the input's targets and the defaults


def test_a_stray_cell_far_down_the_goals_sheet_costs_nothing(last_month, tmp_path):
    import time

    wb = load_workbook(last_month)
    goals = wb[EN.sheets["goals"]]
    goals["D1048000"] = "x"
    edited = tmp_path / "edited.xlsx"
    wb.save(edited)
    started = time.perf_counter()
    carried = read_last(edited, [EN])
    assert time.perf_counter() - started < 10  # it took 35 s (and 1.3 GB) visiting every row
    assert [item.where for item in carried.leftovers] == [f"{EN.sheets['goals']}!A1048000"]


def _plan_table(path: Path) -> dict[tuple[str, str], object]:
    """(month, key) → value of the Plan table in the workbook at ``path``."""
    from openpyxl.utils import range_boundaries

    wb = load_workbook(path)
    ws = next(ws for ws in wb.worksheets if "Plan" in ws.tables)
    low_col, low_row, high_col, high_row = range_boundaries(ws.tables["Plan"].ref)
    rows = list(ws.iter_rows(min_row=low_row, max_row=high_row, min_col=low_col, max_col=high_col, values_only=True))
    out = {}
    for row in rows[1:]:
        for key, value in zip(rows[0][1:], row[1:], strict=True):
            out[(row[0].strftime("%Y-%m"), key)] = value
    return out


def test_update_carries_a_plan_typed_into_last_months_file(last_month, tmp_path):
    from openpyxl.utils import range_boundaries

    edited = tmp_path / "board_2025-11.xlsx"
    wb = load_workbook(last_month)
    ws = next(ws for ws in wb.worksheets if "Plan" in ws.tables)
    low_col, low_row, _high_col, _high_row = range_boundaries(ws.tables["Plan"].ref)
    header = [c.value for c in ws[low_row]][low_col - 1 :]
    mrr_col = low_col + header.index("mrr")
    december = low_row + 12  # the budget's months: 2025-01 .. 2025-12
    assert ws.cell(row=december, column=low_col).value.strftime("%Y-%m") == "2025-12"
    assert ws.cell(row=december, column=mrr_col).value == 58610  # the sample's budget
    ws.cell(row=december, column=mrr_col).value = 66000  # a reforecast typed in by a person
    wb.save(edited)
    result = run("dashboard", "--update", str(edited), "--as-of", "2025-12")
    assert "72 plan values" in result.stderr + result.output  # 12 months x 6 keys
    plan = _plan_table(tmp_path / "board_2025-12.xlsx")
    assert plan[("2025-12", "mrr")] == 66000
    assert plan[("2025-11", "mrr")] == 56140  # untouched values kept
    assert plan[("2025-12", "sales")] == 28600
