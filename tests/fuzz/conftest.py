"""Fixtures of the fuzz suite: a real server process with the demo data and its accounts (schemathesis), and
an in-process app whose database is read back directly (the hostile-input corpus)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from litestar.testing import TestClient

from server.settings import Settings
from tests.conftest import LiveServer
from tests.helpers import Db, check_response, sign_up

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


@pytest.fixture
def api(client: TestClient) -> Iterator[TestClient]:
    client.event_hooks["response"].append(check_response)
    yield client


@pytest.fixture
def snapshot(settings: Settings) -> Db:
    return Db(settings.database_url)


@pytest.fixture
def alice(api: TestClient) -> dict[str, str]:
    return sign_up(api, "alice")


@pytest.fixture
def bob(api: TestClient) -> dict[str, str]:
    return sign_up(api, "bob")
