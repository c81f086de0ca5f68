"""Loaded by every Python process the tests start (PYTHONPATH, see tests/clock.py): moves it to the run's clock."""
import os

if os.environ.get("FAIRFINDER_TEST_NOW", "wall") != "wall" and "FAIRFINDER_TEST_REAL_START" in os.environ:
    try:
        import time_machine
    except ImportError:  # a Python without the project's dev dependencies (a helper `python3 -c` in a script)
        pass
    else:
        import time
        from datetime import datetime, timedelta

        _start = datetime.fromisoformat(os.environ["FAIRFINDER_TEST_NOW"])
        _now = _start + timedelta(seconds=time.time() - float(os.environ["FAIRFINDER_TEST_REAL_START"]))
        time_machine.travel(_now, tick=True).start()
