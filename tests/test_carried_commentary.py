"""Commentary carried into a later month is marked with the month it was written for until
a person rewrites it (the board pack never prints last month's words as this month's)."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner
from openpyxl import load_workbook

from kpi_addin.cli import cli
from kpi_addin.dashboard.typed import Carried, mark_carried_comments


def carried(comments: dict[str, str], as_of: str | None = "2025-11") -> Carried:
    return Carried(source="last.xlsx", as_of=as_of, goals=[], comments=dict(comments))


def test_a_comment_carried_to_a_later_month_starts_with_its_month():
    last = carried({"mrr": "Up on the price change", "nrr": "[2025-10] Flat since October"})
    mark_carried_comments(last, pd.Period("2025-12", "M"))
    # marked once, with the month it was written for; an older mark keeps its first month
    assert last.comments == {"mrr": "[2025-11] Up on the price change", "nrr": "[2025-10] Flat since October"}


def test_rebuilding_the_same_month_or_an_unknown_month_marks_nothing():
    same = carried({"mrr": "Up"}, as_of="2025-12")
    mark_carried_comments(same, pd.Period("2025-12", "M"))
    unknown = carried({"mrr": "Up"}, as_of=None)
    mark_carried_comments(unknown, pd.Period("2025-12", "M"))
    assert same.comments == unknown.comments == {"mrr": "Up"}


def test_the_refreshed_summary_and_pack_show_the_mark(tmp_path):
    last = tmp_path / "kpi_2025-11.xlsx"
    result = CliRunner().invoke(cli, ["dashboard", "--as-of", "2025-11", "--out", str(last)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(last)
    sheet, ref = next(iter(wb.defined_names["Comment_MRR"].destinations))
    wb[sheet][ref.replace("$", "")] = "Up on the price change"
    wb.save(last)
    new = tmp_path / "kpi_2025-12.xlsx"
    result = CliRunner().invoke(cli, ["dashboard", "--as-of", "2025-12", "--update", str(last), "--out", str(new)])
    assert result.exit_code == 0, result.output
    values = load_workbook(new, data_only=True)
    sheet, ref = next(iter(values.defined_names["Comment_MRR"].destinations))
    assert values[sheet][ref.replace("$", "")].value == "[2025-11] Up on the price change"
    scorecard = [c.value for row in values["Pack scorecard"].iter_rows() for c in row]
    assert "[2025-11] Up on the price change" in scorecard
