"""Rows of a large data sheet written straight as sheet XML, vectorised with pandas.

openpyxl builds a Python object per cell: a million-row ledger takes minutes and
gigabytes.  The builder leaves that sheet's rows out, registers the two cell styles the
rows need (a date format, and the quote prefix for text that starts like a formula), and
the writer streams the rows in here when it rewrites the saved file.  The result is the
same XML a spreadsheet application writes: numbers as ``<v>``, text as inline strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from openpyxl.utils import get_column_letter

from .cells import FORMULA_TRIGGERS, MAX_CELL_CHARS, XML_ILLEGAL_RE, cell_text

CHUNK_ROWS = 50_000
_EPOCH = np.datetime64("1899-12-30")


@dataclass
class StreamedRows:
    """Rows to stream into one sheet: ``frame[columns]`` from ``first_row`` on."""

    frame: pd.DataFrame
    columns: list[str]
    kinds: dict[str, str]  # column → "date", "number" or "text"
    first_row: int
    date_style: int
    text_prefix_style: int
    number_styles: dict[str, int] = field(default_factory=dict)  # column → style of its numbers

    @property
    def last_row(self) -> int:
        return self.first_row + len(self.frame) - 1

    def chunks(self) -> Iterator[str]:
        for start in range(0, len(self.frame), CHUNK_ROWS):
            yield self._rows(self.frame.iloc[start : start + CHUNK_ROWS], self.first_row + start)

    def _rows(self, chunk: pd.DataFrame, first: int) -> str:
        numbers = pd.Series(np.arange(first, first + len(chunk)).astype(str), index=chunk.index)
        cells = pd.Series("", index=chunk.index, dtype=object)
        for j, column in enumerate(self.columns, start=1):
            if column not in chunk:
                continue
            ref = '<c r="' + get_column_letter(j) + numbers
            cells = cells + self._cells(
                chunk[column], ref, self.kinds.get(column, "text"), self.number_styles.get(column)
            )
        return "".join(('<row r="' + numbers + '">' + cells + "</row>").tolist())

    def _cells(self, values: pd.Series, ref: pd.Series, kind: str, number_style: int | None = None) -> pd.Series:
        blank = values.isna()
        if kind == "date":
            days = (values.to_numpy(dtype="datetime64[ns]") - _EPOCH) / np.timedelta64(1, "D")
            text = pd.Series(days, index=values.index).map(_number)
            out = ref + f'" s="{self.date_style}"><v>' + text + "</v></c>"
        elif kind == "number":
            text = pd.to_numeric(values, errors="coerce").map(_number)
            styled = "" if number_style is None else f' s="{number_style}"'
            out = ref + '"' + styled + "><v>" + text + "</v></c>"
        else:
            text = _xml_text(values.astype(object).where(~blank, ""))
            long = text.str.len() > MAX_CELL_CHARS
            if long.any():
                text = text.where(~long, text.map(cell_text))
            prefixed = text.str.startswith(FORMULA_TRIGGERS).astype(bool)
            text = text.str.replace("&", "&amp;").str.replace("<", "&lt;").str.replace(">", "&gt;")
            style = pd.Series("", index=values.index, dtype=object).where(~prefixed, f' s="{self.text_prefix_style}"')
            out = ref + '"' + style + ' t="inlineStr"><is><t xml:space="preserve">' + text + "</t></is></c>"
        return out.where(~blank, "")


#: XML_ILLEGAL_RE for Arrow's RE2 (Arrow strings hold no surrogates: they are valid UTF-8).
_ARROW_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"


def _xml_text(values: pd.Series) -> pd.Series:
    """Cell text without the characters XML forbids: vectorised on Arrow strings, or in
    Python for text Arrow cannot hold (a lone surrogate)."""
    try:
        arrow = values.astype(pd.StringDtype("pyarrow"))
    except (UnicodeEncodeError, TypeError, ValueError):
        return values.map(lambda v: XML_ILLEGAL_RE.sub("", str(v))).astype(object)
    return arrow.str.replace(_ARROW_ILLEGAL, "", regex=True).astype(object)


def _number(value: float) -> str:
    if value != value:  # nan
        return ""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))
