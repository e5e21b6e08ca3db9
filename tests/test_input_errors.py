"""Bad input: every problem is reported with its file, sheet, cell and column, the
command exits 1, and no traceback is shown."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from kpi_addin.cli import cli
from kpi_addin.io import InputError, read_company_data

HEADER = ["customer_id", "customer_name", "amount", "interval", "currency", "start_date", "end_date"]
GOOD = ["c1", "Acme", 100, "month", "USD", "2025-01-01", None]


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def problems_of(path: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        read_company_data(path)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        (["c2", "B", "abc", "month", "USD", "2025-01-01", None], "subscriptions!C3 (amount): 'abc' is not a number"),
        (["c2", "B", -5, "month", "USD", "2025-01-01", None], "subscriptions!C3 (amount): -5 is negative"),
        (
            ["c2", "B", 5, "fortnight", "USD", "2025-01-01", None],
            "subscriptions!D3 (interval): unknown interval 'fortnight' (use month, quarter, year or week)",
        ),
        (
            ["c2", "B", 5, "month", "USD", "2025-03-01", "2025-02-01"],
            "subscriptions!G3 (end_date): end_date 2025-02-01 is before start_date 2025-03-01",
        ),
        (
            ["c2", "B", 5, "month", "USD", "January 31", None],
            "subscriptions!F3 (start_date): 'January 31' is not a date",
        ),
        (
            ["c2", "B", 5, "month", "EUR", "2025-01-01", None],
            "subscriptions!E3 (currency): currency EUR is used by 1 row(s) but there is no fx_rates sheet",
        ),
        ([None, "B", 5, "month", "USD", "2025-01-01", None], "subscriptions!A3 (customer_id): is blank"),
    ],
)
def test_each_bad_cell_is_named(tmp_path, bad_row, expected):
    path = workbook(tmp_path / "in.xlsx", {"subscriptions": [HEADER, GOOD, bad_row]})
    messages = problems_of(path)
    assert any(expected in m for m in messages), messages
    assert all(m.startswith(str(path)) for m in messages)


def test_every_problem_is_collected_not_just_the_first(tmp_path):
    rows = [HEADER, GOOD] + [[f"c{i}", "x", "oops", "month", "USD", "2025-01-01", None] for i in range(30)]
    rows.append(["z", "x", 5, "daily", "USD", "2025-01-01", None])
    messages = problems_of(workbook(tmp_path / "in.xlsx", {"subscriptions": rows}))
    assert sum("is not a number" in m for m in messages) == 10  # listed ...
    assert any("... and 20 more rows with the same problem" in m for m in messages)  # ... then summarised
    assert any("'daily'" in m for m in messages)


def test_required_column_missing(tmp_path):
    path = workbook(tmp_path / "in.xlsx", {"subscriptions": [["customer_id", "start_date"], ["c1", "2025-01-01"]]})
    assert problems_of(path) == [
        f"{path} subscriptions: required column(s) amount missing (found: customer_id, start_date)"
    ]


def test_column_names_are_case_insensitive_and_extra_columns_ignored(tmp_path):
    header = ["Customer_ID", "AMOUNT", "Interval", "Start_Date", "notes"]
    path = workbook(tmp_path / "in.xlsx", {"Subscriptions": [header, ["c1", 100, "Monthly", "2025-01-01", "vip"]]})
    data, _ = read_company_data(path)
    assert data.subscriptions["interval"].tolist() == ["month"]
    assert "notes" in data.subscriptions


def test_dates_as_iso_excel_serial_and_year_month(tmp_path):
    rows = [
        ["customer_id", "amount", "start_date"],
        ["iso", 1, "2025-03-31"],
        ["serial", 1, 45747],  # Excel serial for 2025-03-31
        ["month", 1, "2025-03"],
    ]
    data, _ = read_company_data(workbook(tmp_path / "in.xlsx", {"subscriptions": rows}))
    assert data.subscriptions["start_date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-03-31",
        "2025-03-31",
        "2025-03-01",
    ]


def test_empty_subscriptions_sheet(tmp_path):
    path = workbook(tmp_path / "in.xlsx", {"subscriptions": [HEADER]})
    assert problems_of(path) == [f"{path} subscriptions: the sheet has a header row but no data rows"]
    path = workbook(tmp_path / "in2.xlsx", {"subscriptions": []})
    assert problems_of(path) == [f"{path} subscriptions: the sheet is empty: it has no header row"]


def test_empty_optional_sheet_is_absent_with_a_warning(tmp_path):
    path = workbook(tmp_path / "in.xlsx", {"subscriptions": [HEADER, GOOD], "costs": [["month", "sales"]]})
    data, warnings = read_company_data(path)
    assert data.costs is None
    assert warnings == [f"{path} costs: the sheet has no data rows; treated as absent"]


def test_not_a_workbook(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("this is not a spreadsheet")
    assert problems_of(path) == [f"{path}: not an Excel workbook (.xlsx): the file is not a zip archive"]


def test_workbook_declaring_a_huge_sheet_is_refused_before_loading(tmp_path):
    import re
    import zipfile

    path = workbook(tmp_path / "in.xlsx", {"subscriptions": [HEADER, GOOD]})
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bomb, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:XFD1048576"', data)
            dst.writestr(item, data)
    assert "refusing to read a sheet that large" in problems_of(bomb)[0]


def test_missing_fx_rate_for_a_month_is_reported_by_the_cli(tmp_path):
    path = workbook(
        tmp_path / "in.xlsx",
        {
            "subscriptions": [HEADER, ["c1", "A", 100, "month", "EUR", "2025-01-01", None]],
            "fx_rates": [["currency", "rate", "month"], ["EUR", 1.1, "2025-01"]],
            # the ledger was exported in February, with no change since January
            "settings": [["key", "value"], ["as_of", "2025-02"], ["data_through", "2025-02"]],
        },
    )
    result = run("metrics", "--data", str(path))
    assert result.exit_code == 1
    assert "no exchange rate for EUR in 2025-02" in result.output


def test_csv_folder_problems_name_the_file_and_line(tmp_path):
    (tmp_path / "subscriptions.csv").write_text(
        "customer_id,amount,interval,start_date\nc1,100,month,2025-01-01\nc2,abc,month,2025-01-01\n"
    )
    messages = problems_of(tmp_path)
    assert messages == [f"{tmp_path} subscriptions.csv!B3 (amount): 'abc' is not a number"]


def test_targets_with_an_unknown_kpi(tmp_path):
    path = workbook(
        tmp_path / "in.xlsx",
        {"subscriptions": [HEADER, GOOD], "targets": [["kpi", "target"], ["mrr", 10], ["happiness", 5]]},
    )
    assert any("targets!A3 (kpi): unknown KPI 'happiness'" in m for m in problems_of(path))


def test_cli_exit_code_and_no_traceback_in_a_real_process(tmp_path):
    path = workbook(
        tmp_path / "in.xlsx", {"subscriptions": [HEADER, GOOD, ["c2", "B", "abc", "month", "USD", "2025-01-01", None]]}
    )
    done = subprocess.run(
        [sys.executable, "-m", "kpi_addin.cli", "metrics", "--data", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "subscriptions!C3 (amount): 'abc' is not a number" in done.stderr
    assert "1 problem(s) in" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["metrics", "--data", "/no/such/file.xlsx"], "/no/such/file.xlsx: no such file or folder"),
        (["metrics", "--as-of", "March"], "'March' is not a month (YYYY-MM)"),
    ],
)
def test_cli_argument_errors(args, message):
    result = run(*args)
    assert result.exit_code in (1, 2)
    assert message in result.output
    assert "Traceback" not in result.output


SUBS_CSV = "customer_id,amount,interval,currency,start_date\nc1,100,month,USD,2025-01-01\n"


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"subscriptions.csv": "customer_id,amount,Amount,start_date\nc1,1,2,2025-01-01\n"},
            "subscriptions.csv!C1: column 'amount' appears twice (also in B1)",
        ),
        (
            {"funnel.csv": "month,visitors\n2025-01,10\n2025-01,12\n"},
            "funnel.csv!A3 (month): '2025-01' appears more than once",
        ),
        ({"funnel.csv": "month,visitors\n2025-01,-4\n"}, "funnel.csv!B2 (visitors): -4 is negative"),
        ({"funnel.csv": "month,visitors\n2025-01,10.5\n"}, "funnel.csv!B2 (visitors): 10.5 is not a whole number"),
        ({"nps.csv": "date,score\n2025-01-05,11\n"}, "nps.csv!B2 (score): 11 is not a score from 0 to 10"),
        ({"fx_rates.csv": "currency,rate\nEUR,0\n"}, "fx_rates.csv!B2 (rate): 0 is not a positive rate"),
        (
            {"fx_rates.csv": "currency,rate\nEURO,1.1\n"},
            "fx_rates.csv!A2 (currency): 'EURO' is not a three-letter currency code",
        ),
        ({"settings.csv": "key,value\ncolour,blue\n"}, "settings.csv!A2 (key): unknown setting 'colour'"),
        (
            {"settings.csv": "key,value\nreporting_currency,dollars\n"},
            "reporting_currency 'DOLLARS' is not a three-letter currency code",
        ),
        ({"settings.csv": "key,value\nas_of,soon\n"}, "settings as_of: 'soon' is not a month (YYYY-MM)"),
        ({"costs.csv": "month,sales\nMarch,10\n"}, "costs.csv!A2 (month): 'March' is not a month (YYYY-MM)"),
    ],
)
def test_every_sheet_is_checked_cell_by_cell(tmp_path, files, expected):
    (tmp_path / "subscriptions.csv").write_text(SUBS_CSV)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    messages = problems_of(tmp_path)
    assert any(expected in m for m in messages), messages


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Each bad-input case of the issue: the input and the message it must give."""

    def book(name: str, sheets: dict[str, list[list[object]]]) -> Path:
        return workbook(tmp_path / f"{name}.xlsx", sheets)

    not_a_workbook = tmp_path / "notes.xlsx"
    not_a_workbook.write_text("plain text")
    return {
        "unknown interval": (
            book("interval", {"subscriptions": [HEADER, ["c", "x", 5, "fortnight", "USD", "2025-01-01", None]]}),
            "subscriptions!D2 (interval): unknown interval 'fortnight'",
        ),
        "end before start": (
            book("dates", {"subscriptions": [HEADER, ["c", "x", 5, "month", "USD", "2025-03-01", "2025-02-01"]]}),
            "subscriptions!G2 (end_date): end_date 2025-02-01 is before start_date 2025-03-01",
        ),
        "negative amount": (
            book("negative", {"subscriptions": [HEADER, ["c", "x", -5, "month", "USD", "2025-01-01", None]]}),
            "subscriptions!C2 (amount): -5 is negative",
        ),
        "missing FX rate": (
            book(
                "fx",
                {
                    "subscriptions": [HEADER, ["c", "x", 5, "month", "EUR", "2025-01-01", None]],
                    "fx_rates": [["currency", "rate"], ["GBP", 1.2]],
                },
            ),
            "currency EUR is used by 1 row(s) but the fx_rates sheet has no rate for it",
        ),
        "required column missing": (
            book("column", {"subscriptions": [["customer_id", "amount"], ["c", 5]]}),
            "subscriptions: required column(s) start_date missing",
        ),
        "empty sheet": (
            book("empty", {"subscriptions": [HEADER]}),
            "subscriptions: the sheet has a header row but no data rows",
        ),
        "not a workbook": (not_a_workbook, "not an Excel workbook (.xlsx): the file is not a zip archive"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "unknown interval",
        "end before start",
        "negative amount",
        "missing FX rate",
        "required column missing",
        "empty sheet",
        "not a workbook",
    ],
)
@pytest.mark.parametrize("command", ["metrics", "dashboard"])
def test_each_bad_input_exits_1_with_its_message_and_no_traceback(tmp_path, case, command):
    path, message = _bad_inputs(tmp_path)[case]
    args = [command, "--data", str(path)] + (["--out", str(tmp_path / "d.xlsx")] if command == "dashboard" else [])
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and f"error: {path}" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    assert not (tmp_path / "d.xlsx").exists()  # nothing half-written


