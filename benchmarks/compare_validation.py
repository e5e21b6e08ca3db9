"""Our input validation against pandera on the 1M-subscription ledger.

    python benchmarks/compare_validation.py [--repeat 3]

Measures, on this machine:

* import time of ``pandera.pandas`` over ``pandas`` (fresh processes, best of N), beside our
  reader's;
* validating the subscriptions sheet of the 1M ledger, read as the reader reads it
  (``load_raw_sheets``: pyarrow types clean columns), clean and with bad cells ('abc'
  amounts, unknown intervals, impossible dates, negative amounts), by our
  ``validate_sheet`` and by a pandera ``DataFrameSchema`` with the same rules
  (``lazy=True``, so it collects every failure as we do), alternating, best of N;
* whether pandera's failure cases carry what our located messages need
  (``subscriptions.csv!B17 (amount): 'abc' is not a number``): the raw cell text, and a
  position that maps back to the sheet row and column letter.

Both validators' findings are compared: which of the cells made bad each one finds.  The
whole run takes about half an hour: pandera locates the bad cells of a text column by
coercing value by value (docs/design.md, "Input validation").
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from run_metrics_benchmark import DATA, HERE

from kpi_addin.io import schema
from kpi_addin.io.loading import load_raw_sheets
from kpi_addin.io.problems import RawSheet
from kpi_addin.io.validation import validate_sheet

BAD = {  # column → (how many cells, the bad text)
    "amount": (100, "abc"),
    "interval": (50, "fortnight"),
    "start_date": (30, "2024-13-45"),
}
NEGATIVE_AMOUNTS = 20


def import_seconds(module: str, repeat: int) -> float:
    """Best-of-N time to import ``module`` in a fresh process, after pandas is imported."""
    code = f"import time, pandas; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    command = [sys.executable, "-c", code]
    return min(float(subprocess.run(command, capture_output=True, text=True, check=True).stdout) for _ in range(repeat))


def dirty_copy(folder: Path) -> dict[str, list[int]]:
    """Write the ledger with bad cells into ``folder``; returns the 0-based rows made bad, per column."""
    frame = pd.read_csv(DATA / "subscriptions.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(11)
    rows = rng.choice(len(frame), size=sum(n for n, _ in BAD.values()) + NEGATIVE_AMOUNTS, replace=False)
    made: dict[str, list[int]] = {}
    at = 0
    for column, (n, text) in BAD.items():
        chosen = sorted(rows[at : at + n].tolist())
        frame.loc[chosen, column] = text
        made[column] = chosen
        at += n
    negative = sorted(rows[at:].tolist())
    frame.loc[negative, "amount"] = "-" + frame.loc[negative, "amount"]
    made["amount<0"] = negative
    frame.to_csv(folder / "subscriptions.csv", index=False)
    shutil.copy(DATA / "fx_rates.csv", folder / "fx_rates.csv")
    shutil.copy(DATA / "settings.csv", folder / "settings.csv")
    return made


def pandera_schema():  # type: ignore[no-untyped-def]
    """The subscriptions sheet's rules (kpi_addin/io/schema.py) as a pandera schema."""
    import pandera.pandas as pa

    intervals = list(schema.INTERVAL_NAMES)
    optional_date = {"coerce": True, "nullable": True, "required": False}
    return pa.DataFrameSchema(
        {
            "customer_id": pa.Column(str, nullable=False, coerce=True),
            "customer_name": pa.Column(str, nullable=True, required=False),
            "plan": pa.Column(str, nullable=True, required=False),
            "amount": pa.Column(float, pa.Check.ge(0), nullable=False, coerce=True),
            "interval": pa.Column(
                str, pa.Check(lambda s: s.str.strip().str.lower().isin(intervals)), nullable=True, required=False
            ),
            "quantity": pa.Column(float, pa.Check.ge(0), nullable=True, coerce=True, required=False),
            "currency": pa.Column(str, pa.Check.str_matches(r"^[A-Za-z]{3}$"), nullable=True, required=False),
            "start_date": pa.Column("datetime64[ns]", nullable=False, coerce=True),
            "end_date": pa.Column("datetime64[ns]", **optional_date),
            "trial_end": pa.Column("datetime64[ns]", **optional_date),
        }
    )


