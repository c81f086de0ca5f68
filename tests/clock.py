"""One clock for the whole test run, in every process it starts.

Tests must not depend on the wall clock or today's date, and a date computed at the start of a run must still be
right when the run crosses midnight. So every run starts at the same instant, a minute before midnight UTC at the
end of a year (`DEFAULT_START`), and time then flows as usual (`time_machine.travel(..., tick=True)`): each run
crosses a midnight, a month and a year, always the same ones, whatever day it is.

Processes the tests start (the server, the CLI, the benchmarks, pytest-xdist's workers) keep the same clock:
the environment carries the fake instant and the real time it stood for, and `tests/clock_site/sitecustomize.py`
(on PYTHONPATH) moves each new Python process to the same offset. `FAIRFINDER_TEST_NOW=wall` runs on the real
clock; any ISO 8601 instant with an offset starts the run there
(`FAIRFINDER_TEST_NOW=2026-06-30T23:59:50+00:00 make test-fast`).
"""
from __future__ import annotations

import importlib.util
import os
import sys
import time
from datetime import datetime
from pathlib import Path

START_ENV = "FAIRFINDER_TEST_NOW"        # the fake instant ...
REAL_ENV = "FAIRFINDER_TEST_REAL_START"  # ... stood for this real time (seconds since the epoch)
DEFAULT_START = "2026-12-31T23:59:00+00:00"
SITE = Path(__file__).resolve().parent / "clock_site"


def start() -> datetime | None:
    """Put this process and every Python process started from it on the run's clock. Returns the fake start, or
    None on the wall clock. Called from pytest_configure, before any test module is imported."""
    fake = os.environ.setdefault(START_ENV, DEFAULT_START)
    if fake == "wall":
        return None
    os.environ.setdefault(REAL_ENV, repr(time.time()))  # the real time: nothing travels before this is set
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(SITE) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(SITE), *paths])
    site = sys.modules.get("sitecustomize")
    if site is None or getattr(site, "__file__", None) != str(SITE / "sitecustomize.py"):
        # This process started before PYTHONPATH named the clock (the first pytest process): load it by path.
        spec = importlib.util.spec_from_file_location("fairfinder_test_clock_site", SITE / "sitecustomize.py")
        assert spec and spec.loader
        site = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(site)
    site.travel()  # a process that loaded it at start-up (an xdist worker) is already on the clock: a no-op
    return datetime.fromisoformat(fake)
