"""What every command does first: read the inputs (the bundled sample when none is given)
and compute the report.  Nothing here prints: notes go to ``say``, refusals are raised as
:class:`~kpi_addin.io.problems.CommandError`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from .io import InputError, sample_path
from .io.inputs import load_company
from .io.problems import CommandError
from .io.sources.crm import customers_check
from .metrics import CompanyData, KPIInputError, KPIReport, monthly_kpis


def load_report(
    data: Path | None,
    given: Mapping[str, object],
    exports: Mapping[str, object] | None = None,
    say: Callable[[str], None] = lambda _text: None,
) -> tuple[CompanyData, KPIReport]:
    """Read the inputs and compute every KPI; ``say`` hears each note on how the input was read.

    ``given``: the settings given on the command line (as_of, history_start, convention,
    period, language; None when not given); they win over the settings sheet."""
    exports = exports or {}
    source = data or exports.get("subscriptions") or sample_path()
    try:
        company, notes, warnings = load_company(data, given=given, **exports)  # type: ignore[arg-type]  # options are checked by click
    except InputError as exc:
        files = {p.file for p in exc.problems}
        where = f" in {files.pop()}" if len(files) == 1 else ""
        raise CommandError(
            [str(p) for p in exc.problems], f"{len(exc.problems)} problem(s){where}; nothing was computed."
        ) from None
    for note in notes:
        say(f"note: {note}")
    try:
        report = monthly_kpis(company)
    except KPIInputError as exc:
        raise CommandError([f"{source}: {exc}"]) from None
    # the reader refuses non-finite and implausibly large numbers, so this never fires; if it
    # did, a wrong figure must not be printed
    computed = report.monthly.to_numpy(dtype=float)
    ratios = [v for k, v in report.balance_sheet.items() if k != "period" and v is not None]
    if np.isinf(computed).any() or np.isinf(np.asarray(ratios, dtype=float)).any():
        raise CommandError(
            [f"{source}: a KPI is not finite (numbers too large for the arithmetic); check the input's magnitudes"]
        )
    # Notes say what was read (a layout detected, rows left out by rule); warnings say a
    # figure may mislead. They are kept apart so notes never push warnings off the Summary.
    report.notes = list(notes)
    report.warnings[:0] = warnings
    if company.crm_customers is not None:
        report.warnings += customers_check(company.crm_customers, report.monthly["new_customers"])
    return company, report
