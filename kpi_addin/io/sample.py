"""The bundled sample company, and writing it out as a template to fill in."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

from .safe_write import atomic_output
from .schema import SHEETS

DATE_COLUMNS = {"start_date", "end_date", "trial_end", "date"}


def sample_path() -> Path:
    """The folder of the bundled sample's CSV files (inside the installed package)."""
    return Path(str(resources.files("kpi_addin") / "sample_data"))


#: The sheets the sample has (it has no optional customers sheet).
SAMPLE_SHEETS = tuple(name for name in SHEETS if (sample_path() / f"{name}.csv").exists())


def write_sample(out: Path, *, fmt: str = "xlsx", force: bool = False) -> list[Path]:
    """Write the sample as ``out/kpi_input.xlsx`` (one sheet per input) or as CSV files.

    Existing files are not replaced without ``force``; each file is written atomically.
    """
    out.mkdir(parents=True, exist_ok=True)
    source = sample_path()
    if fmt == "csv":
        written = []
        for name in SAMPLE_SHEETS:
            target = out / f"{name}.csv"
            with atomic_output(target, force=force) as tmp:
                tmp.write_bytes((source / f"{name}.csv").read_bytes())
            written.append(target)
        return written
    from openpyxl import Workbook

    target = out / "kpi_input.xlsx"
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name in SAMPLE_SHEETS:
        frame = pd.read_csv(source / f"{name}.csv", dtype=str, keep_default_na=False)
        sheet = workbook.create_sheet(name)
        sheet.append(list(frame.columns))
        for record in frame.itertuples(index=False):
            row = []
            for column, value in zip(frame.columns, record, strict=True):
                row.append(_typed(column, value))
            sheet.append(row)
        for column, cells in zip(frame.columns, sheet.iter_cols(min_row=2), strict=True):
            for cell in cells:
                if column in DATE_COLUMNS and cell.value is not None:
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(cell.value, str):
                    cell.data_type = "s"  # text stays text, never a formula
        sheet.freeze_panes = "A2"
        for i, column in enumerate(frame.columns):
            sheet.column_dimensions[chr(65 + i)].width = max(12, len(column) + 2)
    with atomic_output(target, force=force) as tmp:
        workbook.save(tmp)
    return [target]


def _typed(column: str, value: str) -> object:
    if value == "":
        return None
    if column in DATE_COLUMNS:
        return pd.Timestamp(value).to_pydatetime()
    try:
        number = float(value)
    except ValueError:
        return value
    if column in ("customer_id", "respondent", "key", "value", "month", "period", "due", "kpi"):
        return value
    return (
        int(number)
        if number.is_integer()
        and column
        in ("quantity", "score", "visitors", "contacts", "leads", "mql", "sal", "sql", "pql", "pql_converted")
        else number
    )