def run_pandera(raw: RawSheet) -> pd.DataFrame:
    """pandera's failure cases for ``raw`` (empty when it passes)."""
    import pandera.errors

    try:
        pandera_schema().validate(raw.frame, lazy=True)
    except pandera.errors.SchemaErrors as exc:
        return exc.failure_cases
    return pd.DataFrame(columns=["column", "check", "failure_case", "index"])


def located(raw: RawSheet, cases: pd.DataFrame) -> list[str]:
    """pandera's failure cases turned into our located messages, where that is possible."""
    out = []
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            continue
        position = int(case.index)
        original = raw.frame[case.column].iloc[position]  # the cell as read, not pandera's coerced value
        out.append(
            f"{raw.file} {raw.label}!{raw.letters[case.column]}{raw.rows[position]} ({case.column}): "
            f"{original!r} failed {case.check}"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if not (DATA / "subscriptions.csv").exists():
        subprocess.run([sys.executable, str(HERE / "make_ledger.py"), "--out", str(DATA)], check=True)
    sheet = schema.SHEETS["subscriptions"]

    print("import, after pandas (fresh process, best of 5):")
    for module in ("pandera.pandas", "kpi_addin.io.reader"):
        print(f"  import {module}: {import_seconds(module, 5):.2f} s")

    with tempfile.TemporaryDirectory() as work:
        made = dirty_copy(Path(work))
        clean_raw = load_raw_sheets(DATA)[0]["subscriptions"]
        dirty_raw = load_raw_sheets(Path(work))[0]["subscriptions"]
    dtypes = ", ".join(f"{c}: {t}" for c, t in dirty_raw.frame.dtypes.astype(str).items())
    print(f"\nthe dirty ledger as read (columns with a bad cell arrive as text): {dtypes}")

    print(f"\nvalidating 1,000,000 subscriptions (best of {args.repeat}, alternating):")
    results: dict[tuple[str, str], list[float]] = {}
    found: dict[tuple[str, str], object] = {}
    for _ in range(args.repeat):
        for label, raw in (("clean", clean_raw), ("dirty", dirty_raw)):
            t = time.perf_counter()
            found["ours", label] = validate_sheet(raw, sheet)[1]
            results.setdefault(("ours", label), []).append(time.perf_counter() - t)
            t = time.perf_counter()
            found["pandera", label] = run_pandera(raw)
            results.setdefault(("pandera", label), []).append(time.perf_counter() - t)
    for (who, label), times in results.items():
        print(f"  {who:8} {label}: {min(times):.2f} s")

    ours, theirs = found["ours", "dirty"], found["pandera", "dirty"]
    assert not found["ours", "clean"] and found["pandera", "clean"].empty, "the clean ledger must pass both"
    ours_cells = {(p.column, int(p.row) - 2) for p in ours if p.row is not None}  # type: ignore[union-attr]
    print(f"\nthe dirty ledger: we report {len(ours)} problems (10 listed per kind, then a count):")
    for problem in ours[:3]:  # type: ignore[index]
        print(f"  {problem}")
    print(f"pandera: {len(theirs)} failure cases; checks {sorted(theirs['check'].astype(str).unique())}")
    print(theirs.head(3).to_string(index=False))
    every_bad = {(c if c != "amount<0" else "amount", r) for c, rows in made.items() for r in rows}
    pandera_cells = {(c, int(i)) for c, i in zip(theirs["column"], theirs["index"], strict=True) if pd.notna(i)}
    print(
        f"cells made bad: {len(every_bad)}; pandera found {len(every_bad & pandera_cells)} of them "
        f"(+{len(pandera_cells - every_bad)} others); our listed ones are all among them: {ours_cells <= every_bad}"
    )
    print("pandera's cases mapped through our RawSheet (row numbers, letters, the cell as read):")
    for line in located(dirty_raw, theirs)[:3]:
        print(f"  {line}")


if __name__ == "__main__":
    main()
