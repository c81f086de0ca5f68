"""GET /ready: 200 when the database answers at the head migration, 503 with reasons otherwise; /health stays liveness."""
from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import msgspec
from litestar.testing import TestClient

from server.app import create_app
from server.db.migrate import head_revision, upgrade
from server.settings import Settings
from tests.conftest import TEST_SECRET


def settings_for(db: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{db}", secret=TEST_SECRET, data_dir=db.parent)


def metric(client: TestClient, name: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_ready_when_migrated(client: TestClient) -> None:
    response = client.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "migrations": "current", "revision": head_revision(),
                               "record_queue": 0}
    assert response.headers["cache-control"] == "no-store"
    assert metric(client, "fairfinder_database_up") == 1.0
    assert metric(client, "fairfinder_database_migrations_current") == 1.0


def test_not_ready_at_an_older_migration(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    upgrade(f"sqlite+aiosqlite:///{db}", "0002")
    with TestClient(app=create_app(settings_for(db)), raise_server_exceptions=False) as client:
        response = client.get("/ready")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "not_ready" and body["database"] == "ok"
        assert body["migrations"] == "behind" and body["revision"] == "0002" and body["head"] == head_revision()
        assert any("fairfinder migrate" in reason for reason in body["reasons"])
        assert client.get("/health").status_code == 200  # alive, just not ready
        assert metric(client, "fairfinder_database_migrations_current") == 0.0


def test_not_ready_without_migrations_or_at_an_unknown_one(tmp_path: Path, migrated_template: Path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with TestClient(app=create_app(settings_for(empty)), raise_server_exceptions=False) as client:
        body = client.get("/ready").json()
        assert (body["status"], body["migrations"], body["revision"]) == ("not_ready", "missing", None)
    newer = tmp_path / "newer.db"
    shutil.copy(migrated_template, newer)
    with sqlite3.connect(newer) as db:
        db.execute("UPDATE alembic_version SET version_num = '9999_from_newer_code'")
    db.close()
    with TestClient(app=create_app(settings_for(newer)), raise_server_exceptions=False) as client:
        response = client.get("/ready")
        assert response.status_code == 503
        assert response.json()["migrations"] == "unknown" and response.json()["revision"] == "9999_from_newer_code"


def test_not_ready_when_the_database_is_unreachable(tmp_path: Path, migrated_template: Path) -> None:
    folder = tmp_path / "volume"
    folder.mkdir()
    db = folder / "fairfinder.db"
    shutil.copy(migrated_template, db)
    with TestClient(app=create_app(settings_for(db)), raise_server_exceptions=False) as client:
        assert client.get("/ready").status_code == 200
        # The volume goes away; pooled connections would still read the unlinked file, so drop them too.
        shutil.rmtree(folder)
        client.blocking_portal.call(client.app.state.engine.dispose)
        response = client.get("/ready")
        assert response.status_code == 503
        body = response.json()
        assert (body["status"], body["database"], body["migrations"]) == ("not_ready", "unreachable", "unknown")
        assert body["reasons"] == ["the database did not answer (unreachable)"]
        assert client.get("/health").status_code == 200
        assert metric(client, "fairfinder_database_up") == 0.0


def test_ready_and_metrics_are_never_rate_limited(settings: Settings) -> None:
    limited = msgspec.structs.replace(settings, rate_limits_enabled=True, rate_limit_ip=(2, 60.0))
    with TestClient(app=create_app(limited), raise_server_exceptions=False) as client:
        assert [client.get("/api/v1/me").status_code for _ in range(3)] == [401, 401, 429]
        assert all(client.get(path).status_code == 200 for path in ("/ready", "/metrics", "/health") for _ in range(5))
