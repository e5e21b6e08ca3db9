"""The text rules of :mod:`.values` — strip, blank, null markers — computed with Arrow's
kernels on a column of Arrow strings (a CSV read by pyarrow, a range of text cells).

:mod:`.values` says what the rules are and calls this for Arrow-backed columns only; every
answer here is the one the pandas path there gives (pandas' own string methods on Arrow
strings call the same kernels: ``str.strip`` is ``utf8_trim_whitespace``), without pandas'
round trips.  A column is read once (:func:`text_of` keeps the reading as long as the column
lives): stripped, its masks computed as NumPy arrays, and Python strings made only where the
caller asks for objects.  A column that repeats itself (a plan, an interval, a currency) is
read through its distinct values: each is stripped, checked and made a Python string once.
Without pyarrow (xlwings Lite) nothing here runs: no column there is Arrow-backed.
"""

from __future__ import annotations

import weakref
from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

#: A column repeats itself when a sample of it holds at most one distinct value in this many cells.
_REPEATS = 4
_SAMPLE = 16_384
#: Every null marker is at most this long (checked where the markers are given).
_MARKER_LENGTH = 4

_read: dict[int, ArrowText] = {}


def text_of(values: pd.Series) -> ArrowText | None:
    """The reading of a column of Arrow strings (made once per column); None for any other column."""
    dtype = values.dtype
    if not isinstance(dtype, pd.StringDtype) or dtype.storage != "pyarrow":
        return None
    array: pa.ChunkedArray = values.array.__arrow_array__()  # the Arrow array protocol: no copy
    key = id(array)
    found = _read.get(key)
    if found is None or found.array() is not array:
        found = _read[key] = ArrowText(array)
        weakref.finalize(array, _read.pop, key, None)
    return found


class ArrowText:
    """One column of Arrow strings, read as the rules of :mod:`.values` read text."""

    def __init__(self, array: pa.ChunkedArray) -> None:
        import pyarrow.compute as pc

        self.array = weakref.ref(array)
        self.codes: np.ndarray | None = None  # per cell, its distinct value (-1: null); None: read cell by cell
        source = array
        if _repeats(array):
            self.codes, source = _encode(array)
        self.text: pa.Array | pa.ChunkedArray = pc.utf8_trim_whitespace(source)
        self._masks: tuple[np.ndarray, np.ndarray] | None = None

    def masks(self, markers: Collection[str]) -> tuple[np.ndarray, np.ndarray]:
        """(blank, marker): null or empty once stripped, or a null marker (compared lower-case)."""
        if self._masks is None:
            blank, marker = _blank_and_marker(self.text, markers)
            if self.codes is not None:  # a null's code (-1) picks the appended blank
                blank, marker = np.append(blank, True)[self.codes], np.append(marker, False)[self.codes]
            self._masks = blank, marker
        return self._masks[0].copy(), self._masks[1].copy()

    def objects(self, blank: np.ndarray) -> np.ndarray:
        """The stripped cells as Python strings in an object array; ``None`` where ``blank``."""
        if self.codes is not None:
            distinct = np.empty(len(self.text) + 1, dtype=object)
            distinct[:-1] = self.text.to_pylist()
            cells = distinct[self.codes]  # the appended None for a null
        else:
            cells = self.text.to_numpy(zero_copy_only=False)
        if blank.any():
            cells[blank] = None
        return cells

    def factorize(self) -> tuple[np.ndarray, list[str]]:
        """(codes, distinct stripped values); a null's code is -1."""
        codes, uniques = _encode(self.text)
        if self.codes is not None:
            codes = np.append(codes, -1)[self.codes]
        return codes, uniques.to_pylist()


def _blank_and_marker(text: pa.Array | pa.ChunkedArray, markers: Collection[str]) -> tuple[np.ndarray, np.ndarray]:
    import pyarrow as pa
    import pyarrow.compute as pc

    length = pc.utf8_length(text)
    shortest = pc.min(length).as_py()
    if text.null_count == 0 and (shortest is None or shortest > _MARKER_LENGTH):  # the usual column
        return np.zeros(len(text), dtype=bool), np.zeros(len(text), dtype=bool)
    empty = _numpy(pc.fill_null(pc.equal(length, 0), True))
    short = _numpy(pc.fill_null(pc.less_equal(length, _MARKER_LENGTH), False)) & ~empty
    marker = np.zeros(len(text), dtype=bool)
    if short.any():
        known = pa.array(sorted(markers), type=pa.string())
        marker = _numpy(pc.fill_null(pc.is_in(pc.utf8_lower(text), value_set=known), False)) & short
    return empty | marker, marker


def _encode(array: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, pa.Array]:
    """(codes, distinct values): a null's code is -1."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = pc.dictionary_encode(array)
    if isinstance(encoded, pa.ChunkedArray):
        if encoded.num_chunks == 0:
            return np.zeros(0, dtype=np.intp), pa.array([], type=pa.string())
        dictionary = encoded.chunk(0).dictionary  # one dictionary, shared by every chunk
        indices: pa.Array | pa.ChunkedArray = pa.chunked_array([c.indices for c in encoded.chunks])
    else:
        dictionary, indices = encoded.dictionary, encoded.indices
    return _numpy(pc.fill_null(indices, -1)).astype(np.intp), dictionary


def _repeats(array: pa.ChunkedArray) -> bool:
    import pyarrow.compute as pc

    sample = array.slice(0, _SAMPLE)
    if len(sample) < 2 * _REPEATS:
        return False
    return bool(pc.count_distinct(sample, mode="all").as_py() * _REPEATS <= len(sample))


def _numpy(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A null-free Arrow array as NumPy."""
    return np.asarray(array)
