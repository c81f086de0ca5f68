"""Online backups and restores of the SQLite database (docs/backups.md).

Copies go through SQLite's backup API, never a file copy: a file copy of a database in WAL mode misses
what is still in the -wal file, and copying over a live database breaks the readers that have it open.
A backup reads one snapshot: the source connection holds a read transaction for the whole copy, so
the server keeps writing (WAL lets it) and the copy is the database as it was at that moment, without
the restarts the backup API would otherwise make each time another connection writes between steps.

Plain functions on paths, blocking (the CLI calls them directly, the scheduler from a thread).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

from server.domain.errors import FairfinderError
from server.processes import is_alive

STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
SQLITE_MAGIC = b"SQLite format 3\x00"
STEP_PAGES = 1024  # pages copied per step (4 MiB at the default page size): the progress bar's grain
BUSY_TIMEOUT_S = 30.0
# Scheduled backups are named apart from manual ones and safety copies: the job prunes only its own.
SCHEDULED_PREFIX = "fairfinder-scheduled-"
SAFETY_PREFIX = "fairfinder-pre-restore-"
_SCHEDULED = re.compile(r"^fairfinder-scheduled-(\d{8}T\d{6}Z)(?:-\d+)?\.db$")
_PARTIAL = re.compile(r"\.db\.(\d+)\.partial(?:-journal)?$")
# Tables every Fairfinder database has had since the first migration.
CORE_TABLES = frozenset({"alembic_version", "workers", "reviews", "requesters"})

IN_USE = "{live} is open in another process (is `fairfinder serve` running?); stop it and run the restore again."
Progress = Callable[[int, int], None]  # (pages done, pages in all)


class BackupError(FairfinderError):
    """A backup or restore that cannot be done; the message says why, for a person to read."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int  # bytes
    revision: str  # the Alembic revision of the copy


def stamp(now: datetime | None = None) -> str:
    return (now or datetime.now(timezone.utc)).astimezone(timezone.utc).strftime(STAMP_FORMAT)


def default_backup_path(backup_dir: Path, now: datetime | None = None, prefix: str = "fairfinder-") -> Path:
    return backup_dir / f"{prefix}{stamp(now)}.db"


