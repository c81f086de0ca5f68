"""Loaded by every Python process the tests start (on PYTHONPATH, see tests/clock.py): moves it to the run's clock.

This file is the one implementation of that move; tests/clock.py calls `travel()` for the test process itself.
"""
import os
import time
from datetime import datetime, timedelta

TRAVELLING = False


def travel() -> bool:
    """Move this process to the run's clock (once); False when the run is on the wall clock."""
    global TRAVELLING
    if TRAVELLING:
        return True
    start, real_start = os.environ.get("FAIRFINDER_TEST_NOW", "wall"), os.environ.get("FAIRFINDER_TEST_REAL_START")
    if start == "wall" or real_start is None:
        return False
    try:
        import time_machine  # noqa: PLC0415 - only processes of a test run load it
    except ImportError:  # a Python without the project's dev dependencies (a helper `python3 -c` in a script)
        return False
    moment = datetime.fromisoformat(start)
    if moment.tzinfo is None:
        raise ValueError(f"FAIRFINDER_TEST_NOW must carry a time zone offset, got {start!r}")
    time_machine.travel(moment + timedelta(seconds=time.time() - float(real_start)), tick=True).start()
    TRAVELLING = True
    return True


travel()
