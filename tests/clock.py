"""One clock for the whole test run, in every process it starts.

Tests must not depend on the wall clock or today's date, and a date computed at the start of a run must still be
right when the run crosses midnight. So every run starts at the same instant, a minute before midnight UTC at the
end of a year (`DEFAULT_START`), and time then flows as usual (`time_machine.travel(..., tick=True)`): each run
crosses a midnight, a month and a year, always the same ones, whatever day it is.

Processes the tests start (the server, the CLI, the benchmarks, pytest-xdist's workers) keep the same clock:
the environment carries the fake instant and the real time it stood for, and `tests/clock_site/sitecustomize.py`
(on PYTHONPATH) moves each new Python process to the same offset. `FAIRFINDER_TEST_NOW=wall` runs on the real
clock; any ISO 8601 instant starts the run there (`FAIRFINDER_TEST_NOW=2026-06-30T23:59:50+00:00 make test-fast`).
"""
from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

START_ENV = "FAIRFINDER_TEST_NOW"        # the fake instant ...
REAL_ENV = "FAIRFINDER_TEST_REAL_START"  # ... stood for this real time (seconds since the epoch)
DEFAULT_START = "2026-12-31T23:59:00+00:00"
SITE = Path(__file__).resolve().parent / "clock_site"


def offset_now(start: str, real_start: str) -> datetime:
    """The fake now: the fake start moved on by the real time since."""
    moment = datetime.fromisoformat(start)
    if moment.tzinfo is None:
        raise ValueError(f"{START_ENV} must carry a time zone offset, got {start!r}")
    return moment + timedelta(seconds=time.time() - float(real_start))


def start() -> datetime | None:
    """Start the run's clock in this process and hand it to every process started from here. Returns the fake
    start, or None on the wall clock. Called once per process (pytest_configure); harmless twice."""
    fake = os.environ.setdefault(START_ENV, DEFAULT_START)
    if fake == "wall":
        return None
    real = os.environ.setdefault(REAL_ENV, repr(time.time()))
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(SITE) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(SITE), *paths])
    import time_machine  # noqa: PLC0415 - a dev dependency

    now = offset_now(fake, real)
    if not getattr(start, "_travelling", False):
        time_machine.travel(now, tick=True).start()
        start._travelling = True  # type: ignore[attr-defined]
    return datetime.fromisoformat(fake)
