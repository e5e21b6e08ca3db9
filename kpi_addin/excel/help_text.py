"""The help Excel shows for the worksheet functions made from the KPI registry, from the
language file ``templates/lang/en.toml``: a function's description is its KPI's label and
definition (``[kpis.<key>]``), each argument's help the ``[arguments]`` entry of the column
it stands for.  Finance users edit the words there, without Python.

xlwings Lite has no templates folder: ``kpi-addin lite`` writes the same words into
``main.py`` as the module ``kpi_addin.excel.embedded_help`` (:func:`embedded_source`), which
is read instead when it is there.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..metrics.kpi_entry import KPI

#: The module ``kpi-addin lite`` embeds in ``main.py`` with the help words (Lite only).
EMBEDDED = "kpi_addin.excel.embedded_help"
#: Excel's function wizard takes a description of at most 255 characters.
MAX_DESCRIPTION = 255


@dataclass(frozen=True)
class ExcelHelp:
    """``kpis``: key → its ``label`` and ``definition``; ``arguments``: column → its help."""

    kpis: Mapping[str, Mapping[str, str]]
    arguments: Mapping[str, str]

    def description(self, entry: KPI) -> str:
        """``Label: definition`` of the KPI, on one line, cut to what the wizard shows."""
        text = self.kpis.get(entry.key)
        if text is None:
            return f"{entry.key} (see docs/definitions.md)"
        definition = text["definition"]
        if definition[:1].isupper() and definition[1:2].islower():  # "Customers lost ..." after the colon
            definition = definition[0].lower() + definition[1:]
        line = " ".join(f"{text['label']}: {definition}".split())
        return line if len(line) <= MAX_DESCRIPTION else line[: MAX_DESCRIPTION - 1].rstrip() + "…"

    def argument(self, column: str) -> str:
        """The help of an argument standing for ``column`` (a test checks every one has its own)."""
        return self.arguments.get(column, f"{column} (see docs/definitions.md)")

    def has_argument(self, column: str) -> bool:
        return column in self.arguments


def _from_language_file() -> ExcelHelp:
    from ..lang import read_toml, templates_dir  # the file: not in xlwings Lite, which embeds its words

    data = read_toml(templates_dir() / "lang" / "en.toml")
    kpis = {k: {"label": v["label"], "definition": v["definition"]} for k, v in data.get("kpis", {}).items()}
    return ExcelHelp(kpis, dict(data.get("arguments", {})))


def excel_help() -> ExcelHelp:
    """The help words: embedded in Lite's ``main.py``, else read from ``en.toml``."""
    try:
        embedded: Any = importlib.import_module(EMBEDDED)
    except ImportError:
        return _from_language_file()
    return ExcelHelp(embedded.KPIS, embedded.ARGUMENTS)


def embedded_source(entries: Iterable[KPI]) -> str:
    """The source of :data:`EMBEDDED` for ``main.py``: the words of these KPIs' functions."""
    words = _from_language_file()
    chosen = list(entries)
    kpis = {e.key: dict(words.kpis[e.key]) for e in chosen if e.key in words.kpis}
    columns = {c for e in chosen for c in e.arguments}
    arguments = {c: words.arguments[c] for c in sorted(columns) if c in words.arguments}
    return f"KPIS = {kpis!r}\nARGUMENTS = {arguments!r}\n"
