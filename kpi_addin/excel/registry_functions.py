"""Worksheet functions made from the KPI registry: one for each entry that names ``excel=``.

A registry entry's formula is the function: its arguments are :attr:`KPI.arguments` (the
columns the formula reads, in order of first appearance; the entry's ``excel_defaults`` are
optional trailing ones, such as ``CAC_PAYBACK``'s ``gross_margin``, 1), its value
:meth:`KPI.evaluate` on the cells — which checks each argument's domain and the entry's
limits — and its errors go through :func:`~kpi_addin.excel.convert.excel_call`: a zero
denominator is ``#DIV/0!``, a test of the formula that fails ``#N/A`` (``RUNWAY`` when the
burn is 0 or below: cash-flow positive, as the workbook's ``IF(…,NA())``), text or a blank
``#VALUE!``, an impossible number ``#NUM!``.
Its description and argument help come from the language file
(:mod:`kpi_addin.excel.help_text`).

Each function is a real Python function with the signature Excel shows
(``__signature__``): xlwings' decorators on Windows (the VBA wrapper, the function wizard)
and in xlwings Lite (Office.js custom functions) read it as they read a hand-written one.
:mod:`kpi_addin.excel.functions` puts them among its module attributes, where both look.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable
from typing import Any

from ..metrics.catalogue import KPIS
from ..metrics.expression import closed_gate, reaches_back
from ..metrics.kpi_entry import KPI
from .convert import NA, excel_call, optional, worksheet_function
from .help_text import ExcelHelp

#: The module xlwings is told the functions live in (the ``UDF Modules`` entry).
UDF_MODULE = "kpi_addin.excel.functions"


def defaults(entry: KPI) -> dict[str, float]:
    """The optional trailing arguments of its function (``excel_defaults``) and what an
    omitted one stands for; an optional argument before a required one is an error."""
    trailing = entry.arguments[len(entry.arguments) - len(entry.excel_defaults) :]
    if set(trailing) != set(entry.excel_defaults):
        raise ValueError(
            f"{entry.key}: excel_defaults {sorted(entry.excel_defaults)} must be the last arguments of "
            f"{entry.arguments}"
        )
    return {name: float(entry.excel_defaults[name]) for name in trailing}


def signature(entry: KPI) -> inspect.Signature:
    """What Excel shows: the formula's columns, the optional ones last with their defaults."""
    optional_ = defaults(entry)
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature(
        [inspect.Parameter(a, kind, default=optional_.get(a, inspect.Parameter.empty)) for a in entry.arguments]
    )


def kpi_function(entry: KPI, words: ExcelHelp) -> Callable[..., object]:
    """The worksheet function of ``entry``, registered with xlwings under ``entry.excel``."""
    name = entry.excel
    if name is None or entry.formula is None:
        raise ValueError(f"{entry.key}: only an entry with a formula and excel= makes a worksheet function")
    if reaches_back(entry.formula):
        raise ValueError(f"{entry.key}: its formula reads other months; a one-month function cannot give it")
    formula = entry.formula
    shown = signature(entry)
    omitted = defaults(entry)

    def function(*cells: object, **named: object) -> object:
        bound = shown.bind(*cells, **named)
        bound.apply_defaults()
        values = {a: optional(v, omitted[a]) if a in omitted else v for a, v in bound.arguments.items()}
        return excel_call(value_of, values, name=name)

    def value_of(values: dict[str, object]) -> object:
        # a formula's own test that fails (RUNWAY when burn <= 0: cash-flow positive) is #N/A,
        # as the workbook's IF(...,NA()) shows it; a zero denominator stays #DIV/0!
        result = entry.evaluate(values)
        if isinstance(result, float) and math.isnan(result) and closed_gate(formula, values):
            return NA
        return result

    function.__annotations__ = {}  # no hints: xlwings would take them as converters (see functions.py)
    function.__name__ = function.__qualname__ = name
    function.__doc__ = words.description(entry)
    function.__module__ = UDF_MODULE
    function.__signature__ = shown  # type: ignore[attr-defined]  # what inspect (and so xlwings) reads
    function.__kpi__ = entry  # type: ignore[attr-defined]  # the registry entry it computes
    registered: Callable[..., object] = worksheet_function({a: words.argument(a) for a in entry.arguments})(function)
    return registered


def registry_functions(words: ExcelHelp, hand_written: Iterable[str] = ()) -> dict[str, Callable[..., Any]]:
    """Excel name → function, for every registry entry naming ``excel=`` except ``hand_written``."""
    skip = set(hand_written)
    return {k.excel: kpi_function(k, words) for k in KPIS if k.excel and k.excel not in skip}
