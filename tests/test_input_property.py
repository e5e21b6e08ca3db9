"""The bundled sample, mutated at random (issue 8): every run ends in exit 0 with finite
numbers or exit 1 with located messages, never a traceback, and never writes over an input."""

from __future__ import annotations

import csv
import hashlib
import io
import math
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kpi_addin.io import sample_path

from .input_helpers import LOCATED, run

SHEETS = ["subscriptions.csv"] * 4 + ["costs.csv", "funnel.csv", "fx_rates.csv", "nps.csv", "balance_sheet.csv"]
JUNK = [
    "",
    " ",
    "N/A",
    "#N/A",
    "null",
    "nan",
    "-",
    "abc",
    "inf",
    "-inf",
    "1e308",
    "1e400",
    "49,00",
    "1,049",
    "1.049,50",
    "0x10",
    "-5",
    "9999-12-31",
    "2099-12-31",
    "1680-01-01",
    "2024",
    "200000",
    "1/5/2024",
    "2024-02-30",
    "2024-01-05T23:30:00-08:00",
    '=HYPERLINK("x")',
    "\x1b[2J",
    "\ufffe",
    "😀",
    "0012",
    "12345678901234567890",
    "month ",
    "fortnight",
    "eur",
]

mutation = st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 20)),
    st.tuples(st.just("blank"), st.integers(0, 10_000), st.integers(0, 20)),
    st.tuples(st.just("junk"), st.integers(0, 10_000), st.integers(0, 20), st.sampled_from(JUNK)),
    st.tuples(st.just("shift"), st.integers(0, 10_000), st.integers(-4000, 4000)),
    st.tuples(st.just("duplicate"), st.integers(0, 10_000)),
)
encoding = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])
separator = st.sampled_from([",", ";", "\t"])


def mutate(text: str, steps: list[tuple], sep: str, enc: str, crlf: bool) -> bytes:
    rows = list(csv.reader(io.StringIO(text)))
    for step in steps:
        kind, *args = step
        width = len(rows[0])
        if kind == "drop" and width > 1:
            column = args[0] % width
            rows = [[c for i, c in enumerate(r) if i != column] for r in rows]
        elif kind in ("blank", "junk") and len(rows) > 1:
            row = 1 + args[0] % (len(rows) - 1)
            column = args[1] % width
            if column < len(rows[row]):
                rows[row][column] = "" if kind == "blank" else args[2]
        elif kind == "shift" and len(rows) > 1:
            row = 1 + args[0] % (len(rows) - 1)
            for i, cell in enumerate(rows[row]):
                if len(cell) == 10 and cell[4] == "-" and cell[7] == "-":
                    import datetime as dt

                    try:
                        day = dt.date.fromisoformat(cell) + dt.timedelta(days=args[1])
                    except ValueError:
                        continue
                    rows[row][i] = day.isoformat()
        elif kind == "duplicate" and len(rows) > 1:
            rows.append(list(rows[1 + args[0] % (len(rows) - 1)]))
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\r\n" if crlf else "\n").writerows(rows)
    try:
        return out.getvalue().encode(enc)
    except UnicodeEncodeError:
        return out.getvalue().encode("utf-8")


def fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    sheet=st.sampled_from(SHEETS),
    steps=st.lists(mutation, min_size=1, max_size=6),
    sep=separator,
    enc=encoding,
    crlf=st.booleans(),
    dashboard=st.integers(0, 14),
)
def test_a_mutated_sample_ends_in_numbers_or_located_errors(tmp_path_factory, sheet, steps, sep, enc, crlf, dashboard):
    folder = tmp_path_factory.mktemp("data")
    shutil.rmtree(folder)
    shutil.copytree(sample_path(), folder)
    path = folder / sheet
    path.write_bytes(mutate(path.read_text(), steps, sep, enc, crlf))
    before = fingerprint(folder)
    if dashboard == 0:  # now and then the whole dashboard, writing beside (never over) the inputs
        out = folder.parent / f"{folder.name}.xlsx"
        result = run("dashboard", "--data", folder, "--out", out, "--force")
        assert result.code in (0, 1), result.err
    else:
        result = run("metrics", "--data", folder, "--format", "json")
    assert fingerprint(folder) == before, "an input was written over"
    if result.code == 1:
        assert result.errors, result.err
        for line in result.errors:
            assert LOCATED.match(line), line
        return
    assert result.code == 0, result.err
    if dashboard != 0:
        for month in result.json()["months"]:
            for key, value in month.items():
                if key not in ("month", "plan", "variance"):  # the plan's objects: checked in test_plan_output
                    assert value is None or math.isfinite(value), (key, value)


#: The export fixtures each reader takes, with the option that gives it (issue 18).
EXPORTS = Path(__file__).parent / "fixtures" / "exports"
EXPORT_CASES = [
    ("stripe_invoices.csv", ["--subscriptions"]),
    ("stripe_subscriptions.csv", ["--subscriptions"]),
    ("stripe_invoice_line_items.csv", ["--subscriptions"]),
    ("recurly_subscriptions.csv", ["--subscriptions"]),
    ("chargify_subscriptions.csv", ["--subscriptions"]),
    ("baremetrics_import.csv", ["--subscriptions"]),
    ("quickbooks_profit_and_loss.csv", ["--costs"]),
    ("xero_profit_and_loss.csv", ["--costs"]),
    ("hubspot_contacts.csv", ["--funnel"]),
    ("salesforce_leads.csv", ["--funnel"]),
    ("ga4_users_by_month.csv", ["--visitors"]),
]
#: Cells as people and Excel write them in other locales, beside the junk above.
LOCALE_JUNK = [
    "1 200,00 €",
    "1.200,00",
    "(50.00)",
    "$1,188.00",
    "₩1,200",
    "49,00",
    "4/3/2025 10:30",
    "03.04.2025",
    "11/01/2026",
    "2025년 1월",
    "janv. 2025",
    "Total for Sales",
    "Sales",
]
export_mutation = st.one_of(
    mutation,
    st.tuples(st.just("junk"), st.integers(0, 10_000), st.integers(0, 20), st.sampled_from(LOCALE_JUNK)),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    case=st.sampled_from(EXPORT_CASES),
    steps=st.lists(export_mutation, min_size=1, max_size=6),
    sep=separator,
    enc=encoding,
    crlf=st.booleans(),
)
def test_a_mutated_export_ends_in_numbers_or_located_errors(tmp_path_factory, case, steps, sep, enc, crlf):
    name, option = case
    folder = tmp_path_factory.mktemp("export")
    path = folder / name
    path.write_bytes(mutate((EXPORTS / name).read_text(encoding="utf-8"), steps, sep, enc, crlf))
    before = fingerprint(folder)
    extra = ["--accounts", str(EXPORTS.parents[2] / "kpi_addin" / "sample_data" / "accounts_map.example.toml")]
    result = run("metrics", *option, path, *(extra if option == ["--costs"] else []), "--format", "json")
    assert fingerprint(folder) == before, "an input was written over"
    if result.code == 1:
        assert result.errors, result.err
        for line in result.errors:
            assert LOCATED.match(line), line
        return
    assert result.code == 0, result.err
    for month in result.json()["months"]:
        for key, value in month.items():
            if key not in ("month", "plan", "variance"):  # the plan's objects: checked in test_plan_output
                assert value is None or math.isfinite(value), (key, value)
