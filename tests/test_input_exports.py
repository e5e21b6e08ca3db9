"""Billing and analytics exports, broken or merely as vendors and Excel really write them
(issue 8, family 8), and one alias table per billing layout (issue 9, item 2): every
message a layout gives names its cell."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi_addin.io.sources import LAYOUTS

from .input_helpers import CELL, assert_located, csv_file, metrics

EXPORTS = Path(__file__).parent / "fixtures" / "exports"
FIXTURES = {
    "stripe": "stripe_subscriptions.csv",
    "recurly": "recurly_subscriptions.csv",
    "chargify": "chargify_subscriptions.csv",
    "baremetrics": "baremetrics_import.csv",
}
#: The fixture company's MRR in April 2025, worked out by hand in tests/fixtures/exports/README.md.
APRIL_MRR = 459.1666666666667


def edited(tmp_path: Path, layout: str, column: str, value: str, row: int = 1, name: str | None = None) -> Path:
    """The layout's fixture with the cell of ``column`` in data row ``row`` set to ``value``."""
    lines = (EXPORTS / FIXTURES[layout]).read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    return csv_file(tmp_path, "\n".join(lines) + "\n", name or f"{layout}.csv")


def header_only(tmp_path: Path, layout: str) -> Path:
    return csv_file(tmp_path, (EXPORTS / FIXTURES[layout]).read_text().splitlines()[0] + "\n", f"{layout}.csv")


@pytest.mark.parametrize("layout", sorted(FIXTURES))
def test_a_header_only_export_is_a_located_error(tmp_path, layout):
    assert_located(metrics("--subscriptions", header_only(tmp_path, layout)), f"{layout}.csv", "no data rows")


@pytest.mark.parametrize(
    ("layout", "column", "cell"),
    [
        ("stripe", "Interval", "I2"),
        ("recurly", "plan_interval_unit", "S2"),
        ("chargify", "product_interval_unit", "J2"),
        ("baremetrics", "plan_interval", "E2"),
    ],
)
def test_a_blank_interval_is_an_error_never_monthly(tmp_path, layout, column, cell):
    result = metrics("--subscriptions", edited(tmp_path, layout, column, ""))
    assert_located(result, f"{layout}.csv!{cell} ({column}): the interval is blank")


@pytest.mark.parametrize(
    ("layout", "column", "status", "note"),
    [
        (
            "stripe",
            "Status",
            "canceled",
            "1 canceled subscription(s) with no Ended At or Canceled At end at their Current Period End",
        ),
        (
            "recurly",
            "state",
            "expired",
            "1 expired subscription(s) with no expires_at or canceled_at end at their current_period_ends_at",
        ),
        (
            "chargify",
            "state",
            "canceled",
            "1 ended subscription(s) with no canceled_at or expires_at end at their current_period_ends_at",
        ),
    ],
)
def test_an_ended_row_without_an_end_date_stops_at_its_period_end_with_a_note(tmp_path, layout, column, status, note):
    # the first row is cus_A's 49 a month, its current period ending on 2025-05-10
    result = metrics("--subscriptions", edited(tmp_path, layout, column, status))
    assert result.month("2025-04", "mrr") == pytest.approx(APRIL_MRR)
    assert result.month("2025-05", "mrr") == pytest.approx(APRIL_MRR - 49)
    assert any(note in w for w in result.warnings), result.warnings


@pytest.mark.parametrize(
    ("layout", "edits", "words"),
    [
        (
            "stripe",
            {"Status": "canceled", "Current Period End (UTC)": ""},
            "stripe.csv!L2 (Status): 'canceled' but Ended At (UTC) is blank",
        ),
        (
            "stripe",
            {"Status": "trialing"},
            "stripe.csv!L2 (Status): 'trialing' but Trial End (UTC) is blank; give the trial's end",
        ),
        ("recurly", {"state": "in_trial"}, "recurly.csv!G2 (state): 'in_trial' but trial_ends_at is blank"),
        ("chargify", {"state": "trialing"}, "chargify.csv!B2 (state): 'trialing' but trial_ended_at is blank"),
        ("recurly", {"state": "canceled"}, None),  # canceled: live until current_period_ends_at (given)
    ],
)
def test_a_status_that_needs_a_date_without_one_is_a_located_error(tmp_path, layout, edits, words):
    path = EXPORTS / FIXTURES[layout]
    for column, value in edits.items():
        path = edited(tmp_path, layout, column, value) if path.parent == EXPORTS else _edit(path, column, value)
    result = metrics("--subscriptions", path)
    if words is None:
        assert result.code == 0
    else:
        assert_located(result, words)


def _edit(path: Path, column: str, value: str) -> Path:
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index(column)] = value
    lines[1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("layout", sorted(FIXTURES))
def test_exact_duplicate_rows_count_once_with_a_note(tmp_path, layout):
    text = (EXPORTS / FIXTURES[layout]).read_text()
    path = csv_file(tmp_path, text + text.splitlines()[1] + "\n", f"{layout}.csv")
    result = metrics("--subscriptions", path)
    assert result.month("2025-04", "mrr") == pytest.approx(APRIL_MRR)
    assert any("1 exact duplicate row(s) counted once" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("start", "expected_january"),
    [
        ("2025-01-10 01:12:00 PST", True),
        ("2025-01-31 22:43:50 -0400", True),  # 1 February in UTC: the date as written counts
        ("2025-01-31T23:59:59-08:00", True),
        ("2025-02-01 00:30:00 UTC", False),
    ],
)
def test_vendor_timestamps_count_on_the_date_as_written(tmp_path, start, expected_january):
    result = metrics("--subscriptions", edited(tmp_path, "stripe", "Start (UTC)", start), "--as-of", "2025-04")
    january = result.month("2025-01", "mrr")
    # January: cus_A 49, cus_B 1,490 a year ÷ 12, cus_F 600 every 6 months ÷ 6, cus_G 79
    with_a = 49 + 1490 / 12 + 600 / 6 + 79
    assert january == pytest.approx(with_a if expected_january else with_a - 49)


def test_excel_resaved_us_dates_are_read_when_a_cell_settles_the_order(tmp_path):
    path = edited(tmp_path, "stripe", "Start (UTC)", "1/10/2025 9:12")
    assert_located(metrics("--subscriptions", path), "stripe.csv!N2 (start_date)", "could be day/month/year")
    path = _edit(path, "Created (UTC)", "1/10/2025 9:12")
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("Start (UTC)")] = "1/20/2025 12:00"  # 20 cannot be a month: month/day/year
    lines[2] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    result = metrics("--subscriptions", path)
    assert result.month("2025-04", "mrr") == pytest.approx(APRIL_MRR)


