"""Running an import: from a file (CLI), or by fetching a configured source (scheduler and CLI).

Every import reads its input twice: once to check all of it, writing nothing, then again to apply it in
one write transaction (server/community/importer.py). Downloads go to a temporary file first, so a
source that fails halfway through a download changes nothing here.
"""
from __future__ import annotations

import contextlib
import io
import logging
import tempfile
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from scrapers import community_csv, fairfinder_dump, turkopticon
from scrapers.http import Attempt, PoliteFetcher
from scrapers.ratings import SOURCE_KINDS, ImportError_, ImportMeta, Record
from server import __version__
from server.community.importer import ImportReport, apply_import, check_all, find_or_add_source
from server.db.engine import write_transaction
from server.db.models import Requester, Source, utcnow
from server.settings import Settings, SourceConfig

log = logging.getLogger("fairfinder.import")

# A Turkopticon poll asks about the requesters workers here have met, newest first, up to this many.
MAX_TURKOPTICON_REQUESTERS = 5000
MAX_DOWNLOAD_BYTES = 4 << 30

Progress = Callable[[str, int, int | None], None]  # (phase, bytes read, total bytes)


def make_fetcher(settings: Settings) -> PoliteFetcher:
    """The HTTP client of imports: timeouts, retries with backoff, ETags and a polite pace per host."""
    return PoliteFetcher(version=__version__, min_interval=settings.fetch_min_interval_seconds,
                         attempts=settings.fetch_attempts, backoff_base=settings.fetch_backoff_seconds,
                         on_attempt=_log_attempt)


def _log_attempt(attempt: Attempt) -> None:
    if attempt.error is not None:  # the URL is a configured source's, never a worker's
        log.info("fetch %s attempt %d failed (%s)%s", attempt.url, attempt.attempt, attempt.error,
                 f"; retrying in {attempt.retry_in:.1f}s" if attempt.retry_in is not None else "")


class CountingReader(io.RawIOBase):
    """A binary file that reports how far it has been read (for progress bars on large files)."""

    def __init__(self, raw: BinaryIO, report: Callable[[int], None] | None) -> None:
        self.raw, self.report, self.position = raw, report, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)  # type: ignore[attr-defined]  # a BinaryIO that reads into buffers (file, gzip)
        self.position += n or 0
        if self.report:
            self.report(self.position)
        return n


def guess_kind(path: Path) -> str:
    name = path.name.lower()
    if name.endswith((".jsonl.gz", ".gz")):
        return "fairfinder"
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    raise ImportError_("cannot tell what kind of file this is; say --kind "
                       f"({', '.join(SOURCE_KINDS)})", str(path))


@contextlib.contextmanager
def open_records(kind: str, path: Path, source_name: str,
                 report: Callable[[int], None] | None = None) -> Iterator[tuple[ImportMeta, Iterator[Record]]]:
    """The input's meta and its records, read lazily from the file."""
    with path.open("rb") as raw:
        counted = io.BufferedReader(CountingReader(raw, report))
        if kind == "fairfinder":
            meta, records = fairfinder_dump.read_dump(counted)
            yield meta, records
        elif kind == "csv":
            text = io.TextIOWrapper(counted, encoding="utf-8-sig", newline="")
            yield ImportMeta(kind="csv", full=True), community_csv.read_csv(text, source_name=source_name)
        elif kind in ("turkopticon1", "turkopticon2"):
            parse = turkopticon.parse_to1_multi_attrs if kind == "turkopticon1" else turkopticon.parse_to2_requesters
            yield ImportMeta(kind=kind, full=False), iter(parse(counted.read()))  # type: ignore[arg-type]  # both parsers take the bytes
        else:
            raise ImportError_(f"unknown kind {kind!r}; one of {', '.join(SOURCE_KINDS)}")


