"""Running the command line on broken inputs, the way the input family tests do."""

from __future__ import annotations

import json
import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.io import sample_path

#: A located message: ``file sheet!C17 (column): ...`` or at least ``file: ...``.
LOCATED = re.compile(r"^error: \S*(/|\.csv|\.xlsx|\.toml)\S*( [^:]+)?: \S")
#: A message naming a cell: ``sheet!C17``.
CELL = re.compile(r"![A-Z]{1,3}\d+\b")


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def errors(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith("error: ")]

    def json(self) -> dict:
        return json.loads(self.out)

    def latest(self, key: str) -> object:
        return self.json()["months"][-1][key]

    def month(self, month: str, key: str) -> object:
        return next(m[key] for m in self.json()["months"] if m["month"] == month)

    @property
    def warnings(self) -> list[str]:
        """Warnings and notes (what was read, and how) together."""
        data = self.json()
        return [*data["warnings"], *data.get("notes", [])]


def run(*args: object) -> Run:
    """Run ``kpi-addin`` in-process; a Python exception (a traceback) fails the test at once."""
    result = CliRunner().invoke(cli, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"traceback for {args}") from result.exception
    assert "Traceback" not in result.output + result.stderr
    return Run(result.exit_code, result.stdout, result.stderr)


def metrics(*args: object) -> Run:
    return run("metrics", "--format", "json", *args)


def assert_located(result: Run, *words: str) -> None:
    """Exit 1, every error line located, and ``words`` in the messages."""
    assert result.code == 1, (result.code, result.out[:300], result.err)
    assert result.errors, result.err
    for line in result.errors:
        assert LOCATED.match(line), line
    text = "\n".join(result.errors)
    for word in words:
        assert word in text, (word, text)


def assert_finite(result: Run) -> None:
    assert result.code == 0, result.err
    for month in result.json()["months"]:
        for key, value in month.items():
            assert value is None or isinstance(value, str) or math.isfinite(value), (key, value)


def sample_copy(tmp_path: Path, edits: dict[str, object] | None = None, name: str = "data") -> Path:
    """The bundled sample as a CSV folder; ``edits``: file → new text, a function of the old text, or None (delete)."""
    folder = tmp_path / name
    shutil.copytree(sample_path(), folder)
    for file, edit in (edits or {}).items():
        path = folder / file
        if edit is None:
            path.unlink()
        elif callable(edit):
            path.write_text(edit(path.read_text()))
        elif isinstance(edit, bytes):
            path.write_bytes(edit)
        else:
            path.write_text(str(edit))
    return folder


def csv_file(tmp_path: Path, text: str | bytes, name: str = "subs.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def drop_column(text: str, column: str) -> str:
    lines = text.splitlines()
    index = lines[0].split(",").index(column)
    return "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != index) for line in lines) + "\n"
