"""``kpi-addin`` and ``python -m kpi_addin``: the process's settings, then the command line.

numpy asks Linux for transparent huge pages on every large array.  Where the kernel's
``defrag`` setting is ``madvise`` (Debian's and Ubuntu's default) a fault on such a page may
first compact memory: on a machine that has run a while, 1M subscriptions with ``--by plan``
spent 2.0-2.7 s of system time, against 1.1-1.3 s with huge pages off (``docs/performance.md``).
The command line turns them off for its own process, before numpy loads, unless
``NUMPY_MADVISE_HUGEPAGE`` (numpy's own switch) is set; the library, imported by Excel or a
notebook, leaves the host's setting alone.

For the same reason it asks glibc to keep freed memory for reuse: by default blocks over a
few MB go back to the system when freed and come back page by page, each page a fault (1M
subscriptions: 199,000 page faults without, 145,000 with; ``--by plan`` 435,000 and 272,000).
A command runs once and exits, so holding its freed memory costs nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

#: glibc's ``mallopt`` parameters (malloc.h) and the values set: blocks up to 32 MB (glibc's
#: largest) from the heap, and freed memory kept up to 1 GB.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
KEEP_FREED, HEAP_BLOCKS_UP_TO = 1 << 30, 32 << 20


def keep_freed_memory() -> None:
    """Set glibc's allocator to reuse freed memory (Linux with glibc; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no effect to give)
        return
    mallopt(M_MMAP_THRESHOLD, HEAP_BLOCKS_UP_TO)
    mallopt(M_TRIM_THRESHOLD, KEEP_FREED)


def main() -> None:
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    keep_freed_memory()
    from .cli import main as run_command_line

    run_command_line()


if __name__ == "__main__":
    main()
