"""Which process runs the scheduler: one per database, whatever the number of processes and hosts.

PostgreSQL: the leader holds a session-level advisory lock on a connection of its own. The lock goes when
that connection does (the process exits or is killed, or the server stops hearing from its host: see
pg.KEEPALIVE), and a follower, trying every `retry` seconds, takes over. The leader checks its connection as
often, and stops scheduling when it is gone.

SQLite (several processes on one machine): an exclusive flock on a file beside the database, held for the
process's lifetime; the kernel frees it when the process dies.

Each job run also takes a lock of its own for as long as it runs (PostgreSQL; on SQLite the leader's file
lock cannot be lost while its process lives), so a new leader never starts a job that a former leader is
still running.
"""
from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import socket
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from server.cluster.pg import connect
from server.processes import is_alive

log = logging.getLogger("fairfinder.cluster")

# Advisory lock keys, two int4s: (space, key). Other applications sharing the database pick other spaces.
LEADER_SPACE = 0x46460001  # "FF" 1: the scheduler
JOB_SPACE = 0x46460002  # "FF" 2: one key per job name
LABEL_PREFIX = "fairfinder-scheduler"
QUERY_TIMEOUT = 5.0


@dataclass(frozen=True)
class Holder:
    """The process that runs the scheduler (GET /api/v1/admin/jobs)."""

    pid: int
    host: str
    since: datetime

    def label(self) -> str:
        # Kept where other processes can read it: the lock connection's application_name (63 bytes at most),
        # or the lock file's content.
        return f"{LABEL_PREFIX} {self.pid} {int(self.since.timestamp())} {self.host}"[:63]

    @classmethod
    def parse(cls, text: str) -> Holder | None:
        parts = text.strip().split(" ", 3)
        if len(parts) != 4 or parts[0] != LABEL_PREFIX or not parts[1].isdigit() or not parts[2].isdigit():
            return None
        return cls(int(parts[1]), parts[3], datetime.fromtimestamp(int(parts[2]), timezone.utc))

    @classmethod
    def this_process(cls) -> Holder:
        return cls(os.getpid(), socket.gethostname(), datetime.now(timezone.utc).replace(microsecond=0))


def job_key(job: str) -> int:
    """A job name as a signed int4 advisory lock key (a collision would only make two jobs take turns)."""
    key = zlib.crc32(job.encode())
    return key - 2**32 if key >= 2**31 else key


OnChange = Callable[[bool], Awaitable[None]]


class Leadership:
    """The election loop; subclasses hold the lock. `on_change(True)` starts the scheduler, `(False)` stops it."""

    def __init__(self, retry: float, on_change: OnChange) -> None:
        self.retry, self.on_change = retry, on_change
        self.leading = False
        self.me = Holder.this_process()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.step()  # a lone process leads before it reports ready
        self._task = asyncio.create_task(self._loop(), name="fairfinder-scheduler-election")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.retry)
            await self.step()

    async def step(self) -> None:
        """One round: the leader checks its lock, a follower tries to take it."""
        try:
            if self.leading:
                if await self._held():
                    return
                log.warning("scheduler lock lost (its database connection is gone): this process stops scheduling")
                self.leading = False
                await self.on_change(False)
                return
            candidate = Holder.this_process()
            if not await self._acquire(candidate):
                return
        except Exception as error:  # noqa: BLE001 - the database may be away for a while; try again later
            log.warning("scheduler election: %s", type(error).__name__)
            return
        self.me = candidate
        self.leading = True
        try:
            await self.on_change(True)
        except Exception:
            log.exception("the scheduler did not start: giving the lock back")
            self.leading = False
            await self._release()
            return
        log.info("this process runs the scheduler", extra={"pid": self.me.pid, "host": self.me.host})

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.leading:
            self.leading = False
            await self.on_change(False)
        await self._release()

    async def holder(self) -> Holder | None:
        """Who leads now, as far as this process can tell."""
        if self.leading:
            return self.me
        try:
            return await self._read_holder()
        except Exception as error:  # noqa: BLE001 - only a report is at stake
            log.warning("could not read who runs the scheduler: %s", type(error).__name__)
            return None

    def job_lock(self, job: str) -> contextlib.AbstractAsyncContextManager[bool]:
        """Held for one run of `job`: True when this process may run it now."""
        return _granted()

    # -- the lock itself -----------------------------------------------------------------------
    async def _acquire(self, holder: Holder) -> bool:
        raise NotImplementedError

    async def _held(self) -> bool:
        raise NotImplementedError

    async def _release(self) -> None:
        raise NotImplementedError

    async def _read_holder(self) -> Holder | None:
        raise NotImplementedError


