"""Reading one column of cells as written by people and programs: the one place that
decides what a blank, a number and a date are, for every sheet and every export.

* **Blank**: empty, whitespace, or a null marker (``NA``, ``N/A``, ``#N/A``, ``null``,
  ``nan``, ``none``, ``-``).  A required cell that is blank is an error; an optional one
  is blank, never a guessed value.
* **Numbers**: ``49.00``, ``-3``, ``1e3``.  Decimal commas (``49,00``, ``1.049,50``) and
  thousands separators (``1,049.00``) are read when the column's own cells make the
  convention unambiguous, and a note says which was read; ``1,049`` alone could be
  either and is an error saying how to write it.  ``inf``, ``nan`` and anything beyond
  :data:`MAX_MAGNITUDE` are errors: nothing non-finite gets further.
* **Dates**: ISO (``2025-03-31``, ``2025-03``, with a time and a zone or not: the date as
  written counts, never its conversion to UTC), Excel serial numbers, date cells, and
  ``1/5/2024`` or ``05.01.2024`` when the column's cells make the order unambiguous.
  ``9999-12-31`` and ``2099-12-31`` are "no end" markers; anything before 1970 or after
  2099 is an error — one typo never stretches the report over centuries.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import arrow_cells

#: Cell text read as blank (compared lower-case, stripped).
NULL_MARKERS = frozenset({"na", "n/a", "#n/a", "null", "nan", "none", "nil", "-", "--"})
#: Numbers beyond this are refused: no real amount, count or rate is this large, and
#: sums of a million of them stay finite.
MAX_MAGNITUDE = 1e15
#: The dates accepted; a date outside is a typo, not a subscription.
FIRST_DATE = pd.Timestamp("1970-01-01")
LAST_DATE = pd.Timestamp("2099-12-30")
#: Dates billing systems write for "never ends".
OPEN_ENDED = ("9999-12-31", "2099-12-31")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_FIRST_SERIAL = (FIRST_DATE - _EXCEL_EPOCH).days  # 25569
_LAST_SERIAL = (LAST_DATE - _EXCEL_EPOCH).days
DATE_HINT = "a date (ISO 2025-03-31, an Excel date or YYYY-MM)"
NUMBER_HINT = "write it as 1049.50: a dot for decimals, no thousands separators"

_PLAIN = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_DECIMAL_COMMA = r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?|[+-]?\d+,\d{1,2}|[+-]?\d+,\d{4,}"
_THOUSANDS_COMMA = r"[+-]?\d{1,3}(?:,\d{3})+\.\d+|[+-]?\d{1,3}(?:,\d{3}){2,}"
_EITHER = r"[+-]?\d{1,3},\d{3}"  # 1,049: a thousands comma or a decimal comma
_DOT_THOUSANDS = r"[+-]?\d{1,3}(?:\.\d{3})+"

Message = Callable[[object], str]


@dataclass
class Parsed:
    """A parsed column: the values, the bad cells (each mask with its message) and notes."""

    values: pd.Series
    checks: list[tuple[pd.Series, Message]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: cells that held a null marker such as 'N/A' (blank now)
    markers: pd.Series | None = None
    #: end dates written as a "no end" marker (blank now)
    open_ended: pd.Series | None = None


def is_text_dtype(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values) and values.dtype != object


def as_text(values: pd.Series) -> pd.Series:
    """Each cell as stripped text; missing cells are ``""``.  Text columns stay Arrow strings (fast)."""
    if is_text_dtype(values):
        return values.fillna("").str.strip()
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values.astype(TEXT).fillna("").str.strip()
    return values.astype(object).map(_cell_text).astype(TEXT)


def _text_dtype() -> pd.StringDtype[Any]:
    """Arrow strings where pyarrow is installed (their string functions are vectorised);
    pandas' own Python strings where it is not (xlwings Lite: Pyodide's pandas brings no
    pyarrow).  Every rule here gives the same answer with either."""
    try:
        return pd.StringDtype("pyarrow")
    except ImportError:
        return pd.StringDtype("python")


#: The text dtype cells are compared in (see :func:`_text_dtype`).
TEXT = _text_dtype()


def _cell_text(value: object) -> str:
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isfinite(value) and value == int(value) and abs(value) < 2**53:
            return str(int(value))
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def blank_mask(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(blank, marker): cells that are blank, and those among them written as a null marker."""
    index = values.index
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.isna(), pd.Series(False, index=index)
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.isna(), pd.Series(False, index=index)
    arrow = arrow_cells.text_of(values)
    if arrow is not None:  # the same rules, in Arrow's kernels: a CSV's text column
        blank, marker = arrow.masks(NULL_MARKERS)
        return pd.Series(blank, index=index, copy=False), pd.Series(marker, index=index, copy=False)
    text = as_text(values)
    empty = (text == "").fillna(True).to_numpy(dtype=bool)
    if values.dtype == object:  # a float nan among objects
        empty |= values.map(lambda v: isinstance(v, float) and math.isnan(v)).to_numpy(dtype=bool)
    short = (text.str.len() <= 4).fillna(False).to_numpy(dtype=bool)  # every marker is short
    marker = np.zeros(len(values), dtype=bool)
    if (short & ~empty).any():
        marker = text.str.lower().isin(NULL_MARKERS).fillna(False).to_numpy(dtype=bool) & short & ~empty
    return pd.Series(empty | marker, index=index, copy=False), pd.Series(marker, index=index, copy=False)


