"""The I/O fault family of round three (issue 18): temporary files live in the system's
temporary folder and are swept after a kill; each error names the path it concerns; no I/O
error ends in a traceback, not even at interpreter exit; every command prints on any console
encoding and shows no library's raw warning."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kpi_addin.cli import cli
from kpi_addin.io import safe_write
from kpi_addin.io.safe_write import WORK_PREFIX, OutputWriteError, atomic_output, sweep_stale


def command(*args: str) -> list[str]:
    return [sys.executable, "-W", "always", "-m", "kpi_addin.cli", *args]


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_failing_writer_leaves_nothing_beside_the_output_nor_in_the_temporary_folder(tmp_path, monkeypatch):
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr("tempfile.tempdir", None)
    out = tmp_path / "out" / "board.xlsx"
    out.parent.mkdir()
    with pytest.raises(OSError) as error, atomic_output(out) as tmp:
        assert tmp.parent.parent == temp and tmp.parent.name.startswith(f"{WORK_PREFIX}{os.getpid()}-")
        tmp.write_bytes(b"half a workbook")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))  # a full disk, mid-write
    assert error.value.errno == errno.ENOSPC
    assert list(out.parent.iterdir()) == [] and list(temp.iterdir()) == []
    assert safe_write.failed_path(error.value, out).startswith(f"the temporary folder {temp}")


def test_a_failure_placing_the_output_names_the_output_not_a_temporary_file(tmp_path, monkeypatch):
    out = tmp_path / "board.pdf"

    def refuse(source: object, target: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(source))

    monkeypatch.setattr(safe_write.os, "replace", refuse)
    with pytest.raises(OutputWriteError) as error, atomic_output(out) as tmp:
        tmp.write_bytes(b"%PDF")
    assert error.value.filename == str(out) and error.value.strerror == "Permission denied"
    assert list(tmp_path.iterdir()) == []


def test_the_working_folder_of_a_killed_run_is_swept_and_a_living_ones_kept(tmp_path):
    stale = tmp_path / f"{WORK_PREFIX}{dead_pid()}-abc"
    stale.mkdir()
    (stale / "openpyxl.xlsx").write_bytes(b"x")
    hidden = tmp_path / f".{WORK_PREFIX}{dead_pid()}-board.xlsx"
    hidden.write_bytes(b"x")
    living = tmp_path / f"{WORK_PREFIX}{os.getppid()}-def"
    living.mkdir()
    mine = tmp_path / "kpi-addin-notes"  # a user's own file of a similar name: not ours
    mine.mkdir()
    assert sorted(p.name for p in sweep_stale(tmp_path)) == sorted([stale.name, hidden.name])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([living.name, mine.name])


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_a_build_killed_mid_write_leaves_nothing_beside_the_output(tmp_path, how):
    temp, folder = tmp_path / "temp", tmp_path / "out"
    temp.mkdir()
    folder.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    child = subprocess.Popen(
        command("dashboard", "--out", str(folder / "board.xlsx")),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    # kill it while the workbook is being saved (the first .xlsx in its working folder)
    while not any(temp.rglob("*.xlsx")) and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert child.poll() is None, "the build ended before it was killed"
    child.send_signal(how)
    _out, err = child.communicate(timeout=60)
    assert list(folder.iterdir()) == [], "a killed build leaves nothing beside the output"
    assert b"Traceback" not in err
    if how == signal.SIGTERM:  # it cleans up after itself
        assert child.returncode == 128 + signal.SIGTERM
        assert list(temp.iterdir()) == []
    else:  # it cannot: the next run sweeps what it left
        assert [p.name.split("-")[2] for p in temp.iterdir()] == [str(child.pid)]
        done = subprocess.run(command("sample", "--out", str(tmp_path / "s")), env=env, capture_output=True)
        assert done.returncode == 0, done.stderr
        assert list(temp.iterdir()) == []


def test_an_output_folder_that_cannot_be_written_is_named(tmp_path, monkeypatch):
    """--pdf into a read-only folder names the PDF's folder, not the workbook (as root the
    folder's mode does not stop a write, so the permission check is made to say no)."""
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != pdfs and real_access(path, mode))
    out = tmp_path / "board.xlsx"
    result = CliRunner().invoke(cli, ["dashboard", "--out", str(out), "--pdf", str(pdfs / "pack.pdf")])
    assert result.exit_code == 1
    assert f"the folder {pdfs} is read-only" in result.output and str(out) not in result.output
    assert not out.exists()


