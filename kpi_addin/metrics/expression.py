"""A KPI's formula as one expression over the monthly columns.

Each registry entry (:mod:`kpi_addin.metrics.catalogue`) carries its formula as an
:class:`Expr` built from the helpers below; every other form of the formula is derived
from that one object:

* the library's value: :meth:`Expr.evaluate` over aligned monthly Series (vectorised, one
  row per month, oldest first) — :func:`kpi_addin.metrics.report.monthly_kpis`;
* the dashboard's Excel formula: ``kpi_addin.dashboard.expr.to_cells`` walks the tree
  (the node classes below) and turns each column of each month into a cell;
* the formula line of ``docs/definitions.md``: :meth:`Expr.text`;
* a worksheet function: its arguments are :meth:`Expr.columns` (the input columns in order
  of first appearance), and :meth:`Expr.evaluate` computes it from plain numbers (one
  month's cells) as well as from Series; a formula holding a window (:func:`window_sum`,
  :func:`window_mean`) or :func:`months_back` needs each argument as a range of months
  (a Series, oldest first) and its value is the last month's.

Building blocks
---------------
``col("start_mrr")``
    a monthly column: an MRR bridge column, an input column, a derived column, or a KPI
    earlier in the registry.
numbers, ``+ - * /`` and ``**``
    Excel's arithmetic; a zero denominator is undefined (``nan``; Excel ``#DIV/0!``).
``window_sum(e, n)``, ``window_mean(e, n)``
    the sum / mean of ``e`` over the ``n`` months ending at each month; undefined unless
    all ``n`` are known, and never over the *opening month* (the ledger's first month,
    whose movements are the opening balance).
``months_back(e, n)``
    ``e`` of the month ``n`` months before; a column with an opening balance
    (``opening``: MRR, customers) reads it for the month before the first.
``known(e)``
    ``e``, undefined in the opening month (the new customers there were not acquired).
``na_if_zero(test, value)``
    undefined where ``test`` is 0, as no input rather than a zero denominator (Excel
    ``#N/A``: NPS with no answers).
``if_positive(test, value)``
    ``value`` where ``test`` is above 0, else undefined (Excel ``IF(test>0,value,NA())``):
    a runway or a burn multiple has no meaning when the company is cash-flow positive, a
    payback none at a gross margin of 0 or below.  (A guard rather than a factor, so an
    undefined ``test`` is the error shown whatever ``value`` holds: spreadsheet engines
    differ on which of two errors an operator passes on.)

Evaluation checks every column it reads against a :class:`Domain` (a negative count is a
:class:`~kpi_addin.metrics._core.KPINumError` naming the column), as the scalar functions do.
This module knows nothing about Excel: the dashboard renders the same tree to cells.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
import pandas as pd

from ._core import KPIValueError, NumberOrSeries, check_not_above, check_number, divide

#: Excel's arithmetic (the dashboard renders the same operators).
OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": divide,
    "^": lambda a, b: a**b,
}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 3}


@dataclass(frozen=True)
class Domain:
    """What a column may hold: ``minimum``/``maximum`` (None: unbounded), whole numbers."""

    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False


@dataclass
class Months:
    """What an expression is evaluated over.

    ``values``: column name → a float (one month) or a Series (the months, oldest first);
    ``domains``: the domain of each column (unlisted: any number); ``opening``: the
    position of the opening month, if any (windows and :func:`known` leave it out);
    ``before``: the opening balance of a column, the value of the month before the first.
    """

    values: Mapping[str, Any]
    domains: Mapping[str, Domain] = field(default_factory=dict)
    opening: int | None = None
    before: Mapping[str, float] = field(default_factory=dict)

    def column(self, name: str) -> NumberOrSeries:
        if name not in self.values:
            raise KPIValueError(name, "is missing: the formula reads this column")
        d = self.domains.get(name, Domain())
        checked: NumberOrSeries = check_number(
            name, self.values[name], minimum=d.minimum, maximum=d.maximum, integer=d.integer
        )
        return checked


class Expr:
    """A node of a formula; build with :func:`col`, numbers and operators."""

    def evaluate(self, months: Months | Mapping[str, Any]) -> NumberOrSeries:
        """The value over ``months`` (a :class:`Months`, or a plain mapping of column values)."""
        value: NumberOrSeries = self._eval(months if isinstance(months, Months) else Months(months))
        return value

    def _eval(self, m: Months) -> Any:
        raise NotImplementedError

    def children(self) -> tuple[Expr, ...]:
        return ()

    def walk(self) -> Iterator[Expr]:
        """This node and every node below it, depth first, left to right."""
        yield self
        for child in self.children():
            yield from child.walk()

    def columns(self) -> tuple[str, ...]:
        """The columns it reads, in order of first appearance (a worksheet function's arguments)."""
        return tuple(dict.fromkeys(n.name for n in self.walk() if isinstance(n, Col)))

    def text(self, back: int = 0) -> str:
        """The formula as the docs print it (``back``: read ``back`` months before M)."""
        raise NotImplementedError

    def __add__(self, other: Expr | float) -> Expr:
        return Bin("+", self, lift(other))

    def __radd__(self, other: float) -> Expr:
        return Bin("+", lift(other), self)

    def __sub__(self, other: Expr | float) -> Expr:
        return Bin("-", self, lift(other))

    def __rsub__(self, other: float) -> Expr:
        return Bin("-", lift(other), self)

    def __mul__(self, other: Expr | float) -> Expr:
        return Bin("*", self, lift(other))

    def __rmul__(self, other: float) -> Expr:
        return Bin("*", lift(other), self)

    def __truediv__(self, other: Expr | float) -> Expr:
        return Bin("/", self, lift(other))

    def __rtruediv__(self, other: float) -> Expr:
        return Bin("/", lift(other), self)

    def __pow__(self, other: Expr | float) -> Expr:
        return Bin("^", self, lift(other))


def lift(value: Expr | float) -> Expr:
    return value if isinstance(value, Expr) else Num(float(value))


def _month(back: int) -> str:
    return "" if back == 0 else f"[M−{back}]"


@dataclass(frozen=True, eq=False)
class Num(Expr):
    value: float

    def _eval(self, m: Months) -> Any:
        return self.value

    def text(self, back: int = 0) -> str:
        return f"{self.value:g}"


@dataclass(frozen=True, eq=False)
class Col(Expr):
    """A monthly column, by name."""

    name: str

    def _eval(self, m: Months) -> Any:
        return m.column(self.name)

    def text(self, back: int = 0) -> str:
        return self.name + _month(back)


@dataclass(frozen=True, eq=False)
class Bin(Expr):
    op: str
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def _eval(self, m: Months) -> Any:
        return OPERATORS[self.op](self.left._eval(m), self.right._eval(m))

    def text(self, back: int = 0) -> str:
        mine = _PRECEDENCE[self.op]

        def side(e: Expr, right: bool) -> str:
            inner = e.text(back)
            if isinstance(e, Bin) and (
                _PRECEDENCE[e.op] < mine or (right and _PRECEDENCE[e.op] == mine and self.op in "-/^")
            ):
                return f"({inner})"
            return inner

        return f"{side(self.left, False)} {self.op} {side(self.right, True)}"


def _series(value: Any, what: str) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.astype(float)
    if isinstance(value, np.ndarray):
        return pd.Series(value.astype(float))
    raise KPIValueError(what, "needs a range of months (oldest first), not one number")


@dataclass(frozen=True, eq=False)
class Window(Expr):
    """``kind`` (``sum`` or ``mean``) of ``inner`` over the ``months`` months ending at M."""

    kind: str
    inner: Expr
    months: int

    def children(self) -> tuple[Expr, ...]:
        return (self.inner,)

    def _eval(self, m: Months) -> Any:
        values = _series(self.inner._eval(m), self.text())
        rolling = values.rolling(self.months, min_periods=self.months)
        result = rolling.sum() if self.kind == "sum" else rolling.mean()
        if m.opening is not None:  # a window never holds the opening month
            result.iloc[m.opening : m.opening + self.months] = math.nan
        return result

    def text(self, back: int = 0) -> str:
        last = "M" if back == 0 else f"M−{back}"
        return f"{self.kind}({self.inner.text(back)}, {self.months} months to {last})"


@dataclass(frozen=True, eq=False)
class Back(Expr):
    """``inner`` of ``months`` months before."""

    inner: Expr
    months: int

    def children(self) -> tuple[Expr, ...]:
        return (self.inner,)

    def _eval(self, m: Months) -> Any:
        values = _series(self.inner._eval(m), self.text())
        shifted = values.shift(self.months)
        if isinstance(self.inner, Col) and self.inner.name in m.before and 0 < self.months <= len(shifted):
            shifted.iloc[self.months - 1] = m.before[self.inner.name]
        return shifted

    def text(self, back: int = 0) -> str:
        return (
            self.inner.text(back + self.months)
            if isinstance(self.inner, Col)
            else f"({self.inner.text(back + self.months)})"
        )


@dataclass(frozen=True, eq=False)
class Known(Expr):
    """``inner``, undefined in the opening month."""

    inner: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.inner,)

    def _eval(self, m: Months) -> Any:
        value = self.inner._eval(m)
        if m.opening is None:
            return value
        masked = _series(value, self.text()).copy()
        masked.iloc[m.opening] = math.nan
        return masked

    def text(self, back: int = 0) -> str:
        return f"{self.inner.text(back)} (none in the opening month)"


