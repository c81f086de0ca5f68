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
