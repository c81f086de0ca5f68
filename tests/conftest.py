"""Shared test set-up: a migrated database per test (SQLite, or PostgreSQL when
FAIRFINDER_TEST_DATABASE=postgresql: tests/database.py), the app in-process for API tests, and a real server
process for integration tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from server.app import create_app
from server.settings import Settings
from tests import clock, database

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-not-for-production"


# Fixtures that give a test a database: on the PostgreSQL run, only tests using one of these (or marked
# `database`) run, and tests marked `sqlite_only` do not.
DATABASE_FIXTURES = {"settings", "client", "live_server", "database_url", "empty_database_url"}


def pytest_configure(config: pytest.Config) -> None:
    # Before any test module is imported: a date computed at import time meets the same clock as the tests.
    clock.start()
    config.addinivalue_line("markers", "database: touches the database without a database fixture (runs on both)")
    config.addinivalue_line("markers", "sqlite_only: about SQLite itself (its files, backups, pragmas)")
    config.addinivalue_line("markers", "slow: seconds per test (browsers, crashes, clusters, fuzzing); not in make test-fast")


# Folders and files whose tests take seconds each (real browsers, killed servers, clusters, fuzzing): `make test`
# runs them, `make test-fast` leaves them out.
SLOW_FOLDERS = {"durability", "cluster", "fuzz"}


def _is_slow(item: pytest.Item) -> bool:
    path = Path(str(item.fspath))
    return "browser" in path.name or bool(SLOW_FOLDERS & set(path.relative_to(ROOT / "tests").parts[:-1]))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)
        # schemathesis names each API operation's test ("test_x[GET /health]"), but under pytest 9 they all get
        # one node id; pytest-xdist schedules by node id, so all but one of them would silently not run.
        if item.parent is not None and item.nodeid.rpartition("::")[2] != item.name:
            item._id = item.parent.id.child(item.name)  # type: ignore[attr-defined]
    seen: set[str] = set()
    if twice := sorted({item.nodeid for item in items if item.nodeid in seen or seen.add(item.nodeid)}):
        raise pytest.UsageError(f"tests share a node id, so pytest-xdist would run only one of each: {twice[:5]}")
    if database.backend_name() != "postgresql":
        return
    keep, drop = [], []
    for item in items:
        touches = bool(DATABASE_FIXTURES & set(getattr(item, "fixturenames", ()))) or item.get_closest_marker("database")
        (keep if touches and not item.get_closest_marker("sqlite_only") else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> str:
    start = os.environ.get(clock.START_ENV, "wall")
    return f"fairfinder test database: {database.backend_name()}; clock starts at {start} (tests/clock.py)"


@pytest.fixture(scope="session", autouse=True)
def database_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[database.Backend]:
    backend = database.start(tmp_path_factory.mktemp("databases"))
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def migrated_template(database_backend: database.Backend) -> Path:
    """The migrated SQLite template file (tests that copy it themselves are SQLite-only)."""
    return database_backend.template if database_backend.name == "sqlite" else Path("/nonexistent")


@pytest.fixture
def database_url(tmp_path: Path, database_backend: database.Backend) -> Iterator[str]:
    """A fresh migrated database of the backend under test."""
    url = database_backend.new_database(tmp_path)
    yield url
    database_backend.drop(url)


@pytest.fixture
def empty_database_url(tmp_path: Path, database_backend: database.Backend) -> Iterator[str]:
    """A fresh database of the backend under test with no schema at all (for the migration tests)."""
    url = database_backend.empty_database(tmp_path)
    yield url
    database_backend.drop(url)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(database_url=database_url, secret=TEST_SECRET, data_dir=tmp_path)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(app=create_app(settings), raise_server_exceptions=False) as test_client:
        test_client.event_hooks["response"].append(lambda response: settle_recording(test_client, response))
        yield test_client


def settle_recording(client: TestClient, response: httpx.Response | None = None) -> None:
    """Wait until annotate's background recorder (server/tasks/recorder.py) has written the unseen tasks it was
    given, so a test's next step sees their rows. The in-process `client` does it after every annotate call."""
    if response is None or response.request.url.path.rstrip("/") == "/api/v1/annotate":
        client.blocking_portal.call(client.app.state.task_recorder.flush)


ESTABLISHED_SINCE = "2020-01-01 00:00:00.000000"


def register(client: TestClient | httpx.Client, handle: str | None = None, *, new: bool = False) -> dict[str, str]:
    """Register a worker; returns the Authorization header for it.

    In-process apps get an established account (created long ago) unless `new`: new accounts' ratings
    count less (server/domain/moderation.py), which only the tests of that rule want to see.
    """
    body = {"handle": handle} if handle else {}
    response = client.post("/api/v1/workers", json=body)
    assert response.status_code == 201, response.text
    if not new and isinstance(client, TestClient):
        backdate_account(client.app.state.settings.database_url, response.json()["worker"]["id"])
    return {"Authorization": f"Bearer {response.json()['token']}"}


def backdate_account(database_url: str, worker_id: int, created_at: str = ESTABLISHED_SINCE) -> None:
    database.Sql(database_url).run("UPDATE workers SET created_at = ? WHERE id = ?", created_at, worker_id)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A real `fairfinder serve` process on loopback, with its own data folder.

    Its database is a new, empty one of the backend under test (`fairfinder migrate` creates the schema);
    on SQLite that is `fairfinder.db` in the data folder. `env` can name another DATABASE_URL.
    """

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "FAIRFINDER_DATA_DIR": str(data_dir), "FAIRFINDER_PORT": str(self.port),
                    "FAIRFINDER_LOG_LEVEL": "WARNING", **(env or {})}
        self.env.pop("DATABASE_URL", None)
        backend = database.current()
        self._own_database = "DATABASE_URL" not in (env or {}) and backend.name != "sqlite"
        if "DATABASE_URL" in (env or {}):
            self.env["DATABASE_URL"] = (env or {})["DATABASE_URL"]
        elif self._own_database:
            self.env["DATABASE_URL"] = backend.empty_database(data_dir)
        self.database_url = self.env.get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'fairfinder.db'}"
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

    def drop_database(self) -> None:
        if self._own_database:
            database.current().drop(self.database_url)

    def sql(self) -> database.Sql:
        return database.Sql(self.database_url)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path / "var")
    server.data_dir.mkdir()
    migrated = server.cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    server.start()
    yield server
    server.stop()
    server.drop_database()
