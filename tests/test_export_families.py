"""Billing and CRM exports as Excel re-saves them (issue 18): every fixture of
tests/fixtures/exports re-saved in en-US, fr-FR, de-DE and ko-KR (list separator, date
format, decimal and thousands separators) gives the figures of the original — which
test_billing_exports.py, test_sources_stripe_invoices.py and test_sources_crm.py work out
by hand — or an error naming the cell when nothing settles a date's order."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from kpi_addin.io import InputError
from kpi_addin.io.sources.crm import read_funnel

from .input_helpers import metrics

FIXTURES = Path(__file__).parent / "fixtures" / "exports"
LOCALES = ("en-US", "fr-FR", "de-DE", "ko-KR")
ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::\d{2})?)?")
DECIMAL = re.compile(r"-?\d+\.\d{2}")


def local_date(cell: str, locale: str) -> str:
    """An ISO date-time as Excel's short date and time show it in ``locale``."""
    match = ISO.fullmatch(cell)
    if match is None:
        return cell
    y, m, d, hh, mm = match.groups()
    time = f" {int(hh)}:{mm}" if hh and locale in ("en-US", "ko-KR") else (f" {hh}:{mm}" if hh else "")
    return {
        "en-US": f"{int(m)}/{int(d)}/{y}",
        "fr-FR": f"{d}/{m}/{y}",
        "de-DE": f"{d}.{m}.{y}",
        "ko-KR": f"{y}-{m}-{d}",
    }[locale] + time


def local_number(cell: str, locale: str) -> str:
    if not DECIMAL.fullmatch(cell):
        return cell
    text = f"{float(cell):,.2f}"
    if locale == "fr-FR":
        return text.replace(",", "\u202f").replace(".", ",")
    if locale == "de-DE":
        return text.replace(",", "X").replace(".", ",").replace("X", ".")
    return text  # en-US and ko-KR: 1,490.00


def resave(source: Path, tmp_path: Path, locale: str) -> Path:
    """``source`` as Excel writes it back in ``locale`` (';' where the decimal is a comma)."""
    rows = list(csv.reader(io.StringIO(source.read_text(encoding="utf-8"))))
    out = [rows[0]] + [[local_number(local_date(c, locale), locale) for c in row] for row in rows[1:]]
    path = tmp_path / f"{locale}_{source.name}"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";" if locale in ("fr-FR", "de-DE") else ",").writerows(out)
    return path


def months_of(path: Path, *args: object) -> list[dict]:
    result = metrics("--subscriptions", path, "--as-of", "2025-04", *args)
    assert result.code == 0, result.err
    return result.json()["months"]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    "fixture",
    ["stripe_invoices.csv", "stripe_subscriptions.csv", "stripe_invoice_line_items.csv", "recurly_subscriptions.csv"],
)
def test_a_billing_export_resaved_in_each_locale_gives_the_originals_figures(tmp_path, fixture, locale):
    # before: '49,00' and "104,40" were rejected, 4/3/2025 10:30 beside 1/20/2026 12:00 refused as ambiguous
    original = months_of(FIXTURES / fixture)
    path = resave(FIXTURES / fixture, tmp_path, locale)
    assert path.read_text() != (FIXTURES / fixture).read_text()
    again = months_of(path)
    assert [m["month"] for m in again] == [m["month"] for m in original]
    for mine, theirs in zip(again, original, strict=True):
        for key in ("mrr", "customers", "new_mrr", "expansion_mrr", "contraction_mrr", "churned_mrr"):
            assert mine[key] == pytest.approx(theirs[key]), (mine["month"], key)


def test_thousands_separators_in_an_invoices_export(tmp_path):
    # 1,188.00 (en-US thousands) is 1188, never an error nor 1.188
    text = (FIXTURES / "stripe_invoices.csv").read_text()
    plain = tmp_path / "plain.csv"
    plain.write_text(text.replace(",100.00,", ",1100.00,"))
    grouped = tmp_path / "grouped.csv"
    rows = list(csv.reader(io.StringIO(text.replace(",100.00,", ",1100.00,"))))
    with open(grouped, "w", newline="") as handle:
        csv.writer(handle).writerows([[f"{float(c):,.2f}" if c == "1100.00" else c for c in row] for row in rows])
    assert '"1,100.00"' in grouped.read_text()
    assert months_of(grouped) == months_of(plain)
    assert months_of(plain)[0]["mrr"] > months_of(FIXTURES / "stripe_invoices.csv")[0]["mrr"]


