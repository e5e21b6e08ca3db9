"""Every input, however broken or odd: a located error or the right number (issue 8).

One table of cases per family.  Each case asserts the exit status, that no traceback
appears (``run`` fails on one), the words of the message (file, sheet, cell, column) and,
for the "right number" cases, the number itself — worked out by hand beside the case.
"""

from __future__ import annotations

import pytest
from openpyxl import Workbook

from .input_helpers import (
    CELL,
    assert_located,
    csv_file,
    drop_column,
    metrics,
    run,
    sample_copy,
)

#: c1 pays 100 a month from January, c2 50 from February: MRR 150 in February 2024.
TWO = "customer_id,amount,start_date\nc1,100,2024-01-01\nc2,50,2024-02-01\n"
SAMPLE_MRR = 69306.84162666666  # the bundled sample's December 2025 MRR (tests/test_monthly_report.py pins it)


def two_with(column: str, value: str, row: int = 2, base: str = TWO) -> str:
    """``TWO`` with one more column whose cell in ``row`` (1 = first data row) is ``value``."""
    lines = base.strip().splitlines()
    lines[0] += f",{column}"
    for i in range(1, len(lines)):
        lines[i] += "," + (value if i == row else "")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- 1. optional columns and sheets


def test_subscriptions_with_only_the_required_columns(tmp_path):
    result = metrics("--data", csv_file(tmp_path, TWO))
    assert result.code == 0
    assert result.latest("mrr") == 150.0
    assert any("no interval column; every subscription is read as monthly" in w for w in result.warnings)


def test_fx_rates_without_a_month_column_apply_to_every_month(tmp_path):
    data = sample_copy(
        tmp_path,
        {
            "subscriptions.csv": (
                "customer_id,amount,currency,start_date\nc1,100,USD,2024-01-01\nc2,100,EUR,2024-01-01\n"
            ),
            "fx_rates.csv": "currency,rate\nEUR,1.1\n",
        },
    )
    result = metrics("--data", data, "--as-of", "2024-03")
    assert result.latest("mrr") == pytest.approx(100 + 100 * 1.1)


def test_balance_sheet_with_some_inputs_missing(tmp_path):
    data = sample_copy(tmp_path, {"balance_sheet.csv": "period,current_assets,current_liabilities\n2025-06,100,50\n"})
    result = metrics("--data", data)
    sheet = result.json()["balance_sheet"]
    assert sheet["current_ratio"] == 2.0  # 100 / 50
    assert sheet["quick_ratio"] is None and sheet["interest_coverage"] is None
    assert any("column inventories absent; quick_ratio left out" in w for w in result.warnings), result.warnings
    assert any("column ebit absent; interest_coverage left out" in w for w in result.warnings)


OPTIONAL = {
    "funnel": ("visitors", "funnel"),
    "costs": ("cac", "costs"),
    "nps": ("nps", "nps"),
    "targets": ("mrr", None),
    "settings": ("mrr", None),
    "balance_sheet": (None, "balance_sheet"),
}


@pytest.mark.parametrize("sheet", sorted(OPTIONAL))
@pytest.mark.parametrize("how", ["absent", "empty file", "header only", "header and blank lines"])
def test_an_optional_sheet_absent_empty_or_header_only_is_treated_alike(tmp_path, sheet, how):
    def edit(text: str) -> str | None:
        header = text.splitlines()[0]
        return {"empty file": "", "header only": header + "\n", "header and blank lines": header + "\n,,\n\n,,\n"}[how]

    data = sample_copy(tmp_path, {f"{sheet}.csv": None if how == "absent" else edit})
    result = metrics("--data", data, "--as-of", "2025-12")
    assert result.code == 0, result.err
    assert result.latest("mrr") == pytest.approx(SAMPLE_MRR)
    key, warned = OPTIONAL[sheet]
    if key and key != "mrr":
        assert result.latest(key) is None
    if warned:
        assert any(w.startswith(warned) or f"{sheet}.csv" in w for w in result.warnings), result.warnings


