"""The text rules read the same with and without pyarrow (issue #25).

A column of Arrow strings (a CSV read by pyarrow) is read by Arrow's kernels
(``io/arrow_cells.py``); a column of Python strings or objects (xlwings Lite, whose pandas
has no pyarrow; an Excel range) by pandas.  Both must give the same blanks, null markers,
stripped text and codes, cell for cell — and a whole folder must load into the same data.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpi_addin.io import arrow_cells
from kpi_addin.io import values as values_
from kpi_addin.io.inputs import load_company

#: Cells that test every rule: blanks and whitespace of several kinds, null markers in any
#: case and padded, text around the marker length, Unicode, and cells that only look blank.
TRICKY = [
    "Pro",
    " Pro ",
    "pro",
    "",
    " ",
    "\t",
    "\u00a0",
    None,
    "N/A",
    " n/a ",
    "#N/A",
    "NULL",
    "nan",
    "None",
    "nil",
    "-",
    "--",
    " - ",
    "---",
    "n/a/",
    "NA",
    "nA",
    "nana",
    "Ärger",
    "😀",
    "0012",
    "a b",
    "\u3000x\u3000",
    "month",
    "Month ",
]


def python_strings(cells: list[object]) -> pd.Series:
    return pd.Series(cells, dtype=pd.StringDtype("python", na_value=np.nan))


def arrow_strings(cells: list[object]) -> pd.Series:
    return pd.Series(cells, dtype=pd.StringDtype("pyarrow", na_value=np.nan))


@pytest.mark.parametrize("repeat", [1, 40], ids=["cell by cell", "through distinct values"])
def test_arrow_and_pandas_read_text_cells_alike(repeat):
    cells = TRICKY * repeat  # 40 copies: the column repeats itself, read through its distinct values
    arrow, python = arrow_strings(cells), python_strings(cells)
    objects = pd.Series(cells, dtype=object)
    reading = arrow_cells.text_of(arrow)
    assert reading is not None and (reading.codes is not None) == (repeat > 1)
    assert arrow_cells.text_of(python) is None and arrow_cells.text_of(objects) is None

    blank, marker = values_.blank_mask(arrow)
    for other in (python, objects):
        other_blank, other_marker = values_.blank_mask(other)
        assert blank.tolist() == other_blank.tolist()
        assert marker.tolist() == other_marker.tolist()
    expected_blank = [c is None or c.strip() == "" or c.strip().lower() in values_.NULL_MARKERS for c in cells]
    assert blank.tolist() == expected_blank
    assert marker.sum() == 12 * repeat  # N/A, n/a, #N/A, NULL, nan, None, nil, -, --, -, NA, nA: no other

    text = values_.text_objects(arrow, blank)
    assert text.dtype == object and text.tolist() == values_.text_objects(python, blank).tolist()
    assert text.tolist() == [None if b else c.strip() for c, b in zip(cells, expected_blank, strict=True)]
    assert all(type(v) is str for v in text if v is not None)

    codes, uniques = values_.factorize_text(arrow)
    python_codes, python_uniques = values_.factorize_text(python)
    assert [uniques[c] for c in codes] == [python_uniques[c] for c in python_codes]
    assert len(set(uniques)) == len(uniques) == len(python_uniques)
    assert [uniques[c] for c in codes] == ["" if c is None else c.strip() for c in cells]


def test_a_column_is_read_once_and_forgotten_with_it():
    column = arrow_strings(["a", " b", None] * 10)
    reading = arrow_cells.text_of(column)
    assert arrow_cells.text_of(column) is reading
    assert arrow_cells.text_of(column.reset_index(drop=True)) is reading  # the same Arrow array
    before = len(arrow_cells._read)
    del column, reading
    assert len(arrow_cells._read) == before - 1


def test_empty_and_all_blank_arrow_columns():
    for cells in ([], [None, None], ["", " "] * 8, [None] * 20):
        arrow, python = arrow_strings(cells), python_strings(cells)
        assert values_.blank_mask(arrow)[0].tolist() == values_.blank_mask(python)[0].tolist() == [True] * len(cells)
        blank = values_.blank_mask(arrow)[0]
        assert values_.text_objects(arrow, blank).tolist() == [None] * len(cells)


#: A folder that exercises every reader rule through the CSV loader: a BOM, quoted fields with
#: separators and quotes, whitespace around ids and words, null markers, blank cells given
#: their defaults, decimal commas, day-first dates and 12 identical rows (so the text columns
#: repeat themselves and are read through their distinct values).
SUBSCRIPTIONS = (
    "\ufeffcustomer_id;customer_name;plan;amount;interval;quantity;currency;start_date;end_date;trial_end;region\n"
    '" C001 ";"Acme; Inc.";Pro ;49,50;month;1;EUR;15/01/2024;;;"North ""A"""\n'
    'C002;Beta;" pro";"1.049,50";Year;;eur;01/02/2024;31/12/2024;N/A;South\n'
    "C003;N/A;Basic;10;;2;USD;03/02/2024;9999-12-31;14/02/2024;\n"
    "C004;  ;Basic;10,00;quarter;1,5;;28/02/2024;-;;North\n"
    + "".join(f"C1{i:02d};Rep;Pro;20;month;1;USD;01/03/2024;;;West\n" for i in range(12))
)


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "subscriptions.csv").write_bytes(SUBSCRIPTIONS.encode("utf-8"))
    (folder / "fx_rates.csv").write_text('currency,rate,month\n EUR ,"1,08",2024-01\nEUR,"1,1",2024-02\n')
    (folder / "settings.csv").write_text("key,value\nreporting_currency,usd\nas_of,2024-12\n")
    return folder


