"""One workbook guard and one sniffer in front of every file the program opens (issue 18):
every file option of every command, found from the click commands themselves (a new option
is covered without touching this test), given a hostile ``.xlsx`` of a few kilobytes — one
cell at ``XFD1048576``, or a zip bomb of empty rows — ends in a located error naming the
file and the option, never a traceback nor a Rust abort.

The cases run in-process (the guard refuses them before anything allocates);
:mod:`tests.test_hostile_workbooks` measures the memory of each case in its own process."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.io.sources.accounting import EXAMPLE_MAP

from .test_hostile_workbooks import far_cell, zip_bomb_rows

#: File options that name an output, not a file the program opens.
OUTPUTS = {"--out"}
EXPORTS = Path(__file__).resolve().parent.parent / "examples" / "exports"
#: What an option needs beside it to be read at all (the other file of a pair, a required option).
COMPANIONS = {
    "--costs": ["--accounts", str(EXAMPLE_MAP)],
    "--cash": ["--costs", str(EXPORTS / "profit_and_loss.csv"), "--accounts", str(EXAMPLE_MAP)],
    "--accounts": ["--costs", str(EXPORTS / "profit_and_loss.csv")],
    "--map": ["--subscriptions", str(EXPORTS / "stripe_invoices.csv")],
}


def file_options() -> list[tuple[str, str]]:
    """(command, option) for every option of type path that names a file to read."""
    found = []
    for name, command in sorted(cli.commands.items()):  # type: ignore[attr-defined]  # a click group
        for param in command.params:
            if isinstance(param.type, click.Path) and param.opts[0] not in OUTPUTS:
                found.append((name, param.opts[0]))
    return found


def test_the_family_finds_the_options_people_give_files_to():
    found = set(file_options())
    assert {("metrics", "--costs"), ("dashboard", "--update"), ("reconcile", "--against")} <= found
    assert {option for _command, option in found} == {
        "--data",
        "--subscriptions",
        "--map",
        "--visitors",
        "--costs",
        "--cash",
        "--accounts",
        "--funnel",
        "--against",
        "--update",
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    return {"far cell": far_cell(folder / "far.xlsx"), "zip bomb": zip_bomb_rows(folder / "bomb.xlsx")}


@pytest.fixture(scope="module")
def against(tmp_path_factory) -> Path:
    result = CliRunner().invoke(cli, ["metrics", "--format", "csv"])
    assert result.exit_code == 0, result.output
    path = tmp_path_factory.mktemp("against") / "theirs.csv"
    path.write_text(result.output, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", ["far cell", "zip bomb"])
@pytest.mark.parametrize(("command", "option"), file_options())
def test_a_hostile_workbook_through_any_file_option_is_a_located_error(
    hostile, against, tmp_path, command, option, case
):
    path = hostile[case]
    args = [command, option, str(path), *COMPANIONS.get(option, [])]
    if command == "reconcile" and option != "--against":
        args += ["--against", str(against)]
    if command == "dashboard":
        args += ["--out", str(tmp_path / "board.xlsx")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, (args, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert errors and all(str(path) in line for line in errors), result.output
    assert f"{path} ({option})" in result.output, result.output  # the file and the option that gave it
    assert not (tmp_path / "board.xlsx").exists()