def test_a_full_disk_names_the_temporary_folder_and_prints_no_traceback(tmp_path, monkeypatch):
    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(Path(safe_write.tempfile.gettempdir()) / "x"))

    monkeypatch.setattr("kpi_addin.dashboard.writer.fill_cached_values", full)
    out = tmp_path / "board.xlsx"
    result = CliRunner().invoke(cli, ["dashboard", "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "the temporary folder" in result.output and "No space left on device" in result.output
    assert "nothing was changed" in result.output and not out.exists()
    assert result.exception is None or isinstance(result.exception, SystemExit)


@pytest.mark.parametrize(
    "args",
    [["metrics"], ["metrics", "--format", "json"], ["movements", "--format", "csv"], ["forecast"]],
)
def test_output_to_a_full_device_is_one_sentence_even_at_exit(args):
    with open("/dev/full", "w") as full:
        done = subprocess.run(command(*args), stdout=full, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 1
    assert done.stderr.strip() == "error: cannot write the output (No space left on device)", done.stderr
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    ours = subprocess.run(command("metrics", "--format", "csv"), capture_output=True, text=True, check=True)
    (folder / "theirs.csv").write_text(ours.stdout, encoding="utf-8")
    last = folder / "last.xlsx"
    subprocess.run(command("dashboard", "--lang", "ko", "--out", str(last)), capture_output=True, check=True)
    return {"against": folder / "theirs.csv", "last": last}


#: Every command, as a user runs it; the test fails when a command is added without a line here.
COMMANDS = {
    "metrics": lambda i, o: [["metrics"], ["metrics", "--by", "plan"], ["metrics", "--period", "year"]],
    "forecast": lambda i, o: [["forecast"]],
    "movements": lambda i, o: [["movements"], ["movements", "--by", "plan"]],
    "reconcile": lambda i, o: [["reconcile", "--against", str(i["against"])]],
    "sample": lambda i, o: [["sample", "--out", str(o / "sample")]],
    "dashboard": lambda i, o: [
        ["dashboard", "--lang", "ko", "--out", str(o / "k.xlsx")],
        ["dashboard", "--lang", "ko", "--update", str(i["last"]), "--out", str(o / "u.xlsx")],
    ],
    "lite": lambda i, o: [["lite", "--out", str(o / "lite")]],
}


def test_the_family_covers_every_command():
    assert set(COMMANDS) == set(cli.commands)  # type: ignore[attr-defined]  # a click group


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_prints_on_any_console_and_shows_no_raw_warning(inputs, tmp_path, name, encoding):
    for args in COMMANDS[name](inputs, tmp_path):
        env = {**os.environ, "PYTHONIOENCODING": encoding}
        done = subprocess.run(command(*args), capture_output=True, env=env)
        err = done.stderr.decode(encoding, errors="replace")
        assert done.returncode == 0, (args, err)
        assert "Traceback" not in err and "UnicodeEncodeError" not in err, (args, err)
        assert "Warning" not in err and "warn(" not in err, (args, err)  # python -W always shows every one
        assert done.stdout.strip(), args


@pytest.mark.libreoffice
def test_korean_board_pack_on_a_western_console(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "cp1252"}
    done = subprocess.run(
        command("dashboard", "--lang", "ko", "--out", str(tmp_path / "k.xlsx"), "--pdf"), capture_output=True, env=env
    )
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr
    assert b"wrote " + str(tmp_path / "k.pdf").encode() in done.stdout