def _summary(folder: Path) -> dict[str, object]:
    company, notes, warnings = load_company(folder)

    def column(values: pd.Series) -> list[object]:
        return [
            None if (v is None or v is pd.NaT or (isinstance(v, float) and np.isnan(v))) else str(v) for v in values
        ]

    # the columns of the sheets (an extra column is kept as read: missing cells are NaN in
    # pyarrow's reading, '' in pandas')
    frames = {"subscriptions": company.subscriptions.drop(columns="region"), "fx_rates": company.fx_rates}
    return {
        "frames": {
            name: {c: [str(frame[c].dtype), column(frame[c]), [type(v).__name__ for v in frame[c]]] for c in frame}
            for name, frame in frames.items()
            if frame is not None
        },
        "notes": [str(n) for n in notes],
        "warnings": [str(w) for w in warnings],
    }


WITHOUT_PYARROW = textwrap.dedent("""
    import importlib.abc, json, sys
    from pathlib import Path

    class Blocked(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "pyarrow":
                raise ImportError(name + " is not installed here")

    sys.meta_path.insert(0, Blocked())
    from tests.test_text_paths import _summary
    from kpi_addin.io.values import TEXT

    print(json.dumps({"storage": TEXT.storage, "summary": _summary(Path(sys.argv[1])),
                      "pyarrow": "pyarrow" in sys.modules}))
""")


def test_a_folder_loads_alike_with_and_without_pyarrow(tmp_path):
    folder = _folder(tmp_path)
    with_pyarrow = _summary(folder)
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", WITHOUT_PYARROW, str(folder)],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["storage"] == "python" and not out["pyarrow"]
    assert out["summary"] == json.loads(json.dumps(with_pyarrow))
    subs = with_pyarrow["frames"]["subscriptions"]
    assert subs["customer_id"][1][:4] == ["C001", "C002", "C003", "C004"]
    assert subs["customer_name"][1][:4] == ["Acme; Inc.", "Beta", None, None]
    assert subs["plan"][1][:4] == ["Pro", "pro", "Basic", "Basic"] and subs["plan"][0] == "object"
    assert subs["amount"][1][:4] == ["49.5", "1049.5", "10.0", "10.0"]
    assert subs["interval"][0] == "category" and subs["interval"][1][:4] == ["month", "year", "month", "quarter"]
    assert subs["quantity"][1][:4] == ["1.0", "1.0", "2.0", "1.5"]
    assert subs["currency"][1][:4] == ["EUR", "EUR", "USD", "USD"]
    assert subs["start_date"][1][:2] == ["2024-01-15 00:00:00", "2024-02-01 00:00:00"]
    assert subs["end_date"][1][:4] == [None, "2024-12-31 00:00:00", None, None]
    assert load_company(folder)[0].subscriptions["region"].tolist()[:2] == ['North "A"', "South"]
    assert any("decimal commas" in n for n in with_pyarrow["notes"])
    assert any("day/month/year" in n for n in with_pyarrow["notes"])
