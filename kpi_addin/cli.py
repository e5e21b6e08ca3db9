"""The ``kpi-addin`` command line: options, output formats (table, JSON, CSV) and error
reporting. The work is done by the readers (:mod:`kpi_addin.io`), the metric library and
the dashboard; nothing here computes a figure."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click
import numpy as np
import pandas as pd
from click.core import ParameterSource

from . import __version__

if TYPE_CHECKING:  # the dashboard is imported by its command only
    from .dashboard.builder import BuildOptions
from .formatting import format_unit, format_value, terminal_text, text_table
from .io import InputError, parse_month, sample_path, write_sample
from .io.inputs import load_company
from .io.safe_write import OutputExistsError
from .io.sources import SOURCES
from .io.sources.crm import customers_check
from .metrics import MONTHLY_KEYS, CompanyData, KPIInputError, KPIReport, monthly_kpis
from .metrics.conventions import CONVENTIONS
from .metrics.movements import report_movements
from .metrics.periods import PERIOD_KEYS, period_kpis
from .metrics.reconcile import Reconciliation
from .metrics.reconcile import reconcile as reconcile_figures
from .metrics.report import BALANCE_SHEET_KEYS
from .movements_output import movements_csv, movements_json, movements_table

AS_OF_HELP = (
    "Last month to report (default: settings as_of, else the last complete month by today's date, "
    "capped at the data's last month of activity). The current month is reported month-to-date."
)
#: The dashboard's ledger-sheet row limit, shown in --help.  Kept here so that ``metrics``
#: imports nothing of the dashboard (tests check it equals the builder's).
DEFAULT_LEDGER_LIMIT = 100_000
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


def as_of_option(value: str | None, option: str = "--as-of") -> pd.Period | None:
    if value is None:
        return None
    try:
        return parse_month(value, option)
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix(f"{option}: "), param_hint=option) from None


def load_report(
    data: Path | None,
    as_of: str | None,
    exports: dict[str, object] | None = None,
    history_start: str | None = None,
    convention: str | None = None,
) -> tuple[CompanyData, KPIReport]:
    """Read the inputs (the bundled sample when none is given) and compute every KPI.

    ``history_start`` and ``convention`` given on the command line win over the settings sheet."""
    exports = exports or {}
    source = data or exports.get("subscriptions") or sample_path()
    start = as_of_option(history_start, "--history-start")
    crm: dict = {}
    try:
        exports = {**exports, "crm_customers": crm}  # filled with the CRM's customers, checked below
        company, notes, warnings = load_company(data, as_of=as_of_option(as_of), **exports)  # type: ignore[arg-type]  # options are checked by click
    except InputError as exc:
        files = {p.file for p in exc.problems}
        where = f" in {files.pop()}" if len(files) == 1 else ""
        fail([str(p) for p in exc.problems], f"{len(exc.problems)} problem(s){where}; nothing was computed.")
    if start is not None:
        company.history_start = start
    if convention is not None:
        company.convention = convention
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


def reporting_options(command):
    """--history-start and --convention: where the reported history starts, how a month counts."""
    options = [
        click.option(
            "--history-start",
            "history_start",
            metavar="YYYY-MM",
            help="First month to report; MRR at the end of the month before is the opening balance "
            "(default: settings history_start, else the ledger's first month, shown as 'opening').",
        ),
        click.option(
            "--convention",
            type=click.Choice(CONVENTIONS),
            help="Count a subscription at the month end (default) or on the 1st (settings convention).",
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
@click.option("--as-of", "as_of", metavar="YYYY-MM", help=AS_OF_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.option("--months", default=6, show_default=True, help="Months shown by --format table (latest last).")
@click.option(
    "--period",
    type=click.Choice(["month", "quarter", "year"]),
    default="month",
    show_default=True,
    help="month: every monthly KPI; quarter or year: the MRR/ARR bridge, churn and retention of each period.",
)
@reporting_options
@export_options
def metrics(
    data: Path | None,
    as_of: str | None,
    fmt: str,
    months: int,
    period: str,
    history_start: str | None,
    convention: str | None,
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
    _company, report = load_report(data, as_of, exports, history_start, convention)
    if period != "month":
        click.echo(periods_output(report, period, fmt, months), nl=fmt == "table")
        return
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, allow_nan=False))
    elif fmt == "csv":
        click.echo(monthly_csv(report), nl=False)
    else:
        click.echo("\n".join(terminal_text(line) for line in metrics_table(report, months).split("\n")))


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), help=DATA_HELP)
@click.option("--from", "first", metavar="YYYY-MM", help="First month to list (default: the first reported month).")
@click.option("--to", "last", metavar="YYYY-MM", help="Last month to list: the reporting month, as --as-of of metrics.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="table", show_default=True)
@reporting_options
@export_options
def movements(
    data: Path | None,
    first: str | None,
    last: str | None,
    fmt: str,
    history_start: str | None,
    convention: str | None,
    subscriptions: Path | None,
    source: str,
    mapping: Path | None,
    visitors: Path | None,
    costs: Path | None,
    accounts: Path | None,
    funnel: tuple[Path, ...],
) -> None:
    """List every customer whose MRR moved, month by month: the customers behind the MRR bridge."""
    start = month_option(first, "--from")
    exports = exports_of(subscriptions, source, mapping, visitors, costs, accounts, funnel)
    company, report = load_report(data, last, exports, history_start, convention)
    start = max(start, report.monthly.index[0]) if start is not None else report.monthly.index[0]
    if start > report.as_of:
        raise click.BadParameter(f"{start} is after --to {report.as_of}", param_hint="--from")
    log = report_movements(report, company.subscriptions, start=start)
    currency = report.reporting_currency
    if fmt == "json":
        click.echo(movements_json(log, currency, start, report.as_of))
    elif fmt == "csv":
        click.echo(movements_csv(log), nl=False)
    else:
        click.echo(movements_table(log, currency, start, report.as_of, report.company))


def month_option(value: str | None, name: str) -> pd.Period | None:
    if value is None:
        return None
    try:
        return parse_month(value, name)
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix(f"{name}: "), param_hint=name) from None


def monthly_csv(report: KPIReport) -> str:
    """One row per month, the JSON keys as the header, blanks for undefined values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(MONTHLY_KEYS)
    for month in report.months_as_dicts():
        writer.writerow(["" if month[k] is None else month[k] for k in MONTHLY_KEYS])
    return buffer.getvalue()