async def import_file(sessionmaker: async_sessionmaker[AsyncSession], name: str, kind: str, path: Path, *,
                      url: str | None = None, etag: str | None = None, progress: Progress | None = None) -> ImportReport:
    """Check the whole file, then apply it in one transaction. Raises ImportError_ and changes nothing
    when anything is wrong with it."""
    total = path.stat().st_size

    def reporter(phase: str) -> Callable[[int], None] | None:
        return (lambda done: progress(phase, done, total)) if progress else None

    with open_records(kind, path, name, reporter("checking")) as (_meta, records):
        check_all(records)
    with open_records(kind, path, name, reporter("importing")) as (meta, records):
        async with sessionmaker() as session, write_transaction(session):
            source = await find_or_add_source(session, name, kind, url)
            report = await apply_import(session, source, meta, records)
            if meta.full and etag is not None:
                source.etag = etag
    return report


class Outcome:
    """How one scheduled import went (for the job log)."""

    def __init__(self, status: str, message: str, counts: dict | None = None, attempts: int = 1) -> None:
        self.status, self.message, self.counts, self.attempts = status, message, counts or {}, attempts


async def import_source(sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, config: SourceConfig,
                        fetcher: PoliteFetcher, *, force_full: bool = False, progress: Progress | None = None) -> Outcome:
    """Fetch a configured source and import what it sends (raises on failure; the caller logs it)."""
    async with sessionmaker() as session:
        source = (await session.scalars(select(Source).where(Source.name == config.name))).one_or_none()
        known_ids = (list(await session.scalars(
            select(Requester.external_id).where(Requester.platform == "mturk", Requester.is_demo.is_(False))
            .order_by(Requester.first_seen_at.desc()).limit(MAX_TURKOPTICON_REQUESTERS)))
            if config.kind.startswith("turkopticon") else [])
    folder = settings.data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = Path(tmp) / "input"
        if config.kind.startswith("turkopticon"):
            return await _poll_turkopticon(sessionmaker, config, fetcher, known_ids)
        full = force_full or config.kind == "csv" or _full_due(source, settings)
        params = {} if full or source is None or not source.cursor else {"since": source.cursor}
        download = await fetcher.download(config.url, path, etag=source.etag if full and source else None,
                                          params=params or None, max_bytes=MAX_DOWNLOAD_BYTES)
        if download.not_modified:
            return Outcome("not_modified", "the source has nothing new (304)", attempts=download.attempts)
        report = await import_file(sessionmaker, config.name, config.kind, path, url=config.url,
                                   etag=download.etag if full else None, progress=progress)
        what = "full" if report.full else "incremental"
        return Outcome("ok", f"{what} import of {download.bytes_written} bytes", report.counts(), download.attempts)


def _full_due(source: Source | None, settings: Settings) -> bool:
    if source is None or source.cursor is None or source.last_full_import_at is None:
        return True
    return utcnow() - source.last_full_import_at >= timedelta(seconds=settings.full_import_interval_seconds)


async def _poll_turkopticon(sessionmaker: async_sessionmaker[AsyncSession], config: SourceConfig, fetcher: PoliteFetcher,
                            ids: list[str]) -> Outcome:
    """Ask a Turkopticon-compatible API about the requesters workers here have met, in polite batches."""
    if not ids:
        return Outcome("ok", "no MTurk requesters known yet: nothing to ask", {"requesters": 0})
    make_url = turkopticon.to1_url if config.kind == "turkopticon1" else turkopticon.to2_url
    parse = turkopticon.parse_to1_multi_attrs if config.kind == "turkopticon1" else turkopticon.parse_to2_requesters
    records: list[Record] = []
    for batch in turkopticon.batches(ids):
        records.extend(parse(await fetcher.get_bytes(make_url(config.url, batch))))
    check_all(records)
    async with sessionmaker() as session, write_transaction(session):
        source = await find_or_add_source(session, config.name, config.kind, config.url)
        report = await apply_import(session, source, ImportMeta(kind=config.kind, full=False), records)
    return Outcome("ok", f"asked about {len(ids)} requesters", report.counts())
