"""Shared test set-up: a migrated SQLite database per test (copied from one migrated template),
the app in-process for API tests, and a real server process for integration tests."""
from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.db.migrate import upgrade
from server.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-not-for-production"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def settings(tmp_path: Path, migrated_template: Path) -> Settings:
    db = tmp_path / "fairfinder.db"
    shutil.copy(migrated_template, db)
    return Settings(database_url=f"sqlite+aiosqlite:///{db}", secret=TEST_SECRET, data_dir=tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app=create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


ESTABLISHED_SINCE = "2020-01-01 00:00:00.000000"


def register(client: TestClient | httpx.Client, handle: str | None = None, *, new: bool = False) -> dict[str, str]:
    """Register a worker; returns the Authorization header for it.

    In-process apps get an established account (created long ago) unless `new`: new accounts' ratings
    count less (server/moderation/rules.py), which only the tests of that rule want to see.
    """
    body = {"handle": handle} if handle else {}
    response = client.post("/api/v1/workers", json=body)
    assert response.status_code == 201, response.text
    if not new and isinstance(client, TestClient):
        backdate_account(client.app.state.settings.sqlite_path(), response.json()["worker"]["id"])
    return {"Authorization": f"Bearer {response.json()['token']}"}


def backdate_account(db_path: Path, worker_id: int, created_at: str = ESTABLISHED_SINCE) -> None:
    with sqlite3.connect(db_path) as db:
        db.execute("UPDATE workers SET created_at = ? WHERE id = ?", (created_at, worker_id))
    db.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A real `fairfinder serve` process on loopback, with its own data folder."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "FAIRFINDER_DATA_DIR": str(data_dir), "FAIRFINDER_PORT": str(self.port),
                    "FAIRFINDER_LOG_LEVEL": "WARNING", **(env or {})}
        self.env.pop("DATABASE_URL", None) if "DATABASE_URL" not in (env or {}) else None
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "server.cli", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-m", "server.cli", "serve"], env=self.env, cwd=ROOT,
                                        stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "var")
    server.data_dir.mkdir()
    migrated = server.cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    server.start()
    yield server
    server.stop()
