"""`fairfinder backup` and `fairfinder restore` from the command line, against a real server's data folder:
clear refusals that leave the live database as it was, --force and --yes, an older backup upgraded."""
from __future__ import annotations

import contextlib
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.db.migrate import head_revision
from tests.conftest import LiveServer
from tests.durability._support import copy_database, integrity

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "releases" / "fairfinder-0.1.0.db"
ENV = {"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "off", "COLUMNS": "400"}  # rich: no wrapped paths


def said(done: subprocess.CompletedProcess[str]) -> str:
    """What a command printed on stderr, with rich's line wrapping undone."""
    return " ".join(done.stderr.split())


def dump(db_path: Path) -> list[str]:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        return list(db.iterdump())


def handles(db_path: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)) as db:
        return {row[0] for row in db.execute("SELECT handle FROM workers")}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    """A data folder with a migrated database holding two workers and a review, and a server on it."""
    live = LiveServer(tmp_path / "var", env=ENV)
    live.data_dir.mkdir()
    assert live.cli("migrate").returncode == 0
    live.start()
    for handle in ("alice", "bob"):
        response = httpx.post(f"{live.url}/api/v1/workers", json={"handle": handle})
        assert response.status_code == 201
    token = response.json()["token"]
    response = httpx.post(f"{live.url}/api/v1/reviews", headers={"Authorization": f"Bearer {token}"}, json={
        "platform": "mturk", "requester_id": "ARESTORE", "task": {"title": "Restore me", "reward_cents": 80},
        "ratings": {"pay": 4}, "worked_seconds": 300, "outcome": "approved", "comment": "before the backup"})
    assert response.status_code == 201
    yield live
    live.stop()


def test_backup_refuses_to_overwrite_without_force(server: LiveServer, tmp_path: Path) -> None:
    dest = tmp_path / "b.db"
    first = server.cli("backup", str(dest))
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == str(dest)
    assert "integrity check ok" in said(first) and f"schema revision {head_revision()}" in said(first)
    assert dest.stat().st_mode & 0o077 == 0  # it holds token hashes: owner only
    before = dest.read_bytes()
    httpx.post(f"{server.url}/api/v1/workers", json={"handle": "carol"}).raise_for_status()

    again = server.cli("backup", str(dest))
    assert again.returncode == 2
    assert "already exists" in said(again) and "--force" in said(again)
    assert dest.read_bytes() == before

    forced = server.cli("backup", str(dest), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "carol" in handles(dest) and integrity(dest) == "ok"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".b.db")] == []  # no partial copy left


def test_backup_default_destination_is_the_backup_folder(server: LiveServer) -> None:
    made = server.cli("backup")
    assert made.returncode == 0, made.stderr
    path = Path(made.stdout.strip())
    assert path.parent == server.data_dir / "backups"
    assert path.name.startswith("fairfinder-") and path.name.endswith("Z.db")
    assert handles(path) == {"alice", "bob"}
    assert not Path(f"{path}-wal").exists()  # one self-contained file


def test_backup_and_restore_refuse_other_databases(server: LiveServer, tmp_path: Path) -> None:
    env = {**server.env, "DATABASE_URL": "postgresql+asyncpg://fairfinder:secret@127.0.0.1/fairfinder"}
    for args in (["backup", str(tmp_path / "x.db")], ["restore", str(tmp_path / "x.db"), "--yes"]):
        done = LiveServer(server.data_dir, env=env).cli(*args)
        assert done.returncode == 2
        assert "pg_dump" in said(done) and "Traceback" not in said(done)
        assert "secret@" not in said(done)  # the URL's password is never echoed
    assert not (tmp_path / "x.db").exists()


