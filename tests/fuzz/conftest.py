"""Fixtures of the fuzz suite: a real server process with the demo data and its accounts (schemathesis), and
an in-process app whose database is read back directly (the hostile-input corpus)."""
from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from litestar.testing import TestClient

from server.settings import Settings
from tests.conftest import LiveServer, register

# Off for the fuzzed server: thousands of requests from one address would otherwise meet 429s, and a
# scheduler job running mid-test would make answers depend on timing.
FUZZ_ENV = {"FAIRFINDER_RATE_LIMITS": "off", "FAIRFINDER_SCHEDULER": "off"}


@dataclass
class Accounts:
    """Bearer headers for the fuzzed server: a worker, an admin, and a throwaway account for deletes."""

    url: str
    worker: dict[str, str]
    admin: dict[str, str]
    _throwaway: dict[str, str] = field(default_factory=dict)

    def throwaway(self) -> dict[str, str]:
        """An account that fuzzed DELETEs may revoke the token of; replaced when that happens."""
        if not self._throwaway or httpx.get(f"{self.url}/api/v1/me", headers=self._throwaway).status_code != 200:
            self._throwaway = signup(self.url)
        return self._throwaway


def signup(url: str, handle: str | None = None) -> dict[str, str]:
    response = httpx.post(f"{url}/api/v1/workers", json={"handle": handle} if handle else {})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("fuzz") / "var", env=FUZZ_ENV)
    server.data_dir.mkdir()
    for command in (("migrate",), ("demo",)):
        done = server.cli(*command)
        assert done.returncode == 0, done.stderr
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def accounts(fuzz_server: LiveServer) -> Accounts:
    worker = signup(fuzz_server.url, "fuzz-worker")
    admin = signup(fuzz_server.url, "fuzz-admin")
    promoted = fuzz_server.cli("set-role", "fuzz-admin", "admin")
    assert promoted.returncode == 0, promoted.stdout + promoted.stderr
    return Accounts(fuzz_server.url, worker, admin)


# --- the hostile-input corpus: an in-process app per test, and the database read back directly ---------


class Snapshot:
    """Every row of every table of a SQLite file, read by a separate connection (as an outsider sees it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def tables(self) -> list[str]:
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as db:
            return [name for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]

    def take(self) -> dict[str, list[tuple]]:
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as db:
            return {table: sorted(db.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)  # noqa: S608
                    for table in self.tables()}

    def rows(self, sql: str, *params: object) -> list[tuple]:
        with closing(sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)) as db:
            return db.execute(sql, params).fetchall()


def check_answer(response: httpx.Response) -> None:
    """What every answer of the corpus must be: no 5xx, no stack trace, JSON errors in the one shape."""
    response.read()
    assert response.status_code < 500, f"{response.request.method} {response.request.url}: {response.text[:500]}"
    assert "Traceback" not in response.text
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        if "errors" not in body:  # the Turkopticon-compatible routes answer in JSON:API's shape
            assert set(body) <= {"status", "code", "message", "field"}, body
            assert body["status"] == response.status_code and body["code"] and body["message"], body


@pytest.fixture
def api(client: TestClient) -> Iterator[TestClient]:
    client.event_hooks["response"].append(check_answer)
    yield client


@pytest.fixture
def snapshot(settings: Settings) -> Snapshot:
    path = settings.sqlite_path()
    assert path is not None
    return Snapshot(path)


def signed_up(client: TestClient, handle: str) -> dict[str, str]:
    """An established account whose token was used once (so later reads write no last_used_at)."""
    headers = register(client, handle)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    return headers


@pytest.fixture
def alice(api: TestClient) -> dict[str, str]:
    return signed_up(api, "alice")


@pytest.fixture
def bob(api: TestClient) -> dict[str, str]:
    return signed_up(api, "bob")