def test_absent_fx_rates_file_empty_or_header_only_is_the_same_error(tmp_path):
    for i, edit in enumerate([None, "", "currency,rate,month\n"]):
        data = sample_copy(tmp_path, {"fx_rates.csv": edit}, name=f"d{i}")
        assert_located(metrics("--data", data), "subscriptions.csv!G2 (currency)", "currency EUR", "no fx_rates sheet")


@pytest.mark.parametrize(("column", "key"), [("customer_success", "cts"), ("sales", "cac")])
def test_an_absent_cost_column_warns_naming_the_kpi_never_a_smaller_figure(tmp_path, column, key):
    data = sample_copy(tmp_path, {"costs.csv": lambda t: drop_column(t, column)})
    result = metrics("--data", data)
    said = [w for w in result.warnings if w.startswith(f"costs: column {column} absent;")]
    assert said and f" {key}" in said[0], result.warnings  # the KPI list comes from the registry
    assert result.latest(key) is None


# --------------------------------------------------------------------------- 2. blanks and null markers

NULL_LIKE = ["", " ", "NA", "N/A", "#N/A", "null", "nan", "NaN", "-"]


@pytest.mark.parametrize("token", NULL_LIKE)
def test_a_null_like_required_cell_is_a_located_error(tmp_path, token):
    text = TWO.replace("c2,50,", f"c2,{token},")
    assert_located(metrics("--data", csv_file(tmp_path, text)), "subs.csv!B3 (amount)", "a value is required")


@pytest.mark.parametrize("token", NULL_LIKE)
def test_a_null_like_id_is_a_located_error(tmp_path, token):
    text = TWO.replace("c1,100", f"{token},100")
    assert_located(metrics("--data", csv_file(tmp_path, text)), "subs.csv!A2 (customer_id)", "a value is required")


@pytest.mark.parametrize("token", NULL_LIKE)
@pytest.mark.parametrize(
    ("column", "said"),
    [("interval", "read as 'month'"), ("quantity", "read as 1.0"), ("currency", "read as USD"), ("end_date", None)],
)
def test_a_null_like_optional_cell_is_blank_and_its_default_is_said(tmp_path, token, column, said):
    result = metrics("--data", csv_file(tmp_path, two_with(column, token, row=1)))
    assert result.code == 0, result.err
    assert result.latest("mrr") == 150.0  # c1's 100 a month is read with the defaults, c2's 50 as written
    if said and token.strip():
        assert any(f"({column})" in w and said in w and "first at " in w for w in result.warnings), result.warnings
    if token.strip() and column == "end_date":
        assert any("(end_date)" in w and "read as blank" in w for w in result.warnings), result.warnings


def test_trailing_empty_lines_are_ignored(tmp_path):
    result = metrics("--data", csv_file(tmp_path, TWO + ",,\n,,\n\n"))
    assert result.latest("mrr") == 150.0


def workbook(path, rows, sheet="subscriptions"):
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_excel_error_cells_and_formulas_without_values_are_located_errors(tmp_path):
    import zipfile

    path = workbook(tmp_path / "in.xlsx", [["customer_id", "amount", "start_date"], ["c1", 100, "2024-01-01"]])
    patched = tmp_path / "errors.xlsx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(patched, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                cells = (
                    b'<row r="3"><c r="A3" t="inlineStr"><is><t>c2</t></is></c>'
                    b'<c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
                    b'<c r="C3" t="inlineStr"><is><t>2024-01-01</t></is></c></row>'
                    b'<row r="4"><c r="A4" t="inlineStr"><is><t>c3</t></is></c><c r="B4"><f>B2*2</f></c>'
                    b'<c r="C4" t="inlineStr"><is><t>2024-01-01</t></is></c></row>'
                )
                data = data.replace(b"</sheetData>", cells + b"</sheetData>")
            dst.writestr(item, data)
    result = metrics("--data", patched)
    assert_located(
        result,
        "subscriptions!B3 (amount): holds the Excel error #DIV/0!",
        "subscriptions!B4 (amount): holds a formula saved without its value",
    )


