"""The dashboard on costs and funnel given by segment (issue 19), recalculated by LibreOffice.

The Data sheets hold the segment rows as given; *Inputs by month* sums each month's rows
(``SUMIFS`` by month), so every formula of the workbook equals the library — whose company
figures are the unsplit sample's (:mod:`tests.test_segmented_inputs_family`).
"""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from kpi_addin.io import sample_path
from kpi_addin.io.inputs import load_company

from .dashboard_helpers import build, mismatches
from .libreoffice import recalculated_values
from .test_segmented_inputs_family import segmented  # noqa: F401  # the fixture, shared


@pytest.mark.libreoffice
def test_the_workbook_on_segmented_inputs_equals_the_library(segmented, tmp_path):  # noqa: F811
    data = load_company(segmented)[0]
    path = tmp_path / "dashboard.xlsx"
    report, expected = build(data, path)
    recalculated = recalculated_values(path, tmp_path)
    assert mismatches(expected, recalculated) == []
    # Inputs by month, as LibreOffice sums the segment rows: the unsplit sample's sales and visitors
    sheet = load_workbook(path, read_only=True)["Inputs by month"]
    header = [c.value for c in next(sheet.iter_rows(min_row=4, max_row=4))]
    shown = recalculated["Inputs by month"]
    costs = pd.read_csv(sample_path() / "costs.csv").set_index("month")
    funnel = pd.read_csv(sample_path() / "funnel.csv").set_index("month")
    checked = 0
    for i, month in enumerate(report.monthly.index):
        for column, given in (("sales", costs), ("marketing", costs), ("cash", costs), ("visitors", funnel)):
            cell = f"{get_column_letter(header.index(column) + 1)}{5 + i}"
            assert shown[cell] == pytest.approx(float(given.loc[str(month), column]), abs=1e-6), (column, month)
            checked += 1
    assert checked == 4 * len(report.monthly) and len(report.monthly) >= 12
