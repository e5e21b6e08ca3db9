"""Formula expressions that render to Excel and evaluate like Excel.

The dashboard writes each formula from one of these, and evaluates the same expression
over the cached values of the cells it reads, to know *which* error a formula shows
when the library says the KPI is undefined: Excel propagates the first error met left
to right (``#N/A`` for a missing input, ``#DIV/0!`` for a zero denominator).  Numbers
cached in the workbook always come from the library, never from this evaluator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

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


_OPS: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": lambda a, b: a**b,
}


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
        return _OPS[self.op](float(a), float(b))


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