def month_heading(report: KPIReport, period: object) -> str:
    """The month as a column heading: marked when it is the opening month or month-to-date."""
    if period == report.opening_month:
        return f"{period} (opening)"
    if report.month_to_date and period == report.as_of:
        return f"{period} (month to date)"
    return str(period)


def metrics_table(report: KPIReport, months: int) -> str:
    """KPIs as rows, the latest ``months`` months as columns, then the balance sheet and warnings."""
    shown = report.monthly.tail(max(1, months))
    currency = report.reporting_currency
    header = ["KPI", *[month_heading(report, p) for p in shown.index]]
    from .dashboard.template import load_language  # only the table needs the labels (templates/lang)

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
    if report.opening_month is not None:
        parts.append(
            f"opening: {report.opening_month} is the ledger's first month; its customers are the opening "
            "balance, so it has no movements of its own (set history_start to report from a later month)."
        )
    if report.month_to_date:
        parts.append(f"month to date: {report.as_of} is still running; its figures are not final.")
    return "\n".join(parts)


def periods_output(report: KPIReport, period: str, fmt: str, months: int) -> str:
    """``--period quarter|year``: one row (JSON object, CSV row, table column) per period."""
    table = period_kpis(report, period)
    records = []
    for label, row in table.iterrows():
        entry: dict[str, object] = {"period": label}
        for key in PERIOD_KEYS[1:]:
            value = row[key]
            if isinstance(value, str | bool) or value is None:
                entry[key] = value
            elif pd.isna(value):
                entry[key] = None
            elif key in ("months", "start_customers", "end_customers") or key.endswith("_customers"):
                entry[key] = int(value)
            else:
                entry[key] = float(value)
        records.append(entry)
    if fmt == "json":
        out = {
            "reporting_currency": report.reporting_currency,
            "as_of": str(report.as_of),
            "month_to_date": report.month_to_date,
            "period": period,
            "periods": records,
        }
        return json.dumps(out, indent=2, allow_nan=False) + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(PERIOD_KEYS)
        for entry in records:
            writer.writerow(["" if entry[k] is None else entry[k] for k in PERIOD_KEYS])
        return buffer.getvalue()
    shown = records[-max(1, months) :]
    currency = report.reporting_currency
    header = ["", *[str(e["period"]) + ("" if e["complete"] else " (part)") for e in shown]]
    rows = []
    for key in PERIOD_KEYS[3:]:
        if key == "complete":
            continue
        unit = "count" if key == "months" or key.endswith("customers") else "rate"
        unit = "money" if key.endswith(("_mrr", "_arr")) else unit
        rows.append([key, *[format_unit(unit, e[key], currency) for e in shown]])
    note = "(part): the period is cut by the report's first or last month, or holds the opening month."
    return "\n".join([f"{report.company or 'KPIs'} — by {period}, {currency}", "", text_table(header, rows), "", note])