@dataclass(frozen=True, eq=False)
class NAIfZero(Expr):
    """``value``, undefined (no input, ``#N/A``) where ``test`` is 0."""

    test: Expr
    value: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.value, self.test)  # the value's columns first: a function's natural argument order

    def _eval(self, m: Months) -> Any:
        test, value = self.test._eval(m), self.value._eval(m)
        if isinstance(value, pd.Series):
            return value.where(np.asarray(test) != 0)
        if isinstance(test, pd.Series | np.ndarray) or isinstance(value, np.ndarray):
            return np.where(np.asarray(test) == 0, np.nan, value)
        return math.nan if test == 0 else value

    def text(self, back: int = 0) -> str:
        return f"{self.value.text(back)} (none when {self.test.text(back)} = 0)"


@dataclass(frozen=True, eq=False)
class IfPositive(Expr):
    """``value`` where ``test`` is above 0, else undefined (``#N/A``)."""

    test: Expr
    value: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.value, self.test)  # the value's columns first: a function's natural argument order

    def _eval(self, m: Months) -> Any:
        test, value = self.test._eval(m), self.value._eval(m)
        if isinstance(value, pd.Series):
            return value.where(np.asarray(test, dtype=float) > 0)
        if isinstance(test, pd.Series | np.ndarray) or isinstance(value, np.ndarray):
            return np.where(np.asarray(test, dtype=float) > 0, value, np.nan)
        return value if test > 0 else math.nan  # nan > 0 is False: an undefined test, an undefined value

    def text(self, back: int = 0) -> str:
        return f"{self.value.text(back)} (none unless {self.test.text(back)} > 0)"


