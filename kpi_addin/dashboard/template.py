"""Dashboard templates (``templates/*.toml``) and language files (``templates/lang/*.toml``).

Finance users edit these without Python: which report sheets show, which KPIs and
charts the Summary holds and in which order, default targets, and every label in each
language.  A broken file is a :class:`TemplateError` naming the file, the line or key,
and the problem.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..metrics.catalogue import KPI_KEYS

REPORT_SHEETS = (
    "summary",
    "revenue",
    "customers",
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
    "pack_unit_economics",
    "pack_funnel",
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
    "summary",
    "targets",
}
LANGUAGES = ("en", "ko")


class TemplateError(Exception):
    """A template or language file that cannot be used."""

    def __init__(self, path: Path | str, where: str, problem: str) -> None:
        self.path, self.where, self.problem = str(path), where, problem
        super().__init__(f"{path}: {where}: {problem}" if where else f"{path}: {problem}")


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


@dataclass(frozen=True)
class Language:
    code: str
    path: Path
    sheets: dict[str, str]
    ui: dict[str, str]
    status: dict[str, str]
    charts: dict[str, str]
    reasons: dict[str, str]
    kpis: dict[str, dict[str, str]]

    def label(self, key: str) -> str:
        return self.kpis[key]["label"]


def templates_dir() -> Path:
    """``templates/`` of a source checkout (editable install), else the installed copy."""
    checkout = Path(__file__).resolve().parents[2] / "templates"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("kpi_addin") / "templates"))


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))  # a BOM (Notepad) is fine
    except FileNotFoundError:
        raise TemplateError(path, "", "no such file") from None
    except IsADirectoryError:
        raise TemplateError(path, "", "is a folder, not a template file") from None
    except OSError as exc:
        raise TemplateError(path, "", f"cannot be read ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:  # its message carries the line and column
        raise TemplateError(path, "", f"not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise TemplateError(path, "", f"not UTF-8 text ({exc.reason})") from None


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
    data = _read_toml(path)
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
    return Template(str(data.get("name", path.stem)), path, sheets, show, kpis, charts, targets, customer_data, pack)


def load_language(code: str) -> Language:
    """The labels of ``code`` (``en``, ``ko``); every key of English must be there."""
    if code not in LANGUAGES:
        raise TemplateError(code, "", f"unknown language (known: {', '.join(LANGUAGES)})")
    path = templates_dir() / "lang" / f"{code}.toml"
    data = _read_toml(path)
    reference = data if code == "en" else _read_toml(templates_dir() / "lang" / "en.toml")
    for section in ("sheets", "ui", "status", "charts", "reasons", "kpis"):
        if not isinstance(data.get(section), dict):
            raise TemplateError(path, section, "section missing")
        for key in reference[section]:
            if key not in data[section]:
                raise TemplateError(path, f"{section}.{key}", "missing (every key of en.toml is needed)")
    for key in ("month", *KPI_KEYS):
        entry = data["kpis"].get(key)
        if not isinstance(entry, dict) or not {"label", "definition", "tells"} <= set(entry):
            raise TemplateError(path, f"kpis.{key}", "needs label, definition and tells")
    for key, title in data["sheets"].items():
        if len(title) > 31 or any(c in title for c in "[]:*?/\\"):
            raise TemplateError(path, f"sheets.{key}", f"{title!r} is not a valid Excel sheet name")
    return Language(
        code, path, data["sheets"], data["ui"], data["status"], data["charts"], data["reasons"], data["kpis"]
    )
