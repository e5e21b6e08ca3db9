"""Labels and languages (``templates/lang/*.toml``): every KPI's label, definition and
"tells", sheet names and interface words, per language.  The dashboard, the command line's
table and the docs use them.  A broken file is a :class:`TemplateError` naming the file,
the line or key, and the problem.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from .metrics.catalogue import KPI_KEYS
from .metrics.settings import LANGUAGES

__all__ = ["LANGUAGES", "Language", "TemplateError", "load_language", "read_toml", "templates_dir"]


class TemplateError(Exception):
    """A template or language file that cannot be used."""

    def __init__(self, path: Path | str, where: str, problem: str) -> None:
        self.path, self.where, self.problem = str(path), where, problem
        super().__init__(f"{path}: {where}: {problem}" if where else f"{path}: {problem}")


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
    checkout = Path(__file__).resolve().parents[1] / "templates"
    if checkout.is_dir():
        return checkout
    return Path(str(resources.files("kpi_addin") / "templates"))


def read_toml(path: Path) -> dict:
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


def load_language(code: str) -> Language:
    """The labels of ``code`` (``en``, ``ko``); every key of English must be there."""
    if code not in LANGUAGES:
        raise TemplateError(code, "", f"unknown language (known: {', '.join(LANGUAGES)})")
    path = templates_dir() / "lang" / f"{code}.toml"
    data = read_toml(path)
    reference = data if code == "en" else read_toml(templates_dir() / "lang" / "en.toml")
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
