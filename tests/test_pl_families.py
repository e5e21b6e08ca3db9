"""Costs from the books as people export them (issue 18): the QuickBooks fixture of
test_sources_accounting.py re-saved in en-US, fr-FR, de-DE and ko-KR, restructured and
broken the ways real statements are.  Every case is worked by hand from the fixture's
table (test_sources_accounting.EXPECTED): the same costs, or a located error, or a
warning naming the month and the account."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kpi_addin.io import InputError
from kpi_addin.io.sources.accounting import EXAMPLE_MAP, read_costs

from .input_helpers import metrics
from .test_sources_accounting import EXPECTED, QUICKBOOKS, amount_of

MONTHS = {
    "en-US": ["Jan 2025", "Feb 2025", "Mar 2025", "Apr 2025"],
    "fr-FR": ["janv. 2025", "févr. 2025", "mars 2025", "avr. 2025"],
    "de-DE": ["Jan. 2025", "Feb. 2025", "März 2025", "Apr. 2025"],
    "ko-KR": ["2025년 1월", "2025년 2월", "2025년 3월", "2025년 4월"],
}


def money(value: float, locale: str) -> str:
    """An amount as Excel shows it in ``locale`` with the currency format."""
    text = f"{abs(value):,.2f}"
    sign = "-" if value < 0 else ""
    if locale == "en-US":
        return f"({'$' + text})" if value < 0 else "$" + text
    if locale == "fr-FR":  # narrow no-break space between thousands, decimal comma, € after
        return sign + text.replace(",", "\u202f").replace(".", ",") + "\u00a0€"
    if locale == "de-DE":
        return sign + text.replace(",", "X").replace(".", ",").replace("X", ".") + " €"
    return sign + "₩" + text  # ko-KR


def quickbooks_rows(text: str | None = None) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text if text is not None else QUICKBOOKS.read_text())))


def resaved(tmp_path: Path, locale: str, rows: list[list[str]] | None = None, *, encoding: str = "utf-8") -> Path:
    """The statement as Excel re-saves it in ``locale``: its list separator, month headers and money format."""
    rows = rows or quickbooks_rows()
    header = next(i for i, row in enumerate(rows) if row[1:2] == ["Jan 2025"])
    out = []
    for i, row in enumerate(rows):
        if i == header:
            row = [
                row[0],
                *MONTHS[locale],
                "Total" if locale == "en-US" else {"fr-FR": "Total", "de-DE": "Gesamt"}.get(locale, "합계"),
            ]
        elif i > header:
            row = [row[0]] + [money(amount_of(c), locale) if c.strip() else "" for c in row[1:]]
        out.append(row)
    path = tmp_path / f"pl_{locale}.csv"
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle, delimiter="," if locale in ("en-US", "ko-KR") else ";").writerows(out)
    return path


def assert_expected(frame) -> None:
    assert list(frame["month"]) == ["2025-01", "2025-02", "2025-03", "2025-04"]
    for column, values in EXPECTED.items():
        assert list(frame[column]) == pytest.approx(values), column


@pytest.mark.parametrize(
    ("locale", "encoding"),
    [("en-US", "utf-8"), ("fr-FR", "utf-8"), ("fr-FR", "utf-8-sig"), ("de-DE", "cp1252"), ("ko-KR", "utf-8")],
)
def test_a_statement_resaved_in_each_locale_gives_the_hand_worked_costs(tmp_path, locale, encoding):
    # fr-FR: 1 200,00 € (x100 before); de-DE: 1.200,00 € (2,000 read as 2.0 before); both ';'-separated
    path = resaved(tmp_path, locale, encoding=encoding)
    read = read_costs(path, EXAMPLE_MAP)
    assert_expected(read.sheet.frame)
    notes = " ".join(read.notes)
    assert "income accounts (2,050.00) are revenue" in notes
    if locale in ("fr-FR", "de-DE"):
        assert "read with decimal commas" in notes
    if encoding == "cp1252":
        assert "read as Windows-1252 (cp1252) text" in notes
    if locale in ("fr-FR", "de-DE"):
        assert "fields separated by ';'" in notes


def test_a_semicolon_statement_is_a_statement(tmp_path):
    path = tmp_path / "pl.csv"
    rows = quickbooks_rows()
    with open(path, "w", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(rows)
    assert_expected(read_costs(path, EXAMPLE_MAP).sheet.frame)


def with_sales_parent(text: str, total: str = "Total for Sales") -> str:
    """Sales salaries and commissions under an expense parent account called 'Sales'."""
    return text.replace("6100 Sales Salaries", "Sales,,,,,\n6100 Sales Salaries").replace(
        "6150 Sales Commissions,150.00,300.00,200.00,0.00,650.00\n",
        f'6150 Sales Commissions,150.00,300.00,200.00,0.00,650.00\n{total},"$3,150.00","$3,300.00","$3,200.00",'
        '"$3,000.00","$12,650.00"\n',
    )


@pytest.mark.parametrize("total", ["Total for Sales", "Total Sales"])
def test_an_expense_parent_named_sales_stays_an_expense(tmp_path, total):
    # before: the parent 'Sales' opened an income section, and every later account became income
    path = tmp_path / "pl.csv"
    path.write_text(with_sales_parent(QUICKBOOKS.read_text(), total))
    assert "Sales,,,,," in path.read_text()
    read = read_costs(path, EXAMPLE_MAP)
    assert_expected(read.sheet.frame)
    assert "income accounts (2,050.00) are revenue" in " ".join(read.notes)


def test_a_parent_named_sales_maps_its_accounts_by_its_name(tmp_path):
    path = tmp_path / "pl.csv"
    path.write_text(with_sales_parent(QUICKBOOKS.read_text()).replace("6100 Sales Salaries", "6100 Salaries"))
    accounts = tmp_path / "map.toml"
    accounts.write_text(EXAMPLE_MAP.read_text() + '"Sales" = "sales"\n')
    frame = read_costs(path, accounts).sheet.frame
    assert list(frame["sales"]) == pytest.approx(EXPECTED["sales"])  # 6100 Salaries found through its parent


def test_an_account_under_an_unknown_heading_is_listed_with_its_total(tmp_path):
    path = tmp_path / "pl.csv"
    path.write_text(
        QUICKBOOKS.read_text().replace(
            "Net Income,",
            "Miscellaneous,,,,,\n8000 Bank Charges,5.00,5.00,5.00,5.00,20.00\n"
            "Total for Miscellaneous,5,5,5,5,20\nNet Income,",
        )
    )
    read = read_costs(path, EXAMPLE_MAP)
    assert_expected(read.sheet.frame)
    notes = " ".join(read.notes)
    assert "1 account(s) are not under an income or cost section" in notes
    assert "headings not known as income or costs: Miscellaneous" in notes
    assert "8000 Bank Charges (Miscellaneous): 20.00" in notes


def test_a_month_netting_negative_is_a_warning_naming_month_and_account(tmp_path):
    # April's ad credit of 1,700 exceeds its spend (1,100 + 500): marketing nets -100.00
    path = tmp_path / "pl.csv"
    path.write_text(
        QUICKBOOKS.read_text().replace("6030 Ad Credits,,,,-100.00,-100.00", "6030 Ad Credits,,,,-1700.00,-1700.00")
    )
    result = metrics(
        "--costs", path, "--accounts", EXAMPLE_MAP, "--subscriptions", QUICKBOOKS.parent / "stripe_invoices.csv"
    )
    assert result.code == 0, result.err
    warnings = result.json()["warnings"]
    said = [w for w in warnings if "marketing nets -100.00 in 2025-04" in w]
    assert said and "6030 Ad Credits -1,700.00" in said[0] and "counted as 0 that month" in said[0], warnings
    read = read_costs(path, EXAMPLE_MAP)
    assert list(read.sheet.frame["marketing"]) == pytest.approx([1200, 3500, 900, 0])


def test_a_formula_saved_without_its_value_is_a_located_error(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Profit and Loss"
    for row in quickbooks_rows():
        sheet.append(
            [
                amount_of(c) if i and c.strip() and amount_of(c) == amount_of(c) else (c or None)
                for i, c in enumerate(row)
            ]
        )
    sheet["C16"] = "=B16*1.25"  # 6010 Google Ads, Feb: openpyxl saves no value
    path = tmp_path / "pl.xlsx"
    workbook.save(path)
    with pytest.raises(InputError) as info:
        read_costs(path, EXAMPLE_MAP)
    assert "pl.xlsx Profit and Loss!C16: holds a formula saved without its value" in str(info.value)


def test_row_numbers_count_blank_lines_as_a_spreadsheet_shows_them(tmp_path):
    path = tmp_path / "pl.csv"
    text = QUICKBOOKS.read_text().replace("Income,,,,,\n", "Income,,,,,\n\n\n", 1)
    path.write_text(text.replace('6020 Events,,"2,000.00"', "6020 Events,,two thousand", 1))
    with pytest.raises(InputError) as info:
        read_costs(path, EXAMPLE_MAP)
    assert "pl.csv!C19 (Feb 2025): 'two thousand' is not a number (account '6020 Events')" in str(info.value)


@pytest.mark.parametrize(
    ("header", "month"),
    [
        ("31.01.2025", "2025-01"),
        ("1/31/2025", "2025-01"),
        ("31/01/2025", "2025-01"),
        ("31 janv. 2025", "2025-01"),
        ("März 2025", "2025-03"),
        ("2025년 3월", "2025-03"),
        ("Apr-25", "2025-04"),
        ("4/5/2025", None),
        ("Gesamt", None),
    ],
)
def test_month_headers_in_each_locale(header, month):
    from kpi_addin.io.sources.accounting import month_of

    found = month_of(header)
    assert (found.strftime("%Y-%m") if found is not None else None) == month


def test_korean_statement_with_korean_sections(tmp_path):
    # a statement written in Korean: 매출 (income), 매출원가 (cost of sales), 판매비와관리비 (SG&A)
    text = (
        '손익계산서,,\n,2025년 1월,2025년 2월\n매출,,\n구독 매출,"₩1,200,000","₩1,300,000"\n'
        '매출 합계,"₩1,200,000","₩1,300,000"\n'
        '매출원가,,\n서버 비용,"₩100,000","₩110,000"\n매출원가 합계,"₩100,000","₩110,000"\n'
        '매출총이익,"₩1,100,000","₩1,190,000"\n'
        '판매비와관리비,,\n영업,,\n영업 급여,"₩3,000,000","₩3,000,000"\n영업 합계,"₩3,000,000","₩3,000,000"\n'
        '광고선전비,"₩500,000","(₩50,000)"\n판매비와관리비 합계,"₩3,500,000","₩2,950,000"\n영업이익,,\n'
    )
    path = tmp_path / "손익계산서.csv"
    path.write_text(text, encoding="utf-8-sig")
    accounts = tmp_path / "map.toml"
    accounts.write_text('[accounts]\n"매출원가" = "cogs"\n"영업" = "sales"\n"광고선전비" = "marketing"\n')
    read = read_costs(path, accounts)
    frame = read.sheet.frame
    assert list(frame["month"]) == ["2025-01", "2025-02"]
    assert list(frame["cogs"]) == [100_000, 110_000]
    assert list(frame["sales"]) == [3_000_000, 3_000_000]  # '영업' (sales) is a parent inside SG&A, never income
    assert list(frame["marketing"]) == [500_000, 0]  # (₩50,000) nets negative: counted as 0, with a warning
    notes = " ".join(read.notes)
    assert "income accounts (2,500,000.00) are revenue" in notes
    assert "marketing nets -50,000.00 in 2025-02" in notes
