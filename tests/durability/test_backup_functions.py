"""server/db/backup.py on its own: one snapshot under concurrent writes, restores across page sizes, and a
safety copy even of a damaged database."""
from __future__ import annotations

import contextlib
import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from server.db import backup
from server.db.migrate import upgrade

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "releases" / "fairfinder-0.1.0.db"


def test_a_backup_is_one_snapshot_and_never_restarts_under_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "live.db"
    with contextlib.closing(sqlite3.connect(source, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE alembic_version (version_num TEXT)")
        db.execute("INSERT INTO alembic_version VALUES ('0003')")
        for table in ("workers", "reviews", "requesters"):
            db.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)")
        db.execute("CREATE TABLE rows (id INTEGER PRIMARY KEY, payload TEXT)")
        db.execute("CREATE TABLE counter (n INTEGER)")
        db.execute("BEGIN")
        db.executemany("INSERT INTO rows (payload) VALUES (?)", [("x" * 300,)] * 20_000)
        db.execute("INSERT INTO counter VALUES (20000)")
        db.execute("COMMIT")
    monkeypatch.setattr(backup, "STEP_PAGES", 8)  # many steps: many chances for a write between two of them

    stop, writes = threading.Event(), []

    def writer() -> None:
        with contextlib.closing(sqlite3.connect(source, isolation_level=None, timeout=30)) as db:
            while not stop.is_set():
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO rows (payload) VALUES ('y')")
                db.execute("UPDATE counter SET n = n + 1")
                db.execute("COMMIT")
                writes.append(1)

    progress: list[tuple[int, int]] = []

    def report(done: int, total: int) -> None:
        progress.append((done, total))
        if len(progress) == 3:  # writes go on while the copy is under way
            before, deadline = len(writes), time.monotonic() + 30
            while len(writes) < before + 20:
                assert time.monotonic() < deadline, "the writer is stuck behind the backup"
                time.sleep(0.001)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        info = backup.backup_database(source, tmp_path / "copy.db", progress=report)
    finally:
        stop.set()
        thread.join()
    done = [d for d, _ in progress]
    assert done == sorted(done) and progress[-1][0] == progress[-1][1]  # never started over
    assert len(progress) == -(-progress[-1][1] // 8)  # one pass: total pages / step
    with contextlib.closing(sqlite3.connect(info.path)) as copy:
        rows, counter = copy.execute("SELECT (SELECT count(*) FROM rows), (SELECT n FROM counter)").fetchone()
    assert rows == counter  # one moment: the row count and the counter written with it agree
    assert 20_000 <= rows <= 20_000 + len(writes) - 20  # the moment it started: not the 20 writes made during it


def test_restore_across_page_sizes(tmp_path: Path) -> None:
    source = tmp_path / "source.db"
    shutil.copy(FIXTURE, source)
    with contextlib.closing(sqlite3.connect(source)) as db:
        db.execute("PRAGMA page_size=8192")
        db.execute("VACUUM")
    live = tmp_path / "var" / "fairfinder.db"
    live.parent.mkdir()
    upgrade(f"sqlite+aiosqlite:///{live}")  # a WAL database with 4096-byte pages
    revision, safety = backup.restore_database(source, live, tmp_path / "backups")
    assert revision == "0002" and safety is not None and backup.check_database(safety) is not None
    with contextlib.closing(sqlite3.connect(live)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA page_size").fetchone()[0] == 8192
        assert db.execute("SELECT count(*) FROM reviews").fetchone()[0] == \
            sqlite3.connect(FIXTURE).execute("SELECT count(*) FROM reviews").fetchone()[0]


def test_a_damaged_live_database_is_still_kept_before_a_restore(tmp_path: Path) -> None:
    live = tmp_path / "fairfinder.db"
    live.write_bytes(b"SQLite format 3\x00" + b"\xff" * 8000)  # the header, then garbage
    revision, safety = backup.restore_database(FIXTURE, live, tmp_path / "backups")
    assert revision == "0002"
    assert safety is not None and safety.read_bytes() == b"SQLite format 3\x00" + b"\xff" * 8000
    assert backup.check_database(live) == "0002"


def test_partial_copies_of_dead_processes_are_cleared(tmp_path: Path) -> None:
    source = tmp_path / "live.db"
    shutil.copy(FIXTURE, source)
    folder = tmp_path / "backups"
    folder.mkdir()
    dead = folder / ".fairfinder-scheduled-20260101T000000Z.db.999999999.partial"  # no such pid
    dead.write_bytes(b"half")
    mine = folder / ".fairfinder-scheduled-20260101T000000Z.db.1.partial"  # pid 1 is alive
    mine.write_bytes(b"in progress")
    info, removed = backup.run_scheduled_backup(source, folder, keep=3)
    assert not dead.exists() and mine.exists()
    assert info.path.parent == folder and removed == []
