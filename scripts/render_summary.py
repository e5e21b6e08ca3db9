"""Render the sample dashboard's Summary page to docs/summary.png (LibreOffice + pdftoppm).

python scripts/render_summary.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.libreoffice import summary_pdf  # noqa: E402  (the same export the tests check)


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        dashboard = Path(work) / "kpi_dashboard.xlsx"
        subprocess.run(["kpi-addin", "dashboard", "--out", str(dashboard)], check=True)
        pdf = summary_pdf(dashboard, "Summary", Path(work))
        subprocess.run(
            ["pdftoppm", "-png", "-r", "110", "-singlefile", str(pdf), str(ROOT / "docs" / "summary")], check=True
        )
    print(f"wrote {ROOT / 'docs' / 'summary.png'}")


if __name__ == "__main__":
    main()