def test_blank_settings_fall_back_to_their_defaults_with_a_note(tmp_path):
    data = sample_copy(tmp_path, {"settings.csv": "key,value\nreporting_currency,\ncompany,nan\nas_of,2025-12\n"})
    result = metrics("--data", data)
    assert result.json()["reporting_currency"] == "USD"
    assert any("reporting_currency is blank at B2; using the default USD" in w for w in result.warnings)
    assert any("company is blank at B3" in w for w in result.warnings)
    assert result.latest("mrr") == pytest.approx(SAMPLE_MRR)


# --------------------------------------------------------------------------- 3. numbers


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("inf", "'inf' is not a number"),
        ("-inf", "'-inf' is not a number"),
        ("1e308", "is too large"),
        ("1e400", "is not a number"),
        ("0x10", "'0x10' is not a number"),
        ("$49", "'$49' is not a number"),
        ("1 049", "a dot for decimals"),
        ("1,049", "'1,049' is ambiguous"),
    ],
)
def test_numbers_that_are_not_finite_or_not_plain_are_located_errors(tmp_path, cell, words):
    text = TWO.replace("c2,50,", f'c2,"{cell}",')
    assert_located(metrics("--data", csv_file(tmp_path, text)), "subs.csv!B3 (amount)", words)


@pytest.mark.parametrize(
    ("amounts", "mrr", "note"),
    [
        (("49,00", "1.049,50"), 49 + 1049.5, "read with decimal commas ('49,00' = 49.00)"),
        (("49,5", "100"), 49.5 + 100, "read with decimal commas"),
        (("1,049.00", "2,000.50"), 1049 + 2000.5, "read with thousands separators ('1,049.00' = 1049.00)"),
        (("1,000,000", "1,049"), 1_000_000 + 1049, "read with thousands separators"),
    ],
)
def test_a_files_number_convention_is_read_when_unambiguous_and_said(tmp_path, amounts, mrr, note):
    text = f'customer_id,amount,start_date\nc1,"{amounts[0]}",2024-01-01\nc2,"{amounts[1]}",2024-01-01\n'
    result = metrics("--data", csv_file(tmp_path, text))
    assert result.latest("mrr") == pytest.approx(mrr)
    assert any("(amount)" in w and note in w for w in result.warnings), result.warnings


def test_a_column_mixing_conventions_is_an_error_saying_how_to_write_it(tmp_path):
    text = 'customer_id,amount,start_date\nc1,"49,00",2024-01-01\nc2,"1,049.00",2024-01-01\nc3,"12.50",2024-01-01\n'
    assert_located(
        metrics("--data", csv_file(tmp_path, text)),
        "subs.csv!B3 (amount): '1,049.00' uses a thousands comma",
        "subs.csv!B4 (amount): '12.50' uses a decimal point",
        "a dot for decimals, no thousands separators",
    )


def test_a_european_semicolon_file_with_decimal_commas(tmp_path):
    text = "customer_id;amount;start_date\nc1;49,00;2024-01-01\nc2;1.049,50;2024-01-01\n"
    result = metrics("--data", csv_file(tmp_path, text))
    assert result.latest("mrr") == pytest.approx(1098.5)


