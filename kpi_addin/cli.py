"""The ``kpi-addin`` command line: it parses the options and delegates.  Reading and
computing is :mod:`kpi_addin.pipeline`; each command's output is formatted beside it
(:mod:`kpi_addin.metrics_output`, :mod:`kpi_addin.movements_output`,
:mod:`kpi_addin.reconcile_output`, :mod:`kpi_addin.dashboard.command`); nothing here
computes a figure."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Any, NoReturn

import click
import pandas as pd
from click.core import ParameterSource

from . import __version__
from .cli_options import (
    AS_OF_HELP,
    DATA_HELP,
    by_option,
    dashboard_options,
    engine_option,
    export_options,
    exports_of,
    forecast_options,
    plan_options,
    reporting_options,
)
from .formatting import console_safe, run_console, terminal_text
from .io import parse_month, write_sample
from .io.problems import CommandError
from .io.safe_write import OutputExistsError, failed_path, private_temp
from .metrics import CompanyData, KPIReport
from .pipeline import load_report as pipeline_report


def fail(lines: list[str], summary: str | None = None) -> NoReturn:
    """Print the problems to stderr and exit with status 1 (no traceback)."""
    for line in lines:
        click.echo(terminal_text(f"error: {line}"), err=True)
    if summary:
        click.echo(terminal_text(summary), err=True)
    raise SystemExit(1)


def refusals(command: Callable[..., None]) -> Callable[..., None]:
    """A command whose refusals (:class:`CommandError`) are printed by :func:`fail`."""

    @wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except CommandError as exc:
            fail(exc.lines, exc.summary)

    return run


def written(write: Callable[[], list[Path]], out: Path) -> None:
    """Write files (never over existing ones unless forced) and say which."""
    try:
        paths = write()
    except OutputExistsError as exc:
        fail([str(exc)])
    except OSError as exc:
        fail([f"{failed_path(exc, out)}: cannot write ({exc.strerror or exc})"])
    for path in paths:
        click.echo(f"wrote {path}")


def month_option(value: str | None, option: str = "--as-of") -> pd.Period | None:
    if value is None:
        return None
    try:
        return parse_month(value, option)
    except ValueError as exc:
        raise click.BadParameter(str(exc).removeprefix(f"{option}: "), param_hint=option) from None


def say_note(text: str) -> None:
    click.echo(terminal_text(text), err=True)


def load_report(
    data: Path | None,
    as_of: str | None,
    exports: dict[str, object],
    history_start: str | None,
    convention: str | None,
    **given: object,
) -> tuple[CompanyData, KPIReport]:
    """The options' months parsed, the inputs read (the settings given here win over the
    settings sheet) and every KPI computed."""
    start = month_option(history_start, "--history-start")
    through = month_option(given.pop("data_through", None), "--data-through")  # type: ignore[arg-type]  # click gives text
    given.update(as_of=month_option(as_of), history_start=start, convention=convention, data_through=through)
    return pipeline_report(data, given, exports, say=say_note)


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
@by_option
@reporting_options
@plan_options
@export_options
@engine_option
@refusals
def metrics(
    data: Path | None,
    as_of: str | None,
    fmt: str,
    months: int,
    period: str,
    by: tuple[str, ...],
    history_start: str | None,
    convention: str | None,
    data_through: str | None,
    plan_scenario: str | None,
    **exports: Any,
) -> None:
    """Compute every monthly KPI and print it as a table, JSON or CSV."""
    from .segments_output import metrics_by_text

    given = {"period": period, "plan_scenario": plan_scenario, "data_through": data_through}
    company, report = load_report(data, as_of, exports_of(**exports), history_start, convention, **given)
    click.echo(metrics_by_text(company, report, by, fmt, months), nl=False)


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), help=DATA_HELP)
@forecast_options
@reporting_options
@plan_options
@export_options
@refusals
def forecast(data: Path | None, as_of: str | None, months: int, scenario: str, fmt: str, **options: Any) -> None:
    """Forecast MRR: what the ledger already commits, and a projection from trailing drivers."""
    from .forecast_output import forecast_text

    given = {k: options.pop(k) for k in ("history_start", "convention", "plan_scenario", "data_through")}
    company, report = load_report(data, as_of, exports_of(**options), **given)
    click.echo(forecast_text(company, report, months, scenario, fmt), nl=False)


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), help=DATA_HELP)
@click.option("--from", "first", metavar="YYYY-MM", help="First month to list (default: the first reported month).")
@click.option("--to", "last", metavar="YYYY-MM", help="Last month to list: the reporting month, as --as-of of metrics.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "table"]), default="table", show_default=True)
@by_option
@reporting_options
@export_options
@refusals
def movements(
    data: Path | None,
    first: str | None,
    last: str | None,
    fmt: str,
    by: tuple[str, ...],
    **exports: Any,
) -> None:
    """List every customer whose MRR moved, month by month: the customers behind the MRR bridge."""
    from .segments_output import movements_by_text

    start = month_option(first, "--from")
    given = {k: exports.pop(k) for k in ("history_start", "convention", "data_through")}
    company, report = load_report(data, last, exports_of(**exports), **given)
    start = max(start, report.monthly.index[0]) if start is not None else report.monthly.index[0]
    if start > report.as_of:
        raise click.BadParameter(f"{start} is after --to {report.as_of}", param_hint="--from")
    click.echo(movements_by_text(company, report, by, start, fmt), nl=False)


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
@refusals
def reconcile(
    against: Path,
    data: Path | None,
    as_of: str | None,
    fmt: str,
    **exports: Any,
) -> None:
    """Explain, month by month, why another tool's MRR or movements differ from ours."""
    from .io.against import read_against
    from .reconcile_output import reconcile_output

    theirs, read_notes = read_against(against)
    for note in read_notes:
        say_note(note)
    given = {k: exports.pop(k) for k in ("history_start", "convention", "data_through")}
    company, report = load_report(data, as_of, exports_of(**exports), **given)
    click.echo(reconcile_output(company, report, theirs, against, fmt), nl=False)


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
    written(lambda: write_sample(out, fmt=fmt, force=force), out)


