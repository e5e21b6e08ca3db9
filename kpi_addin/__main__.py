"""``kpi-addin`` and ``python -m kpi_addin``: the process's settings, then the command line.

numpy asks Linux for transparent huge pages on every large array.  Where the kernel's
``defrag`` setting is ``madvise`` (Debian's and Ubuntu's default) a fault on such a page may
first compact memory: on a machine that has run a while, 1M subscriptions with ``--by plan``
spent 2.0-2.7 s of system time, against 1.1-1.3 s with huge pages off (``docs/performance.md``).
The command line turns them off for its own process, before numpy loads, unless
``NUMPY_MADVISE_HUGEPAGE`` (numpy's own switch) is set; the library, imported by Excel or a
notebook, leaves the host's setting alone.
"""

from __future__ import annotations

import os


def main() -> None:
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    from .cli import main as run_command_line

    run_command_line()


if __name__ == "__main__":
    main()
