"""Dependencies point inward: the metric library loads without any interface package."""

from __future__ import annotations

import json
import subprocess
import sys

INTERFACE_MODULES = [
    "xlwings",
    "openpyxl",
    "click",
    "python_calamine",
    "kpi_addin.cli",
    "kpi_addin.io",
    "kpi_addin.excel",
    "kpi_addin.dashboard",
]


def test_metrics_import_alone_in_a_fresh_interpreter():
    code = (
        "import sys, json; import kpi_addin.metrics; "
        f"print(json.dumps([m for m in {INTERFACE_MODULES!r} if m in sys.modules]))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []
