"""The scheduler's `backup` job in a real server: it makes backups while the server answers, keeps the
newest FAIRFINDER_BACKUP_KEEP of its own (never touching other files), and records failures as failed runs."""
from __future__ import annotations

import contextlib
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

from server.db.backup import check_database, next_scheduled_run, scheduled_backups, to_prune
from server.db.migrate import head_revision
from tests.conftest import LiveServer
from tests.durability._support import wait_for

INTERVAL_HOURS = "0.0003"  # about a second


def backup_runs(db_path: Path) -> list[tuple[str, str, str]]:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        return db.execute("SELECT status, message, counts FROM job_runs WHERE job = 'backup' AND finished_at IS NOT NULL "
                          "ORDER BY id").fetchall()


def start(tmp_path: Path, backup_dir: Path) -> LiveServer:
    server = LiveServer(tmp_path / "var", env={"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_BACKUP_INTERVAL": INTERVAL_HOURS,
                                               "FAIRFINDER_BACKUP_KEEP": "2", "FAIRFINDER_BACKUP_DIR": str(backup_dir)})
    server.data_dir.mkdir()
    assert server.cli("migrate").returncode == 0
    server.start()
    return server


def test_scheduled_backups_are_made_and_pruned_to_keep(tmp_path: Path) -> None:
    backup_dir = tmp_path / "backups"
    backup_dir.mkdir()
    others = {"fairfinder-20200101T000000Z.db": b"a manual backup", "notes.txt": b"mine",
              "fairfinder-scheduled-notes.txt": b"not a backup the job made"}
    for name, content in others.items():
        (backup_dir / name).write_bytes(content)
    (backup_dir / "fairfinder-scheduled-20200101T000000Z.db").write_bytes(b"an old scheduled one")
    server = start(tmp_path, backup_dir)
    db_path = server.data_dir / "fairfinder.db"
    try:
        handles = []

        def answered_and_backed_up() -> bool:
            # the server keeps answering writes while its backups run
            response = httpx.post(f"{server.url}/api/v1/workers", json={"handle": f"sched-{len(handles)}"}, timeout=10)
            assert response.status_code == 201, response.text
            handles.append(response.json()["worker"]["handle"])
            return len([run for run in backup_runs(db_path) if run[0] == "ok"]) >= 4

        wait_for(answered_and_backed_up, "four scheduled backups", timeout=90)
    finally:
        server.stop()

    runs = backup_runs(db_path)
    assert all(status == "ok" for status, _, _ in runs), runs
    kept = scheduled_backups(backup_dir)
    assert len(kept) == 2
    for path in kept:
        assert check_database(path) == head_revision()
    assert not (backup_dir / "fairfinder-scheduled-20200101T000000Z.db").exists()  # its own old one: pruned
    for name, content in others.items():  # everything else: untouched
        assert (backup_dir / name).read_bytes() == content
    assert [p.name for p in backup_dir.iterdir() if p.name.startswith(".")] == []  # no partial copies left
    with contextlib.closing(sqlite3.connect(kept[-1])) as db:  # a later backup holds what was written before it
        assert db.execute("SELECT count(*) FROM workers WHERE handle LIKE 'sched-%'").fetchone()[0] >= 1


def test_a_failing_backup_is_a_failed_run_and_the_server_goes_on(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the backup folder should be")
    server = start(tmp_path, blocker / "backups")
    db_path = server.data_dir / "fairfinder.db"
    try:
        wait_for(lambda: len(backup_runs(db_path)) >= 2, "two backup runs", timeout=90)
        assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
        assert httpx.post(f"{server.url}/api/v1/workers", json={}, timeout=10).status_code == 201
    finally:
        server.stop()
    runs = backup_runs(db_path)
    assert {status for status, _, _ in runs} == {"failed"}
    assert all("Cannot create" in message and str(blocker) in message for _, message, _ in runs), runs
    assert "internal error" not in runs[0][1]


def test_pruning_names_only_the_jobs_own_files() -> None:
    names = ["fairfinder-scheduled-20260101T000000Z.db", "fairfinder-scheduled-20260103T000000Z.db",
             "fairfinder-scheduled-20260102T000000Z.db", "fairfinder-scheduled-20260103T000000Z-1.db",
             "fairfinder-20250101T000000Z.db", "fairfinder-pre-restore-20250101T000000Z.db", "fairfinder-scheduled-x.db",
             "fairfinder-scheduled-20260101T000000Z.db-journal"]
    assert to_prune(names, 2) == ["fairfinder-scheduled-20260101T000000Z.db", "fairfinder-scheduled-20260102T000000Z.db"]
    assert to_prune(names, 10) == []
    assert to_prune(names, 0) == to_prune(names, 1)  # at least the newest is always kept


def test_the_schedule_carries_on_across_restarts() -> None:
    now = datetime(2026, 5, 2, 12, 0, tzinfo=timezone.utc)
    earliest = now + timedelta(seconds=5)
    day = timedelta(hours=24)
    assert next_scheduled_run([], day, now, earliest) == now + day  # no backup yet: one interval after start
    made = ["fairfinder-scheduled-20260502T060000Z.db", "fairfinder-20260502T110000Z.db"]  # the manual one: not the job's
    assert next_scheduled_run(made, day, now, earliest) == datetime(2026, 5, 3, 6, 0, tzinfo=timezone.utc)
    overdue = ["fairfinder-scheduled-20260401T000000Z.db"]
    assert next_scheduled_run(overdue, day, now, earliest) == earliest