@pytest.mark.parametrize(
    ("file", "edit", "where"),
    [
        ("fx_rates.csv", lambda t: t + "GBP,inf,2024-01\n", "fx_rates.csv!B"),
        ("costs.csv", lambda t: t.replace("16916.59", "1e308"), "costs.csv!B2 (sales)"),
        ("balance_sheet.csv", lambda t: t.replace("1400000.0", "inf"), "balance_sheet.csv!B2 (current_assets)"),
        ("targets.csv", lambda t: t.replace("120000", "nan"), "targets.csv!B2 (target)"),
        ("funnel.csv", lambda t: t.replace("36719", "-inf"), "funnel.csv!B2 (visitors)"),
    ],
)
def test_non_finite_numbers_in_any_sheet_are_located_errors(tmp_path, file, edit, where):
    assert_located(metrics("--data", sample_copy(tmp_path, {file: edit})), where)


# --------------------------------------------------------------------------- 4. dates


@pytest.mark.parametrize("marker", ["9999-12-31", "2099-12-31"])
def test_open_ended_markers_mean_no_end(tmp_path, marker):
    result = metrics("--data", csv_file(tmp_path, two_with("end_date", marker, row=1)))
    assert result.json()["months"][-1]["month"] == "2024-02"  # the marker does not stretch the report
    assert result.latest("mrr") == 150.0
    assert any("(end_date)" in w and "read as no end date" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("column", "cell", "words"),
    [
        ("start_date", "9999-12-31", "means 'never'"),
        ("start_date", "1680-01-01", "outside the dates accepted (1970 to 2099)"),
        ("end_date", "1680-01-01", "outside the dates accepted"),
        ("end_date", "3000-01-01", "outside the dates accepted"),
        ("start_date", "2024", "'2024' is a bare year"),
        ("start_date", "200000", "'200000' read as an Excel date serial is outside 1970–2099"),
        ("start_date", "2024-02-30", "is not a real date"),
        ("start_date", "1/5/2024", "could be day/month/year or month/day/year"),
        ("start_date", "yesterday", "'yesterday' is not a date"),
    ],
)
def test_implausible_dates_are_located_errors(tmp_path, column, cell, words):
    if column == "start_date":
        text = TWO.replace("c2,50,2024-02-01", f"c2,50,{cell}")
        where = "subs.csv!C3 (start_date)"
    else:
        text = two_with("end_date", cell, row=2)
        where = "subs.csv!D3 (end_date)"
    assert_located(metrics("--data", csv_file(tmp_path, text)), where, words)


def test_a_bad_date_in_another_sheet_never_stretches_the_report(tmp_path):
    data = sample_copy(tmp_path, {"costs.csv": lambda t: t + "2300-01,1,1,1,1,1,1\n"})
    assert_located(metrics("--data", data), "costs.csv!A26 (month): '2300-01' is outside the dates accepted")


def test_the_date_as_written_counts_not_its_utc_conversion(tmp_path):
    # c1 starts on 31 January as written in New York (1 February in UTC) and ends on 29 February
    # as written in California (1 March in UTC): it counts at January's and not at February's end.
    text = (
        "customer_id,amount,start_date,end_date\n"
        "c1,100,2024-01-31T20:00:00-05:00,2024-02-29 23:30:00 -0800\n"
        "c2,50,2024-01-15 09:00:00 PST,\n"
    )
    result = metrics("--data", csv_file(tmp_path, text), "--as-of", "2024-02")  # the data runs through February
    assert result.month("2024-01", "mrr") == 150.0
    assert result.month("2024-02", "mrr") == 50.0


def test_slash_dates_are_read_when_one_cell_settles_the_order(tmp_path):
    text = "customer_id,amount,start_date\nc1,100,1/5/2024 9:12\nc2,50,1/13/2024\n"
    result = metrics("--data", csv_file(tmp_path, text), "--as-of", "2024-01")
    assert result.latest("mrr") == 150.0  # both start in January: month/day/year
    assert any("dates read as month/day/year" in w for w in result.warnings)


# --------------------------------------------------------------------------- 5. identifiers and text


def test_customer_ids_are_text(tmp_path):
    text = "customer_id,amount,start_date\n0012,10,2024-01-01\n012,10,2024-01-01\n12,10,2024-01-01\n"
    assert metrics("--data", csv_file(tmp_path, text)).latest("customers") == 3


