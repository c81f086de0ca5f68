"""Facts about other processes on this machine (no I/O beyond asking the kernel)."""
from __future__ import annotations

import os


def is_alive(pid: int) -> bool:
    """Whether a process with this id exists here (one we may not signal still exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