@cli.command()
@click.option(
    "--against",
    type=click.Path(path_type=Path),
    required=True,
    help="Another tool's monthly figures: a CSV with a month column and any of our JSON keys (mrr, customers, ...).",
)
@click.option("--data", type=click.Path(path_type=Path), help=DATA_HELP)
@click.option("--as-of", "as_of", metavar="YYYY-MM", help=AS_OF_HELP)
@reporting_options
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@export_options
def reconcile(
    against: Path,
    data: Path | None,
    as_of: str | None,
    history_start: str | None,
    convention: str | None,
    fmt: str,
    subscriptions: Path | None,
    source: str,
    mapping: Path | None,
    visitors: Path | None,
    costs: Path | None,
    accounts: Path | None,
    funnel: tuple[Path, ...],
) -> None:
    """Explain, month by month, why another tool's MRR or movements differ from ours."""
    theirs = read_against(against)
    exports = exports_of(subscriptions, source, mapping, visitors, costs, accounts, funnel)
    company, _report = load_report(data, as_of, exports, history_start, convention)
    try:
        result = reconcile_figures(company, theirs)
    except KPIInputError as exc:
        fail([f"{against}: {exc}"])
    if result.table.empty:
        first, last = _report.monthly.index[0], _report.as_of
        fail([f"{against}: no month in the file is a month of our report ({first} to {last})"])
    table = result.table.reset_index()
    table["month"] = table["month"].astype(str)
    if fmt == "csv":
        click.echo(table.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    if fmt == "json":
        records = json.loads(table.to_json(orient="records"))
        moved = {str(m): {str(c): float(v) for c, v in s.items()} for m, s in result.moved.items() if len(s)}
        click.echo(json.dumps({"rows": records, "moved_customers": moved}, indent=2, allow_nan=False))
        return
    click.echo(reconcile_text(result, company.reporting_currency))
    outside = sorted({str(m) for m in theirs["month"]} - {str(m) for m in _report.monthly.index})
    if outside:
        shown = ", ".join(outside[:6]) + (f" and {len(outside) - 6} more" if len(outside) > 6 else "")
        click.echo(f"note: {len(outside)} month(s) of {against} are not in our report and were not compared: {shown}")


def read_against(path: Path) -> pd.DataFrame:
    """The other tool's CSV: ``month`` plus any of our monthly keys, as numbers (located errors)."""
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        fail([f"{path}: no such file"])
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        fail([f"{path}: cannot be read as CSV ({exc})"])
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    if "month" not in frame.columns:
        fail([f"{path}: no 'month' column (found: {', '.join(frame.columns) or 'none'})"])
    keys = [k for k in MONTHLY_KEYS[1:] if k in frame.columns]
    if not keys:
        fail([f"{path}: no column is one of our keys (e.g. mrr, customers, new_mrr, churned_mrr)"])
    problems = []
    months = []
    for row, text in enumerate(frame["month"], start=2):
        try:
            months.append(parse_month(text, "month"))
        except ValueError:
            problems.append(f"{path} row {row} (month): {text!r} is not a month (YYYY-MM)")
    out = pd.DataFrame({"month": months}) if not problems else pd.DataFrame()
    for key in keys:
        values = pd.to_numeric(frame[key].str.replace(",", "").str.strip(), errors="coerce")
        for row in frame.index[values.isna() & (frame[key].str.strip() != "")]:
            problems.append(f"{path} row {row + 2} ({key}): {frame.loc[row, key]!r} is not a number")
        if not problems:
            out[key] = values.to_numpy()
    if problems:
        fail(problems, f"{len(problems)} problem(s) in {path}; nothing was compared.")
    return out


def reconcile_text(result: Reconciliation, currency: str) -> str:
    """Each month's differences, the effects that explain them and the customers whose month moved."""
    names = {
        "convention": f"{result.other_convention} convention",
        "trials": "free trials counted as MRR",
        "fx": "every month at the latest FX rate",
        "sub_cent": "sub-cent changes left out",
    }
    lines = []
    for month in sorted(set(result.table.index.get_level_values("month"))):
        lines.append(str(month))
        rows = result.table.xs(month, level="month")
        for key, row in rows.iterrows():
            key = str(key)
            ours, theirs = format_value(key, row["ours"], currency), format_value(key, row["theirs"], currency)
            diff = format_value(key, row["difference"], currency)
            if pd.isna(row["difference"]):
                lines.append(f"  {key}: ours {ours}, theirs {theirs}: not comparable (undefined on one side)")
                continue
            if row["difference"] == 0:
                lines.append(f"  {key}: ours {ours}, theirs {theirs}: equal")
                continue
            lines.append(f"  {key}: ours {ours}, theirs {theirs}, difference {diff}")
            for effect in str(row["explained_by"]).split(", ") if row["explained_by"] else []:
                lines.append(f"    {names[effect]}: {format_value(key, row[effect], currency)}")
            status = "explained" if row["explained"] else "unexplained"
            lines.append(f"    {status}: {format_value(key, row['residual'], currency)} left")
        moved = result.moved.get(month)
        if moved is not None and len(moved):
            listed = ", ".join(f"{c} ({format_value('mrr', v, currency)})" for c, v in moved.head(8).items())
            more = f" and {len(moved) - 8} more" if len(moved) > 8 else ""
            lines.append(f"  counted in another month under {result.other_convention}: {listed}{more}")
    return "\n".join(lines)


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
@click.option("--as-of", "as_of", metavar="YYYY-MM", help=AS_OF_HELP)
@reporting_options
@click.option(
    "--lang",
    type=click.Choice(["en", "ko"]),
    default="en",
    show_default=True,
    help="Language of labels, sheet names and definitions (templates/lang/).",
)
@click.option("--force", is_flag=True, help="Replace the output file if it exists.")
@click.option(
    "--include-ledger",
    is_flag=True,
    help=f"Include the subscriptions ledger even above {DEFAULT_LEDGER_LIMIT:,} rows, or in a template "
    "without customer data (executive); and every month's customer movements.",
)
@click.option(
    "--movements-months",
    type=click.IntRange(min=1),
    default=12,
    show_default=True,
    metavar="N",
    help="Months of the customer movement log on the Movements sheet (all with --include-ledger).",
)
@click.option(
    "--update",
    type=click.Path(path_type=Path),
    metavar="LAST.xlsx",
    help="Refresh last month's dashboard: carry what people typed in it into the new build "
    "(written beside LAST with the new month in its name unless --out is given; never over LAST).",
)
@click.option(
    "--pdf",
    "pdf",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="[PATH]",
    help="Also write the board pack (the template's report sheets) as PDF, through LibreOffice; "
    "PATH defaults to the workbook's name with .pdf.",
)
@export_options
def dashboard(
    data: Path | None,
    template_name: str,
    out: Path,
    as_of: str | None,
    history_start: str | None,
    convention: str | None,
    lang: str,
    force: bool,
    include_ledger: bool,
    movements_months: int,
    update: Path | None,
    pdf: str | None,
    subscriptions: Path | None,
    source: str,
    mapping: Path | None,
    visitors: Path | None,
    costs: Path | None,
    accounts: Path | None,
    funnel: tuple[Path, ...],
) -> None:
    """Build the KPI dashboard workbook (plain Excel: formulas, charts, no add-in needed)."""
    # Imported here: the dashboard (openpyxl) is heavy and the other commands do not need it.
    from .dashboard.builder import BuildOptions
    from .dashboard.pdf import PdfError, require_soffice
    from .dashboard.sheets import PROGRESS_STEPS
    from .dashboard.template import TemplateError, load_language, load_template
    from .dashboard.typed import unplaced
    from .dashboard.writer import write_dashboard

    pdf_path = None if pdf is None else Path(pdf) if pdf else out.with_suffix(".pdf")
    try:
        options = BuildOptions(
            load_template(template_name),
            load_language(lang),
            include_ledger=include_ledger,
            movements_months=movements_months,
        )
    except TemplateError as exc:
        fail([str(exc)])
    inputs: list[object] = [data, subscriptions, mapping, visitors, costs, accounts, funnel, update]
    inputs.append(options.template.path)
    for path in (out if update is None else None, pdf_path):
        if path is not None:
            check_output(path, inputs)
    out_given = click.get_current_context().get_parameter_source("out") is not ParameterSource.DEFAULT
    for path in (out if update is None else None, pdf_path if update is None or pdf else None):
        if path is not None and path.exists() and not force:
            fail([f"{path} exists; use --force to replace it"])
    if pdf_path is not None:
        try:
            require_soffice()  # before any work: say what to install
        except PdfError as exc:
            fail([str(exc)])
    exports = exports_of(subscriptions, source, mapping, visitors, costs, accounts, funnel)
    company, report = load_report(data, as_of, exports, history_start, convention)
    if update is not None:
        out = prepare_update(update, out if out_given else None, report.as_of, options)
        check_output(out, inputs)
        if pdf == "":  # --pdf without a path: beside the refreshed workbook
            pdf_path = out.with_suffix(".pdf")
    show = sys.stderr.isatty()
    steps = len(PROGRESS_STEPS) + (pdf_path is not None)
    with click.progressbar(length=steps, label="Building the dashboard", file=sys.stderr, hidden=not show) as bar:
        try:
            write_dashboard(
                company, report, out, options, force=force, progress=lambda _step: bar.update(1), pdf=pdf_path
            )
        except OutputExistsError as exc:
            fail([str(exc)])
        except PdfError as exc:
            fail([f"{pdf_path}: {exc}; nothing was changed"])
        except OSError as exc:
            fail([f"{out}: cannot write ({exc.strerror or exc}); nothing was changed"])
    click.echo(
        f"wrote {out} ({len(report.monthly)} months, {report.as_of}, template {options.template.name}, language {lang})"
    )
    if pdf_path is not None:
        sheets = ", ".join(options.language.sheets[s] for s in options.template.sheets)
        click.echo(f"wrote {pdf_path} (the board pack: {sheets})")
    for warning in report.warnings:
        click.echo(terminal_text(f"warning: {warning}"), err=True)
    if options.carried is not None:
        carried = options.carried
        notes = sum(len(g.notes) for g in carried.goals) + len(carried.comment_notes)
        click.echo(
            f"carried over from {update}: {len(carried.goals)} goals, "
            f"{len(carried.comments)} commentary cells, {notes} notes"
        )
        for item in unplaced(carried, options.template.summary_kpis):
            click.echo(terminal_text(f"warning: {update}: {item.warning()}"), err=True)


def prepare_update(last: Path, out: Path | None, as_of: pd.Period, options: BuildOptions) -> Path:
    """Read what was typed into ``last`` into ``options``; the file to write (never ``last``)."""
    from .dashboard.template import LANGUAGES, load_language
    from .dashboard.update import UpdateError, default_output, read_last

    try:
        carried = read_last(last, [load_language(code) for code in LANGUAGES])
    except UpdateError as exc:
        fail([str(exc)])
    options.carried = carried
    target = out or default_output(last, carried.as_of, as_of)
    if target.resolve() == last.resolve():
        fail([f"{target} would replace {last}: the refresh never writes over last month's file; give another --out"])
    return target


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
    from .excel.lite import write_lite

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
