"""The command line's options shared by its commands, and their help texts."""

from __future__ import annotations

from pathlib import Path

import click

from .io.database import DatabaseError
from .io.database_options import database_of
from .io.sources import RULES, SOURCES
from .metrics.conventions import CONVENTIONS
from .metrics.settings import LANGUAGES

AS_OF_HELP = (
    "Last month to report (default: settings as_of, else the last complete month by today's date, "
    "capped at the data's last month of activity). The current month is reported month-to-date."
)
#: The dashboard's ledger-sheet row limit, shown in --help.  Kept here so that ``metrics``
#: imports nothing of the dashboard (tests check it equals the builder's).
DEFAULT_LEDGER_LIMIT = 100_000
DATA_HELP = "Input: an .xlsx workbook, a folder of CSV files or a subscriptions CSV. Default: the bundled sample."


def export_options(command):
    """--subscriptions, --source, --map, --visitors, --costs, --cash, --accounts and --funnel:
    read the exports finance already has."""
    options = [
        click.option(
            "--subscriptions",
            "subscriptions",
            type=click.Path(path_type=Path),
            help="A billing system's subscriptions export (CSV); replaces the input's subscriptions.",
        ),
        click.option(
            "--source",
            type=click.Choice([*SOURCES, "fivetran-stripe"]),
            default="auto",
            show_default=True,
            help="The layout of --subscriptions (auto recognises it from the header row); fivetran-stripe: "
            "Stripe as Fivetran syncs it, read from --db in --schema.",
        ),
        click.option(
            "--map",
            "mapping",
            type=click.Path(path_type=Path),
            help="A mapping file (TOML) for any other subscriptions CSV.",
        ),
        click.option(
            "--stripe-coupons",
            "stripe_coupons",
            type=click.Choice(RULES["stripe_coupons"]),
            default=RULES["stripe_coupons"][0],
            show_default=True,
            help="Stripe invoices: billed (what was billed: a once or repeating coupon lowers MRR while it "
            "applies) or forever-only (Stripe's MRR: only a forever coupon does; needs a Coupon Duration column).",
        ),
        click.option(
            "--stripe-cancel",
            "stripe_cancel",
            type=click.Choice(RULES["stripe_cancel"]),
            default=RULES["stripe_cancel"][0],
            show_default=True,
            help="Stripe subscriptions: a cancellation counts at-period-end (when the paid period ends) or "
            "immediately (Stripe's MRR: when it was scheduled, Canceled At).",
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
            "--cash",
            type=click.Path(path_type=Path),
            help="A Balance Sheet by month (QuickBooks Online or Xero; CSV or xlsx): cash at month end.",
        ),
        click.option(
            "--accounts",
            type=click.Path(path_type=Path),
            help="The TOML map of P&L accounts to cost columns (and of bank accounts to cash).",
        ),
        click.option(
            "--funnel",
            type=click.Path(path_type=Path),
            multiple=True,
            help="A CRM export (HubSpot contacts, Salesforce leads or opportunities report); may be repeated.",
        ),
        click.option(
            "--db",
            metavar="URL|env:VAR",
            help="Read from a database: duckdb:///file.duckdb, postgresql://, sqlite:///, snowflake://, bigquery://; "
            "a URL with a password only as env:VARIABLE (docs/databases.md).",
        ),
        click.option(
            "--table",
            "tables",
            multiple=True,
            metavar="SHEET=TABLE",
            help="A sheet read from a table of --db, e.g. subscriptions=billing.subs; may be repeated.",
        ),
        click.option(
            "--query",
            "queries",
            multiple=True,
            metavar="SHEET=FILE.sql",
            help="A sheet read from the result of your own query on --db; may be repeated.",
        ),
        click.option(
            "--schema", metavar="NAME", help="The schema Fivetran syncs Stripe into (--source fivetran-stripe)."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def reporting_options(command):
    """--history-start, --convention and --data-through: where the reported history starts, how
    a month counts, up to which month the data is known."""
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
        click.option(
            "--data-through",
            "data_through",
            metavar="YYYY-MM",
            help="The last month the data is known through (default: settings data_through, else the month "
            "of the latest date in the inputs); a later --as-of is refused (use forecast).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def engine_option(command):
    """--engine local|database: where the subscription figures are computed."""
    return click.option(
        "--engine",
        type=click.Choice(["local", "database"]),
        default="local",
        show_default=True,
        help="database: MRR, the bridge, customer counts and cohorts computed inside --db by SQL; "
        "only the monthly figures leave it (docs/databases.md).",
    )(command)


PLAN_SCENARIO_HELP = (
    "The plan scenario to compare with (a name in the plan sheet's scenario column; "
    "default: settings plan_scenario, else the plan's first)."
)


def plan_options(command):
    """--plan-scenario: which of the plan sheet's scenarios the actuals are compared with."""
    return click.option("--plan-scenario", "plan_scenario", metavar="NAME", help=PLAN_SCENARIO_HELP)(command)


def forecast_options(command):
    """The forecast command's own options: how many months, which scenario, which format."""
    from .metrics.forecast import SCENARIOS

    options = [
        click.option(
            "--as-of",
            "as_of",
            metavar="YYYY-MM",
            help="The last actual month, forecast from (default: as for metrics, the last month reported).",
        ),
        click.option(
            "--months",
            type=click.IntRange(1, 120),
            default=12,
            show_default=True,
            metavar="N",
            help="Months to forecast after the last actual month.",
        ),
        click.option(
            "--scenario",
            type=click.Choice(SCENARIOS),
            default="base",
            show_default=True,
            help="base: the drivers' trailing 6-month means; low/high: each driver moved by one standard "
            "deviation of its trailing months, against or in favour of MRR.",
        ),
        click.option(
            "--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True
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
    db: str | None = None,
    tables: tuple[str, ...] = (),
    queries: tuple[str, ...] = (),
    schema: str | None = None,
    engine: str = "local",
    cash: Path | None = None,
    stripe_coupons: str = RULES["stripe_coupons"][0],
    stripe_cancel: str = RULES["stripe_cancel"][0],
) -> dict:
    fivetran = source == "fivetran-stripe"
    if fivetran and (db is None or subscriptions is not None):
        raise click.UsageError("--source fivetran-stripe reads --db URL --schema NAME (not --subscriptions FILE)")
    if schema is not None and not fivetran:
        raise click.UsageError("--schema names the Fivetran Stripe schema: give --source fivetran-stripe too")
    if (source != "auto" or mapping) and subscriptions is None and not fivetran:
        raise click.UsageError("--source and --map describe --subscriptions FILE; give that file too")
    rules = {"stripe_coupons": stripe_coupons, "stripe_cancel": stripe_cancel}
    if subscriptions is None and any(rules[k] != RULES[k][0] for k in rules):
        raise click.UsageError("--stripe-coupons and --stripe-cancel describe --subscriptions FILE; give that file too")
    if (costs is None) != (accounts is None):
        raise click.UsageError("--costs FILE and --accounts MAP.toml go together: give both")
    try:
        database = database_of(db, tables, queries, fivetran_schema=(schema or "stripe") if fivetran else None)
    except (ValueError, DatabaseError) as exc:
        raise click.UsageError(str(exc)) from None
    if cash is not None and accounts is None:
        raise click.UsageError("--cash FILE needs --accounts MAP.toml to say which accounts are cash")
    return {
        "database": database,
        "engine": engine,
        "subscriptions": subscriptions,
        "source": "auto" if fivetran else source,
        "mapping": mapping,
        "rules": rules,
        "visitors": visitors,
        "costs": costs,
        "accounts": accounts,
        "funnel": funnel,
        "cash": cash,
    }


DASHBOARD_BY_HELP = (
    "The Segments sheet and pack page by this column of the subscriptions or the customers sheet (plan, "
    "currency, country, ...) instead of the template's segments list. Repeat for combinations."
)


def dashboard_options(command):
    """The dashboard command's own options: template, output, language, ledger, refresh, PDF."""
    options = [
        click.option(
            "--template",
            "template_name",
            default="full",
            show_default=True,
            metavar="NAME|PATH",
            help="A template of templates/ (full, executive) or the path of your own .toml file.",
        ),
        click.option(
            "--out",
            type=click.Path(path_type=Path),
            default=Path("kpi_dashboard.xlsx"),
            show_default=True,
            help="The workbook to write (atomically; an existing file is kept unless --force).",
        ),
        click.option("--as-of", "as_of", metavar="YYYY-MM", help=AS_OF_HELP),
        reporting_options,
        plan_options,
        click.option("--by", "by", multiple=True, metavar="COLUMN", help=DASHBOARD_BY_HELP),
        click.option(
            "--lang",
            type=click.Choice(LANGUAGES),
            default="en",
            show_default=True,
            help="Language of labels, sheet names and definitions (templates/lang/).",
        ),
        click.option("--force", is_flag=True, help="Replace the output file if it exists."),
        click.option(
            "--include-ledger",
            is_flag=True,
            help=f"Include the subscriptions ledger even above {DEFAULT_LEDGER_LIMIT:,} rows, or in a template "
            "without customer data (executive); and every month's customer movements.",
        ),
        click.option(
            "--movements-months",
            type=click.IntRange(min=1),
            default=12,
            show_default=True,
            metavar="N",
            help="Months of the customer movement log on the Movements sheet (all with --include-ledger).",
        ),
        click.option(
            "--update",
            type=click.Path(path_type=Path),
            metavar="LAST.xlsx",
            help="Refresh last month's dashboard: carry what people typed in it into the new build "
            "(written beside LAST with the new month in its name unless --out is given; never over LAST).",
        ),
        click.option(
            "--force-carry",
            is_flag=True,
            help="With --update: carry LAST's targets and commentary even though it was built for another "
            "company or reporting currency (each carried value is listed).",
        ),
        click.option(
            "--pdf",
            "pdf",
            is_flag=False,
            flag_value="",
            default=None,
            metavar="[PATH]",
            help="Also write the board pack (the template's report sheets) as PDF, through LibreOffice; "
            "PATH defaults to the workbook's name with .pdf.",
        ),
        export_options,
    ]
    for option in reversed(options):
        command = option(command)
    return command


BY_HELP = (
    "Also by segment: a column of the subscriptions (plan, currency, or any other) or of the customers "
    "sheet (country, channel, ...). Repeat for combinations: --by plan --by country."
)


#: ``--by COLUMN`` (repeatable) of ``metrics`` and ``movements``.
by_option = click.option("--by", "by", multiple=True, metavar="COLUMN", help=BY_HELP)