def test_restore_refuses_bad_sources_and_leaves_the_database_alone(server: LiveServer, tmp_path: Path) -> None:
    good = tmp_path / "good.db"
    assert server.cli("backup", str(good)).returncode == 0
    server.stop()
    live = server.data_dir / "fairfinder.db"
    before = dump(live)

    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    other = tmp_path / "other.db"
    with contextlib.closing(sqlite3.connect(other)) as db:
        db.execute("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO things (name) VALUES ('x')")
        db.commit()
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    newer = tmp_path / "newer.db"
    shutil.copy(good, newer)
    with contextlib.closing(sqlite3.connect(newer)) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999'")
        db.commit()

    missing = server.cli("restore", str(tmp_path / "missing.db"), "--yes")
    assert missing.returncode == 3 and "there is no file" in said(missing)  # not found
    cases = {text: "is not an SQLite database", other: "not a Fairfinder one",
             newer: "does not know", live: "the live database itself"}
    for source, message in cases.items():
        done = server.cli("restore", str(source), "--yes")
        assert done.returncode == 2, (source, done.stderr)
        assert message in said(done), done.stderr
        assert "Traceback" not in said(done)
    done = server.cli("restore", str(truncated), "--yes")
    assert done.returncode == 2 and "Traceback" not in said(done)
    assert "cannot be read as a database" in said(done) or "is damaged" in said(done), done.stderr

    assert dump(live) == before
    assert not (server.data_dir / "backups").exists()  # nothing was even started: no safety copy either


def test_restore_asks_first_and_refuses_while_the_server_runs(server: LiveServer, tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    assert server.cli("backup", str(backup)).returncode == 0
    httpx.post(f"{server.url}/api/v1/workers", json={"handle": "carol"}).raise_for_status()
    live = server.data_dir / "fairfinder.db"

    running = server.cli("restore", str(backup), "--yes")
    assert running.returncode == 2
    assert "open in another process" in said(running)
    assert "carol" in handles(live)

    server.stop()
    unconfirmed = server.cli("restore", str(backup))  # stdin is not a terminal: no answer is no
    assert unconfirmed.returncode == 1
    assert "Nothing restored" in said(unconfirmed)
    assert "carol" in handles(live)


def test_restore_replaces_the_database_and_keeps_the_old_one(server: LiveServer, tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    assert server.cli("backup", str(backup)).returncode == 0
    httpx.post(f"{server.url}/api/v1/workers", json={"handle": "carol"}).raise_for_status()
    server.stop()
    live = server.data_dir / "fairfinder.db"

    done = server.cli("restore", str(backup), "--yes")
    assert done.returncode == 0, done.stderr
    assert handles(live) == {"alice", "bob"}
    safety = [p for p in (server.data_dir / "backups").iterdir() if p.name.startswith("fairfinder-pre-restore-")]
    assert len(safety) == 1 and "carol" in handles(safety[0])
    assert str(safety[0]) in said(done)
    with contextlib.closing(sqlite3.connect(live)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert integrity(live) == "ok"

    server.start()  # the server runs on the restored data
    reviews = httpx.get(f"{server.url}/api/v1/reviews", params={"platform": "mturk", "requester": "ARESTORE"})
    assert reviews.status_code == 200, reviews.text
    assert [item["comment"] for item in reviews.json()["items"]] == ["before the backup"]


def test_restore_upgrades_an_older_backup(server: LiveServer, tmp_path: Path) -> None:
    server.stop()
    old = copy_database(FIXTURE, tmp_path / "release-0.1.0.db")
    done = server.cli("restore", str(old), "--yes")
    assert done.returncode == 0, done.stderr
    assert "schema revision 0002" in said(done) and f"now at schema {head_revision()}" in said(done)
    live = server.data_dir / "fairfinder.db"
    with contextlib.closing(sqlite3.connect(live)) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
        assert db.execute("SELECT count(*) FROM reviews WHERE status = 'visible'").fetchone()[0] == \
            sqlite3.connect(FIXTURE).execute("SELECT count(*) FROM reviews").fetchone()[0]
    assert "fixture-worker-0" in handles(live)
    server.start()
    summary = httpx.get(f"{server.url}/api/v1/requesters/mturk/A1FIXTURE0001")
    assert summary.status_code == 200, summary.text
