"""The ``kpi-addin`` command line: options, output formats (table, JSON, CSV) and error
reporting. The work is done by the readers (:mod:`kpi_addin.io`), the metric library and
the dashboard; nothing here computes a figure."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import NoReturn

import click
import numpy as np

from . import __version__
from .dashboard.builder import DEFAULT_LEDGER_LIMIT, BuildOptions
from .dashboard.sheets import PROGRESS_STEPS
from .dashboard.template import TemplateError, load_language, load_template
from .dashboard.writer import write_dashboard
from .excel.lite import write_lite
from .formatting import format_value, terminal_text, text_table
from .io import InputError, parse_month, sample_path, write_sample
from .io.inputs import load_company
from .io.safe_write import OutputExistsError
from .io.sources import SOURCES
from .io.sources.crm import customers_check
from .metrics import MONTHLY_KEYS, CompanyData, KPIInputError, KPIReport, monthly_kpis
from .metrics.report import BALANCE_SHEET_KEYS

DATA_HELP = "Input: an .xlsx workbook, a folder of CSV files or a subscriptions CSV. Default: the bundled sample."


def fail(lines: list[str], summary: str | None = None) -> NoReturn:
    """Print the problems to stderr and exit with status 1 (no traceback)."""
    for line in lines:
        click.echo(terminal_text(f"error: {line}"), err=True)
    if summary:
        click.echo(terminal_text(summary), err=True)
    raise SystemExit(1)


def check_output(out: Path, inputs: list[object]) -> None:
    """Refuse an output that would overwrite an input (or land in the input CSV folder),
    whatever --force says, and an output folder that is missing or not a folder."""
    try:
        target = out.resolve()
        flat = [p for given in inputs for p in (given if isinstance(given, list | tuple) else [given])]
        for given in flat:
            if not isinstance(given, Path):
                continue
            source = given.resolve()
            if target == source or (source.is_dir() and source in target.parents):
                where = "is an input" if target == source else f"is inside the input folder {given}"
                fail([f"{out}: the output {where}; write the workbook elsewhere (--force never overwrites an input)"])
        if not target.parent.is_dir():
            fail([f"{out}: the folder {out.parent} does not exist; create it first"])
        if target.is_dir():
            fail([f"{out}: is a folder; give a file name such as {out / 'kpi_dashboard.xlsx'}"])
    except OSError as exc:
        fail([f"{str(out)[:120]}: cannot write there ({exc.strerror or exc})"])


def as_of_option(value: str | None) -> object:
    if value is None:
        return None
    try:
        return parse_month(value, "--as-of")
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix("--as-of: "), param_hint="'--as-of'") from None


def load_report(
    data: Path | None, as_of: str | None, exports: dict[str, object] | None = None
) -> tuple[CompanyData, KPIReport]:
    """Read the inputs (the bundled sample when none is given) and compute every KPI."""
    exports = exports or {}
    source = data or exports.get("subscriptions") or sample_path()
    crm: dict = {}
    try:
        exports = {**exports, "crm_customers": crm}  # filled with the CRM's customers, checked below
        company, notes, warnings = load_company(data, as_of=as_of_option(as_of), **exports)  # type: ignore[arg-type]  # options are checked by click
    except InputError as exc:
        files = {p.file for p in exc.problems}
        where = f" in {files.pop()}" if len(files) == 1 else ""
        fail([str(p) for p in exc.problems], f"{len(exc.problems)} problem(s){where}; nothing was computed.")
    for note in notes:
        click.echo(terminal_text(f"note: {note}"), err=True)
    try:
        report = monthly_kpis(company)
    except KPIInputError as exc:
        fail([f"{source}: {exc}"])
    # the reader refuses non-finite and implausibly large numbers, so this never fires; if it
    # did, a wrong figure must not be printed
    computed = report.monthly.to_numpy(dtype=float)
    ratios = [v for k, v in report.balance_sheet.items() if k != "period" and v is not None]
    if np.isinf(computed).any() or np.isinf(np.asarray(ratios, dtype=float)).any():
        fail([f"{source}: a KPI is not finite (numbers too large for the arithmetic); check the input's magnitudes"])
    # Notes say what was read (a layout detected, rows left out by rule); warnings say a
    # figure may mislead. They are kept apart so notes never push warnings off the Summary.
    report.notes = list(notes)
    report.warnings[:0] = warnings
    if "customers" in crm:
        report.warnings += customers_check(crm["customers"], report.monthly["new_customers"])
    return company, report


def export_options(command):
    """--subscriptions, --source, --map, --visitors, --costs, --accounts and --funnel: read the
    exports finance already has."""
    options = [
        click.option(
            "--subscriptions",
            "subscriptions",
            type=click.Path(path_type=Path),
            help="A billing system's subscriptions export (CSV); replaces the input's subscriptions.",
        ),
        click.option(
            "--source",
            type=click.Choice(SOURCES),
            default="auto",
            show_default=True,
            help="The layout of --subscriptions; auto recognises it from the header row.",
        ),
        click.option(
            "--map",
            "mapping",
            type=click.Path(path_type=Path),
            help="A mapping file (TOML) for any other subscriptions CSV.",
        ),
        click.option(
            "--visitors", type=click.Path(path_type=Path), help="A Google Analytics 4 users export (by month or day)."
        ),
        click.option(
            "--costs",
            type=click.Path(path_type=Path),
            help="A Profit and Loss by month (QuickBooks Online or Xero; CSV or xlsx); replaces the costs.",
        ),
        click.option(
            "--accounts", type=click.Path(path_type=Path), help="The TOML map of P&L accounts to cost columns."
        ),
        click.option(
            "--funnel",
            type=click.Path(path_type=Path),
            multiple=True,
            help="A CRM export (HubSpot contacts, Salesforce leads or opportunities report); may be repeated.",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def exports_of(
    subscriptions: Path | None,
    source: str,
    mapping: Path | None,
    visitors: Path | None,
    costs: Path | None = None,
    accounts: Path | None = None,
    funnel: tuple[Path, ...] = (),
) -> dict:
    if (source != "auto" or mapping) and subscriptions is None:
        raise click.UsageError("--source and --map describe --subscriptions FILE; give that file too")
    if (costs is None) != (accounts is None):
        raise click.UsageError("--costs FILE and --accounts MAP.toml go together: give both")
    return {
        "subscriptions": subscriptions,
        "source": source,
        "mapping": mapping,
        "visitors": visitors,
        "costs": costs,
        "accounts": accounts,
        "funnel": funnel,
    }


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpi-addin")
def cli() -> None:
    """SaaS KPIs for finance teams: metrics, Excel functions and a KPI dashboard."""


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), help=DATA_HELP)
@click.option(
    "--as-of", "as_of", metavar="YYYY-MM", help="Last month to report (default: settings as_of, else the latest date)."
)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--months", default=6, show_default=True, help="Months shown by --format table (latest last).")
@export_options
def metrics(
    data: Path | None,
    as_of: str | None,
    fmt: str,
    months: int,
    subscriptions: Path | None,
    source: str,
    mapping: Path | None,
    visitors: Path | None,
    costs: Path | None,
    accounts: Path | None,
    funnel: tuple[Path, ...],
) -> None:
    """Compute every monthly KPI and print it as a table, JSON or CSV."""
    exports = exports_of(subscriptions, source, mapping, visitors, costs, accounts, funnel)
    _company, report = load_report(data, as_of, exports)
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, allow_nan=False))
    elif fmt == "csv":
        click.echo(monthly_csv(report), nl=False)
    else:
        click.echo(terminal_text(metrics_table(report, months)))


def monthly_csv(report: KPIReport) -> str:
    """One row per month, the JSON keys as the header, blanks for undefined values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MONTHLY_KEYS)
    for month in report.months_as_dicts():
        writer.writerow(["" if month[k] is None else month[k] for k in MONTHLY_KEYS])
    return buffer.getvalue()


