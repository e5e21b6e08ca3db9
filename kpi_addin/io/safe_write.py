"""Atomic file output: build in a private folder of the system's temporary folder, then
move into place.

A failure part-way leaves an existing file exactly as it was, and an existing file is only
replaced when the caller says so.  Nothing is ever written beside the output but the output
itself (and, when the temporary folder is on another disk, a hidden copy that lives for the
moment of the copy).  A run that is killed cannot clean up after itself: every working
folder carries its process id in its name, and the next run sweeps the folders of processes
that are gone (:func:`sweep_stale`).
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .problems import CommandError

#: Every working folder's name starts so, then the process id: ``kpi-addin-1234-x8k2``.
WORK_PREFIX = "kpi-addin-"
#: Where the process cannot be asked whether it lives (Windows), a folder this old is stale.
STALE_SECONDS = 24 * 3600


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class OutputExistsError(FileExistsError):
    """The output exists and replacing it was not asked for."""


class OutputWriteError(OSError):
    """Writing ``filename`` failed; the message names that file, not a temporary one."""


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would send CTRL_C there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _stale(entry: Path) -> bool:
    """A working folder of a run that is over (killed, or crashed before it could clean up)."""
    rest = entry.name[len(WORK_PREFIX) :]
    pid_text = rest.split("-", 1)[0]
    if not pid_text.isdigit():
        return False
    if not _alive(int(pid_text)):
        return True
    try:
        return sys.platform == "win32" and time.time() - entry.stat().st_mtime > STALE_SECONDS
    except OSError:
        return False


def system_temp() -> Path:
    """The system's temporary folder (``TMPDIR``), also while :func:`private_temp` is in force."""
    temp = Path(tempfile.gettempdir())
    return temp.parent if temp.name.startswith(f"{WORK_PREFIX}{os.getpid()}-") else temp


def sweep_stale(folder: Path | None = None) -> list[Path]:
    """Remove the working folders (and hidden copies) left by runs that were killed: in the
    system temporary folder, and beside ``folder``'s outputs.  Returns what was removed."""
    removed = []
    places = [system_temp()] + ([folder] if folder is not None else [])
    for place in places:
        try:
            entries = [e for e in place.iterdir() if e.name.startswith((WORK_PREFIX, "." + WORK_PREFIX))]
        except OSError:
            continue
        for entry in entries:
            name = entry.name.lstrip(".")
            if not _stale(entry.with_name(name)):
                continue
            try:
                if entry.is_dir() and not entry.is_symlink():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
                removed.append(entry)
            except OSError:
                continue
    return removed


@contextmanager
def private_temp() -> Iterator[Path]:
    """For the life of a command: every temporary file of the process, its libraries'
    included (openpyxl's write-only sheets), in one folder named with its process id,
    removed at the end and swept by the next run when this one is killed."""
    sweep_stale()
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-"))
    previous, tempfile.tempdir = tempfile.tempdir, str(work)
    try:
        yield work
    finally:
        tempfile.tempdir = previous
        shutil.rmtree(work, ignore_errors=True)


@contextmanager
def work_folder() -> Iterator[Path]:
    """A private folder in the system temporary folder, removed when done (and by the next
    run's sweep if this one is killed)."""
    sweep_stale()
    work = Path(tempfile.mkdtemp(prefix=f"{WORK_PREFIX}{os.getpid()}-"))
    try:
        yield work
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _place(tmp: Path, target: Path) -> None:
    """Move ``tmp`` onto ``target`` in one step: a rename, or across disks a hidden copy
    beside ``target`` renamed over it."""
    try:
        os.replace(tmp, target)
        return
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
    hidden = target.with_name(f".{WORK_PREFIX}{os.getpid()}-{target.name}")
    try:
        shutil.copyfile(tmp, hidden)
        shutil.copymode(tmp, hidden)
        os.replace(hidden, target)
    finally:
        if hidden.exists():
            hidden.unlink()


@contextmanager
def atomic_output(target: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path (in the system temporary folder); on success it replaces ``target``.

    An error writing ``target`` itself (its folder read-only, its disk full) is an
    :class:`OutputWriteError` naming ``target``."""
    target = Path(target)
    if target.exists() and not force:
        raise OutputExistsError(f"{target} exists; use --force to replace it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputWriteError(exc.errno, exc.strerror or str(exc), str(target.parent)) from None
    sweep_stale(target.parent)
    with work_folder() as work:
        tmp = work / target.name
        yield tmp
        # a shared report keeps the old file's mode, or gets the usual one (0666 less the umask)
        try:
            os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask())
            _place(tmp, target)
        except OSError as exc:
            raise OutputWriteError(exc.errno, exc.strerror or str(exc), str(target)) from None


def failed_path(exc: OSError, default: Path) -> str:
    """The path an I/O error concerns, as the user knows it: the file named by the error,
    or the system temporary folder when a working file there failed (a full disk)."""
    name = exc.filename
    if not name:
        return str(default)
    temp = system_temp()
    if temp in Path(name).parents:
        return f"the temporary folder {temp} (set TMPDIR to use another)"
    return str(name)


def check_output(out: Path, inputs: list[object]) -> None:
    """Refuse an output that would overwrite an input (or land in the input CSV folder),
    whatever --force says, and an output folder that is missing, not a folder or not
    writable (:class:`CommandError`)."""
    try:
        target = out.resolve()
        flat = [p for given in inputs for p in (given if isinstance(given, list | tuple) else [given])]
        for given in flat:
            if not isinstance(given, Path):
                continue
            source = given.resolve()
            if target == source or (source.is_dir() and source in target.parents):
                where = "is an input" if target == source else f"is inside the input folder {given}"
                raise CommandError(
                    [f"{out}: the output {where}; write the workbook elsewhere (--force never overwrites an input)"]
                )
        if not target.parent.is_dir():
            raise CommandError([f"{out}: the folder {out.parent} does not exist; create it first"])
        if target.is_dir():
            raise CommandError([f"{out}: is a folder; give a file name such as {out / 'kpi_dashboard.xlsx'}"])
        if not os.access(target.parent, os.W_OK):
            raise CommandError([f"{out}: the folder {out.parent} is read-only; write elsewhere"])
    except OSError as exc:
        raise CommandError([f"{str(out)[:120]}: cannot write there ({exc.strerror or exc})"]) from None
