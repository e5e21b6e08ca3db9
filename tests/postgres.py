"""A real Postgres server for the tests: Debian's ``postgresql`` package (initdb, pg_ctl),
started on a temporary data directory and a free local port, stopped at the end.

Skipped where Postgres is not installed; CI sets ``KPI_REQUIRE_POSTGRES=1`` (as it sets
``KPI_REQUIRE_LIBREOFFICE``) so that a missing server fails instead.  As root (CI), the
server runs as the ``postgres`` user the package creates: initdb refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

#: The password of the test role: the tests check that no message ever prints it.
PASSWORD = "s3cr3t-Pa55word"
USER = "kpi"


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl (Debian's versioned folder, or the PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def require_postgres() -> Path:
    folder = binaries()
    if folder is None:
        if os.environ.get("KPI_REQUIRE_POSTGRES"):
            pytest.fail("Postgres (initdb, pg_ctl) is required here (KPI_REQUIRE_POSTGRES is set) but not installed")
        pytest.skip("Postgres is not installed (apt-get install postgresql)")
    return folder


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yields its URL (``postgresql://kpi:PASSWORD@127.0.0.1:PORT/kpi``)."""
    folder = require_postgres()
    root = Path(tempfile.mkdtemp(prefix="kpi-pg-"))
    data, password_file = root / "data", root / "pw"
    password_file.write_text(PASSWORD + "\n")
    as_user: list[str] = []
    if os.geteuid() == 0:
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(root, "postgres")
        shutil.chown(password_file, "postgres")
        os.chmod(root, 0o700)
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True}
    try:
        subprocess.run(
            [*as_user, str(folder / "initdb"), "-D", str(data), "-U", USER, "--pwfile", str(password_file),
             "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C"],
            **run,
        )  # fmt: skip
        subprocess.run(
            [*as_user, str(folder / "pg_ctl"), "-D", str(data), "-l", str(root / "log"), "-w", "-t", "60",
             "-o", f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off", "start"],
            **run,
        )  # fmt: skip
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(f"Postgres did not start: {exc.stderr}\n{log}")
    try:
        url = f"postgresql://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield url
    finally:
        subprocess.run([*as_user, str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, check=False)  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)