def test_en_us_datetimes_settled_by_another_column(tmp_path):
    # Start holds only 4/3/2025 10:30 (could be 4 March or 3 April); Current Period End's 1/20/2026 settles it
    header = (FIXTURES / "stripe_subscriptions.csv").read_text().splitlines()[0]
    row = "sub_X,cus_X,X Co,x@x.test,price,Starter,1,usd,month,1,50.00,active,4/3/2025 10:30,4/3/2025 10:30,"
    path = tmp_path / "subs.csv"
    path.write_text(f"{header}\n{row}1/3/2026 10:30,1/20/2026 12:00,,,,false,\n")
    result = metrics("--subscriptions", path, "--as-of", "2025-04")
    assert result.code == 0, result.err
    assert [m["mrr"] for m in result.json()["months"]] == [50.0]  # from 3 April, month/day/year
    assert any(
        "read as month/day/year, as Current Period End (UTC): '1/20/2026 12:00' shows" in n for n in result.warnings
    )


def test_nothing_settles_the_order_then_the_cells_are_named(tmp_path):
    header = (FIXTURES / "stripe_subscriptions.csv").read_text().splitlines()[0]
    row = "sub_X,cus_X,X Co,x@x.test,price,Starter,1,usd,month,1,50.00,active,4/3/2025 10:30,4/3/2025 10:30,"
    path = tmp_path / "subs.csv"
    path.write_text(f"{header}\n{row}4/3/2025 10:30,5/3/2025 10:30,,,,false,\n")
    result = metrics("--subscriptions", path)
    assert result.code == 1
    assert "subs.csv!N2 (start_date): '4/3/2025 10:30' could be day/month/year or month/day/year" in result.err


HUBSPOT = FIXTURES / "hubspot_contacts.csv"
#: The hand-worked counts of test_sources_crm.py, January to April.
HUBSPOT_COUNTS = {
    "contacts": [7, 3, 3, 2],
    "leads": [7, 2, 3, 1],
    "mql": [5, 2, 2, 1],
    "sql": [4, 2, 2, 0],
    "customers": [5, 1, 1, 0],
}


def assert_counts(path: Path) -> None:
    counts = read_funnel(path).counts
    assert list(counts["month"].dt.strftime("%Y-%m")) == ["2025-01", "2025-02", "2025-03", "2025-04"]
    for column, values in HUBSPOT_COUNTS.items():
        assert list(counts[column]) == values, column


@pytest.mark.parametrize("locale", LOCALES)
def test_a_hubspot_export_resaved_in_each_locale_counts_the_same(tmp_path, locale):
    assert_counts(resave(HUBSPOT, tmp_path, locale))


def test_day_first_dates_settled_by_another_column_stay_in_their_month(tmp_path):
    # the MQL column alone (11/01/2026, 02/02/2026) could be month first: 1 Nov and 2 Feb;
    # the lead column's 25/01/2026 shows the file is day first: 11 Jan and 2 Feb
    path = tmp_path / "contacts.csv"
    path.write_text(
        '"Record ID","Create Date","Date entered ""Lead (Lifecycle Stage Pipeline)""",'
        '"Date entered ""Marketing Qualified Lead (Lifecycle Stage Pipeline)"""\n'
        '"1","05/01/2026 09:00","25/01/2026 10:00","11/01/2026 10:00"\n'
        '"2","05/01/2026 09:00","05/01/2026 10:00","02/02/2026 10:00"\n'
    )
    read = read_funnel(path)
    counts = read.counts.set_index(read.counts["month"].dt.strftime("%Y-%m"))
    assert counts.loc["2026-01", "mql"] == 1 and counts.loc["2026-02", "mql"] == 1
    assert "2025-11" not in counts.index
    assert any("read as day/month/year" in n for n in read.notes)


def test_truly_ambiguous_crm_dates_are_an_error_naming_the_cell(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(
        '"Record ID","Date entered ""Lead (Lifecycle Stage Pipeline)"""\n"1","11/01/2026 10:00"\n"2","02/03/2026"\n'
    )
    with pytest.raises(InputError) as info:
        read_funnel(path)
    assert "contacts.csv!B2 (Date entered \"Lead (Lifecycle Stage Pipeline)\"): '11/01/2026 10:00' could be" in str(
        info.value
    )


def test_the_same_record_id_twice_is_counted_once(tmp_path):
    lines = HUBSPOT.read_text().splitlines()
    again = lines[1].replace('"Ada"', '"Ada (re-exported)"')
    path = tmp_path / "contacts.csv"
    path.write_text("\n".join([*lines, again, lines[2]]) + "\n")
    assert_counts(path)
    notes = read_funnel(path).notes
    assert any("1 row(s) repeat a Record ID already read (rows 17)" in n for n in notes), notes
    assert any("1 exact duplicate row(s) counted once (first at line 18)" in n for n in notes), notes