@pytest.mark.parametrize("layout", ["stripe", "recurly"])
def test_a_european_semicolon_export_with_decimal_commas_gives_the_same_numbers(tmp_path, layout):
    text = (EXPORTS / FIXTURES[layout]).read_text()
    column = {"stripe": "Amount", "recurly": "unit_amount"}[layout]
    lines = [line.split(",") for line in text.splitlines()]
    index = lines[0].index(column)
    for cells in lines[1:]:
        cells[index] = cells[index].replace(".", ",")
    path = csv_file(tmp_path, "\n".join(";".join(c) for c in lines) + "\n", f"{layout}.csv")
    result = metrics("--subscriptions", path)
    assert result.month("2025-04", "mrr") == pytest.approx(APRIL_MRR)
    assert any("read with decimal commas ('49,00' = 49.00)" in w for w in result.warnings)


def test_a_cp1252_export_gives_the_same_numbers_with_a_note(tmp_path):
    text = (EXPORTS / FIXTURES["stripe"]).read_text().replace("Acme Corp", "Acmé Corp €")
    result = metrics("--subscriptions", csv_file(tmp_path, text.encode("cp1252"), "stripe.csv"))
    assert result.month("2025-04", "mrr") == pytest.approx(APRIL_MRR)
    assert any("read as Windows-1252 (cp1252)" in w for w in result.warnings)


def test_amount_commas_are_never_stripped_blindly(tmp_path):
    # "49,00" among "1490.00" and "99.00" was read as 4,900 before: a hundredfold figure, silently
    result = metrics("--subscriptions", edited(tmp_path, "stripe", "Amount", '"49,00"'))
    assert_located(result, "stripe.csv!K3 (Amount): '1490.00' uses a decimal point", "a dot for decimals")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "# GA4\nMonth,Total users\n01,100\n02,200\n",
            "the 'Month' dimension has no calendar year; export users by 'Year month'",
        ),
        ("Nth month,Total users\n0000,10\n", "'Nth month' dimension has no calendar year"),
        (
            "# Reports snapshot\nDate,Users\n20240101,10\n\n# Countries\nCountry,Users\nUS,5\n",
            "holds 2 tables (a Reports snapshot?)",
        ),
        ("Year month,Total users\n202401,inf\n", "ga4.csv!B2 (Total users): 'inf' is not a number"),
        ("Year month,Total users\n202401,1e308\n", "is too large"),
        ("Year month,Total users\n168001,10\n", "ga4.csv!A2 (Year month): '168001' is not a date"),
        ("Year month,Total users\n202401,\n", "ga4.csv!B2 (Total users): is blank"),
    ],
)
def test_ga4_exports_read_what_can_be_read_or_say_which_to_take(tmp_path, text, words):
    assert_located(metrics("--visitors", csv_file(tmp_path, text, "ga4.csv")), words)


def test_ga4_thousands_separators_in_counts(tmp_path):
    text = '# Users by month\nYear month,Total users\n202512,"13,000"\n'
    result = metrics("--visitors", csv_file(tmp_path, text, "ga4.csv"))
    assert result.month("2025-12", "visitors") == 13000


# --------------------------------------------------------------------------- one alias table per layout

#: A value no column of any layout accepts.
JUNK = "zz?9"


def roles_in_fixture(layout: str) -> list[tuple[str, str]]:
    aliases = LAYOUTS[layout].aliases
    assert aliases is not None, f"{layout} reads through an alias table"
    header = (EXPORTS / FIXTURES[layout]).read_text().splitlines()[0].split(",")
    from kpi_addin.io.sources.base import normalise

    present = {normalise(h): h for h in header}
    return [(role, present[name]) for role, names in aliases.names.items() for name in names[:1] if name in present]


CASES = [(layout, role, column) for layout in sorted(FIXTURES) for role, column in roles_in_fixture(layout)]


@pytest.mark.parametrize(("layout", "role", "column"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_every_message_of_every_layout_names_its_cell(tmp_path, layout, role, column):
    """Junk in any column a layout reads: the run ends in exit 0 or in messages that each name a cell."""
    path = edited(tmp_path, layout, column, JUNK)
    result = metrics("--subscriptions", path)
    if result.code == 0:
        return  # a text column (a name, a plan) takes any text
    assert_located(result)
    for line in result.errors:
        assert CELL.search(line), line
    letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[
        (EXPORTS / FIXTURES[layout]).read_text().splitlines()[0].split(",").index(column)
    ]
    assert any(f"!{letter}2 " in line for line in result.errors), (letter, result.errors)


def test_each_layouts_required_columns_come_from_its_alias_table():
    for layout in (LAYOUTS[name] for name in FIXTURES):
        assert layout.aliases is not None
        assert layout.required == tuple(layout.aliases.names[r] for r in layout.aliases.required)
