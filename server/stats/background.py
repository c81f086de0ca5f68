"""Where the settler computes a big requester's aggregates: in a worker process at a lower CPU priority.

A big requester takes seconds of pure-Python computing (33 s for one with 120,000 reviews and 260,000 timings at
the benchmark's default scale). In a thread of the server that time holds the GIL: the event loop got it back
only between the thread's switch intervals, so every request, token check and write group waited behind it
(bench/ingest.py: 28 reviews/s with the settler busy, its write-free baseline falling from 206 to 48 requests/s
once the load stopped and the settler caught up). In a process of its own, niced, the operating system gives
requests the CPU first and the settler the rest; the answer is the same function's on the same rows
(`requester_aggregates` is pure: server/domain/aggregate.py).

One worker process, started on first use with `spawn` (never `fork`: the server holds threads and connections),
shared by every settler pass of this server process, and stopped with it. Should it die, the next call starts
another; a call that cannot use it at all computes in a thread as before.
"""
from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
NICENESS = 10  # how much lower than the server the worker runs (os.nice increment)
PARENT_CHECK_SECONDS = 1.0  # how soon a worker whose server is gone ends



class _Worker:
    """The one worker process of this server process (started on first use)."""

    pool: ProcessPoolExecutor | None = None

    @classmethod
    def get(cls) -> ProcessPoolExecutor:
        if cls.pool is None:
            cls.pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_start_worker)
        return cls.pool


def _start_worker() -> None:
    """In the worker, at its start: a lower priority, and an end when the server process ends. A worker blocks on
    its queue, whose write end it holds too, so a server killed without a shutdown (SIGKILL, a crash) would leave
    it behind for good: it watches for the change of parent instead."""
    try:
        os.nice(NICENESS)
    except OSError:  # not allowed here: it still frees the server's GIL
        pass
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="fairfinder-parent-watch", daemon=True).start()


async def compute(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)` in the worker process (a module-level function and picklable arguments)."""
    loop = asyncio.get_running_loop()
    for _attempt in range(2):
        try:
            return await loop.run_in_executor(_Worker.get(), _call, function, args, kwargs)
        except BrokenProcessPool:  # the worker died (killed, out of memory): start another once
            log.warning("the settler's worker process stopped; starting another")
            _Worker.pool = None
    return await asyncio.to_thread(function, *args, **kwargs)


def _call(function: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    return function(*args, **kwargs)


def shutdown() -> None:
    """Stop the worker process (the server's shutdown); a computation under way is abandoned, its requester stays
    marked and is settled at the next start."""
    if _Worker.pool is not None:
        _Worker.pool.shutdown(wait=False, cancel_futures=True)
        _Worker.pool = None
