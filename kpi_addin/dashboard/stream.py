"""Rows of a large data sheet written straight as sheet XML, vectorised with Arrow.

openpyxl builds a Python object per cell: a million-row ledger takes minutes and
gigabytes.  The builder leaves that sheet's rows out, registers the two cell styles the
rows need (a date format, and the quote prefix for text that starts like a formula), and
the writer streams the rows in here when it rewrites the saved file.  The result is the
same XML a spreadsheet application writes: numbers as ``<v>``, text as inline strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from openpyxl.utils import get_column_letter

from .cells import FORMULA_TRIGGERS, MAX_CELL_CHARS, TRUNCATED_MARK, XML_ILLEGAL_RE

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
        """The ``<row>`` elements of ``chunk``, built column-wise in Arrow, never cell by cell."""
        numbers = pa.array(np.arange(first, first + len(chunk), dtype=np.int64)).cast(pa.string())
        parts: list[pa.Array | str] = ['<row r="', numbers, '">']
        for j, column in enumerate(self.columns, start=1):
            if column in chunk:
                kind, style = self.kinds.get(column, "text"), self.number_styles.get(column)
                parts.append(self._cells(chunk[column], get_column_letter(j), numbers, kind, style))
        parts += ["</row>", ""]  # the last argument is the separator
        rows = pc.binary_join_element_wise(*parts)
        offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset : rows.offset + len(rows) + 1]
        return rows.buffers()[2].to_pybytes()[offsets[0] : offsets[-1]].decode("utf-8")

    def _cells(
        self, values: pd.Series, letter: str, numbers: pa.Array, kind: str, number_style: int | None = None
    ) -> pa.Array:
        """One column's ``<c>`` elements ("" for a blank cell)."""
        blank = values.isna().to_numpy(dtype=bool)
        if kind == "date":
            days = (values.to_numpy(dtype="datetime64[ns]") - _EPOCH) / np.timedelta64(1, "D")
            head, text, tail = f'" s="{self.date_style}"><v>', _numbers(days), "</v></c>"
        elif kind == "number":
            head = '"><v>' if number_style is None else f'" s="{number_style}"><v>'
            tail = "</v></c>"
            text = _numbers(pd.to_numeric(values, errors="coerce").to_numpy(dtype=float))
        else:
            text = _text(values)
            prefixed = pc.match_substring_regex(text, _TRIGGER)
            if pc.any(prefixed).as_py():
                head = pc.if_else(prefixed, f'" s="{self.text_prefix_style}" t="inlineStr">', '" t="inlineStr">')
            else:
                head = '" t="inlineStr">'
            head = pc.binary_join_element_wise(head, '<is><t xml:space="preserve">', "")
            tail = "</t></is></c>"
        cells = pc.binary_join_element_wise('<c r="', letter, numbers, head, text, tail, "")
        return pc.if_else(pa.array(blank), "", cells) if blank.any() else cells


def _text(values: pd.Series) -> pa.Array:
    """Cell text for sheet XML: control characters Excel cannot store dropped, ``& < >`` escaped."""
    try:
        as_text = values.astype(str)
    except UnicodeEncodeError:  # a lone surrogate (text Arrow cannot hold): dropped in Python first
        as_text = values.map(lambda v: XML_ILLEGAL_RE.sub("", str(v))).astype(str)
    text = pa.array(as_text, from_pandas=True)  # Arrow-backed text arrives without a copy
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks()
    text = text.cast(pa.string())
    if pc.any(pc.match_substring_regex(text, _ILLEGAL)).as_py():
        text = pc.replace_substring_regex(text, _ILLEGAL, "")
    long = pc.greater(pc.utf8_length(text), MAX_CELL_CHARS)
    if pc.any(long).as_py():  # cut at Excel's cell limit, with a mark saying so
        cut = pc.utf8_slice_codeunits(text, 0, MAX_CELL_CHARS - len(TRUNCATED_MARK))
        text = pc.if_else(long, pc.binary_join_element_wise(cut, TRUNCATED_MARK, ""), text)
    for plain, escaped in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;")):
        if pc.any(pc.match_substring(text, plain)).as_py():
            text = pc.replace_substring(text, plain, escaped)
    return text


def _numbers(values: np.ndarray) -> pa.Array:
    """Numbers as sheet XML writes them: whole ones as integers, others in shortest round-trip form."""
    whole = np.isfinite(values) & (values == np.floor(values)) & (np.abs(values) < 1e15)
    integers = pa.array(np.where(whole, values, 0).astype(np.int64)).cast(pa.string())
    if whole.all():
        return integers
    others = pc.if_else(pa.array(np.isnan(values)), "", pa.array(values).cast(pa.string()))  # nan: an empty <v>
    return pc.if_else(pa.array(whole), integers, others)


#: The characters XML forbids (:data:`.cells.XML_ILLEGAL_RE`), for Arrow's RE2 (Arrow text holds no surrogates).
_ILLEGAL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x{FFFE}\x{FFFF}]"
#: Text starting like a formula gets Excel's quote prefix (:data:`.cells.FORMULA_TRIGGERS`).
_TRIGGER = "^(" + "|".join(re.escape(t) for t in FORMULA_TRIGGERS) + ")"
