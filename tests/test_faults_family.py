"""The fault families of round three that reach a user through the command line: the other
tool's file of ``reconcile --against`` read by the one value parser and sniffer, a console
that cannot show every character, openpyxl's raw warnings on a refresh, and LAST of another
company or reporting currency."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.io.against import read_against
from kpi_addin.io.problems import CommandError


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The command as a user runs it (its own process, its own console encoding)."""
    environment = {**os.environ, **(env or {})}
    encoding = environment.get("PYTHONIOENCODING", "utf-8")
    return subprocess.run(
        [sys.executable, "-m", "kpi_addin.cli", *args],
        capture_output=True,
        encoding=encoding,
        env=environment,
        check=False,
    )


@pytest.mark.parametrize(
    ("text", "mrr"),
    [
        ("month,mrr\n2025-11,200.00\n", 200.0),
        ('month,mrr\n2025-11,"200,00"\n', 200.0),  # fr-FR / de-DE decimal comma: not 20,000
        ('month,mrr\n2025-11,"$61,841.78"\n', 61_841.78),  # en-US as a report writes it
        ("month;mrr\n2025-11;61841,78\n", 61_841.78),  # a ; file from a decimal-comma locale
        ("month;mrr\n2025-11;61.841,78\n", 61_841.78),  # de-DE thousands and decimals
        ('month,mrr\n2025-11,"61\u00a0841,78 €"\n', 61_841.78),  # fr-FR no-break space and a symbol
        ("\ufeffmonth\tmrr\n2025-11\t(1,200.00)\n", -1_200.0),  # a BOM, tabs, parentheses negative
        ('# exported 2025-12-03\nmonth,mrr\n2025-11,"\u20a91,200,000"\n', 1_200_000.0),  # a comment; KRW
    ],
)
def test_against_reads_numbers_as_every_export(tmp_path, text, mrr):
    path = tmp_path / "theirs.csv"
    path.write_text(text, encoding="utf-8")
    theirs, _notes = read_against(path)
    assert theirs["mrr"].tolist() == pytest.approx([mrr])
    assert str(theirs["month"].iloc[0]) == "2025-11"


def test_against_locates_every_bad_cell_and_names_the_columns_it_leaves_aside(tmp_path):
    path = tmp_path / "theirs.csv"
    path.write_text("month,mrr,customers,region\n2025-11,100,3,EU\n\n2025/13,abc,4,US\n", encoding="utf-8")
    with pytest.raises(CommandError) as error:
        read_against(path)
    lines = error.value.lines
    # the blank line is a line of the file: the bad row is line 4, as an editor shows it
    assert any("A4 (month)" in line and "'2025/13'" in line for line in lines), lines
    assert any("B4 (mrr)" in line and "'abc'" in line for line in lines), lines
    path.write_text("month,mrr,customers,region\n2025-11,100,3,EU\n", encoding="utf-8")
    theirs, notes = read_against(path)
    assert set(theirs.columns) == {"month", "mrr", "customers"}
    assert any("region" in n and "not compared" in n for n in notes)


def test_against_mixing_conventions_in_a_column_is_an_error_not_a_guess(tmp_path):
    path = tmp_path / "theirs.csv"
    path.write_text('month,mrr\n2025-11,"61 841,78"\n2025-12,"$61,841.78"\n', encoding="utf-8")
    with pytest.raises(CommandError) as error:
        read_against(path)
    assert any("B3 (mrr)" in line for line in error.value.lines)


@pytest.mark.parametrize("command", [["metrics"], ["movements", "--from", "2025-10"], ["metrics", "--period", "year"]])
def test_a_console_that_cannot_show_an_arrow_gets_ascii_not_a_traceback(command):
    done = run(*command, env={"PYTHONIOENCODING": "cp1252"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "UnicodeEncodeError" not in done.stderr
    assert "\u2192" not in done.stdout


def test_korean_on_a_western_console_prints_without_a_traceback(tmp_path):
    done = run("dashboard", "--lang", "ko", "--out", str(tmp_path / "k.xlsx"), env={"PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "wrote" in done.stdout


@pytest.fixture(scope="module")
def last_month(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("last") / "kpi_2025-12.xlsx"
    result = CliRunner().invoke(cli, ["dashboard", "--out", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_a_refresh_prints_no_raw_library_warning(last_month, tmp_path):
    done = run("dashboard", "--update", str(last_month), "--out", str(tmp_path / "new.xlsx"))
    assert done.returncode == 0, done.stderr
    assert "UserWarning" not in done.stderr and "Sparkline" not in done.stderr and "warn(" not in done.stderr


def other_company(tmp_path: Path, *, company: str | None = None, currency: str | None = None) -> Path:
    folder = tmp_path / "other"
    result = CliRunner().invoke(cli, ["sample", "--out", str(folder), "--format", "csv"])
    assert result.exit_code == 0, result.output
    settings = folder / "settings.csv"
    text = settings.read_text(encoding="utf-8")
    if company is not None:
        text = text.replace("company,Northwind Cloud Inc.", f"company,{company}")
    if currency is not None:
        text = text.replace("reporting_currency,USD", f"reporting_currency,{currency}")
        rates = folder / "fx_rates.csv"
        months = [line.split(",")[2] for line in rates.read_text(encoding="utf-8").splitlines()[1:]]
        extra = "".join(f"USD,0.92,{m}\n" for m in sorted(set(months)))
        rates.write_text(rates.read_text(encoding="utf-8") + extra, encoding="utf-8")
    settings.write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"company": "Other Co"}, "company 'Northwind Cloud Inc.', not 'Other Co'"),
        ({"currency": "EUR"}, "USD, not EUR"),
    ],
)
def test_last_of_another_company_or_currency_is_refused_unless_forced(last_month, tmp_path, change, said):
    data = other_company(tmp_path, **change)
    out = tmp_path / "new.xlsx"
    args = ["dashboard", "--data", str(data), "--update", str(last_month), "--out", str(out)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and said in result.output and "--force-carry" in result.output
    assert not out.exists()
    result = CliRunner().invoke(cli, [*args, "--force-carry"])
    assert result.exit_code == 0, result.output
    assert "carried: goal mrr target" in result.output


def test_a_rates_sheet_that_also_lists_the_reporting_currency_is_read():
    """A company reporting in EUR whose rates sheet still holds EUR rows (from when it
    reported in USD) and the USD rate: the EUR rows are left aside, the USD one converts.
    The reader gives the currency column as a categorical (found by this family's test)."""
    import pandas as pd

    from kpi_addin.metrics.mrr import customer_mrr

    subs = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "amount": [100.0, 50.0],
            "currency": ["EUR", "USD"],
            "interval": ["month", "month"],
            "quantity": [1.0, 1.0],
            "start_date": pd.to_datetime(["2025-01-01", "2025-01-01"]),
            "end_date": pd.to_datetime([None, None]),
        }
    )
    fx = pd.DataFrame(
        {
            "currency": pd.Categorical(["EUR", "EUR", "USD", "USD"]),
            "rate": [1.08, 1.09, 0.9, 0.8],
            "month": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-01-01", "2025-02-01"]),
        }
    )
    cm = customer_mrr(subs, reporting_currency="EUR", fx_rates=fx, as_of=pd.Period("2025-02", "M"))
    assert cm.to_frame().sum().round(2).tolist() == [145.0, 140.0]  # 100 + 50 × 0.9, then 100 + 50 × 0.8
