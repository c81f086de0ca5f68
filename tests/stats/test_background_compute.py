"""The settler computes big requesters in a worker process of lower CPU priority, not in a thread of the server
(server/stats/background.py): the same pure function's answer, from another process, niced."""
from __future__ import annotations

import asyncio
import os

from server.stats import background


def _where_and_how() -> tuple[int, int]:
    return os.getpid(), os.nice(0)


def test_computes_in_a_niced_worker_process_and_gives_the_functions_answer() -> None:
    async def run() -> tuple[tuple[int, int], int, tuple[int, int]]:
        try:
            first = await background.compute(_where_and_how)
            summed = await background.compute(sum, [1, 2, 3], start=4)
            again = await background.compute(_where_and_how)
            return first, summed, again
        finally:
            background.shutdown()

    (pid, niceness), summed, again = asyncio.run(run())
    assert pid != os.getpid()
    assert niceness >= os.nice(0) + background.NICENESS or niceness == 19  # 19: the most there is
    assert summed == 10
    assert again[0] == pid  # one worker, kept between calls


def test_a_worker_that_died_is_replaced() -> None:
    async def run() -> tuple[int, int]:
        try:
            first, _ = await background.compute(_where_and_how)
            os.kill(first, 9)
            await asyncio.sleep(0.2)
            second, _ = await background.compute(_where_and_how)
            return first, second
        finally:
            background.shutdown()

    first, second = asyncio.run(run())
    assert second != first and second != os.getpid()


def test_the_worker_ends_when_its_server_is_killed() -> None:
    """A server killed without a shutdown (SIGKILL) must not leave its worker behind for good."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415
    import time  # noqa: PLC0415

    from tests.conftest import ROOT  # noqa: PLC0415

    script = ("import asyncio, os, sys, time\n"
              "from server.stats import background\n"
              "async def main():\n"
              "    print(await background.compute(os.getpid), flush=True)\n"
              "    time.sleep(60)\n"
              "asyncio.run(main())\n")
    server = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        worker = int(server.stdout.readline())
        os.kill(worker, 0)  # alive
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(worker, 9)
    raise AssertionError(f"the worker {worker} outlived its killed server")
