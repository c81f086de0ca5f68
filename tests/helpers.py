"""What the in-process suites share: the invariants every answer meets, the database read back directly,
and an account whose token has been used once."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
from litestar.testing import TestClient

from tests.conftest import register
from tests.database import Sql


def check_response(response: httpx.Response) -> None:
    """Invariants of every answer: never a 5xx, never a stack trace, errors in the one JSON shape
    (API errors are always JSON; the Turkopticon-compatible routes answer in JSON:API's own error shape)."""
    response.read()
    text = response.text
    assert "Traceback" not in text, text
    assert response.status_code < 500, f"{response.request.method} {response.request.url}: {text[:500]}"
    if response.status_code < 400:
        return
    if not response.headers.get("content-type", "").startswith("application/json"):
        assert not response.request.url.path.startswith("/api/v1/"), f"an API error that is not JSON: {text[:200]}"
        return
    body = response.json()
    if "errors" in body:
        return
    assert set(body) <= {"status", "code", "message", "field"}, body
    assert body["status"] == response.status_code, body
    assert isinstance(body["code"], str) and body["code"], body
    assert isinstance(body["message"], str) and body["message"], body
    assert "field" not in body or isinstance(body["field"], str), body


class Db(Sql):
    """Direct, read-only use of the test database (a separate connection, as an outsider sees it)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self._watchers: list[Any] = []

    def watch_writes(self) -> Callable[[], Any]:
        """A probe whose value changes whenever anyone commits a write. SQLite: `PRAGMA data_version` of a
        connection held open. PostgreSQL: every row of every table (its counters also move on reads)."""
        if self.dialect != "sqlite":
            return self.dump
        connection = self.engine.connect()
        self._watchers.append(connection)
        return lambda: connection.exec_driver_sql("PRAGMA data_version").scalar()

    def close(self) -> None:
        for connection in self._watchers:
            connection.close()
        self._watchers.clear()

    def file_bytes(self) -> bytes:
        """SQLite: the database as stored on disk, including the WAL and shared-memory files. PostgreSQL:
        every row of every table (its files also move with vacuum and statistics, which are not writes)."""
        if self.dialect != "sqlite":
            return repr(self.dump()).encode()
        path = Path(self.url.split("///", 1)[1])
        return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


def sign_up(client: TestClient, handle: str) -> dict[str, str]:
    """Register and use the token once, so its coarse last_used_at is set and later reads write nothing."""
    headers = register(client, handle)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    return headers


def stamp(moment: datetime) -> str:
    """A datetime as the models store it (naive UTC text; both databases read it)."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def worker_id(client: TestClient, headers: dict[str, str]) -> int:
    """The account id behind a token's Authorization headers."""
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def group_id(label: str) -> str:
    """A well-formed MTurk HIT group id (30 upper-case letters and digits, scrapers/ids.py) named after `label`:
    "H1" -> "3H1000000000000000000000000000"."""
    body = "".join(ch for ch in label.upper() if ch.isascii() and ch.isalnum())
    return ("3" + body + "0" * 30)[:30]