def known_revisions() -> set[str]:
    """Every schema revision this code has a migration for."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - alembic is slow to import; only when asked

    from server.db.migrate import alembic_config  # noqa: PLC0415

    return {script.revision for script in ScriptDirectory.from_config(alembic_config("")).walk_revisions()}


def check_database(path: Path, revisions: set[str] | None = None) -> str:
    """Check that `path` is a sound Fairfinder database; returns its schema revision.

    Refuses (BackupError) a missing file, a file that is not SQLite, a damaged one (integrity_check),
    an SQLite database of something else, and a revision this code does not know (`revisions`, when
    given): one made by a newer Fairfinder, which this code could neither run on nor migrate.
    """
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{path} is not an SQLite database")
    try:
        with contextlib.closing(_connect(path, read_only=True)) as db:
            problems = [row[0] for row in db.execute("PRAGMA integrity_check(10)")]
            if problems != ["ok"]:
                raise BackupError(f"{path} is damaged (integrity_check: {'; '.join(problems)[:500]})")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not CORE_TABLES <= tables:
                raise BackupError(f"{path} is an SQLite database but not a Fairfinder one "
                                  f"(it lacks {', '.join(sorted(CORE_TABLES - tables))})")
            versions = [row[0] for row in db.execute("SELECT version_num FROM alembic_version")]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} cannot be read as a database: {error}") from None
    if len(versions) != 1:
        raise BackupError(f"{path} has {len(versions)} schema revisions recorded instead of one")
    revision = versions[0]
    if revisions is not None and revision not in revisions:
        raise BackupError(f"{path} is at schema revision {revision}, which this version of Fairfinder does not "
                          "know (was it made by a newer version?)")
    return revision


def backup_database(source: Path, dest: Path, *, force: bool = False, verify: bool = True,
                    progress: Progress | None = None) -> BackupInfo:
    """Copy the database at `source` to `dest`, online and consistent, then check the copy.

    The copy is written beside `dest` under a temporary name, checked (integrity_check, a readable
    revision) when `verify`, flushed to disk, and only then given its name: `dest` never holds half
    a backup. An existing `dest` is kept unless `force`. The copy is one self-contained file in
    rollback-journal mode, readable by the owner only (it holds token hashes and keyed ids).
    """
    if not source.is_file():
        raise BackupError(f"There is no database at {source} (run `fairfinder migrate` to create one).")
    if dest.exists() and not force:
        raise BackupError(f"{dest} already exists; choose another name or pass --force to replace it.")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise BackupError(f"Cannot create {dest.parent}: {error.strerror or error}") from None
    temp = dest.with_name(f".{dest.name}.{os.getpid()}.partial")
    try:
        os.close(os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # owner only, before any byte
        _copy(source, temp, progress)
        with contextlib.closing(sqlite3.connect(temp, isolation_level=None)) as copy:
            copy.execute("PRAGMA journal_mode=DELETE")  # one file: no -wal to forget beside it
        revision = check_database(temp) if verify else _revision_or_unknown(temp)
        _fsync(temp)
        if force:
            os.replace(temp, dest)
        else:
            try:
                os.link(temp, dest)  # fails if dest appeared meanwhile: never overwrite without --force
            except FileExistsError:
                raise BackupError(f"{dest} already exists; choose another name or pass --force to replace it.") from None
            except OSError:  # no hard links on this file system (FAT, some network mounts): check, then rename
                if dest.exists():
                    raise BackupError(f"{dest} already exists; choose another name or pass --force to replace it.") from None
                os.replace(temp, dest)
        _fsync(dest.parent)
        return BackupInfo(path=dest, size=dest.stat().st_size, revision=revision)
    except BackupError as error:
        raise BackupError(str(error).replace(str(temp), "the copy")) from None
    except sqlite3.Error as error:
        raise BackupError(f"Backup of {source} failed: {error}") from None
    except OSError as error:
        raise BackupError(f"Backup to {dest} failed: {error.strerror or error}") from None
    finally:
        for leftover in (temp, temp.with_name(temp.name + "-journal")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def restore_database(source: Path, live: Path, safety_dir: Path, *, progress: Progress | None = None,
                     revisions: set[str] | None = None) -> tuple[str, Path | None]:
    """Replace the database at `live` with the one at `source`; returns (source revision, safety copy).

    `source` is checked first (check_database); the current database is then copied to `safety_dir`
    (even when damaged: it may be all there is), and `source` is written into `live` through the backup
    API inside one write transaction on `live`, so other connections see the old database or the new
    one, never a mix. A database another process has open is refused (stop the server first: it would
    go on with caches and sessions of the replaced data). Migrating the result to the code's schema is
    the caller's next step.
    """
    revisions = known_revisions() if revisions is None else revisions
    revision = check_database(source, revisions)
    if live.exists() and live.resolve() == source.resolve():
        raise BackupError(f"{source} is the live database itself.")
    if database_in_use(live):
        raise BackupError(IN_USE.format(live=live))
    safety = _safety_copy(live, safety_dir) if live.exists() and live.stat().st_size > 0 else None
    try:
        live.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(_connect(source, read_only=True)) as src, \
                contextlib.closing(_open_destination(live)) as dst:
            mode = dst.execute("PRAGMA journal_mode").fetchone()[0]
            src_page, dst_page = (db.execute("PRAGMA page_size").fetchone()[0] for db in (src, dst))
            if mode == "wal" and src_page != dst_page:
                # The backup API cannot change the page size of a WAL database; out of WAL it can.
                # Leaving WAL needs the database to ourselves: with a server running this fails (stop it).
                if dst.execute("PRAGMA journal_mode=DELETE").fetchone()[0] != "delete":
                    raise BackupError(f"{live} is in use; stop the server and run the restore again.")
            _backup_snapshot(src, dst, progress)
            dst.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as error:
        where = f" (the database before the restore is kept in {safety})" if safety else ""
        if "locked" in str(error) or "busy" in str(error):
            raise BackupError(f"{live} stayed locked by another process; stop the server and run the restore "
                              f"again{where}.") from None
        raise BackupError(f"Restore into {live} failed: {error}{where}") from None
    except (sqlite3.Error, OSError) as error:
        where = f" (the database before the restore is kept in {safety})" if safety else ""
        raise BackupError(f"Restore into {live} failed: {error}{where}") from None
    return revision, safety


def _open_destination(live: Path) -> sqlite3.Connection:
    """A connection to the live database for a restore. A file SQLite cannot open at all (damaged beyond
    its header) is set aside (the safety copy has it) and replaced by a new one; nobody has it open."""
    db = _connect(live, read_only=False, create=True)
    try:
        db.execute("PRAGMA journal_mode").fetchone()
        return db
    except sqlite3.OperationalError:
        db.close()
        raise
    except sqlite3.DatabaseError:
        db.close()
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{live}{suffix}").unlink()
    return _connect(live, read_only=False, create=True)


def _safety_copy(live: Path, safety_dir: Path) -> Path:
    """Keep the database a restore replaces. A damaged one that SQLite cannot read whole is copied as
    files (with its -wal): it may be all there is of the data since the last backup."""
    dest = default_backup_path(safety_dir, prefix=SAFETY_PREFIX)
    try:
        return backup_database(live, dest, verify=False).path
    except BackupError:
        try:
            for suffix in ("", "-wal"):
                if Path(f"{live}{suffix}").exists():
                    shutil.copyfile(f"{live}{suffix}", f"{dest}{suffix}")
                    os.chmod(f"{dest}{suffix}", 0o600)
            _fsync(dest)
        except OSError as error:
            raise BackupError(f"Could not keep a copy of {live} before restoring over it: {error.strerror or error}; "
                              "nothing was restored.") from None
        return dest


def database_in_use(path: Path) -> bool:
    """Whether another process has the database open (a running server, another command).

    In WAL mode every open connection holds a shared lock on the file, so asking for an exclusive one
    without waiting fails at once while anyone else has it open.
    """
    if not path.exists():
        return False
    try:
        with contextlib.closing(sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, isolation_level=None,
                                                timeout=0)) as db:
            db.execute("PRAGMA locking_mode=EXCLUSIVE")
            db.execute("BEGIN IMMEDIATE")
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
            db.execute("ROLLBACK")
    except sqlite3.OperationalError as error:
        return "locked" in str(error) or "busy" in str(error)
    except sqlite3.DatabaseError:
        return False  # damaged: nobody is serving it; the restore may go on
    return False


def scheduled_backups(backup_dir: Path) -> list[Path]:
    """The backups the scheduled job made in `backup_dir`, oldest first."""
    try:
        names = [entry.name for entry in os.scandir(backup_dir) if entry.is_file() and _SCHEDULED.match(entry.name)]
    except OSError:  # no folder yet, or not one we can read: the backup itself will say why
        return []
    return [backup_dir / name for name in sorted(names)]


def to_prune(names: Iterable[str], keep: int) -> list[str]:
    """Which scheduled backups to delete so that the newest `keep` remain; other files are never named."""
    ours = sorted(name for name in names if _SCHEDULED.match(name))
    return ours[:max(0, len(ours) - max(keep, 1))]


def next_scheduled_run(names: Iterable[str], interval: timedelta, now: datetime, earliest: datetime) -> datetime:
    """When the next scheduled backup is due: one interval after the newest one the job made (a restart
    does not restart the clock), and not before `earliest` (the server has finished starting)."""
    stamps = [match.group(1) for name in names if (match := _SCHEDULED.match(name))]
    if not stamps:
        return max(now + interval, earliest)
    newest = datetime.strptime(max(stamps), STAMP_FORMAT).replace(tzinfo=timezone.utc)
    return max(newest + interval, earliest)


def run_scheduled_backup(source: Path, backup_dir: Path, keep: int, now: datetime | None = None
                         ) -> tuple[BackupInfo, list[Path]]:
    """Make one scheduled backup, then delete the scheduled backups beyond the newest `keep`."""
    _remove_stale_partials(backup_dir)
    dest = default_backup_path(backup_dir, now, prefix=SCHEDULED_PREFIX)
    for n in range(1, 100):  # two runs within one second (a short test interval): do not refuse the second
        if not dest.exists():
            break
        dest = dest.with_name(f"{SCHEDULED_PREFIX}{stamp(now)}-{n}.db")
    info = backup_database(source, dest)
    removed = []
    for name in to_prune((path.name for path in scheduled_backups(backup_dir)), keep):
        with contextlib.suppress(FileNotFoundError):
            (backup_dir / name).unlink()
            removed.append(backup_dir / name)
    return info, removed


def _remove_stale_partials(backup_dir: Path) -> None:
    """Half-written copies left by a server killed during a scheduled backup (their process is gone)."""
    for path in backup_dir.glob(f".{SCHEDULED_PREFIX}*.partial*"):
        match = _PARTIAL.search(path.name)
        if match and not is_alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _connect(path: Path, *, read_only: bool, create: bool = False) -> sqlite3.Connection:
    mode = "ro" if read_only else ("rwc" if create else "rw")
    db = sqlite3.connect(f"file:{quote(str(path))}?mode={mode}", uri=True, isolation_level=None,
                         timeout=BUSY_TIMEOUT_S)
    return db


def _copy(source: Path, dest: Path, progress: Progress | None) -> None:
    with contextlib.closing(_connect(source, read_only=False)) as src, \
            contextlib.closing(sqlite3.connect(dest, isolation_level=None)) as dst:
        _backup_snapshot(src, dst, progress)


def _backup_snapshot(src: sqlite3.Connection, dst: sqlite3.Connection, progress: Progress | None) -> None:
    """Copy `src` into `dst` in steps, all from one read snapshot of `src`.

    The read transaction held on `src` makes every step read the same snapshot (sqlite3_backup_step
    uses an open read transaction instead of starting its own), so writes by other connections neither
    restart the copy nor end up half in it; in WAL mode they go on meanwhile.
    """
    src.execute("BEGIN")
    try:
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # starts the read snapshot

        def report(_status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        src.backup(dst, pages=STEP_PAGES, progress=report, sleep=0)
    finally:
        src.execute("COMMIT")


def _revision_or_unknown(path: Path) -> str:
    try:
        with contextlib.closing(_connect(path, read_only=True)) as db:
            return str(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    except (sqlite3.Error, TypeError):
        return "unknown"


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