@contextlib.asynccontextmanager
async def _granted() -> AsyncIterator[bool]:
    yield True


class PostgresLeadership(Leadership):
    def __init__(self, database_url: str, retry: float, on_change: OnChange) -> None:
        super().__init__(retry, on_change)
        self.database_url = database_url
        self._connection: Any = None
        self._busy = asyncio.Lock()  # one query at a time on the connection: the loop and holder() share it

    async def _connected(self) -> Any:
        if self._connection is None or self._connection.is_closed():
            self._connection = await connect(self.database_url, f"{LABEL_PREFIX}-candidate")
        return self._connection

    async def _acquire(self, holder: Holder) -> bool:
        async with self._busy:
            try:
                connection = await self._connected()
                if not await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", LEADER_SPACE, 0,
                                                 timeout=QUERY_TIMEOUT):
                    return False
                await connection.execute("SELECT set_config('application_name', $1, false)",
                                         holder.label(), timeout=QUERY_TIMEOUT)
                return True
            except BaseException:
                await self._close()  # whatever was taken on it goes with it
                raise

    async def _held(self) -> bool:
        async with self._busy:
            try:
                connection = self._connection
                return connection is not None and not connection.is_closed() and \
                    await connection.fetchval("SELECT 1", timeout=QUERY_TIMEOUT) == 1
            except Exception:  # noqa: BLE001 - any failure: the lock may be gone, so it is
                await self._close()
                return False

    async def _release(self) -> None:
        async with self._busy:
            await self._close()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            try:
                await asyncio.wait_for(connection.close(), QUERY_TIMEOUT)
            except Exception:  # noqa: BLE001 - a dead link: drop it; the server frees the lock on its own
                connection.terminate()

    async def _read_holder(self) -> Holder | None:
        async with self._busy:
            connection = await self._connected()
            label = await connection.fetchval(
                "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2 "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                LEADER_SPACE, 0, timeout=QUERY_TIMEOUT)
        return Holder.parse(label) if label else None

    @contextlib.asynccontextmanager
    async def job_lock(self, job: str) -> AsyncIterator[bool]:
        connection = await connect(self.database_url, f"fairfinder-job {job}")
        try:
            yield bool(await connection.fetchval("SELECT pg_try_advisory_lock($1, $2)", JOB_SPACE, job_key(job),
                                                 timeout=QUERY_TIMEOUT))
        finally:
            try:  # closing the session frees its locks
                await asyncio.wait_for(connection.close(), QUERY_TIMEOUT)
            except Exception:  # noqa: BLE001
                connection.terminate()


class FileLeadership(Leadership):
    """flock on `path`: processes of one machine that share a SQLite database file."""

    def __init__(self, path: Path, retry: float, on_change: OnChange) -> None:
        super().__init__(retry, on_change)
        self.path = path
        self._fd: int | None = None

    async def _acquire(self, holder: Holder) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.label().encode(), 0)
        self._fd = fd
        return True

    async def _held(self) -> bool:
        return self._fd is not None  # a held flock cannot be taken away while this process lives

    async def _release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.ftruncate(fd, 0)  # readers see nobody rather than a process that has stopped
            os.close(fd)  # frees the lock

    async def _read_holder(self) -> Holder | None:
        try:
            holder = Holder.parse(self.path.read_text())
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        if holder is not None and holder.host == socket.gethostname() and not is_alive(holder.pid):
            return None
        return holder