@cli.command()
@click.option("--data", type=click.Path(path_type=Path), help=DATA_HELP)
@dashboard_options
@refusals
def dashboard(data: Path | None, template_name: str, out: Path, as_of: str | None, **o: Any) -> None:
    """Build the KPI dashboard workbook (plain Excel: formulas, charts, no add-in needed)."""
    # Imported here: the dashboard (openpyxl) is heavy and the other commands do not need it.
    from .dashboard.command import DashboardRequest, run_dashboard

    given = {k: o.pop(k) for k in ("history_start", "convention", "plan_scenario", "data_through")}
    given["language"] = o.pop("lang")
    out_given = click.get_current_context().get_parameter_source("out") is not ParameterSource.DEFAULT
    flags = [o.pop(k) for k in ("force", "include_ledger", "movements_months", "update", "pdf")]
    files = [data, *(o[k] for k in ("subscriptions", "mapping", "visitors", "costs", "cash", "accounts", "funnel"))]
    carry_by = [o.pop(k) for k in ("force_carry", "by")]
    request = DashboardRequest(template_name, out, out_given, *flags, [*files, flags[3]], *carry_by)  # type: ignore[call-arg]  # the five flags in the request's order
    run_dashboard(
        request,
        lambda: load_report(data, as_of, exports_of(**o), **given),
        progress_bar,
        lambda text, warning: click.echo(terminal_text(text) if warning else text, err=warning),
    )


@contextmanager
def progress_bar(steps: int) -> Iterator[Callable[[], None]]:
    """The dashboard's progress on stderr, when that is a terminal."""
    show = sys.stderr.isatty()
    with click.progressbar(length=steps, label="Building the dashboard", file=sys.stderr, hidden=not show) as bar:
        yield lambda: bar.update(1)


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

    written(lambda: write_lite(out, force=force), out)
    click.echo("Paste main.py into the xlwings Lite editor and requirements.txt into its requirements tab.")


def main() -> None:
    console_safe(sys.stdout, sys.stderr)
    with private_temp():
        run_console(lambda: cli(prog_name="kpi-addin"))


if __name__ == "__main__":
    main()
