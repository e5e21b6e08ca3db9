"""The type of a registry entry: what one KPI is (see :mod:`.catalogue` for the entries)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .expression import Domain, Expr, Months, check_limits

Unit = Literal["money", "rate", "count", "ratio", "months", "score", "month"]
Direction = Literal["higher", "lower"]
Family = Literal["period", "revenue", "customers", "funnel", "unit_economics", "cash", "nps", "balance_sheet"]


@dataclass(frozen=True)
class KPI:
    """One KPI of the catalogue.

    Attributes
    ----------
    key : the JSON key, the ``MonthlyKPIs`` header and the language files' ``[kpis.<key>]``
        (its label and definition in each language live there, nowhere else).
    unit : money (reporting currency), rate (a fraction shown as %), count, ratio (a
        multiple such as 3.2x), months, score (NPS, -100..100) or month.
    direction : ``higher`` or ``lower`` is better; None where neither is (a count of
        visitors is context, not a goal by default).
    family : the metric module family (and the dashboard sheet it belongs to).
    inputs : what it needs beyond the subscriptions, as ``sheet`` or ``sheet.column``;
        empty for KPIs the subscriptions alone give.
    formula : its one formula (:mod:`kpi_addin.metrics.expression`) over the monthly
        columns (:data:`COLUMNS`, derived columns, earlier KPIs) — or, for a balance-sheet
        ratio, over the balance-sheet columns.  The library's value, the dashboard's Excel
        formula and the docs' formula line all come from it.  None only where no monthly
        expression gives the KPI: then ``computed_by`` names the function that does.
    limits : ``(low, high)`` pairs of expressions where ``low`` may not exceed ``high``
        (churned customers ≤ customers at the start): an impossible input is an error.
    excel : the worksheet function that exposes it, if any: made from this entry (its
        arguments :attr:`arguments`, its value :meth:`evaluate`) by the Excel layer.
    excel_defaults : trailing arguments of that function that may be omitted, and the value
        an omitted (or blank) one stands for (``CAC_PAYBACK``'s ``gross_margin``: 1).
    function : the library's scalar function of the same KPI (``module.name`` under
        ``kpi_addin.metrics``), whose docstring holds the worked example; a test checks it
        gives what ``formula`` gives.
    computed_by : for a KPI without a formula, the dotted name of the function computing it.
    monthly : a column of the monthly table (False: a balance-sheet ratio, per period).
    window : the period a figure covers when it is more than the month itself, as shown
        beside it on the dashboard (``"12 months"``, ``"3 months"``); None for a monthly figure.
    cents : money shown to the minor unit (per-customer amounts such as ARPU); other money
        is shown in whole units.
    """

    key: str
    unit: Unit
    direction: Direction | None
    family: Family
    inputs: tuple[str, ...] = ()
    formula: Expr | None = None
    limits: tuple[tuple[Expr, Expr], ...] = ()
    excel: str | None = None
    excel_defaults: Mapping[str, float] = field(default_factory=dict)
    function: str | None = None
    computed_by: str | None = None
    monthly: bool = True
    window: str | None = None
    cents: bool = False
    #: what each column its formula reads may hold (filled in by the registry from its
    #: ``DOMAINS``, so that one month's numbers are checked as the monthly Series are)
    domains: Mapping[str, Domain] = field(default_factory=dict, compare=False, repr=False)

    @property
    def text_key(self) -> str:
        """The table of the language files holding its label, definition and "what it tells"."""
        return f"kpis.{self.key}"

    @property
    def input_sheets(self) -> frozenset[str]:
        """The input sheets it needs (``costs`` for ``costs.sales``)."""
        return frozenset(i.split(".", 1)[0] for i in self.inputs)

    def input_columns(self, sheet: str) -> tuple[str, ...]:
        """The columns of ``sheet`` it needs (empty when it needs the sheet as a whole)."""
        return tuple(i.split(".", 1)[1] for i in self.inputs if i.startswith(sheet + "."))

    @property
    def arguments(self) -> tuple[str, ...]:
        """The columns its formula reads, in order of first appearance: the arguments of a
        worksheet function derived from it."""
        return () if self.formula is None else self.formula.columns()

    @property
    def taken(self) -> str | None:
        """The column it is taken from as it is (``mrr`` from the bridge), if its formula is one column."""
        return self.formula.columns()[0] if self.formula is not None and len(list(self.formula.walk())) == 1 else None

    def evaluate(self, values: Months | dict[str, Any]) -> Any:
        """Its value from column values: floats (one month, a worksheet function's cells) or
        aligned Series (every month).  Each column is checked against its domain and the
        ``limits``; a zero denominator is undefined (nan)."""
        if self.formula is None:
            raise ValueError(f"{self.key} has no formula: {self.computed_by} computes it")
        months = values if isinstance(values, Months) else Months(values, self.domains)
        check_limits(self.limits, months)
        return self.formula.evaluate(months)