def text_objects(values: pd.Series, blank: pd.Series) -> pd.Series:
    """Each cell as stripped text, Python strings in an object column; ``None`` where ``blank``."""
    arrow = arrow_cells.text_of(values)
    if arrow is not None:
        cells = arrow.objects(blank.to_numpy(dtype=bool))
        return pd.Series(cells, index=values.index, dtype=object, copy=False)
    return as_text(values).astype(object).where(~blank, None)


def factorize_text(values: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(codes, distinct values) of the cells as stripped text (a missing cell is ``""``)."""
    arrow = arrow_cells.text_of(values)
    if arrow is not None:
        codes, uniques = arrow.factorize()
        if (codes < 0).any():  # a missing cell is "", as as_text has it
            if "" not in uniques:
                uniques = [*uniques, ""]
            codes = np.where(codes < 0, uniques.index(""), codes)
        return codes, uniques
    codes, found = pd.factorize(as_text(values))
    return codes, [str(u) for u in found]


def parse_numbers(values: pd.Series, column: str = "", *, whole: bool = False, written: bool = False) -> Parsed:
    """Numbers of one column; see the module docstring for what is accepted.

    With ``whole`` (counts), ``13,000`` can only be thirteen thousand: a count has no decimals.
    With ``written`` (an export or a report, amounts as a person reads them), currency
    symbols and codes (``$1,200.00``, ``1.200,00 €``, ``USD 49``, ``₩1,200``, ``1,200원``),
    parentheses and trailing minus signs for negatives (``(50.00)``, ``50,00-``) and
    spaces, no-break spaces and apostrophes between thousands (``1 000,00``, ``1'000.00``)
    are read too; the decimal and thousands convention is still decided by the column.
    """
    index = values.index
    if pd.api.types.is_bool_dtype(values):
        return Parsed(
            pd.Series(np.nan, index=index), [(pd.Series(True, index=index), lambda v: f"{v!r} is not a number")]
        )
    if pd.api.types.is_numeric_dtype(values):
        numbers = values.astype(float)
        return Parsed(numbers, _finite_checks(numbers))
    blank, marker = blank_mask(values)
    text = as_text(values).where(~blank, "")
    negative = None
    shown = text
    if written:
        text, negative = _unwrap(text)
    is_bool = values.map(lambda v: isinstance(v, bool | np.bool_)) if values.dtype == object else blank & False
    direct = (
        values.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
        if values.dtype == object
        else blank & False
    )
    numbers = pd.Series(np.nan, index=index, dtype=float)
    if direct.any():
        numbers[direct] = values[direct].astype(float)
    todo = ~blank & ~direct & ~is_bool
    text = text.where(todo, "")
    plain = todo & text.str.fullmatch(_PLAIN)
    decimal_comma = todo & ~plain & text.str.fullmatch(_DECIMAL_COMMA)
    thousands = todo & ~plain & text.str.fullmatch(_THOUSANDS_COMMA)
    either = todo & text.str.fullmatch(_EITHER)
    checks: list[tuple[pd.Series, Message]] = []
    notes: list[str] = []
    converted = pd.Series(None, index=index, dtype=object)
    converted[plain] = text[plain]
    if decimal_comma.any() and thousands.any():
        first = shown[decimal_comma].iloc[0]
        checks.append(
            (
                thousands,
                _mixed("uses a thousands comma", first),
            )
        )
        decimal_comma_wins = True
    else:
        decimal_comma_wins = bool(decimal_comma.any())
    if decimal_comma_wins:
        dotted = plain & text.str.contains(".", regex=False)
        dot_thousands = dotted & text.str.fullmatch(_DOT_THOUSANDS)
        dot_decimal = dotted & ~dot_thousands & ~text.str.contains("[eE]", regex=True)
        commas = decimal_comma | either | dot_thousands
        converted[commas] = text[commas].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        first = shown[decimal_comma].iloc[0]
        checks.append(
            (
                dot_decimal,
                _mixed("uses a decimal point", first),
            )
        )
        notes.append(f"read with decimal commas ({first!r} = {converted[decimal_comma].iloc[0]})")
    elif thousands.any() or (whole and either.any()):
        thousands = thousands | either
        commas = thousands | either
        converted[commas] = text[commas].str.replace(",", "", regex=False)
        first = shown[thousands].iloc[0]
        notes.append(f"read with thousands separators ({first!r} = {converted[thousands].iloc[0]})")
    elif either.any():
        checks.append(
            (
                either,
                lambda v: f"{v!r} is ambiguous: is the comma a thousands separator or a decimal comma? {NUMBER_HINT}",
            )
        )
    done = converted.notna()
    if done.any():
        numbers[done] = pd.to_numeric(converted[done], errors="coerce").astype(float)
    handled = done.copy()
    for mask, _message in checks:
        handled |= mask
    unparsed = todo & ~handled
    checks.insert(0, (unparsed | is_bool, _not_a_number))
    checks += _finite_checks(numbers)
    if negative is not None and negative.any():
        numbers = numbers.where(~negative, -numbers)
    return Parsed(numbers, checks, notes, markers=marker)


#: Currency signs and words written beside amounts (codes: any three capital letters).
_SYMBOL = r"(?:US\$|CA\$|A\$|R\$|[$€£¥₩₹]|원|円|元|Fr\.|kr|zł|[A-Z]{3})"
_SPACES = "[ \u00a0\u202f\u2009]"
_WRAPPED = re.compile(
    rf"^(?P<open>\()?{_SPACES}*(?P<sign1>[-−])?{_SPACES}*(?:{_SYMBOL}{_SPACES}*)?(?P<sign2>[-−])?{_SPACES}*"
    rf"(?P<number>\d[\d.,' \u00a0\u202f\u2009’]*?)"
    rf"{_SPACES}*(?:{_SYMBOL})?{_SPACES}*(?P<sign3>-)?{_SPACES}*(?P<close>\))?$"
)
_GROUPED = re.compile(r"^\d{1,3}(?:[' \u00a0\u202f\u2009’]\d{3})+(?:[.,]\d+)?$")


def _unwrap(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Amounts as a person writes them → (the bare number's text, negative?).

    ``($1,200.00)`` → ``1,200.00`` and negative; ``1 000,00 €`` → ``1000,00``; text that is no
    such amount is kept as written (the caller reports it).
    """
    out = text.astype(object).tolist()
    negative = [False] * len(out)
    candidates = ~text.str.fullmatch(r"[+-]?[\d.,]*(?:[eE][+-]?\d+)?").fillna(True) & (text != "")
    for position in np.flatnonzero(candidates.to_numpy(dtype=bool)):
        cell = str(text.iloc[position])
        match = _WRAPPED.match(cell)
        if match is None or bool(match["open"]) != bool(match["close"]):
            continue
        signs = sum(bool(match[k]) for k in ("open", "sign1", "sign2", "sign3"))
        if signs > 1:
            continue
        number = match["number"]
        if re.search(r"['\s’\u00a0\u202f\u2009]", number):
            if not _GROUPED.match(number):
                continue
            number = re.sub(r"['\s’\u00a0\u202f\u2009]", "", number)
        out[position] = number
        negative[position] = signs == 1
    return pd.Series(out, index=text.index, dtype=text.dtype), pd.Series(negative, index=text.index)


def _mixed(what: str, first: str) -> Message:
    """The message for a cell written otherwise than the column's decimal commas (``first``)."""

    def message(value: object) -> str:
        return f"{value!r} {what}, but this column writes decimal commas elsewhere (e.g. {first!r}); {NUMBER_HINT}"

    return message


def _not_a_number(value: object) -> str:
    """'abc' is not a number; '49 USD' is not a number (and how to write one)."""
    if any(c.isdigit() for c in str(value)):
        return f"{value!r} is not a number ({NUMBER_HINT})"
    return f"{value!r} is not a number"


def _finite_checks(numbers: pd.Series) -> list[tuple[pd.Series, Message]]:
    array = numbers.to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        infinite = np.isinf(array)
        large = np.isfinite(array) & (np.abs(array) > MAX_MAGNITUDE)
    checks: list[tuple[pd.Series, Message]] = []
    if infinite.any():
        checks.append((pd.Series(infinite, index=numbers.index, copy=False), lambda v: f"{v!r} is not a finite number"))
    if large.any():
        checks.append(
            (
                pd.Series(large, index=numbers.index, copy=False),
                lambda v: f"{v!r} is too large (above {MAX_MAGNITUDE:,.0f}) to be a real figure",
            )
        )
    return checks


# --------------------------------------------------------------------------- dates


def parse_dates(
    values: pd.Series,
    *,
    open_ended_allowed: bool = False,
    hint: str = DATE_HINT,
    order: str | None = None,
    order_source: str = "",
) -> Parsed:
    """Dates of one column; see the module docstring for what is accepted.

    With ``open_ended_allowed`` (an end date), ``9999-12-31`` and ``2099-12-31`` are
    blank ("no end") and flagged in ``open_ended``; elsewhere they are errors.  ``order``
    (:data:`DAY_FIRST` or :data:`MONTH_FIRST`, from :func:`file_date_order`) reads slashed
    dates whose own column does not settle their order; ``order_source`` says what did.
    """
    index = values.index
    if pd.api.types.is_datetime64_any_dtype(values):
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_localize(None)  # the wall time as written
        parsed = values.astype("datetime64[ns]")
        stamps = parsed.to_numpy()
        missing = np.isnat(stamps)
        if (np.where(missing, 0, stamps.view("i8")) % 86_400_000_000_000).any():  # a time of day: the date counts
            parsed = parsed.dt.normalize()
            stamps = parsed.to_numpy()
        beyond = ~missing & ((stamps < FIRST_DATE.to_datetime64()) | (stamps > LAST_DATE.to_datetime64()))
        if not beyond.any():
            return Parsed(parsed)
        return Parsed(parsed.where(~beyond), [(pd.Series(beyond, index=index, copy=False), _outside)])
    blank, marker = blank_mask(values)
    obj = values.astype(object)
    parsed = pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    year = pd.Series(np.nan, index=index, dtype=float)
    month = year.copy()
    day = year.copy()
    checks: list[tuple[pd.Series, Message]] = []
    notes: list[str] = []

    is_date = ~blank & obj.map(lambda v: isinstance(v, dt.date))
    if is_date.any():
        year[is_date] = obj[is_date].map(lambda v: v.year)
        month[is_date] = obj[is_date].map(lambda v: v.month)
        day[is_date] = obj[is_date].map(lambda v: v.day)
    text = as_text(obj).where(~blank & ~is_date, "")

    # Excel serial numbers (a number cell, or digits in text)
    numeric = ~blank & ~is_date & obj.map(lambda v: isinstance(v, int | float) and not isinstance(v, bool))
    serial_text = text.str.fullmatch(r"\d+(?:\.\d+)?") & ~numeric
    serial = pd.Series(np.nan, index=index, dtype=float)
    if numeric.any():
        serial[numeric] = obj[numeric].astype(float)
    if serial_text.any():
        serial[serial_text] = pd.to_numeric(text[serial_text], errors="coerce")
    is_serial = numeric | serial_text
    bare_year = serial_text & text.str.fullmatch(r"\d{4}")
    good_serial = is_serial & ~bare_year & (serial >= _FIRST_SERIAL) & (serial < _LAST_SERIAL + 1)
    if good_serial.any():
        days = np.floor(serial[good_serial].to_numpy(dtype=float)).astype("int64")
        parsed[good_serial] = _EXCEL_EPOCH + pd.to_timedelta(days, unit="D")
    if bare_year.any():
        checks.append((bare_year, lambda v: f"{v!r} is a bare year, not a date (write 2024-01-31)"))
    far = is_serial & ~bare_year & ~good_serial
    if far.any():
        checks.append(
            (far, lambda v: f"{v!r} read as an Excel date serial is outside 1970–2099; write the date as 2025-03-31")
        )

    # ISO text: the date as written (a time of day and a zone are ignored)
    rest = ~blank & ~is_date & ~is_serial
    iso = text.where(rest, "").str.extract(ISO_LIKE)
    is_iso = rest & iso[0].notna()
    if is_iso.any():
        year[is_iso] = iso.loc[is_iso, 0].astype(float)
        month[is_iso] = iso.loc[is_iso, 1].fillna(iso.loc[is_iso, 3]).fillna(iso.loc[is_iso, 5]).astype(float)
        day[is_iso] = iso.loc[is_iso, 2].fillna(iso.loc[is_iso, 4]).fillna(iso.loc[is_iso, 6]).fillna("1").astype(float)

    # 1/5/2024 (US or European) and 05.01.2024 (day first)
    slashed = text.where(rest & ~is_iso, "").str.extract(SLASHED)
    is_slashed = rest & ~is_iso & slashed[0].notna()
    if is_slashed.any():
        first, second = slashed.loc[is_slashed, 0].astype(int), slashed.loc[is_slashed, 2].astype(int)
        seen = orders_seen(first, second, slashed.loc[is_slashed, 1] == ".")
        if len(seen) == 2:
            checks.append(
                (
                    is_slashed,
                    lambda v: f"{v!r}: this column writes dates both day-first and month-first; write 2025-03-31",
                )
            )
        elif not seen and order is None:
            checks.append(
                (
                    is_slashed,
                    lambda v: (
                        f"{v!r} could be day/month/year or month/day/year; write 2025-03-31 "
                        "(or give a mapping file with [dates] format)"
                    ),
                )
            )
        else:
            chosen = next(iter(seen)) if seen else str(order)
            d, m = (first, second) if chosen == DAY_FIRST else (second, first)
            year[is_slashed] = slashed.loc[is_slashed, 3].astype(float)
            month[is_slashed] = m.astype(float)
            day[is_slashed] = d.astype(float)
            example = text[is_slashed].iloc[0]
            why = "" if seen else f", as the file's other date columns show ({order_source})"
            notes.append(f"dates read as {chosen} ({example!r}){why}")

    # one check of every (year, month, day) read: a real date, in range, or an end marker
    have = year.notna()
    if have.any():
        y, m, d = year[have].astype(int), month[have].astype(int), day[have].astype(int)
        marker_end = ((y == 9999) | (y == 2099)) & (m == 12) & (d == 31)
        in_range = (y >= FIRST_DATE.year) & (y <= LAST_DATE.year) & ~marker_end
        stamp = pd.to_datetime(
            pd.DataFrame({"year": y.where(in_range, 2000), "month": m.where(in_range, 1), "day": d.where(in_range, 1)}),
            errors="coerce",
        )
        stamp = stamp.where(in_range)
        parsed[have] = stamp
        not_real = pd.Series(False, index=index)
        not_real[have] = (in_range & stamp.isna()).to_numpy(dtype=bool)
        outside = pd.Series(False, index=index)
        outside[have] = (~in_range & ~marker_end).to_numpy(dtype=bool)
        ended = pd.Series(False, index=index)
        ended[have] = marker_end.to_numpy(dtype=bool)  # arrays: pandas 2.x warns on a Series here
        if not_real.any():
            checks.append((not_real, lambda v: f"{v!r} is not a real date"))
        if outside.any():
            checks.append((outside, _outside))
        if ended.any():
            if not open_ended_allowed:
                checks.append((ended, lambda v: f"{v!r} means 'never'; it is not a date this column can hold"))
            open_ended = ended
        else:
            open_ended = None
    else:
        open_ended = None
    late = pd.Series(parsed > LAST_DATE, index=index).fillna(False)
    if late.any():
        checks.append((late, _outside))
        parsed = parsed.where(~late)
    handled = parsed.notna() | blank
    for mask, _message in checks:
        handled |= mask
    if open_ended is not None:
        handled |= open_ended
    unread = ~handled
    checks.insert(0, (unread, lambda v: f"{v!r} is not {hint}"))
    return Parsed(parsed, checks, notes, markers=marker, open_ended=open_ended)


#: ISO dates, and the year-first dates of East Asian locales (2025/03/31, 2025. 3. 31.).
ISO_LIKE = r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?|/(\d{1,2})/(\d{1,2})|\.\s?(\d{1,2})\.\s?(\d{1,2})\.?)(?:[ T].*)?$"
#: Day and month in either order: 1/5/2024, 05.01.2024, 1/5/2024 9:12, 3/15/2025, 10:22 AM.
SLASHED = r"^(\d{1,2})([/.])(\d{1,2})\2(\d{4})(?:[ T,].*)?$"
DAY_FIRST = "day/month/year"
MONTH_FIRST = "month/day/year"


def orders_seen(first: pd.Series, second: pd.Series, dotted: pd.Series) -> set[str]:
    """The orders a column's slashed dates prove: a first part above 12 or a dot is day first."""
    seen = set()
    if bool((first > 12).any() or dotted.any()):
        seen.add(DAY_FIRST)
    if bool((second > 12).any()):
        seen.add(MONTH_FIRST)
    return seen


def _outside(value: object) -> str:
    return f"{value!r} is outside the dates accepted (1970 to 2099); is it a typo?"
