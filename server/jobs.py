"""The scheduler: periodic work inside the server process (APScheduler).

Jobs:
* `import:<source>` for every configured source (settings.sources, docs/community.md);
* `refresh-recent`: recompute requesters whose "last 90 days" figures aged since the last run;
* `purge-timings`: delete raw timings older than the retention period and recompute what they fed;
* `purge-page-reports`: delete page-shape reports older than their retention period (server/page_reports);
* `backup` (SQLite only): an online backup into the backup folder, keeping the newest few (docs/backups.md);
* `settle-aggregates`: recompute big requesters written since their last settling (server/stats/settle.py).

Each run is recorded in `job_runs` (GET /api/v1/admin/jobs) and logged in one line. A job never runs
twice at once, a run that fails is retried at its next interval, and one failing source never stops the
others (each source is its own job).

With several server processes only one runs the scheduler (server/cluster/leader.py starts and stops it).
Each run holds its job's lock while it runs, so it never overlaps a run that a former leader left going, and
a job's first run after a start or a hand-over comes one interval after its last recorded start, not at once.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete, desc, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapers.http import FetchError, PoliteFetcher
from scrapers.ratings import ImportError_
from server import observability
from server.cluster.pg import process_name
from server.community.runner import Outcome, import_source, make_fetcher
from server.db import backup as db_backup
from server.db.engine import write_transaction
from server.db.models import JobRun, Review, TaskType, Timing, Worker, utcnow
from server.db.upsert import rows_affected
from server.domain.aggregate import RECENT
from server.domain.moderation import NEW_ACCOUNT_AGE, matured_between
from server.page_reports.service import purge_reports
from server.settings import Settings, SourceConfig
from server.stats.settle import oldest_marker_age, requester_changed, settle

log = logging.getLogger("fairfinder.jobs")

REFRESH_JOB = "refresh-recent"
PURGE_JOB = "purge-timings"
PAGE_REPORTS_JOB = "purge-page-reports"
BACKUP_JOB = "backup"
SETTLE_JOB = "settle-aggregates"
FIRST_RUN_DELAY = timedelta(seconds=2)  # let the server finish starting before the first imports
CHUNK = 200  # requesters refreshed per write transaction: workers' writes never wait long


async def record_run(sessionmaker: async_sessionmaker[AsyncSession], job: str,
                     work: Callable[[], Awaitable[Outcome]]) -> JobRun:
    """Run `work`, keeping its start, end and outcome in job_runs and in the log."""
    async with sessionmaker() as session, write_transaction(session):
        run = JobRun(job=job, started_at=utcnow(), status="running", runner=process_name())
        session.add(run)
    started = time.monotonic()
    try:
        outcome = await work()
    except (FetchError, ImportError_) as error:
        outcome = Outcome("failed", str(error), attempts=getattr(error, "attempts", 1) or 1)
    except Exception as error:  # a job must record its failure, whatever it is
        log.exception("job %s crashed", job)
        outcome = Outcome("failed", f"internal error: {type(error).__name__}")
    async with sessionmaker() as session, write_transaction(session):
        stored = await session.get(JobRun, run.id)
        assert stored is not None
        run = stored
        run.finished_at, run.status, run.message = utcnow(), outcome.status, outcome.message[:2000]
        run.counts, run.attempts = outcome.counts, outcome.attempts
    level = logging.WARNING if outcome.status == "failed" else logging.INFO
    seconds = time.monotonic() - started
    log.log(level, "job %s %s in %.1fs after %d attempt(s): %s %s", job, outcome.status, seconds,
            outcome.attempts, outcome.message, outcome.counts or "")
    observability.job_finished(job, outcome.status, seconds)  # /metrics: fairfinder_job_runs_total and durations
    return run


async def refresh_recent(sessionmaker: async_sessionmaker[AsyncSession], since: datetime | None) -> Outcome:
    """Recompute the requesters with reviews that left the 90-day window since `since` (all, the first time),
    and those reviewed by accounts that stopped being new since then: their ratings now count fully."""
    now = utcnow()
    async with sessionmaker() as session:
        query = select(Review.requester_id).where(Review.updated_at < now - RECENT).distinct()
        if since is not None:
            query = query.where(Review.updated_at >= since - RECENT)
        aged = set(await session.scalars(query))
        matured_start, matured_end = matured_between(since, now) if since is not None else (None, now - NEW_ACCOUNT_AGE)
        query = (select(Review.requester_id).join(Worker, Worker.id == Review.worker_id)
                 .where(Review.status == "visible", Worker.created_at < matured_end).distinct())
        if matured_start is not None:
            query = query.where(Worker.created_at >= matured_start)
        matured = set(await session.scalars(query))
        ids = sorted(aged | matured)
    await _refresh(sessionmaker, ids)
    return Outcome("ok", f"recomputed {len(ids)} requesters ({len(matured)} reviewed by accounts no longer new)",
                   {"requesters": len(ids)})


async def purge_timings(sessionmaker: async_sessionmaker[AsyncSession], retention_days: int) -> Outcome:
    """Delete raw timings older than the retention period; the aggregates are recomputed without them."""
    if retention_days <= 0:
        return Outcome("ok", "retention is off: timings are kept", {"timings": 0})
    cutoff = utcnow() - timedelta(days=retention_days)
    async with sessionmaker() as session, write_transaction(session):
        ids = sorted(set(await session.scalars(
            select(TaskType.requester_id).join(Timing, Timing.task_type_id == TaskType.id).where(Timing.ended_at < cutoff))))
        result = await session.execute(delete(Timing).where(Timing.ended_at < cutoff))
        for requester_id in ids:
            await requester_changed(session, requester_id)
    return Outcome("ok", f"deleted timings older than {retention_days} days", {"timings": rows_affected(result),
                                                                              "requesters": len(ids)})


async def purge_page_reports(sessionmaker: async_sessionmaker[AsyncSession], retention_days: int) -> Outcome:
    """Delete page-shape reports of days more than the retention period ago (UTC days)."""
    deleted = await purge_reports(sessionmaker, retention_days, utcnow().date())
    return Outcome("ok", f"deleted page reports older than {retention_days} days", {"page_reports": deleted})


async def backup_now(settings: Settings) -> Outcome:
    """One scheduled backup, in a thread: the copy reads one snapshot while the server goes on answering."""
    source = settings.sqlite_path()
    if source is None:
        return Outcome("failed", "scheduled backups need a SQLite database file (for PostgreSQL use pg_dump)")
    try:
        info, removed = await asyncio.to_thread(db_backup.run_scheduled_backup, source, settings.backups_path,
                                                settings.backup_keep)
    except db_backup.BackupError as error:
        return Outcome("failed", str(error))
    return Outcome("ok", f"wrote {info.path.name} ({info.size} bytes, schema {info.revision})",
                   {"bytes": info.size, "pruned": len(removed)})


async def _refresh(sessionmaker: async_sessionmaker[AsyncSession], ids: list[int]) -> None:
    for start in range(0, len(ids), CHUNK):
        async with sessionmaker() as session, write_transaction(session):
            for requester_id in ids[start:start + CHUNK]:
                await requester_changed(session, requester_id)


async def last_ok_start(sessionmaker: async_sessionmaker[AsyncSession], job: str) -> datetime | None:
    async with sessionmaker() as session:
        return await session.scalar(select(JobRun.started_at).where(JobRun.job == job, JobRun.status == "ok")
                                    .order_by(desc(JobRun.started_at)).limit(1))


async def last_starts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, datetime]:
    """Each job's latest recorded start, by any process."""
    async with sessionmaker() as session:
        rows = await session.execute(select(JobRun.job, func.max(JobRun.started_at)).group_by(JobRun.job))
        return {job: started for job, started in rows if started is not None}