def test_a_twenty_digit_id_keeps_every_digit(tmp_path):
    text = (
        "customer_id,amount,start_date,end_date\n"
        "12345678901234567890,10,2024-01-01,\n12345678901234567891,10,2024-01-01,2024-03-01\n"
    )
    result = metrics("--data", csv_file(tmp_path, text), "--as-of", "2024-03")
    assert result.month("2024-01", "customers") == 2
    assert result.month("2024-03", "customers") == 1


def test_an_id_stored_as_a_long_number_in_a_workbook_is_an_error(tmp_path):
    path = workbook(
        tmp_path / "in.xlsx", [["customer_id", "amount", "start_date"], [12345678901234567890, 10, "2024-01-01"]]
    )
    assert_located(metrics("--data", path), "subscriptions!A2 (customer_id)", "lost digits; store ids as text")


@pytest.mark.parametrize(
    ("header", "where"),
    [
        ("customer_id,Amount,amount,start_date", "subs.csv!C1: column 'amount' appears twice (also in B1)"),
        ("customer_id,amount,start_date,Start Date", "subs.csv!D1: column 'start_date' appears twice (also in C1)"),
        ("customer_id,amount, AMOUNT ,start_date", "subs.csv!C1: column 'amount' appears twice"),
    ],
)
def test_duplicate_headers_are_located_errors(tmp_path, header, where):
    text = header + "\nc1,10,20,2024-01-01\n"
    assert_located(metrics("--data", csv_file(tmp_path, text)), where)


def test_duplicate_csv_sheets_are_an_error(tmp_path):
    data = sample_copy(tmp_path, {"SUBSCRIPTIONS.csv": (tmp_path / "x").as_posix() and TWO})
    assert_located(metrics("--data", data), "SUBSCRIPTIONS.csv, subscriptions.csv are the same sheet")


def test_duplicate_workbook_sheets_are_an_error(tmp_path):
    wb = Workbook()
    wb.active.title = "subscriptions"
    wb.create_sheet("Subscriptions ")
    for ws in wb:
        ws.append(["customer_id", "amount", "start_date"])
        ws.append(["c1", 10, "2024-01-01"])
    wb.save(tmp_path / "dup.xlsx")
    assert_located(
        metrics("--data", tmp_path / "dup.xlsx"), "sheets 'subscriptions', 'Subscriptions ' are the same sheet"
    )


@pytest.mark.parametrize(
    ("rates", "where"),
    [
        (
            "currency,rate,month\nEUR,1.1,2024-01\nEUR,1.2,2024-01\n",
            "fx_rates.csv!B3 (rate): a second, different rate for EUR 2024-01",
        ),
        ("currency,rate\nEUR,1.1\nEUR,1.2\n", "fx_rates.csv!B3 (rate): a second, different rate for EUR every month"),
    ],
)
def test_conflicting_fx_rates_are_an_error(tmp_path, rates, where):
    assert_located(metrics("--data", sample_copy(tmp_path, {"fx_rates.csv": rates})), where)


def test_the_same_fx_rate_twice_is_fine(tmp_path):
    data = sample_copy(tmp_path, {"fx_rates.csv": lambda t: t + t.splitlines()[1] + "\n"})
    assert metrics("--data", data).latest("mrr") == pytest.approx(SAMPLE_MRR)


# --------------------------------------------------------------------------- 6. files and encodings


def encoded(text: str, how: str) -> bytes:
    return {
        "utf-8": text.encode(),
        "utf-8 with BOM": b"\xef\xbb\xbf" + text.encode(),
        "utf-16 with BOM": text.encode("utf-16"),
        "cp1252": text.replace("Yonder Health", "Yönder Health €").encode("cp1252"),
        "semicolons": text.replace(",", ";").encode(),
        "tabs": text.replace(",", "\t").encode(),
        "CRLF": text.replace("\n", "\r\n").encode(),
    }[how]