@pytest.mark.parametrize("form", ["csv", "parquet", "xlsx"])
def test_a_blank_required_date_is_blank_whatever_the_reader_typed_it(tmp_path, form):
    # pyarrow reads a CSV or Parquet date column as dates: its blank cell is NaT, which a message
    # quoted as the text 'NaT' ("'NaT' means blank"); openpyxl's empty cell is None.
    rows = [HEADER, GOOD, ["c2", "Beta", 50, "month", "USD", None, "2025-03-01"]]
    folder = tmp_path / "data"
    folder.mkdir()
    if form == "xlsx":
        source = workbook(tmp_path / "data.xlsx", {"subscriptions": rows})
    else:
        text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in rows) + "\n"
        (folder / "subscriptions.csv").write_text(text)
        if form == "parquet":
            import pyarrow.csv as pa_csv
            import pyarrow.parquet as pq

            table = pa_csv.read_csv(folder / "subscriptions.csv")
            assert str(table.schema.field("start_date").type).startswith(("date", "timestamp"))
            (folder / "subscriptions.csv").unlink()
            pq.write_table(table, folder / "subscriptions.parquet")
        source = folder
    from kpi_addin.io.inputs import load_company

    with pytest.raises(InputError) as info:
        load_company(source)
    (problem,) = [str(p) for p in info.value.problems]
    assert "start_date" in problem and problem.endswith(": is blank; a value is required"), problem
    assert "NaT" not in problem
