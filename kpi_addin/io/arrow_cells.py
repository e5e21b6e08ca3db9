"""The text rules of :mod:`.values` — strip, blank, null markers — computed with Arrow's
kernels on a column of Arrow strings (a CSV read by pyarrow, a range of text cells).

:mod:`.values` says what the rules are and calls these for Arrow-backed columns only; every
function here gives exactly what the pandas path there gives (pandas' own string methods on
Arrow strings call the same kernels: ``str.strip`` is ``utf8_trim_whitespace``), without the
pandas round trips: a column is stripped once, its masks come back as NumPy arrays, and
Python strings are made only where the caller wants objects — once per distinct value when
the column repeats itself (a plan, an interval, a currency).  Without pyarrow (xlwings Lite)
nothing here is imported: no column there is Arrow-backed.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa

#: A text column repeats itself when a sample of it holds at most one distinct value in this
#: many cells: then its distinct values are found first and each made a Python string once.
_REPEATS = 4
_SAMPLE = 65_536


def arrow_strings(values: pd.Series) -> pa.ChunkedArray | None:
    """The Arrow array behind a column of Arrow strings (no copy); None for any other column."""
    dtype = values.dtype
    if not isinstance(dtype, pd.StringDtype) or dtype.storage != "pyarrow":
        return None
    array: pa.ChunkedArray = values.array.__arrow_array__()  # the Arrow array protocol: pandas hands its own
    return array


def stripped(array: pa.ChunkedArray) -> pa.ChunkedArray:
    """Each cell stripped of whitespace (nulls stay null): ``as_text`` without its fill."""
    import pyarrow.compute as pc

    return pc.utf8_trim_whitespace(array)


def blank_and_marker(text: pa.ChunkedArray, markers: Collection[str]) -> tuple[np.ndarray, np.ndarray]:
    """(blank, marker) of stripped cells: null or empty, or a null marker (compared lower-case;
    every marker is at most 4 characters long)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    length = pc.utf8_length(text)
    shortest = pc.min(length).as_py()
    if text.null_count == 0 and (shortest is None or shortest > 4):  # the usual column: nothing blank
        none = np.zeros(len(text), dtype=bool)
        return none, none.copy()
    empty = _numpy(pc.fill_null(pc.equal(length, 0), True))
    short = _numpy(pc.fill_null(pc.less_equal(length, 4), False)) & ~empty
    marker = np.zeros(len(text), dtype=bool)
    if short.any():
        known = pa.array(sorted(markers), type=pa.string())
        marker = _numpy(pc.fill_null(pc.is_in(pc.utf8_lower(text), value_set=known), False)) & short
    return empty | marker, marker


def objects(text: pa.ChunkedArray, blank: np.ndarray) -> np.ndarray:
    """The stripped cells as Python strings in an object array, ``None`` where blank."""
    if _repeats(text):
        codes, uniques = factorize(text)
        out = np.empty(len(uniques) + 1, dtype=object)
        out[: len(uniques)] = uniques
        out[-1] = None
        cells = out[codes]  # code -1 (null) picks the trailing None
    else:
        cells = text.to_numpy(zero_copy_only=False)
    if blank.any():
        cells[blank] = None
    return cells


def factorize(text: pa.ChunkedArray) -> tuple[np.ndarray, list[str]]:
    """(codes, distinct values) of stripped cells; a null's code is -1."""
    import pyarrow as pa
    import pyarrow.compute as pc

    encoded = text.dictionary_encode()
    if encoded.num_chunks == 0:
        return np.zeros(0, dtype=np.intp), []
    uniques = encoded.chunk(0).dictionary.to_pylist()  # one dictionary, shared by every chunk
    indices = pa.chunked_array([c.indices for c in encoded.chunks], type=encoded.type.index_type)
    codes = _numpy(pc.fill_null(indices, -1)).astype(np.intp)
    return codes, uniques


def _repeats(text: pa.ChunkedArray) -> bool:
    import pyarrow.compute as pc

    sample = text.slice(0, _SAMPLE)
    if len(sample) < 2 * _REPEATS:
        return False
    distinct = pc.count_distinct(sample, mode="all").as_py()
    return bool(distinct * _REPEATS <= len(sample))


def _numpy(array: pa.ChunkedArray) -> np.ndarray:
    """A null-free Arrow array as NumPy."""
    return np.asarray(array.to_numpy())