@pytest.mark.parametrize("how", ["utf-8", "utf-8 with BOM", "utf-16 with BOM", "cp1252", "semicolons", "tabs", "CRLF"])
def test_the_sample_saved_every_usual_way_gives_the_same_numbers(tmp_path, how):
    data = sample_copy(tmp_path, {"subscriptions.csv": lambda t: t})
    (data / "subscriptions.csv").write_bytes(encoded((data / "subscriptions.csv").read_text(), how))
    result = metrics("--data", data)
    assert result.latest("mrr") == pytest.approx(SAMPLE_MRR)
    if how == "cp1252":
        assert any("read as Windows-1252 (cp1252)" in w for w in result.warnings)


def test_quoted_newlines_are_read(tmp_path):
    text = 'customer_id,customer_name,amount,start_date\nc1,"Acme\nCorp",100,2024-01-01\nc2,B,50,2024-02-01\n'
    assert metrics("--data", csv_file(tmp_path, text)).latest("mrr") == 150.0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (bytes(range(256)) * 4, "is not text (it holds NUL bytes)"),
        ("customer_id,amount\n".encode("utf-32"), "UTF-32 text, which is not read here"),
        (b"customer_id,amount,start_date\nc1,\x81\x8d,2024-01-01\n", "neither UTF-8 nor Windows-1252"),
    ],
)
def test_files_that_are_not_text_get_one_sentence_on_how_to_resave(tmp_path, content, words):
    assert_located(metrics("--data", csv_file(tmp_path, content)), words, "save it as 'CSV UTF-8")


def test_unusable_paths_are_located_errors(tmp_path):
    assert_located(metrics("--data", tmp_path / ("x" * 300 + ".csv")), "cannot open it")
    (tmp_path / "empty").mkdir()
    assert_located(metrics("--data", tmp_path / "empty"), "holds no CSV files")
    assert_located(metrics("--data", tmp_path / "missing.csv"), "no such file")


def test_out_may_never_name_an_input_even_with_force(tmp_path):
    data = sample_copy(tmp_path)
    subs = data / "subscriptions.csv"
    before = subs.read_bytes()
    assert_located(run("dashboard", "--data", subs, "--out", subs, "--force"), "the output is an input")
    assert_located(
        run("dashboard", "--data", data, "--out", data / "report.xlsx", "--force"), "inside the input folder"
    )
    assert subs.read_bytes() == before
    assert not (data / "report.xlsx").exists()


@pytest.mark.parametrize(
    ("out", "words"),
    [
        ("missing/report.xlsx", "does not exist; create it first"),
        (".", "is a folder"),
        ("y" * 300 + ".xlsx", "cannot write there"),
    ],
)
def test_unusable_outputs_are_located_errors(tmp_path, out, words):
    assert_located(run("dashboard", "--out", tmp_path / out), words)


# --------------------------------------------------------------------------- 9. template and mapping files


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('summary = "mrr"\n', "summary: must be a table"),
        ('targets = "x"\n', "targets: must be a table"),
        ("[targets.mrr]\ntarget = inf\n", "targets.mrr.target: must be a number, got inf"),
        ("[targets.mrr]\ntarget = nan\n", "targets.mrr.target: must be a number, got nan"),
        ("name = 5\n", "name: must be text in quotes"),
        (
            "sheet = []\n",
            "sheet: unknown key (known: |did you mean 'sheets'?",
        ),
        ("[targets.mrr]\ntarget = 1\nunits = 2\n", "targets.mrr: must hold only 'target' and 'direction'"),
    ],
)
def test_a_broken_template_is_a_located_error(tmp_path, text, words):
    template = tmp_path / "mine.toml"
    template.write_text(text)
    assert_located(
        run("dashboard", "--template", template, "--out", tmp_path / "out.xlsx"), *("mine.toml: " + words).split("|")
    )


