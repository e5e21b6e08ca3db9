"""Formula expressions that render to Excel and evaluate like Excel.

The dashboard writes each formula from one of these, and evaluates the same expression
over the cached values of the cells it reads, to know *which* error a formula shows
when the library says the KPI is undefined: Excel propagates the first error met left
to right (``#N/A`` for a missing input, ``#DIV/0!`` for a zero denominator).  Numbers
cached in the workbook always come from the library, never from this evaluator.

:func:`to_cells` turns a KPI's registry formula (:mod:`kpi_addin.metrics.expression`,
over columns) into the cell formula of one month: each column of each month becomes a
cell, a window becomes the sum of its months' cells, and a formula that reads a month
not known (before the first, or the opening month in a window) is ``NA()``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ..metrics import expression as m

Value = float | str  # a number, or an Excel error such as "#DIV/0!"
NA, DIV0 = "#N/A", "#DIV/0!"


def is_error(value: object) -> bool:
    return isinstance(value, str) and value.startswith("#")


class Expr:
    def excel(self) -> str:
        raise NotImplementedError

    def evaluate(self, env: Mapping[str, Value | None]) -> Value:
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

    def __pow__(self, other: Expr | float) -> Expr:
        return Bin("^", self, lift(other))

    def __neg__(self) -> Expr:
        return Bin("-", Num(0.0), self, unary=True)


@dataclass(frozen=True, eq=False)
class Num(Expr):
    value: float

    def excel(self) -> str:
        return repr(self.value) if not float(self.value).is_integer() else str(int(self.value))

    def evaluate(self, env: Mapping[str, Value | None]) -> Value:
        return self.value


@dataclass(frozen=True, eq=False)
class Ref(Expr):
    """A cell reference; ``key`` names its cached value in the evaluation environment."""

    text: str
    key: str

    def excel(self) -> str:
        return self.text

    def evaluate(self, env: Mapping[str, Value | None]) -> Value:
        value = env[self.key]
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return NA
        return value


@dataclass(frozen=True, eq=False)
class Bin(Expr):
    op: str
    left: Expr
    right: Expr
    unary: bool = False

    def excel(self) -> str:
        if self.unary:
            return f"-{_wrap(self.right)}"
        return f"{_wrap(self.left)}{self.op}{_wrap(self.right)}"

    def evaluate(self, env: Mapping[str, Value | None]) -> Value:
        a = self.left.evaluate(env)
        if is_error(a):
            return a
        b = self.right.evaluate(env)
        if is_error(b):
            return b
        if self.op == "/" and b == 0:
            return DIV0
        return float(m.OPERATORS[self.op](float(a), float(b)))


def _wrap(e: Expr) -> str:
    return f"({e.excel()})" if isinstance(e, Bin) else e.excel()


def lift(value: Expr | float) -> Expr:
    return value if isinstance(value, Expr) else Num(float(value))


@dataclass(frozen=True, eq=False)
class NAIfZero(Expr):
    """``IF(test=0,NA(),value)``: "no input" rather than a zero denominator (NPS with no answers)."""

    test: Expr
    value: Expr

    def excel(self) -> str:
        return f"IF({self.test.excel()}=0,NA(),{self.value.excel()})"

    def evaluate(self, env: Mapping[str, Value | None]) -> Value:
        test = self.test.evaluate(env)
        if is_error(test):
            return test
        return NA if test == 0 else self.value.evaluate(env)


@dataclass(frozen=True, eq=False)
class IfPositive(Expr):
    """``IF(test>0,value,NA())``: undefined unless ``test`` is above 0 (a runway when
    cash-flow positive); an error in ``test`` is the one shown, in every engine."""

    test: Expr
    value: Expr

    def excel(self) -> str:
        return f"IF({self.test.excel()}>0,{self.value.excel()},NA())"

    def evaluate(self, env: Mapping[str, Value | None]) -> Value:
        test = self.test.evaluate(env)
        if is_error(test):
            return test
        return self.value.evaluate(env) if float(test) > 0 else NA


@dataclass(frozen=True, eq=False)
class PlanLookup(Expr):
    """The value of ``column`` in the Excel Table ``table`` on the row whose ``month`` equals
    ``month`` (a reference), ``#N/A`` when there is no such row or its cell is blank; ``value``
    is what the lookup finds (None: nothing)."""

    table: str
    column: str
    month: Expr
    value: float | None

    def excel(self) -> str:
        months = f"{self.table}[month]"
        found = f"INDEX({self.table}[{self.column}],MATCH({self.month.excel()},{months},0))"
        return f'IF(COUNTIF({months},{self.month.excel()})=0,NA(),IF({found}="",NA(),{found}))'

    def evaluate(self, env: Mapping[str, Value | None]) -> Value:
        if self.value is None or math.isnan(self.value):
            return NA
        return self.value


#: ``resolve(column, month)``: the cell of a column in a month (0 = the first), None if not known.
Resolve = Callable[[str, int], Expr | None]


def to_cells(
    formula: m.Expr,
    i: int,
    resolve: Resolve,
    *,
    first_known: int = 0,
    before: Callable[[str], Expr | None] = lambda _name: None,
) -> Expr | None:
    """The cell formula of ``formula`` in month ``i``; None where it reads a month not known.

    ``first_known``: the first month a window or :func:`~kpi_addin.metrics.expression.known`
    may read (1 when the first is the opening month); ``before(column)``: the cell holding a
    column's opening balance (the month before the first), if any — the library's rules.
    """

    def at(e: m.Expr, k: int) -> Expr | None:
        if isinstance(e, m.Num):
            return Num(e.value)
        if isinstance(e, m.Col):
            return resolve(e.name, k) if k >= 0 else None
        if isinstance(e, m.Bin):
            left, right = at(e.left, k), at(e.right, k)
            return None if left is None or right is None else Bin(e.op, left, right)
        if isinstance(e, m.Window):
            if k - e.months + 1 < first_known:
                return None
            total = at(e.inner, k - e.months + 1)
            for j in range(k - e.months + 2, k + 1):
                term = at(e.inner, j)
                total = None if total is None or term is None else total + term
            return total if total is None or e.kind == "sum" else total / e.months
        if isinstance(e, m.Back):
            if k - e.months == -1 and isinstance(e.inner, m.Col):
                return before(e.inner.name)
            return at(e.inner, k - e.months)
        if isinstance(e, m.Known):
            return None if k < first_known else at(e.inner, k)
        if isinstance(e, m.IfPositive):
            test, value = at(e.test, k), at(e.value, k)
            return None if test is None or value is None else IfPositive(test, value)
        if isinstance(e, m.NAIfZero):
            test, value = at(e.test, k), at(e.value, k)
            return None if test is None or value is None else NAIfZero(test, value)
        raise TypeError(f"to_cells: no Excel form for {type(e).__name__}")

    return at(formula, i)
