"""Atomic file output: write to a temporary file beside the target, then rename.

A failure part-way leaves an existing file exactly as it was, and an existing file
is only replaced when the caller says so.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .problems import CommandError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


class OutputExistsError(FileExistsError):
    """The output exists and replacing it was not asked for."""


@contextmanager
def atomic_output(target: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; on success it replaces ``target``."""
    target = Path(target)
    if target.exists() and not force:
        raise OutputExistsError(f"{target} exists; use --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); a shared report keeps the old file's mode,
        # or gets the usual one (0666 less the umask)
        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


def check_output(out: Path, inputs: list[object]) -> None:
    """Refuse an output that would overwrite an input (or land in the input CSV folder),
    whatever --force says, and an output folder that is missing or not a folder
    (:class:`CommandError`)."""
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
    except OSError as exc:
        raise CommandError([f"{str(out)[:120]}: cannot write there ({exc.strerror or exc})"]) from None