def test_a_template_with_a_bom_or_a_folder(tmp_path):
    template = tmp_path / "bom.toml"
    template.write_text('\ufeffname = "mine"\n')
    assert run("dashboard", "--template", template, "--out", tmp_path / "out.xlsx").code == 0
    assert_located(
        run("dashboard", "--template", tmp_path, "--out", tmp_path / "x.xlsx"), "is a folder, not a template"
    )


MAP = """[columns]
customer_id = "Account"
amount = "Price (cents)"
interval = "Billing period"
start_date = "Start"

[amounts]
unit = "cents"

[intervals]
"Monthly" = "month"
"Half-yearly" = { interval = "month", count = 6 }

[dates]
format = "%d/%m/%Y"
"""
BILLING = (
    "Account,Price (cents),Billing period,Start\ncus_A,4900,Monthly,10/01/2025\ncus_B,60000,Half-yearly,20/01/2025\n"
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            MAP.replace('unit = "cents"', 'units = "cents"'),
            "amounts.units: unknown key (known: unit); did you mean 'unit'?",
        ),
        ('columns = "x"\n', "columns: must be a table ([columns]), got str 'x'"),
        (MAP.replace("[amounts]\nunit", "[amount]\nunit"), "amount: unknown section"),
        (MAP.replace("count = 6", "count = inf"), "intervals.Half-yearly: count must be a positive number, got inf"),
        (MAP.replace("count = 6", "count = nan"), "intervals.Half-yearly: count must be a positive number, got nan"),
        (MAP.replace("count = 6", "count = 6, every = 2"), "intervals.Half-yearly.every: unknown key"),
        (MAP.replace("%d/%m/%Y", "%Q"), "dates.format: '%Q' is not a usable pattern"),
        (MAP.replace("%d/%m/%Y", "dd/mm/yyyy"), "dates.format: must be a strptime pattern"),
        (MAP + "defaults = 5\n", "dates.defaults: unknown key"),
    ],
)
def test_a_broken_mapping_file_is_a_located_error_and_a_typo_never_changes_a_number(tmp_path, text, words):
    mapping = tmp_path / "billing.map.toml"
    mapping.write_text(text)
    billing = csv_file(tmp_path, BILLING, "billing.csv")
    assert_located(metrics("--subscriptions", billing, "--map", mapping), "billing.map.toml: " + words)


def test_a_mapping_file_with_a_bom_reads_the_right_numbers(tmp_path):
    mapping = tmp_path / "billing.map.toml"
    mapping.write_text("\ufeff" + MAP)
    result = metrics("--subscriptions", csv_file(tmp_path, BILLING, "billing.csv"), "--map", mapping)
    assert result.latest("mrr") == pytest.approx(49 + 600 / 6)  # cents → units; every 6 months ÷ 6
    assert_located(metrics("--subscriptions", tmp_path / "billing.csv", "--map", tmp_path), "is a folder")


# --------------------------------------------------------------------------- 10. output


def test_as_of_usage_errors_name_the_option():
    result = run("metrics", "--as-of", "2024/03")
    assert result.code == 2
    assert "Invalid value for --as-of: '2024/03' is not a month (YYYY-MM)" in result.err
    assert "--as-of: '1680-01' is outside the dates accepted" in run("metrics", "--as-of", "1680-01").err


def test_terminal_text_has_no_escape_sequences(tmp_path):
    data = sample_copy(
        tmp_path, {"settings.csv": lambda t: t.replace("Northwind Cloud Inc.", "Evil\x1b[2J\x1b]0;pwn\x07Co")}
    )
    result = run("metrics", "--data", data)
    assert result.code == 0
    assert "\x1b" not in result.out and "\x07" not in result.out
    assert result.out.startswith("EvilCo — reporting currency USD")
    assert CELL.search("x!A1")  # the helper's pattern itself