def metrics_table(report: KPIReport, months: int) -> str:
    """KPIs as rows, the latest ``months`` months as columns, then the balance sheet and warnings."""
    shown = report.monthly.tail(max(1, months))
    currency = report.reporting_currency
    header = ["KPI", *[str(p) for p in shown.index]]
    label = load_language("en").label  # the command line speaks English; labels live in templates/lang
    rows = [[label(k), *[format_value(k, v, currency) for v in shown[k]]] for k in MONTHLY_KEYS[1:]]
    title = f"{report.company or 'KPIs'} — reporting currency {currency}"
    parts = [title, "", text_table(header, rows)]
    sheet = report.balance_sheet
    if sheet.get("period"):
        parts += [
            "",
            text_table(
                ["Balance sheet", str(sheet["period"])],
                [[label(k), format_value(k, sheet[k], currency)] for k in BALANCE_SHEET_KEYS],
            ),
        ]
    if report.warnings:
        parts += ["", "Warnings:", *[f"- {w}" for w in report.warnings]]
    parts += ["", "n/a: undefined (a zero denominator, e.g. no churn → no LTV) or no input for that month."]
    return "\n".join(parts)


@cli.command()
@click.option("--out", type=click.Path(path_type=Path), required=True, help="Folder to write the sample into.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv"]),
    default="xlsx",
    show_default=True,
    help="One workbook (kpi_input.xlsx) or one CSV file per sheet.",
)
@click.option("--force", is_flag=True, help="Replace files that exist.")
def sample(out: Path, fmt: str, force: bool) -> None:
    """Write the bundled sample company: the template to fill in with your own data."""
    try:
        written = write_sample(out, fmt=fmt, force=force)
    except OutputExistsError as exc:
        fail([str(exc)])
    except OSError as exc:
        fail([f"{out}: cannot write ({exc.strerror or exc})"])
    for path in written:
        click.echo(f"wrote {path}")


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), help=DATA_HELP)
@click.option(
    "--template",
    "template_name",
    default="full",
    show_default=True,
    metavar="NAME|PATH",
    help="A template of templates/ (full, executive) or the path of your own .toml file.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("kpi_dashboard.xlsx"),
    show_default=True,
    help="The workbook to write (atomically; an existing file is kept unless --force).",
)
@click.option("--as-of", "as_of", metavar="YYYY-MM", help="Last month to report.")
@click.option(
    "--lang",
    type=click.Choice(["en", "ko"]),
    default="en",
    show_default=True,
    help="Language of labels, sheet names and definitions (templates/lang/).",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option(
    "--include-ledger", is_flag=True, help=f"Include the subscriptions ledger even above {DEFAULT_LEDGER_LIMIT:,} rows."
)
@export_options
def dashboard(
    data: Path | None,
    template_name: str,
    out: Path,
    as_of: str | None,
    lang: str,
    force: bool,
    include_ledger: bool,
    subscriptions: Path | None,
    source: str,
    mapping: Path | None,
    visitors: Path | None,
    costs: Path | None,
    accounts: Path | None,
    funnel: tuple[Path, ...],
) -> None:
    """Build the KPI dashboard workbook (plain Excel: formulas, charts, no add-in needed)."""
    try:
        options = BuildOptions(load_template(template_name), load_language(lang), include_ledger=include_ledger)
    except TemplateError as exc:
        fail([str(exc)])
    check_output(out, [data, subscriptions, mapping, visitors, costs, accounts, funnel, options.template.path])
    if out.exists() and not force:
        fail([f"{out} exists; use --force to replace it"])
    exports = exports_of(subscriptions, source, mapping, visitors, costs, accounts, funnel)
    company, report = load_report(data, as_of, exports)
    show = sys.stderr.isatty()
    with click.progressbar(
        length=len(PROGRESS_STEPS), label="Building the dashboard", file=sys.stderr, hidden=not show
    ) as bar:
        try:
            write_dashboard(company, report, out, options, force=force, progress=lambda _step: bar.update(1))
        except OutputExistsError as exc:
            fail([str(exc)])
        except OSError as exc:
            fail([f"{out}: cannot write ({exc.strerror or exc}); nothing was changed"])
    click.echo(
        f"wrote {out} ({len(report.monthly)} months, {report.as_of}, template {options.template.name}, language {lang})"
    )
    for warning in report.warnings:
        click.echo(terminal_text(f"warning: {warning}"), err=True)


@cli.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=Path("lite"),
    show_default=True,
    help="Folder to write main.py and requirements.txt into.",
)
@click.option("--force", is_flag=True, help="Replace files that exist.")
def lite(out: Path, force: bool) -> None:
    """Write main.py and requirements.txt for xlwings Lite (Excel on Mac, Windows and the web)."""
    try:
        written = write_lite(out, force=force)
    except OutputExistsError as exc:
        fail([str(exc)])
    except OSError as exc:
        fail([f"{out}: cannot write ({exc.strerror or exc})"])
    for path in written:
        click.echo(f"wrote {path}")
    click.echo("Paste main.py into the xlwings Lite editor and requirements.txt into its requirements tab.")


def main() -> None:
    cli(prog_name="kpi-addin")


if __name__ == "__main__":
    main()
