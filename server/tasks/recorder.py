"""Recording annotate's unseen tasks in the background: a bounded queue and group commits.

A page often holds a few tasks nobody has shown us yet, and many pages arrive together (a worker's tabs,
many workers after a batch is posted, every page right after a restart). Annotate answers their first view
from what is known without waiting (server/tasks/routes.py) and hands them here. One background task
records everything waiting in one write transaction at a time (group commit) on a connection of its own,
so a request never waits for a write, nor holds a pooled connection while another is wanted.

Nothing acknowledged is lost: annotate acknowledges figures, not rows. A task still queued when the process
dies (or dropped because the queue was full, or because its batch failed) is simply unseen again at its next
view, and queued again then. A graceful stop drains the queue first (`close`).

The queue is bounded (`max_pending` tasks, FAIRFINDER_RECORD_QUEUE): past it, new tasks wait for their next
view, and /ready says not ready while it is full (server/observability.py).

Each task is queued with its source (server/tasks/records.py `Source`): its requester name is that source's vote,
and only a signed-in source may move a known task type's batch id. Names of known requesters that pages show are
queued as sightings (`sight`) and written as votes the same way, once per account and name, or once per anonymous
name and day (what this process already wrote is remembered, so a page seen again costs nothing).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from datetime import date

from scrapers.model import Task
from server.db.engine import write_transaction
from server.db.models import utcnow
from server.domain.identity import TaskKey, task_key
from server.tasks.cache import NO_ACCOUNT_WRITES, Bounded, TaskRef
from server.tasks.records import Sighting, Source, new_votes, record_tasks, vote_names

log = logging.getLogger("fairfinder.recorder")

MAX_BATCH_TASKS = 2_000  # keeps the IN lists of one transaction well inside SQLite's limits
MAX_VOTES_REMEMBERED = 200_000  # (requester, account) and (requester, anonymous name) pairs already written
DEFAULT_MAX_PENDING = 20_000
RETRY_PAUSE_SECONDS = 0.5  # after a failed batch (database down or locked): no hot loop

OnRecorded = Callable[[Sequence[Task], Sequence[TaskRef]], None]


class TaskRecorder:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], max_pending: int = DEFAULT_MAX_PENDING,
                 on_recorded: OnRecorded | None = None) -> None:
        self.sessionmaker = sessionmaker
        self.max_pending = max_pending
        self.on_recorded = on_recorded  # the app puts the new rows in the annotate cache
        self.pending: dict[TaskKey, tuple[Task, Source | None]] = {}  # insertion order is recording order
        self.sightings: dict[tuple[int, int | None, str], Sighting] = {}  # names of known requesters to vote
        # What was queued as a vote already: (requester, worker) -> name; (requester, None, name) -> its day.
        self.voted: Bounded[tuple[int, int | None] | tuple[int, None, str], str | date] = Bounded(MAX_VOTES_REMEMBERED)
        self.recording: set[TaskKey] = set()  # the batch being written now
        self.waiters: dict[TaskKey, list[asyncio.Future[TaskRef]]] = {}
        self.draining: asyncio.Task[None] | None = None
        self.dropped = 0  # tasks not queued because the queue was full (recorded at a later view)
        self.failed = 0  # tasks of batches that failed
        self.recorded = 0
        self.closed = False

    @property
    def full(self) -> bool:
        return len(self.pending) >= self.max_pending

    def submit(self, tasks: Sequence[Task], source: Source | None = None) -> int:
        """Queue tasks to be found or created; returns how many were taken (the others wait for a later view).
        Never waits. A task already queued is queued once, with its latest spelling (its latest batch id)."""
        taken = 0
        for task in tasks:
            key = task_key(task)
            if key in self.pending:
                self.pending[key] = (task, source)
            elif key in self.recording:
                pass  # being written now; a changed batch id is seen again at the next view
            elif len(self.pending) < self.max_pending and not self.closed:
                self.pending[key] = (task, source)
            else:
                self.dropped += 1
                continue
            taken += 1
        if taken:
            self._wake()
        return taken

    def new_sightings(self, sightings: Sequence[Sighting], today: date) -> list[Sighting]:
        """The sightings not queued or written by this process before (each would be a write)."""
        fresh = []
        for sighting in sightings:
            worker = sighting.source.worker_id
            if worker is not None:
                if self.voted.get((sighting.requester_pk, worker)) != sighting.name:
                    fresh.append(sighting)
            elif self.voted.get((sighting.requester_pk, None, sighting.name)) != today:
                fresh.append(sighting)
        return list({(s.requester_pk, s.source.worker_id, s.name): s for s in fresh}.values())

    def sight(self, sightings: Sequence[Sighting], today: date) -> int:
        """Queue names pages gave known requesters, to be written as votes; returns how many were new. Never waits."""
        taken = 0
        for sighting in self.new_sightings(sightings, today):
            if len(self.sightings) >= self.max_pending or self.closed:
                self.dropped += 1
                continue
            worker = sighting.source.worker_id
            if worker is not None:
                self.voted.put((sighting.requester_pk, worker), sighting.name)
            else:
                self.voted.put((sighting.requester_pk, None, sighting.name), today)
            self.sightings[(sighting.requester_pk, worker, sighting.name)] = sighting
            taken += 1
        if taken:
            self._wake()
        return taken

    async def record(self, tasks: Sequence[Task], source: Source | None = None) -> list[TaskRef]:
        """Find or create the rows of `tasks` and wait until they are committed; one TaskRef per task, in
        order. For callers that need the rows (tests, tools); past the bound too, since it waits."""
        loop = asyncio.get_running_loop()
        futures = []
        for task in tasks:
            key = task_key(task)
            self.pending[key] = (task, source)
            future: asyncio.Future[TaskRef] = loop.create_future()
            self.waiters.setdefault(key, []).append(future)
            futures.append(future)
        self._wake()
        return list(await asyncio.gather(*futures))

    def _wake(self) -> None:
        if self.draining is None or self.draining.done():
            self.draining = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self.pending or self.sightings:
            if self.pending:
                await self._record_batch()
            if self.sightings:  # after each batch of tasks: names never wait for a flood of new tasks
                await self._vote()

    async def _record_batch(self) -> None:
        keys = list(self.pending)[:MAX_BATCH_TASKS]
        batch = [self.pending.pop(key) for key in keys]  # (task, source)
        self.recording = set(keys)
        try:
            refs = await self._record(batch)
        except Exception as error:  # noqa: BLE001 - the tasks are recorded at their next view
            self.failed += len(batch)
            log.warning("could not record %d unseen tasks (%s); they are recorded at their next view",
                        len(batch), type(error).__name__)
            for key in keys:
                for future in self.waiters.pop(key, ()):
                    if not future.done():
                        future.set_exception(error)
            self.recording = set()
            if not self.closed:
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
            return
        self.recording = set()
        self.recorded += len(batch)
        if self.on_recorded is not None:
            self.on_recorded([task for task, _ in batch], refs)
        for key, ref in zip(keys, refs):
            for future in self.waiters.pop(key, ()):
                if not future.done():
                    future.set_result(ref)

    async def _record(self, batch: list[tuple[Task, Source | None]]) -> list[TaskRef]:
        """One transaction per source in the batch (usually one: the anonymous pages, or one account's)."""
        refs: list[TaskRef | None] = [None] * len(batch)
        by_source: dict[Source | None, list[int]] = {}
        for index, (_, source) in enumerate(batch):
            by_source.setdefault(source, []).append(index)
        for source, indexes in by_source.items():
            async with self.sessionmaker() as session:
                session.info[NO_ACCOUNT_WRITES] = True  # signed-in callers' kept tokens stay (tasks/cache.py)
                recorded = await record_tasks(session, [batch[i][0] for i in indexes], source=source)
            for index, requester, task_type in zip(indexes, recorded.requesters, recorded.task_types):
                refs[index] = TaskRef(requester.id, task_type.id, task_type.latest_hit_set_id, task_type.stated_seconds)
        return refs  # type: ignore[return-value]  # every index was filled above

    async def _vote(self) -> None:
        """Write the queued sightings as name votes (server/tasks/records.py vote_names), in one transaction."""
        keys = list(self.sightings)[:MAX_BATCH_TASKS]
        batch = [self.sightings.pop(key) for key in keys]
        now = utcnow()
        try:
            async with self.sessionmaker() as session:
                session.info[NO_ACCOUNT_WRITES] = True
                if await new_votes(session, batch, now):  # read first: most sightings repeat a vote already cast
                    async with write_transaction(session):
                        await vote_names(session, batch, now)
        except Exception as error:  # noqa: BLE001 - a name is seen again at its next view
            self.failed += len(batch)
            for sighting in batch:  # forget them, so that their next view queues them again
                self.voted.pop((sighting.requester_pk, sighting.source.worker_id) if sighting.source.worker_id
                               is not None else (sighting.requester_pk, None, sighting.name))
            log.warning("could not record %d requester names (%s); they are recorded at their next view",
                        len(batch), type(error).__name__)
            if not self.closed:
                await asyncio.sleep(RETRY_PAUSE_SECONDS)

    async def flush(self) -> None:
        """Wait until everything queued so far is recorded (or its batch failed)."""
        while self.pending or self.sightings or (self.draining is not None and not self.draining.done()):
            if self.draining is None or self.draining.done():
                self._wake()
            assert self.draining is not None
            await asyncio.shield(self.draining)

    async def close(self, timeout: float = 10.0) -> None:
        """Stop taking tasks and record what is queued (a graceful stop loses nothing it had taken)."""
        self.closed = True
        if self.pending or self.sightings:
            self._wake()
        if self.draining is not None and not self.draining.done():
            try:
                await asyncio.wait_for(asyncio.shield(self.draining), timeout)
            except TimeoutError:
                log.warning("stopping with %d unseen tasks not recorded; they are recorded at their next view",
                            len(self.pending))