def first_run(earliest: datetime, last_start: datetime | None, seconds: float) -> datetime:
    """A job's first run in this process: one interval after its last start anywhere, and not before `earliest`
    (the server has finished starting). A restart or a hand-over does not restart the clock."""
    return earliest if last_start is None else max(earliest, last_start + timedelta(seconds=seconds))


async def close_orphans(sessionmaker: async_sessionmaker[AsyncSession], job: str) -> None:
    """Runs still marked running while we hold the job's lock belong to a process that stopped mid-run."""
    running = (JobRun.job == job, JobRun.status == "running")
    async with sessionmaker() as session:
        if await session.scalar(select(JobRun.id).where(*running).limit(1)) is None:
            return  # the usual case: no write (some jobs run every few seconds)
        async with write_transaction(session):
            await session.execute(update(JobRun).where(*running).values(
                status="failed", finished_at=utcnow(), message="interrupted: the process running it stopped"))


JobLock = Callable[[str], contextlib.AbstractAsyncContextManager[bool]]


@contextlib.asynccontextmanager
async def _no_lock(_job: str) -> AsyncIterator[bool]:
    yield True


class Scheduler:
    """The server's jobs, started while this process leads (server/cluster) and stopped with the app."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc)
        self.fetcher: PoliteFetcher | None = None
        self.job_lock: JobLock = _no_lock  # server/cluster sets the per-job lock of its election
        self._stopping = False

    async def start(self) -> None:
        settings = self.settings
        if self.fetcher is None:
            self.fetcher = make_fetcher(settings)
        starts = await last_starts(self.sessionmaker)
        self.scheduler = AsyncIOScheduler(timezone=timezone.utc)  # a stopped one cannot start again
        self._stopping = False
        first = datetime.now(timezone.utc) + FIRST_RUN_DELAY
        for config in settings.sources:
            if config.enabled:
                seconds = config.interval_minutes * 60 if config.interval_minutes else settings.import_interval_seconds
                name = f"import:{config.name}"
                self._add(name, self._import_job(config), seconds, first_run(first, starts.get(name), seconds))
        self._add(REFRESH_JOB, self._refresh_job, settings.refresh_interval_seconds,
                  first_run(first + timedelta(seconds=1), starts.get(REFRESH_JOB), settings.refresh_interval_seconds))
        self._add(PURGE_JOB, self._purge_job, 24 * 3600.0,
                  first_run(first + timedelta(seconds=2), starts.get(PURGE_JOB), 24 * 3600.0))
        self._add(PAGE_REPORTS_JOB, self._page_reports_job, 24 * 3600.0,
                  first_run(first + timedelta(seconds=2), starts.get(PAGE_REPORTS_JOB), 24 * 3600.0))
        if settings.backup_interval_hours > 0 and settings.sqlite_path() is not None:
            interval = timedelta(hours=settings.backup_interval_hours)
            existing = [path.name for path in db_backup.scheduled_backups(settings.backups_path)]
            due = db_backup.next_scheduled_run(existing, interval, datetime.now(timezone.utc), first + timedelta(seconds=3))
            self._add(BACKUP_JOB, self._backup_job, interval.total_seconds(), due)
        self._add(SETTLE_JOB, self._settle_job, settings.settle_seconds, first_run(first, None, settings.settle_seconds))
        self.scheduler.start()

    def _add(self, name: str, func: Callable[[], Awaitable[object]], seconds: float, first: datetime) -> None:
        self.scheduler.add_job(self._locked(name, func), IntervalTrigger(seconds=seconds), id=name, name=name,
                               next_run_time=first, max_instances=1, coalesce=True, misfire_grace_time=None)

    def _locked(self, name: str, func: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
        async def run() -> object:
            try:
                async with self.job_lock(name) as granted:
                    if not granted:
                        log.info("job %s skipped: another process is still running it", name)
                        return None
                    await close_orphans(self.sessionmaker, name)
                    return await func()
            except Exception as error:  # noqa: BLE001 - no lock (database away): try at the next interval
                log.warning("job %s not run: %s", name, type(error).__name__)
                return None
        return run

    def _import_job(self, config: SourceConfig) -> Callable[[], Awaitable[JobRun]]:
        async def run() -> JobRun:
            assert self.fetcher is not None
            return await record_run(self.sessionmaker, f"import:{config.name}",
                                    lambda: import_source(self.sessionmaker, self.settings, config, self.fetcher))  # type: ignore[arg-type]  # fetcher: asserted above, not narrowed inside the lambda
        return run

    async def _refresh_job(self) -> JobRun:
        since = await last_ok_start(self.sessionmaker, REFRESH_JOB)
        return await record_run(self.sessionmaker, REFRESH_JOB, lambda: refresh_recent(self.sessionmaker, since))

    async def _purge_job(self) -> JobRun:
        return await record_run(self.sessionmaker, PURGE_JOB,
                                lambda: purge_timings(self.sessionmaker, self.settings.timings_retention_days))

    async def _page_reports_job(self) -> JobRun:
        return await record_run(self.sessionmaker, PAGE_REPORTS_JOB,
                                lambda: purge_page_reports(self.sessionmaker, self.settings.page_reports_retention_days))

    async def _settle_job(self) -> JobRun | None:
        """Recorded only when there was something to settle (it runs every few seconds)."""
        if await oldest_marker_age(self.sessionmaker) is None:
            return None

        async def work() -> Outcome:
            report = await settle(self.sessionmaker)
            return Outcome("ok", report.message(), report.counts())
        return await record_run(self.sessionmaker, SETTLE_JOB, work)

    async def _backup_job(self) -> JobRun:
        return await record_run(self.sessionmaker, BACKUP_JOB, lambda: backup_now(self.settings))

    def planned(self) -> list[dict[str, object]]:
        """The jobs and when each runs next (for GET /api/v1/admin/jobs)."""
        return [{"name": job.id, "next_run_at": job.next_run_time,
                 "interval_seconds": job.trigger.interval.total_seconds()} for job in self.scheduler.get_jobs()]

    async def stop(self) -> None:
        """No new runs; a run under way finishes (it holds its job's lock until then)."""
        # AsyncIOScheduler.shutdown only queues the shutdown on the loop, so `running` stays true until it ran:
        # remember the first call instead, or a second stop (leadership lost, then app shutdown) raises.
        if self.scheduler.running and not self._stopping:
            self._stopping = True
            self.scheduler.shutdown(wait=False)

    async def shutdown(self) -> None:
        await self.stop()
        if self.fetcher is not None:
            await self.fetcher.aclose()
            self.fetcher = None