def closed_gate(expr: Expr, months: Months | Mapping[str, Any]) -> bool:
    """Whether one month's value of ``expr`` is undefined because a test of the formula itself
    failed — an :func:`if_positive` test of 0 or below (a runway when the company is
    cash-flow positive), an :func:`na_if_zero` test of 0 — rather than by a zero denominator.
    The workbook writes such a test ``IF(…,NA())``: Excel shows ``#N/A``, never ``#DIV/0!``.

    >>> runway = if_positive(col("burn"), col("cash") / col("burn"))
    >>> closed_gate(runway, {"cash": 70_000.0, "burn": -100.0}), closed_gate(runway, {"cash": 1.0, "burn": 2.0})
    (True, False)
    """
    m = months if isinstance(months, Months) else Months(months)
    while isinstance(expr, IfPositive | NAIfZero):
        test = expr.test._eval(m)
        if isinstance(test, int | float) and not math.isnan(test):
            if test == 0 or (isinstance(expr, IfPositive) and test < 0):
                return True
        expr = expr.value
    return False


def col(name: str) -> Col:
    """A monthly column (bridge, input, derived or an earlier KPI)."""
    return Col(name)


def window_sum(inner: Expr, months: int) -> Window:
    return Window("sum", inner, months)


def window_mean(inner: Expr, months: int) -> Window:
    return Window("mean", inner, months)


def months_back(inner: Expr, months: int) -> Back:
    return Back(inner, months)


def known(inner: Expr) -> Known:
    return Known(inner)


def na_if_zero(test: Expr, value: Expr) -> NAIfZero:
    return NAIfZero(test, lift(value))


def if_positive(test: Expr, value: Expr) -> IfPositive:
    return IfPositive(test, lift(value))


def reaches_back(expr: Expr) -> bool:
    """Whether it reads other months than M (a window or ``months_back``)."""
    return any(isinstance(n, Window | Back) for n in expr.walk())


def check_limits(limits: tuple[tuple[Expr, Expr], ...], m: Months) -> None:
    """Raise :class:`~kpi_addin.metrics._core.KPINumError` where a ``low`` exceeds its ``high``."""
    for low, high in limits:
        check_not_above(low.text(), low._eval(m), high.text(), high._eval(m))


def expand(expr: Expr, definitions: Mapping[str, Expr]) -> Expr:
    """``expr`` with each column named in ``definitions`` replaced by its definition (derived
    columns written out, as a cell formula shows them)."""
    if isinstance(expr, Col):
        return expand(definitions[expr.name], definitions) if expr.name in definitions else expr
    changes = {
        f.name: expand(getattr(expr, f.name), definitions)
        for f in fields(expr)  # type: ignore[arg-type]  # every node is a dataclass
        if isinstance(getattr(expr, f.name), Expr)
    }
    return replace(expr, **changes) if changes else expr  # type: ignore[type-var]  # every node is a dataclass
