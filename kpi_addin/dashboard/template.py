"""Dashboard templates (``templates/*.toml``); the language files are :mod:`kpi_addin.lang`.

Finance users edit these without Python: which report sheets show, which KPIs and
charts the Summary holds and in which order, and default targets.  A broken file is a
:class:`~kpi_addin.lang.TemplateError` naming the file, the line or key, and the problem.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from pathlib import Path

from ..lang import TemplateError, read_toml, templates_dir
from ..metrics.catalogue import KPI_KEYS

REPORT_SHEETS = (
    "summary",
    "revenue",
    "customers",
    "segments",
    "funnel",
    "unit_economics",
    "nps",
    "balance_sheet",
    "goals",
    "definitions",
)
#: The board pack's printed pages, in print order (each one landscape page; see sheets/page.py).
PACK_PAGES = (
    "pack_overview",
    "pack_scorecard",
    "pack_revenue",
    "pack_retention",
    "pack_segments",
    "pack_unit_economics",
    "pack_funnel",
    "pack_cash",
    "pack_plan",
    "pack_forecast",
    "pack_cohorts",
    "pack_goals",
)
CHARTS = (
    "mrr_trend",
    "mrr_movements",
    "customers_churn",
    "funnel",
    "nps_split",
    "nps_trend",
    "unit_economics",
    "arr_bridge",
)
TEMPLATE_KEYS = {
    "name",
    "description",
    "sheets",
    "pack",
    "show_supporting_sheets",
    "customer_data",
    "segments",
    "summary",
    "targets",
}


@dataclass(frozen=True)
class Template:
    name: str
    path: Path
    sheets: tuple[str, ...]
    show_supporting_sheets: bool
    summary_kpis: tuple[str, ...]
    summary_charts: tuple[str, ...]
    targets: dict[str, tuple[float, str]]
    #: whether customer-level data (the subscriptions ledger, NPS respondents) goes in the file
    customer_data: bool = True
    #: the board pack's pages (what ``--pdf`` prints), in order
    pack: tuple[str, ...] = PACK_PAGES
    #: the attributes the Segments sheet and page are by (``segments = ["plan"]``); ``--by`` replaces them
    segments: tuple[str, ...] = ()


def _names(path: Path, where: str, values: object, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise TemplateError(path, where, "must be a list of names in quotes")
    for i, value in enumerate(values):
        if value not in allowed:
            raise TemplateError(path, f"{where}[{i}]", f"unknown name {value!r} (known: {', '.join(allowed)})")
    if len(set(values)) != len(values):
        raise TemplateError(path, where, "names a thing twice")
    return tuple(values)


def load_template(name_or_path: str) -> Template:
    """A template by name (``full``, ``executive``) or by the path of a ``.toml`` file."""
    candidate = Path(name_or_path)
    try:
        given = candidate.suffix.lower() == ".toml" or candidate.exists()
    except OSError as exc:  # a name too long
        raise TemplateError(name_or_path[:80], "", f"cannot be opened ({exc.strerror or exc})") from None
    if given:
        path = candidate
    else:
        path = templates_dir() / f"{name_or_path}.toml"
        if not path.exists():
            known = ", ".join(sorted(p.stem for p in templates_dir().glob("*.toml")))
            raise TemplateError(name_or_path, "", f"no such template (known: {known}; or give a path to a .toml file)")
    data = read_toml(path)
    for key in data:
        if key not in TEMPLATE_KEYS:
            close = difflib.get_close_matches(key, sorted(TEMPLATE_KEYS), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise TemplateError(path, key, f"unknown key (known: {', '.join(sorted(TEMPLATE_KEYS))}){hint}")
    for key in ("name", "description"):
        if key in data and not isinstance(data[key], str):
            raise TemplateError(path, key, f"must be text in quotes, got {data[key]!r}")
    if not isinstance(data.get("targets", {}), dict):
        raise TemplateError(path, "targets", "must be a table ([targets.<kpi>])")
    sheets = _names(path, "sheets", data.get("sheets", list(REPORT_SHEETS)), REPORT_SHEETS)
    if "summary" not in sheets:
        raise TemplateError(path, "sheets", "must include 'summary'")
    pack = _names(path, "pack", data.get("pack", list(PACK_PAGES)), PACK_PAGES)
    if not pack:
        raise TemplateError(path, "pack", "must name at least one page")
    show = data.get("show_supporting_sheets", True)
    if not isinstance(show, bool):
        raise TemplateError(path, "show_supporting_sheets", "must be true or false")
    customer_data = data.get("customer_data", True)
    if not isinstance(customer_data, bool):
        raise TemplateError(path, "customer_data", "must be true or false")
    segments = data.get("segments", [])
    if not isinstance(segments, list) or not all(isinstance(v, str) and v.strip() for v in segments):
        raise TemplateError(path, "segments", 'must be a list of column names in quotes, e.g. ["plan"]')
    if len(set(segments)) != len(segments):
        raise TemplateError(path, "segments", "names a column twice")
    summary = data.get("summary", {})
    if not isinstance(summary, dict):
        raise TemplateError(path, "summary", "must be a table ([summary])")
    for key in summary:
        if key not in ("kpis", "charts"):
            raise TemplateError(path, f"summary.{key}", "unknown key (known: kpis, charts)")
    kpis = _names(path, "summary.kpis", summary.get("kpis", ["mrr"]), KPI_KEYS)
    charts = _names(path, "summary.charts", summary.get("charts", list(CHARTS)), CHARTS)
    targets: dict[str, tuple[float, str]] = {}
    for kpi, spec in data.get("targets", {}).items():
        where = f"targets.{kpi}"
        if kpi not in KPI_KEYS:
            raise TemplateError(path, where, f"unknown KPI {kpi!r}")
        if not isinstance(spec, dict) or set(spec) - {"target", "direction"}:
            raise TemplateError(path, where, "must hold only 'target' and 'direction'")
        target = spec.get("target")
        if isinstance(target, bool) or not isinstance(target, int | float) or not math.isfinite(target):
            raise TemplateError(path, f"{where}.target", f"must be a number, got {target!r}")
        direction = spec.get("direction", "higher")
        if direction not in ("higher", "lower"):
            raise TemplateError(path, f"{where}.direction", f"must be 'higher' or 'lower', got {direction!r}")
        targets[kpi] = (float(target), direction)
    return Template(
        str(data.get("name", path.stem)),
        path,
        sheets,
        show,
        kpis,
        charts,
        targets,
        customer_data,
        pack,
        tuple(s.strip() for s in segments),
    )
