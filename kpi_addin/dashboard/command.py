"""``kpi-addin dashboard``: the one entry point the command line calls.

It checks the template, the outputs and LibreOffice before any work, reads the inputs
(through the ``load`` it is given), carries last month's typed entries over (``--update``),
writes the workbook (and the board pack) and says what it wrote.  Refusals are raised as
:class:`~kpi_addin.io.problems.CommandError`; nothing here prints but through ``say``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from ..io.problems import CommandError
from ..io.safe_write import OutputExistsError, check_output, failed_path
from ..lang import LANGUAGES, TemplateError, load_language
from ..metrics import CompanyData, KPIReport
from ..metrics.segments import attribute_columns
from .builder import BuildOptions
from .pdf import PdfError, require_soffice
from .sheets import PROGRESS_STEPS
from .template import load_template
from .typed import company_mark, mark_carried_comments, unplaced
from .update import UpdateError, carry_plan, default_output, read_last
from .writer import write_dashboard


@dataclass(frozen=True)
class DashboardRequest:
    """The dashboard command's options, as given."""

    template_name: str
    out: Path
    out_given: bool  # --out given on the command line (else the default name)
    force: bool
    include_ledger: bool
    movements_months: int
    update: Path | None
    pdf: str | None  # None: no PDF; "": beside the workbook; else its path
    inputs: list[object]  # every input path: the outputs must not overwrite one
    force_carry: bool = False  # --force-carry: carry LAST of another company or currency
    by: tuple[str, ...] = ()  # --by: the Segments sheet's attributes (else the template's)


def run_dashboard(
    request: DashboardRequest,
    load: Callable[[], tuple[CompanyData, KPIReport]],
    progress: Callable[[int], AbstractContextManager[Callable[[], None]]],
    say: Callable[[str, bool], None],
) -> None:
    """Build the dashboard workbook ``request`` asks for.

    ``load`` reads the inputs and computes the report (its settings say the language);
    ``progress(steps)`` gives a step callback; ``say(text, is_warning)`` prints a line."""
    out, pdf, update, force = request.out, request.pdf, request.update, request.force
    pdf_path = None if pdf is None else Path(pdf) if pdf else out.with_suffix(".pdf")
    try:
        template = load_template(request.template_name)
    except TemplateError as exc:
        raise CommandError([str(exc)]) from None
    inputs = [*request.inputs, template.path]
    for path in (out if update is None else None, pdf_path):
        if path is not None:
            check_output(path, inputs)
    for path in (out if update is None else None, pdf_path if update is None or pdf else None):
        if path is not None and path.exists() and not force:
            raise CommandError([f"{path} exists; use --force to replace it"])
    if pdf_path is not None:
        try:
            require_soffice()  # before any work: say what to install
        except PdfError as exc:
            raise CommandError([str(exc)]) from None
    company, report = load()
    try:
        language = load_language(report.settings.language)
    except TemplateError as exc:
        raise CommandError([str(exc)]) from None
    by = tuple(dict.fromkeys(request.by))
    attributes = attribute_columns(report.ledger)
    for column in by:
        if column not in attributes:
            known = ", ".join(attributes) or "none"
            raise CommandError([f"--by {column}: no such column in the subscriptions or customers (columns: {known})"])
    options = BuildOptions(
        template, language, include_ledger=request.include_ledger, movements_months=request.movements_months, by=by
    )
    if update is not None:
        out = prepare_update(update, out if request.out_given else None, report, options, request.force_carry)
        check_output(out, inputs)
        typed = options.carried.plan if options.carried is not None else None
        if typed is not None:
            company.plan = carry_plan(company.plan, typed, company.plan_scenario)
        if pdf == "":  # --pdf without a path: beside the refreshed workbook
            pdf_path = out.with_suffix(".pdf")
    steps = len(PROGRESS_STEPS) + (pdf_path is not None)
    with progress(steps) as step:
        try:
            written = write_dashboard(
                company, report, out, options, force=force, progress=lambda _step: step(), pdf=pdf_path
            )
        except OutputExistsError as exc:
            raise CommandError([str(exc)]) from None
        except PdfError as exc:
            raise CommandError([f"{pdf_path}: {exc}; nothing was changed"]) from None
        except OSError as exc:
            where = failed_path(exc, out)
            raise CommandError([f"{where}: cannot write ({exc.strerror or exc}); nothing was changed"]) from None
    say(
        f"wrote {out} ({len(report.monthly)} months, {report.as_of}, template {options.template.name}, "
        f"language {report.settings.language})",
        False,
    )
    if pdf_path is not None:
        say(f"wrote {pdf_path} (the board pack, {len(written.printed)} pages: {', '.join(written.printed)})", False)
    for warning in report.warnings:
        say(f"warning: {warning}", True)
    if options.carried is not None:
        carried = options.carried
        notes = sum(len(g.notes) for g in carried.goals) + len(carried.comment_notes)
        say(
            f"carried over from {update}: {len(carried.goals)} goals, "
            f"{len(carried.comments)} commentary cells, {notes} notes"
            + (f", {len(carried.plan)} plan values" if carried.plan is not None else ""),
            False,
        )
        if request.force_carry:  # carried across companies or currencies: say exactly what
            for goal in carried.goals:
                due = f", due {goal.due:%Y-%m}" if goal.due is not None else ""
                say(f"carried: goal {goal.kpi} target {goal.target:g} ({goal.direction}{due})", False)
            for key in carried.comments:
                say(f"carried: commentary on {key}", False)
        for item in unplaced(carried, options.template.summary_kpis):
            say(f"warning: {update}: {item.warning()}", True)


def prepare_update(
    last: Path, out: Path | None, report: KPIReport, options: BuildOptions, force_carry: bool = False
) -> Path:
    """Read what was typed into ``last`` into ``options``; the file to write (never ``last``).

    LAST of another company or reporting currency is refused (777 EUR must not become 777
    USD) unless ``force_carry``."""
    try:
        carried = read_last(last, [load_language(code) for code in LANGUAGES])
    except UpdateError as exc:
        raise CommandError([str(exc)], f"{last} (--update) cannot be refreshed.") from None
    differs = []
    if carried.currency is not None and carried.currency != report.reporting_currency:
        differs.append(f"reporting currency {carried.currency}, not {report.reporting_currency}")
    if carried.company and report.company and carried.company != company_mark(report.company):
        differs.append(f"company {carried.company!r}, not {report.company!r}")
    if differs and not force_carry:
        raise CommandError(
            [
                f"{last} was built for {' and '.join(differs)}: its targets and commentary would be carried "
                "into another board; give --force-carry to carry them anyway (each is then listed)"
            ]
        )
    mark_carried_comments(carried, report.as_of)
    options.carried = carried
    as_of = report.as_of
    target = out or default_output(last, carried.as_of, as_of)
    if target.resolve() == last.resolve():
        raise CommandError(
            [f"{target} would replace {last}: the refresh never writes over last month's file; give another --out"]
        )
    return target
