"""Render the first page of the sample's board pack to docs/pack_overview.png and
docs/pack_overview_ko.png (the README's images).

python scripts/render_pack.py

The page is the first page of ``kpi-addin dashboard --pdf``, as a board member gets it;
pdftoppm turns it into an image.  Korean needs a font with Hangul (Debian: fonts-noto-cjk).
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        for lang, name in (("en", "pack_overview"), ("ko", "pack_overview_ko")):
            dashboard, pdf = Path(work) / f"{name}.xlsx", Path(work) / f"{name}.pdf"
            command = ["kpi-addin", "dashboard", "--out", str(dashboard), "--lang", lang, "--pdf", str(pdf)]
            subprocess.run(command, check=True)
            target = ROOT / "docs" / name
            subprocess.run(
                ["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)]
            )
            print(f"wrote {target}.png")


if __name__ == "__main__":
    main()
